// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests of the store: shape, values, queries, notifier, progress, memory. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <memattr/memattr.h>

#include "test_alloc.h"

#define R  MEMATTR_READ
#define W  MEMATTR_WRITE
#define X  MEMATTR_EXECUTE
#define P  MEMATTR_PRIVATE
#define NA MEMATTR_NO_ACCESS
#define UX MEMATTR_USER_EXECUTE

#define GIB_PAGES (1ULL << 18)
#define TIB_PAGES (1ULL << 28)

static struct memattr_store *make(unsigned int layers, unsigned int gpa_bits, unsigned int flags)
{
	struct memattr_config cfg = { .layers = layers, .gpa_bits = gpa_bits, .flags = flags };
	struct memattr_store *s = NULL;

	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	return s;
}

static void set_ok(struct memattr_store *s, unsigned int layer, uint64_t a, uint64_t b, uint64_t v)
{
	uint64_t next = 0;

	assert_int_equal(memattr_set(s, layer, a, b, v, 0, &next), 0);
	assert_int_equal(next, b);
}

static void test_config_checks(void **state)
{
	struct memattr_config bad[] = {
		{ .layers = 0, .gpa_bits = 52 },
		{ .layers = 17, .gpa_bits = 52 },
		{ .layers = 1, .gpa_bits = 11 },
		{ .layers = 1, .gpa_bits = 65 },
		{ .layers = 1, .gpa_bits = 52, .flags = 2 },
	};
	struct memattr_allocator half = { .alloc = NULL, .free = test_alloc_free };
	struct memattr_config no_alloc = { .layers = 1, .gpa_bits = 52, .allocator = &half };
	struct memattr_store *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(memattr_store_create(&bad[i], &s), -EINVAL);
	assert_int_equal(memattr_store_create(&no_alloc, &s), -EINVAL);
	assert_int_equal(memattr_store_create(NULL, NULL), -EINVAL);
	assert_int_equal(memattr_store_create(NULL, &s), 0);
	assert_int_equal(memattr_layers(s), MEMATTR_DEFAULT_LAYERS);
	assert_int_equal(memattr_gpa_bits(s), MEMATTR_DEFAULT_GPA_BITS);
	assert_int_equal(memattr_supported(s), R | W | X | P | NA);
	memattr_store_destroy(s);
	s = make(1, 52, MEMATTR_F_MBEC);
	assert_int_equal(memattr_supported(s), R | W | X | P | NA | UX);
	memattr_store_destroy(s);
	memattr_store_destroy(NULL);
}

static void test_value_rules(void **state)
{
	static const struct {
		uint64_t v;
		bool plain, mbec;
	} cases[] = {
		{ 0, true, true },
		{ NA, true, true },
		{ R, true, true },
		{ R | X, true, true },
		{ R | W, true, true },
		{ R | W | X, true, true },
		{ P, true, true },
		{ P | NA, true, true },
		{ P | R | W | X, true, true },
		{ W, false, false },
		{ X, false, false },
		{ W | X, false, false },
		{ NA | R, false, false },
		{ NA | P | W, false, false },
		{ R | UX, false, true },
		{ R | W | X | UX, false, true },
		{ UX, false, false },
		{ NA | UX, false, false },
		{ 1ULL << 6, false, false },
		{ 1ULL << 63 | R, false, false },
	};
	struct memattr_store *plain = make(1, 52, 0), *mbec = make(1, 52, MEMATTR_F_MBEC);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(memattr_value_valid(plain, cases[i].v), cases[i].plain);
		assert_int_equal(memattr_value_valid(mbec, cases[i].v), cases[i].mbec);
	}
	memattr_store_destroy(plain);
	memattr_store_destroy(mbec);
}

static void test_combine(void **state)
{
	static const uint64_t cases[][3] = {
		{ 0, 0, 0 },
		{ 0, R, R },
		{ R | W | X, 0, R | W | X },
		{ R | W, R | X, R },
		{ R | W | X, R | X, R | X },
		{ NA, R | W | X, NA },
		{ 0, NA, NA },
		{ P, 0, P },
		{ P, R | W, P | R | W },
		{ R | P, NA, NA | P },
		{ R | X | UX, R | W | UX, R | UX },
		{ R | X, R | UX, R },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(memattr_combine(cases[i][0], cases[i][1]), cases[i][2]);
		assert_int_equal(memattr_combine(cases[i][1], cases[i][0]), cases[i][2]);
	}
}

static void test_set_checks(void **state)
{
	struct memattr_store *s = make(2, 40, 0);
	uint64_t next = 77;

	(void)state;
	assert_int_equal(memattr_set(s, 2, 0, 1, R, 0, &next), -EINVAL);
	assert_int_equal(memattr_set(s, 0, 5, 5, R, 0, &next), -EINVAL);
	assert_int_equal(memattr_set(s, 0, 6, 5, R, 0, &next), -EINVAL);
	assert_int_equal(memattr_set(s, 0, 0, (1ULL << 28) + 1, R, 0, &next), -EINVAL);
	assert_int_equal(memattr_set(s, 0, 0, 1, W, 0, &next), -EINVAL);
	assert_int_equal(memattr_set(s, 0, 0, 1, R, 0, NULL), -EINVAL);
	assert_int_equal(next, 77);
	assert_int_equal(memattr_get(s, 0, 0), 0);
	assert_int_equal(memattr_get(s, 2, 0), -EINVAL);
	assert_int_equal(memattr_get(s, 0, 1ULL << 28), -EINVAL);
	set_ok(s, 0, (1ULL << 28) - 1, 1ULL << 28, R);
	assert_int_equal(memattr_get(s, 0, (1ULL << 28) - 1), R);
	{
		uint64_t gfns[3] = { (1ULL << 28) - 1, 0, 1ULL << 28 };
		uint8_t values[3] = { 9, 9, 9 };

		/* One bad gfn: -EINVAL and nothing written. */
		assert_int_equal(memattr_get_many(s, 0, gfns, 3, values), -EINVAL);
		assert_int_equal(values[0], 9);
		gfns[2] = UINT64_MAX;
		assert_int_equal(memattr_get_many(s, 0, gfns, 3, values), -EINVAL);
		assert_int_equal(values[0], 9);
		assert_int_equal(memattr_get_many(s, 2, gfns, 2, values), -EINVAL);
		assert_int_equal(memattr_get_many(s, 0, gfns, 2, values), 0);
		assert_int_equal(values[0], R);
		assert_int_equal(values[1], 0);
		assert_int_equal(memattr_get_many(s, 0, NULL, 0, NULL), 0);
	}
	memattr_store_destroy(s);
}

