-- Approves withdrawal :id (one that waits for approval): the payer sends it.
-- Run: psql -v ON_ERROR_STOP=1 -v id=N ... -f sql/admin/approve_withdrawal.sql
SELECT wd_approve(:id);
