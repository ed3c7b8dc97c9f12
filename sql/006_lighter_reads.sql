-- Campaign reads that stay small however long a campaign lives: a page
-- needs the slots still to come (the queue), the one on display and, for
-- the price and the chart, the recent past.  camp_state keeps the last
-- 200 slots; the home page's list keeps only what is on display or queued
-- and the last purchase (which sets the price).

CREATE OR REPLACE FUNCTION camp_state_slots(p_id bigint, p_keep integer,
    p_since_ms bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'idx', s.idx, 'price', s.price, 'bought_ms', s.bought_ms,
	    'start_ms', s.start_ms, 'end_ms', s.end_ms, 'ad', s.ad_id,
	    'nickname', a.nickname, 'hover', a.hover, 'url', a.url,
	    'image', a.image, 'buyer', s.buyer_id) ORDER BY s.idx), '[]'::jsonb)
	FROM (SELECT * FROM slots WHERE campaign_id = p_id
	    ORDER BY idx DESC LIMIT p_keep) s
	JOIN ads a ON a.id = s.ad_id
	WHERE s.end_ms > p_since_ms OR s.idx = (SELECT max(idx) FROM slots
	    WHERE campaign_id = p_id);
$$;

CREATE OR REPLACE FUNCTION camp_state(p_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'seller', c.seller_id,
	    'seller_name', u.username, 'name', c.name,
	    'description', c.description, 'width', c.width,
	    'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    'slots', camp_state_slots(c.id, 200, 0))::text
	FROM campaigns c JOIN users u ON u.id = c.seller_id
	WHERE c.id = p_id;
$$;

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