static void test_layers_independent(void **state)
{
	struct memattr_store *s = make(16, 52, 0);

	(void)state;
	for (unsigned int l = 0; l < 16; l++)
		set_ok(s, l, l * 10, l * 10 + 5, l % 2 ? R : R | W);
	for (unsigned int l = 0; l < 16; l++)
		for (unsigned int k = 0; k < 16; k++) {
			int want = k == l ? (l % 2 ? (int)R : (int)(R | W)) : 0;

			assert_int_equal(memattr_get(s, l, k * 10 + 2), want);
		}
	memattr_store_destroy(s);
}

static void test_extent_orders(void **state)
{
	struct memattr_store *s = make(1, 52, 0);
	struct memattr_extent e;

	(void)state;
	/* Uniform empty space: one run, order = gfn bits. */
	assert_int_equal(memattr_extent(s, 0, 12345, &e), 0);
	assert_int_equal(e.value, 0);
	assert_int_equal(e.start, 0);
	assert_int_equal(e.end, 1ULL << 40);
	assert_int_equal(e.order, 40);
	/* A 1 GiB-aligned gigabyte of R|X: order 18 inside it. */
	set_ok(s, 0, 3 * GIB_PAGES, 4 * GIB_PAGES, R | X);
	assert_int_equal(memattr_extent(s, 0, 3 * GIB_PAGES + 7, &e), 0);
	assert_int_equal(e.value, R | X);
	assert_int_equal(e.start, 3 * GIB_PAGES);
	assert_int_equal(e.end, 4 * GIB_PAGES);
	assert_int_equal(e.order, 18);
	/* Next to it, the free 1 GiB block at 2 GiB and the 2 GiB block at 0. */
	assert_int_equal(memattr_extent(s, 0, 2 * GIB_PAGES, &e), 0);
	assert_int_equal(e.order, 18);
	assert_int_equal(e.end, 3 * GIB_PAGES);
	assert_int_equal(memattr_extent(s, 0, 5, &e), 0);
	assert_int_equal(e.order, 19);
	/* One 4K page in a 2M page splits it down to order 0 there, 8 next door. */
	set_ok(s, 0, 3 * GIB_PAGES + 512 + 3, 3 * GIB_PAGES + 512 + 4, R);
	assert_int_equal(memattr_extent(s, 0, 3 * GIB_PAGES + 512 + 3, &e), 0);
	assert_int_equal(e.value, R);
	assert_int_equal(e.order, 0);
	assert_int_equal(memattr_extent(s, 0, 3 * GIB_PAGES + 512 + 256, &e), 0);
	assert_int_equal(e.order, 8);
	assert_int_equal(e.start, 3 * GIB_PAGES + 512 + 4);
	assert_int_equal(e.end, 4 * GIB_PAGES);
	/* The untouched 2M block before that leaf is still one value. */
	assert_int_equal(memattr_extent(s, 0, 3 * GIB_PAGES + 2, &e), 0);
	assert_int_equal(e.order, 9);
	assert_int_equal(memattr_extent(s, 0, 3 * GIB_PAGES + 1024, &e), 0);
	assert_int_equal(e.order, 10);
	assert_int_equal(memattr_extent(s, 0, 1ULL << 40, &e), -EINVAL);
	memattr_store_destroy(s);
}

/*
 * The huge-page order is a page-table level: what a fault handler may map
 * whole (0: 4 KiB, 9: 2 MiB, 18: 1 GiB), the exact order rounded down.
 */
