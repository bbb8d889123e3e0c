// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The partition: its VTLs, its VPs' VTLs, and each VTL's partition
 * configuration register.  TLFS references are to the chapter "Virtual
 * Secure Mode" and to the pages of the hypercalls named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vsm.h"

/*
 * Store layout: one store, VTL n's protection mask in layer n - 1.  TLFS VSM
 * "Memory Access Protections" and code that runs on Hyper-V agree that a
 * VTL's protections describe what the VTLs below it may access (OpenVMM's
 * hardware_cvm emulation says so where it applies them; OpenHCL at VTL 2
 * hides its memory from VTL 1 and VTL 0 with one mask).  So VTL t obeys the
 * masks of every VTL above it: layers t..max_vtl - 1.
 */
uint32_t memattr_vsm_layer_mask(const struct memattr_vsm *v, unsigned int vtl)
{
	if (!v || vtl >= v->max_vtl)
		return 0;
	return ((1U << v->max_vtl) - 1) & ~((1U << vtl) - 1);
}

static int ram_cmp(const void *a, const void *b)
{
	const struct memattr_vsm_ram *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

static bool config_valid(const struct memattr_vsm_config *cfg)
{
	if (!cfg || cfg->max_vtl < 1 || cfg->max_vtl > MEMATTR_VSM_MAX_VTL || !cfg->store)
		return false;
	if (memattr_layers(cfg->store) < cfg->max_vtl)
		return false;
	if (cfg->nvps < 1 || cfg->nvps > VSM_MAX_VPS || !cfg->ram || cfg->nram < 1 ||
	    cfg->nram > VSM_MAX_RAM)
		return false;
	if (cfg->mbec && !(memattr_supported(cfg->store) & MEMATTR_USER_EXECUTE))
		return false;
	/* HvRegisterVsmCodePageOffsets has 12 bits for each. */
	if (cfg->vtl_call_offset > 0xfff || cfg->vtl_return_offset > 0xfff)
		return false;
	return true;
}

static bool ram_valid(const struct memattr_vsm_ram *ram, unsigned int n, unsigned int gpa_bits)
{
	uint64_t limit = gpa_bits >= 64 ? UINT64_MAX : (1ULL << gpa_bits) - 1;

	for (unsigned int i = 0; i < n; i++) {
		const struct memattr_vsm_ram *r = &ram[i];

		if (!r->host || !r->size || (r->gpa | r->size) & (MEMATTR_PAGE_SIZE - 1))
			return false;
		if (r->size - 1 > limit - r->gpa || r->gpa > limit)
			return false;
		/* Sorted by gpa: overlap is starting inside the previous region (no wrap at 2^64).
		 */
		if (i && r->gpa - ram[i - 1].gpa < ram[i - 1].size)
			return false;
	}
	return true;
}

int memattr_vsm_create(const struct memattr_vsm_config *cfg, struct memattr_vsm **out)
{
	struct memattr_vsm *v;

	if (!out || !config_valid(cfg))
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v->ram, cfg->ram, cfg->nram * sizeof(*cfg->ram));
	qsort(v->ram, cfg->nram, sizeof(v->ram[0]), ram_cmp);
	v->gpa_bits = memattr_gpa_bits(cfg->store);
	if (!ram_valid(v->ram, cfg->nram, v->gpa_bits)) {
		free(v);
		return -EINVAL;
	}
	v->store = cfg->store;
	/* HvRegisterVsmCodePageOffsets: VtlCallOffset 11:0, VtlReturnOffset 23:12. */
	v->code_page_offsets = cfg->vtl_call_offset | (uint64_t)cfg->vtl_return_offset << 12;
	v->max_vtl = cfg->max_vtl;
	v->nvps = cfg->nvps;
	v->nram = cfg->nram;
	v->mbec = cfg->mbec;
	v->store_mbec = memattr_supported(cfg->store) & MEMATTR_USER_EXECUTE;
	v->vtls = 1;
	v->vps = calloc(cfg->nvps, sizeof(*v->vps));
	if (!v->vps)
		goto out_free;
	v->regs = calloc((size_t)cfg->nvps * (cfg->max_vtl + 1), sizeof(*v->regs));
	if (!v->regs)
		goto out_free_vps;
	for (unsigned int i = 0; i < cfg->nvps; i++)
		v->vps[i].vtls = 1;
	*out = v;
	return 0;

out_free_vps:
	free(v->vps);
out_free:
	free(v);
	return -ENOMEM;
}

