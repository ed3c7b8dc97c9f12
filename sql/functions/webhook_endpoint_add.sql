-- A new webhook endpoint for p_user, exactly once per request (its reply
-- in request_log), at most p_max a user (counted under the user's row
-- lock).  The secret is made by abc-worker; the reply does not carry it
-- (request_log keeps replies): the endpoint list shows it to its owner.
CREATE OR REPLACE FUNCTION webhook_endpoint_add(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_url text, p_secret text,
    p_max integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	eid	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'webhook_add');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	PERFORM 1 FROM users WHERE id = p_user FOR UPDATE;
	IF (SELECT count(*) FROM webhook_endpoints WHERE user_id = p_user) >=
	    p_max THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', format('You already have %s webhook endpoints, '
		    'the most one account may have.', p_max));
	ELSE BEGIN
		INSERT INTO webhook_endpoints (user_id, url, secret)
		VALUES (p_user, p_url, p_secret) RETURNING id INTO eid;
		r := jsonb_build_object('ok', true, 'id', eid);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'A webhook address is an http:// or https:// URL '
		    'of at most 500 characters.');
	END; END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'webhook_add', r);
	RETURN r::text;
END;
$$;
