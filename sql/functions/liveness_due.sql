-- The ended slots liveness_judge has not judged yet (issue 15): ended
-- before p_cutoff_ms (the caller leaves room for the last flushes of
-- abc-web's counters), started after this feature existed, oldest first,
-- at most p_limit.  Slots that ended over a week before are left: a worker
-- down that long must not judge (and refund) a backlog at once.
CREATE OR REPLACE FUNCTION liveness_due(p_cutoff_ms bigint, p_limit integer)
RETURNS TABLE (campaign_id bigint, idx integer)
LANGUAGE sql STABLE AS $$
	SELECT s.campaign_id, s.idx FROM slots s
	WHERE s.end_ms < p_cutoff_ms
	  AND s.end_ms >= p_cutoff_ms - 7 * 86400000::bigint
	  AND s.start_ms >= (SELECT since_ms FROM liveness_since)
	  AND s.review <> 'pending'	-- judged once approved
	  AND NOT EXISTS (SELECT 1 FROM slot_liveness l
	    WHERE l.campaign_id = s.campaign_id AND l.idx = s.idx)
	ORDER BY s.end_ms
	LIMIT p_limit;
$$;
