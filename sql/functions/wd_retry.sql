-- Not sent (bitcoind refused, or the wallet shows no such payment):
-- queued again, not before p_retry_s seconds, with the reason.
CREATE OR REPLACE FUNCTION wd_retry(p_id bigint, p_error text, p_retry_s integer)
RETURNS void
LANGUAGE sql AS $$
	UPDATE withdrawals SET status = 'queued', error = left(p_error, 300),
	    attempt_at = NULL,
	    not_before = now() + make_interval(secs => p_retry_s)
	WHERE id = p_id AND status = 'sending';
$$;
