/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VSM tests' partition: its stores (one per target VTL), guest RAM in
 * host memory, and helpers
 * that write a hypercall's input page into guest RAM and make the call with
 * the real control word, as a guest would.
 */
#ifndef MEMATTR_TESTS_VSM_FIXTURE_H
#define MEMATTR_TESTS_VSM_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <memattr/vsm.h>

#define PAGE	  MEMATTR_PAGE_SIZE
#define SELF	  MEMATTR_HV_PARTITION_ID_SELF
#define HC_MODIFY MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK
#define HC_EPV	  MEMATTR_HVCALL_ENABLE_PARTITION_VTL
#define HC_EVV	  MEMATTR_HVCALL_ENABLE_VP_VTL
#define HC_CALL	  MEMATTR_HVCALL_VTL_CALL
#define HC_RET	  MEMATTR_HVCALL_VTL_RETURN

#define ST(r)	MEMATTR_HV_RESULT_STATUS(r)
#define REPS(r) MEMATTR_HV_RESULT_REPS(r)

#define F_R  MEMATTR_HV_MAP_GPA_READABLE
#define F_W  MEMATTR_HV_MAP_GPA_WRITABLE
#define F_KX MEMATTR_HV_MAP_GPA_KERNEL_EXECUTABLE
#define F_UX MEMATTR_HV_MAP_GPA_USER_EXECUTABLE

/* Each VP's hypercall input page sits at guest page 1 + vp. */
#define INPUT_GPA(vp) ((uint64_t)(1 + (vp)) * PAGE)

struct fx {
	/* stores[t]: the protections on VTL t; store is stores[0], VTL 0's */
	struct memattr_store *stores[MEMATTR_VSM_MAX_VTL];
	struct memattr_store *store;
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
 * A partition of @max_vtl VTLs and @nvps VPs: RAM [0, @low_pages) and, if
 * @high_pages, [@high_gpa, @high_gpa + @high_pages pages).
 */
static inline int fx_init_layout(struct fx *f, unsigned int max_vtl, unsigned int nvps,
				 uint64_t low_pages, uint64_t high_gpa, uint64_t high_pages,
				 bool mbec, const struct memattr_allocator *alloc)
{
	struct memattr_config sc = { .gpa_bits = 40,
				     .flags = mbec ? MEMATTR_F_MBEC : 0,
				     .allocator = alloc };
	struct memattr_vsm_config vc = { .max_vtl = max_vtl, .nvps = nvps, .mbec = mbec };
	int ret;

	memset(f, 0, sizeof(*f));
	ret = memattr_vsm_stores_create(max_vtl, &sc, f->stores);
	if (ret)
		return ret;
	memcpy(vc.stores, f->stores, sizeof(vc.stores));
	f->store = f->stores[0];
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
	memattr_vsm_stores_destroy(f->stores);
	for (unsigned int i = 0; i < f->nram; i++)
		if (f->ram[i].host)
			munmap(f->ram[i].host, f->ram[i].size);
}

/* The value of the protection VTL @setter placed on VTL @target at @gfn. */
static inline int fx_prot(struct fx *f, unsigned int setter, unsigned int target, uint64_t gfn)
{
	return memattr_get(memattr_vsm_store(f->v, target), memattr_vsm_layer(setter, target), gfn);
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

static inline void put_le(uint8_t *p, uint64_t x, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static inline uint64_t control_of(unsigned int code, unsigned int count, unsigned int start)
{
	return code | ((uint64_t)count << MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) |
	       ((uint64_t)start << MEMATTR_HV_CONTROL_REP_START_SHIFT);
}

static inline uint64_t fx_enable_partition_vtl(struct fx *f, unsigned int vp, unsigned int vtl,
					       uint8_t flags)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, 16);
	put_le(in, SELF, 8);
	in[8] = (uint8_t)vtl;
	in[9] = flags;
	return memattr_vsm_hypercall(f->v, vp, HC_EPV, INPUT_GPA(vp), 0);
}

static inline uint64_t fx_enable_vp_vtl(struct fx *f, unsigned int vp, unsigned int target_vp,
					unsigned int vtl, uint64_t rip)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, 240);
	put_le(in, SELF, 8);
	put_le(in + 8, target_vp, 4);
	in[12] = (uint8_t)vtl;
	/* HV_INITIAL_VP_CONTEXT of a 64-bit kernel: Rip, Cs.Selector, Efer, Cr0. */
	put_le(in + 16, rip, 8);
	put_le(in + 16 + 24 + 12, 0x10, 2);
	put_le(in + 16 + 184, 0x500, 8);
	put_le(in + 16 + 192, 0x80000011, 8);
	return memattr_vsm_hypercall(f->v, vp, HC_EVV, INPUT_GPA(vp), 0);
}

