// SPDX-License-Identifier: LGPL-2.1-or-later
/* Store lifetime, shape, value rules, notifier registration and statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <urcu-bp.h>

#include "store/store.h"

static void *malloc_alloc(void *opaque, size_t size)
{
	(void)opaque;
	/*
	 * Plain malloc: its 16-byte alignment is all slot tagging needs, and
	 * posix_memalign(64) cost 590 instructions a node under callgrind.
	 */
	return malloc(size);
}

static void malloc_free(void *opaque, void *ptr, size_t size)
{
	(void)opaque;
	(void)size;
	free(ptr);
}

static const struct memattr_allocator default_allocator = {
	.alloc = malloc_alloc,
	.free = malloc_free,
};

int memattr_store_create(const struct memattr_config *cfg, struct memattr_store **out)
{
	struct memattr_config def = {
		.layers = MEMATTR_DEFAULT_LAYERS,
		.gpa_bits = MEMATTR_DEFAULT_GPA_BITS,
	};
	struct memattr_store *s;
	unsigned int levels;

	if (!out)
		return -EINVAL;
	if (!cfg)
		cfg = &def;
	if (cfg->layers < 1 || cfg->layers > MEMATTR_MAX_LAYERS ||
	    cfg->gpa_bits < MEMATTR_MIN_GPA_BITS || cfg->gpa_bits > MEMATTR_MAX_GPA_BITS ||
	    (cfg->flags & ~MEMATTR_F_MBEC))
		return -EINVAL;
	if (cfg->allocator && (!cfg->allocator->alloc || !cfg->allocator->free))
		return -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->nlayers = cfg->layers;
	s->gpa_bits = cfg->gpa_bits;
	s->gfn_bits = cfg->gpa_bits - MEMATTR_PAGE_SHIFT;
	s->nr_pages = 1ULL << s->gfn_bits;
	levels = (s->gfn_bits + NODE_SHIFT - 1) / NODE_SHIFT;
	s->top = levels ? levels - 1 : 0;
	s->top_slots = 1U << (s->gfn_bits - NODE_SHIFT * s->top);
	s->supported = MEMATTR_RWX | MEMATTR_PRIVATE | MEMATTR_NO_ACCESS;
	if (cfg->flags & MEMATTR_F_MBEC)
		s->supported |= MEMATTR_USER_EXECUTE;
	for (uint64_t v = 0; v < 64; v++)
		if (memattr_value_valid(s, v))
			s->legal |= 1ULL << v;
	s->alloc = cfg->allocator ? *cfg->allocator : default_allocator;
	for (unsigned int i = 0; i < MEMATTR_MAX_LAYERS; i++)
		s->layer[i].root = value_slot(0);
	*out = s;
	return 0;
}

void memattr_store_destroy(struct memattr_store *s)
{
	if (!s)
		return;
	/*
	 * Retired nodes' callbacks use s and its allocator: let them finish
	 * first.  The barrier waits for them; the acquire load that then reads
	 * zero is what orders their last use of s before the frees below (and
	 * what ThreadSanitizer can see; the barrier's futex it cannot).
	 */
	while (__atomic_load_n(&s->pending_batches, __ATOMIC_ACQUIRE))
		urcu_bp_barrier();
	for (unsigned int i = 0; i < s->nlayers; i++)
		subtree_free_now(&s->alloc, s->layer[i].root, s->top);
	free(s);
}

unsigned int memattr_layers(const struct memattr_store *s)
{
	return s->nlayers;
}

unsigned int memattr_gpa_bits(const struct memattr_store *s)
{
	return s->gpa_bits;
}

uint64_t memattr_supported(const struct memattr_store *s)
{
	return s->supported;
}

bool memattr_value_valid(const struct memattr_store *s, uint64_t value)
{
	uint64_t prot = value & ~MEMATTR_PRIVATE;

	if (value & ~s->supported)
		return false;
	if (prot == 0 || prot == MEMATTR_NO_ACCESS)
		return true;
	/*
	 * The protections Hyper-V VSM can express (TLFS "Virtual Secure Mode",
	 * memory protections): W or X imply R; NO_ACCESS stands alone.
	 */
	if (prot & MEMATTR_NO_ACCESS)
		return false;
	return prot & MEMATTR_READ;
}

uint64_t memattr_combine(uint64_t a, uint64_t b)
{
	const uint64_t rights = MEMATTR_RWX | MEMATTR_USER_EXECUTE;
	uint64_t pa = a & ~MEMATTR_PRIVATE, pb = b & ~MEMATTR_PRIVATE;
	uint64_t priv = (a | b) & MEMATTR_PRIVATE;
	uint64_t r;

	if (!pa || !pb)
		return (pa | pb) | priv;
	r = pa & pb & rights;
	/* W or X without R cannot occur: both inputs carry R when they carry either. */
	return (r ? r : MEMATTR_NO_ACCESS) | priv;
}

int memattr_notifier_register(struct memattr_store *s, struct memattr_notifier *n)
{
	int ret = 0;

	if (!s || !n || !n->notify)
		return -EINVAL;
	writer_enter(s);
	/* Twice on the list would be a cycle: the next notification would never end. */
	for (const struct memattr_notifier *p = s->notifiers; p && !ret; p = p->next)
		if (p == n)
			ret = -EEXIST;
	if (!ret) {
		n->next = s->notifiers;
		s->notifiers = n;
	}
	writer_exit(s);
	return ret;
}

int memattr_notifier_unregister(struct memattr_store *s, struct memattr_notifier *n)
{
	int ret = -ENOENT;

	if (!s || !n)
		return -EINVAL;
	writer_enter(s);
	for (struct memattr_notifier **p = &s->notifiers; *p; p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			n->next = NULL;
			ret = 0;
			break;
		}
	}
	writer_exit(s);
	return ret;
}

int memattr_stats(const struct memattr_store *s, int layer, struct memattr_stats *st)
{
	unsigned int first, last;

	if (!s || !st)
		return -EINVAL;
	first = 0;
	last = s->nlayers;

	if (layer >= 0) {
		if (!layer_valid(s, (unsigned int)layer))
			return -EINVAL;
		first = (unsigned int)layer;
		last = first + 1;
	} else if (layer != -1) {
		return -EINVAL;
	}
	memset(st, 0, sizeof(*st));
	for (unsigned int i = first; i < last; i++) {
		st->interior_nodes += s->layer[i].interior_nodes;
		st->leaves += s->layer[i].leaves;
	}
	st->bytes = st->interior_nodes * INODE_BYTES + st->leaves * LEAF_BYTES;
	return 0;
}

void memattr_rcu_barrier(void)
{
	urcu_bp_synchronize_rcu();
	urcu_bp_barrier();
}
