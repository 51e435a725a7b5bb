//! The editions of the policy the server knows: those shipped in the build and those staff
//! published since, kept in the database and cached here.

use consent_core::{CalendarDate, EditionVersion, Lang, PolicyEdition, Timestamp};
use std::collections::BTreeMap;

use crate::store::{records, Store, StoreError};

#[derive(Debug, Clone, Default)]
pub struct Editions {
    /// In publication order.
    all: Vec<PolicyEdition>,
}

impl Editions {
    /// Loads what the database has, first adding the shipped editions it lacks.
    pub async fn load(store: &Store) -> Result<Editions, StoreError> {
        let stored = records::all_editions(store).await?;
        let missing: Vec<PolicyEdition> = consent_core::editions()
            .into_iter()
            .filter(|e| {
                !stored
                    .iter()
                    .any(|s| s.version == e.version && s.language == e.language)
            })
            .collect();
        if !missing.is_empty() {
            let now = crate::clock::now();
            let mut tx = store.begin().await?;
            for version in missing.chunk_by(|a, b| a.version == b.version) {
                records::publish_edition(&mut tx, version, now).await?;
            }
            tx.commit().await?;
        }
        Ok(Editions {
            all: records::all_editions(store).await?,
        })
    }

    pub fn add(&mut self, editions: Vec<PolicyEdition>) {
        self.all.extend(editions);
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
