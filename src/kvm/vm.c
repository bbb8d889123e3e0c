// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Companion VMs: one KVM VM per VTL over one memfd, each with its own alias
 * mapping, plus a VMM-private read-write mapping of the same pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm_int.h"

/*
 * Views keep two bytes per page per alias (its host protection, its fallback
 * mark): 64 MiB per alias at this size.
 */
#define MAX_RAM (128ULL << 30)

#define MAP_COUNT_PATH "/proc/sys/vm/max_map_count"

static unsigned long map_count(void)
{
	unsigned long max = 65530; /* the kernel's default (DEFAULT_MAX_MAP_COUNT) */
	FILE *f = fopen(MAP_COUNT_PATH, "r");

	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 65530;
		fclose(f);
	}
	return max;
}

/*
 * Raise vm.max_map_count to @want if it is lower.  Only root may (the sysctl
 * is root's, mode 0644, and read-only /proc/sys in a container refuses it
 * too); a refusal leaves the limit in force, which the budget then follows,
 * so it is not an error.
 */
static void map_count_raise(uint64_t want)
{
	FILE *f;

	if (!want || map_count() >= want)
		return;
	f = fopen(MAP_COUNT_PATH, "w");
	if (f) {
		fprintf(f, "%llu\n", (unsigned long long)want);
		fclose(f);
	}
}

static uint64_t default_budget(unsigned int vtls)
{
	/* Leave three quarters for the rest of the process (heap, libraries, tests). */
	return (map_count() / 4 / (vtls - 1)) ?: 1;
}

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENXIO ? -ENODEV : -errno;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

static int alias_create(struct memattr_vm *vm, unsigned int vtl)
{
	struct alias *a = &vm->alias[vtl];

	a->vtl = vtl;
	a->base = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
	if (a->base == MAP_FAILED) {
		a->base = NULL;
		return -errno;
	}
	a->prot = malloc(vm->pages);
	a->fallback = calloc(vm->pages, 1);
	if (!a->prot || !a->fallback)
		return -ENOMEM;
	memset(a->prot, PROT_READ | PROT_WRITE, vm->pages);
	a->vmas = 1;
	return 0;
}

static int vm_create_one(struct memattr_vm *vm, unsigned int vtl)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->alias[vtl].base,
	};
	int fd = ioctl(vm->kvm, KVM_CREATE_VM, 0), ret;

	if (fd < 0)
		return -errno;
	vm->vmfd[vtl] = fd;
	if (ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r))
		return -errno;
	if (vm->memslots && vm->mask[vtl]) {
		ret = slots_init(vm, &vm->alias[vtl]);
		if (ret < 0)
			return ret;
		if (!vm->budget || vm->budget > (uint64_t)ret)
			vm->budget = ret;
	}
	ret = hv_guest_init(vm, vtl);
	if (ret)
		return ret;
	return vcpu_create(vm, vtl);
}

/*
 * The VSM front's layout: VTL n's protection mask in layer n - 1 limits every
 * VTL below n, so VTL t obeys layers t..vtls - 2 (memattr_vsm_layer_mask()).
 */
static uint32_t default_mask(unsigned int vtls, unsigned int t)
{
	return ((1U << (vtls - 1)) - 1) & ~((1U << t) - 1);
}

static bool config_valid(const struct memattr_vm_config *cfg, uint32_t *mask)
{
	const struct memattr_store *s;
	uint32_t any = 0;

	if (!cfg || !cfg->store || cfg->vtls < 2 || cfg->vtls > MEMATTR_VM_MAX_VTLS)
		return false;
	s = cfg->store;
	for (unsigned int v = 0; v < cfg->vtls; v++)
		any |= cfg->layer_mask[v];
	for (unsigned int v = 0; v < cfg->vtls; v++) {
		mask[v] = any ? cfg->layer_mask[v] : default_mask(cfg->vtls, v);
		if (memattr_layers(s) < 32 && mask[v] >> memattr_layers(s))
			return false;
	}
	/* The store must hold every page of RAM. */
	if (memattr_gpa_bits(s) < 64 && cfg->ram_size > 1ULL << memattr_gpa_bits(s))
		return false;
	if (!cfg->ram_size || cfg->ram_size % (2ULL << 20) || cfg->ram_size > MAX_RAM)
		return false;
	if (cfg->max_map_count > INT32_MAX) /* the sysctl is an int */
		return false;
	/*
	 * One VMA cannot keep the VMM's reserved pages (page tables, stack)
	 * apart from a PROT_NONE fallback block: the first fallback would take
	 * the whole alias, and KVM_RUN would fail with -EFAULT at the first
	 * page-table walk.  Two is the least that runs (and fails closed).
	 */
	if (!cfg->memslots && cfg->vma_budget == 1)
		return false;
	/* 0: none, the VTL programs its own SynIC message page and VP assist page. */
	for (unsigned int v = 1; v < cfg->vtls; v++)
		if (cfg->msg_gpa[v] &&
		    (cfg->msg_gpa[v] % MEMATTR_PAGE_SIZE || cfg->msg_gpa[v] < VMM_RESERVED ||
		     cfg->msg_gpa[v] >= cfg->ram_size))
			return false;
	return true;
}

