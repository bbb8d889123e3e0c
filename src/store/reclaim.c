// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Node memory: allocation, and freeing after an RCU grace period.
 *
 * A writer that unlinks a node (or a whole subtree) collects it in a
 * retire_list; at the end of the call the list goes to liburcu-bp's call_rcu
 * as one batch, so readers that still walk the old node finish before it is
 * freed.  A subtree is retired by its root alone and freed recursively by the
 * callback: nothing else points into it once it is unlinked.
 */
#include <string.h>

#include <urcu/compiler.h>

#include "store/rcu.h"
#include "store/store.h"

#ifdef MEMATTR_TSAN
char rcu_tsan_sync;
#endif

struct retire_batch {
	struct rcu_head rcu;
	struct memattr_store *store;
	struct retire_list list;
};

static size_t node_bytes(unsigned int level)
{
	return level ? INODE_BYTES : LEAF_BYTES;
}

void *node_alloc(struct memattr_store *s, unsigned int level)
{
	return s->alloc.alloc(s->alloc.opaque, node_bytes(level));
}

void node_free_now(const struct memattr_allocator *a, void *node, unsigned int level)
{
	a->free(a->opaque, node, node_bytes(level));
}

void subtree_free_now(const struct memattr_allocator *a, slot_t s, unsigned int level)
{
	struct inode *n;

	if (slot_is_value(s))
		return;
	if (level > 0) {
		n = (struct inode *)(uintptr_t)s;
		for (unsigned int i = 0; i < NODE_SLOTS; i++)
			subtree_free_now(a, n->slot[i], level - 1);
	}
	node_free_now(a, (void *)(uintptr_t)s, level);
}

static void list_free_now(const struct memattr_allocator *a, struct retire_list *r)
{
	for (unsigned int i = 0; i < r->n; i++)
		subtree_free_now(a, r->e[i].node, r->e[i].level);
	r->n = 0;
}

static void batch_free_rcu(struct rcu_head *head)
{
	struct retire_batch *b = caa_container_of(head, struct retire_batch, rcu);
	struct memattr_store *s;

	handover_acquire(b);
	s = b->store;

	grace_period_passed();
	list_free_now(&s->alloc, &b->list);
	s->alloc.free(s->alloc.opaque, b, sizeof(*b));
	/* Pairs with the acquire in memattr_store_destroy(): s may go after this. */
	__atomic_sub_fetch(&s->pending_batches, 1, __ATOMIC_RELEASE);
}

void retire_flush(struct memattr_store *s, struct retire_list *r)
{
	struct retire_batch *b;

	if (!r->n)
		return;
	b = s->alloc.alloc(s->alloc.opaque, sizeof(*b));
	if (!b) {
		/* No memory for the batch: wait out the readers here instead. */
		urcu_bp_synchronize_rcu();
		grace_period_passed();
		list_free_now(&s->alloc, r);
		return;
	}
	b->store = s;
	memcpy(&b->list, r, sizeof(*r));
	r->n = 0;
	__atomic_add_fetch(&s->pending_batches, 1, __ATOMIC_RELAXED);
	handover_release(b);
	urcu_bp_call_rcu(&b->rcu, batch_free_rcu);
}

void retire(struct memattr_store *s, struct retire_list *r, slot_t node, unsigned int level)
{
	if (r->n == sizeof(r->e) / sizeof(r->e[0]))
		retire_flush(s, r);
	r->e[r->n].node = node;
	r->e[r->n].level = level;
	r->n++;
}
