// SPDX-License-Identifier: LGPL-2.1-or-later
/* A generated trace as a `memattr script` (docs/script.md): config, then one set per op. */
#include <errno.h>
#include <inttypes.h>

#include <memattr/memattr.h>

#include "trace.h"

static unsigned long long batch_pages(const struct trace *t, size_t i)
{
	size_t j = i;

	while (j < t->nops && t->ops[j].batch == t->ops[i].batch)
		j++;
	return j - i;
}

/**
 * trace_write() - write @t as a memattr script
 * @t: a generated trace
 * @f: where to
 *
 * Each batch starts with a comment line naming it; every change is one
 * single-page `set` line, in the order the guest listed the pages.
 *
 * Return: 0 or -EIO.
 */
int trace_write(const struct trace *t, FILE *f)
{
	const struct trace_params *p = &t->p;
	uint32_t batch = 0;

	fprintf(f,
		"# memattr gen: VSM boot trace, seed %" PRIu64 ", guest 0x%" PRIx64
		" bytes, %u layers, %" PRIu64 " changes in %" PRIu32 " batches\n"
		"# shape and rationale: docs/trace.md\n"
		"config layers=%u gpa_bits=%u\n",
		p->seed, p->guest_bytes, p->layers, p->changes, t->nbatches, p->layers,
		p->gpa_bits);
	for (size_t i = 0; i < t->nops; i++) {
		const struct trace_op *op = &t->ops[i];

		if (i == 0)
			fprintf(f, "# %s of every layer\n", trace_kind_name(TRACE_SWEEP));
		if (i >= t->nsweep && op->batch != batch) {
			batch = op->batch;
			fprintf(f, "# batch %" PRIu32 ": %llu pages, 0x%x, %s\n", batch,
				batch_pages(t, i), op->value, trace_kind_name(op->kind));
		}
		fprintf(f, "set %u 0x%" PRIx64 " 0x%" PRIx64 " 0x%x\n", op->layer,
			op->gfn << MEMATTR_PAGE_SHIFT, op->npages << MEMATTR_PAGE_SHIFT, op->value);
	}
	return ferror(f) ? -EIO : 0;
}
