// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Changes without locality on a layer of the trace's guest: single pages at
 * random distinct places (as many as the trace has changes: 300,000 on
 * 64 GiB), one set per page, in random order; and 512-page runs at random
 * page offsets (one run in each of a quarter of RAM's 4 MiB chunks), one
 * range set per run.  Values are random legal ones other than RWX.  Each
 * structure starts empty, as a new VM's attributes do, except in the row
 * where all RAM is set to RWX first (untimed), as a confidential VM's VMM
 * sets all its RAM private before the guest converts pages.  Best of a few
 * runs, then the memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"
#include "common/rng.h"

#define RUNS	  3
#define RUN_PAGES 512

static const uint8_t values[] = { MEMATTR_READ, MEMATTR_READ | MEMATTR_WRITE,
				  MEMATTR_READ | MEMATTR_EXECUTE, MEMATTR_NO_ACCESS };

/* @pre (untimed, @npre sets), then @ops (@n sets, timed) on a fresh layer. */
struct workload {
	struct trace_op pre[2];
	size_t npre;
	struct trace_op *ops;
	size_t n;
	uint64_t pages;
};

/* @n distinct random pages of RAM, each its own op, in the order drawn. */
static int scattered(const struct bench *b, struct rng *r, size_t n, struct workload *w)
{
	struct ram_layout ram;
	uint64_t ram_pages;
	uint8_t *seen;

	ram_layout_of(b->trace.p.guest_bytes, &ram);
	ram_pages = ram.low_pages + ram.high_pages;
	seen = calloc(ram_pages / 8 + 1, 1);
	w->ops = malloc(n * sizeof(*w->ops) + 1);
	if (!seen || !w->ops) {
		free(seen);
		free(w->ops);
		w->ops = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < n;) {
		uint64_t k = rng_below(r, ram_pages);

		if (seen[k / 8] & (1u << (k % 8)))
			continue;
		seen[k / 8] |= (uint8_t)(1u << (k % 8));
		w->ops[i++] = (struct trace_op){ .gfn = ram_gfn(&ram, k),
						 .npages = 1,
						 .value = values[rng_below(r, sizeof(values))] };
	}
	free(seen);
	w->n = n;
	w->pages = n;
	return 0;
}

/*
 * 512-page runs: one in four of RAM's 4 MiB chunks, chosen at random, each
 * holding one run at a random page offset in its first half (so none touch).
 */
static int runs_512(const struct bench *b, struct rng *r, struct workload *w)
{
	struct ram_layout ram;
	uint64_t chunks, n, *pick;

	ram_layout_of(b->trace.p.guest_bytes, &ram);
	chunks = (ram.low_pages + ram.high_pages) / (2 * RUN_PAGES);
	n = chunks / 4;
	pick = malloc(chunks * sizeof(*pick) + 1);
	w->ops = malloc(n * sizeof(*w->ops) + 1);
	if (!pick || !w->ops) {
		free(pick);
		free(w->ops);
		w->ops = NULL;
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < chunks; i++)
		pick[i] = i;
	w->n = 0;
	for (uint64_t i = 0; i < chunks && w->n < n; i++) {
		uint64_t j = i + rng_below(r, chunks - i), c = pick[j], k;

		pick[j] = pick[i];
		k = c * 2 * RUN_PAGES + rng_below(r, RUN_PAGES + 1);
		/* RAM indexes are contiguous but gfns jump the 32-bit hole: no run across it. */
		if (ram_gfn(&ram, k) + RUN_PAGES - 1 != ram_gfn(&ram, k + RUN_PAGES - 1))
			continue;
		w->ops[w->n++] = (struct trace_op){ .gfn = ram_gfn(&ram, k),
						    .npages = RUN_PAGES,
						    .value = values[rng_below(r, sizeof(values))] };
	}
	free(pick);
	w->pages = w->n * RUN_PAGES;
	return 0;
}

static int store_set_op(struct memattr_store *s, const struct trace_op *op)
{
	uint64_t next;
	int ret = memattr_set(s, 0, op->gfn, op->gfn + op->npages, op->value, 0, &next);

	return ret ? ret : next == op->gfn + op->npages ? 0 : -ENOMEM;
}

static int store_apply_all(const struct bench *b, const struct workload *w, uint64_t *ns,
			   uint64_t *bytes)
{
	struct memattr_config cfg = { .layers = 1, .gpa_bits = b->trace.p.gpa_bits };
	struct memattr_store *s;
	struct memattr_stats st;
	uint64_t t0;
	int ret = memattr_store_create(&cfg, &s);

	if (ret)
		return ret;
	for (size_t i = 0; i < w->npre && !ret; i++)
		ret = store_set_op(s, &w->pre[i]);
	t0 = now_ns();
	for (size_t i = 0; i < w->n && !ret; i++)
		ret = store_set_op(s, &w->ops[i]);
	*ns = now_ns() - t0;
	memattr_stats(s, -1, &st);
	*bytes = st.bytes;
	memattr_store_destroy(s);
	return ret;
}

static int flat_apply_all(const struct bench *b, const struct workload *w, uint64_t *ns,
			  uint64_t *bytes)
{
	struct flat f;
	uint64_t t0;
	int ret = flat_create(&f, 1, b->ram_end);

	if (ret)
		return ret;
	for (size_t i = 0; i < w->npre; i++)
		flat_set(&f, 0, w->pre[i].gfn, w->pre[i].gfn + w->pre[i].npages, w->pre[i].value);
	t0 = now_ns();
	for (size_t i = 0; i < w->n; i++)
		flat_set(&f, 0, w->ops[i].gfn, w->ops[i].gfn + w->ops[i].npages, w->ops[i].value);
	*ns = now_ns() - t0;
	*bytes = flat_bytes(&f);
	flat_destroy(&f);
	return 0;
}

static int judy_apply_all(const struct bench *b, const struct workload *w, uint64_t *ns,
			  uint64_t *bytes)
{
	struct judy j = { 0 };
	uint64_t t0;
	int ret = 0;

	(void)b;
	for (size_t i = 0; i < w->npre && !ret; i++)
		ret = judy_set(&j, 0, w->pre[i].gfn, w->pre[i].gfn + w->pre[i].npages,
			       w->pre[i].value);
	t0 = now_ns();
	for (size_t i = 0; i < w->n && !ret; i++)
		ret = judy_set(&j, 0, w->ops[i].gfn, w->ops[i].gfn + w->ops[i].npages,
			       w->ops[i].value);
	*ns = now_ns() - t0;
	*bytes = judy_bytes(&j);
	judy_destroy(&j);
	return ret;
}

static int xarray_apply_all(struct bench *b, const struct xa_set_op *ops, size_t npre, size_t n,
			    uint64_t *ns, uint64_t *bytes)
{
	int ret = xarray_reset(&b->xa, XA_SPACE_SCRATCH, 1);

	if (!ret && npre)
		ret = xarray_set(&b->xa, XA_SPACE_SCRATCH, ops, npre, ns);
	if (!ret)
		ret = xarray_set(&b->xa, XA_SPACE_SCRATCH, ops + npre, n, ns);
	if (!ret)
		ret = xarray_memory(&b->xa, XA_SPACE_SCRATCH, bytes);
	if (!ret)
		ret = xarray_reset(&b->xa, XA_SPACE_SCRATCH, 0);
	return ret;
}

typedef int (*apply_fn)(const struct bench *b, const struct workload *w, uint64_t *ns,
			uint64_t *bytes);

/* Best time of RUNS fresh runs and the memory after the last; 0, -ENOTSUP (skip) or -errno. */
static int best_of(struct bench *b, enum impl i, apply_fn fn, const struct workload *w,
		   uint64_t *ns, uint64_t *bytes)
{
	struct xa_set_op *ops = NULL;
	int ret = 0;

	*ns = UINT64_MAX;
	if (i == IMPL_XARRAY) {
		ops = malloc((w->npre + w->n) * sizeof(*ops) + 1);
		if (!ops)
			return -ENOMEM;
		for (size_t k = 0; k < w->npre + w->n; k++) {
			const struct trace_op *op = k < w->npre ? &w->pre[k] : &w->ops[k - w->npre];

			ops[k] = (struct xa_set_op){ .gfn = op->gfn,
						     .npages = op->npages,
						     .value = op->value };
		}
	}
	for (int run = 0; run < RUNS && !ret; run++) {
		uint64_t t;

		ret = ops ? (xarray_apply_all(b, ops, w->npre, w->n, &t, bytes) ? -ENOTSUP : 0)
			  : fn(b, w, &t, bytes);
		*ns = t < *ns ? t : *ns;
	}
	free(ops);
	return ret;
}

/* Every structure's best time, per @per, in @time; its memory in @mem if not NULL. */
static int rows_of(struct bench *b, const struct workload *w, struct row *time, struct row *mem,
		   double per)
{
	static const struct {
		enum impl impl;
		apply_fn fn;
	} impls[] = {
		{ IMPL_STORE, store_apply_all },
		{ IMPL_FLAT, flat_apply_all },
		{ IMPL_JUDY, judy_apply_all },
		{ IMPL_XARRAY, NULL },
	};

	for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
		enum impl i = impls[k].impl;
		uint64_t ns, bytes;
		int ret;

		if (i == IMPL_JUDY && !judy_available()) {
			cell_skip(time, i, "skipped: built without Judy");
			if (mem)
				cell_skip(mem, i, "skipped: built without Judy");
			continue;
		}
		ret = i == IMPL_XARRAY && !b->xa.ok ? -ENOTSUP
						    : best_of(b, i, impls[k].fn, w, &ns, &bytes);
		if (ret == -ENOTSUP) {
			xarray_skip(b, time);
			if (mem)
				xarray_skip(b, mem);
			continue;
		}
		if (ret)
			return ret;
		cell_set(time, i, (double)ns / per, NULL);
		if (mem)
			cell_set(mem, i, (double)bytes, NULL);
	}
	return 0;
}

