-- requires: acct_session, request_log_find, totp_consume, totp_refusal
-- Issue 15: a new API key for the session's user, exactly once per request
-- (request_log, like ad_create).  The stored answer never holds the key
-- itself, only its id and prefix: abc-worker adds the key to the live
-- answer, so a repeat says the key exists but cannot show it again.  At
-- most p_max_keys keys that are not revoked, counted under the user's lock.
-- With 2FA on, p_totp_step is the step abc-worker matched the typed code
-- to; totp_consume spends it here, after request_log_find, so a retried
-- request gets its stored answer and a code counts once.
CREATE OR REPLACE FUNCTION apikey_create(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_token_hash bytea, p_ttl_s integer,
    p_name text, p_scopes text[], p_key_hash bytea, p_prefix text,
    p_max_keys integer, p_totp_step bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	uid	bigint;
	kid	bigint;
	n	bigint;
	v	text;
BEGIN
	SELECT s.user_id INTO uid FROM acct_session(p_token_hash, p_ttl_s) s;
	IF uid IS NULL THEN
		RETURN jsonb_build_object('ok', false, 'code', 'no_session',
		    'error', 'You are not logged in.')::text;
	END IF;
	r := request_log_find(p_client, p_epoch, p_req, p_idem, uid,
	    'apikey_create');
	IF r IS NOT NULL THEN
		RETURN (r || jsonb_build_object('repeat', true))::text;
	END IF;
	PERFORM 1 FROM users WHERE id = uid FOR UPDATE;
	SELECT count(*) INTO n FROM api_keys
	WHERE user_id = uid AND revoked_at IS NULL;
	v := totp_consume(uid, p_totp_step, NULL);
	IF v NOT IN ('ok', 'off') THEN
		r := totp_refusal(v);
	ELSIF n >= p_max_keys THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', format('You already have %s API keys, the most one '
		    'account may have; revoke one first.', p_max_keys));
	ELSE BEGIN
		INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes)
		VALUES (uid, p_name, p_prefix, p_key_hash, p_scopes)
		RETURNING id INTO kid;
		r := jsonb_build_object('ok', true, 'id', kid,
		    'prefix', p_prefix);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'A key''s name is 1-40 characters and its scopes '
		    'read, buy or both.');
	END; END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, uid, 'apikey_create', r);
	RETURN r::text;
END;
$$;
