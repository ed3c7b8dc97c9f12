/* UTF-8 well-formedness, shared by every parser of text from outside. */
#ifndef ABC_UTF8_H
#define ABC_UTF8_H

#include <stddef.h>
#include <stdint.h>

int	utf8_valid(const uint8_t *p, size_t n);

#endif /* ABC_UTF8_H */
