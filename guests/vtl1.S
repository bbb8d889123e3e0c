/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VTL 1, the secure kernel, reaching the VMM as a guest of Hyper-V does:
 * find Hyper-V in CPUID, set a guest OS ID, enable its hypercall page, VP
 * assist page and SynIC message page, read where the VTL return entry is
 * (HvRegisterVsmCodePageOffsets) and make every hypercall through the page.
 * Then protect VTL 0's kernel image and its own memory with
 * ModifyVtlProtectionMask, return to VTL 0 and serve intercepts until the
 * VMM stops: read each TLFS memory intercept message (type, access type,
 * GPA) from SINT 0's slot, log it, free the slot (EOM when another message
 * waits) and let VTL 0 go on without the access (action "skip").
 *
 * General-purpose registers but RSP are shared with VTL 0: VTL 1 enters with
 * VTL 0's values, keeps those it touches and hands RAX and RCX back through
 * the VTL control's return registers; before it first leaves it scrubs its own.
 */
#include "layout.h"

#define HVCALL_MODIFY_VTL_PROTECTION_MASK 0x000c
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
	/* Hyper-V: "Hv#1" with the VSM, SynIC, hypercall and VP index privileges. */
	mov	$CPUID_HV_VENDOR, %eax
	cpuid
	cmp	$CPUID_HV_FEATURES, %eax
	jb	no_hv
	mov	$CPUID_HV_INTERFACE, %eax
	cpuid
	cmp	$HV_SIGNATURE, %eax
	jne	no_hv
	mov	$CPUID_HV_FEATURES, %eax
	cpuid
	and	$HV_PRIV_EAX_NEEDED, %eax
	cmp	$HV_PRIV_EAX_NEEDED, %eax
	jne	no_hv
	bt	$HV_PRIV_EBX_VSM, %ebx
	jnc	no_hv
	movq	$1, VTL1_LOG + LOG_IFACE
	/* The guest OS ID first: without it the hypercall page stays off. */
	mov	$MSR_GUEST_OS_ID, %ecx
	mov	$1, %eax
	mov	$GUEST_OS_ID_HIGH, %edx
	wrmsr
	xor	%edx, %edx
	mov	$MSR_HYPERCALL, %ecx
	mov	$(VTL1_HCPAGE | PAGE_ENABLE), %eax
	wrmsr
	mov	$MSR_VP_ASSIST_PAGE, %ecx
	mov	$(VTL1_ASSIST | PAGE_ENABLE), %eax
	wrmsr
	mov	$MSR_SIMP, %ecx
	mov	$(VTL1_MSG | PAGE_ENABLE), %eax
	wrmsr
	mov	$MSR_SINT0, %ecx		/* unmasked, polled */
	mov	$(SINT_VECTOR | SINT_POLLING), %eax
	wrmsr
	mov	$MSR_SCONTROL, %ecx
	mov	$1, %eax
	wrmsr
	/* HvGetVpRegisters(HvRegisterVsmCodePageOffsets): where VTL return is. */
	movq	$-1, VTL1_IN			/* HV_PARTITION_ID_SELF */
	movl	$0xfffffffe, VTL1_IN + 8	/* HV_VP_INDEX_SELF */
	movl	$0, VTL1_IN + 12		/* the caller's own VTL; reserved */
	movl	$HV_REGISTER_VSM_CODE_PAGE_OFFSETS, VTL1_IN + 16
	movl	$0, VTL1_IN + 20
	movabs	$((1 << 32) | HVCALL_GET_VP_REGISTERS), %rcx
	mov	$VTL1_IN, %edx
	mov	$VTL1_OUT, %r8d
	call	VTL1_HCPAGE
	mov	%rax, VTL1_LOG + LOG_OFFSETS_HV
	mov	VTL1_OUT, %rax
	mov	%rax, VTL1_LOG + LOG_OFFSETS
	shr	$12, %eax			/* VtlReturnOffset: bits 23:12 */
	and	$0xfff, %eax
	add	$VTL1_HCPAGE, %eax
	mov	%rax, VTL1_LOG + LOG_RET_ENTRY
	/*
	 * HvSetVpRegisters(HvRegisterVsmPartitionConfig): enable VTL protection
	 * with a default of full access (TLFS VSM "Partition Configuration").
	 */
	movq	$-1, VTL1_IN
	movl	$0xfffffffe, VTL1_IN + 8
	movl	$0, VTL1_IN + 12
	movl	$HV_REGISTER_VSM_PARTITION_CONFIG, VTL1_IN + 16
	movl	$0, VTL1_IN + 20
	movq	$0, VTL1_IN + 24
	movq	$VSM_CONFIG_PROTECT_ALL, VTL1_IN + 32
	movq	$0, VTL1_IN + 40
	movabs	$((1 << 32) | HVCALL_SET_VP_REGISTERS), %rcx
	mov	$VTL1_IN, %edx
	xor	%r8d, %r8d
	call	VTL1_HCPAGE
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
	movq	$0, VTL1_ASSIST + CTL_RAX
	movq	$0, VTL1_ASSIST + CTL_RCX

vtl_return:
	/*
	 * The return entry takes its input in RCX: 0, not the fast return, so
	 * VTL 0 gets RAX and RCX from the VTL control (TLFS VSM "VTL Return").
	 */
	xor	%ecx, %ecx
	call	*VTL1_LOG + LOG_RET_ENTRY
	/* Entered again with VTL 0's registers: keep what the handler touches. */
	mov	%rax, VTL1_ASSIST + CTL_RAX
	mov	%rcx, VTL1_ASSIST + CTL_RCX
	push	%rdi
	push	%rdx
	push	%rsi
	call	handle
	pop	%rsi
	pop	%rdx
	pop	%rdi
	jmp	vtl_return

no_hv:
	hlt
	jmp	no_hv

/* handle: VTL 0 called, or an intercept message waits. */
handle:
	cmpl	$ENTRY_VTL_CALL, VTL1_ASSIST + CTL_ENTRY
	jne	2f
	incq	VTL1_LOG + LOG_CALLS
	ret
2:	cmpl	$ENTRY_INTERCEPT, VTL1_ASSIST + CTL_ENTRY
	jne	1f
	movl	$0, VTL1_ASSIST + CTL_ACTION	/* skip the access */
	/* A TLFS memory intercept message in SINT 0's slot, and all of its payload. */
4:	cmpl	$HV_MSG_GPA_ICPT, VTL1_MSG + MSG_TYPE
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
	cmpq	$0, VTL1_LOG + LOG_KEEP		/* the host asked: leave this one in the slot */
	je	5f
	decq	VTL1_LOG + LOG_KEEP
	ret
	/*
	 * Free the slot (TLFS "SynIC Message Processing"): MessagePending read
	 * first, the type cleared, then EOM if another message waits, which
	 * the VMM then puts in the slot.
	 */
5:	movzbl	VTL1_MSG + MSG_FLAGS, %esi
	movl	$HV_MSG_NONE, VTL1_MSG + MSG_TYPE
	test	$1, %esi
	jz	1f
	incq	VTL1_LOG + LOG_EOMS
	mov	$MSR_EOM, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	jmp	4b
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
	call	VTL1_HCPAGE
	mov	%rax, VTL1_LOG + LOG_RESULTS(, %r12, 8)
	inc	%r12
	ret
