// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Access checks and memory intercepts.  TLFS VSM "Memory Access Protections":
 * every VTL has its own set of GPA protections, which only higher VTLs set;
 * an access a protection forbids is not performed but becomes a memory
 * intercept (HV_X64_MEMORY_INTERCEPT_MESSAGE) for the higher VTL that set
 * the protection ("Memory access violations").
 */
#include <errno.h>

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
 * does.  When several higher VTLs each forbid the access, every one of their
 * protections holds (the effective protection is their intersection), and
 * the intercept goes to the highest of them: it is the most privileged
 * owner, and a lower VTL could not be trusted to judge a violation of the
 * protection a higher one placed.  The TLFS pages name "the higher VTL that
 * set the protection" without ranking several; this is our reading.
 */
unsigned int vsm_blocker(const struct memattr_vsm *v, unsigned int vtl, uint64_t gfn,
			 enum memattr_access a)
{
	for (unsigned int s = v->max_vtl; s > vtl; s--) {
		int val = memattr_get(v->store, memattr_vsm_layer(s, vtl), gfn);

		if (val < 0 || !allows(v, (uint64_t)val, a))
			return s;
	}
	return 0;
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
		};
	}
	return 1;
}
