/*
 * Template engine: data trees, the compiler and the renderer.
 *
 * A template is compiled once into a tree of nodes.  Text and names are not
 * copied per node: each node points into the template's own copy of its
 * source.  Rendering walks the tree with a chain of contexts that lives on
 * the C stack, so it allocates nothing but output and touches nothing
 * shared; that is what makes concurrent rendering safe.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "abc_limits.h"
#include "xmalloc.h"
#include "template.h"

#define TPL_NAME_MAX	64

/* Bound on template file paths. */
#define TPL_PATH_MAX	PATH_MAX

enum tpl_type {
	TPL_OBJ,
	TPL_LIST,
	TPL_STR,
	TPL_INT,
	TPL_BOOL
};

/*
 * Keys and strings shorter than these are kept in the pair or the value
 * itself: a page sets some fifty, nearly all short, and a malloc and a
 * free for each was a tenth of a logged-in campaign page's CPU.
 */
#define TPL_KEY_INLINE	24
#define TPL_STR_INLINE	48

/* One key of an object. */
struct tpl_pair {
	char		*key;	/* owned; NULL when the key is in inl */
	char		 inl[TPL_KEY_INLINE];	/* a short key, NUL-ended */
	size_t		 keylen;
	struct tpl_val	*val;	/* owned */
};

struct tpl_val {
	enum tpl_type	 type;
	char		*str;	/* TPL_STR: inl, or owned unless borrowed */
	size_t		 len;	/* TPL_STR bytes, NUL excluded */
	int		 borrowed;	/* str is the caller's (strref) */
	char		 inl[TPL_STR_INLINE];	/* a short string */
	long long	 num;	/* TPL_INT and TPL_BOOL */
	struct tpl_pair	*pairs;	/* owned; TPL_OBJ, in insertion order */
	size_t		 npairs;
	struct tpl_val	**items; /* owned; TPL_LIST, each a TPL_OBJ */
	size_t		 nitems;
	size_t		 cap;	/* of pairs or items */
	struct tpl_val	*root;	/* of the tree; the root points to itself */
	struct tpl_arena *arena; /* the root's: where the tree's values live */
};

/*
 * The values of a tree but its root, taken in turn from blocks the root
 * owns and freed with it at once: a page's fifty values were as many
 * callocs and frees (the allocator's fast path holds a few of a size).  A
 * value replaced by tpl_put stays in its block, emptied, until the root is
 * freed: a page sets few keys twice.
 */
#define TPL_ARENA_VALS	64
#define TPL_ROOT_KEYS	48
struct tpl_arena {
	struct tpl_arena *next;	/* an older, full block */
	size_t		 used;
	struct tpl_val	 vals[TPL_ARENA_VALS];
};

enum tpl_kind {
	TPL_N_TEXT,
	TPL_N_VAR,
	TPL_N_RAW,
	TPL_N_SECTION,
	TPL_N_INVERTED,
	TPL_N_PARTIAL
};

struct tpl_node {
	enum tpl_kind	 kind;
	const char	*str;	/* borrowed from tpl->src: text or name */
	size_t		 len;
	unsigned	 line;	/* where the tag or text starts */
	struct tpl_node	*child;	/* owned; section body, may be NULL */
	struct tpl_node	*next;	/* owned; next sibling, may be NULL */
};

struct tpl {
	char		*name;	/* owned */
	char		*src;	/* owned; nodes point into it */
	struct tpl_node	*root;	/* owned; NULL for an empty template */
};

struct tpl_set {
	struct tpl	**tpls;	/* owned */
	size_t		 ntpls;
	size_t		 cap;
};

/* Compiler state for one template. */
struct tpl_parser {
	const char	*name;	/* borrowed: template name for messages */
	const char	*p;	/* cursor into the source */
	const char	*end;
	unsigned	 line;	/* line of *p */
	size_t		 depth;	/* open sections */
	struct tpl_node	*open[LIMIT_TPL_DEPTH + 1];
	struct tpl_node	**tail[LIMIT_TPL_DEPTH + 1];
	char		*err;
	size_t		 errlen;
};

/* One context of the lookup chain; innermost first. */
struct tpl_ctx {
	const struct tpl_val	*val;
	const struct tpl_ctx	*up;	/* may be NULL */
};

/* Renderer state for one tpl_render() call. */
struct tpl_render {
	const struct tpl_set	*set;
	struct buf		*out;
	char			*err;
	size_t			 errlen;
};

