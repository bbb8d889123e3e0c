// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr gen: write a seeded VSM boot trace as a memattr script (docs/trace.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/trace.h"
#include "../bench/args.h"
#include "cmd.h"

static int usage(void)
{
	fprintf(stderr, "usage: memattr gen [--guest SIZE] [--changes N] [--seed N] [--layers N]\n"
			"                   [--gpa-bits N] [-o FILE]\n"
			"  SIZE in bytes or with K/M/G/T (default 64G, at most 1T)\n");
	return 2;
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
			return usage() & 0;
		if (!val)
			return usage();
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
		else
			return usage();
	}
	if (trace_params_check(&p, &why)) {
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
