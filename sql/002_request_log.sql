-- Exactly-once requests over the link (SPEC 5).  A state-changing request's
-- effect, its reply and its identity are committed in one transaction: the
-- identity is (client id, client epoch, request number) and, for forms,
-- the page's idempotency key.  A request seen again gets the stored reply.

CREATE TABLE request_log (
	client_id	text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 64),
	epoch		bigint NOT NULL,
	req_no		bigint NOT NULL CHECK (req_no > 0),
	idem_key	text CHECK (length(idem_key) BETWEEN 8 AND 128),
	user_id		bigint,		-- whose key it is (NULL: no user)
	op		text NOT NULL,
	reply		jsonb NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (client_id, epoch, req_no)
);
CREATE INDEX request_log_created ON request_log (created_at);
-- An idempotency key belongs to one user and one kind of request: another
-- user's (or another form's) key never finds this reply.
CREATE UNIQUE INDEX request_log_idem ON request_log
    (coalesce(user_id, 0), op, idem_key) WHERE idem_key IS NOT NULL;

-- The stored reply for a request, by its identity or by the idempotency
-- key the same user gave the same kind of request.
CREATE FUNCTION request_log_find(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_user bigint, p_op text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT reply FROM request_log
	WHERE (client_id = p_client AND epoch = p_epoch AND req_no = p_req)
	   OR (p_idem IS NOT NULL AND idem_key = p_idem AND op = p_op
	       AND user_id IS NOT DISTINCT FROM p_user)
	LIMIT 1;
$$;

-- The test request kind of the link: adds n to a counter row, exactly once.
CREATE TABLE link_counters (
	key	text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 64),
	value	bigint NOT NULL
);

-- Applies one counter_add request, or returns the stored reply of an
-- earlier delivery.  The inner block is a savepoint: a failing request
-- stores its error reply and leaves the rest of the batch alone.
CREATE FUNCTION link_counter_add(p_client text, p_epoch bigint,
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
	EXCEPTION WHEN others THEN
		r := jsonb_build_object('ok', false, 'error', SQLERRM);
	END;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, 'counter_add', r);
	RETURN r::text;
END;
$$;
