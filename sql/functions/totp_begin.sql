-- A new 2FA secret for p_user, pending (not enabled) until totp_enable;
-- it replaces an earlier pending one.  'on' when 2FA is on already (the
-- secret in use is never replaced this way), else 'ok'.
CREATE OR REPLACE FUNCTION totp_begin(p_user bigint, p_secret bytea)
    RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO user_totp (user_id, secret) VALUES (p_user, p_secret)
	ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret,
	    last_step = 0, created_at = now()
	WHERE NOT user_totp.enabled;
	IF NOT FOUND THEN
		RETURN 'on';
	END IF;
	RETURN 'ok';
END;
$$;
