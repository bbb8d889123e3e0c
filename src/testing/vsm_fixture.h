/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The partition of the VSM tests and the hypercall fuzzer: its store (VTL
 * n's protection mask in layer n - 1), guest RAM in host memory, and helpers
 * that write a hypercall's input page into guest RAM, laid out by the
 * library's own TLFS structs (src/vsm/tlfs.h), and make the call with the
 * real control word, as a guest would.
 */
#ifndef MEMATTR_TESTING_VSM_FIXTURE_H
#define MEMATTR_TESTING_VSM_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <memattr/vsm.h>

#include "vsm/tlfs.h"

#define PAGE	  MEMATTR_PAGE_SIZE
#define SELF	  MEMATTR_HV_PARTITION_ID_SELF
#define HC_MODIFY MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK
#define HC_EPV	  MEMATTR_HVCALL_ENABLE_PARTITION_VTL
#define HC_EVV	  MEMATTR_HVCALL_ENABLE_VP_VTL
#define HC_CALL	  MEMATTR_HVCALL_VTL_CALL
#define HC_RET	  MEMATTR_HVCALL_VTL_RETURN
#define HC_GET	  MEMATTR_HVCALL_GET_VP_REGISTERS
#define HC_SET	  MEMATTR_HVCALL_SET_VP_REGISTERS

#define ST(r)	MEMATTR_HV_RESULT_STATUS(r)
#define REPS(r) MEMATTR_HV_RESULT_REPS(r)

#define F_R   MEMATTR_HV_MAP_GPA_READABLE
#define F_W   MEMATTR_HV_MAP_GPA_WRITABLE
#define F_KX  MEMATTR_HV_MAP_GPA_KERNEL_EXECUTABLE
#define F_UX  MEMATTR_HV_MAP_GPA_USER_EXECUTABLE
#define F_ALL MEMATTR_HV_MAP_GPA_PERMISSIONS_ALL

/* HV_INPUT_VTL naming VTL @vtl (UseTargetVtl), and the caller's own (CURRENT_VTL). */
#define IN_VTL(vtl) ((uint8_t)(MEMATTR_HV_INPUT_VTL_USE_TARGET | (vtl)))
#define CURRENT_VTL ((uint8_t)0)

/* HvRegisterVsmPartitionConfig with EnableVtlProtection and DefaultVtlProtectionMask @mask. */
#define CONFIG_ON(mask)                                                                            \
	(MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION |                                                \
	 (uint64_t)(mask) << MEMATTR_VSM_CONFIG_DEFAULT_MASK_SHIFT)

/* Each VP's hypercall input page sits at guest page 1 + vp. */
#define INPUT_GPA(vp) ((uint64_t)(1 + (vp)) * PAGE)

typedef struct hv_input_enable_partition_vtl epv_in_t;
typedef struct hv_input_enable_vp_vtl evv_in_t;
typedef struct hv_input_modify_vtl_protection_mask modify_in_t;
typedef struct hv_input_vp_registers regs_in_t;
typedef struct hv_register_assoc assoc_t;

struct fx {
	struct memattr_store *store; /* VTL n's mask in layer n - 1 */
	struct memattr_vsm *v;
	struct memattr_vsm_ram ram[2];
	unsigned int nram;
};

/* Guest RAM, zeroed; pages never touched cost no host memory (a 64 GiB guest fits). */
static inline void *fx_ram_map(uint64_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A partition of @max_vtl VTLs and @nvps VPs over one store of @max_vtl
 * layers: RAM [0, @low_pages) and, if @high_pages, [@high_gpa, @high_gpa +
 * @high_pages pages).
 */
static inline int fx_init_layout(struct fx *f, unsigned int max_vtl, unsigned int nvps,
				 uint64_t low_pages, uint64_t high_gpa, uint64_t high_pages,
				 bool mbec, const struct memattr_allocator *alloc)
{
	struct memattr_config sc = { .layers = max_vtl,
				     .gpa_bits = 40,
				     .flags = mbec ? MEMATTR_F_MBEC : 0,
				     .allocator = alloc };
	struct memattr_vsm_config vc = { .max_vtl = max_vtl, .nvps = nvps, .mbec = mbec };
	int ret;

	memset(f, 0, sizeof(*f));
	ret = memattr_store_create(&sc, &f->store);
	if (ret)
		return ret;
	vc.store = f->store;
	f->ram[0] = (struct memattr_vsm_ram){ 0, low_pages * PAGE, fx_ram_map(low_pages) };
	f->nram = 1;
	if (high_pages) {
		f->ram[1] = (struct memattr_vsm_ram){ high_gpa, high_pages * PAGE,
						      fx_ram_map(high_pages) };
		f->nram = 2;
	}
	for (unsigned int i = 0; i < f->nram; i++)
		if (!f->ram[i].host)
			return -ENOMEM;
	vc.ram = f->ram;
	vc.nram = f->nram;
	ret = memattr_vsm_create(&vc, &f->v);
	/* Every VP's VTL 0 runs a 64-bit kernel: CPL 0, protected mode (VTL calls need both). */
	for (unsigned int vp = 0; !ret && vp < nvps; vp++) {
		struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(f->v, vp, 0);

		r->cr0 = 0x80000011;
		r->efer = 0x500;
		r->cs.selector = 0x10;
	}
	return ret;
}

/* fx_init_layout() with high RAM, if any, at 1 GiB. */
static inline int fx_init_alloc(struct fx *f, unsigned int max_vtl, unsigned int nvps,
				uint64_t low_pages, uint64_t high_pages, bool mbec,
				const struct memattr_allocator *alloc)
{
	return fx_init_layout(f, max_vtl, nvps, low_pages, 1ULL << 30, high_pages, mbec, alloc);
}

static inline int fx_init(struct fx *f, unsigned int max_vtl, unsigned int nvps, uint64_t low_pages,
			  uint64_t high_pages, bool mbec)
{
	return fx_init_alloc(f, max_vtl, nvps, low_pages, high_pages, mbec, NULL);
}

static inline void fx_fini(struct fx *f)
{
	memattr_vsm_destroy(f->v);
	memattr_store_destroy(f->store);
	for (unsigned int i = 0; i < f->nram; i++)
		if (f->ram[i].host)
			munmap(f->ram[i].host, f->ram[i].size);
}

/* VTL @vtl's protection mask at @gfn (its store value), 1 <= @vtl <= max_vtl. */
static inline int fx_mask(struct fx *f, unsigned int vtl, uint64_t gfn)
{
	return memattr_get(f->store, vtl - 1, gfn);
}

/* The VMM's own view of guest RAM (no protections), or NULL outside RAM. */
static inline uint8_t *fx_ram(struct fx *f, uint64_t gpa)
{
	for (unsigned int i = 0; i < f->nram; i++)
		if (gpa >= f->ram[i].gpa && gpa - f->ram[i].gpa < f->ram[i].size)
			return (uint8_t *)f->ram[i].host + (gpa - f->ram[i].gpa);
	return NULL;
}

/* Where to build a hypercall's input: RAM the fixture chose. */
static inline uint8_t *fx_host(struct fx *f, uint64_t gpa)
{
	uint8_t *p = fx_ram(f, gpa);

	if (!p)
		abort(); /* a test bug, not a finding */
	return p;
}

static inline uint64_t control_of(unsigned int code, unsigned int count, unsigned int start)
{
	return code | ((uint64_t)count << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) |
	       ((uint64_t)start << MEMATTR_HV_CONTROL_REP_START_SHIFT);
}

/* The HvCallEnablePartitionVtl input @vp would write, at its input page. */
static inline uint8_t *fx_epv_input(struct fx *f, unsigned int vp, unsigned int vtl, uint8_t flags)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, sizeof(epv_in_t));
	TLFS_PUT(in, epv_in_t, partition_id, SELF);
	TLFS_PUT(in, epv_in_t, target_vtl, vtl);
	TLFS_PUT(in, epv_in_t, flags, flags);
	return in;
}

