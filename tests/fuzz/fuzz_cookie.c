/* fuzz-sources: web/cookie.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for Cookie parsing and Set-Cookie building.
 *
 * The input, up to its first NUL, is a Cookie header: a few names are
 * looked up with a tiny, a small and a large out buffer, and every value
 * returned must be NUL-terminated cookie-octets that fit.  The input also
 * feeds cookie_set(): byte 0 picks the flags, and the rest split at the
 * first '=' gives name and value; on success the line must look right,
 * and on failure nothing may have been appended.  Seeds:
 * tests/fuzz/corpus/cookie/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cookie.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_check_value(const char *v, size_t outlen);
static void	fuzz_get(const char *header);
static void	fuzz_set(const uint8_t *data, size_t size);

/* Aborts unless v is a C string shorter than outlen of cookie-octets. */
static void
fuzz_check_value(const char *v, size_t outlen)
{
	size_t		 i, n;
	unsigned char	 c;

	n = strnlen(v, outlen);
	if (n >= outlen)
		abort();
	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' ||
		    c == ';' || c == '\\')
			abort();
	}
}

/* Looks a few names up in header with several buffer sizes. */
static void
fuzz_get(const char *header)
{
	static const char *const names[] = {
		"session", "s", "a", "csrf", "",
	};
	static const size_t	 sizes[] = { 1, 4, 64, 8193 };
	char			*out;
	size_t			 i, j;
	int			 rc;

	out = malloc(8193);
	if (out == NULL)
		abort();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			rc = cookie_get(header, names[i], out, sizes[j]);
			if (rc == 0)
				fuzz_check_value(out, sizes[j]);
			else if (rc != -1 && rc != -2)
				abort();
		}
	(void)cookie_get(NULL, "s", out, 64);
	free(out);
}

/* Builds a Set-Cookie line from input-derived name, value and flags. */
static void
fuzz_set(const uint8_t *data, size_t size)
{
	struct buf	 b;
	char		*name, *value, *eq;
	long		 max_age;
	int		 flags;

	if (size < 1)
		return;
	flags = data[0] & 0x1f;		/* includes one unknown bit */
	max_age = (long)(data[0] >> 5) - 2;
	name = malloc(size);
	if (name == NULL)
		abort();
	memcpy(name, data + 1, size - 1);
	name[size - 1] = '\0';
	if ((eq = strchr(name, '=')) != NULL) {
		*eq = '\0';
		value = eq + 1;
	} else
		value = name + strlen(name);
	buf_init(&b, 0);
	if (buf_addstr(&b, "X") == -1)
		abort();
	if (cookie_set(&b, name, value, max_age, flags) == 0) {
		if (b.len < 1 + strlen("Set-Cookie: =; Path=/\r\n") ||
		    memcmp(b.data, "XSet-Cookie: ", 13) != 0 ||
		    memcmp(b.data + b.len - 2, "\r\n", 2) != 0 ||
		    memchr(b.data, '\n', b.len - 1) != NULL)
			abort();
	} else if (b.len != 1)
		abort();
	buf_clear(&b);
	free(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*header;

	header = malloc(size + 1);
	if (header == NULL)
		abort();
	memcpy(header, data, size);
	header[size] = '\0';
	fuzz_get(header);
	free(header);
	fuzz_set(data, size);
	return 0;
}
