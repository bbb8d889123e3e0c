// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whole-guest range sets of 64 GiB and 1 TiB: the store sets the range in
 * O(levels + covered slots); the flat array memsets it; the Judy map inserts
 * every page, and upstream KVM's XArray reserves then stores every page.  At
 * 1 TiB they would take 268M inserts (minutes and GiBs), so they are measured
 * at a smaller size and extrapolated linearly; the row says so.
 */
#include <errno.h>
#include <stdio.h>

#include <memattr/memattr.h>

#include "bench.h"
#include "common/clock.h"

#define BATCHES 5

static const struct {
	const char *id;
	const char *mem_id;
	const char *name;
	const char *mem_name;
	unsigned int shift; /* log2 of the guest size in bytes */
} sizes[] = {
	{ "range_64g", "range_64g_memory", "range set: whole 64 GiB guest", "64 GiB: memory after",
	  36 },
	{ "range_1t", "range_1t_memory", "range set: whole 1 TiB guest", "1 TiB: memory after",
	  40 },
};

static int store_range(struct bench *b, unsigned int shift, double *ns, uint64_t *bytes)
{
	struct memattr_config cfg = { .layers = 1, .gpa_bits = b->trace.p.gpa_bits };
	uint64_t pages = 1ULL << (shift - MEMATTR_PAGE_SHIFT), best = UINT64_MAX, next;
	struct memattr_store *s;
	struct memattr_stats st;
	int ret = memattr_store_create(&cfg, &s);

	if (ret)
		return ret;
	for (int k = 0; k < BATCHES && !ret; k++) {
		uint64_t t0 = now_ns();

		/* Alternate values so that every set changes the whole range. */
		for (unsigned int i = 0; i < b->sz.range_reps && !ret; i++)
			ret = memattr_set(s, 0, 0, pages, i & 1 ? MEMATTR_READ : MEMATTR_RWX, 0,
					  &next);
		t0 = now_ns() - t0;
		best = t0 < best ? t0 : best;
	}
	memattr_stats(s, -1, &st);
	memattr_store_destroy(s);
	*ns = (double)best / b->sz.range_reps;
	*bytes = st.bytes;
	return ret;
}

static int flat_range(unsigned int shift, double *ns, uint64_t *bytes)
{
	uint64_t pages = 1ULL << (shift - MEMATTR_PAGE_SHIFT), best = UINT64_MAX;
	struct flat f;
	int ret = flat_create(&f, 1, pages);

	if (ret)
		return ret;
	for (int k = 0; k < 3; k++) {
		uint64_t t0 = now_ns();

		flat_set(&f, 0, 0, pages, k & 1 ? MEMATTR_READ : MEMATTR_RWX);
		t0 = now_ns() - t0;
		best = t0 < best ? t0 : best;
	}
	*ns = (double)best;
	*bytes = flat_bytes(&f);
	flat_destroy(&f);
	return 0;
}

/* Judy: inserts of @pages fresh pages; per-page time and bytes. */
static int judy_range(uint64_t pages, double *ns_per_page, double *bytes_per_page)
{
	struct judy j = { 0 };
	uint64_t t0 = now_ns();
	int ret = judy_set(&j, 0, 0, pages, MEMATTR_RWX);

	t0 = now_ns() - t0;
	*ns_per_page = (double)t0 / (double)pages;
	*bytes_per_page = (double)judy_bytes(&j) / (double)pages;
	judy_destroy(&j);
	return ret;
}

/*
 * The XArray: a set of @pages pages on a fresh VM, then a change of all of
 * them (the store's figure is a change); the faster per page, and bytes per page.
 */
static int xarray_range(struct bench *b, uint64_t pages, double *ns_per_page,
			double *bytes_per_page, double *first, double *change)
{
	struct xa_set_op op = { .gfn = 0, .npages = pages, .layer = 0, .value = MEMATTR_RWX };
	uint64_t t1, t2, bytes;
	int ret = xarray_reset(&b->xa, XA_SPACE_SCRATCH, 1);

	if (!ret)
		ret = xarray_set(&b->xa, XA_SPACE_SCRATCH, &op, 1, &t1);
	op.value = MEMATTR_READ;
	if (!ret)
		ret = xarray_set(&b->xa, XA_SPACE_SCRATCH, &op, 1, &t2);
	if (!ret)
		ret = xarray_memory(&b->xa, XA_SPACE_SCRATCH, &bytes);
	if (!ret)
		ret = xarray_reset(&b->xa, XA_SPACE_SCRATCH, 0);
	if (ret)
		return ret;
	*first = (double)t1 / (double)pages;
	*change = (double)t2 / (double)pages;
	*ns_per_page = *first < *change ? *first : *change;
	*bytes_per_page = (double)bytes / (double)pages;
	return 0;
}

