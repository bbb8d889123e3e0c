// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Range set on one layer's attribute page table.
 *
 * Setting [start, end) to v touches slots fully covered by the range (each
 * becomes one value, its old subtree is retired) and at most two partial
 * paths, at the range's edges.  Only a partial slot holding a uniform value
 * other than v needs a new node, so a set needs at most two nodes per level,
 * whatever the range's length.  In general a set runs in passes, so that it
 * can never fail half-way and never tell a notifier more than what happens:
 *
 *   1. budget: with a work limit, walk the range and cut it at the first
 *      slot boundary where the limit runs out;
 *   2. prepare: count and allocate every node the set needs; if memory runs
 *      out, cut the range back to a coarser aligned end and try again;
 *   3. notify: walk the final range and report coalesced changes;
 *   4. apply: change the tree, collapse nodes that became uniform, retire
 *      what was unlinked.  Nothing can fail here.
 *
 * Most sets need no passes: a page or a few inside an existing leaf, or value
 * slots of one node changing value.  Such a set allocates nothing, so nothing
 * can fail, and visits no node off the path to its first page, where
 * budget_walk() never cuts.  set_one_walk() does it in one descent: it finds
 * the node the range lies in, checks that the set needs no node and leaves
 * that node non-uniform, then notifies and writes as passes 3 and 4 would.
 * Anything else it leaves untouched for the passes.
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

/*
 * Pass 3's state: the changes of one set, arriving in ascending order, are
 * coalesced into maximal ranges of one old value; each is told when the next
 * one starts or the set ends.
 */
struct notice {
	const struct memattr_store *s;
	struct memattr_change ch; /* .layer and .new_value: the set's; the rest while pending */
	bool pending;
	bool changed;
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

