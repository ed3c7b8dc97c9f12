-- Withdrawals (SPEC 4.5).  The amount leaves the user's balance when the
-- request is made (user -> 'withdrawals' system account, one transfer);
-- abc-worker's payer then pays it with sendtoaddress exactly once: it
-- records its intent ('sending', attempt_at) and commits before it calls
-- bitcoind, records the txid after, and on finding a 'sending' row it did
-- not finish (a crash, a lost answer) looks the payment up in the wallet by
-- its comment before it would ever send again.  Amounts above the
-- configured threshold wait in 'approval' for sql/admin/approve_withdrawal.sql;
-- sql/admin/reject_withdrawal.sql refunds one that was not sent.
--
-- status: approval -> queued -> sending -> sent; approval|queued -> rejected.

CREATE TABLE withdrawals (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	address		text NOT NULL CHECK (length(address) BETWEEN 14 AND 100
			    AND address ~ '^[a-zA-Z0-9]+$'),
	amount		bigint NOT NULL CHECK (amount > 0),
	status		text NOT NULL CHECK (status IN
			    ('approval', 'queued', 'sending', 'sent', 'rejected')),
	txid		text CHECK (txid ~ '^[0-9a-f]{64}$'),
	error		text CHECK (length(error) <= 300),
	created_at	timestamptz NOT NULL DEFAULT now(),
	not_before	timestamptz,	-- queued: not sent again before
	attempt_at	timestamptz,	-- sending: when the intent was recorded
	sent_at		timestamptz,
	CHECK ((status = 'sent') = (txid IS NOT NULL)),
	CHECK (status <> 'sending' OR attempt_at IS NOT NULL)
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, id DESC);
CREATE INDEX withdrawals_open ON withdrawals (status, id)
    WHERE status IN ('queued', 'sending');

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal',
	'withdrawal_sent', 'withdrawal_rejected'));

-- acct_overview gained the user's last 20 withdrawals.
DROP FUNCTION IF EXISTS acct_overview(bigint);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): wd_request, wd_take, wd_sent, wd_retry,
-- acct_overview, wd_approve, wd_reject.
