// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Allocation failure, everywhere.  A fixed random workload runs once to count
 * its allocations; then, for every N, it runs again with (a) only the Nth
 * allocation failing and (b) every allocation from the Nth on failing.  After
 * every call the store must equal the reference model applied to exactly the
 * progress the call reported, the notifier must have heard exactly that, a
 * retry with memory must finish the job, the tree must stay canonical, and
 * nothing may leak.
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

#define LAYERS	 2
#define GPA_BITS 24
#define NR_PAGES (1ULL << (GPA_BITS - 12))
#define OPS	 160

struct changes {
	size_t n;
	struct memattr_change c[512];
};

static void rec(struct changes *r, const struct memattr_change *c)
{
	assert_true(r->n < 512);
	r->c[r->n++] = *c;
}

static void store_heard(struct memattr_notifier *n, const struct memattr_change *c)
{
	rec(n->opaque, c);
}

static void model_heard(void *opaque, const struct memattr_change *c)
{
	rec(opaque, c);
}

static void same_changes(const struct changes *a, const struct changes *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->c[i].layer, b->c[i].layer);
		assert_int_equal(a->c[i].start, b->c[i].start);
		assert_int_equal(a->c[i].end, b->c[i].end);
		assert_int_equal(a->c[i].old_value, b->c[i].old_value);
		assert_int_equal(a->c[i].new_value, b->c[i].new_value);
	}
}

struct op {
	unsigned int layer;
	uint64_t a, b, v;
};

static struct op ops[OPS];

static void make_ops(void)
{
	static const uint64_t vals[] = { 0, MEMATTR_READ, MEMATTR_READ | MEMATTR_WRITE,
					 MEMATTR_NO_ACCESS, MEMATTR_RWX };
	uint64_t x = 0x5eed;

	for (int i = 0; i < OPS; i++) {
		uint64_t a, len;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (x >> 20) % NR_PAGES;
		len = (x >> 8) % 4 == 0 ? 1 + (x >> 40) % 2000 : 1 + (x >> 40) % 3;
		ops[i].layer = (unsigned int)((x >> 3) % LAYERS);
		ops[i].a = a;
		ops[i].b = a + len > NR_PAGES ? NR_PAGES : a + len;
		ops[i].v = vals[(x >> 50) % 5];
	}
}

struct rig {
	struct test_alloc f;
	struct memattr_store *s;
	struct model *m;
	struct memattr_notifier n;
	struct changes got, want;
};

static void rig_init(struct rig *r)
{
	struct memattr_config cfg = { .layers = LAYERS, .gpa_bits = GPA_BITS };
	uint64_t *pts = malloc(NR_PAGES * sizeof(*pts));

	memset(r, 0, sizeof(*r));
	cfg.allocator = test_alloc_init(&r->f);
	assert_int_equal(memattr_store_create(&cfg, &r->s), 0);
	r->n = (struct memattr_notifier){ .notify = store_heard, .layers = ~0U, .opaque = &r->got };
	memattr_notifier_register(r->s, &r->n);
	assert_non_null(pts);
	for (uint64_t i = 0; i < NR_PAGES; i++)
		pts[i] = i;
	r->m = model_create(LAYERS, GPA_BITS - 12, pts, NR_PAGES);
	assert_non_null(r->m);
	free(pts);
}

static int put_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	uint64_t(*runs)[3] = opaque;
	size_t i = 0;

	while (runs[i][1])
		i++;
	assert_true(i < NR_PAGES);
	runs[i][0] = start;
	runs[i][1] = end;
	runs[i][2] = value;
	return 0;
}

static void rig_compare(struct rig *r)
{
	static uint64_t got[NR_PAGES + 1][3], want[NR_PAGES + 1][3];

	for (unsigned int l = 0; l < LAYERS; l++) {
		memset(got, 0, sizeof(got));
		memset(want, 0, sizeof(want));
		assert_int_equal(memattr_runs(r->s, l, 0, NR_PAGES, put_run, got), 0);
		assert_int_equal(model_runs(r->m, l, 0, NR_PAGES, put_run, want), 0);
		assert_memory_equal(got, want, sizeof(got));
	}
}

/* Applies one op, retrying as the contract allows; returns calls that failed. */
static int rig_apply(struct rig *r, const struct op *o, bool memory_back_on_failure)
{
	uint64_t from = o->a, next;
	int failures = 0;

	while (from < o->b) {
		int ret;

		r->got.n = r->want.n = 0;
		ret = memattr_set(r->s, o->layer, from, o->b, o->v, 0, &next);
		if (ret == -ENOMEM) {
			/* Nothing changed, nobody was told. */
			assert_int_equal(r->got.n, 0);
			failures++;
			if (!memory_back_on_failure)
				return failures;
			r->f.fail_from = -1;
			continue;
		}
		assert_int_equal(ret, 0);
		assert_true(next > from && next <= o->b);
		assert_int_equal(
			model_set(r->m, o->layer, from, next, (uint8_t)o->v, model_heard, &r->want),
			0);
		same_changes(&r->got, &r->want);
		if (next != o->b) {
			failures++;
			if (!memory_back_on_failure)
				return failures;
			r->f.fail_from = -1;
		}
		from = next;
	}
	return failures;
}

