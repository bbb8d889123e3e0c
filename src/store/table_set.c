// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Range set on one layer's attribute page table.
 *
 * Setting [start, end) to v touches slots fully covered by the range (each
 * becomes one value, its old subtree is retired) and at most two partial
 * paths, at the range's edges.  Only a partial slot holding a uniform value
 * other than v needs a new node, so a set needs at most two nodes per level,
 * whatever the range's length.  The call runs in passes so that it can never
 * fail half-way and never tell a notifier more than what happens:
 *
 *   1. budget: with a work limit, walk the range and cut it at the first
 *      slot boundary where the limit runs out;
 *   2. prepare: count and allocate every node the set needs; if memory runs
 *      out, cut the range back to a coarser aligned end and try again;
 *   3. notify: walk the final range and report coalesced changes;
 *   4. apply: change the tree, collapse nodes that became uniform, retire
 *      what was unlinked.  Nothing can fail here.
 */
#include <errno.h>
#include <string.h>

#include "store/store.h"

/* Nodes allocated by prepare() for apply() to take. */
struct prealloc {
	void *leaf[2];
	void *inode[2 * MAX_LEVELS];
};

/* memattr_set_runs(): every node a batch may need, allocated before any run is set. */
struct node_pool {
	void **leaf, **inode;
	size_t nleaf, ninode;
};

struct set_ctx {
	struct memattr_store *s;
	struct layer *l;
	unsigned int layer;
	uint64_t start;
	uint64_t end;
	uint8_t v;
	slot_t vslot;

	uint64_t limit;
	uint64_t used;

	unsigned int nleaf;
	unsigned int ninode;
	struct prealloc *pre;
	struct node_pool *pool; /* NULL: prealloc() allocates */

	bool pending;
	bool changed;
	struct memattr_change ch;

