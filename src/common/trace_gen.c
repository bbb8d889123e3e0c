// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A seeded VSM boot trace, in memory.  docs/trace.md describes the shape and
 * the reasons for it; in short: the default-protection sweep over all RAM of
 * every layer, then single-page changes of layer 0 in TLFS-sized batches
 * (one protection mask per batch): the secure kernel's own region, image
 * sections (R|X code, R read-only data, R|W data), scattered page-table pages
 * (R) and secure pages (NO_ACCESS), and later toggles of pages already changed.
 * Physical pages come from a few dozen "arenas" that fill up with small gaps,
 * the way a guest's page allocator hands out memory with locality.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <memattr/memattr.h>

#include "rng.h"
#include "trace.h"

#define R   MEMATTR_READ
#define RW  (MEMATTR_READ | MEMATTR_WRITE)
#define RX  (MEMATTR_READ | MEMATTR_EXECUTE)
#define RWX MEMATTR_RWX
#define NA  MEMATTR_NO_ACCESS

#define GIB_PAGES (1ULL << (30 - MEMATTR_PAGE_SHIFT))
#define NARENAS	  64

struct arena {
	uint64_t base; /* RAM page index */
	uint64_t next;
	uint64_t end;
};

struct gen {
	struct trace *t;
	struct rng rng;
	struct ram_layout ram;
	uint64_t ram_pages;
	uint64_t budget; /* changes still to emit */
	uint64_t arena_span;
	struct arena arena[NARENAS];
	unsigned int cur;
	/* the batch being filled */
	uint8_t value;
	uint8_t kind;
	unsigned int in_batch;
};

void trace_params_default(struct trace_params *p)
{
	p->guest_bytes = TRACE_DEFAULT_GUEST;
	p->changes = TRACE_DEFAULT_CHANGES;
	p->seed = TRACE_DEFAULT_SEED;
	p->layers = TRACE_DEFAULT_LAYERS;
	p->gpa_bits = TRACE_DEFAULT_GPA_BITS;
}

void ram_layout_of(uint64_t guest_bytes, struct ram_layout *r)
{
	uint64_t pages = guest_bytes >> MEMATTR_PAGE_SHIFT;

	/* The usual PC layout: low RAM, the 32-bit MMIO hole [3 GiB, 4 GiB), the rest above. */
	r->low_pages = pages < 3 * GIB_PAGES ? pages : 3 * GIB_PAGES;
	r->high_start = 4 * GIB_PAGES;
	r->high_pages = pages - r->low_pages;
}

uint64_t ram_gfn(const struct ram_layout *r, uint64_t index)
{
	return index < r->low_pages ? index : r->high_start + (index - r->low_pages);
}

/**
 * trace_params_check() - are @p's parameters usable?
 * @p: the parameters
 * @why: on error, what is wrong
 *
 * Return: 0 or -EINVAL.
 */
int trace_params_check(const struct trace_params *p, const char **why)
{
	struct ram_layout r;
	uint64_t end;

	if (p->guest_bytes < TRACE_MIN_GUEST || p->guest_bytes > TRACE_MAX_GUEST ||
	    p->guest_bytes % (2ULL << 20)) {
		*why = "guest size must be a multiple of 2 MiB from 64 MiB to 1 TiB";
		return -EINVAL;
	}
	if (p->layers < 1 || p->layers > MEMATTR_MAX_LAYERS) {
		*why = "layers must be 1..16";
		return -EINVAL;
	}
	ram_layout_of(p->guest_bytes, &r);
	end = r.high_pages ? r.high_start + r.high_pages : r.low_pages;
	if (p->gpa_bits < MEMATTR_MIN_GPA_BITS || p->gpa_bits > MEMATTR_MAX_GPA_BITS ||
	    (p->gpa_bits < 64 && end > (1ULL << (p->gpa_bits - MEMATTR_PAGE_SHIFT)))) {
		*why = "gpa_bits must be 12..64 and cover the guest's RAM (above the 4 GiB hole)";
		return -EINVAL;
	}
	/* Arenas need room to spread: at most one changed page in 8 of RAM. */
	if (p->changes > (r.low_pages + r.high_pages) / 8) {
		*why = "too many changes for the guest size (at most one page in 8 of RAM)";
		return -EINVAL;
	}
	return 0;
}

static int op_push(struct trace *t, const struct trace_op *op)
{
	if (t->nops == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		struct trace_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap = cap;
	}
	t->ops[t->nops++] = *op;
	return 0;
}

static void batch_begin(struct gen *g, uint8_t value, uint8_t kind)
{
	g->t->nbatches++;
	g->value = value;
	g->kind = kind;
	g->in_batch = 0;
}