static void rig_finish(struct rig *r)
{
	struct memattr_config cfg = { .layers = LAYERS, .gpa_bits = GPA_BITS };
	struct memattr_store *fresh;
	struct memattr_stats a, b;
	uint64_t next;

	rig_compare(r);
	/* Canonical: a store built fresh from the same contents has the same nodes. */
	assert_int_equal(memattr_store_create(&cfg, &fresh), 0);
	for (unsigned int l = 0; l < LAYERS; l++)
		for (uint64_t g = 0; g < NR_PAGES;) {
			struct memattr_extent e;

			assert_int_equal(memattr_extent(r->s, l, g, &e), 0);
			assert_int_equal(memattr_set(fresh, l, e.start, e.end, e.value, 0, &next),
					 0);
			g = e.end;
		}
	assert_int_equal(memattr_stats(r->s, -1, &a), 0);
	assert_int_equal(memattr_stats(fresh, -1, &b), 0);
	assert_int_equal(a.interior_nodes, b.interior_nodes);
	assert_int_equal(a.leaves, b.leaves);
	memattr_store_destroy(fresh);
	memattr_store_destroy(r->s);
	model_destroy(r->m);
	memattr_rcu_barrier();
	assert_int_equal(r->f.live_blocks, 0);
}

static long long count_allocations(void)
{
	struct rig r;
	long long calls;

	rig_init(&r);
	for (int i = 0; i < OPS; i++)
		assert_int_equal(rig_apply(&r, &ops[i], true), 0);
	calls = r.f.calls;
	rig_finish(&r);
	return calls;
}

static void test_fail_nth(void **state)
{
	long long total = count_allocations(), stopped = 0;

	(void)state;
	assert_true(total > 20);
	for (long long nth = 0; nth < total; nth++) {
		struct rig r;

		rig_init(&r);
		r.f.fail_only = nth;
		for (int i = 0; i < OPS; i++) {
			stopped += rig_apply(&r, &ops[i], true);
			rig_compare(&r);
		}
		rig_finish(&r);
	}
	printf("# %lld allocations, each failed once in turn; %lld set calls stopped short\n",
	       total, stopped);
	/* Most failures hit node allocations; the rest hit RCU batches (no error). */
	assert_true(stopped > total / 2);
}

static void test_fail_from_nth(void **state)
{
	long long total = count_allocations(), stopped = 0;

	(void)state;
	for (long long nth = 0; nth < total; nth += 3) {
		struct rig r;
		uint64_t next;

		rig_init(&r);
		r.f.fail_from = nth;
		for (int i = 0; i < OPS; i++) {
			stopped += rig_apply(&r, &ops[i], false);
			rig_compare(&r);
		}
		/* Clearing needs no new node: it works with no memory at all. */
		for (unsigned int l = 0; l < LAYERS; l++) {
			assert_int_equal(memattr_set(r.s, l, 0, NR_PAGES, 0, 0, &next), 0);
			assert_int_equal(next, NR_PAGES);
			assert_int_equal(model_set(r.m, l, 0, NR_PAGES, 0, NULL, NULL), 0);
		}
		rig_finish(&r);
	}
	assert_true(stopped > 0);
}

static int range_cmp(const void *x, const void *y)
{
	const struct memattr_range *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* The ranges of ops[i..i+3], ascending and made disjoint: one memattr_set_runs() batch. */
static size_t batch_of(int i, struct memattr_range *runs)
{
	struct memattr_range r[4];
	size_t n = 0;

	for (int k = 0; k < 4; k++)
		r[k] = (struct memattr_range){ ops[i + k].a, ops[i + k].b };
	qsort(r, 4, sizeof(r[0]), range_cmp);
	for (int k = 0; k < 4; k++) {
		uint64_t a = n && r[k].start < runs[n - 1].end ? runs[n - 1].end : r[k].start;

		if (a < r[k].end)
			runs[n++] = (struct memattr_range){ a, r[k].end };
	}
	return n;
}

/* One batch: on -ENOMEM nothing changed and no one was told; with memory back it completes. */
static int rig_apply_runs(struct rig *r, int i)
{
	struct memattr_range runs[4];
	size_t n = batch_of(i, runs);
	int failures = 0, ret;

	for (;;) {
		r->got.n = r->want.n = 0;
		ret = memattr_set_runs(r->s, ops[i].layer, runs, n, ops[i].v);
		if (ret != -ENOMEM)
			break;
		assert_int_equal(r->got.n, 0);
		rig_compare(r);
		/* With memory back a batch must go through. */
		assert_int_equal(failures++, 0);
		r->f.fail_from = -1;
	}
	assert_int_equal(ret, 0);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(model_set(r->m, ops[i].layer, runs[k].start, runs[k].end,
					   (uint8_t)ops[i].v, model_heard, &r->want),
				 0);
	same_changes(&r->got, &r->want);
	return failures;
}

/* memattr_set_runs() with every allocation failing in turn, and from the Nth on: all or nothing. */
static void test_set_runs_fail(void **state)
{
	long long total, failed = 0;
	struct rig r;

	(void)state;
	rig_init(&r);
	for (int i = 0; i + 4 <= OPS; i += 4)
		assert_int_equal(rig_apply_runs(&r, i), 0);
	total = r.f.calls;
	rig_finish(&r);
	for (long long nth = 0; nth < total; nth++) {
		rig_init(&r);
		if (nth % 2)
			r.f.fail_only = nth;
		else
			r.f.fail_from = nth;
		for (int i = 0; i + 4 <= OPS; i += 4) {
			failed += rig_apply_runs(&r, i);
			rig_compare(&r);
		}
		rig_finish(&r);
	}
	printf("# %lld allocations of batched sets, failing in turn; %lld batches refused whole\n",
	       total, failed);
	assert_true(failed > total / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_nth),
		cmocka_unit_test(test_fail_from_nth),
		cmocka_unit_test(test_set_runs_fail),
	};

	make_ops();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
