// SPDX-License-Identifier: LGPL-2.1-or-later
/* The reference model; see model.h.  Correct by inspection, not fast. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

struct model {
	unsigned int layers;
	unsigned int gfn_bits;
	uint64_t nr_pages;
	size_t n;      /* intervals */
	uint64_t *pts; /* n + 1 entries, pts[n] = nr_pages */
	uint8_t *val;  /* layers * n */
};

struct model *model_create(unsigned int layers, unsigned int gfn_bits, const uint64_t *points,
			   size_t npoints)
{
	struct model *m = calloc(1, sizeof(*m));
	size_t k = 0;

	if (!m)
		return NULL;
	m->layers = layers;
	m->gfn_bits = gfn_bits;
	m->nr_pages = 1ULL << gfn_bits;
	m->pts = malloc((npoints + 2) * sizeof(*m->pts));
	if (!m->pts)
		goto out_free;
	m->pts[k++] = 0;
	for (size_t i = 0; i < npoints; i++)
		if (points[i] > m->pts[k - 1] && points[i] < m->nr_pages)
			m->pts[k++] = points[i];
	m->n = k;
	m->pts[k] = m->nr_pages;
	m->val = calloc(layers * m->n, 1);
	if (!m->val)
		goto out_free;
	return m;
out_free:
	free(m->pts);
	free(m);
	return NULL;
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	free(m->val);
	free(m->pts);
	free(m);
}

size_t model_points(const struct model *m)
{
	return m->n;
}

uint64_t model_point(const struct model *m, size_t i)
{
	return m->pts[i];
}

/* Index of the interval holding @gfn. */
static size_t interval_of(const struct model *m, uint64_t gfn)
{
	size_t lo = 0, hi = m->n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->pts[mid] <= gfn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the breakpoint equal to @gfn, or SIZE_MAX. */
static size_t point_index(const struct model *m, uint64_t gfn)
{
	size_t i = gfn == m->nr_pages ? m->n : interval_of(m, gfn);

	return m->pts[i] == gfn ? i : SIZE_MAX;
}

static uint8_t *row(const struct model *m, unsigned int layer)
{
	return m->val + (size_t)layer * m->n;
}

int model_set(struct model *m, unsigned int layer, uint64_t start, uint64_t end, uint8_t value,
	      void (*fn)(void *opaque, const struct memattr_change *c), void *opaque)
{
	size_t a = point_index(m, start), b = end <= m->nr_pages ? point_index(m, end) : SIZE_MAX;
	uint8_t *r = row(m, layer);
	struct memattr_change ch;
	bool pending = false;

	if (layer >= m->layers || a == SIZE_MAX || b == SIZE_MAX || a >= b)
		return -EINVAL;
	for (size_t i = a; i < b && fn; i++) {
		if (r[i] == value)
			continue;
		if (pending && ch.end == m->pts[i] && ch.old_value == r[i]) {
			ch.end = m->pts[i + 1];
			continue;
		}
		if (pending)
			fn(opaque, &ch);
		ch = (struct memattr_change){ .layer = layer,
					      .start = m->pts[i],
					      .end = m->pts[i + 1],
					      .old_value = r[i],
					      .new_value = value };
		pending = true;
	}
	if (pending)
		fn(opaque, &ch);
	memset(r + a, value, b - a);
	return 0;
}

uint8_t model_get(const struct model *m, unsigned int layer, uint64_t gfn)
{
	return row(m, layer)[interval_of(m, gfn)];
}

void model_extent(const struct model *m, unsigned int layer, uint64_t gfn, struct memattr_extent *e)
{
	const uint8_t *r = row(m, layer);
	size_t i = interval_of(m, gfn), lo = i, hi = i + 1;
	unsigned int k;

	while (lo > 0 && r[lo - 1] == r[i])
		lo--;
	while (hi < m->n && r[hi] == r[i])
		hi++;
	e->value = r[i];
	e->start = m->pts[lo];
	e->end = m->pts[hi];
	/* The largest aligned block around gfn that lies inside the run. */
	for (k = m->gfn_bits; k > 0; k--) {
		uint64_t first = gfn & ~((1ULL << k) - 1);

		if (first >= e->start && first + (1ULL << k) <= e->end)
			break;
	}
	e->order = k;
}

int model_range_has(const struct model *m, unsigned int layer, uint64_t start, uint64_t end,
		    uint64_t mask, uint64_t want)
{
	for (uint64_t g = start; g < end;) {
		size_t i = interval_of(m, g);

		if ((row(m, layer)[i] & mask) != want)
			return 0;
		g = m->pts[i + 1];
	}
	return 1;
}

int model_runs(const struct model *m, unsigned int layer, uint64_t start, uint64_t end,
	       memattr_run_fn fn, void *opaque)
{
	const uint8_t *r = row(m, layer);

	for (uint64_t g = start; g < end;) {
		size_t i = interval_of(m, g), j = i + 1;
		uint64_t stop;
		int ret;

		while (j < m->n && r[j] == r[i] && m->pts[j] < end)
			j++;
		stop = m->pts[j] < end ? m->pts[j] : end;
		ret = fn(opaque, g, stop, r[i]);
		if (ret)
			return ret;
		g = stop;
	}
	return 0;
}

/* The largest k in 0, 9, 18, ... (or the whole space) whose aligned block around @gfn is uniform.
 */
unsigned int model_huge_order(const struct model *m, unsigned int layer, uint64_t gfn)
{
	struct memattr_extent e;
	unsigned int k;

	model_extent(m, layer, gfn, &e);
	if (e.order == m->gfn_bits)
		return e.order;
	for (k = 0; k + 9 <= e.order; k += 9)
		;
	return k;
}

uint8_t model_combined_get(const struct model *m, uint32_t layers, uint64_t gfn)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < m->layers; i++)
		if (layers & (1U << i))
			v = memattr_combine(v, model_get(m, i, gfn));
	return (uint8_t)v;
}
