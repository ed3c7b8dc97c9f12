-- requires: camp_state_slots

-- A campaign's state as the price formula needs it, as JSON text: its
-- parameters and its last 200 slots (oldest first).
CREATE OR REPLACE FUNCTION camp_state(p_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'seller', c.seller_id,
	    'seller_name', u.username, 'name', c.name,
	    'description', c.description, 'width', c.width,
	    'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    -- issue 15: the share of a slot's time its embed may go unfetched
	    -- before the slot is refunded (100: never), as liveness_judge
	    'liveness_pct', coalesce(c.liveness_pct, CASE WHEN c.slot_ms >=
	    60000 THEN 50 ELSE 100 END),
	    'slots', camp_state_slots(c.id, 200, 0))::text
	FROM campaigns c JOIN users u ON u.id = c.seller_id
	WHERE c.id = p_id;
$$;
