-- A transaction gone from the chain (reorg) or the mempool.  Pending
-- outputs are dropped; credited ones are recorded for admins.  Returns
-- the users concerned, comma-separated.
CREATE OR REPLACE FUNCTION deposit_gone(p_txid text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	users	text := '';
	d	record;
BEGIN
	FOR d IN SELECT * FROM deposits WHERE txid = p_txid FOR UPDATE LOOP
		IF d.status = 'pending' THEN
			UPDATE deposits SET status = 'dropped'
			WHERE txid = d.txid AND vout = d.vout;
			users := users || d.user_id || ',';
		ELSIF d.status = 'credited' THEN
			UPDATE deposits SET status = 'reorged'
			WHERE txid = d.txid AND vout = d.vout;
			INSERT INTO deposit_reorgs (txid, vout, user_id, amount)
			VALUES (d.txid, d.vout, d.user_id, d.amount)
			ON CONFLICT DO NOTHING;
			users := users || d.user_id || ',';
		END IF;
	END LOOP;
	RETURN users;
END;
$$;
