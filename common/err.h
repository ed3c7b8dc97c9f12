/*
 * The project's one error enum.  Simple module functions return 0/-1 or
 * pointer/NULL; this enum is for callers that must tell failures apart.
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

const char	*app_strerror(enum app_err err);

#endif /* ABC_ERR_H */
