// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the EFAULT classifier (src/kvm/fault_classify.c):
 * the guest controls everything it reads, its registers, its page tables,
 * its instruction bytes, and the VMM the host protection of every page.
 *
 * Input (little endian, zero-padded when short):
 *   0     flags: bit 0 CS.L, 1 CR4.LA57, 2 CR0.PG clear, 3 EFER.NXE,
 *         4 CR0.WP, 5 CPL 3, 6 CR4.SMAP, 7 walk_writes
 *   1     flags: bit 0 CR4.SMEP, 1 RFLAGS.AC, 2 build identity tables,
 *         3 EFER.LMA clear
 *   2     host protection, 2 bits per page (0 none, 1 read, 2 and 3 read-write)
 *   6     low byte of the identity tables' entries (P is always set)
 *   8     RAX RBX RCX RDX RSI RDI RSP RBP R8-R15 RIP RFLAGS, 8 bytes each
 *   152   FS base, GS base, CR3
 *   176   15 instruction bytes, written at RIP modulo RAM
 *   191   patches to RAM: { u16 offset, u64 value } each, applied last
 * With bit 2 of byte 1, pages 0-3 hold PML4, PDPT, PD and PT mapping guest
 * RAM at GVA 0 in 4 KiB pages before the patches apply.
 *
 * Whatever the bytes: no crash; the result is 0 or -ENOTSUP; on 0 every
 * access named lies in RAM, within one page, and is one the host protection
 * forbids (a write of a page without PROT_WRITE, a read or fetch of a
 * PROT_NONE page): the classifier never "allows" and never blames an
 * accessible page; the decoded fields are in range; and it is a function of
 * its input (a second call agrees, guest RAM is unchanged).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <memattr/vm.h>

#include "kvm/fault_classify.h"

#define PAGES  16
#define RAM    (PAGES * 4096ULL)
#define HEADER 191
#define PATCH  10

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram[RAM], copy[RAM];
static int prot[PAGES];

static uint64_t get(const uint8_t *p, unsigned int n)
{
	uint64_t x = 0;

	for (unsigned int i = n; i-- > 0;)
		x = x << 8 | p[i];
	return x;
}

static void put64(uint64_t at, uint64_t v)
{
	for (unsigned int i = 0; i < 8; i++)
		ram[at + i] = (uint8_t)(v >> (8 * i));
}

static int host_prot(void *opaque, uint64_t gfn)
{
	(void)opaque;
	if (gfn >= PAGES)
		abort(); /* the classifier asks about RAM only */
	return prot[gfn];
}

static void check(const struct fault *f)
{
	if (f->nblocked < 1 || f->nblocked > FAULT_MAX_BLOCKED || f->insn_count > 15 ||
	    f->insn_length > 15 || (f->insn_length && f->insn_count < f->insn_length))
		abort();
	for (unsigned int i = 0; i < f->nblocked; i++) {
		const struct fault_access *b = &f->blocked[i];
		int p;

		if (b->gpa >= RAM || !b->len || (b->gpa & 4095) + b->len > 4096 ||
		    b->stage > FAULT_DATA)
			abort();
		p = prot[b->gpa >> 12];
		switch (b->access) {
		case MEMATTR_VM_ACCESS_WRITE:
			if (p & PROT_WRITE)
				abort();
			break;
		case MEMATTR_VM_ACCESS_READ:
			if (p & PROT_READ)
				abort();
			break;
		case MEMATTR_VM_ACCESS_EXECUTE:
			if ((p & PROT_READ) || b->stage != FAULT_FETCH)
				abort();
			break;
		default:
			abort();
		}
	}
	if (f->skip == FAULT_SKIP_LOAD &&
	    (f->dest_gpr > 15 ||
	     (f->dest_bits != 8 && f->dest_bits != 16 && f->dest_bits != 32 && f->dest_bits != 64)))
		abort();
}

