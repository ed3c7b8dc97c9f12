/* The worker's session table: lookup, creation, expiry, in-flight sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session.h"
#include "xmalloc.h"

void
session_table_init(struct session_table *t, const struct link_fault *fault)
{
	memset(t, 0, sizeof(*t));
	if (fault != NULL)
		t->fault = *fault;
}

static void
session_free(struct session *s)
{
	link_session_clear(&s->ls);
	free(s->inflight);
	free(s);
}

void
session_table_clear(struct session_table *t)
{
	struct session	*s;

	while ((s = t->head) != NULL) {
		t->head = s->next;
		session_free(s);
	}
}

/* The session of (client, epoch), or NULL. */
struct session *
session_find(struct session_table *t, const char *client, int64_t epoch)
{
	struct session	*s;

	for (s = t->head; s != NULL; s = s->next)
		if (s->epoch == epoch && strcmp(s->client, client) == 0)
			return s;
	return NULL;
}

/*
 * Makes a fresh session for (client, epoch), which must not exist yet.
 * Each session gets its own fault-injection random stream.
 */
struct session *
session_create(struct session_table *t, const char *client, int64_t epoch)
{
	struct session	*s;
	struct link_fault f = t->fault;

	f.rng ^= (uint64_t)epoch * 0x9e3779b97f4a7c15ULL;
	s = xcalloc(1, sizeof(*s));
	snprintf(s->client, sizeof(s->client), "%s", client);
	s->epoch = epoch;
	link_session_init(&s->ls, SESSION_OUT_COUNT, SESSION_OUT_BYTES, &f);
	s->next = t->head;
	t->head = s;
	return s;
}

/*
 * Applies new fault settings (runtime faults, common/faultfile.h) to every
 * session and to those created from now on; each keeps its own random
 * stream.
 */
void
session_table_set_fault(struct session_table *t,
    const struct link_fault *fault, int64_t now_ms)
{
	struct session	*s;

	t->fault.drop_ppm = fault->drop_ppm;
	t->fault.delay_ms = fault->delay_ms;
	t->fault.cut_ms = fault->cut_ms;
	for (s = t->head; s != NULL; s = s->next)
		link_session_set_fault(&s->ls, fault, now_ms);
}

/* Forgets sessions away for longer than SESSION_IDLE_MS; returns how many. */
size_t
session_expire(struct session_table *t, int64_t now_ms)
{
	struct session	**pp, *s;
	size_t		 n = 0;

	for (pp = &t->head; (s = *pp) != NULL; ) {
		if (s->conn == NULL && now_ms - s->away_ms > SESSION_IDLE_MS) {
			*pp = s->next;
			log_info("session_expired", "client=%s epoch=%lld",
			    s->client, (long long)s->epoch);
			session_free(s);
			n++;
		} else
			pp = &s->next;
	}
	return n;
}

/* Records req_no as in progress; 0, or -1 if it already was. */
int
session_inflight_add(struct session *s, uint64_t req_no)
{
	if (session_inflight_has(s, req_no))
		return -1;
	if (s->ninflight == s->capinflight) {
		s->capinflight = s->capinflight ? s->capinflight * 2 : 64;
		s->inflight = xreallocarray(s->inflight, s->capinflight,
		    sizeof(*s->inflight));
	}
	s->inflight[s->ninflight++] = req_no;
	return 0;
}

/* Removes req_no; 0, or -1 if it was not in progress. */
int
session_inflight_del(struct session *s, uint64_t req_no)
{
	size_t	 i;

	for (i = 0; i < s->ninflight; i++)
		if (s->inflight[i] == req_no) {
			s->inflight[i] = s->inflight[--s->ninflight];
			return 0;
		}
	return -1;
}

/* Returns non-zero when req_no is in progress. */
int
session_inflight_has(const struct session *s, uint64_t req_no)
{
	size_t	 i;

	for (i = 0; i < s->ninflight; i++)
		if (s->inflight[i] == req_no)
			return 1;
	return 0;
}
