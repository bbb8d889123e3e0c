/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Baseline: a per-page map in Judy arrays (JudyL gfn -> value), one insert
 * or delete per page, the cost model of upstream KVM's per-page XArray.
 * Optional: without libJudy every call returns -ENOTSUP.
 */
#ifndef MEMATTR_BENCH_BASELINE_JUDY_H
#define MEMATTR_BENCH_BASELINE_JUDY_H

#include <stdbool.h>
#include <stdint.h>

#include <memattr/memattr.h>

struct judy {
	void *a[MEMATTR_MAX_LAYERS];
};

bool judy_available(void);
int judy_set(struct judy *j, unsigned int layer, uint64_t start, uint64_t end, uint8_t v);
uint64_t judy_lookups(const struct judy *j, unsigned int layer, const uint64_t *gfns, size_t n);
uint64_t judy_bytes(const struct judy *j);
void judy_destroy(struct judy *j);

#endif