void memattr_vsm_destroy(struct memattr_vsm *v)
{
	if (!v)
		return;
	free(v->regs);
	free(v->vps);
	free(v);
}

unsigned int memattr_vsm_vp_vtl(const struct memattr_vsm *v, unsigned int vp)
{
	return v && vp < v->nvps ? v->vps[vp].vtl : 0;
}

uint32_t memattr_vsm_partition_vtls(const struct memattr_vsm *v)
{
	return v->vtls;
}

uint32_t memattr_vsm_vp_vtls(const struct memattr_vsm *v, unsigned int vp)
{
	return v && vp < v->nvps ? v->vps[vp].vtls : 0;
}

struct memattr_vsm_vp_regs *memattr_vsm_vp_regs(struct memattr_vsm *v, unsigned int vp,
						unsigned int vtl)
{
	if (!v || vp >= v->nvps || vtl > v->max_vtl)
		return NULL;
	return &v->regs[(size_t)vp * (v->max_vtl + 1) + vtl];
}

struct memattr_vsm_vtl_control *memattr_vsm_vtl_control(struct memattr_vsm *v, unsigned int vp,
							unsigned int vtl)
{
	if (!v || vp >= v->nvps || vtl < 1 || vtl > v->max_vtl)
		return NULL;
	return &v->vps[vp].control[vtl];
}

uint64_t memattr_vsm_store_sets(const struct memattr_vsm *v)
{
	return v->store_sets;
}

uint64_t memattr_vsm_store_calls(const struct memattr_vsm *v)
{
	return v->store_calls;
}

/* The highest VTL enabled for the partition below @vtl (VTL 0 always is). */
static unsigned int highest_below(uint32_t vtls, unsigned int vtl)
{
	unsigned int h = 0;

	for (unsigned int i = 0; i < vtl; i++)
		if (vtls & (1U << i))
			h = i;
	return h;
}

/*
 * HvCallEnablePartitionVtl (TLFS page of that name, "Restrictions"): a VTL
 * may always enable a lower VTL; it may enable a higher one only if it is the
 * highest VTL enabled for the partition below that target.
 */
unsigned int memattr_vsm_enable_partition_vtl(struct memattr_vsm *v, unsigned int vp,
					      unsigned int vtl, bool mbec)
{
	unsigned int caller;

	if (!v || vp >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	caller = v->vps[vp].vtl;
	if (vtl > v->max_vtl || (mbec && !v->mbec))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	/*
	 * Already enabled (VTL 0 always is): HV_STATUS_INVALID_VTL_STATE, as
	 * OpenVMM's hardware_cvm enable_partition_vtl() answers; unlike
	 * HvCallEnableVpVtl, not VTL_ALREADY_ENABLED.
	 */
	if (v->vtls & (1U << vtl))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	if (vtl > caller && highest_below(v->vtls, vtl) != caller)
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	v->vtls |= 1U << vtl;
	if (mbec)
		v->mbec_vtls |= 1U << vtl;
	return MEMATTR_HV_STATUS_SUCCESS;
}

uint64_t vsm_enable_partition_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in)
{
	typedef struct hv_input_enable_partition_vtl in_t;
	unsigned int flags = (unsigned int)TLFS_GET(in, in_t, flags);

	if (TLFS_GET(in, in_t, partition_id) != MEMATTR_HV_PARTITION_ID_SELF)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARTITION_ID, 0);
	if (TLFS_GET(in, in_t, reserved) || (flags & ~1U))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	return vsm_result(memattr_vsm_enable_partition_vtl(
				  v, vp, (unsigned int)TLFS_GET(in, in_t, target_vtl), flags & 1),
			  0);
}