static void test_huge_order(void **state)
{
	struct memattr_store *s = make(2, 52, 0);
	unsigned int order = 99;

	(void)state;
	assert_int_equal(memattr_huge_order(s, 0, 12345, &order), 0);
	assert_int_equal(order, 40); /* all of the space */
	set_ok(s, 0, 3 * GIB_PAGES, 4 * GIB_PAGES, R | X);
	assert_int_equal(memattr_huge_order(s, 0, 3 * GIB_PAGES + 7, &order), (int)(R | X));
	assert_int_equal(order, 18);
	/* Exact order 19 at gfn 5: one 1 GiB page. */
	assert_int_equal(memattr_huge_order(s, 0, 5, &order), 0);
	assert_int_equal(order, 18);
	set_ok(s, 0, 3 * GIB_PAGES + 512 + 3, 3 * GIB_PAGES + 512 + 4, R);
	assert_int_equal(memattr_huge_order(s, 0, 3 * GIB_PAGES + 512 + 3, &order), (int)R);
	assert_int_equal(order, 0);
	/* Exact order 8 next door: no 2 MiB page, so 4 KiB. */
	assert_int_equal(memattr_huge_order(s, 0, 3 * GIB_PAGES + 512 + 256, &order), (int)(R | X));
	assert_int_equal(order, 0);
	assert_int_equal(memattr_huge_order(s, 0, 3 * GIB_PAGES + 2, &order), (int)(R | X));
	assert_int_equal(order, 9);
	/* Combined: the smaller order of the layers, the combined value. */
	set_ok(s, 1, 3 * GIB_PAGES, 3 * GIB_PAGES + 512, R);
	assert_int_equal(memattr_combined_huge_order(s, 3, 3 * GIB_PAGES + 2, &order), (int)R);
	assert_int_equal(order, 9);
	assert_int_equal(memattr_combined_huge_order(s, 2, 3 * GIB_PAGES + 2, &order), (int)R);
	assert_int_equal(order, 9);
	/* Exact order 20 at 4 GiB in both layers ([4, 8) GiB): one 1 GiB page. */
	assert_int_equal(memattr_combined_huge_order(s, 3, 4 * GIB_PAGES, &order), 0);
	assert_int_equal(order, 18);
	assert_int_equal(memattr_store_validate(s, -1), 0);
	assert_int_equal(memattr_store_validate(s, 1), 0);
	assert_int_equal(memattr_store_validate(s, 2), -EINVAL);
	assert_int_equal(memattr_store_validate(s, -2), -EINVAL);
	assert_int_equal(memattr_store_validate(NULL, -1), -EINVAL);
	/* Bad arguments change nothing. */
	order = 99;
	assert_int_equal(memattr_huge_order(s, 0, 1ULL << 40, &order), -EINVAL);
	assert_int_equal(memattr_huge_order(s, 2, 0, &order), -EINVAL);
	assert_int_equal(memattr_huge_order(s, 0, 0, NULL), -EINVAL);
	assert_int_equal(memattr_combined_huge_order(s, 4, 0, &order), -EINVAL);
	assert_int_equal(memattr_combined_huge_order(s, 0, 0, &order), -EINVAL);
	assert_int_equal(memattr_combined_huge_order(s, 1, 0, NULL), -EINVAL);
	assert_int_equal(order, 99);
	memattr_store_destroy(s);
}

static void test_range_has(void **state)
{
	struct memattr_store *s = make(1, 52, 0);

	(void)state;
	set_ok(s, 0, 100, 200, R | W);
	set_ok(s, 0, 150, 151, R | W | P);
	assert_int_equal(memattr_range_has(s, 0, 100, 200, R | W, R | W), 1);
	assert_int_equal(memattr_range_has(s, 0, 100, 200, P, 0), 0);
	assert_int_equal(memattr_range_has(s, 0, 151, 200, P, 0), 1);
	assert_int_equal(memattr_range_has(s, 0, 99, 200, R, R), 0);
	assert_int_equal(memattr_range_has(s, 0, 150, 151, P, P), 1);
	assert_int_equal(memattr_range_has(s, 0, 0, 100, ~0ULL, 0), 1);
	assert_int_equal(memattr_range_has(s, 0, 100, 200, R, R | W), 0); /* want outside mask */
	assert_int_equal(memattr_range_has(s, 0, 5, 5, R, R), -EINVAL);
	assert_int_equal(memattr_range_has(s, 0, 5, (1ULL << 40) + 1, R, R), -EINVAL);
	assert_int_equal(memattr_range_has(s, 1, 5, 6, R, R), -EINVAL);
	memattr_store_destroy(s);
}

struct runlog {
	int n;
	int stop_after;
	uint64_t r[16][3];
};

static int log_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct runlog *l = opaque;

	assert_true(l->n < 16);
	l->r[l->n][0] = start;
	l->r[l->n][1] = end;
	l->r[l->n][2] = value;
	l->n++;
	return l->n == l->stop_after ? 42 : 0;
}

