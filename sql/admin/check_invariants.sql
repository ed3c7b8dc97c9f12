-- Ledger invariants (SPEC 3).  Run with psql -v ON_ERROR_STOP=1: any broken
-- invariant raises an exception, so psql exits non-zero and names it.
-- Later migrations add checks for slots, deposits and withdrawals here.

DO $$
DECLARE
	bad bigint;
BEGIN
	-- Debits and credits balance: sum of all balances is zero, because
	-- system accounts go negative by what users hold.
	SELECT coalesce(sum(balance), 0) INTO bad FROM ledger_accounts;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: balances sum to % instead of 0', bad;
	END IF;

	-- Every account balance equals its credits minus its debits.
	SELECT count(*) INTO bad FROM ledger_accounts a
	WHERE a.balance <>
	    coalesce((SELECT sum(amount) FROM ledger_transfers
		WHERE credit_account = a.id), 0) -
	    coalesce((SELECT sum(amount) FROM ledger_transfers
		WHERE debit_account = a.id), 0);
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % accounts disagree with transfers', bad;
	END IF;

	-- No user balance below zero (the CHECK constraint should make this
	-- impossible; this catches a dropped constraint).
	SELECT count(*) INTO bad FROM ledger_accounts
	WHERE kind = 'user' AND balance < 0;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % user balances are negative', bad;
	END IF;

	-- Every user has exactly one balance account.
	SELECT count(*) INTO bad FROM users u
	WHERE (SELECT count(*) FROM ledger_accounts
	    WHERE user_id = u.id) <> 1;
	IF bad <> 0 THEN
		RAISE EXCEPTION 'invariant: % users without exactly one account', bad;
	END IF;
END;
$$;
SELECT 'invariants ok';
