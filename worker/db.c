/*
 * Database thread.  Jobs queue under a mutex; the thread swaps the whole
 * queue out and runs it: read-only jobs in one pipelined round trip, each
 * its own implicit transaction, and state-changing jobs (job->durable) as
 * one pipelined transaction (merged jobs of one SQL as one call:
 * worker/dbmerge.h).  Results of a transaction
 * are released only after its COMMIT succeeded.  When the database fails
 * mid-batch the batch is retried after a pause, never answered: its
 * requests are in request_log if the COMMIT did land, so the retry returns
 * the stored replies instead of applying them twice.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "dbmerge.h"
#include "hex.h"
#include "lease.h"
#include "log.h"
#include "pgprep.h"
#include "xmalloc.h"

#define DB_RETRY_MS	200
#define DB_PRUNE_MS	60000
#define DB_FENCED	(-2)

struct db {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct db_job	*queue;		/* owned; jobs waiting, FIFO */
	struct db_job	**queue_tail;
	struct db_job	*done;		/* owned; finished, FIFO */
	struct db_job	**done_tail;
	int		 stopping;
	int		 done_fd;	/* borrowed eventfd */
	char		*conninfo;	/* owned */
	PGconn		*pg;		/* owned by the thread */
	struct pgprep	*prep;		/* owned; what pg has prepared */
	int		 replan;	/* a prepared plan went stale: reconnect */
	int64_t		 pruned_ms;
	struct db_stats	 stats;
};

/* A query of a pipeline and, once run, its result. */
struct db_q {
	const char	*sql;
	const char	*name;		/* prepared under; NULL: unnamed */
	int		 nparams;
	const char	*params[DB_PARAMS_MAX];
	PGresult	*res;		/* owned */
};

/* Silences libpq's notices (they are logged by the server). */
static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("db_notice", "message=\"%.200s\"", message);
}

static void	db_q_clear(struct db_q *, size_t);
static int	db_pipeline(struct db *, PGconn *, struct db_q *, size_t);

/*
 * Leaves pg outside any transaction.  A durable batch whose statement
 * failed leaves its transaction open and aborted: in a pipeline the
 * server skips everything up to the sync after an error, the COMMIT too,
 * so every later BEGIN would fail until the session is rolled back.
 * Returns 0, or -1 when it cannot be rolled back (reconnect).
 */
static int
db_settle(PGconn *pg)
{
	struct db_q	 q = { .sql = "ROLLBACK" };
	int		 rc;

	switch (PQtransactionStatus(pg)) {
	case PQTRANS_IDLE:
		return 0;
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		break;
	default:
		return -1;
	}
	rc = db_pipeline(NULL, pg, &q, 1);
	db_q_clear(&q, 1);
	return rc == 0 && PQtransactionStatus(pg) == PQTRANS_IDLE ? 0 : -1;
}

/*
 * The request connection waits at most 1 s for a row lock.  Every request
 * of the site runs on it, one batch at a time, so a lock held elsewhere
 * (an operator's psql left in a transaction with a campaign's row locked)
 * would otherwise stall every request until it ends.  Past the timeout
 * the batch fails, db_run_alone runs its jobs one by one, and only the
 * ones that need the lock fail, unanswered in request_log, so a resend
 * tries again; the rest are answered within about 2 s, inside abc-web's
 * request timeout (3 s).  abc-worker's own transactions hold their locks
 * for milliseconds.  Returns 0, or -1 (the caller logs the connection's
 * error).
 */
static int
db_session_settings(PGconn *pg)
{
	PGresult	*r = PQexec(pg, "SET lock_timeout = '1s'");
	int		 ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	PQclear(r);
	return ok ? 0 : -1;
}

/*
 * Returns a usable connection outside any transaction, reconnecting if
 * needed; NULL if down.
 */
static PGconn *
db_conn(struct db *db)
{
	if (db->replan) {
		/* A new session has nothing prepared: every plan is new. */
		log_info("db_replan", "reason=\"a prepared statement's result "
		    "type changed\"");
		PQfinish(db->pg);
		db->pg = NULL;
		db->replan = 0;
	}
	if (db->pg != NULL && PQstatus(db->pg) == CONNECTION_OK) {
		if (db_settle(db->pg) == 0)
			return db->pg;
		log_warn("db_unsettled", "error=\"%s\"", PQerrorMessage(db->pg));
	}
	PQfinish(db->pg);
	pgprep_forget(db->prep);
	db->pg = PQconnectdb(db->conninfo);
	if (PQstatus(db->pg) != CONNECTION_OK ||
	    db_session_settings(db->pg) != 0 ||
	    PQenterPipelineMode(db->pg) != 1) {
		log_warn("db_connect", "error=\"%s\"", PQerrorMessage(db->pg));
		PQfinish(db->pg);
		db->pg = NULL;
		return NULL;
	}
	PQsetNoticeProcessor(db->pg, db_notice, NULL);
	log_info("db_connected", "server_version=%d",
	    PQserverVersion(db->pg));
	return db->pg;
}