static void test_runs(void **state)
{
	struct memattr_store *s = make(2, 52, 0);
	struct runlog l = { 0 };

	(void)state;
	set_ok(s, 0, 510, 515, R); /* straddles a 2M boundary */
	set_ok(s, 0, 515, 520, R); /* coalesces with it */
	set_ok(s, 0, 1ULL << 27, (1ULL << 27) + 1, NA);
	assert_int_equal(memattr_runs(s, 0, 500, 1ULL << 28, log_run, &l), 0);
	assert_int_equal(l.n, 5);
	assert_int_equal(l.r[4][0], (1ULL << 27) + 1);
	assert_int_equal(l.r[4][1], 1ULL << 28);
	assert_int_equal(l.r[4][2], 0);
	assert_int_equal(l.r[0][0], 500);
	assert_int_equal(l.r[0][1], 510);
	assert_int_equal(l.r[1][0], 510);
	assert_int_equal(l.r[1][1], 520);
	assert_int_equal(l.r[1][2], R);
	assert_int_equal(l.r[2][1], 1ULL << 27);
	assert_int_equal(l.r[3][0], 1ULL << 27);
	assert_int_equal(l.r[3][1], (1ULL << 27) + 1);
	assert_int_equal(l.r[3][2], NA);
	/* Ranges past the last run get its tail, clipped. */
	l.n = 0;
	assert_int_equal(memattr_runs(s, 0, 512, 513, log_run, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.r[0][0], 512);
	assert_int_equal(l.r[0][1], 513);
	/* The visitor stops the walk with its own value. */
	l.n = 0;
	l.stop_after = 2;
	assert_int_equal(memattr_runs(s, 0, 0, 1ULL << 40, log_run, &l), 42);
	assert_int_equal(l.n, 2);
	assert_int_equal(memattr_runs(s, 0, 0, 0, log_run, &l), -EINVAL);
	assert_int_equal(memattr_runs(s, 0, 0, 1, NULL, &l), -EINVAL);
	/* The combined view: layer 1 R|X over layer 0's R|W/NA. */
	set_ok(s, 1, 505, 2000, R | X);
	set_ok(s, 0, 600, 700, R | W);
	assert_int_equal(memattr_combined_get(s, 3, 506), R | X);
	assert_int_equal(memattr_combined_get(s, 3, 512), R);
	assert_int_equal(memattr_combined_get(s, 3, 650), R);
	assert_int_equal(memattr_combined_get(s, 3, 1ULL << 27), NA);
	assert_int_equal(memattr_combined_get(s, 1, 650), R | W);
	assert_int_equal(memattr_combined_get(s, 4, 650), -EINVAL);
	assert_int_equal(memattr_combined_get(s, 0, 650), -EINVAL);
	l.n = 0;
	l.stop_after = 0;
	assert_int_equal(memattr_combined_runs(s, 3, 500, 800, log_run, &l), 0);
	{
		static const uint64_t want[6][3] = {
			{ 500, 505, 0 },     { 505, 510, R | X }, { 510, 520, R },
			{ 520, 600, R | X }, { 600, 700, R },	  { 700, 800, R | X },
		};

		assert_int_equal(l.n, 6);
		assert_memory_equal(l.r, want, sizeof(want));
	}
	memattr_store_destroy(s);
}

struct notes {
	int n;
	struct memattr_change c[8];
};

static void note(struct memattr_notifier *nt, const struct memattr_change *c)
{
	struct notes *n = nt->opaque;

	assert_true(n->n < 8);
	n->c[n->n++] = *c;
}

static void test_notifier(void **state)
{
	struct memattr_store *s = make(2, 52, 0);
	struct notes a = { 0 }, b = { 0 };
	struct memattr_notifier na = { .notify = note, .layers = 1, .opaque = &a };
	struct memattr_notifier nb = { .notify = note, .layers = 3, .opaque = &b };

	(void)state;
	memattr_notifier_register(s, &na);
	memattr_notifier_register(s, &nb);
	set_ok(s, 0, 10, 20, R);
	set_ok(s, 0, 12, 14, NA);
	a.n = b.n = 0;
	/* 5..25: 5..10 was 0, 10..12 R, 12..14 NA, 14..20 R, 20..25 0 -> R|W. */
	set_ok(s, 0, 5, 25, R | W);
	assert_int_equal(a.n, 5);
	assert_int_equal(a.c[0].start, 5);
	assert_int_equal(a.c[0].end, 10);
	assert_int_equal(a.c[0].old_value, 0);
	assert_int_equal(a.c[0].new_value, R | W);
	assert_int_equal(a.c[2].start, 12);
	assert_int_equal(a.c[2].end, 14);
	assert_int_equal(a.c[2].old_value, NA);
	assert_int_equal(b.n, 5);
	/* A no-op set notifies no one. */
	a.n = b.n = 0;
	set_ok(s, 0, 6, 24, R | W);
	assert_int_equal(a.n + b.n, 0);
	/* Partly unchanged: only the changing pages are reported, coalesced. */
	set_ok(s, 0, 0, 30, R | W);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.c[0].start, 0);
	assert_int_equal(a.c[0].end, 5);
	assert_int_equal(a.c[1].start, 25);
	assert_int_equal(a.c[1].end, 30);
	/* Layer masks filter. */
	a.n = b.n = 0;
	set_ok(s, 1, 0, 1, R);
	assert_int_equal(a.n, 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.c[0].layer, 1);
	/* Unregistered notifiers hear nothing. */
	memattr_notifier_unregister(s, &nb);
	b.n = 0;
	set_ok(s, 1, 0, 1, R | W);
	assert_int_equal(b.n, 0);
	memattr_notifier_unregister(s, &na);
	memattr_store_destroy(s);
}

/* A notifier sees the old value in the store: it runs before the change. */
static void check_old_visible(struct memattr_notifier *nt, const struct memattr_change *c)
{
	struct memattr_store *s = nt->opaque;

	assert_int_equal(memattr_get(s, c->layer, c->start), c->old_value);
	assert_int_equal(memattr_get(s, c->layer, c->end - 1), c->old_value);
}

/*
 * Misuse is an error, not a hang or a crash: registering a notifier twice
 * would make the list a cycle and the next set would notify forever;
 * unregistering one the store does not have is -ENOENT; NULL is -EINVAL.
 */
static void test_notifier_misuse(void **state)
{
	struct memattr_store *s = make(1, 32, 0), *other = make(1, 32, 0);
	struct notes a = { 0 };
	struct memattr_notifier na = { .notify = note, .layers = 1, .opaque = &a };
	struct memattr_notifier bare = { .layers = 1 };
	struct memattr_stats st;

	(void)state;
	assert_int_equal(memattr_notifier_register(s, &na), 0);
	assert_int_equal(memattr_notifier_register(s, &na), -EEXIST);
	set_ok(s, 0, 10, 20, R);
	assert_int_equal(a.n, 1); /* once, not in a loop */
	assert_int_equal(memattr_notifier_unregister(other, &na), -ENOENT);
	assert_int_equal(memattr_notifier_register(NULL, &na), -EINVAL);
	assert_int_equal(memattr_notifier_register(s, NULL), -EINVAL);
	assert_int_equal(memattr_notifier_register(s, &bare), -EINVAL);
	assert_int_equal(memattr_notifier_unregister(s, NULL), -EINVAL);
	assert_int_equal(memattr_notifier_unregister(s, &na), 0);
	assert_int_equal(memattr_notifier_unregister(s, &na), -ENOENT);
	set_ok(s, 0, 10, 20, W | R);
	assert_int_equal(a.n, 1);
	/* Out-parameters: NULL is refused, nothing written. */
	assert_int_equal(memattr_stats(s, 0, NULL), -EINVAL);
	assert_int_equal(memattr_stats(NULL, 0, &st), -EINVAL);
	memattr_store_destroy(other);
	memattr_store_destroy(s);
}

