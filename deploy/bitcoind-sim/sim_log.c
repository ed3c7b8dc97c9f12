/*
 * Event log of abc-bitcoind-sim.  Lines go to stderr unbuffered so that a
 * test reading the log sees each event as soon as it happens.  Logging
 * never changes errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "sim_log.h"

/*
 * Print one event line.  "fmt" formats the key=value tail and may be NULL
 * or empty.  Values that come from clients must go through sim_log_escape()
 * first.
 */
void
sim_log(const char *level, const char *event, const char *fmt, ...)
{
	char	 tail[1024];
	va_list	 ap;
	int	 saved_errno;

	saved_errno = errno;
	tail[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(tail, sizeof(tail), fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "level=%s prog=abc-bitcoind-sim event=%s%s%s\n",
	    level, event, tail[0] != '\0' ? " " : "", tail);
	errno = saved_errno;
}

/*
 * Copy at most SIM_LOG_MAXVAL bytes of untrusted "src" into "dst" so that
 * the result is one logfmt token: bytes outside printable ASCII, spaces,
 * quotes, backslashes and '=' become \xNN.  A cut value ends in "...".
 * "dst" is always NUL-terminated when dstlen > 0.
 */
void
sim_log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o, n;
	unsigned char		 c;

	if (dstlen == 0)
		return;
	n = srclen > SIM_LOG_MAXVAL ? SIM_LOG_MAXVAL : srclen;
	for (i = 0, o = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' &&
		    c != '=') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
			continue;
		}
		if (o + 4 >= dstlen)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 0xf];
	}
	if ((i < srclen) && o + 3 < dstlen) {
		dst[o++] = '.';
		dst[o++] = '.';
		dst[o++] = '.';
	}
	dst[o] = '\0';
}
