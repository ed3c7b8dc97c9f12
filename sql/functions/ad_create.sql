-- An ad with its image (stored once per SHA-256).
CREATE OR REPLACE FUNCTION ad_create(p_user bigint, p_nickname text, p_hover text,
    p_url text, p_sha text, p_mime text, p_width integer, p_height integer,
    p_data bytea) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	aid	bigint;
BEGIN
	INSERT INTO images (sha256, mime, width, height, data)
	VALUES (p_sha, p_mime, p_width, p_height, p_data)
	ON CONFLICT (sha256) DO NOTHING;
	INSERT INTO ads (user_id, nickname, hover, url, image)
	VALUES (p_user, p_nickname, p_hover, p_url, p_sha)
	RETURNING id INTO aid;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (p_user, 'ad_uploaded', left(p_nickname, 40));
	RETURN jsonb_build_object('ok', true, 'id', aid)::text;
EXCEPTION WHEN check_violation THEN
	RETURN jsonb_build_object('ok', false, 'code', 'invalid',
	    'error', 'A nickname is 1-40 characters, hover text at most 140, '
	    'and the link an http or https address.')::text;
END;
$$;
