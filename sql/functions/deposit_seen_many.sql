-- The receive outputs of one transaction, seen at p_conf confirmations in
-- the block at p_height (NULL: unconfirmed), as deposit_seen would see
-- each, but set-based for what is common at scale: new outputs are
-- inserted in one statement, pending ones reaching p_min_conf are
-- credited in one (one ledger transfer and one event per output, as
-- deposit_seen makes them), credited ones get their block brought up to
-- date in one, and reorged ones stay as they are.  Dropped outputs (which
-- may come back) and conflicted sightings (p_conf < 0) go through
-- deposit_seen one by one.  Returns the outputs credited now.
CREATE OR REPLACE FUNCTION deposit_seen_many(p_txid text, p_vouts integer[],
    p_addresses text[], p_amounts bigint[], p_conf integer,
    p_min_conf integer, p_height integer)
    RETURNS TABLE (vout integer, amount bigint, result text)
LANGUAGE plpgsql AS $$
DECLARE
	n	integer := coalesce(cardinality(p_vouts), 0);
	h	integer := CASE WHEN p_conf > 0 AND p_height >= 0
			    THEN p_height END;
	r	text;
	i	integer;
	src	bigint;
BEGIN
	IF coalesce(cardinality(p_addresses), 0) <> n OR
	    coalesce(cardinality(p_amounts), 0) <> n THEN
		RAISE EXCEPTION 'deposit_seen_many: arrays of different lengths';
	END IF;
	-- One by one: what is not a plain new or pending output.
	FOR i IN SELECT k FROM generate_subscripts(p_vouts, 1) k
	    WHERE p_conf < 0 OR EXISTS (SELECT 1 FROM deposits d
	    WHERE d.txid = p_txid AND d.vout = p_vouts[k] AND
	    d.status = 'dropped') LOOP
		r := deposit_seen(p_txid, p_vouts[i], p_addresses[i],
		    p_amounts[i], p_conf, p_min_conf, p_height);
		IF r LIKE 'credited:%' THEN
			vout := p_vouts[i];
			amount := p_amounts[i];
			result := r;
			RETURN NEXT;
		END IF;
	END LOOP;
	IF p_conf < 0 THEN
		RETURN;
	END IF;
	-- Credited ones only follow their block (a reorg can move them).
	UPDATE deposits d SET block_height = h, confirmations = p_conf
	WHERE d.txid = p_txid AND d.vout = ANY (p_vouts) AND
	    d.status = 'credited' AND (d.block_height, d.confirmations)
	    IS DISTINCT FROM (h, p_conf);
	INSERT INTO deposits (txid, vout, address, user_id, amount, status,
	    confirmations, block_height)
	SELECT p_txid, o.v, o.a, da.user_id, o.s, 'pending', p_conf, h
	FROM unnest(p_vouts, p_addresses, p_amounts) AS o(v, a, s)
	JOIN deposit_addresses da ON da.address = o.a
	WHERE o.s > 0
	ON CONFLICT ON CONSTRAINT deposits_pkey DO NOTHING;
	IF p_conf < p_min_conf THEN
		UPDATE deposits d SET confirmations = p_conf, block_height = h
		WHERE d.txid = p_txid AND d.vout = ANY (p_vouts) AND
		    d.status = 'pending' AND (d.confirmations, d.block_height)
		    IS DISTINCT FROM (p_conf, h);
		RETURN;
	END IF;
	SELECT id INTO src FROM ledger_accounts WHERE kind = 'deposits';
	RETURN QUERY
	WITH c AS (
		UPDATE deposits d SET status = 'credited',
		    confirmations = p_conf, block_height = h, credited_at = now()
		WHERE d.txid = p_txid AND d.vout = ANY (p_vouts) AND
		    d.status = 'pending'
		RETURNING d.vout, d.user_id, d.amount),
	t AS (
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT src, la.id, c.amount, 'deposit', p_txid || ':' || c.vout
		FROM c JOIN ledger_accounts la ON la.user_id = c.user_id
		RETURNING 1),
	e AS (
		INSERT INTO account_events (user_id, kind, detail)
		SELECT c.user_id, 'deposit_credited', c.amount || ' sat in ' ||
		    left(p_txid, 16) || '…:' || c.vout
		FROM c
		RETURNING 1)
	SELECT c.vout, c.amount, 'credited:' || c.user_id FROM c;
	-- Webhooks of what was just credited (deposit_seen's above are
	-- skipped by the once key).
	PERFORM webhook_event(d.user_id, 'deposit_credited', jsonb_build_object(
	    'txid', d.txid, 'vout', d.vout, 'address', d.address,
	    'amount', d.amount, 'confirmations', p_conf),
	    format('deposit_credited:%s:%s', d.txid, d.vout))
	FROM deposits d WHERE d.txid = p_txid AND d.vout = ANY (p_vouts) AND
	    d.status = 'credited' AND d.credited_at = now();
END;
$$;
