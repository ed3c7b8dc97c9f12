-- Withdrawals (SPEC 4.5).  The amount leaves the user's balance when the
-- request is made (user -> 'withdrawals' system account, one transfer);
-- abc-worker's payer then pays it with sendtoaddress exactly once: it
-- records its intent ('sending', attempt_at) and commits before it calls
-- bitcoind, records the txid after, and on finding a 'sending' row it did
-- not finish (a crash, a lost answer) looks the payment up in the wallet by
-- its comment before it would ever send again.  Amounts above the
-- configured threshold wait in 'approval' for sql/admin/approve_withdrawal.sql;
-- sql/admin/reject_withdrawal.sql refunds one that was not sent.
--
-- status: approval -> queued -> sending -> sent; approval|queued -> rejected.

CREATE TABLE withdrawals (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	address		text NOT NULL CHECK (length(address) BETWEEN 14 AND 100
			    AND address ~ '^[a-zA-Z0-9]+$'),
	amount		bigint NOT NULL CHECK (amount > 0),
	status		text NOT NULL CHECK (status IN
			    ('approval', 'queued', 'sending', 'sent', 'rejected')),
	txid		text CHECK (txid ~ '^[0-9a-f]{64}$'),
	error		text CHECK (length(error) <= 300),
	created_at	timestamptz NOT NULL DEFAULT now(),
	not_before	timestamptz,	-- queued: not sent again before
	attempt_at	timestamptz,	-- sending: when the intent was recorded
	sent_at		timestamptz,
	CHECK ((status = 'sent') = (txid IS NOT NULL)),
	CHECK (status <> 'sending' OR attempt_at IS NOT NULL)
);
CREATE INDEX withdrawals_user ON withdrawals (user_id, id DESC);
CREATE INDEX withdrawals_open ON withdrawals (status, id)
    WHERE status IN ('queued', 'sending');

CREATE TRIGGER withdrawals_notify AFTER INSERT OR UPDATE OR DELETE
    ON withdrawals FOR EACH ROW EXECUTE FUNCTION abc_notify_account();

ALTER TABLE account_events DROP CONSTRAINT account_events_kind_check;
ALTER TABLE account_events ADD CONSTRAINT account_events_kind_check
    CHECK (kind IN ('register', 'login', 'logout_all', 'password_change',
	'history_purge', 'deposit_seen', 'deposit_credited', 'ad_uploaded',
	'campaign_created', 'purchase', 'sale', 'withdrawal',
	'withdrawal_sent', 'withdrawal_rejected'));

-- A withdrawal request, exactly once per request identity and idempotency
-- key: the debit, the row and the event, or the stored reply.  The inner
-- block is a savepoint: a refused request stores its reply only.
CREATE FUNCTION wd_request(p_client text, p_epoch bigint, p_req bigint,
    p_idem text, p_user bigint, p_address text, p_amount bigint,
    p_approval_above bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	wid	bigint;
	st	text;
	src	bigint;
	dst	bigint;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_user,
	    'withdraw');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	st := CASE WHEN p_amount > p_approval_above THEN 'approval'
	    ELSE 'queued' END;
	BEGIN
		INSERT INTO withdrawals (user_id, address, amount, status)
		VALUES (p_user, p_address, p_amount, st)
		RETURNING id INTO wid;
		SELECT id INTO src FROM ledger_accounts WHERE user_id = p_user;
		SELECT id INTO dst FROM ledger_accounts
		WHERE kind = 'withdrawals';
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		VALUES (src, dst, p_amount, 'withdrawal', 'wd:' || wid);
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_user, 'withdrawal', format('#%s: %s sat to %s%s',
		    wid, p_amount, p_address, CASE WHEN st = 'approval'
		    THEN ' (waits for approval)' ELSE '' END));
		r := jsonb_build_object('ok', true, 'id', wid,
		    'status', st, 'amount', p_amount);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'funds',
		    'error', 'Your balance is too low for this amount.');
	END;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_user, 'withdraw', r);
	RETURN r::text;
END;
$$;

-- The payer: the next withdrawal to send, marked 'sending' (the intent)
-- in the caller's transaction, which commits before bitcoind is called.
-- No row: nothing to send.
CREATE FUNCTION wd_take() RETURNS TABLE (id bigint, address text,
    amount bigint)
LANGUAGE sql AS $$
	UPDATE withdrawals w SET status = 'sending', attempt_at = now()
	WHERE w.id = (SELECT q.id FROM withdrawals q
	    WHERE q.status = 'queued'
	    AND (q.not_before IS NULL OR q.not_before <= now())
	    ORDER BY q.id LIMIT 1 FOR UPDATE SKIP LOCKED)
	RETURNING w.id, w.address, w.amount;
$$;

-- Sent: the txid bitcoind gave (or the wallet showed), and an event.
CREATE FUNCTION wd_sent(p_id bigint, p_txid text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	w	withdrawals%ROWTYPE;
BEGIN
	UPDATE withdrawals SET status = 'sent', txid = p_txid,
	    sent_at = now(), error = NULL
	WHERE id = p_id AND status = 'sending' RETURNING * INTO w;
	IF w.id IS NOT NULL THEN
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (w.user_id, 'withdrawal_sent', format('#%s: %s sat in %s',
		    w.id, w.amount, p_txid));
	END IF;
END;
$$;

-- Not sent (bitcoind refused, or the wallet shows no such payment):
-- queued again, not before p_retry_s seconds, with the reason.
CREATE FUNCTION wd_retry(p_id bigint, p_error text, p_retry_s integer)
RETURNS void
LANGUAGE sql AS $$
	UPDATE withdrawals SET status = 'queued', error = left(p_error, 300),
	    attempt_at = NULL,
	    not_before = now() + make_interval(secs => p_retry_s)
	WHERE id = p_id AND status = 'sending';
$$;

-- Everything the account page shows, as one JSON document (as in 008,
-- plus the user's last 20 withdrawals).
DROP FUNCTION acct_overview(bigint);
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
		ORDER BY id DESC LIMIT 100) e), '[]'::jsonb))::text;
$$;

-- Admin: lets a withdrawal that waits for approval be paid.
CREATE FUNCTION wd_approve(p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE withdrawals SET status = 'queued'
	WHERE id = p_id AND status = 'approval';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'withdrawal % does not wait for approval', p_id;
	END IF;
	RETURN format('withdrawal %s approved: queued for the payer', p_id);
END;
$$;

-- Admin: refuses a withdrawal not sent yet; the amount goes back to the
-- user (a refund transfer) and the user's history says so.
CREATE FUNCTION wd_reject(p_id bigint, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	w	withdrawals%ROWTYPE;
BEGIN
	UPDATE withdrawals SET status = 'rejected', error = left(p_reason, 300)
	WHERE id = p_id AND status IN ('approval', 'queued')
	RETURNING * INTO w;
	IF w.id IS NULL THEN
		RAISE EXCEPTION 'withdrawal % is not waiting (sending or sent '
		    'ones cannot be rejected)', p_id;
	END IF;
	INSERT INTO ledger_transfers (debit_account, credit_account, amount,
	    kind, reference)
	SELECT (SELECT id FROM ledger_accounts WHERE kind = 'withdrawals'),
	    a.id, w.amount, 'withdrawal_refund', 'wd:' || w.id
	FROM ledger_accounts a WHERE a.user_id = w.user_id;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (w.user_id, 'withdrawal_rejected', format('#%s: %s sat back '
	    'to your balance: %s', w.id, w.amount, left(p_reason, 200)));
	RETURN format('withdrawal %s rejected, %s sat refunded', w.id,
	    w.amount);
END;
$$;
