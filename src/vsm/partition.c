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
 * Store layout: one store per target VTL (TLFS VSM "Memory Access
 * Protections": every VTL has its own set of GPA protections, which higher
 * VTLs set; "Memory Protection Hierarchy": several higher VTLs may restrict
 * one VTL).  The store for target t holds one layer per setter s > t, layer
 * s - t - 1, so 15 VTLs need stores of 15, 14, ..., 1 layers and no store
 * needs more than the 16 a store may have.  (One store with a layer per
 * (setter, target) pair needed max_vtl(max_vtl+1)/2 layers: max_vtl <= 5.)
 */
unsigned int memattr_vsm_layers_needed(unsigned int max_vtl, unsigned int target)
{
	return target < max_vtl ? max_vtl - target : 0;
}

int memattr_vsm_stores_create(unsigned int max_vtl, const struct memattr_config *base,
			      struct memattr_store *stores[MEMATTR_VSM_MAX_VTL])
{
	struct memattr_config cfg;
	int ret = 0;

	if (!stores)
		return -EINVAL;
	for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++)
		stores[t] = NULL;
	if (!base || max_vtl < 1 || max_vtl > MEMATTR_VSM_MAX_VTL)
		return -EINVAL;
	cfg = *base;
	for (unsigned int t = 0; !ret && t < max_vtl; t++) {
		cfg.layers = memattr_vsm_layers_needed(max_vtl, t);
		ret = memattr_store_create(&cfg, &stores[t]);
	}
	if (ret)
		memattr_vsm_stores_destroy(stores);
	return ret;
}

void memattr_vsm_stores_destroy(struct memattr_store *stores[MEMATTR_VSM_MAX_VTL])
{
	for (unsigned int t = 0; stores && t < MEMATTR_VSM_MAX_VTL; t++) {
		memattr_store_destroy(stores[t]);
		stores[t] = NULL;
	}
}

unsigned int memattr_vsm_layer(unsigned int setter, unsigned int target)
{
	return setter - target - 1;
}

struct memattr_store *memattr_vsm_store(const struct memattr_vsm *v, unsigned int vtl)
{
	return vtl < v->max_vtl ? v->stores[vtl] : NULL;
}

uint32_t memattr_vsm_layer_mask(const struct memattr_vsm *v, unsigned int vtl)
{
	return vtl < v->max_vtl ? (1U << (v->max_vtl - vtl)) - 1 : 0;
}

static int ram_cmp(const void *a, const void *b)
{
	const struct memattr_vsm_ram *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * A store for every target VTL, each with a layer per VTL above it, no store
 * serving two targets (their layer s - t - 1 would collide), and all of one
 * GPA width and one MBEC setting (the values the front stores and the GPA
 * space it checks input against are the partition's, not a store's).
 */
static bool stores_valid(const struct memattr_vsm_config *cfg)
{
	const struct memattr_store *s0 = cfg->stores[0];

	for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++) {
		const struct memattr_store *s = cfg->stores[t];

		if (t >= cfg->max_vtl) {
			if (s)
				return false;
			continue;
		}
		if (!s || memattr_layers(s) < memattr_vsm_layers_needed(cfg->max_vtl, t))
			return false;
		if (memattr_gpa_bits(s) != memattr_gpa_bits(s0) ||
		    memattr_supported(s) != memattr_supported(s0))
			return false;
		for (unsigned int u = 0; u < t; u++)
			if (cfg->stores[u] == s)
				return false;
	}
	return true;
}

static bool config_valid(const struct memattr_vsm_config *cfg)
{
	if (!cfg || cfg->max_vtl < 1 || cfg->max_vtl > MEMATTR_VSM_MAX_VTL)
		return false;
	if (!stores_valid(cfg))
		return false;
	if (cfg->nvps < 1 || cfg->nvps > VSM_MAX_VPS || !cfg->ram || cfg->nram < 1 ||
	    cfg->nram > VSM_MAX_RAM)
		return false;
	if (cfg->mbec && !(memattr_supported(cfg->stores[0]) & MEMATTR_USER_EXECUTE))
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
	v->gpa_bits = memattr_gpa_bits(cfg->stores[0]);
	if (!ram_valid(v->ram, cfg->nram, v->gpa_bits)) {
		free(v);
		return -EINVAL;
	}
	memcpy(v->stores, cfg->stores, sizeof(v->stores));
	v->max_vtl = cfg->max_vtl;
	v->nvps = cfg->nvps;
	v->nram = cfg->nram;
	v->mbec = cfg->mbec;
	v->store_mbec = memattr_supported(cfg->stores[0]) & MEMATTR_USER_EXECUTE;
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
	return vp < v->nvps ? v->vps[vp].vtl : 0;
}

