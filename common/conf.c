/* Configuration file parser and lookups; see conf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conf.h"
#include "abc_limits.h"
#include "xmalloc.h"

/* Room for "ABC_" + key + NUL, and for a key plus "_file". */
#define CONF_ENV_MAX	(4 + CONF_KEY_MAX + 1)
#define CONF_FKEY_MAX	(CONF_KEY_MAX + 6)
/* Describes where a value came from, e.g. "abc.conf:12". */
#define CONF_SRC_MAX	256
/* Escaped copy of an untrusted value shown in errors. */
#define CONF_REPR_MAX	(64 * 4 + 4)
/* Largest file conf_load() reads: every line at its limit. */
#define CONF_FILE_MAX	((size_t)LIMIT_CONF_LINES * (LIMIT_CONF_LINE + 2))

struct conf_ent {
	char	*key;		/* owned */
	char	*val;		/* owned */
	size_t	 line;
};

struct conf {
	struct conf_ent	*ents;	/* owned, nents used of cap */
	size_t		 nents;
	size_t		 cap;
	char		*name;	/* owned, file name used in messages */
};

struct conf_bool_word {
	const char	*word;
	int		 val;
};

static const struct conf_bool_word conf_bool_words[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
};

static void	 conf_fmt(char *out, size_t outlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 conf_repr(const char *s, char *out, size_t outlen);
static void	 conf_trim(const char **p, size_t *len);
static int	 conf_key_valid(const char *k, size_t len);
static const struct conf_ent *conf_find(const struct conf *c, const char *k,
		    size_t len);
static void	 conf_add(struct conf *c, const char *k, size_t klen,
		    const char *v, size_t vlen, size_t line);
static int	 conf_line(struct conf *c, const char *p, size_t len,
		    size_t line, char *why, size_t whylen);
static const char *conf_lookup(const struct conf *c, const char *key,
		    char *src, size_t srclen);
static int	 conf_strtoll(const char *s, long long *out);
static char	*conf_read_secret(const char *path, const char *key,
		    const char *src, char *err, size_t errlen);

/* Format into out (a message or origin buffer) if it has room at all. */
static void
conf_fmt(char *out, size_t outlen, const char *fmt, ...)
{
	va_list	 ap;

	if (out == NULL || outlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

/*
 * Copy at most 64 bytes of the untrusted string s into out, escaping
 * anything but printable ASCII (and '"' and '\') as \xNN.
 */
static void
conf_repr(const char *s, char *out, size_t outlen)
{
	struct buf	 b;
	size_t		 i;
	unsigned char	 ch;

	buf_init(&b, outlen - 1);
	for (i = 0; s[i] != '\0' && i < 64; i++) {
		ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
			(void)buf_printf(&b, "\\x%02x", ch);
		else
			(void)buf_add(&b, &ch, 1);
	}
	if (s[i] != '\0')
		(void)buf_addstr(&b, "...");
	(void)snprintf(out, outlen, "%s", b.data == NULL ? "" :
	    (const char *)b.data);
	buf_clear(&b);
}

/* Strip spaces and tabs from both ends of (*p, *len). */
static void
conf_trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

/* Returns 1 if k matches [a-z][a-z0-9_]* and is at most CONF_KEY_MAX. */
static int
conf_key_valid(const char *k, size_t len)
{
	size_t	 i;

	if (len == 0 || len > CONF_KEY_MAX || k[0] < 'a' || k[0] > 'z')
		return 0;
	for (i = 1; i < len; i++) {
		if ((k[i] < 'a' || k[i] > 'z') && (k[i] < '0' || k[i] > '9') &&
		    k[i] != '_')
			return 0;
	}
	return 1;
}

/* Returns the entry for key (k, len) from the file, or NULL. */
static const struct conf_ent *
conf_find(const struct conf *c, const char *k, size_t len)
{
	size_t	 i;

	for (i = 0; i < c->nents; i++) {
		if (strlen(c->ents[i].key) == len &&
		    memcmp(c->ents[i].key, k, len) == 0)
			return &c->ents[i];
	}
	return NULL;
}

/* Append one entry; the strings are copied. */
static void
conf_add(struct conf *c, const char *k, size_t klen, const char *v,
    size_t vlen, size_t line)
{
	if (c->nents == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		c->ents = xreallocarray(c->ents, c->cap, sizeof(*c->ents));
	}
	c->ents[c->nents].key = xstrndup(k, klen);
	c->ents[c->nents].val = xstrndup(v, vlen);
	c->ents[c->nents].line = line;
	c->nents++;
}

/*
 * Parse one line (p, len) without its line end.  Returns 0 when it was
 * accepted, or -1 with the reason in why.
 */
static int
conf_line(struct conf *c, const char *p, size_t len, size_t line, char *why,
    size_t whylen)
{
	const struct conf_ent	*dup;
	const char		*eq, *k, *v, *bad = NULL;
	size_t			 klen, vlen;

	if (len > LIMIT_CONF_LINE)
		bad = "line too long";
	else if (memchr(p, '\0', len) != NULL)
		bad = "NUL byte in line";
	else if (memchr(p, '\r', len) != NULL)
		bad = "carriage return inside line";
	if (bad != NULL)
		goto fail;
	conf_trim(&p, &len);
	if (len == 0 || p[0] == '#')
		return 0;
	if ((eq = memchr(p, '=', len)) == NULL) {
		bad = "missing '='";
		goto fail;
	}
	k = p;
	klen = (size_t)(eq - p);
	v = eq + 1;
	vlen = len - klen - 1;
	conf_trim(&k, &klen);
	conf_trim(&v, &vlen);
	if (conf_key_valid(k, klen) == 0) {
		bad = "invalid key (want [a-z][a-z0-9_]*, at most 64 chars)";
		goto fail;
	}
	if ((dup = conf_find(c, k, klen)) != NULL) {
		conf_fmt(why, whylen, "duplicate key %s (first on line %zu)",
		    dup->key, dup->line);
		return -1;
	}
	conf_add(c, k, klen, v, vlen, line);
	return 0;
fail:
	conf_fmt(why, whylen, "%s", bad);
	return -1;
}

/*
 * Parse len bytes of text; name (may be NULL) is used in messages.
 * Returns a new conf owned by the caller, or NULL with err set to
 * "NAME:LINE: reason".  A final line without '\n' is accepted; a '\r'
 * is accepted only directly before a '\n'.
 */
struct conf *
conf_parse(const char *text, size_t len, const char *name, char *err,
    size_t errlen)
{
	struct conf	*c;
	const char	*p, *nl;
	char		 why[128];
	size_t		 pos, llen, line;

	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name == NULL ? "config" : name);
	for (pos = 0, line = 1; pos < len; line++) {
		p = text + pos;
		nl = memchr(p, '\n', len - pos);
		llen = nl == NULL ? len - pos : (size_t)(nl - p);
		pos += llen + (nl == NULL ? 0 : 1);
		if (line > LIMIT_CONF_LINES) {
			conf_fmt(why, sizeof(why), "too many lines");
			goto fail;
		}
		/* Strip the '\r' of a "\r\n" terminator only. */
		if (nl != NULL && llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (conf_line(c, p, llen, line, why, sizeof(why)) == -1)
			goto fail;
	}
	return c;
fail:
	conf_fmt(err, errlen, "%s:%zu: %s", c->name, line, why);
	conf_free(c);
	return NULL;
}

/*
 * Read and parse the file at path; NULL gives an empty conf.  Returns a
 * new conf owned by the caller, or NULL with err set.
 */
struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct buf	 b;
	struct conf	*c = NULL;
	FILE		*f;
	char		 chunk[8192];
	size_t		 n;

	if (path == NULL)
		return conf_parse("", 0, "(none)", err, errlen);
	if ((f = fopen(path, "re")) == NULL) {
		conf_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b, CONF_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) == -1) {
			conf_fmt(err, errlen, "%s: file too large", path);
			goto out;
		}
	}
	if (ferror(f)) {
		conf_fmt(err, errlen, "%s: read error", path);
		goto out;
	}
	c = conf_parse(b.data == NULL ? "" : (const char *)b.data, b.len,
	    path, err, errlen);
out:
	(void)fclose(f);
	buf_clear(&b);
	return c;
}

