// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which access of an instruction the views stopped, when KVM does not say.
 *
 * On hardware-virtualized KVM (Intel EPT, AMD NPT, shadow paging) a guest
 * access that the alias's host protection forbids makes KVM_RUN fail with
 * EFAULT: hva_to_pfn() refuses the page and kvm_handle_error_pfn()
 * (arch/x86/kvm/mmu/mmu.c) returns -EFAULT, RIP still on the instruction,
 * with neither the GPA nor the access type.  This file redoes the
 * instruction's accesses in the order the CPU makes them: translate RIP
 * through the guest's page tables, fetch, decode (Zydis), then translate and
 * access each memory operand.  Every access whose host protection forbids it
 * is listed; the first is the one that faulted.  The guest's own checks come
 * first: an access the guest's page tables refuse raises #PF in the guest
 * before the host is asked, so it can explain no EFAULT.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <Zydis/Zydis.h>

#include <memattr/vm.h>

#include "fault_classify.h"

/* Architectural bits: SDM Vol. 3A 2.5 (control registers), 4.5 (4-level paging). */
#define CR0_PE	  (1ULL << 0)
#define CR0_WP	  (1ULL << 16)
#define CR0_PG	  (1ULL << 31)
#define CR4_PAE	  (1ULL << 5)
#define CR4_LA57  (1ULL << 12)
#define CR4_SMEP  (1ULL << 20)
#define CR4_SMAP  (1ULL << 21)
#define EFER_LMA  (1ULL << 10)
#define EFER_NXE  (1ULL << 11)
#define RFLAGS_AC (1ULL << 18)

#define PTE_P	 (1ULL << 0)
#define PTE_RW	 (1ULL << 1)
#define PTE_US	 (1ULL << 2)
#define PTE_A	 (1ULL << 5)
#define PTE_D	 (1ULL << 6)
#define PTE_PS	 (1ULL << 7)
#define PTE_XD	 (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL /* bits 51:12 */

#define PAGE	 MEMATTR_PAGE_SIZE
#define INSN_MAX 15	     /* no x86 instruction is longer */
#define OPND_MAX (16U << 10) /* the largest operand considered (XSAVE with AMX is ~11 KiB) */

enum kind { K_READ, K_WRITE, K_FETCH };

struct cls {
	const struct fault_input *in;
	struct fault *out;
	bool user; /* CPL 3 */
};

static uint64_t get64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x; /* little endian, as the host */
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Whether KVM's fault-in of @gpa's page fails: hva_to_pfn() honours the host VMA's rights. */
static bool host_forbids(const struct cls *c, uint64_t gpa, bool write)
{
	int p = c->in->host_prot(c->in->opaque, gpa >> MEMATTR_PAGE_SHIFT);

	if (p < 0)
		p = PROT_NONE;
	return write ? !(p & PROT_WRITE) : !(p & PROT_READ);
}

/* Note a blocked access; the same page again only when it now needs more. */
static void blocked(struct cls *c, uint32_t access, enum fault_stage st, uint64_t gpa, uint64_t len,
		    uint64_t gva)
{
	struct fault *f = c->out;

	for (unsigned int i = 0; i < f->nblocked; i++) {
		const struct fault_access *b = &f->blocked[i];

		if (b->gpa >> MEMATTR_PAGE_SHIFT == gpa >> MEMATTR_PAGE_SHIFT &&
		    (b->access == access ||
		     (b->access == MEMATTR_VM_ACCESS_WRITE && access == MEMATTR_VM_ACCESS_READ)))
			return;
	}
	if (f->nblocked == FAULT_MAX_BLOCKED)
		return; /* the first ones are what the decision needs */
	f->blocked[f->nblocked++] = (struct fault_access){
		.access = access,
		.stage = st,
		.gpa = gpa,
		.len = (uint32_t)len,
		.gva = gva,
	};
}

