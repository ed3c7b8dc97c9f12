-- The session of a token, renewed (written) only when more than a tenth
-- of its life is used up; no row when it is unknown or expired.
-- PL/pgSQL, not SQL: a SQL function with a writable CTE is never inlined
-- and is planned again on every call (measured: most of a purchase's
-- database time went there); PL/pgSQL keeps its plan for the session.
-- Issue 15: when no session has this hash, an API key that is not revoked
-- stands for its owner (abc-worker sends a key's hash only for the ops the
-- API serves, worker/req_account.c); its last_used_at is written at most
-- once a minute.  The two hash spaces cannot meet: a session hashes 32
-- random bytes, a key the 47 characters "abc_...".
CREATE OR REPLACE FUNCTION acct_session(p_token_hash bytea, p_ttl_s integer)
RETURNS TABLE (user_id bigint, username text, expires_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	WITH renewed AS (
		UPDATE user_sessions s
		SET expires_at = now() + make_interval(secs => p_ttl_s)
		WHERE s.token_hash = p_token_hash AND s.expires_at > now()
		    AND s.expires_at < now() +
		    make_interval(secs => p_ttl_s * 9 / 10)
		RETURNING s.token_hash, s.expires_at)
	SELECT s.user_id, u.username, coalesce(r.expires_at, s.expires_at)
	FROM user_sessions s JOIN users u ON u.id = s.user_id
	LEFT JOIN renewed r ON r.token_hash = s.token_hash
	WHERE s.token_hash = p_token_hash AND s.expires_at > now();
	IF FOUND THEN
		RETURN;
	END IF;
	UPDATE api_keys k SET last_used_at = now()
	WHERE k.key_hash = p_token_hash AND k.revoked_at IS NULL
	    AND (k.last_used_at IS NULL OR
	    k.last_used_at < now() - interval '1 minute');
	RETURN QUERY
	SELECT k.user_id, u.username, now() + make_interval(secs => p_ttl_s)
	FROM api_keys k JOIN users u ON u.id = k.user_id
	WHERE k.key_hash = p_token_hash AND k.revoked_at IS NULL;
END;
$$;
