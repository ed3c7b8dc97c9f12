-- requires: request_log_find
-- requires: totp_consume
-- requires: totp_refusal

-- Turns 2FA off with a code or a recovery code, exactly once per request
-- identity and idempotency key: the secret and the recovery codes go.
CREATE OR REPLACE FUNCTION totp_disable(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_step bigint,
    p_recovery bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	v	text;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'totp_disable');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	v := totp_consume(p_user, p_step, p_recovery);
	IF v = 'ok' THEN
		DELETE FROM totp_recovery WHERE user_id = p_user;
		DELETE FROM user_totp WHERE user_id = p_user;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'totp_off', 'two-factor login turned off');
		r := jsonb_build_object('ok', true);
	ELSIF v = 'off' THEN
		r := jsonb_build_object('ok', true);
	ELSE
		r := totp_refusal(v);
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'totp_disable', r);
	RETURN r::text;
END;
$$;
