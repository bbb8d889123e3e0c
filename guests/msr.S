/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MSR guest: load an IDT whose #GP handler counts the fault and skips
 * the two-byte RDMSR or WRMSR, then run the host's table of MSR accesses,
 * recording per entry whether it faulted and, for a read, the value.
 */
#include "layout.h"

#define GATE_INTERRUPT 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define SEL_CODE       0x08

	.code64
	.text
	.globl _start
_start:
	/* IDT entry 13 (#GP) -> gp; the rest of the IDT stays zero (not present). */
	lea	gp, %rax
	mov	%ax, MSRG_IDT + 13 * 16
	movw	$SEL_CODE, MSRG_IDT + 13 * 16 + 2
	movb	$0, MSRG_IDT + 13 * 16 + 4
	movb	$GATE_INTERRUPT, MSRG_IDT + 13 * 16 + 5
	shr	$16, %rax
	mov	%ax, MSRG_IDT + 13 * 16 + 6
	shr	$16, %rax
	mov	%eax, MSRG_IDT + 13 * 16 + 8
	movl	$0, MSRG_IDT + 13 * 16 + 12
	lidt	idtr
	xor	%ebx, %ebx			/* entry index */
1:	cmp	MSRG_TABLE, %rbx
	jae	3f
	mov	%rbx, %rsi
	shl	$5, %rsi			/* MSRG_ENTRY */
	add	$(MSRG_TABLE + MSRG_ENTRIES), %rsi
	xor	%r15d, %r15d			/* the #GP handler sets it */
	mov	4(%rsi), %ecx
	cmpl	$0, (%rsi)
	je	2f
	mov	8(%rsi), %eax
	mov	12(%rsi), %edx
	wrmsr
	jmp	4f
2:	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%eax, 24(%rsi)
	mov	%edx, 28(%rsi)
4:	mov	%r15, 16(%rsi)
	inc	%rbx
	jmp	1b
3:	hlt
	jmp	3b

/* #GP: drop the error code, step past the RDMSR/WRMSR (0f 30, 0f 32), note it. */
gp:
	add	$8, %rsp
	addq	$2, (%rsp)
	mov	$1, %r15d
	iretq

	.balign 8
idtr:
	.word	256 * 16 - 1
	.quad	MSRG_IDT
