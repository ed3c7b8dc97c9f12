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

-- A campaign's state as the price formula needs it, as JSON text: its
-- parameters and its queue of slots (oldest first).
CREATE FUNCTION camp_state(p_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'seller', c.seller_id,
	    'seller_name', u.username, 'name', c.name,
	    'description', c.description, 'width', c.width,
	    'height', c.height, 'min_price', c.min_price,
	    'slot_ms', c.slot_ms, 'slots_sold', c.slots_sold,
	    'slots', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'idx', s.idx, 'price', s.price, 'bought_ms', s.bought_ms,
		'start_ms', s.start_ms, 'end_ms', s.end_ms, 'ad', s.ad_id,
		'nickname', a.nickname, 'hover', a.hover, 'url', a.url,
		'image', a.image, 'buyer', s.buyer_id) ORDER BY s.idx)
		FROM slots s JOIN ads a ON a.id = s.ad_id
		WHERE s.campaign_id = c.id), '[]'::jsonb))::text
	FROM campaigns c JOIN users u ON u.id = c.seller_id
	WHERE c.id = p_id;
$$;

-- A purchase, exactly as SPEC 4.4 says, in one transaction.  The worker
-- read the campaign, computed the price at its clock and passes it with
-- the slot index it was computed for: if that index is no longer the next
-- one, somebody else bought first and nothing happens.  Every outcome is
-- stored in request_log, so a resent form shows the same one.
CREATE FUNCTION camp_buy(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_buyer bigint, p_campaign bigint, p_idx integer,
    p_ad bigint, p_price bigint, p_max bigint, p_fee bigint,
    p_now_ms bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	c	campaigns%ROWTYPE;
	ad	ads%ROWTYPE;
	img	images%ROWTYPE;
	prev	bigint;
	start	bigint;
	buyer_acct bigint;
	seller_acct bigint;
	fee_acct bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_buyer, 'buy');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	SELECT * INTO ad FROM ads WHERE id = p_ad;
	SELECT * INTO img FROM images WHERE sha256 = ad.image;
	IF c.id IS NULL THEN
		r := jsonb_build_object('ok', false, 'code', 'no_campaign',
		    'error', 'There is no such campaign.');
	ELSIF ad.id IS NULL OR ad.user_id <> p_buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_ad',
		    'error', 'Pick one of your own ads.');
	ELSIF img.width <> c.width OR img.height <> c.height THEN
		r := jsonb_build_object('ok', false, 'code', 'bad_size',
		    'error', format('This space takes %s x %s images; the ad is %s x %s.',
		    c.width, c.height, img.width, img.height));
	ELSIF c.seller_id = p_buyer THEN
		r := jsonb_build_object('ok', false, 'code', 'own_campaign',
		    'error', 'You cannot buy your own ad space.');
	ELSIF c.slots_sold <> p_idx THEN
		r := jsonb_build_object('ok', false, 'code', 'sold',
		    'error', 'That slot is already sold.',
		    'next_idx', c.slots_sold);
	ELSIF p_price > p_max THEN
		r := jsonb_build_object('ok', false, 'code', 'price_up',
		    'error', 'The price is above the most you accepted.',
		    'price', p_price);
	ELSE
		SELECT max(end_ms) INTO prev FROM slots
		WHERE campaign_id = c.id;
		start := greatest(p_now_ms, coalesce(prev, p_now_ms));
		SELECT id INTO buyer_acct FROM ledger_accounts
		WHERE user_id = p_buyer;
		SELECT id INTO seller_acct FROM ledger_accounts
		WHERE user_id = c.seller_id;
		SELECT id INTO fee_acct FROM ledger_accounts WHERE kind = 'fees';
		BEGIN
			INSERT INTO slots (campaign_id, idx, buyer_id, ad_id,
			    price, fee, bought_ms, start_ms, end_ms)
			VALUES (c.id, p_idx, p_buyer, p_ad, p_price, p_fee,
			    p_now_ms, start, start + c.slot_ms);
			INSERT INTO ledger_transfers (debit_account,
			    credit_account, amount, kind, reference)
			VALUES (buyer_acct, seller_acct, p_price - p_fee,
			    'purchase', c.id || ':' || p_idx);
			IF p_fee > 0 THEN
				INSERT INTO ledger_transfers (debit_account,
				    credit_account, amount, kind, reference)
				VALUES (buyer_acct, fee_acct, p_fee, 'fee',
				    c.id || ':' || p_idx);
			END IF;
			UPDATE campaigns SET slots_sold = slots_sold + 1
			WHERE id = c.id;
			INSERT INTO account_events (user_id, kind, detail)
			VALUES (p_buyer, 'purchase', format('slot %s of "%s" for %s sat',
			    p_idx, left(c.name, 40), p_price)),
			    (c.seller_id, 'sale', format('slot %s of "%s" for %s sat',
			    p_idx, left(c.name, 40), p_price - p_fee));
			r := jsonb_build_object('ok', true, 'campaign', c.id,
			    'idx', p_idx, 'price', p_price, 'start_ms', start,
			    'end_ms', start + c.slot_ms);
		EXCEPTION WHEN check_violation THEN
			r := jsonb_build_object('ok', false, 'code', 'funds',
			    'error', 'Your balance is too low for this price.',
			    'price', p_price);
		END;
	END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_buyer, 'buy', r);
	RETURN r::text;
END;
$$;

-- A new campaign, exactly once per request.
CREATE FUNCTION camp_create(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_seller bigint, p_name text, p_description text,
    p_width integer, p_height integer, p_min bigint, p_slot_ms bigint)
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
	BEGIN
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
	END;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_seller, 'campaign_create',
	    r);
	RETURN r::text;
END;
$$;

-- The newest campaigns with their queues, for the home page.
CREATE FUNCTION camp_list(p_limit integer) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(camp_state(id)::jsonb ORDER BY id DESC),
	    '[]'::jsonb)::text
	FROM (SELECT id FROM campaigns ORDER BY id DESC LIMIT p_limit) c;
$$;

-- An ad with its image (stored once per SHA-256).
CREATE FUNCTION ad_create(p_user bigint, p_nickname text, p_hover text,
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