static void	 tpl_errf(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static struct tpl_val *tpl_val_new(struct tpl_val *, enum tpl_type);
static void	 tpl_val_empty(struct tpl_val *);
static struct tpl_val *tpl_put(struct tpl_val *, const char *,
		    enum tpl_type);
static const struct tpl_val *tpl_obj_get(const struct tpl_val *,
		    const char *, size_t);
static void	 tpl_node_free(struct tpl_node *);
static void	 tpl_free(struct tpl *);
static const struct tpl *tpl_find(const struct tpl_set *, const char *,
		    size_t);
static bool	 tpl_name_ok(const char *, size_t, bool);
static void	 tpl_advance(struct tpl_parser *, const char *);
static struct tpl_node *tpl_append(struct tpl_parser *, enum tpl_kind,
		    const char *, size_t, unsigned);
static int	 tpl_open_section(struct tpl_parser *, enum tpl_kind,
		    const char *, size_t, unsigned);
static int	 tpl_close_section(struct tpl_parser *, const char *, size_t,
		    unsigned);
static int	 tpl_parse_tag(struct tpl_parser *);
static int	 tpl_compile(const char *, const char *, size_t,
		    struct tpl_node **, char *, size_t);
static bool	 tpl_truthy(const struct tpl_val *);
static const struct tpl_val *tpl_lookup(const struct tpl_ctx *,
		    const char *, size_t);
static int	 tpl_emit(struct tpl_render *, const struct tpl *,
		    const struct tpl_node *, const struct tpl_val *);
static int	 tpl_render_section(struct tpl_render *, const struct tpl *,
		    const struct tpl_node *, const struct tpl_ctx *, unsigned);
static int	 tpl_render_partial(struct tpl_render *, const struct tpl *,
		    const struct tpl_node *, const struct tpl_ctx *, unsigned);
static int	 tpl_render_nodes(struct tpl_render *, const struct tpl *,
		    const struct tpl_node *, const struct tpl_ctx *, unsigned);
static int	 tpl_read_all(int, char *, size_t, size_t *);
static int	 tpl_read_file(const char *, char **, size_t *, char *,
		    size_t);
static int	 tpl_load_file(struct tpl_set *, const char *, const char *,
		    const char *, char *, size_t);
static int	 tpl_load_subdir(struct tpl_set *, const char *, const char *,
		    int, char *, size_t);
static int	 tpl_check_partials(const struct tpl_set *, const struct tpl *,
		    const struct tpl_node *, char *, size_t);

/*
 * Formats a message into err, which may be NULL or zero-sized.  Truncation
 * is fine: messages are for humans.
 */
static void
tpl_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- Data trees ---- */

/*
 * Returns a new empty value of the given type in root's tree (from its
 * blocks), or a new root when root is NULL; aborts on OOM.
 */
static struct tpl_val *
tpl_val_new(struct tpl_val *root, enum tpl_type type)
{
	struct tpl_arena	*a;
	struct tpl_val		*v;

	if (root == NULL) {
		v = xmalloc(sizeof(*v));
		root = v;
	} else {
		/* Not zeroed: a page uses part of a block (see below). */
		if ((a = root->arena) == NULL || a->used == TPL_ARENA_VALS) {
			a = xmalloc(sizeof(*a));
			a->next = root->arena;
			a->used = 0;
			root->arena = a;
		}
		v = &a->vals[a->used++];
	}
	/* Every member but the inline string, written when used. */
	v->type = type;
	v->str = NULL;
	v->len = 0;
	v->borrowed = 0;
	v->num = 0;
	v->pairs = NULL;
	v->npairs = 0;
	v->items = NULL;
	v->nitems = 0;
	v->cap = 0;
	v->root = root;
	v->arena = NULL;
	return v;
}

/* Returns a new empty object, owned by the caller (tpl_val_free()). */
struct tpl_val *
tpl_obj_new(void)
{
	return tpl_val_new(NULL, TPL_OBJ);
}

/* Frees what v owns outside the blocks: its keys, lists and strings. */
static void
tpl_val_empty(struct tpl_val *v)
{
	size_t	 i;

	for (i = 0; i < v->npairs; i++) {
		free(v->pairs[i].key);
		tpl_val_empty(v->pairs[i].val);
	}
	for (i = 0; i < v->nitems; i++)
		tpl_val_empty(v->items[i]);
	free(v->pairs);
	free(v->items);
	if (!v->borrowed && v->str != v->inl)
		free(v->str);
	v->pairs = NULL;
	v->items = NULL;
	v->npairs = v->nitems = v->cap = 0;
	v->str = NULL;
}

/*
 * Frees v and everything it owns.  NULL is a no-op.  A value other than
 * a root is only emptied: its room goes with the root's blocks.
 */
void
tpl_val_free(struct tpl_val *v)
{
	struct tpl_arena	*a;

	if (v == NULL)
		return;
	tpl_val_empty(v);
	if (v->root != v)
		return;
	while ((a = v->arena) != NULL) {
		v->arena = a->next;
		free(a);
	}
	free(v);
}

/* The key of pair p (in the pair, or owned apart when long). */
static const char *
tpl_pair_key(const struct tpl_pair *p)
{
	return p->key != NULL ? p->key : p->inl;
}

/*
 * Stores a new empty value of the given type under key in obj, replacing
 * (and freeing) any previous value while keeping the key's position.
 * Returns the new value, owned by obj.
 */
static struct tpl_val *
tpl_put(struct tpl_val *obj, const char *key, enum tpl_type type)
{
	struct tpl_val	*v;
	size_t		 i, keylen;

	assert(obj != NULL && obj->type == TPL_OBJ && key != NULL);
	v = tpl_val_new(obj->root, type);
	keylen = strlen(key);
	for (i = 0; i < obj->npairs; i++) {
		if (obj->pairs[i].keylen == keylen &&
		    memcmp(tpl_pair_key(&obj->pairs[i]), key, keylen) == 0) {
			tpl_val_free(obj->pairs[i].val);
			obj->pairs[i].val = v;
			return v;
		}
	}
	if (obj->npairs == obj->cap) {
		/* A page's root holds some forty keys: room for them first. */
		obj->cap = obj->cap != 0 ? obj->cap * 2 : obj->root == obj ?
		    TPL_ROOT_KEYS : 8;
		obj->pairs = xreallocarray(obj->pairs, obj->cap,
		    sizeof(*obj->pairs));
	}
	if (keylen < TPL_KEY_INLINE) {
		memcpy(obj->pairs[obj->npairs].inl, key, keylen + 1);
		obj->pairs[obj->npairs].key = NULL;
	} else
		obj->pairs[obj->npairs].key = xstrndup(key, keylen);
	obj->pairs[obj->npairs].keylen = keylen;
	obj->pairs[obj->npairs].val = v;
	obj->npairs++;
	return v;
}

/* Sets key to a copy of the NUL-terminated string s. */
void
tpl_put_str(struct tpl_val *obj, const char *key, const char *s)
{
	tpl_put_strn(obj, key, s, strlen(s));
}

/* Sets key to a copy of the n bytes at s. */
void
tpl_put_strn(struct tpl_val *obj, const char *key, const char *s, size_t n)
{
	struct tpl_val	*v;

	v = tpl_put(obj, key, TPL_STR);
	if (n < TPL_STR_INLINE) {
		memcpy(v->inl, s, n);
		v->inl[n] = '\0';
		v->str = v->inl;
	} else
		v->str = xstrndup(s, n);
	v->len = n;
}

/*
 * Sets key to the n bytes at s without copying them: s must stay as it is
 * until obj's root is freed.  For large HTML made once and shown on many
 * pages (a copy per page of it costs more than the rest of the page).
 */
void
tpl_put_strref(struct tpl_val *obj, const char *key, const char *s, size_t n)
{
	struct tpl_val	*v;

	v = tpl_put(obj, key, TPL_STR);
	v->str = (char *)s;	/* never written through: see tpl_emit */
	v->len = n;
	v->borrowed = 1;
}

/* Sets key to the integer n, rendered in decimal. */
void
tpl_put_int(struct tpl_val *obj, const char *key, long long n)
{
	tpl_put(obj, key, TPL_INT)->num = n;
}

/* Sets key to a boolean; any nonzero b is true. */
void
tpl_put_bool(struct tpl_val *obj, const char *key, int b)
{
	tpl_put(obj, key, TPL_BOOL)->num = b != 0;
}

/* Sets key to a formatted string.  A failing format stores "". */
void
tpl_put_printf(struct tpl_val *obj, const char *key, const char *fmt, ...)
{
	va_list	 ap, ap2;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		tpl_put_strn(obj, key, "", 0);
		goto out;
	}
	s = xmalloc((size_t)n + 1);
	(void)vsnprintf(s, (size_t)n + 1, fmt, ap2);
	tpl_put_strn(obj, key, s, (size_t)n);
	free(s);
out:
	va_end(ap2);
	va_end(ap);
}

