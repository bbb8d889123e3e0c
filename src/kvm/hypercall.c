// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hypercall doorbell on the VSM front (include/memattr/vsm.h): the only
 * file of the KVM backend that depends on it.  The doorbell forwards every
 * hypercall to the front, which decodes and validates it, keeps VTL
 * enablement and each VP's current VTL, and sets the protections in the
 * store; this file keeps the front's view of VP 0's registers and VTL
 * controls in step with the KVM vCPUs and guest memory, and turns its VTL
 * changes into vCPU switches (exits.c moves the shared registers between the
 * vCPUs).  The guest rings it with `out %al, $0x50` and the x64 hypercall
 * registers (RCX control, RDX input GPA, R8 output GPA), from the hypercall
 * page hv_guest.c writes or its own code; the result goes to RAX.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <memattr/vsm.h>

#include "vm_int.h"
#include "vsm/tlfs.h"

struct hv {
	struct memattr_vsm *v;
};

static struct memattr_vsm *front(struct memattr_vm *vm)
{
	return ((struct hv *)vm->hv)->v;
}

int hv_init(struct memattr_vm *vm)
{
	struct memattr_vsm_ram ram = { .gpa = 0, .size = vm->ram_size, .host = vm->ram };
	struct memattr_vsm_config cfg = {
		.store = vm->store,
		.max_vtl = vm->vtls - 1,
		.nvps = 1,
		.ram = &ram,
		.nram = 1,
	};
	struct hv *h;
	int ret;

	/* VtlCall and VtlReturn go through the hypercall page when the guest has one. */
	if (vm->hv_offered) {
		cfg.vtl_call_offset = HV_PAGE_VTL_CALL_OFFSET;
		cfg.vtl_return_offset = HV_PAGE_VTL_RETURN_OFFSET;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	ret = memattr_vsm_create(&cfg, &h->v);
	if (ret) {
		free(h);
		return ret;
	}
	vm->hv = h;
	/* The front owns the store's layout: the views must read the same layers. */
	for (unsigned int t = 0; t < vm->vtls; t++)
		if (vm->mask[t] != memattr_vsm_layer_mask(h->v, t))
			return -EINVAL;
	return 0;
}

void hv_fini(struct memattr_vm *vm)
{
	struct hv *h = vm->hv;

	if (!h)
		return;
	memattr_vsm_destroy(h->v);
	free(h);
	vm->hv = NULL;
}

/* HV_X64_SEGMENT_REGISTER.Attributes: the VMX access-rights layout. */
static uint16_t seg_attributes(const struct kvm_segment *s)
{
	return s->type | s->s << 4 | s->dpl << 5 | s->present << 7 | s->avl << 12 | s->l << 13 |
	       s->db << 14 | s->g << 15;
}

static void seg_store(struct memattr_vsm_seg *d, const struct kvm_segment *s)
{
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->attributes = seg_attributes(s);
}

/*
 * The front's copy of @vtl's registers: general-purpose, RIP, RFLAGS, and
 * the state it checks a hypercall against (CPL from CS, CR0.PE, EFER).
 */
static void regs_store(struct memattr_vm *vm, unsigned int vtl, const struct kvm_regs *k,
		       const struct kvm_sregs *s)
{
	struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(front(vm), 0, vtl);
	const __u64 gpr[16] = { k->rax, k->rcx, k->rdx, k->rbx, k->rsp, k->rbp, k->rsi, k->rdi,
				k->r8,	k->r9,	k->r10, k->r11, k->r12, k->r13, k->r14, k->r15 };

	for (int i = 0; i < 16; i++)
		r->gpr[i] = gpr[i];
	r->rip = k->rip;
	r->rflags = k->rflags;
	seg_store(&r->cs, &s->cs);
	seg_store(&r->ss, &s->ss);
	r->cr0 = s->cr0;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->efer = s->efer;
}

static int regs_sync(struct memattr_vm *vm, unsigned int vtl, struct kvm_regs *k)
{
	struct kvm_sregs s;
	int ret = vcpu_regs_get(vm, vtl, k);

	if (ret)
		return ret;
	ret = vcpu_sregs_get(vm, vtl, &s);
	if (ret)
		return ret;
	regs_store(vm, vtl, k, &s);
	return 0;
}

/*
 * HV_INITIAL_VP_CONTEXT of @vtl's vCPU as the VMM set it up: the registers
 * HvCallEnableVpVtl takes, the rest 0.
 */
static int initial_context(struct memattr_vm *vm, unsigned int vtl, struct memattr_vsm_vp_regs *c)
{
	struct kvm_sregs s;
	struct kvm_regs k;
	int ret = vcpu_regs_get(vm, vtl, &k);

	if (!ret)
		ret = vcpu_sregs_get(vm, vtl, &s);
	if (ret)
		return ret;
	memset(c, 0, sizeof(*c));
	c->rip = k.rip;
	c->gpr[MEMATTR_RSP] = k.rsp;
	c->rflags = k.rflags;
	seg_store(&c->cs, &s.cs);
	seg_store(&c->ds, &s.ds);
	seg_store(&c->es, &s.es);
	seg_store(&c->fs, &s.fs);
	seg_store(&c->gs, &s.gs);
	seg_store(&c->ss, &s.ss);
	seg_store(&c->tr, &s.tr);
	seg_store(&c->ldtr, &s.ldt);
	c->idtr_base = s.idt.base;
	c->idtr_limit = s.idt.limit;
	c->gdtr_base = s.gdt.base;
	c->gdtr_limit = s.gdt.limit;
	c->efer = s.efer;
	c->cr0 = s.cr0;
	c->cr3 = s.cr3;
	c->cr4 = s.cr4;
	c->pat = 0x0007040600070406ULL; /* the architectural reset PAT */
	return 0;
}

/*
 * Bring VP 0 up to @vtl the way a VTL 0 loader does (Windows' loader before
 * the secure kernel runs): EnablePartitionVtl, EnableVpVtl with the context the
 * VMM gave that VTL's vCPU, then VtlCall, each from the VP's current VTL.  The
 * enables go through the front's C calls, which apply the hypercalls' rules;
 * the VtlCall is a hypercall, so every vCPU on the way must be initialized
 * (the front refuses hypercalls from real mode): -EPERM otherwise.
 */
int hv_enter(struct memattr_vm *vm, unsigned int vtl)
{
	struct memattr_vsm *v = front(vm);
	struct memattr_vsm_vp_regs ctx;
	struct kvm_regs k;
	uint64_t r;
	int ret;

	if (vtl < memattr_vsm_vp_vtl(v, 0))
		return -EINVAL;
	while (memattr_vsm_vp_vtl(v, 0) < vtl) {
		unsigned int cur = memattr_vsm_vp_vtl(v, 0), t = cur + 1;

		/* The front checks the caller's mode and CPL: give it the vCPU's. */
		ret = regs_sync(vm, cur, &k);
		if (ret)
			return ret;
		if (!(memattr_vsm_partition_vtls(v) & 1U << t) &&
		    memattr_vsm_enable_partition_vtl(v, 0, t, false))
			return -EPERM;
		if (!(memattr_vsm_vp_vtls(v, 0) & 1U << t)) {
			ret = initial_context(vm, t, &ctx);
			if (ret)
				return ret;
			if (memattr_vsm_enable_vp_vtl(v, 0, 0, t, &ctx))
				return -EPERM;
		}
		/*
		 * VtlCall's input is RAX, which must be 0 (TLFS "VTL Call"): the
		 * loader's call sets it in the front's copy only; the vCPU keeps
		 * its own RAX.
		 */
		memattr_vsm_vp_regs(v, 0, cur)->gpr[MEMATTR_RAX] = 0;
		r = memattr_vsm_hypercall(v, 0, MEMATTR_HVCALL_VTL_CALL, 0, 0);
		/* #UD or an intercept, as well as a status, mean the call did not happen. */
		if (MEMATTR_HV_RESULT_STATUS(r) ||
		    r & (MEMATTR_VSM_INJECT_UD | MEMATTR_VSM_INTERCEPTED))
			return -EPERM;
	}
	return 0;
}

/* vm.h's public offsets and values are the TLFS structures' of vsm/tlfs.h and the front's. */
#define MSG_OFFSET(f)  offsetof(struct hv_message, f)
#define ICPT_OFFSET(f) (MSG_OFFSET(payload) + offsetof(struct hv_memory_intercept_message, f))

_Static_assert(MEMATTR_VM_MSG_TYPE == MSG_OFFSET(header.message_type), "MessageType");
_Static_assert(MEMATTR_VM_MSG_PAYLOAD_SIZE == MSG_OFFSET(header.payload_size), "PayloadSize");
_Static_assert(MEMATTR_VM_MSG_PAYLOAD == MSG_OFFSET(payload), "payload follows the header");
_Static_assert(MEMATTR_VM_MSG_ACCESS == ICPT_OFFSET(header.intercept_access_type),
	       "InterceptAccessType");
_Static_assert(MEMATTR_VM_MSG_RIP == ICPT_OFFSET(header.rip), "Rip");
_Static_assert(MEMATTR_VM_MSG_GPA == ICPT_OFFSET(guest_physical_address), "GuestPhysicalAddress");
_Static_assert(MEMATTR_VSM_INTERCEPT_MSG_SIZE == sizeof(struct hv_memory_intercept_message) &&
		       MEMATTR_VSM_INTERCEPT_MSG_SIZE <= sizeof(((struct hv_message *)0)->payload),
	       "an intercept fits one message slot");
_Static_assert(MEMATTR_VM_MSG_GPA_INTERCEPT == MEMATTR_HV_MESSAGE_GPA_INTERCEPT,
	       "the public name is the front's");
_Static_assert(MEMATTR_VM_ACCESS_EXECUTE == MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE &&
		       MEMATTR_VM_ACCESS_WRITE == MEMATTR_HV_INTERCEPT_ACCESS_WRITE,
	       "access types are TLFS HV_INTERCEPT_ACCESS_TYPE");
_Static_assert(MEMATTR_VM_ENTRY_VTL_CALL == MEMATTR_HV_VTL_ENTRY_VTL_CALL &&
		       MEMATTR_VM_ENTRY_INTERCEPT == MEMATTR_HV_VTL_ENTRY_INTERCEPT,
	       "entry reasons are TLFS HV_VTL_ENTRY_REASON, as the front sets them");
_Static_assert(offsetof(struct memattr_vm_vtl_control, entry_reason) ==
			       offsetof(struct memattr_vsm_vtl_control, entry_reason) &&
		       offsetof(struct memattr_vm_vtl_control, vtl_return_rax) ==
			       offsetof(struct memattr_vsm_vtl_control, vtl_return_rax) &&
		       offsetof(struct memattr_vm_vtl_control, vtl_return_rcx) ==
			       offsetof(struct memattr_vsm_vtl_control, vtl_return_rcx),
	       "the guest's VTL control is HV_VP_VTL_CONTROL, as the front's");

/* The front's access for a blocked access of the VMM's kind: CPL 3 fetches are user ones. */
static enum memattr_access access_of(uint32_t access, const struct kvm_sregs *s)
{
	if (access == MEMATTR_VM_ACCESS_EXECUTE)
		return (s->cs.selector & 3) == 3 ? MEMATTR_ACCESS_UEXEC : MEMATTR_ACCESS_KEXEC;
	return access == MEMATTR_VM_ACCESS_WRITE ? MEMATTR_ACCESS_WRITE : MEMATTR_ACCESS_READ;
}

/*
 * Ask the front which VTL's protection the access breaks and for the
 * intercept's fields: memattr_vsm_check() of each page the access touches
 * (the first blocked one is reported, as a fault on it would be).
 * Return: 1 with *@ic filled, 0 if the front finds nothing blocked, -errno.
 */
static int blocked_by(struct memattr_vm *vm, uint64_t gpa, uint32_t len, enum memattr_access a,
		      struct memattr_vsm_intercept *ic)
{
	uint64_t last = (gpa + (len ? len - 1 : 0)) >> MEMATTR_PAGE_SHIFT;

	for (uint64_t g = gpa >> MEMATTR_PAGE_SHIFT; g <= last; g++) {
		uint64_t at = g == gpa >> MEMATTR_PAGE_SHIFT ? gpa : g << MEMATTR_PAGE_SHIFT;
		int ret = memattr_vsm_check(front(vm), 0, at, a, ic);

		if (ret)
			return ret;
	}
	return 0;
}

/* HV_X64_MEMORY_ACCESS_INFO (TLFS): bit 0 GvaValid, GuestVirtualAddress holds the access's GVA. */
#define HV_MEMORY_ACCESS_INFO_GVA_VALID 0x1u

int hv_intercept(struct memattr_vm *vm, unsigned int from, uint64_t gpa, uint32_t access,
		 uint32_t len, enum icpt_kind kind, const struct icpt_insn *insn,
		 struct memattr_vm_intercept *r)
{
	uint8_t payload[MEMATTR_VSM_INTERCEPT_MSG_SIZE], m[sizeof(struct hv_message)];
	struct memattr_vsm_intercept ic;
	struct kvm_sregs s;
	struct kvm_regs k;
	int ret;

	if (memattr_vsm_vp_vtl(front(vm), 0) != from)
		return -EFAULT; /* the front and the VMM disagree on what runs */
	/* The front fills the message header from VP 0's registers: give it the vCPU's. */
	ret = regs_sync(vm, from, &k);
	if (!ret)
		ret = vcpu_sregs_get(vm, from, &s);
	if (ret)
		return ret;
	if (kind == ICPT_HYPERCALL) {
		/* The front raised it while reading the input page; RIP is on the call again. */
		if (memattr_vsm_pending_intercept(front(vm), 0, &ic) != 1)
			return -EFAULT;
		ic.rip = k.rip;
	} else {
		ret = blocked_by(vm, gpa, len, access_of(access, &s), &ic);
		if (ret != 1)
			return -EFAULT; /* the views stopped what the front allows: stop, never
					   allow */
	}
	if (ic.vp_vtl != from || ic.target_vtl <= from || ic.target_vtl >= vm->vtls)
		return -EFAULT;
	/*
	 * The guests run identity mapped: the instruction's GVA is its GPA.
	 * TLFS HV_X64_INTERCEPT_MESSAGE_HEADER: InstructionLength 0 means
	 * unknown, the receiver decodes InstructionBytes.  KVM's exit does not
	 * report the length, and the bytes fetched are not it: leave it 0.  The
	 * EFAULT path has decoded the instruction, fetched through the guest's
	 * own page tables: its bytes and length are the message's.
	 */
	ic.insn_length = 0;
	ic.insn_count = 0;
	if (insn) {
		ic.insn_length = insn->length;
		ic.insn_count = insn->count < sizeof(ic.insn) ? insn->count : sizeof(ic.insn);
		memcpy(ic.insn, insn->bytes, ic.insn_count);
	} else if (ic.rip < vm->ram_size) {
		ic.insn_count = vm->ram_size - ic.rip < sizeof(ic.insn) ? vm->ram_size - ic.rip
									: sizeof(ic.insn);
		memcpy(ic.insn, vm->ram + ic.rip, ic.insn_count);
	}
	memattr_vsm_intercept_encode(&ic, payload);
	if (insn) {
		/* The front's intercept carries no GVA: the EFAULT path knows it. */
		TLFS_PUT(payload, struct hv_memory_intercept_message, guest_virtual_address,
			 insn->gva);
		TLFS_PUT(payload, struct hv_memory_intercept_message, memory_access_info,
			 HV_MEMORY_ACCESS_INFO_GVA_VALID);
	}
	/* HV_MESSAGE_HEADER: PayloadSize, MessageFlags 0, Reserved, Sender 0. */
	memset(m, 0, sizeof(m));
	TLFS_PUT(m, struct hv_message, header.message_type, MEMATTR_HV_MESSAGE_GPA_INTERCEPT);
	TLFS_PUT(m, struct hv_message, header.payload_size, MEMATTR_VSM_INTERCEPT_MSG_SIZE);
	memcpy(m + MSG_OFFSET(payload), payload, sizeof(payload));
	ret = message_post(vm, ic.target_vtl, m);
	if (ret)
		return ret;

	/* TLFS VSM "VTL Entry": a secure intercept enters the receiving VTL directly. */
	if (memattr_vsm_enter_intercept(front(vm), &ic) ||
	    memattr_vsm_vp_vtl(front(vm), 0) != ic.target_vtl)
		return -EFAULT;
	*r = (struct memattr_vm_intercept){
		.from_vtl = from,
		.to_vtl = ic.target_vtl,
		.gpa = ic.gpa,
		.access = ic.access_type,
		.len = len,
		.rip = ic.rip,
		.action = MEMATTR_VM_ACTION_SKIP,
	};
	return 0;
}

void hv_return_regs(struct memattr_vm *vm, unsigned int to, uint64_t *rax, uint64_t *rcx)
{
	const struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(front(vm), 0, to);

	*rax = r->gpr[MEMATTR_RAX];
	*rcx = r->gpr[MEMATTR_RCX];
}

uint32_t hv_entry_reason(struct memattr_vm *vm)
{
	return memattr_vsm_entry_reason(front(vm), 0);
}

#define HV_EXCEPTION_UD 6

/* Put RIP back on the doorbell's OUT (E6 50, two bytes), which KVM has skipped. */
static int rewind_out(struct memattr_vm *vm, unsigned int vtl, struct kvm_regs *k)
{
	int ret = vcpu_settle(vm, vtl);

	if (!ret)
		ret = vcpu_regs_get(vm, vtl, k);
	if (ret)
		return ret;
	k->rip -= 2;
	return vcpu_regs_set(vm, vtl, k);
}

/* TLFS: a hypercall from CPL > 0 or real mode, a bad VTL call or return: #UD. */
static int inject_ud(struct memattr_vm *vm, unsigned int vtl)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs k;
	int ret = rewind_out(vm, vtl, &k);

	if (ret)
		return ret;
	if (ioctl(vm->vcpu[vtl].fd, KVM_GET_VCPU_EVENTS, &ev))
		return -errno;
	ev.exception.injected = 1;
	ev.exception.nr = HV_EXCEPTION_UD;
	ev.exception.has_error_code = 0;
	return ioctl(vm->vcpu[vtl].fd, KVM_SET_VCPU_EVENTS, &ev) ? -errno : 0;
}

