/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-physical layout of the VSM demo, shared by the guests (.S, through
 * cpp) and the host side (src/demo/vm_demo.c).  The VMM owns the first
 * 64 KiB (page tables, GDT).  VTL 0's "kernel image" and VTL 1's private memory sit in
 * different 2 MiB blocks so that a VMA-budget fallback (a whole block held
 * at PROT_NONE) never covers code VTL 0 executes.
 */
#ifndef MEMATTR_GUESTS_LAYOUT_H
#define MEMATTR_GUESTS_LAYOUT_H

#define DEMO_RAM_SIZE 0x800000 /* 8 MiB */

/* VTL 0 kernel image: code (R|X), data (R|W), a secret (NO_ACCESS); its hypercall page. */
#define VTL0_CODE      0x200000
#define VTL0_CODE_POKE 0x200800 /* inside the code page, past the instructions */
#define VTL0_HCPAGE    0x202000
#define VTL0_STACK     0x300000
#define VTL0_DATA      0x400000
#define VTL0_SECRET    0x401000

/*
 * VTL 1: code, hypercall input and output, SynIC message page, log,
 * hypercall page, VP assist page; all NO_ACCESS to VTL 0.
 */
#define VTL1_CODE   0x600000
#define VTL1_IN	    0x610000
#define VTL1_OUT    0x610800
#define VTL1_MSG    0x611000
#define VTL1_LOG    0x612000
#define VTL1_HCPAGE 0x613000
#define VTL1_ASSIST 0x614000
#define VTL1_STACK  0x620000
#define VTL1_PAGES  32 /* from VTL1_CODE */

/* VTL 0's results in its data page. */
#define R_CODE_READ  0x00  /* first 8 bytes of its code */
#define R_DATA_READ  0x10  /* what it read back after writing DATA+8 */
#define R_SECRET     0x18  /* what its read of the secret gave */
#define R_VTL1	     0x20  /* what its read of VTL 1's log gave */
#define R_DONE	     0x28  /* 1 when it reached the end */
#define R_HV_DENIED  0x30  /* result of its ModifyVtlProtectionMask of VTL 1's mask */
#define R_VTL_CALL   0x38  /* result of its VtlCall */
#define R_EXEC	     0x40  /* set by the host: finish by jumping into the secret */
#define R_LOOP	     0x48  /* set by the host: extra blocked writes to time intercepts */
#define R_IFACE	     0x50  /* 1: it found Hyper-V in CPUID; 0: it halted at once */
#define R_OFFSETS    0x58  /* HvRegisterVsmCodePageOffsets as it read it */
#define R_OFFSETS_HV 0x60  /* that HvGetVpRegisters' result */
#define R_CALL_ENTRY 0x68  /* its hypercall page's VTL call entry */
#define HV_INPUT     0x100 /* its hypercall input, in the data page */
#define HV_OUTPUT    0x180 /* and output */
#define DATA_PATTERN 0x1234

/* VTL 1's log: count, then per intercept (gpa, access) at 16 + 16 * i. */
#define LOG_COUNT      0x000
#define LOG_CALLS      0x008 /* VtlCalls from VTL 0 */
#define LOG_ENTRIES    0x010
#define LOG_MAX	       64    /* entries kept */
#define LOG_KEEP       0x7c8 /* set by the host: leave that many messages in the slot */
#define LOG_EOMS       0x7d0 /* EOM writes for a message marked pending */
#define LOG_IFACE      0x7d8 /* 1: it found Hyper-V in CPUID; 0: it halted at once */
#define LOG_RET_ENTRY  0x7e0 /* its hypercall page's VTL return entry */
#define LOG_OFFSETS    0x7e8 /* HvRegisterVsmCodePageOffsets as it read it */
#define LOG_OFFSETS_HV 0x7f0 /* that HvGetVpRegisters' result */
#define LOG_CONFIG     0x7f8 /* result of HvSetVpRegisters(VsmPartitionConfig) */
#define LOG_RESULTS    0x800 /* hypercall result values, 8 bytes each */

/*
 * VTL 1's VTL control, HV_VP_VTL_CONTROL in its VP assist page
 * (MEMATTR_VM_ASSIST_* in include/memattr/vm.h), and the decision on an
 * intercept, a memattr extension at the page's end.
 */
