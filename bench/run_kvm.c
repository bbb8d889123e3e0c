// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot trace applied to a running VM: memattr_set() on
 * a store whose layer 0 limits VTL 0 of a memattr_vm, with the mprotect
 * views and then with the memslot comparison backend, until the latter stops
 * at KVM's slot limit or the run's cap.  Then 1,000,000 scattered changes
 * through the views of a 1 GiB VM.
 *
 * The trace is the run's own (64 GiB by default): the VM's one RAM region
 * spans it from GPA 0 to the end of high RAM, the 32-bit hole included.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <memattr/memattr.h>
#include <memattr/vm.h>

#include "bench.h"
#include "common/clock.h"
#include "common/rng.h"

#define KVM_RAM	      (1ULL << 30) /* the million's VM */
#define KVM_PAGES     (KVM_RAM >> MEMATTR_PAGE_SHIFT)
#define KVM_RAM_MAX   (128ULL << 30) /* memattr_vm's limit */
#define SLOTS_CAP     2000ULL	     /* memslot-view changes in a full run (minutes past it) */
#define CODE_GPA      0x20000ULL     /* past the VMM's own pages */
#define MSG_GPA	      0x100000ULL    /* VTL 1's message page */
#define GUEST_RUNS    16	     /* short guest runs interleaved with the changes */
#define MILLION	      1000000ULL
#define MILLION_QUICK 50000ULL

/* What one pass of changes did. */
struct kvm_pass {
	uint64_t done;	      /* changes applied before the pass stopped */
	uint64_t exact;	      /* changes applied before the first fallback */
	uint64_t ns;	      /* time in memattr_set(), guest runs excluded */
	unsigned int runs;    /* guest runs that halted */
	unsigned int stopped; /* guest runs that did not */
	struct memattr_vm_stats st;
	int err;
};

struct kvm_rows {
	struct row *per, *total, *done, *vmas;
	struct row *m_per, *m_done;
};

static void skip_all(struct kvm_rows *r, const char *why)
{
	struct row *rows[] = { r->per, r->total, r->done, r->vmas, r->m_per, r->m_done };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cell_skip(rows[i], IMPL_STORE, why);
		cell_skip(rows[i], IMPL_MEMSLOT, why);
	}
}

static int vm_make(struct memattr_store **s, struct memattr_vm **vm, uint64_t ram_size,
		   bool memslots, uint64_t max_map_count)
{
	struct memattr_config scfg = { .layers = 2, .gpa_bits = 46 };
	struct memattr_vm_config cfg = {
		.vtls = 2,
		.layer_mask = { 1u << 0, 0 },
		.ram_size = ram_size,
		.memslots = memslots,
		.max_map_count = max_map_count,
		.msg_gpa = { 0, MSG_GPA },
	};
	uint8_t *ram;
	int ret = memattr_store_create(&scfg, s);

	if (ret)
		return ret;
	cfg.store = *s;
	ret = memattr_vm_create(&cfg, vm);
	if (ret) {
		memattr_store_destroy(*s);
		return ret;
	}
	ram = memattr_vm_ram(*vm);
	ram[CODE_GPA] = 0xf4; /* hlt */
	return 0;
}

static void vm_free(struct memattr_store *s, struct memattr_vm *vm)
{
	memattr_vm_destroy(vm);
	memattr_store_destroy(s);
}

/*
 * VTL 0 runs from its first instruction to HLT.  A run the trace stops (its
 * code or page tables made inaccessible: an intercept VTL 1 has no handler
 * for) is counted, not an error: the changes are what is measured.
 */
static void guest_run(struct memattr_vm *vm, struct kvm_pass *p)
{
	unsigned int halted = 0;

	if (memattr_vm_vcpu_init(vm, 0, CODE_GPA, CODE_GPA + MEMATTR_PAGE_SIZE) ||
	    memattr_vm_run(vm, 0, &halted) || halted != 0)
		p->stopped++;
	else
		p->runs++;
}

static int set_one(struct memattr_store *s, uint64_t gfn, uint64_t npages, uint8_t layer,
		   uint64_t value)
{
	uint64_t next;
	int ret = memattr_set(s, layer, gfn, gfn + npages, value, 0, &next);

	return ret ? ret : next == gfn + npages ? 0 : -ENOMEM;
}

/*
 * @t's sweep, then its changes (at most @cap; 0: all), on a fresh store and
 * VM.  With @memslots the pass stops at the first fallback: the slots ran out.
 */
