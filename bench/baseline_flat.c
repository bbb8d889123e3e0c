// SPDX-License-Identifier: LGPL-2.1-or-later
/* Baseline: a flat byte array per layer; see baseline_flat.h. */
#include <errno.h>
#include <stdlib.h>

#include "baseline_flat.h"

/**
 * flat_create() - zeroed arrays of @pages bytes for @layers layers
 * @f: the baseline
 * @layers: 1..MEMATTR_MAX_LAYERS
 * @pages: pages per layer
 *
 * Return: 0 or -ENOMEM.
 */
int flat_create(struct flat *f, unsigned int layers, uint64_t pages)
{
	memset(f, 0, sizeof(*f));
	f->layers = layers;
	f->pages = pages;
	for (unsigned int l = 0; l < layers; l++) {
		f->b[l] = calloc(pages, 1);
		if (!f->b[l]) {
			flat_destroy(f);
			return -ENOMEM;
		}
	}
	return 0;
}

/** flat_destroy() - free @f's arrays. */
void flat_destroy(struct flat *f)
{
	for (unsigned int l = 0; l < MEMATTR_MAX_LAYERS; l++)
		free(f->b[l]);
	free(f->mixed[0]);
	free(f->mixed[1]);
	memset(f, 0, sizeof(*f));
}

/** flat_bytes() - memory of the value arrays (what a flat design must hold). */
uint64_t flat_bytes(const struct flat *f)
{
	return f->pages * f->layers;
}

static bool uniform(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 1; i < n; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

/**
 * flat_mixed_build() - compute layer 0's mixed flags, as KVM does after attribute changes
 * @f: the baseline
 *
 * Return: 0 or -ENOMEM.
 */
int flat_mixed_build(struct flat *f)
{
	uint64_t n2 = (f->pages + 511) >> 9, n1 = (f->pages + (1 << 18) - 1) >> 18;

	free(f->mixed[0]);
	free(f->mixed[1]);
	f->mixed[0] = calloc(n2, 1);
	f->mixed[1] = calloc(n1, 1);
	if (!f->mixed[0] || !f->mixed[1])
		return -ENOMEM;
	for (uint64_t i = 0; i < n2; i++) {
		uint64_t lo = i << 9, n = f->pages - lo < 512 ? f->pages - lo : 512;

		f->mixed[0][i] = !uniform(f->b[0] + lo, n);
	}
	for (uint64_t i = 0; i < n1; i++) {
		uint64_t lo = i << 18, n = f->pages - lo < (1 << 18) ? f->pages - lo : (1 << 18);

		f->mixed[1][i] = !uniform(f->b[0] + lo, n);
	}
	return 0;
}
