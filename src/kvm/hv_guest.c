// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Hyper-V interface a guest programs, on KVM: the synthetic MSRs (an MSR
 * filter sends the hypervisor range 0x40000000-0x400000ff to user space, so
 * KVM's own Hyper-V emulation never sees them), the hypercall page they
 * enable, and the two pages the VMM writes for a VTL: the VTL control in its
 * VP assist page and SINT 0's slot in its SynIC message page.  The rules
 * are hv_interface.c's; this file keeps the state per VTL (each VTL is a KVM
 * VM of its own, so each has its own MSRs, as the TLFS makes the synthetic
 * MSRs private to a VTL) and touches guest memory.
 *
 * Without the guest's pages, a VTL's configured message page (msg_gpa,
 * struct memattr_vm_vtl_control) stands in: the doorbell interface of hosts
 * whose KVM cannot send MSRs to user space.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_interface.h"
#include "vm_int.h"
#include "vsm/tlfs.h"

bool hv_guest_probe(int kvm)
{
	/* Linux 5.10: both, or the guest could not reach the MSRs. */
	return ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) > 0 &&
	       ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) > 0;
}

int hv_guest_init(struct memattr_vm *vm, unsigned int vtl)
{
	uint8_t deny[HV_MSR_RANGE_COUNT / 8] = { 0 }; /* a clear bit denies: KVM exits */
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_FILTER,
	};
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = {
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = HV_MSR_RANGE_COUNT,
			.base = HV_MSR_RANGE_BASE,
			.bitmap = deny,
		},
	};

	hv_msrs_reset(&vm->hvg[vtl].msrs);
	vm->hvg[vtl].queued = false;
	if (!vm->hv_offered)
		return 0;
	if (ioctl(vm->vmfd[vtl], KVM_ENABLE_CAP, &cap) ||
	    ioctl(vm->vmfd[vtl], KVM_X86_SET_MSR_FILTER, &filter))
		return -errno;
	return 0;
}

/*
 * VTL @vtl's page at @gpa, for the VMM to write (or read) on the VTL's
 * behalf: RAM past the VMM's own 64 KiB, and the VTL's protections allow
 * it, as they would the VTL's own access.  NULL otherwise.
 */
static uint8_t *vtl_page(struct memattr_vm *vm, unsigned int vtl, uint64_t gpa, bool write)
{
	if (gpa < VMM_RESERVED || gpa >= vm->ram_size ||
	    !access_allowed(vtl_value(vm, vtl, gpa >> MEMATTR_PAGE_SHIFT), write))
		return NULL;
	return vm->ram + gpa;
}

struct page_check {
	struct memattr_vm *vm;
	unsigned int vtl;
};

static bool page_writable(void *opaque, uint64_t gpa)
{
	const struct page_check *c = opaque;

	return vtl_page(c->vm, c->vtl, gpa, true);
}

/*
 * A page the guest programmed: not programmed (the configured page stands
 * in), usable, or closed to the VTL since (neither the page nor the
 * configured one is used: nothing is written, nothing read).
 */
enum guest_page { PAGE_OFF, PAGE_OPEN, PAGE_CLOSED };

static enum guest_page page_state(uint8_t *p, uint8_t **out)
{
	*out = p;
	return p ? PAGE_OPEN : PAGE_CLOSED;
}

/* SINT 0's slot of @vtl's message page, when the VTL has enabled delivery to it. */
static enum guest_page simp_slot(struct memattr_vm *vm, unsigned int vtl, uint8_t **slot)
{
	const struct memattr_vm_hv_msrs *m = &vm->hvg[vtl].msrs;
	uint64_t gpa;

	/* OpenVMM posts only to an enabled SynIC's unmasked SINT. */
	if (!(m->scontrol & HV_SCONTROL_ENABLE) || m->sint[HV_SINT_INTERCEPT] & HV_SINT_MASKED ||
	    !hv_page_gpa(m->simp, &gpa))
		return PAGE_OFF;
	return page_state(
		vtl_page(vm, vtl, gpa + HV_SINT_INTERCEPT * sizeof(struct hv_message), true), slot);
}

/* Copy @msg into a free slot, the type last: the guest polls it. */
static void slot_fill(uint8_t *slot, const uint8_t *msg)
{
	const size_t type = sizeof(uint32_t);

	memcpy(slot + type, msg + type, sizeof(struct hv_message) - type);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(slot, msg, type);
}

static bool slot_free(const uint8_t *slot)
{
	return TLFS_GET(slot, struct hv_message, header.message_type) == HV_MESSAGE_TYPE_NONE;
}

