-- An event for user p_user's webhooks (issue 15): one delivery per
-- endpoint of theirs, in the caller's transaction (the outbox: the event
-- commits with what it tells, or not at all).  A user without endpoints
-- costs one index probe and nothing is written, so purchases and credits
-- stay as cheap as before.  p_once, when given, makes the event once only
-- (a slot's start, a deposit's credit): a second call is a no-op.  Kinds:
-- slot_bought, slot_started, ad_rejected (for moderation to call),
-- deposit_credited, withdrawal_sent.
CREATE OR REPLACE FUNCTION webhook_event(p_user bigint, p_kind text,
    p_data jsonb, p_once text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	eid	bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE user_id = p_user)
	THEN
		RETURN;
	END IF;
	INSERT INTO webhook_events (user_id, kind, data, once_key)
	VALUES (p_user, p_kind, p_data, p_once)
	ON CONFLICT (once_key) DO NOTHING
	RETURNING id INTO eid;
	IF eid IS NOT NULL THEN
		INSERT INTO webhook_deliveries (event_id, endpoint_id)
		SELECT eid, e.id FROM webhook_endpoints e
		WHERE e.user_id = p_user;
	END IF;
END;
$$;
