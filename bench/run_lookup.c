// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Random lookups on the fragmented layer (layer 0 after the boot trace),
 * uniform over RAM and from a hot set of changed pages; and huge-page order
 * queries.  The gfns are drawn beforehand, so every implementation reads the
 * same sequence (the XArray's process is given it); lookups are independent,
 * as a VMM's are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"
#include "common/rng.h"

#define HOT_PAGES 16384
#define PASSES	  3
#define MANY	  256

static volatile uint64_t sink; /* keeps the lookups from being optimised away */

static uint64_t store_get(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)memattr_get(b->store, 0, g[i]);
	return sum;
}

/*
 * Dependent lookups: the next gfn's index depends on the value just read,
 * so each lookup waits for the previous one, as one fault handler's do.
 * @n is a power of two.
 */
static uint64_t store_get_chain(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int v = memattr_get(b->store, 0, g[j]);

		sum += (uint64_t)v;
		j = (j + 1 + ((unsigned int)v >> 8)) & (n - 1);
	}
	return sum;
}

static uint64_t flat_chain(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t v = flat_get(&b->flat, 0, g[j]);

		sum += v;
		j = (j + 1 + (v >> 6)) & (n - 1);
	}
	return sum;
}

static uint64_t judy_chain(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t v = judy_lookups(&b->judy, 0, &g[j], 1);

		sum += v;
		j = (j + 1 + (v >> 8)) & (n - 1);
	}
	return sum;
}

/* One batch of lookups through a get_many-shaped call. */
typedef int (*batch_fn)(const struct bench *b, const uint64_t *g, size_t n, uint8_t *v);

static uint64_t in_batches(const struct bench *b, batch_fn fn, const uint64_t *g, size_t n)
{
	uint8_t v[MANY];
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i += MANY) {
		size_t k = n - i < MANY ? n - i : MANY;

		fn(b, g + i, k, v);
		for (size_t j = 0; j < k; j++)
			sum += v[j];
	}
	return sum;
}

static int store_batch(const struct bench *b, const uint64_t *g, size_t n, uint8_t *v)
{
	return memattr_get_many(b->store, 0, g, n, v);
}

static uint64_t store_get_many(const struct bench *b, const uint64_t *g, size_t n)
{
	return in_batches(b, store_batch, g, n);
}

static uint64_t flat_lookups(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += flat_get(&b->flat, 0, g[i]);
	return sum;
}

static uint64_t twolevel_lookups(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint64_t)twolevel_get(&b->twolevel, g[i]);
	return sum;
}

static uint64_t twolevel_chain(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int v = twolevel_get(&b->twolevel, g[j]);

		sum += (uint64_t)v;
		j = (j + 1 + ((unsigned int)v >> 8)) & (n - 1);
	}
	return sum;
}

static int twolevel_batch(const struct bench *b, const uint64_t *g, size_t n, uint8_t *v)
{
	return twolevel_get_many(&b->twolevel, g, n, v);
}

static uint64_t twolevel_many(const struct bench *b, const uint64_t *g, size_t n)
{
	return in_batches(b, twolevel_batch, g, n);
}

static uint64_t judy_lookup_all(const struct bench *b, const uint64_t *g, size_t n)
{
	return judy_lookups(&b->judy, 0, g, n);
}

static uint64_t store_extents(const struct bench *b, const uint64_t *g, size_t n)
{
	struct memattr_extent e;
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		memattr_extent(b->store, 0, g[i], &e);
		sum += e.order;
	}
	return sum;
}

static uint64_t store_huge_orders(const struct bench *b, const uint64_t *g, size_t n)
{
	unsigned int order;
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		sum += (uint64_t)memattr_huge_order(b->store, 0, g[i], &order);
		sum += order;
	}
	return sum;
}

static uint64_t flat_extents(const struct bench *b, const uint64_t *g, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += flat_order(&b->flat, g[i]);
	return sum;
}

typedef uint64_t (*lookup_fn)(const struct bench *b, const uint64_t *g, size_t n);

/* Best of a few passes, in ns per lookup. */
static double timed(const struct bench *b, lookup_fn fn, const uint64_t *g, size_t n)
{
	uint64_t best = UINT64_MAX;

	for (int k = 0; k < PASSES; k++) {
		uint64_t t0 = now_ns();

		sink += fn(b, g, n);
		t0 = now_ns() - t0;
		best = t0 < best ? t0 : best;
	}
	return (double)best / (double)n;
}

