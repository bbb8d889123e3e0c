// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memattr bench: runs memattr-bench (bench/main.c), the benchmark program,
 * with the same arguments; its output and exit status are the command's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/helper_path.h"
#include "cmd.h"

#define BENCH_EXE "memattr-bench"

int cmd_bench(int argc, char **argv)
{
	char path[PATH_MAX + 32];

	(void)argc;
	/* $MEMATTR_BENCH, else bench/ beside tools/ in the build tree, else the installed one. */
	helper_path(path, sizeof(path), "MEMATTR_BENCH", "../bench/" BENCH_EXE,
		    MEMATTR_LIBEXECDIR "/" BENCH_EXE);
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "memattr bench: %s: %s (MEMATTR_BENCH may name it)\n", path,
		strerror(errno));
	return 2;
}
