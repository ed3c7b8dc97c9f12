-- requires: camp_state_slots

-- The newest campaigns for the home page, each with the slot on display,
-- the next one (abc-web keeps the list up to 5 s, so the next may be on
-- display before it asks again) and the last purchase (which sets the
-- price); never the whole queue, which buyers make as long as they pay
-- for: t_082_home_bounded's 50 campaigns with 5 queued slots of an ad at
-- its longest made a reply over the link's 1 MiB frame, and the home page
-- failed for everyone.  Now at most 3 slots of at most about 5 KB each.
CREATE OR REPLACE FUNCTION camp_list(p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('id', c.id,
	    'name', c.name, 'width', c.width, 'height', c.height,
	    'min_price', c.min_price, 'slot_ms', c.slot_ms,
	    'slots_sold', c.slots_sold,
	    'slots', camp_state_slots(c.id, 1000, t.now_ms, 2))
	    ORDER BY c.id DESC), '[]'::jsonb)::text
	FROM (SELECT * FROM campaigns ORDER BY id DESC LIMIT p_limit) c,
	    (SELECT (extract(epoch FROM now()) * 1000)::bigint AS now_ms) t;
$$;
