// SPDX-License-Identifier: LGPL-2.1-or-later
/* Baseline: memslot splitting on a real KVM VM; see baseline_memslot.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memattr/memattr.h>

#include "baseline_memslot.h"

/* A piece of guest RAM with one protection: a memslot, or a hole for NO_ACCESS. */
struct piece {
	uint64_t gfn;
	uint64_t pages;
	uint32_t slot; /* KVM slot id, or NO_SLOT */
	uint8_t value;
};

#define NO_SLOT UINT32_MAX

struct memslot_vm {
	int kvm;
	int vm;
	uint8_t *mem;
	size_t mem_bytes;
	struct piece *p; /* sorted by gfn, covering RAM */
	size_t n, cap;
	uint32_t *free_ids;
	size_t nfree;
	uint32_t next_id;
	size_t slots;
};

static int region(struct memslot_vm *vm, uint32_t slot, uint64_t gfn, uint64_t pages, uint8_t value)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = (value & MEMATTR_WRITE) || !value ? 0 : KVM_MEM_READONLY,
		.guest_phys_addr = gfn << MEMATTR_PAGE_SHIFT,
		.memory_size = pages << MEMATTR_PAGE_SHIFT,
		.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + (gfn << MEMATTR_PAGE_SHIFT)),
	};

	return ioctl(vm->vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static uint32_t id_get(struct memslot_vm *vm)
{
	return vm->nfree ? vm->free_ids[--vm->nfree] : vm->next_id++;
}

static void id_put(struct memslot_vm *vm, uint32_t id)
{
	vm->free_ids[vm->nfree++] = id;
}

/* Make @pc a slot (or a hole); on failure the id goes back. */
static int piece_map(struct memslot_vm *vm, struct piece *pc)
{
	int ret;

	pc->slot = NO_SLOT;
	if (pc->value & MEMATTR_NO_ACCESS)
		return 0;
	pc->slot = id_get(vm);
	ret = region(vm, pc->slot, pc->gfn, pc->pages, pc->value);
	if (ret) {
		id_put(vm, pc->slot);
		pc->slot = NO_SLOT;
		return ret;
	}
	vm->slots++;
	return 0;
}

static int piece_unmap(struct memslot_vm *vm, struct piece *pc)
{
	int ret;

	if (pc->slot == NO_SLOT)
		return 0;
	ret = region(vm, pc->slot, pc->gfn, 0, 0);
	if (ret)
		return ret;
	id_put(vm, pc->slot);
	pc->slot = NO_SLOT;
	vm->slots--;
	return 0;
}

static int pieces_reserve(struct memslot_vm *vm, size_t more)
{
	if (vm->n + more > vm->cap) {
		size_t cap = (vm->n + more) * 2;
		struct piece *p = realloc(vm->p, cap * sizeof(*p));
		uint32_t *ids = realloc(vm->free_ids, cap * sizeof(*ids));

		if (p)
			vm->p = p;
		if (ids)
			vm->free_ids = ids;
		if (!p || !ids)
			return -ENOMEM;
		vm->cap = cap;
	}
	return 0;
}

/**
 * memslot_open() - a KVM VM whose RAM is one slot per region, all R|W|X
 * @out: the VM
 * @low_pages: RAM below the hole, from gfn 0
 * @high_start: first gfn above the hole
 * @high_pages: RAM above the hole (0: none)
 *
 * Return: 0, -errno from /dev/kvm (-ENOENT, -EACCES: no KVM here), -ENOMEM.
 */
int memslot_open(struct memslot_vm **out, uint64_t low_pages, uint64_t high_start,
		 uint64_t high_pages)
{
	struct memslot_vm *vm = calloc(1, sizeof(*vm));
	uint64_t span = high_pages ? high_start + high_pages : low_pages;
	int ret;

	if (!vm)
		return -ENOMEM;
	vm->kvm = vm->vm = -1;
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0) {
		ret = -errno;
		goto out_free;
	}
	vm->vm = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->vm < 0) {
		ret = -errno;
		goto out_free;
	}
	/* Never touched: no vCPU runs; the mapping only gives the slots their addresses. */
	vm->mem_bytes = span << MEMATTR_PAGE_SHIFT;
	vm->mem = mmap(NULL, vm->mem_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		ret = -errno;
		goto out_free;
	}
	ret = pieces_reserve(vm, 2);
	if (ret)
		goto out_free;
	vm->p[vm->n++] = (struct piece){ .gfn = 0, .pages = low_pages, .value = MEMATTR_RWX };
	if (high_pages)
		vm->p[vm->n++] = (struct piece){ .gfn = high_start,
						 .pages = high_pages,
						 .value = MEMATTR_RWX };
	for (size_t i = 0; i < vm->n && !ret; i++)
		ret = piece_map(vm, &vm->p[i]);
	if (ret)
		goto out_free;
	*out = vm;
	return 0;
out_free:
	memslot_close(vm);
	return ret;
}

static size_t piece_find(const struct memslot_vm *vm, uint64_t gfn)
{
	size_t lo = 0, hi = vm->n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (vm->p[mid].gfn <= gfn)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * memslot_change() - give one page a protection by splitting its slot
 * @vm: the VM
 * @gfn: a RAM page
 * @value: the new protection
 *
 * Return: 0; -EINVAL or -ENOSPC when KVM refuses another slot (the layout
 * is then unchanged: the old slot is put back); -ENOENT if @gfn is not RAM.
 */
int memslot_change(struct memslot_vm *vm, uint64_t gfn, uint8_t value)
{
	size_t i = piece_find(vm, gfn);
	struct piece old = vm->p[i], part[3];
	size_t nparts = 0;
	int ret;

	if (gfn < old.gfn || gfn >= old.gfn + old.pages)
		return -ENOENT;
	if (old.value == value)
		return 0;
	if (gfn > old.gfn)
		part[nparts++] = (struct piece){ old.gfn, gfn - old.gfn, NO_SLOT, old.value };
	part[nparts++] = (struct piece){ gfn, 1, NO_SLOT, value };
	if (gfn + 1 < old.gfn + old.pages)
		part[nparts++] = (struct piece){ gfn + 1, old.gfn + old.pages - gfn - 1, NO_SLOT,
						 old.value };
	ret = pieces_reserve(vm, nparts);
	if (ret)
		return ret;
	ret = piece_unmap(vm, &vm->p[i]);
	if (ret)
		return ret;
	for (size_t k = 0; k < nparts; k++) {
		ret = piece_map(vm, &part[k]);
		if (ret) {
			while (k--)
				piece_unmap(vm, &part[k]);
			piece_map(vm, &vm->p[i]);
			return ret;
		}
	}
	memmove(&vm->p[i + nparts], &vm->p[i + 1], (vm->n - i - 1) * sizeof(*vm->p));
	memcpy(&vm->p[i], part, nparts * sizeof(*part));
	vm->n += nparts - 1;
	return 0;
}

/** memslot_slots() - memslots in use. */
size_t memslot_slots(const struct memslot_vm *vm)
{
	return vm->slots;
}

/** memslot_close() - destroy the VM (all its slots) and free @vm. */
void memslot_close(struct memslot_vm *vm)
{
	if (!vm)
		return;
	if (vm->vm >= 0)
		close(vm->vm);
	if (vm->kvm >= 0)
		close(vm->kvm);
	if (vm->mem)
		munmap(vm->mem, vm->mem_bytes);
	free(vm->p);
	free(vm->free_ids);
	free(vm);
}
