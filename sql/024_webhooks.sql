-- Webhooks (issue 15, SPEC 9): a user's endpoints, the outbox of events
-- (written by webhook_event in the same transaction as what they tell, so
-- an event is never lost nor invented) and one delivery per event and
-- endpoint, which abc-worker's sender (worker/webhook.c) works through.
CREATE TABLE webhook_endpoints (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	url		text NOT NULL
			    CHECK (url ~ '^https?://[^[:space:]]+$' AND
			    length(url) <= 500),
	secret		text NOT NULL CHECK (secret ~ '^[0-9a-f]{64}$'),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id);

-- once_key: events that must be written once whoever notices them
-- (a slot's start, a deposit's credit), NULL for the others.
CREATE TABLE webhook_events (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	kind		text NOT NULL CHECK (kind IN ('slot_bought',
			    'slot_started', 'ad_rejected', 'deposit_credited',
			    'withdrawal_sent')),
	data		jsonb NOT NULL,
	once_key	text UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- delivery: the id receivers deduplicate by (X-Abc-Delivery); attempts
-- made so far; next_at: when a pending delivery is due.
CREATE TABLE webhook_deliveries (
	id		bigserial PRIMARY KEY,
	delivery	uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	event_id	bigint NOT NULL REFERENCES webhook_events (id),
	endpoint_id	bigint NOT NULL REFERENCES webhook_endpoints (id)
			    ON DELETE CASCADE,
	status		text NOT NULL DEFAULT 'pending'
			    CHECK (status IN ('pending', 'sent', 'failed')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at		timestamptz NOT NULL DEFAULT now(),
	last_at		timestamptz,
	last_status	integer,
	last_error	text
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries
    (endpoint_id, id DESC);

-- How far the "slot started" job has looked (Unix ms of slots' start_ms).
CREATE TABLE webhook_cursor (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	started_ms	bigint NOT NULL
);
INSERT INTO webhook_cursor (started_ms)
VALUES (floor(extract(epoch FROM now()) * 1000)::bigint);
CREATE INDEX slots_start ON slots (start_ms);
