// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM_RUN failing with EFAULT: how hardware-virtualized KVM reports an access
 * the views stopped.  With EPT, NPT or shadow paging, a guest access to a
 * page whose alias the host protects faults into KVM, whose fault-in asks for
 * the host page with the access's rights; hva_to_pfn() refuses it and
 * kvm_handle_error_pfn() (arch/x86/kvm/mmu/mmu.c) fails KVM_RUN with EFAULT,
 * RIP still on the instruction, with no GPA and no access type (measured on
 * stock kvm_amd 6.12).  Only KVM_MEM_READONLY slots become MMIO there.  Newer
 * kernels may add KVM_EXIT_MEMORY_FAULT with the GPA: checked when present,
 * never needed.
 *
 * fault_classify() finds the accesses of the instruction the views stop, in
 * the order the CPU makes them; access_decide() (exits.c), the decision MMIO
 * exits get too, says for each whether the store allows it (the view was
 * stricter: a fallback block) or which VTL must hear of it.  An EFAULT the
 * classifier cannot explain stops the run with -EFAULT and the RIP.  Then:
 *  - every blocked access allowed, by the store or by the receiving VTL: the
 *    instruction is single-stepped (KVM_SET_GUEST_DEBUG) with its blocked
 *    pages opened as far as that, and the view is put back exactly;
 *  - SKIP: a MOV is completed without its access (fault_skip()); any other
 *    instruction stops the run with -EOPNOTSUPP;
 *  - a forbidden fetch is a fetch intercept like the emulation failure's
 *    (exits.c): retried if the receiving VTL lifted the protection, else
 *    -EACCES.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm_int.h"

/* Signals that may interrupt one single step before it stops the run. */
#define STEP_TRIES 16

struct view_ctx {
	const struct memattr_vm *vm;
	unsigned int vtl;
};

/* What KVM meets at @gfn: the alias's host protection. */
static int view_prot(void *opaque, uint64_t gfn)
{
	const struct view_ctx *v = opaque;

	return memattr_vm_host_prot(v->vm, v->vtl, gfn);
}

/*
 * Where kvm_handle_error_pfn() fills KVM_EXIT_MEMORY_FAULT, its GPA is the
 * page KVM could not map: it must be one the classifier found, or the
 * classification is wrong and the run stops.
 */
static bool report_agrees(const struct memattr_vm *vm, unsigned int vtl)
{
	const struct kvm_run *run = vm->vcpu[vtl].run;
	const struct fault *f = &vm->fault[vtl].f;
	uint64_t gfn = kvm_memory_fault_of(run)->gpa >> MEMATTR_PAGE_SHIFT;

	if (run->exit_reason != KVM_EXIT_MEMORY_FAULT)
		return true;
	for (unsigned int i = 0; i < f->nblocked; i++)
		if (f->blocked[i].gpa >> MEMATTR_PAGE_SHIFT == gfn)
			return true;
	return false;
}

/*
 * What a blocked page must allow for the step: as much as the store allows
 * there (a fallback block), at least what the receiving VTL allowed.
 */
static int step_prot(struct memattr_vm *vm, unsigned int vtl, const struct fault_access *a,
		     bool allowed)
{
	uint64_t v = vtl_value(vm, vtl, a->gpa >> MEMATTR_PAGE_SHIFT);
	bool write = a->access == MEMATTR_VM_ACCESS_WRITE;
	int p = access_allowed(v, write) ? memattr_vm_prot_of(v) : PROT_NONE;

	if (allowed)
		p |= write ? PROT_READ | PROT_WRITE : PROT_READ;
	return p;
}

/*
 * One instruction under KVM_GUESTDBG_SINGLESTEP.  It ends in KVM_EXIT_DEBUG
 * once the instruction retired; an ordinary exit it makes itself (the
 * doorbell's OUT, device MMIO, HLT) goes to the run loop, which serves it as
 * any other (guest debug is off again by then, so KVM completes the
 * instruction without a debug exit).  Anything else, another EFAULT
 * included, stops the run: the VMM never loops on an instruction.
 */
