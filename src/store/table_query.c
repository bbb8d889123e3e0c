// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lock-free queries on the attribute page tables: lookups, extents with the
 * huge-page order, range predicates, run iteration and the combined view.
 *
 * Readers hold the RCU read lock (liburcu-bp registers a thread on first use)
 * and load slots with acquire semantics, pairing with slot_publish().
 */
#include <errno.h>
#include <string.h>

#include "store/rcu.h"

#include "store/store.h"

static const struct inode *slot_inode(slot_t s)
{
	return (const struct inode *)(uintptr_t)s;
}

static const struct leaf *slot_leaf(slot_t s)
{
	return (const struct leaf *)(uintptr_t)s;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint8_t walk(slot_t sl, unsigned int level, uint64_t gfn)
{
	while (!slot_is_value(sl)) {
		if (level == 0)
			return leaf_load(slot_leaf(sl), (unsigned int)gfn & NODE_MASK);
		sl = slot_load(&slot_inode(sl)->slot[slot_index(gfn, level)]);
		level--;
	}
	return slot_value(sl);
}

/* A single lookup: through layer->first when it covers @gfn (see struct layer). */
static uint8_t lookup(const struct memattr_store *s, const struct layer *l, uint64_t gfn)
{
	slot_t first = slot_load(&l->first);

	if (first && !(gfn >> (NODE_SHIFT * s->top)))
		return walk(first, s->top - 1, gfn);
	return walk(slot_load(&l->root), s->top, gfn);
}

int memattr_get(const struct memattr_store *s, unsigned int layer, uint64_t gfn)
{
	uint8_t v;

	if (!layer_valid(s, layer) || gfn >= s->nr_pages)
		return -EINVAL;
	reader_lock();
	v = lookup(s, &s->layer[layer], gfn);
	reader_unlock();
	return v;
}

/*
 * The huge-page order in the same walk as a lookup.  A slot of a level-k
 * node covers the aligned 2^(9k) pages below it; in canonical form no node
 * is uniform, so where the walk meets a value slot in a level-k node, that
 * block is uniform and the aligned 2^(9(k+1)) block around it is not: the
 * answer is 9k exactly.  A leaf byte gives 0, a value root the whole space.
 */
static uint8_t walk_order(slot_t sl, unsigned int level, uint64_t gfn, unsigned int gfn_bits,
			  unsigned int *order)
{
	while (!slot_is_value(sl)) {
		if (level == 0) {
			*order = 0;
			return leaf_load(slot_leaf(sl), (unsigned int)gfn & NODE_MASK);
		}
		sl = slot_load(&slot_inode(sl)->slot[slot_index(gfn, level)]);
		level--;
	}
	/* @sl is a slot of a level-(@level + 1) node, or the root (@level == top). */
	*order = NODE_SHIFT * (level + 1) < gfn_bits ? NODE_SHIFT * (level + 1) : gfn_bits;
	return slot_value(sl);
}

static uint8_t lookup_order(const struct memattr_store *s, const struct layer *l, uint64_t gfn,
			    unsigned int *order)
{
	slot_t first = slot_load(&l->first);

	if (first && !(gfn >> (NODE_SHIFT * s->top)))
		return walk_order(first, s->top - 1, gfn, s->gfn_bits, order);
	return walk_order(slot_load(&l->root), s->top, gfn, s->gfn_bits, order);
}

int memattr_huge_order(const struct memattr_store *s, unsigned int layer, uint64_t gfn,
		       unsigned int *order)
{
	uint8_t v;

	if (!order || !layer_valid(s, layer) || gfn >= s->nr_pages)
		return -EINVAL;
	reader_lock();
	v = lookup_order(s, &s->layer[layer], gfn, order);
	reader_unlock();
	return v;
}

/*
 * Batched lookups (memattr_get_many()).
 *
 * The gfns of a call share the path from the root down to the level where
 * they first differ, so that part is walked once; each gfn walks only below
 * it (pages of a 64 GiB guest in a 46-bit space share the top level of
 * four; pages within one aligned GiB share two).
 *
 * Below it, two ways to walk, each best where the other is worst:
 * - direct: gfn after gfn, a branch per slot on "value or pointer".  The
 *   fewest instructions while the branches are predicted, that is while
 *   nearly every walk reaches a leaf (a hot set: the pages a guest works on);
 * - by group: 64 gfns level by level, with no branch on what a slot holds,
 *   so walks that end at unpredictable levels (pages spread over a
 *   fragmented layer) cost no mispredictions, and their misses overlap.
 * Both count the walks that ended above the leaves; the next group of 64
 * goes direct while at most one in eight of the last group's did.  A call
 * starts with a probe of 8 walks direct, not a whole group: a call on a
 * fragmented layer then pays the mispredictions of 8 walks, not of 64.
 */
#define GROUP		 64
#define DIRECT_MAX_ENDED 8 /* direct while ended * 8 <= walks */
#define PROBE		 8

static __attribute__((always_inline)) inline unsigned int
walk_direct_from(const struct inode *node, const unsigned int level, const uint64_t *gfns,
		 unsigned int n, uint8_t *values)
{
	unsigned int ended = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t gfn = gfns[i];
		slot_t sl = slot_load(&node->slot[slot_index(gfn, level)]);

		/* @level is a constant in each caller: the loop unrolls into one path */
		for (unsigned int l = level - 1; l > 0 && !__builtin_expect(slot_is_value(sl), 0);
		     l--)
			sl = slot_load(&slot_inode(sl)->slot[slot_index(gfn, l)]);
		if (__builtin_expect(slot_is_value(sl), 0)) {
			values[i] = slot_value(sl);
			ended++;
		} else {
			values[i] = leaf_load(slot_leaf(sl), (unsigned int)gfn & NODE_MASK);
		}
	}
	return ended;
}

