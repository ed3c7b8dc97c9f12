/* fuzz-sources: web/dashfig.c common/daychart.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for the dashboards' parser of outside bytes, the path
 * of a slot's page (web/dashfig.c), and for the chart per day
 * (common/daychart.c) with any figures.  Checks: an accepted path
 * round-trips through its numbers, the figures' texts are terminated
 * within their buffers, and the chart stays within its bound.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dashfig.h"
#include "daychart.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads 8 bytes of data at *off (zeros past the end) as an int64. */
static int64_t
take64(const uint8_t *data, size_t size, size_t *off)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < 8; i++, (*off)++)
		v = v << 8 | (*off < size ? data[*off] : 0);
	return (int64_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daychart_day	 days[8];
	struct buf		 out;
	char			*s, back[64], t[DASHFIG_TEXT_MAX];
	int64_t			 c, i;
	size_t			 off = 0, n, k;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (dashfig_slot_path(s, size > 0 && data[0] & 1 ? ".json" : "", &c,
	    &i) == 0) {
		if (c < 1 || i < 0)
			abort();
		snprintf(back, sizeof(back), "/my/slots/%" PRId64 "/%" PRId64
		    "%s", c, i, data[0] & 1 ? ".json" : "");
		if (strcmp(back, s) != 0)
			abort();
	}
	free(s);
	c = take64(data, size, &off);
	i = take64(data, size, &off);
	dashfig_ctr(c, i, t, sizeof(t));
	if (memchr(t, '\0', sizeof(t)) == NULL)
		abort();
	dashfig_seen(c, i, t, sizeof(t));
	if (memchr(t, '\0', sizeof(t)) == NULL)
		abort();
	n = size % 9;
	for (k = 0; k < n; k++) {
		days[k].day_ms = take64(data, size, &off);
		days[k].impressions = take64(data, size, &off);
		days[k].clicks = take64(data, size, &off);
	}
	buf_init(&out, DAYCHART_MAX_BYTES);
	if (daychart_svg(&out, days, n, DAYCHART_MIN_WIDTH + (int)(c & 1023),
	    DAYCHART_MIN_HEIGHT + (int)(i & 511)) == 0 &&
	    out.len > DAYCHART_MAX_BYTES)
		abort();
	buf_clear(&out);
	return 0;
}
