-- The outcome of one attempt at delivery p_id: sent (p_ok), or failed with
-- the HTTP status (0: none) and why; then due again in p_next_ms, or
-- given up ('failed') when p_next_ms < 0 (the schedule is the sender's:
-- worker/webhook.c webhook_backoff_ms).
CREATE OR REPLACE FUNCTION webhook_attempted(p_id bigint, p_ok boolean,
    p_status integer, p_error text, p_next_ms bigint) RETURNS void
LANGUAGE sql AS $$
	UPDATE webhook_deliveries SET attempts = attempts + 1,
	    last_at = now(), last_status = nullif(p_status, 0),
	    last_error = CASE WHEN p_ok THEN NULL ELSE left(p_error, 200) END,
	    status = CASE WHEN p_ok THEN 'sent' WHEN p_next_ms < 0
		THEN 'failed' ELSE 'pending' END,
	    next_at = CASE WHEN p_ok OR p_next_ms < 0 THEN next_at
		ELSE now() + make_interval(secs => p_next_ms / 1000.0) END
	WHERE id = p_id AND status = 'pending';
$$;
