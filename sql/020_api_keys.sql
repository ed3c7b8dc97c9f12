-- Issue 15: API keys.  A key is 32 random bytes shown once to its owner as
-- "abc_<base64url>"; only the SHA-256 of that text is kept (key_hash): a
-- key has 256 bits of entropy, so a slow KDF would add nothing against a
-- stolen table, while a plain hash keeps each lookup one index probe.
-- prefix is the first characters of the key, for the owner's list.
-- last_used_at is written at most once a minute (acct_session).
CREATE TABLE api_keys (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
	prefix		text NOT NULL CHECK (prefix ~ '^abc_[A-Za-z0-9_-]{4,12}$'),
	key_hash	bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
	scopes		text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 2
			    AND scopes <@ ARRAY['read', 'buy']::text[]),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, id DESC);
