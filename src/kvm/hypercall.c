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

/* TLFS VSM "VTL Entry": a secure intercept enters the higher VTL. */
int hv_intercept_enter(struct memattr_vm *vm, unsigned int from)
{
	struct memattr_vsm_intercept ic = { .target_vtl = from + 1, .vp = 0, .vp_vtl = from };
	struct kvm_regs k;
	int ret = regs_sync(vm, from, &k);

	if (ret)
		return ret;
	if (memattr_vsm_enter_intercept(front(vm), &ic) ||
	    memattr_vsm_vp_vtl(front(vm), 0) != from + 1)
		return -EFAULT;
	return 0;
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
	struct memattr_vsm_intercept ic;
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
		/* The input page is closed to the caller: the higher VTL hears of the read. */
		if (memattr_vsm_pending_intercept(v, 0, &ic) != 1 || ic.target_vtl != vtl + 1)
			return -EFAULT;
		ret = rewind_out(vm, vtl, &k);
		if (ret)
			return ret;
		*next_vtl = vtl + 1;
		return intercept_raise(vm, vtl, ic.gpa, MEMATTR_VM_ACCESS_READ, 8, true);
	}
	k.rax = result;
	*next_vtl = memattr_vsm_vp_vtl(v, 0);
	return vcpu_regs_set(vm, vtl, &k);
}