static inline uint64_t fx_enable_partition_vtl(struct fx *f, unsigned int vp, unsigned int vtl,
					       uint8_t flags)
{
	fx_epv_input(f, vp, vtl, flags);
	return memattr_vsm_hypercall(f->v, vp, HC_EPV, INPUT_GPA(vp), 0);
}

/*
 * The HvCallEnableVpVtl input @vp would write, at its input page, with the
 * HV_INITIAL_VP_CONTEXT of a 64-bit kernel at @rip: CS 0x10, EFER LME|LMA,
 * CR0 PG|ET|PE.
 */
static inline uint8_t *fx_evv_input(struct fx *f, unsigned int vp, uint32_t target_vp,
				    unsigned int vtl, uint64_t rip)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, sizeof(evv_in_t));
	TLFS_PUT(in, evv_in_t, partition_id, SELF);
	TLFS_PUT(in, evv_in_t, vp_index, target_vp);
	TLFS_PUT(in, evv_in_t, target_vtl, vtl);
	TLFS_PUT(in, evv_in_t, context.rip, rip);
	TLFS_PUT(in, evv_in_t, context.cs.selector, 0x10);
	TLFS_PUT(in, evv_in_t, context.efer, 0x500);
	TLFS_PUT(in, evv_in_t, context.cr0, 0x80000011);
	return in;
}

static inline uint64_t fx_enable_vp_vtl(struct fx *f, unsigned int vp, uint32_t target_vp,
					unsigned int vtl, uint64_t rip)
{
	fx_evv_input(f, vp, target_vp, vtl, rip);
	return memattr_vsm_hypercall(f->v, vp, HC_EVV, INPUT_GPA(vp), 0);
}

