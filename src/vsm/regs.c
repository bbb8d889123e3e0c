// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * VTL switches on a VP (HvCallVtlCall, HvCallVtlReturn) and the register
 * state they carry across.  TLFS VSM "Virtual Processor State": a VP keeps
 * private state per VTL and shares the rest between its VTLs.
 */
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
 * TLFS VSM "VTL Entry" / HvCallVtlCall 0x0011: a lower VTL calls into the
 * next higher VTL enabled on the VP; with none, the VTL state forbids it.
 */
uint64_t vsm_vtl_call(struct memattr_vsm *v, unsigned int vp)
{
	struct vsm_vp *p = &v->vps[vp];

	for (unsigned int t = p->vtl + 1; t <= v->max_vtl; t++) {
		if (p->vtls & (1U << t)) {
			p->caller[t] = (uint8_t)p->vtl;
			switch_vtl(v, vp, t);
			return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
		}
	}
	return vsm_result(MEMATTR_HV_STATUS_INVALID_VTL_STATE, 0);
}

/*
 * TLFS VSM "VTL Exit" / HvCallVtlReturn 0x0012: a higher VTL returns to the
 * lower VTL it was entered from; VTL 0 has nowhere to return to.
 */
uint64_t vsm_vtl_return(struct memattr_vsm *v, unsigned int vp)
{
	struct vsm_vp *p = &v->vps[vp];

	if (p->vtl == 0)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_VTL_STATE, 0);
	switch_vtl(v, vp, p->caller[p->vtl]);
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}
