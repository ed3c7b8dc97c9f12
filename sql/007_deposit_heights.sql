-- Deposit confirmations that keep counting (SPEC 4.2).  The follower stops
-- looking at a deposit once it is credited, so the confirmations it stored
-- then froze on the account page.  Each deposit now keeps the height of the
-- block holding its transaction, and the account overview counts from the
-- chain tip the worker knows: tip - block_height + 1.

ALTER TABLE deposits ADD COLUMN block_height integer
    CHECK (block_height >= 0);	-- NULL while unconfirmed or unknown

DROP FUNCTION IF EXISTS deposit_seen(text, integer, text, bigint, integer, integer);

DROP FUNCTION IF EXISTS acct_overview(bigint);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): deposit_seen, acct_overview.
