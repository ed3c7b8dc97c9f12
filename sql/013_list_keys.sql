-- Issue 10: lists that grow with a user's data are shown a page at a time,
-- keyset-paginated by id (worker/listpage.c).  Deposits had no id (their
-- key is (txid, vout)); they get one, numbered in the order rows exist.
ALTER TABLE deposits ADD COLUMN id bigserial;
CREATE UNIQUE INDEX deposits_id ON deposits (id);
CREATE INDEX deposits_user_id ON deposits (user_id, id DESC);
