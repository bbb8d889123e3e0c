// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hypercall doorbell on the VSM front (include/memattr/vsm.h): the only
 * file of the KVM backend that depends on it.  The front decodes and
 * validates every hypercall, keeps VTL enablement and each VP's current VTL,
 * and sets the protections in the store; this file keeps the front's view of
 * VP 0's registers in step with the KVM vCPUs and turns its VTL changes into
 * vCPU switches (exits.c moves the shared registers between the vCPUs).
 * The guest rings it with `out %al, $0x50` and the x64 hypercall registers
 * (RCX control, RDX input GPA, R8 output GPA); the result goes to RAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <memattr/vsm.h>

#include "vm_int.h"

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
		.max_vtl = vm->vtls - 1,
		.nvps = 1,
		.ram = &ram,
		.nram = 1,
	};
	struct hv *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	/* The front keeps the protections on each lower VTL in that VTL's store. */
	for (unsigned int t = 0; t + 1 < vm->vtls; t++)
		cfg.stores[t] = vm->vstore[t];
	ret = memattr_vsm_create(&cfg, &h->v);
	if (ret) {
		free(h);
		return ret;
	}
	vm->hv = h;
	/* The front owns the stores' layout: the views must read the same layers. */
	for (unsigned int t = 0; t < vm->vtls; t++)
		if (vm->mask[t] != memattr_vsm_layer_mask(h->v, t) ||
		    (vm->mask[t] && vm->vstore[t] != memattr_vsm_store(h->v, t)))
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

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* HV_X64_SEGMENT_REGISTER: Base, Limit, Selector, Attributes (VMX access-rights layout). */
static void put_seg(uint8_t *p, const struct kvm_segment *s)
{
	put64(p, s->base);
	put32(p + 8, s->limit);
	put16(p + 12, s->selector);
	put16(p + 14, seg_attributes(s));
}

/* HV_INITIAL_VP_CONTEXT of @vtl's vCPU as the VMM set it up (224 bytes). */
static int vp_context(struct memattr_vm *vm, unsigned int vtl, uint8_t *c)
{
	const struct kvm_segment *segs[8];
	struct kvm_sregs s;
	struct kvm_regs r;

	if (ioctl(vm->vcpu[vtl].fd, KVM_GET_REGS, &r) || ioctl(vm->vcpu[vtl].fd, KVM_GET_SREGS, &s))
		return -errno;
	segs[0] = &s.cs, segs[1] = &s.ds, segs[2] = &s.es, segs[3] = &s.fs;
	segs[4] = &s.gs, segs[5] = &s.ss, segs[6] = &s.tr, segs[7] = &s.ldt;
	memset(c, 0, 224);
	put64(c, r.rip);
	put64(c + 8, r.rsp);
	put64(c + 16, r.rflags);
	for (int i = 0; i < 8; i++)
		put_seg(c + 24 + 16 * i, segs[i]);
	put16(c + 152 + 6, s.idt.limit);
	put64(c + 152 + 8, s.idt.base);
	put16(c + 168 + 6, s.gdt.limit);
	put64(c + 168 + 8, s.gdt.base);
	put64(c + 184, s.efer);
	put64(c + 192, s.cr0);
	put64(c + 200, s.cr3);
	put64(c + 208, s.cr4);
	put64(c + 216, 0x0007040600070406ULL); /* the architectural reset PAT */
	return 0;
}

static int call(struct memattr_vm *vm, uint64_t code)
{
	uint64_t r = memattr_vsm_hypercall(front(vm), 0, code, HV_SCRATCH_GPA, 0);

	/* #UD or an intercept, as well as a status, mean the call did not happen. */
	return MEMATTR_HV_RESULT_STATUS(r) || r & (MEMATTR_VSM_INJECT_UD | MEMATTR_VSM_INTERCEPTED)
		       ? -EPERM
		       : 0;
}

/*
 * Bring VP 0 up to @vtl the way a VTL 0 loader does (Windows' loader before
 * the secure kernel runs): EnablePartitionVtl, EnableVpVtl with the context the
 * VMM gave that VTL's vCPU, then VtlCall.  The inputs go through a scratch
 * page of the VMM's own 64 KiB.  Every vCPU on the way must be initialized
 * (the front refuses hypercalls from real mode): -EPERM otherwise.
 */
