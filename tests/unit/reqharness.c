/*
 * The request harness: canned job runners for worker/ops.c and the request
 * modules (see reqharness.h).  One job is parked at a time: a stage hands
 * over at most one, and the engine never runs two stages of one request
 * at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <libpq-fe.h>

#include "btcq.h"
#include "db.h"
#include "kdf.h"
#include "msg.h"
#include "ops.h"
#include "ops_req.h"
#include "reqharness.h"
#include "xmalloc.h"

#define RH_KEEP	64

static struct {
	struct ops		*ops;
	uint64_t		 req_no;
	struct db_job		*db;		/* the parked job, if any */
	struct kdf_job		*kdf;
	struct btcq_job		*chain;
	size_t			 jobs;		/* handed over since setup */
	int			 kdf_refuse;
	struct json_object	*replies[RH_KEEP];	/* owned */
	size_t			 nreplies;
	struct json_object	*notices[RH_KEEP];	/* owned */
	size_t			 nnotices;
} rh;

/* 1 when no job is parked: a stage hands over one job at most. */
static int
rh_idle(void)
{
	return rh.db == NULL && rh.kdf == NULL && rh.chain == NULL;
}

void
ops_db(struct request *rq, struct db_job *job, int next)
{
	CU_ASSERT_FATAL(rh_idle());
	job->ctx = rq;
	rq->stage = next;
	rh.db = job;
	rh.jobs++;
}

void
ops_kdf(struct request *rq, struct kdf_job *job, int next)
{
	CU_ASSERT_FATAL(rh_idle());
	if (rh.kdf_refuse) {
		kdf_job_free(job);
		ops_fail(rq, MSG_CODE_BUSY, "The server is busy; try again in "
		    "a moment.");
		return;
	}
	job->arg = rq;
	rq->stage = next;
	rh.kdf = job;
	rh.jobs++;
}

void
ops_chain(struct request *rq, struct btcq_job *job, int next)
{
	CU_ASSERT_FATAL(rh_idle());
	job->arg = rq;
	rq->stage = next;
	rh.chain = job;
	rh.jobs++;
}

/* The runners' completions are the harness's: never called here. */
void
ops_db_done(struct ops *ops)
{
	(void)ops;
}

void
ops_kdf_done(struct ops *ops)
{
	(void)ops;
}

void
ops_chain_done(struct ops *ops)
{
	(void)ops;
}

static void
rh_reply_sink(void *arg, const char *client, int64_t epoch, uint64_t req_no,
    struct json_object *reply)
{
	(void)arg;
	(void)client;
	(void)epoch;
	(void)req_no;
	CU_ASSERT_FATAL(rh.nreplies < RH_KEEP);
	rh.replies[rh.nreplies++] = json_object_get(reply);
}

static void
rh_notice_sink(void *arg, struct json_object *notice)
{
	(void)arg;
	CU_ASSERT_FATAL(rh.nnotices < RH_KEEP);
	rh.notices[rh.nnotices++] = json_object_get(notice);
}

static void
rh_status_sink(void *arg, struct json_object *reply)
{
	(void)arg;
	(void)reply;
}

/* A fresh engine with cfg's settings (its callbacks are the harness's). */
void
rh_setup(const struct ops_cfg *cfg)
{
	struct ops_cfg	 oc = *cfg;

	rh_teardown();
	oc.reply = rh_reply_sink;
	oc.notice = rh_notice_sink;
	oc.status = rh_status_sink;
	oc.arg = NULL;
	rh.ops = ops_new(&oc);
}

void
rh_teardown(void)
{
	size_t	 i;

	for (i = 0; i < rh.nreplies; i++)
		json_object_put(rh.replies[i]);
	for (i = 0; i < rh.nnotices; i++)
		json_object_put(rh.notices[i]);
	db_job_free(rh.db);
	kdf_job_free(rh.kdf);
	free(rh.chain);
	ops_free(rh.ops);
	memset(&rh, 0, sizeof(rh));
}

struct ops *
rh_ops(void)
{
	return rh.ops;
}

