-- What one ad bought (/my/ads, issue 15): how many slots, the price paid
-- for them all, their impressions and clicks, and the p_keep newest of
-- them (where: campaign and its name; when: start_ms, end_ms; price;
-- impressions and clicks), newest first, each linking to its slot page.
CREATE OR REPLACE FUNCTION dash_ad_runs(p_ad bigint, p_keep integer)
    RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('slots', count(*),
	    'paid', coalesce(sum(r.price), 0)::bigint,
	    'impressions', coalesce(sum(r.i), 0)::bigint,
	    'clicks', coalesce(sum(r.c), 0)::bigint,
	    'last', coalesce(jsonb_agg(jsonb_build_object(
		'campaign', r.campaign_id, 'name', r.name, 'idx', r.idx,
		'start_ms', r.start_ms, 'end_ms', r.end_ms, 'price', r.price,
		'impressions', r.i, 'clicks', r.c) ORDER BY r.bought_ms DESC,
		r.campaign_id DESC, r.idx DESC)
		FILTER (WHERE r.rank <= p_keep), '[]'::jsonb))
	FROM (SELECT s.*, c.name, st.i, st.c, row_number() OVER (ORDER BY
		s.bought_ms DESC, s.campaign_id DESC, s.idx DESC) AS rank
	    FROM slots s JOIN campaigns c ON c.id = s.campaign_id
	    CROSS JOIN LATERAL (SELECT coalesce(sum(t.impressions), 0)::bigint
		    AS i, coalesce(sum(t.clicks), 0)::bigint AS c
		FROM slot_stats t
		WHERE t.campaign_id = s.campaign_id AND t.idx = s.idx) st
	    WHERE s.ad_id = p_ad) r;
$$;
