// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The EFAULT classifier (src/kvm/fault_classify.c) without /dev/kvm: a guest
 * RAM with 4-level page tables, registers and a host protection per page,
 * and the accesses the classifier names.  Each case states the CPU, KVM or
 * peer behaviour it encodes.  Every classification is also checked to name
 * only pages whose host protection forbids the access it names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include <memattr/vm.h>

#include "kvm/fault_classify.h"

#define PAGES 64
#define RAM   (PAGES * 4096ULL)

/* Guest-physical layout: the tables, then code, data and stack pages. */
#define PML4	0x1000ULL
#define PDPT	0x2000ULL
#define PD	0x3000ULL
#define PT	0x4000ULL /* GVA 0..2 MiB, identity */
#define PT2	0x5000ULL /* GVA 2..4 MiB, set up by cases */
#define HPDPT	0x6000ULL /* PML4[255]: a high, non-identity mapping */
#define HPD	0x7000ULL
#define HPT	0x8000ULL
#define CODE	0x20000ULL
#define DATA	0x28000ULL
#define DATA2	0x29000ULL
#define STACK	0x31000ULL	  /* RSP: pushes store in page 0x30, pops load from 0x31 */
#define HIGH	0x7fffffe00000ULL /* PML4 255, PDPT 511, PD 511 */
#define OUTSIDE 0x100000ULL	  /* a GPA past RAM */

#define P   (1ULL << 0)
#define RW  (1ULL << 1)
#define US  (1ULL << 2)
#define A   (1ULL << 5)
#define D   (1ULL << 6)
#define PS  (1ULL << 7)
#define XD  (1ULL << 63)
#define ALL (P | RW | US | A | D)

#define NONE PROT_NONE
#define RO   PROT_READ
#define RWP  (PROT_READ | PROT_WRITE)

#define R MEMATTR_VM_ACCESS_READ
#define W MEMATTR_VM_ACCESS_WRITE
#define X MEMATTR_VM_ACCESS_EXECUTE

struct env {
	uint8_t ram[RAM];
	int prot[PAGES];
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool walk_writes;
};

static void put64(struct env *e, uint64_t gpa, uint64_t v)
{
	memcpy(e->ram + gpa, &v, 8);
}

static uint64_t get64(const struct env *e, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, e->ram + gpa, 8);
	return v;
}

/* The PTE mapping identity page @gfn (GVA < 2 MiB). */
static uint64_t pte_of(uint64_t gfn)
{
	return PT + gfn * 8;
}

/*
 * 64-bit mode at CPL 0, CR0.WP, EFER.NXE, 4-level paging; GVA 0..2 MiB
 * identity mapped with 4 KiB pages, user and writable, accessed and dirty.
 */
static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	put64(e, PML4, PDPT | (ALL & ~D));
	put64(e, PDPT, PD | (ALL & ~D));
	put64(e, PD, PT | (ALL & ~D));
	for (uint64_t i = 0; i < 512; i++)
		put64(e, pte_of(i), i << 12 | ALL);
	for (unsigned int i = 0; i < PAGES; i++)
		e->prot[i] = RWP;
	e->sregs.cr0 = 1 | 1ULL << 16 | 1ULL << 31;	     /* PE, WP, PG */
	e->sregs.cr4 = 1ULL << 5;			     /* PAE */
	e->sregs.efer = 1ULL << 8 | 1ULL << 10 | 1ULL << 11; /* LME, LMA, NXE */
	e->sregs.cr3 = PML4;
	e->sregs.cs.l = 1;
	e->regs.rip = CODE;
	e->regs.rsp = STACK;
	e->regs.rflags = 2;
}

/* Map GVA 2..4 MiB through PT2: GVA 0x200000 + (gfn << 12) to page @gfn, flags @f. */
static void map2(struct env *e, uint64_t gfn, uint64_t f)
{
	put64(e, PD + 8, PT2 | (ALL & ~D));
	put64(e, PT2 + gfn * 8, gfn << 12 | f);
}

static int host_prot(void *opaque, uint64_t gfn)
{
	const struct env *e = opaque;

	assert_true(gfn < PAGES); /* the classifier asks only about RAM */
	return e->prot[gfn];
}

enum reg { NOREG, RAX, RBX, RCX, RSI, RDI, RSP };

