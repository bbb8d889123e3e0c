// SPDX-License-Identifier: LGPL-2.1-or-later
/* Numbers as the CLI's text formats write them: decimal or 0x-hex. */
#include <string.h>

#include "number.h"

/**
 * number_parse() - the unsigned number that is exactly @s[0..@len)
 * @s: decimal digits, or 0x/0X and hex digits; no sign, no spaces
 * @len: its length
 * @out: the number, when it is one
 *
 * Return: true if the text is such a number and fits in 64 bits.
 */
bool number_parse(const char *s, size_t len, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		char ch = s[i];
		unsigned int d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned int)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned int)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned int)(ch - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/** number_parse_str() - number_parse() of a whole NUL-terminated string. */
bool number_parse_str(const char *s, uint64_t *out)
{
	return number_parse(s, strlen(s), out);
}
