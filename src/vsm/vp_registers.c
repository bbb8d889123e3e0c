// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HvCallGetVpRegisters (0x0050, rep) and HvCallSetVpRegisters (0x0051, rep)
 * for the VSM registers: HvRegisterVsmPartitionConfig (read/write, one
 * instance per VTL above 0), HvRegisterVsmCodePageOffsets, HvRegisterVsmVpStatus,
 * HvRegisterVsmPartitionStatus and HvRegisterVsmCapabilities (read-only).
 * Other registers are the VMM's (memattr_vsm_vp_regs()); naming them here is
 * HV_STATUS_INVALID_PARAMETER.
 *
 * Input: struct hv_input_vp_registers, then Get's 4-byte register names (its
 * output 16-byte HV_REGISTER_VALUEs) or Set's struct hv_register_assoc.
 */
#include <string.h>

#include "vsm.h"

typedef struct hv_input_vp_registers hdr_t;
typedef struct hv_register_assoc assoc_t;

#define COUNT(c) ((unsigned int)((c) >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff)
#define START(c) ((unsigned int)((c) >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff)

struct reg_target {
	unsigned int vp;  /* the VP named by VpIndex */
	unsigned int vtl; /* the VTL instance named by TargetVtl */
};

/*
 * Decode and check the header.  TLFS VSM "Partition Configuration": a VTL
 * reaches its own instance and those of lower VTLs, never a higher one's.
 * HV_INPUT_VTL without UseTargetVtl names the caller's VTL.
 */
static unsigned int header(const struct memattr_vsm *v, unsigned int vp, const uint8_t *in,
			   struct reg_target *t)
{
	unsigned int caller = v->vps[vp].vtl;
	uint32_t index = (uint32_t)TLFS_GET(in, hdr_t, vp_index);
	unsigned int in_vtl = (unsigned int)TLFS_GET(in, hdr_t, target_vtl);