/*
 * A configured message page is written past every VTL rule, as the overlay
 * page the TLFS makes a SIMP ("GPA Overlay Pages"), and freed by the VMM
 * once the VTL has returned.  Safe because the VMM set it (page aligned, in
 * RAM past its own 64 KiB: checked at creation) and reads back only the
 * decision (anything but ALLOW is SKIP) and the VtlReturn registers; a lower
 * VTL that could write it gains nothing: it does not run while its access is
 * held, and a slot it leaves full only stops the run, never allows.
 */
static uint8_t *legacy_slot(struct memattr_vm *vm, unsigned int vtl)
{
	return vm->msg_gpa[vtl] ? vm->ram + vm->msg_gpa[vtl] : NULL;
}

int message_post(struct memattr_vm *vm, unsigned int vtl, const uint8_t *msg)
{
	struct hv_guest *g = &vm->hvg[vtl];
	uint8_t *slot;

	switch (simp_slot(vm, vtl, &slot)) {
	case PAGE_CLOSED:
		return -EFAULT; /* a higher VTL closed the VTL's message page: stop, never allow */
	case PAGE_OPEN:
		if (slot_free(slot)) {
			slot_fill(slot, msg);
			return 0;
		}
		/*
		 * TLFS "Message Buffers": a full slot gets MessagePending, and
		 * the message waits until the guest frees the slot and writes
		 * EOM.  One waits at most: the VP that raised it is held.
		 */
		if (g->queued)
			return -EFAULT;
		memcpy(g->queue, msg, sizeof(g->queue));
		g->queued = true;
		slot[offsetof(struct hv_message, header.message_flags)] |= HV_MESSAGE_FLAG_PENDING;
		return 0;
	case PAGE_OFF:
		break;
	}
	slot = legacy_slot(vm, vtl);
	if (!slot || !slot_free(slot))
		return -EFAULT; /* nowhere to deliver it: stop, never allow */
	slot_fill(slot, msg);
	return 0;
}

void message_done(struct memattr_vm *vm, unsigned int vtl)
{
	uint8_t *slot = legacy_slot(vm, vtl), *own;

	/* The guest's own message page is the guest's to free (EOM protocol). */
	if (slot && simp_slot(vm, vtl, &own) == PAGE_OFF)
		TLFS_PUT(slot, struct hv_message, header.message_type, HV_MESSAGE_TYPE_NONE);
}

/* EOM: the waiting message goes to the slot if the guest freed it, else it waits on. */
static void message_eom(struct memattr_vm *vm, unsigned int vtl)
{
	struct hv_guest *g = &vm->hvg[vtl];
	uint8_t *slot;

	if (!g->queued || simp_slot(vm, vtl, &slot) != PAGE_OPEN)
		return;
	if (!slot_free(slot)) {
		slot[offsetof(struct hv_message, header.message_flags)] |= HV_MESSAGE_FLAG_PENDING;
		return;
	}
	slot_fill(slot, g->queue);
	g->queued = false;
}

/* @vtl's VP assist page, if the VTL enabled it. */
static enum guest_page assist_page(struct memattr_vm *vm, unsigned int vtl, bool write, uint8_t **p)
{
	uint64_t gpa;

	if (!hv_page_gpa(vm->hvg[vtl].msrs.vp_assist_page, &gpa))
		return PAGE_OFF;
	return page_state(vtl_page(vm, vtl, gpa, write), p);
}

#define ASSIST_CONTROL(f)                                                                          \
	(offsetof(struct hv_vp_assist_page, vtl_control) + offsetof(struct hv_vp_vtl_control, f))

_Static_assert(MEMATTR_VM_ASSIST_ENTRY_REASON == ASSIST_CONTROL(entry_reason) &&
		       MEMATTR_VM_ASSIST_RETURN_RAX == ASSIST_CONTROL(registers) &&
		       MEMATTR_VM_ASSIST_RETURN_RCX == ASSIST_CONTROL(registers) + 8,
	       "vm.h's offsets are HV_VP_ASSIST_PAGE's");
_Static_assert(MEMATTR_VM_ASSIST_ACTION_OFFSET >= sizeof(struct hv_vp_assist_page) &&
		       MEMATTR_VM_ASSIST_ACTION_OFFSET + 4 <= MEMATTR_PAGE_SIZE,
	       "the decision lies past HV_VP_VTL_CONTROL, within the page");

/*
 * Where @vtl's VTL control is: in the VP assist page it programmed
 * (*@assist), else in its configured message page (*@legacy), else nowhere
 * (both NULL), also when a higher VTL closed the programmed page since.
 */
