/*
 * Bounds of the text fields people type into the ad and campaign forms
 * (SPEC 4.3, 4.4; the numbers are in common/abc_limits.h).  abc-web checks
 * them before it builds a request, so an oversized field is answered with
 * a 4xx naming the field and its limit, never sent on; abc-worker checks
 * the same again.  Pure functions on caller-owned bytes: nothing is
 * allocated or kept.
 */
#ifndef ABC_FIELD_H
#define ABC_FIELD_H

#include <stddef.h>
#include <stdint.h>

enum field_id {
	FIELD_AD_NICKNAME,
	FIELD_AD_HOVER,
	FIELD_AD_URL,
	FIELD_CAMPAIGN_NAME,
	FIELD_CAMPAIGN_DESC,
	FIELD_REJECT_REASON,
	FIELD__MAX
};

const char	*field_check(enum field_id f, const uint8_t *p, size_t n);
const char	*field_name(enum field_id f);

#endif /* ABC_FIELD_H */
