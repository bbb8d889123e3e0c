// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The memslot backend, for comparison only: a view made of KVM memslots
 * instead of host protections.  Every maximal run of one protection is its own
 * slot (read-write, KVM_MEM_READONLY for read-only, no slot for no access), so
 * a change deletes the slots around it and creates the new ones: the approach
 * the KVM memory-attributes RFC calls slow, and which KVM's slot limit stops.
 * The alias stays read-write; KVM_EXIT_MMIO reports the same accesses
 * (a write to a read-only slot, any access where there is no slot).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm_int.h"

static int slot_set(struct memattr_vm *vm, struct alias *a, uint32_t id, uint64_t s, uint64_t e,
		    uint8_t p)
{
	struct kvm_userspace_memory_region r = {
		.slot = id,
		.flags = p == PROT_READ ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = s << MEMATTR_PAGE_SHIFT,
		.memory_size = (e - s) << MEMATTR_PAGE_SHIFT,
		.userspace_addr = (uint64_t)(uintptr_t)(a->base + (s << MEMATTR_PAGE_SHIFT)),
	};

	return ioctl(vm->vmfd[a->vtl], KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

int slots_init(struct memattr_vm *vm, struct alias *a)
{
	int n = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	if (n <= 1)
		return -ENOSPC;
	a->slot = malloc(vm->pages * sizeof(*a->slot));
	a->free_ids = malloc(n * sizeof(*a->free_ids));
	if (!a->slot || !a->free_ids)
		return -ENOMEM;
	/* Slot 0 covers all RAM (vm.c made it); the rest are free. */
	a->slot[0] = 0;
	a->nfree = 0;
	for (int id = n - 1; id >= 1; id--)
		a->free_ids[a->nfree++] = id;
	return n - 1;
}

void slots_fini(struct alias *a)
{
	free(a->slot);
	free(a->free_ids);
}

/* First page of the run holding @g, and the first page after it. */
static uint64_t run_start(const struct alias *a, uint64_t g)
{
	while (g > 0 && a->prot[g - 1] == a->prot[g])
		g--;
	return g;
}

static uint64_t run_end(const struct memattr_vm *vm, const struct alias *a, uint64_t g)
{
	while (g + 1 < vm->pages && a->prot[g + 1] == a->prot[g])
		g++;
	return g + 1;
}

/*
 * Give [s, e) protection @p: delete the slots of the old runs touching it
 * (neighbours included, they may merge), then create the new runs' slots.
 */
int slots_apply(struct memattr_vm *vm, struct alias *a, uint64_t s, uint64_t e, uint8_t p)
{
	uint64_t lo = run_start(a, s ? s - 1 : 0), hi = run_end(vm, a, e < vm->pages ? e : e - 1);
	int ret;

	for (uint64_t g = lo; g < hi; g = run_end(vm, a, g)) {
		if (a->prot[g] == PROT_NONE)
			continue;
		ret = slot_set(vm, a, a->slot[g], g, g, 0); /* size 0: delete */
		if (ret)
			return ret;
		a->free_ids[a->nfree++] = a->slot[g];
	}
	memset(a->prot + s, p, e - s);
	for (uint64_t g = lo, r; g < hi; g = r) {
		r = run_end(vm, a, g);
		if (r > hi)
			r = hi; /* a run reaching past hi keeps its own slot beyond */
		if (a->prot[g] == PROT_NONE)
			continue;
		if (!a->nfree)
			return -ENOSPC;
		a->slot[g] = a->free_ids[--a->nfree];
		ret = slot_set(vm, a, a->slot[g], g, r, a->prot[g]);
		if (ret)
			return ret;
	}
	return 0;
}
