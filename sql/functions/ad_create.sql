-- requires: request_log_find
-- An ad with its image (stored once per SHA-256), exactly once per request
-- (the answer is kept in request_log under the request's ids and its
-- idempotency key, as camp_create does); at most p_max_ads ads a user, and
-- at most p_max_bytes of image bytes over all of them (each ad counts its
-- image, shared or not), counted under the user's row lock.
CREATE OR REPLACE FUNCTION ad_create(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_nickname text, p_hover text,
    p_url text, p_sha text, p_mime text, p_width integer, p_height integer,
    p_data bytea, p_max_ads integer, p_max_bytes bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	aid	bigint;
	n	bigint;
	used	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'ad_create');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	PERFORM 1 FROM users WHERE id = p_user FOR UPDATE;
	SELECT count(*), coalesce(sum(length(i.data)), 0) INTO n, used
	FROM ads a JOIN images i ON i.sha256 = a.image WHERE a.user_id = p_user;
	IF n >= p_max_ads THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', format('You already have %s ads, the most one account '
		    'may have.', p_max_ads));
	ELSIF used + length(p_data) > p_max_bytes THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', format('Your ads'' images would take %s KiB; one '
		    'account may have at most %s KiB.',
		    (used + length(p_data) + 1023) / 1024,
		    p_max_bytes / 1024));
	ELSE BEGIN
		INSERT INTO images (sha256, mime, width, height, data)
		VALUES (p_sha, p_mime, p_width, p_height, p_data)
		ON CONFLICT (sha256) DO NOTHING;
		INSERT INTO ads (user_id, nickname, hover, url, image)
		VALUES (p_user, p_nickname, p_hover, p_url, p_sha)
		RETURNING id INTO aid;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'ad_uploaded', left(p_nickname, 40));
		r := jsonb_build_object('ok', true, 'id', aid);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'A nickname is 1-40 characters, hover text at most '
		    '140, and the link an http or https address.');
	END; END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'ad_create', r);
	RETURN r::text;
END;
$$;