static void control_find(struct memattr_vm *vm, unsigned int vtl, bool write, uint8_t **assist,
			 struct memattr_vm_vtl_control **legacy)
{
	*assist = NULL;
	*legacy = NULL;
	if (assist_page(vm, vtl, write, assist) == PAGE_OFF && vm->msg_gpa[vtl])
		*legacy = (void *)(vm->ram + vm->msg_gpa[vtl] + MEMATTR_VM_CONTROL_OFFSET);
}

void control_entry_set(struct memattr_vm *vm, unsigned int vtl, uint32_t reason)
{
	struct memattr_vm_vtl_control *c;
	uint8_t *p;

	control_find(vm, vtl, true, &p, &c);
	if (p)
		tlfs_put(p + ASSIST_CONTROL(entry_reason), reason, 4);
	else if (c)
		c->entry_reason = reason;
}

void control_return_regs(struct memattr_vm *vm, unsigned int vtl, uint64_t *rax, uint64_t *rcx)
{
	struct memattr_vm_vtl_control *c;
	uint8_t *p;

	control_find(vm, vtl, false, &p, &c);
	*rax = p ? tlfs_get(p + ASSIST_CONTROL(registers), 8) : c ? c->vtl_return_rax : 0;
	*rcx = p ? tlfs_get(p + ASSIST_CONTROL(registers) + 8, 8) : c ? c->vtl_return_rcx : 0;
}

void control_action_reset(struct memattr_vm *vm, unsigned int vtl)
{
	struct memattr_vm_vtl_control *c;
	uint8_t *p;

	control_find(vm, vtl, true, &p, &c);
	if (p)
		tlfs_put(p + MEMATTR_VM_ASSIST_ACTION_OFFSET, MEMATTR_VM_ACTION_SKIP, 4);
	else if (c)
		c->intercept_action = MEMATTR_VM_ACTION_SKIP;
}

uint32_t control_action(struct memattr_vm *vm, unsigned int vtl)
{
	struct memattr_vm_vtl_control *c;
	uint8_t *p;

	control_find(vm, vtl, false, &p, &c);
	if (p)
		return (uint32_t)tlfs_get(p + MEMATTR_VM_ASSIST_ACTION_OFFSET, 4);
	return c ? c->intercept_action : MEMATTR_VM_ACTION_SKIP;
}

int hv_msr_exit(struct memattr_vm *vm, unsigned int vtl)
{
	struct kvm_run *run = vm->vcpu[vtl].run;
	struct memattr_vm_hv_msrs *m = &vm->hvg[vtl].msrs;
	struct page_check check = { vm, vtl };
	uint64_t value, gpa;

	vm->stats.msr_exits++;
	run->msr.error = 0;
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		if (hv_msr_read(m, run->msr.index, 0 /* VP 0 */, &value))
			run->msr.data = value;
		else
			run->msr.error = 1; /* #GP */
		return 0;
	}
	switch (hv_msr_write(m, run->msr.index, run->msr.data, page_writable, &check)) {
	case HV_WRITE_GP:
		run->msr.error = 1;
		break;
	case HV_WRITE_MAP_HYPERCALL:
		hv_page_gpa(m->hypercall, &gpa);
		hv_hypercall_page_fill(vm->ram + gpa); /* page_writable() checked it */
		break;
	case HV_WRITE_EOM:
		message_eom(vm, vtl);
		break;
	case HV_WRITE_DONE:
		break;
	}
	return 0;
}

int memattr_vm_hv_msrs(const struct memattr_vm *vm, unsigned int vtl,
		       struct memattr_vm_hv_msrs *out)
{
	if (!vm || !out || vtl >= vm->vtls)
		return -EINVAL;
	if (!vm->hv_offered)
		return -ENOENT;
	*out = vm->hvg[vtl].msrs;
	return 0;
}

int memattr_vm_hv_cpuid(const struct memattr_vm *vm, uint32_t leaf, uint32_t regs[4])
{
	struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES];

	if (!vm || !regs || leaf < HV_CPUID_VENDOR || leaf >= HV_CPUID_VENDOR + HV_CPUID_LEAVES)
		return -EINVAL;
	if (!vm->hv_offered)
		return -ENOENT;
	hv_cpuid_leaves(e, 1);
	regs[0] = e[leaf - HV_CPUID_VENDOR].eax;
	regs[1] = e[leaf - HV_CPUID_VENDOR].ebx;
	regs[2] = e[leaf - HV_CPUID_VENDOR].ecx;
	regs[3] = e[leaf - HV_CPUID_VENDOR].edx;
	return 0;
}
