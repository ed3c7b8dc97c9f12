-- A withdrawal request, exactly once per request identity and idempotency
-- key: the debit, the row and the event, or the stored reply.  The inner
-- block is a savepoint: a refused request stores its reply only.  Funds
-- still held (wd_limits: deposits short of hold_confs confirmations) are
-- refused; a request above p_approval_above, or taking the user's last
-- 24 h past day_limit, waits for an admin's approval.  The user's ledger
-- row is locked first, so two requests are judged one after the other.
CREATE OR REPLACE FUNCTION wd_request(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_user bigint, p_address text, p_amount bigint,
    p_approval_above bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	wid	bigint;
	st	text;
	src	bigint;
	dst	bigint;
	lim	record;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'withdraw');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	PERFORM 1 FROM ledger_accounts WHERE user_id = p_user FOR UPDATE;
	SELECT * INTO lim FROM wd_limits(p_user);
	IF p_amount <= lim.balance AND p_amount > lim.balance - lim.held THEN
		r := jsonb_build_object('ok', false, 'code', 'held',
		    'error', format('%s BTC of your balance is from deposits '
		    'with fewer than %s confirmations; you can withdraw up to '
		    '%s BTC now.', to_char(lim.held::numeric / 100000000,
		    'FM99999990.00000000'), lim.hold_confs,
		    to_char((lim.balance - lim.held)::numeric / 100000000,
		    'FM99999990.00000000')));
		INSERT INTO request_log (client_id, epoch, req_no, idem_key,
		    user_id, op, reply)
		VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'withdraw', r);
		RETURN r::text;
	END IF;
	st := CASE WHEN p_amount > p_approval_above OR
	    lim.day_used + p_amount > lim.day_limit THEN 'approval'
	    ELSE 'queued' END;
	BEGIN
		INSERT INTO withdrawals (user_id, address, amount, status,
		    approval_needed)
		VALUES (p_user, p_address, p_amount, st, st = 'approval')
		RETURNING id INTO wid;
		SELECT id INTO src FROM ledger_accounts WHERE user_id = p_user;
		SELECT id INTO dst FROM ledger_accounts
		WHERE kind = 'withdrawals';
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		VALUES (src, dst, p_amount, 'withdrawal', 'wd:' || wid);
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'withdrawal', format('#%s: %s sat to %s%s',
		    wid, p_amount, p_address, CASE WHEN st = 'approval'
		    THEN ' (waits for approval)' ELSE '' END));
		r := jsonb_build_object('ok', true, 'id', wid,
		    'status', st, 'amount', p_amount);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'funds',
		    'error', 'Your balance is too low for this amount.');
	END;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'withdraw', r);
	RETURN r::text;
END;
$$;
