-- The deposit follower walks the chain block by block and pages the
-- wallet's unconfirmed entries (worker/deposits.c) instead of one
-- listsinceblock answer that grew with the wallet: chain_cursor.lastblock
-- and height now name the last block it applied (a cursor written by
-- listsinceblock is read the same way: getblock tells its height), and
-- mempool_mark the newest wallet transaction its last scan of new entries
-- reached.

ALTER TABLE chain_cursor ADD COLUMN mempool_mark text
    CHECK (mempool_mark ~ '^[0-9a-f]{64}$');

-- Undoing a block asks again about the deposits it held.
CREATE INDEX deposits_block ON deposits (block_height)
    WHERE status IN ('pending', 'credited');

-- The receive outputs of one transaction, seen at p_conf confirmations in
-- the block at p_height (NULL: unconfirmed): deposit_seen for each, in one
-- call.  Returns the outputs for which something happened.
CREATE FUNCTION deposit_seen_many(p_txid text, p_vouts integer[],
    p_addresses text[], p_amounts bigint[], p_conf integer,
    p_min_conf integer, p_height integer)
    RETURNS TABLE (vout integer, amount bigint, result text)
LANGUAGE plpgsql AS $$
DECLARE
	n	integer := coalesce(cardinality(p_vouts), 0);
	r	text;
BEGIN
	IF coalesce(cardinality(p_addresses), 0) <> n OR
	    coalesce(cardinality(p_amounts), 0) <> n THEN
		RAISE EXCEPTION 'deposit_seen_many: arrays of different lengths';
	END IF;
	FOR i IN 1 .. n LOOP
		r := deposit_seen(p_txid, p_vouts[i], p_addresses[i],
		    p_amounts[i], p_conf, p_min_conf, p_height);
		IF r <> '' THEN
			vout := p_vouts[i];
			amount := p_amounts[i];
			result := r;
			RETURN NEXT;
		END IF;
	END LOOP;
END;
$$;

-- The walk applied the block at p_height: pending deposits in blocks at
-- least p_min_conf deep by then are credited (deposit_seen).  Returns the
-- outputs credited.
CREATE FUNCTION deposit_confirm(p_height integer, p_min_conf integer)
    RETURNS TABLE (txid text, vout integer, amount bigint)
LANGUAGE plpgsql AS $$
DECLARE
	d	record;
BEGIN
	FOR d IN SELECT x.txid, x.vout, x.address, x.amount, x.block_height
	    FROM deposits x WHERE x.status = 'pending' AND
	    x.block_height <= p_height - p_min_conf + 1
	    ORDER BY x.txid, x.vout LOOP
		IF deposit_seen(d.txid, d.vout, d.address, d.amount,
		    p_height - d.block_height + 1, p_min_conf,
		    d.block_height) LIKE 'credited:%' THEN
			txid := d.txid;
			vout := d.vout;
			amount := d.amount;
			RETURN NEXT;
		END IF;
	END LOOP;
END;
$$;
