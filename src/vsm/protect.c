// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HvCallModifyVtlProtectionMask (0x000C, rep): decode, validate, and apply
 * the GPA list as a few range sets of the store.
 *
 * TLFS page HvCallModifyVtlProtectionMask: input header TargetPartitionId
 * (8), MapFlags (4), TargetVtl (1, HV_INPUT_VTL), RsvdZ (3), then one 8-byte
 * GPA page number per rep.  TargetVtl names the VTL whose protection mask is
 * set, a mask that limits every VTL below it: that is how code that runs on
 * Hyper-V reads it (OpenVMM's hardware_cvm modify_vtl_protection_mask();
 * OpenHCL's underhill_mem and litebox's LVBS kernel call it naming their own
 * VTL).  Protecting a non-RAM page fails with HV_STATUS_INVALID_PARAMETER.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vsm.h"

#define MAP_R  MEMATTR_HV_MAP_GPA_READABLE
#define MAP_W  MEMATTR_HV_MAP_GPA_WRITABLE
#define MAP_KX MEMATTR_HV_MAP_GPA_KERNEL_EXECUTABLE
#define MAP_UX MEMATTR_HV_MAP_GPA_USER_EXECUTABLE

/*
 * HV_MAP_GPA_FLAGS to a store value for VTL @mask_vtl's mask.  TLFS VSM
 * "Memory Access Protections": the legal protections are no access,
 * read-only, read-execute, read-write and read-write-execute.  With MBEC
 * (enabled for @mask_vtl by HvCallEnablePartitionVtl) user and kernel
 * execute are separate bits, and KMX=1 with UMX=0 is undefined ("Mode Based
 * Execute Control"), so refused.  Without MBEC the user-execute bit of a
 * readable protection is ignored and KX covers both modes, as the TLFS says:
 * HV_MAP_GPA_PERMISSIONS_ALL (0xF) is full access (OpenHCL restores pages
 * with it, litebox uses it as its default mask) and R|KX|UX is R|X.
 * OpenVMM's validate_vtl_gpa_flags() is stricter without MBEC: it refuses KX
 * without UX.  Any right without read (user execute alone included, which
 * OpenVMM refuses too) and unknown bits: -EINVAL.  Full access is stored as 0
 * ("no restriction").
 */
int vsm_map_flags_value(const struct memattr_vsm *v, unsigned int mask_vtl, uint32_t flags,
			uint64_t *value)
{
	bool mbec = v->mbec_vtls & (1U << mask_vtl);
	uint64_t full = MEMATTR_RWX | (v->store_mbec ? MEMATTR_USER_EXECUTE : 0);
	uint64_t val = MEMATTR_READ;

	if (flags & ~(uint32_t)(MAP_R | MAP_W | MAP_KX | MAP_UX))
		return -EINVAL;
	/* Any right without read, user execute included, is no legal protection. */
	if (flags && !(flags & MAP_R))
		return -EINVAL;
	if (!mbec)
		flags &= ~(uint32_t)MAP_UX;
	if (mbec && (flags & MAP_KX) && !(flags & MAP_UX))
		return -EINVAL;
	if (!flags) {
		*value = MEMATTR_NO_ACCESS;
		return 0;
	}
	if (flags & MAP_W)
		val |= MEMATTR_WRITE;
	if (flags & MAP_KX)
		val |= MEMATTR_EXECUTE;
	/* Without MBEC the one execute bit covers user mode too. */
	if ((flags & MAP_UX) || ((flags & MAP_KX) && !mbec && v->store_mbec))
		val |= MEMATTR_USER_EXECUTE;
	*value = val == full ? 0 : val;
	return 0;
}

/* VTL @mask_vtl's mask over @runs, all or nothing, counted for memattr_vsm_store_sets(). */
int vsm_set_runs(struct memattr_vsm *v, unsigned int mask_vtl, const struct memattr_range *runs,
		 size_t n, uint64_t value)
{
	v->store_sets += n;
	v->store_calls++;
	return memattr_set_runs(v->store, vsm_mask_layer(mask_vtl), runs, n, value);
}