int hv_enter(struct memattr_vm *vm, unsigned int vtl)
{
	struct memattr_vsm *v = front(vm);
	uint8_t *in = vm->ram + HV_SCRATCH_GPA;
	struct kvm_regs k;
	int ret;

	if (vtl < memattr_vsm_vp_vtl(v, 0))
		return -EINVAL;
	while (memattr_vsm_vp_vtl(v, 0) < vtl) {
		unsigned int cur = memattr_vsm_vp_vtl(v, 0), t = cur + 1;

		/* The front checks the caller's mode and CPL: give it the vCPU's. */
		ret = regs_sync(vm, cur, &k);
		if (ret)
			return ret;
		if (!(memattr_vsm_partition_vtls(v) & 1U << t)) {
			memset(in, 0, 16);
			put64(in, MEMATTR_HV_PARTITION_ID_SELF);
			in[8] = t;
			ret = call(vm, MEMATTR_HVCALL_ENABLE_PARTITION_VTL);
			if (ret)
				return ret;
		}
		if (!(memattr_vsm_vp_vtls(v, 0) & 1U << t)) {
			memset(in, 0, 16);
			put64(in, MEMATTR_HV_PARTITION_ID_SELF);
			in[12] = t;
			ret = vp_context(vm, t, in + 16);
			if (!ret)
				ret = call(vm, MEMATTR_HVCALL_ENABLE_VP_VTL);
			if (ret)
				return ret;
		}
		ret = call(vm, MEMATTR_HVCALL_VTL_CALL);
		if (ret)
			return ret;
	}
	return 0;
}

/* HV_MESSAGE (TLFS "SynIC Messages"): a 16-byte header, then up to 240 bytes of payload. */
#define HV_MESSAGE_SIZE	       256
#define HV_MESSAGE_HEADER_SIZE 16
#define HV_MESSAGE_TYPE_NONE   0x00000000u
#define INSN_BYTES	       16

_Static_assert(MEMATTR_VM_MSG_PAYLOAD == HV_MESSAGE_HEADER_SIZE, "payload follows the header");
_Static_assert(HV_MESSAGE_HEADER_SIZE + MEMATTR_VSM_INTERCEPT_MSG_SIZE <= HV_MESSAGE_SIZE,
	       "an intercept fits one message slot");
_Static_assert(MEMATTR_VM_MSG_GPA_INTERCEPT == MEMATTR_HV_MESSAGE_GPA_INTERCEPT,
	       "the public name is the front's");
_Static_assert(MEMATTR_VM_ACCESS_EXECUTE == MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE &&
		       MEMATTR_VM_ACCESS_WRITE == MEMATTR_HV_INTERCEPT_ACCESS_WRITE,
	       "access types are TLFS HV_INTERCEPT_ACCESS_TYPE");

/*
 * Why the message is written straight into guest RAM, past every VTL rule:
 * the message page stands for the receiving VTL's SynIC message page
 * (SIMP), which the TLFS makes an overlay page the hypervisor owns and
 * writes ("SynIC Message Page", "GPA Overlay Pages"): delivering a message
 * is the hypervisor's own write, not an access on behalf of any VTL, so the
 * VSM front's guest-memory accessors (which check a VTL's protections) do
 * not apply.  It is safe because:
 *  - the page is the receiving VTL's (msg_gpa, set by the VMM, page aligned,
 *    in RAM past the VMM's own 64 KiB: checked at creation), and the VMM
 *    writes only its first HV_MESSAGE slot;
 *  - of the VTL's pages the VMM reads back only its decision
 *    (intercept_action, reset to SKIP before the VTL is entered, anything
 *    but ALLOW taken as SKIP) and the VtlReturn registers;
 *  - unlike a real overlay, the page is ordinary RAM, so it is the
 *    receiving VTL's protections that keep lower VTLs out of it (the demo's
 *    VTL 1 makes its whole range NO_ACCESS to VTL 0).  A lower VTL that could
 *    still write it gains nothing: it does not run while its access is held,
 *    and a slot it leaves full only stops the run (-EFAULT), never allows.
 */
static uint8_t *msg_slot(struct memattr_vm *vm, unsigned int vtl)
{
	return vm->ram + vm->msg_gpa[vtl]; /* SINT 0, the intercept SINT: the first slot */
}

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

