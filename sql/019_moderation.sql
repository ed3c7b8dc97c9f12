-- Moderation by the seller (issue 15, SPEC 4.4): a campaign may require the
-- seller's approval of each bought slot's ad.  With approval on, a purchase
-- moves the whole price buyer -> escrow (a system account); approval, or the
-- review deadline passing, moves it escrow -> seller (price - fee) and
-- escrow -> fees (fee); a rejection moves it escrow -> buyer in full.  Each
-- of these is one transfer per slot (ledger_transfers_cause makes a second
-- impossible), so a slot is never both paid out and refunded, and the
-- seller's balance never has to give back what it may have withdrawn.
--
-- A rejected slot keeps its row, index, price and bought_ms (the price
-- history: every next price is computed from them as before); only its
-- time is cut to what already passed (end_ms = start_ms when it had not
-- begun), and every later slot of the campaign moves earlier by the time
-- freed.  So its end may equal its start.

ALTER TABLE campaigns
	ADD COLUMN requires_approval boolean NOT NULL DEFAULT false,
	ADD COLUMN review_ms bigint NOT NULL DEFAULT 86400000
	    CHECK (review_ms BETWEEN 1000 AND 604800000);

-- review: 'none' (approval was not required when bought), 'pending',
-- 'approved', 'auto' (approved by the deadline), 'rejected'.
ALTER TABLE slots
	ADD COLUMN review text NOT NULL DEFAULT 'none' CHECK (review IN
	    ('none', 'pending', 'approved', 'auto', 'rejected')),
	ADD COLUMN review_due_ms bigint,
	ADD COLUMN reviewed_ms bigint,
	ADD COLUMN reject_reason text CHECK (length(reject_reason) <= 200),
	ADD CHECK ((review = 'none') = (review_due_ms IS NULL)),
	ADD CHECK ((review IN ('none', 'pending')) = (reviewed_ms IS NULL)),
	ADD CHECK ((review = 'rejected') = (reject_reason IS NOT NULL));
-- The old CHECK (end_ms > start_ms) has a generated name; found by its
-- definition (the fee's CHECK is named alike).
DO $$
DECLARE
	n	text;
BEGIN
	SELECT conname INTO STRICT n FROM pg_constraint
	WHERE conrelid = 'slots'::regclass AND contype = 'c'
	AND pg_get_constraintdef(oid) = 'CHECK ((end_ms > start_ms))';
	EXECUTE format('ALTER TABLE slots DROP CONSTRAINT %I', n);
END;
$$;
ALTER TABLE slots ADD CONSTRAINT slots_time_check
    CHECK (end_ms > start_ms OR (review = 'rejected' AND end_ms = start_ms));
-- The worker's deadline job finds due reviews without a scan.
CREATE INDEX slots_pending ON slots (review_due_ms) WHERE review = 'pending';

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check
    CHECK (kind IN ('user', 'deposits', 'withdrawals', 'fees', 'escrow'));
INSERT INTO ledger_accounts (kind) VALUES ('escrow');

-- escrow: buyer -> escrow at purchase; escrow_release: escrow -> seller;
-- slot_refund: escrow -> buyer (a rejection).  The fee of an escrowed slot
-- is the usual 'fee' transfer, from escrow, at release.
ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check
    CHECK (kind IN ('deposit', 'purchase', 'fee', 'withdrawal',
	'withdrawal_refund', 'reorg_correction', 'liveness_refund',
	'liveness_refund_fee', 'liveness_refund_platform', 'escrow',
	'escrow_release', 'slot_refund'));

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal',
	'withdrawal_sent', 'withdrawal_rejected', 'liveness_refund',
	'ad_approved', 'ad_rejected', 'campaign_settings', 'block'));

-- What a seller blocked for all of their campaigns: a buyer (target is a
-- user id) or an ad (an ad id).  A purchase matching one is refused.
CREATE TABLE seller_blocks (
	seller_id	bigint NOT NULL REFERENCES users (id),
	kind		text NOT NULL CHECK (kind IN ('buyer', 'ad')),
	target		bigint NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (seller_id, kind, target)
);

-- Its functions live in sql/functions/ (one file each): camp_review,
-- camp_review_due, camp_review_release, camp_settings, seller_block;
-- camp_purchase escrows and refuses what is blocked.
