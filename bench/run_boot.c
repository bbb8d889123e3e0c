// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot trace on the store, the flat array, the Judy map and upstream
 * KVM's XArray: the sweep (range sets), the single-page changes one set per
 * page (on the store also through memattr_kvm_set_attributes(), the call a
 * VMM emulating KVM_SET_MEMORY_ATTRIBUTES makes), the same changes sorted
 * and coalesced per batch (what the VSM front does with a
 * ModifyVtlProtectionMask list), and memory afterwards.
 *
 * Each implementation runs the trace once per round on a fresh map and keeps
 * its fastest round.  The rounds interleave the implementations: a slow
 * patch of the host can outlast all of the store's runs (milliseconds), and
 * so slows one round of each implementation rather than every run of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/kvm.h>
#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"

#define BOOT_ROUNDS 3

/* The fastest round of one implementation, in ns over the whole workload. */
struct best {
	uint64_t sweep, sets, co;
	uint64_t kvm_sets; /* the store's sets through the KVM-shaped call */
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void keep_best(struct best *b, struct best round)
{
	b->sweep = min_u64(b->sweep, round.sweep);
	b->sets = min_u64(b->sets, round.sets);
	b->co = min_u64(b->co, round.co);
	b->kvm_sets = min_u64(b->kvm_sets, round.kvm_sets);
}

static int store_make(const struct bench *b, struct memattr_store **s)
{
	struct memattr_config cfg = { .layers = b->trace.p.layers,
				      .gpa_bits = b->trace.p.gpa_bits };

	return memattr_store_create(&cfg, s);
}

typedef int (*store_apply_fn)(struct memattr_store *s, const struct trace_op *op);

static int store_apply(struct memattr_store *s, const struct trace_op *op)
{
	uint64_t next;
	int ret = memattr_set(s, op->layer, op->gfn, op->gfn + op->npages, op->value, 0, &next);

	return ret ? ret : next == op->gfn + op->npages ? 0 : -ENOMEM;
}

/* @op as KVM_SET_MEMORY_ATTRIBUTES would carry it. */
static int store_apply_kvm(struct memattr_store *s, const struct trace_op *op)
{
	struct memattr_kvm_attributes a = { .address = op->gfn << MEMATTR_PAGE_SHIFT,
					    .size = op->npages << MEMATTR_PAGE_SHIFT,
					    .attributes = op->value };
	int ret = memattr_kvm_set_attributes(s, op->layer, &a, 0);

	return ret ? ret : a.size ? -ENOMEM : 0;
}

/* The sweep on a fresh store, then @n ops through @apply; times in ns. */
static int store_boot(const struct bench *b, store_apply_fn apply, const struct trace_op *ops,
		      size_t n, struct memattr_store **out, uint64_t *sweep_ns, uint64_t *ops_ns)
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
	for (size_t i = 0; i < n && !ret; i++)
		ret = apply(s, &ops[i]);
	*ops_ns = now_ns() - t1;
	*sweep_ns = t1 - t0;
	if (ret)
		memattr_store_destroy(s);
	else
		*out = s;
	return ret;
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

/*
 * One round of the store: the trace, the trace again through the KVM-shaped
 * call, then the sorted batches, each on a store of its own.
 */
static int store_round(struct bench *b, struct best *best, const struct trace_op *runs,
		       size_t nruns)
{
	const struct trace *t = &b->trace;
	const struct trace_op *changes = t->ops + t->nsweep;
	const size_t nchanges = t->nops - t->nsweep;
	struct best round = { 0 };
	struct memattr_store *other;
	uint64_t sweep;
	int ret;

	/*
	 * The last round's store stays for the later workloads; this round's
	 * first store reuses its memory.
	 */
	memattr_store_destroy(b->store);
	b->store = NULL;
	ret = store_boot(b, store_apply, changes, nchanges, &b->store, &round.sweep, &round.sets);
	if (ret)
		return ret;
	ret = store_boot(b, store_apply_kvm, changes, nchanges, &other, &sweep, &round.kvm_sets);
	if (ret)
		return ret;
	memattr_store_destroy(other);
	ret = store_boot(b, store_apply, runs, nruns, &other, &sweep, &round.co);
	if (ret)
		return ret;
	memattr_store_destroy(other);
	keep_best(best, round);
	return 0;
}

static void flat_apply(struct flat *f, const struct trace_op *op)
{
	flat_set(f, op->layer, op->gfn, op->gfn + op->npages, op->value);
}

static int flat_round(struct bench *b, struct best *best)
{
	const struct trace *t = &b->trace;
	uint64_t t0, t1, t2;
	int ret;

	flat_destroy(&b->flat);
	ret = flat_create(&b->flat, t->p.layers, b->ram_end);
	if (ret)
		return ret;
	t0 = now_ns();
	for (size_t i = 0; i < t->nsweep; i++)
		flat_apply(&b->flat, &t->ops[i]);
	t1 = now_ns();
	for (size_t i = t->nsweep; i < t->nops; i++)
		flat_apply(&b->flat, &t->ops[i]);
	t2 = now_ns();
	keep_best(best, (struct best){ t1 - t0, t2 - t1, UINT64_MAX, UINT64_MAX });
	return 0;
}

/* The sweep on @j, then @n ops, one insert per page; times in ns. */
static int judy_boot(const struct trace *t, struct judy *j, const struct trace_op *ops, size_t n,
		     uint64_t *sweep_ns, uint64_t *ops_ns)
{
	uint64_t t0 = now_ns(), t1;
	int ret = 0;

	for (size_t i = 0; i < t->nsweep && !ret; i++)
		ret = judy_set(j, t->ops[i].layer, t->ops[i].gfn, t->ops[i].gfn + t->ops[i].npages,
			       t->ops[i].value);
	t1 = now_ns();
	for (size_t i = 0; i < n && !ret; i++)
		ret = judy_set(j, ops[i].layer, ops[i].gfn, ops[i].gfn + ops[i].npages,
			       ops[i].value);
	*ops_ns = now_ns() - t1;
	*sweep_ns = t1 - t0;
	return ret;
}

/*
 * One round of Judy: the trace, then the same sorted batches as the store
 * (one insert per page still, in gfn order within each batch: the locality
 * a sorted list gives any structure) on another map.
 */
static int judy_round(struct bench *b, struct best *best, const struct trace_op *runs, size_t nruns)
{
	const struct trace *t = &b->trace;
	uint64_t sweep, sets, co_sweep, co;
	struct judy sorted = { 0 };
	int ret;

	judy_destroy(&b->judy);
	ret = judy_boot(t, &b->judy, t->ops + t->nsweep, t->nops - t->nsweep, &sweep, &sets);
	if (!ret)
		ret = judy_boot(t, &sorted, runs, nruns, &co_sweep, &co);
	judy_destroy(&sorted);
	if (!ret)
		keep_best(best, (struct best){ sweep, sets, co, UINT64_MAX });
	return ret;
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
 * One round of upstream KVM's XArray, one KVM_SET_MEMORY_ATTRIBUTES per op;
 * its XArrays stay in XA_SPACE_BOOT for the lookup rows.  The sorted
 * batches run on a scratch space, one range set per run.
 */
static int xarray_round(struct bench *b, struct best *best, const struct xa_set_op *ops,
			const struct xa_set_op *co_ops, size_t nruns)
{
	const struct trace *t = &b->trace;
	uint64_t sweep, sets, co_sweep, co;

	if (xarray_boot(b, XA_SPACE_BOOT, ops, ops + t->nsweep, t->nops - t->nsweep, &sweep,
			&sets) ||
	    xarray_boot(b, XA_SPACE_SCRATCH, ops, co_ops, nruns, &co_sweep, &co) ||
	    xarray_reset(&b->xa, XA_SPACE_SCRATCH, 0))
		return -EIO;
	keep_best(best, (struct best){ sweep, sets, co, UINT64_MAX });
	return 0;
}

static void judy_cells(struct bench *b, struct row **rows, const struct best *best)
{
	const double pages = (double)(b->trace.nops - b->trace.nsweep);

	if (!judy_available()) {
		for (int i = 0; i < 4; i++)
			cell_skip(rows[i], IMPL_JUDY, "skipped: built without Judy");
		return;
	}
	cell_set(rows[0], IMPL_JUDY, (double)best->sweep / (double)b->trace.nsweep,
		 "one insert per page");
	cell_set(rows[1], IMPL_JUDY, (double)best->sets / pages, NULL);
	cell_set(rows[2], IMPL_JUDY, (double)best->co / pages, "sorted, one insert per page");
	cell_set(rows[3], IMPL_JUDY, (double)judy_bytes(&b->judy), NULL);
	b->judy_ready = true;
}

static int xarray_cells(struct bench *b, struct row **rows, const struct best *best)
{
	const double pages = (double)(b->trace.nops - b->trace.nsweep);
	uint64_t bytes;

	if (!b->xa.ok || xarray_memory(&b->xa, XA_SPACE_BOOT, &bytes))
		return -EIO;
	cell_set(rows[0], IMPL_XARRAY, (double)best->sweep / (double)b->trace.nsweep,
		 "reserve, then store, per page");
	cell_set(rows[1], IMPL_XARRAY, (double)best->sets / pages, NULL);
	cell_set(rows[2], IMPL_XARRAY, (double)best->co / pages, "sorted, one range set per run");
	cell_set(rows[3], IMPL_XARRAY, (double)bytes, NULL);
	b->xa_ready = true;
	return 0;
}

/*
 * The trace in interleaved rounds (see the top of this file), then the cells:
 * @rows are the sweep, the sets, the sorted batches and memory; @kvm the
 * store's sets through the KVM-shaped call.
 */
static int boot_rounds(struct bench *b, struct row **rows, struct row *kvm,
		       const struct trace_op *runs, size_t nruns,
		       const struct xa_set_op *xa_ops_all, const struct xa_set_op *xa_co)
{
	const struct trace *t = &b->trace;
	const double pages = (double)(t->nops - t->nsweep);
	struct best best[NIMPL];
	bool xa = b->xa.ok && xa_ops_all && xa_co;
	struct memattr_stats st;
	char note[64];
	int ret = 0;

	for (int i = 0; i < NIMPL; i++)
		best[i] = (struct best){ UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	for (int round = 0; round < BOOT_ROUNDS && !ret; round++) {
		bench_step(b, "boot trace: store, flat array, Judy, kernel XArray (KVM)");
		ret = store_round(b, &best[IMPL_STORE], runs, nruns);
		if (!ret)
			ret = flat_round(b, &best[IMPL_FLAT]);
		if (!ret && judy_available())
			ret = judy_round(b, &best[IMPL_JUDY], runs, nruns);
		/* A failure of the XArray baseline skips its cells, not the bench. */
		if (!ret && xa)
			xa = !xarray_round(b, &best[IMPL_XARRAY], xa_ops_all, xa_co, nruns);
	}
	if (ret)
		return ret;
	memattr_stats(b->store, -1, &st);
	cell_set(rows[0], IMPL_STORE, (double)best[IMPL_STORE].sweep / (double)t->nsweep, NULL);
	snprintf(note, sizeof(note), "%zu runs", nruns);
	cell_set(rows[1], IMPL_STORE, (double)best[IMPL_STORE].sets / pages, NULL);
	cell_set(kvm, IMPL_STORE, (double)best[IMPL_STORE].kvm_sets / pages,
		 "memattr_kvm_set_attributes()");
	cell_set(rows[2], IMPL_STORE, (double)best[IMPL_STORE].co / pages, note);
	cell_set(rows[3], IMPL_STORE, (double)st.bytes, NULL);
	cell_set(rows[0], IMPL_FLAT, (double)best[IMPL_FLAT].sweep / (double)t->nsweep, NULL);
	cell_set(rows[1], IMPL_FLAT, (double)best[IMPL_FLAT].sets / pages, NULL);
	cell_set(rows[3], IMPL_FLAT, (double)flat_bytes(&b->flat), NULL);
	judy_cells(b, rows, &best[IMPL_JUDY]);
	if (!xa || xarray_cells(b, rows, &best[IMPL_XARRAY]))
		for (int i = 0; i < 4; i++)
			xarray_skip(b, rows[i]);
	return flat_mixed_build(&b->flat);
}

/**
 * bench_boot() - the boot trace on the store, the flat array, Judy and the XArray
 * @b: the run; keeps the resulting store, flat array, Judy map and XArray for later workloads
 *
 * Return: 0 or -errno.
 */
int bench_boot(struct bench *b)
{
	const struct trace *t = &b->trace;
	struct xa_set_op *ops = NULL, *co_ops = NULL;
	struct row *rows[4], *kvm;
	struct trace_op *runs;
	size_t nruns;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "boot: sweep, per range set (%zu)", t->nsweep);
	rows[0] = bench_row(b, "boot_sweep", name, UNIT_NS);
	rows[1] = bench_row(b, "boot_sets", "boot: single-page sets, per page", UNIT_NS);
	kvm = bench_row(b, "boot_kvm_sets", "boot: single-page sets, KVM-shaped call", UNIT_NS);
	rows[2] = bench_row(b, "boot_coalesced", "boot: batches sorted (+coalesced), per page",
			    UNIT_NS);
	rows[3] = bench_row(b, "boot_memory", "boot: memory after the trace", UNIT_BYTES);
	if (!rows[0] || !rows[1] || !kvm || !rows[2] || !rows[3])
		return -ENOSPC;
	ret = coalesce(t, &runs, &nruns);
	if (ret)
		return ret;
	if (b->xa.ok) {
		ops = xa_ops(t->ops, t->nops);
		co_ops = xa_ops(runs, nruns);
	}
	ret = boot_rounds(b, rows, kvm, runs, nruns, ops, co_ops);
	free(ops);
	free(co_ops);
	free(runs);
	return ret;
}