/* One page of the current batch; a full batch continues in a new one (same mask). */
static int page_add(struct gen *g, uint64_t index)
{
	struct trace_op op = {
		.gfn = ram_gfn(&g->ram, index % g->ram_pages),
		.npages = 1,
		.layer = 0,
		.value = g->value,
		.kind = g->kind,
	};

	if (!g->budget)
		return 0;
	if (g->in_batch == TRACE_BATCH_MAX)
		batch_begin(g, g->value, g->kind);
	op.batch = g->t->nbatches;
	g->in_batch++;
	g->budget--;
	return op_push(g->t, &op);
}

static void arena_place(struct gen *g, struct arena *a)
{
	a->base = rng_below(&g->rng, g->ram_pages - g->arena_span);
	a->next = a->base;
	a->end = a->base + g->arena_span;
}

/* The next page of the current arena, after a gap with probability num/den. */
static uint64_t arena_take(struct gen *g, uint64_t num, uint64_t den, uint64_t maxgap)
{
	struct arena *a = &g->arena[g->cur];

	if (rng_chance(&g->rng, num, den))
		a->next += 1 + rng_below(&g->rng, maxgap);
	if (a->next >= a->end)
		arena_place(g, a);
	return a->next++;
}

/* Locality: most events allocate where the previous one did. */
static void arena_pick(struct gen *g)
{
	if (rng_chance(&g->rng, 1, 4))
		g->cur = (unsigned int)rng_below(&g->rng, NARENAS);
}

static int section(struct gen *g, uint64_t pages, uint8_t value, uint8_t kind)
{
	int ret = 0;

	batch_begin(g, value, kind);
	for (uint64_t i = 0; i < pages && !ret; i++)
		ret = page_add(g, arena_take(g, 1, 32, 4));
	return ret;
}

/* A driver or kernel image: code, read-only data, data, pageable code. */
static int image_load(struct gen *g, uint64_t pages)
{
	static const struct {
		unsigned int pct;
		uint8_t value;
		uint8_t kind;
	} sections[] = {
		{ 50, RX, TRACE_IMAGE_CODE },
		{ 25, R, TRACE_IMAGE_RDATA },
		{ 15, RW, TRACE_IMAGE_DATA },
		{ 10, RX, TRACE_IMAGE_CODE },
	};
	int ret = 0;

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]) && !ret; i++) {
		uint64_t n = pages * sections[i].pct / 100;

		ret = section(g, n ? n : 1, sections[i].value, sections[i].kind);
	}
	return ret;
}

static int scattered(struct gen *g, uint64_t pages, uint8_t value, uint8_t kind, uint64_t num,
		     uint64_t den, uint64_t maxgap)
{
	int ret = 0;

	batch_begin(g, value, kind);
	for (uint64_t i = 0; i < pages && !ret; i++)
		ret = page_add(g, arena_take(g, num, den, maxgap));
	return ret;
}

/* What a later change does to a page that has @old: patching, freeing, sealing. */
static uint8_t toggled(struct gen *g, uint8_t old)
{
	if (rng_chance(&g->rng, 1, 8))
		return RWX; /* driver unloaded, page back to the default */
	switch (old) {
	case RX:
		return RW; /* made writable for patching or relocation */
	case RW:
		return rng_chance(&g->rng, 1, 2) ? RX : R; /* patched back, or sealed (KDP) */
	case R:
		return RW; /* page-table page freed */
	case NA:
		return RWX; /* secure page released */
	default:
		return R;
	}
}

/* Re-protect a stretch of pages changed earlier in the trace. */
static int toggle(struct gen *g, uint64_t pages)
{
	struct trace *t = g->t;
	size_t first;
	uint8_t value;
	int ret = 0;

	if (t->nops == t->nsweep)
		return 0;
	first = t->nsweep + (size_t)rng_below(&g->rng, t->nops - t->nsweep);
	value = toggled(g, t->ops[first].value);

	batch_begin(g, value, TRACE_TOGGLE);
	for (uint64_t i = 0; i < pages && first + i < t->nops && g->budget && !ret; i++) {
		struct trace_op op = t->ops[first + i];

		if (i && op.gfn <= t->ops[first + i - 1].gfn)
			break; /* keep a batch's list ascending, as the guest sorts it */
		if (g->in_batch == TRACE_BATCH_MAX)
			batch_begin(g, value, TRACE_TOGGLE);
		op.value = value;
		op.kind = TRACE_TOGGLE;
		op.batch = t->nbatches;
		g->in_batch++;
		g->budget--;
		ret = op_push(t, &op);
	}
	return ret;
}

