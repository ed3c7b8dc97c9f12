-- abc schema, version 1: users, the double-entry ledger, and the bookkeeping
-- every later migration builds on.  Runs inside one transaction applied by
-- abc-worker --migrate; it must not contain BEGIN or COMMIT.

CREATE TABLE users (
	id		bigserial PRIMARY KEY,
	username	text NOT NULL
	    CHECK (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
	created_at	timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique without regard to case (SPEC 4.1).
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- Ledger accounts: one balance per user, plus system accounts (deposit
-- sources, withdrawal sinks, platform fees).  Only user balances must never
-- go negative; system accounts mirror money that sits outside the ledger.
CREATE TABLE ledger_accounts (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN
			    ('user', 'deposits', 'withdrawals', 'fees')),
	user_id		bigint UNIQUE REFERENCES users (id),
	balance		bigint NOT NULL DEFAULT 0,
	CHECK ((kind = 'user') = (user_id IS NOT NULL)),
	CHECK (kind <> 'user' OR balance >= 0)
);
CREATE UNIQUE INDEX ledger_accounts_system ON ledger_accounts (kind)
    WHERE kind <> 'user';

-- Every movement of money: one row, debit one account, credit another, a
-- positive amount in satoshis, in the same transaction as its cause.
CREATE TABLE ledger_transfers (
	id		bigserial PRIMARY KEY,
	debit_account	bigint NOT NULL REFERENCES ledger_accounts (id),
	credit_account	bigint NOT NULL REFERENCES ledger_accounts (id),
	amount		bigint NOT NULL CHECK (amount > 0),
	kind		text NOT NULL CHECK (kind IN
			    ('deposit', 'purchase', 'fee', 'withdrawal',
			     'withdrawal_refund', 'reorg_correction')),
	reference	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account);
-- One transfer of a kind per cause (a deposit output, a purchase, ...).
CREATE UNIQUE INDEX ledger_transfers_cause ON ledger_transfers (kind, reference);

INSERT INTO ledger_accounts (kind) VALUES
    ('deposits'), ('withdrawals'), ('fees');

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): ledger_apply_transfer, ledger_refuse_change.
