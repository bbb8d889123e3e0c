// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr script: the script interpreter (src/common/script.c) on FILE or stdin. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/lines.h"
#include "common/number.h"
#include "common/script.h"
#include "cmd.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr script [--work-limit N] [FILE]\n"
		   "  run a memattr script (docs/script.md) from FILE, or stdin without it\n"
		   "  --work-limit N  nodes a set may visit before it returns partial progress\n");
	return f == stdout ? 0 : 2;
}

/* lines_file_run()'s runner: the script to stdout with the --work-limit in @ctx. */
static int run_file(FILE *in, void *ctx)
{
	return script_run(in, stdout, *(const uint64_t *)ctx);
}

int cmd_script(int argc, char **argv)
{
	const char *path = NULL;
	uint64_t work_limit = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout);
		} else if (!strcmp(argv[i], "--work-limit")) {
			if (i + 1 == argc) {
				fprintf(stderr, "memattr script: --work-limit needs a number\n");
				return 2;
			}
			if (!number_parse_str(argv[++i], &work_limit)) {
				fprintf(stderr, "memattr script: bad --work-limit '%s'\n", argv[i]);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "memattr script: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		} else if (path) {
			fprintf(stderr, "memattr script: one FILE at most ('%s')\n", argv[i]);
			return usage(stderr);
		} else {
			path = argv[i];
		}
	}
	return lines_file_run("memattr script", path, run_file, &work_limit);
}
