-- Withdrawals an admin should look at: those waiting for approval (pay
-- with approve_withdrawal.sql, refuse with reject_withdrawal.sql), those
-- bitcoind refused lately (queued with an error), and any left 'sending'
-- for more than 5 minutes (the payer settles them from the wallet; one
-- that stays is worth a look).
-- Run: psql -v ON_ERROR_STOP=1 ... -f sql/admin/withdrawals.sql
SELECT w.id, u.username, w.amount AS sat, w.address, w.status,
    w.error, w.created_at, w.attempt_at
FROM withdrawals w JOIN users u ON u.id = w.user_id
WHERE w.status = 'approval'
   OR (w.status = 'queued' AND w.error IS NOT NULL)
   OR (w.status = 'sending' AND w.attempt_at < now() - interval '5 minutes')
ORDER BY w.id;
