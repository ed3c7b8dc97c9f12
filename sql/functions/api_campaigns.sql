-- Issue 15: a seller's campaigns with their figures, for the JSON API
-- (GET /api/v1/me/campaigns): slots sold, earnings (what the buyers paid
-- less the site's fee, in satoshis) and impressions and clicks summed
-- from slot_stats (filled by the counting part).  At most 200, newest
-- first; a JSON array as text.
CREATE OR REPLACE FUNCTION api_campaigns(p_user bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'id', c.id, 'name', c.name, 'width', c.width,
	    'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    'earnings_sat', coalesce((SELECT sum(s.price - s.fee)
	        FROM slots s WHERE s.campaign_id = c.id), 0),
	    'impressions', coalesce((SELECT sum(t.impressions)
	        FROM slot_stats t WHERE t.campaign_id = c.id), 0),
	    'clicks', coalesce((SELECT sum(t.clicks)
	        FROM slot_stats t WHERE t.campaign_id = c.id), 0))
	    ORDER BY c.id DESC), '[]')::text
	FROM (SELECT * FROM campaigns WHERE seller_id = p_user
	    ORDER BY id DESC LIMIT 200) c;
$$;
