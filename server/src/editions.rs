//! The editions of the policy the server knows: those shipped in the build and those staff
//! published since, kept in the database and cached here.

pub mod changes;

use consent_core::policy::SHIPPED_SOURCES;
use consent_core::{
    CalendarDate, EditionVersion, Lang, LedgerRecord, PolicyEdition, SubjectKey, Timestamp,
};
use std::collections::BTreeMap;

use crate::store::{editions, ledger, Store, StoreError, WriteTx};

#[derive(Debug, Clone, Default)]
pub struct Editions {
    /// In publication order.
    all: Vec<PolicyEdition>,
    /// The SHA-256 of each edition's Markdown per language: a receipt's notice hash.
    source_hashes: BTreeMap<(EditionVersion, Lang), String>,
}

impl Editions {
    /// Adds the shipped editions and their sources to a database that lacks them: once, at
    /// start (also for a database that has the shipped editions from before sources were kept).
    pub async fn install_shipped(store: &Store) -> Result<(), StoreError> {
        let stored = editions::all_editions(store).await?;
        let shipped = consent_core::editions();
        let missing: Vec<PolicyEdition> = shipped
            .iter()
            .filter(|e| {
                !stored
                    .iter()
                    .any(|s| s.version == e.version && s.language == e.language)
            })
            .cloned()
            .collect();
        let mut tx = store.begin().await?;
        for version in missing.chunk_by(|a, b| a.version == b.version) {
            publish_edition(&mut tx, version, crate::clock::now()).await?;
        }
        for (edition, source) in shipped.iter().zip(SHIPPED_SOURCES) {
            let sources = [(edition.language, *source)];
            editions::keep_sources(&mut tx, edition.version.as_str(), &sources).await?;
        }
        tx.commit().await
    }

    /// What the database has: read at start and again every so often, never written.
    pub async fn load(store: &Store) -> Result<Editions, StoreError> {
        let source_hashes = editions::source_hashes(store)
            .await?
            .into_iter()
            .filter_map(|(version, lang, hash)| {
                Some((
                    (EditionVersion::parse(&version)?, Lang::parse(&lang).ok()?),
                    hash,
                ))
            })
            .collect();
        Ok(Editions {
            all: editions::all_editions(store).await?,
            source_hashes,
        })
    }

    /// A newly published edition, with the SHA-256 of its source in each language.
    pub fn add(&mut self, editions: Vec<PolicyEdition>, source_hashes: Vec<(Lang, String)>) {
        if let Some(first) = editions.first() {
            for (lang, hash) in source_hashes {
                self.source_hashes
                    .insert((first.version.clone(), lang), hash);
            }
        }
        self.all.extend(editions);
    }

    /// The SHA-256 of the Markdown a reader of `lang` was shown of `version` (its published
    /// fallback for a language the policy is not published in), and that language.
    pub fn notice_hash(&self, version: &EditionVersion, lang: Lang) -> Option<(Lang, &str)> {
        lang.legal_fallbacks().into_iter().find_map(|l| {
            self.source_hashes
                .get(&(version.clone(), l))
                .map(|hash| (l, hash.as_str()))
        })
    }

    /// Each published edition's version, once.
    pub fn versions(&self) -> Vec<&EditionVersion> {
        let mut versions: Vec<&EditionVersion> = self.all.iter().map(|e| &e.version).collect();
        versions.dedup();
        versions
    }

    pub fn exists(&self, version: &EditionVersion) -> bool {
        self.all.iter().any(|e| &e.version == version)
    }

    /// The edition in force on `today`: the latest published on or before it (1.5).
    pub fn current(&self, today: CalendarDate) -> &PolicyEdition {
        self.all
            .iter()
            .filter(|e| e.published <= today)
            .max_by_key(|e| e.published)
            .or_else(|| self.all.first())
            .expect("at least the shipped edition exists")
    }

    /// What a request needs to know of the editions at `now`, without holding the lock.
    pub fn at(&self, now: Timestamp) -> EditionsAt {
        let current = self.current(now.kazakhstan_date());
        EditionsAt {
            current: current.version.clone(),
            deemed_accepted_from: current.deemed_accepted_from(),
            current_deemed_accepted: current.deemed_accepted_at(now),
            published: self
                .all
                .iter()
                .map(|e| (e.version.clone(), e.published))
                .collect(),
        }
    }

    /// An edition in the requested language, or in its published fallback.
    pub fn get(&self, version: &EditionVersion, lang: Lang) -> Option<&PolicyEdition> {
        lang.legal_fallbacks().into_iter().find_map(|l| {
            self.all
                .iter()
                .find(|e| &e.version == version && e.language == l)
        })
    }
}

/// The editions as one request sees them.
#[derive(Debug, Clone)]
pub struct EditionsAt {
    pub current: EditionVersion,
    pub deemed_accepted_from: CalendarDate,
    /// Continued use now accepts the current edition (1.6).
    pub current_deemed_accepted: bool,
    published: BTreeMap<EditionVersion, CalendarDate>,
}

impl EditionsAt {
    /// Whether `candidate` was published after `than`: an acceptance of an older edition never
    /// replaces that of a newer one.
    pub fn is_newer(&self, candidate: &EditionVersion, than: &EditionVersion) -> bool {
        match (self.published.get(candidate), self.published.get(than)) {
            (Some(c), Some(t)) => c > t,
            (Some(_), None) => true,
            _ => false,
        }
    }
}

/// Stores the languages of one new edition and records its publication in the company's
/// chain of the ledger, in the caller's write.
pub async fn publish_edition(
    tx: &mut WriteTx,
    languages: &[PolicyEdition],
    at: Timestamp,
) -> Result<(), StoreError> {
    let Some(first) = languages.first() else {
        return Ok(());
    };
    editions::store_edition(tx, languages, at).await?;
    let record = LedgerRecord::EditionPublished {
        edition: first.version.clone(),
        published: first.published,
        languages: languages.iter().map(|e| e.language).collect(),
    };
    let company = SubjectKey::Company.to_string();
    ledger::append(tx, &company, at, &record, None).await?;
    Ok(())
}
