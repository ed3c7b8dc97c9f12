-- p_user's webhook endpoints, newest first, each with its secret and its
-- last p_n deliveries (the delivery log of the account page), as JSON.
CREATE OR REPLACE FUNCTION webhook_list(p_user bigint, p_n integer)
    RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'url', p.url,
	    'secret', p.secret, 'created_at', floor(extract(epoch FROM
	    p.created_at))::bigint, 'deliveries', (SELECT coalesce(jsonb_agg(
	    jsonb_build_object('id', d.id, 'delivery', d.delivery,
	    'kind', e.kind, 'status', d.status, 'attempts', d.attempts,
	    'last_status', d.last_status, 'last_error', d.last_error,
	    'last_at', floor(extract(epoch FROM d.last_at))::bigint,
	    'created_at', floor(extract(epoch FROM e.created_at))::bigint)
	    ORDER BY d.id DESC), '[]') FROM (SELECT * FROM webhook_deliveries x
	    WHERE x.endpoint_id = p.id ORDER BY x.id DESC LIMIT p_n) d
	    JOIN webhook_events e ON e.id = d.event_id))
	    ORDER BY p.id DESC), '[]')::text
	FROM webhook_endpoints p WHERE p.user_id = p_user;
$$;
