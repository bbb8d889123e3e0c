/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private layout of the store: "attribute page tables".
 *
 * Each layer is a 512-ary radix tree shaped like x86 page tables.  A node of
 * level k >= 1 has 512 slots, each covering 2^(9k) pages; a level-0 node (a
 * leaf) has one byte per page for 512 pages.  A slot holds either one value
 * for its whole aligned block (bit 0 set, value in bits 1..) or a pointer to
 * the child node (bit 0 clear; nodes are 16-byte aligned).  The layer's root
 * slot covers the whole space and points to a node of level `top`.
 *
 * Canonical form: no node is uniform (all its slots, or all its bytes, one
 * value); such a node collapses into its parent slot.  Hence equal contents
 * give equal trees, a uniform layer costs no node, and the level where a
 * lookup stops bounds the largest uniform aligned block around the page.
 *
 * Concurrency: one writer, lock-free readers.  The writer fills a node before
 * publishing it with a release store (paired with the readers' acquire loads
 * in the lookups) and hands replaced nodes to RCU (liburcu-bp).  Leaf bytes
 * and slots of published nodes are changed in place with single atomic
 * stores, so a concurrent reader sees each page either old or new.
 */
#ifndef MEMATTR_STORE_STORE_H
#define MEMATTR_STORE_STORE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <memattr/memattr.h>

#define NODE_SHIFT 9
#define NODE_SLOTS (1U << NODE_SHIFT)
#define NODE_MASK  (NODE_SLOTS - 1)
#define MAX_LEVELS 6 /* 52 gfn bits / 9 = 5.8 */

#define LEAF_BYTES  NODE_SLOTS
#define INODE_BYTES (NODE_SLOTS * sizeof(uint64_t))

typedef uint64_t slot_t;

struct leaf {
	uint8_t v[NODE_SLOTS];
};

struct inode {
	slot_t slot[NODE_SLOTS];
};

/*
 * @first: the top node's slot 0 while both the root and that slot point to
 * nodes, else 0.  Single lookups of gfns under slot 0 start there, a level
 * below the top: a guest's RAM starts at gfn 0 and, in a space wider than
 * the RAM, lies under slot 0, so its lookups skip a load that is the same
 * for all of them.  The writer refreshes it whenever the root or that slot
 * changes, before it retires the node it replaced.
 */
struct layer {
	slot_t root;
	slot_t first;
	uint64_t interior_nodes;
	uint64_t leaves;
};

struct memattr_store {
	unsigned int nlayers;
	unsigned int gpa_bits;
	unsigned int gfn_bits;
	unsigned int top;	/* level of the node the root slot points to */
	unsigned int top_slots; /* slots (or bytes) of the top node inside the space */
	uint64_t nr_pages;	/* 2^gfn_bits */
	uint64_t supported;
	uint64_t legal; /* bit v set: memattr_value_valid(v); no legal value is 64 or more */
	struct memattr_allocator alloc;
	struct memattr_notifier *notifiers;
	unsigned long pending_batches; /* retire batches awaiting call_rcu (atomic) */
	bool writing;		       /* a writer is inside (checked in debug builds) */
	struct layer layer[MEMATTR_MAX_LAYERS];
};

static inline bool slot_is_value(slot_t s)
{
	return s & 1;
}

static inline uint8_t slot_value(slot_t s)
{
	return (uint8_t)(s >> 1);
}

static inline slot_t value_slot(uint8_t v)
{
	return ((slot_t)v << 1) | 1;
}

static inline slot_t slot_load(const slot_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Pairs with slot_load() in readers: the node behind @s is fully built. */
static inline void slot_publish(slot_t *p, slot_t s)
{
	__atomic_store_n(p, s, __ATOMIC_RELEASE);
}

static inline uint8_t leaf_load(const struct leaf *l, unsigned int i)
{
	return __atomic_load_n(&l->v[i], __ATOMIC_RELAXED);
}

/* Pages covered by one slot of a level-@level node (level >= 1). */
static inline uint64_t slot_span(unsigned int level)
{
	return 1ULL << (NODE_SHIFT * level);
}

static inline unsigned int slot_index(uint64_t gfn, unsigned int level)
{
	return (unsigned int)(gfn >> (NODE_SHIFT * level)) & NODE_MASK;
}

/* Slots (or bytes) of a level-@level node that lie inside the space. */
static inline unsigned int node_slots(const struct memattr_store *s, unsigned int level)
{
	return level == s->top ? s->top_slots : NODE_SLOTS;
}

/*
 * One writer per store at a time is the caller's rule (docs/api.md); debug
 * builds check it: a second writer entering while one is inside, or a
 * notifier calling back into the write side, fails the assertion.  Release
 * builds (NDEBUG) compile it away.
 */
static inline void writer_enter(struct memattr_store *s)
{
#ifndef NDEBUG
	bool was = __atomic_exchange_n(&s->writing, true, __ATOMIC_ACQUIRE);

	assert(!was && "two writers on one memattr store at once");
#else
	(void)s;
#endif
}

static inline void writer_exit(struct memattr_store *s)
{
#ifndef NDEBUG
	__atomic_store_n(&s->writing, false, __ATOMIC_RELEASE);
#else
	(void)s;
#endif
}

static inline bool layer_valid(const struct memattr_store *s, unsigned int layer)
{
	return layer < s->nlayers;
}

/* memattr_value_valid() without the call: the set paths check every value. */
static inline bool value_legal(const struct memattr_store *s, uint64_t value)
{
	return value < 64 && ((s->legal >> value) & 1);
}

/* Walk of the tree-uniform pieces of [start, end), ascending; see table_query.c. */
typedef int (*segment_fn)(void *opaque, uint64_t start, uint64_t end, uint8_t value);
int segments_walk(const struct memattr_store *s, slot_t root, uint64_t start, uint64_t end,
		  segment_fn fn, void *opaque);

/* Reclamation (reclaim.c). */
void *node_alloc(struct memattr_store *s, unsigned int level);
void node_free_now(const struct memattr_allocator *a, void *node, unsigned int level);
void subtree_free_now(const struct memattr_allocator *a, slot_t s, unsigned int level);

struct retire_list {
	unsigned int n;
	struct {
		slot_t node;
		unsigned int level;
	} e[64];
};

void retire(struct memattr_store *s, struct retire_list *r, slot_t node, unsigned int level);
void retire_flush(struct memattr_store *s, struct retire_list *r);

#endif /* MEMATTR_STORE_STORE_H */
