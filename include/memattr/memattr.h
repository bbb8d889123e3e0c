/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memattr store: per-guest-physical-page attributes in independent layers.
 *
 * A store holds 1..MEMATTR_MAX_LAYERS layers over the same guest-physical
 * space of 2^gpa_bits bytes.  Each layer maps every page frame number (gfn)
 * to a small attribute value; all pages start at 0 ("no attributes").  The
 * store knows nothing of KVM or Hyper-V: it stores values, answers queries
 * and tells notifiers what changes.  See docs/api.md.
 */
#ifndef MEMATTR_MEMATTR_H
#define MEMATTR_MEMATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Marks what libmemattr exports: it is built with hidden visibility and a
 * version script (src/libmemattr.map), so nothing else leaves it.
 */
#define MEMATTR_API __attribute__((visibility("default")))

/* Attribute bits; bits 0..3 equal Linux's KVM_MEMORY_ATTRIBUTE_* values. */
#define MEMATTR_READ	     (1ULL << 0)
#define MEMATTR_WRITE	     (1ULL << 1)
#define MEMATTR_EXECUTE	     (1ULL << 2)
#define MEMATTR_PRIVATE	     (1ULL << 3)
#define MEMATTR_NO_ACCESS    (1ULL << 4)
#define MEMATTR_USER_EXECUTE (1ULL << 5)

#define MEMATTR_RWX	  (MEMATTR_READ | MEMATTR_WRITE | MEMATTR_EXECUTE)
#define MEMATTR_PROT_MASK (MEMATTR_RWX | MEMATTR_NO_ACCESS | MEMATTR_USER_EXECUTE)

#define MEMATTR_PAGE_SHIFT	 12
#define MEMATTR_PAGE_SIZE	 (1ULL << MEMATTR_PAGE_SHIFT)
#define MEMATTR_MAX_LAYERS	 16
#define MEMATTR_DEFAULT_LAYERS	 16
#define MEMATTR_DEFAULT_GPA_BITS 52
#define MEMATTR_MIN_GPA_BITS	 12
#define MEMATTR_MAX_GPA_BITS	 64

/* Store flags. */
#define MEMATTR_F_MBEC (1U << 0) /* support MEMATTR_USER_EXECUTE */

struct memattr_store;

/**
 * struct memattr_allocator - where the store gets node memory
 * @alloc: returns @size bytes aligned to 16, or NULL
 * @free: releases memory from @alloc; may run on liburcu's call_rcu thread
 * @opaque: passed to both
 *
 * Both calls must be thread-safe.  Leave the pointer in the config NULL for
 * malloc/free.  Tests use this to inject allocation failures.
 */
struct memattr_allocator {
	void *(*alloc)(void *opaque, size_t size);
	void (*free)(void *opaque, void *ptr, size_t size);
	void *opaque;
};

/**
 * struct memattr_config - shape of a new store
 * @layers: number of layers, 1..MEMATTR_MAX_LAYERS
 * @gpa_bits: width of the guest-physical space, 12..64 bits
 * @flags: MEMATTR_F_*
 * @allocator: NULL for malloc; must outlive the store
 */
struct memattr_config {
	unsigned int layers;
	unsigned int gpa_bits;
	unsigned int flags;
	const struct memattr_allocator *allocator;
};

/**
 * struct memattr_change - one coalesced range whose value is about to change
 * @layer: the layer being changed
 * @start: first gfn of the range
 * @end: first gfn after the range
 * @old_value: value every page of the range has now
 * @new_value: value every page of the range will have
 */
struct memattr_change {
	unsigned int layer;
	uint64_t start;
	uint64_t end;
	uint64_t old_value;
	uint64_t new_value;
};

/**
 * struct memattr_notifier - change callback, embedded by its owner
 * @notify: called before the change becomes visible to readers, once per
 *	maximal range of equal old value, in ascending order; must not call
 *	back into the store's write side
 * @layers: bit mask of the layers this notifier wants (bit i = layer i)
 * @opaque: for the owner
 * @next: the store's list link; do not touch
 */
struct memattr_notifier {
	void (*notify)(struct memattr_notifier *n, const struct memattr_change *c);
	uint32_t layers;
	void *opaque;
	struct memattr_notifier *next;
};

/**
 * struct memattr_extent - the run and the huge-page order around one gfn
 * @value: value of the gfn
 * @start: first gfn of the maximal run of @value holding the gfn
 * @end: first gfn after that run
 * @order: largest k such that the naturally aligned 2^k-page block holding
 *	the gfn has one value (k <= gpa_bits - 12)
 */
