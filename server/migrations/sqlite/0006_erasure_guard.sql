-- The ledger stays append-only, except for a chain being erased under 2.5 (`erasing`), which
-- the erasure writes, with its signed proof, in the same transaction.
DROP TRIGGER ledger_no_delete;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
WHEN NOT EXISTS (SELECT 1 FROM erasing WHERE subject = OLD.subject)
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
