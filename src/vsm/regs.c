// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * VTL switches on a VP (HvCallVtlCall, HvCallVtlReturn) and the register
 * state they carry across.  TLFS VSM "Virtual Processor State": a VP keeps
 * private state per VTL and shares the rest between its VTLs.
 */
#include <errno.h>
#include <string.h>

#include "vsm.h"

void memattr_vsm_regs_copy_shared(struct memattr_vsm_vp_regs *dst,
				  const struct memattr_vsm_vp_regs *src)
{
	/*
	 * Shared (TLFS VSM, x64 "Shared registers"): the general purpose
	 * registers except RSP, CR2, DR0-DR3, DR6 and the x87/SSE state.
	 * Everything else in the struct is private to its VTL.
	 */
	for (int i = 0; i < 16; i++)
		if (i != MEMATTR_RSP)
			dst->gpr[i] = src->gpr[i];
	dst->cr2 = src->cr2;
	memcpy(dst->dr, src->dr, sizeof(dst->dr));
	dst->dr6 = src->dr6;
	memcpy(dst->xmm, src->xmm, sizeof(dst->xmm));
}

static void switch_vtl(struct memattr_vsm *v, unsigned int vp, unsigned int to)
{
	unsigned int from = v->vps[vp].vtl;

	memattr_vsm_regs_copy_shared(memattr_vsm_vp_regs(v, vp, to),
				     memattr_vsm_vp_regs(v, vp, from));
	v->vps[vp].vtl = to;
}

/*
 * TLFS VSM "VTL Call" / HvCallVtlCall 0x0011.  All bits of the call control
 * input besides the call code are reserved.  A call switches into the next
 * higher VTL enabled for the partition ("a call cannot skip a VTL"); a call
 * with reserved bits set, or whose target VTL is not enabled on the VP,
 * raises #UD ("VTL Call Restrictions"; CPL > 0 and real mode are refused for
 * every hypercall in hypercall.c).
 */
uint64_t vsm_vtl_call(struct memattr_vsm *v, unsigned int vp, uint64_t control)
{
	struct vsm_vp *p = &v->vps[vp];
	unsigned int t = p->vtl + 1;

	if (control >> 16)
		return MEMATTR_VSM_INJECT_UD;
	while (t <= v->max_vtl && !(v->vtls & (1U << t)))
		t++;
	if (t > v->max_vtl || !(p->vtls & (1U << t)))
		return MEMATTR_VSM_INJECT_UD;
	p->caller[t] = (uint8_t)p->vtl;
	p->reason[t] = MEMATTR_HV_VTL_ENTRY_VTL_CALL;
	switch_vtl(v, vp, t);
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/*
 * TLFS VSM "VTL Return" / HvCallVtlReturn 0x0012: a higher VTL returns to
 * the VTL it was entered from.  Returning from the lowest VTL or reserved
 * control bits raise #UD.  The TLFS "fast return" bit is taken
 * from the control word's Fast bit; with no HV_VP_VTL_CONTROL page modelled,
 * both kinds of return leave the lower VTL's registers as they were.
 */
uint64_t vsm_vtl_return(struct memattr_vsm *v, unsigned int vp, uint64_t control)
{
	struct vsm_vp *p = &v->vps[vp];

	if ((control & ~MEMATTR_HV_CONTROL_FAST) >> 16 || p->vtl == 0)
		return MEMATTR_VSM_INJECT_UD;
	switch_vtl(v, vp, p->caller[p->vtl]);
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/*
 * TLFS VSM "VTL Entry": a secure intercept enters the higher VTL directly;
 * its message comes as an interrupt (HV_VP_VTL_CONTROL: HvVtlEntryInterrupt).
 */
int memattr_vsm_enter_intercept(struct memattr_vsm *v, const struct memattr_vsm_intercept *ic)
{
	struct vsm_vp *p;

	if (!ic || ic->vp >= v->nvps)
		return -EINVAL;
	p = &v->vps[ic->vp];
	if (p->vtl != ic->vp_vtl || ic->target_vtl <= ic->vp_vtl || ic->target_vtl > v->max_vtl)
		return -EINVAL;
	if (!(p->vtls & (1U << ic->target_vtl)))
		return -ENOENT;
	p->caller[ic->target_vtl] = (uint8_t)p->vtl;
	p->reason[ic->target_vtl] = MEMATTR_HV_VTL_ENTRY_INTERRUPT;
	switch_vtl(v, ic->vp, ic->target_vtl);
	return 0;
}

unsigned int memattr_vsm_entry_reason(const struct memattr_vsm *v, unsigned int vp)
{
	if (vp >= v->nvps || !v->vps[vp].vtl)
		return 0;
	return v->vps[vp].reason[v->vps[vp].vtl];
}
