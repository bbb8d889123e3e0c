/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reference: a dense two-level table, a pointer per 512 pages to a 512-byte
 * leaf, built from the flat array's layer 0.  It is the least a tree can pay
 * per lookup (one table load, then the byte), with none of a real store's
 * structure: no sparse levels, no value slots, no read-side section.  Its
 * lookups are out of line and check their arguments as the store's do, so
 * its rows show how close to the flat array's inlined loop any tree can get
 * behind memattr_get() and memattr_get_many().  It is not a competitor (it
 * keeps every leaf).
 */
#ifndef MEMATTR_BENCH_BASELINE_TWOLEVEL_H
#define MEMATTR_BENCH_BASELINE_TWOLEVEL_H

#include <stddef.h>
#include <stdint.h>

#include "baseline_flat.h"

#define TWOLEVEL_SHIFT 9

/*
 * @bits: the table covers 2^bits pages, as the store covers 2^gfn_bits;
 * leaves past the flat array's pages share @zero.
 */
struct twolevel {
	unsigned int bits;
	uint64_t nleaves;
	uint8_t **leaf;
	uint8_t *zero;
};

int twolevel_build(struct twolevel *t, const struct flat *f);
void twolevel_destroy(struct twolevel *t);
int twolevel_get(const struct twolevel *t, uint64_t gfn);
int twolevel_get_many(const struct twolevel *t, const uint64_t *gfns, size_t n, uint8_t *values);

#endif
