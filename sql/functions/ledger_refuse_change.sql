-- Transfers are immutable: mistakes are corrected by new transfers.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger_transfers rows are immutable';
END;
$$;

CREATE OR REPLACE TRIGGER ledger_transfers_immutable
    BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