uint32_t memattr_vsm_partition_vtls(const struct memattr_vsm *v)
{
	return v->vtls;
}

uint32_t memattr_vsm_vp_vtls(const struct memattr_vsm *v, unsigned int vp)
{
	return vp < v->nvps ? v->vps[vp].vtls : 0;
}

struct memattr_vsm_vp_regs *memattr_vsm_vp_regs(struct memattr_vsm *v, unsigned int vp,
						unsigned int vtl)
{
	if (vp >= v->nvps || vtl > v->max_vtl)
		return NULL;
	return &v->regs[(size_t)vp * (v->max_vtl + 1) + vtl];
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
 * HvCallEnablePartitionVtl input: TargetPartitionId (8), TargetVtl (1),
 * Flags (1: bit 0 EnableMbec, 7:1 reserved), RsvdZ (6).
 */
uint64_t vsm_enable_partition_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in)
{
	unsigned int caller = v->vps[vp].vtl, target = in[8];
	uint8_t flags = in[9];

	if (vsm_le64(in) != MEMATTR_HV_PARTITION_ID_SELF)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARTITION_ID, 0);
	for (int i = 10; i < 16; i++)
		if (in[i])
			return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	if ((flags & ~1U) || target > v->max_vtl || ((flags & 1) && !v->mbec))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	if (v->vtls & (1U << target))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_VTL_STATE, 0);
	/*
	 * TLFS HvCallEnablePartitionVtl, "Restrictions": a launching VTL may
	 * always enable a lower VTL; it may enable a higher one only if it is
	 * the highest VTL enabled for the partition below that target.
	 */
	if (target > caller && highest_below(v->vtls, target) != caller)
		return vsm_result(MEMATTR_HV_STATUS_ACCESS_DENIED, 0);
	v->vtls |= 1U << target;
	if (flags & 1)
		v->mbec_vtls |= 1U << target;
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

static void load_seg(struct memattr_vsm_seg *s, const uint8_t *p)
{
	/* HV_X64_SEGMENT_REGISTER: Base (8), Limit (4), Selector (2), Attributes (2). */
	s->base = vsm_le64(p);
	s->limit = vsm_le32(p + 8);
	s->selector = vsm_le16(p + 12);
	s->attributes = vsm_le16(p + 14);
}

/*
 * HV_INITIAL_VP_CONTEXT (224 bytes): Rip, Rsp, Rflags; Cs, Ds, Es, Fs, Gs,
 * Ss, Tr, Ldtr (16 each); Idtr, Gdtr (HV_X64_TABLE_REGISTER: Pad[3], Limit,
 * Base); Efer, Cr0, Cr3, Cr4, MsrCrPat.
 */
static void load_context(struct memattr_vsm_vp_regs *r, const uint8_t *c)
{
	struct memattr_vsm_seg *segs[8] = { &r->cs, &r->ds, &r->es, &r->fs,
					    &r->gs, &r->ss, &r->tr, &r->ldtr };

	memset(r, 0, sizeof(*r));
	r->rip = vsm_le64(c);
	r->gpr[MEMATTR_RSP] = vsm_le64(c + 8);
	r->rflags = vsm_le64(c + 16);
	for (int i = 0; i < 8; i++)
		load_seg(segs[i], c + 24 + 16 * i);
	r->idtr_limit = vsm_le16(c + 152 + 6);
	r->idtr_base = vsm_le64(c + 152 + 8);
	r->gdtr_limit = vsm_le16(c + 168 + 6);
	r->gdtr_base = vsm_le64(c + 168 + 8);
	r->efer = vsm_le64(c + 184);
	r->cr0 = vsm_le64(c + 192);
	r->cr3 = vsm_le64(c + 200);
	r->cr4 = vsm_le64(c + 208);
	r->pat = vsm_le64(c + 216);
}

/*
 * HvCallEnableVpVtl input: TargetPartitionId (8), VpIndex (4), TargetVtl (1),
 * RsvdZ (3), VpVtlContext (224).
 */
