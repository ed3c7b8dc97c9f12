/*
 * The stats_flush body (see statsbatch.h): encoding on abc-web, parsing
 * with every bound checked on abc-worker, and PostgreSQL array literals
 * of the parsed rows for the SQL function's parameters.
 */
#include <inttypes.h>
#include <stdio.h>

#include "statsbatch.h"

/* The "rows" array of a flush: [[c, idx, minute_ms, imp, clk, mask]...]. */
struct json_object *
statsbatch_encode(const struct stats_row *rows, size_t n)
{
	struct json_object	*arr, *row;
	size_t			 i;

	arr = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		row = json_object_new_array_ext(6);
		json_object_array_add(row,
		    json_object_new_int64(rows[i].campaign));
		json_object_array_add(row, json_object_new_int64(rows[i].idx));
		json_object_array_add(row,
		    json_object_new_int64(rows[i].minute_ms));
		json_object_array_add(row,
		    json_object_new_int64(rows[i].impressions));
		json_object_array_add(row,
		    json_object_new_int64(rows[i].clicks));
		/* The mask as a signed 64-bit number: JSON's integers and
		 * PostgreSQL's bigint both are. */
		json_object_array_add(row,
		    json_object_new_int64((int64_t)rows[i].mask));
		json_object_array_add(arr, row);
	}
	return arr;
}

/* Element i of row as an integer in [lo, hi]; 0, or -1. */
static int
statsbatch_int(struct json_object *row, size_t i, int64_t lo, int64_t hi,
    int64_t *out)
{
	struct json_object	*v = json_object_array_get_idx(row, i);

	if (v == NULL || !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	/*
	 * json-c keeps a number over INT64_MAX as unsigned and clamps it here
	 * to INT64_MAX: refused.  One under INT64_MIN clamps to INT64_MIN,
	 * which only a mask may be (bucket 63 alone), so it reads as that.
	 */
	if (*out == INT64_MAX && json_object_get_uint64(v) !=
	    (uint64_t)INT64_MAX)
		return -1;
	if (*out < lo || *out > hi)
		return -1;
	return 0;
}

/*
 * Parses the "rows" array rowsv into out (room for max rows), *n set.
 * Returns 0, or -1 with *why (a static text) when it is not an array of
 * 1..max rows of six integers in their bounds.
 */
int
statsbatch_parse(struct json_object *rowsv, struct stats_row *out, size_t max,
    size_t *n, const char **why)
{
	struct json_object	*row;
	struct stats_row	*r;
	size_t			 i, len;
	int64_t			 mask;

	*n = 0;
	if (rowsv == NULL || !json_object_is_type(rowsv, json_type_array)) {
		*why = "rows is not an array";
		return -1;
	}
	len = json_object_array_length(rowsv);
	if (len == 0 || len > max || len > STATSBATCH_MAX) {
		*why = "rows: too few or too many";
		return -1;
	}
	for (i = 0; i < len; i++) {
		row = json_object_array_get_idx(rowsv, i);
		r = &out[i];
		if (row == NULL || !json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 6 ||
		    statsbatch_int(row, 0, 1, INT64_MAX, &r->campaign) ||
		    statsbatch_int(row, 1, 0, INT32_MAX, &r->idx) ||
		    statsbatch_int(row, 2, 0, INT64_MAX, &r->minute_ms) ||
		    r->minute_ms % STATSBATCH_MINUTE_MS != 0 ||
		    statsbatch_int(row, 3, 0, STATSBATCH_COUNT_MAX,
		    &r->impressions) ||
		    statsbatch_int(row, 4, 0, STATSBATCH_COUNT_MAX,
		    &r->clicks) ||
		    statsbatch_int(row, 5, INT64_MIN, INT64_MAX, &mask)) {
			*why = "a row is not [campaign, idx, minute_ms, "
			    "impressions, clicks, mask] within bounds";
			return -1;
		}
		r->mask = (uint64_t)mask;
	}
	*n = len;
	return 0;
}

/*
 * Writes the rows as six PostgreSQL array literals ("{1,2,3}"), one per
 * column, into out[0..5] (initialised by the caller).  0, or -1 when a
 * buffer's bound was hit.
 */
int
statsbatch_sql_arrays(const struct stats_row *rows, size_t n, struct buf out[6])
{
	size_t	 i;
	int	 k, rc = 0;

	for (k = 0; k < 6; k++)
		rc |= buf_addstr(&out[k], "{");
	for (i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : ",";

		rc |= buf_printf(&out[0], "%s%" PRId64, sep, rows[i].campaign);
		rc |= buf_printf(&out[1], "%s%" PRId64, sep, rows[i].idx);
		rc |= buf_printf(&out[2], "%s%" PRId64, sep, rows[i].minute_ms);
		rc |= buf_printf(&out[3], "%s%" PRId64, sep,
		    rows[i].impressions);
		rc |= buf_printf(&out[4], "%s%" PRId64, sep, rows[i].clicks);
		rc |= buf_printf(&out[5], "%s%" PRId64, sep,
		    (int64_t)rows[i].mask);
	}
	for (k = 0; k < 6; k++)
		rc |= buf_addstr(&out[k], "}");
	/* Literals of text we wrote ourselves: digits, '-', ',' only. */
	for (k = 0; k < 6; k++)
		rc |= buf_add(&out[k], "", 1);
	return rc != 0 ? -1 : 0;
}

/*
 * The bucket (0..63) of now_ms in the slot [start_ms, end_ms), or -1 when
 * outside it.  Computed in 128 bits: (now - start) * 64 overflows int64
 * for no real slot, but the arguments come from JSON.
 */
int
statsbatch_bucket(int64_t start_ms, int64_t end_ms, int64_t now_ms)
{
	__int128	 num;

	if (end_ms <= start_ms || now_ms < start_ms || now_ms >= end_ms)
		return -1;
	num = ((__int128)now_ms - start_ms) * STATSBATCH_BUCKETS;
	return (int)(num / ((__int128)end_ms - start_ms));
}
