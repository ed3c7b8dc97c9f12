/*
 * abc-web's log lines, written in batches (issue 12, row c3).  common/log.c
 * writes each line with one write(2) of its own; at one "request" line per
 * page that was a tenth of abc-web's CPU per logged-in page.  A logbuf is
 * a stdio stream (log_set_output) whose lines are kept in memory and
 * written to the fd by a thread of its own every flush_ms, in order, in
 * one write each time.  A line that is not "level=debug" or "level=info"
 * (a warning or an error) is written at once, after the lines before it:
 * what goes wrong is never held back.  Past LOGBUF_MAX bytes waiting, a
 * line is written at once too (the fd is slower than the lines).
 *
 * Ownership: logbuf_start returns a logbuf owned by the caller, who ends
 * it with logbuf_stop (every line kept is written) after log_set_output
 * stopped pointing at its stream.  The fd is borrowed and stays open.
 * Thread-safe: any thread may write lines; common/log.c serialises them.
 */
#ifndef ABC_LOGBUF_H
#define ABC_LOGBUF_H

#include <stdio.h>

/* Bytes waiting past which a line is written at once. */
#define LOGBUF_MAX	(1024u * 1024u)

struct logbuf;

struct logbuf	*logbuf_start(int fd, int flush_ms);
FILE		*logbuf_file(struct logbuf *lb);
void		 logbuf_flush(struct logbuf *lb);
void		 logbuf_stop(struct logbuf *lb);

#endif /* ABC_LOGBUF_H */
