-- Which abc-worker wrote each request_log row (issue 14, exactly one active
-- worker): its connection's application_name, which deploy/hosts sets per
-- host (abc-worker-db1, abc-worker-db2).  Lets a test show from the
-- database that no row came from a worker after it lost the lock.  Added
-- without a default first, so old rows stay NULL (not known) and the
-- table is not rewritten; new rows take the writer's name.
ALTER TABLE request_log ADD COLUMN written_by text;
ALTER TABLE request_log ALTER COLUMN written_by
    SET DEFAULT current_setting('application_name');
