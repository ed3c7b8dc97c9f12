-- A purchase, exactly as SPEC 4.4 says, in one transaction.  The worker
-- read the campaign, computed the price at its clock and passes it with
-- the slot index it was computed for: if that index is no longer the next
-- one, somebody else bought first and nothing happens.  Every outcome is
-- stored in request_log, so a resent form shows the same one.
CREATE OR REPLACE FUNCTION camp_buy(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_buyer bigint, p_campaign bigint, p_idx integer,
    p_ad bigint, p_price bigint, p_max bigint, p_fee bigint,
    p_now_ms bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	c	campaigns%ROWTYPE;
	ad	ads%ROWTYPE;
	img	images%ROWTYPE;
	prev	bigint;
	start	bigint;
	buyer_acct bigint;
	seller_acct bigint;
	fee_acct bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_buyer, 'buy');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	SELECT * INTO ad FROM ads WHERE id = p_ad;
	SELECT * INTO img FROM images WHERE sha256 = ad.image;
	IF c.id IS NULL THEN
		r := jsonb_build_object('ok', false, 'code', 'no_campaign',
		    'error', 'There is no such campaign.');
	ELSIF ad.id IS NULL OR ad.user_id <> p_buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_ad',
		    'error', 'Pick one of your own ads.');
	ELSIF img.width <> c.width OR img.height <> c.height THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_size',
		    'error', format('This space takes %s x %s images; the ad is %s x %s.',
		    c.width, c.height, img.width, img.height));
	ELSIF c.seller_id = p_buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'own_campaign',
		    'error', 'You cannot buy your own ad space.');
	ELSIF c.slots_sold <> p_idx THEN
		r := jsonb_build_object('ok', false, 'code', 'sold',
		    'error', 'That slot is already sold.',
		    'next_idx', c.slots_sold);
	ELSIF p_price > p_max THEN
		r := jsonb_build_object('ok', false, 'code', 'price_up',
		    'error', 'The price is above the most you accepted.',
		    'price', p_price);
	ELSE
		SELECT max(end_ms) INTO prev FROM slots
		WHERE campaign_id = c.id;
		start := greatest(p_now_ms, coalesce(prev, p_now_ms));
		SELECT id INTO buyer_acct FROM ledger_accounts
		WHERE user_id = p_buyer;
		SELECT id INTO seller_acct FROM ledger_accounts
		WHERE user_id = c.seller_id;
		SELECT id INTO fee_acct FROM ledger_accounts WHERE kind = 'fees';
		BEGIN
			INSERT INTO slots (campaign_id, idx, buyer_id, ad_id,
			    price, fee, bought_ms, start_ms, end_ms)
			VALUES (c.id, p_idx, p_buyer, p_ad, p_price, p_fee,
			    p_now_ms, start, start + c.slot_ms);
			INSERT INTO ledger_transfers (debit_account,
			    credit_account, amount, kind, reference)
			VALUES (buyer_acct, seller_acct, p_price - p_fee,
			    'purchase', c.id || ':' || p_idx);
			IF p_fee > 0 THEN
				INSERT INTO ledger_transfers (debit_account,
				    credit_account, amount, kind, reference)
				VALUES (buyer_acct, fee_acct, p_fee, 'fee',
				    c.id || ':' || p_idx);
			END IF;
			UPDATE campaigns SET slots_sold = slots_sold + 1
			WHERE id = c.id;
			INSERT INTO account_events (user_id, kind, detail)
			VALUES (p_buyer, 'purchase', format('slot %s of "%s" for %s sat',
			    p_idx, left(c.name, 40), p_price)),
			    (c.seller_id, 'sale', format('slot %s of "%s" for %s sat',
			    p_idx, left(c.name, 40), p_price - p_fee));
			r := jsonb_build_object('ok', true, 'campaign', c.id,
			    'idx', p_idx, 'price', p_price, 'start_ms', start,
			    'end_ms', start + c.slot_ms);
		EXCEPTION WHEN check_violation THEN
			r := jsonb_build_object('ok', false, 'code', 'funds',
			    'error', 'Your balance is too low for this price.',
			    'price', p_price);
		END;
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_buyer, 'buy', r);
	RETURN r::text;
END;
$$;
