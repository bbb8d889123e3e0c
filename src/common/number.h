/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers as the CLI's text formats write them: decimal or 0x-hex. */
#ifndef MEMATTR_COMMON_NUMBER_H
#define MEMATTR_COMMON_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool number_parse(const char *s, size_t len, uint64_t *out);
bool number_parse_str(const char *s, uint64_t *out);

#endif