static void context_seg(struct memattr_vsm_seg *s, const uint8_t *p)
{
	typedef struct hv_segment seg_t;

	s->base = TLFS_GET(p, seg_t, base);
	s->limit = (uint32_t)TLFS_GET(p, seg_t, limit);
	s->selector = (uint16_t)TLFS_GET(p, seg_t, selector);
	s->attributes = (uint16_t)TLFS_GET(p, seg_t, attributes);
}

/* HV_INITIAL_VP_CONTEXT, as the registers it sets. */
static void context_load(struct memattr_vsm_vp_regs *r, const uint8_t *c)
{
	typedef struct hv_initial_vp_context ctx_t;
	typedef struct hv_table table_t;
	const uint8_t *idtr = TLFS_FIELD(c, ctx_t, idtr), *gdtr = TLFS_FIELD(c, ctx_t, gdtr);

	memset(r, 0, sizeof(*r));
	r->rip = TLFS_GET(c, ctx_t, rip);
	r->gpr[MEMATTR_RSP] = TLFS_GET(c, ctx_t, rsp);
	r->rflags = TLFS_GET(c, ctx_t, rflags);
	context_seg(&r->cs, TLFS_FIELD(c, ctx_t, cs));
	context_seg(&r->ds, TLFS_FIELD(c, ctx_t, ds));
	context_seg(&r->es, TLFS_FIELD(c, ctx_t, es));
	context_seg(&r->fs, TLFS_FIELD(c, ctx_t, fs));
	context_seg(&r->gs, TLFS_FIELD(c, ctx_t, gs));
	context_seg(&r->ss, TLFS_FIELD(c, ctx_t, ss));
	context_seg(&r->tr, TLFS_FIELD(c, ctx_t, tr));
	context_seg(&r->ldtr, TLFS_FIELD(c, ctx_t, ldtr));
	r->idtr_limit = (uint16_t)TLFS_GET(idtr, table_t, limit);
	r->idtr_base = TLFS_GET(idtr, table_t, base);
	r->gdtr_limit = (uint16_t)TLFS_GET(gdtr, table_t, limit);
	r->gdtr_base = TLFS_GET(gdtr, table_t, base);
	r->efer = TLFS_GET(c, ctx_t, efer);
	r->cr0 = TLFS_GET(c, ctx_t, cr0);
	r->cr3 = TLFS_GET(c, ctx_t, cr3);
	r->cr4 = TLFS_GET(c, ctx_t, cr4);
	r->pat = TLFS_GET(c, ctx_t, msr_cr_pat);
}

/* The registers an HV_INITIAL_VP_CONTEXT sets, taken from @src; the rest 0. */
static void context_copy(struct memattr_vsm_vp_regs *r, const struct memattr_vsm_vp_regs *src)
{
	memset(r, 0, sizeof(*r));
	if (!src)
		return;
	r->rip = src->rip;
	r->gpr[MEMATTR_RSP] = src->gpr[MEMATTR_RSP];
	r->rflags = src->rflags;
	r->cs = src->cs, r->ds = src->ds, r->es = src->es, r->fs = src->fs;
	r->gs = src->gs, r->ss = src->ss, r->tr = src->tr, r->ldtr = src->ldtr;
	r->idtr_limit = src->idtr_limit, r->idtr_base = src->idtr_base;
	r->gdtr_limit = src->gdtr_limit, r->gdtr_base = src->gdtr_base;
	r->efer = src->efer, r->cr0 = src->cr0, r->cr3 = src->cr3, r->cr4 = src->cr4;
	r->pat = src->pat;
}

