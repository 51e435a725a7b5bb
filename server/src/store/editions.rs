//! The policy's editions as stored: each language's document and its exact Markdown source.

use super::db::{Store, WriteTx};
use super::error::{During, StoreError};
use super::sql::{self};
use super::values::sha256_hex;
use consent_core::{Lang, PolicyEdition, Timestamp};

/// Stores the languages of one new edition (its publication is recorded in the company's
/// chain by the caller, in the same write).
pub async fn store_edition(
    tx: &mut WriteTx,
    languages: &[PolicyEdition],
    at: Timestamp,
) -> Result<(), StoreError> {
    for edition in languages {
        let document = serde_json::to_string(edition).expect("an edition serialises");
        sql::query(
            "INSERT INTO editions (version, language, published, document, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(edition.version.as_str())
        .bind(edition.language.code())
        .bind(edition.published.to_string())
        .bind(document)
        .bind(at.millis())
        .execute(&mut *tx)
        .await
        .during("store an edition")?;
    }
    Ok(())
}

/// Keeps an edition's exact Markdown per language; what is kept already stays as it is.
pub async fn keep_sources(
    tx: &mut WriteTx,
    version: &str,
    sources: &[(Lang, &str)],
) -> Result<(), StoreError> {
    for (lang, source) in sources {
        sql::query(
            "INSERT INTO edition_sources (version, language, source) VALUES ($1, $2, $3)
             ON CONFLICT (version, language) DO NOTHING",
        )
        .bind(version)
        .bind(lang.code())
        .bind(*source)
        .execute(&mut *tx)
        .await
        .during("keep an edition's source")?;
    }
    Ok(())
}

/// An edition's Markdown as published in `lang`.
pub async fn edition_source(
    store: &Store,
    version: &str,
    lang: Lang,
) -> Result<Option<String>, StoreError> {
    sql::query("SELECT source FROM edition_sources WHERE version = $1 AND language = $2")
        .bind(version)
        .bind(lang.code())
        .fetch_optional(store.pool())
        .await
        .during("read an edition's source")?
        .map(|row| row.try_get("source"))
        .transpose()
}

/// The SHA-256 of every kept source, by edition and language.
pub async fn source_hashes(store: &Store) -> Result<Vec<(String, String, String)>, StoreError> {
    sql::query("SELECT version, language, source FROM edition_sources")
        .fetch_all(store.pool())
        .await
        .during("read the editions' sources")?
        .iter()
        .map(|row| {
            let source: String = row.try_get("source")?;
            let hash = sha256_hex(source.as_bytes());
            Ok((row.try_get("version")?, row.try_get("language")?, hash))
        })
        .collect()
}

pub async fn all_editions(store: &Store) -> Result<Vec<PolicyEdition>, StoreError> {
    sql::query("SELECT document FROM editions ORDER BY created_at, version, language")
        .fetch_all(store.pool())
        .await
        .during("read the editions")?
        .iter()
        .map(|row| {
            let text: String = row.try_get("document")?;
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("edition document: {e}")))
        })
        .collect()
}
