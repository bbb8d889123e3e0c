// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sizes on the command lines of gen and bench. */
#include <string.h>

#include "args.h"

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
	if (!number_parse_str(num, &v) || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}