struct memattr_extent {
	uint64_t value;
	uint64_t start;
	uint64_t end;
	unsigned int order;
};

/**
 * struct memattr_stats - memory the store holds
 * @interior_nodes: 512-slot interior nodes
 * @leaves: 512-page leaves
 * @bytes: bytes of node memory held (excluding nodes awaiting RCU free)
 */
struct memattr_stats {
	uint64_t interior_nodes;
	uint64_t leaves;
	uint64_t bytes;
};

/**
 * memattr_store_create() - make an empty store
 * @cfg: shape; NULL for MEMATTR_DEFAULT_LAYERS layers of MEMATTR_DEFAULT_GPA_BITS
 * @out: the new store
 *
 * Context: any thread.
 * Return: 0, -EINVAL for a bad config, -ENOMEM.
 */
MEMATTR_API int memattr_store_create(const struct memattr_config *cfg, struct memattr_store **out);

/**
 * memattr_store_destroy() - free a store and all its nodes
 * @s: the store, or NULL
 *
 * Context: no concurrent readers or writer.  Waits for pending RCU frees.
 */
MEMATTR_API void memattr_store_destroy(struct memattr_store *s);

/** memattr_layers() - number of layers of @s. */
MEMATTR_API unsigned int memattr_layers(const struct memattr_store *s);

/** memattr_gpa_bits() - width of @s's guest-physical space. */
MEMATTR_API unsigned int memattr_gpa_bits(const struct memattr_store *s);

/**
 * memattr_supported() - attribute bits a layer of @s accepts
 * @s: the store
 *
 * Return: READ|WRITE|EXECUTE|PRIVATE|NO_ACCESS, plus USER_EXECUTE with MBEC.
 */
MEMATTR_API uint64_t memattr_supported(const struct memattr_store *s);

/**
 * memattr_value_valid() - is @value a legal layer value for @s?
 * @s: the store
 * @value: attribute bits
 *
 * Legal protections: none, NO_ACCESS, R, R|X, R|W, R|W|X, and with MBEC the
 * same with USER_EXECUTE added to R, R|X, R|W, R|W|X.  PRIVATE may be combined
 * with any of them: private/shared is orthogonal to access rights (an SEV-SNP
 * VMPL or a VSM VTL restricts private pages too).
 *
 * Return: true if legal.
 */
MEMATTR_API bool memattr_value_valid(const struct memattr_store *s, uint64_t value);

/**
 * memattr_set() - give every page of a gfn range one value
 * @s: the store
 * @layer: layer index
 * @start: first gfn
 * @end: first gfn after the range; start < end <= 2^(gpa_bits - 12)
 * @value: a legal value (memattr_value_valid())
 * @work_limit: at most this many tree nodes are visited, 0 for no limit
 * @next: on return 0, the first gfn not set (@end when the range is done)
 *
 * Pages in [@start, *@next) have @value afterwards; no page outside it
 * changed.  The call stops early only when @work_limit runs out or memory
 * runs out part-way; a retry from *@next finishes the job.  Notifiers hear
 * of exactly the pages that change, before readers can see the change.
 * Setting a value a range already has allocates nothing and notifies no one.
 *
 * Context: one writer per store at a time; readers may run concurrently.
 * Return: 0 (with progress in *@next), -EINVAL (nothing changed), -ENOMEM
 * when no progress at all was possible (nothing changed).
 */
MEMATTR_API int memattr_set(struct memattr_store *s, unsigned int layer, uint64_t start,
			    uint64_t end, uint64_t value, uint64_t work_limit, uint64_t *next);

/* A gfn range [start, end). */
struct memattr_range {
	uint64_t start;
	uint64_t end;
};

/**
 * memattr_set_runs() - give several ranges of one layer one value, all or nothing
 * @s: the store
 * @layer: layer index
 * @runs: the ranges, ascending and not overlapping, each start < end <= 2^(gpa_bits - 12)
 * @n: how many
 * @value: a legal value (memattr_value_valid())
 *
 * Allocates every node the ranges may need before it changes anything, then
 * sets them one after the other as memattr_set() would (notifiers hear of
 * each range's changes before readers can see them).  For callers that must
 * report a batch exactly, like a hypercall's list of pages: either every
 * range has @value afterwards, or nothing changed and no one was told.
 *
 * Context: one writer per store at a time; readers may run concurrently.
 * Return: 0, -EINVAL (bad argument), -ENOMEM; nothing changed on an error.
 */