static void test_notifier_before_change(void **state)
{
	struct memattr_store *s = make(1, 52, 0);
	struct memattr_notifier n = { .notify = check_old_visible, .layers = 1 };

	(void)state;
	n.opaque = s;
	memattr_notifier_register(s, &n);
	set_ok(s, 0, 1000, 5000, R);
	set_ok(s, 0, 0, 1ULL << 30, NA);
	set_ok(s, 0, 7, 8, R | W);
	memattr_store_destroy(s);
}

static __attribute__((unused)) void set_from_notifier(struct memattr_notifier *n,
						      const struct memattr_change *c)
{
	uint64_t next;

	(void)c;
	memattr_set(n->opaque, 1, 0, 1, R, 0, &next);
}

/*
 * One writer per store: a notifier that calls back into the write side is
 * a second writer, which debug builds stop with an assertion (in a child
 * process here).  Release builds do not check.
 */
static void test_one_writer_checked(void **state)
{
#ifdef NDEBUG
	(void)state;
	skip();
#else
	struct memattr_store *s = make(2, 32, 0);
	struct memattr_notifier n = { .notify = set_from_notifier, .layers = 1, .opaque = s };
	int status;
	pid_t pid;

	(void)state;
	memattr_notifier_register(s, &n);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t next;

		/* No core file and no sanitizer report: the abort is the answer. */
		memattr_set(s, 0, 0, 1, R, 0, &next);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	/* The parent's store is untouched and still takes a writer. */
	memattr_notifier_unregister(s, &n);
	set_ok(s, 1, 0, 1, R);
	memattr_store_destroy(s);
#endif
}

static void test_memory_follows_fragmentation(void **state)
{
	struct memattr_store *s = make(2, 52, 0);
	struct memattr_stats st;

	(void)state;
	/* A uniform layer of any size holds no node. */
	set_ok(s, 0, 0, TIB_PAGES, R | W | X);
	set_ok(s, 0, 0, 1ULL << 40, R | W);
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.bytes, 0);
	/* An aligned terabyte: two 512G slots; the top node and one below it. */
	set_ok(s, 1, TIB_PAGES * 3, TIB_PAGES * 4, R);
	assert_int_equal(memattr_stats(s, 1, &st), 0);
	assert_int_equal(st.interior_nodes, 2);
	assert_int_equal(st.leaves, 0);
	/* One page costs one path: interior nodes down to one leaf. */
	set_ok(s, 1, 12345, 12346, NA);
	assert_int_equal(memattr_stats(s, 1, &st), 0);
	assert_int_equal(st.leaves, 1);
	assert_int_equal(st.interior_nodes, 4);
	/* Setting it back collapses the path. */
	set_ok(s, 1, 12345, 12346, 0);
	assert_int_equal(memattr_stats(s, 1, &st), 0);
	assert_int_equal(st.leaves, 0);
	assert_int_equal(st.interior_nodes, 2);
	assert_int_equal(memattr_stats(s, 2, &st), -EINVAL);
	assert_int_equal(memattr_stats(s, -2, &st), -EINVAL);
	memattr_store_destroy(s);
}

/* Setting 1 TiB allocates no more than setting 2 MiB: cost is not length. */
static void test_range_set_cost_independent_of_length(void **state)
{
	struct test_alloc f;
	struct memattr_config cfg = { .layers = 1,
				      .gpa_bits = 52,
				      .allocator = test_alloc_init(&f) };
	struct memattr_store *s;
	long long small, large;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	set_ok(s, 0, 7 + 512, 7 + 2 * 512, R);
	small = f.calls;
	set_ok(s, 0, 0, 1ULL << 40, 0);
	f.calls = 0;
	set_ok(s, 0, 7, 7 + TIB_PAGES, R);
	large = f.calls;
	assert_true(large <= 2 * small);
	memattr_store_destroy(s);
	assert_int_equal(f.live_blocks, 0);
}

static void test_work_limit_progress(void **state)
{
	struct memattr_store *s = make(1, 52, 0);
	uint64_t next, from = 0, calls = 0;
	struct memattr_stats st;

	(void)state;
	/* 64 scattered pages: 64 leaves under a handful of interior nodes. */
	for (uint64_t i = 0; i < 64; i++)
		set_ok(s, 0, i * 4096 + 1, i * 4096 + 2, R);
	/* Clearing them with a work limit of 8 nodes takes several calls. */
	do {
		assert_int_equal(memattr_set(s, 0, from, 64 * 4096, 0, 8, &next), 0);
		assert_true(next > from);
		assert_true(next == 64 * 4096 || next % 512 == 0);
		for (uint64_t g = 1; g < 64 * 4096; g += 4096)
			assert_int_equal(memattr_get(s, 0, g), g < next ? 0 : R);
		from = next;
		calls++;
	} while (next != 64 * 4096);
	assert_true(calls > 4);
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.bytes, 0);
	memattr_store_destroy(s);
}

