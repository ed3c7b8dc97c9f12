/*
 * Allocation that aborts on failure.  Acceptable only because every size
 * derived from input is bounded first (common/abc_limits.h).  Callers own what
 * these return and release it with free().
 */
#ifndef ABC_XMALLOC_H
#define ABC_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);

#endif /* ABC_XMALLOC_H */
