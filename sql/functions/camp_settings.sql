-- requires: request_log_find
-- The seller's moderation settings of a campaign (019_moderation.sql),
-- exactly once per request: whether a bought slot's ad needs approval,
-- and the review time after which an unreviewed ad runs (1 s - 7 days;
-- abc-worker narrows it), and (issue 15) the liveness share: a slot whose
-- embed went unfetched for more than it of its time is refunded pro rata
-- (liveness_judge; NULL keeps the current value).  They apply to slots
-- bought afterwards; a pending slot keeps the deadline it was bought with.
CREATE OR REPLACE FUNCTION camp_settings(p_client text, p_epoch bigint,
    p_req bigint, p_idem text, p_seller bigint, p_campaign bigint,
    p_requires boolean, p_review_ms bigint, p_liveness_pct integer)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	c	campaigns%ROWTYPE;
BEGIN
	r := request_log_find(p_client, p_epoch, p_req, p_idem, p_seller,
	    'campaign_settings');
	IF r IS NOT NULL THEN
		RETURN r::text;
	END IF;
	SELECT * INTO c FROM campaigns WHERE id = p_campaign FOR UPDATE;
	IF c.id IS NULL OR c.seller_id <> p_seller THEN
		r := jsonb_build_object('ok', false, 'code', 'no_campaign',
		    'error', 'You have no such campaign.');
	ELSE BEGIN
		UPDATE campaigns SET requires_approval = p_requires,
		    review_ms = p_review_ms,
		    liveness_pct = coalesce(p_liveness_pct, liveness_pct)
		WHERE id = c.id;
		INSERT INTO account_events (user_id, kind, detail)
		VALUES (p_seller, 'campaign_settings', format('"%s": %s',
		    left(c.name, 40), CASE WHEN p_requires THEN format(
		    'ads need your approval (%s s to review)',
		    p_review_ms / 1000) ELSE 'ads run without approval' END)
		    || CASE WHEN p_liveness_pct IS NULL THEN '' ELSE format(
		    '; a slot is refunded pro rata when the page was not seen '
		    'for over %s%% of it', p_liveness_pct) END);
		r := jsonb_build_object('ok', true, 'id', c.id);
	EXCEPTION WHEN check_violation THEN
		r := jsonb_build_object('ok', false, 'code', 'invalid',
		    'error', 'The review time or the liveness share is out '
		    'of range.');
	END; END IF;
	INSERT INTO request_log (client_id, epoch, req_no, idem_key, user_id,
	    op, reply)
	VALUES (p_client, p_epoch, p_req, p_idem, p_seller,
	    'campaign_settings', r);
	RETURN r::text;
END;
$$;
