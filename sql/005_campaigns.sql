-- The marketplace (SPEC 3, 4.3, 4.4): images stored by SHA-256, ads,
-- campaigns and their slots.  A slot index is sold at most once (primary
-- key), and a purchase moves money buyer -> seller (+ platform fee) in the
-- same transaction as the slot row, exactly once per request (request_log).

CREATE TABLE images (
	sha256		text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	mime		text NOT NULL CHECK (mime IN
			    ('image/png', 'image/jpeg', 'image/gif')),
	width		integer NOT NULL CHECK (width BETWEEN 1 AND 100000),
	height		integer NOT NULL CHECK (height BETWEEN 1 AND 100000),
	data		bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 262144),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ads (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	nickname	text NOT NULL CHECK (length(nickname) BETWEEN 1 AND 40),
	hover		text NOT NULL CHECK (length(hover) <= 140),
	url		text NOT NULL CHECK (url ~ '^https?://[^[:space:]<>"]+$'
			    AND length(url) <= 2000),
	image		text NOT NULL REFERENCES images (sha256),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ads_user ON ads (user_id, id DESC);

CREATE TABLE campaigns (
	id		bigserial PRIMARY KEY,
	seller_id	bigint NOT NULL REFERENCES users (id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
	description	text NOT NULL CHECK (length(description) <= 2000),
	width		integer NOT NULL CHECK (width BETWEEN 1 AND 4096),
	height		integer NOT NULL CHECK (height BETWEEN 1 AND 4096),
	min_price	bigint NOT NULL CHECK (min_price BETWEEN 1
			    AND 2100000000000000),
	slot_ms		bigint NOT NULL CHECK (slot_ms BETWEEN 1000
			    AND 2592000000),
	slots_sold	integer NOT NULL DEFAULT 0 CHECK (slots_sold >= 0),
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE slots (
	campaign_id	bigint NOT NULL REFERENCES campaigns (id),
	idx		integer NOT NULL CHECK (idx >= 0),
	buyer_id	bigint NOT NULL REFERENCES users (id),
	ad_id		bigint NOT NULL REFERENCES ads (id),
	price		bigint NOT NULL CHECK (price > 0),
	fee		bigint NOT NULL CHECK (fee >= 0 AND fee <= price),
	bought_ms	bigint NOT NULL,
	start_ms	bigint NOT NULL,
	end_ms		bigint NOT NULL CHECK (end_ms > start_ms),
	PRIMARY KEY (campaign_id, idx)
);
CREATE INDEX slots_end ON slots (campaign_id, end_ms);

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal'));

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): camp_state, camp_buy, camp_create, camp_list,
-- ad_create.
