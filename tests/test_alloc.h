/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tests' allocator: counts what the store holds and fails on request
 * (the Nth call only, or every call from the Nth on).  Thread-safe: frees
 * arrive on liburcu's call_rcu thread.
 */
#ifndef MEMATTR_TESTS_TEST_ALLOC_H
#define MEMATTR_TESTS_TEST_ALLOC_H

#include <stdlib.h>

#include <memattr/memattr.h>

struct test_alloc {
	long long calls;
	long long live_blocks;
	long long live_bytes;
	long long fail_only; /* fail just this call; -1 never */
	long long fail_from; /* fail every call from this one on; -1 never */
	struct memattr_allocator ops;
};

static void *test_alloc_alloc(void *opaque, size_t size)
{
	struct test_alloc *t = opaque;
	long long n = __atomic_fetch_add(&t->calls, 1, __ATOMIC_RELAXED);
	void *p;

	if (n == t->fail_only || (t->fail_from >= 0 && n >= t->fail_from))
		return NULL;
	if (posix_memalign(&p, 64, size))
		return NULL;
	__atomic_add_fetch(&t->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->live_bytes, (long long)size, __ATOMIC_RELAXED);
	return p;
}

static void test_alloc_free(void *opaque, void *p, size_t size)
{
	struct test_alloc *t = opaque;

	__atomic_sub_fetch(&t->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&t->live_bytes, (long long)size, __ATOMIC_RELAXED);
	free(p);
}

/* Sets @t up to never fail; returns the allocator to put in a config. */
static inline const struct memattr_allocator *test_alloc_init(struct test_alloc *t)
{
	*t = (struct test_alloc){ .fail_only = -1, .fail_from = -1 };
	t->ops = (struct memattr_allocator){ test_alloc_alloc, test_alloc_free, t };
	return &t->ops;
}

#endif
