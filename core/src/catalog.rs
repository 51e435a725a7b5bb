//! The catalogs of processing purposes (2.2, 4.2) and data categories (2.3), loaded once from
//! the data files in `policy/`. Ids exist only for entries of these files: a [`PurposeId`] or
//! [`DataCategoryId`] cannot be made up.

use crate::lang::{Lang, Localized};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

// Not in the widget's wasm: it reads the catalog the server serves (`GET /v1/catalog`).
#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
const PURPOSES_JSON: &str = include_str!("../../policy/purposes.json");
#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
const CATEGORIES_JSON: &str = include_str!("../../policy/data_categories.json");

macro_rules! catalog_id {
    ($name:ident, $what:literal, $lookup:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(&'static str);

        impl $name {
            /// The id of a catalog entry; an unknown id is an error naming it.
            pub fn parse(text: &str) -> Result<$name, UnknownId> {
                catalog()
                    .$lookup(text)
                    .map(|entry| entry.id)
                    .ok_or_else(|| UnknownId {
                        what: $what,
                        id: text.chars().take(64).collect(),
                    })
            }

            pub fn as_str(self) -> &'static str {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

catalog_id!(PurposeId, "purpose", purpose);
catalog_id!(DataCategoryId, "data category", category);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId {
    pub what: &'static str,
    pub id: String,
}

impl fmt::Display for UnknownId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} `{}`", self.what, self.id)
    }
}

impl std::error::Error for UnknownId {}

/// Why the company may process data for a purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", content = "ground", rename_all = "lowercase")]
pub enum LegalBasis {
    /// Needed for the service, a contract or the law: cannot be refused or withdrawn (2.7).
    Necessary(NecessaryGround),
    /// Only with the user's consent, which may be refused and withdrawn (2.6).
    Consent,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NecessaryGround {
    Service,
    Contract,
    Law,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    pub id: PurposeId,
    pub basis: LegalBasis,
    /// Clause references per published language, e.g. `2.2.5` (clause 2.2, item 5) or `4.2`.
    pub clauses: BTreeMap<Lang, Vec<String>>,
    pub title: Localized,
    pub summary: Localized,
    /// 2.6 warns that withdrawing consent may suspend or end the User Agreement. The warning is
    /// shown only for purposes whose withdrawal the policy ties to the Agreement, so users are
    /// not frightened off a withdrawal that cannot have that effect.
    pub withdrawal_may_end_agreement: bool,
    /// Refused whenever the browser sends Global Privacy Control (promotion and targeting).
    pub gpc_refuses: bool,
    /// Said beside the switch: what the user should know before turning it on (2.2.5).
    pub warning: Option<Localized>,
    /// The Consent Mode v2 types granted only while every purpose naming them is.
    pub consent_mode: Vec<ConsentModeType>,
    /// Who receives data used for this purpose (2.2.7, 4.1–4.3).
    pub recipients: Vec<Recipient>,
}

/// A Consent Mode v2 type. Which purposes grant it is catalog data (`consent_mode` in
/// `policy/purposes.json`): the widget, the loader and the server read it from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentModeType {
    AdStorage,
    AdUserData,
    AdPersonalization,
    AnalyticsStorage,
    FunctionalityStorage,
    PersonalizationStorage,
    SecurityStorage,
}

impl ConsentModeType {
    pub const ALL: [ConsentModeType; 7] = [
        ConsentModeType::AdStorage,
        ConsentModeType::AdUserData,
        ConsentModeType::AdPersonalization,
        ConsentModeType::AnalyticsStorage,
        ConsentModeType::FunctionalityStorage,
        ConsentModeType::PersonalizationStorage,
        ConsentModeType::SecurityStorage,
    ];

    /// The name `gtag('consent', …)` knows it by.
    pub fn name(self) -> &'static str {
        match self {
            ConsentModeType::AdStorage => "ad_storage",
            ConsentModeType::AdUserData => "ad_user_data",
            ConsentModeType::AdPersonalization => "ad_personalization",
            ConsentModeType::AnalyticsStorage => "analytics_storage",
            ConsentModeType::FunctionalityStorage => "functionality_storage",
            ConsentModeType::PersonalizationStorage => "personalization_storage",
            ConsentModeType::SecurityStorage => "security_storage",
        }
    }
}

/// Who receives personal data besides the Company.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// 2.2.7: IT contractors, under confidentiality.
    ItProviders,
    /// 4.1: affiliates of the company.
    Affiliates,
    /// 4.1–4.2: partners.
    Partners,
    /// 4.2: recipients outside Kazakhstan.
    CrossBorder,
}

