-- Credited deposits whose transaction a reorg removed (SPEC 4.2).  The
-- credit stays in the ledger until an admin decides; it is never credited
-- again.  Run: psql -f sql/admin/deposit_reorgs.sql
-- Once handled (re-mined, or corrected with a ledger transfer), mark it:
--   psql -v txid=... -v vout=0 -v note='re-mined in block ...' \
--       -f sql/admin/resolve_deposit_reorg.sql
SELECT r.detected_at, r.resolved_at, r.note, u.username, r.txid, r.vout,
    r.amount AS sat, d.status, a.balance AS user_balance_sat
FROM deposit_reorgs r
JOIN users u ON u.id = r.user_id
JOIN deposits d ON d.txid = r.txid AND d.vout = r.vout
JOIN ledger_accounts a ON a.user_id = r.user_id
ORDER BY r.detected_at;
