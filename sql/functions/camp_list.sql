-- requires: camp_state_slots

-- The newest campaigns for the home page, each with only the slots on
-- display or queued and the last purchase (which sets the price).
CREATE OR REPLACE FUNCTION camp_list(p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id,
	    'name', c.name, 'width', c.width, 'height', c.height,
	    'min_price', c.min_price, 'slot_ms', c.slot_ms,
	    'slots_sold', c.slots_sold,
	    'slots', camp_state_slots(c.id, 1000,
		(extract(epoch FROM now()) * 1000)::bigint))
	    ORDER BY c.id DESC), '[]'::jsonb)::text
	FROM (SELECT * FROM campaigns ORDER BY id DESC LIMIT p_limit) c;
$$;
