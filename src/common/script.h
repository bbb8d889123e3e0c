/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memattr script interpreter (docs/script.md): `memattr script` and fuzz_script run it. */
#ifndef MEMATTR_COMMON_SCRIPT_H
#define MEMATTR_COMMON_SCRIPT_H

#include <stdint.h>
#include <stdio.h>

/**
 * script_run() - run a memattr script
 * @in: the script
 * @out: where answers go
 * @work_limit: work limit for set commands, 0 for none
 *
 * Return: 0, 1 if a line did not parse or a config stopped the script, or a
 * negative errno (no store, read error).
 */
int script_run(FILE *in, FILE *out, uint64_t work_limit);

#endif
