/*
 * The bitcoind job queue (see btcq.h): the thread sleeps until a job
 * comes, runs every queued one, and signals the event loop after each.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "bgdb.h"
#include "btc.h"
#include "btcq.h"
#include "log.h"
#include "xmalloc.h"

struct btcq {
	struct btcq_cfg		 cfg;		/* strings owned (copied) */
	struct btc		*btc;		/* owned, this thread's */
	struct bgdb		 db;		/* this thread's */
	char			 err[256];	/* thread only */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 wake;
	int			 stopping;
	struct btcq_job		*queue;
	struct btcq_job		*done;
};

/* Wakes the event loop. */
static void
btcq_signal(struct btcq *q)
{
	uint64_t	 one = 1;

	while (write(q->cfg.done_fd, &one, sizeof(one)) == -1 &&
	    errno == EINTR)
		continue;
}

/*
 * 1 when the user already has addresses_per_day addresses from the last
 * 24 hours (issue 10: each is a key the wallet keeps for ever); -1 when
 * the database did not answer (job->error set).  This thread alone adds
 * deposit addresses, one job at a time, so the count cannot race.
 */
static int
btcq_over_quota(struct btcq *q, struct btcq_job *job)
{
	const char	*params[1];
	char		 uid[24];
	PGresult	*res;
	long		 n;

	snprintf(uid, sizeof(uid), "%" PRId64, job->user_id);
	params[0] = uid;
	if ((res = bgdb_sql(&q->db, "SELECT count(*) FROM deposit_addresses "
	    "WHERE user_id = $1 AND created_at > now() - interval '1 day'", 1,
	    params)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s", q->err);
		return -1;
	}
	n = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return n >= q->cfg.addresses_per_day;
}

/*
 * getnewaddress with a label naming the user, then stores it.  Not
 * retried: each call makes a new address, so a lost answer is not
 * repeated.
 */
static void
btcq_new_address(struct btcq *q, struct btcq_job *job)
{
	struct json_object	*r;
	const char		*params[2];
	char			 p[96], uid[24];
	int			 over;

	if ((over = btcq_over_quota(q, job)) != 0) {
		job->over_quota = over == 1;
		job->ok = over == 1;
		return;
	}
	snprintf(p, sizeof(p), "[\"abc-user-%" PRId64 "\"]", job->user_id);
	if ((r = btc_get(q->btc, "getnewaddress", p, 1, q->err,
	    sizeof(q->err), NULL)) == NULL ||
	    !json_object_is_type(r, json_type_string) ||
	    strlen(json_object_get_string(r)) < 14 ||
	    strlen(json_object_get_string(r)) >= sizeof(job->address)) {
		snprintf(job->error, sizeof(job->error), "%s", r == NULL ?
		    q->err : "getnewaddress: malformed answer");
		json_object_put(r);
		return;
	}
	snprintf(job->address, sizeof(job->address), "%s",
	    json_object_get_string(r));
	json_object_put(r);
	snprintf(uid, sizeof(uid), "%" PRId64, job->user_id);
	params[0] = job->address;
	params[1] = uid;
	if (bgdb_write(&q->db, "INSERT INTO deposit_addresses (address, "
	    "user_id) VALUES ($1, $2)", 2, params) != 0) {
		snprintf(job->error, sizeof(job->error), "%s", q->err);
		return;
	}
	job->ok = 1;
}

/* validateaddress: job->ok when bitcoind answered, job->valid its verdict. */
static void
btcq_validate_address(struct btcq *q, struct btcq_job *job)
{
	struct json_object	*r, *v;
	char			 p[160];

	if (strspn(job->address, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
	    "QRSTUVWXYZ0123456789") != strlen(job->address)) {
		job->ok = 1;	/* not an address: nothing to ask */
		return;
	}
	snprintf(p, sizeof(p), "[\"%s\"]", job->address);
	if ((r = btc_get(q->btc, "validateaddress", p, 3, q->err,
	    sizeof(q->err), NULL)) == NULL) {
		snprintf(job->error, sizeof(job->error), "%s", q->err);
		return;
	}
	job->ok = 1;
	job->valid = json_object_object_get_ex(r, "isvalid", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
	json_object_put(r);
}

static void *
btcq_thread(void *arg)
{
	struct btcq	*q = arg;
	struct btcq_job	*job;

	pthread_mutex_lock(&q->lock);
	while (!q->stopping) {
		if ((job = q->queue) == NULL) {
			pthread_cond_wait(&q->wake, &q->lock);
			continue;
		}
		q->queue = job->next;
		pthread_mutex_unlock(&q->lock);
		if (job->kind == BTCQ_NEW_ADDRESS)
			btcq_new_address(q, job);
		else
			btcq_validate_address(q, job);
		pthread_mutex_lock(&q->lock);
		job->next = q->done;
		q->done = job;
		btcq_signal(q);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Starts the thread; NULL (logged) when it cannot. */
struct btcq *
btcq_start(const struct btcq_cfg *cfg)
{
	struct btcq	*q;

	q = xcalloc(1, sizeof(*q));
	q->cfg = *cfg;
	q->cfg.conninfo = xstrdup(cfg->conninfo);
	q->cfg.url = xstrdup(cfg->url);
	q->cfg.user = xstrdup(cfg->user);
	q->cfg.password = xstrdup(cfg->password);
	q->btc = btc_new(cfg->url, cfg->user, cfg->password);
	bgdb_init(&q->db, cfg->conninfo, q->err, sizeof(q->err));
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (pthread_create(&q->thread, NULL, btcq_thread, q) != 0) {
		log_error("btcq_start", "error=\"cannot start thread\"");
		btcq_stop(q);
		return NULL;
	}
	q->started = 1;
	return q;
}

static void
btcq_free_jobs(struct btcq_job *j)
{
	struct btcq_job	*next;

	for (; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
}

/* Stops the thread (a running job finishes) and frees everything. */
void
btcq_stop(struct btcq *q)
{
	if (q == NULL)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->lock);
		q->stopping = 1;
		pthread_cond_signal(&q->wake);
		pthread_mutex_unlock(&q->lock);
		pthread_join(q->thread, NULL);
	}
	btcq_free_jobs(q->queue);
	btcq_free_jobs(q->done);
	btc_free(q->btc);
	bgdb_close(&q->db);
	explicit_bzero((char *)q->cfg.password, strlen(q->cfg.password));
	free((char *)q->cfg.conninfo);
	free((char *)q->cfg.url);
	free((char *)q->cfg.user);
	free((char *)q->cfg.password);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->wake);
	free(q);
}

/* Queues job (taken) for the thread. */
void
btcq_submit(struct btcq *q, struct btcq_job *job)
{
	pthread_mutex_lock(&q->lock);
	job->next = q->queue;
	q->queue = job;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
}

/* Takes the finished jobs (the caller frees each with free()). */
struct btcq_job *
btcq_take_done(struct btcq *q)
{
	struct btcq_job	*done;

	pthread_mutex_lock(&q->lock);
	done = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->lock);
	return done;
}
