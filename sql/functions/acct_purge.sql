-- Purging the history deletes its events, never a ledger row.
CREATE OR REPLACE FUNCTION acct_purge(p_user bigint) RETURNS void
LANGUAGE sql AS $$
	DELETE FROM account_events WHERE user_id = p_user;
	INSERT INTO account_events (user_id, kind) VALUES (p_user, 'history_purge');
$$;