/* Sets key to a new empty list and returns it (owned by obj). */
struct tpl_val *
tpl_put_list(struct tpl_val *obj, const char *key)
{
	return tpl_put(obj, key, TPL_LIST);
}

/* Sets key to a new empty object and returns it (owned by obj). */
struct tpl_val *
tpl_put_obj(struct tpl_val *obj, const char *key)
{
	return tpl_put(obj, key, TPL_OBJ);
}

/* Appends a new empty object to list and returns it (owned by list). */
struct tpl_val *
tpl_list_add(struct tpl_val *list)
{
	struct tpl_val	*v;

	assert(list != NULL && list->type == TPL_LIST);
	if (list->nitems == list->cap) {
		list->cap = list->cap == 0 ? 8 : list->cap * 2;
		list->items = xreallocarray(list->items, list->cap,
		    sizeof(*list->items));
	}
	v = tpl_val_new(list->root, TPL_OBJ);
	list->items[list->nitems++] = v;
	return v;
}

/* Returns the value of key (len bytes) in obj, or NULL if absent. */
static const struct tpl_val *
tpl_obj_get(const struct tpl_val *obj, const char *key, size_t len)
{
	size_t	 i;

	if (obj->type != TPL_OBJ)
		return NULL;
	for (i = 0; i < obj->npairs; i++)
		if (obj->pairs[i].keylen == len &&
		    memcmp(tpl_pair_key(&obj->pairs[i]), key, len) == 0)
			return obj->pairs[i].val;
	return NULL;
}

