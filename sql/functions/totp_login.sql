-- requires: totp_consume
-- requires: acct_login

-- The second step of a login with 2FA: the pending login p_pending (a
-- right password, a few minutes ago) and the code's step or a recovery
-- code's hash.  'ok': the pending login is gone and the session
-- p_session exists.  'expired': no such pending login (too old, too many
-- wrong codes, or used).  Else totp_consume's verdict, and a wrong try
-- counted: the fifth ends the pending login.
CREATE OR REPLACE FUNCTION totp_login(p_pending bytea, p_step bigint,
    p_recovery bytea, p_session bytea, p_ttl_s integer, p_addr text)
    RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	u	bigint;
	v	text;
BEGIN
	SELECT user_id INTO u FROM login_pending
	WHERE token_hash = p_pending AND expires_at > now() FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'expired';
	END IF;
	v := totp_consume(u, p_step, p_recovery);
	IF v NOT IN ('ok', 'off') THEN
		UPDATE login_pending SET tries = tries + 1
		WHERE token_hash = p_pending;
		DELETE FROM login_pending
		WHERE token_hash = p_pending AND tries >= 5;
		RETURN v;
	END IF;
	DELETE FROM login_pending WHERE token_hash = p_pending;
	PERFORM acct_login(u, p_session, p_ttl_s, p_addr);
	RETURN 'ok';
END;
$$;