/* ModifyVtlProtectionMask from @vp's current VTL, list in guest RAM. */
static inline uint64_t fx_protect(struct fx *f, unsigned int vp, unsigned int target_vtl,
				  uint32_t flags, const uint64_t *pages, unsigned int n,
				  unsigned int start)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, 16);
	put_le(in, SELF, 8);
	put_le(in + 8, flags, 4);
	in[12] = (uint8_t)(0x10 | target_vtl);
	for (unsigned int i = 0; i < n && 16 + 8 * (i + 1) <= PAGE; i++)
		put_le(in + 16 + 8 * i, pages[i], 8);
	return memattr_vsm_hypercall(f->v, vp, control_of(HC_MODIFY, n, start), INPUT_GPA(vp), 0);
}

/*
 * @vp's current VTL turns on its VTL protection (HvRegisterVsmPartitionConfig)
 * with a full-access default mask: R|W|KX, or R|W|KX|UX for a VTL with MBEC.
 */
static inline unsigned int fx_protection_on(struct fx *f, unsigned int vp)
{
	unsigned int st = memattr_vsm_set_partition_config(f->v, vp, 1 | 7 << 1);

	if (st == MEMATTR_HV_STATUS_INVALID_PARAMETER)
		st = memattr_vsm_set_partition_config(f->v, vp, 1 | 15 << 1);
	return st;
}

/*
 * Enable VTLs 1..@top for the partition and on every VP, as TLFS allows: VP 0
 * at VTL t-1 enables t for the partition and on itself, calls into t, and
 * from there enables t on the other VPs (and, with @protection, turns on
 * t's VTL protection).
 */
static inline void fx_enable_vtls(struct fx *f, unsigned int top, unsigned int nvps,
				  bool protection)
{
	for (unsigned int t = 1; t <= top; t++) {
		if (ST(fx_enable_partition_vtl(f, 0, t, 0)) || ST(fx_enable_vp_vtl(f, 0, 0, t, 0)))
			abort();
		if (memattr_vsm_hypercall(f->v, 0, HC_CALL, 0, 0))
			abort();
		for (unsigned int vp = 1; vp < nvps; vp++)
			if (ST(fx_enable_vp_vtl(f, 0, vp, t, 0x1000 * t)))
				abort();
		if (protection && fx_protection_on(f, 0))
			abort();
	}
	while (memattr_vsm_vp_vtl(f->v, 0))
		if (memattr_vsm_hypercall(f->v, 0, HC_RET, 0, 0))
			abort();
}

static inline void fx_enable_all(struct fx *f, unsigned int top, unsigned int nvps)
{
	fx_enable_vtls(f, top, nvps, true);
}

/* Put @vp at VTL @vtl by VTL calls (all VTLs enabled on it). */
static inline void fx_go(struct fx *f, unsigned int vp, unsigned int vtl)
{
	while (memattr_vsm_vp_vtl(f->v, vp) > vtl)
		if (memattr_vsm_hypercall(f->v, vp, HC_RET, 0, 0))
			abort();
	while (memattr_vsm_vp_vtl(f->v, vp) < vtl)
		if (memattr_vsm_hypercall(f->v, vp, HC_CALL, 0, 0))
			abort();
}

#endif
