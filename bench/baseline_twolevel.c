// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reference: a dense two-level table; see baseline_twolevel.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "baseline_twolevel.h"

#define LEAF_PAGES (1ULL << TWOLEVEL_SHIFT)

/**
 * twolevel_build() - a leaf per 512 pages of @f's layer 0, each its own allocation as a tree's
 * @t: the table
 * @f: the flat array, filled
 *
 * Return: 0 or -ENOMEM.
 */
int twolevel_build(struct twolevel *t, const struct flat *f)
{
	uint64_t filled = (f->pages + LEAF_PAGES - 1) / LEAF_PAGES;

	memset(t, 0, sizeof(*t));
	while ((1ULL << t->bits) < f->pages)
		t->bits++;
	t->nleaves = t->bits > TWOLEVEL_SHIFT ? 1ULL << (t->bits - TWOLEVEL_SHIFT) : 1;
	t->leaf = calloc(t->nleaves, sizeof(*t->leaf));
	t->zero = aligned_alloc(64, LEAF_PAGES);
	if (!t->leaf || !t->zero) {
		twolevel_destroy(t);
		return -ENOMEM;
	}
	memset(t->zero, 0, LEAF_PAGES);
	for (uint64_t i = 0; i < t->nleaves; i++) {
		uint64_t first = i * LEAF_PAGES;
		uint64_t n = f->pages - first < LEAF_PAGES ? f->pages - first : LEAF_PAGES;

		t->leaf[i] = i < filled ? aligned_alloc(64, LEAF_PAGES) : t->zero;
		if (!t->leaf[i]) {
			twolevel_destroy(t);
			return -ENOMEM;
		}
		if (i < filled) {
			memset(t->leaf[i], 0, LEAF_PAGES);
			memcpy(t->leaf[i], f->b[0] + first, n);
		}
	}
	return 0;
}

/** twolevel_destroy() - free @t's leaves and table. */
void twolevel_destroy(struct twolevel *t)
{
	for (uint64_t i = 0; t->leaf && i < t->nleaves; i++)
		if (t->leaf[i] != t->zero)
			free(t->leaf[i]);
	free(t->leaf);
	free(t->zero);
	memset(t, 0, sizeof(*t));
}

static uint8_t lookup(const struct twolevel *t, uint64_t gfn)
{
	return t->leaf[gfn >> TWOLEVEL_SHIFT][gfn & (LEAF_PAGES - 1)];
}

/** twolevel_get() - as memattr_get(): the value, or -EINVAL beyond the table. */
int twolevel_get(const struct twolevel *t, uint64_t gfn)
{
	if (gfn >> t->bits)
		return -EINVAL;
	return lookup(t, gfn);
}

/** twolevel_get_many() - as memattr_get_many(): every gfn checked before any is looked up. */
int twolevel_get_many(const struct twolevel *t, const uint64_t *gfns, size_t n, uint8_t *values)
{
	uint64_t any = 0;

	if (n && (!gfns || !values))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		any |= gfns[i];
	if (any >> t->bits)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		values[i] = lookup(t, gfns[i]);
	return 0;
}
