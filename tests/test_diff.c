// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The differential test: random operations on the store and on the reference
 * model (src/testing/model.c), compared after every step.  Every query and
 * every notification must agree; equal contents must give equal node counts
 * (canonical form); clearing must give all memory back.  Writes are long
 * ranges, short ones (which the store mostly sets in one walk) and batches;
 * one in eight runs with nobody listening to its layer and must tell no one.
 *
 * MEMATTR_SEED and MEMATTR_DIFF_OPS (total operations) override the defaults.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <memattr/memattr.h>

#include "model.h"
#include "test_alloc.h"

#define MAX_CHANGES 4096

static uint64_t rng_state;
static uint64_t rng_seed;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- change recording ---- */

struct changes {
	size_t n;
	bool overflow;
	struct memattr_change c[MAX_CHANGES];
};

static void record(struct changes *r, const struct memattr_change *c)
{
	if (r->n == MAX_CHANGES) {
		r->overflow = true;
		return;
	}
	r->c[r->n++] = *c;
}

static void store_notified(struct memattr_notifier *n, const struct memattr_change *c)
{
	record(n->opaque, c);
}

static void model_notified(void *opaque, const struct memattr_change *c)
{
	record(opaque, c);
}

struct runs {
	size_t n;
	size_t cap;
	uint64_t (*r)[3];
};

static int collect_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct runs *rs = opaque;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	rs->r[rs->n][0] = start;
	rs->r[rs->n][1] = end;
	rs->r[rs->n][2] = value;
	rs->n++;
	return 0;
}

/* ---- one configuration ---- */

struct config {
	const char *name;
	unsigned int layers;
	unsigned int gpa_bits;
	unsigned int flags;
	bool dense; /* breakpoint at every gfn: work limits can cut anywhere */
	unsigned int weight;
};

struct diff {
	const struct config *cfg;
	struct memattr_store *s;
	struct model *m;
	struct test_alloc counting;
	struct memattr_notifier notifier;
	struct memattr_notifier deaf; /* registered for no layer */
	bool unheard;		      /* nobody listens to the layer being set */
	struct changes got, want;
	uint64_t nr_pages;
	uint64_t op;
	int written; /* the layer the last operation set, -1 for none */
};

static const uint64_t legal_values[] = {
	0,
	MEMATTR_NO_ACCESS,
	MEMATTR_READ,
	MEMATTR_READ | MEMATTR_EXECUTE,
	MEMATTR_READ | MEMATTR_WRITE,
	MEMATTR_RWX,
	MEMATTR_PRIVATE,
	MEMATTR_PRIVATE | MEMATTR_NO_ACCESS,
	MEMATTR_PRIVATE | MEMATTR_READ | MEMATTR_WRITE,
	MEMATTR_READ | MEMATTR_USER_EXECUTE,
	MEMATTR_RWX | MEMATTR_USER_EXECUTE,
};

static uint64_t random_value(const struct diff *d)
{
	size_t n = sizeof(legal_values) / sizeof(legal_values[0]);

	if (!(d->cfg->flags & MEMATTR_F_MBEC))
		n -= 2;
	/* Few distinct values make long runs and collapses likely. */
	if (below(4) == 0)
		return legal_values[below(n)];
	return legal_values[below(3) + 2];
}

/* Boundary-heavy breakpoints: ends of the space and around 2M/1G/512G/256T edges. */
static uint64_t *make_points(unsigned int gfn_bits, size_t *count)
{
	uint64_t nr = 1ULL << gfn_bits;
	size_t cap = 4096, n = 0;
	uint64_t *p = malloc(cap * sizeof(*p));

	assert_non_null(p);
#define ADD(x)                                                                                     \
	do {                                                                                       \
		uint64_t x_ = (x);                                                                 \
		if (x_ < nr && n < cap)                                                            \
			p[n++] = x_;                                                               \
	} while (0)
	for (uint64_t i = 0; i < 3; i++) {
		ADD(i);
		ADD(nr - 1 - i);
	}
	for (unsigned int k = 9; k < gfn_bits; k += 9) {
		for (int j = 0; j < 60; j++) {
			uint64_t edge = (below(nr >> k) + (j < 4 ? (uint64_t)j : 0)) << k;

			if (j < 4)
				edge = ((uint64_t)j + 1) << k;
			ADD(edge);
			ADD(edge + 1);
			ADD(edge - 1);
			ADD(edge + below(1ULL << k));
		}
	}
	while (n < cap / 2)
		ADD(below(nr));
#undef ADD
	/* sort and unique */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && p[j - 1] > p[j]; j--) {
			uint64_t t = p[j];

			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	size_t u = 0;

	for (size_t i = 0; i < n; i++)
		if (!u || p[u - 1] != p[i])
			p[u++] = p[i];
	*count = u;
	return p;
}