static int step_one(struct memattr_vm *vm, unsigned int vtl)
{
	struct vcpu *c = &vm->vcpu[vtl];
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | vm->debug_extra,
	};
	int ret, tries = 0;

	if (ioctl(c->fd, KVM_SET_GUEST_DEBUG, &dbg))
		return -errno;
	for (;;) {
		do
			ret = vcpu_run(vm, vtl);
		while ((ret == -EINTR || ret == -EAGAIN) && ++tries < STEP_TRIES);
		if (ret || (c->run->exit_reason != KVM_EXIT_X86_RDMSR &&
			    c->run->exit_reason != KVM_EXIT_X86_WRMSR))
			break;
		/*
		 * A synthetic MSR is served here, within the step: KVM completes
		 * RDMSR and WRMSR on the next KVM_RUN and may decode the
		 * instruction again to skip it (SVM's skip_emulated_instruction()
		 * without NRIPS), which needs its page still open.
		 */
		vm->stats.exits++;
		ret = hv_msr_exit(vm, vtl);
		if (ret)
			break;
	}
	vm->stats.exit_reason = c->run->exit_reason;
	memset(&dbg, 0, sizeof(dbg));
	if (ioctl(c->fd, KVM_SET_GUEST_DEBUG, &dbg) && !ret)
		ret = -errno;
	if (ret)
		return ret;
	switch (c->run->exit_reason) {
	case KVM_EXIT_DEBUG:
		vm->stats.stepped++;
		return 0;
	case KVM_EXIT_IO:
	case KVM_EXIT_MMIO:
	case KVM_EXIT_HLT:
		vm->stats.stepped++;
		return FAULT_EXITED;
	default:
		return -EFAULT;
	}
}

/*
 * Run the instruction with every page it was stopped at opened as far as
 * step_prot() says, no page further, then put each back as the view has it
 * (view.c keeps the per-page protection), whatever the step did.  Only VP 0
 * exists and each VTL's VM has that one vCPU: no other vCPU can use the
 * opened page meanwhile, and the other VTLs' VMs map their own aliases.
 */
static int fault_step(struct memattr_vm *vm, unsigned int vtl)
{
	const struct fault_state *fs = &vm->fault[vtl];
	uint64_t gfn[FAULT_MAX_BLOCKED];
	int want[FAULT_MAX_BLOCKED];
	bool opened[FAULT_MAX_BLOCKED] = { false };
	unsigned int n = 0, j;
	int ret = 0;

	for (unsigned int i = 0; i < fs->f.nblocked; i++) {
		const struct fault_access *a = &fs->f.blocked[i];
		uint64_t g = a->gpa >> MEMATTR_PAGE_SHIFT;

		for (j = 0; j < n && gfn[j] != g; j++)
			;
		if (j == n) {
			gfn[n] = g;
			want[n++] = PROT_NONE;
		}
		want[j] |= step_prot(vm, vtl, a, fs->allowed & 1U << i);
	}
	for (j = 0; j < n; j++) {
		int have = memattr_vm_host_prot(vm, vtl, gfn[j]);

		if (have < 0) {
			ret = have;
			break;
		}
		if ((have | want[j]) == have)
			continue; /* the receiving VTL lifted it meanwhile */
		ret = view_page_open(vm, vtl, gfn[j], have | want[j]);
		if (ret)
			break;
		opened[j] = true;
	}
	if (!ret)
		ret = step_one(vm, vtl);
	for (j = 0; j < n; j++) {
		if (opened[j]) {
			int r = view_page_restore(vm, vtl, gfn[j]);

			if (r)
				ret = r; /* views.error is set: the VM runs no more */
		}
	}
	return ret;
}

/*
 * Decide the instruction's blocked accesses in the order the CPU makes them,
 * against the store as it is now (the receiving VTL may have changed it):
 * the first one the store forbids and no VTL allowed yet is delivered to the
 * VTL whose mask forbids it; when none is left, the instruction runs.  Each
 * intercept the VTL allows marks one more access, so an instruction raises
 * at most FAULT_MAX_BLOCKED of them.
 */
static int fault_continue(struct memattr_vm *vm, unsigned int vtl, unsigned int *next)
{
	struct fault_state *fs = &vm->fault[vtl];
	const struct fault *f = &fs->f;

	for (unsigned int i = 0; i < f->nblocked; i++) {
		const struct fault_access *a = &f->blocked[i];
		struct icpt_insn insn = { f->insn, f->insn_count, f->insn_length, a->gva };
		int ret;

		if (fs->allowed & 1U << i)
			continue;
		ret = access_decide(vm, vtl, a->gpa, a->len, a->access);
		if (ret < 0)
			return ret;
		if (ret == ACCESS_ALLOW)
			continue;
		fs->at = i;
		if (a->access == MEMATTR_VM_ACCESS_EXECUTE)
			return intercept_raise(vm, vtl, a->gpa, a->access, 0, ICPT_FETCH, &insn,
					       next);
		return intercept_raise(vm, vtl, a->gpa, a->access, a->len, ICPT_FAULT, &insn, next);
	}
	return fault_step(vm, vtl);
}

