-- Sent: the txid bitcoind gave (or the wallet showed), and an event.
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
	END IF;
END;
$$;
