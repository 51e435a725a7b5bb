-- The end of a user's agreement, as the company's systems report it: the clock of 2.5.
CREATE TABLE agreements (
    user_id TEXT PRIMARY KEY,
    ended_at BIGINT NOT NULL,
    reported_at BIGINT NOT NULL
);
CREATE INDEX agreements_by_end ON agreements (ended_at);

-- What is left of a chain erased under 2.5: a signed, anonymous proof that consent existed.
-- `anon` is a keyed hash of the subject (the same one the checkpoints hold), not reversible
-- without the server's secret.
CREATE TABLE erasures (
    anon TEXT PRIMARY KEY,
    erased_at BIGINT NOT NULL,
    records BIGINT NOT NULL,
    first_at BIGINT,
    last_at BIGINT,
    head_hash TEXT NOT NULL,
    summary TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- A chain being erased, for the length of the erasing transaction: the only time the ledger's
-- guard lets its rows go.
CREATE TABLE erasing (
    subject TEXT PRIMARY KEY
);
