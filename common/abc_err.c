/* Names for enum app_err and enum lookup. */
#include "abc_err.h"

static const char *const app_err_text[APP__MAX] = {
#define APP_ERR_TEXT(name, text) text,
	APP_ERR_MAP(APP_ERR_TEXT)
#undef APP_ERR_TEXT
};

/* Returns a static description of err; unknown values get "unknown error". */
const char *
app_strerror(enum app_err err)
{
	if ((unsigned)err >= APP__MAX)
		return "unknown error";
	return app_err_text[err];
}

/* "found", "absent" or "unknown", for logs. */
const char *
lookup_name(enum lookup l)
{
	switch (l) {
	case LOOKUP_FOUND:
		return "found";
	case LOOKUP_ABSENT:
		return "absent";
	case LOOKUP_UNKNOWN:
		break;
	}
	return "unknown";
}
