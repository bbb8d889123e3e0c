/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest-physical layout of the VSM demo, shared by the guests (.S, through
 * cpp) and the host side (tools/vm_demo.c).  The VMM owns the first 64 KiB (page
 * tables, GDT).  VTL 0's "kernel image" and VTL 1's private memory sit in
 * different 2 MiB blocks so that a VMA-budget fallback (a whole block held
 * at PROT_NONE) never covers code VTL 0 executes.
 */
#ifndef MEMATTR_GUESTS_LAYOUT_H
#define MEMATTR_GUESTS_LAYOUT_H

#define DEMO_RAM_SIZE 0x800000 /* 8 MiB */
#define DEMO_PORT     0x50     /* MEMATTR_VM_DOORBELL_PORT */

/* VTL 0 kernel image: code (R|X), data (R|W), a secret (NO_ACCESS). */
#define VTL0_CODE      0x200000
#define VTL0_CODE_POKE 0x200800 /* inside the code page, past the instructions */
#define VTL0_STACK     0x300000
#define VTL0_DATA      0x400000
#define VTL0_SECRET    0x401000

/* VTL 1: code, hypercall input page, intercept message page, log; all NO_ACCESS to VTL 0. */
#define VTL1_CODE  0x600000
#define VTL1_IN	   0x610000
#define VTL1_MSG   0x611000
#define VTL1_LOG   0x612000
#define VTL1_STACK 0x620000
#define VTL1_PAGES 32 /* from VTL1_CODE */

/* VTL 0's results in its data page. */
#define R_CODE_READ  0x00  /* first 8 bytes of its code */
#define R_DATA_READ  0x10  /* what it read back after writing DATA+8 */
#define R_SECRET     0x18  /* what its read of the secret gave */
#define R_VTL1	     0x20  /* what its read of VTL 1's log gave */
#define R_HV_DENIED  0x30  /* result of its ModifyVtlProtectionMask of VTL 1's mask */
#define R_VTL_CALL   0x38  /* result of its VtlCall */
#define R_DONE	     0x28  /* 1 when it reached the end */
#define R_EXEC	     0x40  /* set by the host: finish by jumping into the secret */
#define R_LOOP	     0x48  /* set by the host: extra blocked writes to time intercepts */
#define HV_INPUT     0x100 /* its hypercall input, in the data page */
#define DATA_PATTERN 0x1234

/* VTL 1's log: count, then per intercept (gpa, access) at 16 + 16 * i. */
#define LOG_COUNT   0x000
#define LOG_CALLS   0x008 /* VtlCalls from VTL 0 */
#define LOG_CONFIG  0x7f8 /* result of HvSetVpRegisters(VsmPartitionConfig) */
#define LOG_ENTRIES 0x010
#define LOG_MAX	    64	  /* entries kept */
#define LOG_RESULTS 0x800 /* hypercall result values, 8 bytes each */

/* struct memattr_vm_vtl_control, at MEMATTR_VM_CONTROL_OFFSET in the message page. */
#define VTL1_CONTROL	(VTL1_MSG + 0x800)
#define CTL_ENTRY	0
#define CTL_RAX		8
#define CTL_RCX		16
#define CTL_ACTION	24 /* intercept_action: a memattr extension, not TLFS */
#define ENTRY_VTL_CALL	1  /* TLFS HV_VTL_ENTRY_REASON: a VtlCall */
#define ENTRY_INTERCEPT 3  /* a secure intercept: a message waits */

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

#endif
