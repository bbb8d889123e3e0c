/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VTL 1, the secure kernel: protect VTL 0's kernel image and its own memory
 * with ModifyVtlProtectionMask, then return to VTL 0 and serve intercepts
 * until the VMM stops: read each TLFS memory intercept message (type, access
 * type, GPA), log it and let VTL 0 go on without the access (action "skip").
 *
 * General-purpose registers but RSP are shared with VTL 0: VTL 1 enters with
 * VTL 0's values, keeps those it touches and hands RAX and RCX back through
 * the VTL control's return fields; before it first leaves it scrubs its own.
 */
#include "layout.h"

#define HVCALL_MODIFY_VTL_PROTECTION_MASK 0x000c
#define HVCALL_VTL_RETURN		  0x0012
#define HVCALL_SET_VP_REGISTERS		  0x0051
#define HV_REGISTER_VSM_PARTITION_CONFIG  0x000d0007
#define VSM_CONFIG_PROTECT_ALL		  0xf /* EnableVtlProtection, default mask R|W|X */
#define MAP_R  1
#define MAP_W  2
#define MAP_KX 4

	.code64
	.text
	.globl _start
_start:
	xor	%r12d, %r12d			/* hypercall results logged so far */
	/*
	 * HvSetVpRegisters(HvRegisterVsmPartitionConfig): enable VTL protection
	 * with a default of full access (TLFS VSM "Partition Configuration").
	 */
	movq	$-1, VTL1_IN			/* HV_PARTITION_ID_SELF */
	movl	$0xfffffffe, VTL1_IN + 8	/* HV_VP_INDEX_SELF */
	movl	$0, VTL1_IN + 12		/* the caller's own VTL; reserved */
	movl	$HV_REGISTER_VSM_PARTITION_CONFIG, VTL1_IN + 16
	movl	$0, VTL1_IN + 20
	movq	$0, VTL1_IN + 24
	movq	$VSM_CONFIG_PROTECT_ALL, VTL1_IN + 32
	movq	$0, VTL1_IN + 40
	movabs	$((1 << 32) | HVCALL_SET_VP_REGISTERS), %rcx
	mov	$VTL1_IN, %edx
	xor	%r8d, %r8d
	out	%al, $DEMO_PORT
	mov	%rax, VTL1_LOG + LOG_CONFIG
	mov	$(VTL0_CODE >> 12), %esi
	mov	$1, %edx
	mov	$(MAP_R | MAP_KX), %edi
	call	protect
	mov	$(VTL0_DATA >> 12), %esi
	mov	$1, %edx
	mov	$(MAP_R | MAP_W), %edi
	call	protect
	mov	$(VTL0_SECRET >> 12), %esi
	mov	$1, %edx
	xor	%edi, %edi			/* no access */
	call	protect
	mov	$(VTL1_CODE >> 12), %esi
	mov	$VTL1_PAGES, %edx
	xor	%edi, %edi
	call	protect
	movq	$0, VTL1_LOG + LOG_COUNT
	movq	$0, VTL1_LOG + LOG_CALLS
	xor	%eax, %eax			/* leave nothing of VTL 1 in shared registers */
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r12d, %r12d
	movq	$0, VTL1_CONTROL + CTL_RAX
	movq	$0, VTL1_CONTROL + CTL_RCX

vtl_return:
	/*
	 * RAX is VtlReturn's input: 0, not the fast return, so VTL 0 gets RAX
	 * and RCX from the VTL control (TLFS VSM "VTL Return").
	 */
	xor	%eax, %eax
	mov	$HVCALL_VTL_RETURN, %ecx
	out	%al, $DEMO_PORT
	/* Entered again with VTL 0's registers: keep what the handler touches. */
	mov	%rax, VTL1_CONTROL + CTL_RAX
	mov	%rcx, VTL1_CONTROL + CTL_RCX
	push	%rdi
	push	%rdx
	call	handle
	pop	%rdx
	pop	%rdi
	jmp	vtl_return

/* handle: VTL 0 called, or an intercept message waits. */
handle:
	cmpl	$ENTRY_VTL_CALL, VTL1_CONTROL + CTL_ENTRY
	jne	2f
	incq	VTL1_LOG + LOG_CALLS
	ret
2:	cmpl	$ENTRY_INTERCEPT, VTL1_CONTROL + CTL_ENTRY
	jne	1f
	/* A TLFS memory intercept message in SINT 0's slot, and all of its payload. */
	cmpl	$HV_MSG_GPA_ICPT, VTL1_MSG + MSG_TYPE
	jne	1f
	cmpb	$HV_MSG_ICPT_BYTES, VTL1_MSG + MSG_PAYLOAD_SIZE
	jb	1f
	mov	VTL1_LOG + LOG_COUNT, %rax
	cmp	$LOG_MAX, %rax			/* count them all, keep the first LOG_MAX */
	jae	3f
	mov	%rax, %rdi
	shl	$4, %rdi
	mov	VTL1_MSG + MSG_GPA, %rdx	/* GuestPhysicalAddress */
	mov	%rdx, VTL1_LOG + LOG_ENTRIES(%rdi)
	movzbl	VTL1_MSG + MSG_ACCESS, %edx	/* InterceptAccessType */
	mov	%rdx, VTL1_LOG + LOG_ENTRIES + 8(%rdi)
3:	inc	%rax
	mov	%rax, VTL1_LOG + LOG_COUNT
	movl	$0, VTL1_CONTROL + CTL_ACTION	/* skip the access */
	movl	$HV_MSG_NONE, VTL1_MSG + MSG_TYPE /* done with the message: free the slot */
1:	ret

/*
 * protect: %edx pages from gfn %rsi get map flags %edi for VTL 0 (rep
 * hypercall).  The call sets VTL 1's own protection mask, which limits every
 * VTL below it, here VTL 0.
 */
protect:
	movq	$-1, VTL1_IN			/* HV_PARTITION_ID_SELF */
	movl	%edi, VTL1_IN + 8		/* MapFlags */
	movl	$0, VTL1_IN + 12		/* CURRENT_VTL: VTL 1's own mask; reserved */
	xor	%eax, %eax
1:	lea	(%rsi, %rax), %r9
	mov	%r9, VTL1_IN + 16(, %rax, 8)
	inc	%eax
	cmp	%edx, %eax
	jb	1b
	mov	%rdx, %rcx
	shl	$32, %rcx			/* rep count */
	or	$HVCALL_MODIFY_VTL_PROTECTION_MASK, %rcx
	mov	$VTL1_IN, %edx
	xor	%r8d, %r8d
	out	%al, $DEMO_PORT
	mov	%rax, VTL1_LOG + LOG_RESULTS(, %r12, 8)
	inc	%r12
	ret
