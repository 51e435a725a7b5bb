-- Unusual staff access (3.2.2, 3.5), for a privacy officer to look into within a business day.
-- `staff` names the member of staff when known; `source` is a keyed hash of the network
-- address, never the address itself.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    staff TEXT,
    source TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX alerts_by_time ON alerts (at);
CREATE INDEX audit_log_by_staff ON audit_log (staff, at);
