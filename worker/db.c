/*
 * Database thread.  Jobs queue under a mutex; the thread swaps the whole
 * queue out and runs it: read-only jobs one by one, state-changing jobs
 * (msg_op_durable) as one pipelined transaction.  Replies of a transaction
 * are released only after its COMMIT succeeded.  When the database fails
 * mid-batch the batch is retried after a pause, never answered: its
 * requests are in request_log if the COMMIT did land, so the retry returns
 * the stored replies instead of applying them twice.
 */
#include <errno.h>
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
#include "log.h"
#include "xmalloc.h"

#define DB_RETRY_MS	200
#define DB_PRUNE_MS	60000

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
	int64_t		 pruned_ms;
	struct db_stats	 stats;
};

/* A query of a pipeline and, once run, its result. */
struct db_q {
	const char	*sql;
	int		 nparams;
	const char	*params[6];
	PGresult	*res;		/* owned */
};

/* Silences libpq's notices (they are logged by the server). */
static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("db_notice", "message=\"%.200s\"", message);
}

/* Returns a usable connection, reconnecting if needed; NULL if down. */
static PGconn *
db_conn(struct db *db)
{
	if (db->pg != NULL && PQstatus(db->pg) == CONNECTION_OK)
		return db->pg;
	PQfinish(db->pg);
	db->pg = PQconnectdb(db->conninfo);
	if (PQstatus(db->pg) != CONNECTION_OK ||
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
 * Sends every query of qs in one pipeline and collects one result each.
 * Returns 0 when every query succeeded, -1 otherwise (the first error is
 * logged; results stay in qs for the caller to inspect and clear).
 */
static int
db_pipeline(PGconn *pg, struct db_q *qs, size_t n)
{
	PGresult	*r;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < n; i++)
		if (PQsendQueryParams(pg, qs[i].sql, qs[i].nparams, NULL,
		    qs[i].params, NULL, NULL, 0) != 1)
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
			rc = -1;
		}
	}
	r = PQgetResult(pg);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		rc = -1;
	PQclear(r);
	return rc;
}

/* Status: is PostgreSQL answering, and which version. */
static struct json_object *
db_run_status(struct db *db)
{
	struct json_object	*rep, *d;
	struct db_q		 q = { .sql = "SELECT current_setting("
				    "'server_version'), (SELECT max(version) "
				    "FROM schema_migrations)" };
	PGconn			*pg;
	int			 ok;

	rep = msg_reply_new();
	d = json_object_new_object();
	json_object_object_add(rep, "db", d);
	ok = (pg = db_conn(db)) != NULL && db_pipeline(pg, &q, 1) == 0 &&
	    PQntuples(q.res) == 1;
	json_object_object_add(d, "up", json_object_new_boolean(ok));
	json_object_object_add(d, "detail", json_object_new_string(!ok ?
	    (pg != NULL ? PQerrorMessage(pg) : "cannot connect") :
	    PQgetvalue(q.res, 0, 0)));
	if (ok)
		json_object_object_add(d, "schema", json_object_new_int64(
		    strtoll(PQgetvalue(q.res, 0, 1), NULL, 10)));
	db_q_clear(&q, 1);
	return rep;
}

/* Fills q with the SQL call that applies job; text buffers in tmp. */
static int
db_job_query(struct db_job *job, struct db_q *q, char tmp[3][32])
{
	const char	*key;
	int64_t		 n;

	key = msg_get_str(job->req, "key");
	if (job->op != MSG_OP_COUNTER_ADD || key == NULL ||
	    msg_get_int(job->req, "n", &n) != 0)
		return -1;
	snprintf(tmp[0], 32, "%" PRId64, job->epoch);
	snprintf(tmp[1], 32, "%" PRIu64, job->req_no);
	snprintf(tmp[2], 32, "%" PRId64, n);
	q->sql = "SELECT link_counter_add($1, $2, $3, $4, $5, $6)";
	q->nparams = 6;
	q->params[0] = job->client;
	q->params[1] = tmp[0];
	q->params[2] = tmp[1];
	q->params[3] = msg_get_str(job->req, "idem");
	q->params[4] = key;
	q->params[5] = tmp[2];
	return 0;
}

/*
 * Runs the durable jobs of a batch in one transaction.  Returns 0 with a
 * reply set on every job, or -1 when the transaction did not (surely)
 * commit: then no job has a reply and the caller retries them all.
 */
static int
db_run_durable(struct db *db, struct db_job **jobs, size_t n)
{
	struct db_q	 qs[DB_BATCH_MAX + 2];
	char		 tmp[DB_BATCH_MAX][3][32];
	char		 err[128];
	PGconn		*pg;
	size_t		 i;
	int		 rc;

	if ((pg = db_conn(db)) == NULL)
		return -1;
	memset(qs, 0, sizeof(qs));
	qs[0].sql = "BEGIN";
	for (i = 0; i < n; i++)
		if (db_job_query(jobs[i], &qs[i + 1], tmp[i]) != 0) {
			jobs[i]->reply = msg_reply_error("malformed request");
			qs[i + 1].sql = "SELECT NULL";
		}
	qs[n + 1].sql = "COMMIT";
	rc = db_pipeline(pg, qs, n + 2);
	for (i = 0; rc == 0 && i < n; i++) {
		if (jobs[i]->reply != NULL)
			continue;
		jobs[i]->reply = msg_parse((const uint8_t *)PQgetvalue(
		    qs[i + 1].res, 0, 0), (size_t)PQgetlength(qs[i + 1].res,
		    0, 0), err, sizeof(err));
		if (jobs[i]->reply == NULL)
			jobs[i]->reply = msg_reply_error("unreadable reply");
	}
	db_q_clear(qs, n + 2);
	if (rc != 0)
		for (i = 0; i < n; i++) {
			json_object_put(jobs[i]->reply);
			jobs[i]->reply = NULL;
		}
	return rc;
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
	if (db_pipeline(pg, &q, 1) == 0 && strtol(PQcmdTuples(q.res), NULL, 10) > 0)
		log_info("request_log_pruned", "rows=%s", PQcmdTuples(q.res));
	db_q_clear(&q, 1);
}

/*
 * Runs one batch.  Read-only jobs are answered one by one; durable ones in
 * a single transaction.  Returns the durable list when it must be retried.
 */
static struct db_job *
db_run_batch(struct db *db, struct db_job *batch, struct db_job **done)
{
	struct db_job	*durable[DB_BATCH_MAX], *j, *next, *retry = NULL;
	struct db_job	**dtail = done;
	size_t		 n = 0, i;

	for (j = batch; j != NULL; j = next) {
		next = j->next;
		j->next = NULL;
		if (msg_op_durable(j->op)) {
			durable[n++] = j;
			continue;
		}
		j->reply = j->op == MSG_OP_STATUS ? db_run_status(db) :
		    msg_reply_error("operation not handled by db");
		*dtail = j;
		dtail = &j->next;
	}
	if (n > 0 && db_run_durable(db, durable, n) != 0)
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
	db->done_fd = done_fd;
	db->queue_tail = &db->queue;
	db->done_tail = &db->done;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->wake, NULL);
	if ((rc = pthread_create(&db->thread, NULL, db_thread, db)) != 0) {
		log_error("db_thread", "error=\"%s\"", strerror(rc));
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

void
db_job_free(struct db_job *job)
{
	if (job == NULL)
		return;
	json_object_put(job->req);
	json_object_put(job->reply);
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