/* 64-bit mode with 4-level paging: what the walker implements. */
static bool mode_supported(const struct kvm_sregs *s)
{
	return (s->efer & EFER_LMA) && s->cs.l && (s->cr0 & CR0_PG) && (s->cr0 & CR0_PE) &&
	       (s->cr4 & CR4_PAE) && !(s->cr4 & CR4_LA57);
}

/* Bits 63:47 equal: anything else is #GP (or #SS) before any translation. */
static bool canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

/*
 * Reserved bits the walker can know (SDM 4.5, table 4-19..4-20): XD without
 * EFER.NXE, PS in a PML4 entry, a large page's address bits below its size
 * above the PAT bit.  Bits above MAXPHYADDR are not known here; a table they
 * push outside RAM is unexplained anyway.
 */
static bool reserved(uint64_t e, int level, bool nxe)
{
	if ((e & PTE_XD) && !nxe)
		return true;
	if (level == 4)
		return e & PTE_PS;
	if (level == 3 && (e & PTE_PS))
		return e & 0x3fffe000ULL; /* bits 29:13 of a 1 GiB page */
	if (level == 2 && (e & PTE_PS))
		return e & 0x1fe000ULL; /* bits 20:13 of a 2 MiB page */
	return false;
}

/*
 * The walk's access to the entry at @at: a read, and a write when it sets the
 * accessed or dirty flag (@update).  On AMD NPT a guest table access is a
 * read of the table's GPA and a flag update a write; with EPT A/D flags every
 * one is a write (walk_writes).  Shadow paging walks in software and injects
 * #PF when it cannot read a table (FNAME(walk_addr_generic)): no EFAULT there.
 */
static void table_access(struct cls *c, uint64_t at, bool update, uint64_t la, enum fault_stage st)
{
	bool write = update || c->in->walk_writes;

	if (host_forbids(c, at, write))
		blocked(c, write ? MEMATTR_VM_ACCESS_WRITE : MEMATTR_VM_ACCESS_READ, st, at, 8, la);
}

/* The guest's own permission checks (SDM 4.6): a refusal is #PF in the guest. */
static bool permitted(const struct cls *c, enum kind k, bool rw, bool us, bool nx)
{
	const struct kvm_sregs *s = c->in->sregs;

	if (c->user && !us)
		return false;
	if (k == K_WRITE && !rw && (c->user || (s->cr0 & CR0_WP)))
		return false;
	if (k == K_FETCH)
		return !nx && (c->user || !us || !(s->cr4 & CR4_SMEP));
	/* SMAP: supervisor data accesses to user pages need RFLAGS.AC. */
	return c->user || !us || !(s->cr4 & CR4_SMAP) || (c->in->regs->rflags & RFLAGS_AC);
}

/*
 * Translate @la for an access of kind @k through the guest's 4-level tables
 * (PML4 from CR3, 1 GiB and 2 MiB pages honoured), noting every table access
 * the host stops under stage @st.
 * Return: 0 with *@gpa; -ENOTSUP where the CPU raises #GP or #PF first, or a
 * table lies outside RAM.
 */
static int translate(struct cls *c, uint64_t la, enum kind k, enum fault_stage st, uint64_t *gpa)
{
	const struct fault_input *in = c->in;
	uint64_t table = in->sregs->cr3 & PTE_ADDR, e = 0, leaf_at = 0, size = 0;
	bool nxe = in->sregs->efer & EFER_NXE, rw = true, us = true, xd = false;

	if (!canonical(la))
		return -ENOTSUP;
	for (int level = 4; level >= 1 && !size; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		uint64_t at = table + ((la >> shift) & 511) * 8;

		if (at >= in->ram_size || in->ram_size - at < 8)
			return -ENOTSUP;
		e = get64(in->ram + at);
		if (!(e & PTE_P) || reserved(e, level, nxe))
			return -ENOTSUP;
		/* SDM 4.8: the walk sets the accessed flag of every entry it uses. */
		table_access(c, at, !(e & PTE_A), la, st);
		rw = rw && (e & PTE_RW);
		us = us && (e & PTE_US);
		xd = xd || (e & PTE_XD);
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			size = 1ULL << shift;
			leaf_at = at;
		}
		table = e & PTE_ADDR;
	}
	if (!permitted(c, k, rw, us, xd && nxe))
		return -ENOTSUP;
	/* ...and a write the dirty flag of the entry that maps the page. */
	if (k == K_WRITE && !(e & PTE_D))
		table_access(c, leaf_at, true, la, st);
	*gpa = (e & PTE_ADDR & ~(size - 1)) | (la & (size - 1));
	return 0;
}

