//! Signed consent receipts: proof a user can keep and anyone can check without the server.
//! Each consent change and withdrawal is answered with a compact JWS (EdDSA over Ed25519,
//! `typ` `consent-receipt+jwt`, `kid` the key's RFC 7638 thumbprint) whose payload is a
//! [`ReceiptClaims`] in canonical JSON (RFC 8785). Every key that ever signed is published at
//! `GET /v1/receipts/jwks.json`, and `consent-server receipt verify` checks a receipt offline.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use consent_core::api::ConsentState;
use consent_core::catalog::{catalog, Recipient};
use consent_core::receipt::{
    ConsentGiven, Controller, Granted, Notice, PurposeGiven, ReceiptClaims, ReceiptSubject,
    RecordLink, Term, WithdrawalMethod, RECEIPT_TYPE,
};
use consent_core::{EditionVersion, Lang, Timestamp};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{sql, During, Store, StoreError, WriteTx};

/// The key that signs receipts.
#[derive(Clone)]
pub struct ReceiptKey {
    signing: SigningKey,
    /// The JWS's first part, the same for every receipt this key signs.
    header: String,
}

impl ReceiptKey {
    /// From `CONSENT_RECEIPT_KEY`: the Ed25519 seed, 64 hex digits.
    pub fn from_seed_hex(text: &str) -> Result<ReceiptKey, String> {
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or("an Ed25519 seed is 64 hex digits (`consent-server receipt key` makes one)")?;
        Ok(ReceiptKey::new(SigningKey::from_bytes(&seed)))
    }

    fn new(signing: SigningKey) -> ReceiptKey {
        let mut key = ReceiptKey {
            signing,
            header: String::new(),
        };
        key.header = canonical_part(&Header {
            alg: "EdDSA".into(),
            typ: RECEIPT_TYPE.into(),
            kid: key.jwk().kid,
        });
        key
    }

    pub fn generate() -> ReceiptKey {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the system's random source");
        ReceiptKey::new(SigningKey::from_bytes(&seed))
    }

    pub fn seed_hex(&self) -> String {
        hex::encode(self.signing.to_bytes())
    }

    pub fn jwk(&self) -> Jwk {
        Jwk::ed25519(URL_SAFE_NO_PAD.encode(self.signing.verifying_key().to_bytes()))
    }

    /// A compact JWS of `claims`.
    pub fn sign(&self, claims: &ReceiptClaims) -> String {
        let signed = format!("{}.{}", self.header, canonical_part(claims));
        let signature = self.signing.sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }
}

/// A part of the JWS: canonical JSON (RFC 8785), base64url. serde_json's own value has its
/// members sorted by name and writes strings as RFC 8785 does; the receipt's parts hold no
/// floating-point number, where the two would differ. A third faster than serde_jcs, and this
/// runs inside every consent write (a test checks that the two agree).
fn canonical_part(value: &impl Serialize) -> String {
    let value = serde_json::to_value(value).expect("receipt parts serialise");
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&value).expect("a JSON value serialises"))
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// A public key as a JWK (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    /// The RFC 7638 thumbprint.
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub usage: String,
}

impl Jwk {
    /// A retired key's public half as configuration names it: its `x`, 32 bytes in base64url.
    pub fn from_public(x: &str) -> Result<Jwk, String> {
        let x = x.trim();
        let bytes: [u8; 32] = URL_SAFE_NO_PAD
            .decode(x)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                format!(
                    "`{}` is not an Ed25519 public key (32 bytes, base64url)",
                    x.chars().take(60).collect::<String>()
                )
            })?;
        VerifyingKey::from_bytes(&bytes).map_err(|_| format!("`{x}` is not a point on Ed25519"))?;
        Ok(Jwk::ed25519(x.to_owned()))
    }

    fn ed25519(x: String) -> Jwk {
        // RFC 7638: the required members, in lexicographic order, no spaces.
        let members = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            kid: URL_SAFE_NO_PAD.encode(Sha256::digest(members.as_bytes())),
            x,
            alg: "EdDSA".into(),
            usage: "sig".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Why a receipt does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("not a compact JWS (three base64url parts)")]
    Malformed,
    #[error("not a consent receipt: {0}")]
    NotAReceipt(String),
    #[error("signed with key `{0}`, which is not in the key set")]
    UnknownKey(String),
    #[error("the signature does not match: the receipt was changed or not signed by this key")]
    BadSignature,
}

