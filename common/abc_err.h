/*
 * The project's error enum, for callers that must tell failures apart
 * (simple module functions return 0/-1 or pointer/NULL), and the outcome of
 * a lookup, which must tell absence from failure.
 */
#ifndef ABC_ERR_H
#define ABC_ERR_H

#define APP_ERR_MAP(X)							\
	X(APP_OK,	"ok")						\
	X(APP_ENOMEM,	"out of memory")				\
	X(APP_EINVAL,	"invalid input")				\
	X(APP_ENOENT,	"not found")					\
	X(APP_EAUTH,	"not authorised")				\
	X(APP_EDB,	"database error")				\
	X(APP_EPEER,	"peer unreachable")				\
	X(APP_ETIMEDOUT, "timed out")					\
	X(APP_EPROTO,	"protocol violation")				\
	X(APP_ESYS,	"system error")

enum app_err {
#define APP_ERR_ENUM(name, text) name,
	APP_ERR_MAP(APP_ERR_ENUM)
#undef APP_ERR_ENUM
	APP__MAX
};

/*
 * What reading something found (SPEC 6: a failure is never shown as a
 * fact).  Only a read that succeeded may say ABSENT ("no such campaign",
 * "not logged in"); a read that failed or did not answer in time is
 * UNKNOWN, which callers answer as "try again" (or with a stale copy),
 * never as absence.  A switch over it names all three.
 */
enum lookup {
	LOOKUP_FOUND,		/* a successful read found it */
	LOOKUP_ABSENT,		/* a successful read found nothing */
	LOOKUP_UNKNOWN		/* the read failed: could not tell */
};

const char	*app_strerror(enum app_err err);
const char	*lookup_name(enum lookup l);

#endif /* ABC_ERR_H */
