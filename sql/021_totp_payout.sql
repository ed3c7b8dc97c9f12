-- Two-factor login and payout safety (issue 15, SPEC 4.1, 4.5).
--
-- user_totp: a user's TOTP secret (RFC 6238), made by abc-worker and sent
-- out once, at enrolment; 'enabled' only after a right code was typed.
-- last_step is the newest 30 s step accepted, so no code counts twice.
-- totp_recovery: ten one-use codes per user, SHA-256 only.
-- login_pending: the half-logged-in state between a right password and a
-- right code: a random token (SHA-256 stored) that is no session, lives a
-- few minutes and dies after a few wrong codes.
-- users.payout_address: where withdrawals may go once one is saved;
-- changing it sets payout_frozen_until (no withdrawal before).

CREATE TABLE user_totp (
	user_id		bigint PRIMARY KEY REFERENCES users (id),
	secret		bytea NOT NULL CHECK (length(secret) = 20),
	enabled		boolean NOT NULL DEFAULT false,
	last_step	bigint NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE totp_recovery (
	user_id		bigint NOT NULL REFERENCES users (id),
	code_hash	bytea NOT NULL CHECK (length(code_hash) = 32),
	used_at		timestamptz,
	PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE login_pending (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id		bigint NOT NULL REFERENCES users (id),
	client_addr	text NOT NULL DEFAULT '',
	expires_at	timestamptz NOT NULL,
	tries		integer NOT NULL DEFAULT 0
);
CREATE INDEX login_pending_expires ON login_pending (expires_at);

ALTER TABLE users
	ADD COLUMN payout_address text CHECK (length(payout_address)
	    BETWEEN 14 AND 100 AND payout_address ~ '^[a-zA-Z0-9]+$'),
	ADD COLUMN payout_frozen_until timestamptz;

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal',
	'withdrawal_sent', 'withdrawal_rejected', 'liveness_refund',
	'ad_approved', 'ad_rejected', 'campaign_settings', 'block', 'totp_on',
	'totp_off', 'totp_recovery_used', 'payout_address'));

-- Its functions live in sql/functions/: totp_enable, totp_disable,
-- totp_login, totp_consume, payout_set, wd_request_guarded.
