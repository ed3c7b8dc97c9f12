-- What /my/approvals shows a seller (019_moderation.sql), as JSON text:
-- the slots of their campaigns waiting for review (oldest deadline
-- first, at most 100, and pending_total: how many wait in all), the last
-- 20 reviewed, their blocks (at most 1 000: seller_block's quota), and
-- each campaign's moderation settings.
-- 100, not more: buyers decide how many slots wait, each with an ad of up
-- to about 5 KB of JSON, and the reply must fit in one link frame (1 MiB;
-- 200 of the longest ads did not, and the page failed: t_082).
CREATE OR REPLACE FUNCTION mod_approvals(p_seller bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'pending', (SELECT coalesce(jsonb_agg(x ORDER BY x->>'due_ms'),
		'[]'::jsonb) FROM (SELECT jsonb_build_object('campaign',
		c.id, 'name', c.name, 'idx', s.idx, 'price', s.price,
		'start_ms', s.start_ms, 'end_ms', s.end_ms,
		'due_ms', s.review_due_ms, 'buyer', s.buyer_id,
		'buyer_name', u.username, 'ad', a.id, 'nickname', a.nickname,
		'hover', a.hover, 'url', a.url, 'image', a.image) x
		FROM slots s JOIN campaigns c ON c.id = s.campaign_id
		JOIN ads a ON a.id = s.ad_id JOIN users u ON u.id = s.buyer_id
		WHERE c.seller_id = p_seller AND s.review = 'pending'
		ORDER BY s.review_due_ms LIMIT 100) p),
	    'pending_total', (SELECT count(*) FROM slots s
		JOIN campaigns c ON c.id = s.campaign_id
		WHERE c.seller_id = p_seller AND s.review = 'pending'),
	    'reviewed', (SELECT coalesce(jsonb_agg(x ORDER BY
		(x->>'reviewed_ms')::bigint DESC), '[]'::jsonb) FROM (SELECT
		jsonb_build_object('campaign', c.id, 'name', c.name,
		'idx', s.idx, 'price', s.price, 'review', s.review,
		'reviewed_ms', s.reviewed_ms, 'reason', s.reject_reason,
		'nickname', a.nickname) x
		FROM slots s JOIN campaigns c ON c.id = s.campaign_id
		JOIN ads a ON a.id = s.ad_id
		WHERE c.seller_id = p_seller AND s.review IN ('approved',
		'auto', 'rejected') ORDER BY s.reviewed_ms DESC LIMIT 20) r),
	    'blocks', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind',
		b.kind, 'target', b.target, 'label', coalesce(u.username,
		a.nickname, '')) ORDER BY b.created_at DESC), '[]'::jsonb)
		FROM (SELECT * FROM seller_blocks WHERE seller_id = p_seller
		    ORDER BY created_at DESC LIMIT 1000) b
		LEFT JOIN users u ON b.kind = 'buyer' AND u.id = b.target
		LEFT JOIN ads a ON b.kind = 'ad' AND a.id = b.target),
	    'campaigns', (SELECT coalesce(jsonb_agg(jsonb_build_object('id',
		c.id, 'name', c.name, 'requires_approval',
		c.requires_approval, 'review_ms', c.review_ms,
		'liveness_pct', c.liveness_pct)
		ORDER BY c.id DESC), '[]'::jsonb)
		FROM campaigns c WHERE c.seller_id = p_seller))::text;
$$;