	if (TLFS_GET(in, hdr_t, partition_id) != MEMATTR_HV_PARTITION_ID_SELF)
		return MEMATTR_HV_STATUS_INVALID_PARTITION_ID;
	if ((in_vtl & HV_INPUT_VTL_RESERVED) || TLFS_GET(in, hdr_t, reserved))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (index == MEMATTR_HV_VP_INDEX_SELF)
		index = vp;
	if (index >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	t->vp = index;
	t->vtl = hv_input_vtl_named(in_vtl, caller);
	if (t->vtl > v->max_vtl)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (t->vtl > caller)
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	return MEMATTR_HV_STATUS_SUCCESS;
}

/* The value of a register for @t, or an HV_STATUS in *status. */
static uint64_t reg_read(const struct memattr_vsm *v, const struct reg_target *t, uint32_t name,
			 unsigned int *status)
{
	uint32_t mbec_mask = v->mbec ? ((1U << (v->max_vtl + 1)) - 2) : 0;

	*status = MEMATTR_HV_STATUS_SUCCESS;
	switch (name) {
	case MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG:
		if (t->vtl == 0)
			break;
		return v->vsm_config[t->vtl];
	case MEMATTR_HV_REGISTER_VSM_CODE_PAGE_OFFSETS:
		/* VtlCallOffset 11:0, VtlReturnOffset 23:12 (hvdef HvRegisterVsmCodePageOffsets).
		 */
		return v->code_page_offsets;
	case MEMATTR_HV_REGISTER_VSM_VP_STATUS:
		/* ActiveVtl 3:0, ActiveMbecEnabled 4, EnabledVtlSet 31:16. */
		return v->vps[t->vp].vtl |
		       (uint64_t) !!(v->mbec_vtls & (1U << v->vps[t->vp].vtl)) << 4 |
		       (uint64_t)v->vps[t->vp].vtls << 16;
	case MEMATTR_HV_REGISTER_VSM_PARTITION_STATUS:
		/* EnabledVtlSet 15:0, MaximumVtl 19:16, MbecEnabledVtlSet 35:20. */
		return v->vtls | (uint64_t)v->max_vtl << 16 | (uint64_t)v->mbec_vtls << 20;
	case MEMATTR_HV_REGISTER_VSM_CAPABILITIES:
		/*
		 * As Hyper-V reports it and OpenVMM's hvdef and Linux's hvgdk_mini.h
		 * read it: Dr6Shared bit 0, MbecVtlMask 16:1, DenyLowerVtlStartup 17
		 * (not offered: the front models no VP startup), the rest 0.  The
		 * TLFS page's table puts Dr6Shared at 63 and the mask at 62:47;
		 * none of the peers reads it that way.
		 */
		return 1ULL | (uint64_t)mbec_mask << 1;
	}
	*status = MEMATTR_HV_STATUS_INVALID_PARAMETER;
	return 0;
}

uint64_t vsm_get_vp_registers(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			      uint64_t input_gpa, uint64_t output_gpa)
{
	unsigned int count = COUNT(control), start = START(control), status = 0, i;
	size_t in_len = (sizeof(hdr_t) + 4 * (size_t)count + 7) & ~(size_t)7;
	uint8_t in[MEMATTR_PAGE_SIZE], out[MEMATTR_PAGE_SIZE];
	struct reg_target t;
	uint64_t r;

	if (in_len > MEMATTR_PAGE_SIZE || 16ULL * count > MEMATTR_PAGE_SIZE)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, start);
	r = vsm_read_input(v, vp, input_gpa, in, in_len);
	if (!r)
		r = vsm_output_check(v, vp, output_gpa, 16ULL * count);
	if (r)
		return r == MEMATTR_VSM_INTERCEPTED ? r : r | (uint64_t)start << 32;
	/*
	 * TLFS "Alignment Requirements": input and output lists may not overlap
	 * (both lie within the GPA space now, so the sums cannot wrap).
	 */
	if (output_gpa < input_gpa + in_len && input_gpa < output_gpa + 16ULL * count)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, start);
	status = header(v, vp, in, &t);
	if (status)
		return vsm_result(status, start);
	memset(out, 0, sizeof(out));
	for (i = start; i < count; i++) {
		uint64_t val =
			reg_read(v, &t, (uint32_t)tlfs_get(in + sizeof(hdr_t) + 4 * i, 4), &status);

		if (status)
			break;
		tlfs_put(out + 16 * i, val, 8);
	}
	/* The values of the completed reps; the output page was checked writable. */
	if (i > start)
		vsm_guest_copy(v, v->vps[vp].vtl, output_gpa + 16ULL * start, out + 16 * start,
			       16 * (size_t)(i - start), true);
	return vsm_result(status, i);
}

uint64_t vsm_set_vp_registers(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			      uint64_t input_gpa)
{
	unsigned int count = COUNT(control), start = START(control), status = 0, i;
	uint8_t in[MEMATTR_PAGE_SIZE];
	struct reg_target t;
	uint64_t r;

	if (sizeof(hdr_t) + sizeof(assoc_t) * (uint64_t)count > MEMATTR_PAGE_SIZE)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, start);
	r = vsm_read_input(v, vp, input_gpa, in, sizeof(hdr_t) + sizeof(assoc_t) * count);
	if (r)
		return r == MEMATTR_VSM_INTERCEPTED ? r : r | (uint64_t)start << 32;
	status = header(v, vp, in, &t);
	if (status)
		return vsm_result(status, start);
	for (i = start; i < count; i++) {
		const uint8_t *e = in + sizeof(hdr_t) + sizeof(assoc_t) * i;
		uint32_t name = (uint32_t)TLFS_GET(e, assoc_t, name);

		/* RsvdZ of the element: TLFS HvCallSetVpRegisters. */
		if (TLFS_GET(e, assoc_t, reserved1) || TLFS_GET(e, assoc_t, reserved2) ||
		    name != MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG || t.vtl == 0) {
			status = MEMATTR_HV_STATUS_INVALID_PARAMETER;
			break;
		}
		/* A 64-bit register: bits 127:64 of the value are not part of it. */
		if (TLFS_GET(e, assoc_t, value_high)) {
			status = MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE;
			break;
		}
		status = vsm_config_write(v, t.vtl, TLFS_GET(e, assoc_t, value_low));
		if (status)
			break;
	}
	return vsm_result(status, i);
}
