/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers on the command lines of gen, replay and bench. */
#ifndef MEMATTR_BENCH_ARGS_H
#define MEMATTR_BENCH_ARGS_H

#include <stdbool.h>
#include <stdint.h>

bool args_parse_u64(const char *s, uint64_t *out);
bool args_parse_size(const char *s, uint64_t *out);

#endif
