/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guest that drives a device outside RAM: writes of 8, 4, 2 and 1 bytes,
 * then reads of the same sizes into registers the test presets, so that it
 * sees exactly which bytes the VMM's MMIO handler returned and which the
 * narrower reads left alone.  With MMIO_FLAG set it ends with a read no
 * device claims, which must stop the run.
 */
#include "layout.h"

	.code64
	.text
	.globl _start
_start:
	movabs	$0x1122334455667788, %rax
	mov	%rax, MMIO_DEV			/* 8-byte write */
	movl	$0xcafef00d, MMIO_DEV + 0x10	/* 4 */
	movw	$0xbeef, MMIO_DEV + 0x20	/* 2 */
	movb	$0x5a, MMIO_DEV + 0x30		/* 1 */
	mov	$-1, %rcx
	mov	$-1, %rdx
	mov	$-1, %r8
	mov	MMIO_DEV + 0x08, %rbx		/* 8-byte read */
	mov	MMIO_DEV + 0x18, %ecx		/* 4: zero-extends into RCX */
	mov	MMIO_DEV + 0x28, %dx		/* 2: the rest of RDX stays */
	mov	MMIO_DEV + 0x38, %r8b		/* 1: the rest of R8 stays */
	cmpq	$0, MMIO_FLAG
	je	1f
	mov	MMIO_UNCLAIMED, %rax		/* nobody's: the run stops here */
1:	hlt
	jmp	.