/*
 * Fetch and decode the instruction at RIP: the bytes of RIP's page, and of
 * the next page only if the instruction continues there (the CPU fetches
 * nothing past the instruction that can fault).  A fetch from a page the host
 * does not let KVM read is an execute access (a host mapping has no
 * "readable but not executable" state KVM honours).
 * Return: 0 decoded; -ENOTSUP otherwise (what was blocked on the way stays).
 */
static int fetch(struct cls *c, const ZydisDecoder *d, ZydisDecodedInstruction *insn,
		 ZydisDecodedOperand *ops)
{
	const struct fault_input *in = c->in;
	struct fault *f = c->out;
	unsigned int first = f->nblocked, n = 0;
	uint64_t rip = in->regs->rip;

	f->rip = rip;
	while (n < INSN_MAX) {
		uint64_t la = rip + n, gpa;
		unsigned int chunk = (unsigned int)min64(INSN_MAX - n, PAGE - (la & (PAGE - 1)));
		ZyanStatus st;

		if (translate(c, la, K_FETCH, FAULT_FETCH_WALK, &gpa))
			return -ENOTSUP;
		if (gpa >= in->ram_size || in->ram_size - gpa < chunk)
			return -ENOTSUP; /* code outside RAM: not the views' */
		if (host_forbids(c, gpa, false))
			blocked(c, MEMATTR_VM_ACCESS_EXECUTE, FAULT_FETCH, gpa, chunk, la);
		memcpy(f->insn + n, in->ram + gpa, chunk);
		n += chunk;
		f->insn_count = (uint8_t)n;
		st = ZydisDecoderDecodeFull(d, f->insn, n, insn, ops);
		if (ZYAN_SUCCESS(st)) {
			f->insn_length = insn->length;
			/* A fetch covers the instruction's bytes in that page. */
			for (unsigned int i = first; i < f->nblocked; i++) {
				struct fault_access *b = &f->blocked[i];
				uint64_t off = b->gva - rip;

				if (b->stage == FAULT_FETCH && off < insn->length)
					b->len = (uint32_t)min64(b->len, insn->length - off);
			}
			return 0;
		}
		if (st != ZYDIS_STATUS_NO_MORE_DATA)
			return -ENOTSUP;
	}
	return -ENOTSUP;
}

/* Instructions whose memory operand is not accessed: hints (SDM: NOP r/m, PREFETCHh never fault).
 */
static bool hint(const ZydisDecodedInstruction *insn)
{
	switch (insn->meta.category) {
	case ZYDIS_CATEGORY_NOP:
	case ZYDIS_CATEGORY_WIDENOP:
	case ZYDIS_CATEGORY_PREFETCH:
	case ZYDIS_CATEGORY_PREFETCHWT1:
		return true;
	default:
		return false;
	}
}

/* A repeated string instruction with a zero count accesses nothing (SDM "REP/REPE/REPNE"). */
static bool rep_none(const ZydisDecodedInstruction *insn, const struct kvm_regs *r)
{
	const ZydisInstructionAttributes rep =
		ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE;

	if (insn->meta.category != ZYDIS_CATEGORY_STRINGOP || !(insn->attributes & rep))
		return false;
	return insn->address_width == 32 ? !(uint32_t)r->rcx : !r->rcx;
}

/*
 * PUSH, PUSHF, CALL and ENTER store below RSP: Zydis gives their hidden
 * stack operand as [RSP], the address before the decrement.  (ENTER with a
 * nesting level makes further stack accesses, not modelled.)
 */
