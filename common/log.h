/*
 * Structured logging: one line per event on stderr, in the form
 *
 *	ts=2026-11-21T23:07:01.123Z level=info prog=abc-worker event=EVENT k=v
 *
 * The caller's text is escaped (control bytes and non-ASCII as \xNN) so an
 * event is always exactly one line of at most LOG_LINE_MAX bytes.  Safe to
 * call from any thread; never changes errno.  All state lives inside
 * log.c; no function keeps a pointer to its arguments (log_set_output()
 * keeps the FILE *, which the caller still owns and must keep open).
 */
#ifndef ABC_LOG_H
#define ABC_LOG_H

#include <stdio.h>

#define LOG_LINE_MAX	2048

enum log_level {
	LOG_LVL_DEBUG,
	LOG_LVL_INFO,
	LOG_LVL_WARN,
	LOG_LVL_ERROR,
	LOG_LVL__MAX
};

void	log_init(const char *prog, enum log_level min);
void	log_set_output(FILE *f);
int	log_level_parse(const char *s, enum log_level *out);
void	log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* log_info("http_listen", "port=%d", port); */
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif /* ABC_LOG_H */
