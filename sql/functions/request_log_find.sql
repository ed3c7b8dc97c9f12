-- The stored reply for a request, by its identity or by the idempotency
-- key the same user gave the same kind of request: each question is one
-- index probe (the primary key, then request_log_idem).
CREATE OR REPLACE FUNCTION request_log_find(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_op text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(
	    (SELECT reply FROM request_log
	    WHERE client_id = p_client AND epoch = p_epoch AND req_no = p_req),
	    (SELECT reply FROM request_log
	    WHERE p_idem IS NOT NULL AND coalesce(user_id, 0) =
	    coalesce(p_user, 0) AND op = p_op AND idem_key = p_idem));
$$;
