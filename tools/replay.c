// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memattr replay: apply a trace (the config and set lines of a memattr
 * script) to a fresh store through the KVM-shaped front and report how fast
 * it went and what the store holds afterwards.  Parsing happens before the
 * clock starts, so the figures are the store's.  They are a fresh process's:
 * every page of new nodes faults in during the replay, and the report counts
 * those faults, since on some hosts they cost more than the sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memattr/kvm.h>
#include <memattr/memattr.h>

#include "common/clock.h"
#include "common/trace.h"
#include "cmd.h"

#define PROGRESS_AFTER_NS 300000000ULL /* a bar only for replays that last */
#define PROGRESS_EVERY	  4096

static int usage(FILE *f)
{
	fprintf(f, "usage: memattr replay [--dump] TRACE\n"
		   "  --dump  print every layer's runs (as `dump L` of memattr script) on stdout\n"
		   "          and the figures on stderr\n");
	return f == stdout ? 0 : 2;
}

static int file_read(const char *path, char **buf, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *b = NULL;
	int fd, ret = 0;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (!b || n == cap) {
			char *nb = realloc(b, b ? cap *= 2 : cap);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	*len = n;
	return 0;
}

static void progress(size_t done, size_t total, uint64_t elapsed)
{
	int width = 40, fill = (int)((double)done / (double)total * width);

	fprintf(stderr, "\r[%.*s%*s] %3d%% %.1f s", fill,
		"########################################", width - fill, "",
		(int)(100.0 * (double)done / (double)total), (double)elapsed / 1e9);
}

struct counter {
	uint64_t runs;
	FILE *dump;
};

static int count_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct counter *c = opaque;

	c->runs++;
	if (c->dump && value)
		fprintf(c->dump, "0x%llx 0x%llx 0x%llx\n", (unsigned long long)start,
			(unsigned long long)end, (unsigned long long)value);
	return 0;
}

/* Page faults the process has taken so far, or 0 if unknown. */
static long faults_so_far(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_minflt + ru.ru_majflt;
}

static int apply(struct memattr_store *s, const struct replay_trace *t, const char *path,
		 uint64_t *elapsed, long *faults)
{
	bool tty = isatty(STDERR_FILENO), bar = false;
	long f0 = faults_so_far();
	uint64_t t0 = now_ns();

	for (size_t i = 0; i < t->nops; i++) {
		const struct replay_op *op = &t->ops[i];
		struct memattr_kvm_attributes a = {
			.address = op->address,
			.size = op->size,
			.attributes = op->attributes,
			.flags = op->flags,
		};
		int ret;

		/* Without a work limit a set stops early only when memory runs short. */
		do
			ret = memattr_kvm_set_attributes(s, op->layer, &a, 0);
		while (!ret && a.size);
		if (ret) {
			if (bar)
				fputc('\n', stderr);
			fprintf(stderr, "memattr replay: %s:%u: set failed: %s\n", path, op->line,
				strerror(-ret));
			return ret;
		}
		if (tty && i % PROGRESS_EVERY == 0 && now_ns() - t0 > PROGRESS_AFTER_NS) {
			bar = true;
			progress(i, t->nops, now_ns() - t0);
		}
	}
	*elapsed = now_ns() - t0;
	*faults = faults_so_far() - f0;
	if (bar) {
		progress(t->nops, t->nops, *elapsed);
		fputc('\n', stderr);
	}
	return 0;
}

static void report(struct memattr_store *s, const struct replay_trace *t, uint64_t elapsed,
		   long faults, FILE *out, FILE *dump)
{
	uint64_t end = t->gpa_bits - MEMATTR_PAGE_SHIFT >= 64
			       ? UINT64_MAX
			       : 1ULL << (t->gpa_bits - MEMATTR_PAGE_SHIFT);
	double secs = (double)elapsed / 1e9;
	struct memattr_stats st;

	fprintf(out, "replayed %zu sets in %.6f s: %.0f ops/s, %.1f ns per op, %ld page faults\n",
		t->nops, secs, secs > 0 ? (double)t->nops / secs : 0.0,
		t->nops ? (double)elapsed / (double)t->nops : 0.0, faults);
	for (unsigned int l = 0; l < t->layers; l++) {
		struct counter c = { .dump = dump };

		memattr_runs(s, l, 0, end, count_run, &c);
		if (dump)
			fprintf(dump, "end\n");
		memattr_stats(s, (int)l, &st);
		fprintf(out, "layer %u: %llu runs, %llu interior nodes, %llu leaves, %llu bytes\n",
			l, (unsigned long long)c.runs, (unsigned long long)st.interior_nodes,
			(unsigned long long)st.leaves, (unsigned long long)st.bytes);
	}
	memattr_stats(s, -1, &st);
	fprintf(out, "total: %llu nodes, %llu bytes\n",
		(unsigned long long)st.interior_nodes + st.leaves, (unsigned long long)st.bytes);
}

int cmd_replay(int argc, char **argv)
{
	struct memattr_config cfg = { 0 };
	struct memattr_store *s = NULL;
	struct replay_trace t;
	const char *path = NULL;
	bool dump = false;
	uint64_t elapsed = 0;
	long faults = 0;
	char err[160];
	size_t len = 0;
	char *buf = NULL;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dump")) {
			dump = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			return usage(stdout);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "memattr replay: unknown option '%s'\n", argv[i]);
			return usage(stderr);
		} else if (path) {
			fprintf(stderr, "memattr replay: one TRACE at most ('%s')\n", argv[i]);
			return usage(stderr);
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fprintf(stderr, "memattr replay: no TRACE given\n");
		return usage(stderr);
	}
	ret = file_read(path, &buf, &len);
	if (ret) {
		fprintf(stderr, "memattr replay: %s: %s\n", path, strerror(-ret));
		return 2;
	}
	ret = trace_parse(buf, len, &t, err, sizeof(err));
	free(buf);
	if (ret) {
		fprintf(stderr, "memattr replay: %s: %s\n", path,
			ret == -EINVAL ? err : strerror(-ret));
		return 1;
	}
	cfg.layers = t.layers;
	cfg.gpa_bits = t.gpa_bits;
	cfg.flags = t.mbec ? MEMATTR_F_MBEC : 0;
	ret = memattr_store_create(&cfg, &s);
	if (ret) {
		fprintf(stderr, "memattr replay: cannot make the store: %s\n", strerror(-ret));
		goto out_trace;
	}
	ret = apply(s, &t, path, &elapsed, &faults);
	if (!ret)
		report(s, &t, elapsed, faults, dump ? stderr : stdout, dump ? stdout : NULL);
	memattr_store_destroy(s);
out_trace:
	replay_trace_free(&t);
	if (fflush(stdout))
		return 2;
	return ret ? 1 : 0;
}
