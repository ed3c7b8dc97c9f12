-- Ledger invariants (SPEC 3).  Run with psql -v ON_ERROR_STOP=1: any broken
-- invariant raises an exception, so psql exits non-zero and names it.
-- Later migrations add checks for slots, deposits and withdrawals here.

DO $$
DECLARE
	bad bigint;
BEGIN
	-- Debits and credits balance: sum of all balances is zero, because
	-- system accounts go negative by what users hold.
	SELECT coalesce(sum(balance), 0) INTO bad FROM ledger_accounts;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: balances sum to % instead of 0', bad;
	END IF;

	-- Every account balance equals its credits minus its debits.
	SELECT count(*) INTO bad FROM ledger_accounts a
	WHERE a.balance <>
	    coalesce((SELECT sum(amount) FROM ledger_transfers
		WHERE credit_account = a.id), 0) -
	    coalesce((SELECT sum(amount) FROM ledger_transfers
		WHERE debit_account = a.id), 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % accounts disagree with transfers', bad;
	END IF;

	-- No user balance below zero (the CHECK constraint should make this
	-- impossible; this catches a dropped constraint).
	SELECT count(*) INTO bad FROM ledger_accounts
	WHERE kind = 'user' AND balance < 0;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % user balances are negative', bad;
	END IF;

	-- Every user has exactly one balance account.
	SELECT count(*) INTO bad FROM users u
	WHERE (SELECT count(*) FROM ledger_accounts
	    WHERE user_id = u.id) <> 1;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % users without exactly one account', bad;
	END IF;
END;
$$;
SELECT 'invariants ok';

-- Deposits, slots and purchases (SPEC 3).
DO $$
DECLARE
	bad bigint;
BEGIN
	-- Every credited (or later reorged) deposit output has exactly one
	-- deposit transfer of its amount to its user, and no deposit transfer
	-- lacks such an output (tests may add transfers named 'test:...').
	SELECT count(*) INTO bad FROM deposits d
	WHERE d.status IN ('credited', 'reorged') AND (SELECT count(*)
	    FROM ledger_transfers t JOIN ledger_accounts a
	    ON a.id = t.credit_account
	    WHERE t.kind = 'deposit' AND t.reference = d.txid || ':' || d.vout
	    AND t.amount = d.amount AND a.user_id = d.user_id) <> 1;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % credited deposits without exactly one matching transfer', bad;
	END IF;
	SELECT count(*) INTO bad FROM deposits d
	WHERE d.status IN ('pending', 'dropped') AND EXISTS (SELECT 1
	    FROM ledger_transfers t WHERE t.kind = 'deposit'
	    AND t.reference = d.txid || ':' || d.vout);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % uncredited deposits have a transfer', bad;
	END IF;

	-- Every sold slot bought without approval (review 'none') has exactly
	-- one purchase transfer buyer -> seller of price - fee, and one fee
	-- transfer when the fee is not zero.  (Moderated slots: below.)
	SELECT count(*) INTO bad FROM slots s JOIN campaigns c
	    ON c.id = s.campaign_id
	WHERE s.review = 'none' AND ((SELECT count(*) FROM ledger_transfers t
	    JOIN ledger_accounts b ON b.id = t.debit_account
	    JOIN ledger_accounts se ON se.id = t.credit_account
	    WHERE t.kind = 'purchase'
	    AND t.reference = s.campaign_id || ':' || s.idx
	    AND b.user_id = s.buyer_id AND se.user_id = c.seller_id
	    AND t.amount = s.price - s.fee) <> 1
	   OR (SELECT count(*) FROM ledger_transfers t WHERE t.kind = 'fee'
	    AND t.reference = s.campaign_id || ':' || s.idx) <>
	    CASE WHEN s.fee > 0 THEN 1 ELSE 0 END);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % slots without exactly one purchase transfer (+ fee)', bad;
	END IF;
	SELECT count(*) INTO bad FROM ledger_transfers t
	WHERE t.kind IN ('purchase', 'escrow', 'escrow_release',
	    'slot_refund') AND NOT EXISTS (SELECT 1 FROM slots s
	    WHERE s.campaign_id || ':' || s.idx = t.reference);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % purchase transfers without a slot', bad;
	END IF;

	-- Slots of a campaign are numbered 0..n-1 with no gap, n = slots_sold,
	-- and never overlap in time.
	SELECT count(*) INTO bad FROM campaigns c
	WHERE c.slots_sold <> (SELECT count(*) FROM slots WHERE campaign_id = c.id)
	   OR c.slots_sold <> coalesce((SELECT max(idx) + 1 FROM slots
	    WHERE campaign_id = c.id), 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % campaigns whose slots are not 0..n-1', bad;
	END IF;
	SELECT count(*) INTO bad FROM slots a JOIN slots b
	    ON a.campaign_id = b.campaign_id AND b.idx = a.idx + 1
	WHERE b.start_ms < a.end_ms;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % slots overlap the one before', bad;
	END IF;

	-- Moderation (019_moderation.sql).  A slot bought with approval on
	-- moved its whole price buyer -> escrow once, and never had a direct
	-- purchase transfer; approved (or run unreviewed) it has exactly one
	-- escrow -> seller of price - fee (when not zero) and one fee (when
	-- not zero), and no refund; rejected it has exactly one refund
	-- escrow -> buyer of the whole price and no payout; pending neither.
	-- So a slot is never both paid out and refunded, and a refund exists
	-- only for a rejected slot.
	SELECT count(*) INTO bad FROM slots s JOIN campaigns c
	    ON c.id = s.campaign_id
	WHERE s.review <> 'none' AND (
	    (SELECT count(*) FROM ledger_transfers t
	    JOIN ledger_accounts b ON b.id = t.debit_account
	    JOIN ledger_accounts e ON e.id = t.credit_account
	    WHERE t.kind = 'escrow' AND t.reference = s.campaign_id || ':' || s.idx
	    AND b.user_id = s.buyer_id AND e.kind = 'escrow'
	    AND t.amount = s.price) <> 1
	 OR EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.kind = 'purchase'
	    AND t.reference = s.campaign_id || ':' || s.idx)
	 OR (SELECT count(*) FROM ledger_transfers t
	    JOIN ledger_accounts e ON e.id = t.debit_account
	    JOIN ledger_accounts se ON se.id = t.credit_account
	    WHERE t.kind = 'escrow_release'
	    AND t.reference = s.campaign_id || ':' || s.idx
	    AND e.kind = 'escrow' AND se.user_id = c.seller_id
	    AND t.amount = s.price - s.fee) <>
	    CASE WHEN s.review IN ('approved', 'auto') AND s.price > s.fee
	    THEN 1 ELSE 0 END
	 OR (SELECT count(*) FROM ledger_transfers t WHERE t.kind = 'fee'
	    AND t.reference = s.campaign_id || ':' || s.idx) <>
	    CASE WHEN s.review IN ('approved', 'auto') AND s.fee > 0
	    THEN 1 ELSE 0 END
	 OR (SELECT count(*) FROM ledger_transfers t
	    JOIN ledger_accounts e ON e.id = t.debit_account
	    JOIN ledger_accounts b ON b.id = t.credit_account
	    WHERE t.kind = 'slot_refund'
	    AND t.reference = s.campaign_id || ':' || s.idx
	    AND e.kind = 'escrow' AND b.user_id = s.buyer_id
	    AND t.amount = s.price) <>
	    CASE WHEN s.review = 'rejected' THEN 1 ELSE 0 END);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % moderated slots whose escrow, payout or refund is wrong', bad;
	END IF;
	-- Never both: a rejected slot has no transfer but its escrow and its
	-- refund (whatever other refund kinds come, e.g. a liveness refund,
	-- none may touch a rejected slot), and a refund of a slot exists only
	-- for a rejected one.
	SELECT count(*) INTO bad FROM slots s
	WHERE s.review = 'rejected' AND EXISTS (SELECT 1 FROM ledger_transfers t
	    WHERE t.reference = s.campaign_id || ':' || s.idx
	    AND t.kind NOT IN ('escrow', 'slot_refund'));
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % rejected slots also paid out or refunded otherwise', bad;
	END IF;
	SELECT count(*) INTO bad FROM ledger_transfers t
	WHERE t.kind = 'slot_refund' AND NOT EXISTS (SELECT 1 FROM slots s
	    WHERE s.campaign_id || ':' || s.idx = t.reference
	    AND s.review = 'rejected');
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % slot refunds for a slot not rejected', bad;
	END IF;
	-- The escrow account holds exactly the prices of the pending slots.
	SELECT count(*) INTO bad FROM ledger_accounts a
	WHERE a.kind = 'escrow' AND a.balance <> (SELECT
	    coalesce(sum(price), 0) FROM slots WHERE review = 'pending');
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: the escrow account disagrees with the pending slots';
	END IF;
END;
$$;
SELECT 'marketplace invariants ok';

-- Withdrawals (SPEC 4.5).
DO $$
DECLARE
	bad bigint;
BEGIN
	-- Every withdrawal has exactly one debit of its amount from its user's
	-- balance to the withdrawals account, and no such debit lacks one.
	SELECT count(*) INTO bad FROM withdrawals w
	WHERE (SELECT count(*) FROM ledger_transfers t
	    JOIN ledger_accounts u ON u.id = t.debit_account
	    JOIN ledger_accounts s ON s.id = t.credit_account
	    WHERE t.kind = 'withdrawal' AND t.reference = 'wd:' || w.id
	    AND t.amount = w.amount AND u.user_id = w.user_id
	    AND s.kind = 'withdrawals') <> 1;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % withdrawals without exactly one debit', bad;
	END IF;
	SELECT count(*) INTO bad FROM ledger_transfers t
	WHERE t.kind IN ('withdrawal', 'withdrawal_refund') AND NOT EXISTS
	    (SELECT 1 FROM withdrawals w WHERE 'wd:' || w.id = t.reference);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % withdrawal transfers without a withdrawal', bad;
	END IF;

	-- A rejected withdrawal was refunded exactly once; no other was.
	SELECT count(*) INTO bad FROM withdrawals w
	WHERE (SELECT count(*) FROM ledger_transfers t
	    WHERE t.kind = 'withdrawal_refund' AND t.reference = 'wd:' || w.id
	    AND t.amount = w.amount) <> CASE WHEN w.status = 'rejected'
	    THEN 1 ELSE 0 END;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % withdrawals refunded wrongly', bad;
	END IF;

	-- The withdrawals account holds what left users and was not refunded.
	SELECT count(*) INTO bad FROM ledger_accounts a
	WHERE a.kind = 'withdrawals' AND a.balance <> coalesce((SELECT
	    sum(amount) FROM withdrawals WHERE status <> 'rejected'), 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: the withdrawals account disagrees with the withdrawals';
	END IF;

	-- A sent withdrawal has its txid; one transaction pays one withdrawal.
	SELECT count(*) INTO bad FROM (SELECT txid FROM withdrawals
	    WHERE txid IS NOT NULL GROUP BY txid HAVING count(*) > 1) d;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % transactions pay more than one withdrawal', bad;
	END IF;
END;
$$;
SELECT 'withdrawal invariants ok';

-- Liveness refunds (issue 15).
DO $$
DECLARE
	bad bigint;
BEGIN
	-- A slot is judged at most once (slot_liveness's key) and refunded
	-- never more than its price, its fee part never more than its fee,
	-- its refund = floor(price * unseen / 64).
	SELECT count(*) INTO bad FROM slot_liveness l JOIN slots s
	    ON s.campaign_id = l.campaign_id AND s.idx = l.idx
	WHERE l.refund > s.price OR l.fee_part > s.fee
	   OR (l.refund > 0 AND l.refund <> div(s.price::numeric *
	    (64 - l.seen_buckets), 64));
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % liveness refunds above the price or off the formula', bad;
	END IF;
	-- Each refund's parts are exactly its transfers to the buyer, once:
	-- one transfer per kind and slot (ledger_transfers_cause), of the
	-- recorded amount, and none without a judged slot.
	SELECT count(*) INTO bad FROM slot_liveness l JOIN slots s
	    ON s.campaign_id = l.campaign_id AND s.idx = l.idx
	WHERE l.refund <> coalesce((SELECT sum(t.amount) FROM ledger_transfers t
	    JOIN ledger_accounts b ON b.id = t.credit_account
	    WHERE t.kind IN ('liveness_refund', 'liveness_refund_fee',
	    'liveness_refund_platform')
	    AND t.reference = l.campaign_id || ':' || l.idx
	    AND b.user_id = s.buyer_id), 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % liveness refunds disagree with their transfers', bad;
	END IF;
	SELECT count(*) INTO bad FROM ledger_transfers t
	WHERE t.kind IN ('liveness_refund', 'liveness_refund_fee',
	    'liveness_refund_platform') AND NOT EXISTS (SELECT 1
	    FROM slot_liveness l WHERE l.campaign_id || ':' || l.idx =
	    t.reference AND l.refund > 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % liveness refund transfers without a judged slot', bad;
	END IF;
END;
$$;
SELECT 'liveness invariants ok';