/// Checks a receipt against a key set; gives what it states.
pub fn verify(jws: &str, jwks: &Jwks) -> Result<ReceiptClaims, Refused> {
    let jws = jws.trim();
    let parts: Vec<&str> = jws.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err(Refused::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed);
    let header: Header = serde_json::from_slice(&decode(header)?)
        .map_err(|e| Refused::NotAReceipt(format!("header: {e}")))?;
    if header.alg != "EdDSA" || header.typ != RECEIPT_TYPE {
        return Err(Refused::NotAReceipt(format!(
            "`alg` {} and `typ` {}",
            header.alg, header.typ
        )));
    }
    let jwk = jwks
        .keys
        .iter()
        .find(|k| k.kid == header.kid)
        .ok_or_else(|| Refused::UnknownKey(header.kid.clone()))?;
    let public: [u8; 32] = decode(&jwk.x)?
        .try_into()
        .map_err(|_| Refused::UnknownKey(header.kid.clone()))?;
    let key = VerifyingKey::from_bytes(&public).map_err(|_| Refused::UnknownKey(header.kid))?;
    let signature = ed25519_dalek::Signature::from_slice(&decode(signature)?)
        .map_err(|_| Refused::Malformed)?;
    let signed = &jws[..jws.rfind('.').expect("three parts")];
    key.verify(signed.as_bytes(), &signature)
        .map_err(|_| Refused::BadSignature)?;
    serde_json::from_slice(&decode(payload)?)
        .map_err(|e| Refused::NotAReceipt(format!("payload: {e}")))
}

/// Makes `key` (or, for `--demo`, the key kept in the database, made the first time) the one
/// that signs, and keeps its public half with every earlier one.
pub async fn install(store: &Store, key: Option<ReceiptKey>) -> Result<ReceiptKey, StoreError> {
    let (key, seed) = match key {
        Some(key) => (key, None),
        None => {
            let kept: Option<String> = sql::query(
                "SELECT seed FROM receipt_keys WHERE seed IS NOT NULL ORDER BY added_at DESC LIMIT 1",
            )
            .fetch_optional(store.pool())
            .await
            .during("read the demo's receipt key")?
            .map(|row| row.try_get("seed"))
            .transpose()?;
            match kept.and_then(|s| ReceiptKey::from_seed_hex(&s).ok()) {
                Some(key) => (key, None),
                None => {
                    let key = ReceiptKey::generate();
                    let seed = key.seed_hex();
                    (key, Some(seed))
                }
            }
        }
    };
    let jwk = key.jwk();
    let mut tx = store.begin().await?;
    sql::query(
        "INSERT INTO receipt_keys (kid, x, seed, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kid) DO NOTHING",
    )
    .bind(&jwk.kid)
    .bind(&jwk.x)
    .bind(seed)
    .bind(crate::clock::now().millis())
    .execute(&mut tx)
    .await
    .during("publish the receipt key")?;
    tx.commit().await?;
    Ok(key)
}

