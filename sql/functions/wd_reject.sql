-- Admin: refuses a withdrawal not sent yet; the amount goes back to the
-- user (a refund transfer) and the user's history says so.
CREATE OR REPLACE FUNCTION wd_reject(p_id bigint, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	w	withdrawals%ROWTYPE;
BEGIN
	UPDATE withdrawals SET status = 'rejected', error = left(p_reason, 300)
	WHERE id = p_id AND status IN ('approval', 'queued')
	RETURNING * INTO w;
	IF w.id IS NULL THEN
		RAISE EXCEPTION 'withdrawal % is not waiting (sending or sent '
		    'ones cannot be rejected)', p_id;
	END IF;
	INSERT INTO ledger_transfers (debit_account, credit_account, amount,
	    kind, reference)
	SELECT (SELECT id FROM ledger_accounts WHERE kind = 'withdrawals'),
	    a.id, w.amount, 'withdrawal_refund', 'wd:' || w.id
	FROM ledger_accounts a WHERE a.user_id = w.user_id;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (w.user_id, 'withdrawal_rejected', format('#%s: %s sat back '
	    'to your balance: %s', w.id, w.amount, left(p_reason, 200)));
	RETURN format('withdrawal %s rejected, %s sat refunded', w.id,
	    w.amount);
END;
$$;
