/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which access of an instruction the host's page protections stopped, for a
 * KVM_RUN that failed with EFAULT (fault_classify.c).  Pure: it reads the
 * vCPU's registers, guest RAM and the host protection of guest pages, and
 * changes nothing, so tests and the fuzzer run it without /dev/kvm.
 */
#ifndef MEMATTR_KVM_FAULT_CLASSIFY_H
#define MEMATTR_KVM_FAULT_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

/* Blocked accesses one classification keeps, in the order the CPU makes them. */
#define FAULT_MAX_BLOCKED 8

/**
 * struct fault_input - what the classifier reads
 * @regs: the vCPU's general-purpose registers, RIP on the faulting instruction
 * @sregs: its control and segment registers
 * @ram: guest RAM from GPA 0, @ram_size bytes, read only (the VMM's private
 *	mapping: it bypasses the protections being classified)
 * @ram_size: bytes
 * @host_prot: the PROT_* bits KVM meets at @gfn (the alias's host protection);
 *	only called for gfns below @ram_size
 * @opaque: for @host_prot
 * @walk_writes: every guest paging-structure access is a write for the
 *	host: Intel EPT with accessed and dirty flags enabled (SDM Vol. 3C
 *	"Accessed and Dirty Flags for EPT").  Without it, as on AMD NPT, a
 *	table is read, and written only to set an accessed or dirty flag.
 */
struct fault_input {
	const struct kvm_regs *regs;
	const struct kvm_sregs *sregs;
	const uint8_t *ram;
	uint64_t ram_size;
	int (*host_prot)(void *opaque, uint64_t gfn);
	void *opaque;
	bool walk_writes;
};

/* Where in the instruction's execution an access happens. */
enum fault_stage {
	FAULT_FETCH_WALK, /* a page-table access translating RIP */
	FAULT_FETCH,	  /* an instruction fetch */
	FAULT_DATA_WALK,  /* a page-table access translating an operand */
	FAULT_DATA,	  /* a memory operand's access */
};

/**
 * struct fault_access - one access the host protection stops
 * @access: MEMATTR_VM_ACCESS_READ, _WRITE or _EXECUTE
 * @stage: which part of the instruction makes it
 * @gpa: the first byte of the access in its page (for a page-table access,
 *	the entry's address)
 * @len: bytes of the access in that page, 1..4096
 * @gva: the linear address of @gpa's byte (for a page-table access, the
 *	address being translated)
 */
struct fault_access {
	uint32_t access;
	enum fault_stage stage;
	uint64_t gpa;
	uint32_t len;
	uint64_t gva;
};

/* What skipping the instruction takes (MEMATTR_VM_ACTION_SKIP). */
enum fault_skip {
	FAULT_SKIP_NONE,  /* any other instruction: it cannot be skipped meaningfully */
	FAULT_SKIP_STORE, /* MOV to memory: drop the store */
	FAULT_SKIP_LOAD,  /* MOV/MOVZX/MOVSX/MOVSXD to a general-purpose register: it gets 0 */
};

/**
 * struct fault - a classified instruction
 * @blocked: the accesses the host protection stops, in the order the CPU
 *	makes them (the page walk for RIP, the fetch, then per memory operand its
 *	walk and its pages in address order, operands that read first); the
 *	first is the one that faulted.  Each names a page below ram_size whose
 *	host protection forbids that access.
 * @nblocked: 1..FAULT_MAX_BLOCKED
 * @rip: the instruction's address
 * @insn: its bytes as fetched through the guest's page tables
 * @insn_count: valid bytes in @insn, 1..15 (at least @insn_length once decoded)
 * @insn_length: the instruction's length, 1..15; 0 if it could not be decoded
 *	(a blocked access found before the decoder failed)
 * @skip: how it is skipped
 * @dest_gpr: FAULT_SKIP_LOAD: the destination register, in x86 encoding order
 *	(0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15)
 * @dest_bits: its width: 8, 16, 32 (which zero-extends to 64) or 64
 * @dest_high8: the destination is AH, CH, DH or BH (bits 15:8)
 */
struct fault {
	struct fault_access blocked[FAULT_MAX_BLOCKED];
	unsigned int nblocked;
	uint64_t rip;
	uint8_t insn[15];
	uint8_t insn_count;
	uint8_t insn_length;
	enum fault_skip skip;
	uint8_t dest_gpr;
	uint8_t dest_bits;
	bool dest_high8;
};

/**
 * fault_classify() - which accesses of the instruction at RIP the host stops
 * @in: the vCPU's state, guest RAM and host protections
 * @out: the classification
 *
 * Supports 64-bit mode with 4-level paging only.  Walks the guest's page
 * tables for RIP and for every page each memory operand touches (explicit
 * and implicit ones: stack accesses of PUSH, POP, CALL, RET, string
 * instructions' [RSI] and [RDI]), honouring the guest's own permission
 * checks, and lists each access whose host protection forbids it: a read or
 * fetch of a PROT_NONE page, a write of a page without PROT_WRITE, a table
 * read or accessed/dirty-flag update likewise.  It never reports an access
 * the host allows.
 *
 * Context: any thread; reads @in only.
 * Return: 0 with @out filled; -ENOTSUP when nothing the host stops explains
 * the fault: another mode, a guest page fault or #GP first (not present,
 * reserved bits, a permission the guest's tables deny, a non-canonical
 * address), a page table outside RAM, bytes that do not decode, or no access
 * of the instruction blocked.
 */
int fault_classify(const struct fault_input *in, struct fault *out);

#endif
