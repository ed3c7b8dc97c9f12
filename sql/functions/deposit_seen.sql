-- One output seen paying one of our addresses, in the block at p_height
-- (NULL when unconfirmed or unknown).  Returns what happened and to whom,
-- as 'pending:<user>', 'credited:<user>' (just now) or 'dropped:<user>',
-- or '' when nothing the user needs to hear of changed or the address is
-- not ours.  A credited output seen again only gets its block height and
-- confirmations brought up to date: after a reorg its transaction can be
-- in another block.
CREATE OR REPLACE FUNCTION deposit_seen(p_txid text, p_vout integer, p_address text,
    p_amount bigint, p_conf integer, p_min_conf integer, p_height integer)
    RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	uid	bigint;
	st	text;
	h	integer;
	src	bigint;
	dst	bigint;
BEGIN
	SELECT user_id INTO uid FROM deposit_addresses WHERE address = p_address;
	IF uid IS NULL OR p_amount <= 0 THEN
		RETURN '';
	END IF;
	h := CASE WHEN p_conf > 0 AND p_height >= 0 THEN p_height END;
	INSERT INTO deposits (txid, vout, address, user_id, amount, status,
	    confirmations, block_height)
	VALUES (p_txid, p_vout, p_address, uid, p_amount, 'pending',
	    greatest(p_conf, 0), h)
	ON CONFLICT (txid, vout) DO NOTHING;
	SELECT status INTO st FROM deposits
	WHERE txid = p_txid AND vout = p_vout FOR UPDATE;
	IF st = 'credited' THEN
		UPDATE deposits SET block_height = h,
		    confirmations = greatest(p_conf, 0)
		WHERE txid = p_txid AND vout = p_vout
		    AND (block_height, confirmations) IS DISTINCT FROM
		    (h, greatest(p_conf, 0));
		RETURN '';
	END IF;
	IF st = 'dropped' AND p_conf >= 0 THEN
		st := 'pending';	-- back from a reorg or the mempool
		UPDATE deposits SET status = 'pending'
		WHERE txid = p_txid AND vout = p_vout;
	END IF;
	IF st <> 'pending' THEN
		RETURN '';
	END IF;
	IF p_conf < 0 THEN
		UPDATE deposits SET status = 'dropped', confirmations = 0,
		    block_height = NULL
		WHERE txid = p_txid AND vout = p_vout;
		RETURN 'dropped:' || uid;
	END IF;
	IF p_conf < p_min_conf THEN
		UPDATE deposits SET confirmations = p_conf, block_height = h
		WHERE txid = p_txid AND vout = p_vout
		    AND (confirmations, block_height) IS DISTINCT FROM
		    (p_conf, h);
		RETURN CASE WHEN FOUND THEN 'pending:' || uid ELSE '' END;
	END IF;
	SELECT id INTO src FROM ledger_accounts WHERE kind = 'deposits';
	SELECT id INTO dst FROM ledger_accounts WHERE user_id = uid;
	INSERT INTO ledger_transfers (debit_account, credit_account, amount,
	    kind, reference)
	VALUES (src, dst, p_amount, 'deposit', p_txid || ':' || p_vout);
	UPDATE deposits SET status = 'credited', confirmations = p_conf,
	    block_height = h, credited_at = now()
	WHERE txid = p_txid AND vout = p_vout;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (uid, 'deposit_credited', p_amount || ' sat in ' ||
	    left(p_txid, 16) || '…:' || p_vout);
	PERFORM webhook_event(uid, 'deposit_credited', jsonb_build_object(
	    'txid', p_txid, 'vout', p_vout, 'address', p_address,
	    'amount', p_amount, 'confirmations', p_conf),
	    format('deposit_credited:%s:%s', p_txid, p_vout));
	RETURN 'credited:' || uid;
END;
$$;
