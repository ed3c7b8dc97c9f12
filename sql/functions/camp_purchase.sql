-- requires: camp_price_at, acct_session_user, webhook_event
-- Purchases (SPEC 4.4, 5), any number in one call: element i of every
-- array is purchase i, and the i-th row returned is its answer, exactly
-- what purchase i made alone after purchases 1..i-1 would answer.  For
-- each: the answer of a request already served; the buyer from the session
-- token; then, under the campaign's row lock, the price at the database's
-- clock and the sale: slot, transfers (buyer -> seller, buyer -> fees),
-- the campaign's count and both timelines.  Every answer but "no_session"
-- and "not_yet" is kept in request_log with the request's ids and
-- idempotency key, so a repeat gets the same answer.  A refusal carries
-- the state it was decided on: next_idx (the slot for sale now),
-- next_price (its price then) and at_ms (the database's clock then).
--
-- Why many at once (issue 12): abc-worker commits the purchases that
-- arrive together in one transaction, and a purchase alone paid for
-- statements, not rows: PostgreSQL starts an executor, compiles the
-- table's CHECK constraints again and sets up the triggers for every
-- INSERT or UPDATE (about 400 us of a purchase's 450 us in PostgreSQL,
-- profiled under tests/bench/run.sh row d2), and a read paid for its
-- statement too (about 8 us each, ten a purchase).  Here a call makes
-- its reads first, one statement each for all its purchases (stored
-- answers, sessions, ads; the campaigns, locked in id order, with their
-- last slots; the buyers' accounts, locked in id order), then decides
-- each purchase in PL/pgSQL on those and on what the purchases before it
-- changed (kept in the arrays below: campaigns' counts and last slots,
-- accounts' balances, answers by request and by idempotency key), and
-- makes the writes at the end, one statement per table for all of them.
-- Should one of those statements fail anyway, the whole call fails and
-- abc-worker runs its purchases one call each (worker/db.c), so one bad
-- purchase costs the others nothing.
-- Measured (tests/bench/README.md, session 12): 540 us of PostgreSQL CPU
-- a purchase one call each, about 200 now; of what is left, the foreign
-- keys' checks (a row lock each, seven a purchase) are a quarter.
-- As before: no subtransaction (the buyer's balance is checked under its
-- row lock instead of catching the CHECK's error); webhook_event called
-- only when the buyer or the seller has an endpoint.
CREATE OR REPLACE FUNCTION camp_purchase_many(p_client text[],
    p_epoch bigint[], p_req bigint[], p_idem text[], p_token_hash bytea[],
    p_ttl_s integer[], p_campaign bigint[], p_idx bigint[], p_ad bigint[],
    p_max bigint[], p_fee_ppm bigint[]) RETURNS SETOF text
LANGUAGE plpgsql
-- PostgreSQL plans a statement of a function for its parameters' values
-- for five calls, then keeps a generic plan only if it does not look
-- dearer; with arrays for parameters it often did not, and every call
-- planned its dozen statements anew: 40% of a call of 8 purchases.  The
-- plans do not depend on the values (index probes per element).
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	n	integer := coalesce(cardinality(p_campaign), 0);
	i	integer;
	k	integer;
	ka	integer;
	r	jsonb;
	buyer	bigint;
	c	campaigns%ROWTYPE;
	a	ledger_accounts%ROWTYPE;
	now_ms	bigint;
	price	bigint;
	fee	bigint;
	start	bigint;
	sold	bigint;
	state	jsonb;
	bacct	bigint;
	fees_acct bigint;
	escrow_acct bigint;
	any_hooks boolean;
	-- Read before the loop, element i for purchase i: the stored
	-- answer of its request, its session, its buyer, the stored answer
	-- of its idempotency key, its ad's owner and image size.
	pre_rep	jsonb[];
	pre_sess user_sessions[];
	buyers	bigint[];
	pre_idem jsonb[];
	ad_user	bigint[];
	ad_w	integer[];
	ad_h	integer[];
	-- Answers stored by this call, by request ("client epoch req") and
	-- by idempotency key ("buyer idem"): a repeat inside the call.
	rq_key	text[] := '{}';
	rq_rep	jsonb[] := '{}';
	id_key	text[] := '{}';
	id_rep	jsonb[] := '{}';
	-- The campaigns of the call, locked: the row, whether its seller
	-- blocks anyone, and its count and last slot
	-- (price, bought, end) after this call's purchases so far.
	cid	bigint[] := '{}';
	crow	campaigns[] := '{}';
	cblock	boolean[];
	csold	bigint[] := '{}';
	cprice	bigint[];
	cbought	bigint[];
	cend	bigint[];
	-- Accounts this call may debit or credit: the user (NULL: the fees
	-- or escrow account), the balance read under its row lock and the
	-- net of this call's transfers so far.
	users	bigint[];
	kinds	text[];
	aid	bigint[] := '{}';
	auser	bigint[] := '{}';
	abal	bigint[] := '{}';
	adelta	bigint[] := '{}';
	-- The rows to write at the end, one array per column.
	s_camp	bigint[] := '{}';
	s_idx	bigint[] := '{}';
	s_buyer	bigint[] := '{}';
	s_ad	bigint[] := '{}';
	s_price	bigint[] := '{}';
	s_fee	bigint[] := '{}';
	s_bought bigint[] := '{}';
	s_start	bigint[] := '{}';
	s_end	bigint[] := '{}';
	s_due	bigint[] := '{}';
	t_debit	bigint[] := '{}';
	t_credit bigint[] := '{}';
	t_amount bigint[] := '{}';
	t_kind	text[] := '{}';
	t_ref	text[] := '{}';
	e_user	bigint[] := '{}';
	e_kind	text[] := '{}';
	e_detail text[] := '{}';
	l_client text[] := '{}';
	l_epoch	bigint[] := '{}';
	l_req	bigint[] := '{}';
	l_idem	text[] := '{}';
	l_user	bigint[] := '{}';
	l_reply	jsonb[] := '{}';
BEGIN
	IF cardinality(p_client) <> n OR cardinality(p_epoch) <> n OR
	    cardinality(p_req) <> n OR cardinality(p_idem) <> n OR
	    cardinality(p_token_hash) <> n OR cardinality(p_ttl_s) <> n OR
	    cardinality(p_idx) <> n OR cardinality(p_ad) <> n OR
	    cardinality(p_max) <> n OR cardinality(p_fee_ppm) <> n THEN
		RAISE EXCEPTION 'camp_purchase_many: arrays of unequal length';
	END IF;
	IF n = 0 THEN
		RETURN;
	END IF;

	-- The reads, one statement each for all purchases (a subquery per
	-- element: one index probe each, whatever the planner thinks of
	-- the arrays' sizes).
	SELECT array_agg((SELECT l.reply FROM request_log l
		WHERE l.client_id = u.c AND l.epoch = u.e AND l.req_no = u.r)
		ORDER BY u.i),
	    array_agg((SELECT s FROM user_sessions s
		WHERE s.token_hash = u.t AND s.expires_at > now()) ORDER BY u.i),
	    array_agg((SELECT ad.user_id FROM ads ad WHERE ad.id = u.a)
		ORDER BY u.i),
	    array_agg((SELECT im.width FROM ads ad JOIN images im
		ON im.sha256 = ad.image WHERE ad.id = u.a) ORDER BY u.i),
	    array_agg((SELECT im.height FROM ads ad JOIN images im
		ON im.sha256 = ad.image WHERE ad.id = u.a) ORDER BY u.i)
	INTO pre_rep, pre_sess, ad_user, ad_w, ad_h
	FROM unnest(p_client, p_epoch, p_req, p_token_hash, p_ad)
	    WITH ORDINALITY AS u(c, e, r, t, a, i);
	-- The buyers: a session as acct_session_user sees it, which it is
	-- asked itself when it would write (renew the session) or the token
	-- is no session (an API key).  A request answered before needs none.
	buyers := array_fill(NULL::bigint, ARRAY[n]);
	FOR i IN 1..n LOOP
		CONTINUE WHEN pre_rep[i] IS NOT NULL;
		IF (pre_sess[i]).user_id IS NOT NULL AND
		    (pre_sess[i]).expires_at >= now() +
		    make_interval(secs => p_ttl_s[i] * 9 / 10) THEN
			buyers[i] := (pre_sess[i]).user_id;
		ELSE
			buyers[i] := acct_session_user(p_token_hash[i],
			    p_ttl_s[i]);
		END IF;
	END LOOP;
	SELECT array_agg((SELECT l.reply FROM request_log l
		WHERE coalesce(l.user_id, 0) = u.b AND l.op = 'buy' AND
		l.idem_key = u.k) ORDER BY u.i)
	INTO pre_idem
	FROM unnest(buyers, p_idem) WITH ORDINALITY AS u(b, k, i);
	-- Every campaign named, locked in the order of their ids (so two
	-- writers never wait on each other in a circle), with what the
	-- sales need of it.
	FOR c IN SELECT * FROM campaigns WHERE id = ANY (p_campaign)
	    ORDER BY id FOR UPDATE LOOP
		k := cardinality(cid) + 1;
		cid[k] := c.id;
		crow[k] := c;
		csold[k] := c.slots_sold;
	END LOOP;
	SELECT array_agg(EXISTS (SELECT 1 FROM seller_blocks b
		WHERE b.seller_id = u.seller_id) ORDER BY u.ordinality),
	    array_agg((SELECT s.price FROM slots s WHERE s.campaign_id = u.id
		AND s.idx = u.slots_sold - 1) ORDER BY u.ordinality),
	    array_agg((SELECT s.bought_ms FROM slots s WHERE s.campaign_id =
		u.id AND s.idx = u.slots_sold - 1) ORDER BY u.ordinality),
	    array_agg((SELECT s.end_ms FROM slots s WHERE s.campaign_id = u.id
		AND s.idx = u.slots_sold - 1) ORDER BY u.ordinality)
	INTO cblock, cprice, cbought, cend
	FROM unnest(crow) WITH ORDINALITY AS u;
	-- Every account the call may debit or credit, locked in id order as
	-- the transfers' UPDATE would lock them: no other transaction can
	-- lower a balance between its check and the sale, and the sellers'
	-- and the fees' rows are not taken later in an order of their own
	-- (which another writer, locking in id order, could meet in a
	-- circle).
	SELECT buyers || array_agg(u.seller_id),
	    array_remove(ARRAY[CASE WHEN bool_or(NOT u.requires_approval) AND
		(SELECT bool_or(f > 0) FROM unnest(p_fee_ppm) f) THEN 'fees'
		END, CASE WHEN bool_or(u.requires_approval) THEN 'escrow' END],
		NULL)
	INTO users, kinds FROM unnest(crow) u;
	FOR a IN SELECT * FROM ledger_accounts
	    WHERE user_id = ANY (users) OR (kind = ANY (kinds) AND
		kind <> 'user')		-- the system accounts' index
	    ORDER BY id FOR NO KEY UPDATE LOOP
		ka := cardinality(aid) + 1;
		aid[ka] := a.id;
		auser[ka] := a.user_id;
		abal[ka] := a.balance;
		adelta[ka] := 0;
	END LOOP;

	FOR i IN 1..n LOOP
		k := array_position(rq_key, p_client[i] || ' ' || p_epoch[i] ||
		    ' ' || p_req[i]);
		IF k IS NOT NULL THEN
			RETURN NEXT rq_rep[k]::text;
			CONTINUE;
		END IF;
		IF pre_rep[i] IS NOT NULL THEN
			RETURN NEXT pre_rep[i]::text;
			CONTINUE;
		END IF;
		buyer := buyers[i];
		IF buyer IS NULL THEN
			RETURN NEXT jsonb_build_object('ok', false, 'code',
			    'no_session', 'error', 'You are not logged in.')::text;
			CONTINUE;
		END IF;
		IF p_idem[i] IS NOT NULL THEN
			k := array_position(id_key, buyer || ' ' || p_idem[i]);
			IF k IS NOT NULL THEN
				RETURN NEXT id_rep[k]::text;
				CONTINUE;
			END IF;
			IF pre_idem[i] IS NOT NULL THEN
				RETURN NEXT pre_idem[i]::text;
				CONTINUE;
			END IF;
		END IF;

		k := array_position(cid, p_campaign[i]);
		IF k IS NULL THEN
			r := jsonb_build_object('ok', false, 'code',
			    'no_campaign', 'error', 'There is no such campaign.');
		ELSE
			c := crow[k];
			sold := csold[k];
			now_ms := floor(extract(epoch FROM clock_timestamp()) *
			    1000)::bigint;
			IF cprice[k] IS NULL THEN
				price := camp_price_at(c.min_price, 0, now_ms,
				    now_ms, now_ms);
			ELSE
				price := camp_price_at(c.min_price, cprice[k],
				    cbought[k], cend[k], now_ms);
			END IF;
			state := jsonb_build_object('campaign', c.id, 'next_idx',
			    sold, 'next_price', price, 'at_ms', now_ms);
			IF p_idx[i] > sold THEN
				RETURN NEXT (jsonb_build_object('ok', false, 'code',
				    'not_yet', 'error',
				    'That slot is not for sale yet.') || state)::text;
				CONTINUE;
			END IF;
			IF ad_user[i] IS NULL OR ad_user[i] <> buyer THEN
				r := jsonb_build_object('ok', false, 'code',
				    'bad_ad', 'error', 'Pick one of your own ads.');
			ELSIF ad_w[i] <> c.width OR ad_h[i] <> c.height THEN
				r := jsonb_build_object('ok', false, 'code',
				    'bad_size', 'error', format('This space takes '
				    '%s x %s images; the ad is %s x %s.', c.width,
				    c.height, ad_w[i], ad_h[i]));
			ELSIF c.seller_id = buyer THEN
				r := jsonb_build_object('ok', false, 'code',
				    'own_campaign', 'error',
				    'You cannot buy your own ad space.');
			ELSIF cblock[k] AND EXISTS (SELECT 1 FROM seller_blocks b
			    WHERE b.seller_id = c.seller_id AND ((b.kind = 'buyer'
			    AND b.target = buyer) OR (b.kind = 'ad' AND
			    b.target = p_ad[i]))) THEN
				r := jsonb_build_object('ok', false, 'code',
				    'blocked', 'error', 'The seller does not '
				    'accept this ad or this buyer.');
			ELSIF sold <> p_idx[i] THEN
				r := jsonb_build_object('ok', false, 'code', 'sold',
				    'error', 'That slot is already sold.') || state;
			ELSIF price > p_max[i] THEN
				r := jsonb_build_object('ok', false, 'code',
				    'price_up', 'error', 'The price is above the '
				    'most you accepted.', 'price', price) || state;
			ELSE
				r := NULL;	-- a sale, if the buyer can pay
			END IF;
		END IF;

		IF r IS NULL THEN
			fee := div(price::numeric * p_fee_ppm[i], 1000000)::bigint;
			start := greatest(now_ms, coalesce(cend[k], now_ms));
			-- The buyer pays price in all (to escrow, or to the
			-- seller and the fees account), so the balance CHECK
			-- would refuse exactly when the balance is below it.
			-- A transfer of 0 (a fee of 100%) broke a CHECK too and
			-- was answered "funds": kept.
			ka := array_position(auser, buyer);
			IF ka IS NULL OR abal[ka] + adelta[ka] < price OR
			    (NOT c.requires_approval AND price - fee <= 0) THEN
				r := jsonb_build_object('ok', false, 'code',
				    'funds', 'error', 'Your balance is too low '
				    'for this price.', 'price', price) || state;
			END IF;
		END IF;

		IF r IS NULL THEN
			bacct := aid[ka];
			adelta[ka] := adelta[ka] - price;
			csold[k] := sold + 1;
			cprice[k] := price;
			cbought[k] := now_ms;
			cend[k] := start + c.slot_ms;
			s_camp := s_camp || c.id;
			s_idx := s_idx || p_idx[i];
			s_buyer := s_buyer || buyer;
			s_ad := s_ad || p_ad[i];
			s_price := s_price || price;
			s_fee := s_fee || fee;
			s_bought := s_bought || now_ms;
			s_start := s_start || start;
			s_end := s_end || (start + c.slot_ms);
			s_due := s_due || CASE WHEN c.requires_approval THEN
			    now_ms + c.review_ms END;
			t_debit := t_debit || bacct;
			t_ref := t_ref || (c.id || ':' || p_idx[i]);
			IF c.requires_approval THEN
				-- Held until reviewed (019_moderation.sql):
				-- camp_review_release pays seller and fee.
				IF escrow_acct IS NULL THEN
					SELECT e.id INTO escrow_acct
					FROM ledger_accounts e
					WHERE e.kind = 'escrow';
				END IF;
				t_credit := t_credit || escrow_acct;
				t_amount := t_amount || price;
				t_kind := t_kind || 'escrow'::text;
			ELSE
				-- The seller may buy later in this call.
				ka := array_position(auser, c.seller_id);
				t_credit := t_credit || aid[ka];
				t_amount := t_amount || (price - fee);
				t_kind := t_kind || 'purchase'::text;
				adelta[ka] := adelta[ka] + (price - fee);
			END IF;
			IF fee > 0 AND NOT c.requires_approval THEN
				IF fees_acct IS NULL THEN
					SELECT f.id INTO fees_acct
					FROM ledger_accounts f WHERE f.kind = 'fees';
				END IF;
				t_debit := t_debit || bacct;
				t_credit := t_credit || fees_acct;
				t_amount := t_amount || fee;
				t_kind := t_kind || 'fee'::text;
				t_ref := t_ref || (c.id || ':' || p_idx[i]);
			END IF;
			e_user := e_user || buyer || c.seller_id;
			e_kind := e_kind || ARRAY['purchase', 'sale'];
			e_detail := e_detail || format('slot %s of "%s" for %s sat',
			    p_idx[i], left(c.name, 40), price) ||
			    format('slot %s of "%s" for %s sat%s', p_idx[i],
			    left(c.name, 40), price - fee, CASE WHEN
			    c.requires_approval THEN ', held until you review '
			    'the ad' ELSE '' END);
			-- Webhooks (issue 15): in this transaction, or not at
			-- all.  webhook_event does nothing for a user without
			-- an endpoint: one probe a call says whether any has.
			IF any_hooks IS NULL THEN
				any_hooks := EXISTS (SELECT 1
				    FROM webhook_endpoints);
			END IF;
			IF any_hooks AND EXISTS (SELECT 1 FROM webhook_endpoints e
			    WHERE e.user_id = ANY (ARRAY[buyer, c.seller_id])) THEN
				PERFORM webhook_event(buyer, 'slot_bought',
				    jsonb_build_object('role', 'buyer',
				    'campaign', c.id, 'idx', p_idx[i], 'ad',
				    p_ad[i], 'price', price, 'start_ms', start,
				    'end_ms', start + c.slot_ms));
				PERFORM webhook_event(c.seller_id, 'slot_bought',
				    jsonb_build_object('role', 'seller',
				    'campaign', c.id, 'idx', p_idx[i], 'ad',
				    p_ad[i], 'price', price, 'earned', price - fee,
				    'start_ms', start, 'end_ms', start + c.slot_ms));
			END IF;
			r := jsonb_build_object('ok', true, 'campaign', c.id,
			    'idx', p_idx[i], 'price', price, 'start_ms', start,
			    'end_ms', start + c.slot_ms, 'review',
			    c.requires_approval);
		END IF;

		l_client := l_client || p_client[i];
		l_epoch := l_epoch || p_epoch[i];
		l_req := l_req || p_req[i];
		l_idem := l_idem || p_idem[i];
		l_user := l_user || buyer;
		l_reply := l_reply || r;
		rq_key := rq_key || (p_client[i] || ' ' || p_epoch[i] || ' ' ||
		    p_req[i]);
		rq_rep := rq_rep || r;
		IF p_idem[i] IS NOT NULL THEN
			id_key := id_key || (buyer || ' ' || p_idem[i]);
			id_rep := id_rep || r;
		END IF;
		RETURN NEXT r::text;
	END LOOP;

	-- The writes, one statement per table, in the order one purchase
	-- made them.
	INSERT INTO slots (campaign_id, idx, buyer_id, ad_id, price, fee,
	    bought_ms, start_ms, end_ms, review, review_due_ms)
	SELECT u.c, u.x, u.b, u.a, u.p, u.f, u.t, u.s, u.e,
	    CASE WHEN u.d IS NULL THEN 'none' ELSE 'pending' END, u.d
	FROM unnest(s_camp, s_idx, s_buyer, s_ad, s_price, s_fee, s_bought,
	    s_start, s_end, s_due) AS u(c, x, b, a, p, f, t, s, e, d);
	INSERT INTO ledger_transfers (debit_account, credit_account, amount,
	    kind, reference)
	SELECT * FROM unnest(t_debit, t_credit, t_amount, t_kind, t_ref);
	UPDATE campaigns SET slots_sold = u.sold
	FROM unnest(cid, csold) AS u(id, sold)
	WHERE campaigns.id = u.id AND campaigns.slots_sold <> u.sold;
	INSERT INTO account_events (user_id, kind, detail)
	SELECT * FROM unnest(e_user, e_kind, e_detail);
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	SELECT u.c, u.e, u.r, u.i, u.u, 'buy', u.j
	FROM unnest(l_client, l_epoch, l_req, l_idem, l_user, l_reply)
	    AS u(c, e, r, i, u, j);
END;
$$;

-- One purchase: camp_purchase_many of one.
CREATE OR REPLACE FUNCTION camp_purchase(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_token_hash bytea, p_ttl_s integer,
    p_campaign bigint, p_idx bigint, p_ad bigint, p_max bigint,
    p_fee_ppm bigint) RETURNS text
LANGUAGE sql AS $$
	SELECT camp_purchase_many(ARRAY[p_client], ARRAY[p_epoch],
	    ARRAY[p_req], ARRAY[p_idem], ARRAY[p_token_hash], ARRAY[p_ttl_s],
	    ARRAY[p_campaign], ARRAY[p_idx], ARRAY[p_ad], ARRAY[p_max],
	    ARRAY[p_fee_ppm]);
$$;