/*
 * Sort @n page numbers with @tmp (as large) as scratch: an LSD radix sort by
 * bytes that skips the bytes all keys share.  A guest's list is clustered, so
 * usually two passes remain.  Measured on this machine for a clustered,
 * shuffled 4,095-page list: glibc's qsort() alone took about 290 us; the
 * whole batched call now takes about 30 us, against about 100 us for 4,095
 * single-page memattr_set() calls.
 */
static void sort_pages(uint64_t *a, uint64_t *tmp, size_t n)
{
	uint64_t all_or = 0, all_and = ~0ULL, *src = a, *dst = tmp;
	size_t count[256];

	for (size_t i = 0; i < n; i++) {
		all_or |= a[i];
		all_and &= a[i];
	}
	for (unsigned int d = 0; d < 8; d++) {
		unsigned int shift = 8 * d;
		size_t pos = 0;

		/* Bytes all keys share do not order anything: skip their pass. */
		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;
		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xff]++;
		for (unsigned int b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xff]++] = src[i];
		uint64_t *t = src;

		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* Are all of the sorted pages RAM?  Checked per run of consecutive pages. */
static bool runs_in_ram(const struct memattr_vsm *v, const uint64_t *gfns, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint64_t start = gfns[i], end = start + 1;
		const struct memattr_vsm_ram *r = vsm_ram_of(v, start);

		while (++i < n && gfns[i] <= end)
			end = gfns[i] + 1;
		if (!r || end - (r->gpa >> MEMATTR_PAGE_SHIFT) > r->size >> MEMATTR_PAGE_SHIFT)
			return false;
	}
	return true;
}

/*
 * Validate the whole list first (the first non-RAM page, in list order, ends
 * the valid prefix), then set the runs of consecutive pages of the sorted
 * prefix with one all-or-nothing store call.  Sorting first lets the usual,
 * valid list be checked per run rather than per page; all or nothing keeps
 * reps completed exact without undoing anything: when memory runs out no
 * rep is done and the guest retries (TLFS: HV_STATUS_INSUFFICIENT_MEMORY).
 */
static unsigned int protect_list(struct memattr_vsm *v, unsigned int mask_vtl, uint64_t value,
				 const uint64_t *pages, size_t n, size_t *done)
{
	unsigned int status = MEMATTR_HV_STATUS_SUCCESS;
	struct memattr_range *runs;
	size_t m = n, nruns = 0;
	uint64_t *gfns;

	*done = 0;
	if (!n)
		return status;
	/* The sorted pages, then the sort's scratch, which the runs reuse (at most n). */
	gfns = malloc(3 * n * sizeof(*gfns));
	if (!gfns)
		return MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY;
	runs = (struct memattr_range *)(gfns + n);
	memcpy(gfns, pages, n * sizeof(*gfns));
	sort_pages(gfns, gfns + n, n);
	if (!runs_in_ram(v, gfns, n)) {
		for (m = 0; m < n && vsm_ram_of(v, pages[m]); m++)
			;
		if (m < n) {
			status = MEMATTR_HV_STATUS_INVALID_PARAMETER;
			memcpy(gfns, pages, m * sizeof(*gfns));
			sort_pages(gfns, gfns + n, m);
		}
	}
	for (size_t i = 0; i < m;) {
		uint64_t start = gfns[i], end = start + 1;

		while (++i < m && gfns[i] <= end)
			end = gfns[i] + 1;
		runs[nruns++] = (struct memattr_range){ start, end };
	}
	if (nruns && vsm_set_runs(v, mask_vtl, runs, nruns, value))
		status = MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY; /* nothing changed */
	else
		*done = m;
	free(gfns);
	return status;
}

