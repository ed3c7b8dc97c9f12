/* One-line structured logging; see log.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Longest program name kept; longer ones are cut. */
#define LOG_PROG_MAX	64

/* The log state: one of the allowed mutable globals (STYLE rule 20). */
static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;
static char		 log_prog[LOG_PROG_MAX] = "abc";
static enum log_level	 log_min = LOG_LVL_INFO;
static FILE		*log_out = NULL;	/* borrowed; NULL: stderr */

/* Indexed by enum log_level. */
static const char *const log_level_names[LOG_LVL__MAX] = {
	"debug",
	"info",
	"warn",
	"error",
};

static size_t	log_prefix(char *line, size_t size, enum log_level lvl,
		    const char *event);
static size_t	log_escape(char *line, size_t pos, size_t size,
		    const char *text);

/*
 * Set the program name shown in every line (copied; NULL keeps the old
 * one) and the lowest level written.
 */
void
log_init(const char *prog, enum log_level min)
{
	int	 saved = errno;

	(void)pthread_mutex_lock(&log_mtx);
	if (prog != NULL)
		(void)snprintf(log_prog, sizeof(log_prog), "%s", prog);
	if ((unsigned)min < LOG_LVL__MAX)
		log_min = min;
	(void)pthread_mutex_unlock(&log_mtx);
	errno = saved;
}

/* Send lines to f (borrowed, must stay open) instead; NULL is stderr. */
void
log_set_output(FILE *f)
{
	(void)pthread_mutex_lock(&log_mtx);
	log_out = f;
	(void)pthread_mutex_unlock(&log_mtx);
}

/*
 * Parse a level name ("debug", "info", "warn" or "warning", "error").
 * Returns 0 and sets *out, or -1 leaving it alone.
 */
int
log_level_parse(const char *s, enum log_level *out)
{
	int	 i;

	if (s == NULL)
		return -1;
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	for (i = 0; i < LOG_LVL__MAX; i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/*
 * Write "ts=... level=... prog=... event=... " into line; the prog and
 * event go through the escaper too.  Returns the length written, which
 * is less than size.  Called with log_mtx held (reads log_prog).
 */
static size_t
log_prefix(char *line, size_t size, enum log_level lvl, const char *event)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 date[32];
	int		 n;
	size_t		 pos;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		(void)snprintf(date, sizeof(date), "1970-01-01T00:00:00");
		ts.tv_nsec = 0;
	}
	n = snprintf(line, size, "ts=%s.%03ldZ level=%s prog=", date,
	    ts.tv_nsec / 1000000L, log_level_names[lvl]);
	pos = (n < 0 || (size_t)n >= size) ? 0 : (size_t)n;
	pos = log_escape(line, pos, size, log_prog);
	pos = log_escape(line, pos, size, " event=");
	pos = log_escape(line, pos, size, event == NULL ? "-" : event);
	pos = log_escape(line, pos, size, " ");
	return pos;
}

/*
 * Append text to line at pos, writing bytes below 0x20, 0x7f and above as
 * \xNN, never past size - 1 and never splitting an escape.  Returns the
 * new length; line[pos] is always a NUL.
 */
static size_t
log_escape(char *line, size_t pos, size_t size, const char *text)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (pos + 1 >= size)
				break;
			line[pos++] = (char)*p;
			continue;
		}
		if (pos + 4 >= size)
			break;
		line[pos++] = '\\';
		line[pos++] = 'x';
		line[pos++] = hex[*p >> 4];
		line[pos++] = hex[*p & 0xf];
	}
	line[pos] = '\0';
	return pos;
}

/*
 * Write one line for an event of level lvl if lvl is enabled.  fmt
 * should produce "key=value ..." text; the result is escaped and the line
 * cut to LOG_LINE_MAX bytes including its '\n'.  errno is preserved.
 */
void
log_msg(enum log_level lvl, const char *event, const char *fmt, ...)
{
	va_list	 ap;
	char	 text[LOG_LINE_MAX], line[LOG_LINE_MAX];
	size_t	 pos;
	int	 saved = errno;
	FILE	*out;

	if ((unsigned)lvl >= LOG_LVL__MAX)
		lvl = LOG_LVL_ERROR;
	(void)pthread_mutex_lock(&log_mtx);
	if (lvl < log_min)
		goto out;
	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	/* At most sizeof(line) - 1 bytes; the '\n' replaces the NUL. */
	pos = log_prefix(line, sizeof(line), lvl, event);
	pos = log_escape(line, pos, sizeof(line), text);
	line[pos++] = '\n';
	out = log_out == NULL ? stderr : log_out;
	(void)fwrite(line, 1, pos, out);
	(void)fflush(out);
out:
	(void)pthread_mutex_unlock(&log_mtx);
	errno = saved;
}
