// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Views: each lower VTL's alias carries the combination of the layers that
 * limit it (the masks of the VTLs above it) as host page protections.  KVM
 * honours host protections through its MMU notifiers, so a protection change
 * is one mprotect() per coalesced run and no memslot update.
 *
 * Host mappings are bounded (vm.max_map_count).  Every alias has a budget of
 * VMAs; the per-page host protection is mirrored here so that the count is
 * known before a call is made.  A change that would exceed the budget (or an
 * mprotect() the kernel refuses) makes the smallest aligned block holding it
 * PROT_NONE for good: stricter than any value, so nothing fails open, and the
 * accesses the attributes allow come back as MMIO exits that exits.c emulates.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vm_int.h"

#define PROT_RW (PROT_READ | PROT_WRITE)

int memattr_vm_prot_of(uint64_t value)
{
	uint64_t p = value & MEMATTR_PROT_MASK;

	if (!p)
		return PROT_RW;
	if (p & MEMATTR_NO_ACCESS)
		return PROT_NONE;
	/*
	 * Execute rights have no host-protection counterpart KVM honours: R|X
	 * and R look the same to the guest, and so do R|W|X and R|W.
	 */
	if (p & MEMATTR_WRITE)
		return PROT_RW;
	return PROT_READ;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Boundaries (prot[i] != prot[i - 1]) for i in [s, e], clipped to the alias. */
static uint64_t boundaries(const struct memattr_vm *vm, const uint8_t *prot, uint64_t s, uint64_t e)
{
	uint64_t n = 0;

	if (s == 0)
		s = 1;
	if (e > vm->pages - 1)
		e = vm->pages - 1;
	for (uint64_t i = s; i <= e; i++)
		n += prot[i] != prot[i - 1];
	return n;
}

/* VMAs the alias would use with [s, e) set to @p. */
static uint64_t vmas_after(const struct memattr_vm *vm, const struct alias *a, uint64_t s,
			   uint64_t e, uint8_t p)
{
	uint64_t before = boundaries(vm, a->prot, s, e), after = 0;

	if (s > 0)
		after += a->prot[s - 1] != p;
	if (e < vm->pages)
		after += a->prot[e] != p;
	return a->vmas - before + after;
}

static int protect(struct memattr_vm *vm, struct alias *a, uint64_t s, uint64_t e, uint8_t p)
{
	uint64_t t0 = now_ns(), vmas = vmas_after(vm, a, s, e, p);
	int ret;

	if (vm->memslots) {
		ret = slots_apply(vm, a, s, e, p);
	} else {
		ret = mprotect(a->base + (s << MEMATTR_PAGE_SHIFT), (e - s) << MEMATTR_PAGE_SHIFT,
			       p)
			      ? -errno
			      : 0;
		if (!ret)
			memset(a->prot + s, p, e - s);
	}
	vm->stats.mprotect_ns += now_ns() - t0;
	vm->stats.mprotects++;
	if (ret)
		return ret;
	a->vmas = vmas;
	return 0;
}

static void vmas_sum(struct memattr_vm *vm)
{
	vm->stats.vmas = 0;
	for (unsigned int v = 0; v < vm->vtls; v++)
		if (vm->mask[v])
			vm->stats.vmas += vm->alias[v].vmas;
}

/*
 * Hold the smallest naturally aligned block of at least 2 MiB holding
 * [s, e) at PROT_NONE, growing the block until the budget fits.  Blocks stop
 * short of the VMM's own pages (page tables, GDT): a guest cannot run with
 * those unmapped.  If even everything else at PROT_NONE does not fit, the
 * whole alias goes PROT_NONE (one VMA): the guest stops, it does not get more
 * rights.  If that mprotect() fails too the view is marked broken and the VM
 * refuses to run.
 */
static void fallback(struct memattr_vm *vm, struct alias *a, uint64_t s, uint64_t e)
{
	const uint64_t lo = VMM_RESERVED >> MEMATTR_PAGE_SHIFT;
	uint64_t size = 512, bs, be;

	for (;;) {
		bs = s & ~(size - 1);
		be = bs + size;
		if (be > vm->pages)
			be = vm->pages;
		if (bs < lo && s >= lo)
			bs = lo;
		if (be >= e && vmas_after(vm, a, bs, be, PROT_NONE) <= vm->budget)
			break;
		if (bs <= lo && be == vm->pages) {
			bs = 0; /* nothing smaller fits */
			break;
		}
		size *= 2;
	}
	vm->stats.fallbacks++;
	if (protect(vm, a, bs, be, PROT_NONE)) {
		if (protect(vm, a, 0, vm->pages, PROT_NONE))
			vm->views.error = -ENOMEM;
		be = vm->pages;
		bs = 0;
	}
	memset(a->fallback + bs, 1, be - bs);
	/* Aligned blocks nest or are disjoint: the new one swallows those inside it. */
	for (unsigned int i = 0; i < a->nfb;)
		if (a->fb[i].start >= bs && a->fb[i].end <= be)
			a->fb[i] = a->fb[--a->nfb];
		else
			i++;
	if (a->nfb < sizeof(a->fb) / sizeof(a->fb[0]))
		a->fb[a->nfb++] = (struct fb_block){ bs, be };
	/* else: the block stays PROT_NONE for good (never re-made exact) */
}

struct refresh_ctx {
	struct memattr_vm *vm;
	struct alias *a;
	bool any;
	uint8_t first, last;
	uint64_t transitions, limit;
	int ret;
};

static int count_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct refresh_ctx *ctx = opaque;
	uint8_t p = memattr_vm_prot_of(value);

	(void)start;
	(void)end;
	if (!ctx->any)
		ctx->first = p;
	else if (p != ctx->last)
		ctx->transitions++;
	ctx->any = true;
	ctx->last = p;
	return ctx->transitions > ctx->limit; /* cannot fit: stop counting */
}