/* Frees the results of qs. */
static void
db_q_clear(struct db_q *qs, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		PQclear(qs[i].res);
		qs[i].res = NULL;
	}
}

/*
 * The name sql is prepared under on pg, preparing it first (a round trip
 * of its own, made before the pipeline that runs it) when new; NULL when
 * it goes unnamed: no room, or the server refused it (then the job that
 * runs it gets the error).  Only outside a pipeline's pending results.
 */
static const char *
db_prepared(struct db *db, PGconn *pg, const char *sql, int nparams)
{
	const char	*name;
	PGresult	*r;
	int		 ok;

	switch (pgprep_lookup(db->prep, sql, &name)) {
	case PGPREP_READY:
		return name;
	case PGPREP_FULL:
		return NULL;
	case PGPREP_NEW:
		break;
	}
	if (PQsendPrepare(pg, name, sql, nparams, NULL) != 1 ||
	    PQpipelineSync(pg) != 1)
		return NULL;
	r = PQgetResult(pg);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	while ((r = PQgetResult(pg)) != NULL)	/* the end of the Parse */
		PQclear(r);
	r = PQgetResult(pg);			/* its sync */
	ok = ok && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
	PQclear(r);
	pgprep_done(db->prep, sql, ok);
	return ok ? name : NULL;
}

/*
 * Notes a result that says a prepared statement cannot run any more: a
 * function it calls was replaced with another result type (an upgrade
 * applying sql/functions/ while this worker runs).  The next batch then
 * starts on a new connection instead of failing that statement forever.
 */
static void
db_check_plan(struct db *db, const PGresult *res)
{
	const char	*state;

	state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (db != NULL && state != NULL &&
	    strcmp(state, "0A000") == 0)	/* feature_not_supported */
		db->replan = 1;
}

/* Sends one query by name when it has one, else unnamed; 1 or 0. */
static int
db_send(PGconn *pg, const char *name, const char *sql, int nparams,
    const char *const *params)
{
	if (name != NULL)
		return PQsendQueryPrepared(pg, name, nparams, params, NULL,
		    NULL, 0);
	return PQsendQueryParams(pg, sql, nparams, NULL, params, NULL, NULL,
	    0);
}

/*
 * Sends every query of qs in one pipeline and collects one result each,
 * each by its prepared statement when db is given (NULL: all unnamed).
 * Returns 0 when every query succeeded, -1 otherwise (the first error is
 * logged; results stay in qs for the caller to inspect and clear).
 */
static int
db_pipeline(struct db *db, PGconn *pg, struct db_q *qs, size_t n)
{
	PGresult	*r;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; db != NULL && i < n; i++)
		qs[i].name = db_prepared(db, pg, qs[i].sql, qs[i].nparams);
	for (i = 0; i < n; i++)
		if (db_send(pg, qs[i].name, qs[i].sql, qs[i].nparams,
		    qs[i].params) != 1)
			break;
	if (i < n || PQpipelineSync(pg) != 1) {
		log_warn("db_send", "error=\"%s\"", PQerrorMessage(pg));
		return -1;
	}
	for (i = 0; i < n; i++) {
		qs[i].res = PQgetResult(pg);
		if (qs[i].res == NULL)
			return -1;
		while ((r = PQgetResult(pg)) != NULL)
			PQclear(r);
		if (rc == 0 && PQresultStatus(qs[i].res) != PGRES_COMMAND_OK &&
		    PQresultStatus(qs[i].res) != PGRES_TUPLES_OK) {
			log_warn("db_query", "error=\"%s\"",
			    PQresultErrorMessage(qs[i].res));
			db_check_plan(db, qs[i].res);
			rc = -1;
		}
	}
	r = PQgetResult(pg);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		rc = -1;
	PQclear(r);
	return rc;
}

/*
 * Sends job as a pipeline step of its own (a sync after it), by the name
 * it is prepared under (NULL: unnamed); 0 or -1.
 */
