/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reference model: a trivially correct store for tests to compare with.
 *
 * The space is cut at fixed breakpoints chosen up front; the model keeps one
 * byte per layer per elementary interval between breakpoints and does
 * everything by linear scans.  With a breakpoint at every gfn it is the
 * plain "one byte per page" model; with a few thousand boundary-heavy
 * breakpoints it models a full 52-bit space.  Ranges given to model_set()
 * must start and end on breakpoints.
 */
#ifndef MEMATTR_TESTING_MODEL_H
#define MEMATTR_TESTING_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <memattr/memattr.h>

struct model;

/* @points: sorted, unique gfns < 2^gfn_bits; 0 is added if missing. */
struct model *model_create(unsigned int layers, unsigned int gfn_bits, const uint64_t *points,
			   size_t npoints);
void model_destroy(struct model *m);

/* Number of breakpoints and the i-th one (i == count gives 2^gfn_bits). */
size_t model_points(const struct model *m);
uint64_t model_point(const struct model *m, size_t i);

/* Calls @fn for each coalesced range whose value would change, then sets. */
int model_set(struct model *m, unsigned int layer, uint64_t start, uint64_t end, uint8_t value,
	      void (*fn)(void *opaque, const struct memattr_change *c), void *opaque);
uint8_t model_get(const struct model *m, unsigned int layer, uint64_t gfn);
void model_extent(const struct model *m, unsigned int layer, uint64_t gfn,
		  struct memattr_extent *e);
int model_range_has(const struct model *m, unsigned int layer, uint64_t start, uint64_t end,
		    uint64_t mask, uint64_t want);
int model_runs(const struct model *m, unsigned int layer, uint64_t start, uint64_t end,
	       memattr_run_fn fn, void *opaque);
/* memattr_huge_order()'s order: from model_extent()'s, down to a multiple of 9. */
unsigned int model_huge_order(const struct model *m, unsigned int layer, uint64_t gfn);
/* Combined view, as memattr_combine() over the layers in @layers. */
uint8_t model_combined_get(const struct model *m, uint32_t layers, uint64_t gfn);

#endif
