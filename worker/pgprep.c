/*
 * The bookkeeping of a connection's prepared statements (see pgprep.h):
 * an open-addressing table of statement texts, each with the name it is
 * prepared under ("abc_<slot>") and whether the server has it yet.  At
 * most three quarters of the slots are used, so a probe ends quickly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgprep.h"
#include "xmalloc.h"

struct pgprep_slot {
	char		*sql;		/* owned; NULL: free */
	int		 ready;		/* the server has it */
	char		 name[16];
};

struct pgprep {
	struct pgprep_slot	 slot[PGPREP_MAX];
	int			 used;
	int			 full_logged;
};

/* FNV-1a: the table's hash of a statement text. */
static uint32_t
pgprep_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding sql, or the free slot where it would go. */
static struct pgprep_slot *
pgprep_find(struct pgprep *p, const char *sql)
{
	uint32_t		 i = pgprep_hash(sql) % PGPREP_MAX;
	struct pgprep_slot	*s;

	for (;; i = (i + 1) % PGPREP_MAX) {
		s = &p->slot[i];
		if (s->sql == NULL || strcmp(s->sql, sql) == 0)
			return s;
	}
}

struct pgprep *
pgprep_new(void)
{
	return xcalloc(1, sizeof(struct pgprep));
}

void
pgprep_free(struct pgprep *p)
{
	if (p == NULL)
		return;
	pgprep_forget(p);
	free(p);
}

/* A new session: nothing is prepared any more. */
void
pgprep_forget(struct pgprep *p)
{
	int	 i;

	for (i = 0; i < PGPREP_MAX; i++) {
		free(p->slot[i].sql);
		p->slot[i].sql = NULL;
		p->slot[i].ready = 0;
	}
	p->used = 0;
}

/*
 * Whether sql is prepared (READY, *name set), is to be prepared under
 * *name and reported with pgprep_done (NEW), or must go unnamed (FULL).
 */
enum pgprep_state
pgprep_lookup(struct pgprep *p, const char *sql, const char **name)
{
	struct pgprep_slot	*s = pgprep_find(p, sql);

	*name = NULL;
	if (s->sql == NULL) {
		if (p->used >= PGPREP_MAX / 4 * 3) {
			if (!p->full_logged)
				log_warn("pgprep_full", "statements=%d", p->used);
			p->full_logged = 1;
			return PGPREP_FULL;
		}
		s->sql = xstrdup(sql);
		snprintf(s->name, sizeof(s->name), "abc_%d",
		    (int)(s - p->slot));
		p->used++;
	}
	*name = s->name;
	return s->ready ? PGPREP_READY : PGPREP_NEW;
}

/*
 * Records the outcome of preparing sql: ready, or not (its slot stays
 * taken and it is tried again next time; a statement the server refuses
 * is sent unnamed, to fail in the job that runs it).
 */
void
pgprep_done(struct pgprep *p, const char *sql, int ok)
{
	struct pgprep_slot	*s = pgprep_find(p, sql);

	if (s->sql != NULL)
		s->ready = ok;
}

/* Statements the server has prepared. */
int
pgprep_count(const struct pgprep *p)
{
	int	 i, n = 0;

	for (i = 0; i < PGPREP_MAX; i++)
		n += p->slot[i].ready;
	return n;
}