int memattr_vm_create(const struct memattr_vm_config *cfg, struct memattr_vm **out)
{
	struct memattr_vm *vm;
	int ret;

	uint32_t mask[MEMATTR_VM_MAX_VTLS] = { 0 };

	if (!config_valid(cfg, mask))
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	memcpy(vm->mask, mask, sizeof(mask));
	vm->store = cfg->store;
	vm->vtls = cfg->vtls;
	vm->ram_size = cfg->ram_size;
	vm->pages = cfg->ram_size >> MEMATTR_PAGE_SHIFT;
	vm->memslots = cfg->memslots;
	memcpy(vm->msg_gpa, cfg->msg_gpa, sizeof(vm->msg_gpa));
	vm->held.from = -1;
	vm->memfd = -1;
	for (unsigned int v = 0; v < MEMATTR_VM_MAX_VTLS; v++) {
		vm->vmfd[v] = -1;
		vm->vcpu[v].fd = -1;
	}

	vm->kvm = open_kvm();
	if (vm->kvm < 0) {
		ret = vm->kvm;
		goto out_free;
	}
	if (!cfg->memslots)
		map_count_raise(cfg->max_map_count);
	vm->budget = cfg->vma_budget ?: cfg->memslots ? 0 : default_budget(cfg->vtls);
	vm->stats.fault_model = fault_model_probe(vm->kvm);
	vm->walk_writes = host_walk_writes();
	vm->hv_offered = hv_guest_probe(vm->kvm);
	vm->stats.hv_interface = vm->hv_offered ? MEMATTR_VM_HV_INTERFACE : MEMATTR_VM_HV_DOORBELL;
	/* KVM_CAP_SET_GUEST_DEBUG2 lists the guest-debug flags KVM takes (Linux 5.16). */
	ret = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	if (ret > 0 && (ret & KVM_GUESTDBG_BLOCKIRQ))
		vm->debug_extra = KVM_GUESTDBG_BLOCKIRQ;
	ret = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < 0) {
		ret = -errno;
		goto out_destroy;
	}
	vm->run_size = ret;

	vm->memfd = memfd_create("memattr-ram", MFD_CLOEXEC);
	if (vm->memfd < 0 || ftruncate(vm->memfd, vm->ram_size)) {
		ret = -errno;
		goto out_destroy;
	}
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->memfd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		ret = -errno;
		goto out_destroy;
	}
	for (unsigned int v = 0; v < vm->vtls; v++) {
		ret = alias_create(vm, v);
		if (ret)
			goto out_destroy;
		ret = vm_create_one(vm, v);
		if (ret)
			goto out_destroy;
	}
	guest_tables_write(vm);
	ret = hv_init(vm);
	if (ret)
		goto out_destroy;
	ret = views_init(vm);
	if (ret)
		goto out_destroy;
	vm->stats.budget = vm->budget;
	*out = vm;
	return 0;

out_destroy:
	memattr_vm_destroy(vm);
	return ret;
out_free:
	free(vm);
	return ret;
}

void memattr_vm_destroy(struct memattr_vm *vm)
{
	if (!vm)
		return;
	views_fini(vm);
	hv_fini(vm);
	for (unsigned int v = 0; v < vm->vtls; v++) {
		struct alias *a = &vm->alias[v];

		vcpu_destroy(vm, v);
		if (vm->vmfd[v] >= 0)
			close(vm->vmfd[v]);
		if (a->base)
			munmap(a->base, vm->ram_size);
		slots_fini(a);
		free(a->prot);
		free(a->fallback);
	}
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->memfd >= 0)
		close(vm->memfd);
	if (vm->kvm >= 0)
		close(vm->kvm);
	free(vm);
}

void *memattr_vm_ram(struct memattr_vm *vm)
{
	return vm->ram;
}

int memattr_vm_set_mmio_handler(struct memattr_vm *vm, memattr_vm_mmio_fn fn, void *opaque)
{
	if (!vm)
		return -EINVAL;
	vm->mmio_fn = fn;
	vm->mmio_opaque = opaque;
	return 0;
}

const struct memattr_vm_intercept *memattr_vm_intercepts(const struct memattr_vm *vm,
							 unsigned int *n)
{
	*n = vm->nrec;
	return vm->rec;
}

const struct memattr_vm_stats *memattr_vm_stats(const struct memattr_vm *vm)
{
	return &vm->stats;
}

uint32_t memattr_vm_layer_mask(const struct memattr_vm *vm, unsigned int vtl)
{
	return vtl < vm->vtls ? vm->mask[vtl] : 0;
}

uint64_t vtl_value(const struct memattr_vm *vm, unsigned int vtl, uint64_t gfn)
{
	int v;

	if (!vm->mask[vtl])
		return 0;
	v = memattr_combined_get(vm->store, vm->mask[vtl], gfn);
	return v < 0 ? MEMATTR_NO_ACCESS : (uint64_t)v; /* fail closed */
}

int memattr_vm_host_prot(const struct memattr_vm *vm, unsigned int vtl, uint64_t gfn)
{
	if (vtl >= vm->vtls || gfn >= vm->pages)
		return -EINVAL;
	return vm->alias[vtl].prot[gfn];
}