/* ---- Template sets ---- */

/* Returns a new empty set, owned by the caller (tpl_set_free()). */
struct tpl_set *
tpl_set_new(void)
{
	return xcalloc(1, sizeof(struct tpl_set));
}

/* Frees a node, its children and its following siblings. */
static void
tpl_node_free(struct tpl_node *n)
{
	struct tpl_node	*next;

	/* Siblings iteratively; children nest at most LIMIT_TPL_DEPTH. */
	for (; n != NULL; n = next) {
		next = n->next;
		tpl_node_free(n->child);
		free(n);
	}
}

/* Frees one compiled template.  NULL is a no-op. */
static void
tpl_free(struct tpl *t)
{
	if (t == NULL)
		return;
	tpl_node_free(t->root);
	free(t->src);
	free(t->name);
	free(t);
}

/* Frees s and every template in it.  NULL is a no-op. */
void
tpl_set_free(struct tpl_set *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntpls; i++)
		tpl_free(s->tpls[i]);
	free(s->tpls);
	free(s);
}

/* Returns the template called name (len bytes) in s, or NULL. */
static const struct tpl *
tpl_find(const struct tpl_set *s, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < s->ntpls; i++)
		if (strlen(s->tpls[i]->name) == len &&
		    memcmp(s->tpls[i]->name, name, len) == 0)
			return s->tpls[i];
	return NULL;
}

/*
 * Compiles len bytes of text as template name and adds it to s.  The text
 * is copied; the caller keeps ownership of its arguments.  Returns 0, or
 * -1 with a message in err when the source is too large, does not
 * compile, or name is already in the set (s is then unchanged).
 */
