// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot trace on the store, the flat array, the Judy map and upstream
 * KVM's XArray: the sweep (range sets), the single-page changes one set per
 * page, the same changes sorted and coalesced per batch (what the VSM front
 * does with a ModifyVtlProtectionMask list), and memory afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"

#define STORE_RUNS 3 /* the store is cheap to rebuild: best of a few */

static int store_make(const struct bench *b, struct memattr_store **s)
{
	struct memattr_config cfg = { .layers = b->trace.p.layers,
				      .gpa_bits = b->trace.p.gpa_bits };

	return memattr_store_create(&cfg, s);
}

static int store_apply(struct memattr_store *s, const struct trace_op *op)
{
	uint64_t next;
	int ret = memattr_set(s, op->layer, op->gfn, op->gfn + op->npages, op->value, 0, &next);

	return ret ? ret : next == op->gfn + op->npages ? 0 : -ENOMEM;
}

/* Sweep then changes on a fresh store; times in ns. */
static int store_boot(const struct bench *b, struct memattr_store **out, uint64_t *sweep_ns,
		      uint64_t *change_ns)
{
	const struct trace *t = &b->trace;
	struct memattr_store *s;
	uint64_t t0, t1;
	int ret = store_make(b, &s);

	if (ret)
		return ret;
	t0 = now_ns();
	for (size_t i = 0; i < t->nsweep && !ret; i++)
		ret = store_apply(s, &t->ops[i]);
	t1 = now_ns();
	for (size_t i = t->nsweep; i < t->nops && !ret; i++)
		ret = store_apply(s, &t->ops[i]);
	*change_ns = now_ns() - t1;
	*sweep_ns = t1 - t0;
	if (ret) {
		memattr_store_destroy(s);
		return ret;
	}
	*out = s;
	return 0;
}

static int cmp_op(const void *a, const void *b)
{
	const struct trace_op *x = a, *y = b;

	return x->gfn < y->gfn ? -1 : x->gfn > y->gfn;
}

/*
 * The changes as the VSM front applies them: each batch (one mask) sorted by
 * gfn and coalesced into runs.  Returns the runs, in batch order.
 */
static int coalesce(const struct trace *t, struct trace_op **out, size_t *nout)
{
	size_t n = t->nops - t->nsweep, nr = 0;
	struct trace_op *tmp = malloc(n * sizeof(*tmp) + 1), *runs = malloc(n * sizeof(*runs) + 1);

	if (!tmp || !runs) {
		free(tmp);
		free(runs);
		return -ENOMEM;
	}
	memcpy(tmp, t->ops + t->nsweep, n * sizeof(*tmp));
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && tmp[j].batch == tmp[i].batch)
			j++;
		qsort(tmp + i, j - i, sizeof(*tmp), cmp_op);
		for (size_t k = i; k < j; k++) {
			if (nr && runs[nr - 1].batch == tmp[k].batch &&
			    runs[nr - 1].gfn + runs[nr - 1].npages >= tmp[k].gfn) {
				uint64_t end = tmp[k].gfn + tmp[k].npages;

				if (end > runs[nr - 1].gfn + runs[nr - 1].npages)
					runs[nr - 1].npages = end - runs[nr - 1].gfn;
				continue;
			}
			runs[nr++] = tmp[k];
		}
		i = j;
	}
	free(tmp);
	*out = runs;
	*nout = nr;
	return 0;
}

static int store_rows(struct bench *b, struct row *sweep, struct row *sets, struct row *co,
		      struct row *mem, const struct trace_op *runs, size_t nruns)
{
	const struct trace *t = &b->trace;
	uint64_t best_sweep = UINT64_MAX, best_sets = UINT64_MAX, best_co = UINT64_MAX;
	uint64_t pages = t->nops - t->nsweep;
	struct memattr_stats st;
	int ret;

