/* fuzz-sources: common/conf.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for the configuration parser: parse the input, then
 * look up a few keys as string, integer and boolean.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "a", "http_port", "debug", "x_1",
	    "log_level" };
	struct conf	*c;
	char		 err[256];
	const char	*s;
	long long	 n;
	size_t		 i;
	int		 b;

	c = conf_parse((const char *)data, size, "fuzz.conf", err,
	    sizeof(err));
	if (c == NULL) {
		/* Errors are always "NAME:LINE: reason" and terminated. */
		if (strncmp(err, "fuzz.conf:", 10) != 0 ||
		    memchr(err, '\0', sizeof(err)) == NULL)
			__builtin_trap();
		return 0;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		s = conf_str(c, keys[i], NULL);
		if (s != NULL && strchr(s, '\r') != NULL)
			__builtin_trap();
		(void)conf_int(c, keys[i], -1000, 1000, 0, &n, err,
		    sizeof(err));
		(void)conf_int(c, keys[i], INT64_MIN, INT64_MAX, 0, &n, err,
		    sizeof(err));
		(void)conf_bool(c, keys[i], 0, &b, err, sizeof(err));
	}
	conf_free(c);
	return 0;
}
