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

/* Enter VTL @to of VP @vp from its current VTL, for @reason. */
static void enter(struct memattr_vsm *v, unsigned int vp, unsigned int to, uint32_t reason)
{
	struct vsm_vp *p = &v->vps[vp];

	p->caller[to] = (uint8_t)p->vtl;
	p->control[to].entry_reason = reason;
	switch_vtl(v, vp, to);
}

/* The VTL call and return input: RAX (TLFS "VTL Call", "VTL Return"; 64-bit callers). */
static uint64_t vtl_input(struct memattr_vsm *v, unsigned int vp)
{
	return memattr_vsm_vp_regs(v, vp, v->vps[vp].vtl)->gpr[MEMATTR_RAX];
}

/*
 * TLFS VSM "VTL Call" / HvCallVtlCall 0x0011.  A call switches into the next
 * higher VTL enabled for the partition ("a call cannot skip a VTL").  The
 * control word must be exactly the call code and the input (RAX) 0, as
 * OpenVMM's VtlHypercall checks; anything else, or a target VTL not enabled
 * on the VP, raises #UD ("VTL Call Restrictions"; CPL > 0 and real mode are
 * refused for every hypercall in hypercall.c).
 */
uint64_t vsm_vtl_call(struct memattr_vsm *v, unsigned int vp, uint64_t control)
{
	struct vsm_vp *p = &v->vps[vp];
	unsigned int t = p->vtl + 1;

	if (control != MEMATTR_HVCALL_VTL_CALL || vtl_input(v, vp))
		return MEMATTR_VSM_INJECT_UD;
	while (t <= v->max_vtl && !(v->vtls & (1U << t)))
		t++;
	if (t > v->max_vtl || !(p->vtls & (1U << t)))
		return MEMATTR_VSM_INJECT_UD;
	enter(v, vp, t, MEMATTR_HV_VTL_ENTRY_VTL_CALL);
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/* HvCallVtlReturn's input: bit 0 the fast-return flag, the rest must be 0. */
#define VTL_RETURN_FAST 1ULL

/*
 * TLFS VSM "VTL Return" / HvCallVtlReturn 0x0012: a higher VTL returns to
 * the VTL it was entered from.  The control word must be exactly the call
 * code; the input (RAX, where the hypercall page's VTL return sequence moves
 * the caller's RCX) holds the fast-return flag in bit 0 and nothing else
 * (OpenVMM's VtlHypercall: #UD otherwise, and from VTL 0).  A return that is
 * not fast gives the lower VTL RAX and RCX from the returning VTL's
 * HV_VP_VTL_CONTROL (vtl_return_x64_rax/rcx), which Linux's
 * mshv_vtl_return_call() and litebox fill before returning with RCX 0; a
 * fast one leaves them as they are.
 */
uint64_t vsm_vtl_return(struct memattr_vsm *v, unsigned int vp, uint64_t control)
{
	struct vsm_vp *p = &v->vps[vp];
	uint64_t input = vtl_input(v, vp);
	unsigned int from = p->vtl, to;
	struct memattr_vsm_vp_regs *r;

	if (control != MEMATTR_HVCALL_VTL_RETURN || (input & ~VTL_RETURN_FAST) || from == 0)
		return MEMATTR_VSM_INJECT_UD;
	to = p->caller[from];
	switch_vtl(v, vp, to);
	if (!(input & VTL_RETURN_FAST)) {
		r = memattr_vsm_vp_regs(v, vp, to);
		r->gpr[MEMATTR_RAX] = p->control[from].vtl_return_rax;
		r->gpr[MEMATTR_RCX] = p->control[from].vtl_return_rcx;
	}
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/*
 * TLFS VSM "VTL Entry": a secure intercept enters the higher VTL directly,
 * with entry reason HvVtlEntryIntercept (HV_VP_VTL_CONTROL; Linux's
 * MSHV_ENTRY_REASON_INTERCEPT, OpenVMM's HvVtlEntryReason::INTERCEPT).
 */
int memattr_vsm_enter_intercept(struct memattr_vsm *v, const struct memattr_vsm_intercept *ic)
{
	struct vsm_vp *p;

	if (!v || !ic || ic->vp >= v->nvps)
		return -EINVAL;
	p = &v->vps[ic->vp];
	if (p->vtl != ic->vp_vtl || ic->target_vtl <= ic->vp_vtl || ic->target_vtl > v->max_vtl)
		return -EINVAL;
	if (!(p->vtls & (1U << ic->target_vtl)))
		return -ENOENT;
	enter(v, ic->vp, ic->target_vtl, MEMATTR_HV_VTL_ENTRY_INTERCEPT);
	return 0;
}

unsigned int memattr_vsm_entry_reason(const struct memattr_vsm *v, unsigned int vp)
{
	if (!v || vp >= v->nvps || !v->vps[vp].vtl)
		return 0;
	return v->vps[vp].control[v->vps[vp].vtl].entry_reason;
}
