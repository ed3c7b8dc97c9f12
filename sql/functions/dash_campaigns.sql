-- requires: camp_state_slots, dash_days

-- The seller's dashboard (/my/campaigns, issue 15), one call: the user's
-- p_limit newest campaigns, newest first, each with what the plain list
-- had (parameters, slots sold, the slots the price needs) and its
-- figures: earned (price - fee of every slot sold, in satoshis), earned_7d
-- (those bought in the 7 x 24 h before p_now_ms), impressions and clicks
-- (slot_stats), and days (dash_days: the 14 UTC days ending today).
-- Earnings come from slots, not account history: a purge changes nothing.
-- "more" tells that the user has campaigns beyond p_limit.
CREATE OR REPLACE FUNCTION dash_campaigns(p_user bigint, p_now_ms bigint,
    p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('campaigns', coalesce(jsonb_agg(
	    jsonb_build_object('id', c.id, 'name', c.name,
	    'width', c.width, 'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    'slots', camp_state_slots(c.id, 1000, p_now_ms),
	    'earned', e.total, 'earned_7d', e.week,
	    'impressions', st.i, 'clicks', st.c,
	    'days', dash_days(c.id, NULL,
		p_now_ms - p_now_ms % 86400000 - 13 * 86400000::bigint, 14))
	    ORDER BY c.id DESC), '[]'::jsonb),
	    'more', (SELECT count(*) FROM campaigns
		WHERE seller_id = p_user) > p_limit)::text
	FROM (SELECT * FROM campaigns WHERE seller_id = p_user
	    ORDER BY id DESC LIMIT p_limit) c
	CROSS JOIN LATERAL (SELECT coalesce(sum(b.price - b.fee), 0)::bigint
		AS total,
		coalesce(sum(b.price - b.fee) FILTER (WHERE b.bought_ms >
		    p_now_ms - 7 * 86400000::bigint), 0)::bigint AS week
	    FROM slots b WHERE b.campaign_id = c.id) e
	CROSS JOIN LATERAL (SELECT coalesce(sum(t.impressions), 0)::bigint AS i,
		coalesce(sum(t.clicks), 0)::bigint AS c
	    FROM slot_stats t WHERE t.campaign_id = c.id) st;
$$;
