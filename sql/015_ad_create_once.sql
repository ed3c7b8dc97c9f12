-- ad_create becomes exactly-once (SPEC 4.4, 5): it takes the request's ids
-- and idempotency key and keeps its answer in request_log, like
-- camp_create.  The old signature is dropped here; the new body is in
-- sql/functions/ad_create.sql.
DROP FUNCTION IF EXISTS ad_create(bigint, text, text, text, text, text,
    integer, integer, bytea, integer, bigint);
