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

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): deposit_seen, deposit_gone, acct_overview.
