/*
 * Logging for abc-bitcoind-sim: one line per event on stderr, in the form
 * "level=info prog=abc-bitcoind-sim event=NAME key=value ...".  Nothing is
 * allocated; callers keep ownership of every string they pass.
 */
#ifndef SIM_LOG_H
#define SIM_LOG_H

#include <stddef.h>

/* Longest untrusted value that is copied into a log line (before escaping). */
#define SIM_LOG_MAXVAL	64u

void	sim_log(const char *level, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	sim_log_escape(char *dst, size_t dstlen, const char *src,
	    size_t srclen);

#endif /* SIM_LOG_H */
