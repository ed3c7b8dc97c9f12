-- requires: wd_limits
-- Everything the account page shows, as one JSON document.  A credited
-- deposit in a known block at or below the follower's tip (chain_cursor)
-- has tip - height + 1 confirmations (never fewer than stored); any other
-- shows the confirmations stored when it was last seen.  Plus the user's
-- last 20 withdrawals and 100 history events, and the withdrawal limits
-- (wd_limits): what is withdrawable now, what is held until hold_confs
-- confirmations, and the rolling 24 h use against day_limit.
CREATE OR REPLACE FUNCTION acct_overview(p_user bigint) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'balance', (SELECT balance FROM ledger_accounts
		WHERE user_id = p_user),
	    'held', lim.held,
	    'withdrawable', lim.balance - lim.held,
	    'hold_confs', lim.hold_confs,
	    'day_used', lim.day_used,
	    'day_limit', lim.day_limit,
	    'pending', (SELECT coalesce(sum(amount), 0)::bigint FROM deposits
		WHERE user_id = p_user AND status = 'pending'),
	    'address', (SELECT address FROM deposit_addresses
		WHERE user_id = p_user ORDER BY created_at DESC LIMIT 1),
	    'deposits', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'txid', txid, 'vout', vout, 'amount', amount, 'status', status,
		'confirmations', CASE WHEN status = 'credited' AND
		    block_height IS NOT NULL AND tip.height >= block_height
		    THEN greatest(tip.height - block_height + 1, confirmations)
		    ELSE confirmations END,
		'at', to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
		ORDER BY seen_at DESC) FROM (SELECT * FROM deposits
		WHERE user_id = p_user ORDER BY seen_at DESC LIMIT 50) d
		LEFT JOIN (SELECT height FROM chain_cursor WHERE id = 1) tip
		ON true), '[]'::jsonb),
	    'withdrawals', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'id', id, 'address', address, 'amount', amount,
		'status', status, 'txid', txid,
		'at', to_char(created_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS')) ORDER BY id DESC)
		FROM (SELECT * FROM withdrawals WHERE user_id = p_user
		ORDER BY id DESC LIMIT 20) w), '[]'::jsonb),
	    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'kind', kind, 'detail', detail,
		'at', to_char(created_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS')) ORDER BY id DESC)
		FROM (SELECT * FROM account_events WHERE user_id = p_user
		ORDER BY id DESC LIMIT 100) e), '[]'::jsonb))::text
	FROM (SELECT 1) one LEFT JOIN wd_limits(p_user) lim ON true;
$$;
