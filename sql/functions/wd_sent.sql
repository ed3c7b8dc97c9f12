-- Sent: the txid bitcoind gave (or the wallet showed), an event, and the
-- user's webhooks hear of it (webhook_event).
CREATE OR REPLACE FUNCTION wd_sent(p_id bigint, p_txid text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	w	withdrawals%ROWTYPE;
BEGIN
	UPDATE withdrawals SET status = 'sent', txid = p_txid,
	    sent_at = now(), error = NULL
	WHERE id = p_id AND status = 'sending' RETURNING * INTO w;
	IF w.id IS NOT NULL THEN
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (w.user_id, 'withdrawal_sent', format('#%s: %s sat in %s',
		    w.id, w.amount, p_txid));
		PERFORM webhook_event(w.user_id, 'withdrawal_sent',
		    jsonb_build_object('withdrawal', w.id, 'address', w.address,
		    'amount', w.amount, 'txid', p_txid));
	END IF;
END;
$$;
