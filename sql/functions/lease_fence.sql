-- The fence of issue 14 (SPEC 8): a write transaction of an abc-worker run
-- with active_lock = yes calls this first, in the same transaction, with
-- the backend pid of its own lock session (worker/lease.h).  It refuses
-- (SQLSTATE WL001, which the worker retries, never answers) unless that
-- session holds the advisory lock LEASE_KEY (1633837943) at this moment,
-- so a worker that lost the lock cannot commit, even in the moment before
-- its lock watch ends it.
--
-- A transaction that passed the check could still commit late.  So it
-- also holds FENCE_KEY (1633837926, "abcf") shared until it ends, and a new
-- active worker, before acting, ends such transactions of its predecessor
-- and takes FENCE_KEY exclusively once (lease_fence_barrier): every write
-- of the old worker has then committed or rolled back before the first of
-- the new.  Advisory locks live in shared memory: no row is written.
CREATE OR REPLACE FUNCTION lease_fence(p_pid integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(1633837926::bigint);
	IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
	    AND classid = 0 AND objid = 1633837943 AND objsubid = 1
	    AND pid = p_pid AND granted) THEN
		RAISE EXCEPTION 'lease_fence: session % does not hold the lock',
		    p_pid USING ERRCODE = 'WL001';
	END IF;
END;
$$;

-- lease_fence_barrier: run once by a worker that has just taken the lock,
-- on its lock session, before it acts.  Other sessions holding FENCE_KEY
-- are write transactions of a previous holder (this worker has started
-- nothing yet): they are ended, and the exclusive lock waits until they
-- are gone (a commit already under way finishes first).  Returns how many
-- were ended.
CREATE OR REPLACE FUNCTION lease_fence_barrier() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	SELECT count(pg_terminate_backend(pid)) INTO n FROM pg_locks
	    WHERE locktype = 'advisory' AND classid = 0
	    AND objid = 1633837926 AND objsubid = 1
	    AND pid <> pg_backend_pid();
	PERFORM pg_advisory_xact_lock(1633837926::bigint);
	RETURN n;
END;
$$;
