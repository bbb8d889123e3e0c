/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Baseline: a flat array, one byte per page per layer (the speed of light
 * for lookups), with KVM-style "mixed" flags per 2 MiB and 1 GiB block for
 * huge-page order queries (KVM's lpage_info).
 */
#ifndef MEMATTR_BENCH_BASELINE_FLAT_H
#define MEMATTR_BENCH_BASELINE_FLAT_H

#include <stdint.h>
#include <string.h>

#include <memattr/memattr.h>

struct flat {
	unsigned int layers;
	uint64_t pages;
	uint8_t *b[MEMATTR_MAX_LAYERS];
	uint8_t *mixed[2]; /* layer 0: 2 MiB and 1 GiB blocks of more than one value */
};

int flat_create(struct flat *f, unsigned int layers, uint64_t pages);
void flat_destroy(struct flat *f);
uint64_t flat_bytes(const struct flat *f);
int flat_mixed_build(struct flat *f);

static inline void flat_set(struct flat *f, unsigned int layer, uint64_t start, uint64_t end,
			    uint8_t v)
{
	memset(f->b[layer] + start, v, end - start);
}

static inline uint8_t flat_get(const struct flat *f, unsigned int layer, uint64_t gfn)
{
	return f->b[layer][gfn];
}

/* Largest order (0, 9 or 18, as x86 KVM) whose aligned block around @gfn is uniform. */
static inline unsigned int flat_order(const struct flat *f, uint64_t gfn)
{
	if (!f->mixed[1][gfn >> 18])
		return 18;
	return f->mixed[0][gfn >> 9] ? 0 : 9;
}

#endif