static unsigned int walk_direct(slot_t node, unsigned int level, const uint64_t *gfns,
				unsigned int n, uint8_t *values)
{
	const struct inode *in = slot_inode(node);

	switch (level) {
	case 1:
		return walk_direct_from(in, 1, gfns, n, values);
	case 2:
		return walk_direct_from(in, 2, gfns, n, values);
	case 3:
		return walk_direct_from(in, 3, gfns, n, values);
	case 4:
		return walk_direct_from(in, 4, gfns, n, values);
	default:
		return walk_direct_from(in, MAX_LEVELS - 1, gfns, n, values);
	}
}

static unsigned int walk_group(slot_t node, unsigned int level, const uint64_t *gfns,
			       unsigned int n, uint8_t *values)
{
	const struct inode *in = slot_inode(node);
	slot_t sl[GROUP];
	uint8_t todo[GROUP]; /* indexes of the walks still in interior nodes */
	unsigned int m = 0;

	assert(n > 0 && n <= GROUP);
	/*
	 * Branch-free per walk: a walk that meets a value slot records it and
	 * drops off the list (its values[] entry is final); the others stay.
	 * Every walk starts in @node, so the first level needs no list.
	 */
	for (unsigned int i = 0; i < n; i++) {
		slot_t x = slot_load(&in->slot[slot_index(gfns[i], level)]);

		sl[i] = x;
		values[i] = slot_value(x);
		todo[m] = (uint8_t)i;
		m += !slot_is_value(x);
	}
	for (level--; level > 0 && m; level--) {
		unsigned int k = 0;

		for (unsigned int j = 0; j < m; j++) {
			unsigned int i = todo[j];
			slot_t x = slot_load(&slot_inode(sl[i])->slot[slot_index(gfns[i], level)]);

			sl[i] = x;
			values[i] = slot_value(x);
			todo[k] = (uint8_t)i;
			k += !slot_is_value(x);
		}
		m = k;
	}
	for (unsigned int j = 0; j < m; j++) {
		unsigned int i = todo[j];

		values[i] = leaf_load(slot_leaf(sl[i]), (unsigned int)gfns[i] & NODE_MASK);
	}
	return n - m;
}