static int sweep(struct gen *g)
{
	int ret = 0;

	for (unsigned int l = 0; l < g->t->p.layers && !ret; l++) {
		struct trace_op lo = { .gfn = 0,
				       .npages = g->ram.low_pages,
				       .layer = (uint8_t)l,
				       .value = RWX,
				       .kind = TRACE_SWEEP };
		struct trace_op hi = { .gfn = g->ram.high_start,
				       .npages = g->ram.high_pages,
				       .layer = (uint8_t)l,
				       .value = RWX,
				       .kind = TRACE_SWEEP };

		ret = op_push(g->t, &lo);
		if (!ret && hi.npages)
			ret = op_push(g->t, &hi);
	}
	g->t->nsweep = g->t->nops;
	return ret;
}

static int changes(struct gen *g)
{
	uint64_t total = g->budget, secure = total / 10, start;
	int ret;

	/* The secure kernel's memory, withdrawn from VTL 0 in one contiguous stretch. */
	start = rng_below(&g->rng, g->ram_pages - secure);
	batch_begin(g, NA, TRACE_SECURE_REGION);
	for (uint64_t i = 0; i < secure; i++) {
		ret = page_add(g, start + i);
		if (ret)
			return ret;
	}
	/* The kernel image itself comes first, then drivers and the rest, interleaved. */
	ret = image_load(g, 2600);
	while (!ret && g->budget) {
		uint64_t roll = rng_below(&g->rng, 100);
		bool late = g->budget < total * 2 / 3;

		arena_pick(g);
		if (roll < 25) {
			uint64_t scale = 1ULL << rng_below(&g->rng, 10);

			ret = image_load(g, 4 + scale + rng_below(&g->rng, scale));
		} else if (roll < 60) {
			ret = scattered(g, 1 + rng_below(&g->rng, 64), R, TRACE_PAGE_TABLES, 1, 2,
					16);
		} else if (roll < 75) {
			ret = scattered(g, 1 + rng_below(&g->rng, 16), NA, TRACE_SECURE_PAGES, 3, 4,
					256);
		} else if (late) {
			ret = toggle(g, 1 + rng_below(&g->rng, 128));
		}
	}
	return ret;
}

/* Number the batches 1.. without the empty ones a cut-short event left behind. */
static void batches_renumber(struct trace *t)
{
	uint32_t n = 0, prev = 0;

	for (size_t i = t->nsweep; i < t->nops; i++) {
		if (t->ops[i].batch != prev) {
			prev = t->ops[i].batch;
			n++;
		}
		t->ops[i].batch = n;
	}
	t->nbatches = n;
}

/**
 * trace_generate() - make the boot trace @p describes
 * @p: parameters, checked with trace_params_check()
 * @t: the trace; free with trace_free()
 *
 * Return: 0, -EINVAL (bad parameters), -ENOMEM.
 */
int trace_generate(const struct trace_params *p, struct trace *t)
{
	struct gen g = { .t = t };
	const char *why;
	int ret;

	memset(t, 0, sizeof(*t));
	ret = trace_params_check(p, &why);
	if (ret)
		return ret;
	t->p = *p;
	rng_seed(&g.rng, p->seed);
	ram_layout_of(p->guest_bytes, &g.ram);
	g.ram_pages = g.ram.low_pages + g.ram.high_pages;
	g.budget = p->changes;
	g.arena_span = 2 * p->changes / NARENAS + 8192;
	if (g.arena_span > g.ram_pages / 4)
		g.arena_span = g.ram_pages / 4;
	for (unsigned int i = 0; i < NARENAS; i++)
		arena_place(&g, &g.arena[i]);
	ret = sweep(&g);
	if (!ret)
		ret = changes(&g);
	if (ret) {
		trace_free(t);
		return ret;
	}
	batches_renumber(t);
	return 0;
}

/** trace_free() - release what trace_generate() allocated. */
void trace_free(struct trace *t)
{
	free(t->ops);
	memset(t, 0, sizeof(*t));
}

const char *trace_kind_name(enum trace_kind k)
{
	static const char *const names[TRACE_KINDS] = {
		[TRACE_SWEEP] = "default-protection sweep",
		[TRACE_SECURE_REGION] = "secure kernel region",
		[TRACE_IMAGE_CODE] = "image code",
		[TRACE_IMAGE_RDATA] = "image read-only data",
		[TRACE_IMAGE_DATA] = "image data",
		[TRACE_PAGE_TABLES] = "page tables",
		[TRACE_SECURE_PAGES] = "secure pages",
		[TRACE_TOGGLE] = "toggle of protected pages",
	};

	return (unsigned int)k < TRACE_KINDS ? names[k] : "?";
}