/* Delivers the request json (it must parse) as from abc-web "web1". */
void
rh_send(const char *json)
{
	struct json_object	*req;
	char			 err[128];

	req = msg_parse((const uint8_t *)json, strlen(json), err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	ops_start(rh.ops, "web1", 42, ++rh.req_no, req);
}

struct db_job *
rh_db_job(void)
{
	return rh.db;
}

struct kdf_job *
rh_kdf_job(void)
{
	return rh.kdf;
}

struct btcq_job *
rh_chain_job(void)
{
	return rh.chain;
}

size_t
rh_jobs(void)
{
	return rh.jobs;
}

/* Continues the parked database job's request with res (taken). */
static void
rh_db_continue(PGresult *res)
{
	struct db_job	*j = rh.db;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rh.db = NULL;
	j->res = res;
	if (res == NULL)
		strcpy(j->error, "database unreachable");
	ops_continue(j->ctx, j, NULL, NULL);
	db_job_free(j);
}

/*
 * Answers the parked database job with nrows rows of ncols text columns,
 * cells row by row (NULL: SQL NULL); no columns: a command's "OK".
 */
void
rh_db_answer(int nrows, int ncols, const char *const *cells)
{
	PGresAttDesc	 cols[16];
	PGresult	*res;
	int		 i, k;

	CU_ASSERT_FATAL(ncols <= 16);
	res = PQmakeEmptyPGresult(NULL, ncols == 0 ? PGRES_COMMAND_OK :
	    PGRES_TUPLES_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	memset(cols, 0, sizeof(cols));
	for (k = 0; k < ncols; k++) {
		cols[k].name = (char *)"v";
		cols[k].typid = 25;	/* text */
		cols[k].typlen = -1;
		cols[k].atttypmod = -1;
	}
	if (ncols > 0)
		CU_ASSERT_FATAL(PQsetResultAttrs(res, ncols, cols) == 1);
	for (i = 0; i < nrows; i++)
		for (k = 0; k < ncols; k++) {
			const char	*v = cells[i * ncols + k];

			CU_ASSERT_FATAL(PQsetvalue(res, i, k, (char *)v,
			    v != NULL ? (int)strlen(v) : -1) == 1);
		}
	rh_db_continue(res);
}

/* Answers the parked database job as the database thread does when down. */
void
rh_db_fail(void)
{
	rh_db_continue(NULL);
}

/* Answers the parked hashing job: a hash made, or a password's verdict. */
void
rh_kdf_answer(int ok)
{
	struct kdf_job	*j = rh.kdf;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rh.kdf = NULL;
	j->ok = ok && !j->dummy;
	if (j->kind == KDF_HASH)
		memset(j->hash, 0xab, sizeof(j->hash));
	ops_continue(j->arg, NULL, j, NULL);
	kdf_job_free(j);
}

/* Makes the hashing pool refuse (full) or take jobs again. */
void
rh_kdf_refuse(int on)
{
	rh.kdf_refuse = on;
}

/* Answers the parked bitcoind job. */
void
rh_chain_answer(int ok, int valid, const char *address, int over_quota)
{
	struct btcq_job	*j = rh.chain;

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	rh.chain = NULL;
	j->ok = ok;
	j->valid = valid;
	j->over_quota = over_quota;
	if (address != NULL)
		snprintf(j->address, sizeof(j->address), "%s", address);
	ops_continue(j->arg, NULL, NULL, j);
	free(j);
}

size_t
rh_replies(void)
{
	return rh.nreplies;
}

/* The last reply, or NULL. */
struct json_object *
rh_reply(void)
{
	return rh.nreplies > 0 ? rh.replies[rh.nreplies - 1] : NULL;
}

/* The last reply's code, or "" when it has none. */
const char *
rh_reply_code(void)
{
	const char	*code;

	code = rh_reply() != NULL ? msg_get_str(rh_reply(), "code") : NULL;
	return code != NULL ? code : "";
}

size_t
rh_notices(void)
{
	return rh.nnotices;
}

struct json_object *
rh_notice(size_t i)
{
	return i < rh.nnotices ? rh.notices[i] : NULL;
}