/* @differ: the bits in which the gfns differ (their OR xor their AND) */
static void lookup_batch(const struct memattr_store *s, slot_t root, const uint64_t *gfns, size_t n,
			 uint8_t *values, uint64_t differ)
{
	unsigned int split = differ ? (63 - (unsigned int)__builtin_clzll(differ)) / NODE_SHIFT : 0;
	unsigned int level = s->top;
	slot_t sl = root;
	bool direct = true;

	while (level > split && !slot_is_value(sl)) {
		sl = slot_load(&slot_inode(sl)->slot[slot_index(gfns[0], level)]);
		level--;
	}
	if (slot_is_value(sl)) {
		memset(values, slot_value(sl), n);
		return;
	}
	if (level == 0) {
		for (size_t i = 0; i < n; i++)
			values[i] = leaf_load(slot_leaf(sl), (unsigned int)gfns[i] & NODE_MASK);
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t want = i ? GROUP : PROBE;
		unsigned int k = (unsigned int)(n - i < want ? n - i : want);
		unsigned int ended = direct ? walk_direct(sl, level, gfns + i, k, values + i)
					    : walk_group(sl, level, gfns + i, k, values + i);

		direct = ended * DIRECT_MAX_ENDED <= k;
		i += k;
	}
}

int memattr_get_many(const struct memattr_store *s, unsigned int layer, const uint64_t *gfns,
		     size_t n, uint8_t *values)
{
	uint64_t any = 0, all = UINT64_MAX;

	if (!layer_valid(s, layer) || (n && (!gfns || !values)))
		return -EINVAL;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		any |= gfns[i];
		all &= gfns[i];
	}
	/* nr_pages is 2^gfn_bits: a gfn beyond the space sets a bit above them */
	if (any >> s->gfn_bits)
		return -EINVAL;
	reader_lock();
	lookup_batch(s, slot_load(&s->layer[layer].root), gfns, n, values, any ^ all);
	reader_unlock();
	return 0;
}

/* ---- segment walks, both directions ---- */

struct walk {
	segment_fn fn;
	void *opaque;
	uint64_t start;
	uint64_t end;
	bool descending;
};