/// The keys configuration vouches for: the one that signs now, then the retired ones. Only
/// these are published and trusted; a key row in the database proves nothing by being there.
pub fn trusted_keys(current: &ReceiptKey, retired: &[Jwk]) -> Jwks {
    let mut keys = vec![current.jwk()];
    for key in retired {
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    Jwks { keys }
}

/// The key rows of the database that `trusted` does not vouch for: a key planted there to make
/// forged receipts look genuine, or one whose retirement was not configured.
pub async fn unvouched_keys(store: &Store, trusted: &Jwks) -> Result<Vec<String>, StoreError> {
    let rows = sql::query("SELECT kid, x FROM receipt_keys ORDER BY added_at, kid")
        .fetch_all(store.pool())
        .await
        .during("read the receipt keys")?;
    let mut unvouched = Vec::new();
    for row in rows {
        let (kid, x): (String, String) = (row.try_get("kid")?, row.try_get("x")?);
        if !trusted.keys.iter().any(|k| k.x == x && k.kid == kid) {
            unvouched.push(kid);
        }
    }
    Ok(unvouched)
}

/// The controller as configured, and the key: what every receipt is signed with.
pub struct Signer {
    pub key: ReceiptKey,
    pub controller: Controller,
    /// What `GET /v1/receipts/jwks.json` publishes: [`trusted_keys`].
    pub trusted: Jwks,
}

/// One receipt to sign: what was decided, on which record, by whom.
pub struct Decision<'a> {
    pub receipt_id: &'a str,
    pub at: Timestamp,
    pub subject: &'a str,
    /// The signed-in user's full name as held, which the receipt names them by.
    pub name: Option<&'a str>,
    pub state: &'a ConsentState,
    pub edition: &'a EditionVersion,
    /// The language the user was shown; the notice is its published language.
    pub language: Lang,
    /// The ledger record's kind: the receipt proves the last such record of the write.
    pub record_kind: &'static str,
}

/// Years the data is kept after the agreement ends (2.5).
const YEARS_AFTER_AGREEMENT: u32 = 3;

impl Signer {
    /// Signs the receipt of a decision in its write, so that the answer remembered for a
    /// repeat holds the same receipt.
    pub async fn sign(
        &self,
        tx: &mut WriteTx,
        editions: &tokio::sync::RwLock<crate::editions::Editions>,
        d: Decision<'_>,
    ) -> Result<String, StoreError> {
        let notice = {
            let editions = editions.read().await;
            let (lang, hash) = editions.notice_hash(d.edition, d.language).ok_or_else(|| {
                StoreError::Corrupt(format!("no kept source of edition {}", d.edition))
            })?;
            (lang, hash.to_owned())
        };
        let record =
            crate::store::ledger::appended(tx, d.subject, d.record_kind).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "no `{}` record in this write to sign",
                    d.record_kind
                ))
            })?;
        let subject_id = tx.store().keys().subject_ref(d.subject);
        let notice = (notice.0, notice.1.as_str());
        let claims = claims(
            &self.controller,
            subject_id,
            d.name.map(str::to_owned),
            &d,
            notice,
            record,
        );
        let jws = self.key.sign(&claims);
        let keep = sql::query(
            "INSERT INTO receipts (receipt_id, subject, at, jws) VALUES ($1, $2, $3, $4)",
        )
        .bind(d.receipt_id)
        .bind(d.subject)
        .bind(d.at.millis())
        .bind(&jws);
        tx.defer(keep);
        Ok(jws)
    }
}