/*
 * The checks of HvCallEnableVpVtl; 0 or an HV_STATUS.  *@index becomes the
 * VP to enable.
 */
static unsigned int enable_vp_check(const struct memattr_vsm *v, unsigned int vp,
				    unsigned int *index, unsigned int vtl)
{
	unsigned int caller = v->vps[vp].vtl;

	/* TLFS: HV_VP_INDEX_SELF names the calling VP (Linux's hv_vtl.c uses it). */
	if (*index == MEMATTR_HV_VP_INDEX_SELF)
		*index = vp;
	/* VTL 0 is enabled on every VP from the start: not a VTL to enable. */
	if (vtl == 0 || vtl > v->max_vtl)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (*index >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	/* TLFS HvCallEnableVpVtl: the VTL must first be enabled for the partition. */
	if (!(v->vtls & (1U << vtl)))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	/*
	 * Hyper-V and OpenVMM's hardware_cvm enable_vp_vtl() answer a second
	 * enable with HV_STATUS_VTL_ALREADY_ENABLED, and Linux's hv_vtl.c
	 * (hv_vtl_bringup_vcpu()) takes exactly that status as success when it
	 * brings up APs: any other code stops its VTL 2 boot.
	 */
	if (v->vps[*index].vtls & (1U << vtl))
		return MEMATTR_HV_STATUS_VTL_ALREADY_ENABLED;
	/*
	 * TLFS HvCallEnableVpVtl, "Restrictions": in general only a higher VTL
	 * enables a VTL, except that the highest VTL enabled for the partition
	 * (below the target) may enable a higher one; once the target is enabled
	 * on some VP, further enables must come from the target or above.
	 */
	if (v->vp_vtls_seen & (1U << vtl)) {
		if (caller < vtl)
			return MEMATTR_HV_STATUS_ACCESS_DENIED;
	} else if (caller < vtl && highest_below(v->vtls, vtl) != caller) {
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	}
	return MEMATTR_HV_STATUS_SUCCESS;
}

static void enable_vp(struct memattr_vsm *v, unsigned int index, unsigned int vtl)
{
	v->vps[index].vtls |= 1U << vtl;
	v->vp_vtls_seen |= 1U << vtl;
}

unsigned int memattr_vsm_enable_vp_vtl(struct memattr_vsm *v, unsigned int vp,
				       unsigned int target_vp, unsigned int vtl,
				       const struct memattr_vsm_vp_regs *context)
{
	unsigned int status;

	if (!v || vp >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	status = enable_vp_check(v, vp, &target_vp, vtl);
	if (status)
		return status;
	context_copy(memattr_vsm_vp_regs(v, target_vp, vtl), context);
	enable_vp(v, target_vp, vtl);
	return MEMATTR_HV_STATUS_SUCCESS;
}

uint64_t vsm_enable_vp_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in)
{
	typedef struct hv_input_enable_vp_vtl in_t;
	unsigned int index = (unsigned int)TLFS_GET(in, in_t, vp_index);
	unsigned int vtl = (unsigned int)TLFS_GET(in, in_t, target_vtl), status;

	if (TLFS_GET(in, in_t, partition_id) != MEMATTR_HV_PARTITION_ID_SELF)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARTITION_ID, 0);
	if (TLFS_GET(in, in_t, reserved))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	status = enable_vp_check(v, vp, &index, vtl);
	if (status)
		return vsm_result(status, 0);
	context_load(memattr_vsm_vp_regs(v, index, vtl), TLFS_FIELD(in, in_t, context));
	enable_vp(v, index, vtl);
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/*
 * HvRegisterVsmPartitionConfig bits 15:5 (OpenVMM's hvdef: ZeroMemoryOnReset,
 * DenyLowerVtlStartup, InterceptAcceptance, InterceptEnableVtlProtection,
 * InterceptVpStartup, InterceptCpuidUnimplemented,
 * InterceptUnrecoverableException, InterceptPage, and three more intercept
 * enables) are kept and read back but have no effect: the front models no VP
 * startup or reset and raises no intercept but memory ones.  Linux's VTL 2
 * (drivers/hv/mshv_vtl_main.c, mshv_vtl_configure_vsm_partition()) writes
 * 0x163f: ZeroMemoryOnReset, InterceptVpStartup, InterceptCpuidUnimplemented
 * and InterceptPage besides protection, so refusing them would stop it; bits
 * 63:16 are reserved.
 */
#define CONFIG_KEPT (0x7ffULL << 5)

/*
 * Write VTL @vtl's instance of HvRegisterVsmPartitionConfig (one instance per
 * VTL above 0).  Every value the register cannot take is
 * HV_STATUS_INVALID_REGISTER_VALUE, as OpenVMM's hardware_cvm
 * set_vsm_partition_config() answers.
 */
unsigned int vsm_config_write(struct memattr_vsm *v, unsigned int vtl, uint64_t value)
{
	const uint64_t known = MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION |
			       MEMATTR_VSM_CONFIG_DEFAULT_MASK | CONFIG_KEPT;
	const uint32_t rw = MEMATTR_HV_MAP_GPA_READABLE | MEMATTR_HV_MAP_GPA_WRITABLE;
	uint32_t mask = (uint32_t)((value & MEMATTR_VSM_CONFIG_DEFAULT_MASK) >>
				   MEMATTR_VSM_CONFIG_DEFAULT_MASK_SHIFT);
	uint64_t old = v->vsm_config[vtl], prot;
	struct memattr_range runs[VSM_MAX_RAM];

	/*
	 * VTL 0 has no instance: it has no lower VTL to protect
	 * (HV_STATUS_INVALID_PARAMETER, as hardware_cvm answers a VTL 0 that
	 * names its own).
	 */
	if (vtl == 0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (!(v->vtls & (1U << vtl)))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	if (value & ~known)
		return MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE;
	/*
	 * The default mask must grant at least R|W: OpenVMM's hardware_cvm
	 * refuses anything less with HV_STATUS_INVALID_REGISTER_VALUE (the lower
	 * VTLs' memory would all become unusable at once).
	 */
	if ((mask & rw) != rw || vsm_map_flags_value(v, vtl, mask, &prot))
		return MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE;
	/*
	 * TLFS VSM "Partition Configuration": EnableVtlProtection is write-once,
	 * and the DefaultVtlProtectionMask, set with it, cannot change after.
	 */
	if ((old & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION) &&
	    (value ^ old) &
		    (MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION | MEMATTR_VSM_CONFIG_DEFAULT_MASK))
		return MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE;
	/*
	 * The default now covers all RAM in this VTL's own mask, all or nothing.
	 * Full access is where every mask starts, so it changes nothing, and a
	 * mask a higher VTL set before stays, as with OpenVMM's hardware_cvm
	 * set_vsm_partition_config(), which applies a default only when it
	 * differs from the one in force.
	 */
	if (((value & ~old) & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION) && prot) {
		for (unsigned int i = 0; i < v->nram; i++) {
			runs[i].start = v->ram[i].gpa >> MEMATTR_PAGE_SHIFT;
			runs[i].end = runs[i].start + (v->ram[i].size >> MEMATTR_PAGE_SHIFT);
		}
		if (vsm_set_runs(v, vtl, runs, v->nram, prot))
			return MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY;
	}
	v->vsm_config[vtl] = value;
	return MEMATTR_HV_STATUS_SUCCESS;
}

unsigned int memattr_vsm_set_partition_config(struct memattr_vsm *v, unsigned int vp,
					      uint64_t value)
{
	if (!v || vp >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	return vsm_config_write(v, v->vps[vp].vtl, value);
}
