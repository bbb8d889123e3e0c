// SPDX-License-Identifier: LGPL-2.1-or-later
/* Numbers on the command lines of gen, replay and bench. */
#include <string.h>

#include "args.h"

/**
 * args_parse_u64() - decimal or 0x-hex, the whole string, no sign, no overflow
 * @s: the string
 * @out: the number
 *
 * Return: true if @s is such a number.
 */
bool args_parse_u64(const char *s, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/**
 * args_parse_size() - a byte count: a number, optionally followed by K, M, G or T (binary)
 * @s: the string
 * @out: the bytes
 *
 * Return: true if @s is such a size and it fits in 64 bits.
 */
bool args_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	size_t len = strlen(s);
	const char *u;
	char num[32];
	unsigned int shift = 0;
	uint64_t v;

	if (!len || len >= sizeof(num))
		return false;
	u = strchr(units, s[len - 1] & ~0x20);
	if (s[len - 1] && u && *u) {
		shift = 10 * (unsigned int)(u - units + 1);
		len--;
	}
	memcpy(num, s, len);
	num[len] = '\0';
	if (!args_parse_u64(num, &v) || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}
