-- Ends every session of a user but, optionally, one.
CREATE OR REPLACE FUNCTION acct_logout_all(p_user bigint, p_keep bytea, p_kind text)
RETURNS void
LANGUAGE sql AS $$
	DELETE FROM user_sessions
	WHERE user_id = p_user AND token_hash IS DISTINCT FROM p_keep;
	INSERT INTO account_events (user_id, kind) SELECT p_user, p_kind
	WHERE p_kind IS NOT NULL;
$$;
