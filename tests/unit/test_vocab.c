/*
 * CUnit suite for the protocol's vocabulary (common/msg.h): the tables
 * are consistent, and every reply code the SQL functions can answer is in
 * MSG_CODE_MAP.  The SQL functions (sql/functions/<name>.sql, the folder
 * in ABC_SQL_FUNCTIONS_DIR) write their refusals as jsonb_build_object(
 * ..., 'code', '<code>', ...): every 'code' key there must be followed by
 * a literal, so a code made at run time cannot slip past this check.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "cunit_main.h"

#include "msg.h"

#define VOCAB_CODE_MAX	64

struct vocab_scan {
	char	 codes[VOCAB_CODE_MAX][40];	/* found, in order */
	size_t	 ncodes;
	int	 unchecked;	/* a 'code' key without a literal */
};

/* Skips blanks, newlines and SQL line comments. */
static const char *
vocab_skip(const char *p)
{
	for (;;) {
		p += strspn(p, " \t\r\n");
		if (p[0] != '-' || p[1] != '-')
			return p;
		p += strcspn(p, "\n");
	}
}

/*
 * Collects the code of every "'code', '<literal>'" in text into sc;
 * a 'code' key followed by anything else counts as unchecked.
 */
static void
vocab_scan_text(const char *text, struct vocab_scan *sc)
{
	const char	*p = text, *end;
	size_t		 len;

	while ((p = strstr(p, "'code'")) != NULL) {
		p = vocab_skip(p + 6);
		if (*p != ',') {
			sc->unchecked++;
			continue;
		}
		p = vocab_skip(p + 1);
		if (*p != '\'' || (end = strchr(p + 1, '\'')) == NULL ||
		    (len = (size_t)(end - p - 1)) == 0 ||
		    len >= sizeof(sc->codes[0]) ||
		    sc->ncodes >= VOCAB_CODE_MAX) {
			sc->unchecked++;
			continue;
		}
		memcpy(sc->codes[sc->ncodes], p + 1, len);
		sc->codes[sc->ncodes++][len] = '\0';
		p = end + 1;
	}
}

/* Reads the whole of path into a new string; NULL when unreadable. */
static char *
vocab_read(const char *path)
{
	FILE	*f;
	char	*s;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (s != NULL && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s != NULL)
		s[n] = '\0';
	fclose(f);
	return s;
}

/* The scanner itself, on the shapes the SQL functions use. */
static void
test_vocab_scanner(void)
{
	struct vocab_scan	 sc;

	memset(&sc, 0, sizeof(sc));
	vocab_scan_text("r := jsonb_build_object('ok', false, 'code', 'sold',"
	    "\n 'error', 'x'); RETURN jsonb_build_object('ok', false,\n"
	    "\t'code',\n\t\t-- why\n\t\t'funds', 'error', 'y');", &sc);
	CU_ASSERT_EQUAL_FATAL(sc.ncodes, 2);
	CU_ASSERT_STRING_EQUAL(sc.codes[0], "sold");
	CU_ASSERT_STRING_EQUAL(sc.codes[1], "funds");
	CU_ASSERT_EQUAL(sc.unchecked, 0);
	vocab_scan_text("jsonb_build_object('code', v_code)", &sc);
	vocab_scan_text("x->>'code' = 'sold'", &sc);
	CU_ASSERT_EQUAL(sc.unchecked, 2);
	CU_ASSERT_EQUAL(sc.ncodes, 2);
}

