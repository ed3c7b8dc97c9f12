/*
 * Password hashing for abc-worker: scrypt through OpenSSL 3's EVP_KDF, run
 * on a small pool of threads so that a login storm never stalls the event
 * loop (SPEC §4.1).  Each running job holds 128 * n * r * p bytes plus
 * 128 * n * r: about 128 MiB at the defaults, so the pool's peak memory is
 * threads * 128 MiB.  The pool bounds its queue: kdf_submit refuses a job
 * when max_queued jobs already wait or when, at the pace the pool has
 * measured, the job would wait more than max_wait_ms for a thread; the
 * caller answers "busy, try again" (back-pressure instead of unbounded
 * memory or a login that answers after the user gave up).  A burst of cheap
 * hashes is thus taken whole, and a storm of costly ones is cut short.
 *
 * Admission has two lanes (issue 10): checks of a password (KDF_VERIFY:
 * logins, re-entered passwords) and new hashes (KDF_HASH: registrations,
 * password changes).  A thread always takes the oldest check before any
 * new hash, a check's expected wait counts only the checks ahead of it
 * (plus one running job per thread), and new hashes may hold at most a
 * quarter of the queue and at most threads - 1 threads when there are
 * several: so a storm of registrations never makes a login wait behind it.
 * The pool counts what it ran and refused, per lane (kdf_get_stats).
 *
 * Ownership: a job is built by kdf_job_new_hash, kdf_job_new_verify or
 * kdf_job_new_dummy (or by hand, with a password from malloc).  kdf_submit
 * takes it when it returns 0 and leaves it with the caller when it returns
 * -1.  The finished job comes back through kdf_take_done and the caller
 * frees it with kdf_job_free.  The password is wiped (explicit_bzero) and
 * freed by the pool as soon as the KDF has run, so a finished job has
 * password NULL; kdf_job_free wipes it too if it is still there.
 * Completion is signalled by writing 1 to the eventfd given to
 * kdf_pool_start, once per finished job.
 */
#ifndef ABC_KDF_H
#define ABC_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "scrypt.h"

#define KDF_THREADS_MAX		64
#define KDF_MAX_WAIT_MS_MAX	600000

enum kdf_kind {
	KDF_HASH,		/* new salt, compute hash */
	KDF_VERIFY		/* compare against the stored hash */
};

struct kdf_job {
	enum kdf_kind		 kind;
	char			*password;	/* owned; wiped when freed */
	size_t			 pwlen;
	struct kdf_params	 params;
	/* HASH: filled with RAND_bytes by the pool; VERIFY: given. */
	uint8_t			 salt[KDF_SALT_LEN];
	/* HASH: the result; VERIFY: the stored hash to compare with. */
	uint8_t			 hash[KDF_HASH_LEN];
	int			 ok;	/* HASH: 1 on success; VERIFY: 1 if equal */
	int			 failed;	/* 1 if the KDF itself failed */
	int			 dummy;	/* VERIFY: ok is always 0 (see below) */
	void			*arg;		/* the caller's, untouched */
	struct kdf_job		*next;
};

struct kdf_pool;

/* What a pool did since it started, per kind (index: enum kdf_kind). */
struct kdf_stats {
	uint64_t	 ran[2];	/* jobs run (the KDF computed) */
	uint64_t	 refused[2];	/* jobs kdf_submit turned away */
	size_t		 queued[2];	/* waiting now */
	int64_t		 avg_run_us;	/* measured pace, 0 before any */
};

struct kdf_job	*kdf_job_new_hash(const char *password, size_t pwlen,
		    const struct kdf_params *params, void *arg);
struct kdf_job	*kdf_job_new_verify(const char *password, size_t pwlen,
		    const struct kdf_params *params,
		    const uint8_t salt[KDF_SALT_LEN],
		    const uint8_t hash[KDF_HASH_LEN], void *arg);
struct kdf_job	*kdf_job_new_dummy(const char *password, size_t pwlen,
		    void *arg);
void		 kdf_job_free(struct kdf_job *job);

struct kdf_pool	*kdf_pool_start(int threads, size_t max_queued,
		    int64_t max_wait_ms, int done_fd);
int		 kdf_submit(struct kdf_pool *pool, struct kdf_job *job);
struct kdf_job	*kdf_take_done(struct kdf_pool *pool);
size_t		 kdf_queued(struct kdf_pool *pool);
void		 kdf_get_stats(struct kdf_pool *pool, struct kdf_stats *st);
void		 kdf_pool_stop(struct kdf_pool *pool);

#endif /* ABC_KDF_H */
