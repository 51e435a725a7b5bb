//! The secrets and keys the server is started with: from the environment, or made for the
//! demo.

use std::sync::Arc;

use crate::auth::{Keys, Secret, MIN_SECRET_BYTES};
use crate::receipts::ReceiptKey;
use crate::seal::{ServerKeys, DEMO_SECRET};

/// A secret from the environment: absent, or at least `MIN_SECRET_BYTES` long.
pub(super) fn env_secret(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(value) if value.len() >= MIN_SECRET_BYTES => Ok(Some(value)),
        Ok(_) => Err(format!("{name} must be at least {MIN_SECRET_BYTES} bytes")),
        Err(_) => Ok(None),
    }
}

pub(super) fn secret_from_env(name: &str) -> Result<Option<Secret>, String> {
    Ok(env_secret(name)?.map(|value| Secret::new(value.as_bytes())))
}

pub(super) fn random_secret() -> Secret {
    let bytes: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    Secret::new(bytes.as_bytes())
}

/// `CONSENT_SERVER_SECRET` keys the ledger, proves device ids and signs checkpoints; `--demo`
/// uses a public one of its own.
pub(super) fn server_keys(demo: bool) -> Result<Arc<ServerKeys>, String> {
    const NAME: &str = "CONSENT_SERVER_SECRET";
    match (env_secret(NAME)?, demo) {
        (Some(_), true) => Err(format!(
            "refusing to start: --demo keys its ledger with a public secret; unset {NAME}"
        )),
        (Some(secret), false) => Ok(Arc::new(ServerKeys::from_secret(secret.as_bytes()))),
        (None, true) => Ok(Arc::new(ServerKeys::from_secret(DEMO_SECRET))),
        (None, false) => Err(format!(
            "set {NAME} (at least {MIN_SECRET_BYTES} bytes): it keys the ledger's chain, proves device ids and signs checkpoints; \
             keep it outside the database"
        )),
    }
}

pub(super) fn keys(demo: bool) -> Result<Keys, String> {
    let user = match (secret_from_env("CONSENT_JWT_SECRET")?, demo) {
        // The demo page hands a token to anyone who asks: never one that real sites accept.
        (Some(_), true) => {
            return Err("refusing to start: --demo hands out user tokens to anyone, so it must not \
                 know the real CONSENT_JWT_SECRET; unset it for the demo"
                .into())
        }
        (Some(secret), false) => secret,
        // Demo tokens are issued by the demo page itself; nothing outside can forge them.
        (None, true) => random_secret(),
        (None, false) => {
            return Err(format!(
                "refusing to start: set CONSENT_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes), the HS256 secret \
                 of the users' tokens, or pass --demo for a demonstration with a random one"
            ))
        }
    };
    let or_demo = |s: Option<Secret>| s.or_else(|| demo.then(random_secret));
    Ok(Keys {
        user,
        service: or_demo(secret_from_env("CONSENT_SERVICE_SECRET")?),
        staff: or_demo(secret_from_env("CONSENT_STAFF_SECRET")?),
        server: server_keys(demo)?,
    })
}

/// `CONSENT_RECEIPT_KEY`; `--demo` makes one and keeps it in its database instead.
pub(super) fn receipt_key(demo: bool) -> Result<Option<ReceiptKey>, String> {
    const NAME: &str = "CONSENT_RECEIPT_KEY";
    match (std::env::var(NAME).ok(), demo) {
        (Some(_), true) => Err(format!(
            "refusing to start: --demo signs receipts with a key of its own; unset {NAME}"
        )),
        (Some(seed), false) => ReceiptKey::from_seed_hex(&seed)
            .map(Some)
            .map_err(|e| format!("{NAME}: {e}")),
        (None, true) => Ok(None),
        (None, false) => Err(format!(
            "set {NAME}, the Ed25519 key that signs consent receipts (`consent-server receipt key` makes one)"
        )),
    }
}