struct fc_case {
	const char *why;
	uint8_t insn[15];
	unsigned int n;
	uint64_t at; /* where the bytes go and RIP; 0: CODE */
	struct {
		enum reg r;
		uint64_t v;
	} set[3];
	struct {
		uint64_t gfn;
		int prot;
	} prot[3];
	void (*setup)(struct env *e);
	int ret;
	unsigned int nblocked;
	struct fault_access want[3];
	uint8_t length; /* nonzero: check the decoding (length, bytes, skip) */
	enum fault_skip skip;
	uint8_t dest_gpr, dest_bits;
	bool high8;
};

static __u64 *reg_of(struct kvm_regs *r, enum reg n)
{
	switch (n) {
	case RAX:
		return &r->rax;
	case RBX:
		return &r->rbx;
	case RCX:
		return &r->rcx;
	case RSI:
		return &r->rsi;
	case RDI:
		return &r->rdi;
	case RSP:
		return &r->rsp;
	default:
		return NULL;
	}
}

/* Setups. */
static void pt2_none(struct env *e)
{
	map2(e, DATA >> 12, ALL);
	e->prot[PT2 >> 12] = NONE;
}

static void pt2_ro_no_a(struct env *e)
{
	map2(e, DATA >> 12, ALL & ~A);
	e->prot[PT2 >> 12] = RO;
}

static void pt2_ro(struct env *e)
{
	map2(e, DATA >> 12, ALL);
	e->prot[PT2 >> 12] = RO;
	e->prot[DATA >> 12] = NONE;
}

static void pt2_ro_no_d(struct env *e)
{
	map2(e, DATA >> 12, ALL & ~D);
	e->prot[PT2 >> 12] = RO;
}

static void pt2_ro_eptad(struct env *e)
{
	map2(e, DATA >> 12, ALL);
	e->prot[PT2 >> 12] = RO;
	e->walk_writes = true;
}

static void pt_none(struct env *e)
{
	e->prot[PT >> 12] = NONE;
}

static void large_2m(struct env *e)
{
	put64(e, PD + 2 * 8, 0 | ALL | PS); /* GVA 4..6 MiB -> GPA 0..2 MiB */
}

static void large_1g(struct env *e)
{
	put64(e, PDPT + 8, 0 | ALL | PS); /* GVA 1..2 GiB -> GPA 0..1 GiB */
}

static void high_map(struct env *e)
{
	put64(e, PML4 + 255 * 8, HPDPT | (ALL & ~D));
	put64(e, HPDPT + 511 * 8, HPD | (ALL & ~D));
	put64(e, HPD + 511 * 8, HPT | (ALL & ~D));
	put64(e, HPT + 7 * 8, DATA | ALL); /* GVA HIGH + 0x7000 -> DATA */
}

static void gs_base(struct env *e)
{
	e->sregs.gs.base = DATA;
	e->sregs.ds.base = 0x1000; /* ignored in 64-bit mode */
}

static void ds_base(struct env *e)
{
	e->sregs.ds.base = 0x1000;
}

static void not_present(struct env *e)
{
	put64(e, pte_of(DATA >> 12), DATA | (ALL & ~P));
}

static void xd_no_nxe(struct env *e)
{
	put64(e, pte_of(DATA >> 12), DATA | ALL | XD);
	e->sregs.efer &= ~(1ULL << 11);
}

static void pte_read_only(struct env *e)
{
	put64(e, pte_of(DATA >> 12), DATA | (ALL & ~RW));
}

static void user_on_supervisor(struct env *e)
{
	put64(e, pte_of(DATA >> 12), DATA | (ALL & ~US));
	e->sregs.ss.dpl = 3;
}

static void smap(struct env *e)
{
	e->sregs.cr4 |= 1ULL << 21;
}

static void smap_ac(struct env *e)
{
	e->sregs.cr4 |= 1ULL << 21;
	e->regs.rflags |= 1ULL << 18;
}

static void la57(struct env *e)
{
	e->sregs.cr4 |= 1ULL << 12;
}

static void compat(struct env *e)
{
	e->sregs.cs.l = 0;
}

static void no_paging(struct env *e)
{
	e->sregs.cr0 &= ~(1ULL << 31);
}

