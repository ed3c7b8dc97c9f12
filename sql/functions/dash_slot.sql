-- requires: dash_days

-- A sold slot's page for its buyer (/my/slots/<campaign>/<idx>, issue
-- 15), one call: the slot (when it runs, the price paid), its campaign,
-- its ad, its impressions and clicks, the minutes of the slot so far and
-- how many of them had an impression ("page seen"), and its days (the
-- UTC days it spans up to now, at most 31).  NULL when there is no such
-- slot or p_user did not buy it: the page is then 404, so nobody learns
-- whether the slot exists.
CREATE OR REPLACE FUNCTION dash_slot(p_user bigint, p_camp bigint,
    p_idx bigint, p_now_ms bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('campaign', c.id, 'campaign_name', c.name,
	    'width', c.width, 'height', c.height, 'slot_ms', c.slot_ms,
	    'idx', s.idx, 'price', s.price, 'bought_ms', s.bought_ms,
	    'start_ms', s.start_ms, 'end_ms', s.end_ms,
	    'ad', a.id, 'nickname', a.nickname, 'hover', a.hover,
	    'url', a.url, 'image', a.image,
	    'impressions', st.i, 'clicks', st.c, 'minutes_seen', st.m,
	    'minutes_so_far', CASE WHEN least(p_now_ms, s.end_ms) > s.start_ms
		THEN (least(p_now_ms, s.end_ms) - 1) / 60000
		    - s.start_ms / 60000 + 1 ELSE 0 END,
	    'days', dash_days(c.id, s.idx, s.start_ms - s.start_ms % 86400000,
		least(31, (greatest(least(p_now_ms, s.end_ms - 1), s.start_ms)
		    / 86400000 - s.start_ms / 86400000 + 1)::integer)))::text
	FROM slots s
	JOIN campaigns c ON c.id = s.campaign_id
	JOIN ads a ON a.id = s.ad_id
	CROSS JOIN LATERAL (SELECT coalesce(sum(t.impressions), 0)::bigint
		AS i, coalesce(sum(t.clicks), 0)::bigint AS c,
		count(*) FILTER (WHERE t.impressions > 0
		    AND t.minute_ms >= s.start_ms - s.start_ms % 60000
		    AND t.minute_ms < s.end_ms) AS m
	    FROM slot_stats t
	    WHERE t.campaign_id = s.campaign_id AND t.idx = s.idx) st
	WHERE s.campaign_id = p_camp AND s.idx = p_idx AND s.buyer_id = p_user;
$$;
