/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VTL 0, the normal world: use its kernel image after VTL 1 protected it.
 * It reaches the VMM as a guest of Hyper-V does: Hyper-V found in CPUID, a
 * guest OS ID, its own hypercall page, the VTL call entry read from
 * HvRegisterVsmCodePageOffsets.  Each access states what VTL 1's
 * protections make of it.  Absolute addresses throughout: the image runs
 * identity mapped at VTL0_CODE.
 */
#include "layout.h"

	.code64
	.text
	.globl _start
_start:
	mov	$VTL0_RDI, %edi			/* live across the intercepts */
	mov	$VTL0_R13, %r13d
	mov	$VTL0_R10, %r10d
	mov	$CPUID_HV_INTERFACE, %eax
	cpuid
	cmp	$HV_SIGNATURE, %eax
	jne	1f
	movq	$1, VTL0_DATA + R_IFACE
	mov	$MSR_GUEST_OS_ID, %ecx
	mov	$1, %eax
	mov	$GUEST_OS_ID_HIGH, %edx
	wrmsr
	mov	$MSR_HYPERCALL, %ecx
	mov	$(VTL0_HCPAGE | PAGE_ENABLE), %eax
	xor	%edx, %edx
	wrmsr
	/* HvGetVpRegisters(HvRegisterVsmCodePageOffsets): where VTL call is. */
	movq	$-1, VTL0_DATA + HV_INPUT		/* HV_PARTITION_ID_SELF */
	movl	$0xfffffffe, VTL0_DATA + HV_INPUT + 8	/* HV_VP_INDEX_SELF */
	movl	$0, VTL0_DATA + HV_INPUT + 12
	movl	$HV_REGISTER_VSM_CODE_PAGE_OFFSETS, VTL0_DATA + HV_INPUT + 16
	movl	$0, VTL0_DATA + HV_INPUT + 20
	movabs	$((1 << 32) | HVCALL_GET_VP_REGISTERS), %rcx
	mov	$(VTL0_DATA + HV_INPUT), %edx
	mov	$(VTL0_DATA + HV_OUTPUT), %r8d
	call	VTL0_HCPAGE
	mov	%rax, VTL0_DATA + R_OFFSETS_HV
	mov	VTL0_DATA + HV_OUTPUT, %rax
	mov	%rax, VTL0_DATA + R_OFFSETS
	and	$0xfff, %eax			/* VtlCallOffset: bits 11:0 */
	add	$VTL0_HCPAGE, %eax
	mov	%rax, VTL0_DATA + R_CALL_ENTRY
	mov	VTL0_CODE, %rax			/* read own code: allowed (R|X) */
	mov	%rax, VTL0_DATA + R_CODE_READ
	movq	$DATA_PATTERN, VTL0_DATA + 8	/* write data: allowed (R|W) */
	mov	VTL0_DATA + 8, %rdx
	mov	%rdx, VTL0_DATA + R_DATA_READ
	movq	$0xdead, VTL0_CODE_POKE		/* write code: intercept (write) */
	mov	$VTL0_RBX, %ebx
	mov	VTL0_SECRET, %rbx		/* read the secret: intercept (read) */
	mov	%rbx, VTL0_DATA + R_SECRET
	mov	$VTL0_RCX, %ecx
	mov	VTL1_LOG, %rcx			/* read VTL 1's memory: intercept (read) */
	mov	%rcx, VTL0_DATA + R_VTL1
	/*
	 * Try to lift VTL 1's protection of its own code: the protection is in
	 * VTL 1's mask, which a lower VTL may not set (access denied).
	 */
	movq	$-1, VTL0_DATA + HV_INPUT		/* HV_PARTITION_ID_SELF */
	movl	$7, VTL0_DATA + HV_INPUT + 8		/* R|W|KX */
	movl	$0x11, VTL0_DATA + HV_INPUT + 12	/* UseTargetVtl, TargetVtl 1; reserved */
	movq	$(VTL0_CODE >> 12), VTL0_DATA + HV_INPUT + 16
	movabs	$0x10000000c, %rcx			/* ModifyVtlProtectionMask, 1 rep */
	mov	$(VTL0_DATA + HV_INPUT), %edx
	xor	%r8d, %r8d
	call	VTL0_HCPAGE
	mov	%rax, VTL0_DATA + R_HV_DENIED
	/* Call VTL 1: it counts the call and returns. */
	xor	%ecx, %ecx				/* VtlCall's input, in RCX for the entry */
	call	*VTL0_DATA + R_CALL_ENTRY
	mov	%rax, VTL0_DATA + R_VTL_CALL
	mov	VTL0_DATA + R_LOOP, %rsi	/* timing: that many more blocked writes */
2:	test	%rsi, %rsi
	jz	3f
	movq	$0xdead, VTL0_CODE_POKE
	dec	%rsi
	jmp	2b
3:	movq	$1, VTL0_DATA + R_DONE
	cmpq	$0, VTL0_DATA + R_EXEC
	je	1f
	mov	$VTL0_SECRET, %eax		/* execute the secret: intercept (execute) */
	jmp	*%rax
1:	hlt
	jmp	.