impl Recipient {
    /// Who it is, in `lang`, with the clause that names them.
    pub fn name(self, lang: Lang) -> &'static str {
        use Recipient::*;
        match (lang, self) {
            (Lang::Kk, ItProviders) => "IT мердігерлері (2.2.7)",
            (Lang::Kk, Affiliates) => "Үлестес тұлғалар (4.1)",
            (Lang::Kk, Partners) => "Әріптестер (4.1–4.2)",
            (Lang::Kk, CrossBorder) => "Трансшекаралық беру (4.2)",
            (Lang::Ru, ItProviders) => "IT-подрядчики (2.2.7)",
            (Lang::Ru, Affiliates) => "Аффилированные лица (4.1)",
            (Lang::Ru, Partners) => "Партнёры (4.1–4.2)",
            (Lang::Ru, CrossBorder) => "Трансграничная передача (4.2)",
            (Lang::En, ItProviders) => "IT contractors (2.2.7)",
            (Lang::En, Affiliates) => "Affiliates (4.1)",
            (Lang::En, Partners) => "Partners (4.1–4.2)",
            (Lang::En, CrossBorder) => "Abroad (4.2)",
        }
    }
}

impl Purpose {
    pub fn is_necessary(&self) -> bool {
        matches!(self.basis, LegalBasis::Necessary(_))
    }

    /// What the purpose is set to before the user has said anything: necessary ones on,
    /// every consent purpose off.
    pub fn default_granted(&self) -> bool {
        self.is_necessary()
    }

    pub fn clauses_in(&self, lang: Lang) -> &[String] {
        let published = lang.legal_fallbacks()[0];
        self.clauses
            .get(&published)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Ordinary,
    /// Identity documents and face images: never shown back in full.
    Sensitive,
}

/// How a held value is shown back to its subject in the "my data" view.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Masking {
    None,
    /// Phone and email: enough to recognise, not enough to copy.
    Partial,
    /// Sensitive data: only that it is held and since when.
    OnFileSince,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CategoryGroup {
    /// Collected by the service itself (first half of 2.3).
    Technical,
    /// The user's personal data listed in 2.3.
    Personal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCategory {
    pub id: DataCategoryId,
    pub group: CategoryGroup,
    pub sensitivity: Sensitivity,
    pub masking: Masking,
    /// The words of 2.3 this category stands for, per published language.
    pub quote: BTreeMap<Lang, String>,
    pub name: Localized,
    /// What the category is used for.
    pub purposes: Vec<PurposeId>,
}

#[derive(Debug)]
pub struct Catalog {
    pub purposes: Vec<Purpose>,
    pub categories: Vec<DataCategory>,
}

impl Catalog {
    pub fn purpose(&self, id: &str) -> Option<&Purpose> {
        self.purposes.iter().find(|p| p.id.0 == id)
    }

    pub fn category(&self, id: &str) -> Option<&DataCategory> {
        self.categories.iter().find(|c| c.id.0 == id)
    }

    pub fn purpose_by_id(&self, id: PurposeId) -> &Purpose {
        self.purpose(id.0)
            .expect("a PurposeId comes from the catalog")
    }

    pub fn category_by_id(&self, id: DataCategoryId) -> &DataCategory {
        self.category(id.0)
            .expect("a DataCategoryId comes from the catalog")
    }

    pub fn consent_purposes(&self) -> impl Iterator<Item = &Purpose> {
        self.purposes.iter().filter(|p| !p.is_necessary())
    }
}

static CATALOG: OnceLock<Catalog> = OnceLock::new();

/// The catalog: natively the one shipped with this build; in the widget, the one the server
/// served, installed before anything uses it.
pub fn catalog() -> &'static Catalog {
    CATALOG.get_or_init(shipped)
}

#[cfg(not(target_arch = "wasm32"))]
fn shipped() -> Catalog {
    load(PURPOSES_JSON, CATEGORIES_JSON).expect("shipped catalogs are valid")
}

#[cfg(target_arch = "wasm32")]
fn shipped() -> Catalog {
    panic!("the widget installs the catalog (catalog::install) before using it")
}

/// The catalogs shipped with this build, checked: for the widget's own tests, which run without
/// a server.
#[cfg(feature = "shipped")]
pub fn shipped_catalog() -> Catalog {
    load(PURPOSES_JSON, CATEGORIES_JSON).expect("shipped catalogs are valid")
}

/// What `GET /v1/catalog` serves: both catalogs, checked, in one JSON object
/// `{"purposes": […], "categories": […]}`, as [`install`] reads it.
#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
pub fn served_json() -> String {
    let entries = |text: &str, key: &str| -> serde_json::Value {
        let mut file: serde_json::Value =
            serde_json::from_str(text).expect("shipped catalogs are JSON");
        file[key].take()
    };
    let served = serde_json::json!({
        "purposes": entries(PURPOSES_JSON, "purposes"),
        "categories": entries(CATEGORIES_JSON, "categories"),
    });
    serde_json::to_string(&served).expect("a JSON value serialises")
}

/// Checks the catalog the server served ([`served_json`]), as the widget read it, and makes it
/// the catalog. The first one installed stays: a page never sees its ids change under it.
pub fn install(raw: RawCatalog) -> Result<(), String> {
    if CATALOG.get().is_some() {
        return Ok(());
    }
    let catalog = checked(raw.purposes, raw.categories)?;
    let _ = CATALOG.set(catalog);
    Ok(())
}

/// Both catalogs as their files and `GET /v1/catalog` write them, before they are checked.
#[derive(Deserialize)]
pub struct RawCatalog {
    pub purposes: Vec<RawPurpose>,
    pub categories: Vec<RawCategory>,
}

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
#[derive(Deserialize)]
struct RawPurposes {
    purposes: Vec<RawPurpose>,
}

/// A purpose as `policy/purposes.json` writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPurpose {
    pub id: String,
    pub basis: String,
    pub ground: Option<NecessaryGround>,
    pub default: bool,
    pub clauses: BTreeMap<Lang, Vec<String>>,
    pub title: Localized,
    pub summary: Localized,
    #[serde(default)]
    pub withdrawal_may_end_agreement: bool,
    #[serde(default)]
    pub gpc_refuses: bool,
    #[serde(default)]
    pub warning: Option<Localized>,
    #[serde(default)]
    pub consent_mode: Vec<ConsentModeType>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
#[derive(Deserialize)]
struct RawCategories {
    categories: Vec<RawCategory>,
}

/// A data category as `policy/data_categories.json` writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCategory {
    pub id: String,
    pub group: CategoryGroup,
    pub sensitivity: Sensitivity,
    pub masking: Masking,
    pub quote: BTreeMap<Lang, String>,
    pub name: Localized,
    pub purposes: Vec<String>,
}

