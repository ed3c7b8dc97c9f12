-- The "slot started" job (issue 15), run by the active abc-worker's
-- webhook sender: every slot whose start_ms passed since the cursor is an
-- event for its buyer and its seller, once each (once_key).  It looks a
-- minute back before the cursor, since a purchase computes start_ms
-- before it commits; the once_key makes looking twice harmless.  Returns
-- the slots looked at (those whose buyer or seller has an endpoint).
CREATE OR REPLACE FUNCTION webhook_slots_started() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	cur	bigint;
	now_ms	bigint;
	s	record;
	d	jsonb;
	n	integer := 0;
BEGIN
	SELECT started_ms INTO cur FROM webhook_cursor FOR UPDATE;
	now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
	-- Without any endpoint no slot is an event: the scan below would
	-- look at every slot of the last minute for nothing (6 ms a poll
	-- while tests/bench/run.sh row d2 sells 2 000 slots a second).
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints) THEN
		UPDATE webhook_cursor SET started_ms = greatest(started_ms,
		    now_ms);
		RETURN 0;
	END IF;
	FOR s IN SELECT x.campaign_id, x.idx, x.buyer_id, x.ad_id, x.start_ms,
	    x.end_ms, c.seller_id, c.name FROM slots x
	    JOIN campaigns c ON c.id = x.campaign_id
	    WHERE x.start_ms > cur - 60000 AND x.start_ms <= now_ms AND
	    (EXISTS (SELECT 1 FROM webhook_endpoints e
	    WHERE e.user_id = x.buyer_id) OR EXISTS (SELECT 1 FROM
	    webhook_endpoints e WHERE e.user_id = c.seller_id))
	    ORDER BY x.start_ms LOOP
		d := jsonb_build_object('campaign', s.campaign_id, 'idx', s.idx,
		    'name', s.name, 'ad', s.ad_id, 'start_ms', s.start_ms,
		    'end_ms', s.end_ms);
		PERFORM webhook_event(s.buyer_id, 'slot_started',
		    d || '{"role": "buyer"}', format('slot_started:%s:%s:buyer',
		    s.campaign_id, s.idx));
		PERFORM webhook_event(s.seller_id, 'slot_started',
		    d || '{"role": "seller"}', format('slot_started:%s:%s:seller',
		    s.campaign_id, s.idx));
		n := n + 1;
	END LOOP;
	UPDATE webhook_cursor SET started_ms = greatest(started_ms, now_ms);
	RETURN n;
END;
$$;