int fault_exit(struct memattr_vm *vm, unsigned int vtl, unsigned int *next)
{
	struct vcpu *c = &vm->vcpu[vtl];
	struct fault_state *fs = &vm->fault[vtl];
	struct view_ctx view = { vm, vtl };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct fault_input in = {
		.regs = &regs,
		.sregs = &sregs,
		.ram = vm->ram,
		.ram_size = vm->ram_size,
		.host_prot = view_prot,
		.opaque = &view,
		.walk_writes = vm->walk_writes,
	};
	bool agrees;
	int ret;

	*next = vtl;
	vm->stats.faults++;
	/* KVM syncs registers on an error return too, but read them rather than rely on it. */
	c->regs_valid = c->sregs_valid = false;
	ret = vcpu_regs_get(vm, vtl, &regs);
	if (!ret)
		ret = vcpu_sregs_get(vm, vtl, &sregs);
	if (ret)
		return ret;
	vm->stats.exit_detail = regs.rip;
	memset(fs, 0, sizeof(*fs));
	/* The memslot backend's views are slots, which KVM reports as MMIO: not a view here. */
	if (vm->memslots || fault_classify(&in, &fs->f))
		return -EFAULT;
	agrees = report_agrees(vm, vtl);
	/* Consumed: a later EFAULT that KVM reports no GPA for must not meet this one. */
	c->run->exit_reason = KVM_EXIT_UNKNOWN;
	if (!agrees)
		return -EFAULT;
	return fault_continue(vm, vtl, next);
}

/*
 * SKIP: the access is not performed, so the instruction cannot run.  A MOV
 * between memory and a register or an immediate is completed without it:
 * RIP moves past it and a load's destination gets 0 with the width the
 * instruction writes (a 32-bit destination zero-extends, 8- and 16-bit ones
 * keep the rest), as KVM completes an MMIO read whose data are zeros.  A
 * page walk for RIP or any other instruction cannot be skipped meaningfully:
 * the run stops with -EOPNOTSUPP, the RIP in the stats.
 */
static int fault_skip(struct memattr_vm *vm, unsigned int vtl)
{
	const struct fault *f = &vm->fault[vtl].f;
	struct kvm_regs r;
	__u64 *gpr[16] = { &r.rax, &r.rcx, &r.rdx, &r.rbx, &r.rsp, &r.rbp, &r.rsi, &r.rdi,
			   &r.r8,  &r.r9,  &r.r10, &r.r11, &r.r12, &r.r13, &r.r14, &r.r15 };
	__u64 *dest;
	int ret;

	if (f->skip == FAULT_SKIP_NONE || f->blocked[vm->fault[vtl].at].stage == FAULT_FETCH_WALK)
		return -EOPNOTSUPP;
	ret = vcpu_regs_get(vm, vtl, &r);
	if (ret)
		return ret;
	if (r.rip != f->rip)
		return -EFAULT; /* RIP is the VTL's own: no switch moves it */
	r.rip += f->insn_length;
	if (f->skip == FAULT_SKIP_LOAD) {
		dest = gpr[f->dest_gpr & 15];
		if (f->dest_bits == 8)
			*dest &= f->dest_high8 ? ~0xff00ULL : ~0xffULL;
		else if (f->dest_bits == 16)
			*dest &= ~0xffffULL;
		else
			*dest = 0;
	}
	ret = vcpu_regs_set(vm, vtl, &r);
	if (!ret)
		vm->stats.skipped++;
	return ret;
}

int fault_resume(struct memattr_vm *vm, unsigned int vtl, unsigned int *next)
{
	struct fault_state *fs = &vm->fault[vtl];

	*next = vtl;
	fs->resume = false;
	vm->stats.exit_detail = fs->f.rip;
	if (fs->action != MEMATTR_VM_ACTION_ALLOW)
		return fault_skip(vm, vtl);
	fs->allowed |= 1U << fs->at;
	return fault_continue(vm, vtl, next);
}