/* Free c and everything it owns; NULL is a no-op. */
void
conf_free(struct conf *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nents; i++) {
		free(c->ents[i].key);
		free(c->ents[i].val);
	}
	free(c->ents);
	free(c->name);
	free(c);
}

/*
 * Returns the value of key, environment first, then the file (c may be
 * NULL), or NULL if neither has it.  When src is not NULL it receives a
 * description of where the value came from.
 */
static const char *
conf_lookup(const struct conf *c, const char *key, char *src, size_t srclen)
{
	const struct conf_ent	*e = NULL;
	const char		*v;
	char			 env[CONF_ENV_MAX];
	size_t			 i, klen;

	klen = strlen(key);
	if (klen <= CONF_KEY_MAX) {
		memcpy(env, "ABC_", 4);
		for (i = 0; i <= klen; i++)
			env[4 + i] = (key[i] >= 'a' && key[i] <= 'z') ?
			    (char)(key[i] - 'a' + 'A') : key[i];
		if ((v = getenv(env)) != NULL) {
			conf_fmt(src, srclen, "environment %s", env);
			return v;
		}
	}
	if (c != NULL)
		e = conf_find(c, key, klen);
	if (e == NULL)
		return NULL;
	conf_fmt(src, srclen, "%s:%zu", c->name, e->line);
	return e->val;
}

