-- apikey_create asks for the second factor when 2FA is on (issue 15): it
-- takes the judged TOTP step as a new last parameter.  The old signature
-- is dropped here; the new body is in sql/functions/apikey_create.sql.
DROP FUNCTION IF EXISTS apikey_create(text, bigint, bigint, text, bytea,
    integer, text, text[], bytea, text, integer);
