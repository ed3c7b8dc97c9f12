-- A successful login: a new session and a history event with the address.
CREATE OR REPLACE FUNCTION acct_login(p_user bigint, p_token_hash bytea,
    p_ttl_s integer, p_addr text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO user_sessions (token_hash, user_id, expires_at, client_addr)
	VALUES (p_token_hash, p_user,
	    now() + make_interval(secs => p_ttl_s), left(p_addr, 64));
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (p_user, 'login', 'from ' || left(p_addr, 64));
	DELETE FROM user_sessions WHERE expires_at < now();
$$;
