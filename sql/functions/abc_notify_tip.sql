-- Notifies abc_account with '*' when the tip height moves.
CREATE OR REPLACE FUNCTION abc_notify_tip() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.height IS DISTINCT FROM OLD.height THEN
		PERFORM pg_notify('abc_account', '*');
	END IF;
	RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER chain_cursor_notify AFTER INSERT OR UPDATE ON chain_cursor
    FOR EACH ROW EXECUTE FUNCTION abc_notify_tip();
