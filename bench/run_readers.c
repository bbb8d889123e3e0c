// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One reader thread doing uniform random lookups on the boot-trace layer,
 * first alone, then while the writer replays the trace's changes (each pass
 * alternately applies the trace's values and the default R|W|X, so every set
 * changes something).  Readers take no lock: the only cost of the writer
 * should be the cache lines it dirties.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"
#include "common/rng.h"

#define READER_GFNS (1 << 20)

struct reader {
	const struct bench *b;
	const uint64_t *g;
	int stop; /* atomic */
	uint64_t lookups;
	uint64_t ns;
	uint64_t sum;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	uint64_t n = 0, sum = 0, t0 = now_ns();

	while (!__atomic_load_n(&rd->stop, __ATOMIC_RELAXED)) {
		for (size_t i = 0; i < 4096; i++)
			sum += (uint64_t)memattr_get(rd->b->store, 0, rd->g[(n + i) % READER_GFNS]);
		n += 4096;
	}
	rd->ns = now_ns() - t0;
	rd->lookups = n;
	rd->sum = sum;
	return NULL;
}

/* The writer's side: replay passes until @ns have gone by; returns sets done. */
static int writer(const struct bench *b, uint64_t ns, uint64_t *sets)
{
	const struct trace *t = &b->trace;
	uint64_t t0 = now_ns(), n = 0, next;
	int ret = 0;

	for (unsigned int pass = 0; !ret && now_ns() - t0 < ns; pass++) {
		for (size_t i = t->nsweep; i < t->nops && !ret; i++, n++) {
			const struct trace_op *op = &t->ops[i];

			ret = memattr_set(b->store, op->layer, op->gfn, op->gfn + op->npages,
					  pass & 1 ? MEMATTR_RWX : op->value, 0, &next);
			if ((i & 1023) == 0 && now_ns() - t0 >= ns)
				break;
		}
	}
	*sets = n;
	return ret;
}

static int window(struct bench *b, const uint64_t *g, bool with_writer, double *reader_ns,
		  double *writer_ns)
{
	struct reader rd = { .b = b, .g = g };
	uint64_t t0, sets = 0;
	pthread_t th;
	int ret = 0;

	ret = -pthread_create(&th, NULL, reader_main, &rd);
	if (ret)
		return ret;
	t0 = now_ns();
	if (with_writer)
		ret = writer(b, b->sz.reader_ns, &sets);
	else
		usleep(b->sz.reader_ns / 1000);
	t0 = now_ns() - t0;
	__atomic_store_n(&rd.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	*reader_ns = (double)rd.ns / (double)rd.lookups;
	if (writer_ns)
		*writer_ns = sets ? (double)t0 / (double)sets : 0;
	return ret;
}

/**
 * bench_readers() - reader throughput on the store with and without a writer
 * @b: the run, after bench_boot(); the store's layer 0 is changed
 *
 * Return: 0 or -errno.
 */
int bench_readers(struct bench *b)
{
	struct row *alone = bench_row(b, "readers_alone", "reader: lookup, no writer", UNIT_NS);
	struct row *busy =
		bench_row(b, "readers_writer", "reader: lookup, writer replaying", UNIT_NS);
	struct row *w =
		bench_row(b, "writer_sets", "writer: set under a reader, per page", UNIT_NS);
	uint64_t *g = malloc(READER_GFNS * sizeof(*g));
	struct ram_layout ram;
	double r0, r1, ws;
	struct rng r;
	int ret;

	if (!alone || !busy || !w || !g) {
		free(g);
		return !g ? -ENOMEM : -ENOSPC;
	}
	rng_seed(&r, b->trace.p.seed ^ 0x4eade5);
	ram_layout_of(b->trace.p.guest_bytes, &ram);
	for (size_t i = 0; i < READER_GFNS; i++)
		g[i] = ram_gfn(&ram, rng_below(&r, ram.low_pages + ram.high_pages));
	bench_step(b, "reader alone");
	ret = window(b, g, false, &r0, NULL);
	if (!ret) {
		bench_step(b, "reader with a writer");
		ret = window(b, g, true, &r1, &ws);
	}
	free(g);
	if (ret)
		return ret;
	cell_set(alone, IMPL_STORE, r0, NULL);
	cell_set(busy, IMPL_STORE, r1, NULL);
	cell_set(w, IMPL_STORE, ws, NULL);
	return 0;
}
