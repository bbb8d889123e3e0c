// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Hypercall entry: decode the hypercall input value (TLFS "Hypercall
 * Interface": call code 15:0, Fast 16, variable header size 26:17, RsvdZ
 * 31:27, rep count 43:32, RsvdZ 47:44, rep start index 59:48, RsvdZ 63:60),
 * read simple calls' input from guest memory as the caller's VTL may, and
 * dispatch.
 */

#include "vsm.h"

#define CONTROL_RSVD ((0x1fULL << 27) | (0xfULL << 44) | (0xfULL << 60))
#define VARHDR(c)    (((c) >> MEMATTR_HV_CONTROL_VARHDR_SHIFT) & 0x3ff)
#define REP_COUNT(c) (((c) >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff)
#define REP_START(c) (((c) >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff)

/*
 * TLFS "Alignment Requirements": input must be 8-byte aligned, must not cross
 * a page, and must lie within the GPA space (HV_STATUS_INVALID_ALIGNMENT); the
 * hypervisor checks the caller may read the page before acting, and raises a
 * memory intercept if not (for a VTL protection: to the VTL that set it, VSM
 * "Memory Access Violations").  Input that is not RAM would be an unmapped-GPA
 * intercept to the root, which the front does not model: it answers
 * HV_STATUS_INVALID_PARAMETER.
 *
 * Return: 0 with @buf filled, or the hypercall's result value.
 */
uint64_t vsm_read_input(struct memattr_vsm *v, unsigned int vp, uint64_t gpa, void *buf, size_t len)
{
	unsigned int bits = v->gpa_bits;
	struct memattr_vsm_intercept ic;

	if ((gpa & 7) || (gpa & 0xfff) + len > MEMATTR_PAGE_SIZE || (bits < 64 && gpa >> bits))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, 0);
	switch (memattr_vsm_check(v, vp, gpa, MEMATTR_ACCESS_READ, &ic)) {
	case 0:
		break;
	case 1:
		v->vps[vp].pending = ic;
		v->vps[vp].pending_valid = true;
		return MEMATTR_VSM_INTERCEPTED;
	default:
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	}
	/* One page, readable: the copy cannot fail. */
	vsm_guest_copy(v, v->vps[vp].vtl, gpa, buf, len, false);
	return 0;
}

/*
 * Output parameters, TLFS "Alignment Requirements": the same placement rules
 * as input, and the hypervisor checks the caller may write the page; a page
 * closed to it raises a (write) memory intercept and the call has no effect.
 * Callers check with vsm_output_check() before acting, then write.
 */
uint64_t vsm_output_check(struct memattr_vsm *v, unsigned int vp, uint64_t gpa, size_t len)
{
	unsigned int bits = v->gpa_bits;
	struct memattr_vsm_intercept ic;

	if ((gpa & 7) || (gpa & 0xfff) + len > MEMATTR_PAGE_SIZE || (bits < 64 && gpa >> bits))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, 0);
	switch (memattr_vsm_check(v, vp, gpa, MEMATTR_ACCESS_WRITE, &ic)) {
	case 0:
		return 0;
	case 1:
		v->vps[vp].pending = ic;
		v->vps[vp].pending_valid = true;
		return MEMATTR_VSM_INTERCEPTED;
	default:
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	}
}

int memattr_vsm_pending_intercept(struct memattr_vsm *v, unsigned int vp,
				  struct memattr_vsm_intercept *out)
{
	if (!v || !out || vp >= v->nvps || !v->vps[vp].pending_valid)
		return 0;
	*out = v->vps[vp].pending;
	v->vps[vp].pending_valid = false;
	return 1;
}

/* A simple (non-rep) call with @len bytes of input, memory or fast (RDX, R8). */
static uint64_t simple_call(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			    uint64_t input_gpa, uint64_t output_gpa, size_t len,
			    uint64_t (*fn)(struct memattr_vsm *, unsigned int, const uint8_t *))
{
	uint8_t in[240];
	uint64_t r;

	if (control & MEMATTR_HV_CONTROL_FAST) {
		/* Fast calls pass up to 16 bytes of input in RDX and R8. */
		if (len > 16)
			return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
		tlfs_put(in, input_gpa, 8);
		tlfs_put(in + 8, output_gpa, 8);
	} else {
		r = vsm_read_input(v, vp, input_gpa, in, len);
		if (r)
			return r;
	}
	return fn(v, vp, in);
}

uint64_t memattr_vsm_hypercall(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			       uint64_t input_gpa, uint64_t output_gpa)
{
	unsigned int code = (unsigned int)MEMATTR_HV_CONTROL_CODE(control);
	bool rep = code == MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK ||
		   code == MEMATTR_HVCALL_GET_VP_REGISTERS ||
		   code == MEMATTR_HVCALL_SET_VP_REGISTERS;
	const struct memattr_vsm_vp_regs *regs;

	if (!v || vp >= v->nvps)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_VP_INDEX, 0);
	/*
	 * TLFS "Legal Hypercall Environments": only from protected mode at CPL 0;
	 * anything else (real mode included) raises #UD.
	 */
	regs = memattr_vsm_vp_regs(v, vp, v->vps[vp].vtl);
	if ((regs->cs.selector & 3) || !(regs->cr0 & 1))
		return MEMATTR_VSM_INJECT_UD;
	switch (code) {
	case MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK:
	case MEMATTR_HVCALL_ENABLE_PARTITION_VTL:
	case MEMATTR_HVCALL_ENABLE_VP_VTL:
	case MEMATTR_HVCALL_VTL_CALL:
	case MEMATTR_HVCALL_VTL_RETURN:
	case MEMATTR_HVCALL_GET_VP_REGISTERS:
	case MEMATTR_HVCALL_SET_VP_REGISTERS:
		break;
	default:
		return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_CODE, 0);
	}
	/* VTL switches have their own control input and fail with #UD, not a status. */
	if (code == MEMATTR_HVCALL_VTL_CALL)
		return vsm_vtl_call(v, vp, control);
	if (code == MEMATTR_HVCALL_VTL_RETURN)
		return vsm_vtl_return(v, vp, control);
	/*
	 * TLFS "Hypercall Inputs": nonzero RsvdZ bits, a variable header on a
	 * call without one, a rep count or start index on a simple call, or a
	 * start index not below the rep count: HV_STATUS_INVALID_HYPERCALL_INPUT.
	 */
	if ((control & CONTROL_RSVD) || VARHDR(control))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
	if (!rep && (REP_COUNT(control) || REP_START(control)))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
	if (rep && REP_START(control) >= REP_COUNT(control))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT, 0);

	/* Rep input lists do not fit in registers (no XMM fast input here). */
	if (rep && (control & MEMATTR_HV_CONTROL_FAST))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT, 0);
	switch (code) {
	case MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK:
		return vsm_modify_protection(v, vp, control, input_gpa);
	case MEMATTR_HVCALL_GET_VP_REGISTERS:
		return vsm_get_vp_registers(v, vp, control, input_gpa, output_gpa);
	case MEMATTR_HVCALL_SET_VP_REGISTERS:
		return vsm_set_vp_registers(v, vp, control, input_gpa);
	case MEMATTR_HVCALL_ENABLE_PARTITION_VTL:
		return simple_call(v, vp, control, input_gpa, output_gpa,
				   sizeof(struct hv_input_enable_partition_vtl),
				   vsm_enable_partition_vtl);
	default:
		return simple_call(v, vp, control, input_gpa, output_gpa,
				   sizeof(struct hv_input_enable_vp_vtl), vsm_enable_vp_vtl);
	}
}
