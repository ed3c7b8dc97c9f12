-- Two lookups every request makes, made cheap (tests/bench row d2 found
-- them dominating a purchase):
--
-- request_log_find looked requests up by idempotency key with a predicate
-- (user_id IS NOT DISTINCT FROM p_user) that the unique index on
-- (coalesce(user_id, 0), op, idem_key) cannot serve, so each call scanned
-- every keyed request still kept; now each of its two questions is one
-- index probe (the primary key, then that index).
--
-- acct_session rewrote the session row on every use (expires_at set to
-- itself when no renewal was due), so every page of a logged-in user
-- wrote, and committed with a WAL flush; now it writes only when the
-- session is renewed, and is otherwise a read.

DROP FUNCTION IF EXISTS acct_session(bytea, integer);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): request_log_find, acct_session.
