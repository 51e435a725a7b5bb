use consent_core::Timestamp;

/// Now, in the form the ledger stores.
pub fn now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    Timestamp(since_epoch.as_millis() as i64)
}
