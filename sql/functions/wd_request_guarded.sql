-- requires: request_log_find
-- requires: totp_consume
-- requires: totp_refusal
-- requires: wd_request

-- A withdrawal request behind the payout guards, exactly once per request
-- identity and idempotency key: refused while a payout address change
-- freezes withdrawals ('frozen', with frozen_until_ms), to any address
-- but the saved one when one is saved ('payout_address'), and without
-- the 2FA code's step when 2FA is on; else wd_request.  The user's row
-- is locked first, so a payout address change and a withdrawal are
-- judged one after the other.
CREATE OR REPLACE FUNCTION wd_request_guarded(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_address text,
    p_amount bigint, p_approval_above bigint, p_step bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	u	record;
	v	text;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'withdraw');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	SELECT payout_address, payout_frozen_until INTO u FROM users
	WHERE id = p_user FOR UPDATE;
	IF u.payout_frozen_until > now() THEN
		r := jsonb_build_object('ok', false, 'code', 'frozen',
		    'error', format('Withdrawals are frozen until %s because '
		    'your payout address changed.',
		    to_char(u.payout_frozen_until AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS "UTC"')),
		    'frozen_until_ms',
		    (extract(epoch FROM u.payout_frozen_until) * 1000)::bigint);
	ELSIF u.payout_address IS NOT NULL AND
	    u.payout_address <> p_address THEN
		r := jsonb_build_object('ok', false, 'code', 'payout_address',
		    'error', format('Withdrawals go only to your saved payout '
		    'address, %s.', u.payout_address));
	ELSE
		v := totp_consume(p_user, p_step, NULL);
		IF v IN ('ok', 'off') THEN
			RETURN wd_request(p_client, p_epoch, p_req, p_idem,
			    p_user, p_address, p_amount, p_approval_above);
		END IF;
		r := totp_refusal(v);
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'withdraw', r);
	RETURN r::text;
END;
$$;
