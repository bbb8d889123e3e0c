// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The run loop: KVM exits become emulated accesses, device MMIO, intercepts
 * for the VTL whose protection an access breaks, hypercalls and VTL switches.
 *
 * Measured on kvm_pvm: a guest write to a page its alias maps read-only, or
 * any access to a PROT_NONE page, leaves KVM_RUN as KVM_EXIT_MMIO with the
 * GPA, size and direction, KVM's instruction emulator having decoded the
 * access.  So a permitted access is completed by copying through the private
 * mapping (KVM finishes the instruction on the next KVM_RUN), and a forbidden
 * one is held at that point while the higher VTL decides.  Supported:
 * whatever KVM's emulator handles as MMIO (mov forms, most ALU-to-memory
 * forms); execute accesses never exit this way.  Hardware-virtualized KVM
 * (EPT, NPT, shadow paging) reports the same accesses as a KVM_RUN failing
 * with EFAULT, which fault.c explains; both end in access_decide().
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm_int.h"

bool access_allowed(uint64_t value, bool write)
{
	uint64_t p = value & MEMATTR_PROT_MASK;

	if (!p)
		return true;
	if (p & MEMATTR_NO_ACCESS)
		return false;
	return write ? p & MEMATTR_WRITE : p & MEMATTR_READ;
}

static bool range_allowed(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, unsigned int len,
			  bool write)
{
	/* Accesses may straddle a page. */
	for (uint64_t g = gpa >> MEMATTR_PAGE_SHIFT; g <= (gpa + len - 1) >> MEMATTR_PAGE_SHIFT;
	     g++)
		if (!access_allowed(vtl_value(vm, vtl, g), write))
			return false;
	return true;
}

/*
 * The one decision for an access the views stopped, whichever way KVM
 * reported it: an MMIO exit, an emulation failure on a fetch, an EFAULT.
 * The view may be stricter than the store (a block held at PROT_NONE for
 * lack of VMAs): then the store allows it.  A fetch needs what a read needs,
 * since the views cannot enforce execute rights.
 */
int access_decide(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, uint32_t len,
		  uint32_t access)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return -EFAULT; /* half RAM, half not: neither a protection nor a device */
	return range_allowed(vm, vtl, gpa, len, access == MEMATTR_VM_ACCESS_WRITE)
		       ? ACCESS_ALLOW
		       : ACCESS_INTERCEPT;
}

static void emulate(struct memattr_vm *vm, struct kvm_run *run)
{
	uint8_t *host = vm->ram + run->mmio.phys_addr;

	if (run->mmio.is_write)
		memcpy(host, run->mmio.data, run->mmio.len);
	else
		memcpy(run->mmio.data, host, run->mmio.len);
	vm->stats.emulated++;
}

static void record(struct memattr_vm *vm, const struct memattr_vm_intercept *r)
{
	vm->stats.intercepts++;
	if (vm->nrec < MAX_RECORDED)
		vm->rec[vm->nrec++] = *r;
}

/*
 * Hold VTL @vtl's access and deliver it to the VTL whose protection it
 * breaks: hypercall.c builds the TLFS message with the VSM front and enters
 * that VTL, which decides in its VTL control's intercept_action.
 */
int intercept_raise(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, uint32_t access,
		    uint32_t len, enum icpt_kind kind, const struct icpt_insn *insn,
		    unsigned int *next)
{
	struct memattr_vm_intercept r;
	struct kvm_regs regs;
	int ret;

	if (vm->held.from >= 0)
		return -EFAULT; /* one held access per VP */
	ret = vcpu_regs_get(vm, vtl, &regs);
	if (ret)
		return ret;
	ret = hv_intercept(vm, vtl, gpa, access, len, kind, insn, &r);
	if (ret)
		return ret;
	/* The decision starts as SKIP: a VTL that does not answer allows nothing. */
	control_action_reset(vm, r.to_vtl);
	record(vm, &r);
	vm->held.regs = regs;
	vm->held.from = (int)vtl;
	vm->held.to = r.to_vtl;
	vm->held.gpa = r.gpa;
	vm->held.access = r.access;
	vm->held.retry = kind == ICPT_FETCH || kind == ICPT_HYPERCALL;
	vm->held.kind = kind;
	*next = r.to_vtl;
	return 0;
}

/*
 * The receiving VTL returned: carry out its decision on the held access.  An
 * instruction fetch, or a hypercall whose input page is closed, can be
 * neither skipped nor emulated: it is retried if the VTL lifted the
 * protection, else the VM stops (-EACCES), failing closed.  Guest memory is
 * the guest's to write: only the decision is read back (anything but ALLOW
 * is SKIP); the held access's GPA is the VMM's copy.  An instruction an
 * EFAULT stopped is only decided here: fault_resume() carries it out once
 * the switch back has given the VTL its registers.
 */
