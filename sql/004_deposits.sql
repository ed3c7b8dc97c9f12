-- Deposits (SPEC 3, 4.2): each user's addresses, every output seen paying
-- one of them, the wallet-following cursor, and reorgs of credited
-- deposits kept for admins.  A deposit is credited exactly once per
-- (txid, vout): the deposits primary key and the ledger's unique
-- (kind, reference) both say so.

CREATE TABLE deposit_addresses (
	address		text PRIMARY KEY CHECK (length(address) BETWEEN 14 AND 100),
	user_id		bigint NOT NULL REFERENCES users (id),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposit_addresses_user ON deposit_addresses (user_id, created_at DESC);

CREATE TABLE deposits (
	txid		text NOT NULL CHECK (txid ~ '^[0-9a-f]{64}$'),
	vout		integer NOT NULL CHECK (vout >= 0),
	address		text NOT NULL REFERENCES deposit_addresses (address),
	user_id		bigint NOT NULL REFERENCES users (id),
	amount		bigint NOT NULL CHECK (amount > 0),
	status		text NOT NULL CHECK (status IN
			    ('pending', 'credited', 'dropped', 'reorged')),
	confirmations	integer NOT NULL DEFAULT 0,
	seen_at		timestamptz NOT NULL DEFAULT now(),
	credited_at	timestamptz,
	PRIMARY KEY (txid, vout),
	CHECK ((status IN ('credited', 'reorged')) = (credited_at IS NOT NULL))
);
CREATE INDEX deposits_user ON deposits (user_id, seen_at DESC);
CREATE INDEX deposits_pending ON deposits (status) WHERE status = 'pending';

-- Where the follower is in the wallet's history (listsinceblock's cursor).
CREATE TABLE chain_cursor (
	id		integer PRIMARY KEY CHECK (id = 1),
	lastblock	text NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Credited deposits whose transaction a reorg removed: money was credited
-- and is never credited again; an admin decides (sql/admin/).
CREATE TABLE deposit_reorgs (
	txid		text NOT NULL,
	vout		integer NOT NULL,
	user_id		bigint NOT NULL REFERENCES users (id),
	amount		bigint NOT NULL,
	detected_at	timestamptz NOT NULL DEFAULT now(),
	resolved_at	timestamptz,	-- set by an admin (sql/admin/)
	note		text,
	PRIMARY KEY (txid, vout),
	FOREIGN KEY (txid, vout) REFERENCES deposits (txid, vout)
);

-- One output seen paying one of our addresses.  Returns what happened and
-- to whom, as 'pending:<user>', 'credited:<user>' (just now) or
-- 'dropped:<user>', or '' when nothing changed or the address is not ours.
CREATE FUNCTION deposit_seen(p_txid text, p_vout integer, p_address text,
    p_amount bigint, p_conf integer, p_min_conf integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	uid	bigint;
	st	text;
	src	bigint;
	dst	bigint;
BEGIN
	SELECT user_id INTO uid FROM deposit_addresses WHERE address = p_address;
	IF uid IS NULL OR p_amount <= 0 THEN
		RETURN '';
	END IF;
	INSERT INTO deposits (txid, vout, address, user_id, amount, status,
	    confirmations)
	VALUES (p_txid, p_vout, p_address, uid, p_amount, 'pending',
	    greatest(p_conf, 0))
	ON CONFLICT (txid, vout) DO NOTHING;
	SELECT status INTO st FROM deposits
	WHERE txid = p_txid AND vout = p_vout FOR UPDATE;
	IF st = 'dropped' AND p_conf >= 0 THEN
		st := 'pending';	-- back from a reorg or the mempool
		UPDATE deposits SET status = 'pending'
		WHERE txid = p_txid AND vout = p_vout;
	END IF;
	IF st <> 'pending' THEN
		RETURN '';
	END IF;
	IF p_conf < 0 THEN
		UPDATE deposits SET status = 'dropped', confirmations = 0
		WHERE txid = p_txid AND vout = p_vout;
		RETURN 'dropped:' || uid;
	END IF;
	IF p_conf < p_min_conf THEN
		UPDATE deposits SET confirmations = p_conf
		WHERE txid = p_txid AND vout = p_vout
		    AND confirmations IS DISTINCT FROM p_conf;
		RETURN CASE WHEN FOUND THEN 'pending:' || uid ELSE '' END;
	END IF;
	SELECT id INTO src FROM ledger_accounts WHERE kind = 'deposits';
	SELECT id INTO dst FROM ledger_accounts WHERE user_id = uid;
	INSERT INTO ledger_transfers (debit_account, credit_account, amount,
	    kind, reference)
	VALUES (src, dst, p_amount, 'deposit', p_txid || ':' || p_vout);
	UPDATE deposits SET status = 'credited', confirmations = p_conf,
	    credited_at = now()
	WHERE txid = p_txid AND vout = p_vout;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (uid, 'deposit_credited', p_amount || ' sat in ' ||
	    left(p_txid, 16) || '…:' || p_vout);
	RETURN 'credited:' || uid;
END;
$$;

-- A transaction gone from the chain (reorg) or the mempool.  Pending
-- outputs are dropped; credited ones are recorded for admins.  Returns
-- the users concerned, comma-separated.
CREATE FUNCTION deposit_gone(p_txid text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	users	text := '';
	d	record;
BEGIN
	FOR d IN SELECT * FROM deposits WHERE txid = p_txid FOR UPDATE LOOP
		IF d.status = 'pending' THEN
			UPDATE deposits SET status = 'dropped'
			WHERE txid = d.txid AND vout = d.vout;
			users := users || d.user_id || ',';
		ELSIF d.status = 'credited' THEN
			UPDATE deposits SET status = 'reorged'
			WHERE txid = d.txid AND vout = d.vout;
			INSERT INTO deposit_reorgs (txid, vout, user_id, amount)
			VALUES (d.txid, d.vout, d.user_id, d.amount)
			ON CONFLICT DO NOTHING;
			users := users || d.user_id || ',';
		END IF;
	END LOOP;
	RETURN users;
END;
$$;

-- Everything the account page shows, as one JSON document.
CREATE FUNCTION acct_overview(p_user bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'balance', (SELECT balance FROM ledger_accounts
		WHERE user_id = p_user),
	    'pending', (SELECT coalesce(sum(amount), 0)::bigint FROM deposits
		WHERE user_id = p_user AND status = 'pending'),
	    'address', (SELECT address FROM deposit_addresses
		WHERE user_id = p_user ORDER BY created_at DESC LIMIT 1),
	    'deposits', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'txid', txid, 'vout', vout, 'amount', amount, 'status', status,
		'confirmations', confirmations,
		'at', to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
		ORDER BY seen_at DESC) FROM (SELECT * FROM deposits
		WHERE user_id = p_user ORDER BY seen_at DESC LIMIT 50) d),
		'[]'::jsonb),
	    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'kind', kind, 'detail', detail,
		'at', to_char(created_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS')) ORDER BY id DESC)
		FROM (SELECT * FROM account_events WHERE user_id = p_user
		ORDER BY id DESC LIMIT 100) e), '[]'::jsonb))::text;
$$;