static int exact_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct refresh_ctx *ctx = opaque;

	ctx->ret = protect(ctx->vm, ctx->a, start, end, memattr_vm_prot_of(value));
	return ctx->ret;
}

/*
 * Make fallback blocks exact again when protections were lifted enough that
 * the budget has room: the block's runs must fit in three quarters of it, so
 * that a view does not flap between exact and fallback.  Call with the store
 * quiet (not from the notifier): the block is read from the store.
 */
int views_refresh(struct memattr_vm *vm)
{
	/* Only changes can make room; counting stops at the room there is. */
	if (vm->views.refreshed_at == vm->stats.changes)
		return 0;
	vm->views.refreshed_at = vm->stats.changes;
	for (unsigned int v = 0; v < vm->vtls; v++) {
		struct alias *a = &vm->alias[v];

		for (unsigned int i = 0; i < a->nfb;) {
			struct refresh_ctx ctx = { .vm = vm, .a = a };
			uint64_t bs = a->fb[i].start, be = a->fb[i].end, after, rest;
			int ret;

			rest = a->vmas - boundaries(vm, a->prot, bs, be);
			if (rest + 2 > vm->budget * 3 / 4) {
				i++;
				continue;
			}
			ctx.limit = vm->budget * 3 / 4 - rest;
			ret = memattr_combined_runs(vm->store, vm->mask[v], bs, be, count_run,
						    &ctx);
			if (ret < 0)
				return ret;
			after = ctx.transitions + (bs > 0 && a->prot[bs - 1] != ctx.first) +
				(be < vm->pages && a->prot[be] != ctx.last);
			if (ret || rest + after > vm->budget * 3 / 4) {
				i++;
				continue;
			}
			ret = memattr_combined_runs(vm->store, vm->mask[v], bs, be, exact_run,
						    &ctx);
			if (ret || ctx.ret)
				return ctx.ret ? ctx.ret
					       : ret; /* still PROT_NONE where it failed */
			memset(a->fallback + bs, 0, be - bs);
			a->fb[i] = a->fb[--a->nfb];
			vm->stats.refreshes++;
		}
	}
	vmas_sum(vm);
	return 0;
}

/*
 * One page opened for one single-stepped instruction (fault.c): the view's
 * per-page record (a->prot) is left as it is, so the VMA count stays that of
 * the view and view_page_restore() puts back exactly the view's protection.
 * Nothing changes the store meanwhile: the VMM is its writer and steps on
 * the thread that serves the hypercalls.
 */
int view_page_open(struct memattr_vm *vm, unsigned int vtl, uint64_t gfn, int prot)
{
	struct alias *a = &vm->alias[vtl];

	if (gfn >= vm->pages)
		return -EINVAL;
	return mprotect(a->base + (gfn << MEMATTR_PAGE_SHIFT), MEMATTR_PAGE_SIZE, prot) ? -errno
											: 0;
}