static int leaf_walk(const struct walk *w, const struct leaf *lf, uint64_t base, uint64_t lo,
		     uint64_t hi)
{
	unsigned int i = (unsigned int)(lo - base), stop = (unsigned int)(hi - base);

	while (i < stop) {
		uint8_t v = leaf_load(lf, i);
		unsigned int j = i + 1;
		int ret;

		while (j < stop && leaf_load(lf, j) == v)
			j++;
		ret = w->fn(w->opaque, base + i, base + j, v);
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

static int leaf_walk_rev(const struct walk *w, const struct leaf *lf, uint64_t base, uint64_t lo,
			 uint64_t hi)
{
	unsigned int i = (unsigned int)(hi - base), stop = (unsigned int)(lo - base);

	while (i > stop) {
		uint8_t v = leaf_load(lf, i - 1);
		unsigned int j = i - 1;
		int ret;

		while (j > stop && leaf_load(lf, j - 1) == v)
			j--;
		ret = w->fn(w->opaque, base + j, base + i, v);
		if (ret)
			return ret;
		i = j;
	}
	return 0;
}

static int walk_slot(const struct walk *w, slot_t sl, unsigned int level, uint64_t base,
		     uint64_t span)
{
	uint64_t lo = max_u64(w->start, base), hi = min_u64(w->end, base + span);
	unsigned int i0, i1, shift = NODE_SHIFT * level;

	if (lo >= hi)
		return 0;
	if (slot_is_value(sl))
		return w->fn(w->opaque, lo, hi, slot_value(sl));
	if (level == 0)
		return w->descending ? leaf_walk_rev(w, slot_leaf(sl), base, lo, hi)
				     : leaf_walk(w, slot_leaf(sl), base, lo, hi);
	i0 = (unsigned int)((lo - base) >> shift);
	i1 = (unsigned int)((hi - 1 - base) >> shift);
	for (unsigned int k = 0; k <= i1 - i0; k++) {
		unsigned int i = w->descending ? i1 - k : i0 + k;
		int ret = walk_slot(w, slot_load(&slot_inode(sl)->slot[i]), level - 1,
				    base + ((uint64_t)i << shift), slot_span(level));
		if (ret)
			return ret;
	}
	return 0;
}

int segments_walk(const struct memattr_store *s, slot_t root, uint64_t start, uint64_t end,
		  segment_fn fn, void *opaque)
{
	const struct walk w = { .fn = fn, .opaque = opaque, .start = start, .end = end };

	return walk_slot(&w, root, s->top, 0, s->nr_pages);
}

/* ---- extents ---- */

struct find {
	uint8_t value;
	uint64_t at;
};

static int stop_at_other_forward(void *opaque, uint64_t start, uint64_t end, uint8_t v)
{
	struct find *f = opaque;

	(void)end;
	if (v == f->value)
		return 0;
	f->at = start;
	return 1;
}

static int stop_at_other_backward(void *opaque, uint64_t start, uint64_t end, uint8_t v)
{
	struct find *f = opaque;

	(void)start;
	if (v == f->value)
		return 0;
	f->at = end;
	return 1;
}

/* End of the run of @value that starts at or before @from. */
static uint64_t run_end(const struct memattr_store *s, slot_t root, uint64_t from, uint8_t value)
{
	struct find f = { .value = value, .at = s->nr_pages };

	segments_walk(s, root, from, s->nr_pages, stop_at_other_forward, &f);
	return f.at;
}

static uint64_t run_start(const struct memattr_store *s, slot_t root, uint64_t to, uint8_t value)
{
	struct find f = { .value = value, .at = 0 };
	const struct walk w = { .fn = stop_at_other_backward,
				.opaque = &f,
				.start = 0,
				.end = to,
				.descending = true };

	walk_slot(&w, root, s->top, 0, s->nr_pages);
	return f.at;
}

/*
 * Largest j such that the aligned group of 2^j entries around @idx, within
 * the node's first @n entries, all equal @want.  A group of all n entries
 * cannot be uniform in canonical form, so this stops below it naturally.
 */
static unsigned int group_order_leaf(const struct leaf *lf, unsigned int n, unsigned int idx,
				     uint8_t want)
{
	unsigned int j;

	for (j = 1; j <= NODE_SHIFT; j++) {
		unsigned int size = 1U << j, first = idx & ~(size - 1);

		if (first + size > n)
			break;
		for (unsigned int i = first; i < first + size; i++)
			if (leaf_load(lf, i) != want)
				return j - 1;
	}
	return j - 1;
}

static unsigned int group_order_inode(const struct inode *node, unsigned int n, unsigned int idx,
				      slot_t want)
{
	unsigned int j;

	for (j = 1; j <= NODE_SHIFT; j++) {
		unsigned int size = 1U << j, first = idx & ~(size - 1);

		if (first + size > n)
			break;
		for (unsigned int i = first; i < first + size; i++)
			if (slot_load(&node->slot[i]) != want)
				return j - 1;
	}
	return j - 1;
}

/*
 * The run around entry idx of one node, as far as that node tells: its first
 * and last entry, and whether a different value ends it there (rather than
 * the node's edge or a child whose contents decide).
 */
struct local_run {
	unsigned int lo, hi;
	bool lo_known, hi_known;
};

static struct local_run leaf_local_run(const struct leaf *lf, unsigned int n, unsigned int idx)
{
	uint8_t v = leaf_load(lf, idx);
	struct local_run r = { idx, idx, false, false };

	while (r.lo > 0 && leaf_load(lf, r.lo - 1) == v)
		r.lo--;
	while (r.hi + 1 < n && leaf_load(lf, r.hi + 1) == v)
		r.hi++;
	r.lo_known = r.lo > 0;
	r.hi_known = r.hi + 1 < n;
	return r;
}

static struct local_run inode_local_run(const struct inode *node, unsigned int n, unsigned int idx)
{
	slot_t want = slot_load(&node->slot[idx]);
	struct local_run r = { idx, idx, false, false };

	while (r.lo > 0 && slot_load(&node->slot[r.lo - 1]) == want)
		r.lo--;
	while (r.hi + 1 < n && slot_load(&node->slot[r.hi + 1]) == want)
		r.hi++;
	r.lo_known = r.lo > 0 && slot_is_value(slot_load(&node->slot[r.lo - 1]));
	r.hi_known = r.hi + 1 < n && slot_is_value(slot_load(&node->slot[r.hi + 1]));
	return r;
}

int memattr_extent(const struct memattr_store *s, unsigned int layer, uint64_t gfn,
		   struct memattr_extent *e)
{
	struct local_run r = { 0, 0, true, true };
	slot_t root, sl;
	unsigned int level, shift = 0;
	uint64_t base = 0;

	if (!e || !layer_valid(s, layer) || gfn >= s->nr_pages)
		return -EINVAL;
	reader_lock();
	root = slot_load(&s->layer[layer].root);
	sl = root;
	level = s->top;
	e->start = 0;
	e->end = s->nr_pages;
	if (slot_is_value(sl)) {
		e->value = slot_value(sl);
		e->order = s->gfn_bits;
	}
	/*
	 * The slot where the walk stops bounds the uniform aligned block; its
	 * uniform siblings may double it up to eight times (canonical form
	 * forbids all 512 being equal).
	 */
	while (!slot_is_value(sl)) {
		unsigned int idx = slot_index(gfn, level), n = node_slots(s, level);

		shift = NODE_SHIFT * level;
		base = gfn & ~((slot_span(level) << NODE_SHIFT) - 1);
		if (level == 0) {
			e->value = leaf_load(slot_leaf(sl), idx);
			e->order = group_order_leaf(slot_leaf(sl), n, idx, (uint8_t)e->value);
			r = leaf_local_run(slot_leaf(sl), n, idx);
			break;
		}
		slot_t child = slot_load(&slot_inode(sl)->slot[idx]);

		if (slot_is_value(child)) {
			e->value = slot_value(child);
			e->order = NODE_SHIFT * level +
				   group_order_inode(slot_inode(sl), n, idx, child);
			r = inode_local_run(slot_inode(sl), n, idx);
			break;
		}
		sl = child;
		level--;
	}
	/* Where the node cannot tell, walk the tree from the node's bound on. */
	if (!slot_is_value(root)) {
		uint64_t lo = base + ((uint64_t)r.lo << shift);
		uint64_t hi = base + ((uint64_t)(r.hi + 1) << shift);

		e->start = r.lo_known ? lo : run_start(s, root, lo, (uint8_t)e->value);
		e->end = r.hi_known ? hi : run_end(s, root, hi, (uint8_t)e->value);
	}
	reader_unlock();
	return 0;
}

/* ---- range predicates and runs ---- */

static bool range_valid(const struct memattr_store *s, unsigned int layer, uint64_t start,
			uint64_t end)
{
	return layer_valid(s, layer) && start < end && end <= s->nr_pages;
}

struct has {
	uint8_t mask;
	uint8_t want;
};

static int stop_unless_matches(void *opaque, uint64_t start, uint64_t end, uint8_t v)
{
	const struct has *h = opaque;

	(void)start;
	(void)end;
	return (v & h->mask) != h->want;
}

int memattr_range_has(const struct memattr_store *s, unsigned int layer, uint64_t start,
		      uint64_t end, uint64_t mask, uint64_t want)
{
	struct has h;
	int stopped;

	if (!range_valid(s, layer, start, end))
		return -EINVAL;
	/* Values are 8 bits wide: bits above can only match as zero. */
	if ((want & ~mask) || (want >> 8))
		return 0;
	h.mask = (uint8_t)mask;
	h.want = (uint8_t)want;
	reader_lock();
	stopped = segments_walk(s, slot_load(&s->layer[layer].root), start, end,
				stop_unless_matches, &h);
	reader_unlock();
	return !stopped;
}

struct coalesce {
	memattr_run_fn fn;
	void *opaque;
	bool pending;
	uint64_t start;
	uint64_t end;
	uint8_t value;
};

static int coalesce_segment(void *opaque, uint64_t start, uint64_t end, uint8_t v)
{
	struct coalesce *c = opaque;
	int ret = 0;

	if (c->pending && c->end == start && c->value == v) {
		c->end = end;
		return 0;
	}
	if (c->pending)
		ret = c->fn(c->opaque, c->start, c->end, c->value);
	c->pending = true;
	c->start = start;
	c->end = end;
	c->value = v;
	return ret;
}

static int coalesce_finish(struct coalesce *c, int ret)
{
	if (ret || !c->pending)
		return ret;
	c->pending = false;
	return c->fn(c->opaque, c->start, c->end, c->value);
}

int memattr_runs(const struct memattr_store *s, unsigned int layer, uint64_t start, uint64_t end,
		 memattr_run_fn fn, void *opaque)
{
	struct coalesce c = { .fn = fn, .opaque = opaque };
	int ret;

	if (!fn || !range_valid(s, layer, start, end))
		return -EINVAL;
	reader_lock();
	ret = segments_walk(s, slot_load(&s->layer[layer].root), start, end, coalesce_segment, &c);
	ret = coalesce_finish(&c, ret);
	reader_unlock();
	return ret;
}

/* ---- the combined view ---- */

static bool layers_valid(const struct memattr_store *s, uint32_t layers)
{
	return layers && !(s->nlayers < 32 && (layers >> s->nlayers));
}

int memattr_combined_get(const struct memattr_store *s, uint32_t layers, uint64_t gfn)
{
	uint64_t v = 0;

	if (!layers_valid(s, layers) || gfn >= s->nr_pages)
		return -EINVAL;
	reader_lock();
	for (unsigned int i = 0; i < s->nlayers; i++)
		if (layers & (1U << i))
			v = memattr_combine(v, lookup(s, &s->layer[i], gfn));
	reader_unlock();
	return (int)v;
}

int memattr_combined_huge_order(const struct memattr_store *s, uint32_t layers, uint64_t gfn,
				unsigned int *order)
{
	unsigned int lo = UINT32_MAX, k;
	uint64_t v = 0;

	if (!order || !layers_valid(s, layers) || gfn >= s->nr_pages)
		return -EINVAL;
	reader_lock();
	for (unsigned int i = 0; i < s->nlayers; i++) {
		if (!(layers & (1U << i)))
			continue;
		v = memattr_combine(v, lookup_order(s, &s->layer[i], gfn, &k));
		lo = k < lo ? k : lo;
	}
	reader_unlock();
	*order = lo;
	return (int)v;
}

int memattr_combined_runs(const struct memattr_store *s, uint32_t layers, uint64_t start,
			  uint64_t end, memattr_run_fn fn, void *opaque)
{
	struct coalesce c = { .fn = fn, .opaque = opaque };
	int ret = 0;

	if (!fn || !layers_valid(s, layers) || start >= end || end > s->nr_pages)
		return -EINVAL;
	reader_lock();
	/* Each step ends where the first of the layers changes value. */
	for (uint64_t at = start; at < end && !ret;) {
		uint64_t v = 0, stop = end;

		for (unsigned int i = 0; i < s->nlayers; i++) {
			slot_t root;
			uint8_t lv;

			if (!(layers & (1U << i)))
				continue;
			root = slot_load(&s->layer[i].root);
			lv = walk(root, s->top, at);
			v = memattr_combine(v, lv);
			stop = min_u64(stop, run_end(s, root, at, lv));
		}
		ret = coalesce_segment(&c, at, stop, (uint8_t)v);
		at = stop;
	}
	ret = coalesce_finish(&c, ret);
	reader_unlock();
	return ret;
}
