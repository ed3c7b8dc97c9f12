-- requires: request_log_find

-- Turns 2FA on, exactly once per request identity and idempotency key:
-- the pending secret (totp_begin) becomes the user's, p_step (the code
-- typed, matched by abc-worker) is its first accepted step, and the
-- recovery codes' SHA-256s (p_hashes: hex, comma-separated) replace any
-- older ones.  The stored reply never holds the codes themselves; the
-- returned one says "fresh" so abc-worker adds them only then.
CREATE OR REPLACE FUNCTION totp_enable(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_step bigint, p_hashes text)
    RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'totp_enable');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	UPDATE user_totp SET enabled = true, last_step = p_step
	WHERE user_id = p_user AND NOT enabled AND last_step < p_step;
	IF NOT FOUND THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_code',
		    'error', 'Two-factor login is on already, or this setup '
		    'ended; start again from your account page.');
	ELSE
		DELETE FROM totp_recovery WHERE user_id = p_user;
		INSERT INTO totp_recovery (user_id, code_hash)
		SELECT p_user, decode(h, 'hex')
		FROM unnest(string_to_array(p_hashes, ',')) AS h;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'totp_on', 'two-factor login turned on');
		r := jsonb_build_object('ok', true);
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'totp_enable', r);
	IF (r->>'ok')::boolean THEN
		RETURN (r || '{"fresh": true}')::text;
	END IF;
	RETURN r::text;
END;
$$;