/*
 * The lookup figures are a few nanoseconds and the host moves them by 30%
 * from one pass to the next: every implementation of a row is timed once per
 * round, the rounds interleaved, and each keeps its fastest round, so a
 * slow patch of the host hits them all alike rather than one.
 */
#define LOOKUP_ROUNDS 5

static void timed_interleaved(const struct bench *b, const lookup_fn *fns, double *ns, size_t k,
			      const uint64_t *g, size_t n)
{
	for (size_t i = 0; i < k; i++)
		ns[i] = -1;
	for (int round = 0; round < LOOKUP_ROUNDS; round++) {
		for (size_t i = 0; i < k; i++) {
			uint64_t t0;
			double t;

			if (!fns[i])
				continue;
			t0 = now_ns();
			sink += fns[i](b, g, n);
			t = (double)(now_ns() - t0) / (double)n;
			if (ns[i] < 0 || t < ns[i])
				ns[i] = t;
		}
	}
}

static void gfns_uniform(const struct bench *b, struct rng *r, uint64_t *g, size_t n)
{
	struct ram_layout ram;

	ram_layout_of(b->trace.p.guest_bytes, &ram);
	for (size_t i = 0; i < n; i++)
		g[i] = ram_gfn(&ram, rng_below(r, ram.low_pages + ram.high_pages));
}

static void gfns_hot(const struct bench *b, struct rng *r, uint64_t *g, size_t n)
{
	const struct trace *t = &b->trace;
	uint64_t hot[HOT_PAGES];

	for (size_t i = 0; i < HOT_PAGES; i++)
		hot[i] = t->ops[t->nsweep + rng_below(r, t->nops - t->nsweep)].gfn;
	for (size_t i = 0; i < n; i++)
		g[i] = hot[rng_below(r, HOT_PAGES)];
}

/*
 * kvm_get_memory_attributes() on the same gfns in memattr-bench-xarray.  Its
 * sums must be the flat array's: the XArray holds the same boot trace.
 */
static int xarray_lookups(struct bench *b, struct row *r, struct row *m, struct row *d,
			  const uint64_t *g, size_t n)
{
	uint64_t want = flat_lookups(b, g, n), ns, chain_ns, sum, chain_sum;

	if (!b->xa_ready || xarray_gfns(&b->xa, g, n) ||
	    xarray_get(&b->xa, XA_SPACE_BOOT, 0, false, PASSES, &ns, &sum) ||
	    xarray_get(&b->xa, XA_SPACE_BOOT, 0, true, PASSES, &chain_ns, &chain_sum)) {
		xarray_skip(b, r);
		xarray_skip(b, m);
		xarray_skip(b, d);
		return 0;
	}
	if (sum != want || chain_sum != want) {
		fprintf(stderr, "memattr bench: the XArray's lookups disagree with the store's\n");
		return -EPROTO;
	}
	cell_set(r, IMPL_XARRAY, (double)ns / (double)n, NULL);
	cell_set(m, IMPL_XARRAY, (double)ns / (double)n, NULL);
	cell_set(d, IMPL_XARRAY, (double)chain_ns / (double)n, NULL);
	return 0;
}

