-- The deposit follower walks the chain block by block and pages the
-- wallet's unconfirmed entries (worker/deposits.c) instead of one
-- listsinceblock answer that grew with the wallet: chain_cursor.lastblock
-- and height now name the last block it applied (a cursor written by
-- listsinceblock is read the same way: getblock tells its height), and
-- mempool_mark the newest wallet transaction its last scan of new entries
-- reached.  Its functions: sql/functions/deposit_seen_many.sql and
-- sql/functions/deposit_confirm.sql.

ALTER TABLE chain_cursor ADD COLUMN mempool_mark text
    CHECK (mempool_mark ~ '^[0-9a-f]{64}$');

-- Undoing a block asks again about the deposits it held.
CREATE INDEX deposits_block ON deposits (block_height)
    WHERE status IN ('pending', 'credited');

-- Withdrawal limits an operator can trust (issue 9, SPEC 4.5), written by
-- abc-worker from its config at start (withdraw_day_limit_sat,
-- deposit_hold_confs): above day_limit withdrawn by one user within 24 h
-- without an admin (requests neither rejected nor approved by one), a
-- request waits for an admin's approval; and
-- funds from deposits with fewer than hold_confs confirmations are not
-- withdrawable (a reorg of a deposit already paid out would be a loss).
-- sql/functions/wd_limits.sql computes both for a user.
CREATE TABLE withdraw_limits (
	id		integer PRIMARY KEY CHECK (id = 1),
	day_limit	bigint NOT NULL DEFAULT 10000000 CHECK (day_limit >= 0),
	hold_confs	integer NOT NULL DEFAULT 6 CHECK (hold_confs >= 0)
);
INSERT INTO withdraw_limits (id) VALUES (1);

-- Whether a request had to wait for an admin (above withdraw_approval_sat
-- or the day limit): what an admin let through does not use up the
-- user's automatic allowance.
ALTER TABLE withdrawals ADD COLUMN approval_needed boolean NOT NULL
    DEFAULT false;
UPDATE withdrawals SET approval_needed = true WHERE status = 'approval';
CREATE INDEX withdrawals_user_day ON withdrawals (user_id, created_at);
CREATE INDEX deposits_user_block ON deposits (user_id, block_height)
    WHERE status = 'credited';