int
tpl_set_add(struct tpl_set *s, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct tpl	*t;

	if (len > LIMIT_TPL_SOURCE) {
		tpl_errf(err, errlen, "%s:1: template is %zu bytes, limit %u",
		    name, len, LIMIT_TPL_SOURCE);
		return -1;
	}
	if (tpl_find(s, name, strlen(name)) != NULL) {
		tpl_errf(err, errlen, "%s:1: template defined twice", name);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->src = xstrndup(text, len);
	if (tpl_compile(name, t->src, len, &t->root, err, errlen) == -1) {
		tpl_free(t);
		return -1;
	}
	if (s->ntpls == s->cap) {
		s->cap = s->cap == 0 ? 16 : s->cap * 2;
		s->tpls = xreallocarray(s->tpls, s->cap, sizeof(*s->tpls));
	}
	s->tpls[s->ntpls++] = t;
	return 0;
}

/* ---- Compiler ---- */

/*
 * Returns true if name (len bytes) is a valid tag name: [A-Za-z0-9_.-]{1,64},
 * plus '/' when slash is set (partial names such as "partials/head").
 */
static bool
tpl_name_ok(const char *name, size_t len, bool slash)
{
	size_t	 i;
	char	 c;

	if (len == 0 || len > TPL_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		c = name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-' || (slash && c == '/'))
			continue;
		return false;
	}
	return true;
}

/* Moves the cursor to to, counting the newlines passed over. */
static void
tpl_advance(struct tpl_parser *ps, const char *to)
{
	const char	*nl;

	while ((nl = memchr(ps->p, '\n', (size_t)(to - ps->p))) != NULL) {
		ps->line++;
		ps->p = nl + 1;
	}
	ps->p = to;
}

/* Appends a new node at the current nesting level and returns it. */
static struct tpl_node *
tpl_append(struct tpl_parser *ps, enum tpl_kind kind, const char *str,
    size_t len, unsigned line)
{
	struct tpl_node	*n;

	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->str = str;
	n->len = len;
	n->line = line;
	*ps->tail[ps->depth] = n;
	ps->tail[ps->depth] = &n->next;
	return n;
}

/* Opens a section; returns 0, or -1 when nesting exceeds the limit. */
static int
tpl_open_section(struct tpl_parser *ps, enum tpl_kind kind,
    const char *name, size_t len, unsigned line)
{
	struct tpl_node	*n;

	if (ps->depth >= LIMIT_TPL_DEPTH) {
		tpl_errf(ps->err, ps->errlen, "%s:%u: sections nested deeper "
		    "than %u", ps->name, line, LIMIT_TPL_DEPTH);
		return -1;
	}
	n = tpl_append(ps, kind, name, len, line);
	ps->depth++;
	ps->open[ps->depth] = n;
	ps->tail[ps->depth] = &n->child;
	return 0;
}

/* Closes the innermost section; returns 0, or -1 on a stray/bad close. */
static int
tpl_close_section(struct tpl_parser *ps, const char *name, size_t len,
    unsigned line)
{
	const struct tpl_node	*n;

	if (ps->depth == 0) {
		tpl_errf(ps->err, ps->errlen, "%s:%u: {{/%.*s}} closes no "
		    "open section", ps->name, line, (int)len, name);
		return -1;
	}
	n = ps->open[ps->depth];
	if (n->len != len || memcmp(n->str, name, len) != 0) {
		tpl_errf(ps->err, ps->errlen, "%s:%u: {{/%.*s}} does not "
		    "match {{%c%.*s}} opened on line %u", ps->name, line,
		    (int)len, name, n->kind == TPL_N_SECTION ? '#' : '^',
		    (int)n->len, n->str, n->line);
		return -1;
	}
	ps->depth--;
	return 0;
}

/*
 * Parses the tag starting at the cursor ("{{") and moves past it.  Returns
 * 0, or -1 with a message on an unclosed tag, bad name or bad nesting.
 * Names are only echoed in messages once they are known to be valid.
 */
static int
tpl_parse_tag(struct tpl_parser *ps)
{
	const char	*s, *e, *close;
	unsigned	 line = ps->line;
	char		 sigil;
	size_t		 avail;

	s = ps->p + 2;
	avail = (size_t)(ps->end - s);
	sigil = avail > 0 ? *s : '\0';
	if (sigil == '{')
		close = memmem(s, avail, "}}}", 3);
	else
		close = memmem(s, avail, "}}", 2);
	if (close == NULL) {
		tpl_errf(ps->err, ps->errlen, "%s:%u: unclosed tag",
		    ps->name, line);
		return -1;
	}
	tpl_advance(ps, close + (sigil == '{' ? 3 : 2));
	if (sigil == '!')
		return 0;
	if (sigil == '{' || sigil == '#' || sigil == '^' || sigil == '/' ||
	    sigil == '>')
		s++;
	else
		sigil = '\0';
	/* Allow {{ name }} and {{# name }}. */
	e = close;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!tpl_name_ok(s, (size_t)(e - s), sigil == '>')) {
		tpl_errf(ps->err, ps->errlen, "%s:%u: bad tag name (want "
		    "[A-Za-z0-9_.-]{1,%d})", ps->name, line, TPL_NAME_MAX);
		return -1;
	}
	switch (sigil) {
	case '#':
		return tpl_open_section(ps, TPL_N_SECTION, s,
		    (size_t)(e - s), line);
	case '^':
		return tpl_open_section(ps, TPL_N_INVERTED, s,
		    (size_t)(e - s), line);
	case '/':
		return tpl_close_section(ps, s, (size_t)(e - s), line);
	case '>':
		tpl_append(ps, TPL_N_PARTIAL, s, (size_t)(e - s), line);
		return 0;
	case '{':
		tpl_append(ps, TPL_N_RAW, s, (size_t)(e - s), line);
		return 0;
	default:
		tpl_append(ps, TPL_N_VAR, s, (size_t)(e - s), line);
		return 0;
	}
}

/*
 * Compiles len bytes at src (which must outlive the result) and stores the
 * node list, owned by the caller, in *out; NULL means an empty template.
 * Returns 0, or -1 with a message in err (*out is then untouched).
 */
