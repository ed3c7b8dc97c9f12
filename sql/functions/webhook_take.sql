-- Up to p_limit due deliveries for the sender, oldest due first, each with
-- its endpoint and the body to send (sent_at: this attempt's time, for
-- receivers that refuse replays).  Taking one puts its next_at p_hold_s
-- ahead: if this worker dies while sending, it is due again then (at
-- least once; receivers deduplicate by "delivery").  At most
-- p_per_endpoint of one endpoint: a dead endpoint with a backlog never
-- holds back the others' deliveries.
CREATE OR REPLACE FUNCTION webhook_take(p_limit integer,
    p_per_endpoint integer, p_hold_s integer)
    RETURNS TABLE (id bigint, delivery uuid, kind text, url text,
    secret text, attempts integer, body text)
LANGUAGE sql AS $$
	WITH t AS (
		UPDATE webhook_deliveries d
		SET next_at = now() + make_interval(secs => p_hold_s)
		WHERE d.id IN (SELECT y.id FROM (SELECT x.id, x.next_at,
		    row_number() OVER (PARTITION BY x.endpoint_id
		    ORDER BY x.next_at, x.id) AS k
		    FROM webhook_deliveries x
		    WHERE x.status = 'pending' AND x.next_at <= now()) y
		    WHERE y.k <= p_per_endpoint
		    ORDER BY y.next_at, y.id LIMIT p_limit)
		RETURNING d.id, d.delivery, d.event_id, d.endpoint_id, d.attempts)
	SELECT t.id, t.delivery, e.kind, p.url, p.secret, t.attempts,
	    jsonb_build_object('delivery', t.delivery, 'event', e.id,
	    'kind', e.kind, 'created_at', floor(extract(epoch FROM
	    e.created_at))::bigint, 'sent_at', floor(extract(epoch FROM
	    now()))::bigint, 'data', e.data)::text
	FROM t JOIN webhook_events e ON e.id = t.event_id
	JOIN webhook_endpoints p ON p.id = t.endpoint_id
	ORDER BY t.id;
$$;
