/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference: a dense two-level table, a pointer per 512 pages to a 512-byte
 * leaf, built from the flat array's layer 0.  It is the least any tree can
 * pay per lookup (one table load, then the byte), with none of a real
 * store's costs: no sparse levels, no value slots, no checks, no read-side
 * section, inlined.  Its lookup rows show how close to the flat array a
 * tree can get at all; it is not a competitor (it keeps every leaf).
 */
#ifndef MEMATTR_BENCH_BASELINE_TWOLEVEL_H
#define MEMATTR_BENCH_BASELINE_TWOLEVEL_H

#include <stdint.h>

#include "baseline_flat.h"

#define TWOLEVEL_SHIFT 9

struct twolevel {
	uint64_t nleaves;
	uint8_t **leaf;
};

int twolevel_build(struct twolevel *t, const struct flat *f);
void twolevel_destroy(struct twolevel *t);

static inline uint8_t twolevel_get(const struct twolevel *t, uint64_t gfn)
{
	return t->leaf[gfn >> TWOLEVEL_SHIFT][gfn & ((1U << TWOLEVEL_SHIFT) - 1)];
}

#endif
