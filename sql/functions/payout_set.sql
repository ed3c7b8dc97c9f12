-- requires: request_log_find
-- requires: totp_consume
-- requires: totp_refusal

-- Saves the user's payout address, exactly once per request identity and
-- idempotency key, with the 2FA code's step when 2FA is on.  The first
-- address just saves; a change also freezes withdrawals for p_freeze_s
-- seconds and says so in the timeline, so that whoever took over a
-- session cannot redirect the money before the owner sees it.
CREATE OR REPLACE FUNCTION payout_set(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_address text,
    p_freeze_s bigint, p_step bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	v	text;
	old	text;
	till	timestamptz;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'payout_set');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	v := totp_consume(p_user, p_step, NULL);
	IF v NOT IN ('ok', 'off') THEN
		r := totp_refusal(v);
	ELSE
		SELECT payout_address INTO old FROM users
		WHERE id = p_user FOR UPDATE;
		IF old IS NOT DISTINCT FROM p_address THEN
			r := jsonb_build_object('ok', true, 'changed', false);
		ELSIF old IS NULL THEN
			UPDATE users SET payout_address = p_address
			WHERE id = p_user;
			INSERT INTO account_events (user_id, kind, detail)
			VALUES (p_user, 'payout_address', format(
			    'payout address set to %s', p_address));
			r := jsonb_build_object('ok', true, 'changed', true);
		ELSE
			till := now() + make_interval(secs => p_freeze_s);
			UPDATE users SET payout_address = p_address,
			    payout_frozen_until = till
			WHERE id = p_user;
			INSERT INTO account_events (user_id, kind, detail)
			VALUES (p_user, 'payout_address', format(
			    'payout address changed to %s; withdrawals '
			    'frozen until %s', p_address,
			    to_char(till AT TIME ZONE 'UTC',
			    'YYYY-MM-DD HH24:MI:SS "UTC"')));
			r := jsonb_build_object('ok', true, 'changed', true,
			    'frozen_until_ms', (extract(epoch FROM till)
			    * 1000)::bigint);
		END IF;
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'payout_set', r);
	RETURN r::text;
END;
$$;
