// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Readers against a writer.  One writer replays a VSM boot trace (bench's
 * generator: sweep, then clustered single-page protection changes) and then
 * applies random range sets (scattered pages, clustered runs, whole-space
 * sweeps) while reader threads look up tracked pages.  The writer logs the tracked pages' values
 * after every operation; a reader notes how many operations had completed before its lookup (b) and
 * how many had started after it (a), and the value it saw must be one the page held at some point
 * in [b, a] (memattr_get(), memattr_extent() and memattr_get_many() alike):
 *   - a read that starts after a set returned sees the new value (b moved on);
 *   - a read concurrent with a set sees the old or the new value;
 *   - a reader never touches a freed node (ASan/TSan runs catch that).
 * Layer 1 has a notifier and layer 0 none, so that sets take both the heard
 * and the unheard ways through the store; the notifier, on the writer's
 * thread, must still read the old value at both ends of each change.
 * Built into the normal suite (ASan) and run under ThreadSanitizer by test.sh.
 *
 * MEMATTR_STRESS_OPS sets the writer's operation count.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <memattr/memattr.h>

#include "common/trace.h"

#define LAYERS	 2
#define TRACKED	 64
#define READERS	 3
#define GPA_BITS 32
#define NR_PAGES (1ULL << (GPA_BITS - 12))

