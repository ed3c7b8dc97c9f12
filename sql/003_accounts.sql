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

-- Registration, exactly once: the user, its ledger account and the first
-- history event in one transaction.  A name taken (in any letter case) is
-- an ordinary answer, stored like any other.
CREATE FUNCTION acct_register(p_client text, p_epoch bigint, p_req bigint,
    p_username text, p_hash bytea, p_salt bytea, p_n bigint, p_r integer,
    p_p integer, p_addr text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	uid	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, NULL, NULL, 'register');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	BEGIN
		INSERT INTO users (username, pw_hash, pw_salt, pw_n, pw_r, pw_p)
		VALUES (p_username, p_hash, p_salt, p_n, p_r, p_p)
		RETURNING id INTO uid;
		INSERT INTO ledger_accounts (kind, user_id) VALUES ('user', uid);
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (uid, 'register', 'from ' || left(p_addr, 64));
		r := jsonb_build_object('ok', true, 'user', uid,
		    'username', p_username);
	EXCEPTION
	WHEN unique_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'name_taken',
		    'error', 'That name is taken.');
	WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'That name is not allowed.');
	END;
	INSERT INTO request_log (client_id, epoch, req_no, op, reply)
	VALUES (p_client, p_epoch, p_req, 'register', r);
	RETURN r::text;
END;
$$;

-- A successful login: a new session and a history event with the address.
CREATE FUNCTION acct_login(p_user bigint, p_token_hash bytea,
    p_ttl_s integer, p_addr text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO user_sessions (token_hash, user_id, expires_at, client_addr)
	VALUES (p_token_hash, p_user,
	    now() + make_interval(secs => p_ttl_s), left(p_addr, 64));
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (p_user, 'login', 'from ' || left(p_addr, 64));
	DELETE FROM user_sessions WHERE expires_at < now();
$$;

-- The session of a token, renewed when more than a tenth of its life is
-- used up; no row when it is unknown or expired.
CREATE FUNCTION acct_session(p_token_hash bytea, p_ttl_s integer)
RETURNS TABLE (user_id bigint, username text, expires_at timestamptz)
LANGUAGE sql AS $$
	UPDATE user_sessions s
	SET expires_at = CASE
	    WHEN s.expires_at < now() + make_interval(secs => p_ttl_s * 9 / 10)
	    THEN now() + make_interval(secs => p_ttl_s) ELSE s.expires_at END
	FROM users u
	WHERE s.token_hash = p_token_hash AND s.expires_at > now()
	    AND u.id = s.user_id
	RETURNING s.user_id, u.username, s.expires_at;
$$;

-- Ends every session of a user but, optionally, one.
CREATE FUNCTION acct_logout_all(p_user bigint, p_keep bytea, p_kind text)
RETURNS void
LANGUAGE sql AS $$
	DELETE FROM user_sessions
	WHERE user_id = p_user AND token_hash IS DISTINCT FROM p_keep;
	INSERT INTO account_events (user_id, kind) SELECT p_user, p_kind
	WHERE p_kind IS NOT NULL;
$$;

-- A password change: the new hash, every other session ended, an event.
CREATE FUNCTION acct_password(p_user bigint, p_hash bytea, p_salt bytea,
    p_n bigint, p_r integer, p_p integer, p_keep bytea) RETURNS void
LANGUAGE sql AS $$
	UPDATE users SET pw_hash = p_hash, pw_salt = p_salt, pw_n = p_n,
	    pw_r = p_r, pw_p = p_p
	WHERE id = p_user;
	SELECT acct_logout_all(p_user, p_keep, 'password_change');
$$;

-- Purging the history deletes its events, never a ledger row.
CREATE FUNCTION acct_purge(p_user bigint) RETURNS void
LANGUAGE sql AS $$
	DELETE FROM account_events WHERE user_id = p_user;
	INSERT INTO account_events (user_id, kind) VALUES (p_user, 'history_purge');
$$;
