-- requires: request_log_find
-- A seller blocks (p_on) or unblocks a buyer (p_kind 'buyer', p_target a
-- user id) or an ad ('ad', an ad id) for all of their campaigns
-- (019_moderation.sql), exactly once per request.  camp_purchase refuses
-- a purchase by a blocked buyer or with a blocked ad ("blocked"); slots
-- already bought are the seller's to reject.  A seller holds at most 1 000
-- blocks ("quota"): /my/approvals lists them all, and the list must stay
-- within one link frame (mod_approvals).
CREATE OR REPLACE FUNCTION seller_block(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_seller bigint, p_kind text,
    p_target bigint, p_on boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_seller,
	    'block');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	IF p_kind NOT IN ('buyer', 'ad') OR (p_kind = 'buyer' AND NOT EXISTS
	    (SELECT 1 FROM users WHERE id = p_target)) OR (p_kind = 'ad' AND
	    NOT EXISTS (SELECT 1 FROM ads WHERE id = p_target)) THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'There is no such buyer or ad to block.');
	ELSIF p_on AND NOT EXISTS (SELECT 1 FROM seller_blocks
	    WHERE seller_id = p_seller AND kind = p_kind AND target = p_target)
	    AND (SELECT count(*) FROM seller_blocks
	    WHERE seller_id = p_seller) >= 1000 THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', 'You block 1000 buyers and ads already; unblock '
		    'one before you block another.');
	ELSIF p_on THEN
		INSERT INTO seller_blocks (seller_id, kind, target)
		VALUES (p_seller, p_kind, p_target) ON CONFLICT DO NOTHING;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_seller, 'block', format('blocked %s %s', p_kind,
		    p_target));
		r := jsonb_build_object('ok', true, 'blocked', true);
	ELSE
		DELETE FROM seller_blocks WHERE seller_id = p_seller
		    AND kind = p_kind AND target = p_target;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_seller, 'block', format('unblocked %s %s', p_kind,
		    p_target));
		r := jsonb_build_object('ok', true, 'blocked', false);
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_seller, 'block', r);
	RETURN r::text;
END;
$$;
