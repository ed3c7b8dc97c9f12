/*
 * Database thread.  Jobs queue under a mutex; the thread swaps the whole
 * queue out, runs it, appends the results to the done list and wakes the
 * event loop through an eventfd.  A lost connection is re-established on
 * the next job, with a bounded connect timeout so a dead server costs at
 * most that long.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "xmalloc.h"

struct db {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct db_job	*queue;		/* owned; jobs waiting, FIFO */
	struct db_job	*done;		/* owned; finished, FIFO */
	int		 stopping;
	int		 done_fd;	/* borrowed eventfd */
	char		*conninfo;	/* owned */
	PGconn		*pg;		/* owned by the thread */
};

/* Appends job (a list) at the tail of *head. */
static void
db_list_append(struct db_job **head, struct db_job *job)
{
	while (*head != NULL)
		head = &(*head)->next;
	*head = job;
}

/* Returns a usable connection, reconnecting if needed; NULL if down. */
static PGconn *
db_conn(struct db *db)
{
	if (db->pg != NULL && PQstatus(db->pg) == CONNECTION_OK)
		return db->pg;
	PQfinish(db->pg);
	db->pg = PQconnectdb(db->conninfo);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		log_warn("db_connect", "error=\"%s\"",
		    PQerrorMessage(db->pg));
		return NULL;
	}
	log_info("db_connected", "server_version=%d",
	    PQserverVersion(db->pg));
	return db->pg;
}

/* Status: is PostgreSQL answering, and how fast. */
static struct json_object *
db_run_status(struct db *db)
{
	struct json_object	*rep, *d;
	PGconn			*pg;
	PGresult		*res;

	rep = msg_reply_new();
	d = json_object_new_object();
	json_object_object_add(rep, "db", d);
	if ((pg = db_conn(db)) == NULL) {
		json_object_object_add(d, "up", json_object_new_boolean(0));
		json_object_object_add(d, "detail",
		    json_object_new_string("cannot connect"));
		return rep;
	}
	res = PQexecParams(pg, "SELECT version, current_setting("
	    "'server_version') FROM schema_migrations ORDER BY version DESC "
	    "LIMIT 1", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		json_object_object_add(d, "up", json_object_new_boolean(1));
		json_object_object_add(d, "detail", json_object_new_string(
		    PQgetvalue(res, 0, 1)));
		json_object_object_add(d, "schema", json_object_new_int64(
		    strtoll(PQgetvalue(res, 0, 0), NULL, 10)));
	} else {
		json_object_object_add(d, "up", json_object_new_boolean(0));
		json_object_object_add(d, "detail", json_object_new_string(
		    PQresultErrorMessage(res)));
	}
	PQclear(res);
	return rep;
}

/* Runs one job, setting its reply. */
static void
db_run(struct db *db, struct db_job *job)
{
	switch (job->op) {
	case MSG_OP_STATUS:
		job->reply = db_run_status(db);
		break;
	default:
		job->reply = msg_reply_error("operation not handled by db");
		break;
	}
}

/* Signals the event loop that jobs are done. */
static void
db_notify(struct db *db)
{
	uint64_t	 one = 1;

	while (write(db->done_fd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

static void *
db_thread(void *arg)
{
	struct db	*db = arg;
	struct db_job	*batch, *j;

	pthread_mutex_lock(&db->lock);
	for (;;) {
		while (db->queue == NULL && !db->stopping)
			pthread_cond_wait(&db->wake, &db->lock);
		if (db->queue == NULL && db->stopping)
			break;
		batch = db->queue;
		db->queue = NULL;
		pthread_mutex_unlock(&db->lock);
		for (j = batch; j != NULL; j = j->next)
			db_run(db, j);
		pthread_mutex_lock(&db->lock);
		db_list_append(&db->done, batch);
		db_notify(db);
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
	db_list_append(&db->queue, job);
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