static int trace_pass(const struct bench *b, bool memslots, uint64_t cap, struct kvm_pass *p)
{
	const struct trace *t = &b->trace;
	uint64_t n = t->nops - t->nsweep, stride;
	struct memattr_store *s;
	struct memattr_vm *vm;
	int ret = vm_make(&s, &vm, b->ram_end << MEMATTR_PAGE_SHIFT, memslots, b->max_map_count);

	if (ret)
		return ret;
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < t->nsweep && !ret; i++)
		ret = set_one(s, t->ops[i].gfn, t->ops[i].npages, t->ops[i].layer, t->ops[i].value);
	guest_run(vm, p);
	if (cap && cap < n)
		n = cap;
	stride = n / GUEST_RUNS ?: 1;
	for (uint64_t k = 0; k < n && !ret; k += stride) {
		uint64_t end = k + stride < n ? k + stride : n, t0 = now_ns();

		for (uint64_t i = k; i < end; i++) {
			const struct trace_op *op = &t->ops[t->nsweep + i];

			ret = set_one(s, op->gfn, op->npages, op->layer, op->value);
			if (ret)
				break;
			p->done++;
			if (!memattr_vm_stats(vm)->fallbacks)
				p->exact = p->done;
			else if (memslots)
				break;
		}
		p->ns += now_ns() - t0;
		if (memslots && memattr_vm_stats(vm)->fallbacks)
			break;
		guest_run(vm, p);
	}
	p->err = ret;
	p->st = *memattr_vm_stats(vm);
	vm_free(s, vm);
	return 0;
}

#define MAP_COUNT_PATH "/proc/sys/vm/max_map_count"