int hv_doorbell(struct memattr_vm *vm, unsigned int vtl, unsigned int *next_vtl)
{
	struct memattr_vsm *v = front(vm);
	struct kvm_regs k;
	uint64_t result;
	int ret;

	*next_vtl = vtl;
	if (memattr_vsm_vp_vtl(v, 0) != vtl)
		return -EFAULT; /* the front and the VMM disagree on what runs */
	ret = regs_sync(vm, vtl, &k);
	if (ret)
		return ret;
	if (vtl) {
		/*
		 * The VTL control stands for the one in the VTL's VP assist page:
		 * hand the front its return fields, which a VtlReturn that is not
		 * fast gives the lower VTL (TLFS VSM "VTL Return").
		 */
		struct memattr_vsm_vtl_control *fc = memattr_vsm_vtl_control(v, 0, vtl);

		if (!fc)
			return -EFAULT;
		control_return_regs(vm, vtl, &fc->vtl_return_rax, &fc->vtl_return_rcx);
	}
	result = memattr_vsm_hypercall(v, 0, k.rcx, k.rdx, k.r8);
	if (result & MEMATTR_VSM_INJECT_UD)
		return inject_ud(vm, vtl);
	if (result & MEMATTR_VSM_INTERCEPTED) {
		/*
		 * The input page is closed to the caller: the VTL that closed it
		 * hears of the read (hv_intercept() takes the front's intercept).
		 */
		ret = rewind_out(vm, vtl, &k);
		if (ret)
			return ret;
		return intercept_raise(vm, vtl, 0 /* the front's */, MEMATTR_VM_ACCESS_READ, 8,
				       ICPT_HYPERCALL, NULL, next_vtl);
	}
	k.rax = result;
	*next_vtl = memattr_vsm_vp_vtl(v, 0);
	return vcpu_regs_set(vm, vtl, &k);
}
