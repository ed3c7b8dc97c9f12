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
