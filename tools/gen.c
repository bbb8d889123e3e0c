// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr gen: write a seeded VSM boot trace as a memattr script (docs/trace.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "common/args.h"
#include "cmd.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr gen [--guest SIZE] [--changes N] [--seed N] [--layers N]\n"
		   "                   [--gpa-bits N] [-o FILE]\n"
		   "  SIZE in bytes or with K/M/G/T (default 64G, at most 1T)\n");
	return f == stdout ? 0 : 2;
}

/*
 * The largest change count trace_params_check() takes with @p's other
 * parameters (it refuses more changes than the guest has room for), or
 * UINT64_MAX when it is not the change count that it refuses.
 */
static uint64_t max_changes(const struct trace_params *p)
{
	struct trace_params q = *p;
	uint64_t lo = 0, hi = p->changes;
	const char *why;

	q.changes = 0;
	if (trace_params_check(&q, &why))
		return UINT64_MAX;
	while (lo < hi) { /* lo fits; the answer is in [lo, hi] */
		uint64_t mid = lo + (hi - lo + 1) / 2;

		q.changes = mid;
		if (trace_params_check(&q, &why))
			hi = mid - 1;
		else
			lo = mid;
	}
	return lo;
}

int cmd_gen(int argc, char **argv)
{
	struct trace_params p;
	const char *out = NULL, *why;
	struct trace t;
	FILE *f = stdout;
	int ret;

	trace_params_default(&p);
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t v;

		if (!strcmp(opt, "-h") || !strcmp(opt, "--help"))
			return usage(stdout);
		if (strcmp(opt, "-o") && strcmp(opt, "--guest") && strcmp(opt, "--changes") &&
		    strcmp(opt, "--seed") && strcmp(opt, "--layers") && strcmp(opt, "--gpa-bits")) {
			fprintf(stderr, "memattr gen: unknown option '%s'\n", opt);
			return usage(stderr);
		}
		if (!val) {
			fprintf(stderr, "memattr gen: %s needs a value\n", opt);
			return 2;
		}
		i++;
		if (!strcmp(opt, "-o")) {
			out = val;
			continue;
		}
		if (!strcmp(opt, "--guest") ? !args_parse_size(val, &v)
					    : !number_parse_str(val, &v)) {
			fprintf(stderr, "memattr gen: bad value '%s' for %s\n", val, opt);
			return 2;
		}
		if (!strcmp(opt, "--guest"))
			p.guest_bytes = v;
		else if (!strcmp(opt, "--changes"))
			p.changes = v;
		else if (!strcmp(opt, "--seed"))
			p.seed = v;
		else if (!strcmp(opt, "--layers"))
			p.layers = v > 64 ? 65 : (unsigned int)v; /* range: trace_params_check() */
		else if (!strcmp(opt, "--gpa-bits"))
			p.gpa_bits = v > 64 ? 65 : (unsigned int)v;
	}
	if (trace_params_check(&p, &why)) {
		uint64_t fit = max_changes(&p);

		if (fit < p.changes)
			fprintf(stderr, "memattr gen: %s: %llu changes asked, at most %llu fit\n",
				why, (unsigned long long)p.changes, (unsigned long long)fit);
		else
			fprintf(stderr, "memattr gen: %s\n", why);
		return 2;
	}
	ret = trace_generate(&p, &t);
	if (ret) {
		fprintf(stderr, "memattr gen: %s\n", strerror(-ret));
		return 1;
	}
	if (out && strcmp(out, "-") != 0) {
		f = fopen(out, "w");
		if (!f) {
			fprintf(stderr, "memattr gen: %s: %s\n", out, strerror(errno));
			trace_free(&t);
			return 2;
		}
	}
	ret = trace_write(&t, f);
	if (fflush(f) || ret)
		ret = -EIO;
	if (f != stdout && fclose(f))
		ret = -EIO;
	trace_free(&t);
	if (ret) {
		fprintf(stderr, "memattr gen: %s: write error\n", out ? out : "stdout");
		return 1;
	}
	return 0;
}