static void cr3_outside(struct env *e)
{
	e->sregs.cr3 = OUTSIDE;
}

static void outside_ram(struct env *e)
{
	put64(e, pte_of(DATA >> 12), OUTSIDE | ALL);
	e->prot[DATA >> 12] = NONE; /* not what the access reaches */
}

static void nx_code(struct env *e)
{
	put64(e, pte_of(CODE >> 12), CODE | ALL | XD);
}

/* Table helpers: the instruction's bytes, registers, host protections, the accesses named. */
#define INSN(...) .insn = { __VA_ARGS__ }, .n = sizeof((uint8_t[]){ __VA_ARGS__ })
#define SET(...)  .set = { __VA_ARGS__ }
#define PROT(...) .prot = { __VA_ARGS__ }
#define WANT(...)                                                                                  \
	.want = { __VA_ARGS__ },                                                                   \
	.nblocked = sizeof((struct fault_access[]){ __VA_ARGS__ }) / sizeof(struct fault_access)
#define LOAD(gpr, bits) .skip = FAULT_SKIP_LOAD, .dest_gpr = (gpr), .dest_bits = (bits)
#define STORE		.skip = FAULT_SKIP_STORE
#define UNEXPLAINED	.ret = -ENOTSUP

static const struct fc_case cases[] = {
	/* --- loads and stores: KVM's fault-in of a host-protected page fails (hva_to_pfn) --- */
	{ .why = "mov rax, [rbx] from a PROT_NONE page: a read at its GPA (NPT fault, EFAULT)",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA + 0x10 }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA + 0x10, 8, DATA + 0x10 }),
	  .length = 3,
	  LOAD(0, 64) },
	{ .why = "mov [rbx], rax to a PROT_READ page: a write",
	  INSN(0x48, 0x89, 0x03),
	  SET({ RBX, DATA + 8 }),
	  PROT({ DATA >> 12, RO }),
	  WANT({ W, FAULT_DATA, DATA + 8, 8, DATA + 8 }),
	  .length = 3,
	  STORE },
	{ .why = "mov rax, [rbx] from a PROT_READ page: KVM maps it, nothing to explain "
		 "(never 'allowed')",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, RO }),
	  UNEXPLAINED },
	{ .why = "movq $1, [rbx] to a PROT_NONE page: a write (the access's kind, not the page's)",
	  INSN(0x48, 0xc7, 0x03, 1, 0, 0, 0),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ W, FAULT_DATA, DATA, 8, DATA }),
	  .length = 7,
	  STORE },
	{ .why = "mov ah, [rbx]: a skipped load clears bits 15:8 only",
	  INSN(0x8a, 0x23),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 1, DATA }),
	  .length = 2,
	  LOAD(0, 8),
	  .high8 = true },
	{ .why = "movzx ecx, word [rbx]: a 32-bit destination (zero-extends)",
	  INSN(0x0f, 0xb7, 0x0b),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 2, DATA }),
	  .length = 3,
	  LOAD(1, 32) },
	{ .why = "movsxd rdx, dword [rbx]",
	  INSN(0x48, 0x63, 0x13),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 4, DATA }),
	  .length = 3,
	  LOAD(2, 64) },
	{ .why = "mov r9w, [rbx]: a 16-bit destination keeps bits 63:16",
	  INSN(0x66, 0x44, 0x8b, 0x0b),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 2, DATA }),
	  .length = 4,
	  LOAD(9, 16) },
	{ .why = "mov rax, moffs64: the A1 form loads RAX too",
	  INSN(0x48, 0xa1, 0x00, 0x80, 0x02, 0, 0, 0, 0, 0),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }),
	  .length = 10,
	  LOAD(0, 64) },
	{ .why = "mov ss, [rbx] loads a segment: it cannot be skipped",
	  INSN(0x8e, 0x13),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 2, DATA }),
	  .length = 2 },
	{ .why = "add [rbx], rax: a read-modify-write is one write; not skippable",
	  INSN(0x48, 0x01, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, RO }),
	  WANT({ W, FAULT_DATA, DATA, 8, DATA }),
	  .length = 3 },

	/* --- implicit operands: the stack and string instructions --- */
	{ .why = "push rax: stores at RSP - 8 (Zydis gives [rsp], before the decrement)",
	  INSN(0x50),
	  PROT({ (STACK - 8) >> 12, RO }),
	  WANT({ W, FAULT_DATA, STACK - 8, 8, STACK - 8 }),
	  .length = 1 },
	{ .why = "call rel32: pushes the return address",
	  INSN(0xe8, 0, 0, 0, 0),
	  PROT({ (STACK - 8) >> 12, NONE }),
	  WANT({ W, FAULT_DATA, STACK - 8, 8, STACK - 8 }),
	  .length = 5 },
	{ .why = "pop rax: loads from RSP",
	  INSN(0x58),
	  PROT({ STACK >> 12, NONE }),
	  WANT({ R, FAULT_DATA, STACK, 8, STACK }),
	  .length = 1 },
	{ .why = "ret: loads the return address from RSP",
	  INSN(0xc3),
	  PROT({ STACK >> 12, NONE }),
	  WANT({ R, FAULT_DATA, STACK, 8, STACK }),
	  .length = 1 },
	{ .why = "push [rbx]: reads [rbx], then stores below RSP",
	  INSN(0xff, 0x33),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }, { (STACK - 8) >> 12, RO }),
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }, { W, FAULT_DATA, STACK - 8, 8, STACK - 8 }) },
	{ .why = "pop [rbx]: reads the stack before it stores to [rbx]",
	  INSN(0x8f, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, RO }, { STACK >> 12, NONE }),
	  WANT({ R, FAULT_DATA, STACK, 8, STACK }, { W, FAULT_DATA, DATA, 8, DATA }) },
	{ .why = "rep stosb with RCX 0 accesses nothing (SDM REP)",
	  INSN(0xf3, 0xaa),
	  SET({ RCX, 0 }, { RDI, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  UNEXPLAINED },
	{ .why = "rep stosb: the current element at RDI",
	  INSN(0xf3, 0xaa),
	  SET({ RCX, 5 }, { RDI, DATA + 3 }),
	  PROT({ DATA >> 12, RO }),
	  WANT({ W, FAULT_DATA, DATA + 3, 1, DATA + 3 }),
	  .length = 2 },
	{ .why = "movsq: [rsi] is read before [rdi] is written",
	  INSN(0x48, 0xa5),
	  SET({ RSI, DATA }, { RDI, DATA2 }),
	  PROT({ DATA >> 12, NONE }, { DATA2 >> 12, RO }),
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }, { W, FAULT_DATA, DATA2, 8, DATA2 }) },

	/* --- addresses the decoder leaves to the classifier --- */
	{ .why = "xlat reads [rbx + al]",
	  INSN(0xd7),
	  SET({ RBX, DATA2 - 0x10 }, { RAX, 0x1234 }),
	  PROT({ DATA2 >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA2 + 0x24, 1, DATA2 + 0x24 }),
	  .length = 1 },
	{ .why = "bt [rbx], rax: the bit offset picks the dword (SDM Bit(BitBase, BitOffset))",
	  INSN(0x0f, 0xa3, 0x03),
	  SET({ RBX, DATA }, { RAX, 8 * 0x1000 + 5 }),
	  PROT({ DATA2 >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA2, 4, DATA2 }),
	  .length = 3 },
	{ .why = "bts [rbx], rax with a negative offset: the qword below",
	  INSN(0x48, 0x0f, 0xab, 0x03),
	  SET({ RBX, DATA2 }, { RAX, (uint64_t)-1 }),
	  PROT({ DATA >> 12, RO }),
	  WANT({ W, FAULT_DATA, DATA2 - 8, 8, DATA2 - 8 }),
	  .length = 4 },
	{ .why = "bt [rbx], 200: an immediate offset stays in the operand",
	  INSN(0x0f, 0xba, 0x23, 200),
	  SET({ RBX, DATA }),
	  PROT({ DATA2 >> 12, NONE }),
	  UNEXPLAINED },

	/* --- accesses that straddle pages: the first blocked byte, address order --- */
	{ .why = "a load into a PROT_NONE second page: its first byte",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA2 - 4 }),
	  PROT({ DATA2 >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA2, 4, DATA2 }) },
	{ .why = "a load over two PROT_NONE pages: both, in address order",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA2 - 4 }),
	  PROT({ DATA >> 12, NONE }, { DATA2 >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA2 - 4, 4, DATA2 - 4 }, { R, FAULT_DATA, DATA2, 4, DATA2 }) },
	{ .why = "xsave [rbx]: 576 bytes, the part in the read-only page",
	  INSN(0x0f, 0xae, 0x23),
	  SET({ RBX, DATA2 - 64 }),
	  PROT({ DATA2 >> 12, RO }),
	  WANT({ W, FAULT_DATA, DATA2, 512, DATA2 }) },

	/* --- fetches: only a PROT_NONE page stops one (no "read but not execute" host state) ---
	 */
	{ .why = "RIP on a PROT_NONE page: an execute access at RIP's GPA",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ CODE >> 12, NONE }),
	  WANT({ X, FAULT_FETCH, CODE, 3, CODE }),
	  .length = 3,
	  LOAD(0, 64) },
	{ .why = "an instruction running into a PROT_NONE page: the fetch of its rest",
	  INSN(0x48, 0x8b, 0x03),
	  .at = CODE + 0xfff,
	  SET({ RBX, DATA }),
	  PROT({ (CODE >> 12) + 1, NONE }),
	  WANT({ X, FAULT_FETCH, CODE + 0x1000, 2, CODE + 0x1000 }),
	  .length = 3,
	  LOAD(0, 64) },
	{ .why = "an instruction ending at its page's end: the next page is not fetched",
	  INSN(0x48, 0x8b, 0x03),
	  .at = CODE + 0xffd,
	  SET({ RBX, DATA }),
	  PROT({ (CODE >> 12) + 1, NONE }, { DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }),
	  .length = 3,
	  LOAD(0, 64) },
	{ .why = "bytes that do not decode, on a PROT_NONE page: still the fetch",
	  INSN(0xff, 0xff),
	  PROT({ CODE >> 12, NONE }),
	  WANT({ X, FAULT_FETCH, CODE, 15, CODE }) },
	{ .why = "bytes that do not decode, nothing blocked: unexplained",
	  INSN(0xff, 0xff),
	  UNEXPLAINED },
	{ .why = "RIP on an XD page is #PF in the guest first",
	  INSN(0x90),
	  PROT({ CODE >> 12, NONE }),
	  .setup = nx_code,
	  UNEXPLAINED },

	/* --- the guest's page walk: NPT reads a table's GPA, and writes it to set A or D --- */
	{ .why = "a PROT_NONE page table under RIP: a read of RIP's entry",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  .setup = pt_none,
	  WANT({ R, FAULT_FETCH_WALK, PT + (CODE >> 12) * 8, 8, CODE }),
	  .length = 3,
	  LOAD(0, 64) },
	{ .why = "a PROT_NONE page table under the operand: a read of its entry",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x200000 + DATA }),
	  .setup = pt2_none,
	  WANT({ R, FAULT_DATA_WALK, PT2 + (DATA >> 12) * 8, 8, 0x200000 + DATA }) },
	{ .why = "a PROT_READ table whose entry lacks the accessed flag: setting it is a write",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x200000 + DATA }),
	  .setup = pt2_ro_no_a,
	  WANT({ W, FAULT_DATA_WALK, PT2 + (DATA >> 12) * 8, 8, 0x200000 + DATA }) },
	{ .why = "the same with the flag set: the walk only reads; the data page explains it",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x200000 + DATA }),
	  .setup = pt2_ro,
	  WANT({ R, FAULT_DATA, DATA, 8, 0x200000 + DATA }) },
	{ .why = "a store through an entry whose dirty flag is clear: a write of its table",
	  INSN(0x48, 0x89, 0x03),
	  SET({ RBX, 0x200000 + DATA }),
	  .setup = pt2_ro_no_d,
	  WANT({ W, FAULT_DATA_WALK, PT2 + (DATA >> 12) * 8, 8, 0x200000 + DATA }) },
	{ .why = "EPT with A/D flags: every table access is a write (SDM), flags set or not",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x200000 + DATA }),
	  .setup = pt2_ro_eptad,
	  WANT({ W, FAULT_DATA_WALK, PT2 + (DATA >> 12) * 8, 8, 0x200000 + DATA }) },
	{ .why = "a 2 MiB page (PS in the PD entry)",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x400000 + DATA + 0x10 }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = large_2m,
	  WANT({ R, FAULT_DATA, DATA + 0x10, 8, 0x400000 + DATA + 0x10 }) },
	{ .why = "a 1 GiB page (PS in the PDPT entry)",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, (1ULL << 30) + DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = large_1g,
	  WANT({ R, FAULT_DATA, DATA, 8, (1ULL << 30) + DATA }) },
	{ .why = "a mapping high in the canonical space, not identity",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, HIGH + 0x7008 }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = high_map,
	  WANT({ R, FAULT_DATA, DATA + 8, 8, HIGH + 0x7008 }) },

	/* --- addressing: segments, address size, RIP-relative --- */
	{ .why = "gs:[rbx]: GS keeps its base in 64-bit mode",
	  INSN(0x65, 0x48, 0x8b, 0x03),
	  SET({ RBX, 0x10 }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = gs_base,
	  WANT({ R, FAULT_DATA, DATA + 0x10, 8, DATA + 0x10 }) },
	{ .why = "[rbx] ignores DS's base in 64-bit mode",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = ds_base,
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }) },
	{ .why = "0x67 truncates the effective address to 32 bits",
	  INSN(0x67, 0x8b, 0x03),
	  SET({ RBX, 0xffffffff00000000ULL | DATA }),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 4, DATA }) },
	{ .why = "RIP-relative: from the next instruction's address",
	  INSN(0x48, 0x8b, 0x05, 0xf9, 0x7f, 0, 0),
	  PROT({ DATA >> 12, NONE }),
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }),
	  .length = 7,
	  LOAD(0, 64) },

	/* --- what the guest faults on first explains no EFAULT --- */
	{ .why = "a non-canonical address is #GP first",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, 0x0000800000000000ULL }),
	  UNEXPLAINED },
	{ .why = "a not-present PTE is #PF first",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = not_present,
	  UNEXPLAINED },
	{ .why = "XD without EFER.NXE is a reserved bit: #PF first",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = xd_no_nxe,
	  UNEXPLAINED },
	{ .why = "CR0.WP: a supervisor store to a read-only PTE is #PF first",
	  INSN(0x48, 0x89, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, RO }),
	  .setup = pte_read_only,
	  UNEXPLAINED },
	{ .why = "CPL 3 on a supervisor page is #PF first",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = user_on_supervisor,
	  UNEXPLAINED },
	{ .why = "SMAP: a supervisor load from a user page without RFLAGS.AC is #PF first",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = smap,
	  UNEXPLAINED },
	{ .why = "SMAP with RFLAGS.AC: the load happens",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  .setup = smap_ac,
	  WANT({ R, FAULT_DATA, DATA, 8, DATA }) },
	{ .why = "a page table outside RAM: unexplained",
	  INSN(0x90),
	  .setup = cr3_outside,
	  UNEXPLAINED },
	{ .why = "an operand outside RAM is a device's MMIO: no view",
	  INSN(0x48, 0x8b, 0x03),
	  SET({ RBX, DATA }),
	  .setup = outside_ram,
	  UNEXPLAINED },

	/* --- modes the walker does not implement --- */
	{ .why = "CR4.LA57 (5-level paging): unexplained",
	  INSN(0x90),
	  PROT({ CODE >> 12, NONE }),
	  .setup = la57,
	  UNEXPLAINED },
	{ .why = "compatibility mode (CS.L 0): unexplained",
	  INSN(0x90),
	  PROT({ CODE >> 12, NONE }),
	  .setup = compat,
	  UNEXPLAINED },
	{ .why = "paging off: unexplained",
	  INSN(0x90),
	  PROT({ CODE >> 12, NONE }),
	  .setup = no_paging,
	  UNEXPLAINED },

	/* --- instructions that access nothing --- */
	{ .why = "nop dword [rbx] accesses nothing",
	  INSN(0x0f, 0x1f, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  UNEXPLAINED },
	{ .why = "lea rax, [rbx] computes an address only",
	  INSN(0x48, 0x8d, 0x03),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  UNEXPLAINED },
	{ .why = "prefetcht0 [rbx] never faults (SDM)",
	  INSN(0x0f, 0x18, 0x0b),
	  SET({ RBX, DATA }),
	  PROT({ DATA >> 12, NONE }),
	  UNEXPLAINED },
};