	struct notice note;

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

static void notice_init(struct notice *nc, const struct memattr_store *s, unsigned int layer,
			uint8_t v)
{
	nc->s = s;
	nc->ch.layer = layer;
	nc->ch.new_value = v;
	nc->pending = nc->changed = false;
}

static void notify_flush(struct notice *nc)
{
	if (!nc->pending)
		return;
	for (struct memattr_notifier *n = nc->s->notifiers; n; n = n->next)
		if (n->layers & (1U << nc->ch.layer))
			n->notify(n, &nc->ch);
	nc->pending = false;
}

static int notify_segment(void *opaque, uint64_t start, uint64_t end, uint8_t old)
{
	struct notice *nc = opaque;

	if (old == nc->ch.new_value)
		return 0;
	nc->changed = true;
	if (nc->pending && nc->ch.end == start && nc->ch.old_value == old) {
		nc->ch.end = end;
		return 0;
	}
	notify_flush(nc);
	nc->ch.start = start;
	nc->ch.end = end;
	nc->ch.old_value = old;
	nc->pending = true;
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

/* Are the @n bytes at @p all @v?  Eight at a time: a fold check reads a whole leaf. */
static bool bytes_all(const uint8_t *p, unsigned int n, uint8_t v)
{
	const uint64_t pattern = 0x0101010101010101ULL * v;
	unsigned int i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		if (w != pattern)
			return false;
	}
	for (; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool slots_all(const slot_t *p, unsigned int n, slot_t s)
{
	for (unsigned int i = 0; i < n; i++)
		if (p[i] != s)
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
		return bytes_all(slot_leaf(node)->v, n, c->v);
	return slots_all(slot_inode(node)->slot, n, c->vslot);
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

/* ---- one-walk sets ---- */

/* A neighbour of bytes [lo, hi) in a leaf's first @n holds another value than @v. */
static bool leaf_neighbour_differs(const struct leaf *lf, unsigned int n, unsigned int lo,
				   unsigned int hi, uint8_t v)
{
	return (hi < n && lf->v[hi] != v) || (lo && lf->v[lo - 1] != v);
}

/*
 * Would bytes [lo, hi) of a leaf's first @n set to @v leave it uniform?  Only
 * if every byte outside them is @v already; a neighbour that is not answers
 * without a scan, which is the usual case.
 */
static bool leaf_would_fold(const struct leaf *lf, unsigned int n, unsigned int lo, unsigned int hi,
			    uint8_t v)
{
	if (leaf_neighbour_differs(lf, n, lo, hi, v))
		return false;
	return bytes_all(lf->v, lo, v) && bytes_all(lf->v + hi, n - hi, v);
}

/* The same for slots [i0, i1) of an interior node's first @n set to @vslot. */
static bool inode_would_fold(const struct inode *node, unsigned int n, unsigned int i0,
			     unsigned int i1, slot_t vslot)
{
	if ((i1 < n && node->slot[i1] != vslot) || (i0 && node->slot[i0 - 1] != vslot))
		return false;
	return slots_all(node->slot, i0, vslot) && slots_all(node->slot + i1, n - i1, vslot);
}

static void leaf_write(struct leaf *lf, unsigned int lo, unsigned int hi, uint8_t v)
{
	/* Byte stores: a concurrent reader sees each page old or new. */
	for (unsigned int i = lo; i < hi; i++)
		__atomic_store_n(&lf->v[i], v, __ATOMIC_RELAXED);
}

/*
 * Pages [lo, hi) of the leaf @lf, whose first page is @base, set to @v:
 * passes 3 and 4 on one leaf.  Returns false, having changed and told
 * nothing, when the leaf would become uniform: folding it is the passes' job.
 * Out of line, as everything but a set nobody listens to that a neighbour
 * keeps mixed: that common case stays a short path through memattr_set().
 */
static __attribute__((noinline)) bool leaf_set(struct memattr_store *s, unsigned int layer,
					       struct leaf *lf, uint64_t base, unsigned int lo,
					       unsigned int hi, uint8_t v)
{
	if (leaf_would_fold(lf, node_slots(s, 0), lo, hi, v))
		return false;
	if (has_listener(s, layer)) {
		struct notice nc;

		notice_init(&nc, s, layer, v);
		for (unsigned int i = lo; i < hi; i++)
			notify_segment(&nc, base + i, base + i + 1, lf->v[i]);
		notify_flush(&nc);
		if (!nc.changed)
			return true;
	}
	leaf_write(lf, lo, hi, v);
	return true;
}

/*
 * [start, end) set to @v where it covers slots of the level-@level @node:
 * passes 3 and 4 when every such slot holds a value, and those it covers in
 * part hold @v already.  Returns false, having changed and told nothing,
 * otherwise (a slot that holds a node has a subtree to change or unlink, one
 * covered in part with another value needs a node) or when the node would
 * become uniform.
 */
static __attribute__((noinline)) bool slots_set(struct memattr_store *s, unsigned int layer,
						struct inode *node, unsigned int level,
						uint64_t start, uint64_t end, uint8_t v)
{
	const slot_t vslot = value_slot(v);
	const uint64_t span = slot_span(level);
	const unsigned int shift = NODE_SHIFT * level;
	const unsigned int i0 = (unsigned int)(start >> shift) & NODE_MASK;
	const unsigned int i1 = ((unsigned int)((end - 1) >> shift) & NODE_MASK) + 1;
	bool change = false;

	for (unsigned int i = i0; i < i1; i++) {
		slot_t child = node->slot[i];

		if (child == vslot)
			continue;
		if (!slot_is_value(child))
			return false;
		if ((i == i0 && (start & (span - 1))) || (i == i1 - 1 && (end & (span - 1))))
			return false;
		change = true;
	}
	if (!change)
		return true;
	if (inode_would_fold(node, node_slots(s, level), i0, i1, vslot))
		return false;
	if (has_listener(s, layer)) {
		uint64_t base = start & ~(span - 1);
		struct notice nc;

		notice_init(&nc, s, layer, v);
		for (unsigned int i = i0; i < i1; i++, base += span)
			notify_segment(&nc, max_u64(start, base), min_u64(end, base + span),
				       slot_value(node->slot[i]));
		notify_flush(&nc);
	}
	/*
	 * Value for value: no node is linked or unlinked, so neither the
	 * statistics nor layer->first (a node or 0) change.
	 */
	for (unsigned int i = i0; i < i1; i++)
		if (node->slot[i] != vslot)
			slot_publish(&node->slot[i], vslot);
	return true;
}

/*
 * Sets [start, end) of @layer to @v in one descent if that needs no new node
 * and folds none (see the top of this file), and returns true; a no-op set is
 * one too.  Otherwise returns false having changed and told nothing.  Inline:
 * it is most of memattr_set().
 */
static inline bool set_one_walk(struct memattr_store *s, unsigned int layer, uint64_t start,
				uint64_t end, uint8_t v)
{
	const struct layer *l = &s->layer[layer];
	const uint64_t last = end - 1;
	unsigned int level = s->top, lo, hi;
	slot_t sl = l->root;
	struct leaf *lf;

	/* Under the top node's slot 0, start a level down, as lookups do. */
	if (l->first && !(last >> (NODE_SHIFT * level))) {
		sl = l->first;
		level--;
	}
	if (slot_is_value(sl))
		return sl == value_slot(v); /* a uniform layer: nothing to do, or new nodes */
	/* Down while the range lies in one child and that child is a node. */
	for (; level > 0; level--) {
		unsigned int shift = NODE_SHIFT * level;
		slot_t child;

		if ((start ^ last) >> shift)
			break;
		child = slot_inode(sl)->slot[(start >> shift) & NODE_MASK];
		if (slot_is_value(child))
			break;
		sl = child;
	}
	if (level > 0)
		return slots_set(s, layer, slot_inode(sl), level, start, end, v);
	lf = slot_leaf(sl);
	lo = (unsigned int)start & NODE_MASK;
	hi = lo + (unsigned int)(end - start);
	/* The common case: nobody to tell, and a neighbour keeps the leaf mixed. */
	if (!s->notifiers && leaf_neighbour_differs(lf, node_slots(s, 0), lo, hi, v)) {
		leaf_write(lf, lo, hi, v);
		return true;
	}
	return leaf_set(s, layer, lf, start - lo, lo, hi, v);
}

/* Passes 1 to 4 on @c's range (checked by the caller); see the top of this file. */
static int set_passes(struct set_ctx *c, uint64_t *next)
{
	struct memattr_store *s = c->s;
	int ret;

	c->l = &s->layer[c->layer];
	c->retired->n = 0;
	if (c->limit)
		budget_walk(c, c->l->root, s->top, 0, s->nr_pages);
	ret = prepare(c);
	if (ret)
		return ret;
	if (has_listener(s, c->layer)) {
		notice_init(&c->note, s, c->layer, c->v);
		segments_walk(s, c->l->root, c->start, c->end, notify_segment, &c->note);
		notify_flush(&c->note);
		if (!c->note.changed) {
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

/* memattr_set() in passes, out of line: a one-walk set does not set up their context. */
static __attribute__((noinline)) int set_in_passes(struct memattr_store *s, unsigned int layer,
						   uint64_t start, uint64_t end, uint8_t v,
						   uint64_t work_limit, uint64_t *next)
{
	struct retire_list retired;
	struct prealloc pre;
	struct set_ctx c = {
		.s = s,
		.layer = layer,
		.start = start,
		.end = end,
		.v = v,
		.vslot = value_slot(v),
		.limit = work_limit,
		.retired = &retired,
		.pre = &pre,
	};

	return set_passes(&c, next);
}

int memattr_set(struct memattr_store *s, unsigned int layer, uint64_t start, uint64_t end,
		uint64_t value, uint64_t work_limit, uint64_t *next)
{
	int ret = 0;

	if (!s || !next || !layer_valid(s, layer) || start >= end || end > s->nr_pages ||
	    !value_legal(s, value))
		return -EINVAL;
	writer_enter(s);
	if (set_one_walk(s, layer, start, end, (uint8_t)value))
		*next = end;
	else
		ret = set_in_passes(s, layer, start, end, (uint8_t)value, work_limit, next);
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

	if (!s || (n && !runs) || !layer_valid(s, layer) || !value_legal(s, value) ||
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
		if (set_one_walk(s, layer, c.start, c.end, c.v))
			continue;
		/* Cannot fail: the pool holds what every run needs (pool_count()). */
		ret = set_passes(&c, &next);
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