	for (int run = 0; run < STORE_RUNS; run++) {
		struct memattr_store *s;
		uint64_t sw, ch;

		ret = store_boot(b, &s, &sw, &ch);
		if (ret)
			return ret;
		best_sweep = sw < best_sweep ? sw : best_sweep;
		best_sets = ch < best_sets ? ch : best_sets;
		if (b->store)
			memattr_store_destroy(s);
		else
			b->store = s;
	}
	memattr_stats(b->store, -1, &st);
	cell_set(sweep, IMPL_STORE, (double)best_sweep / (double)t->nsweep, NULL);
	cell_set(sets, IMPL_STORE, (double)best_sets / (double)pages, NULL);
	cell_set(mem, IMPL_STORE, (double)st.bytes, NULL);

	for (int run = 0; run < STORE_RUNS && !ret; run++) {
		struct memattr_store *s;
		uint64_t t0;

		ret = store_make(b, &s);
		for (size_t i = 0; i < t->nsweep && !ret; i++)
			ret = store_apply(s, &t->ops[i]);
		t0 = now_ns();
		for (size_t i = 0; i < nruns && !ret; i++)
			ret = store_apply(s, &runs[i]);
		t0 = now_ns() - t0;
		best_co = t0 < best_co ? t0 : best_co;
		if (!ret)
			memattr_store_destroy(s);
	}
	if (!ret) {
		char note[64];

		snprintf(note, sizeof(note), "%zu runs", nruns);
		cell_set(co, IMPL_STORE, (double)best_co / (double)pages, note);
	}
	return ret;
}

static int flat_rows(struct bench *b, struct row *sweep, struct row *sets, struct row *mem)
{
	const struct trace *t = &b->trace;
	uint64_t best_sweep = UINT64_MAX, best_sets = UINT64_MAX;

	for (int run = 0; run < STORE_RUNS; run++) {
		uint64_t t0, t1, t2;
		int ret;

		if (run)
			flat_destroy(&b->flat);
		ret = flat_create(&b->flat, t->p.layers, b->ram_end);
		if (ret)
			return ret;
		t0 = now_ns();
		for (size_t i = 0; i < t->nsweep; i++)
			flat_set(&b->flat, t->ops[i].layer, t->ops[i].gfn,
				 t->ops[i].gfn + t->ops[i].npages, t->ops[i].value);
		t1 = now_ns();
		for (size_t i = t->nsweep; i < t->nops; i++)
			flat_set(&b->flat, t->ops[i].layer, t->ops[i].gfn,
				 t->ops[i].gfn + t->ops[i].npages, t->ops[i].value);
		t2 = now_ns();
		best_sets = t2 - t1 < best_sets ? t2 - t1 : best_sets;
		best_sweep = t1 - t0 < best_sweep ? t1 - t0 : best_sweep;
	}
	cell_set(sweep, IMPL_FLAT, (double)best_sweep / (double)t->nsweep, NULL);
	cell_set(sets, IMPL_FLAT, (double)best_sets / (double)(t->nops - t->nsweep), NULL);
	cell_set(mem, IMPL_FLAT, (double)flat_bytes(&b->flat), NULL);
	return flat_mixed_build(&b->flat);
}

/*
 * Judy given the same sorted batches: one insert per page still, in gfn
 * order within each batch (the locality a sorted list gives any structure).
 */
static int judy_sorted(struct bench *b, struct row *co, const struct trace_op *runs, size_t nruns)
{
	const struct trace *t = &b->trace;
	struct judy j = { 0 };
	uint64_t t0;
	int ret = 0;

	for (size_t i = 0; i < t->nsweep && !ret; i++)
		ret = judy_set(&j, t->ops[i].layer, t->ops[i].gfn, t->ops[i].gfn + t->ops[i].npages,
			       t->ops[i].value);
	t0 = now_ns();
	for (size_t i = 0; i < nruns && !ret; i++)
		ret = judy_set(&j, runs[i].layer, runs[i].gfn, runs[i].gfn + runs[i].npages,
			       runs[i].value);
	t0 = now_ns() - t0;
	if (!ret)
		cell_set(co, IMPL_JUDY, (double)t0 / (double)(t->nops - t->nsweep),
			 "sorted, one insert per page");
	judy_destroy(&j);
	return ret;
}