static void diff_init(struct diff *d, const struct config *cfg)
{
	unsigned int gfn_bits = cfg->gpa_bits - 12;
	struct memattr_config sc = { .layers = cfg->layers,
				     .gpa_bits = cfg->gpa_bits,
				     .flags = cfg->flags };
	uint64_t *points;
	size_t npoints;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->nr_pages = 1ULL << gfn_bits;
	sc.allocator = test_alloc_init(&d->counting);
	assert_int_equal(memattr_store_create(&sc, &d->s), 0);
	d->notifier.notify = store_notified;
	d->notifier.layers = ~0U;
	d->notifier.opaque = &d->got;
	memattr_notifier_register(d->s, &d->notifier);
	d->deaf = (struct memattr_notifier){ .notify = store_notified, .opaque = &d->got };
	if (cfg->dense) {
		npoints = d->nr_pages;
		points = malloc(npoints * sizeof(*points));
		assert_non_null(points);
		for (uint64_t i = 0; i < npoints; i++)
			points[i] = i;
	} else {
		points = make_points(gfn_bits, &npoints);
	}
	d->m = model_create(cfg->layers, gfn_bits, points, npoints);
	assert_non_null(d->m);
	free(points);
}

static uint64_t random_point(const struct diff *d)
{
	return model_point(d->m, below(model_points(d->m) + 1));
}

/* Any gfn, biased towards breakpoints and their neighbours. */
static uint64_t random_gfn(const struct diff *d)
{
	uint64_t g;

	switch (below(4)) {
	case 0:
		return below(d->nr_pages);
	default:
		g = model_point(d->m, below(model_points(d->m)));
		if (below(2) && g > 0)
			g--;
		return g;
	}
}

static void fail_at(const struct diff *d, const char *what)
{
	fail_msg("%s: op %llu (MEMATTR_SEED=0x%llx): %s", d->cfg->name, (unsigned long long)d->op,
		 (unsigned long long)rng_seed, what);
}

static void check_changes(const struct diff *d)
{
	if (d->unheard) {
		if (d->got.n)
			fail_at(d, "a set nobody listens to notified");
		return;
	}
	if (d->got.overflow || d->want.overflow)
		fail_at(d, "too many notifications to compare");
	if (d->got.n != d->want.n)
		fail_at(d, "notification count differs");
	for (size_t i = 0; i < d->got.n; i++) {
		const struct memattr_change *g = &d->got.c[i], *w = &d->want.c[i];

		if (g->layer != w->layer || g->start != w->start || g->end != w->end ||
		    g->old_value != w->old_value || g->new_value != w->new_value)
			fail_at(d, "notification differs");
	}
}

/* memattr_set() of [a, b) (breakpoints, a <= b), checked against the model. */
static void set_checked(struct diff *d, unsigned int layer, uint64_t a, uint64_t b, uint64_t value)
{
	uint64_t limit = d->cfg->dense && below(5) == 0 ? 1 + below(8) : 0, next = 0;
	int ret;

	d->written = (int)layer;
	d->got.n = d->want.n = 0;
	if (a == b) {
		ret = memattr_set(d->s, layer, a, b, value, limit, &next);
		if (ret != -EINVAL || d->got.n)
			fail_at(d, "empty range accepted");
		return;
	}
	ret = memattr_set(d->s, layer, a, b, value, limit, &next);
	if (ret)
		fail_at(d, "set failed");
	if (next <= a || next > b)
		fail_at(d, "progress out of range");
	if (!limit && next != b)
		fail_at(d, "unlimited set stopped early");
	if (next != b && (next & (512 - 1)))
		fail_at(d, "stopped off a slot boundary");
	assert_int_equal(model_set(d->m, layer, a, next, (uint8_t)value, model_notified, &d->want),
			 0);
	check_changes(d);
	if (next != b) {
		/* Retrying from the reported progress finishes the job. */
		d->got.n = d->want.n = 0;
		while (next != b) {
			uint64_t from = next;

			assert_int_equal(memattr_set(d->s, layer, from, b, value, limit, &next), 0);
			if (next <= from)
				fail_at(d, "retry made no progress");
			assert_int_equal(model_set(d->m, layer, from, next, (uint8_t)value,
						   model_notified, &d->want),
					 0);
		}
		check_changes(d);
	}
}

