/* The JSON API's request bodies; see apijson.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apijson.h"
#include "utf8.h"

/*
 * Parses body as one JSON object.  Returns a new reference, or NULL with
 * err set (empty, too large, not UTF-8, too deep, not an object,
 * malformed, or bytes after the object).
 */
struct json_object *
apijson_parse(const uint8_t *body, size_t len, size_t max, char *err,
    size_t errlen)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	enum json_tokener_error	 e;

	if (len == 0 || len > max || len > (size_t)INT32_MAX) {
		snprintf(err, errlen, len == 0 ? "The body is empty." :
		    "The body is larger than %zu bytes.", max);
		return NULL;
	}
	if (!utf8_valid(body, len)) {
		snprintf(err, errlen, "The body is not UTF-8.");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(APIJSON_DEPTH)) == NULL) {
		snprintf(err, errlen, "Out of memory.");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	e = json_tokener_get_error(tok);
	if (obj != NULL && e == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(obj);
		obj = NULL;
		snprintf(err, errlen, "There is more after the JSON object.");
	} else if (obj == NULL || e != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
		snprintf(err, errlen, "The body is not JSON: %s.",
		    e == json_tokener_continue ? "it ends too early" :
		    json_tokener_error_desc(e));
	} else if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
		snprintf(err, errlen, "The body must be a JSON object.");
	}
	json_tokener_free(tok);
	return obj;
}

/*
 * Member key as an integer within [min, max] (a JSON integer, not a
 * string nor a fraction).  Returns 0, or -1 when absent or out of range.
 */
int
apijson_int(struct json_object *obj, const char *key, int64_t min,
    int64_t max, int64_t *out)
{
	struct json_object	*v;
	int64_t			 n;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	errno = 0;
	n = json_object_get_int64(v);
	/*
	 * json-c saturates what does not fit (and keeps 2^63..2^64-1 as an
	 * unsigned): such a number is refused, not read as INT64_MAX.
	 */
	if (errno != 0 || (n == INT64_MAX && json_object_get_uint64(v) >
	    (uint64_t)INT64_MAX) || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/*
 * Member key as a string of at most maxlen bytes without NUL bytes;
 * NULL when absent, not a string or too long.
 */
const char *
apijson_str(struct json_object *obj, const char *key, size_t maxlen)
{
	struct json_object	*v;
	const char		*s;
	size_t			 n;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n > maxlen || strlen(s) != n)
		return NULL;
	return s;
}
