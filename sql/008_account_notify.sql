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

DROP FUNCTION IF EXISTS acct_overview(bigint, integer);

-- Its functions live in sql/functions/ (one file each, applied after every
-- numbered migration): abc_notify_account, abc_notify_tip,
-- acct_overview.