static void op_set(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	uint64_t a = random_point(d), b = random_point(d), value = random_value(d);

	if (below(50) == 0) {
		/* the whole space */
		a = 0;
		b = d->nr_pages;
	}
	if (a > b) {
		uint64_t t = a;

		a = b;
		b = t;
	}
	set_checked(d, layer, a, b, value);
}

/*
 * Short sets, the kind that stays inside one leaf or changes a few slots of
 * one node: one to three neighbouring breakpoint intervals (single pages in
 * the dense configurations, which also get aligned 512-page blocks).
 */
static void op_set_short(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	size_t n = model_points(d->m), i = below(n), j = i + 1 + below(3);
	uint64_t a = model_point(d->m, i), b = model_point(d->m, j < n ? j : n);

	if (d->cfg->dense && d->nr_pages > 512 && below(4) == 0) {
		a = below(d->nr_pages / 512) * 512;
		b = a + 512 * (1 + below(2));
		b = b < d->nr_pages ? b : d->nr_pages;
	}
	set_checked(d, layer, a, b, random_value(d));
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* memattr_set_runs(): up to 8 ascending runs, all set (or, for a bad list, none). */
static void op_set_runs(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers),
		     k = 2 * (1 + (unsigned int)below(8));
	uint64_t pts[16], value = random_value(d);
	struct memattr_range runs[8];
	size_t n = 0;

	d->written = (int)layer;
	if (below(2)) {
		/* Neighbouring breakpoints: short runs that need no node, often. */
		size_t np = model_points(d->m), first = below(np);

		for (unsigned int i = 0; i < k; i++)
			pts[i] = model_point(d->m, first + i < np ? first + i : np);
	} else {
		for (unsigned int i = 0; i < k; i++)
			pts[i] = random_point(d);
	}
	qsort(pts, k, sizeof(pts[0]), u64_cmp);
	for (unsigned int i = 0; i + 1 < k; i += 2)
		if (pts[i] < pts[i + 1] && (!n || pts[i] >= runs[n - 1].end))
			runs[n++] = (struct memattr_range){ pts[i], pts[i + 1] };
	d->got.n = d->want.n = 0;
	if (n >= 2 && below(10) == 0) {
		/* Out of order: refused whole, nothing told. */
		struct memattr_range t = runs[0];

		runs[0] = runs[1];
		runs[1] = t;
		if (memattr_set_runs(d->s, layer, runs, n, value) != -EINVAL || d->got.n)
			fail_at(d, "unordered runs accepted");
		return;
	}
	if (memattr_set_runs(d->s, layer, runs, n, value))
		fail_at(d, "set_runs failed");
	for (size_t i = 0; i < n; i++)
		assert_int_equal(model_set(d->m, layer, runs[i].start, runs[i].end, (uint8_t)value,
					   model_notified, &d->want),
				 0);
	check_changes(d);
}