static int intercept_complete(struct memattr_vm *vm)
{
	unsigned int vtl = vm->held.from;
	struct kvm_run *run = vm->vcpu[vtl].run;
	uint32_t action = control_action(vm, vm->held.to);
	int ret = 0;

	if (action != MEMATTR_VM_ACTION_ALLOW)
		action = MEMATTR_VM_ACTION_SKIP;
	if (vm->nrec && vm->rec[vm->nrec - 1].from_vtl == vtl)
		vm->rec[vm->nrec - 1].action = action;
	if (vm->held.kind == ICPT_FAULT) {
		vm->fault[vtl].action = action;
		vm->fault[vtl].resume = true;
	} else if (vm->held.retry) {
		if (memattr_vm_host_prot(vm, vtl, vm->held.gpa >> MEMATTR_PAGE_SHIFT) == PROT_NONE)
			ret = -EACCES;
	} else if (action == MEMATTR_VM_ACTION_ALLOW) {
		emulate(vm, run);
	} else if (!run->mmio.is_write) {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	}
	message_done(vm, vm->held.to);
	vm->held.from = -1;
	return ret;
}

/*
 * MMIO outside RAM: a device's, served by the VMM's handler.  KVM's struct
 * kvm_run carries at most 8 data bytes; a read's bytes go back to KVM, which
 * writes them to the instruction's destination on the next KVM_RUN.
 */
static int device_mmio(struct memattr_vm *vm, unsigned int vtl, struct kvm_run *run)
{
	bool write = run->mmio.is_write;
	uint8_t data[8] = { 0 };
	int ret;

	if (!vm->mmio_fn)
		return -ENXIO; /* no device model: nothing may claim it */
	if (write)
		memcpy(data, run->mmio.data, run->mmio.len);
	ret = vm->mmio_fn(vm->mmio_opaque, vtl, run->mmio.phys_addr, run->mmio.len, write, data);
	if (ret > 0)
		ret = -EIO; /* the contract is 0 or -errno: never treat it as handled */
	if (ret)
		return ret;
	if (!write) {
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		memcpy(run->mmio.data, data, run->mmio.len);
	}
	vm->stats.device_mmio++;
	return 0;
}

static int mmio_exit(struct memattr_vm *vm, unsigned int vtl, unsigned int *next)
{
	struct kvm_run *run = vm->vcpu[vtl].run;
	uint64_t gpa = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;
	int ret;

	vm->stats.exit_detail = gpa;
	*next = vtl;
	/*
	 * Everything in the exit is KVM's, but check it as input: the data
	 * array holds 8 bytes, is_write is a flag, and the access must not wrap.
	 */
	if (!len || len > sizeof(run->mmio.data) || run->mmio.is_write > 1 ||
	    gpa > UINT64_MAX - len)
		return -EFAULT;
	if (gpa >= vm->ram_size)
		return device_mmio(vm, vtl, run);
	vm->stats.mmio_exits++;
	ret = access_decide(vm, vtl, gpa, len, run->mmio.is_write);
	if (ret < 0)
		return ret;
	if (ret == ACCESS_ALLOW) {
		emulate(vm, run);
		return 0;
	}
	return intercept_raise(vm, vtl, gpa, run->mmio.is_write, len, ICPT_MMIO, NULL, next);
}

/*
 * Measured on this machine's KVM: fetching an instruction from a PROT_NONE
 * alias page ends KVM_RUN with KVM_EXIT_INTERNAL_ERROR (emulation failure) at
 * that RIP.  When the VTL may not access the page this is an execute
 * intercept; anything else (a fallback block, code outside RAM) stops the run.
 */
static int fetch_exit(struct memattr_vm *vm, unsigned int vtl, unsigned int *next)
{
	struct kvm_run *run = vm->vcpu[vtl].run;
	struct kvm_regs regs;

	vm->stats.exit_detail = run->internal.suberror;
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
		return -EFAULT;
	int ret = vcpu_regs_get(vm, vtl, &regs);

	if (ret)
		return ret;
	vm->stats.exit_detail = regs.rip;
	ret = access_decide(vm, vtl, regs.rip, 1, MEMATTR_VM_ACCESS_EXECUTE);
	if (ret < 0)
		return ret;
	/*
	 * A fetch the attributes allow, from a page the view made stricter (a
	 * fallback block): KVM does not emulate fetches and neither does the
	 * VMM, so the VTL cannot go on; it stops, it gains nothing.
	 */
	if (ret == ACCESS_ALLOW)
		return -ENOEXEC;
	return intercept_raise(vm, vtl, regs.rip, MEMATTR_VM_ACCESS_EXECUTE, 0, ICPT_FETCH, NULL,
			       next);
}

/*
 * Let KVM finish the exit it left for us (skip the OUT, write an MMIO read's
 * data into its register) without entering the guest.  Needed before
 * KVM_SET_REGS: KVM's emulator drops its pending register write-back when the
 * registers are set under it (measured: a skipped read left its destination
 * unchanged).
 */
int vcpu_settle(struct memattr_vm *vm, unsigned int vtl)
{
	struct kvm_run *run = vm->vcpu[vtl].run;
	int ret = 0;

	run->immediate_exit = 1;
	if (vcpu_run(vm, vtl) != -EINTR)
		ret = -EIO;
	run->immediate_exit = 0;
	return ret;
}

