/*
 * abc-web's hashing pool (issue 14): the scrypt of logins, registrations
 * and re-entered passwords runs here, on the front-end, so that logins
 * scale with front-ends and abc-worker only compares.  The pool has its
 * own threads, separate from the FastCGI page threads; a page thread
 * that needs a key calls kdfpool_derive and waits for it.
 *
 * Admission is by time: a job is refused at once ("busy") when
 * max_queued jobs already wait, or when at the pace the pool measured it
 * could not start within deadline_ms; a job that is still queued when its
 * deadline passes is answered "busy" without running.  So a caller waits
 * at most deadline_ms plus one run, and since at most threads + max_queued
 * page threads can be waiting here (keep that below abc-web's `threads`),
 * a login storm never takes every page thread.
 *
 * CPU: the pool's threads (named "abc-kdf") run at SCHED_IDLE, or nice 19
 * where that is refused (logged once), so that page threads sharing their
 * CPU are always scheduled first.  The other side of it: while pages keep
 * every CPU busy the hashing gets almost nothing, so a job already running
 * takes that much longer (its caller waits; edge may time it out) and the
 * pace it measures makes the pool answer the next ones "busy".  That
 * cannot help against a CPU quota (a cgroup's cpu.max) that the hashing
 * uses up: the kernel then stops the whole process, pages too, until the
 * quota's next period.  Give abc-web no quota, or a short period (see
 * tests/bench/README.md).
 *
 * Memory: each running job holds 128 * n * r * p bytes (128 MiB at the
 * defaults), so the pool's peak is threads times that.  Ownership: the
 * pool owns its threads and queue; a job lives on its caller's stack and
 * the pool never touches it after answering.  kdfpool_derive writes the
 * key into the caller's buffer; the password is only read, never copied.
 */
#ifndef ABC_KDFPOOL_H
#define ABC_KDFPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "scrypt.h"

#define KDFPOOL_THREADS_MAX	64
#define KDFPOOL_DEADLINE_MAX	600000

enum kdfpool_rc {
	KDFPOOL_OK = 0,
	KDFPOOL_BUSY,		/* refused or past its deadline: try again */
	KDFPOOL_FAILED		/* bad arguments or the KDF failed */
};

/* What the pool did since it started. */
struct kdfpool_stats {
	uint64_t	 ran;		/* keys derived */
	uint64_t	 refused;	/* turned away at once */
	uint64_t	 expired;	/* queued past their deadline */
	size_t		 queued;	/* waiting now */
	int		 running;	/* being derived now */
	int64_t		 avg_run_us;	/* measured pace, 0 before any */
	int		 lowered;	/* threads at SCHED_IDLE or nice 19 */
};

struct kdfpool;

struct kdfpool	*kdfpool_start(int threads, size_t max_queued,
		    int64_t deadline_ms);
enum kdfpool_rc	 kdfpool_derive(struct kdfpool *pool, const char *password,
		    size_t pwlen, const uint8_t *salt, size_t saltlen,
		    const struct kdf_params *params, uint8_t *out,
		    size_t outlen);
void		 kdfpool_get_stats(struct kdfpool *pool,
		    struct kdfpool_stats *st);
void		 kdfpool_stop(struct kdfpool *pool);

#endif /* ABC_KDFPOOL_H */