/* Every code a SQL function can answer is in MSG_CODE_MAP. */
static void
test_vocab_sql_codes_known(void)
{
	struct vocab_scan	 sc;
	const char		*dir = getenv("ABC_SQL_FUNCTIONS_DIR");
	struct dirent		*de;
	enum msg_code		 code;
	char			 path[4096], *text;
	size_t			 i, files = 0, before;
	DIR			*d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d = opendir(dir));
	memset(&sc, 0, sizeof(sc));
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) < 5 || strcmp(de->d_name +
		    strlen(de->d_name) - 4, ".sql") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text = vocab_read(path));
		before = sc.ncodes;
		vocab_scan_text(text, &sc);
		for (i = before; i < sc.ncodes; i++)
			if (msg_code_parse(sc.codes[i], &code) != 0) {
				fprintf(stderr, "%s: code '%s' is not in "
				    "MSG_CODE_MAP (common/msg.h)\n", path,
				    sc.codes[i]);
				CU_FAIL("a SQL function answers an unknown code");
			}
		if (sc.unchecked != 0)
			fprintf(stderr, "%s: a 'code' without a literal\n",
			    path);
		CU_ASSERT_EQUAL(sc.unchecked, 0);
		free(text);
		files++;
	}
	closedir(d);
	/* Not vacuous: the purchase's and the withdrawal's refusals. */
	CU_ASSERT(files >= 10);
	CU_ASSERT(sc.ncodes >= 10);
}

/* Each table: names round-trip, none twice, classes as documented. */
static void
test_vocab_tables(void)
{
	enum msg_code	 c, c2;
	enum msg_notice	 k, k2;
	int		 i;

	for (i = 0; i < MSG_CODE__MAX; i++) {
		CU_ASSERT_EQUAL(msg_code_parse(msg_code_name(
		    (enum msg_code)i), &c), 0);
		CU_ASSERT_EQUAL((int)c, i);
	}
	for (i = 0; i < MSG_NOTICE__MAX; i++) {
		CU_ASSERT_EQUAL(msg_notice_parse(msg_notice_name(
		    (enum msg_notice)i), &k), 0);
		CU_ASSERT_EQUAL((int)k, i);
	}
	CU_ASSERT_EQUAL(msg_code_parse("nope", &c2), -1);
	CU_ASSERT_EQUAL(msg_code_parse(NULL, &c2), -1);
	CU_ASSERT_EQUAL(msg_notice_parse("nope", &k2), -1);
	CU_ASSERT_STRING_EQUAL(msg_code_name(MSG_CODE_NONE), "");
	CU_ASSERT_STRING_EQUAL(msg_code_name(MSG_CODE_NO_SESSION),
	    "no_session");
	CU_ASSERT_STRING_EQUAL(msg_notice_name(MSG_NOTICE_CAMPAIGN_CHANGED),
	    "campaign_changed");
	CU_ASSERT_EQUAL(msg_code_class(MSG_CODE_NO_CAMPAIGN), MSG_ABSENT);
	CU_ASSERT_EQUAL(msg_code_class(MSG_CODE_BUSY), MSG_RETRY);
	CU_ASSERT_EQUAL(msg_code_class(MSG_CODE_SOLD), MSG_REFUSAL);
	CU_ASSERT_EQUAL(msg_code_class(MSG_CODE_NONE), MSG_REFUSAL);
}

/* The failed reply's bytes: what abc-worker always sent. */
static void
test_vocab_reply_fail(void)
{
	struct json_object	*rep;

	rep = msg_reply_fail(MSG_CODE_TOO_SMALL, "Too small.");
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string_ext(rep,
	    JSON_C_TO_STRING_PLAIN), "{\"ok\":false,\"error\":\"Too small.\","
	    "\"code\":\"too_small\"}");
	CU_ASSERT_EQUAL(msg_reply_code(rep), MSG_CODE_TOO_SMALL);
	json_object_put(rep);
	CU_ASSERT_EQUAL(msg_reply_code(NULL), MSG_CODE_NONE);
}

static CU_TestInfo tests[] = {
	{ "test_vocab_scanner", test_vocab_scanner },
	{ "test_vocab_sql_codes_known", test_vocab_sql_codes_known },
	{ "test_vocab_tables", test_vocab_tables },
	{ "test_vocab_reply_fail", test_vocab_reply_fail },
	CU_TEST_INFO_NULL
};

CU_SuiteInfo unit_suites[] = {
	{ "vocab", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL
};
