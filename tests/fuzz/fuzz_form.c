/* fuzz-sources: web/abc_form.c common/buf.c common/xmalloc.c common/utf8.c */
/*
 * libFuzzer target for the x-www-form-urlencoded parser.  The whole input
 * is one form body.  Rejections are expected outcomes; on success every
 * field is checked against the parser's promises (bounds, no NUL, allowed
 * name characters, unique names, form_get() finds each one) and a
 * violation aborts.  Seeds: tests/fuzz/corpus/form/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abc_form.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_check(const struct form *f);
static void	fuzz_local(const char *v);

/* Aborts unless f keeps every promise abc_form.h makes. */
static void
fuzz_check(const struct form *f)
{
	const struct form_field	*fld;
	size_t			 i, j, nlen;

	if (f->n > FORM_MAX_FIELDS || (f->n == 0) != (f->fields == NULL))
		abort();
	for (i = 0; i < f->n; i++) {
		fld = &f->fields[i];
		nlen = strlen(fld->name);
		if (nlen == 0 || nlen > FORM_MAX_NAME ||
		    strspn(fld->name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != nlen)
			abort();
		if (fld->value_len > FORM_MAX_VALUE ||
		    strlen(fld->value) != fld->value_len)
			abort();
		if (form_get(f, fld->name) != fld->value)
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(f->fields[j].name, fld->name) == 0)
				abort();
	}
}

/*
 * A value that form_local_path accepts never leaves the site; its
 * encoding, parsed back as a query, gives the value again.
 */
static void
fuzz_local(const char *v)
{
	struct form	 g;
	char		 enc[3 * FORM_LOCAL_MAX + 8];

	if (!form_local_path(v))
		return;
	if (v[0] != '/' || v[1] == '/' || strlen(v) > FORM_LOCAL_MAX ||
	    strchr(v, ':') != NULL || strchr(v, '\\') != NULL)
		abort();
	if (form_encode(v, enc + 2, sizeof(enc) - 2) != 0)
		abort();
	enc[0] = 'n';
	enc[1] = '=';
	if (form_parse(enc, strlen(enc), &g) != FORM_OK ||
	    form_get(&g, "n") == NULL || strcmp(form_get(&g, "n"), v) != 0)
		abort();
	form_clear(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"csrf", "username", "password", "a", "", "idem",
	};
	struct form	 f;
	enum form_err	 err;
	size_t		 i;

	err = form_parse((const char *)data, size, &f);
	if ((unsigned)err >= FORM_ERR__MAX ||
	    form_strerror(err) == NULL)
		abort();
	if (err != FORM_OK && (f.n != 0 || f.fields != NULL))
		abort();
	if (err == FORM_OK) {
		fuzz_check(&f);
		for (i = 0; i < f.n; i++)
			fuzz_local(f.fields[i].value);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)form_get(&f, names[i]);
	form_clear(&f);
	return 0;
}
