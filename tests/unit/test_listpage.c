/* CUnit tests for worker/listpage.c: keyset pages of a user's lists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"
#include <json-c/json.h>

#include "buf.h"
#include "listpage.h"
#include "msg.h"

/* The JSON array the SQL gives: ids hi down to lo (none when hi < lo). */
static char *
rows(int64_t hi, int64_t lo)
{
	struct buf	 b;
	int64_t		 id;

	buf_init(&b, 0);
	(void)buf_addstr(&b, "[");
	for (id = hi; id >= lo; id--)
		(void)buf_printf(&b, "%s{\"id\":%lld}", id == hi ? "" : ",",
		    (long long)id);
	(void)buf_addstr(&b, "]");
	return (char *)b.data;
}

/* Fills a page from rows hi..lo for a cursor; older, newer: -1 if none. */
static struct json_object *
page(int64_t hi, int64_t lo, int64_t cur_id, int after, size_t *n,
    int64_t *older, int64_t *newer)
{
	struct listpage_cur	 cur = { cur_id, after };
	struct json_object	*rep = json_object_new_object();
	char			*text = rows(hi, lo);

	CU_ASSERT_EQUAL(listpage_fill(rep, "history", text, &cur), 0);
	free(text);
	*n = json_object_array_length(json_object_object_get(rep, "history"));
	if (msg_get_int(rep, "history_older", older) != 0)
		*older = -1;
	if (msg_get_int(rep, "history_newer", newer) != 0)
		*newer = -1;
	return rep;
}

static int64_t
id_at(struct json_object *rep, size_t i)
{
	int64_t	 id = -1;

	(void)msg_get_int(json_object_array_get_idx(json_object_object_get(rep,
	    "history"), i), "id", &id);
	return id;
}

