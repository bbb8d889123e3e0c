// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Access checks and memory intercepts.  TLFS VSM "Memory Access Protections":
 * every VTL has its own set of GPA protections, which only higher VTLs set;
 * an access a protection forbids is not performed but becomes a memory
 * intercept (HV_X64_MEMORY_INTERCEPT_MESSAGE) for the higher VTL that set
 * the protection ("Memory access violations").
 */
#include <errno.h>
#include <string.h>

#include "vsm.h"

static bool allows(const struct memattr_vsm *v, uint64_t value, enum memattr_access a)
{
	if (!value)
		return true; /* never set: no restriction */
	if (value & MEMATTR_NO_ACCESS)
		return false;
	switch (a) {
	case MEMATTR_ACCESS_READ:
		return value & MEMATTR_READ;
	case MEMATTR_ACCESS_WRITE:
		return value & MEMATTR_WRITE;
	case MEMATTR_ACCESS_KEXEC:
		return value & MEMATTR_EXECUTE;
	case MEMATTR_ACCESS_UEXEC:
		/* Without MBEC in the store, EXECUTE covers both modes. */
		return value & (v->store_mbec ? MEMATTR_USER_EXECUTE : MEMATTR_EXECUTE);
	}
	return false;
}

/*
 * The VTL whose protection blocks access @a of VTL @vtl at @gfn, 0 if none
 * does.  TLFS VSM "Memory Protection Hierarchy": each VTL's permissions may
 * be restricted by several higher VTLs, and higher VTLs supersede lower ones;
 * "Memory Access Violations": the intercept goes to the higher VTL that set
 * the violated protection.  So every protection holds (their intersection),
 * and when several forbid the access, the highest of them is told.
 */
unsigned int vsm_blocker(const struct memattr_vsm *v, unsigned int vtl, uint64_t gfn,
			 enum memattr_access a)
{
	/* The protections on @vtl are the layers of its store; highest setter first. */
	for (unsigned int s = v->max_vtl; s > vtl; s--) {
		int val = memattr_get(v->stores[vtl], memattr_vsm_layer(s, vtl), gfn);

		if (val < 0 || !allows(v, (uint64_t)val, a))
			return s;
	}
	return 0;
}

/* HV_X64_VP_EXECUTION_STATE: CPL 1:0, CR0.PE 2, CR0.AM 3, EFER.LMA 4, VTL 10:7. */
static uint16_t execution_state(const struct memattr_vsm_vp_regs *r, unsigned int vtl)
{
	return (uint16_t)((r->cs.selector & 3) | (r->cr0 & 1) << 2 | (r->cr0 >> 18 & 1) << 3 |
			  (r->efer >> 10 & 1) << 4 | (vtl & 0xf) << 7);
}

int memattr_vsm_check(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa,
		      enum memattr_access a, struct memattr_vsm_intercept *out)
{
	static const uint8_t access_type[] = {
		[MEMATTR_ACCESS_READ] = MEMATTR_HV_INTERCEPT_ACCESS_READ,
		[MEMATTR_ACCESS_WRITE] = MEMATTR_HV_INTERCEPT_ACCESS_WRITE,
		[MEMATTR_ACCESS_KEXEC] = MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE,
		[MEMATTR_ACCESS_UEXEC] = MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE,
	};
	uint64_t gfn = gpa >> MEMATTR_PAGE_SHIFT;
	unsigned int vtl, owner;

	if (vp >= v->nvps || (unsigned int)a > MEMATTR_ACCESS_UEXEC)
		return -EINVAL;
	if (!vsm_ram_of(v, gfn))
		return -EFAULT;
	vtl = v->vps[vp].vtl;
	owner = vsm_blocker(v, vtl, gfn, a);
	if (!owner)
		return 0;
	if (out) {
		const struct memattr_vsm_vp_regs *r = &v->regs[(size_t)vp * (v->max_vtl + 1) + vtl];

		*out = (struct memattr_vsm_intercept){
			.target_vtl = owner,
			.vp = vp,
			.vp_vtl = vtl,
			.gpa = gpa,
			.access = a,
			.access_type = access_type[a],
			.rip = r->rip,
			.execution_state = execution_state(r, vtl),
			.cs = r->cs,
			.rflags = r->rflags,
		};
	}
	return 1;
}

static void put_le(uint8_t *p, uint64_t x, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/*
 * HV_X64_MEMORY_INTERCEPT_MESSAGE: the intercept header (VpIndex 0,
 * InstructionLength 4 bits 3:0, InterceptAccessType 5, ExecutionState 6,
 * CsSegment 8, Rip 24, Rflags 32), then CacheType 40, InstructionByteCount 44,
 * MemoryAccessInfo 45, TprPriority 46, GuestVirtualAddress 48,
 * GuestPhysicalAddress 56, InstructionBytes 64..79.
 */
void memattr_vsm_intercept_encode(const struct memattr_vsm_intercept *ic,
				  uint8_t msg[MEMATTR_VSM_INTERCEPT_MSG_SIZE])
{
	/* No x86 instruction is longer than 15 bytes: a larger length is unknown (0). */
	uint8_t len = ic->insn_length > 15 ? 0 : ic->insn_length;

	memset(msg, 0, MEMATTR_VSM_INTERCEPT_MSG_SIZE);
	put_le(msg, ic->vp, 4);
	msg[4] = len; /* InstructionLength 3:0; Reserved 7:4 */
	msg[5] = ic->access_type;
	put_le(msg + 6, ic->execution_state, 2);
	put_le(msg + 8, ic->cs.base, 8);
	put_le(msg + 16, ic->cs.limit, 4);
	put_le(msg + 20, ic->cs.selector, 2);
	put_le(msg + 22, ic->cs.attributes, 2);
	put_le(msg + 24, ic->rip, 8);
	put_le(msg + 32, ic->rflags, 8);
	put_le(msg + 40, 6, 4); /* HV_CACHE_TYPE_WRITE_BACK: guest RAM */
	msg[44] = ic->insn_count > 16 ? 16 : ic->insn_count;
	put_le(msg + 56, ic->gpa, 8);
	memcpy(msg + 64, ic->insn, msg[44]);
}
