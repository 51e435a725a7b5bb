-- A user erased under 2.5 who comes back starts a new chain, which may in time be erased too:
-- one signed erasure per chain, so a subject's anonymous key may have several, told apart by
-- when each was made.
CREATE TABLE erasures_per_chain (
    anon TEXT NOT NULL,
    erased_at BIGINT NOT NULL,
    records BIGINT NOT NULL,
    first_at BIGINT,
    last_at BIGINT,
    head_hash TEXT NOT NULL,
    summary TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (anon, erased_at)
);
INSERT INTO erasures_per_chain (anon, erased_at, records, first_at, last_at, head_hash, summary, signature)
    SELECT anon, erased_at, records, first_at, last_at, head_hash, summary, signature FROM erasures;
DROP TABLE erasures;
ALTER TABLE erasures_per_chain RENAME TO erasures;