static int
tpl_compile(const char *name, const char *src, size_t len,
    struct tpl_node **out, char *err, size_t errlen)
{
	struct tpl_parser	 ps;
	struct tpl_node		*root = NULL;
	const char		*tag;

	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.p = src;
	ps.end = src + len;
	ps.line = 1;
	ps.tail[0] = &root;
	ps.err = err;
	ps.errlen = errlen;
	while (ps.p < ps.end) {
		tag = memmem(ps.p, (size_t)(ps.end - ps.p), "{{", 2);
		if (tag == NULL)
			tag = ps.end;
		if (tag > ps.p) {
			tpl_append(&ps, TPL_N_TEXT, ps.p,
			    (size_t)(tag - ps.p), ps.line);
			tpl_advance(&ps, tag);
		}
		if (tag < ps.end && tpl_parse_tag(&ps) == -1)
			goto fail;
	}
	if (ps.depth > 0) {
		tpl_errf(err, errlen, "%s:%u: {{%c%.*s}} is never closed",
		    name, ps.open[ps.depth]->line,
		    ps.open[ps.depth]->kind == TPL_N_SECTION ? '#' : '^',
		    (int)ps.open[ps.depth]->len, ps.open[ps.depth]->str);
		goto fail;
	}
	*out = root;
	return 0;
fail:
	tpl_node_free(root);
	return -1;
}

/* ---- Renderer ---- */

/*
 * Returns true if v makes a section render: a true bool, a nonzero int, a
 * nonempty string or list, or any object.  Missing (NULL) is false.
 */
static bool
tpl_truthy(const struct tpl_val *v)
{
	if (v == NULL)
		return false;
	switch (v->type) {
	case TPL_OBJ:
		return true;
	case TPL_LIST:
		return v->nitems > 0;
	case TPL_STR:
		return v->len > 0;
	case TPL_INT:
	case TPL_BOOL:
		return v->num != 0;
	}
	return false;
}

/* Returns the value of name in the innermost context that has it, or NULL. */
static const struct tpl_val *
tpl_lookup(const struct tpl_ctx *c, const char *name, size_t len)
{
	const struct tpl_val	*v;

	for (; c != NULL; c = c->up)
		if ((v = tpl_obj_get(c->val, name, len)) != NULL)
			return v;
	return NULL;
}

/*
 * Appends n in decimal to out (as "%lld" does, without printf's cost: a
 * page shows a dozen numbers).  0, or -1 when out is full.
 */
static int
tpl_emit_int(struct buf *out, long long n)
{
	char			 text[24], *p = text + sizeof(text);
	unsigned long long	 u;

	/* (The magnitude in unsigned: -LLONG_MIN does not fit.) */
	u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (n < 0)
		*--p = '-';
	return buf_add(out, p, (size_t)(text + sizeof(text) - p));
}

/*
 * Writes the value v of variable node n, escaped unless n is raw.  Returns
 * 0, or -1 if v is missing, is a list or object, or the output is full.
 */
static int
tpl_emit(struct tpl_render *r, const struct tpl *t, const struct tpl_node *n,
    const struct tpl_val *v)
{
	int	 rc = -1;

	if (v == NULL) {
		tpl_errf(r->err, r->errlen, "%s:%u: no value for {{%.*s}}",
		    t->name, n->line, (int)n->len, n->str);
		return -1;
	}
	switch (v->type) {
	case TPL_STR:
		if (n->kind == TPL_N_RAW)
			rc = buf_add(r->out, v->str, v->len);
		else
			rc = tpl_escape_html(r->out, v->str, v->len);
		break;
	case TPL_INT:
		rc = tpl_emit_int(r->out, v->num);
		break;
	case TPL_BOOL:
		rc = buf_addstr(r->out, v->num ? "true" : "false");
		break;
	case TPL_OBJ:
	case TPL_LIST:
		tpl_errf(r->err, r->errlen, "%s:%u: {{%.*s}} is a %s, not a "
		    "value", t->name, n->line, (int)n->len, n->str,
		    v->type == TPL_OBJ ? "object" : "list");
		return -1;
	}
	if (rc == -1)
		tpl_errf(r->err, r->errlen, "%s:%u: output too large",
		    t->name, n->line);
	return rc == -1 ? -1 : 0;
}

/*
 * Renders section node n: once per item of a list (item pushed as the
 * innermost context), once with an object pushed, once for another true
 * value, not at all for a false or missing one.  Inverted sections render
 * once exactly when a normal one would not.  Returns 0 or -1.
 */
static int
tpl_render_section(struct tpl_render *r, const struct tpl *t,
    const struct tpl_node *n, const struct tpl_ctx *c, unsigned pdepth)
{
	const struct tpl_val	*v;
	struct tpl_ctx		 inner;
	size_t			 i;

	v = tpl_lookup(c, n->str, n->len);
	if (n->kind == TPL_N_INVERTED)
		return tpl_truthy(v) ? 0 :
		    tpl_render_nodes(r, t, n->child, c, pdepth);
	if (!tpl_truthy(v))
		return 0;
	inner.up = c;
	if (v->type == TPL_LIST) {
		for (i = 0; i < v->nitems; i++) {
			inner.val = v->items[i];
			if (tpl_render_nodes(r, t, n->child, &inner,
			    pdepth) == -1)
				return -1;
		}
		return 0;
	}
	if (v->type == TPL_OBJ) {
		inner.val = v;
		return tpl_render_nodes(r, t, n->child, &inner, pdepth);
	}
	return tpl_render_nodes(r, t, n->child, c, pdepth);
}

