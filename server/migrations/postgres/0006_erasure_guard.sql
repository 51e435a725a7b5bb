-- The ledger stays append-only, except for a chain being erased under 2.5 (`erasing`), which
-- the erasure writes, with its signed proof, in the same transaction.
CREATE FUNCTION ledger_delete_only_erasing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM erasing WHERE subject = OLD.subject) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the ledger is append-only';
END; $$;
DROP TRIGGER ledger_no_change ON ledger;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
FOR EACH ROW EXECUTE FUNCTION ledger_delete_only_erasing();
