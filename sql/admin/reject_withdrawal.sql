-- Rejects withdrawal :id (waiting for approval or queued, not sent): the
-- amount goes back to the user's balance, and their history says why.
-- Run: psql -v ON_ERROR_STOP=1 -v id=N -v reason="'...'" ...
--      -f sql/admin/reject_withdrawal.sql
SELECT wd_reject(:id, :reason);