/*
 * Renders the partial named by n in context c.  pdepth counts the partials
 * already entered; a chain deeper than LIMIT_TPL_DEPTH (a recursive
 * partial, in practice) is an error.  Returns 0 or -1.
 */
static int
tpl_render_partial(struct tpl_render *r, const struct tpl *t,
    const struct tpl_node *n, const struct tpl_ctx *c, unsigned pdepth)
{
	const struct tpl	*p;

	if ((p = tpl_find(r->set, n->str, n->len)) == NULL) {
		tpl_errf(r->err, r->errlen, "%s:%u: partial {{>%.*s}} not "
		    "found", t->name, n->line, (int)n->len, n->str);
		return -1;
	}
	if (pdepth >= LIMIT_TPL_DEPTH) {
		tpl_errf(r->err, r->errlen, "%s:%u: partials nested deeper "
		    "than %u at {{>%.*s}} (recursive partial?)", t->name,
		    n->line, LIMIT_TPL_DEPTH, (int)n->len, n->str);
		return -1;
	}
	return tpl_render_nodes(r, p, p->root, c, pdepth + 1);
}

/* Renders the node list n of template t in context c.  Returns 0 or -1. */
static int
tpl_render_nodes(struct tpl_render *r, const struct tpl *t,
    const struct tpl_node *n, const struct tpl_ctx *c, unsigned pdepth)
{
	int	 rc = 0;

	for (; n != NULL && rc == 0; n = n->next) {
		switch (n->kind) {
		case TPL_N_TEXT:
			if ((rc = buf_add(r->out, n->str, n->len)) == -1)
				tpl_errf(r->err, r->errlen, "%s:%u: output "
				    "too large", t->name, n->line);
			break;
		case TPL_N_VAR:
		case TPL_N_RAW:
			rc = tpl_emit(r, t, n, tpl_lookup(c, n->str, n->len));
			break;
		case TPL_N_SECTION:
		case TPL_N_INVERTED:
			rc = tpl_render_section(r, t, n, c, pdepth);
			break;
		case TPL_N_PARTIAL:
			rc = tpl_render_partial(r, t, n, c, pdepth);
			break;
		}
	}
	return rc == -1 ? -1 : 0;
}

/*
 * Renders template name of set s with data (an object, may be NULL for no
 * data) and appends the result to out.  Only reads s and data, so threads
 * may share both.  Returns 0, or -1 with "NAME:LINE: reason" in err: no
 * such template, a {{name}} with no value, a missing partial, partials
 * nested too deep, or out reaching its limit.  After -1, out may hold
 * partial output that the caller discards.
 */
int
tpl_render(const struct tpl_set *s, const char *name,
    const struct tpl_val *data, struct buf *out, char *err, size_t errlen)
{
	struct tpl_render	 r;
	struct tpl_ctx		 top;
	const struct tpl	*t;

	if ((t = tpl_find(s, name, strlen(name))) == NULL) {
		tpl_errf(err, errlen, "%s:0: no such template", name);
		return -1;
	}
	r.set = s;
	r.out = out;
	r.err = err;
	r.errlen = errlen;
	top.val = data;
	top.up = NULL;
	return tpl_render_nodes(&r, t, t->root, data == NULL ? NULL : &top,
	    0);
}

/*
 * Appends n bytes of s to out with & < > " ' ` = replaced by entities, so
 * the result is safe in element content and in quoted or unquoted
 * attribute values.  Returns 0, or -1 when out reaches its limit.
 */
int
tpl_escape_html(struct buf *out, const char *s, size_t n)
{
	const char	*ent;
	size_t		 i, run = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '`': ent = "&#96;"; break;
		case '=': ent = "&#61;"; break;
		default: continue;
		}
		/* Copy the safe run before this byte in one call. */
		if (buf_add(out, s + run, i - run) == -1 ||
		    buf_addstr(out, ent) == -1)
			return -1;
		run = i + 1;
	}
	return buf_add(out, s + run, n - run);
}

/* ---- Loading a directory ---- */

/*
 * Reads up to size bytes from fd into data, retrying short reads and
 * EINTR, and stores the count in *got.  Returns 0, or -1 with errno set.
 */