MEMATTR_API int memattr_set_runs(struct memattr_store *s, unsigned int layer,
				 const struct memattr_range *runs, size_t n, uint64_t value);

/**
 * memattr_get() - value of one page
 * @s: the store
 * @layer: layer index
 * @gfn: page frame number
 *
 * Context: any thread, lock-free (takes the RCU read lock).
 * Return: the value (>= 0), or -EINVAL for a bad layer or gfn.
 */
MEMATTR_API int memattr_get(const struct memattr_store *s, unsigned int layer, uint64_t gfn);

/**
 * memattr_get_many() - values of many pages at once
 * @s: the store
 * @layer: layer index
 * @gfns: page frame numbers, any order
 * @n: how many
 * @values: the answers, @n bytes
 *
 * Walks the part of the tree the pages share once, then each page below it,
 * choosing per group of 64 pages between a walk that is cheapest when the
 * pages lie in leaves and one whose cache misses overlap when they do not:
 * for scans (a hypercall's page list, migration, dirty tracking) this is
 * several times the throughput of memattr_get() in a loop.  Each value is
 * what memattr_get() would return during the call.
 *
 * Context: any thread, lock-free.
 * Return: 0, or -EINVAL (bad layer, a gfn beyond the space; nothing written).
 */
MEMATTR_API int memattr_get_many(const struct memattr_store *s, unsigned int layer,
				 const uint64_t *gfns, size_t n, uint8_t *values);

/**
 * memattr_extent() - value, maximal run and huge-page order around a gfn
 * @s: the store
 * @layer: layer index
 * @gfn: page frame number
 * @e: the answer
 *
 * Context: any thread, lock-free.
 * Return: 0, or -EINVAL for a bad layer or gfn.
 */
MEMATTR_API int memattr_extent(const struct memattr_store *s, unsigned int layer, uint64_t gfn,
			       struct memattr_extent *e);

/**
 * memattr_huge_order() - value of a gfn and the largest page-table-sized
 *	uniform block around it, in one walk
 * @s: the store
 * @layer: layer index
 * @gfn: page frame number
 * @order: receives the largest k among 0, 9, 18, 27, ... (and the whole
 *	space, gpa_bits - 12) such that the naturally aligned 2^k-page block
 *	holding @gfn has one value: 9 means its 2 MiB page may be mapped whole
 *	with one protection, 18 its 1 GiB page
 *
 * The question a fault handler asks before it maps a huge page (KVM keeps
 * separate "mixed" flags to answer it), at the cost of memattr_get().  For
 * the exact order at any size and the run bounds, use memattr_extent().
 *
 * Context: any thread, lock-free.
 * Return: the value (>= 0), or -EINVAL for a bad layer or gfn or a NULL @order.
 */
MEMATTR_API int memattr_huge_order(const struct memattr_store *s, unsigned int layer, uint64_t gfn,
				   unsigned int *order);

/**
 * memattr_range_has() - do all pages of a range satisfy (value & mask) == want?
 * @s: the store
 * @layer: layer index
 * @start: first gfn
 * @end: first gfn after the range; start < end <= 2^(gpa_bits - 12)
 * @mask: bits to compare
 * @want: what the masked bits must equal
 *
 * Context: any thread, lock-free.
 * Return: 1 yes, 0 no, -EINVAL for a bad layer or range.
 */
MEMATTR_API int memattr_range_has(const struct memattr_store *s, unsigned int layer, uint64_t start,
				  uint64_t end, uint64_t mask, uint64_t want);

/**
 * typedef memattr_run_fn - visitor of runs
 * @opaque: the caller's pointer
 * @start: first gfn of the run
 * @end: first gfn after the run
 * @value: the run's value
 *
 * Return: 0 to go on, anything else to stop; memattr_runs() returns it.
 */
typedef int (*memattr_run_fn)(void *opaque, uint64_t start, uint64_t end, uint64_t value);

/**
 * memattr_runs() - visit the maximal runs of one value within a range
 * @s: the store
 * @layer: layer index
 * @start: first gfn
 * @end: first gfn after the range
 * @fn: visitor, called in ascending order with runs clipped to the range
 * @opaque: passed to @fn
 *
 * Context: any thread; runs under the RCU read lock, so @fn must not block
 * for long nor call memattr_set().
 * Return: 0, what @fn returned to stop, or -EINVAL.
 */
MEMATTR_API int memattr_runs(const struct memattr_store *s, unsigned int layer, uint64_t start,
			     uint64_t end, memattr_run_fn fn, void *opaque);

