/*
 * The dashboards' figures as text, and the path of a slot's page (issue
 * 15), apart from any page so they can be tested and fuzzed alone:
 *
 *  - CTR: clicks / impressions as a percentage with two decimals, rounded
 *    half up ("1.25%", "0.00%"); "–" when there was no impression (no
 *    rate, rather than a made-up 0).  Integers only.
 *  - page seen: minutes with an impression / minutes of the slot so far,
 *    a whole percentage rounded down, so "100%" means every minute
 *    ("–" before the slot started).
 *  - /my/slots/<campaign>/<idx>[suffix]: campaign at least 1, idx at
 *    least 0, plain decimal digits without a leading zero (but "0"), at
 *    most 15 digits each.
 *
 * Memory: every function writes into the caller's buffers; nothing is
 * allocated or kept.
 */
#ifndef ABC_DASHFIG_H
#define ABC_DASHFIG_H

#include <stddef.h>
#include <stdint.h>

#define DASHFIG_SLOT_PREFIX	"/my/slots/"
#define DASHFIG_TEXT_MAX	32	/* enough for any figure's text */

void	dashfig_ctr(int64_t clicks, int64_t impressions, char *out,
	    size_t len);
void	dashfig_seen(int64_t seen, int64_t so_far, char *out, size_t len);
int	dashfig_slot_path(const char *path, const char *suffix,
	    int64_t *campaign, int64_t *idx);

#endif /* ABC_DASHFIG_H */
