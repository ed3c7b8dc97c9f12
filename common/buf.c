/* Bounded growable byte buffer; see buf.h for the ownership model. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Smallest allocation, so that tiny appends do not reallocate each time. */
#define BUF_MINCAP	64

/*
 * Prepare an empty buffer whose length may never exceed max (0 means
 * SIZE_MAX / 2, which also keeps len + 1 from overflowing).  Allocates
 * nothing.
 */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = (max == 0 || max > SIZE_MAX / 2) ? SIZE_MAX / 2 : max;
}

/* Free the memory and return to the empty state, keeping max. */
void
buf_clear(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

/* Empty the buffer but keep its memory for reuse. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/*
 * Make room for n more bytes plus the terminating NUL, doubling the
 * allocation but never beyond max + 1.  Returns 0, or -1 when len + n
 * would exceed max, in which case the buffer is unchanged.
 */
int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, ncap;

	if (n > b->max - b->len)
		return -1;
	need = b->len + n + 1;		/* cannot overflow: max <= SIZE_MAX/2 */
	if (need <= b->cap)
		return 0;
	ncap = b->cap < BUF_MINCAP ? BUF_MINCAP : b->cap;
	while (ncap < need)
		ncap *= 2;		/* need <= SIZE_MAX/2 + 1 bounds this */
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
	b->data[b->len] = '\0';
	return 0;
}

/*
 * Append n bytes from p (which may be NULL when n is 0).  Returns 0, or -1
 * when that would exceed max; then nothing changed.
 */
int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append the C string s without its NUL.  Returns 0 or -1 as buf_add(). */
int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/*
 * Append printf-style output.  Returns 0, or -1 on a format error or when
 * the output would exceed max; then nothing changed.  The arguments must
 * not point into b itself.
 */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

/* Drop the first n bytes (all of them if n >= len), keeping the memory. */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
