-- Keeps ledger_accounts.balance equal to credits minus debits, inside the
-- transaction that inserts the transfer, so the CHECK on user balances
-- refuses an overdraft there and then.
CREATE OR REPLACE FUNCTION ledger_apply_transfer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE ledger_accounts SET balance = balance - NEW.amount
	    WHERE id = NEW.debit_account;
	UPDATE ledger_accounts SET balance = balance + NEW.amount
	    WHERE id = NEW.credit_account;
	RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_transfer();
