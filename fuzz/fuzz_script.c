// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: arbitrary bytes as a memattr script.  The interpreter
 * must answer every line (parsing or not) without crashing, leaking or
 * tripping a sanitizer; tests/script_blackbox.py checks what it answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	FILE *in;
	int ret;

	if (!size)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	in = fmemopen((void *)data, size, "r");
	if (!in || !sink)
		abort();
	/* The first byte sometimes sets a work limit, to reach partial progress. */
	ret = script_run(in, sink, data[0] < 16 ? data[0] : 0);
	fclose(in);
	if (ret != 0 && ret != 1)
		abort();
	return 0;
}
