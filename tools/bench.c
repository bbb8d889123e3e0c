// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr bench: the store against its baselines, one process, one run (BENCHMARKS.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../bench/bench.h"
#include "cmd.h"
#include "number.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr bench [--json] [--json-out FILE] [--quick] [--no-memslot]\n"
		   "                     [--no-xarray] [--kvm] [--max-map-count N]\n"
		   "  --json           print the results as JSON instead of a table\n"
		   "  --json-out FILE  also write the JSON of the same run to FILE\n"
		   "  --quick          small sizes (a few seconds; for tests)\n"
		   "  --no-memslot     skip the KVM memslot baseline (most of a full run's time)\n"
		   "  --no-xarray      skip the kernel XArray baseline (memattr-bench-xarray, a\n"
		   "                   separate process; $MEMATTR_BENCH_XARRAY names another)\n"
		   "  --kvm            the boot trace and 1,000,000 changes on a running KVM VM\n"
		   "  --max-map-count N  with --kvm, root: raise vm.max_map_count to N for the\n"
		   "                   million changes (put back afterwards)\n");
	return f == stdout ? 0 : 2;
}

int cmd_bench(int argc, char **argv)
{
	static struct bench b; /* large; one per process */
	bool json = false, quick = false;
	const char *json_out = NULL;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--json-out") && i + 1 < argc)
			json_out = argv[++i];
		else if (!strcmp(argv[i], "--no-memslot"))
			b.no_memslot = true;
		else if (!strcmp(argv[i], "--no-xarray"))
			b.no_xarray = true;
		else if (!strcmp(argv[i], "--kvm"))
			b.kvm = true;
		else if (!strcmp(argv[i], "--max-map-count") && i + 1 < argc &&
			 number_parse_str(argv[i + 1], &b.max_map_count) && b.max_map_count &&
			 b.max_map_count <= INT32_MAX)
			i++;
		else if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout);
		else
			return usage(stderr);
	}
	b.progress = isatty(STDERR_FILENO);
	ret = bench_run(&b, quick);
	if (ret)
		fprintf(stderr, "memattr bench: a workload failed: %s\n", strerror(-ret));
	else if (json)
		report_json(&b, stdout);
	else
		report_table(&b, stdout);
	if (!ret && json_out) {
		FILE *f = fopen(json_out, "w");

		if (f)
			report_json(&b, f);
		if (!f || fclose(f)) {
			fprintf(stderr, "memattr bench: cannot write %s\n", json_out);
			ret = -EIO;
		}
	}
	bench_free(&b);
	if (fflush(stdout))
		return 2;
	return ret ? 1 : 0;
}