static void test_enomem(void **state)
{
	struct test_alloc f;
	struct memattr_config cfg = { .layers = 1,
				      .gpa_bits = 52,
				      .allocator = test_alloc_init(&f) };
	struct memattr_store *s;
	uint64_t next = 99;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	set_ok(s, 0, 0, 1ULL << 27, R);
	/* Nothing can be allocated: the call fails whole and changes nothing. */
	f.fail_from = 0;
	assert_int_equal(memattr_set(s, 0, 5, 1000000, R | W, 0, &next), -ENOMEM);
	assert_int_equal(next, 99);
	assert_int_equal(memattr_get(s, 0, 5), R);
	/* A range on slot boundaries of existing nodes needs no node and works. */
	set_ok(s, 0, 1ULL << 27, 1ULL << 28, NA);
	assert_int_equal(memattr_get(s, 0, 1ULL << 27), NA);
	/*
	 * Only the right edge's leaf fails (prepare allocates both edge leaves
	 * first: call 1 is the right one): the set stops at the 2M boundary
	 * before it, reports exactly that, and a retry completes.
	 */
	f.fail_from = -1;
	f.calls = 0;
	f.fail_only = 1;
	assert_int_equal(memattr_set(s, 0, (1ULL << 27) + 5, (1ULL << 27) + 5000, R | W, 0, &next),
			 0);
	assert_int_equal(next, (1ULL << 27) + 4608);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 4), NA);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 5), R | W);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 4607), R | W);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 4608), NA);
	assert_int_equal(memattr_set(s, 0, next, (1ULL << 27) + 5000, R | W, 0, &next), 0);
	assert_int_equal(next, (1ULL << 27) + 5000);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 4999), R | W);
	assert_int_equal(memattr_get(s, 0, (1ULL << 27) + 5000), NA);
	memattr_store_destroy(s);
	assert_int_equal(f.live_blocks, 0);
}

/*
 * Setting values a range already has is a no-op: no allocation, no free, no
 * notification, the same memory, whether the range is uniform, fragmented
 * across leaves and interior nodes, or batched with memattr_set_runs().
 */
static void test_noop_set_allocates_nothing(void **state)
{
	struct test_alloc f;
	struct memattr_config cfg = { .layers = 2,
				      .gpa_bits = 52,
				      .allocator = test_alloc_init(&f) };
	struct notes n = { 0 };
	struct memattr_notifier nt = { .notify = note, .layers = 3, .opaque = &n };
	const struct memattr_range runs[] = { { 3, 9 }, { GIB_PAGES - 5, GIB_PAGES + 5 } };
	struct memattr_store *s;
	long long calls, blocks, bytes;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	/* Fragments on both sides of a 2 MiB, a 1 GiB and a 512 GiB boundary. */
	set_ok(s, 0, 0, 2 * GIB_PAGES, R);
	for (uint64_t b = 512; b <= 1ULL << 27; b <<= 9) {
		set_ok(s, 0, b - 3, b - 1, NA);
		set_ok(s, 0, b + 1, b + 2, R | W);
	}
	set_ok(s, 0, 3, 9, R | X);
	set_ok(s, 0, GIB_PAGES - 5, GIB_PAGES + 5, R | X);
	memattr_notifier_register(s, &nt);
	calls = f.calls;
	blocks = f.live_blocks;
	bytes = f.live_bytes;
	set_ok(s, 0, 0, 1, R);			       /* one page inside a leaf */
	set_ok(s, 0, 9, 512 - 3, R);		       /* the rest of that leaf */
	set_ok(s, 0, 512 + 2, GIB_PAGES - 5, R);       /* across leaves and 2 MiB slots */
	set_ok(s, 0, (1ULL << 27) + 2, 1ULL << 30, 0); /* never set: 0 already */
	set_ok(s, 1, 0, 1ULL << 40, 0);		       /* a uniform layer, all of it */
	assert_int_equal(memattr_set_runs(s, 0, runs, 2, R | X), 0);
	assert_int_equal(f.calls, calls);
	assert_int_equal(f.live_blocks, blocks);
	assert_int_equal(f.live_bytes, bytes);
	assert_int_equal(n.n, 0);
	memattr_notifier_unregister(s, &nt);
	memattr_store_destroy(s);
	assert_int_equal(f.live_blocks, 0);
}

/* Change @i of @n is [start, end) from @old to @new. */
static void noted(const struct notes *n, int i, uint64_t start, uint64_t end, uint64_t old,
		  uint64_t new)
{
	assert_true(i < n->n);
	assert_int_equal(n->c[i].start, start);
	assert_int_equal(n->c[i].end, end);
	assert_int_equal(n->c[i].old_value, old);
	assert_int_equal(n->c[i].new_value, new);
}

static void same_layers(struct memattr_store *s, unsigned int a, unsigned int b)
{
	struct memattr_stats sa, sb;

	for (uint64_t g = 0; g < 8 * 512; g++)
		assert_int_equal(memattr_get(s, a, g), memattr_get(s, b, g));
	assert_int_equal(memattr_stats(s, (int)a, &sa), 0);
	assert_int_equal(memattr_stats(s, (int)b, &sb), 0);
	assert_int_equal(sa.interior_nodes, sb.interior_nodes);
	assert_int_equal(sa.leaves, sb.leaves);
}

/*
 * Sets that need no node and fold none: pages inside an existing leaf, value
 * slots of one interior node.  They tell each maximal range of one old value
 * that changes, ascending, while the store still shows the old value; they
 * tell nothing when nothing changes; they allocate nothing; and with or
 * without a notifier they leave the same tree.
 */
