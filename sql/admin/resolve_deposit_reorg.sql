-- Marks a reorged-out credited deposit as handled by an admin, so that
-- /status stops reporting it.  Changes no money: a correction, if one is
-- needed, is a separate ledger transfer (kind 'reorg_correction').
--   psql -v ON_ERROR_STOP=1 -v txid=TXID -v vout=N -v note='why' -f THIS
UPDATE deposit_reorgs SET resolved_at = now(), note = :'note'
WHERE txid = :'txid' AND vout = :'vout'::integer AND resolved_at IS NULL;
