/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sizes on the command lines of gen and bench. */
#ifndef MEMATTR_COMMON_ARGS_H
#define MEMATTR_COMMON_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "number.h"

bool args_parse_size(const char *s, uint64_t *out);

#endif
