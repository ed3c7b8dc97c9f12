-- Applies one counter_add request, or returns the stored reply of an
-- earlier delivery.  The inner block is a savepoint: a request its own
-- data makes fail (a key too long, a sum out of range: the data_exception
-- and integrity_constraint_violation classes) stores its error reply and
-- leaves the rest of the batch alone.  Anything else, above all a lock
-- timeout or a cancel, says nothing about the request: it is raised, so
-- nothing is stored and a resend of the same request applies it.
CREATE OR REPLACE FUNCTION link_counter_add(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_key text, p_n bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	v	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, NULL,
	    'counter_add');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	BEGIN
		INSERT INTO link_counters AS c (key, value) VALUES (p_key, p_n)
		ON CONFLICT (key) DO UPDATE SET value = c.value + p_n
		RETURNING c.value INTO v;
		r := jsonb_build_object('ok', true, 'value', v);
	EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
		r := jsonb_build_object('ok', false, 'error', SQLERRM);
	END;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, 'counter_add', r);
	RETURN r::text;
END;
$$;
