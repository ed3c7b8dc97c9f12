/* fuzz-sources: common/hostport.c */
/*
 * libFuzzer target for the link's host:port parser: any bytes either
 * parse into a bounded, printable host and a port in range that parse
 * again to the same, or fail with a terminated reason; as a list, they
 * give 1 to HOSTPORT_LIST_MAX addresses or a terminated reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostport.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage	 ss;
	struct hostport		 hp, again;
	socklen_t		 len;
	char			*s, err[128], text[HOSTPORT_HOST_MAX + 16];

	struct hostport		 list[HOSTPORT_LIST_MAX];
	size_t			 n = 0;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (hostport_parse_list(s, list, &n, err, sizeof(err)) == 0) {
		if (n < 1 || n > HOSTPORT_LIST_MAX)
			__builtin_trap();
	} else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
		__builtin_trap();
	if (hostport_parse(s, &hp, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			__builtin_trap();
		free(s);
		return 0;
	}
	if (hp.port < 1 || hp.port > 65535 || hp.host[0] == '\0' ||
	    memchr(hp.host, '\0', sizeof(hp.host)) == NULL)
		__builtin_trap();
	snprintf(text, sizeof(text), hp.v6 ? "[%s]:%d" : "%s:%d", hp.host,
	    hp.port);
	if (hostport_parse(text, &again, NULL, 0) != 0 ||
	    strcmp(again.host, hp.host) != 0 || again.port != hp.port ||
	    again.v6 != hp.v6)
		__builtin_trap();
	(void)hostport_sockaddr(&hp, &ss, &len);
	free(s);
	return 0;
}