static void op_bad_set(struct diff *d)
{
	static const uint64_t bad[] = { MEMATTR_WRITE,
					MEMATTR_EXECUTE,
					MEMATTR_WRITE | MEMATTR_EXECUTE,
					MEMATTR_NO_ACCESS | MEMATTR_READ,
					1ULL << 6,
					1ULL << 63,
					MEMATTR_USER_EXECUTE };
	uint64_t value = bad[below(sizeof(bad) / sizeof(bad[0]))], next = 0;
	uint64_t a = below(d->nr_pages), b = a + 1;

	if (value == MEMATTR_USER_EXECUTE && (d->cfg->flags & MEMATTR_F_MBEC))
		value = MEMATTR_USER_EXECUTE | MEMATTR_WRITE;
	d->got.n = 0;
	if (memattr_set(d->s, (unsigned int)below(d->cfg->layers), a, b, value, 0, &next) !=
	    -EINVAL)
		fail_at(d, "illegal value accepted");
	if (memattr_set(d->s, d->cfg->layers, a, b, 0, 0, &next) != -EINVAL)
		fail_at(d, "bad layer accepted");
	if (memattr_set(d->s, 0, a, d->nr_pages + 1, 0, 0, &next) != -EINVAL)
		fail_at(d, "range beyond the space accepted");
	if (d->got.n)
		fail_at(d, "a rejected set notified");
}

static void op_get(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	uint64_t g = random_gfn(d);

	if (memattr_get(d->s, layer, g) != model_get(d->m, layer, g))
		fail_at(d, "get differs");
}

/*
 * Batches of up to 300 gfns, so that several groups of 64 take both of
 * memattr_get_many()'s walks; spread over the space or clustered below one
 * node of a random level, so that the walk the gfns share ends at each level.
 */
static void op_get_many(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	unsigned int span_bits = 9 * (unsigned int)below(7);
	uint64_t low = span_bits < 64 ? (1ULL << span_bits) - 1 : UINT64_MAX;
	uint64_t base = random_gfn(d) & ~low;
	uint64_t gfns[300];
	uint8_t values[300];
	size_t n = 1 + below(300);

	for (size_t i = 0; i < n; i++)
		gfns[i] = base | (random_gfn(d) & low);
	assert_int_equal(memattr_get_many(d->s, layer, gfns, n, values), 0);
	for (size_t i = 0; i < n; i++)
		if (values[i] != model_get(d->m, layer, gfns[i]))
			fail_at(d, "get_many differs");
}

static void op_extent(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	uint64_t g = random_gfn(d);
	struct memattr_extent got, want;

	assert_int_equal(memattr_extent(d->s, layer, g, &got), 0);
	model_extent(d->m, layer, g, &want);
	if (got.value != want.value || got.start != want.start || got.end != want.end ||
	    got.order != want.order)
		fail_at(d, "extent differs");
}

static void op_has(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers);
	uint64_t a = random_gfn(d), b = random_gfn(d);
	uint64_t mask = below(2) ? MEMATTR_PROT_MASK : rnd() & 0x3f;
	uint64_t want;

	if (a > b) {
		uint64_t t = a;

		a = b;
		b = t;
	}
	b++;
	want = model_get(d->m, layer, a) & mask;
	if (below(8) == 0)
		want = rnd() & mask;
	if (memattr_range_has(d->s, layer, a, b, mask, want) !=
	    model_range_has(d->m, layer, a, b, mask, want))
		fail_at(d, "range_has differs");
}

static void compare_runs(struct diff *d, unsigned int layer, uint64_t a, uint64_t b)
{
	struct runs got = { 0 }, want = { 0 };

	assert_int_equal(memattr_runs(d->s, layer, a, b, collect_run, &got), 0);
	assert_int_equal(model_runs(d->m, layer, a, b, collect_run, &want), 0);
	if (got.n != want.n || (got.n && memcmp(got.r, want.r, got.n * sizeof(*got.r))))
		fail_at(d, "runs differ");
	free(got.r);
	free(want.r);
}

static void op_runs(struct diff *d)
{
	uint64_t a = random_gfn(d), b = random_gfn(d);

	if (a > b) {
		uint64_t t = a;

		a = b;
		b = t;
	}
	compare_runs(d, (unsigned int)below(d->cfg->layers), a, b + 1);
}