/* The registers the TLFS shares between VTLs: all general-purpose ones but RSP. */
static __u64 *shared_reg(struct kvm_regs *r, unsigned int i)
{
	__u64 *all[] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->r8,
			 &r->r9,  &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15 };

	return i < sizeof(all) / sizeof(all[0]) ? all[i] : NULL;
}

/*
 * Move the shared register state from @from's vCPU to @to's (TLFS "Virtual
 * Processor State Isolation": each VTL keeps RIP, RSP, RFLAGS and its control
 * state; the other general-purpose registers are shared).  @back: @to is
 * coming back to an access it was stopped at, whose registers before the
 * access were @vm->held.regs.  The access completes after the higher
 * VTL ran, so a register it wrote keeps the access's value.
 */
static int vtl_switch(struct memattr_vm *vm, unsigned int from, unsigned int to, bool back)
{
	struct kvm_regs a, b;
	uint64_t rax, rcx;
	__u64 *p;
	int ret;

	/*
	 * A held read must land in its register before KVM_SET_REGS.  A pending
	 * OUT needs nothing: KVM skips it on the next KVM_RUN as long as RIP is
	 * unchanged.  An EFAULT leaves nothing pending in KVM: the registers are
	 * still those before the instruction, and fault_resume() completes it
	 * after the switch.
	 */
	if (back && vm->held.kind == ICPT_MMIO) {
		ret = vcpu_settle(vm, to);
		if (ret)
			return ret;
	}
	ret = vcpu_regs_get(vm, from, &a);
	if (!ret)
		ret = vcpu_regs_get(vm, to, &b);
	if (ret)
		return ret;
	if (to < from) {
		/*
		 * VtlReturn's own sequence used RAX and RCX: the front gave @to
		 * the VTL control's values (or, for a fast return, left them).
		 */
		hv_return_regs(vm, to, &rax, &rcx);
		a.rax = rax;
		a.rcx = rcx;
	} else {
		control_entry_set(vm, to, hv_entry_reason(vm));
	}
	for (unsigned int i = 0; (p = shared_reg(&b, i)); i++)
		if (!back || *p == *shared_reg(&vm->held.regs, i))
			*p = *shared_reg(&a, i);
	vm->stats.vtl_switches++;
	return vcpu_regs_set(vm, to, &b);
}

int memattr_vm_run(struct memattr_vm *vm, unsigned int vtl, unsigned int *halted_vtl)
{
	unsigned int next;
	int ret;

	if (!vm || vtl >= vm->vtls)
		return -EINVAL;
	ret = hv_enter(vm, vtl);
	if (ret)
		return ret;
	for (;;) {
		struct kvm_run *run = vm->vcpu[vtl].run;

		if (vm->views.error)
			return vm->views.error; /* never run on a view that may be too loose */
		next = vtl;
		if (vm->fault[vtl].resume) {
			/* The receiving VTL decided on the instruction an EFAULT stopped. */
			ret = fault_resume(vm, vtl, &next);
			if (ret != FAULT_EXITED)
				goto handled;
		} else {
			ret = vcpu_run(vm, vtl);
		}
		if (ret < 0) {
			if (ret == -EINTR || ret == -EAGAIN)
				continue;
			vm->stats.exit_reason = run->exit_reason; /* KVM_EXIT_MEMORY_FAULT, say */
			if (ret != -EFAULT)
				return ret;
			/* Hardware-virtualized KVM: the views may have stopped an access. */
			ret = fault_exit(vm, vtl, &next);
			if (ret != FAULT_EXITED)
				goto handled;
		}
		/* An exit of KVM_RUN's, or of a single step's (FAULT_EXITED). */
		vm->stats.exits++;
		vm->stats.exit_reason = run->exit_reason;
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			if (halted_vtl)
				*halted_vtl = vtl;
			return 0;
		case KVM_EXIT_IO:
			if (run->io.port != MEMATTR_VM_DOORBELL_PORT ||
			    run->io.direction != KVM_EXIT_IO_OUT)
				return -EIO;
			vm->stats.hypercalls++;
			ret = hv_doorbell(vm, vtl, &next);
			if (!ret)
				ret = views_refresh(vm); /* protections may have been lifted */
			break;
		case KVM_EXIT_MMIO:
			ret = mmio_exit(vm, vtl, &next);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			ret = fetch_exit(vm, vtl, &next);
			break;
		case KVM_EXIT_X86_RDMSR:
		case KVM_EXIT_X86_WRMSR:
			ret = hv_msr_exit(vm, vtl);
			break;
		default:
			return -EFAULT;
		}
	handled:
		if (ret)
			return ret;
		if (next != vtl) {
			bool back = vm->held.from >= 0 && (unsigned int)vm->held.from == next;

			/* The decision first: the switch settles the held access. */
			if (back && (ret = intercept_complete(vm)))
				return ret;
			ret = vtl_switch(vm, vtl, next, back);
			if (ret)
				return ret;
			vtl = next;
		}
	}
}
