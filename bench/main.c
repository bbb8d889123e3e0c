// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memattr-bench, the program `memattr bench` runs with its arguments: the
 * store against its baselines, one process, one run (BENCHMARKS.md).  A
 * program of its own, so that the memattr command links neither the
 * benchmarks nor their baselines (Judy).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "common/heap.h"
#include "common/number.h"

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

int main(int argc, char **argv)
{
	static struct bench b; /* large; one per process */
	bool json = false, quick = false;
	const char *json_out = NULL;
	FILE *jf = NULL;
	int ret;

	heap_keep_freed(); /* as memattr-bench-xarray's heap (common/heap.h) */

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--json-out")) {
			if (i + 1 == argc) {
				fprintf(stderr, "memattr bench: --json-out needs a FILE\n");
				return 2;
			}
			json_out = argv[++i];
		} else if (!strcmp(argv[i], "--no-memslot")) {
			b.no_memslot = true;
		} else if (!strcmp(argv[i], "--no-xarray")) {
			b.no_xarray = true;
		} else if (!strcmp(argv[i], "--kvm")) {
			b.kvm = true;
		} else if (!strcmp(argv[i], "--max-map-count")) {
			if (i + 1 == argc || !number_parse_str(argv[i + 1], &b.max_map_count) ||
			    !b.max_map_count || b.max_map_count > INT32_MAX) {
				fprintf(stderr,
					"memattr bench: --max-map-count needs a number 1..%d\n",
					INT32_MAX);
				return 2;
			}
			i++;
		} else if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout);
		} else {
			fprintf(stderr, "memattr bench: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		}
	}
	/* Before the run, which takes minutes: a bad path is found in no time. */
	if (json_out) {
		jf = fopen(json_out, "w");
		if (!jf) {
			fprintf(stderr, "memattr bench: %s: %s\n", json_out, strerror(errno));
			return 2;
		}
	}
	b.progress = isatty(STDERR_FILENO);
	ret = bench_run(&b, quick);
	if (ret)
		fprintf(stderr, "memattr bench: a workload failed: %s\n", strerror(-ret));
	else if (json)
		report_json(&b, stdout);
	else
		report_table(&b, stdout);
	if (jf) {
		bool bad;

		if (!ret)
			report_json(&b, jf);
		bad = fflush(jf) || ferror(jf);
		if (fclose(jf))
			bad = true;
		if (bad && !ret) {
			fprintf(stderr, "memattr bench: %s: write error\n", json_out);
			ret = -EIO;
		}
	}
	bench_free(&b);
	if (fflush(stdout))
		return 2;
	return ret ? 1 : 0;
}
