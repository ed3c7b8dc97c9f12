/* fuzz-sources: web/clientaddr.c */
/*
 * libFuzzer target for web/clientaddr.c: the input, split at its first
 * newline, is an address list (trusted proxies) and an X-Forwarded-For
 * header; it is resolved with several REMOTE_ADDRs and output sizes.  The
 * result must be a NUL-terminated string that fits, and either REMOTE_ADDR
 * itself or an address (never garbage from the header).  Seeds:
 * tests/fuzz/corpus/clientaddr/.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientaddr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s is a textual IPv4 or IPv6 address. */
static int
is_addr(const char *s)
{
	uint8_t	 b[16];

	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const remotes[] = {
		"127.0.0.1", "::1", "10.1.2.3", "", "unix:", NULL,
	};
	static const size_t	 sizes[] = { 1, 8, CLIENTADDR_LEN };
	struct addrlist		 l;
	char			*in, *nl, *xff, out[CLIENTADDR_LEN], err[128];
	size_t			 i, j;

	in = malloc(size + 1);
	if (in == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';
	xff = in + strlen(in);
	if ((nl = strchr(in, '\n')) != NULL) {
		*nl = '\0';
		xff = nl + 1;
	}
	if (addrlist_parse(in, &l, err, sizeof(err)) != 0)
		(void)addrlist_parse("127.0.0.0/8 ::1 10.0.0.0/8", &l, err,
		    sizeof(err));
	if (l.n > ADDRLIST_MAX)
		abort();
	(void)addrlist_has(&l, xff);
	for (i = 0; i < sizeof(remotes) / sizeof(remotes[0]); i++)
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			memset(out, 'x', sizeof(out));
			clientaddr_resolve(remotes[i], xff, &l, out, sizes[j]);
			if (strnlen(out, sizes[j]) >= sizes[j])
				abort();
			if (sizes[j] == CLIENTADDR_LEN && remotes[i] != NULL &&
			    strcmp(out, remotes[i]) != 0 && !is_addr(out))
				abort();
		}
	free(in);
	return 0;
}
