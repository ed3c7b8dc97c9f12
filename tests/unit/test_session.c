/*
 * CUnit suite for worker/session.c: the worker's table of abc-web
 * sessions, keyed by (client id, epoch), with expiry and in-flight sets.
 * Run it under ASan: session_table_clear must leave nothing behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "abc_link.h"
#include "log.h"
#include "session.h"

/* Never dereferenced: only compared with NULL by session_expire. */
#define DUMMY_CONN	((struct conn *)(uintptr_t)0x1)

static void
test_session_create_find(void)
{
	struct session_table	 t;
	struct session		*a1, *a2, *b1, *b2;

	session_table_init(&t, NULL);
	CU_ASSERT_PTR_NULL(t.head);
	CU_ASSERT_PTR_NULL(session_find(&t, "web1", 1));

	a1 = session_create(&t, "web1", 1);
	a2 = session_create(&t, "web1", 2);
	b1 = session_create(&t, "web2", 1);
	b2 = session_create(&t, "web2", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
	CU_ASSERT(a1 != a2 && a1 != b1 && a2 != b2 && b1 != b2);

	CU_ASSERT_PTR_EQUAL(session_find(&t, "web1", 1), a1);
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web1", 2), a2);
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web2", 1), b1);
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web2", 2), b2);
	CU_ASSERT_PTR_NULL(session_find(&t, "web1", 3));
	CU_ASSERT_PTR_NULL(session_find(&t, "web3", 1));
	CU_ASSERT_PTR_NULL(session_find(&t, "web", 1));
	CU_ASSERT_PTR_NULL(session_find(&t, "web11", 1));
	CU_ASSERT_PTR_NULL(session_find(&t, "", 1));

	CU_ASSERT_STRING_EQUAL(a2->client, "web1");
	CU_ASSERT_EQUAL(a2->epoch, 2);
	CU_ASSERT_PTR_NULL(a1->conn);
	CU_ASSERT_EQUAL(a1->ninflight, 0);
	CU_ASSERT_EQUAL(a1->notice_gap, 0);

	session_table_clear(&t);
	CU_ASSERT_PTR_NULL(t.head);
	/* Clearing twice, or an empty table, is harmless. */
	session_table_clear(&t);
}

static void
test_session_fault_streams(void)
{
	struct session_table	 t;
	struct link_fault	 f;
	struct session		*a, *b;

	memset(&f, 0, sizeof(f));
	f.drop_ppm = 100000;
	f.rng = 12345;
	session_table_init(&t, &f);
	CU_ASSERT_EQUAL(t.fault.drop_ppm, 100000);
	a = session_create(&t, "web1", 1);
	b = session_create(&t, "web1", 2);
	/* Each session gets the settings but its own random stream. */
	CU_ASSERT_EQUAL(a->ls.fault.drop_ppm, 100000);
	CU_ASSERT_EQUAL(b->ls.fault.drop_ppm, 100000);
	CU_ASSERT_NOT_EQUAL(a->ls.fault.rng, b->ls.fault.rng);
	CU_ASSERT_NOT_EQUAL(a->ls.fault.rng, 0);
	CU_ASSERT_NOT_EQUAL(b->ls.fault.rng, 0);
	session_table_clear(&t);
}

/* A client name longer than the field is cut, NUL-terminated. */
static void
test_session_long_client(void)
{
	struct session_table	 t;
	struct session		*s;
	char			 name[200];

	memset(name, 'c', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	session_table_init(&t, NULL);
	s = session_create(&t, name, 7);
	CU_ASSERT_EQUAL(strlen(s->client), sizeof(s->client) - 1);
	session_table_clear(&t);
}

static void
test_session_inflight(void)
{
	struct session_table	 t;
	struct session		*s;

	session_table_init(&t, NULL);
	s = session_create(&t, "web1", 1);

	CU_ASSERT_EQUAL(session_inflight_has(s, 1), 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, 1), -1);
	CU_ASSERT_EQUAL(session_inflight_add(s, 1), 0);
	CU_ASSERT_EQUAL(session_inflight_add(s, 1), -1);	/* duplicate */
	CU_ASSERT_EQUAL(s->ninflight, 1);
	CU_ASSERT_EQUAL(session_inflight_add(s, 2), 0);
	CU_ASSERT_EQUAL(session_inflight_add(s, 3), 0);
	CU_ASSERT_EQUAL(session_inflight_add(s, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(session_inflight_add(s, 0), 0);
	CU_ASSERT(session_inflight_has(s, 1) && session_inflight_has(s, 2) &&
	    session_inflight_has(s, 3) && session_inflight_has(s, UINT64_MAX) &&
	    session_inflight_has(s, 0));
	CU_ASSERT_EQUAL(session_inflight_has(s, 4), 0);

	/* Removal from the middle keeps the others. */
	CU_ASSERT_EQUAL(session_inflight_del(s, 2), 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, 2), -1);
	CU_ASSERT_EQUAL(session_inflight_has(s, 2), 0);
	CU_ASSERT(session_inflight_has(s, 1) && session_inflight_has(s, 3) &&
	    session_inflight_has(s, UINT64_MAX) && session_inflight_has(s, 0));
	CU_ASSERT_EQUAL(s->ninflight, 4);
	/* ...and from the ends. */
	CU_ASSERT_EQUAL(session_inflight_del(s, 0), 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, 1), 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, 3), 0);
	CU_ASSERT_EQUAL(s->ninflight, 0);
	CU_ASSERT_EQUAL(session_inflight_del(s, 3), -1);
	/* A removed number may come back. */
	CU_ASSERT_EQUAL(session_inflight_add(s, 2), 0);
	CU_ASSERT_EQUAL(session_inflight_has(s, 2), 1);

	/* Sets of different sessions are separate. */
	CU_ASSERT_EQUAL(session_inflight_has(session_create(&t, "web1", 2), 2),
	    0);
	session_table_clear(&t);
}

