/*
 * The stats_flush body (see statsbatch.h): encoding on abc-web, parsing
 * with every bound checked on abc-worker, and PostgreSQL array literals
 * of the parsed rows for the SQL function's parameters.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

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
 * 0..max rows of six integers in their bounds.
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
	if (len > max || len > STATSBATCH_MAX) {
		*why = "rows: too many";
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

/* Adds a viewer's hash: register = top 8 bits, value = 1 + leading zeros
 * of the rest (at most 57). */
void
statsbatch_hll_add(uint8_t regs[STATSBATCH_HLL_M], uint64_t hash)
{
	unsigned	 j = (unsigned)(hash >> 56);
	uint64_t	 w = hash << 8;
	uint8_t		 rank = 1;

	while (rank < 57 && (w & (1ULL << 63)) == 0) {
		rank++;
		w <<= 1;
	}
	if (regs[j] < rank)
		regs[j] = rank;
}

/* The estimate of distinct viewers (HyperLogLog with linear counting for
 * small numbers, as its paper), rounded to the nearest integer. */
int64_t
statsbatch_hll_estimate(const uint8_t regs[STATSBATCH_HLL_M])
{
	const double	 m = STATSBATCH_HLL_M;
	double		 sum = 0, e;
	int		 zeros = 0, j;

	for (j = 0; j < STATSBATCH_HLL_M; j++) {
		sum += ldexp(1.0, -(int)(regs[j] > 64 ? 64 : regs[j]));
		zeros += regs[j] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return (int64_t)llround(e);
}

/* The "uniq" array of a flush: [[c, idx, day_ms, "hex"]...]. */
struct json_object *
statsbatch_encode_uniq(const struct stats_uniq *u, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	struct json_object	*arr, *row;
	char			 text[2 * STATSBATCH_HLL_M + 1];
	size_t			 i, j;

	arr = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < STATSBATCH_HLL_M; j++) {
			text[2 * j] = hex[u[i].regs[j] >> 4];
			text[2 * j + 1] = hex[u[i].regs[j] & 15];
		}
		text[2 * STATSBATCH_HLL_M] = '\0';
		row = json_object_new_array_ext(4);
		json_object_array_add(row, json_object_new_int64(u[i].campaign));
		json_object_array_add(row, json_object_new_int64(u[i].idx));
		json_object_array_add(row, json_object_new_int64(u[i].day_ms));
		json_object_array_add(row, json_object_new_string(text));
		json_object_array_add(arr, row);
	}
	return arr;
}

/* A hex digit's value, or -1. */
static int
statsbatch_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parses the "uniq" array v (absent, NULL: none) into out (room for max),
 * *n set.  0, or -1 with *why when it is not 0..max rows of [campaign >= 1,
 * idx, day_ms (a whole day), 2 * M lower-case hex digits, each register
 * at most 57].
 */
int
statsbatch_parse_uniq(struct json_object *v, struct stats_uniq *out,
    size_t max, size_t *n, const char **why)
{
	struct json_object	*row, *h;
	const char		*text;
	size_t			 i, j, len;
	int			 hi, lo;

	*n = 0;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array) ||
	    (len = json_object_array_length(v)) > max ||
	    len > STATSBATCH_UNIQ_MAX) {
		*why = "uniq: not an array, or too many";
		return -1;
	}
	for (i = 0; i < len; i++) {
		row = json_object_array_get_idx(v, i);
		*why = "a uniq row is not [campaign, idx, day_ms, registers]";
		if (row == NULL || !json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 4 ||
		    statsbatch_int(row, 0, 1, INT64_MAX, &out[i].campaign) ||
		    statsbatch_int(row, 1, 0, INT32_MAX, &out[i].idx) ||
		    statsbatch_int(row, 2, 0, INT64_MAX, &out[i].day_ms) ||
		    out[i].day_ms % STATSBATCH_DAY_MS != 0 ||
		    (h = json_object_array_get_idx(row, 3)) == NULL ||
		    !json_object_is_type(h, json_type_string) ||
		    json_object_get_string_len(h) != 2 * STATSBATCH_HLL_M)
			return -1;
		text = json_object_get_string(h);
		for (j = 0; j < STATSBATCH_HLL_M; j++) {
			hi = statsbatch_hexval(text[2 * j]);
			lo = statsbatch_hexval(text[2 * j + 1]);
			if (hi < 0 || lo < 0 || hi * 16 + lo > 57)
				return -1;
			out[i].regs[j] = (uint8_t)(hi * 16 + lo);
		}
	}
	*n = len;
	return 0;
}

/*
 * The uniq rows as four PostgreSQL array literals (campaign, idx, day_ms,
 * registers as hex text) into out[0..3].  0, or -1 at a buffer's bound.
 */
int
statsbatch_sql_uniq(const struct stats_uniq *u, size_t n, struct buf out[4])
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, j;
	int			 k, rc = 0;

	for (k = 0; k < 4; k++)
		rc |= buf_addstr(&out[k], "{");
	for (i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : ",";

		rc |= buf_printf(&out[0], "%s%" PRId64, sep, u[i].campaign);
		rc |= buf_printf(&out[1], "%s%" PRId64, sep, u[i].idx);
		rc |= buf_printf(&out[2], "%s%" PRId64, sep, u[i].day_ms);
		rc |= buf_addstr(&out[3], sep);
		for (j = 0; j < STATSBATCH_HLL_M; j++) {
			rc |= buf_add(&out[3], &hex[u[i].regs[j] >> 4], 1);
			rc |= buf_add(&out[3], &hex[u[i].regs[j] & 15], 1);
		}
	}
	for (k = 0; k < 4; k++) {
		rc |= buf_addstr(&out[k], "}");
		rc |= buf_add(&out[k], "", 1);
	}
	return rc != 0 ? -1 : 0;
}
