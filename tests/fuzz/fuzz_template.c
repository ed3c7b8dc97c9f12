/* fuzz-sources: web/template.c common/buf.c common/xmalloc.c */
/*
 * libFuzzer target for the template compiler and renderer.  The first line
 * of the input is compiled as template "t", the rest as partial "p"; "t"
 * is rendered against a fixed data tree whose strings hold every byte the
 * escaper rewrites.  Compile and render errors are expected outcomes; the
 * sanitizers judge the rest.  Seeds: tests/fuzz/corpus/template/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "template.h"

/* Output bound: keeps memory flat for inputs that loop over lists. */
#define FUZZ_OUT_MAX	(1024u * 1024u)

/*
 * Each nested {{#items}} multiplies the work by three, so inputs with many
 * sections would only measure the fuzzer's timeout.  Templates are our own
 * code, not client input, so the engine does not bound this itself.
 */
#define FUZZ_SECTIONS_MAX	6

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns how many times "{{#" occurs in the n bytes at p. */
static size_t
fuzz_count_sections(const char *p, size_t n)
{
	const char	*hit;
	size_t		 count = 0;

	while ((hit = memmem(p, n, "{{#", 3)) != NULL) {
		count++;
		n -= (size_t)(hit + 3 - p);
		p = hit + 3;
	}
	return count;
}

/* Returns the fixed data tree, owned by the caller. */
static struct tpl_val *
fuzz_data(void)
{
	struct tpl_val	*d, *l, *it, *o;
	int		 i;

	d = tpl_obj_new();
	tpl_put_str(d, "title", "<script>alert('x&y')</script>");
	tpl_put_str(d, "name", "\"quoted\" & 'single' `tick` a=b");
	tpl_put_str(d, "empty", "");
	tpl_put_int(d, "n", -12345);
	tpl_put_int(d, "zero", 0);
	tpl_put_bool(d, "ok", 1);
	tpl_put_bool(d, "no", 0);
	(void)tpl_put_list(d, "none");
	o = tpl_put_obj(d, "o");
	tpl_put_str(o, "name", "<inner>");
	l = tpl_put_list(d, "items");
	for (i = 0; i < 3; i++) {
		it = tpl_list_add(l);
		tpl_put_printf(it, "name", "<item %d>&", i);
		tpl_put_int(it, "i", i);
		tpl_put_bool(it, "first", i == 0);
	}
	return d;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*src = (const char *)data, *nl;
	struct tpl_set	*s;
	struct tpl_val	*d;
	struct buf	 out;
	char		 err[256];
	size_t		 tlen;

	if (fuzz_count_sections(src, size) > FUZZ_SECTIONS_MAX)
		return 0;
	nl = memchr(src, '\n', size);
	tlen = nl == NULL ? size : (size_t)(nl - src);
	s = tpl_set_new();
	if (tpl_set_add(s, "t", src, tlen, err, sizeof(err)) == -1)
		goto out;
	if (nl != NULL && tpl_set_add(s, "p", nl + 1, size - tlen - 1, err,
	    sizeof(err)) == -1)
		goto out;
	d = fuzz_data();
	buf_init(&out, FUZZ_OUT_MAX);
	(void)tpl_render(s, "t", d, &out, err, sizeof(err));
	buf_clear(&out);
	tpl_val_free(d);
out:
	tpl_set_free(s);
	return 0;
}