static int
tpl_read_all(int fd, char *data, size_t size, size_t *got)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < size) {
		n = read(fd, data + off, size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

/*
 * Reads the regular file at path into a new NUL-terminated buffer stored
 * in *text (owned by the caller) with its length in *len.  Returns 0, or
 * -1 with a message if it cannot be read or exceeds LIMIT_TPL_SOURCE.
 */
static int
tpl_read_file(const char *path, char **text, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*data = NULL;
	size_t		 off;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		tpl_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)LIMIT_TPL_SOURCE) {
		tpl_errf(err, errlen, "%s:1: not a regular file of at most "
		    "%u bytes", path, LIMIT_TPL_SOURCE);
		goto fail;
	}
	/* One spare byte shows a file that grew after fstat. */
	data = xmalloc((size_t)st.st_size + 2);
	if (tpl_read_all(fd, data, (size_t)st.st_size + 1, &off) == -1) {
		tpl_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (off > LIMIT_TPL_SOURCE) {
		tpl_errf(err, errlen, "%s:1: file larger than %u bytes",
		    path, LIMIT_TPL_SOURCE);
		goto fail;
	}
	data[off] = '\0';
	(void)close(fd);
	*text = data;
	*len = off;
	return 0;
fail:
	if (fd != -1)
		(void)close(fd);
	free(data);
	return -1;
}

/*
 * Loads dir/sub/file (file ends in ".html") into s as "sub" + file minus
 * ".html".  Returns 0 or -1 with a message.
 */
static int
tpl_load_file(struct tpl_set *s, const char *dir, const char *sub,
    const char *file, char *err, size_t errlen)
{
	char	 path[TPL_PATH_MAX], name[TPL_PATH_MAX];
	char	*text;
	size_t	 len;
	int	 rc, n;

	n = snprintf(path, sizeof(path), "%s/%s%s", dir, sub, file);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tpl_errf(err, errlen, "%s/%s%s: path too long", dir, sub,
		    file);
		return -1;
	}
	n = snprintf(name, sizeof(name), "%s%.*s", sub,
	    (int)(strlen(file) - 5), file);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		tpl_errf(err, errlen, "%s: name too long", path);
		return -1;
	}
	if (tpl_read_file(path, &text, &len, err, errlen) == -1)
		return -1;
	rc = tpl_set_add(s, name, text, len, err, errlen);
	free(text);
	return rc;
}

/*
 * Loads every "*.html" of dir/sub (sub is "" or ends in '/').  A missing
 * directory is an error only when required is set.  Returns 0 or -1.
 */
static int
tpl_load_subdir(struct tpl_set *s, const char *dir, const char *sub,
    int required, char *err, size_t errlen)
{
	char		 path[TPL_PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	size_t		 len;
	int		 n, rc = 0;

	n = snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tpl_errf(err, errlen, "%s/%s: path too long", dir, sub);
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		tpl_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		/* Skip dotfiles (editor droppings) and non-templates. */
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		rc = tpl_load_file(s, dir, sub, de->d_name, err, errlen);
	}
	(void)closedir(d);
	return rc;
}

/*
 * Checks that every {{>partial}} under n names a template of s, so a typo
 * fails at startup instead of on some request.  Returns 0 or -1.
 */
static int
tpl_check_partials(const struct tpl_set *s, const struct tpl *t,
    const struct tpl_node *n, char *err, size_t errlen)
{
	for (; n != NULL; n = n->next) {
		if (n->kind == TPL_N_PARTIAL &&
		    tpl_find(s, n->str, n->len) == NULL) {
			tpl_errf(err, errlen, "%s:%u: partial {{>%.*s}} not "
			    "found", t->name, n->line, (int)n->len, n->str);
			return -1;
		}
		if (tpl_check_partials(s, t, n->child, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Compiles every *.html of dir and of dir/partials/ (which may be absent)
 * into a new set, owned by the caller.  Names are relative to dir without
 * ".html": "home", "partials/head".  Every partial a template includes must
 * exist.  Returns the set, or NULL with a message in err.
 */
struct tpl_set *
tpl_set_load_dir(const char *dir, char *err, size_t errlen)
{
	struct tpl_set	*s;
	size_t		 i;

	s = tpl_set_new();
	if (tpl_load_subdir(s, dir, "", 1, err, errlen) == -1 ||
	    tpl_load_subdir(s, dir, "partials/", 0, err, errlen) == -1)
		goto fail;
	for (i = 0; i < s->ntpls; i++)
		if (tpl_check_partials(s, s->tpls[i], s->tpls[i]->root, err,
		    errlen) == -1)
			goto fail;
	return s;
fail:
	tpl_set_free(s);
	return NULL;
}
