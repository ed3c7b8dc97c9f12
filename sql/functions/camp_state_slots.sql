-- A campaign's slots as JSON: the last p_keep, of which only those ending
-- after p_since_ms and the last purchase.  review and due_ms: the seller's
-- moderation (019_moderation.sql); a pending slot shows only from due_ms
-- on, a rejected one never (web/market.c market_on_display).
CREATE OR REPLACE FUNCTION camp_state_slots(p_id bigint, p_keep integer,
    p_since_ms bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'idx', s.idx, 'price', s.price, 'bought_ms', s.bought_ms,
	    'start_ms', s.start_ms, 'end_ms', s.end_ms, 'ad', s.ad_id,
	    'nickname', a.nickname, 'hover', a.hover, 'url', a.url,
	    'image', a.image, 'buyer', s.buyer_id, 'review', s.review,
	    'due_ms', s.review_due_ms) ORDER BY s.idx), '[]'::jsonb)
	FROM (SELECT * FROM slots WHERE campaign_id = p_id
	    ORDER BY idx DESC LIMIT p_keep) s
	JOIN ads a ON a.id = s.ad_id
	WHERE s.end_ms > p_since_ms OR s.idx = (SELECT max(idx) FROM slots
	    WHERE campaign_id = p_id);
$$;