/* The row's cell for a per-page baseline measured at @measured pages. */
static void per_page_cell(struct row *r, enum impl i, uint64_t pages, uint64_t measured,
			  double per_page)
{
	char note[64];

	if (measured == pages) {
		cell_set(r, i, per_page * (double)pages, "measured");
		return;
	}
	snprintf(note, sizeof(note), "extrapolated from %llu MiB",
		 (unsigned long long)(measured >> (20 - MEMATTR_PAGE_SHIFT)));
	cell_set(r, i, per_page * (double)pages, note);
}

/**
 * bench_range() - whole-guest range sets on the store, the flat array, Judy and the XArray
 * @b: the run
 *
 * Return: 0 or -errno.
 */
int bench_range(struct bench *b)
{
	uint64_t jpages = b->sz.judy_range_pages;
	double jns = 0, jbytes = 0, xns = 0, xbytes = 0, xfirst = 0, xchange = 0;
	bool xa = b->xa.ok;
	int ret = 0;

	if (judy_available()) {
		bench_step(b, "range sets: Judy");
		ret = judy_range(jpages, &jns, &jbytes);
		if (ret)
			return ret;
	}
	if (xa) {
		bench_step(b, "range sets: kernel XArray (KVM)");
		xa = !xarray_range(b, jpages, &xns, &xbytes, &xfirst, &xchange);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct row *r = bench_row(b, sizes[i].id, sizes[i].name, UNIT_NS);
		struct row *m = bench_row(b, sizes[i].mem_id, sizes[i].mem_name, UNIT_BYTES);
		uint64_t pages = 1ULL << (sizes[i].shift - MEMATTR_PAGE_SHIFT), bytes;
		double ns;

		if (!r || !m)
			return -ENOSPC;
		bench_step(b, sizes[i].name);
		ret = store_range(b, sizes[i].shift, &ns, &bytes);
		if (ret)
			return ret;
		cell_set(r, IMPL_STORE, ns, NULL);
		cell_set(m, IMPL_STORE, (double)bytes, NULL);
		ret = flat_range(sizes[i].shift, &ns, &bytes);
		if (ret)
			return ret;
		cell_set(r, IMPL_FLAT, ns, NULL);
		cell_set(m, IMPL_FLAT, (double)bytes, NULL);
		if (!judy_available()) {
			cell_skip(r, IMPL_JUDY, "skipped: built without Judy");
			cell_skip(m, IMPL_JUDY, "skipped: built without Judy");
		} else {
			per_page_cell(r, IMPL_JUDY, pages, jpages, jns);
			per_page_cell(m, IMPL_JUDY, pages, jpages, jbytes);
		}
		if (!xa) {
			xarray_skip(b, r);
			xarray_skip(b, m);
		} else {
			per_page_cell(r, IMPL_XARRAY, pages, jpages, xns);
			per_page_cell(m, IMPL_XARRAY, pages, jpages, xbytes);
		}
	}
	if (judy_available() && jpages != (1ULL << (40 - MEMATTR_PAGE_SHIFT)))
		bench_note(b,
			   "Judy range sets were measured once at %llu MiB (%llu inserts, %.1f ns "
			   "and %.2f bytes per page) and extrapolated linearly to larger sizes",
			   (unsigned long long)(jpages >> (20 - MEMATTR_PAGE_SHIFT)),
			   (unsigned long long)jpages, jns, jbytes);
	if (xa)
		bench_note(b,
			   "XArray range sets at %llu MiB: %.1f ns per page on a fresh VM, %.1f ns "
			   "to change them (the rows take the faster), %.2f bytes per page",
			   (unsigned long long)(jpages >> (20 - MEMATTR_PAGE_SHIFT)), xfirst,
			   xchange, xbytes);
	return 0;
}
