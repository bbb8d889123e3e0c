// SPDX-License-Identifier: LGPL-2.1-or-later
/* Baseline: JudyL per-page map; see baseline_judy.h. */
#include <errno.h>
#include <string.h>

#include "baseline_judy.h"

#ifdef HAVE_JUDY
#include <Judy.h>

bool judy_available(void)
{
	return true;
}

/**
 * judy_set() - give pages [@start, @end) of @layer the value @v, one page at a time
 * @j: the map
 * @layer: layer index
 * @start: first gfn
 * @end: first gfn after the range
 * @v: the value; 0 removes the pages (absent means 0, as in KVM's xarray)
 *
 * Return: 0 or -ENOMEM.
 */
int judy_set(struct judy *j, unsigned int layer, uint64_t start, uint64_t end, uint8_t v)
{
	for (uint64_t g = start; g < end; g++) {
		if (!v) {
			JudyLDel(&j->a[layer], g, PJE0);
			continue;
		}
		PPvoid_t p = JudyLIns(&j->a[layer], g, PJE0);

		if (p == PPJERR)
			return -ENOMEM;
		*(Word_t *)p = v;
	}
	return 0;
}

/** judy_lookups() - look @n gfns up; returns the sum of their values. */
uint64_t judy_lookups(const struct judy *j, unsigned int layer, const uint64_t *gfns, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		PPvoid_t p = JudyLGet(j->a[layer], gfns[i], PJE0);

		sum += p ? *(Word_t *)p : 0;
	}
	return sum;
}

/** judy_bytes() - memory Judy holds for all layers. */
uint64_t judy_bytes(const struct judy *j)
{
	uint64_t sum = 0;

	for (unsigned int l = 0; l < MEMATTR_MAX_LAYERS; l++)
		sum += JudyLMemUsed(j->a[l]);
	return sum;
}

/** judy_destroy() - free every layer's array. */
void judy_destroy(struct judy *j)
{
	for (unsigned int l = 0; l < MEMATTR_MAX_LAYERS; l++)
		JudyLFreeArray(&j->a[l], PJE0);
	memset(j, 0, sizeof(*j));
}

#else

bool judy_available(void)
{
	return false;
}

int judy_set(struct judy *j, unsigned int layer, uint64_t start, uint64_t end, uint8_t v)
{
	(void)j, (void)layer, (void)start, (void)end, (void)v;
	return -ENOTSUP;
}

uint64_t judy_lookups(const struct judy *j, unsigned int layer, const uint64_t *gfns, size_t n)
{
	(void)j, (void)layer, (void)gfns, (void)n;
	return 0;
}

uint64_t judy_bytes(const struct judy *j)
{
	(void)j;
	return 0;
}

void judy_destroy(struct judy *j)
{
	memset(j, 0, sizeof(*j));
}

#endif
