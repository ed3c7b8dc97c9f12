-- requires: request_log_find, camp_review_release, webhook_event
-- The seller's review of a pending slot (019_moderation.sql), exactly once
-- per request (request_log, like camp_create).  Under the campaign's row
-- lock (the one a purchase takes, so no sale interleaves) and the slot's:
--  - approve: escrow -> seller + fee (camp_review_release);
--  - reject (p_reason, 1-200 characters, shown to the buyer): escrow ->
--    buyer of the whole price, and the slot's time passes to the queue:
--    the slot keeps what already ran of it (none: end_ms = start_ms), and
--    every later slot starts and ends earlier by the time freed.  Index,
--    price and bought_ms stay: the price history (what each index sold
--    for, and when) is unchanged, no index is sold again, and the next
--    price is the formula's from the last index as before.
-- A slot not pending, or whose review time has passed (it runs; the
-- worker's deadline job pays it out), is refused with not_pending.
CREATE OR REPLACE FUNCTION camp_review(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_seller bigint, p_campaign bigint,
    p_idx bigint, p_approve boolean, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	c	campaigns%ROWTYPE;
	s	slots%ROWTYPE;
	now_ms	bigint;
	freed	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_seller,
	    'review');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	SELECT * INTO s FROM slots WHERE campaign_id = p_campaign
	    AND idx = p_idx FOR UPDATE;
	now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
	IF c.id IS NULL OR c.seller_id <> p_seller THEN
		r := jsonb_build_object('ok', false, 'code', 'no_campaign',
		    'error', 'You have no such campaign.');
	ELSIF s.idx IS NULL OR s.review <> 'pending' OR
	    now_ms >= s.review_due_ms THEN
		r := jsonb_build_object('ok', false, 'code', 'not_pending',
		    'error', 'That slot is not waiting for your review (already '
		    'reviewed, or its review time passed and it runs).');
	ELSIF p_approve THEN
		PERFORM camp_review_release(c.id, s.idx, 'approved', now_ms);
		r := jsonb_build_object('ok', true, 'campaign', c.id,
		    'idx', s.idx, 'review', 'approved');
	ELSIF p_reason IS NULL OR length(p_reason) NOT BETWEEN 1 AND 200 THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'A rejection needs a reason of 1-200 characters.');
	ELSE
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT e.id, b.id, s.price, 'slot_refund', c.id || ':' || s.idx
		FROM ledger_accounts e, ledger_accounts b
		WHERE e.kind = 'escrow' AND b.user_id = s.buyer_id;
		freed := greatest(0, s.end_ms - greatest(s.start_ms, now_ms));
		UPDATE slots SET review = 'rejected', reviewed_ms = now_ms,
		    reject_reason = p_reason,
		    end_ms = greatest(start_ms, least(end_ms, now_ms))
		WHERE campaign_id = c.id AND idx = s.idx;
		IF freed > 0 THEN
			UPDATE slots SET start_ms = start_ms - freed,
			    end_ms = end_ms - freed
			WHERE campaign_id = c.id AND idx > s.idx;
		END IF;
		-- Webhooks (issue 15): in this transaction, or not at all.
		PERFORM webhook_event(s.buyer_id, 'ad_rejected',
		    jsonb_build_object('campaign', c.id, 'idx', s.idx,
		    'ad', s.ad_id, 'reason', p_reason, 'refunded', s.price));
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (s.buyer_id, 'ad_rejected', format('your ad in slot %s '
		    'of "%s" was rejected: %s; %s sat refunded', s.idx,
		    left(c.name, 40), left(p_reason, 200), s.price)),
		    (c.seller_id, 'ad_rejected', format('you rejected slot %s '
		    'of "%s"; %s sat refunded to the buyer', s.idx,
		    left(c.name, 40), s.price));
		r := jsonb_build_object('ok', true, 'campaign', c.id,
		    'idx', s.idx, 'review', 'rejected', 'refunded', s.price,
		    'freed_ms', freed);
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_seller, 'review', r);
	RETURN r::text;
END;
$$;