	struct retire_list *retired;
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static struct inode *slot_inode(slot_t s)
{
	return (struct inode *)(uintptr_t)s;
}

static struct leaf *slot_leaf(slot_t s)
{
	return (struct leaf *)(uintptr_t)s;
}

/* The first and last child of a level-@level node that [lo, hi) touches. */
static void child_bounds(unsigned int level, uint64_t base, uint64_t lo, uint64_t hi,
			 unsigned int *i0, unsigned int *i1)
{
	unsigned int shift = NODE_SHIFT * level;

	*i0 = (unsigned int)((lo - base) >> shift);
	*i1 = (unsigned int)((hi - 1 - base) >> shift);
}

/* ---- pass 1: work budget ---- */

static bool budget_walk(struct set_ctx *c, slot_t sl, unsigned int level, uint64_t base,
			uint64_t span)
{
	uint64_t lo = max_u64(c->start, base), hi = min_u64(c->end, base + span);
	unsigned int i0, i1;

	if (slot_is_value(sl))
		return true;
	/* lo > start means lo == base: a slot boundary, a clean place to stop. */
	if (c->used >= c->limit && lo > c->start) {
		c->end = lo;
		return false;
	}
	c->used++;
	if (level == 0)
		return true;
	child_bounds(level, base, lo, hi, &i0, &i1);
	for (unsigned int i = i0; i <= i1; i++)
		if (!budget_walk(c, slot_inode(sl)->slot[i], level - 1, base + i * slot_span(level),
				 slot_span(level)))
			return false;
	return true;
}

/* ---- pass 2: count and allocate the nodes the edges need ---- */

static void count_needs(struct set_ctx *c, slot_t sl, unsigned int level, uint64_t base,
			uint64_t span)
{
	uint64_t lo = max_u64(c->start, base), hi = min_u64(c->end, base + span);
	unsigned int i0, i1;

	if (lo >= hi || (lo == base && hi == base + span))
		return;
	if (slot_is_value(sl)) {
		if (sl == c->vslot)
			return;
		if (level == 0) {
			c->nleaf++;
			return;
		}
		c->ninode++;
	} else if (level == 0) {
		return;
	}
	/* Only the edge children can be partial; a split node's children all hold sl. */
	child_bounds(level, base, lo, hi, &i0, &i1);
	count_needs(c, slot_is_value(sl) ? sl : slot_inode(sl)->slot[i0], level - 1,
		    base + i0 * slot_span(level), slot_span(level));
	if (i1 != i0)
		count_needs(c, slot_is_value(sl) ? sl : slot_inode(sl)->slot[i1], level - 1,
			    base + i1 * slot_span(level), slot_span(level));
}

static void node_put(struct set_ctx *c, void *node, unsigned int level)
{
	if (!node)
		return;
	if (!c->pool)
		node_free_now(&c->s->alloc, node, level);
	else if (level == 0)
		c->pool->leaf[c->pool->nleaf++] = node;
	else
		c->pool->inode[c->pool->ninode++] = node;
}

static void *node_get(struct set_ctx *c, unsigned int level)
{
	if (!c->pool)
		return node_alloc(c->s, level);
	if (level == 0)
		return c->pool->nleaf ? c->pool->leaf[--c->pool->nleaf] : NULL;
	return c->pool->ninode ? c->pool->inode[--c->pool->ninode] : NULL;
}

static void prealloc_release(struct set_ctx *c)
{
	for (unsigned int i = 0; i < c->nleaf; i++)
		node_put(c, c->pre->leaf[i], 0);
	for (unsigned int i = 0; i < c->ninode; i++)
		node_put(c, c->pre->inode[i], 1);
	c->nleaf = c->ninode = 0;
}

static bool prealloc(struct set_ctx *c)
{
	memset(c->pre->leaf, 0, sizeof(c->pre->leaf));
	memset(c->pre->inode, 0, sizeof(c->pre->inode));
	for (unsigned int i = 0; i < c->nleaf; i++)
		if (!(c->pre->leaf[i] = node_get(c, 0)))
			return false;
	for (unsigned int i = 0; i < c->ninode; i++)
		if (!(c->pre->inode[i] = node_get(c, 1)))
			return false;
	return true;
}

static int prepare(struct set_ctx *c)
{
	const struct memattr_store *s = c->s;

	for (;;) {
		uint64_t cut = 0;

		c->nleaf = c->ninode = 0;
		count_needs(c, c->l->root, s->top, 0, s->nr_pages);
		if (prealloc(c))
			return 0;
		prealloc_release(c);
		if (c->pool)
			return -ENOMEM; /* memattr_set_runs() counted too few: never cut a run */
		/*
		 * Out of memory: a coarser aligned end needs fewer nodes on the
		 * right edge; take the nearest one that still makes progress.
		 */
		for (unsigned int k = 1; k <= s->top + 1 && !cut; k++) {
			uint64_t e = c->end & ~(slot_span(k) - 1);

			if (e > c->start && e < c->end)
				cut = e;
		}
		if (!cut)
			return -ENOMEM;
		c->end = cut;
	}
}

static void *take_node(struct set_ctx *c, unsigned int level, slot_t fill)
{
	if (level == 0) {
		struct leaf *lf = c->pre->leaf[--c->nleaf];

		memset(lf->v, slot_value(fill), sizeof(lf->v));
		c->l->leaves++;
		return lf;
	}
	struct inode *n = c->pre->inode[--c->ninode];

	for (unsigned int i = 0; i < NODE_SLOTS; i++)
		n->slot[i] = fill;
	c->l->interior_nodes++;
	return n;
}

/* ---- pass 3: notify ---- */

static void notify_flush(struct set_ctx *c)
{
	if (!c->pending)
		return;
	for (struct memattr_notifier *n = c->s->notifiers; n; n = n->next)
		if (n->layers & (1U << c->layer))
			n->notify(n, &c->ch);
	c->pending = false;
}

static int notify_segment(void *opaque, uint64_t start, uint64_t end, uint8_t old)
{
	struct set_ctx *c = opaque;

	if (old == c->v)
		return 0;
	c->changed = true;
	if (c->pending && c->ch.end == start && c->ch.old_value == old) {
		c->ch.end = end;
		return 0;
	}
	notify_flush(c);
	c->ch = (struct memattr_change){
		.layer = c->layer, .start = start, .end = end, .old_value = old, .new_value = c->v
	};
	c->pending = true;
	return 0;
}

static bool has_listener(const struct memattr_store *s, unsigned int layer)
{
	for (const struct memattr_notifier *n = s->notifiers; n; n = n->next)
		if (n->layers & (1U << layer))
			return true;
	return false;
}

/* ---- pass 4: apply ---- */

static void subtree_count(slot_t sl, unsigned int level, uint64_t *inodes, uint64_t *leaves)
{
	if (slot_is_value(sl))
		return;
	if (level == 0) {
		(*leaves)++;
		return;
	}
	(*inodes)++;
	for (unsigned int i = 0; i < NODE_SLOTS; i++)
		subtree_count(slot_inode(sl)->slot[i], level - 1, inodes, leaves);
}

static void unlink_subtree(struct set_ctx *c, slot_t sl, unsigned int level)
{
	uint64_t inodes = 0, leaves = 0;

	subtree_count(sl, level, &inodes, &leaves);
	c->l->interior_nodes -= inodes;
	c->l->leaves -= leaves;
	retire(c->s, c->retired, sl, level);
}

static bool leaf_uniform(const struct leaf *lf, unsigned int n, uint8_t v)
{
	const uint64_t pattern = 0x0101010101010101ULL * v;

	if (n == NODE_SLOTS) {
		for (unsigned int i = 0; i < NODE_SLOTS; i += 8) {
			uint64_t w;

			memcpy(&w, &lf->v[i], sizeof(w));
			if (w != pattern)
				return false;
		}
		return true;
	}
	for (unsigned int i = 0; i < n; i++)
		if (lf->v[i] != v)
			return false;
	return true;
}

static bool inode_uniform(const struct inode *node, unsigned int n, slot_t s)
{
	for (unsigned int i = 0; i < n; i++)
		if (node->slot[i] != s)
			return false;
	return true;
}

static void apply(struct set_ctx *c, slot_t *slotp, unsigned int level, uint64_t base,
		  uint64_t span);

static void apply_within(struct set_ctx *c, slot_t node, unsigned int level, uint64_t base,
			 uint64_t lo, uint64_t hi)
{
	unsigned int i0, i1;

	if (level == 0) {
		struct leaf *lf = slot_leaf(node);

		/* Byte stores: a concurrent reader sees each page old or new. */
		for (uint64_t g = lo; g < hi; g++)
			__atomic_store_n(&lf->v[g - base], c->v, __ATOMIC_RELAXED);
		return;
	}
	child_bounds(level, base, lo, hi, &i0, &i1);
	for (unsigned int i = i0; i <= i1; i++)
		apply(c, &slot_inode(node)->slot[i], level - 1, base + i * slot_span(level),
		      slot_span(level));
}

static bool node_uniform(const struct set_ctx *c, slot_t node, unsigned int level)
{
	unsigned int n = node_slots(c->s, level);

	if (level == 0)
		return leaf_uniform(slot_leaf(node), n, c->v);
	return inode_uniform(slot_inode(node), n, c->vslot);
}

/*
 * After a slot of the top two levels changed, and before the node it held is
 * retired: a reader that loads the old layer->first is then still inside the
 * grace period that keeps that node.
 */
static void first_refresh(struct set_ctx *c, unsigned int level)
{
	slot_t root = c->l->root, first = 0;

	if (level + 1 < c->s->top)
		return;
	if (!slot_is_value(root) && c->s->top > 0) {
		slot_t x = slot_inode(root)->slot[0];

		first = slot_is_value(x) ? 0 : x;
	}
	slot_publish(&c->l->first, first);
}

static void apply(struct set_ctx *c, slot_t *slotp, unsigned int level, uint64_t base,
		  uint64_t span)
{
	uint64_t lo = max_u64(c->start, base), hi = min_u64(c->end, base + span);
	slot_t old = *slotp;
	slot_t node;

	if (lo >= hi)
		return;
	if (lo == base && hi == base + span) {
		if (old != c->vslot) {
			slot_publish(slotp, c->vslot);
			first_refresh(c, level);
			if (!slot_is_value(old))
				unlink_subtree(c, old, level);
		}
		return;
	}
	if (slot_is_value(old)) {
		if (old == c->vslot)
			return;
		node = (slot_t)(uintptr_t)take_node(c, level, old);
		apply_within(c, node, level, base, lo, hi);
		/* Pairs with slot_load(): readers see the node only fully built. */
		slot_publish(slotp, node);
		first_refresh(c, level);
		return;
	}
	apply_within(c, old, level, base, lo, hi);
	/* Canonical form: a node that became one value folds into its slot. */
	if (node_uniform(c, old, level)) {
		slot_publish(slotp, c->vslot);
		first_refresh(c, level);
		unlink_subtree(c, old, level);
	}
}

/*
 * Fast path for the common VSM case, a few pages inside one existing leaf
 * (a run of a ModifyVtlProtectionMask list): one descent, and no node can be
 * needed, so passes 1 and 2 have nothing to do.
 */
static bool set_in_leaf(struct set_ctx *c)
{
	const struct memattr_store *s = c->s;
	unsigned int level = s->top, lo, hi;
	slot_t sl = c->l->root;
	struct leaf *lf;

	if ((c->start >> NODE_SHIFT) != ((c->end - 1) >> NODE_SHIFT))
		return false;
	for (; !slot_is_value(sl) && level > 0; level--)
		sl = slot_inode(sl)->slot[slot_index(c->start, level)];
	if (slot_is_value(sl))
		return false;
	lf = slot_leaf(sl);
	lo = (unsigned int)c->start & NODE_MASK;
	hi = lo + (unsigned int)(c->end - c->start);
	if (has_listener(s, c->layer)) {
		for (unsigned int i = lo; i < hi; i++)
			notify_segment(c, c->start - lo + i, c->start - lo + i + 1, lf->v[i]);
		notify_flush(c);
		if (!c->changed)
			return true;
	}
	for (unsigned int i = lo; i < hi; i++)
		__atomic_store_n(&lf->v[i], c->v, __ATOMIC_RELAXED);
	/* Rare: the leaf became uniform; the general pass folds it and its parents. */
	if (leaf_uniform(lf, node_slots(s, 0), c->v))
		apply(c, &c->l->root, s->top, 0, s->nr_pages);
	return true;
}

/* Passes 1 to 4 on @c's range (checked by the caller); see the top of this file. */
static int set_range(struct set_ctx *c, uint64_t *next)
{
	struct memattr_store *s = c->s;
	int ret;

	c->l = &s->layer[c->layer];
	c->retired->n = 0;
	/* A work limit never stops the first path, so the fast path obeys it too. */
	if (set_in_leaf(c)) {
		retire_flush(s, c->retired);
		*next = c->end;
		return 0;
	}
	if (c->limit)
		budget_walk(c, c->l->root, s->top, 0, s->nr_pages);
	ret = prepare(c);
	if (ret)
		return ret;
	if (has_listener(s, c->layer)) {
		segments_walk(s, c->l->root, c->start, c->end, notify_segment, c);
		notify_flush(c);
		if (!c->changed) {
			/* A no-op set needs no node: the prepare pass allocated none. */
			prealloc_release(c);
			*next = c->end;
			return 0;
		}
	}
	apply(c, &c->l->root, s->top, 0, s->nr_pages);
	/* apply() takes exactly the nodes prepare() counted; this frees none. */
	prealloc_release(c);
	retire_flush(s, c->retired);
	*next = c->end;
	return 0;
}

int memattr_set(struct memattr_store *s, unsigned int layer, uint64_t start, uint64_t end,
		uint64_t value, uint64_t work_limit, uint64_t *next)
{
	/* Kept out of the context so that initializing it stays cheap. */
	struct retire_list retired;
	struct prealloc pre;
	struct set_ctx c = {
		.s = s,
		.layer = layer,
		.start = start,
		.end = end,
		.v = (uint8_t)value,
		.vslot = value_slot((uint8_t)value),
		.limit = work_limit,
		.retired = &retired,
		.pre = &pre,
	};
	int ret;

	if (!s || !next || !layer_valid(s, layer) || start >= end || end > s->nr_pages ||
	    !memattr_value_valid(s, value))
		return -EINVAL;
	writer_enter(s);
	ret = set_range(&c, next);
	writer_exit(s);
	return ret;
}

static bool runs_valid(const struct memattr_store *s, const struct memattr_range *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (runs[i].start >= runs[i].end || runs[i].end > s->nr_pages ||
		    (i && runs[i].start < runs[i - 1].end))
			return false;
	return true;
}

/*
 * Nodes for every run, counted on the tree as it is before the first run is
 * set.  An upper bound for the runs set one after the other: all of them set
 * the same value, so an earlier run only turns slots into that value (which a
 * later run then needs no node for) or splits a value slot into a node whose
 * children hold the old value or the new one (where the count already has one
 * node per level down the later run's edge).
 */
static void pool_count(struct set_ctx *c, const struct memattr_range *runs, size_t n,
		       size_t *leaves, size_t *inodes)
{
	*leaves = *inodes = 0;
	for (size_t i = 0; i < n; i++) {
		c->start = runs[i].start;
		c->end = runs[i].end;
		c->nleaf = c->ninode = 0;
		count_needs(c, c->l->root, c->s->top, 0, c->s->nr_pages);
		*leaves += c->nleaf;
		*inodes += c->ninode;
	}
	c->nleaf = c->ninode = 0;
}

int memattr_set_runs(struct memattr_store *s, unsigned int layer, const struct memattr_range *runs,
		     size_t n, uint64_t value)
{
	struct retire_list retired;
	struct prealloc pre;
	struct node_pool pool = { 0 };
	struct set_ctx c = {
		.s = s,
		.layer = layer,
		.v = (uint8_t)value,
		.vslot = value_slot((uint8_t)value),
		.retired = &retired,
		.pre = &pre,
	};
	size_t leaves, inodes, bytes;
	void **arr = NULL;
	int ret = 0;

	if (!s || (n && !runs) || !layer_valid(s, layer) || !memattr_value_valid(s, value) ||
	    !runs_valid(s, runs, n))
		return -EINVAL;
	writer_enter(s);
	c.l = &s->layer[layer];
	pool_count(&c, runs, n, &leaves, &inodes);
	bytes = (leaves + inodes) * sizeof(*arr);
	if (bytes) {
		arr = s->alloc.alloc(s->alloc.opaque, bytes);
		if (!arr) {
			writer_exit(s);
			return -ENOMEM;
		}
		pool.leaf = arr;
		pool.inode = arr + leaves;
	}
	while (!ret && pool.nleaf < leaves) {
		void *node = node_alloc(s, 0);

		if (node)
			pool.leaf[pool.nleaf++] = node;
		else
			ret = -ENOMEM;
	}
	while (!ret && pool.ninode < inodes) {
		void *node = node_alloc(s, 1);

		if (node)
			pool.inode[pool.ninode++] = node;
		else
			ret = -ENOMEM;
	}
	c.pool = &pool;
	for (size_t i = 0; i < n && !ret; i++) {
		uint64_t next;

		c.start = runs[i].start;
		c.end = runs[i].end;
		c.pending = c.changed = false;
		/* Cannot fail: the pool holds what every run needs (pool_count()). */
		ret = set_range(&c, &next);
	}
	while (pool.nleaf)
		node_free_now(&s->alloc, pool.leaf[--pool.nleaf], 0);
	while (pool.ninode)
		node_free_now(&s->alloc, pool.inode[--pool.ninode], 1);
	if (arr)
		s->alloc.free(s->alloc.opaque, arr, bytes);
	writer_exit(s);
	return ret;
}
