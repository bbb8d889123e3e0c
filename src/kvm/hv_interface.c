// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Hyper-V guest interface's rules (hv_interface.h).  Where the TLFS
 * leaves a choice, code that runs as a Hyper-V (OpenVMM's hv1_emulator,
 * KVM's own Hyper-V emulation) decides, as each rule says.
 */
#include <string.h>

#include <memattr/vm.h>

#include "hv_interface.h"

void hv_msrs_reset(struct memattr_vm_hv_msrs *m)
{
	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < 16; i++)
		m->sint[i] = HV_SINT_MASKED;
}

/* Whether @value enables a page @reg does not already have enabled. */
static bool page_moves(uint64_t reg, uint64_t value, uint64_t *gpa)
{
	uint64_t old;
	bool was = hv_page_gpa(reg, &old);

	return hv_page_gpa(value, gpa) && !(was && old == *gpa);
}

/*
 * A page register: bit 0 enable, 11:1 reserved, 63:12 the GPA.  A page is
 * checked when it is enabled or moved, not on a rewrite (OpenVMM maps an
 * overlay page only then).
 */
static enum hv_write page_write(uint64_t *reg, uint64_t value, bool (*page_ok)(void *, uint64_t),
				void *opaque)
{
	uint64_t gpa;

	if (value & ~(HV_PAGE_GPA_MASK | HV_PAGE_ENABLE))
		return HV_WRITE_GP;
	if (page_moves(*reg, value, &gpa) && !page_ok(opaque, gpa))
		return HV_WRITE_GP; /* OpenVMM: a page it cannot map is an invalid access */
	*reg = value;
	return HV_WRITE_DONE;
}

/*
 * HV_X64_MSR_HYPERCALL: bit 0 enable, bit 1 locked, 11:2 reserved.  Locked,
 * or reserved bits set: #GP (OpenVMM).  Without a guest OS ID the write is
 * ignored and the page stays off (KVM: "hypercall should remain disabled"),
 * as the TLFS asks the guest to set the ID first.
 */
static enum hv_write hypercall_write(struct memattr_vm_hv_msrs *m, uint64_t value,
				     bool (*page_ok)(void *, uint64_t), void *opaque)
{
	uint64_t gpa;

	if (m->hypercall & HV_HYPERCALL_LOCK)
		return HV_WRITE_GP;
	if (value & ~(HV_PAGE_GPA_MASK | HV_HYPERCALL_LOCK | HV_PAGE_ENABLE))
		return HV_WRITE_GP;
	if (!m->guest_os_id)
		return HV_WRITE_DONE;
	/* OpenVMM writes the page when it is enabled or moved, not on a rewrite. */
	if (!page_moves(m->hypercall, value, &gpa)) {
		m->hypercall = value;
		return HV_WRITE_DONE;
	}
	if (!page_ok(opaque, gpa))
		return HV_WRITE_GP;
	m->hypercall = value;
	return HV_WRITE_MAP_HYPERCALL;
}

enum hv_write hv_msr_write(struct memattr_vm_hv_msrs *m, uint32_t index, uint64_t value,
			   bool (*page_ok)(void *, uint64_t), void *opaque)
{
	switch (index) {
	case HV_MSR_GUEST_OS_ID:
		m->guest_os_id = value;
		/* KVM: an OS ID of 0 turns the hypercall page off (the lock stays). */
		if (!value)
			m->hypercall &= ~HV_PAGE_ENABLE;
		return HV_WRITE_DONE;
	case HV_MSR_HYPERCALL:
		return hypercall_write(m, value, page_ok, opaque);
	case HV_MSR_VP_ASSIST_PAGE:
		return page_write(&m->vp_assist_page, value, page_ok, opaque);
	case HV_MSR_SCONTROL:
		if (value & ~HV_SCONTROL_ENABLE)
			return HV_WRITE_GP;
		m->scontrol = value;
		return HV_WRITE_DONE;
	case HV_MSR_SIEFP:
		return page_write(&m->siefp, value, page_ok, opaque);
	case HV_MSR_SIMP:
		return page_write(&m->simp, value, page_ok, opaque);
	case HV_MSR_EOM:
		return HV_WRITE_EOM;
	default:
		break;
	}
	if (index >= HV_MSR_SINT0 && index <= HV_MSR_SINT15) {
		/* KVM: an unmasked SINT with an exception vector is refused. */
		if (value & ~HV_SINT_VALID ||
		    (!(value & HV_SINT_MASKED) && (value & HV_SINT_VECTOR) < HV_SINT_MIN_VECTOR))
			return HV_WRITE_GP;
		m->sint[index - HV_MSR_SINT0] = value;
		return HV_WRITE_DONE;
	}
	return HV_WRITE_GP; /* VP_INDEX, SVERSION (read-only) and every MSR not offered */
}

