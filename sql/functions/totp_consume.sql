-- The one check of a second factor, for every request that asks for it
-- (login, withdrawals, the payout address, turning 2FA off, and API-key
-- creation: call it inside the request's own transaction, after
-- request_log_find).  abc-worker has already matched the typed code to
-- p_step (common/totp.c); this makes the step count once: it must be
-- newer than the last one accepted, which it becomes.  Or p_recovery, the
-- SHA-256 of a recovery code, which is spent.  Answers 'off' (2FA is not
-- on: nothing asked), 'ok', 'used' (that step or a newer one was
-- accepted already), 'bad' (no such unused recovery code) or 'needed'
-- (2FA is on and nothing was given).
CREATE OR REPLACE FUNCTION totp_consume(p_user bigint, p_step bigint,
    p_recovery bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	t	record;
BEGIN
	SELECT enabled, last_step INTO t FROM user_totp
	WHERE user_id = p_user FOR UPDATE;
	IF NOT FOUND OR NOT t.enabled THEN
		RETURN 'off';
	END IF;
	IF p_step IS NOT NULL THEN
		IF p_step <= t.last_step THEN
			RETURN 'used';
		END IF;
		UPDATE user_totp SET last_step = p_step WHERE user_id = p_user;
		RETURN 'ok';
	END IF;
	IF p_recovery IS NOT NULL THEN
		UPDATE totp_recovery SET used_at = now()
		WHERE user_id = p_user AND code_hash = p_recovery
		    AND used_at IS NULL;
		IF NOT FOUND THEN
			RETURN 'bad';
		END IF;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'totp_recovery_used', format('%s left',
		    (SELECT count(*) FROM totp_recovery
		    WHERE user_id = p_user AND used_at IS NULL)));
		RETURN 'ok';
	END IF;
	RETURN 'needed';
END;
$$;
