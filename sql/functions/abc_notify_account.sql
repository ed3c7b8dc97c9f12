-- Notifies abc_account with the user_id of the row changed.
CREATE OR REPLACE FUNCTION abc_notify_account() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	uid	bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		uid := OLD.user_id;
	ELSE
		uid := NEW.user_id;
	END IF;
	IF uid IS NOT NULL THEN
		PERFORM pg_notify('abc_account', uid::text);
	END IF;
	RETURN NULL;
END;
$$;

-- Every table whose rows acct_overview shows.
CREATE OR REPLACE TRIGGER ledger_accounts_notify AFTER INSERT OR UPDATE OR DELETE
    ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE OR REPLACE TRIGGER deposits_notify AFTER INSERT OR UPDATE OR DELETE
    ON deposits FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE OR REPLACE TRIGGER deposit_addresses_notify AFTER INSERT OR UPDATE OR DELETE
    ON deposit_addresses FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE OR REPLACE TRIGGER account_events_notify AFTER INSERT OR UPDATE OR DELETE
    ON account_events FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE OR REPLACE TRIGGER withdrawals_notify AFTER INSERT OR UPDATE OR DELETE
    ON withdrawals FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