static int judy_rows(struct bench *b, struct row *sweep, struct row *sets, struct row *co,
		     struct row *mem, const struct trace_op *runs, size_t nruns)
{
	const struct trace *t = &b->trace;
	uint64_t t0, t1, t2, best_sweep = UINT64_MAX, best_sets = UINT64_MAX;
	int ret = 0;

	if (!judy_available()) {
		cell_skip(sweep, IMPL_JUDY, "skipped: built without Judy");
		cell_skip(sets, IMPL_JUDY, "skipped: built without Judy");
		cell_skip(co, IMPL_JUDY, "skipped: built without Judy");
		cell_skip(mem, IMPL_JUDY, "skipped: built without Judy");
		return 0;
	}
	/* Best of as many runs as the store gets: the same chance at a quiet machine. */
	for (int run = 0; run < STORE_RUNS && !ret; run++) {
		if (run)
			judy_destroy(&b->judy);
		t0 = now_ns();
		for (size_t i = 0; i < t->nsweep && !ret; i++)
			ret = judy_set(&b->judy, t->ops[i].layer, t->ops[i].gfn,
				       t->ops[i].gfn + t->ops[i].npages, t->ops[i].value);
		t1 = now_ns();
		for (size_t i = t->nsweep; i < t->nops && !ret; i++)
			ret = judy_set(&b->judy, t->ops[i].layer, t->ops[i].gfn,
				       t->ops[i].gfn + t->ops[i].npages, t->ops[i].value);
		t2 = now_ns();
		best_sweep = t1 - t0 < best_sweep ? t1 - t0 : best_sweep;
		best_sets = t2 - t1 < best_sets ? t2 - t1 : best_sets;
	}
	if (ret)
		return ret;
	cell_set(sets, IMPL_JUDY, (double)best_sets / (double)(t->nops - t->nsweep), NULL);
	cell_set(sweep, IMPL_JUDY, (double)best_sweep / (double)t->nsweep, "one insert per page");
	cell_set(mem, IMPL_JUDY, (double)judy_bytes(&b->judy), NULL);
	b->judy_ready = true;
	return judy_sorted(b, co, runs, nruns);
}

/* The trace's ops as KVM_SET_MEMORY_ATTRIBUTES calls for memattr-bench-xarray. */
static struct xa_set_op *xa_ops(const struct trace_op *ops, size_t n)
{
	struct xa_set_op *x = malloc(n * sizeof(*x) + 1);

	for (size_t i = 0; x && i < n; i++)
		x[i] = (struct xa_set_op){ .gfn = ops[i].gfn,
					   .npages = ops[i].npages,
					   .layer = ops[i].layer,
					   .value = ops[i].value };
	return x;
}

/* The sweep, then @changes (@nchanges of them) on @space's fresh XArrays; times in ns. */
static int xarray_boot(struct bench *b, enum xa_space space, const struct xa_set_op *ops,
		       const struct xa_set_op *changes, size_t nchanges, uint64_t *sweep_ns,
		       uint64_t *change_ns)
{
	const struct trace *t = &b->trace;
	int ret = xarray_reset(&b->xa, space, t->p.layers);

	if (!ret)
		ret = xarray_set(&b->xa, space, ops, t->nsweep, sweep_ns);
	if (!ret)
		ret = xarray_set(&b->xa, space, changes, nchanges, change_ns);
	return ret;
}

/*
 * Upstream KVM's XArray, one KVM_SET_MEMORY_ATTRIBUTES per op, best of
 * STORE_RUNS runs as the store; the last run's XArrays stay in XA_SPACE_BOOT
 * for the lookup rows.  The sorted batches run on a scratch space, one range
 * set per run.
 */
