/*
 * Merged durable jobs: see dbmerge.h.  Parameters travel as PostgreSQL
 * array literals ("{"a\"b",NULL}"): every element quoted, '"' and '\'
 * escaped, SQL NULL unquoted, so any text (an idempotency key is the
 * client's) arrives as it was given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbmerge.h"
#include "log.h"
#include "xmalloc.h"

/* Appends n bytes: the buffers are unbounded, so a failure is a bug. */
static void
dbmerge_add(struct buf *b, const void *p, size_t n)
{
	if (buf_add(b, p, n) != 0) {
		log_error("dbmerge", "error=\"array parameter too long\"");
		abort();
	}
}

/* Appends value (NULL: SQL NULL) as the next element of an open array. */
void
dbmerge_array_add(struct buf *b, const char *value)
{
	const char	*p, *run;

	dbmerge_add(b, b->len == 0 ? "{" : ",", 1);
	if (value == NULL) {
		dbmerge_add(b, "NULL", 4);
		return;
	}
	dbmerge_add(b, "\"", 1);
	for (run = p = value; *p != '\0'; p++) {
		if (*p != '"' && *p != '\\')
			continue;
		dbmerge_add(b, run, (size_t)(p - run));
		dbmerge_add(b, "\\", 1);
		run = p;
	}
	dbmerge_add(b, run, (size_t)(p - run));
	dbmerge_add(b, "\"", 1);
}

/* The call of sql in m, made when new. */
static struct dbmerge_call *
dbmerge_call_for(struct dbmerge *m, const struct db_job *job, int *idx)
{
	struct dbmerge_call	*call;
	size_t			 i;
	int			 k;

	for (i = 0; i < m->ncalls; i++)
		if (m->calls[i]->sql == job->sql ||
		    strcmp(m->calls[i]->sql, job->sql) == 0) {
			*idx = (int)i;
			return m->calls[i];
		}
	call = xcalloc(1, sizeof(*call));
	call->sql = job->sql;
	call->nparams = job->nparams;
	for (k = 0; k < DB_PARAMS_MAX; k++)
		buf_init(&call->arrays[k], 0);
	*idx = (int)m->ncalls;
	m->calls[m->ncalls++] = call;
	return call;
}

/*
 * Plans jobs[0..n): each merged job becomes the next row of the call of
 * its SQL.  Jobs of one SQL carry the same number of parameters (one
 * caller builds them); a job that does not is a bug, and aborts.
 */
void
dbmerge_plan(struct dbmerge *m, struct db_job *const *jobs, size_t n)
{
	struct dbmerge_call	*call;
	size_t			 i;
	int			 k, idx;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n && i < DB_BATCH_MAX; i++) {
		m->call_of[i] = -1;
		if (!jobs[i]->durable || !jobs[i]->merged)
			continue;
		call = dbmerge_call_for(m, jobs[i], &idx);
		if (jobs[i]->nparams != call->nparams) {
			log_error("dbmerge", "error=\"parameters differ\" "
			    "sql=\"%.60s\"", call->sql);
			abort();
		}
		for (k = 0; k < call->nparams; k++)
			dbmerge_array_add(&call->arrays[k], jobs[i]->params[k]);
		m->call_of[i] = idx;
		m->row_of[i] = (int)call->njobs++;
	}
	for (i = 0; i < m->ncalls; i++)
		for (k = 0; k < m->calls[i]->nparams; k++) {
			dbmerge_add(&m->calls[i]->arrays[k], "}", 1);
			m->calls[i]->params[k] =
			    (const char *)m->calls[i]->arrays[k].data;
		}
}

/* The call job belongs to and its row there, or NULL when not merged. */
struct dbmerge_call *
dbmerge_call_of(const struct dbmerge *m, size_t job, int *row)
{
	if (job >= DB_BATCH_MAX || m->call_of[job] < 0)
		return NULL;
	*row = m->row_of[job];
	return m->calls[m->call_of[job]];
}

/* 1 when res answered call: one row for each of its jobs. */
int
dbmerge_fits(const struct dbmerge_call *call, const PGresult *res)
{
	return res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    (size_t)PQntuples(res) == call->njobs;
}

/* Row row of all, as a result of one row with the same columns. */
PGresult *
dbmerge_row(const PGresult *all, int row)
{
	PGresAttDesc	*attrs;
	PGresult	*r;
	int		 nf = PQnfields(all), f;

	attrs = xcalloc((size_t)nf + 1, sizeof(*attrs));
	for (f = 0; f < nf; f++) {
		attrs[f].name = PQfname(all, f);
		attrs[f].tableid = PQftable(all, f);
		attrs[f].columnid = PQftablecol(all, f);
		attrs[f].format = PQfformat(all, f);
		attrs[f].typid = PQftype(all, f);
		attrs[f].typlen = PQfsize(all, f);
		attrs[f].atttypmod = PQfmod(all, f);
	}
	if ((r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK)) == NULL ||
	    PQsetResultAttrs(r, nf, attrs) == 0) {
		log_error("dbmerge", "error=\"out of memory\"");
		abort();
	}
	free(attrs);
	for (f = 0; f < nf; f++)
		if (PQsetvalue(r, 0, f, PQgetisnull(all, row, f) ? NULL :
		    PQgetvalue(all, row, f), PQgetisnull(all, row, f) ? -1 :
		    PQgetlength(all, row, f)) == 0) {
			log_error("dbmerge", "error=\"out of memory\"");
			abort();
		}
	return r;
}

/* Frees m's calls. */
void
dbmerge_clear(struct dbmerge *m)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < m->ncalls; i++) {
		for (k = 0; k < DB_PARAMS_MAX; k++)
			buf_clear(&m->calls[i]->arrays[k]);
		free(m->calls[i]);
	}
	m->ncalls = 0;
}
