// SPDX-License-Identifier: LGPL-2.1-or-later
/* memattr bench: the run's sizes, its rows and notes, the order of the workloads. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <memattr/memattr.h>

#include "bench.h"

/**
 * bench_row() - add a row to @b's table
 * @b: the run
 * @id: key in the JSON
 * @name: label in the table
 * @unit: unit of every cell
 *
 * Return: the row, or NULL when the table is full.
 */
struct row *bench_row(struct bench *b, const char *id, const char *name, enum unit unit)
{
	struct row *r;

	if (b->nrows == MAX_ROWS)
		return NULL;
	r = &b->rows[b->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->unit = unit;
	return r;
}

/** bench_find() - the row with key @id, or NULL. */
struct row *bench_find(struct bench *b, const char *id)
{
	for (int i = 0; i < b->nrows; i++)
		if (!strcmp(b->rows[i].id, id))
			return &b->rows[i];
	return NULL;
}

/** cell_set() - a measured (or extrapolated, says @note) value. */
void cell_set(struct row *r, enum impl i, double v, const char *note)
{
	r->c[i].state = CELL_VALUE;
	r->c[i].v = v;
	snprintf(r->c[i].note, sizeof(r->c[i].note), "%s", note ? note : "");
}

/** cell_skip() - no value, and why. */
void cell_skip(struct row *r, enum impl i, const char *why)
{
	r->c[i].state = CELL_SKIPPED;
	snprintf(r->c[i].note, sizeof(r->c[i].note), "%s", why);
}

/** cell_value() - the value of row @id for @i; *@ok false if there is none. */
double cell_value(const struct bench *b, const char *id, enum impl i, bool *ok)
{
	for (int k = 0; k < b->nrows; k++) {
		if (strcmp(b->rows[k].id, id) != 0)
			continue;
		*ok = b->rows[k].c[i].state == CELL_VALUE;
		return b->rows[k].c[i].v;
	}
	*ok = false;
	return 0;
}

/** bench_note() - a line for below the table. */
void bench_note(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->nnotes == MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(b->notes[b->nnotes++], sizeof(b->notes[0]), fmt, ap);
	va_end(ap);
}

/** xarray_skip() - the XArray cell of @r skipped, with the reason the baseline gives. */
void xarray_skip(struct bench *b, struct row *r)
{
	cell_skip(r, IMPL_XARRAY, b->xa.why[0] ? b->xa.why : "skipped: XArray baseline failed");
}

/* What the XArray column is, or why it is empty. */
static void xarray_note(struct bench *b)
{
	const struct xarray_proc *x = &b->xa;

	if (x->kernel[0])
		bench_note(
			b,
			"kernel XArray (KVM): lib/xarray.c of Linux %s on the user-space shim of "
			"its tests (memattr-bench-xarray); KVM 6.12's per-page xa_reserve() then "
			"xa_store(); memory: nodes x %llu bytes (%u slots each)",
			x->kernel, (unsigned long long)x->node_bytes, x->chunk);
	if (x->detail[0])
		bench_note(b, "kernel XArray (KVM) %s: %s", x->why, x->detail);
}

/** bench_step() - say on stderr what runs now, when asked to. */
void bench_step(struct bench *b, const char *what)
{
	if (b->progress)
		fprintf(stderr, "memattr bench: %s\n", what);
}

static void sizes_of(struct bench_sizes *sz, bool quick)
{
	trace_params_default(&sz->trace);
	if (quick) {
		sz->trace.guest_bytes = 4ULL << 30;
		sz->trace.changes = 30000;
		sz->lookups = 1 << 18;
		sz->range_reps = 200;
		sz->judy_range_pages = 1ULL << (28 - MEMATTR_PAGE_SHIFT);
		sz->reader_ns = 150000000;
		sz->memslot_max_changes = 500;
	} else {
		sz->lookups = 1 << 22;
		sz->range_reps = 2000;
		sz->judy_range_pages = 1ULL << (36 - MEMATTR_PAGE_SHIFT);
		sz->reader_ns = 1000000000;
		sz->memslot_max_changes = 0;
	}
}

/**
 * bench_run() - every workload, in one process
 * @b: zeroed; receives the rows, targets and notes
 * @quick: small sizes, for tests (well under a minute even under ASan)
 *
 * Return: 0 or -errno from a workload (the rows so far stay in @b).
 */
int bench_run(struct bench *b, bool quick)
{
	struct ram_layout ram;
	int ret;

	b->quick = quick;
	sizes_of(&b->sz, quick);
	bench_step(b, "generating the boot trace");
	ret = trace_generate(&b->sz.trace, &b->trace);
	if (ret)
		return ret;
	ram_layout_of(b->trace.p.guest_bytes, &ram);
	b->ram_end = ram.high_pages ? ram.high_start + ram.high_pages : ram.low_pages;
	bench_step(b, "starting the kernel XArray baseline");
	xarray_start(&b->xa, b->no_xarray);
	ret = bench_boot(b);
	if (!ret)
		ret = bench_range(b);
	if (!ret)
		ret = bench_scatter(b);
	if (!ret)
		ret = bench_lookup(b);
	xarray_stop(&b->xa); /* the lookups were its last rows: give its memory back */
	if (!ret)
		ret = bench_memslot(b);
	if (!ret)
		ret = bench_readers(b);
	if (!ret)
		ret = bench_kvm(b);
	xarray_note(b);
	bench_targets(b);
	return ret;
}

/** bench_free() - release the run's trace, store and baselines. */
void bench_free(struct bench *b)
{
	memattr_store_destroy(b->store);
	flat_destroy(&b->flat);
	judy_destroy(&b->judy);
	xarray_stop(&b->xa);
	trace_free(&b->trace);
}
