-- requires: request_log_find, hll_merge
-- One flush of abc-web's counters (issue 15): rows of (campaign, idx,
-- minute_ms, impressions, clicks, mask) added to slot_stats and OR-ed into
-- slot_seen, exactly once per request identity or idempotency key (abc-web
-- sends a batch again under the same key until it has an answer), in one
-- transaction.  Rows naming no sold slot are skipped and counted
-- ("skipped"), not an error: a slot cannot vanish, so such a row is a
-- forged or stale one and must not fail the others.  The arrays are
-- parallel and validated by abc-worker (common/statsbatch.c).  p_uc..p_ur:
-- the unique viewers' sketches per (slot, day), registers as hex, merged
-- into slot_uniques by max (hll_merge).
CREATE OR REPLACE FUNCTION stats_flush(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_c bigint[], p_i integer[], p_m bigint[],
    p_imp bigint[], p_clk bigint[], p_mask bigint[], p_uc bigint[],
    p_ui integer[], p_ud bigint[], p_ur text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	n	bigint;
	total	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, NULL,
	    'stats_flush');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	total := coalesce(array_length(p_c, 1), 0);
	-- Sorted, so two flushes lock rows in the same order (no deadlock).
	WITH b AS (
		SELECT u.c, u.i, u.m, sum(u.imp) AS imp, sum(u.clk) AS clk
		FROM unnest(p_c, p_i, p_m, p_imp, p_clk) AS u(c, i, m, imp, clk)
		JOIN slots s ON s.campaign_id = u.c AND s.idx = u.i
		GROUP BY u.c, u.i, u.m
		HAVING sum(u.imp) > 0 OR sum(u.clk) > 0
		ORDER BY u.c, u.i, u.m
	), ins AS (
		INSERT INTO slot_stats AS t (campaign_id, idx, minute_ms,
		    impressions, clicks)
		SELECT c, i, m, imp, clk FROM b
		ON CONFLICT (campaign_id, idx, minute_ms) DO UPDATE
		SET impressions = t.impressions + EXCLUDED.impressions,
		    clicks = t.clicks + EXCLUDED.clicks
		RETURNING 1
	)
	SELECT count(*) INTO n FROM ins;
	INSERT INTO slot_seen AS t (campaign_id, idx, mask)
	SELECT u.c, u.i, bit_or(u.mask)
	FROM unnest(p_c, p_i, p_mask) AS u(c, i, mask)
	JOIN slots s ON s.campaign_id = u.c AND s.idx = u.i
	WHERE u.mask <> 0
	GROUP BY u.c, u.i
	ORDER BY u.c, u.i
	ON CONFLICT (campaign_id, idx) DO UPDATE
	SET mask = t.mask | EXCLUDED.mask;
	INSERT INTO slot_uniques AS t (campaign_id, idx, day_ms, regs)
	SELECT DISTINCT ON (u.c, u.i, u.d) u.c, u.i, u.d, decode(u.r, 'hex')
	FROM unnest(p_uc, p_ui, p_ud, p_ur) AS u(c, i, d, r)
	JOIN slots s ON s.campaign_id = u.c AND s.idx = u.i
	ORDER BY u.c, u.i, u.d
	ON CONFLICT (campaign_id, idx, day_ms) DO UPDATE
	SET regs = hll_merge(t.regs, EXCLUDED.regs);
	r := jsonb_build_object('ok', true, 'rows', total,
	    'skipped', total - (SELECT count(*) FROM unnest(p_c, p_i) AS
	    u(c, i) JOIN slots s ON s.campaign_id = u.c AND s.idx = u.i));
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, 'stats_flush', r);
	RETURN r::text;
END;
$$;