uint64_t vsm_enable_vp_vtl(struct memattr_vsm *v, unsigned int vp, const uint8_t *in)
{
	unsigned int caller = v->vps[vp].vtl, target = in[12];
	uint32_t index = vsm_le32(in + 8);

	if (vsm_le64(in) != MEMATTR_HV_PARTITION_ID_SELF)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARTITION_ID, 0);
	if (in[13] || in[14] || in[15] || target > v->max_vtl)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_PARAMETER, 0);
	if (index >= v->nvps)
		return vsm_result(MEMATTR_HV_STATUS_INVALID_VP_INDEX, 0);
	/*
	 * TLFS HvCallEnableVpVtl: the VTL must first be enabled for the
	 * partition, and enabling one already enabled on the VP fails.
	 */
	if (!(v->vtls & (1U << target)) || (v->vps[index].vtls & (1U << target)))
		return vsm_result(MEMATTR_HV_STATUS_INVALID_VTL_STATE, 0);
	/*
	 * TLFS HvCallEnableVpVtl, "Restrictions": in general only a higher VTL
	 * enables a VTL, except that the highest VTL enabled for the partition
	 * (below the target) may enable a higher one; once the target is enabled
	 * on some VP, further enables must come from the target or above.
	 */
	if (v->vp_vtls_seen & (1U << target)) {
		if (caller < target)
			return vsm_result(MEMATTR_HV_STATUS_ACCESS_DENIED, 0);
	} else if (caller < target && highest_below(v->vtls, target) != caller) {
		return vsm_result(MEMATTR_HV_STATUS_ACCESS_DENIED, 0);
	}
	load_context(memattr_vsm_vp_regs(v, index, target), in + 16);
	v->vps[index].vtls |= 1U << target;
	v->vp_vtls_seen |= 1U << target;
	return vsm_result(MEMATTR_HV_STATUS_SUCCESS, 0);
}

/*
 * Write VTL @vtl's instance of HvRegisterVsmPartitionConfig (TLFS VSM
 * "Partition Configuration"; one instance per VTL above 0, changed once the
 * VTL is enabled).
 */
unsigned int vsm_config_write(struct memattr_vsm *v, unsigned int vtl, uint64_t value)
{
	/*
	 * ZeroMemoryOnReset (5), DenyLowerVtlStartup (6) and InterceptVpStartup
	 * (9) are kept but have no effect here: the front models no VP reset.
	 */
	const uint64_t known = MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION |
			       MEMATTR_VSM_CONFIG_DEFAULT_MASK | 1ULL << 5 | 1ULL << 6 | 1ULL << 9;
	uint64_t old = v->vsm_config[vtl], prot;
	unsigned int status;

	/* VTL 0 has no instance: it has no lower VTL to protect. */
	if (vtl == 0)
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	if (!(v->vtls & (1U << vtl)))
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	if (value & ~known)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (vsm_map_flags_value(v, vtl,
				(uint32_t)((value & MEMATTR_VSM_CONFIG_DEFAULT_MASK) >>
					   MEMATTR_VSM_CONFIG_DEFAULT_MASK_SHIFT),
				&prot))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	/*
	 * TLFS VSM "Partition Configuration": EnableVtlProtection is write-once,
	 * and the DefaultVtlProtectionMask, set with it, cannot change after.
	 */
	if ((old & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION) &&
	    (value ^ old) &
		    (MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION | MEMATTR_VSM_CONFIG_DEFAULT_MASK))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if ((value & ~old) & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION) {
		/*
		 * The default mask now covers all RAM of every lower VTL: in the
		 * store for each target t, this VTL's layer.
		 */
		for (unsigned int t = 0; t < vtl; t++) {
			for (unsigned int i = 0; i < v->nram; i++) {
				uint64_t s = v->ram[i].gpa >> MEMATTR_PAGE_SHIFT;
				uint64_t e = s + (v->ram[i].size >> MEMATTR_PAGE_SHIFT);

				status = vsm_set_range(v, vtl, t, s, e, prot);
				if (status)
					return status;
			}
		}
	}
	v->vsm_config[vtl] = value;
	return MEMATTR_HV_STATUS_SUCCESS;
}

unsigned int memattr_vsm_set_partition_config(struct memattr_vsm *v, unsigned int vp,
					      uint64_t value)
{
	if (vp >= v->nvps)
		return MEMATTR_HV_STATUS_INVALID_VP_INDEX;
	return vsm_config_write(v, v->vps[vp].vtl, value);
}
