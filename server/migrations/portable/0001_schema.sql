-- The whole schema as of the first release. Types are the ones both dialects read alike: TEXT,
-- and BIGINT for numbers, times (Unix milliseconds) and booleans (0/1).

CREATE TABLE editions (
    version TEXT NOT NULL,
    language TEXT NOT NULL,
    published TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (version, language)
);

-- Each record carries a keyed hash of its fields and of the subject's previous record.
-- Where a request came from is kept apart, in `origins`, which the retention purge empties
-- (2.5); the record keeps only a keyed hash of it.
CREATE TABLE ledger (
    subject TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    origin_ref TEXT,
    PRIMARY KEY (subject, seq)
);
CREATE TABLE origins (
    ref TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX origins_by_subject ON origins (subject);

-- Idempotency: UI event ids, and the answers to writes sent with an Idempotency-Key, per subject.
CREATE TABLE events (
    subject TEXT NOT NULL,
    event_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (subject, event_id)
);
CREATE TABLE idempotency (
    subject TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (subject, idempotency_key)
);

-- The current state beside the ledger, kept in the same transaction as the record that
-- explains each change.
CREATE TABLE consent_state (
    subject TEXT NOT NULL,
    purpose TEXT NOT NULL,
    granted BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (subject, purpose)
);
CREATE TABLE acceptances (
    subject TEXT PRIMARY KEY,
    edition TEXT NOT NULL,
    method TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE TABLE activity (
    subject TEXT PRIMARY KEY,
    last_seen BIGINT NOT NULL
);
CREATE TABLE device_links (
    device TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    linked_at BIGINT NOT NULL
);
CREATE TABLE subject_data (
    user_id TEXT NOT NULL,
    category TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,
    since BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, category)
);
CREATE TABLE withdrawals (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL,
    language TEXT NOT NULL,
    purposes TEXT NOT NULL,
    application TEXT NOT NULL
);
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    staff TEXT NOT NULL,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);

-- Signed digests of every chain's head: what catches records cut off a chain's end.
CREATE TABLE checkpoints (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    heads TEXT NOT NULL,
    digest TEXT NOT NULL,
    signature TEXT NOT NULL
);
