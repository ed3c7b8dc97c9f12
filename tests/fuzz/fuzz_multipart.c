/* fuzz-sources: web/multipart.c common/xmalloc.c common/utf8.c */
/*
 * libFuzzer target for the multipart/form-data parser.  The first input
 * byte picks a boundary from a small table (its low bits; an index past
 * the table uses the boundary the rest of the input was seeded with), the
 * rest is the body.  Rejections are expected outcomes; on success every
 * part is checked against the parser's promises (count, name rules,
 * unique names, data inside the body, UTF-8 text values, multipart_get()
 * finds each part) and a violation aborts.  The boundary parser gets the
 * body as a Content-Type too.  Seeds: tests/fuzz/corpus/multipart/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_check(const struct multipart *m, const uint8_t *body,
		    size_t len);

/* Aborts unless m, parsed from the len bytes at body, keeps its promises. */
static void
fuzz_check(const struct multipart *m, const uint8_t *body, size_t len)
{
	const struct mp_part	*pt;
	size_t			 i, j, nlen;

	if (m->n > MP_MAX_PARTS || (m->n == 0) != (m->parts == NULL))
		abort();
	for (i = 0; i < m->n; i++) {
		pt = &m->parts[i];
		nlen = strlen(pt->name);
		if (nlen == 0 || nlen > MP_MAX_NAME ||
		    strspn(pt->name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != nlen)
			abort();
		if (pt->data < body || pt->len > len ||
		    (size_t)(pt->data - body) > len - pt->len)
			abort();
		if (pt->filename == NULL && pt->len > 0 &&
		    memchr(pt->data, '\0', pt->len) != NULL)
			abort();
		if (pt->content_type != NULL &&
		    strlen(pt->content_type) > MP_MAX_HEADER)
			abort();
		if (multipart_get(m, pt->name) != pt)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(m->parts[j].name, pt->name) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const bounds[] = {
		"b", "xy", "----WebKitFormBoundaryQ3Kx7bZ9pL2mN8rT",
		"---------------------------9051914041544843365972754266",
		"a b:c?", "-",
	};
	static const char *const names[] = {
		"nickname", "hover", "url", "image", "", "a",
	};
	struct multipart	 m;
	enum mp_err		 err;
	char			*ct, out[MP_MAX_BOUNDARY + 1];
	const char		*b;
	size_t			 i, k;

	if (size == 0)
		return 0;
	k = data[0] % 8;
	b = k < sizeof(bounds) / sizeof(bounds[0]) ? bounds[k] : "b";
	data++;
	size--;

	err = multipart_parse(data, size, b, &m);
	if ((unsigned)err >= MP_ERR__MAX || multipart_strerror(err) == NULL)
		abort();
	if (err != MP_OK && (m.n != 0 || m.parts != NULL))
		abort();
	if (err == MP_OK)
		fuzz_check(&m, data, size);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)multipart_get(&m, names[i]);
	multipart_clear(&m);

	/* The same bytes as a Content-Type header value. */
	ct = malloc(size + 1);
	if (ct == NULL)
		abort();
	memcpy(ct, data, size);
	ct[size] = '\0';
	if (multipart_boundary(ct, out, sizeof(out)) == 0 &&
	    (strlen(out) == 0 || strlen(out) > MP_MAX_BOUNDARY))
		abort();
	free(ct);
	return 0;
}
