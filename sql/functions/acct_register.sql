-- Registration, exactly once: the user, its ledger account and the first
-- history event in one transaction.  A name taken (in any letter case) is
-- an ordinary answer, stored like any other.
CREATE OR REPLACE FUNCTION acct_register(p_client text, p_epoch bigint, p_req bigint,
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