static void test_one_walk_sets(void **state)
{
	struct test_alloc f;
	struct memattr_config cfg = { .layers = 2,
				      .gpa_bits = 52,
				      .allocator = test_alloc_init(&f) };
	struct notes n = { 0 };
	struct memattr_notifier nt = { .notify = note, .layers = 1, .opaque = &n };
	struct memattr_notifier old = { .notify = check_old_visible, .layers = 1 };
	struct memattr_store *s;
	struct memattr_stats st;
	long long calls;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	old.opaque = s;
	/* Each layer: a leaf over [0, 512) and a value slot at [2560, 3072) beside it. */
	for (unsigned int l = 0; l < 2; l++) {
		set_ok(s, l, 100, 101, R);
		set_ok(s, l, 103, 105, NA);
		set_ok(s, l, 5 * 512, 6 * 512, R | W);
	}
	calls = f.calls;
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.interior_nodes, 4);
	assert_int_equal(st.leaves, 1);
	/* Layer 1 first, with nobody listening; layer 0 the same, heard. */
	for (unsigned int l = 2; l-- > 0;) {
		if (l == 0) {
			memattr_notifier_register(s, &nt);
			memattr_notifier_register(s, &old);
		}
		/* Inside the leaf: 0, R, 0, NA, 0 become R|X, five changes. */
		n.n = 0;
		set_ok(s, l, 99, 106, R | X);
		assert_int_equal(n.n, l ? 0 : 5);
		if (!l) {
			noted(&n, 0, 99, 100, 0, R | X);
			noted(&n, 1, 100, 101, R, R | X);
			noted(&n, 2, 101, 103, 0, R | X);
			noted(&n, 3, 103, 105, NA, R | X);
			noted(&n, 4, 105, 106, 0, R | X);
		}
		/* Partly set already: only the changing pages, each side its own range. */
		n.n = 0;
		set_ok(s, l, 98, 108, R | X);
		assert_int_equal(n.n, l ? 0 : 2);
		if (!l) {
			noted(&n, 0, 98, 99, 0, R | X);
			noted(&n, 1, 106, 108, 0, R | X);
		}
		/* Nothing changes: nobody is told. */
		n.n = 0;
		set_ok(s, l, 100, 105, R | X);
		assert_int_equal(n.n, 0);
		/* A slot changing value: one range, the slot's 512 pages. */
		set_ok(s, l, 5 * 512, 6 * 512, NA);
		assert_int_equal(n.n, l ? 0 : 1);
		if (!l)
			noted(&n, 0, 5 * 512, 6 * 512, R | W, NA);
		/* Three slots, the middle one at the value already: two ranges. */
		n.n = 0;
		set_ok(s, l, 4 * 512, 7 * 512, NA);
		assert_int_equal(n.n, l ? 0 : 2);
		if (!l) {
			noted(&n, 0, 4 * 512, 5 * 512, 0, NA);
			noted(&n, 1, 6 * 512, 7 * 512, 0, NA);
		}
		/* Slots covered in part that hold the value already: nothing to do. */
		n.n = 0;
		set_ok(s, l, 4 * 512 + 7, 7 * 512 - 3, NA);
		assert_int_equal(n.n, 0);
		assert_int_equal(memattr_get(s, l, 97), 0);
		assert_int_equal(memattr_get(s, l, 98), R | X);
		assert_int_equal(memattr_get(s, l, 107), R | X);
		assert_int_equal(memattr_get(s, l, 108), 0);
		assert_int_equal(memattr_get(s, l, 4 * 512 - 1), 0);
		assert_int_equal(memattr_get(s, l, 4 * 512), NA);
		assert_int_equal(memattr_get(s, l, 7 * 512 - 1), NA);
		assert_int_equal(memattr_get(s, l, 7 * 512), 0);
	}
	same_layers(s, 0, 1);
	/* No node was allocated, freed or counted. */
	assert_int_equal(f.calls, calls);
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.interior_nodes, 4);
	assert_int_equal(st.leaves, 1);
	assert_int_equal(memattr_store_validate(s, -1), 0);
	memattr_notifier_unregister(s, &old);
	memattr_notifier_unregister(s, &nt);
	memattr_store_destroy(s);
	assert_int_equal(f.live_blocks, 0);
}

/*
 * A set inside a leaf or over slots of one node that leaves it uniform folds
 * it into its parent (canonical form), heard or not; one that leaves a single
 * page of another value anywhere in the node does not.
 */
static void test_one_walk_folds(void **state)
{
	struct memattr_store *s = make(2, 52, 0);
	struct notes n = { 0 };
	struct memattr_notifier nt = { .notify = note, .layers = 1, .opaque = &n };
	struct memattr_stats st;

	(void)state;
	for (unsigned int l = 2; l-- > 0;) {
		if (l == 0)
			memattr_notifier_register(s, &nt);
		/* A leaf holding R at 0, 400 and 511; a value slot at [2560, 3072). */
		set_ok(s, l, 0, 1, R);
		set_ok(s, l, 400, 401, R);
		set_ok(s, l, 511, 512, R);
		set_ok(s, l, 5 * 512, 6 * 512, R | W);
		/* Both neighbours hold the value, the far end of the leaf does not. */
		n.n = 0;
		set_ok(s, l, 400, 401, 0);
		assert_int_equal(memattr_stats(s, (int)l, &st), 0);
		assert_int_equal(st.leaves, 1);
		/* First page: no neighbour below, 511 still R. */
		set_ok(s, l, 0, 1, 0);
		assert_int_equal(memattr_stats(s, (int)l, &st), 0);
		assert_int_equal(st.leaves, 1);
		assert_int_equal(memattr_get(s, l, 0), 0);
		assert_int_equal(memattr_get(s, l, 511), R);
		/* Last page: no neighbour above; the leaf becomes uniform and folds. */
		set_ok(s, l, 511, 512, 0);
		assert_int_equal(memattr_stats(s, (int)l, &st), 0);
		assert_int_equal(st.leaves, 0);
		assert_int_equal(st.interior_nodes, 4);
		assert_int_equal(n.n, l ? 0 : 3);
		if (!l) {
			noted(&n, 0, 400, 401, R, 0);
			noted(&n, 1, 0, 1, R, 0);
			noted(&n, 2, 511, 512, R, 0);
		}
		/* The last value slot of the interior node: the whole path folds. */
		n.n = 0;
		set_ok(s, l, 5 * 512, 6 * 512, 0);
		assert_int_equal(memattr_stats(s, (int)l, &st), 0);
		assert_int_equal(st.bytes, 0);
		assert_int_equal(n.n, l ? 0 : 1);
		if (!l)
			noted(&n, 0, 5 * 512, 6 * 512, R | W, 0);
		assert_int_equal(memattr_store_validate(s, (int)l), 0);
	}
	memattr_notifier_unregister(s, &nt);
	memattr_store_destroy(s);
	/* A top node of two slots (40-bit space): the second set makes the layer uniform. */
	s = make(1, 40, 0);
	set_ok(s, 0, 0, 1ULL << 27, R);
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.interior_nodes, 1);
	set_ok(s, 0, 1ULL << 27, 1ULL << 28, R);
	assert_int_equal(memattr_stats(s, 0, &st), 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(memattr_get(s, 0, (1ULL << 28) - 1), R);
	assert_int_equal(memattr_store_validate(s, 0), 0);
	memattr_store_destroy(s);
}