/// What a receipt this server signed states, read without checking (it was checked when kept).
pub fn claims_of(jws: &str) -> Option<ReceiptClaims> {
    let payload = jws.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// A subject's signed receipt, to download again.
pub async fn kept(
    store: &Store,
    subject: &str,
    receipt_id: &str,
) -> Result<Option<String>, StoreError> {
    sql::query("SELECT jws FROM receipts WHERE subject = $1 AND receipt_id = $2")
        .bind(subject)
        .bind(receipt_id)
        .fetch_optional(store.pool())
        .await
        .during("read a signed receipt")?
        .map(|row| row.try_get("jws"))
        .transpose()
}

/// The receipt's JWS in a downloaded file: the one word made of three base64url parts.
pub fn jws_in(text: &str) -> Option<&str> {
    let base64url = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    text.split_whitespace().find(|word| {
        let parts: Vec<&str> = word.split('.').collect();
        parts.len() == 3 && parts.iter().all(|p| base64url(p))
    })
}

fn claims(
    controller: &Controller,
    subject_id: String,
    name: Option<String>,
    d: &Decision<'_>,
    (lang, sha256): (Lang, &str),
    record: RecordLink,
) -> ReceiptClaims {
    let cat = catalog();
    let clauses =
        |p: &consent_core::catalog::Purpose| p.clauses.get(&lang).cloned().unwrap_or_default();
    let purposes: Vec<PurposeGiven> = cat
        .purposes
        .iter()
        .map(|p| PurposeGiven {
            id: p.id,
            state: if p.is_necessary() {
                ConsentGiven::Necessary
            } else if d.state.granted(p.id) {
                ConsentGiven::Granted
            } else {
                ConsentGiven::Refused
            },
            clauses: clauses(p),
            data_categories: cat
                .categories
                .iter()
                .filter(|c| c.purposes.contains(&p.id))
                .map(|c| c.id)
                .collect(),
        })
        .collect();
    let on = |p: &PurposeGiven| p.state != ConsentGiven::Refused;
    let mut third_parties: Vec<Recipient> = cat
        .purposes
        .iter()
        .zip(&purposes)
        .filter(|(_, given)| on(given))
        .flat_map(|(p, _)| p.recipients.iter().copied())
        .collect();
    third_parties.sort_by_key(|r| format!("{r:?}"));
    third_parties.dedup();
    // Whether what the purposes that say it are on: data going abroad (4.2), and publication
    // of a winner's name and image (2.2.5, the purpose that warns of it).
    let granted_where = |matches: &dyn Fn(&consent_core::catalog::Purpose) -> bool| {
        let named: Vec<(&consent_core::catalog::Purpose, &PurposeGiven)> = cat
            .purposes
            .iter()
            .zip(&purposes)
            .filter(|(p, _)| matches(p))
            .collect();
        Granted {
            granted: named
                .iter()
                .any(|(_, given)| given.state == ConsentGiven::Granted),
            clauses: named.iter().flat_map(|(p, _)| clauses(p)).collect(),
        }
    };
    ReceiptClaims {
        version: "KI-CR-v1.1.0".into(),
        jti: d.receipt_id.to_owned(),
        iat: d.at.millis() / 1000,
        jurisdiction: "KZ".into(),
        controller: controller.clone(),
        subject: ReceiptSubject {
            id: subject_id,
            name,
        },
        cross_border: granted_where(&|p| {
            p.recipients.contains(&Recipient::CrossBorder) && !p.is_necessary()
        }),
        publication: granted_where(&|p| p.warning.is_some()),
        purposes,
        term: Term {
            years_after_agreement: YEARS_AFTER_AGREEMENT,
            clause: "2.5".into(),
        },
        third_parties,
        notice: Notice {
            edition: d.edition.clone(),
            language: lang,
            sha256: sha256.to_owned(),
            source: format!("/v1/policy/{}/source?lang={}", d.edition, lang.code()),
        },
        withdrawal: WithdrawalMethod {
            method: "written_application".into(),
            clause: "2.6".into(),
        },
        record,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receipt signed over other bytes than RFC 8785's would not verify for anyone who
    /// canonicalises it themselves.
    #[test]
    fn receipt_parts_are_rfc_8785_canonical_json() {
        let part = serde_json::json!({
            "subject": {"name": "Әсел Жақсыбекова \"Ә\" / \u{1}\t\u{1f}\u{7f}", "id": "x"},
            "iat": 1_796_000_000_i64,
            "purposes": [{"state": "granted", "id": "surveys", "clauses": ["2.2.5", "4.2"]}],
            "a": {"z": true, "b": null, "é": [], "Z": {}},
            "emoji 😀": -9_007_199_254_740_991_i64,
        });
        let reference = URL_SAFE_NO_PAD.encode(serde_jcs::to_vec(&part).unwrap());
        assert_eq!(canonical_part(&part), reference);
        // A struct whose fields are not declared in the order of their names.
        let header = Header {
            alg: "EdDSA".into(),
            typ: RECEIPT_TYPE.into(),
            kid: "k".into(),
        };
        let reference = URL_SAFE_NO_PAD.encode(serde_jcs::to_vec(&header).unwrap());
        assert_eq!(canonical_part(&header), reference);
    }
}