/*
 * Whose mask @caller may set, as OpenVMM's hardware_cvm
 * modify_vtl_protection_mask() decides: not a higher VTL's
 * (HV_STATUS_ACCESS_DENIED), not VTL 0's, which limits nothing
 * (INVALID_PARAMETER), not a VTL that is not enabled (INVALID_VTL_STATE).  A VTL may set its own
 * mask only once it has enabled VTL protection (HvRegisterVsmPartitionConfig, TLFS VSM "VTL
 * Enablement" step 3; ACCESS_DENIED before); a higher VTL may set a lower one's before, to apply
 * defaults.
 */
static unsigned int mask_vtl_check(const struct memattr_vsm *v, unsigned int caller,
				   unsigned int mask_vtl)
{
	if (mask_vtl > caller)
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	if (mask_vtl == 0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (!(v->vtls & (1U << mask_vtl)))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	if (mask_vtl == caller &&
	    !(v->vsm_config[caller] & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION))
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	return MEMATTR_HV_STATUS_SUCCESS;
}

unsigned int memattr_vsm_protect(struct memattr_vsm *v, unsigned int caller_vtl,
				 unsigned int mask_vtl, uint32_t map_flags,
				 const uint64_t *gpa_pages, size_t n, size_t *done)
{
	unsigned int status;
	uint64_t value;

	if (!v || !done || (!gpa_pages && n))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	*done = 0;
	if (caller_vtl > v->max_vtl || !(v->vtls & (1U << caller_vtl)))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	status = mask_vtl_check(v, caller_vtl, mask_vtl);
	if (status)
		return status;
	if (vsm_map_flags_value(v, mask_vtl, map_flags, &value))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	return protect_list(v, mask_vtl, value, gpa_pages, n, done);
}

uint64_t vsm_modify_protection(struct memattr_vsm *v, unsigned int vp, uint64_t control,
			       uint64_t input_gpa)
{
	typedef struct hv_input_modify_vtl_protection_mask in_t;
	unsigned int count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	unsigned int start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
	unsigned int caller = v->vps[vp].vtl, mask_vtl, status;
	uint64_t buf[MEMATTR_PAGE_SIZE / 8], value, r;
	const uint8_t *hdr = (const uint8_t *)buf;
	unsigned int in_vtl;
	size_t done;

	/* Header and the whole list, one page at most (TLFS "Hypercall Inputs"). */
	if ((input_gpa & 0xfff) + sizeof(in_t) + 8ULL * count > MEMATTR_PAGE_SIZE)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_ALIGNMENT, start);
	r = vsm_read_input(v, vp, input_gpa, buf, sizeof(in_t) + 8 * (size_t)count);
	if (r == MEMATTR_VSM_INTERCEPTED)
		return r;
	if (r)
		return r | (uint64_t)start << 32;
	if (TLFS_GET(hdr, in_t, partition_id) != MEMATTR_HV_PARTITION_ID_SELF)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARTITION_ID, start);
	in_vtl = (unsigned int)TLFS_GET(hdr, in_t, target_vtl);
	if ((in_vtl & HV_INPUT_VTL_RESERVED) || TLFS_GET(hdr, in_t, reserved))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, start);
	/* Without UseTargetVtl the call names the caller's own mask (CURRENT_VTL). */
	mask_vtl = hv_input_vtl_named(in_vtl, caller);
	status = mask_vtl_check(v, caller, mask_vtl);
	if (status)
		return vsm_result(status, start);
	if (vsm_map_flags_value(v, mask_vtl, (uint32_t)TLFS_GET(hdr, in_t, map_flags), &value))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, start);
	for (unsigned int i = 0; i < count; i++)
		buf[2 + i] = tlfs_get(hdr + sizeof(in_t) + 8 * i, 8);
	status = protect_list(v, mask_vtl, value, buf + 2 + start, count - start, &done);
	return vsm_result(status, start + done);
}
