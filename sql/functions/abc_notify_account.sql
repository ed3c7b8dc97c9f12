-- Notifies abc_account with the user_id of every row a statement changed,
-- once each.  A statement trigger (issue 12): a purchase writes two
-- account_events rows and changes two balances, and a batch of purchases
-- is one statement per table (camp_purchase_many), so per row this was
-- four PL/pgSQL calls and four pg_notify statements a purchase, a tenth
-- of its time in PostgreSQL; now it is one per statement.  Each trigger
-- names its transition table "changed" (the new rows of an INSERT or
-- UPDATE, the old rows of a DELETE): PostgreSQL allows a transition table
-- only on a trigger of one event, hence three triggers a table.
-- PostgreSQL folds equal notifications of a transaction into one.
CREATE OR REPLACE FUNCTION abc_notify_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('abc_account', u.user_id::text)
	FROM (SELECT DISTINCT c.user_id FROM changed c
	    WHERE c.user_id IS NOT NULL) u;
	RETURN NULL;
END;
$$;

-- Every table whose rows acct_overview shows.
DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY ARRAY['ledger_accounts', 'deposits',
	    'deposit_addresses', 'account_events', 'withdrawals'] LOOP
		-- The row trigger of before issue 12.
		EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I',
		    t || '_notify', t);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %I '
		    'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
		    'EXECUTE FUNCTION abc_notify_account()', t || '_notify_ins', t);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER UPDATE ON %I '
		    'REFERENCING NEW TABLE AS changed FOR EACH STATEMENT '
		    'EXECUTE FUNCTION abc_notify_account()', t || '_notify_upd', t);
		EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER DELETE ON %I '
		    'REFERENCING OLD TABLE AS changed FOR EACH STATEMENT '
		    'EXECUTE FUNCTION abc_notify_account()', t || '_notify_del', t);
	END LOOP;
END;
$$;
