-- A withdrawal request, exactly once per request identity and idempotency
-- key: the debit, the row and the event, or the stored reply.  The inner
-- block is a savepoint: a refused request stores its reply only.
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
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'withdraw');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	st := CASE WHEN p_amount > p_approval_above THEN 'approval'
	    ELSE 'queued' END;
	BEGIN
		INSERT INTO withdrawals (user_id, address, amount, status)
		VALUES (p_user, p_address, p_amount, st)
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
