/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Baseline: protections as a KVM memslot layout, split on every change (the
 * approach the seed calls slow).  A real KVM VM with no vCPU; one memslot per
 * RAM region to start with; a protection change of one page deletes the slot
 * holding it and adds head, page and tail (read-only pages get
 * KVM_MEM_READONLY, NO_ACCESS pages get no slot) until KVM refuses a slot.
 */
#ifndef MEMATTR_BENCH_BASELINE_MEMSLOT_H
#define MEMATTR_BENCH_BASELINE_MEMSLOT_H

#include <stddef.h>
#include <stdint.h>

struct memslot_vm;

int memslot_open(struct memslot_vm **out, uint64_t low_pages, uint64_t high_start,
		 uint64_t high_pages);
int memslot_change(struct memslot_vm *vm, uint64_t gfn, uint8_t value);
size_t memslot_slots(const struct memslot_vm *vm);
void memslot_close(struct memslot_vm *vm);

#endif