/* The huge-page order is the exact order rounded down to a page-table level. */
static void op_huge_order(struct diff *d)
{
	unsigned int layer = (unsigned int)below(d->cfg->layers), order = 99, want;
	uint32_t layers = (uint32_t)(1 + below((1ULL << d->cfg->layers) - 1));
	uint64_t g = random_gfn(d);

	if (memattr_huge_order(d->s, layer, g, &order) != model_get(d->m, layer, g) ||
	    order != model_huge_order(d->m, layer, g))
		fail_at(d, "huge order differs");
	want = UINT32_MAX;
	for (unsigned int l = 0; l < d->cfg->layers; l++)
		if (layers & (1U << l) && model_huge_order(d->m, l, g) < want)
			want = model_huge_order(d->m, l, g);
	if (memattr_combined_huge_order(d->s, layers, g, &order) !=
		    model_combined_get(d->m, layers, g) ||
	    order != want)
		fail_at(d, "combined huge order differs");
}

static void op_combined(struct diff *d)
{
	uint32_t layers = (uint32_t)(1 + below((1ULL << d->cfg->layers) - 1));
	uint64_t g = random_gfn(d);

	if (memattr_combined_get(d->s, layers, g) != model_combined_get(d->m, layers, g))
		fail_at(d, "combined view differs");
}

/* Combined runs, checked page-by-page at their edges against the model. */
static void op_combined_runs(struct diff *d)
{
	uint32_t layers = (uint32_t)(1 + below((1ULL << d->cfg->layers) - 1));
	uint64_t a = random_gfn(d), b;
	struct runs got = { 0 };

	b = a + 1 + below(d->nr_pages - a);
	assert_int_equal(memattr_combined_runs(d->s, layers, a, b, collect_run, &got), 0);
	if (!got.n || got.r[0][0] != a || got.r[got.n - 1][1] != b)
		fail_at(d, "combined runs do not cover the range");
	for (size_t i = 0; i < got.n; i++) {
		uint64_t v = got.r[i][2];

		if (i && (got.r[i][0] != got.r[i - 1][1] || got.r[i - 1][2] == v))
			fail_at(d, "combined runs not maximal and contiguous");
		if (model_combined_get(d->m, layers, got.r[i][0]) != v ||
		    model_combined_get(d->m, layers, got.r[i][1] - 1) != v)
			fail_at(d, "combined run value differs");
	}
	free(got.r);
}

static int replay_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct memattr_store **fresh = opaque;
	uint64_t next;

	(void)next;
	return value ? memattr_set(fresh[0], (unsigned int)(uintptr_t)fresh[1], start, end, value,
				   0, &next)
		     : 0;
}

/* Canonical form: the same contents built from scratch give the same nodes. */
static void check_canonical(struct diff *d)
{
	struct memattr_config sc = { .layers = d->cfg->layers,
				     .gpa_bits = d->cfg->gpa_bits,
				     .flags = d->cfg->flags };
	struct memattr_store *fresh;
	struct memattr_stats a, b;

	assert_int_equal(memattr_store_validate(d->s, -1), 0);
	assert_int_equal(memattr_store_create(&sc, &fresh), 0);
	for (unsigned int l = 0; l < d->cfg->layers; l++) {
		void *ctx[2] = { fresh, (void *)(uintptr_t)l };

		compare_runs(d, l, 0, d->nr_pages);
		assert_int_equal(model_runs(d->m, l, 0, d->nr_pages, replay_run, ctx), 0);
		assert_int_equal(memattr_stats(d->s, (int)l, &a), 0);
		assert_int_equal(memattr_stats(fresh, (int)l, &b), 0);
		if (a.interior_nodes != b.interior_nodes || a.leaves != b.leaves)
			fail_at(d, "not canonical: same contents, different nodes");
	}
	memattr_store_destroy(fresh);
	/* What the allocator holds is what the store says it holds. */
	memattr_rcu_barrier();
	assert_int_equal(memattr_stats(d->s, -1, &a), 0);
	if ((long long)a.bytes != d->counting.live_bytes)
		fail_at(d, "stats disagree with the allocator");
}

#ifdef NDEBUG
static const bool validate_every = false;
#else
static const bool validate_every = true;
#endif

/*
 * A write with nobody listening to its layer: no notifier registered at all,
 * or only one for no layer.  The store must then tell nothing.
 */