/*
 * Returns the value of key from the environment or the file, or def.  The
 * result is borrowed: valid while c lives and the environment is unchanged.
 */
const char *
conf_str(const struct conf *c, const char *key, const char *def)
{
	const char	*v;

	v = conf_lookup(c, key, NULL, 0);
	return v == NULL ? def : v;
}

/* Strict base-10 parse of all of s.  Returns 0 or -1. */
static int
conf_strtoll(const char *s, long long *out)
{
	const char	*d;
	char		*end;
	long long	 v;

	d = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
	if (*d < '0' || *d > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * Set *out to the integer value of key, or to def when it is not set.
 * Returns 0, or -1 with err naming the key and the value's origin when the
 * value is not a plain base-10 integer in [min, max]; *out is then
 * untouched.
 */
int
conf_int(const struct conf *c, const char *key, long long min, long long max,
    long long def, long long *out, char *err, size_t errlen)
{
	const char	*v;
	char		 src[CONF_SRC_MAX], repr[CONF_REPR_MAX];
	long long	 n;

	if ((v = conf_lookup(c, key, src, sizeof(src))) == NULL) {
		*out = def;
		return 0;
	}
	if (conf_strtoll(v, &n) == -1) {
		conf_repr(v, repr, sizeof(repr));
		conf_fmt(err, errlen, "%s: not an integer: \"%s\" (from %s)",
		    key, repr, src);
		return -1;
	}
	if (n < min || n > max) {
		conf_fmt(err, errlen, "%s: %lld out of range %lld..%lld "
		    "(from %s)", key, n, min, max, src);
		return -1;
	}
	*out = n;
	return 0;
}

/*
 * Set *out to 1 or 0 from key (yes/no, true/false, on/off, 1/0, any case),
 * or to def when it is not set.  Returns 0, or -1 with err set.
 */
int
conf_bool(const struct conf *c, const char *key, int def, int *out,
    char *err, size_t errlen)
{
	const char	*v;
	char		 src[CONF_SRC_MAX], repr[CONF_REPR_MAX];
	size_t		 i;

	if ((v = conf_lookup(c, key, src, sizeof(src))) == NULL) {
		*out = def;
		return 0;
	}
	for (i = 0; i < sizeof(conf_bool_words) / sizeof(conf_bool_words[0]);
	    i++) {
		if (strcasecmp(v, conf_bool_words[i].word) == 0) {
			*out = conf_bool_words[i].val;
			return 0;
		}
	}
	conf_repr(v, repr, sizeof(repr));
	conf_fmt(err, errlen, "%s: not a boolean: \"%s\" (from %s)", key, repr,
	    src);
	return -1;
}

/*
 * Returns the first line of the file at path without its line end, as a
 * new string the caller frees, or NULL with err set.  The line is at most
 * LIMIT_CONF_LINE bytes, not empty and holds no NUL.
 */
static char *
conf_read_secret(const char *path, const char *key, const char *src,
    char *err, size_t errlen)
{
	FILE		*f;
	char		*raw, *nl, *res = NULL;
	char		 repr[CONF_REPR_MAX];
	size_t		 n, cap = LIMIT_CONF_LINE + 2;
	const char	*why = NULL;

	conf_repr(path, repr, sizeof(repr));
	if ((f = fopen(path, "re")) == NULL) {
		conf_fmt(err, errlen, "%s: cannot open \"%s\" (from %s): %s",
		    key, repr, src, strerror(errno));
		return NULL;
	}
	raw = xmalloc(cap);
	n = fread(raw, 1, cap, f);
	if ((nl = memchr(raw, '\n', n)) != NULL)
		n = (size_t)(nl - raw);
	if (n > 0 && raw[n - 1] == '\r')
		n--;
	if (ferror(f))
		why = "read error";
	else if (n > LIMIT_CONF_LINE)
		why = "first line too long";
	else if (n == 0)
		why = "empty first line";
	else if (memchr(raw, '\0', n) != NULL)
		why = "NUL byte in first line";
	else
		res = xstrndup(raw, n);
	if (why != NULL)
		conf_fmt(err, errlen, "%s: file \"%s\" (from %s): %s", key,
		    repr, src, why);
	explicit_bzero(raw, cap);
	free(raw);
	(void)fclose(f);
	return res;
}

/*
 * Returns the first line of the file at path, read as a "KEY_file" secret
 * is, as a new string the caller frees, or NULL with err set (naming
 * "what", never the secret).  For a secret named on a command line, which
 * should not carry the secret itself (ps shows it to every local user).
 */
char *
conf_secret_file(const char *path, const char *what, char *err,
    size_t errlen)
{
	return conf_read_secret(path, what, "the command line", err, errlen);
}

/*
 * Returns the secret named key as a new string the caller frees: the first
 * line of the file named by key_file when that is set, else the value of
 * key.  Returns NULL with err set when neither is set, the value is empty
 * or the file cannot be read.
 */
char *
conf_secret(const struct conf *c, const char *key, char *err, size_t errlen)
{
	const char	*v;
	char		 fkey[CONF_FKEY_MAX], src[CONF_SRC_MAX];
	int		 n;

	n = snprintf(fkey, sizeof(fkey), "%s_file", key);
	if (n < 0 || (size_t)n >= sizeof(fkey)) {
		conf_fmt(err, errlen, "%s: key too long", key);
		return NULL;
	}
	if ((v = conf_lookup(c, fkey, src, sizeof(src))) != NULL)
		return conf_read_secret(v, key, src, err, errlen);
	if ((v = conf_lookup(c, key, src, sizeof(src))) == NULL) {
		conf_fmt(err, errlen, "%s: not set (set %s or %s)", key, key,
		    fkey);
		return NULL;
	}
	if (v[0] == '\0') {
		conf_fmt(err, errlen, "%s: empty value (from %s)", key, src);
		return NULL;
	}
	return xstrdup(v);
}