/* Field by field: padding is no part of the answer. */
static bool same(const struct fault *a, const struct fault *b)
{
	if (a->nblocked != b->nblocked || a->rip != b->rip || a->insn_count != b->insn_count ||
	    a->insn_length != b->insn_length || memcmp(a->insn, b->insn, a->insn_count) ||
	    a->skip != b->skip || a->dest_gpr != b->dest_gpr || a->dest_bits != b->dest_bits ||
	    a->dest_high8 != b->dest_high8)
		return false;
	for (unsigned int i = 0; i < a->nblocked; i++) {
		const struct fault_access *x = &a->blocked[i], *y = &b->blocked[i];

		if (x->access != y->access || x->stage != y->stage || x->gpa != y->gpa ||
		    x->len != y->len || x->gva != y->gva)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t hdr[HEADER] = { 0 };
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct fault f, again;
	__u64 *gpr[18] = { &regs.rax, &regs.rbx, &regs.rcx, &regs.rdx, &regs.rsi, &regs.rdi,
			   &regs.rsp, &regs.rbp, &regs.r8,  &regs.r9,  &regs.r10, &regs.r11,
			   &regs.r12, &regs.r13, &regs.r14, &regs.r15, &regs.rip, &regs.rflags };
	struct fault_input in = {
		.regs = &regs, .sregs = &sregs, .ram = ram, .ram_size = RAM, .host_prot = host_prot
	};
	uint32_t pbits;
	int ret;

	memcpy(hdr, data, size < HEADER ? size : HEADER);
	memset(ram, 0, sizeof(ram));
	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	sregs.cs.l = hdr[0] & 1;
	sregs.cr4 = 1ULL << 5 | (hdr[0] & 2 ? 1ULL << 12 : 0) | (hdr[0] & 64 ? 1ULL << 21 : 0) |
		    (hdr[1] & 1 ? 1ULL << 20 : 0);
	sregs.cr0 = 1 | (hdr[0] & 4 ? 0 : 1ULL << 31) | (hdr[0] & 16 ? 1ULL << 16 : 0);
	sregs.efer = 1ULL << 8 | (hdr[1] & 8 ? 0 : 1ULL << 10) | (hdr[0] & 8 ? 1ULL << 11 : 0);
	sregs.ss.dpl = hdr[0] & 32 ? 3 : 0;
	in.walk_writes = hdr[0] & 128;
	pbits = (uint32_t)get(hdr + 2, 4);
	for (unsigned int g = 0; g < PAGES; g++) {
		static const int p[4] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
					  PROT_READ | PROT_WRITE };

		prot[g] = p[pbits >> (2 * g) & 3];
	}
	for (unsigned int i = 0; i < 18; i++)
		*gpr[i] = get(hdr + 8 + 8 * i, 8);
	if (hdr[1] & 2)
		regs.rflags |= 1ULL << 18;
	sregs.fs.base = get(hdr + 152, 8);
	sregs.gs.base = get(hdr + 160, 8);
	sregs.cr3 = get(hdr + 168, 8);
	if (hdr[1] & 4) {
		uint64_t flags = hdr[6] | 1;

		put64(0x0000, 0x1000 | flags);
		put64(0x1000, 0x2000 | flags);
		put64(0x2000, 0x3000 | flags);
		for (uint64_t g = 0; g < PAGES; g++)
			put64(0x3000 + 8 * g, g << 12 | flags);
	}
	memcpy(ram + regs.rip % (RAM - 15), hdr + 176, 15);
	for (size_t at = HEADER; at + PATCH <= size; at += PATCH)
		put64(get(data + at, 2) % (RAM - 7), get(data + at + 2, 8));

	memcpy(copy, ram, sizeof(ram));
	ret = fault_classify(&in, &f);
	if (ret != 0 && ret != -ENOTSUP)
		abort();
	if (memcmp(copy, ram, sizeof(ram)))
		abort(); /* it reads guest RAM, never writes it */
	if (fault_classify(&in, &again) != ret || (!ret && !same(&f, &again)))
		abort(); /* a function of its input */
	if (!ret)
		check(&f);
	return 0;
}
