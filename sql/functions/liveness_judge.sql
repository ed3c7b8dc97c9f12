-- Judges one ended slot's liveness (issue 15) and refunds it pro rata when
-- its embed went unfetched for more than the campaign's share of its time,
-- exactly once (slot_liveness is keyed by the slot), in the caller's one
-- transaction.  Returns the refund (0: judged, nothing owed), or NULL when
-- the slot was judged before or is not a slot.
--
-- Rounding and who pays: u = unfetched buckets of 64; refund =
-- floor(price * u / 64).  The fee is reversed in the same proportion:
-- fee_part = floor(fee * u / 64) from the fees account; the seller pays
-- the rest (refund - fee_part), which is at most what the seller earned
-- pro rata.  A seller whose balance no longer covers that part (withdrawn
-- meanwhile) pays what the balance holds and the platform's fees account
-- the remainder (platform_part): the buyer's guarantee does not depend on
-- the seller.  The ledger stays balanced: every part is one transfer.
CREATE OR REPLACE FUNCTION liveness_judge(p_campaign bigint, p_idx integer)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	s		slots%ROWTYPE;
	c		campaigns%ROWTYPE;
	seen		integer;
	unseen		integer;
	pct		integer;
	refund		bigint := 0;
	fee_part	bigint := 0;
	seller_part	bigint := 0;
	plat_part	bigint := 0;
	bal		bigint;
	ref		text := p_campaign || ':' || p_idx;
BEGIN
	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	SELECT * INTO s FROM slots WHERE campaign_id = p_campaign
	    AND idx = p_idx;
	-- Judged once.  A slot the seller's moderation (019_moderation.sql)
	-- still holds is judged once it is approved (its money is in escrow
	-- until then); a rejected one was refunded in full, so it is judged
	-- owing nothing (never both refunds).
	IF s.idx IS NULL OR s.review = 'pending' OR EXISTS (SELECT 1
	    FROM slot_liveness WHERE campaign_id = p_campaign
	    AND idx = p_idx) THEN
		RETURN NULL;
	END IF;
	IF s.review = 'rejected' THEN
		INSERT INTO slot_liveness (campaign_id, idx, seen_buckets,
		    threshold_pct, refund, seller_part, fee_part, platform_part)
		VALUES (p_campaign, p_idx, 0, 0, 0, 0, 0, 0);
		RETURN 0;
	END IF;
	SELECT coalesce(bit_count(mask::bit(64))::integer, 0) INTO seen
	FROM slot_seen WHERE campaign_id = p_campaign AND idx = p_idx;
	seen := coalesce(seen, 0);
	unseen := 64 - seen;
	pct := coalesce(c.liveness_pct,
	    CASE WHEN c.slot_ms >= 60000 THEN 50 ELSE 100 END);
	IF unseen * 100 > pct * 64 THEN
		refund := div(s.price::numeric * unseen, 64)::bigint;
		fee_part := div(s.fee::numeric * unseen, 64)::bigint;
		seller_part := refund - fee_part;
		SELECT a.balance INTO bal FROM ledger_accounts a
		WHERE a.user_id = c.seller_id FOR UPDATE;
		IF bal < seller_part THEN
			plat_part := seller_part - bal;
			seller_part := bal;
		END IF;
	END IF;
	INSERT INTO slot_liveness (campaign_id, idx, seen_buckets,
	    threshold_pct, refund, seller_part, fee_part, platform_part)
	VALUES (p_campaign, p_idx, seen, pct, refund, seller_part, fee_part,
	    plat_part);
	IF seller_part > 0 THEN
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT se.id, b.id, seller_part, 'liveness_refund', ref
		FROM ledger_accounts se, ledger_accounts b
		WHERE se.user_id = c.seller_id AND b.user_id = s.buyer_id;
	END IF;
	IF fee_part > 0 THEN
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT f.id, b.id, fee_part, 'liveness_refund_fee', ref
		FROM ledger_accounts f, ledger_accounts b
		WHERE f.kind = 'fees' AND b.user_id = s.buyer_id;
	END IF;
	IF plat_part > 0 THEN
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT f.id, b.id, plat_part, 'liveness_refund_platform', ref
		FROM ledger_accounts f, ledger_accounts b
		WHERE f.kind = 'fees' AND b.user_id = s.buyer_id;
	END IF;
	IF refund > 0 THEN
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (s.buyer_id, 'liveness_refund', format('slot %s of "%s": '
		    'embed seen %s%% of its time; %s sat refunded', p_idx,
		    left(c.name, 40), seen * 100 / 64, refund)),
		    (c.seller_id, 'liveness_refund', format('slot %s of "%s": '
		    'embed seen %s%% of its time (%s%% required); %s sat refunded '
		    'to the buyer', p_idx, left(c.name, 40), seen * 100 / 64,
		    100 - pct, seller_part));
	END IF;
	RETURN refund;
END;
$$;
