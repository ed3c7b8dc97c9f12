-- A new campaign, exactly once per request; at most p_max campaigns a
-- seller (counted under the seller's row lock, so two at once cannot both
-- squeeze under the quota).
CREATE OR REPLACE FUNCTION camp_create(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_seller bigint, p_name text, p_description text,
    p_width integer, p_height integer, p_min bigint, p_slot_ms bigint,
    p_max integer)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	cid	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_seller,
	    'campaign_create');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	PERFORM 1 FROM users WHERE id = p_seller FOR UPDATE;
	IF (SELECT count(*) FROM campaigns WHERE seller_id = p_seller) >= p_max
	THEN
		r := jsonb_build_object('ok', false, 'code', 'quota',
		    'error', format('You already have %s campaigns, the most one '
		    'account may have.', p_max));
	ELSE BEGIN
		INSERT INTO campaigns (seller_id, name, description, width,
		    height, min_price, slot_ms)
		VALUES (p_seller, p_name, p_description, p_width, p_height,
		    p_min, p_slot_ms)
		RETURNING id INTO cid;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_seller, 'campaign_created', left(p_name, 80));
		r := jsonb_build_object('ok', true, 'id', cid);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'Some field is out of range.');
	END; END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_seller, 'campaign_create',
	    r);
	RETURN r::text;
END;
$$;
