-- Accounts (SPEC 4.1, 4.6): password hashes with their scrypt parameters,
-- revocable sessions (only a SHA-256 of each token is stored), the account
-- history timeline, and the functions abc-worker calls for each step.

ALTER TABLE users
	ADD COLUMN pw_hash bytea NOT NULL CHECK (length(pw_hash) = 32),
	ADD COLUMN pw_salt bytea NOT NULL CHECK (length(pw_salt) = 16),
	ADD COLUMN pw_n bigint NOT NULL CHECK (pw_n >= 2),
	ADD COLUMN pw_r integer NOT NULL CHECK (pw_r >= 1),
	ADD COLUMN pw_p integer NOT NULL CHECK (pw_p >= 1);

CREATE TABLE user_sessions (
	token_hash	bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id		bigint NOT NULL REFERENCES users (id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	client_addr	text NOT NULL DEFAULT ''
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);

CREATE TABLE account_events (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	kind		text NOT NULL CHECK (kind IN ('register', 'login',
			    'logout_all', 'password_change', 'history_purge',
			    'deposit_seen', 'deposit_credited', 'ad_uploaded',
			    'purchase', 'sale', 'withdrawal')),
	detail		text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_user ON account_events (user_id, id DESC);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): acct_register, acct_login, acct_session,
-- acct_logout_all, acct_password, acct_purge.