static int xarray_rows(struct bench *b, struct row *sweep, struct row *sets, struct row *co,
		       struct row *mem, const struct trace_op *runs, size_t nruns)
{
	const struct trace *t = &b->trace;
	uint64_t best_sweep = UINT64_MAX, best_sets = UINT64_MAX, sw, ch, bytes;
	uint64_t pages = t->nops - t->nsweep;
	struct xa_set_op *ops = NULL, *co_ops = NULL;
	struct row *rows[] = { sweep, sets, co, mem };
	int ret = 0;

	if (!b->xa.ok)
		goto out;
	ops = xa_ops(t->ops, t->nops);
	co_ops = xa_ops(runs, nruns);
	if (!ops || !co_ops) {
		ret = -ENOMEM;
		goto out;
	}
	for (int run = 0; run < STORE_RUNS; run++) {
		if (xarray_boot(b, XA_SPACE_BOOT, ops, ops + t->nsweep, pages, &sw, &ch))
			goto out;
		best_sweep = sw < best_sweep ? sw : best_sweep;
		best_sets = ch < best_sets ? ch : best_sets;
	}
	cell_set(sweep, IMPL_XARRAY, (double)best_sweep / (double)t->nsweep,
		 "reserve, then store, per page");
	cell_set(sets, IMPL_XARRAY, (double)best_sets / (double)pages, NULL);
	if (xarray_memory(&b->xa, XA_SPACE_BOOT, &bytes))
		goto out;
	cell_set(mem, IMPL_XARRAY, (double)bytes, NULL);
	b->xa_ready = true;
	if (xarray_boot(b, XA_SPACE_SCRATCH, ops, co_ops, nruns, &sw, &ch) ||
	    xarray_reset(&b->xa, XA_SPACE_SCRATCH, 0))
		goto out;
	cell_set(co, IMPL_XARRAY, (double)ch / (double)pages, "sorted, one range set per run");
out:
	/* A failure of the baseline skips its cells, not the bench. */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i]->c[IMPL_XARRAY].state == CELL_NONE)
			xarray_skip(b, rows[i]);
	free(ops);
	free(co_ops);
	return ret;
}

/**
 * bench_boot() - the boot trace on the store, the flat array, Judy and the XArray
 * @b: the run; keeps the resulting store, flat array, Judy map and XArray for later workloads
 *
 * Return: 0 or -errno.
 */
int bench_boot(struct bench *b)
{
	struct row *sweep, *sets, *co, *mem;
	struct trace_op *runs;
	size_t nruns;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "boot: sweep, per range set (%zu)", b->trace.nsweep);
	sweep = bench_row(b, "boot_sweep", name, UNIT_NS);
	sets = bench_row(b, "boot_sets", "boot: single-page sets, per page", UNIT_NS);
	co = bench_row(b, "boot_coalesced", "boot: batches sorted (+coalesced), per page", UNIT_NS);
	mem = bench_row(b, "boot_memory", "boot: memory after the trace", UNIT_BYTES);
	if (!sweep || !sets || !co || !mem)
		return -ENOSPC;
	ret = coalesce(&b->trace, &runs, &nruns);
	if (ret)
		return ret;
	bench_step(b, "boot trace: store");
	ret = store_rows(b, sweep, sets, co, mem, runs, nruns);
	if (!ret) {
		bench_step(b, "boot trace: flat array");
		ret = flat_rows(b, sweep, sets, mem);
	}
	if (!ret) {
		bench_step(b, "boot trace: Judy");
		ret = judy_rows(b, sweep, sets, co, mem, runs, nruns);
	}
	if (!ret) {
		bench_step(b, "boot trace: kernel XArray (KVM)");
		ret = xarray_rows(b, sweep, sets, co, mem, runs, nruns);
	}
	free(runs);
	return ret;
}
