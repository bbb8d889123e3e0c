// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vCPUs in 64-bit long mode, set up the way KVM's selftests do: identity page
 * tables with 2 MiB pages, a flat GDT, CR0/CR4/EFER for paging, no IDT (the
 * guests run with interrupts off and must not fault).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm_int.h"

#define CR0_PE	       (1ULL << 0)
#define CR0_MP	       (1ULL << 1)
#define CR0_ET	       (1ULL << 4)
#define CR0_NE	       (1ULL << 5)
#define CR0_WP	       (1ULL << 16)
#define CR0_AM	       (1ULL << 18)
#define CR0_PG	       (1ULL << 31)
#define CR4_PAE	       (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME       (1ULL << 8)
#define EFER_LMA       (1ULL << 10)

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_A  (1ULL << 5)
#define PTE_D  (1ULL << 6)
#define PTE_PS (1ULL << 7)

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS	 0x18

/*
 * What KVM supports, with the hypervisor leaves replaced: by the Hyper-V
 * leaves with @hyperv, else by none (KVM's own paravirtual leaves are not
 * offered either way).
 */
int vcpu_cpuid_set(int kvm, int fd, bool hyperv)
{
	unsigned int n = 128, kept = 0;
	struct kvm_cpuid2 *c;
	int ret;

	for (;;) {
		c = calloc(1, sizeof(*c) + (n + HV_CPUID_LEAVES) * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (!ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c))
			break;
		ret = -errno;
		free(c);
		if (ret != -E2BIG)
			return ret;
		n *= 2;
	}
	for (unsigned int i = 0; i < c->nent; i++)
		if ((c->entries[i].function & HV_CPUID_RANGE_MASK) != HV_CPUID_VENDOR)
			c->entries[kept++] = c->entries[i];
	if (hyperv) {
		hv_cpuid_leaves(&c->entries[kept], 1);
		kept += HV_CPUID_LEAVES;
	}
	c->nent = kept;
	/* Long mode needs CPUID.80000001H:EDX.LM in the guest's CPUID (KVM checks EFER). */
	ret = ioctl(fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return ret;
}

int vcpu_create(struct memattr_vm *vm, unsigned int vtl)
{
	struct vcpu *c = &vm->vcpu[vtl];
	void *run;
	int ret;

	c->fd = ioctl(vm->vmfd[vtl], KVM_CREATE_VCPU, 0);
	if (c->fd < 0)
		return -errno;
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (run == MAP_FAILED)
		return -errno;
	c->run = run;
	ret = vcpu_cpuid_set(vm->kvm, c->fd, vm->hv_offered);
	if (ret)
		return ret;
	/* Have KVM hand over the registers with every exit instead of two ioctls. */
	if ((ioctl(vm->vmfd[vtl], KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) &
	     (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) ==
	    (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)) {
		c->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
		c->sync = true;
	}
	return 0;
}

/* KVM_RUN; afterwards the register caches hold what KVM synced, if it does. */
int vcpu_run(struct memattr_vm *vm, unsigned int vtl)
{
	struct vcpu *c = &vm->vcpu[vtl];
	int ret;

	c->regs_valid = c->sregs_valid = false;
	ret = ioctl(c->fd, KVM_RUN, 0) ? -errno : 0;
	if (c->sync) {
		c->regs = c->run->s.regs.regs;
		c->sregs = c->run->s.regs.sregs;
		c->regs_valid = c->sregs_valid = true;
	}
	return ret;
}

void vcpu_destroy(struct memattr_vm *vm, unsigned int vtl)
{
	struct vcpu *c = &vm->vcpu[vtl];

	if (c->run)
		munmap(c->run, vm->run_size);
	if (c->fd >= 0)
		close(c->fd);
}

/* The guest-virtual space the VMM's page tables map 1:1: RAM up to 1 GiB. */
static uint64_t identity_size(const struct memattr_vm *vm)
{
	return vm->ram_size < IDENTITY_MAX ? vm->ram_size : IDENTITY_MAX;
}

void guest_tables_write(struct memattr_vm *vm)
{
	boot_tables_fill(vm->ram);
}

/* The GDT, TSS and identity page tables in the first VMM_RESERVED bytes of @ram. */
void boot_tables_fill(uint8_t *ram)
{
	uint64_t *gdt = (uint64_t *)(ram + GDT_GPA);
	uint64_t *pml4 = (uint64_t *)(ram + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(ram + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(ram + PD_GPA);

	memset(ram, 0, VMM_RESERVED);
	gdt[1] = 0x00af9a000000ffffULL; /* 64-bit code, DPL 0 */
	gdt[2] = 0x00cf92000000ffffULL; /* flat data */
	/* 64-bit TSS descriptor (16 bytes): base TSS_GPA, limit 0x67, type 0xb (busy). */
	gdt[3] = 0x67 | ((TSS_GPA & 0xffffff) << 16) | (0x8bULL << 40) |
		 ((TSS_GPA >> 24 & 0xff) << 56);
	gdt[4] = TSS_GPA >> 32;
	/* Accessed and dirty preset: the CPU never writes the tables. */
	pml4[0] = PDPT_GPA | PTE_P | PTE_RW | PTE_A;
	pdpt[0] = PD_GPA | PTE_P | PTE_RW | PTE_A;
	/*
	 * The whole first 1 GiB of guest-physical space, RAM or not: an access
	 * past RAM then reaches KVM as MMIO (a device's, for the VMM's MMIO
	 * handler) instead of faulting in the guest.
	 */
	for (uint64_t i = 0; i < IDENTITY_MAX >> 21; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
}

static void seg_flat(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* 64-bit long mode over boot_tables_fill()'s tables, in sregs KVM gave. */
void sregs_long_mode(struct kvm_sregs *sregs)
{
	sregs->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	sregs->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs->efer = EFER_LME | EFER_LMA;
	sregs->cr3 = PML4_GPA;
	sregs->gdt.base = GDT_GPA;
	sregs->gdt.limit = 5 * 8 - 1;
	seg_flat(&sregs->cs, SEL_CODE, 11, true);
	seg_flat(&sregs->ds, SEL_DATA, 3, false);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	memset(&sregs->tr, 0, sizeof(sregs->tr));
	sregs->tr.selector = SEL_TSS;
	sregs->tr.base = TSS_GPA;
	sregs->tr.limit = 0x67;
	sregs->tr.type = 11;
	sregs->tr.present = 1;
}

int memattr_vm_vcpu_init(struct memattr_vm *vm, unsigned int vtl, uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int fd;

	if (!vm || vtl >= vm->vtls || rip >= identity_size(vm) || rsp > identity_size(vm))
		return -EINVAL;
	fd = vm->vcpu[vtl].fd;
	if (ioctl(fd, KVM_GET_SREGS, &sregs))
		return -errno;
	sregs_long_mode(&sregs);
	vm->vcpu[vtl].sregs_valid = false;
	if (ioctl(fd, KVM_SET_SREGS, &sregs))
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2; /* reserved bit 1; IF clear */
	return vcpu_regs_set(vm, vtl, &regs);
}

/*
 * Every ioctl on a vCPU loads it (vcpu_load), which costs most where KVM runs
 * nested: a VTL switch reads the same registers several times, so keep them.
 */
int vcpu_regs_get(struct memattr_vm *vm, unsigned int vtl, struct kvm_regs *r)
{
	struct vcpu *c = &vm->vcpu[vtl];

	if (!c->regs_valid) {
		if (ioctl(c->fd, KVM_GET_REGS, &c->regs))
			return -errno;
		c->regs_valid = true;
	}
	*r = c->regs;
	return 0;
}

int vcpu_sregs_get(struct memattr_vm *vm, unsigned int vtl, struct kvm_sregs *s)
{
	struct vcpu *c = &vm->vcpu[vtl];

	if (!c->sregs_valid) {
		if (ioctl(c->fd, KVM_GET_SREGS, &c->sregs))
			return -errno;
		c->sregs_valid = true;
	}
	*s = c->sregs;
	return 0;
}

int vcpu_regs_set(struct memattr_vm *vm, unsigned int vtl, const struct kvm_regs *r)
{
	struct vcpu *c = &vm->vcpu[vtl];

	c->regs_valid = false;
	if (ioctl(c->fd, KVM_SET_REGS, r))
		return -errno;
	c->regs = *r;
	c->regs_valid = true;
	return 0;
}

int memattr_vm_get_regs(struct memattr_vm *vm, unsigned int vtl, struct memattr_vm_regs *regs)
{
	struct kvm_regs r;
	int ret;

	if (!vm || vtl >= vm->vtls)
		return -EINVAL;
	ret = vcpu_regs_get(vm, vtl, &r);
	if (ret)
		return ret;
	_Static_assert(sizeof(r) == sizeof(*regs), "memattr_vm_regs mirrors kvm_regs");
	memcpy(regs, &r, sizeof(*regs));
	return 0;
}
