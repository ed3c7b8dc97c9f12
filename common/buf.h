/*
 * Bounded growable byte buffer.  The caller owns the struct buf (usually
 * embedded in another struct) and releases it with buf_clear(); the buffer
 * owns data.  Whenever data != NULL the byte at data[len] is a NUL, so the
 * contents may be used as a C string when they hold no NUL themselves.
 * Growth never lets len exceed max, which callers set from common/abc_limits.h.
 */
#ifndef ABC_BUF_H
#define ABC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;	/* owned, may be NULL while cap == 0 */
	size_t	 len;	/* bytes in use */
	size_t	 cap;	/* bytes allocated, counting the NUL */
	size_t	 max;	/* hard cap on len; 0 at init means SIZE_MAX / 2 */
};

void	buf_init(struct buf *b, size_t max);
void	buf_clear(struct buf *b);
void	buf_reset(struct buf *b);
int	buf_reserve(struct buf *b, size_t n);
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_addstr(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_consume(struct buf *b, size_t n);

#endif /* ABC_BUF_H */
