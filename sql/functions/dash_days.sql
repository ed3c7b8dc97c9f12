-- Issue 15's dashboards: one campaign's figures per UTC day, p_n days from
-- p_first_ms (the start of a UTC day), oldest first, as a JSON array of
-- {day_ms, earned, impressions, clicks}: earned is what the seller got
-- (price - fee) for the slots bought that day; impressions and clicks are
-- what slot_stats counted that day.  p_idx NULL: every slot of the
-- campaign, else that slot only.  Days without figures are zeros, so a
-- chart has a bar (of 0) for every day.  Reads slots and slot_stats only,
-- never account history, so a history purge changes nothing here.
CREATE OR REPLACE FUNCTION dash_days(p_camp bigint, p_idx integer,
    p_first_ms bigint, p_n integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('day_ms', g.d,
	    'earned', coalesce(e.v, 0), 'impressions', coalesce(s.i, 0),
	    'clicks', coalesce(s.c, 0)) ORDER BY g.d), '[]'::jsonb)
	FROM generate_series(p_first_ms,
	    p_first_ms + (greatest(p_n, 1) - 1) * 86400000::bigint,
	    86400000::bigint) g(d)
	LEFT JOIN (SELECT t.minute_ms - t.minute_ms % 86400000 AS d,
		sum(t.impressions)::bigint AS i, sum(t.clicks)::bigint AS c
	    FROM slot_stats t
	    WHERE t.campaign_id = p_camp AND (p_idx IS NULL OR t.idx = p_idx)
		AND t.minute_ms >= p_first_ms
		AND t.minute_ms < p_first_ms + greatest(p_n, 1) * 86400000::bigint
	    GROUP BY 1) s ON s.d = g.d
	LEFT JOIN (SELECT b.bought_ms - b.bought_ms % 86400000 AS d,
		sum(b.price - b.fee)::bigint AS v
	    FROM slots b
	    WHERE b.campaign_id = p_camp AND (p_idx IS NULL OR b.idx = p_idx)
		-- moderation: held or refunded is not the seller's
		AND b.review NOT IN ('pending', 'rejected')
		AND b.bought_ms >= p_first_ms
		AND b.bought_ms < p_first_ms + greatest(p_n, 1) * 86400000::bigint
	    GROUP BY 1) e ON e.d = g.d;
$$;
