-- Each edition's exact Markdown source per language: what a receipt's notice hash covers, and
-- what anyone may fetch to recompute it.
CREATE TABLE edition_sources (
    version TEXT NOT NULL,
    language TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (version, language)
);

-- Every key that has signed receipts, so that receipts signed before a key was replaced still
-- verify (`GET /v1/receipts/jwks.json`). `seed` only for the key `--demo` makes and keeps.
CREATE TABLE receipt_keys (
    kid TEXT PRIMARY KEY,
    x TEXT NOT NULL,
    seed TEXT,
    added_at BIGINT NOT NULL
);

-- The signed receipts, for the user to download again from "my data".
CREATE TABLE receipts (
    receipt_id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL,
    jws TEXT NOT NULL
);
CREATE INDEX receipts_by_subject ON receipts (subject);