/* The ModifyVtlProtectionMask header and list @vp would write, at its input page. */
static inline uint8_t *fx_modify_input(struct fx *f, unsigned int vp, uint8_t in_vtl,
				       uint32_t flags, const uint64_t *pages, unsigned int n)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, sizeof(modify_in_t));
	TLFS_PUT(in, modify_in_t, partition_id, SELF);
	TLFS_PUT(in, modify_in_t, map_flags, flags);
	TLFS_PUT(in, modify_in_t, target_vtl, in_vtl);
	for (unsigned int i = 0; i < n && sizeof(modify_in_t) + 8 * (i + 1) <= PAGE; i++)
		tlfs_put(in + sizeof(modify_in_t) + 8 * i, pages[i], 8);
	return in;
}

/* ModifyVtlProtectionMask from @vp's current VTL with HV_INPUT_VTL @in_vtl, list in guest RAM. */
static inline uint64_t fx_modify(struct fx *f, unsigned int vp, uint8_t in_vtl, uint32_t flags,
				 const uint64_t *pages, unsigned int n, unsigned int start)
{
	fx_modify_input(f, vp, in_vtl, flags, pages, n);
	return memattr_vsm_hypercall(f->v, vp, control_of(HC_MODIFY, n, start), INPUT_GPA(vp), 0);
}

/* The same naming the caller's own mask (CURRENT_VTL), as OpenHCL and litebox call it. */
static inline uint64_t fx_protect(struct fx *f, unsigned int vp, uint32_t flags,
				  const uint64_t *pages, unsigned int n, unsigned int start)
{
	return fx_modify(f, vp, CURRENT_VTL, flags, pages, n, start);
}

/*
 * @vp's current VTL turns on its VTL protection (HvRegisterVsmPartitionConfig)
 * with a full-access default mask, HV_MAP_GPA_PERMISSIONS_ALL (what litebox
 * uses; without MBEC its user-execute bit is ignored).
 */
static inline unsigned int fx_protection_on(struct fx *f, unsigned int vp)
{
	return memattr_vsm_set_partition_config(f->v, vp, CONFIG_ON(F_ALL));
}

/* VtlCall from @vp's current VTL, RAX 0 (the VTL call sequence's input). */
static inline uint64_t fx_vtl_call(struct fx *f, unsigned int vp)
{
	memattr_vsm_vp_regs(f->v, vp, memattr_vsm_vp_vtl(f->v, vp))->gpr[MEMATTR_RAX] = 0;
	return memattr_vsm_hypercall(f->v, vp, HC_CALL, 0, 0);
}

/* VtlReturn from @vp's current VTL, RAX @fast (bit 0: the fast-return flag). */
static inline uint64_t fx_vtl_return(struct fx *f, unsigned int vp, bool fast)
{
	memattr_vsm_vp_regs(f->v, vp, memattr_vsm_vp_vtl(f->v, vp))->gpr[MEMATTR_RAX] = fast;
	return memattr_vsm_hypercall(f->v, vp, HC_RET, 0, 0);
}

/*
 * Enable VTLs 1..@top for the partition and on every VP, as TLFS allows: VP 0
 * at VTL t-1 enables t for the partition (EnableMbec if t is in @mbec_vtls)
 * and on itself, calls into t, and from there enables t on the other VPs
 * and, if t is in @protect_vtls, turns on t's VTL protection.  VP 0 ends at
 * VTL 0.
 */
static inline void fx_enable(struct fx *f, unsigned int top, unsigned int nvps,
			     uint32_t protect_vtls, uint32_t mbec_vtls)
{
	for (unsigned int t = 1; t <= top; t++) {
		if (ST(fx_enable_partition_vtl(f, 0, t, (mbec_vtls >> t) & 1)) ||
		    ST(fx_enable_vp_vtl(f, 0, 0, t, 0)))
			abort();
		if (fx_vtl_call(f, 0))
			abort();
		for (unsigned int vp = 1; vp < nvps; vp++)
			if (ST(fx_enable_vp_vtl(f, 0, vp, t, 0x1000 * t)))
				abort();
		if (((protect_vtls >> t) & 1) && fx_protection_on(f, 0))
			abort();
	}
	while (memattr_vsm_vp_vtl(f->v, 0))
		if (fx_vtl_return(f, 0, false))
			abort();
}

static inline void fx_enable_vtls(struct fx *f, unsigned int top, unsigned int nvps,
				  bool protection)
{
	fx_enable(f, top, nvps, protection ? ~0U : 0, 0);
}

static inline void fx_enable_all(struct fx *f, unsigned int top, unsigned int nvps)
{
	fx_enable_vtls(f, top, nvps, true);
}

/* Put @vp at VTL @vtl by VTL calls and returns (all VTLs enabled on it). */
static inline void fx_go(struct fx *f, unsigned int vp, unsigned int vtl)
{
	while (memattr_vsm_vp_vtl(f->v, vp) > vtl)
		if (fx_vtl_return(f, vp, false))
			abort();
	while (memattr_vsm_vp_vtl(f->v, vp) < vtl)
		if (fx_vtl_call(f, vp))
			abort();
}

#endif