static void
test_session_inflight_growth(void)
{
	struct session_table	 t;
	struct session		*s;
	uint64_t		 i;
	int			 ok;

	session_table_init(&t, NULL);
	s = session_create(&t, "web1", 1);
	for (i = 1, ok = 1; i <= 1000; i++)
		if (session_inflight_add(s, i * 7) != 0)
			ok = 0;
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(s->ninflight, 1000);
	CU_ASSERT(s->capinflight >= 1000);
	for (i = 1, ok = 1; i <= 1000; i++)
		if (!session_inflight_has(s, i * 7) ||
		    session_inflight_has(s, i * 7 + 1) ||
		    session_inflight_add(s, i * 7) != -1)
			ok = 0;
	CU_ASSERT(ok);

	/* Remove the odd ones, first to last, then the rest, last first. */
	for (i = 1, ok = 1; i <= 1000; i += 2)
		if (session_inflight_del(s, i * 7) != 0)
			ok = 0;
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(s->ninflight, 500);
	for (i = 1, ok = 1; i <= 1000; i++)
		if (session_inflight_has(s, i * 7) != (i % 2 == 0))
			ok = 0;
	CU_ASSERT(ok);
	for (i = 1000, ok = 1; i >= 2; i -= 2)
		if (session_inflight_del(s, i * 7) != 0)
			ok = 0;
	CU_ASSERT(ok);
	CU_ASSERT_EQUAL(s->ninflight, 0);
	for (i = 1, ok = 1; i <= 1000; i++)
		if (session_inflight_has(s, i * 7) ||
		    session_inflight_del(s, i * 7) != -1)
			ok = 0;
	CU_ASSERT(ok);

	/* Exactly at the first capacity, then one past it. */
	for (i = 1; i <= 64; i++)
		(void)session_inflight_add(s, i);
	CU_ASSERT_EQUAL(s->ninflight, 64);
	CU_ASSERT_EQUAL(session_inflight_add(s, 65), 0);
	CU_ASSERT_EQUAL(session_inflight_has(s, 1), 1);
	CU_ASSERT_EQUAL(session_inflight_has(s, 65), 1);
	CU_ASSERT_EQUAL(s->ninflight, 65);
	session_table_clear(&t);
}

