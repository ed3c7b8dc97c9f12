-- What a user may withdraw now (SPEC 4.5, sql/014_deposit_walk.sql):
-- the balance; held, the part of it from credited deposits with fewer
-- than hold_confs confirmations (counted from the follower's tip,
-- chain_cursor; never more than the balance); day_used, what the user's
-- withdrawals in the last 24 h took without an admin's approval (neither
-- rejected nor waiting for one); and the limits.
CREATE OR REPLACE FUNCTION wd_limits(p_user bigint)
RETURNS TABLE (balance bigint, held bigint, day_used bigint,
    day_limit bigint, hold_confs integer)
LANGUAGE sql STABLE AS $$
	SELECT a.balance,
	    least(a.balance, (SELECT coalesce(sum(d.amount), 0)::bigint
		FROM deposits d WHERE d.user_id = p_user AND
		d.status = 'credited' AND l.hold_confs > 0 AND
		d.block_height IS NOT NULL AND (tip.height IS NULL OR
		tip.height - d.block_height + 1 < l.hold_confs))),
	    (SELECT coalesce(sum(w.amount), 0)::bigint FROM withdrawals w
		WHERE w.user_id = p_user AND w.status <> 'rejected' AND
		NOT w.approval_needed AND
		w.created_at > now() - interval '24 hours'),
	    l.day_limit, l.hold_confs
	FROM ledger_accounts a CROSS JOIN withdraw_limits l
	LEFT JOIN (SELECT c.height FROM chain_cursor c WHERE c.id = 1) tip
	    ON true
	WHERE a.user_id = p_user;
$$;