static bool pushes(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *op)
{
	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_PUSH:
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
	case ZYDIS_MNEMONIC_PUSHFQ:
	case ZYDIS_MNEMONIC_CALL:
	case ZYDIS_MNEMONIC_ENTER:
		return op->visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN &&
		       op->mem.base == ZYDIS_REGISTER_RSP &&
		       (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
	default:
		return false;
	}
}

/*
 * Addresses Zydis leaves to the caller: XLAT reads [RBX + AL] (Zydis gives
 * [RBX]); BT, BTS, BTR and BTC with a register bit offset address the
 * operand-sized unit the signed offset falls in, EA + (BitOffset DIV size)
 * units (SDM Vol. 2A "Bit(BitBase, BitOffset)"; an immediate offset stays in
 * the operand).
 */
static uint64_t ea_adjust(const ZydisDecodedInstruction *insn, const ZydisDecodedOperand *ops,
			  const ZydisRegisterContext *ctx, const struct kvm_regs *r, uint64_t ea)
{
	unsigned int bits = ops[0].size;
	int64_t off;

	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_XLAT:
		return ea + (r->rax & 0xff);
	case ZYDIS_MNEMONIC_BT:
	case ZYDIS_MNEMONIC_BTS:
	case ZYDIS_MNEMONIC_BTR:
	case ZYDIS_MNEMONIC_BTC:
		if (ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    (bits != 16 && bits != 32 && bits != 64))
			return ea;
		off = (int64_t)ctx->values[ZydisRegisterGetLargestEnclosing(
			ZYDIS_MACHINE_MODE_LONG_64, ops[1].reg.value)];
		if (bits == 16)
			off = (int16_t)off;
		else if (bits == 32)
			off = (int32_t)off;
		/* Floor division by the operand's bits, then whole operands in bytes. */
		return ea + (uint64_t)((off >> (bits == 16 ? 4 : bits == 32 ? 5 : 6)) * (bits / 8));
	default:
		return ea;
	}
}

/* In 64-bit mode only FS and GS have a base (SDM 3.4.4); the others are 0. */
static uint64_t seg_base(const struct kvm_sregs *s, ZydisRegister seg)
{
	if (seg == ZYDIS_REGISTER_FS)
		return s->fs.base;
	if (seg == ZYDIS_REGISTER_GS)
		return s->gs.base;
	return 0;
}

static void regs_context(ZydisRegisterContext *ctx, const struct kvm_regs *r)
{
	/* x86 encoding order, as ZydisRegisterEncode() numbers them. */
	const uint64_t gpr[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				   r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

	memset(ctx, 0, sizeof(*ctx));
	for (ZyanU8 i = 0; i < 16; i++) {
		ctx->values[ZydisRegisterEncode(ZYDIS_REGCLASS_GPR64, i)] = gpr[i];
		ctx->values[ZydisRegisterEncode(ZYDIS_REGCLASS_GPR32, i)] = (uint32_t)gpr[i];
	}
}

/* The pages one memory operand touches, in address order. */
static int operand(struct cls *c, const ZydisDecodedInstruction *insn,
		   const ZydisDecodedOperand *ops, const ZydisDecodedOperand *op,
		   const ZydisRegisterContext *ctx, enum kind k)
{
	const struct fault_input *in = c->in;
	uint64_t ea, la, size = op->size / 8 ? op->size / 8 : 1;

	if (size > OPND_MAX ||
	    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(insn, op, in->regs->rip, ctx, &ea)))
		return -ENOTSUP;
	if (pushes(insn, op))
		ea -= size;
	ea = ea_adjust(insn, ops, ctx, in->regs, ea);
	la = seg_base(in->sregs, op->mem.segment) + ea;
	for (uint64_t off = 0; off < size;) {
		uint64_t p = la + off, chunk = min64(size - off, PAGE - (p & (PAGE - 1))), gpa;

		if (translate(c, p, k, FAULT_DATA_WALK, &gpa))
			return -ENOTSUP;
		/* Outside RAM it is a device's MMIO, which KVM emulates: no view there. */
		if (gpa < in->ram_size && host_forbids(c, gpa, k == K_WRITE))
			blocked(c, k == K_WRITE ? MEMATTR_VM_ACCESS_WRITE : MEMATTR_VM_ACCESS_READ,
				FAULT_DATA, gpa, chunk, p);
		off += chunk;
	}
	return 0;
}

