/*
 * A small mustache-like template engine that HTML-escapes by default.
 *
 * Syntax: {{name}} escaped value, {{{name}}} raw value (only for HTML our
 * own code made), {{#name}}...{{/name}} section, {{^name}}...{{/name}}
 * inverted section, {{>partial}} include, {{! comment }}.  Names match
 * [A-Za-z0-9_.-]{1,64}; partial names may also contain '/' so that
 * {{>partials/head}} works.  Dots are not special.
 *
 * Data: a struct tpl_val tree built by page code.  An object owns its keys
 * and values; a list owns its items; every setter copies the strings it is
 * given but tpl_put_strref, which borrows them (the caller keeps them
 * until it frees the tree).  The caller owns the root returned by
 * tpl_obj_new() and releases the whole tree with tpl_val_free(): the
 * tree's values live in blocks the root owns, freed with it at once.
 * Pointers returned by tpl_put_list(), tpl_put_obj() and tpl_list_add()
 * are borrowed: they stay valid until the key is set again or the root is
 * freed.
 *
 * Templates: a struct tpl_set holds compiled templates.  The caller owns it
 * (tpl_set_new()/tpl_set_load_dir(), released by tpl_set_free()).  After
 * loading, the set is never modified by rendering, so any number of threads
 * may call tpl_render() on one set at once without locks.
 *
 * Errors are written to a caller buffer as "NAME:LINE: reason".
 */
#ifndef ABC_TEMPLATE_H
#define ABC_TEMPLATE_H

#include <stddef.h>

struct buf;
struct tpl_val;
struct tpl_set;

struct tpl_val	*tpl_obj_new(void);
void		 tpl_val_free(struct tpl_val *v);
void		 tpl_put_str(struct tpl_val *obj, const char *key,
		    const char *s);
void		 tpl_put_strn(struct tpl_val *obj, const char *key,
		    const char *s, size_t n);
void		 tpl_put_strref(struct tpl_val *obj, const char *key,
		    const char *s, size_t n);
void		 tpl_put_int(struct tpl_val *obj, const char *key, long long n);
void		 tpl_put_bool(struct tpl_val *obj, const char *key, int b);
void		 tpl_put_printf(struct tpl_val *obj, const char *key,
		    const char *fmt, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
struct tpl_val	*tpl_put_list(struct tpl_val *obj, const char *key);
struct tpl_val	*tpl_list_add(struct tpl_val *list);
struct tpl_val	*tpl_put_obj(struct tpl_val *obj, const char *key);

struct tpl_set	*tpl_set_new(void);
void		 tpl_set_free(struct tpl_set *s);
int		 tpl_set_add(struct tpl_set *s, const char *name,
		    const char *text, size_t len, char *err, size_t errlen);
struct tpl_set	*tpl_set_load_dir(const char *dir, char *err, size_t errlen);
int		 tpl_render(const struct tpl_set *s, const char *name,
		    const struct tpl_val *data, struct buf *out, char *err,
		    size_t errlen);

int		 tpl_escape_html(struct buf *out, const char *s, size_t n);

#endif /* ABC_TEMPLATE_H */