/**
 * bench_scatter() - scattered single-page sets and 512-page runs on every structure
 * @b: the run
 *
 * Return: 0 or -errno.
 */
int bench_scatter(struct bench *b)
{
	struct row *sets, *smem, *over, *runs, *rmem;
	struct workload w = { 0 };
	struct ram_layout ram;
	struct rng r;
	int ret;

	sets = bench_row(b, "scatter_sets", "scattered: single-page sets, per page", UNIT_NS);
	smem = bench_row(b, "scatter_memory", "scattered: memory after", UNIT_BYTES);
	over = bench_row(b, "scatter_over_sets", "scattered on an all-RWX layer, per page",
			 UNIT_NS);
	runs = bench_row(b, "runs512_sets", "512-page runs: range set, per run", UNIT_NS);
	rmem = bench_row(b, "runs512_memory", "512-page runs: memory after", UNIT_BYTES);
	if (!sets || !smem || !over || !runs || !rmem)
		return -ENOSPC;
	rng_seed(&r, b->trace.p.seed ^ 0x5ca77e7);

	bench_step(b, "scattered single-page sets");
	ret = scattered(b, &r, b->trace.p.changes, &w);
	if (!ret)
		ret = rows_of(b, &w, sets, smem, (double)w.pages);
	if (!ret) {
		snprintf(sets->c[IMPL_STORE].note, sizeof(sets->c[IMPL_STORE].note),
			 "%zu random distinct pages", w.n);
		/* The same pages after one range set of all RAM (both sides of the 32-bit hole). */
		bench_step(b, "scattered single-page sets on an all-RWX layer");
		ram_layout_of(b->trace.p.guest_bytes, &ram);
		w.pre[0] = (struct trace_op){ .gfn = 0,
					      .npages = ram.low_pages,
					      .value = MEMATTR_RWX };
		w.pre[1] = (struct trace_op){ .gfn = ram.high_start,
					      .npages = ram.high_pages,
					      .value = MEMATTR_RWX };
		w.npre = ram.high_pages ? 2 : 1;
		ret = rows_of(b, &w, over, NULL, (double)w.pages);
	}
	free(w.ops);
	if (ret)
		return ret;
	snprintf(over->c[IMPL_STORE].note, sizeof(over->c[IMPL_STORE].note),
		 "the same pages, all RAM set first");

	bench_step(b, "512-page runs");
	memset(&w, 0, sizeof(w));
	ret = runs_512(b, &r, &w);
	if (ret)
		return ret;
	ret = rows_of(b, &w, runs, rmem, (double)w.n);
	if (!ret)
		bench_note(b,
			   "512-page runs: %zu runs (%llu pages) at random page offsets, none "
			   "touching, one range set each",
			   w.n, (unsigned long long)w.pages);
	free(w.ops);
	return ret;
}