bool hv_msr_read(const struct memattr_vm_hv_msrs *m, uint32_t index, uint32_t vp_index,
		 uint64_t *value)
{
	switch (index) {
	case HV_MSR_GUEST_OS_ID:
		*value = m->guest_os_id;
		return true;
	case HV_MSR_HYPERCALL:
		*value = m->hypercall;
		return true;
	case HV_MSR_VP_INDEX:
		*value = vp_index;
		return true;
	case HV_MSR_VP_ASSIST_PAGE:
		*value = m->vp_assist_page;
		return true;
	case HV_MSR_SCONTROL:
		*value = m->scontrol;
		return true;
	case HV_MSR_SVERSION:
		*value = HV_SVERSION;
		return true;
	case HV_MSR_SIEFP:
		*value = m->siefp;
		return true;
	case HV_MSR_SIMP:
		*value = m->simp;
		return true;
	case HV_MSR_EOM:
		*value = 0; /* write-only; reads 0 (OpenVMM, KVM) */
		return true;
	default:
		break;
	}
	if (index >= HV_MSR_SINT0 && index <= HV_MSR_SINT15) {
		*value = m->sint[index - HV_MSR_SINT0];
		return true;
	}
	return false;
}

static uint32_t chars4(const char s[4])
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
	       (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

/*
 * The privileges are what the VMM serves: the SynIC MSRs intercept delivery
 * needs, the hypercall MSRs, VP_INDEX, the VSM hypercalls and the VP
 * register hypercalls.  No feature bits (0x40000003 ECX, EDX): in
 * particular no XMM fast hypercalls, as the doorbell reads only the general
 * registers.  Version 0 and the limits as OpenVMM gives a guest on KVM; a
 * spin-wait count of all ones: never notify.
 */
void hv_cpuid_leaves(struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES], unsigned int nvps)
{
	const uint64_t priv = HV_PRIV_ACCESS_SYNIC_MSRS | HV_PRIV_ACCESS_HYPERCALL_MSRS |
			      HV_PRIV_ACCESS_VP_INDEX | HV_PRIV_ACCESS_VSM |
			      HV_PRIV_ACCESS_VP_REGISTERS;
	const uint32_t r[HV_CPUID_LEAVES][4] = {
		{ HV_CPUID_LIMITS, chars4("Micr"), chars4("osof"), chars4("t Hv") },
		{ HV_CPUID_SIGNATURE, 0, 0, 0 },
		{ 0, 0, 0, 0 },
		{ (uint32_t)priv, (uint32_t)(priv >> 32), 0, 0 },
		{ HV_ENLIGHTEN_DEPRECATE_AUTO_EOI, 0xffffffffu, 0, 0 },
		{ nvps, nvps, 0, 0 },
	};

	memset(e, 0, HV_CPUID_LEAVES * sizeof(*e));
	for (unsigned int i = 0; i < HV_CPUID_LEAVES; i++) {
		e[i].function = HV_CPUID_VENDOR + i;
		e[i].eax = r[i][0];
		e[i].ebx = r[i][1];
		e[i].ecx = r[i][2];
		e[i].edx = r[i][3];
	}
}

_Static_assert(MEMATTR_VM_DOORBELL_PORT <= 0xff, "the page rings the doorbell with OUT imm8");

void hv_hypercall_page_fill(uint8_t page[4096])
{
	/* out %al, $port; ret: the hypercall entry, and the tail of the others. */
#define RING 0xe6, MEMATTR_VM_DOORBELL_PORT, 0xc3
	static const uint8_t code[HV_PAGE_CODE_BYTES] = {
		RING,				    /* 0x00 hypercall */
		0x48, 0x89, 0xc8,		    /* 0x03 mov %rcx, %rax: VTL call */
		0xb9, 0x11, 0x00, 0x00, 0x00, RING, /* 0x06 mov $HvCallVtlCall, %ecx */
		0x48, 0x89, 0xc8,		    /* 0x0e mov %rcx, %rax: VTL return */
		0xb9, 0x12, 0x00, 0x00, 0x00, RING, /* 0x11 mov $HvCallVtlReturn, %ecx */
	};
#undef RING

	memset(page, 0xcc, 4096); /* INT3: a jump anywhere else traps, as in OpenVMM's page */
	memcpy(page, code, sizeof(code));
}