static unsigned long map_count(void)
{
	unsigned long n = 0;
	FILE *f = fopen(MAP_COUNT_PATH, "r");

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/* The bench leaves the system as it found it. */
static void map_count_restore(unsigned long n)
{
	FILE *f;

	if (!n || map_count() == n)
		return;
	f = fopen(MAP_COUNT_PATH, "w");
	if (f) {
		fprintf(f, "%lu\n", n);
		fclose(f);
	}
}

/* @n scattered single-page changes of layer 0 (random pages and values) through the views. */
static int million_pass(const struct bench *b, uint64_t n, struct kvm_pass *p)
{
	static const uint8_t values[] = { MEMATTR_READ, MEMATTR_READ | MEMATTR_EXECUTE,
					  MEMATTR_NO_ACCESS, MEMATTR_READ | MEMATTR_WRITE,
					  MEMATTR_RWX };
	const uint64_t lo = 0x200000 >> MEMATTR_PAGE_SHIFT; /* the guest's code stays */
	uint64_t stride = n / GUEST_RUNS ?: 1;
	struct memattr_store *s;
	struct memattr_vm *vm;
	struct rng rng;
	int ret = vm_make(&s, &vm, KVM_RAM, false, b->max_map_count);

	if (ret)
		return ret;
	memset(p, 0, sizeof(*p));
	rng_seed(&rng, TRACE_DEFAULT_SEED);
	guest_run(vm, p);
	for (uint64_t k = 0; k < n && !ret; k += stride) {
		uint64_t end = k + stride < n ? k + stride : n, t0 = now_ns();

		for (uint64_t i = k; i < end && !ret; i++) {
			uint64_t g = lo + rng_below(&rng, KVM_PAGES - lo);

			ret = set_one(s, g, 1, 0, values[rng_below(&rng, sizeof(values))]);
			if (!ret && !memattr_vm_stats(vm)->fallbacks)
				p->exact = p->done + 1;
			p->done += !ret;
		}
		p->ns += now_ns() - t0;
		guest_run(vm, p);
	}
	p->err = ret;
	p->st = *memattr_vm_stats(vm);
	vm_free(s, vm);
	return 0;
}

static void view_cells(struct bench *b, struct kvm_rows *r, const struct kvm_pass *p)
{
	char note[64];

	cell_set(r->per, IMPL_STORE, p->done ? (double)p->ns / (double)p->done : 0,
		 "store + mprotect view");
	cell_set(r->total, IMPL_STORE, (double)p->ns, "store + mprotect view");
	snprintf(note, sizeof(note), "%s, %llu exact", p->err ? "set failed" : "all",
		 (unsigned long long)p->exact);
	cell_set(r->done, IMPL_STORE, (double)p->done, note);
	snprintf(note, sizeof(note), "%llu fallbacks", (unsigned long long)p->st.fallbacks);
	cell_set(r->vmas, IMPL_STORE, (double)p->st.vmas, note);
	bench_note(b,
		   "kvm view: %llu mprotects, %.2f us each; guest ran %u times to HLT, %u runs "
		   "stopped by the trace's protections",
		   (unsigned long long)p->st.mprotects,
		   p->st.mprotects ? (double)p->st.mprotect_ns / 1e3 / (double)p->st.mprotects : 0,
		   p->runs, p->stopped);
}

static void slot_cells(struct bench *b, struct kvm_rows *r, const struct kvm_pass *p,
		       uint64_t total)
{
	char note[64];

	cell_set(r->per, IMPL_MEMSLOT, p->done ? (double)p->ns / (double)p->done : 0,
		 "store + memslot view");
	if (p->st.fallbacks)
		snprintf(note, sizeof(note), "slot limit: %llu slots",
			 (unsigned long long)p->st.vmas);
	else if (p->done < total)
		snprintf(note, sizeof(note), "capped at %llu changes", (unsigned long long)p->done);
	else
		snprintf(note, sizeof(note), "all");
	cell_set(r->done, IMPL_MEMSLOT, (double)p->exact, note);
	if (p->done < total)
		snprintf(note, sizeof(note), "%llu changes only", (unsigned long long)p->done);
	cell_set(r->total, IMPL_MEMSLOT, (double)p->ns, note);
	cell_set(r->vmas, IMPL_MEMSLOT, (double)p->st.vmas, "runs: slots and gaps");
	bench_note(b, "kvm memslots: %llu slot rebuilds, %.2f us each",
		   (unsigned long long)p->st.mprotects,
		   p->st.mprotects ? (double)p->st.mprotect_ns / 1e3 / (double)p->st.mprotects : 0);
}

static void million_cells(struct bench *b, struct kvm_rows *r, const struct kvm_pass *p, uint64_t n)
{
	char note[64];

	cell_set(r->m_per, IMPL_STORE, p->done ? (double)p->ns / (double)p->done : 0,
		 "store + mprotect view");
	snprintf(note, sizeof(note), "%s%llu exact, %llu fallbacks", n < MILLION ? "--quick: " : "",
		 (unsigned long long)p->exact, (unsigned long long)p->st.fallbacks);
	cell_set(r->m_done, IMPL_STORE, (double)p->done, note);
	cell_skip(r->m_per, IMPL_MEMSLOT, "views only");
	cell_skip(r->m_done, IMPL_MEMSLOT, "views only");
	bench_note(b,
		   "kvm million: %llu random single-page changes over 1 GiB, %llu mprotects, "
		   "%llu VMAs at the end (budget %llu: vm.max_map_count / 4%s); guest ran %u "
		   "times to HLT, %u stopped",
		   (unsigned long long)n, (unsigned long long)p->st.mprotects,
		   (unsigned long long)p->st.vmas, (unsigned long long)p->st.budget,
		   b->max_map_count ? ", raised by --max-map-count" : "", p->runs, p->stopped);
}

/**
 * bench_kvm() - the boot trace and a million changes on a running VM
 * @b: the run; does nothing but skipped cells without @b->kvm
 *
 * Return: 0 or -errno (a missing /dev/kvm is a skip, not an error).
 */
int bench_kvm(struct bench *b)
{
	struct kvm_rows r = {
		.per = bench_row(b, "kvm_view_change", "kvm: per change, running VM", UNIT_NS),
		.total = bench_row(b, "kvm_view_total", "kvm: boot-trace changes, total", UNIT_NS),
		.done = bench_row(b, "kvm_view_done", "kvm: changes completed", UNIT_COUNT),
		.vmas = bench_row(b, "kvm_view_vmas", "kvm: VMAs / slots at the end", UNIT_COUNT),
		.m_per = bench_row(b, "kvm_million_change", "kvm: scattered change (million)",
				   UNIT_NS),
		.m_done = bench_row(b, "kvm_million_done", "kvm: scattered changes completed",
				    UNIT_COUNT),
	};
	uint64_t million = b->quick ? MILLION_QUICK : MILLION;
	uint64_t changes = b->trace.nops - b->trace.nsweep;
	unsigned long map_count_before = map_count();
	struct kvm_pass p;
	char why[64];
	int ret;

	if (!r.per || !r.total || !r.done || !r.vmas || !r.m_per || !r.m_done)
		return -ENOSPC;
	if (!b->kvm) {
		skip_all(&r, "skipped: no --kvm");
		return 0;
	}
	if ((b->ram_end << MEMATTR_PAGE_SHIFT) > KVM_RAM_MAX) {
		skip_all(&r, "skipped: guest above memattr_vm's 128 GiB");
		return 0;
	}
	bench_step(b, "the boot trace on a running KVM VM");
	ret = trace_pass(b, false, 0, &p);
	if (ret == -ENODEV || ret == -EACCES || ret == -ENOENT || ret == -EPERM) {
		snprintf(why, sizeof(why), "skipped: /dev/kvm: %s", strerror(-ret));
		skip_all(&r, why);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	view_cells(b, &r, &p);
	bench_step(b, "the boot trace on a running KVM VM, memslot views");
	ret = trace_pass(b, true, b->quick ? b->sz.memslot_max_changes : SLOTS_CAP, &p);
	if (ret)
		goto out;
	slot_cells(b, &r, &p, changes);
	bench_step(b, "scattered changes on a running KVM VM");
	ret = million_pass(b, million, &p);
	if (!ret)
		million_cells(b, &r, &p, million);
out:
	map_count_restore(map_count_before);
	return ret;
}
