-- A campaign's slots as JSON: the last p_keep, of which only those ending
-- after p_since_ms (given p_upcoming, only the first p_upcoming of them)
-- and the last purchase.  The home page takes the slot on display and the
-- next one (camp_list), never the whole queue, which buyers make as long
-- as they pay for.  Issue 15: each slot's liveness,
-- shown to seller and buyer: seen_pct (the share of its time, in whole
-- percent rounded down, its embed was fetched: 64 buckets,
-- sql/018_slot_liveness.sql) and, once judged, refund (sat; 0: none owed).
-- review and due_ms: the seller's
-- moderation (019_moderation.sql); a pending slot shows only from due_ms
-- on, a rejected one never (web/market.c market_on_display).
-- It took three arguments before p_upcoming; both at once would make a
-- three-argument call ambiguous.
DROP FUNCTION IF EXISTS camp_state_slots(bigint, integer, bigint);
CREATE OR REPLACE FUNCTION camp_state_slots(p_id bigint, p_keep integer,
    p_since_ms bigint, p_upcoming integer DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'idx', s.idx, 'price', s.price, 'bought_ms', s.bought_ms,
	    'start_ms', s.start_ms, 'end_ms', s.end_ms, 'ad', s.ad_id,
	    'nickname', a.nickname, 'hover', a.hover, 'url', a.url,
	    'image', a.image, 'buyer', s.buyer_id, 'review', s.review,
	    'due_ms', s.review_due_ms,
	    'seen_pct', coalesce(bit_count(v.mask::bit(64)), 0) * 100 / 64,
	    'refund', l.refund) ORDER BY s.idx), '[]'::jsonb)
	FROM (SELECT * FROM slots WHERE campaign_id = p_id
	    ORDER BY idx DESC LIMIT p_keep) s
	JOIN ads a ON a.id = s.ad_id
	LEFT JOIN slot_seen v ON v.campaign_id = s.campaign_id AND v.idx = s.idx
	LEFT JOIN slot_liveness l ON l.campaign_id = s.campaign_id
	    AND l.idx = s.idx
	-- A slot ends after the one before it (start_ms is at least its
	-- end_ms), so the first to end after p_since_ms has the lowest idx.
	WHERE (s.end_ms > p_since_ms AND (p_upcoming IS NULL OR
	    s.idx < p_upcoming + (SELECT f.idx FROM slots f
		WHERE f.campaign_id = p_id AND f.end_ms > p_since_ms
		ORDER BY f.end_ms LIMIT 1)))
	    OR s.idx = (SELECT max(idx) FROM slots WHERE campaign_id = p_id);
$$;