/* Whatever it names, the host forbids: the classifier never reports an allowed access. */
static void check_forbidden(const struct env *e, const struct fault *f)
{
	assert_true(f->nblocked >= 1 && f->nblocked <= FAULT_MAX_BLOCKED);
	for (unsigned int i = 0; i < f->nblocked; i++) {
		const struct fault_access *b = &f->blocked[i];
		int p = e->prot[b->gpa >> 12];

		assert_true(b->gpa < RAM);
		assert_true(b->len >= 1 && (b->gpa & 4095) + b->len <= 4096);
		if (b->access == W)
			assert_false(p & PROT_WRITE);
		else
			assert_false(p & PROT_READ);
	}
}

static void run_case(const struct fc_case *c)
{
	static struct env e;
	struct fault_input in = { .regs = &e.regs,
				  .sregs = &e.sregs,
				  .ram = e.ram,
				  .ram_size = RAM,
				  .host_prot = host_prot,
				  .opaque = &e };
	struct fault f;
	uint64_t at = c->at ? c->at : CODE;
	int ret;

	print_message("%s\n", c->why);
	env_init(&e);
	memcpy(e.ram + at, c->insn, c->n);
	e.regs.rip = at;
	for (unsigned int i = 0; i < 3; i++)
		if (c->set[i].r != NOREG)
			*reg_of(&e.regs, c->set[i].r) = c->set[i].v;
	for (unsigned int i = 0; i < 3; i++)
		if (c->prot[i].gfn)
			e.prot[c->prot[i].gfn] = c->prot[i].prot;
	if (c->setup)
		c->setup(&e);
	in.walk_writes = e.walk_writes;
	ret = fault_classify(&in, &f);
	assert_int_equal(ret, c->ret);
	if (ret)
		return;
	check_forbidden(&e, &f);
	assert_int_equal(f.nblocked, c->nblocked);
	for (unsigned int i = 0; i < c->nblocked; i++) {
		assert_int_equal(f.blocked[i].access, c->want[i].access);
		assert_int_equal(f.blocked[i].stage, c->want[i].stage);
		assert_int_equal(f.blocked[i].gpa, c->want[i].gpa);
		assert_int_equal(f.blocked[i].len, c->want[i].len);
		assert_int_equal(f.blocked[i].gva, c->want[i].gva);
	}
	assert_int_equal(f.rip, at);
	if (!c->length)
		return; /* the case is about the accesses only */
	assert_int_equal(f.insn_length, c->length);
	assert_true(f.insn_count >= f.insn_length);
	assert_memory_equal(f.insn, c->insn, c->n);
	assert_int_equal(f.skip, c->skip);
	if (c->skip == FAULT_SKIP_LOAD) {
		assert_int_equal(f.dest_gpr, c->dest_gpr);
		assert_int_equal(f.dest_bits, c->dest_bits);
		assert_int_equal(f.dest_high8, c->high8);
	}
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/*
 * The instruction's bytes come through the guest's page tables, not from
 * RIP taken as a GPA: the message's InstructionBytes are what the CPU ran.
 */
static void test_bytes_translated(void **state)
{
	static struct env e;
	static const uint8_t insn[] = { 0x48, 0x8b, 0x03 };
	struct fault_input in = { .regs = &e.regs,
				  .sregs = &e.sregs,
				  .ram = e.ram,
				  .ram_size = RAM,
				  .host_prot = host_prot,
				  .opaque = &e };
	struct fault f;

	(void)state;
	env_init(&e);
	high_map(&e);
	put64(&e, HPT + 6 * 8, CODE | ALL); /* GVA HIGH + 0x6000 -> CODE */
	memcpy(e.ram + CODE, insn, sizeof(insn));
	e.regs.rip = HIGH + 0x6000;
	e.regs.rbx = DATA;
	e.prot[DATA >> 12] = NONE;
	assert_int_equal(fault_classify(&in, &f), 0);
	assert_int_equal(f.rip, HIGH + 0x6000);
	assert_int_equal(f.insn_length, 3);
	assert_memory_equal(f.insn, insn, 3);
	assert_int_equal(f.blocked[0].gpa, DATA);
	/* The entry's flags were set: the walk wrote nothing, and nothing was written. */
	assert_int_equal(get64(&e, HPT + 6 * 8), CODE | ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bytes_translated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
