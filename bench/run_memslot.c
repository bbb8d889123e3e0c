// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot trace's changes as memslot splits on a real KVM VM, until KVM
 * refuses a slot (its per-VM limit, KVM_USER_MEM_SLOTS = 32764 on x86) or the
 * trace ends.  The store's figure beside it is its single-page set.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <memattr/memattr.h>

#include "baseline_memslot.h"
#include "bench.h"
#include "common/clock.h"

/**
 * bench_memslot() - memslot splitting against the store's single-page sets
 * @b: the run, after bench_boot()
 *
 * Return: 0 or -errno (a missing /dev/kvm is a skip, not an error).
 */
int bench_memslot(struct bench *b)
{
	const struct trace *t = &b->trace;
	struct row *per = bench_row(b, "memslot_change", "memslot: per protection change", UNIT_NS);
	struct row *done = bench_row(b, "memslot_done", "memslot: changes completed", UNIT_COUNT);
	struct row *slots = bench_row(b, "memslot_slots", "memslot: slots at the end", UNIT_COUNT);
	uint64_t total = t->nops - t->nsweep, n = 0, cap = b->sz.memslot_max_changes, t0;
	struct memslot_vm *vm;
	struct ram_layout ram;
	char note[64];
	bool ok;
	int ret;

	if (!per || !done || !slots)
		return -ENOSPC;
	cell_set(per, IMPL_STORE, cell_value(b, "boot_sets", IMPL_STORE, &ok), "single-page set");
	cell_set(done, IMPL_STORE, (double)total, "all");
	bench_step(b, "memslot splitting on KVM");
	ram_layout_of(t->p.guest_bytes, &ram);
	ret = b->no_memslot ? -ECANCELED
			    : memslot_open(&vm, ram.low_pages, ram.high_start, ram.high_pages);
	if (ret) {
		if (b->no_memslot)
			snprintf(note, sizeof(note), "skipped: --no-memslot");
		else
			snprintf(note, sizeof(note), "skipped: /dev/kvm: %s", strerror(-ret));
		cell_skip(per, IMPL_MEMSLOT, note);
		cell_skip(done, IMPL_MEMSLOT, note);
		cell_skip(slots, IMPL_MEMSLOT, note);
		return 0;
	}
	t0 = now_ns();
	for (size_t i = t->nsweep; i < t->nops && (!cap || n < cap); i++, n++) {
		ret = memslot_change(vm, t->ops[i].gfn, t->ops[i].value);
		if (ret)
			break;
	}
	t0 = now_ns() - t0;
	cell_set(per, IMPL_MEMSLOT, n ? (double)t0 / (double)n : 0, "delete + add head/page/tail");
	if (ret)
		snprintf(note, sizeof(note), "KVM refused slot %zu: %s", memslot_slots(vm) + 1,
			 strerror(-ret));
	else if (n < total)
		snprintf(note, sizeof(note), "capped at %llu (--quick)", (unsigned long long)cap);
	else
		snprintf(note, sizeof(note), "all");
	cell_set(done, IMPL_MEMSLOT, (double)n, note);
	cell_set(slots, IMPL_MEMSLOT, (double)memslot_slots(vm), NULL);
	if (ret)
		bench_note(b,
			   "memslots: KVM stopped the trace after %llu of %llu changes with %zu "
			   "slots in use (%s)",
			   (unsigned long long)n, (unsigned long long)total, memslot_slots(vm),
			   strerror(-ret));
	memslot_close(vm);
	return 0;
}
