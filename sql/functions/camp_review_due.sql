-- requires: camp_review_release
-- The review deadline (019_moderation.sql): every pending slot whose
-- review_due_ms has passed is paid out as 'auto', at most p_limit a call,
-- oldest deadline first.  abc-worker's active worker calls it every
-- follow_ms (worker/review_due.c); a slot a seller's review holds is
-- skipped and seen again next time.  Returns the campaigns changed.
CREATE OR REPLACE FUNCTION camp_review_due(p_limit integer)
RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
	s	record;
	now_ms	bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
BEGIN
	FOR s IN SELECT campaign_id, idx FROM slots
	    WHERE review = 'pending' AND review_due_ms <= now_ms
	    ORDER BY review_due_ms LIMIT p_limit FOR UPDATE SKIP LOCKED
	LOOP
		PERFORM camp_review_release(s.campaign_id, s.idx, 'auto',
		    now_ms);
		RETURN NEXT s.campaign_id;
	END LOOP;
END;
$$;
