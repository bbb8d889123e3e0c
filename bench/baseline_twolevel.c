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
	t->nleaves = (f->pages + LEAF_PAGES - 1) / LEAF_PAGES;
	t->leaf = calloc(t->nleaves, sizeof(*t->leaf));
	if (!t->leaf)
		return -ENOMEM;
	for (uint64_t i = 0; i < t->nleaves; i++) {
		uint64_t first = i * LEAF_PAGES;
		uint64_t n = f->pages - first < LEAF_PAGES ? f->pages - first : LEAF_PAGES;

		t->leaf[i] = aligned_alloc(64, LEAF_PAGES);
		if (!t->leaf[i]) {
			twolevel_destroy(t);
			return -ENOMEM;
		}
		memset(t->leaf[i], 0, LEAF_PAGES);
		memcpy(t->leaf[i], f->b[0] + first, n);
	}
	return 0;
}

/** twolevel_destroy() - free @t's leaves and table. */
void twolevel_destroy(struct twolevel *t)
{
	for (uint64_t i = 0; t->leaf && i < t->nleaves; i++)
		free(t->leaf[i]);
	free(t->leaf);
	memset(t, 0, sizeof(*t));
}
