/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Hyper-V guest interface the VMM offers, as rules without KVM: the
 * CPUID leaves, the synthetic MSRs' register semantics, the hypercall page's
 * bytes.  hv_msrs.c puts them on KVM; the unit test checks them alone.
 */
#ifndef MEMATTR_KVM_HV_INTERFACE_H
#define MEMATTR_KVM_HV_INTERFACE_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <memattr/vm.h>

#pragma GCC visibility push(hidden)

/* TLFS "Feature and Interface Discovery": the hypervisor CPUID leaves. */
#define HV_CPUID_VENDOR	    0x40000000u /* max leaf, "Microsoft Hv" */
#define HV_CPUID_INTERFACE  0x40000001u /* "Hv#1" */
#define HV_CPUID_VERSION    0x40000002u
#define HV_CPUID_FEATURES   0x40000003u /* partition privileges, features */
#define HV_CPUID_ENLIGHTEN  0x40000004u /* recommendations */
#define HV_CPUID_LIMITS	    0x40000005u /* implementation limits */
#define HV_CPUID_LEAVES	    6
#define HV_CPUID_SIGNATURE  0x31237648u /* "Hv#1" */
#define HV_CPUID_RANGE_MASK 0xf0000000u /* 0x4xxxxxxx: the hypervisor range */

/* HV_PARTITION_PRIVILEGE_MASK bits (0x40000003 EAX:EBX as one 64-bit mask). */
#define HV_PRIV_ACCESS_SYNIC_MSRS     (1ULL << 2)
#define HV_PRIV_ACCESS_HYPERCALL_MSRS (1ULL << 5)
#define HV_PRIV_ACCESS_VP_INDEX	      (1ULL << 6)
#define HV_PRIV_ACCESS_VSM	      (1ULL << 48)
#define HV_PRIV_ACCESS_VP_REGISTERS   (1ULL << 49)
/* 0x40000004 EAX bit 9, as OpenVMM on KVM: no auto-EOI (the VMM injects no SINT interrupt). */
#define HV_ENLIGHTEN_DEPRECATE_AUTO_EOI (1u << 9)

/* The synthetic MSRs served (TLFS appendix "Hypervisor MSRs"). */
#define HV_MSR_GUEST_OS_ID    0x40000000u
#define HV_MSR_HYPERCALL      0x40000001u
#define HV_MSR_VP_INDEX	      0x40000002u
#define HV_MSR_VP_ASSIST_PAGE 0x40000073u
#define HV_MSR_SCONTROL	      0x40000080u
#define HV_MSR_SVERSION	      0x40000081u
#define HV_MSR_SIEFP	      0x40000082u
#define HV_MSR_SIMP	      0x40000083u
#define HV_MSR_EOM	      0x40000084u
#define HV_MSR_SINT0	      0x40000090u
#define HV_MSR_SINT15	      0x4000009fu
/* Every MSR of the hypervisor range 0x40000000-0x400000ff exits to the VMM. */
#define HV_MSR_RANGE_BASE  0x40000000u
#define HV_MSR_RANGE_COUNT 256u

/* Register layouts. */
#define HV_PAGE_ENABLE	   (1ULL << 0) /* HYPERCALL, VP_ASSIST_PAGE, SIMP, SIEFP */
#define HV_HYPERCALL_LOCK  (1ULL << 1) /* HYPERCALL: further writes #GP */
#define HV_PAGE_GPA_MASK   (~0xfffULL) /* bits 63:12, the page's GPA */
#define HV_SCONTROL_ENABLE (1ULL << 0)
#define HV_SVERSION	   1ULL	   /* the only SynIC version */
#define HV_SINT_VECTOR	   0xffULL /* 7:0 */
#define HV_SINT_MASKED	   (1ULL << 16)
#define HV_SINT_VALID	   0x1f00ffULL /* vector, masked, auto-EOI, polling, as-intercept, proxy */
#define HV_SINT_MIN_VECTOR 16	       /* lower vectors are exceptions: #GP when unmasked */
#define HV_SINT_INTERCEPT  0	       /* HV_SYNIC_INTERCEPTION_SINT_INDEX */

/* One VTL's synthetic MSRs are a struct memattr_vm_hv_msrs (memattr/vm.h). */

/* Values at VP creation (TLFS: SCONTROL 0, each SINT masked). */
void hv_msrs_reset(struct memattr_vm_hv_msrs *m);

/* Answers of hv_msr_write(). */
enum hv_write {
	HV_WRITE_GP = -1,	/* reserved bits, read-only, locked, unknown: #GP */
	HV_WRITE_DONE,		/* taken (or, for HYPERCALL without a guest OS ID, ignored) */
	HV_WRITE_MAP_HYPERCALL, /* taken; write the hypercall page at its new GPA */
	HV_WRITE_EOM,		/* end of message: deliver what waits for the slot */
};

/*
 * Write @value to MSR @index of @m.  A write that enables a page asks
 * @page_ok(@opaque, gpa) first (the page must be RAM the VTL may write) and
 * is refused with #GP otherwise, leaving @m as it was.
 */
enum hv_write hv_msr_write(struct memattr_vm_hv_msrs *m, uint32_t index, uint64_t value,
			   bool (*page_ok)(void *opaque, uint64_t gpa), void *opaque);
/* Read MSR @index (@vp_index for HV_MSR_VP_INDEX); false: #GP. */
bool hv_msr_read(const struct memattr_vm_hv_msrs *m, uint32_t index, uint32_t vp_index,
		 uint64_t *value);

/* The GPA of an enabled page register (HYPERCALL, VP_ASSIST_PAGE, SIMP, SIEFP), or false. */
static inline bool hv_page_gpa(uint64_t reg, uint64_t *gpa)
{
	*gpa = reg & HV_PAGE_GPA_MASK;
	return reg & HV_PAGE_ENABLE;
}

/* The leaves 0x40000000-0x40000005 for a partition of @nvps VPs. */
void hv_cpuid_leaves(struct kvm_cpuid_entry2 e[HV_CPUID_LEAVES], unsigned int nvps);

/*
 * The hypercall page: each entry rings the VMM's doorbell (an OUT to
 * MEMATTR_VM_DOORBELL_PORT) and returns.  Hypercall: the x64 registers as
 * the TLFS has them (RCX control, RDX input GPA, R8 output GPA, result in
 * RAX).  VTL call and VTL return: the 64-bit entries of Hyper-V's page,
 * which take their input (RAX 0 for a VTL call; the fast flag in bit 0 for a
 * return) in RCX, move it to RAX and put the call code in RCX.  The rest of
 * the page is INT3.
 */
#define HV_PAGE_HYPERCALL_OFFSET  0x00
#define HV_PAGE_VTL_CALL_OFFSET	  0x03
#define HV_PAGE_VTL_RETURN_OFFSET 0x0e
#define HV_PAGE_CODE_BYTES	  0x19
void hv_hypercall_page_fill(uint8_t page[4096]);

#pragma GCC visibility pop

#endif
