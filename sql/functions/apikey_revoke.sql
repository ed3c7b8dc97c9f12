-- requires: acct_session, request_log_find
-- Issue 15: revokes one of the session user's API keys, exactly once per
-- request.  The answer carries the key's hash (hex) so abc-worker can tell
-- every abc-web to forget it at once; revoking a revoked key is a no-op.
CREATE OR REPLACE FUNCTION apikey_revoke(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_token_hash bytea, p_ttl_s integer,
    p_key bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	uid	bigint;
	h	bytea;
BEGIN
	SELECT s.user_id INTO uid FROM acct_session(p_token_hash, p_ttl_s) s;
	IF uid IS NULL THEN
		RETURN jsonb_build_object('ok', false, 'code', 'no_session',
		    'error', 'You are not logged in.')::text;
	END IF;
	r := request_log_find(p_client, p_epoch, p_req, p_idem, uid,
	    'apikey_revoke');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
	WHERE id = p_key AND user_id = uid
	RETURNING key_hash INTO h;
	IF h IS NULL THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'You have no such API key.');
	ELSE
		r := jsonb_build_object('ok', true, 'id', p_key,
		    'key_hash', encode(h, 'hex'));
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, uid, 'apikey_revoke', r);
	RETURN r::text;
END;
$$;
