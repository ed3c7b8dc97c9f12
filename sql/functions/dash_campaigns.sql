-- requires: camp_state_slots

-- The seller's dashboard (/my/campaigns, issue 15), one call: the user's
-- p_limit newest campaigns, newest first, each with what the plain list
-- had (parameters, slots sold, the last slot, which sets the price) and its
-- figures: earned (price - fee of every slot sold, in satoshis), earned_7d
-- (those bought in the 7 x 24 h before p_now_ms), impressions and clicks
-- (slot_stats), and days: the 14 UTC days ending today, oldest first, each
-- {day_ms, earned, impressions, clicks} as dash_days gives them.  The
-- figures of all campaigns are read set-wise (one scan each of slots and
-- slot_stats by campaign), not by a call per campaign.  Earnings come
-- from slots, not account history: a purge changes nothing.  "more" tells
-- that the user has campaigns beyond p_limit.
CREATE OR REPLACE FUNCTION dash_campaigns(p_user bigint, p_now_ms bigint,
    p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
	WITH c AS (SELECT * FROM campaigns WHERE seller_id = p_user
	    ORDER BY id DESC LIMIT p_limit),
	first AS (SELECT p_now_ms - p_now_ms % 86400000
	    - 13 * 86400000::bigint AS ms),
	g AS (SELECT generate_series(first.ms, first.ms + 13 * 86400000::bigint,
	    86400000::bigint) AS d FROM first),
	st AS (SELECT t.campaign_id,
		sum(t.impressions)::bigint AS i, sum(t.clicks)::bigint AS c,
		coalesce(jsonb_object_agg(t.d, jsonb_build_array(t.di, t.dc))
		    FILTER (WHERE t.d >= (SELECT ms FROM first)), '{}'::jsonb)
		    AS per_day
	    FROM (SELECT s.campaign_id,
		    s.minute_ms - s.minute_ms % 86400000 AS d,
		    sum(s.impressions)::bigint AS di, sum(s.clicks)::bigint AS dc,
		    sum(s.impressions) AS impressions, sum(s.clicks) AS clicks
		FROM slot_stats s JOIN c ON c.id = s.campaign_id
		GROUP BY 1, 2) t
	    GROUP BY 1),
	er AS (SELECT t.campaign_id, sum(t.v)::bigint AS total,
		coalesce(sum(t.w), 0)::bigint AS week,
		coalesce(jsonb_object_agg(t.d, t.v)
		    FILTER (WHERE t.d >= (SELECT ms FROM first)), '{}'::jsonb)
		    AS per_day
	    FROM (SELECT b.campaign_id,
		    b.bought_ms - b.bought_ms % 86400000 AS d,
		    sum(b.price - b.fee) AS v,
		    sum(b.price - b.fee) FILTER (WHERE b.bought_ms >
			p_now_ms - 7 * 86400000::bigint) AS w
		FROM slots b JOIN c ON c.id = b.campaign_id
		-- moderation: held (pending) or refunded (rejected) is
		-- not the seller's
		WHERE b.review NOT IN ('pending', 'rejected')
		GROUP BY 1, 2) t
	    GROUP BY 1)
	SELECT jsonb_build_object('campaigns', coalesce(jsonb_agg(
	    jsonb_build_object('id', c.id, 'name', c.name,
	    'width', c.width, 'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    -- the last slot only: the price is all the page shows of them
	    -- (a queue of 5 long ads on each of 50 campaigns would not fit
	    -- in a link frame)
	    'slots', camp_state_slots(c.id, 1000, p_now_ms, 0),
	    'earned', coalesce(er.total, 0), 'earned_7d', coalesce(er.week, 0),
	    'impressions', coalesce(st.i, 0), 'clicks', coalesce(st.c, 0),
	    'days', (SELECT jsonb_agg(jsonb_build_object('day_ms', g.d,
		'earned', coalesce((er.per_day ->> g.d::text)::bigint, 0),
		'impressions', coalesce((st.per_day -> g.d::text ->> 0)::bigint,
		    0),
		'clicks', coalesce((st.per_day -> g.d::text ->> 1)::bigint, 0))
		ORDER BY g.d) FROM g))
	    ORDER BY c.id DESC), '[]'::jsonb),
	    'more', (SELECT count(*) FROM campaigns
		WHERE seller_id = p_user) > p_limit)::text
	FROM c
	LEFT JOIN st ON st.campaign_id = c.id
	LEFT JOIN er ON er.campaign_id = c.id;
$$;