struct shared {
	struct memattr_store *s;
	uint64_t ops;
	uint64_t tracked[TRACKED];
	uint8_t (*log)[LAYERS][TRACKED]; /* log[k]: values after operation k */
	uint64_t started;		 /* operations begun (atomic) */
	uint64_t completed;		 /* operations finished (atomic) */
	int done;			 /* writer finished (atomic) */
	uint64_t checks;		 /* reader checks made (atomic) */
	uint64_t failures;		 /* reader checks failed (atomic) */
	uint64_t notified;		 /* changes the notifier heard (writer only) */
	uint64_t notified_late;		 /* of those, already visible (writer only) */
	uint64_t first_failure[4];
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static const uint8_t values[] = { 0,
				  MEMATTR_NO_ACCESS,
				  MEMATTR_READ,
				  MEMATTR_READ | MEMATTR_EXECUTE,
				  MEMATTR_READ | MEMATTR_WRITE,
				  MEMATTR_RWX };

static bool seen_in_window(const struct shared *sh, uint64_t b, uint64_t a, unsigned int layer,
			   unsigned int t, uint8_t v)
{
	for (uint64_t k = b; k <= a; k++)
		if (sh->log[k][layer][t] == v)
			return true;
	return false;
}

static void report(struct shared *sh, uint64_t b, uint64_t a, unsigned int t, uint64_t v)
{
	if (__atomic_fetch_add(&sh->failures, 1, __ATOMIC_RELAXED) == 0) {
		sh->first_failure[0] = b;
		sh->first_failure[1] = a;
		sh->first_failure[2] = t;
		sh->first_failure[3] = v;
	}
}

/*
 * memattr_get_many() of every tracked page, twice: two groups of 64, the
 * second walked the way the first's walks decide.
 */
static void read_many(struct shared *sh, unsigned int layer)
{
	uint64_t gfns[2 * TRACKED], b, a;
	uint8_t v[2 * TRACKED];
	int ret;

	for (unsigned int i = 0; i < 2 * TRACKED; i++)
		gfns[i] = sh->tracked[i % TRACKED];
	b = __atomic_load_n(&sh->completed, __ATOMIC_ACQUIRE);
	ret = memattr_get_many(sh->s, layer, gfns, 2 * TRACKED, v);
	a = __atomic_load_n(&sh->started, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < 2 * TRACKED; i++)
		if (ret || !seen_in_window(sh, b, a, layer, i % TRACKED, v[i]))
			report(sh, b, a, i % TRACKED, ret ? (uint64_t)ret : v[i]);
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	uint64_t x = (uint64_t)(uintptr_t)&x | 1, n = 0;

	while (!__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
		unsigned int t = (unsigned int)(xorshift(&x) % TRACKED);
		unsigned int layer = (unsigned int)(xorshift(&x) % LAYERS);
		uint64_t gfn = sh->tracked[t], b, a, form = xorshift(&x) % 8;
		struct memattr_extent e;
		int v;

		n++;
		if (form == 0) {
			read_many(sh, layer);
			continue;
		}
		b = __atomic_load_n(&sh->completed, __ATOMIC_ACQUIRE);
		if (form > 2) {
			v = memattr_get(sh->s, layer, gfn);
		} else {
			v = memattr_extent(sh->s, layer, gfn, &e) ? -1 : (int)e.value;
			if (v >= 0 && !(e.start <= gfn && gfn < e.end && e.order <= GPA_BITS - 12))
				v = -2;
		}
		a = __atomic_load_n(&sh->started, __ATOMIC_ACQUIRE);
		if (v < 0 || !seen_in_window(sh, b, a, layer, t, (uint8_t)v))
			report(sh, b, a, t, (uint64_t)v);
	}
	__atomic_add_fetch(&sh->checks, n, __ATOMIC_RELAXED);
	return NULL;
}

static void heard(struct memattr_notifier *n, const struct memattr_change *c)
{
	struct shared *sh = n->opaque;

	sh->notified++;
	if (memattr_get(sh->s, c->layer, c->start) != (int)c->old_value ||
	    memattr_get(sh->s, c->layer, c->end - 1) != (int)c->old_value)
		sh->notified_late++;
}

/* Next operation's range: scattered pages, clustered runs, or big sweeps. */
static void next_range(uint64_t *x, const uint64_t *tracked, uint64_t *a, uint64_t *b)
{
	uint64_t r = xorshift(x) % 100;

	if (r < 60) {
		*a = (xorshift(x) % 2) ? tracked[xorshift(x) % TRACKED] : xorshift(x) % NR_PAGES;
		*b = *a + 1;
	} else if (r < 90) {
		*a = tracked[xorshift(x) % TRACKED] - xorshift(x) % 600;
		*a %= NR_PAGES;
		*b = *a + 1 + xorshift(x) % 1500;
	} else if (r < 98) {
		*a = (xorshift(x) % NR_PAGES) & ~((1ULL << 18) - 1);
		*b = *a + (1ULL << (9 + xorshift(x) % 10));
	} else {
		*a = 0;
		*b = NR_PAGES;
	}
	if (*b > NR_PAGES)
		*b = NR_PAGES;
}

/* The first operations: a boot trace of a 3 GiB guest (all below the 32-bit MMIO hole). */
static void boot_trace(struct trace *t, uint64_t ops)
{
	struct trace_params p;

	trace_params_default(&p);
	p.guest_bytes = 3ULL << 30;
	p.gpa_bits = GPA_BITS;
	p.layers = LAYERS;
	p.changes = ops / 2 < 100000 ? ops / 2 : 100000;
	assert_int_equal(trace_generate(&p, t), 0);
}

static void test_readers_under_writer(void **state)
{
	struct memattr_config cfg = { .layers = LAYERS, .gpa_bits = GPA_BITS };
	struct shared sh = { 0 };
	struct memattr_notifier n = { .notify = heard, .layers = 1U << 1, .opaque = &sh };
	pthread_t th[READERS];
	uint64_t x = 0x1234567887654321ULL;
	const char *env = getenv("MEMATTR_STRESS_OPS");
	struct trace trace;

	(void)state;
	sh.ops = env ? strtoull(env, NULL, 0) : 60000;
	boot_trace(&trace, sh.ops);
	assert_int_equal(memattr_store_create(&cfg, &sh.s), 0);
	assert_int_equal(memattr_notifier_register(sh.s, &n), 0);
	sh.log = calloc(sh.ops + 1, sizeof(*sh.log));
	assert_non_null(sh.log);
	for (unsigned int t = 0; t < TRACKED; t++) {
		/* Boundary-heavy: around 2M and 1G edges, and random. */
		uint64_t g = xorshift(&x) % NR_PAGES;

		if (t % 3 == 0)
			g = (g & ~511ULL) - (t & 1);
		else if (t % 3 == 1)
			g = (g & ~((1ULL << 18) - 1)) + (t & 1);
		else if (trace.nops > trace.nsweep) /* a page the trace changes */
			g = trace.ops[trace.nsweep + xorshift(&x) % (trace.nops - trace.nsweep)]
				    .gfn;
		sh.tracked[t] = g % NR_PAGES;
	}
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, &sh), 0);

	for (uint64_t k = 1; k <= sh.ops; k++) {
		unsigned int layer = (unsigned int)(xorshift(&x) % LAYERS);
		uint8_t v = values[xorshift(&x) % sizeof(values)];
		uint64_t a, b, next;

		if (k <= trace.nops) {
			const struct trace_op *op = &trace.ops[k - 1];

			layer = op->layer;
			v = op->value;
			a = op->gfn;
			b = op->gfn + op->npages;
		} else {
			next_range(&x, sh.tracked, &a, &b);
		}
		memcpy(sh.log[k], sh.log[k - 1], sizeof(sh.log[k]));
		for (unsigned int t = 0; t < TRACKED; t++)
			if (sh.tracked[t] >= a && sh.tracked[t] < b)
				sh.log[k][layer][t] = v;
		/* Publishes log[k] before the set can be observed. */
		__atomic_store_n(&sh.started, k, __ATOMIC_RELEASE);
		assert_int_equal(memattr_set(sh.s, layer, a, b, v, 0, &next), 0);
		assert_int_equal(next, b);
		__atomic_store_n(&sh.completed, k, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&sh.done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	if (sh.failures)
		fail_msg("%llu of %llu reads saw an impossible value (first: completed %llu, "
			 "started %llu, tracked #%llu, value %lld)",
			 (unsigned long long)sh.failures, (unsigned long long)sh.checks,
			 (unsigned long long)sh.first_failure[0],
			 (unsigned long long)sh.first_failure[1],
			 (unsigned long long)sh.first_failure[2], (long long)sh.first_failure[3]);
	assert_true(sh.checks > 0);
	assert_true(sh.notified > 0);
	assert_int_equal(sh.notified_late, 0);
	printf("# %llu writer operations (%zu of a boot trace), %llu reader checks, %llu changes "
	       "heard\n",
	       (unsigned long long)sh.ops, trace.nops, (unsigned long long)sh.checks,
	       (unsigned long long)sh.notified);
	assert_int_equal(memattr_notifier_unregister(sh.s, &n), 0);
	memattr_store_destroy(sh.s);
	free(sh.log);
	trace_free(&trace);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers_under_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
