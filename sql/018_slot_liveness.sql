-- Liveness of the embed (issue 15): when each sold slot's embed was seen,
-- and the refunds for slots whose embed was not fetched for too much of
-- their time.
--
-- Coverage is kept per slot, not per minute: a slot's time is cut into 64
-- equal buckets and abc-web sets bit b of the slot's mask when it serves
-- the slot's embed in bucket b (the same fetch that counts an impression in
-- slot_stats).  A per-minute row cannot judge a slot of a few seconds, and
-- a slot rarely starts on a minute, so its first and last minutes would be
-- partial; 64 buckets are the same resolution for any slot length, cost
-- 8 bytes per slot, and OR-merging masks is idempotent.  Uncovered share =
-- (64 - popcount(mask)) / 64.
CREATE TABLE slot_seen (
	campaign_id	bigint NOT NULL,
	idx		integer NOT NULL,
	mask		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, idx),
	FOREIGN KEY (campaign_id, idx) REFERENCES slots (campaign_id, idx)
);

-- The share (percent) of a slot's time its embed may go unfetched before
-- the slot is refunded pro rata.  NULL: the default, 50 for slots of a
-- minute or more and 100 (never refunded) for shorter ones, which exist
-- only for demos and tests (allow_short_slots) where nobody embeds them.
ALTER TABLE campaigns ADD COLUMN liveness_pct integer
    CHECK (liveness_pct BETWEEN 0 AND 100);

-- One row per judged slot (refunded or not), so a slot is judged once.
-- refund = seller_part + fee_part; the moderation part's "rejected slot ->
-- full refund" must check this table too (never both).
CREATE TABLE slot_liveness (
	campaign_id	bigint NOT NULL,
	idx		integer NOT NULL,
	seen_buckets	integer NOT NULL CHECK (seen_buckets BETWEEN 0 AND 64),
	threshold_pct	integer NOT NULL,
	refund		bigint NOT NULL CHECK (refund >= 0),
	seller_part	bigint NOT NULL CHECK (seller_part >= 0),
	fee_part	bigint NOT NULL CHECK (fee_part >= 0),
	platform_part	bigint NOT NULL CHECK (platform_part >= 0),
	judged_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, idx),
	FOREIGN KEY (campaign_id, idx) REFERENCES slots (campaign_id, idx),
	CHECK (refund = seller_part + fee_part + platform_part)
);

-- Slots that ended before this migration have no coverage data: never
-- judge them.
CREATE TABLE liveness_since (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	since_ms	bigint NOT NULL
);
INSERT INTO liveness_since (since_ms)
    VALUES (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint);

CREATE INDEX slots_end_all ON slots (end_ms);

-- Unique viewers per slot and day without any address: abc-web's
-- HyperLogLog sketch (256 one-byte registers) over a keyed hash of the
-- viewer's address and the day (common/statsbatch.h), merged here by the
-- maximum of each register (hll_merge), so every abc-web and flush counts a
-- viewer once; hll_estimate(regs) reads it (standard error 6.5 %).
-- day_ms: the start of the UTC day (Unix ms).
CREATE TABLE slot_uniques (
	campaign_id	bigint NOT NULL,
	idx		integer NOT NULL,
	day_ms		bigint NOT NULL CHECK (day_ms >= 0 AND
			    day_ms % 86400000 = 0),
	regs		bytea NOT NULL CHECK (length(regs) = 256),
	PRIMARY KEY (campaign_id, idx, day_ms),
	FOREIGN KEY (campaign_id, idx) REFERENCES slots (campaign_id, idx)
);

ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check
    CHECK (kind IN ('deposit', 'purchase', 'fee', 'withdrawal',
	'withdrawal_refund', 'reorg_correction', 'liveness_refund',
	'liveness_refund_fee', 'liveness_refund_platform'));

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal',
	'withdrawal_sent', 'withdrawal_rejected', 'liveness_refund'));

-- Its functions live in sql/functions/: stats_flush, liveness_judge,
-- liveness_due, hll_merge, hll_estimate.