static int lookup_rows(struct bench *b, const char *id, const char *name, const uint64_t *g,
		       size_t n)
{
	struct row *r = bench_row(b, id, name, UNIT_NS);
	char sub_id[32], sub_name[64];
	struct row *m, *d;

	snprintf(sub_id, sizeof(sub_id), "%s_many", id);
	snprintf(sub_name, sizeof(sub_name), "%s, get_many", name);
	m = bench_row(b, sub_id, sub_name, UNIT_NS);
	snprintf(sub_id, sizeof(sub_id), "%s_dep", id);
	snprintf(sub_name, sizeof(sub_name), "%s, dependent", name);
	d = bench_row(b, sub_id, sub_name, UNIT_NS);
	if (!r || !m || !d)
		return -ENOSPC;
	/* Dependent: store, flat, two-level, Judy; then independent: the same and the batches. */
	const lookup_fn dep[] = { store_get_chain, flat_chain, twolevel_chain,
				  b->judy_ready ? judy_chain : NULL };
	const lookup_fn ind[] = { store_get,	    flat_lookups,
				  twolevel_lookups, b->judy_ready ? judy_lookup_all : NULL,
				  store_get_many,   twolevel_many };
	double dns[4], ins[6];

	timed_interleaved(b, dep, dns, 4, g, n);
	timed_interleaved(b, ind, ins, 6, g, n);
	cell_set(d, IMPL_STORE, dns[0], "each waits for the previous");
	cell_set(d, IMPL_FLAT, dns[1], NULL);
	cell_set(d, IMPL_TWOLEVEL, dns[2], NULL);
	if (b->judy_ready)
		cell_set(d, IMPL_JUDY, dns[3], NULL);
	else
		cell_skip(d, IMPL_JUDY, "skipped: built without Judy");
	cell_set(r, IMPL_STORE, ins[0], NULL);
	cell_set(r, IMPL_FLAT, ins[1], NULL);
	cell_set(r, IMPL_TWOLEVEL, ins[2], "dense, behind the store's calls: a reference");
	if (b->judy_ready)
		cell_set(r, IMPL_JUDY, ins[3], NULL);
	else
		cell_skip(r, IMPL_JUDY, "skipped: built without Judy");
	cell_set(m, IMPL_STORE, ins[4], "memattr_get_many()");
	cell_set(m, IMPL_FLAT, ins[1], NULL);
	cell_set(m, IMPL_TWOLEVEL, ins[5], NULL);
	if (b->judy_ready)
		cell_set(m, IMPL_JUDY, ins[3], NULL);
	return xarray_lookups(b, r, m, d, g, n);
}

/* memattr_huge_order() on the gfns a lookup row used, against the flat array's mixed flags. */
static int order_row(struct bench *b, const char *id, const char *name, const uint64_t *g, size_t n)
{
	struct row *o = bench_row(b, id, name, UNIT_NS);

	if (!o)
		return -ENOSPC;
	cell_set(o, IMPL_STORE, timed(b, store_huge_orders, g, n), "value and 4K/2M/1G order");
	cell_set(o, IMPL_FLAT, timed(b, flat_extents, g, n), "KVM-style mixed flags, 2M/1G");
	cell_skip(o, IMPL_JUDY, "n/a: KVM keeps mixed flags beside it");
	cell_skip(o, IMPL_XARRAY, "n/a: KVM keeps mixed flags beside it");
	return 0;
}

/**
 * bench_lookup() - random lookups and extent queries on the boot-trace layer
 * @b: the run, after bench_boot()
 *
 * Return: 0 or -errno.
 */
int bench_lookup(struct bench *b)
{
	size_t n = b->sz.lookups;
	uint64_t *g = malloc(n * sizeof(*g));
	struct rng r;
	struct row *e;
	int ret;

	if (!g)
		return -ENOMEM;
	ret = twolevel_build(&b->twolevel, &b->flat);
	if (ret) {
		free(g);
		return ret;
	}
	rng_seed(&r, b->trace.p.seed ^ 0x100c0b5);
	bench_step(b, "random lookups: uniform");
	gfns_uniform(b, &r, g, n);
	ret = lookup_rows(b, "lookup_uniform", "lookup: uniform", g, n);
	if (ret)
		goto out;
	e = bench_row(b, "extent_uniform", "extent (huge-page order), uniform", UNIT_NS);
	if (!e) {
		ret = -ENOSPC;
		goto out;
	}
	bench_step(b, "extent queries");
	cell_set(e, IMPL_STORE, timed(b, store_extents, g, n), "value, run bounds, any order");
	cell_set(e, IMPL_FLAT, timed(b, flat_extents, g, n), "KVM-style mixed flags, 2M/1G");
	cell_skip(e, IMPL_JUDY, "n/a: KVM keeps mixed flags beside it");
	cell_skip(e, IMPL_XARRAY, "n/a: KVM keeps mixed flags beside it");
	ret = order_row(b, "order_uniform", "huge-page order, uniform", g, n);
	if (ret)
		goto out;
	bench_step(b, "random lookups: hot set");
	gfns_hot(b, &r, g, n);
	ret = lookup_rows(b, "lookup_hot", "lookup: hot set (16384 pages)", g, n);
	if (!ret)
		ret = order_row(b, "order_hot", "huge-page order, hot set", g, n);
out:
	twolevel_destroy(&b->twolevel);
	free(g);
	return ret;
}