#define CTL_ENTRY	8
#define CTL_RAX		16
#define CTL_RCX		24
#define CTL_ACTION	0xff8
#define ENTRY_VTL_CALL	1 /* TLFS HV_VTL_ENTRY_REASON: a VtlCall */
#define ENTRY_INTERCEPT 3 /* a secure intercept: a message waits */

/* What the guests use of the Hyper-V interface (TLFS; src/kvm/hv_interface.h). */
#define CPUID_HV_VENDOR			  0x40000000
#define CPUID_HV_INTERFACE		  0x40000001
#define CPUID_HV_FEATURES		  0x40000003
#define HV_SIGNATURE			  0x31237648 /* "Hv#1" */
#define HV_PRIV_EAX_NEEDED		  0x64 /* AccessSynicMsrs, AccessHypercallMsrs, AccessVpIndex */
#define HV_PRIV_EBX_VSM			  16 /* AccessVsm: privilege bit 48 */
#define MSR_GUEST_OS_ID			  0x40000000
#define MSR_HYPERCALL			  0x40000001
#define MSR_VP_ASSIST_PAGE		  0x40000073
#define MSR_SCONTROL			  0x40000080
#define MSR_SIMP			  0x40000083
#define MSR_EOM				  0x40000084
#define MSR_SINT0			  0x40000090
#define PAGE_ENABLE			  1
#define SINT_POLLING			  0x40000 /* bit 18: the VMM injects no interrupt */
#define SINT_VECTOR			  0x30
#define GUEST_OS_ID_HIGH		  0x80000000 /* bit 63: an open-source OS; the rest 0 */
#define HVCALL_GET_VP_REGISTERS		  0x0050
#define HV_REGISTER_VSM_CODE_PAGE_OFFSETS 0x000d0002

/* Values VTL 0 keeps in registers across the intercepts (shared with VTL 1). */
#define VTL0_RDI 0xd1d1d1d1
#define VTL0_R13 0x13131313
#define VTL0_R10 0x10101010
#define VTL0_RBX 0xb1b1b1b1 /* overwritten by the skipped read of the secret */
#define VTL0_RCX 0xc1c1c1c1 /* overwritten by the skipped read of VTL 1's log */

/*
 * The intercept VTL 1 receives: a TLFS HV_MESSAGE in the first slot of its
 * message page (MEMATTR_VM_MSG_* in include/memattr/vm.h).  HV_MESSAGE_HEADER
 * (TLFS "SynIC Messages"): MessageType at 0, PayloadSize at 4; the payload,
 * an HV_X64_MEMORY_INTERCEPT_MESSAGE, from 16: its intercept header's
 * InterceptAccessType at 5, then GuestPhysicalAddress at 56.
 */
#define MSG_TYPE	  0
#define MSG_PAYLOAD_SIZE  4
#define MSG_FLAGS	  5 /* MessageFlags: bit 0 MessagePending */
#define MSG_ACCESS	  (16 + 5)
#define MSG_GPA		  (16 + 56)
#define HV_MSG_NONE	  0x00000000 /* HvMessageTypeNone: the slot is free */
#define HV_MSG_GPA_ICPT	  0x80000001 /* HvMessageTypeGpaIntercept */
#define HV_MSG_ICPT_BYTES 80	     /* the payload the front encodes, through InstructionBytes */

/*
 * The MMIO guest (mmio.S, tests/test_kvm.c): a device window outside RAM but
 * inside the 1 GiB identity map, so KVM finds no memslot and exits to the VMM.
 */
#define MMIO_CODE      0x200000
#define MMIO_STACK     0x300000
#define MMIO_FLAG      0x310000	  /* nonzero: end with an access no device claims */
#define MMIO_DEV       0x10000000 /* 256 MiB: past any test VM's RAM */
#define MMIO_UNCLAIMED (MMIO_DEV + 0x1000)

/*
 * The MSR guest (msr.S, tests/test_kvm.c): runs the RDMSR/WRMSR table the
 * host wrote and records for each whether it raised #GP (its own IDT's
 * handler skips the instruction) and what a read gave.
 */
#define MSRG_CODE    0x200000
#define MSRG_STACK   0x300000
#define MSRG_IDT     0x310000
#define MSRG_TABLE   0x320000 /* count (u64), then entries of MSRG_ENTRY bytes from +16 */
#define MSRG_ENTRY   32	      /* op u32 (0 read, 1 write), index u32, value u64, gp u64, read u64 */
#define MSRG_ENTRIES 0x10

#endif