static void
test_listpage_newest_page(void)
{
	struct json_object	*rep;
	int64_t			 older, newer;
	size_t			 n;

	/* 21 rows fetched: 20 shown, the older page starts below the 20th. */
	rep = page(100, 80, 0, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, LISTPAGE_SIZE);
	CU_ASSERT_EQUAL(id_at(rep, 0), 100);
	CU_ASSERT_EQUAL(id_at(rep, 19), 81);
	CU_ASSERT_EQUAL(older, 81);
	CU_ASSERT_EQUAL(newer, -1);
	json_object_put(rep);
	/* Exactly 20: no older page. */
	rep = page(100, 81, 0, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(older, -1);
	json_object_put(rep);
	/* Empty list: no links. */
	rep = page(0, 1, 0, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(older, -1);
	CU_ASSERT_EQUAL(newer, -1);
	json_object_put(rep);
}

static void
test_listpage_before_and_after(void)
{
	struct json_object	*rep;
	int64_t			 older, newer;
	size_t			 n;

	/* ?before=81: ids 80..60 fetched; 80..61 shown; both links. */
	rep = page(80, 60, 81, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(older, 61);
	CU_ASSERT_EQUAL(newer, 80);
	json_object_put(rep);
	/* ?after=80: ids 81..101 fetched (21): the 20 nearest, 81..100. */
	rep = page(101, 81, 80, 1, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(id_at(rep, 0), 100);
	CU_ASSERT_EQUAL(id_at(rep, 19), 81);
	CU_ASSERT_EQUAL(older, 81);
	CU_ASSERT_EQUAL(newer, 100);
	json_object_put(rep);
	/* ?after=80 with only 81..90 newer: no newer link. */
	rep = page(90, 81, 80, 1, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(older, 81);
	CU_ASSERT_EQUAL(newer, -1);
	json_object_put(rep);
}

static void
test_listpage_empty_pages_link_back(void)
{
	struct json_object	*rep;
	int64_t			 older, newer;
	size_t			 n;

	/* Past the oldest (?before=5, nothing): back to 5 and up. */
	rep = page(0, 1, 5, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(older, -1);
	CU_ASSERT_EQUAL(newer, 4);
	json_object_put(rep);
	/* Before the first id (?before=1): back through the oldest page. */
	rep = page(0, 1, 1, 0, &n, &older, &newer);
	CU_ASSERT_EQUAL(older, -1);
	CU_ASSERT_EQUAL(newer, 0);
	json_object_put(rep);
	/* Past the newest (?after=100, nothing): back to 100 and down. */
	rep = page(0, 1, 100, 1, &n, &older, &newer);
	CU_ASSERT_EQUAL(older, 101);
	CU_ASSERT_EQUAL(newer, -1);
	json_object_put(rep);
}

static void
test_listpage_cursor_and_bad_input(void)
{
	struct listpage_cur	 cur;
	struct json_object	*req, *rep;
	enum listpage_list	 l;
	char			 p[24];

	req = json_tokener_parse("{\"before\":7}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), 0);
	CU_ASSERT(cur.id == 7 && !cur.after);
	json_object_put(req);
	req = json_tokener_parse("{\"after\":7}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), 0);
	CU_ASSERT(cur.id == 7 && cur.after);
	listpage_cursor_param(&cur, p, sizeof(p));
	CU_ASSERT_STRING_EQUAL(p, "7");
	json_object_put(req);
	req = json_tokener_parse("{}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), 0);
	CU_ASSERT(cur.id == 0 && !cur.after);
	listpage_cursor_param(&cur, p, sizeof(p));
	CU_ASSERT_STRING_EQUAL(p, "9223372036854775807");
	json_object_put(req);
	req = json_tokener_parse("{\"before\":1,\"after\":2}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), -1);
	json_object_put(req);
	req = json_tokener_parse("{\"before\":0}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), -1);
	json_object_put(req);
	req = json_tokener_parse("{\"after\":-1}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), -1);
	json_object_put(req);
	/* after=0: the oldest page. */
	req = json_tokener_parse("{\"after\":0}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), 0);
	CU_ASSERT(cur.id == 0 && cur.after);
	listpage_cursor_param(&cur, p, sizeof(p));
	CU_ASSERT_STRING_EQUAL(p, "0");
	json_object_put(req);
	req = json_tokener_parse("{\"before\":\"5\"}");
	CU_ASSERT_EQUAL(listpage_cursor(req, &cur), -1);
	json_object_put(req);
	CU_ASSERT_EQUAL(listpage_parse("history", &l), 0);
	CU_ASSERT_EQUAL(l, LISTPAGE_HISTORY);
	CU_ASSERT_EQUAL(listpage_parse("users", &l), -1);
	CU_ASSERT_EQUAL(listpage_parse(NULL, &l), -1);
	CU_ASSERT_PTR_NULL(listpage_sql(LISTPAGE__MAX, 0));
	CU_ASSERT_PTR_NOT_NULL(strstr(listpage_sql(LISTPAGE_ADS, 1),
	    "d.id > $2 ORDER BY d.id ASC LIMIT 21"));
	CU_ASSERT_PTR_NOT_NULL(strstr(listpage_sql(LISTPAGE_DEPOSITS, 0),
	    "d.id < $2 ORDER BY d.id DESC LIMIT 21"));
	rep = json_object_new_object();
	cur.id = 0;
	cur.after = 0;
	CU_ASSERT_EQUAL(listpage_fill(rep, "x", "{}", &cur), -1);
	CU_ASSERT_EQUAL(listpage_fill(rep, "x", "[", &cur), -1);
	CU_ASSERT_EQUAL(listpage_fill(rep, "x", NULL, &cur), -1);
	CU_ASSERT_EQUAL(json_object_object_length(rep), 0);
	json_object_put(rep);
}

static CU_TestInfo tests[] = {
	{ "test_listpage_newest_page", test_listpage_newest_page },
	{ "test_listpage_before_and_after",
	    test_listpage_before_and_after },
	{ "test_listpage_empty_pages_link_back",
	    test_listpage_empty_pages_link_back },
	{ "test_listpage_cursor_and_bad_input",
	    test_listpage_cursor_and_bad_input },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "listpage", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
