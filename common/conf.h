/*
 * The configuration file (SPEC 7): one "key = value" per line, '#' comment
 * lines, parsed once at startup.  Every lookup first checks the environment
 * variable ABC_<KEY IN UPPER CASE>, which overrides the file whenever it is
 * set, even to an empty string.
 *
 * Memory: conf_parse()/conf_load() return a struct conf owned by the caller
 * and released with conf_free().  conf_str() returns borrowed strings;
 * conf_secret() and conf_secret_file() return a string the caller frees.
 * Error texts go to the caller's err buffer (may be NULL when errlen is 0)
 * and never contain a secret.
 */
#ifndef ABC_CONF_H
#define ABC_CONF_H

#include <stddef.h>

/* Longest key accepted in a file. */
#define CONF_KEY_MAX	64

struct conf;

struct conf	*conf_parse(const char *text, size_t len, const char *name,
		    char *err, size_t errlen);
struct conf	*conf_load(const char *path, char *err, size_t errlen);
void		 conf_free(struct conf *c);

const char	*conf_str(const struct conf *c, const char *key,
		    const char *def);
int		 conf_int(const struct conf *c, const char *key, long long min,
		    long long max, long long def, long long *out, char *err,
		    size_t errlen);
int		 conf_bool(const struct conf *c, const char *key, int def,
		    int *out, char *err, size_t errlen);
char		*conf_secret(const struct conf *c, const char *key, char *err,
		    size_t errlen);
char		*conf_secret_file(const char *path, const char *what, char *err,
		    size_t errlen);

#endif /* ABC_CONF_H */