int hv_intercept(struct memattr_vm *vm, unsigned int from, uint64_t gpa, uint32_t access,
		 uint32_t len, enum icpt_kind kind, struct memattr_vm_intercept *r)
{
	uint8_t payload[MEMATTR_VSM_INTERCEPT_MSG_SIZE], *m;
	struct memattr_vsm_intercept ic;
	struct kvm_sregs s;
	struct kvm_regs k;
	uint32_t type;
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
	m = msg_slot(vm, ic.target_vtl);
	memcpy(&type, m + MEMATTR_VM_MSG_TYPE, 4);
	if (type != HV_MESSAGE_TYPE_NONE)
		return -EFAULT; /* the slot is still full: no queue, and the VP is held anyway */
	/*
	 * The guests run identity mapped: the instruction's GVA is its GPA.
	 * TLFS HV_X64_INTERCEPT_MESSAGE_HEADER: InstructionLength 0 means
	 * unknown, the receiver decodes InstructionBytes.  KVM's exit does not
	 * report the length, and the bytes fetched are not it: leave it 0.
	 */
	ic.insn_length = 0;
	ic.insn_count = 0;
	if (ic.rip < vm->ram_size) {
		ic.insn_count =
			vm->ram_size - ic.rip < INSN_BYTES ? vm->ram_size - ic.rip : INSN_BYTES;
		memcpy(ic.insn, vm->ram + ic.rip, ic.insn_count);
	}
	memattr_vsm_intercept_encode(&ic, payload);
	/* HV_MESSAGE_HEADER: PayloadSize, MessageFlags 0, Reserved, Sender 0; the type last. */
	memset(m, 0, HV_MESSAGE_SIZE);
	m[MEMATTR_VM_MSG_PAYLOAD_SIZE] = MEMATTR_VSM_INTERCEPT_MSG_SIZE;
	memcpy(m + MEMATTR_VM_MSG_PAYLOAD, payload, sizeof(payload));
	type = MEMATTR_HV_MESSAGE_GPA_INTERCEPT;
	memcpy(m + MEMATTR_VM_MSG_TYPE, &type, 4);

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

void hv_intercept_done(struct memattr_vm *vm, unsigned int to)
{
	uint32_t none = HV_MESSAGE_TYPE_NONE;

	memcpy(msg_slot(vm, to) + MEMATTR_VM_MSG_TYPE, &none, 4);
}

#define HVCALL_SET_VP_REGISTERS		 0x0051
#define HV_REGISTER_VSM_PARTITION_CONFIG 0x000d0007
#define HV_EXCEPTION_UD			 6

/*
 * HvCallSetVpRegisters (rep), for the one register the front models:
 * HvRegisterVsmPartitionConfig, written by the VP's current VTL.  Header
 * PartitionId (8), VpIndex (4), HV_INPUT_VTL (1), reserved (3); each rep an
 * HV_REGISTER_ASSOC of 32 bytes: Name (4), reserved (12), Value (16).
 */
static uint64_t set_vp_registers(struct memattr_vm *vm, uint64_t control, uint64_t in)
{
	unsigned int count = (control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & MEMATTR_HV_REP_MAX;
	unsigned int start = (control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & MEMATTR_HV_REP_MAX;
	uint8_t buf[MEMATTR_PAGE_SIZE];
	uint64_t len = 16 + 32ULL * count;

	if (control & MEMATTR_HV_CONTROL_FAST || start >= count)
		return MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in % 8 || (in & (MEMATTR_PAGE_SIZE - 1)) + len > MEMATTR_PAGE_SIZE)
		return (uint64_t)start << 32 | MEMATTR_HV_STATUS_INVALID_ALIGNMENT;
	if (memattr_vsm_guest_read(front(vm), 0, in, buf, len))
		return (uint64_t)start << 32 | MEMATTR_HV_STATUS_ACCESS_DENIED;
	for (unsigned int i = start; i < count; i++) {
		const uint8_t *assoc = buf + 16 + 32 * i;
		unsigned int status;
		uint64_t value;
		uint32_t name;

		memcpy(&name, assoc, 4);
		memcpy(&value, assoc + 16, 8);
		status = name == HV_REGISTER_VSM_PARTITION_CONFIG
				 ? memattr_vsm_set_partition_config(front(vm), 0, value)
				 : MEMATTR_HV_STATUS_INVALID_PARAMETER;
		if (status)
			return (uint64_t)i << 32 | status;
	}
	return (uint64_t)count << 32;
}

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
	if (MEMATTR_HV_CONTROL_CODE(k.rcx) == HVCALL_SET_VP_REGISTERS)
		result = set_vp_registers(vm, k.rcx, k.rdx);
	else
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
				       ICPT_HYPERCALL, next_vtl);
	}
	k.rax = result;
	*next_vtl = memattr_vsm_vp_vtl(v, 0);
	return vcpu_regs_set(vm, vtl, &k);
}
