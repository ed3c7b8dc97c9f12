-- abc-web keeps each user's account overview in its cache (SPEC 6), so the
-- database says when one changes: a change to anything acct_overview shows
-- sends NOTIFY abc_account with the user's id, and a new chain tip (which
-- changes every credited deposit's confirmations) sends '*'.  PostgreSQL
-- delivers a NOTIFY only when its transaction commits, and whichever
-- connection made the change (request path, deposit follower, an admin's
-- psql), abc-worker's listener hears it (worker/pglisten.c).

-- The tip the follower saw with its last poll; the account overview counts
-- confirmations from it (before: from a height the request passed in).
ALTER TABLE chain_cursor ADD COLUMN height integer CHECK (height >= 0);

-- Notifies abc_account with the user_id of the row changed.
CREATE FUNCTION abc_notify_account() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	uid	bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		uid := OLD.user_id;
	ELSE
		uid := NEW.user_id;
	END IF;
	IF uid IS NOT NULL THEN
		PERFORM pg_notify('abc_account', uid::text);
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_accounts_notify AFTER INSERT OR UPDATE OR DELETE
    ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE TRIGGER deposits_notify AFTER INSERT OR UPDATE OR DELETE
    ON deposits FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE TRIGGER deposit_addresses_notify AFTER INSERT OR UPDATE OR DELETE
    ON deposit_addresses FOR EACH ROW EXECUTE FUNCTION abc_notify_account();
CREATE TRIGGER account_events_notify AFTER INSERT OR UPDATE OR DELETE
    ON account_events FOR EACH ROW EXECUTE FUNCTION abc_notify_account();

-- Notifies abc_account with '*' when the tip height moves.
CREATE FUNCTION abc_notify_tip() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.height IS DISTINCT FROM OLD.height THEN
		PERFORM pg_notify('abc_account', '*');
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER chain_cursor_notify AFTER INSERT OR UPDATE ON chain_cursor
    FOR EACH ROW EXECUTE FUNCTION abc_notify_tip();

DROP FUNCTION acct_overview(bigint, integer);

-- Everything the account page shows, as one JSON document.  A credited
-- deposit in a known block at or below the follower's tip has
-- tip - height + 1 confirmations (never fewer than stored); any other
-- shows the confirmations stored when it was last seen.
CREATE FUNCTION acct_overview(p_user bigint) RETURNS text
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
		    block_height IS NOT NULL AND tip.height >= block_height
		    THEN greatest(tip.height - block_height + 1, confirmations)
		    ELSE confirmations END,
		'at', to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))
		ORDER BY seen_at DESC) FROM (SELECT * FROM deposits
		WHERE user_id = p_user ORDER BY seen_at DESC LIMIT 50) d
		LEFT JOIN (SELECT height FROM chain_cursor WHERE id = 1) tip
		ON true), '[]'::jsonb),
	    'history', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'kind', kind, 'detail', detail,
		'at', to_char(created_at AT TIME ZONE 'UTC',
		    'YYYY-MM-DD HH24:MI:SS')) ORDER BY id DESC)
		FROM (SELECT * FROM account_events WHERE user_id = p_user
		ORDER BY id DESC LIMIT 100) e), '[]'::jsonb))::text;
$$;
