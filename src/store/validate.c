// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The tree's invariants, checked: what store.h states about every layer, so
 * that a test (or a VMM's debug build) learns of a broken tree at the
 * operation that broke it rather than at a wrong answer later.
 */
#include <errno.h>

#include "store/store.h"

struct census {
	uint64_t interior_nodes, leaves;
	bool legal[256]; /* memattr_value_valid() of every byte value */
};

static bool value_ok(const struct census *c, slot_t sl)
{
	/* A value slot is (value << 1) | 1 with a legal value; nothing above bit 8. */
	return !(sl >> 9) && c->legal[slot_value(sl)];
}

/*
 * One subtree: pointers to nodes are 16-byte aligned (the tag is bit 0, and
 * node memory is 16-byte aligned), values are legal, and no node within the
 * space is uniform (canonical form: it would have folded into its slot).
 */
static bool subtree_ok(const struct memattr_store *s, slot_t sl, unsigned int level,
		       struct census *c)
{
	unsigned int n = node_slots(s, level);

	if (slot_is_value(sl))
		return value_ok(c, sl);
	if (!sl || (sl & 15))
		return false;
	if (level == 0) {
		const struct leaf *lf = (const struct leaf *)(uintptr_t)sl;
		bool uniform = true;

		c->leaves++;
		for (unsigned int i = 0; i < n; i++) {
			if (!c->legal[lf->v[i]])
				return false;
			uniform &= lf->v[i] == lf->v[0];
		}
		return !uniform;
	}
	const struct inode *node = (const struct inode *)(uintptr_t)sl;
	bool uniform = true;

	c->interior_nodes++;
	for (unsigned int i = 0; i < n; i++) {
		if (!subtree_ok(s, node->slot[i], level - 1, c))
			return false;
		uniform &= node->slot[i] == node->slot[0];
	}
	/* All one pointer would be one node linked 512 times: broken too. */
	return !uniform;
}

int memattr_store_validate(const struct memattr_store *s, int layer)
{
	unsigned int first = 0, last;
	struct census c;

	if (!s || layer < -1 || layer >= (int)s->nlayers)
		return -EINVAL;
	last = s->nlayers;
	if (layer >= 0) {
		first = (unsigned int)layer;
		last = first + 1;
	}
	for (unsigned int v = 0; v < 256; v++)
		c.legal[v] = memattr_value_valid(s, v);
	for (unsigned int i = first; i < last; i++) {
		const struct layer *l = &s->layer[i];
		slot_t top_first = 0;

		c.interior_nodes = c.leaves = 0;
		if (!subtree_ok(s, l->root, s->top, &c))
			return -EUCLEAN;
		/* The statistics count exactly the nodes the tree links. */
		if (c.interior_nodes != l->interior_nodes || c.leaves != l->leaves)
			return -EUCLEAN;
		/* layer->first is the top node's slot 0 while that is a node (store.h). */
		if (!slot_is_value(l->root) && s->top > 0) {
			slot_t x = ((const struct inode *)(uintptr_t)l->root)->slot[0];

			top_first = slot_is_value(x) ? 0 : x;
		}
		if (l->first != top_first)
			return -EUCLEAN;
	}
	/* Layers beyond the store's count are never touched. */
	for (unsigned int i = s->nlayers; layer < 0 && i < MEMATTR_MAX_LAYERS; i++)
		if (s->layer[i].root != value_slot(0))
			return -EUCLEAN;
	return 0;
}
