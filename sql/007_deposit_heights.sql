-- Deposit confirmations that keep counting (SPEC 4.2).  The follower stops
-- looking at a deposit once it is credited, so the confirmations it stored
-- then froze on the account page.  Each deposit now keeps the height of the
-- block holding its transaction, and the account overview counts from the
-- chain tip the worker knows: tip - block_height + 1.

ALTER TABLE deposits ADD COLUMN block_height integer
    CHECK (block_height >= 0);	-- NULL while unconfirmed or unknown

DROP FUNCTION deposit_seen(text, integer, text, bigint, integer, integer);

-- One output seen paying one of our addresses, in the block at p_height
-- (NULL when unconfirmed or unknown).  Returns what happened and to whom,
-- as 'pending:<user>', 'credited:<user>' (just now) or 'dropped:<user>',
-- or '' when nothing the user needs to hear of changed or the address is
-- not ours.  A credited output seen again only gets its block height and
-- confirmations brought up to date: after a reorg its transaction can be
-- in another block.
CREATE FUNCTION deposit_seen(p_txid text, p_vout integer, p_address text,
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
	RETURN 'credited:' || uid;
END;
$$;

DROP FUNCTION acct_overview(bigint);

-- Everything the account page shows, as one JSON document.  p_tip is the
-- chain height the worker knows (NULL or negative: unknown).  A credited
-- deposit in a known block at or below the tip has tip - height + 1
-- confirmations (never fewer than the follower stored: the worker's tip
-- may lag the follower by a poll); any other shows the stored ones.
CREATE FUNCTION acct_overview(p_user bigint, p_tip integer) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'balance', (SELECT balance FROM ledger_accounts
		WHERE user_id = p_user),
	    'pending', (SELECT coalesce(sum(amount), 0)::bigint FROM deposits
		WHERE user_id = p_user AND status = 'pending'),
	    'address', (SELECT address FROM deposit_addresses
		WHERE user_id = p_user ORDER BY created_at DESC LIMIT 1),
	    'deposits', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'txid', txid, 'vout', vout, 'amount', amount, 'status', status,
		'confirmations', CASE WHEN status = 'credited' AND
		    block_height IS NOT NULL AND p_tip IS NOT NULL AND
		    p_tip >= block_height
		    THEN greatest(p_tip - block_height + 1, confirmations)
		    ELSE confirmations END,
		'at', to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
		ORDER BY seen_at DESC) FROM (SELECT * FROM deposits
		WHERE user_id = p_user ORDER BY seen_at DESC LIMIT 50) d),
		'[]'::jsonb),
	    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'kind', kind, 'detail', detail,
		'at', to_char(created_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS')) ORDER BY id DESC)
		FROM (SELECT * FROM account_events WHERE user_id = p_user
		ORDER BY id DESC LIMIT 100) e), '[]'::jsonb))::text;
$$;