static void
test_session_expire(void)
{
	struct session_table	 t;
	struct session		*gone, *edge, *fresh, *conn_old, *gone2;
	const int64_t		 now = 100LL * 24 * 3600 * 1000;

	session_table_init(&t, NULL);
	gone = session_create(&t, "web1", 1);
	edge = session_create(&t, "web1", 2);
	fresh = session_create(&t, "web2", 1);
	conn_old = session_create(&t, "web2", 2);
	gone2 = session_create(&t, "web3", 1);

	gone->away_ms = now - SESSION_IDLE_MS - 1;
	(void)session_inflight_add(gone, 5);	/* freed with it */
	edge->away_ms = now - SESSION_IDLE_MS;	/* exactly the limit: kept */
	fresh->away_ms = now - 1000;
	conn_old->away_ms = 0;			/* connected: never expires */
	conn_old->conn = DUMMY_CONN;
	gone2->away_ms = 0;

	CU_ASSERT_EQUAL(session_expire(&t, now), 2);
	CU_ASSERT_PTR_NULL(session_find(&t, "web1", 1));
	CU_ASSERT_PTR_NULL(session_find(&t, "web3", 1));
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web1", 2), edge);
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web2", 1), fresh);
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web2", 2), conn_old);

	/* Nothing more to do at the same time. */
	CU_ASSERT_EQUAL(session_expire(&t, now), 0);

	/* A millisecond later the edge one goes; the connected one stays. */
	CU_ASSERT_EQUAL(session_expire(&t, now + 1), 1);
	CU_ASSERT_PTR_NULL(session_find(&t, "web1", 2));
	CU_ASSERT_PTR_EQUAL(session_find(&t, "web2", 1), fresh);

	CU_ASSERT_EQUAL(session_expire(&t, now + 10LL * SESSION_IDLE_MS), 1);
	CU_ASSERT_PTR_EQUAL(t.head, conn_old);
	CU_ASSERT_PTR_NULL(conn_old->next);

	/* Disconnected now: it goes once it has been away long enough. */
	conn_old->conn = NULL;
	conn_old->away_ms = now;
	CU_ASSERT_EQUAL(session_expire(&t, now + SESSION_IDLE_MS), 0);
	CU_ASSERT_EQUAL(session_expire(&t, now + SESSION_IDLE_MS + 1), 1);
	CU_ASSERT_PTR_NULL(t.head);
	CU_ASSERT_EQUAL(session_expire(&t, now), 0);

	/* A new session for an expired (client, epoch) starts afresh. */
	gone = session_create(&t, "web1", 1);
	CU_ASSERT_EQUAL(gone->ninflight, 0);
	CU_ASSERT_EQUAL(session_inflight_has(gone, 5), 0);
	session_table_clear(&t);
}

/* Expiry at the head, the middle and the tail of the list, all at once. */
static void
test_session_expire_positions(void)
{
	struct session_table	 t;
	struct session		*s;
	char			 name[16];
	const int64_t		 now = 50LL * SESSION_IDLE_MS;
	int			 i, left;

	session_table_init(&t, NULL);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "web%d", i);
		s = session_create(&t, name, i);
		(void)session_inflight_add(s, (uint64_t)i + 1);
		/* Every third session stays connected. */
		if (i % 3 == 0)
			s->conn = DUMMY_CONN;
		s->away_ms = 0;
	}
	CU_ASSERT_EQUAL(session_expire(&t, now), 13);
	for (i = 0, left = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "web%d", i);
		s = session_find(&t, name, i);
		if ((s != NULL) != (i % 3 == 0))
			CU_FAIL("wrong session expired or kept");
		left += s != NULL;
	}
	CU_ASSERT_EQUAL(left, 7);
	session_table_clear(&t);
	CU_ASSERT_PTR_NULL(t.head);
}

/* Clear frees sessions with their in-flight sets and link state. */
static void
test_session_clear_frees(void)
{
	struct session_table	 t;
	struct session		*s;
	uint64_t		 i;
	int			 e;

	session_table_init(&t, NULL);
	for (e = 0; e < 50; e++) {
		s = session_create(&t, e % 2 ? "web1" : "web2", e);
		for (i = 1; i <= (uint64_t)e * 5; i++)
			(void)session_inflight_add(s, i);
		if (e % 4 == 0)
			s->conn = DUMMY_CONN;
	}
	session_table_clear(&t);
	CU_ASSERT_PTR_NULL(t.head);
}

static CU_TestInfo tests[] = {
	{ "test_session_create_find", test_session_create_find },
	{ "test_session_fault_streams", test_session_fault_streams },
	{ "test_session_long_client", test_session_long_client },
	{ "test_session_inflight", test_session_inflight },
	{ "test_session_inflight_growth",
	    test_session_inflight_growth },
	{ "test_session_expire", test_session_expire },
	{ "test_session_expire_positions",
	    test_session_expire_positions },
	{ "test_session_clear_frees", test_session_clear_frees },
	CU_TEST_INFO_NULL
};

/* session_expire logs each expiry; keep the test output clean. */
static int
suite_init(void)
{
	log_init("test_session", LOG_LVL_WARN);
	return 0;
}

CU_SuiteInfo unit_suites[] = {
	{ "session", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