static int
db_send_alone(PGconn *pg, const char *name, const struct db_job *job)
{
	return db_send(pg, name, job->sql, job->nparams,
	    (const char *const *)job->params) == 1 &&
	    PQpipelineSync(pg) == 1 ? 0 : -1;
}

/*
 * Collects the result of a job sent by db_send_alone and its sync;
 * records the result (or the error) in the job.  Returns 0, or -1 when
 * the connection gave no result or lost step (later jobs get nothing).
 */
static int
db_collect_alone(struct db *db, PGconn *pg, struct db_job *job)
{
	PGresult	*r;

	if ((job->res = PQgetResult(pg)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s",
		    PQerrorMessage(pg));
		return -1;
	}
	if (PQresultStatus(job->res) != PGRES_COMMAND_OK &&
	    PQresultStatus(job->res) != PGRES_TUPLES_OK) {
		snprintf(job->error, sizeof(job->error), "%s",
		    PQresultErrorMessage(job->res));
		log_warn("db_query", "error=\"%s\"", job->error);
		db_check_plan(db, job->res);
	}
	while ((r = PQgetResult(pg)) != NULL)	/* the end of this query */
		PQclear(r);
	r = PQgetResult(pg);			/* its sync */
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

/*
 * Runs the read-only jobs of a batch in one round trip: each goes as its
 * own implicit transaction (a sync after each), so a failing query fails
 * its own job only.  Every job gets its result or an error.
 */
static void
db_run_reads(struct db *db, struct db_job **jobs, size_t n)
{
	const char	*names[DB_BATCH_MAX];
	PGconn		*pg;
	size_t		 sent = 0, i;
	int		 lost = 0;

	if ((pg = db_conn(db)) != NULL) {
		for (i = 0; i < n; i++)
			names[i] = db_prepared(db, pg, jobs[i]->sql,
			    jobs[i]->nparams);
		while (sent < n &&
		    db_send_alone(pg, names[sent], jobs[sent]) == 0)
			sent++;
	}
	lost = pg != NULL && sent < n;
	for (i = 0; i < sent && !lost; i++)
		lost = db_collect_alone(db, pg, jobs[i]) != 0;
	if (lost) {
		/* A send failed or the answers are out of step: start afresh. */
		log_warn("db_pipeline_lost", "error=\"%s\"",
		    PQerrorMessage(pg));
		PQfinish(db->pg);
		db->pg = NULL;
	}
	for (i = 0; i < n; i++)
		if (jobs[i]->res == NULL && jobs[i]->error[0] == '\0')
			snprintf(jobs[i]->error, sizeof(jobs[i]->error),
			    "database unreachable");
}

/* 1 when res is the fence's refusal (sql/functions/lease_fence.sql). */
static int
db_fenced(const PGresult *res)
{
	const char	*state;

	state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return state != NULL && strcmp(state, LEASE_FENCED_STATE) == 0;
}

/*
 * Adds the statements of jobs[0..n) to qs from qs[*nq] on, in the jobs'
 * order, a merged call where its first job stands; q_of[i] is job i's.
 */
static void
db_durable_qs(struct db_job **jobs, size_t n, struct dbmerge *m,
    struct db_q *qs, size_t *nq, size_t *q_of)
{
	struct dbmerge_call	*call;
	struct db_q		*q;
	size_t			 i;
	int			 k, row;

	dbmerge_plan(m, jobs, n);
	for (i = 0; i < n; i++) {
		if ((call = dbmerge_call_of(m, i, &row)) != NULL && row > 0) {
			q_of[i] = call->q;
			continue;
		}
		q = &qs[*nq];
		q_of[i] = (*nq)++;
		q->sql = jobs[i]->sql;
		q->nparams = jobs[i]->nparams;
		for (k = 0; k < q->nparams; k++)
			q->params[k] = call != NULL ? call->params[k] :
			    jobs[i]->params[k];
		if (call != NULL)
			call->q = q_of[i];
	}
}

/*
 * Gives each job its result from qs: its own statement's, or its row of
 * its merged call's.  Returns 0, or -1 when a call's result has not one
 * row per job (nothing is given then).
 */
static int
db_durable_results(struct db_job **jobs, size_t n, struct dbmerge *m,
    struct db_q *qs, const size_t *q_of)
{
	struct dbmerge_call	*call;
	size_t			 i;
	int			 row;

	for (i = 0; i < m->ncalls; i++)
		if (!dbmerge_fits(m->calls[i], qs[m->calls[i]->q].res)) {
			log_error("db_merged", "error=\"not a row per job\" "
			    "jobs=%zu sql=\"%.60s\"", m->calls[i]->njobs,
			    m->calls[i]->sql);
			return -1;
		}
	for (i = 0; i < n; i++) {
		if ((call = dbmerge_call_of(m, i, &row)) != NULL) {
			jobs[i]->res = dbmerge_row(qs[q_of[i]].res, row);
			continue;
		}
		jobs[i]->res = qs[q_of[i]].res;
		qs[q_of[i]].res = NULL;
	}
	return 0;
}

/*
 * Runs the durable jobs of a batch in one transaction, behind the fence
 * when this worker runs with a lock (same round trip: one more statement
 * in the pipeline); merged jobs of one SQL as one call.  Returns 0 with a
 * result on every job, -1 when the transaction did not (surely) commit
 * or a merged call's answer has not a row per job (a bug; committed, so
 * the retry gets the answers the calls stored): then no job has a result
 * and the caller retries them all; DB_FENCED when the fence refused it
 * (the lock is lost: retried, never split or answered, until the watch
 * ends us).
 */
static int
db_run_durable(struct db *db, struct db_job **jobs, size_t n)
{
	struct db_q	 qs[DB_BATCH_MAX + 3];
	struct dbmerge	 m;
	size_t		 q_of[DB_BATCH_MAX];
	PGconn		*pg;
	size_t		 nq = 1;
	int		 rc, token;
	char		 tokbuf[16];

	if ((pg = db_conn(db)) == NULL)
		return -1;
	memset(qs, 0, sizeof(qs));
	qs[0].sql = "BEGIN";
	if ((token = lease_fence_token()) != 0) {
		snprintf(tokbuf, sizeof(tokbuf), "%d", token);
		qs[1].sql = "SELECT lease_fence($1)";
		qs[1].nparams = 1;
		qs[1].params[0] = tokbuf;
		nq = 2;
	}
	db_durable_qs(jobs, n, &m, qs, &nq, q_of);
	qs[nq++].sql = "COMMIT";
	rc = db_pipeline(db, pg, qs, nq);
	if (rc != 0 && token != 0 && db_fenced(qs[1].res)) {
		log_error("db_fenced", "jobs=%zu reason=\"the lock session "
		    "does not hold the lock\"", n);
		rc = DB_FENCED;
	}
	if (rc == 0)
		rc = db_durable_results(jobs, n, &m, qs, q_of);
	db_q_clear(qs, nq);
	dbmerge_clear(&m);
	return rc;
}

/*
 * After a batch failed while the database is still reachable, one of its
 * requests is to blame (the SQL functions catch the errors they expect):
 * each job runs in a transaction of its own, so only the culprit fails;
 * it gets an error and no reply is stored, so a resend tries again.
 * Returns 0, or -1 when the connection itself is gone (retry them all).
 */
static int
db_run_alone(struct db *db, struct db_job **jobs, size_t n)
{
	size_t	 i;
	int	 rc;

	if (db->pg == NULL || PQstatus(db->pg) != CONNECTION_OK)
		return -1;
	log_warn("db_batch_split", "jobs=%zu", n);
	for (i = 0; i < n; i++)
		if ((rc = db_run_durable(db, &jobs[i], 1)) != 0) {
			if (rc == DB_FENCED || db->pg == NULL ||
			    PQstatus(db->pg) != CONNECTION_OK)
				return -1;
			snprintf(jobs[i]->error, sizeof(jobs[i]->error),
			    "the request failed in the database");
			log_error("db_job_failed", "sql=\"%.60s\"",
			    jobs[i]->sql);
		}
	return 0;
}

/* Signals the event loop that jobs are done. */
static void
db_notify(struct db *db)
{
	uint64_t	 one = 1;

	while (write(db->done_fd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

/* Hands a finished list to the event loop; lock held. */
static void
db_finish(struct db *db, struct db_job *list)
{
	struct db_job	*j;

	if (list == NULL)
		return;
	for (j = list; j->next != NULL; j = j->next)
		db->stats.jobs++;
	db->stats.jobs++;
	*db->done_tail = list;
	db->done_tail = &j->next;
	db_notify(db);
}

/* Puts list back at the head of the queue for a retry; lock held. */
static void
db_requeue(struct db *db, struct db_job *list)
{
	struct db_job	*j;

	for (j = list; j->next != NULL; j = j->next)
		continue;
	j->next = db->queue;
	if (db->queue == NULL)
		db->queue_tail = &j->next;
	db->queue = list;
	db->stats.retries++;
}

/* Takes up to DB_BATCH_MAX queued jobs, oldest first; lock held. */
static struct db_job *
db_take_batch(struct db *db)
{
	struct db_job	*batch = db->queue, *j = db->queue;
	size_t		 n = 1;

	while (j->next != NULL && n < DB_BATCH_MAX) {
		j = j->next;
		n++;
	}
	db->queue = j->next;
	if (db->queue == NULL)
		db->queue_tail = &db->queue;
	j->next = NULL;
	return batch;
}

/* Deletes request_log rows nobody can resend any more, once a minute. */
static void
db_prune(struct db *db)
{
	struct db_q	 q = { .sql = "DELETE FROM request_log WHERE "
			    "created_at < now() - interval '7 days'" };
	int64_t		 now = clock_mono_ms();
	PGconn		*pg;

	if (now - db->pruned_ms < DB_PRUNE_MS || (pg = db_conn(db)) == NULL)
		return;
	db->pruned_ms = now;
	if (db_pipeline(db, pg, &q, 1) == 0 &&
	    strtol(PQcmdTuples(q.res), NULL, 10) > 0)
		log_info("request_log_pruned", "rows=%s", PQcmdTuples(q.res));
	db_q_clear(&q, 1);
}

/*
 * Runs one batch: its reads in one round trip, its durable jobs in one
 * transaction.  Returns the durable list when it must be retried.
 */
static struct db_job *
db_run_batch(struct db *db, struct db_job *batch, struct db_job **done)
{
	struct db_job	*durable[DB_BATCH_MAX], *reads[DB_BATCH_MAX];
	struct db_job	*j, *next, *retry = NULL, **dtail = done;
	size_t		 n = 0, nr = 0, i;
	int		 rc;

	for (j = batch; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		if (j->durable)
			durable[n++] = j;
		else
			reads[nr++] = j;
	}
	db_run_reads(db, reads, nr);
	for (i = 0; i < nr; i++) {
		*dtail = reads[i];
		dtail = &reads[i]->next;
	}
	/* A batch of one that failed runs once more alone too: a request
	 * its SQL refuses must fail, not come back forever.  A fenced batch
	 * is retried whole until the lock watch ends this process. */
	if (n > 0 && (rc = db_run_durable(db, durable, n)) != 0 &&
	    (rc == DB_FENCED || db_run_alone(db, durable, n) != 0))
		for (i = n; i-- > 0; ) {
			durable[i]->next = retry;
			retry = durable[i];
		}
	else
		for (i = 0; i < n; i++) {
			*dtail = durable[i];
			dtail = &durable[i]->next;
		}
	return retry;
}

static void *
db_thread(void *arg)
{
	struct db	*db = arg;
	struct db_job	*batch, *done, *retry;

	pthread_mutex_lock(&db->lock);
	for (;;) {
		while (db->queue == NULL && !db->stopping)
			pthread_cond_wait(&db->wake, &db->lock);
		if (db->queue == NULL && db->stopping)
			break;
		batch = db_take_batch(db);
		pthread_mutex_unlock(&db->lock);
		done = NULL;
		retry = db_run_batch(db, batch, &done);
		if (retry == NULL)
			db_prune(db);
		pthread_mutex_lock(&db->lock);
		db_finish(db, done);
		if (retry != NULL && db->stopping) {
			/* Unanswered: the client resends to our successor. */
			while ((batch = retry) != NULL) {
				retry = batch->next;
				db_job_free(batch);
			}
		} else if (retry != NULL) {
			db_requeue(db, retry);
			pthread_mutex_unlock(&db->lock);
			usleep(DB_RETRY_MS * 1000);
			pthread_mutex_lock(&db->lock);
		} else
			db->stats.batches++;
	}
	pthread_mutex_unlock(&db->lock);
	PQfinish(db->pg);
	db->pg = NULL;
	return NULL;
}

/*
 * Starts the database thread for conninfo; done_fd is an eventfd written
 * after each batch.  Returns NULL (logged) if the thread cannot start.
 * The first connection is made lazily by the first job.
 */
struct db *
db_start(const char *conninfo, int done_fd)
{
	struct db	*db;
	int		 rc;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->prep = pgprep_new();
	db->done_fd = done_fd;
	db->queue_tail = &db->queue;
	db->done_tail = &db->done;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->wake, NULL);
	if ((rc = pthread_create(&db->thread, NULL, db_thread, db)) != 0) {
		log_error("db_thread", "error=\"%s\"", strerror(rc));
		pgprep_free(db->prep);
		free(db->conninfo);
		free(db);
		return NULL;
	}
	return db;
}

/* Finishes queued jobs, stops the thread and frees everything. */
void
db_stop(struct db *db)
{
	struct db_job	*j;

	if (db == NULL)
		return;
	pthread_mutex_lock(&db->lock);
	db->stopping = 1;
	pthread_cond_signal(&db->wake);
	pthread_mutex_unlock(&db->lock);
	pthread_join(db->thread, NULL);
	while ((j = db->done) != NULL) {
		db->done = j->next;
		db_job_free(j);
	}
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->wake);
	pgprep_free(db->prep);
	free(db->conninfo);
	free(db);
}

/* Queues job (ownership passes to the db thread until it is done). */
void
db_submit(struct db *db, struct db_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&db->lock);
	*db->queue_tail = job;
	db->queue_tail = &job->next;
	pthread_cond_signal(&db->wake);
	pthread_mutex_unlock(&db->lock);
}

/* Takes every finished job, oldest first; the caller frees each. */
struct db_job *
db_take_done(struct db *db)
{
	struct db_job	*done;

	pthread_mutex_lock(&db->lock);
	done = db->done;
	db->done = NULL;
	db->done_tail = &db->done;
	pthread_mutex_unlock(&db->lock);
	return done;
}

/* A new job running sql; add parameters with db_job_param*. */
struct db_job *
db_job_new(const char *sql, int durable, void *ctx, int tag)
{
	struct db_job	*job;

	job = xcalloc(1, sizeof(*job));
	job->sql = sql;
	job->durable = durable;
	job->ctx = ctx;
	job->tag = tag;
	return job;
}

/* Appends a copy of value (NULL: SQL NULL) as the next parameter. */
void
db_job_param(struct db_job *job, const char *value)
{
	if (job->nparams >= DB_PARAMS_MAX) {
		log_error("db_job", "error=\"too many parameters\" sql=\"%.60s\"",
		    job->sql);
		abort();
	}
	job->params[job->nparams++] = value != NULL ? xstrdup(value) : NULL;
}

/* Appends a formatted parameter. */
void
db_job_paramf(struct db_job *job, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	va_end(ap);
	db_job_param(job, s);
	free(s);
}

/* Appends len bytes as a bytea parameter in hex form. */
void
db_job_param_hex(struct db_job *job, const uint8_t *p, size_t len)
{
	char	*s;

	s = xmalloc(2 * len + 3);
	s[0] = '\\';
	s[1] = 'x';
	hex_encode(p, len, s + 2);
	db_job_param(job, s);
	free(s);
}

/* Returns non-zero when the statement ran without error. */
int
db_job_ok(const struct db_job *job)
{
	return job->res != NULL &&
	    (PQresultStatus(job->res) == PGRES_TUPLES_OK ||
	    PQresultStatus(job->res) == PGRES_COMMAND_OK);
}

/*
 * What a read found: FOUND when it ran and its first row's first column
 * holds a value; ABSENT when it ran and returned no row or a NULL there
 * (both ways SQL says "none"); UNKNOWN when it did not run (the database
 * failed), which is never absence.
 */
enum lookup
db_job_lookup(const struct db_job *job)
{
	if (!db_job_ok(job))
		return LOOKUP_UNKNOWN;
	if (PQntuples(job->res) == 0 || PQnfields(job->res) == 0 ||
	    PQgetisnull(job->res, 0, 0))
		return LOOKUP_ABSENT;
	return LOOKUP_FOUND;
}

/* The text of (row, col), or NULL when absent or SQL NULL. */
const char *
db_job_value(const struct db_job *job, int row, int col)
{
	if (!db_job_ok(job) || row >= PQntuples(job->res) ||
	    col >= PQnfields(job->res) || PQgetisnull(job->res, row, col))
		return NULL;
	return PQgetvalue(job->res, row, col);
}

void
db_job_free(struct db_job *job)
{
	int	 i;

	if (job == NULL)
		return;
	for (i = 0; i < job->nparams; i++)
		free(job->params[i]);
	PQclear(job->res);
	free(job);
}

/* Copies the thread's counters. */
void
db_get_stats(struct db *db, struct db_stats *out)
{
	pthread_mutex_lock(&db->lock);
	*out = db->stats;
	pthread_mutex_unlock(&db->lock);
}
