-- The walk applied the block at p_height: pending deposits in blocks at
-- least p_min_conf deep by then are credited (deposit_seen).  Returns the
-- outputs credited.
CREATE OR REPLACE FUNCTION deposit_confirm(p_height integer, p_min_conf integer)
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
