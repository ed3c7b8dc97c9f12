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

-- The test request kind of the link: adds n to a counter row, exactly once.
CREATE TABLE link_counters (
	key	text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 64),
	value	bigint NOT NULL
);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): request_log_find, link_counter_add.
