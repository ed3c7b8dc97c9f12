-- "Redeliver" on the account page: p_user's delivery p_id is due now
-- again, with the same delivery id and a fresh retry schedule, exactly
-- once per request.
CREATE OR REPLACE FUNCTION webhook_redeliver(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'webhook_redeliver');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	UPDATE webhook_deliveries d SET status = 'pending', attempts = 0,
	    next_at = now()
	FROM webhook_endpoints p
	WHERE d.id = p_id AND p.id = d.endpoint_id AND p.user_id = p_user;
	IF FOUND THEN
		r := jsonb_build_object('ok', true);
	ELSE
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'You have no such webhook delivery.');
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'webhook_redeliver',
	    r);
	RETURN r::text;
END;
$$;
