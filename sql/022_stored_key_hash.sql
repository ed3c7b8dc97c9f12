-- Issue 14: abc-web derives the scrypt key and abc-worker only compares it,
-- so the key is what logs in.  The database now keeps SHA-256 of it (as
-- SCRAM keeps StoredKey), so a copy of the database gives no key that
-- would log in.  Existing rows hold the key itself; their hash is computed
-- here, in the same transaction as the schema version, so no row is ever
-- read with the wrong meaning (worker/req_account.c, common/scrypt.c
-- kdf_stored_hash).
UPDATE users SET pw_hash = sha256(pw_hash);
