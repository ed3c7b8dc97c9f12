/*
 * The JSON API's request bodies (issue 15): outside bytes, parsed by
 * json-c under bounds.  A body must be valid UTF-8, at most max bytes,
 * one JSON object nested at most APIJSON_DEPTH deep and nothing after it.
 * The getters read one member each, with its own bounds, and say what is
 * wrong in a message meant for the API's caller.
 *
 * Ownership: apijson_parse returns one json-c reference the caller puts;
 * the getters borrow from the object (strings live as long as it does).
 */
#ifndef ABC_APIJSON_H
#define ABC_APIJSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define APIJSON_DEPTH	4
#define APIJSON_MAX	(400u * 1024u)	/* a 256 KiB image in base64 */

struct json_object *apijson_parse(const uint8_t *body, size_t len,
		    size_t max, char *err, size_t errlen);
int		 apijson_int(struct json_object *obj, const char *key,
		    int64_t min, int64_t max, int64_t *out);
const char	*apijson_str(struct json_object *obj, const char *key,
		    size_t maxlen);

#endif /* ABC_APIJSON_H */
