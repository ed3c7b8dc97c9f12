-- camp_settings also sets the campaign's liveness share (issue 15: the
-- seller's setting, default 50%): it takes it as a new last parameter.
-- The old signature is dropped here; the new body is in
-- sql/functions/camp_settings.sql.
DROP FUNCTION IF EXISTS camp_settings(text, bigint, bigint, text, bigint,
    bigint, boolean, bigint);