static void unheard(struct diff *d, void (*op)(struct diff *d))
{
	bool deaf = below(2);

	assert_int_equal(memattr_notifier_unregister(d->s, &d->notifier), 0);
	if (deaf)
		assert_int_equal(memattr_notifier_register(d->s, &d->deaf), 0);
	d->unheard = true;
	op(d);
	d->unheard = false;
	if (deaf)
		assert_int_equal(memattr_notifier_unregister(d->s, &d->deaf), 0);
	assert_int_equal(memattr_notifier_register(d->s, &d->notifier), 0);
}

/* Sets (r < 28), short sets (r < 42) or batches; one in eight unheard. */
static void op_write(struct diff *d, uint64_t r)
{
	void (*op)(struct diff * d) = op_set_runs;

	if (r < 28)
		op = op_set;
	else if (r < 42)
		op = op_set_short;
	if (below(8) == 0)
		unheard(d, op);
	else
		op(d);
}

static void diff_run(const struct config *cfg, uint64_t ops)
{
	struct diff d;
	struct memattr_stats st;
	uint64_t next;

	diff_init(&d, cfg);
	d.written = -1;
	for (d.op = 0; d.op < ops; d.op++) {
		uint64_t r = below(100);

		if (r < 45)
			op_write(&d, r);
		else if (r < 47)
			op_bad_set(&d);
		else if (r < 62)
			op_get(&d);
		else if (r < 65)
			op_get_many(&d);
		else if (r < 74)
			op_extent(&d);
		else if (r < 77)
			op_huge_order(&d);
		else if (r < 87)
			op_has(&d);
		else if (r < 92)
			op_runs(&d);
		else if (r < 97)
			op_combined(&d);
		else
			op_combined_runs(&d);
		/*
		 * Debug builds check the tree's invariants after every operation
		 * that can change it, on the layer it set (reads and refused sets
		 * cannot change it), and every layer with the canonical check.
		 */
		if (validate_every && d.written >= 0 && memattr_store_validate(d.s, d.written))
			fail_at(&d, "memattr_store_validate(): an invariant broken");
		d.written = -1;
		if (d.op % 2000 == 1999)
			check_canonical(&d);
	}
	check_canonical(&d);
	/* Clearing every layer gives all node memory back. */
	for (unsigned int l = 0; l < cfg->layers; l++)
		assert_int_equal(memattr_set(d.s, l, 0, d.nr_pages, 0, 0, &next), 0);
	assert_int_equal(memattr_stats(d.s, -1, &st), 0);
	assert_int_equal(st.bytes, 0);
	memattr_rcu_barrier();
	assert_int_equal(d.counting.live_blocks, 0);
	memattr_store_destroy(d.s);
	model_destroy(d.m);
}

static const struct config configs[] = {
	{ "dense-24", 3, 24, 0, true, 30 },   { "dense-22-mbec", 2, 22, MEMATTR_F_MBEC, true, 10 },
	{ "dense-13", 2, 13, 0, true, 4 },    { "single-page", 1, 12, 0, true, 1 },
	{ "sparse-52", 4, 52, 0, false, 30 }, { "sparse-64", 2, 64, MEMATTR_F_MBEC, false, 10 },
	{ "sparse-40", 3, 40, 0, false, 10 }, { "sparse-31", 16, 31, 0, false, 5 },
};

static uint64_t total_ops = 1000000;

static void test_config(void **state)
{
	const struct config *cfg = *state;
	unsigned int weights = 0;

	/* Each configuration replays on its own from the seed. */
	rng_state = rng_seed;
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		weights += configs[i].weight;
	diff_run(cfg, total_ops * cfg->weight / weights);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(configs) / sizeof(configs[0])];
	const char *seed = getenv("MEMATTR_SEED"), *ops = getenv("MEMATTR_DIFF_OPS");

	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!rng_state)
		rng_state = 1;
	rng_seed = rng_state;
	if (ops)
		total_ops = strtoull(ops, NULL, 0);
	printf("# differential test: seed 0x%llx, %llu operations\n", (unsigned long long)rng_state,
	       (unsigned long long)total_ops);
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		tests[i] = (struct CMUnitTest){ .name = configs[i].name,
						.test_func = test_config,
						.initial_state = (void *)&configs[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
