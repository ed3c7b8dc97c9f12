-- Keeps ledger_accounts.balance equal to credits minus debits, inside the
-- statement that inserts the transfers, so the CHECK on user balances
-- refuses an overdraft there and then.
-- Once per INSERT statement, not per row (issue 12): each account the
-- statement's transfers touch is updated once, by its net change.  Per row,
-- a purchase (buyer -> seller, buyer -> fees) made four UPDATEs of
-- ledger_accounts, and PostgreSQL prepares a table's CHECK constraints anew
-- for every UPDATE statement: a tenth of a purchase's CPU.  The CHECK now
-- judges a statement's net effect on each balance, as it would judge one
-- transfer of the net amount.
CREATE OR REPLACE FUNCTION ledger_apply_transfer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE ledger_accounts a SET balance = a.balance + d.delta
	FROM (SELECT m.account, sum(m.delta)::bigint AS delta
	    FROM (SELECT t.debit_account AS account, -t.amount AS delta
		FROM new_transfers t
		UNION ALL
		SELECT t.credit_account, t.amount FROM new_transfers t) m
	    GROUP BY m.account) d
	WHERE a.id = d.account AND d.delta <> 0;
	RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
    REFERENCING NEW TABLE AS new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_transfer();
