// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Access checks and memory intercepts.  TLFS VSM "Memory Access Protections":
 * each VTL above 0 keeps a protection mask per page that limits the VTLs
 * below it; an access a mask forbids is not performed but becomes a memory
 * intercept (HV_X64_MEMORY_INTERCEPT_MESSAGE) for the VTL that owns the mask
 * ("Memory access violations").
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
 * The VTL whose mask blocks access @a of VTL @vtl at @gfn, 0 if none does.
 * TLFS VSM "Memory Protection Hierarchy": the masks of every enabled VTL
 * above @vtl hold (their intersection).  When several forbid the access, the
 * highest of them is told: a choice, since the TLFS says only that "higher
 * VTLs supersede lower ones" and the intercept goes to a VTL whose
 * protection was violated; the highest is the one no lower VTL can
 * overrule, and the one a VTL 2 paravisor expects to hear from.
 */
unsigned int vsm_blocker(const struct memattr_vsm *v, unsigned int vtl, uint64_t gfn,
			 enum memattr_access a)
{
	for (unsigned int s = v->max_vtl; s > vtl; s--) {
		int val;

		if (!(v->vtls & (1U << s)))
			continue;
		val = memattr_get(v->store, vsm_mask_layer(s), gfn);
		if (val < 0 || !allows(v, (uint64_t)val, a))
			return s;
	}
	return 0;
}

/* HV_X64_VP_EXECUTION_STATE: CPL from CS.RPL, CR0.PE, CR0.AM, EFER.LMA, the VTL. */
static uint16_t execution_state(const struct memattr_vsm_vp_regs *r, unsigned int vtl)
{
	return (uint16_t)((r->cs.selector & 3) | ((r->cr0 & 1) ? HV_EXEC_STATE_CR0_PE : 0) |
			  ((r->cr0 >> 18 & 1) ? HV_EXEC_STATE_CR0_AM : 0) |
			  ((r->efer >> 10 & 1) ? HV_EXEC_STATE_EFER_LMA : 0) |
			  HV_EXEC_STATE_VTL(vtl));
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

	if (!v || vp >= v->nvps || (unsigned int)a > MEMATTR_ACCESS_UEXEC)
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

void memattr_vsm_intercept_encode(const struct memattr_vsm_intercept *ic,
				  uint8_t msg[MEMATTR_VSM_INTERCEPT_MSG_SIZE])
{
	typedef struct hv_memory_intercept_message msg_t;
	typedef struct hv_segment seg_t;
	/* No x86 instruction is longer than 15 bytes: a larger length is unknown (0). */
	uint8_t len = ic->insn_length > 15 ? 0 : ic->insn_length;
	uint8_t count = ic->insn_count > 16 ? 16 : ic->insn_count;
	uint8_t *cs = msg + offsetof(msg_t, header.cs);

	memset(msg, 0, MEMATTR_VSM_INTERCEPT_MSG_SIZE);
	TLFS_PUT(msg, msg_t, header.vp_index, ic->vp);
	TLFS_PUT(msg, msg_t, header.instruction_length, len); /* 3:0; Cr8 7:4 left 0 */
	TLFS_PUT(msg, msg_t, header.intercept_access_type, ic->access_type);
	TLFS_PUT(msg, msg_t, header.execution_state, ic->execution_state);
	TLFS_PUT(cs, seg_t, base, ic->cs.base);
	TLFS_PUT(cs, seg_t, limit, ic->cs.limit);
	TLFS_PUT(cs, seg_t, selector, ic->cs.selector);
	TLFS_PUT(cs, seg_t, attributes, ic->cs.attributes);
	TLFS_PUT(msg, msg_t, header.rip, ic->rip);
	TLFS_PUT(msg, msg_t, header.rflags, ic->rflags);
	TLFS_PUT(msg, msg_t, cache_type, HV_CACHE_TYPE_WRITE_BACK); /* guest RAM */
	TLFS_PUT(msg, msg_t, instruction_byte_count, count);
	TLFS_PUT(msg, msg_t, guest_physical_address, ic->gpa);
	memcpy(msg + offsetof(msg_t, instruction_bytes), ic->insn, count);
}
