-- Pays out an escrowed slot (019_moderation.sql): escrow -> seller of
-- price - fee and escrow -> fees of the fee, and marks it p_how ('approved'
-- by the seller, 'auto' when its review time passed).  The caller holds
-- the slot's row lock and has seen it pending; the transfers' unique
-- (kind, reference) makes a second payout, or a payout after a refund's
-- sibling, fail rather than happen.
CREATE OR REPLACE FUNCTION camp_review_release(p_campaign bigint,
    p_idx integer, p_how text, p_now bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	s	slots%ROWTYPE;
	c	campaigns%ROWTYPE;
	ref	text := p_campaign || ':' || p_idx;
BEGIN
	SELECT * INTO s FROM slots WHERE campaign_id = p_campaign
	    AND idx = p_idx;
	SELECT * INTO c FROM campaigns WHERE id = p_campaign;
	IF s.price - s.fee > 0 THEN
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT e.id, se.id, s.price - s.fee, 'escrow_release', ref
		FROM ledger_accounts e, ledger_accounts se
		WHERE e.kind = 'escrow' AND se.user_id = c.seller_id;
	END IF;
	IF s.fee > 0 THEN
		INSERT INTO ledger_transfers (debit_account, credit_account,
		    amount, kind, reference)
		SELECT e.id, f.id, s.fee, 'fee', ref
		FROM ledger_accounts e, ledger_accounts f
		WHERE e.kind = 'escrow' AND f.kind = 'fees';
	END IF;
	UPDATE slots SET review = p_how, reviewed_ms = p_now
	WHERE campaign_id = p_campaign AND idx = p_idx;
	INSERT INTO account_events (user_id, kind, detail)
	VALUES (c.seller_id, 'ad_approved', format('slot %s of "%s" %s: %s sat '
	    'paid to you', p_idx, left(c.name, 40), CASE WHEN p_how = 'auto'
	    THEN 'ran unreviewed' ELSE 'approved' END, s.price - s.fee)),
	    (s.buyer_id, 'ad_approved', format('your ad in slot %s of "%s" %s',
	    p_idx, left(c.name, 40), CASE WHEN p_how = 'auto' THEN
	    'runs (the review time passed)' ELSE 'was approved' END));
END;
$$;
