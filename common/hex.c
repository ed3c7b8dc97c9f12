/* Bytes as lowercase hex and back; see hex.h. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"

/* Writes len bytes as lowercase hex into out (2*len + 1 bytes). */
void
hex_encode(const uint8_t *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* The value of hex digit ch (already checked with isxdigit). */
static int
hex_value(char ch)
{
	return isdigit((unsigned char)ch) ? ch - '0' :
	    tolower((unsigned char)ch) - 'a' + 10;
}

/*
 * Decodes exactly 2*len hex digits, either case, after an optional "\x"
 * (PostgreSQL's bytea output), into out; 0, or -1 for anything else
 * (NULL included), out untouched.
 */
int
hex_decode(const char *s, uint8_t *out, size_t len)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	if (s[0] == '\\' && s[1] == 'x')
		s += 2;
	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < 2 * len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(hex_value(s[2 * i]) << 4 |
		    hex_value(s[2 * i + 1]));
	return 0;
}
