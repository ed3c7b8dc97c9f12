-- The payer: the next withdrawal to send, marked 'sending' (the intent)
-- in the caller's transaction, which commits before bitcoind is called.
-- No row: nothing to send.
CREATE OR REPLACE FUNCTION wd_take() RETURNS TABLE (id bigint, address text,
    amount bigint)
LANGUAGE sql AS $$
	UPDATE withdrawals w SET status = 'sending', attempt_at = now()
	WHERE w.id = (SELECT q.id FROM withdrawals q
	    WHERE q.status = 'queued'
	    AND (q.not_before IS NULL OR q.not_before <= now())
	    ORDER BY q.id LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING w.id, w.address, w.amount;
$$;
