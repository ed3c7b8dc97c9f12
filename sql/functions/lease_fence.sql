-- The fence of issue 14 (SPEC 8).  An abc-worker run with active_lock = yes
-- holds, on its lock session, besides the lock LEASE_KEY (1633837943), a
-- second session lock of its own: (1633837943, token), a random token it
-- drew when it got LEASE_KEY (worker/lease.c).  Both go with the session
-- and nothing else releases them, so "someone holds (1633837943, token)" is
-- "this worker's lock session lives, and holds LEASE_KEY".
--
-- lease_fence(token): called first in every write transaction of such a
-- worker.  Refuses (SQLSTATE WL001, which the worker retries, never
-- answers) when nobody holds (1633837943, token) exclusively: then a
-- worker that lost the lock cannot commit, even in the moment before its
-- lock watch ends it.  One probe of the lock table (a shared try that
-- fails while the holder lives), not a scan of pg_locks.
--
-- A transaction that passed the check could still commit late: so it also
-- holds FENCE_KEY (1633837926, "abcf") shared until it ends, and a new
-- active worker, before it acts, ends such transactions of its predecessor
-- and takes FENCE_KEY exclusively once (lease_fence_barrier): every write
-- of the old worker has then committed or rolled back before the first of
-- the new.  Advisory locks live in shared memory: no row is written.
CREATE OR REPLACE FUNCTION lease_fence(p_token integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(1633837926::bigint);
	IF pg_try_advisory_xact_lock_shared(1633837943, p_token) THEN
		RAISE EXCEPTION 'lease_fence: the lock of token % is not held',
		    p_token USING ERRCODE = 'WL001';
	END IF;
END;
$$;

-- lease_fence_barrier(token): run once by a worker that has just taken
-- LEASE_KEY, on its lock session, before it acts: takes its token's lock,
-- then ends the sessions holding FENCE_KEY (write transactions of a
-- previous holder: this worker has started nothing yet) and waits, with
-- the exclusive lock, until they are gone (a commit already under way
-- finishes first).  Returns how many were ended.
CREATE OR REPLACE FUNCTION lease_fence_barrier(p_token integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	n integer;
BEGIN
	PERFORM pg_advisory_lock(1633837943, p_token);
	SELECT count(pg_terminate_backend(pid)) INTO n FROM pg_locks
	    WHERE locktype = 'advisory' AND classid = 0
	    AND objid = 1633837926 AND objsubid = 1
	    AND pid <> pg_backend_pid();
	PERFORM pg_advisory_xact_lock(1633837926::bigint);
	RETURN n;
END;
$$;
