-- requires: camp_price_at, acct_session_user, webhook_event
-- A purchase in one call (SPEC 4.4, 5): the answer of a request already
-- served; the buyer from the session token; then, under the campaign's
-- row lock, the price at the database's clock and the sale: slot,
-- transfers (buyer -> seller, buyer -> fees), the campaign's count and
-- both timelines.  Every answer but "no_session" and "not_yet" is kept in
-- request_log with the request's ids and idempotency key, so a repeat
-- gets the same answer.  A refusal carries the state it was decided on:
-- next_idx (the slot for sale now), next_price (its price then) and
-- at_ms (the database's clock when it was decided).
-- Cost (the single writer runs every purchase on one backend, so its CPU
-- per purchase bounds the site's purchases/s; profiled with
-- pg_stat_statements under tests/bench/run.sh row d2): no subtransaction
-- (the buyer's balance is checked under its row lock instead of catching
-- the CHECK's error: a subtransaction per purchase gave each one an XID
-- of its own); the request's identity probed once; webhook_event called
-- only when the buyer or the seller has an endpoint; the ledger rows by
-- key, not by join.
CREATE OR REPLACE FUNCTION camp_purchase(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_token_hash bytea, p_ttl_s integer,
    p_campaign bigint, p_idx bigint, p_ad bigint, p_max bigint,
    p_fee_ppm bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	buyer	bigint;
	c	campaigns%ROWTYPE;
	prev	slots%ROWTYPE;
	ad_id	bigint;
	ad_user	bigint;
	img_w	integer;
	img_h	integer;
	now_ms	bigint;
	price	bigint;
	fee	bigint;
	start	bigint;
	state	jsonb;
	bacct	bigint;
	bal	bigint;
BEGIN
	SELECT reply INTO r FROM request_log
	WHERE client_id = p_client AND epoch = p_epoch AND req_no = p_req;
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	buyer := acct_session_user(p_token_hash, p_ttl_s);
	IF buyer IS NULL THEN
		RETURN jsonb_build_object('ok', false, 'code', 'no_session',
		    'error', 'You are not logged in.')::text;
	END IF;
	-- request_log_find without its first probe, made just above.
	IF p_idem IS NOT NULL THEN
		SELECT reply INTO r FROM request_log
		WHERE coalesce(user_id, 0) = buyer AND op = 'buy'
		    AND idem_key = p_idem;
		IF r IS NOT NULL THEN
			RETURN r::text;
		END IF;
	END IF;

	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	IF c.id IS NULL THEN
		r := jsonb_build_object('ok', false, 'code', 'no_campaign',
		    'error', 'There is no such campaign.');
		INSERT INTO request_log (client_id, epoch, req_no, idem_key,
		    user_id, op, reply)
		VALUES (p_client, p_epoch, p_req, p_idem, buyer, 'buy', r);
		RETURN r::text;
	END IF;
	now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
	SELECT * INTO prev FROM slots
	WHERE campaign_id = c.id AND idx = c.slots_sold - 1;
	IF prev.idx IS NULL THEN
		price := camp_price_at(c.min_price, 0, now_ms, now_ms, now_ms);
	ELSE
		price := camp_price_at(c.min_price, prev.price, prev.bought_ms,
		    prev.end_ms, now_ms);
	END IF;
	state := jsonb_build_object('campaign', c.id, 'next_idx', c.slots_sold,
	    'next_price', price, 'at_ms', now_ms);
	IF p_idx > c.slots_sold THEN
		RETURN (jsonb_build_object('ok', false, 'code', 'not_yet',
		    'error', 'That slot is not for sale yet.') || state)::text;
	END IF;

	-- The image's size only: its row holds the image itself too.
	SELECT a.id, a.user_id, i.width, i.height
	INTO ad_id, ad_user, img_w, img_h
	FROM ads a LEFT JOIN images i ON i.sha256 = a.image WHERE a.id = p_ad;
	IF ad_id IS NULL OR ad_user <> buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_ad',
		    'error', 'Pick one of your own ads.');
	ELSIF img_w <> c.width OR img_h <> c.height THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_size',
		    'error', format('This space takes %s x %s images; the ad is %s x %s.',
		    c.width, c.height, img_w, img_h));
	ELSIF c.seller_id = buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'own_campaign',
		    'error', 'You cannot buy your own ad space.');
	ELSIF EXISTS (SELECT 1 FROM seller_blocks b
	    WHERE b.seller_id = c.seller_id AND ((b.kind = 'buyer' AND
	    b.target = buyer) OR (b.kind = 'ad' AND b.target = p_ad))) THEN
		r := jsonb_build_object('ok', false, 'code', 'blocked',
		    'error', 'The seller does not accept this ad or this buyer.');
	ELSIF c.slots_sold <> p_idx THEN
		r := jsonb_build_object('ok', false, 'code', 'sold',
		    'error', 'That slot is already sold.') || state;
	ELSIF price > p_max THEN
		r := jsonb_build_object('ok', false, 'code', 'price_up',
		    'error', 'The price is above the most you accepted.',
		    'price', price) || state;
	ELSE
		fee := div(price::numeric * p_fee_ppm, 1000000)::bigint;
		start := greatest(now_ms, coalesce(prev.end_ms, now_ms));
		-- The buyer pays price in all (to escrow, or to the seller
		-- and the fees account), so the balance CHECK would refuse
		-- exactly when the balance is below it; locked here as the
		-- transfer's UPDATE would lock it, so no other transaction
		-- can lower it in between.  A transfer of 0 (a fee of 100%)
		-- broke a CHECK too and was answered "funds": kept.
		SELECT a.id, a.balance INTO bacct, bal FROM ledger_accounts a
		WHERE a.user_id = buyer FOR NO KEY UPDATE;
		IF bal IS NULL OR bal < price OR
		    (NOT c.requires_approval AND price - fee <= 0) THEN
			r := jsonb_build_object('ok', false, 'code', 'funds',
			    'error', 'Your balance is too low for this price.',
			    'price', price) || state;
		ELSE
			INSERT INTO slots (campaign_id, idx, buyer_id, ad_id,
			    price, fee, bought_ms, start_ms, end_ms, review,
			    review_due_ms)
			VALUES (c.id, p_idx, buyer, p_ad, price, fee, now_ms,
			    start, start + c.slot_ms, CASE WHEN
			    c.requires_approval THEN 'pending' ELSE 'none' END,
			    CASE WHEN c.requires_approval THEN
			    now_ms + c.review_ms END);
			IF c.requires_approval THEN
				-- Held until reviewed (019_moderation.sql):
				-- camp_review_release pays seller and fee.
				INSERT INTO ledger_transfers (debit_account,
				    credit_account, amount, kind, reference)
				VALUES (bacct, (SELECT e.id FROM ledger_accounts e
				    WHERE e.kind = 'escrow'), price, 'escrow',
				    c.id || ':' || p_idx);
			ELSIF fee > 0 THEN
				INSERT INTO ledger_transfers (debit_account,
				    credit_account, amount, kind, reference)
				VALUES (bacct, (SELECT s.id FROM ledger_accounts s
				    WHERE s.user_id = c.seller_id), price - fee,
				    'purchase', c.id || ':' || p_idx),
				    (bacct, (SELECT f.id FROM ledger_accounts f
				    WHERE f.kind = 'fees'), fee, 'fee',
				    c.id || ':' || p_idx);
			ELSE
				INSERT INTO ledger_transfers (debit_account,
				    credit_account, amount, kind, reference)
				VALUES (bacct, (SELECT s.id FROM ledger_accounts s
				    WHERE s.user_id = c.seller_id), price,
				    'purchase', c.id || ':' || p_idx);
			END IF;
			UPDATE campaigns SET slots_sold = slots_sold + 1
			WHERE id = c.id;
			INSERT INTO account_events (user_id, kind, detail)
			VALUES (buyer, 'purchase', format('slot %s of "%s" for %s sat',
			    p_idx, left(c.name, 40), price)),
			    (c.seller_id, 'sale', format('slot %s of "%s" for %s sat%s',
			    p_idx, left(c.name, 40), price - fee, CASE WHEN
			    c.requires_approval THEN ', held until you review '
			    'the ad' ELSE '' END));
			-- Webhooks (issue 15): in this transaction, or not at
			-- all.  webhook_event does nothing for a user without
			-- an endpoint: one probe for both says whether to call.
			IF EXISTS (SELECT 1 FROM webhook_endpoints e
			    WHERE e.user_id = ANY (ARRAY[buyer, c.seller_id])) THEN
				PERFORM webhook_event(buyer, 'slot_bought',
				    jsonb_build_object('role', 'buyer',
				    'campaign', c.id, 'idx', p_idx, 'ad', p_ad,
				    'price', price, 'start_ms', start,
				    'end_ms', start + c.slot_ms));
				PERFORM webhook_event(c.seller_id, 'slot_bought',
				    jsonb_build_object('role', 'seller',
				    'campaign', c.id, 'idx', p_idx, 'ad', p_ad,
				    'price', price, 'earned', price - fee,
				    'start_ms', start, 'end_ms', start + c.slot_ms));
			END IF;
			r := jsonb_build_object('ok', true, 'campaign', c.id,
			    'idx', p_idx, 'price', price, 'start_ms', start,
			    'end_ms', start + c.slot_ms, 'review',
			    c.requires_approval);
		END IF;
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, buyer, 'buy', r);
	RETURN r::text;
END;
$$;