int view_page_restore(struct memattr_vm *vm, unsigned int vtl, uint64_t gfn)
{
	struct alias *a = &vm->alias[vtl];

	if (gfn >= vm->pages)
		return -EINVAL;
	if (mprotect(a->base + (gfn << MEMATTR_PAGE_SHIFT), MEMATTR_PAGE_SIZE, a->prot[gfn])) {
		vm->views.error =
			-errno; /* the page may be looser than the view: never run again */
		return vm->views.error;
	}
	return 0;
}

int memattr_vm_views_refresh(struct memattr_vm *vm)
{
	return vm ? views_refresh(vm) : -EINVAL;
}

static bool all_prot(const struct alias *a, uint64_t s, uint64_t e, uint8_t p)
{
	while (s < e && a->prot[s] == p)
		s++;
	return s == e;
}

static void view_set(struct memattr_vm *vm, unsigned int vtl, uint64_t s, uint64_t e,
		     uint64_t value)
{
	struct alias *a = &vm->alias[vtl];
	uint8_t p = memattr_vm_prot_of(value);

	if (s >= vm->pages)
		return;
	if (e > vm->pages)
		e = vm->pages;
	while (s < e) {
		/* One mprotect per run of pages not yet in fallback. */
		uint64_t r = s;
		bool fb = a->fallback[s];

		while (r < e && a->fallback[r] == fb)
			r++;
		if (!fb && !all_prot(a, s, r, p)) {
			if (vmas_after(vm, a, s, r, p) > vm->budget || protect(vm, a, s, r, p))
				fallback(vm, a, s, r);
		}
		s = r;
	}
	vmas_sum(vm);
}

struct combine_ctx {
	struct memattr_vm *vm;
	unsigned int vtl;
	uint64_t with; /* combined into every run's value */
};

static int view_set_run(void *opaque, uint64_t start, uint64_t end, uint64_t value)
{
	struct combine_ctx *ctx = opaque;

	view_set(ctx->vm, ctx->vtl, start, end, memattr_combine(value, ctx->with));
	return 0;
}

/*
 * Called before the change is visible: a tightening is in place before anyone
 * relies on it.  A VTL limited by several layers sees the new value combined
 * with its other layers, which the store still reports as they are.  A
 * change to VTL n's mask (layer n - 1) concerns every VTL below n.
 */
static void view_notify(struct memattr_notifier *n, const struct memattr_change *c)
{
	struct memattr_vm *vm = n->opaque;

	vm->stats.changes++;
	for (unsigned int v = 0; v < vm->vtls; v++) {
		uint32_t others = vm->mask[v] & ~(1U << c->layer);
		struct combine_ctx ctx = { vm, v, c->new_value };

		if (!(vm->mask[v] & 1U << c->layer))
			continue;
		if (!others)
			view_set(vm, v, c->start, c->end, c->new_value);
		else if (memattr_combined_runs(vm->store, others, c->start, c->end, view_set_run,
					       &ctx))
			vm->views.error = -EINVAL;
	}
}

int views_init(struct memattr_vm *vm)
{
	/* The store may already hold protections: bring the aliases in line first. */
	for (unsigned int v = 0; v < vm->vtls; v++) {
		struct combine_ctx ctx = { vm, v, 0 };
		int ret;

		if (!vm->mask[v])
			continue;
		ret = memattr_combined_runs(vm->store, vm->mask[v], 0, vm->pages, view_set_run,
					    &ctx);
		if (ret)
			return ret < 0 ? ret : -EINVAL;
	}
	/* One notifier, on the layers of every VTL's mask. */
	for (unsigned int v = 0; v < vm->vtls; v++)
		vm->views.notifier.layers |= vm->mask[v];
	if (vm->views.notifier.layers) {
		int ret;

		vm->views.notifier.notify = view_notify;
		vm->views.notifier.opaque = vm;
		ret = memattr_notifier_register(vm->store, &vm->views.notifier);
		if (ret) {
			vm->views.notifier.notify = NULL; /* views_fini() has nothing to take off */
			return ret;
		}
	}
	return vm->views.error;
}

void views_fini(struct memattr_vm *vm)
{
	if (vm->views.notifier.notify)
		memattr_notifier_unregister(vm->store, &vm->views.notifier);
	vm->views.notifier.notify = NULL;
}