/// Loads the catalogs' two files and checks them ([`checked`]).
#[cfg(any(not(target_arch = "wasm32"), feature = "shipped"))]
pub fn load(purposes_json: &str, categories_json: &str) -> Result<Catalog, String> {
    let purposes: RawPurposes =
        serde_json::from_str(purposes_json).map_err(|e| format!("purposes: {e}"))?;
    let categories: RawCategories =
        serde_json::from_str(categories_json).map_err(|e| format!("data categories: {e}"))?;
    checked(purposes.purposes, categories.categories)
}

/// Checks the catalogs: every purpose has a legal basis that matches its default (necessary
/// ones on, consent ones off), ids are unique, and sensitive data is masked.
fn checked(
    raw_purposes: Vec<RawPurpose>,
    raw_categories: Vec<RawCategory>,
) -> Result<Catalog, String> {
    let mut purposes = Vec::new();
    for p in raw_purposes {
        let basis = match (p.basis.as_str(), p.ground) {
            ("necessary", Some(ground)) => LegalBasis::Necessary(ground),
            ("consent", None) => LegalBasis::Consent,
            (basis, ground) => {
                return Err(format!(
                    "purpose `{}`: basis `{basis}` with ground {ground:?}",
                    p.id
                ))
            }
        };
        if p.default != matches!(basis, LegalBasis::Necessary(_)) {
            return Err(format!(
                "purpose `{}`: a consent purpose must default to off, a necessary one to on",
                p.id
            ));
        }
        if p.withdrawal_may_end_agreement && basis != LegalBasis::Consent {
            return Err(format!(
                "purpose `{}`: only a consent purpose can be withdrawn (2.7)",
                p.id
            ));
        }
        if p.gpc_refuses && basis != LegalBasis::Consent {
            return Err(format!(
                "purpose `{}`: a necessary purpose cannot be refused, by GPC or otherwise (2.7)",
                p.id
            ));
        }
        purposes.push(Purpose {
            id: PurposeId(unique_id(&p.id, purposes.iter().map(|q: &Purpose| q.id.0))?),
            basis,
            clauses: p.clauses,
            title: p.title,
            summary: p.summary,
            withdrawal_may_end_agreement: p.withdrawal_may_end_agreement,
            gpc_refuses: p.gpc_refuses,
            warning: p.warning,
            consent_mode: p.consent_mode,
            recipients: p.recipients,
        });
    }
    let mut categories = Vec::new();
    for c in raw_categories {
        if c.sensitivity == Sensitivity::Sensitive && c.masking != Masking::OnFileSince {
            return Err(format!(
                "data category `{}`: sensitive data must be masked",
                c.id
            ));
        }
        categories.push(DataCategory {
            id: DataCategoryId(unique_id(
                &c.id,
                categories.iter().map(|d: &DataCategory| d.id.0),
            )?),
            group: c.group,
            sensitivity: c.sensitivity,
            masking: c.masking,
            purposes: c
                .purposes
                .iter()
                .map(|id| {
                    purposes
                        .iter()
                        .map(|p: &Purpose| p.id)
                        .find(|p| p.0 == id)
                        .ok_or_else(|| {
                            format!("data category `{}` serves unknown purpose `{id}`", c.id)
                        })
                })
                .collect::<Result<_, _>>()?,
            quote: c.quote,
            name: c.name,
        });
    }
    Ok(Catalog {
        purposes,
        categories,
    })
}

/// Ids are leaked once, at load, so that ids can be `Copy` and `'static` everywhere after.
fn unique_id<'a>(
    id: &str,
    taken: impl IntoIterator<Item = &'a str>,
) -> Result<&'static str, String> {
    let well_formed = !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !well_formed {
        return Err(format!("id `{id}`: use lowercase letters and `_`"));
    }
    if taken.into_iter().any(|t| t == id) {
        return Err(format!("id `{id}` appears twice"));
    }
    Ok(Box::leak(id.to_owned().into_boxed_str()))
}
