-- requires: acct_session
-- The user of a session token, as acct_session gives it, for a function
-- that needs only the id (camp_purchase): one primary-key probe of
-- user_sessions, and the renewing UPDATE only when acct_session would
-- write (more than a tenth of the session's life used up).  acct_session
-- joins users for the name and runs its UPDATE as a CTE on every call
-- (profiled under row d2 of tests/bench/run.sh: 60 us of a purchase's
-- 620 us in PostgreSQL; this path costs a few).  A token that is no
-- session is asked of acct_session, which knows API keys.  NULL when the
-- token stands for nobody.
CREATE OR REPLACE FUNCTION acct_session_user(p_token_hash bytea,
    p_ttl_s integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	uid	bigint;
	exp	timestamptz;
BEGIN
	SELECT s.user_id, s.expires_at INTO uid, exp FROM user_sessions s
	WHERE s.token_hash = p_token_hash AND s.expires_at > now();
	IF uid IS NULL THEN
		SELECT a.user_id INTO uid
		FROM acct_session(p_token_hash, p_ttl_s) a;
		RETURN uid;
	END IF;
	IF exp < now() + make_interval(secs => p_ttl_s * 9 / 10) THEN
		UPDATE user_sessions s
		SET expires_at = now() + make_interval(secs => p_ttl_s)
		WHERE s.token_hash = p_token_hash AND s.expires_at > now()
		    AND s.expires_at < now() +
		    make_interval(secs => p_ttl_s * 9 / 10);
	END IF;
	RETURN uid;
END;
$$;
