-- Deletes p_user's endpoint p_id (and its deliveries), exactly once per
-- request.  Another user's or a deleted endpoint is "invalid".
CREATE OR REPLACE FUNCTION webhook_endpoint_delete(p_client text,
    p_epoch bigint, p_req bigint, p_idem text, p_user bigint, p_id bigint)
    RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'webhook_delete');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	DELETE FROM webhook_endpoints WHERE id = p_id AND user_id = p_user;
	IF FOUND THEN
		r := jsonb_build_object('ok', true);
	ELSE
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'You have no such webhook endpoint.');
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'webhook_delete', r);
	RETURN r::text;
END;
$$;