/*
 * Every memory operand, explicit or not: those the instruction reads first
 * (a read-modify-write one is one write access: a page that may be written
 * may be read), then those it only writes (POP [mem] reads the stack before
 * it stores, MOVS reads [RSI] before it writes [RDI]).
 */
static int operands(struct cls *c, const ZydisDecodedInstruction *insn,
		    const ZydisDecodedOperand *ops)
{
	ZydisRegisterContext ctx;

	if (hint(insn) || rep_none(insn, c->in->regs))
		return 0;
	regs_context(&ctx, c->in->regs);
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < insn->operand_count; i++) {
			const ZydisDecodedOperand *op = &ops[i];
			bool r = op->actions & ZYDIS_OPERAND_ACTION_MASK_READ;
			bool w = op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE;
			int ret;

			if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
			    op->mem.type == ZYDIS_MEMOP_TYPE_AGEN)
				continue; /* LEA computes an address, it accesses nothing */
			if ((!r && !w) || (pass == 0) != r)
				continue;
			if (op->mem.type != ZYDIS_MEMOP_TYPE_MEM)
				return -ENOTSUP; /* VSIB gathers/scatters, MIB: not modelled */
			ret = operand(c, insn, ops, op, &ctx, w ? K_WRITE : K_READ);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * The MOV forms a skip can complete: a store to memory is dropped, a load
 * into a general-purpose register gives 0 (as a skipped MMIO read does).
 */
static void skip_info(struct fault *f, const ZydisDecodedInstruction *insn,
		      const ZydisDecodedOperand *ops)
{
	ZydisRegister reg;
	ZydisRegisterClass cls;

	switch (insn->mnemonic) {
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX:
	case ZYDIS_MNEMONIC_MOVSXD:
		break;
	default:
		return;
	}
	if (insn->operand_count_visible != 2)
		return;
	if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[0].mem.type == ZYDIS_MEMOP_TYPE_MEM &&
	    ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY) {
		f->skip = FAULT_SKIP_STORE;
		return;
	}
	if (ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
	    ops[1].type != ZYDIS_OPERAND_TYPE_MEMORY || ops[1].mem.type != ZYDIS_MEMOP_TYPE_MEM)
		return;
	reg = ops[0].reg.value;
	cls = ZydisRegisterGetClass(reg);
	if (cls != ZYDIS_REGCLASS_GPR8 && cls != ZYDIS_REGCLASS_GPR16 &&
	    cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR64)
		return; /* MOV Sreg, m16 loads a segment: not a register write a skip can fake */
	f->dest_gpr = (uint8_t)ZydisRegisterGetId(
		ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg));
	f->dest_bits = (uint8_t)ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, reg);
	f->dest_high8 = reg == ZYDIS_REGISTER_AH || reg == ZYDIS_REGISTER_CH ||
			reg == ZYDIS_REGISTER_DH || reg == ZYDIS_REGISTER_BH;
	f->skip = FAULT_SKIP_LOAD;
}

int fault_classify(const struct fault_input *in, struct fault *out)
{
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisDecodedInstruction insn;
	ZydisDecoder d;
	struct cls c = { .in = in, .out = out };

	memset(out, 0, sizeof(*out));
	if (!mode_supported(in->sregs))
		return -ENOTSUP;
	/* KVM's CPL is SS.DPL (VMX's SS access rights, SVM's VMCB CPL set from it). */
	c.user = in->sregs->ss.dpl == 3;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)))
		return -ENOTSUP;
	if (!fetch(&c, &d, &insn, ops)) {
		skip_info(out, &insn, ops);
		/*
		 * Past a guest #PF or #GP the CPU goes no further: what was found
		 * before it stands.
		 */
		operands(&c, &insn, ops);
	}
	return out->nblocked ? 0 : -ENOTSUP;
}
