/* fuzz-sources: common/abc_link.c common/frame.c common/buf.c common/xmalloc.c common/log.c */
/*
 * libFuzzer target for the runtime fault file's parser (link_fault_parse):
 * any bytes either parse into settings within their bounds whose log form
 * parses back to the same, or fail with a terminated reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "abc_link.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_fault	 f, again;
	char			 err[128], text[96];

	if (link_fault_parse((const char *)data, size, &f, err,
	    sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (f.drop_ppm > 1000000 || f.delay_ms > 3600000 ||
	    f.cut_ms > 3600000 || f.rng != 0)
		__builtin_trap();
	link_fault_format(&f, text, sizeof(text));
	if (link_fault_parse(text, strlen(text), &again, NULL, 0) != 0 ||
	    again.drop_ppm != f.drop_ppm || again.delay_ms != f.delay_ms ||
	    again.cut_ms != f.cut_ms)
		__builtin_trap();
	return 0;
}