/**
 * memattr_store_validate() - check the store's invariants
 * @s: the store
 * @layer: a layer index, or -1 for all
 *
 * Walks every layer and checks what the store relies on: canonical form (no
 * node of one value), slot tags (pointers 16-byte aligned, values legal),
 * node counts equal to memattr_stats(), and the lookup shortcut in step with
 * the tree.  Costs a walk of every node: for tests and debug builds.
 *
 * Context: no concurrent writer (readers are fine).
 * Return: 0, -EUCLEAN when an invariant is broken, -EINVAL for a NULL @s or a
 * bad @layer.
 */
MEMATTR_API int memattr_store_validate(const struct memattr_store *s, int layer);

/**
 * memattr_combine() - the protection two layers impose together
 * @a: a layer value
 * @b: another layer value
 *
 * 0 restricts nothing; otherwise a value allows only what its bits allow
 * (NO_ACCESS allows nothing).  The result allows what both allow: 0 if both
 * are 0, NO_ACCESS if nothing is left, else the intersection of rights.
 * PRIVATE is kept if either has it.
 *
 * Return: the combined value.
 */
MEMATTR_API uint64_t memattr_combine(uint64_t a, uint64_t b);

/**
 * memattr_combined_get() - combined value of several layers at one page
 * @s: the store
 * @layers: bit mask of layers (bit i = layer i), nonzero
 * @gfn: page frame number
 *
 * Context: any thread, lock-free.
 * Return: memattr_combine() over the layers (>= 0), or -EINVAL.
 */
MEMATTR_API int memattr_combined_get(const struct memattr_store *s, uint32_t layers, uint64_t gfn);

/**
 * memattr_combined_huge_order() - memattr_combined_get() and the largest
 *	page-table-sized block around @gfn on which every layer of @layers is
 *	uniform
 * @s: the store
 * @layers: bit mask of layers, at least one, all below the store's count
 * @gfn: page frame number
 * @order: receives the smallest memattr_huge_order() of those layers: the
 *	combined value is one value on that block.  Where the combination is
 *	uniform over a larger block only because one layer is NO_ACCESS there,
 *	the smaller order is reported: never too large, sometimes smaller than
 *	the combination allows
 *
 * Context: any thread, lock-free.
 * Return: the combined value (>= 0), or -EINVAL.
 */
MEMATTR_API int memattr_combined_huge_order(const struct memattr_store *s, uint32_t layers,
					    uint64_t gfn, unsigned int *order);

/**
 * memattr_combined_runs() - visit maximal runs of the combined value
 * @s: the store
 * @layers: bit mask of layers, nonzero
 * @start: first gfn
 * @end: first gfn after the range
 * @fn: visitor, ascending, runs clipped to the range
 * @opaque: passed to @fn
 *
 * Context: as memattr_runs().
 * Return: as memattr_runs().
 */
MEMATTR_API int memattr_combined_runs(const struct memattr_store *s, uint32_t layers,
				      uint64_t start, uint64_t end, memattr_run_fn fn,
				      void *opaque);

/**
 * memattr_notifier_register() - start telling @n of changes
 * @s: the store
 * @n: the notifier, with @notify and @layers filled in
 *
 * Context: the writer's side (no concurrent memattr_set()).
 * Return: 0; -EEXIST if @n is registered already (twice would make the list
 * a cycle); -EINVAL for a NULL @s, @n or @n->notify.
 */
MEMATTR_API int memattr_notifier_register(struct memattr_store *s, struct memattr_notifier *n);

/**
 * memattr_notifier_unregister() - stop telling @n of changes
 * @s: the store
 * @n: a registered notifier
 *
 * Context: the writer's side.
 * Return: 0; -ENOENT if @n is not registered with @s; -EINVAL for NULL.
 */
MEMATTR_API int memattr_notifier_unregister(struct memattr_store *s, struct memattr_notifier *n);

/**
 * memattr_stats() - node counts and memory of one layer, or of all
 * @s: the store
 * @layer: layer index, or -1 for the sum over all layers
 * @st: the answer
 *
 * Context: the writer's side for exact numbers.
 * Return: 0 or -EINVAL.
 */
MEMATTR_API int memattr_stats(const struct memattr_store *s, int layer, struct memattr_stats *st);

/**
 * memattr_rcu_barrier() - wait until nodes retired so far are freed
 *
 * Context: not inside a read-side section.  For tests and teardown.
 */
MEMATTR_API void memattr_rcu_barrier(void);

#ifdef __cplusplus
}
#endif

#endif /* MEMATTR_MEMATTR_H */