/*
 * memattr_set_runs() is all or nothing whichever way each run is set: a run
 * inside an existing leaf is not set when another run's node cannot be
 * allocated, and nobody hears of it; with memory the batch is set whole and
 * heard in order.  Runs that need no node need no memory.
 */
static void test_set_runs_one_walk(void **state)
{
	struct test_alloc f;
	struct memattr_config cfg = { .layers = 1,
				      .gpa_bits = 52,
				      .allocator = test_alloc_init(&f) };
	const struct memattr_range mixed[] = { { 102, 104 }, { 1ULL << 20, (1ULL << 20) + 1 } };
	const struct memattr_range inside[] = { { 200, 201 }, { 300, 302 } };
	struct notes n = { 0 };
	struct memattr_notifier nt = { .notify = note, .layers = 1, .opaque = &n };
	struct memattr_store *s;
	struct memattr_stats st;
	int failed = 0;

	(void)state;
	assert_int_equal(memattr_store_create(&cfg, &s), 0);
	set_ok(s, 0, 100, 101, R);
	memattr_notifier_register(s, &nt);
	/* Each allocation the mixed batch makes failing in turn, then none. */
	for (long long k = 0;; k++) {
		f.fail_only = f.calls + k;
		if (memattr_set_runs(s, 0, mixed, 2, R) == 0)
			break;
		failed++;
		assert_int_equal(n.n, 0);
		assert_int_equal(memattr_get(s, 0, 102), 0);
		assert_int_equal(memattr_get(s, 0, 103), 0);
		assert_int_equal(memattr_get(s, 0, 1ULL << 20), 0);
		assert_int_equal(memattr_stats(s, 0, &st), 0);
		assert_int_equal(st.leaves, 1);
	}
	/* The pool's array, an interior node and a leaf. */
	assert_int_equal(failed, 3);
	assert_int_equal(n.n, 2);
	noted(&n, 0, 102, 104, 0, R);
	noted(&n, 1, 1ULL << 20, (1ULL << 20) + 1, 0, R);
	assert_int_equal(memattr_get(s, 0, 103), R);
	assert_int_equal(memattr_get(s, 0, 1ULL << 20), R);
	/* No memory at all: runs inside the leaf need none. */
	f.fail_only = -1;
	f.fail_from = f.calls;
	n.n = 0;
	assert_int_equal(memattr_set_runs(s, 0, inside, 2, NA), 0);
	assert_int_equal(n.n, 2);
	noted(&n, 0, 200, 201, 0, NA);
	noted(&n, 1, 300, 302, 0, NA);
	assert_int_equal(memattr_get(s, 0, 301), NA);
	f.fail_from = -1;
	assert_int_equal(memattr_store_validate(s, 0), 0);
	memattr_notifier_unregister(s, &nt);
	memattr_store_destroy(s);
	assert_int_equal(f.live_blocks, 0);
}

/* A work limit never cuts a set that stays on the path to its first page. */
static void test_one_walk_work_limit(void **state)
{
	struct memattr_store *s = make(1, 52, 0);
	uint64_t next = 0;

	(void)state;
	set_ok(s, 0, 100, 101, R);
	assert_int_equal(memattr_set(s, 0, 10, 500, NA, 1, &next), 0);
	assert_int_equal(next, 500);
	assert_int_equal(memattr_set(s, 0, 4 * 512, 9 * 512, R, 1, &next), 0);
	assert_int_equal(next, 9 * 512);
	assert_int_equal(memattr_get(s, 0, 499), NA);
	assert_int_equal(memattr_get(s, 0, 9 * 512 - 1), R);
	memattr_store_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_value_rules),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_set_checks),
		cmocka_unit_test(test_layers_independent),
		cmocka_unit_test(test_extent_orders),
		cmocka_unit_test(test_huge_order),
		cmocka_unit_test(test_range_has),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_notifier),
		cmocka_unit_test(test_notifier_misuse),
		cmocka_unit_test(test_notifier_before_change),
		cmocka_unit_test(test_one_writer_checked),
		cmocka_unit_test(test_memory_follows_fragmentation),
		cmocka_unit_test(test_range_set_cost_independent_of_length),
		cmocka_unit_test(test_work_limit_progress),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_noop_set_allocates_nothing),
		cmocka_unit_test(test_one_walk_sets),
		cmocka_unit_test(test_one_walk_folds),
		cmocka_unit_test(test_set_runs_one_walk),
		cmocka_unit_test(test_one_walk_work_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
