/* fuzz-sources: common/statsbatch.c common/buf.c common/xmalloc.c */
/* fuzz-libs: -ljson-c -lm */
/*
 * libFuzzer target for the stats_flush body abc-worker parses (issue 15):
 * the input is JSON text, parsed both as "rows" and as "uniq" (the
 * viewers' sketches).  A batch that parses must keep the
 * promises the SQL function relies on (every field in its bounds, at most
 * STATSBATCH_MAX rows) and turn into six array literals of digits, '-',
 * ',' and braces only, one element per row; a violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "statsbatch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless literal a is "{...}" of n comma-separated integers. */
static void
check_literal(const struct buf *a, size_t n)
{
	const char	*s = (const char *)a->data;
	size_t		 len = strlen(s), commas = 0, i;

	if (len < 2 || s[0] != '{' || s[len - 1] != '}')
		abort();
	for (i = 1; i + 1 < len; i++) {
		if (s[i] == ',')
			commas++;
		else if (s[i] != '-' && (s[i] < '0' || s[i] > '9'))
			abort();
	}
	if (n == 0 ? len != 2 : commas + 1 != n)
		abort();
}

/* v as the "uniq" array: what parses keeps its bounds and literals. */
static void
check_uniq(struct json_object *v)
{
	static struct stats_uniq u[STATSBATCH_UNIQ_MAX];
	struct buf		 a[4];
	const char		*why = NULL;
	size_t			 n, i, j;
	int			 k;

	if (statsbatch_parse_uniq(v, u, STATSBATCH_UNIQ_MAX, &n, &why) != 0) {
		if (why == NULL || n != 0)
			abort();
		return;
	}
	for (i = 0; i < n; i++) {
		if (u[i].campaign < 1 || u[i].idx < 0 || u[i].idx > INT32_MAX ||
		    u[i].day_ms < 0 || u[i].day_ms % STATSBATCH_DAY_MS != 0)
			abort();
		for (j = 0; j < STATSBATCH_HLL_M; j++)
			if (u[i].regs[j] > 57)
				abort();
		if (statsbatch_hll_estimate(u[i].regs) < 0)
			abort();
	}
	for (k = 0; k < 4; k++)
		buf_init(&a[k], 1024u * 1024u);
	if (statsbatch_sql_uniq(u, n, a) != 0)
		abort();
	for (k = 0; k < 4; k++) {
		if (n > 0 && k < 3)
			check_literal(&a[k], n);
		buf_clear(&a[k]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stats_row	 rows[STATSBATCH_MAX];
	struct json_tokener	*tok;
	struct json_object	*v;
	struct buf		 a[6];
	const char		*why = NULL;
	size_t			 n, i;
	int			 k;

	if (size > 1 << 20)
		return 0;
	tok = json_tokener_new();
	v = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	check_uniq(v);
	if (statsbatch_parse(v, rows, STATSBATCH_MAX, &n, &why) != 0) {
		if (why == NULL || n != 0)
			abort();
		json_object_put(v);
		return 0;
	}
	if (n > STATSBATCH_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (rows[i].campaign < 1 || rows[i].idx < 0 ||
		    rows[i].idx > INT32_MAX || rows[i].minute_ms < 0 ||
		    rows[i].minute_ms % STATSBATCH_MINUTE_MS != 0 ||
		    rows[i].impressions < 0 || rows[i].clicks < 0 ||
		    rows[i].impressions > STATSBATCH_COUNT_MAX ||
		    rows[i].clicks > STATSBATCH_COUNT_MAX)
			abort();
	for (k = 0; k < 6; k++)
		buf_init(&a[k], 1024u * 1024u);
	if (statsbatch_sql_arrays(rows, n, a) != 0)
		abort();
	for (k = 0; k < 6; k++) {
		check_literal(&a[k], n);
		buf_clear(&a[k]);
	}
	json_object_put(v);
	return 0;
}
