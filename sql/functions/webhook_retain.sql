-- Webhook history retention (worker/retention.c calls it): deliveries that
-- ended (sent, or failed for good) over p_days days ago, then events over
-- p_days days old that no delivery refers to any more, at most p_limit of
-- each per call so that a backlog goes in short transactions.  A pending
-- delivery is never removed, however old: it still has a receiver to
-- reach.  Returns how many rows went, deliveries and events together.
CREATE OR REPLACE FUNCTION webhook_retain(p_days integer, p_limit integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	cutoff	timestamptz := now() - make_interval(days => p_days);
	gone_d	bigint;
	gone_e	bigint;
BEGIN
	DELETE FROM webhook_deliveries d
	WHERE d.id IN (SELECT o.id FROM webhook_deliveries o
	    WHERE o.status <> 'pending'
	      AND coalesce(o.last_at, o.next_at) < cutoff
	    ORDER BY coalesce(o.last_at, o.next_at)
	    LIMIT p_limit);
	GET DIAGNOSTICS gone_d = ROW_COUNT;
	DELETE FROM webhook_events e
	WHERE e.id IN (SELECT o.id FROM webhook_events o
	    WHERE o.created_at < cutoff
	      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
	        WHERE d.event_id = o.id)
	    ORDER BY o.created_at
	    LIMIT p_limit);
	GET DIAGNOSTICS gone_e = ROW_COUNT;
	RETURN gone_d + gone_e;
END;
$$;
