/* The dashboards' figures as text and the slot page's path; dashfig.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dashfig.h"

#define DF_NONE	"\xe2\x80\x93"	/* "–": no figure */

/*
 * clicks / impressions in hundredths of a percent, rounded half up:
 * (2 * 10000 * clicks + impressions) / (2 * impressions), in 128 bits so
 * no count overflows.
 */
void
dashfig_ctr(int64_t clicks, int64_t impressions, char *out, size_t len)
{
	unsigned __int128	 bp;

	if (impressions <= 0 || clicks < 0) {
		snprintf(out, len, DF_NONE);
		return;
	}
	bp = ((unsigned __int128)clicks * 20000 + (uint64_t)impressions) /
	    ((unsigned __int128)impressions * 2);
	if (bp > (unsigned __int128)INT64_MAX)
		bp = INT64_MAX;
	snprintf(out, len, "%" PRIu64 ".%02u%%", (uint64_t)bp / 100,
	    (unsigned)((uint64_t)bp % 100));
}

/* seen / so_far as a whole percentage rounded down, at most 100. */
void
dashfig_seen(int64_t seen, int64_t so_far, char *out, size_t len)
{
	unsigned __int128	 pc;

	if (so_far <= 0 || seen < 0) {
		snprintf(out, len, DF_NONE);
		return;
	}
	pc = (unsigned __int128)seen * 100 / (uint64_t)so_far;
	snprintf(out, len, "%u%%", pc > 100 ? 100u : (unsigned)pc);
}

/*
 * Reads a number of 1..15 decimal digits from *p up to the byte stop
 * (without a leading zero unless it is "0"), advancing *p past it.
 * Returns 0, or -1.
 */
static int
df_number(const char **p, char stop, int64_t *out)
{
	const char	*s = *p;
	int64_t		 v = 0;
	size_t		 n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 15)
			return -1;
		v = v * 10 + (s[n] - '0');
		n++;
	}
	if (n == 0 || s[n] != stop || (s[0] == '0' && n > 1))
		return -1;
	*p = s + n;
	*out = v;
	return 0;
}

/*
 * Reads /my/slots/<campaign>/<idx><suffix> (suffix "" or ".json").
 * Returns 0 with both set, or -1 when path is anything else.
 */
int
dashfig_slot_path(const char *path, const char *suffix, int64_t *campaign,
    int64_t *idx)
{
	size_t	 plen = strlen(DASHFIG_SLOT_PREFIX);
	int64_t	 c, i;

	if (path == NULL || suffix == NULL ||
	    strncmp(path, DASHFIG_SLOT_PREFIX, plen) != 0)
		return -1;
	path += plen;
	if (df_number(&path, '/', &c) != 0 || c < 1)
		return -1;
	path++;
	if (df_number(&path, suffix[0], &i) != 0 || strcmp(path, suffix) != 0)
		return -1;
	*campaign = c;
	*idx = i;
	return 0;
}
