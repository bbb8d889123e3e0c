// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the VSM front, one TLFS rule (or table of rules) per test:
 * the store layout and configuration, the hypercall input value, VTL
 * enablement, VTL call and return, ModifyVtlProtectionMask's validation and
 * rep semantics, access checks and intercepts, MBEC, the VSM registers,
 * guest memory.  Where the TLFS is silent or code that runs on Hyper-V reads
 * it otherwise, the comment names the peer a rule follows.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <memattr/vsm.h>

#include "vsm_fixture.h"

#define S_OK	   MEMATTR_HV_STATUS_SUCCESS
#define S_CODE	   MEMATTR_HV_STATUS_INVALID_HYPERCALL_CODE
#define S_INPUT	   MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT
#define S_ALIGN	   MEMATTR_HV_STATUS_INVALID_ALIGNMENT
#define S_PARAM	   MEMATTR_HV_STATUS_INVALID_PARAMETER
#define S_DENIED   MEMATTR_HV_STATUS_ACCESS_DENIED
#define S_NOMEM	   MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY
#define S_PART	   MEMATTR_HV_STATUS_INVALID_PARTITION_ID
#define S_VPINDEX  MEMATTR_HV_STATUS_INVALID_VP_INDEX
#define S_REGVALUE MEMATTR_HV_STATUS_INVALID_REGISTER_VALUE
#define S_VTLSTATE MEMATTR_HV_STATUS_INVALID_VTL_STATE
#define S_ALREADY  MEMATTR_HV_STATUS_VTL_ALREADY_ENABLED

#define UD MEMATTR_VSM_INJECT_UD

#define RD MEMATTR_ACCESS_READ
#define WR MEMATTR_ACCESS_WRITE
#define KX MEMATTR_ACCESS_KEXEC
#define UX MEMATTR_ACCESS_UEXEC

#define R_CFG	  MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG
#define R_VPST	  MEMATTR_HV_REGISTER_VSM_VP_STATUS
#define R_PARTST  MEMATTR_HV_REGISTER_VSM_PARTITION_STATUS
#define R_CAPS	  MEMATTR_HV_REGISTER_VSM_CAPABILITIES
#define R_OFFSETS MEMATTR_HV_REGISTER_VSM_CODE_PAGE_OFFSETS

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Where the register tests' GetVpRegisters output goes. */
#define OUT_GPA (10 * PAGE)

/* ---- store layout and configuration ---- */

/*
 * One store: VTL n keeps its protection mask in layer n - 1, and VTL t obeys
 * the masks of every VTL above it, layers t..max_vtl - 1 (TLFS VSM "Memory
 * Access Protections": a VTL's protections limit the VTLs below it, as
 * microsoft/openvmm, openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * modify_vtl_protection_mask() applies them).
 */
static void test_layer_mask(void **state)
{
	uint64_t p5 = 5, p6 = 6;
	struct fx f;

	(void)state;
	assert_int_equal(memattr_vsm_layer_mask(NULL, 0), 0);
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 0), 0x1);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 1), 0);
	fx_fini(&f);
	assert_int_equal(fx_init(&f, 15, 1, 64, 0, false), 0);
	for (unsigned int t = 0; t < 15; t++)
		assert_int_equal(memattr_vsm_layer_mask(f.v, t), 0x7fff & ~((1U << t) - 1));
	assert_int_equal(memattr_vsm_layer_mask(f.v, 15), 0);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 16), 0);
	fx_fini(&f);

	assert_int_equal(fx_init(&f, 2, 3, 64, 0, false), 0);
	assert_int_equal(memattr_layers(f.store), 2);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 0), 0x3);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 1), 0x2);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 2), 0);
	fx_enable_all(&f, 2, 3);
	fx_go(&f, 1, 1);
	fx_go(&f, 2, 2);
	/* VTL 1's mask in layer 0, VTL 2's in layer 1. */
	assert_int_equal(ST(fx_protect(&f, 1, F_R, &p5, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 2, F_R | F_W, &p6, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 0, p5), MEMATTR_READ);
	assert_int_equal(memattr_get(f.store, 1, p5), 0);
	assert_int_equal(memattr_get(f.store, 0, p6), 0);
	assert_int_equal(memattr_get(f.store, 1, p6), MEMATTR_READ | MEMATTR_WRITE);
	/* VTL 0 obeys both, VTL 1 only VTL 2's. */
	assert_int_equal(memattr_combined_get(f.store, memattr_vsm_layer_mask(f.v, 0), p5),
			 MEMATTR_READ);
	assert_int_equal(memattr_combined_get(f.store, memattr_vsm_layer_mask(f.v, 1), p5), 0);
	assert_int_equal(memattr_combined_get(f.store, memattr_vsm_layer_mask(f.v, 1), p6),
			 MEMATTR_READ | MEMATTR_WRITE);
	fx_fini(&f);
}

/* memattr_vsm_create() refuses every bad config, one row each; a good one starts at VTL 0. */
static void test_create_checks(void **state)
{
	struct memattr_config sc = { .layers = 3, .gpa_bits = 32 };
	struct memattr_store *s2, *s3, *s15, *s16, *smbec;
	static uint8_t mem[2 * PAGE];
	struct memattr_vsm_ram ok = { 0, PAGE, mem };
	struct memattr_vsm_ram overlap[2] = { { 0, 2 * PAGE, mem }, { PAGE, PAGE, mem } };
	struct memattr_vsm_ram unaligned = { 0x800, PAGE, mem };
	struct memattr_vsm_ram beyond = { 1ULL << 32, PAGE, mem };
	struct memattr_vsm_ram nohost = { 0, PAGE, NULL };
	struct memattr_vsm *v = NULL;

	(void)state;
	assert_int_equal(memattr_store_create(&sc, &s3), 0);
	sc.layers = 2;
	assert_int_equal(memattr_store_create(&sc, &s2), 0);
	sc.layers = 15;
	assert_int_equal(memattr_store_create(&sc, &s15), 0);
	sc.layers = 16;
	assert_int_equal(memattr_store_create(&sc, &s16), 0);
	sc.layers = 3;
	sc.flags = MEMATTR_F_MBEC;
	assert_int_equal(memattr_store_create(&sc, &smbec), 0);
	const struct memattr_vsm_config bad[] = {
		{ .store = NULL, .max_vtl = 1, .nvps = 1, .ram = &ok, .nram = 1 },
		{ .store = s3, .max_vtl = 0, .nvps = 1, .ram = &ok, .nram = 1 },
		{ .store = s16, .max_vtl = 16, .nvps = 1, .ram = &ok, .nram = 1 },
		/* fewer layers than VTLs with a mask */
		{ .store = s2, .max_vtl = 3, .nvps = 1, .ram = &ok, .nram = 1 },
		{ .store = s3, .max_vtl = 15, .nvps = 1, .ram = &ok, .nram = 1 },
		/* MBEC on a store that keeps no user-execute bit */
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &ok, .nram = 1, .mbec = true },
		/* HvRegisterVsmCodePageOffsets has 12 bits for each offset */
		{ .store = s3,
		  .max_vtl = 2,
		  .nvps = 1,
		  .ram = &ok,
		  .nram = 1,
		  .vtl_call_offset = 0x1000 },
		{ .store = s3,
		  .max_vtl = 2,
		  .nvps = 1,
		  .ram = &ok,
		  .nram = 1,
		  .vtl_return_offset = 0xffff },
		{ .store = s3, .max_vtl = 2, .nvps = 0, .ram = &ok, .nram = 1 },
		{ .store = s3, .max_vtl = 2, .nvps = 4097, .ram = &ok, .nram = 1 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = NULL, .nram = 1 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &ok, .nram = 0 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = overlap, .nram = 2 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &unaligned, .nram = 1 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &beyond, .nram = 1 },
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &nohost, .nram = 1 },
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		v = NULL;
		assert_int_equal(memattr_vsm_create(&bad[i], &v), -EINVAL);
		assert_null(v);
	}
	assert_int_equal(memattr_vsm_create(NULL, &v), -EINVAL);
	/* Good: more layers than needed, exactly 15, MBEC on an MBEC store, the largest offsets. */
	const struct memattr_vsm_config good[] = {
		{ .store = s3, .max_vtl = 2, .nvps = 1, .ram = &ok, .nram = 1 },
		{ .store = s15, .max_vtl = 15, .nvps = 1, .ram = &ok, .nram = 1 },
		{ .store = s3, .max_vtl = 1, .nvps = 4096, .ram = &ok, .nram = 1 },
		{ .store = smbec, .max_vtl = 3, .nvps = 1, .ram = &ok, .nram = 1, .mbec = true },
		{ .store = s3,
		  .max_vtl = 1,
		  .nvps = 1,
		  .ram = &ok,
		  .nram = 1,
		  .vtl_call_offset = 0xfff,
		  .vtl_return_offset = 0xfff },
	};
	for (size_t i = 0; i < NELEM(good); i++) {
		assert_int_equal(memattr_vsm_create(&good[i], NULL), -EINVAL);
		assert_int_equal(memattr_vsm_create(&good[i], &v), 0);
		assert_int_equal(memattr_vsm_partition_vtls(v), 1);
		assert_int_equal(memattr_vsm_vp_vtls(v, 0), 1);
		assert_int_equal(memattr_vsm_vp_vtl(v, 0), 0);
		memattr_vsm_destroy(v);
	}
	memattr_vsm_destroy(NULL);
	memattr_store_destroy(s2);
	memattr_store_destroy(s3);
	memattr_store_destroy(s15);
	memattr_store_destroy(s16);
	memattr_store_destroy(smbec);
}

/* ---- the hypercall input value and placement ---- */

/* TLFS "Hypercall Inputs": every malformed input value, one status each. */
static void test_control_word(void **state)
{
	const struct {
		uint64_t control;
		unsigned int status;
	} cases[] = {
		{ 0x0001, S_CODE }, /* not a VSM call */
		{ 0x0010, S_CODE }, /* DisableVpVtl: not implemented */
		{ 0xffff, S_CODE },
		{ HC_EPV | (1ULL << 27), S_INPUT },		       /* RsvdZ 30:27 */
		{ HC_EPV | (1ULL << 31), S_INPUT },		       /* nested bit */
		{ HC_EPV | (1ULL << 44), S_INPUT },		       /* RsvdZ 47:44 */
		{ HC_EPV | (1ULL << 63), S_INPUT },		       /* RsvdZ 63:60 */
		{ HC_EPV | (1ULL << 17), S_INPUT },		       /* variable header */
		{ control_of(HC_EVV, 1, 0), S_INPUT },		       /* rep count, simple call */
		{ control_of(HC_EPV, 0, 1), S_INPUT },		       /* rep start, simple call */
		{ control_of(HC_MODIFY, 0, 0), S_INPUT },	       /* rep call, no reps */
		{ control_of(HC_MODIFY, 2, 2), S_INPUT },	       /* start == count */
		{ control_of(HC_MODIFY, 2, 3), S_INPUT },	       /* start > count */
		{ control_of(HC_MODIFY, 1, 0) | 1ULL << 16, S_INPUT }, /* fast rep */
		{ control_of(HC_GET, 0, 0), S_INPUT },
		{ control_of(HC_SET, 1, 0) | 1ULL << 16, S_INPUT },
		{ control_of(HC_SET, 200, 0), S_ALIGN }, /* 16 + 32 * 200 */
		{ HC_EVV | 1ULL << 16, S_INPUT },	 /* fast, 240 bytes of input */
	};
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	for (size_t i = 0; i < NELEM(cases); i++) {
		uint64_t r = memattr_vsm_hypercall(f.v, 0, cases[i].control, INPUT_GPA(0), 0);

		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(REPS(r), 0);
		assert_int_equal(r >> 16 & 0xffff, 0);
	}
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 2, HC_CALL, 0, 0)), S_VPINDEX);
	assert_int_equal(ST(memattr_vsm_hypercall(NULL, 0, HC_CALL, 0, 0)), S_VPINDEX);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 1);
	fx_fini(&f);
}

/* TLFS "Hypercall Inputs": 8-byte aligned, within one page, readable RAM. */
static void test_input_placement(void **state)
{
	struct fx f;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	in = fx_host(&f, PAGE);
	tlfs_put(in + 4, SELF, 8);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, PAGE + 4, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 2 * PAGE - 8, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 64 * PAGE, 0)), S_PARAM);
	/* Beyond the 40-bit GPA space. */
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 1ULL << 40, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, ~7ULL, 0)), S_ALIGN);
	assert_int_equal(
		ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, 2 * PAGE - sizeof(evv_in_t) + 8, 0)),
		S_ALIGN);
	/* The fast form of EnablePartitionVtl: 16 bytes in RDX and R8. */
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV | 1ULL << 16, SELF, 1)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 3);
	fx_fini(&f);
}

/* TLFS "Legal Hypercall Environments": any hypercall from CPL > 0 or real mode is #UD. */
static void test_legal_environment(void **state)
{
	struct memattr_vsm_vp_regs *r;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	r = memattr_vsm_vp_regs(f.v, 0, 0);
	r->cs.selector = 0x2b;
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), UD);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, 0x99, 0, 0), UD);
	r->cs.selector = 0x10;
	r->cr0 = 0x10;
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), UD);
	r->cr0 = 0x11;
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 1);
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), 0);
	fx_fini(&f);
}

/* ---- VTL enablement ---- */

/*
 * TLFS HvCallEnablePartitionVtl: input fields and the two launch rules.  A
 * VTL already enabled (VTL 0 always is) answers INVALID_VTL_STATE, as
 * microsoft/openvmm, openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * enable_partition_vtl() does.
 */
static void test_enable_partition_vtl(void **state)
{
	struct fx f;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 2, 64, 0, false), 0);
	in = fx_epv_input(&f, 0, 1, 0);
	TLFS_PUT(in, epv_in_t, partition_id, 7);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, INPUT_GPA(0), 0)), S_PART);
	in = fx_epv_input(&f, 0, 1, 0);
	TLFS_PUT(in, epv_in_t, reserved, 1ULL << 40);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, INPUT_GPA(0), 0)), S_PARAM);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 2)), S_PARAM); /* reserved flag */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 1)), S_PARAM); /* no MBEC here */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 4, 0)), S_PARAM); /* > max_vtl */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 0, 0)), S_VTLSTATE);
	/* VTL 0 is the highest enabled below 2: it may launch 2 directly. */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 2, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 2, 0)), S_OK);
	/* Now 2 is the highest below 3, so VTL 0 may not launch 3; it may launch 1. */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 3, 0)), S_DENIED);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_VTLSTATE);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 1, 2, 0)), S_VTLSTATE);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0x7);
	/* VTL 2, running, launches 3 (calls go through 1: no VTL is skipped). */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 3, 0)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0xf);
	fx_fini(&f);
}

/* memattr_vsm_enable_partition_vtl(): the hypercall's rules, for a VMM that sets up VTLs itself. */
static void test_enable_partition_vtl_api(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	assert_int_equal(memattr_vsm_enable_partition_vtl(NULL, 0, 1, false), S_VPINDEX);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 2, 1, false), S_VPINDEX);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 3, false), S_PARAM);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 1, true), S_PARAM);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 0, false), S_VTLSTATE);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 2, false), S_OK);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 2, false), S_VTLSTATE);
	/* VP 1, at VTL 0, launches VTL 1: lower than 2, always allowed. */
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 1, 1, false), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0x7);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 0), 1);
	fx_fini(&f);

	/* With MBEC offered, EnableMbec is taken per VTL. */
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, true), 0);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 2, false), S_OK);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 1, true), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0x7);
	fx_fini(&f);
}

/*
 * TLFS HvCallEnableVpVtl: partition first, launch rules, once per VP, the
 * context.  VTL 0 is not a VTL to enable (INVALID_PARAMETER); a second enable
 * answers VTL_ALREADY_ENABLED, as microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs, enable_vp_vtl()
 * does and Linux, arch/x86/hyperv/hv_vtl.c, hv_vtl_bringup_vcpu() takes as
 * success; VpIndex HV_VP_INDEX_SELF names the calling VP (hv_vtl.c uses it).
 */
static void test_enable_vp_vtl(void **state)
{
	const uint32_t self = MEMATTR_HV_VP_INDEX_SELF;
	struct fx f;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 3, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_VTLSTATE); /* not for partition */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 3, 1, 0)), S_VPINDEX);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, self - 1, 1, 0)), S_VPINDEX);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 3, 0)), S_PARAM);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 0, 0)), S_PARAM);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, self, 0, 0)), S_PARAM);
	in = fx_evv_input(&f, 0, 0, 1, 0);
	TLFS_PUT(in, evv_in_t, reserved, 1);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, INPUT_GPA(0), 0)), S_PARAM);
	in = fx_evv_input(&f, 0, 0, 1, 0);
	TLFS_PUT(in, evv_in_t, partition_id, 0);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, INPUT_GPA(0), 0)), S_PART);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 0), 1);
	/* First enable of VTL 1, on the calling VP by HV_VP_INDEX_SELF. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, self, 1, 0xfeed)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 0), 3);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 1), 1);
	/* Again, by index or by SELF: VTL_ALREADY_ENABLED, nothing changed. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_ALREADY);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, self, 1, 0)), S_ALREADY);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 0, 1)->rip, 0xfeed);
	/* Once enabled on a VP, only VTL 1 or above may enable it elsewhere. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 1, self, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_vtl_call(&f, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 0, 1)->rip, 0xfeed);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 1, 0xbeef)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 1, 0)), S_ALREADY);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 1, 1)->rip, 0xbeef);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 1), 3);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 2), 1);
	assert_null(memattr_vsm_vp_regs(f.v, 3, 0));
	assert_null(memattr_vsm_vp_regs(f.v, 0, 3));
	assert_null(memattr_vsm_vp_regs(NULL, 0, 0));
	fx_fini(&f);
}

/*
 * memattr_vsm_enable_vp_vtl(): the hypercall's rules; the context sets the
 * registers HV_INITIAL_VP_CONTEXT holds and nothing else, NULL all zero.
 */
static void test_enable_vp_vtl_api(void **state)
{
	const uint32_t self = MEMATTR_HV_VP_INDEX_SELF;
	struct memattr_vsm_vp_regs ctx, *r;
	struct fx f;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	ctx.rip = 0x1111;
	ctx.gpr[MEMATTR_RSP] = 0x2222;
	ctx.rflags = 0x2;
	ctx.cs.selector = 0x10;
	ctx.tr.base = 0x7000;
	ctx.ldtr.limit = 0xff;
	ctx.gdtr_base = 0x5000;
	ctx.idtr_limit = 0xfff;
	ctx.efer = 0xd01;
	ctx.cr0 = 0x80000011;
	ctx.cr3 = 0x3000;
	ctx.cr4 = 0x20;
	ctx.pat = 0x7040600070406ULL;
	/* Not part of HV_INITIAL_VP_CONTEXT: */
	ctx.gpr[MEMATTR_RAX] = 0x3333;
	ctx.cr2 = 0x44;
	ctx.dr[0] = 0x55;
	ctx.lstar = 0x66;
	ctx.xmm[0][0] = 0x77;

	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	assert_int_equal(memattr_vsm_enable_vp_vtl(NULL, 0, 0, 1, NULL), S_VPINDEX);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 2, 0, 1, NULL), S_VPINDEX);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 0, 0, 1, NULL), S_VTLSTATE);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 1, false), S_OK);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 0, 0, 0, NULL), S_PARAM);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 0, 0, 3, NULL), S_PARAM);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 0, 2, 1, NULL), S_VPINDEX);
	/* VP 1 enables VTL 1 on itself. */
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 1, self, 1, &ctx), S_OK);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 1), 3);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 1, self, 1, &ctx), S_ALREADY);
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 1, 1, 1, NULL), S_ALREADY);
	r = memattr_vsm_vp_regs(f.v, 1, 1);
	assert_int_equal(r->rip, 0x1111);
	assert_int_equal(r->gpr[MEMATTR_RSP], 0x2222);
	assert_int_equal(r->rflags, 0x2);
	assert_int_equal(r->cs.selector, 0x10);
	assert_int_equal(r->tr.base, 0x7000);
	assert_int_equal(r->ldtr.limit, 0xff);
	assert_int_equal(r->gdtr_base, 0x5000);
	assert_int_equal(r->idtr_limit, 0xfff);
	assert_int_equal(r->efer, 0xd01);
	assert_int_equal(r->cr0, 0x80000011);
	assert_int_equal(r->cr3, 0x3000);
	assert_int_equal(r->cr4, 0x20);
	assert_int_equal(r->pat, 0x7040600070406ULL);
	assert_int_equal(r->gpr[MEMATTR_RAX], 0);
	assert_int_equal(r->cr2, 0);
	assert_int_equal(r->dr[0], 0);
	assert_int_equal(r->lstar, 0);
	assert_int_equal(r->xmm[0][0], 0);
	/* VTL 1 is on a VP now: VP 0's VTL 0 may no longer enable it; VTL 1 on VP 1 may. */
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 0, self, 1, NULL), S_DENIED);
	fx_go(&f, 1, 1);
	memattr_vsm_vp_regs(f.v, 0, 1)->rip = 0xdead;
	assert_int_equal(memattr_vsm_enable_vp_vtl(f.v, 1, 0, 1, NULL), S_OK);
	r = memattr_vsm_vp_regs(f.v, 0, 1);
	assert_int_equal(r->rip, 0);
	assert_int_equal(r->cr0, 0);
	assert_int_equal(r->cs.selector, 0);
	fx_fini(&f);
}

/* The initial context's fields land where HV_INITIAL_VP_CONTEXT puts them. */
static void test_initial_context(void **state)
{
	struct memattr_vsm_vp_regs *r;
	struct fx f;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	memattr_vsm_vp_regs(f.v, 0, 1)->gpr[MEMATTR_RAX] = 7; /* the context sets everything */
	in = fx_evv_input(&f, 0, 0, 1, 0x1111);
	TLFS_PUT(in, evv_in_t, context.rsp, 0x2222);
	TLFS_PUT(in, evv_in_t, context.rflags, 0x2);
	TLFS_PUT(in, evv_in_t, context.ss.selector, 0x18);
	TLFS_PUT(in, evv_in_t, context.tr.base, 0x7000);
	TLFS_PUT(in, evv_in_t, context.ldtr.attributes, 0x82);
	TLFS_PUT(in, evv_in_t, context.idtr.limit, 0xfff);
	TLFS_PUT(in, evv_in_t, context.gdtr.base, 0x5000);
	TLFS_PUT(in, evv_in_t, context.efer, 0xd01);
	TLFS_PUT(in, evv_in_t, context.cr3, 0x3000);
	TLFS_PUT(in, evv_in_t, context.cr4, 0x20);
	TLFS_PUT(in, evv_in_t, context.msr_cr_pat, 0x7040600070406ULL);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, INPUT_GPA(0), 0)), S_OK);
	r = memattr_vsm_vp_regs(f.v, 0, 1);
	assert_int_equal(r->rip, 0x1111);
	assert_int_equal(r->gpr[MEMATTR_RSP], 0x2222);
	assert_int_equal(r->gpr[MEMATTR_RAX], 0);
	assert_int_equal(r->rflags, 2);
	assert_int_equal(r->cs.selector, 0x10);
	assert_int_equal(r->ss.selector, 0x18);
	assert_int_equal(r->tr.base, 0x7000);
	assert_int_equal(r->ldtr.attributes, 0x82);
	assert_int_equal(r->idtr_limit, 0xfff);
	assert_int_equal(r->gdtr_base, 0x5000);
	assert_int_equal(r->efer, 0xd01);
	assert_int_equal(r->cr0, 0x80000011);
	assert_int_equal(r->cr3, 0x3000);
	assert_int_equal(r->cr4, 0x20);
	assert_int_equal(r->pat, 0x7040600070406ULL);
	fx_fini(&f);
}

/* ---- VTL call and return ---- */

/* TLFS VSM "Virtual Processor State": shared registers cross, private stay. */
static void test_vtl_call_return_regs(void **state)
{
	struct memattr_vsm_vp_regs *r0, *r1;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	r0 = memattr_vsm_vp_regs(f.v, 0, 0);
	r1 = memattr_vsm_vp_regs(f.v, 0, 1);
	for (int i = 1; i < 16; i++)
		r0->gpr[i] = 100 + i;
	r0->rip = 0xaaaa;
	r0->cr2 = 0xc2;
	r0->cr3 = 0xc3;
	r0->dr[1] = 0xd1;
	r0->xmm[3][0] = 0x33;
	r1->rip = 0xbbbb;
	r1->gpr[MEMATTR_RSP] = 0x5555;
	assert_int_equal(ST(fx_vtl_call(&f, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(r1->gpr[MEMATTR_RAX], 0);
	assert_int_equal(r1->gpr[MEMATTR_RCX], 101);
	assert_int_equal(r1->gpr[MEMATTR_R15], 115);
	assert_int_equal(r1->gpr[MEMATTR_RSP], 0x5555); /* private */
	assert_int_equal(r1->rip, 0xbbbb);		/* private */
	assert_int_equal(r1->cr3, 0);			/* private */
	assert_int_equal(r1->cr2, 0xc2);
	assert_int_equal(r1->dr[1], 0xd1);
	assert_int_equal(r1->xmm[3][0], 0x33);
	/* VTL 1 is the top: no call further up. */
	assert_int_equal(fx_vtl_call(&f, 0), UD);
	r1->gpr[MEMATTR_RDX] = 0x42;
	assert_int_equal(ST(fx_vtl_return(&f, 0, true)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	assert_int_equal(r0->gpr[MEMATTR_RDX], 0x42);
	assert_int_equal(r0->rip, 0xaaaa);
	fx_fini(&f);
}

/* A call skips VTLs not enabled on the VP; the return goes back to the caller. */
static void test_vtl_call_skips(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 2, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 2, 0)), S_OK);
	assert_int_equal(ST(fx_vtl_call(&f, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 2);
	assert_int_equal(ST(fx_vtl_return(&f, 0, false)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	fx_fini(&f);
}

/*
 * TLFS VSM "VTL Call Restrictions" and "VTL Return": the failures are #UD,
 * not a status, and leave the VP where it was.
 */
static void test_vtl_switch_ud(void **state)
{
	struct memattr_vsm_vp_regs *r0;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 1, 64, 0, false), 0);
	r0 = memattr_vsm_vp_regs(f.v, 0, 0);
	assert_int_equal(fx_vtl_return(&f, 0, false), UD); /* lowest VTL */
	assert_int_equal(fx_vtl_return(&f, 0, true), UD);
	assert_int_equal(fx_vtl_call(&f, 0), UD); /* none higher */
	/* VTLs 1 and 3 for the partition, only 3 on the VP: a call may not skip 1. */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 3, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 3, 0)), S_OK);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(fx_vtl_call(&f, 0), UD);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	/* User mode, real mode. */
	r0->cs.selector = 0x33;
	assert_int_equal(fx_vtl_call(&f, 0), UD);
	r0->cs.selector = 0x10;
	r0->cr0 = 0;
	assert_int_equal(fx_vtl_call(&f, 0), UD);
	r0->cr0 = 0x80000011;
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	/* 0 -> 1 (the next VTL enabled for the partition) -> 3, and back the same way. */
	assert_int_equal(fx_vtl_call(&f, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(fx_vtl_call(&f, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 3);
	memattr_vsm_vp_regs(f.v, 0, 3)->cs.selector = 3;
	assert_int_equal(fx_vtl_return(&f, 0, false), UD);
	memattr_vsm_vp_regs(f.v, 0, 3)->cs.selector = 0x10;
	assert_int_equal(fx_vtl_return(&f, 0, true), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(fx_vtl_return(&f, 0, false), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	fx_fini(&f);
}

/*
 * VtlCall's control word is exactly the call code and its input (RAX) is 0;
 * anything else is #UD, as microsoft/openvmm, vm/hv1/hv1_hypercall/src/imp.rs,
 * HvVtlCall's dispatch() checks.
 */
static void test_vtl_call_input(void **state)
{
	const uint64_t bad_controls[] = {
		HC_CALL | MEMATTR_HV_CONTROL_FAST, HC_CALL | 1ULL << 17,      HC_CALL | 1ULL << 27,
		control_of(HC_CALL, 1, 0),	   control_of(HC_CALL, 0, 1), HC_CALL | 1ULL << 63,
	};
	static const uint64_t bad_rax[] = { 1, 2, 0x11, 1ULL << 63 };
	struct memattr_vsm_vp_regs *r0;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	r0 = memattr_vsm_vp_regs(f.v, 0, 0);
	for (size_t i = 0; i < NELEM(bad_controls); i++) {
		r0->gpr[MEMATTR_RAX] = 0;
		assert_int_equal(memattr_vsm_hypercall(f.v, 0, bad_controls[i], 0, 0), UD);
		assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	}
	for (size_t i = 0; i < NELEM(bad_rax); i++) {
		r0->gpr[MEMATTR_RAX] = bad_rax[i];
		assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), UD);
		assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	}
	r0->gpr[MEMATTR_RAX] = 0;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), MEMATTR_HV_VTL_ENTRY_VTL_CALL);
	fx_fini(&f);
}

/*
 * VtlReturn's control word is exactly the call code (its Fast bit too is
 * #UD); its input (RAX) is the fast-return flag in bit 0 and nothing else;
 * from VTL 0 it is #UD (microsoft/openvmm, vm/hv1/hv1_hypercall/src/imp.rs,
 * HvVtlReturn's dispatch()).
 */
static void test_vtl_return_input(void **state)
{
	const uint64_t bad_controls[] = {
		HC_RET | MEMATTR_HV_CONTROL_FAST, HC_RET | 1ULL << 17, HC_RET | 1ULL << 31,
		control_of(HC_RET, 1, 0),	  HC_RET | 1ULL << 63,
	};
	static const uint64_t bad_rax[] = { 2, 3, 0x100, 1ULL << 63 };
	struct memattr_vsm_vp_regs *r1;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	r1 = memattr_vsm_vp_regs(f.v, 0, 1);
	for (unsigned int fast = 0; fast < 2; fast++)
		for (size_t i = 0; i < NELEM(bad_controls); i++) {
			r1->gpr[MEMATTR_RAX] = fast;
			assert_int_equal(memattr_vsm_hypercall(f.v, 0, bad_controls[i], 0, 0), UD);
			assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
		}
	for (size_t i = 0; i < NELEM(bad_rax); i++) {
		r1->gpr[MEMATTR_RAX] = bad_rax[i];
		assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), UD);
		assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	}
	r1->gpr[MEMATTR_RAX] = 1;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	/* From VTL 0, fast or not. */
	for (uint64_t rax = 0; rax < 2; rax++) {
		memattr_vsm_vp_regs(f.v, 0, 0)->gpr[MEMATTR_RAX] = rax;
		assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), UD);
	}
	fx_fini(&f);
}

/*
 * A VtlReturn that is not fast gives the lower VTL RAX and RCX from the
 * returning VTL's HV_VP_VTL_CONTROL (vtl_return_rax/rcx); a fast one leaves
 * the shared registers as the returning VTL had them (microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs, vtl_return();
 * Linux, drivers/hv/mshv_vtl_main.c, mshv_vtl_return(), fills the fields
 * and returns with input 0, a normal return).
 */
static void test_vtl_return_registers(void **state)
{
	struct memattr_vsm_vp_regs *r0, *r1, *r2;
	struct memattr_vsm_vtl_control *c2;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	fx_enable_all(&f, 2, 1);
	r0 = memattr_vsm_vp_regs(f.v, 0, 0);
	r1 = memattr_vsm_vp_regs(f.v, 0, 1);
	r2 = memattr_vsm_vp_regs(f.v, 0, 2);
	c2 = memattr_vsm_vtl_control(f.v, 0, 2);
	assert_non_null(c2);
	c2->vtl_return_rax = 0x1111;
	c2->vtl_return_rcx = 0x2222;
	/* Not fast: RAX and RCX from VTL 2's control, the other shared registers from VTL 2. */
	fx_go(&f, 0, 2);
	r2->gpr[MEMATTR_RCX] = 0xc;
	r2->gpr[MEMATTR_RDX] = 0xd;
	assert_int_equal(fx_vtl_return(&f, 0, false), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(r1->gpr[MEMATTR_RAX], 0x1111);
	assert_int_equal(r1->gpr[MEMATTR_RCX], 0x2222);
	assert_int_equal(r1->gpr[MEMATTR_RDX], 0xd);
	/* Fast: RAX (the flag) and RCX as the returning VTL had them. */
	memattr_vsm_vtl_control(f.v, 0, 1)->vtl_return_rax = 0x3333;
	r1->gpr[MEMATTR_RCX] = 0xcc;
	assert_int_equal(fx_vtl_return(&f, 0, true), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	assert_int_equal(r0->gpr[MEMATTR_RAX], 1);
	assert_int_equal(r0->gpr[MEMATTR_RCX], 0xcc);
	assert_int_equal(r0->gpr[MEMATTR_RDX], 0xd);
	fx_fini(&f);
}

/* memattr_vsm_vtl_control(): one HV_VP_VTL_CONTROL per VP and VTL above 0. */
static void test_vtl_control(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	assert_null(memattr_vsm_vtl_control(NULL, 0, 1));
	assert_null(memattr_vsm_vtl_control(f.v, 0, 0));
	assert_null(memattr_vsm_vtl_control(f.v, 0, 3));
	assert_null(memattr_vsm_vtl_control(f.v, 2, 1));
	for (unsigned int vp = 0; vp < 2; vp++)
		for (unsigned int vtl = 1; vtl <= 2; vtl++) {
			struct memattr_vsm_vtl_control *c = memattr_vsm_vtl_control(f.v, vp, vtl);

			assert_non_null(c);
			assert_int_equal(c->entry_reason, 0);
			assert_int_equal(c->vtl_return_rax, 0);
			for (unsigned int u = 0; u < 2; u++)
				for (unsigned int w = 1; w <= 2; w++)
					if (u != vp || w != vtl)
						assert_ptr_not_equal(
							c, memattr_vsm_vtl_control(f.v, u, w));
		}
	/* The layout of the TLFS structure in the VP assist page. */
	assert_int_equal(offsetof(struct memattr_vsm_vtl_control, vtl_return_rax), 8);
	assert_int_equal(offsetof(struct memattr_vsm_vtl_control, vtl_return_rcx), 16);
	fx_fini(&f);
}

/* ---- ModifyVtlProtectionMask ---- */

/*
 * TLFS HvCallModifyVtlProtectionMask header validation, as a table: each
 * row changes one field of a good call from VTL 1 (VP 0), which names its
 * own mask by CURRENT_VTL or by UseTargetVtl.
 */
static void test_modify_validation(void **state)
{
	enum { PID, FLAGS, INVTL, RSVD };
	const struct {
		int field;
		uint64_t value;
		unsigned int status;
	} cases[] = {
		{ PID, 0, S_PART },
		{ PID, 1, S_PART },
		{ RSVD, 1, S_PARAM },
		{ RSVD, 0x10000, S_PARAM },
		{ INVTL, 0x20, S_PARAM }, /* reserved bits of HV_INPUT_VTL */
		{ INVTL, 0x80 | 0x11, S_PARAM },
		{ INVTL, CURRENT_VTL, S_OK },
		{ INVTL, IN_VTL(1), S_OK },
		{ INVTL, 0x01, S_OK },		/* TargetVtl without UseTargetVtl: ignored */
		{ INVTL, IN_VTL(0), S_PARAM },	/* VTL 0's mask limits no one */
		{ INVTL, IN_VTL(2), S_DENIED }, /* above the caller... */
		{ INVTL, IN_VTL(15), S_DENIED },
		{ FLAGS, F_W, S_PARAM }, /* write without read */
		{ FLAGS, 0x10, S_PARAM },
		{ FLAGS, F_R, S_OK },
	};
	uint64_t page = 40;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	for (size_t i = 0; i < NELEM(cases); i++) {
		uint8_t *in = fx_modify_input(&f, 0, CURRENT_VTL, F_R, &page, 1);
		uint64_t r;

		switch (cases[i].field) {
		case PID:
			TLFS_PUT(in, modify_in_t, partition_id, cases[i].value);
			break;
		case FLAGS:
			TLFS_PUT(in, modify_in_t, map_flags, cases[i].value);
			break;
		case INVTL:
			TLFS_PUT(in, modify_in_t, target_vtl, cases[i].value);
			break;
		default:
			TLFS_PUT(in, modify_in_t, reserved, cases[i].value);
		}
		r = memattr_vsm_hypercall(f.v, 0, control_of(HC_MODIFY, 1, 0), INPUT_GPA(0), 0);
		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(REPS(r), cases[i].status ? 0 : 1);
		assert_int_equal(fx_mask(&f, 1, page), cases[i].status ? 0 : MEMATTR_READ);
		memattr_set(f.store, 0, page, page + 1, 0, 0, &(uint64_t){ 0 });
	}
	/* VTL 0 has no mask: CURRENT_VTL from VTL 0 names VTL 0. */
	fx_go(&f, 0, 0);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), F_R, &page, 1, 0)), S_DENIED);
	fx_fini(&f);
}

/*
 * TargetVtl names the VTL whose mask is set, and that mask limits every VTL
 * below it (microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * modify_vtl_protection_mask()); without UseTargetVtl it is the caller's own
 * (CURRENT_VTL), the form guests use (microsoft/openvmm,
 * openhcl/openhcl_dma_manager/src/lib.rs, modify_vtl_page_setting();
 * microsoft/litebox, litebox_platform_lvbs/src/mshv/hvcall_mm.rs,
 * hv_modify_vtl_protection_mask()).
 */
static void test_modify_names_mask(void **state)
{
	uint64_t p10 = 10, p11 = 11, p12 = 12, p13 = 13, p14 = 14;
	struct memattr_vsm_intercept ic;
	struct fx f;

	(void)state;
	/* VP k runs at VTL k. */
	assert_int_equal(fx_init(&f, 2, 3, 64, 0, false), 0);
	fx_enable_all(&f, 2, 3);
	fx_go(&f, 1, 1);
	fx_go(&f, 2, 2);
	/* VTL 1 by CURRENT_VTL and by naming VTL 1: VTL 0's pages, not its own nor VTL 2's. */
	assert_int_equal(ST(fx_protect(&f, 1, F_R, &p10, 1, 0)), S_OK);
	assert_int_equal(ST(fx_modify(&f, 1, IN_VTL(1), F_R | F_W, &p11, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, p10), MEMATTR_READ);
	assert_int_equal(fx_mask(&f, 1, p11), MEMATTR_READ | MEMATTR_WRITE);
	assert_int_equal(fx_mask(&f, 2, p10), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, p10 * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 1);
	assert_int_equal(memattr_vsm_check(f.v, 0, p11 * PAGE, WR, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, p11 * PAGE, KX, &ic), 1);
	for (unsigned int vp = 1; vp <= 2; vp++)
		for (unsigned int a = RD; a <= UX; a++)
			assert_int_equal(memattr_vsm_check(f.v, vp, p10 * PAGE, a, &ic), 0);
	/* VTL 2 by CURRENT_VTL and by naming VTL 2: VTL 1's and VTL 0's pages. */
	assert_int_equal(ST(fx_protect(&f, 2, F_R, &p12, 1, 0)), S_OK);
	assert_int_equal(ST(fx_modify(&f, 2, IN_VTL(2), 0, &p13, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 2, p12), MEMATTR_READ);
	assert_int_equal(fx_mask(&f, 2, p13), MEMATTR_NO_ACCESS);
	for (unsigned int vp = 0; vp <= 1; vp++) {
		assert_int_equal(memattr_vsm_check(f.v, vp, p12 * PAGE, RD, &ic), 0);
		assert_int_equal(memattr_vsm_check(f.v, vp, p12 * PAGE, WR, &ic), 1);
		assert_int_equal(ic.target_vtl, 2);
		assert_int_equal(ic.vp_vtl, vp);
		assert_int_equal(memattr_vsm_check(f.v, vp, p13 * PAGE, RD, &ic), 1);
		assert_int_equal(ic.target_vtl, 2);
	}
	assert_int_equal(memattr_vsm_check(f.v, 2, p13 * PAGE, RD, &ic), 0);
	/* VTL 2 naming VTL 1: VTL 1's mask, which limits VTL 0 only. */
	assert_int_equal(ST(fx_modify(&f, 2, IN_VTL(1), 0, &p14, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, p14), MEMATTR_NO_ACCESS);
	assert_int_equal(fx_mask(&f, 2, p14), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, p14 * PAGE, RD, &ic), 1);
	assert_int_equal(ic.target_vtl, 1);
	assert_int_equal(memattr_vsm_check(f.v, 1, p14 * PAGE, RD, &ic), 0);
	fx_fini(&f);
}

/*
 * Whose mask a VTL may set (microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * modify_vtl_protection_mask()): not a higher VTL's (ACCESS_DENIED), not
 * VTL 0's (INVALID_PARAMETER), not one not enabled (INVALID_VTL_STATE); its
 * own only once it set EnableVtlProtection ("A VTL cannot change its own VTL
 * permissions until it has enabled VTL protection ... Higher VTLs are not
 * under this restriction": ACCESS_DENIED), while a higher VTL may set a
 * lower one's before.
 */
static void test_modify_who(void **state)
{
	uint64_t page = 20;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 1, 64, 0, false), 0);
	/* VTL 2 only, entered straight from VTL 0. */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 2, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 2, 0)), S_OK);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(2), F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), F_R, &page, 1, 0)), S_VTLSTATE);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(3), F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(15), F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(0), F_R, &page, 1, 0)), S_PARAM);
	/* VTL 1 enabled for the partition: VTL 2 sets its mask, before either enabled protection.
	 */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), F_R, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_READ);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(fx_mask(&f, 2, page), 0);
	assert_int_equal(fx_protection_on(&f, 0), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 2, page), MEMATTR_READ | MEMATTR_WRITE);
	/* VTL 1, running: its own mask waits for its EnableVtlProtection; VTL 2's is not its. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), 0, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(2), 0, &page, 1, 0)), S_DENIED);
	/*
	 * Its EnableVtlProtection with the full-access default keeps what VTL 2
	 * set there (hardware_cvm set_vsm_partition_config() applies a default
	 * only when it differs from the one in force, full access at first).
	 */
	assert_int_equal(fx_protection_on(&f, 0), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_READ);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_NO_ACCESS);
	assert_int_equal(fx_mask(&f, 2, page), MEMATTR_READ | MEMATTR_WRITE);
	fx_fini(&f);
}

/* memattr_vsm_protect(): the same rules without the decoding, and its own argument checks. */
static void test_protect_api(void **state)
{
	uint64_t pages[2] = { 20, 21 };
	size_t done = 99;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	assert_int_equal(memattr_vsm_protect(NULL, 1, 1, F_R, pages, 2, &done), S_PARAM);
	assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, pages, 2, NULL), S_PARAM);
	assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, NULL, 2, &done), S_PARAM);
	/* The caller must be enabled (only VTL 0 is). */
	assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, pages, 2, &done), S_VTLSTATE);
	assert_int_equal(done, 0);
	assert_int_equal(memattr_vsm_protect(f.v, 3, 1, F_R, pages, 2, &done), S_VTLSTATE);
	assert_int_equal(memattr_vsm_protect(f.v, 0, 0, F_R, pages, 2, &done), S_PARAM);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 2, false), S_OK);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 2, F_R, pages, 2, &done), S_DENIED);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 1, F_R, pages, 2, &done), S_VTLSTATE);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 0, F_R, pages, 2, &done), S_PARAM);
	assert_int_equal(memattr_vsm_protect(f.v, 0, 2, F_R, pages, 2, &done), S_DENIED);
	assert_int_equal(memattr_vsm_enable_partition_vtl(f.v, 0, 1, false), S_OK);
	assert_int_equal(memattr_vsm_protect(f.v, 1, 2, F_R, pages, 2, &done), S_DENIED);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 1, F_R, pages, 2, &done), S_OK);
	assert_int_equal(done, 2);
	assert_int_equal(fx_mask(&f, 1, 21), MEMATTR_READ);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 1, F_W, pages, 2, &done), S_PARAM);
	assert_int_equal(memattr_vsm_protect(f.v, 2, 1, F_R, NULL, 0, &done), S_OK);
	assert_int_equal(done, 0);
	/* A non-RAM page ends the valid prefix, which is applied. */
	pages[1] = 64;
	assert_int_equal(memattr_vsm_protect(f.v, 2, 1, 0, pages, 2, &done), S_PARAM);
	assert_int_equal(done, 1);
	assert_int_equal(fx_mask(&f, 1, 20), MEMATTR_NO_ACCESS);
	assert_int_equal(fx_mask(&f, 1, 64), 0);
	fx_fini(&f);
}

/* Rep semantics: the start index is honoured; a non-RAM page stops the list there. */
static void test_modify_reps(void **state)
{
	uint64_t pages[6] = { 10, 11, 12, (1ULL << 30) / PAGE + 8, 20, 21 };
	uint64_t many[511];
	struct fx f;
	uint64_t r;

	(void)state;
	/* RAM: pages [0, 64) and [1 GiB, 1 GiB + 4 pages): page 3 of the list is a hole. */
	assert_int_equal(fx_init(&f, 1, 1, 64, 4, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	r = fx_protect(&f, 0, F_R, pages, 6, 1);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 3);
	assert_int_equal(fx_mask(&f, 1, 10), 0); /* before the start index */
	assert_int_equal(fx_mask(&f, 1, 11), MEMATTR_READ);
	assert_int_equal(fx_mask(&f, 1, 12), MEMATTR_READ);
	assert_int_equal(fx_mask(&f, 1, 20), 0); /* after the bad rep */
	assert_int_equal(fx_mask(&f, 1, 21), 0);
	/* The failed rep changes nothing: the hole's own page and the one after it. */
	assert_int_equal(fx_mask(&f, 1, pages[3]), 0);
	assert_int_equal(fx_mask(&f, 1, pages[3] + 1), 0);
	/* The guest resumes past the bad rep with the reps-completed protocol. */
	r = fx_protect(&f, 0, F_R, pages, 6, 4);
	assert_int_equal(ST(r), S_OK);
	assert_int_equal(REPS(r), 6);
	assert_int_equal(fx_mask(&f, 1, 21), MEMATTR_READ);
	/* A first rep out of RAM: nothing done; pages beyond 40 bits too. */
	pages[0] = 64;
	r = fx_protect(&f, 0, F_R, pages, 1, 0);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 0);
	pages[0] = ~0ULL;
	assert_int_equal(ST(fx_protect(&f, 0, F_R, pages, 1, 0)), S_PARAM);
	/* Header errors report the start index as completed: nothing new done. */
	r = fx_protect(&f, 0, F_W, pages, 6, 2);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 2);
	/* 510 reps fill the page; 511 cross it. */
	for (int i = 0; i < 511; i++)
		many[i] = (uint64_t)(i % 60);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W, many, 510, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W, many, 511, 0)), S_ALIGN);
	/* Duplicates are fine. */
	assert_int_equal(fx_mask(&f, 1, 59), MEMATTR_READ | MEMATTR_WRITE);
	fx_fini(&f);
}

/* One row of a MapFlags table: the flags, the status, the store value on success. */
struct flags_case {
	uint32_t flags;
	unsigned int status;
	int value;
};

/* VP 0, at VTL 1 with its protection on, sets its mask at one page per row. */
static void flags_table(struct fx *f, const struct flags_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t page = 30, r;

		memattr_set(f->store, 0, page, page + 1, MEMATTR_READ, 0, &(uint64_t){ 0 });
		r = fx_protect(f, 0, cases[i].flags, &page, 1, 0);
		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(fx_mask(f, 1, page),
				 cases[i].status ? (int)MEMATTR_READ : cases[i].value);
	}
}

/*
 * MapFlags without MBEC (TLFS VSM "Memory Access Protections" and "Mode
 * Based Execute Control": "If MBEC is disabled, [UMX] is ignored"): the
 * execute bit covers both modes, HV_MAP_GPA_PERMISSIONS_ALL (0xF) is full
 * access, stored as "no restriction".  Write or execute without read (user
 * execute alone included, which OpenVMM refuses too) and unknown bits are
 * INVALID_PARAMETER as the TLFS page says (microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * modify_vtl_protection_mask(), answers INVALID_REGISTER_VALUE instead, and
 * openhcl/virt_mshv_vtl/src/lib.rs, validate_vtl_gpa_flags(), refuses KX
 * and UX that differ when MBEC is off, where R|KX and R|UX are taken here:
 * both differences).
 */
static void test_map_flags(void **state)
{
	const struct flags_case plain[] = {
		{ 0, S_OK, MEMATTR_NO_ACCESS },
		{ F_R, S_OK, MEMATTR_READ },
		{ F_R | F_W, S_OK, MEMATTR_READ | MEMATTR_WRITE },
		{ F_R | F_KX, S_OK, MEMATTR_READ | MEMATTR_EXECUTE },
		{ F_R | F_W | F_KX, S_OK, 0 },
		{ F_ALL, S_OK, 0 },
		{ F_R | F_KX | F_UX, S_OK, MEMATTR_READ | MEMATTR_EXECUTE },
		{ F_R | F_UX, S_OK, MEMATTR_READ },
		{ F_R | F_W | F_UX, S_OK, MEMATTR_READ | MEMATTR_WRITE },
		{ F_UX, S_PARAM, 0 }, /* a right without read, ignored or not */
		{ F_W, S_PARAM, 0 },
		{ F_KX, S_PARAM, 0 },
		{ F_W | F_KX, S_PARAM, 0 },
		{ F_W | F_UX, S_PARAM, 0 },
		{ F_KX | F_UX, S_PARAM, 0 },
		{ 0x10, S_PARAM, 0 },
		{ F_R | 0x20, S_PARAM, 0 },
		{ 0x80000000, S_PARAM, 0 },
	};
	/* An MBEC store, a VTL without EnableMbec: one execute bit sets both. */
	const struct flags_case mbec_store[] = {
		{ F_R | F_KX, S_OK, MEMATTR_READ | MEMATTR_EXECUTE | MEMATTR_USER_EXECUTE },
		{ F_R | F_KX | F_UX, S_OK, MEMATTR_READ | MEMATTR_EXECUTE | MEMATTR_USER_EXECUTE },
		{ F_R | F_UX, S_OK, MEMATTR_READ },
		{ F_ALL, S_OK, 0 },
		{ F_R | F_W | F_KX, S_OK, 0 },
	};
	struct memattr_vsm_intercept ic;
	uint64_t page = 30;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	flags_table(&f, plain, NELEM(plain));
	/* R|UX is read-only for both modes; R|KX|UX executes in both. */
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 1);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_KX | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	fx_fini(&f);

	assert_int_equal(fx_init(&f, 1, 1, 64, 0, true), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	flags_table(&f, mbec_store, NELEM(mbec_store));
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_KX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	fx_fini(&f);
}

/*
 * MBEC (TLFS VSM "Mode Based Execute Control"), enabled per VTL by
 * EnablePartitionVtl: user and kernel execute split, KMX without UMX
 * (undefined in the TLFS) refused, in the mask and in the default mask.
 */
static void test_mbec(void **state)
{
	const struct flags_case mbec[] = {
		{ 0, S_OK, MEMATTR_NO_ACCESS },
		{ F_R | F_UX, S_OK, MEMATTR_READ | MEMATTR_USER_EXECUTE },
		{ F_R | F_W | F_UX, S_OK, MEMATTR_READ | MEMATTR_WRITE | MEMATTR_USER_EXECUTE },
		{ F_R | F_KX | F_UX, S_OK, MEMATTR_READ | MEMATTR_EXECUTE | MEMATTR_USER_EXECUTE },
		{ F_ALL, S_OK, 0 },
		{ F_R | F_KX, S_PARAM, 0 },
		{ F_R | F_W | F_KX, S_PARAM, 0 },
		{ F_UX, S_PARAM, 0 },
		{ F_W | F_UX, S_PARAM, 0 },
	};
	struct memattr_vsm_intercept ic;
	uint64_t page = 35;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, true), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 1)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	fx_go(&f, 0, 1);
	/* A default mask with KX but not UX is refused too. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W | F_KX)),
			 S_REGVALUE);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_ALL)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), 0);
	flags_table(&f, mbec, NELEM(mbec));
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_KX | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	fx_fini(&f);
}

/*
 * MBEC belongs to the VTL whose mask is set (EnablePartitionVtl's EnableMbec
 * of that VTL, TLFS VSM "Mode Based Execute Control"), not to the caller:
 * VTL 2 with MBEC sets VTL 1's mask, VTL 1 without, by VTL 1's rules.
 */
static void test_mbec_per_mask_vtl(void **state)
{
	uint64_t page = 36;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, true), 0);
	fx_enable(&f, 2, 1, ~0U, 1U << 2);
	fx_go(&f, 0, 2);
	/* VTL 2's own mask: MBEC. */
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_KX, &page, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_UX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 2, page), MEMATTR_READ | MEMATTR_USER_EXECUTE);
	/* VTL 1's mask, set by VTL 2: no MBEC, UX ignored, KX covers both modes. */
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), F_R | F_UX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_READ);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(1), F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page),
			 MEMATTR_READ | MEMATTR_EXECUTE | MEMATTR_USER_EXECUTE);
	fx_fini(&f);
}

/* Full access is stored as "no restriction"; no access as NO_ACCESS; the mask is replaced. */
static void test_modify_values(void **state)
{
	uint64_t page = 30;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_READ | MEMATTR_EXECUTE);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), MEMATTR_NO_ACCESS);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 1, page), 0);
	fx_fini(&f);
}

/* ---- access checks and intercepts ---- */

/* Access checks against each kind of protection, and the intercept they raise. */
static void test_check_intercept(void **state)
{
	const struct {
		uint32_t flags;
		bool allowed[4]; /* read, write, kexec, uexec */
	} cases[] = {
		{ 0, { false, false, false, false } },
		{ F_R, { true, false, false, false } },
		{ F_R | F_W, { true, true, false, false } },
		{ F_R | F_KX, { true, false, true, true } },
		{ F_R | F_W | F_KX, { true, true, true, true } },
	};
	struct memattr_vsm_intercept ic;
	uint64_t page = 33;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 2, 64, 0, false), 0);
	fx_enable_all(&f, 1, 2);
	fx_go(&f, 0, 1);
	memattr_vsm_vp_regs(f.v, 1, 0)->rip = 0xffff800000001234ULL;
	for (size_t i = 0; i < NELEM(cases); i++) {
		assert_int_equal(ST(fx_protect(&f, 0, cases[i].flags, &page, 1, 0)), S_OK);
		for (int a = 0; a < 4; a++) {
			int ret = memattr_vsm_check(f.v, 1, page * PAGE + 8, a, &ic);

			assert_int_equal(ret, cases[i].allowed[a] ? 0 : 1);
			if (ret) {
				assert_int_equal(ic.target_vtl, 1);
				assert_int_equal(ic.vp, 1);
				assert_int_equal(ic.vp_vtl, 0);
				assert_int_equal(ic.gpa, page * PAGE + 8);
				assert_int_equal(ic.access, a);
				assert_int_equal(ic.access_type, a == 0 ? 0 : a == 1 ? 1 : 2);
				assert_int_equal(ic.rip, 0xffff800000001234ULL);
			}
			/* VTL 1 itself is not limited by its own mask. */
			assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, a, NULL), 0);
		}
	}
	assert_int_equal(memattr_vsm_check(f.v, 1, 64 * PAGE, RD, &ic), -EFAULT);
	assert_int_equal(memattr_vsm_check(f.v, 2, 0, RD, &ic), -EINVAL);
	assert_int_equal(memattr_vsm_check(f.v, 1, 0, 4, &ic), -EINVAL);
	assert_int_equal(memattr_vsm_check(NULL, 0, 0, RD, &ic), -EINVAL);
	fx_fini(&f);
}

/* The intercept, encoded as HV_X64_MEMORY_INTERCEPT_MESSAGE, field by field. */
static void test_intercept_message(void **state)
{
	typedef struct hv_memory_intercept_message msg_t;
	struct memattr_vsm_intercept ic;
	struct memattr_vsm_vp_regs *r;
	uint8_t msg[MEMATTR_VSM_INTERCEPT_MSG_SIZE];
	uint64_t page = 36;
	struct fx f;

	(void)state;
	assert_int_equal(sizeof(msg_t), MEMATTR_VSM_INTERCEPT_MSG_SIZE);
	assert_int_equal(fx_init(&f, 1, 2, 64, 0, false), 0);
	fx_enable_all(&f, 1, 2);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_OK);
	r = memattr_vsm_vp_regs(f.v, 1, 0);
	r->rip = 0x401000;
	r->rflags = 0x202;
	r->cs = (struct memattr_vsm_seg){
		.base = 0, .limit = 0xffffffff, .selector = 0x33, .attributes = 0xa0fb
	};
	r->cr0 = 0x80050033; /* PG, AM, WP, NE, ET, MP, PE */
	r->efer = 0xd01;     /* LMA, LME, SCE, NXE */
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE + 0x18, WR, &ic), 1);
	/* The check knows neither the instruction's length nor its bytes. */
	assert_int_equal(ic.insn_length, 0);
	assert_int_equal(ic.insn_count, 0);
	/*
	 * A VMM that fetched 16 bytes and decoded a 3-byte instruction: the
	 * length and the byte count are different fields.
	 */
	ic.insn_length = 3;
	ic.insn_count = 16;
	memcpy(ic.insn, "\x48\x89\x07\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\x90\xc3",
	       16); /* mov [rdi], rax; nops; ret */
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(TLFS_GET(msg, msg_t, header.vp_index), 1);
	/* InstructionLength 3:0, Cr8 7:4 zero. */
	assert_int_equal(TLFS_GET(msg, msg_t, header.instruction_length), 3);
	assert_int_equal(TLFS_GET(msg, msg_t, header.intercept_access_type), 1); /* write */
	/* ExecutionState: CPL 3, CR0.PE, CR0.AM, EFER.LMA, VTL 0. */
	assert_int_equal(TLFS_GET(msg, msg_t, header.execution_state),
			 3 | 1 << 2 | 1 << 3 | 1 << 4 | 0 << 7);
	assert_int_equal(TLFS_GET(msg, msg_t, header.cs.limit), 0xffffffff);
	assert_int_equal(TLFS_GET(msg, msg_t, header.cs.selector), 0x33);
	assert_int_equal(TLFS_GET(msg, msg_t, header.cs.attributes), 0xa0fb);
	assert_int_equal(TLFS_GET(msg, msg_t, header.rip), 0x401000);
	assert_int_equal(TLFS_GET(msg, msg_t, header.rflags), 0x202);
	assert_int_equal(TLFS_GET(msg, msg_t, cache_type), 6); /* write back */
	assert_int_equal(TLFS_GET(msg, msg_t, instruction_byte_count), 16);
	assert_int_equal(TLFS_GET(msg, msg_t, memory_access_info), 0); /* no GVA */
	assert_int_equal(TLFS_GET(msg, msg_t, guest_virtual_address), 0);
	assert_int_equal(TLFS_GET(msg, msg_t, guest_physical_address), page * PAGE + 0x18);
	assert_memory_equal(msg + offsetof(msg_t, instruction_bytes), ic.insn, 16);
	/* Length unknown, 3 bytes fetched (the end of RAM, say): only those are copied. */
	ic.insn_length = 0;
	ic.insn_count = 3;
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(TLFS_GET(msg, msg_t, header.instruction_length), 0);
	assert_int_equal(TLFS_GET(msg, msg_t, instruction_byte_count), 3);
	assert_memory_equal(msg + offsetof(msg_t, instruction_bytes),
			    "\x48\x89\x07\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* The longest x86 instruction, 15 bytes, is a length; more is not (unknown, 0). */
	ic.insn_length = 15;
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(TLFS_GET(msg, msg_t, header.instruction_length), 15);
	ic.insn_length = 16;
	ic.insn_count = 200; /* no more bytes than InstructionBytes holds */
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(TLFS_GET(msg, msg_t, header.instruction_length), 0);
	assert_int_equal(TLFS_GET(msg, msg_t, instruction_byte_count), 16);
	/* An execute from VTL 0 on VP 0: access type EXECUTE, VTL field 0. */
	r->cs.selector = 0x10; /* VTL calls come from CPL 0 only */
	fx_go(&f, 1, 1);
	assert_int_equal(ST(fx_protect(&f, 1, F_R, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.execution_state >> 7 & 0xf, 0);
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE);
	fx_fini(&f);
}

/*
 * TLFS VSM "Memory Protection Hierarchy": VTL 0 obeys the masks of VTLs 1
 * and 2 (their intersection), VTL 1 obeys VTL 2's only.  When several masks
 * forbid an access, the intercept goes to the highest of them ("Memory
 * Access Violations" names a VTL whose protection was violated; the highest
 * is the one no lower VTL can overrule: a stated choice).
 */
static void test_check_two_owners(void **state)
{
	struct memattr_vsm_intercept ic;
	uint64_t page = 34;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 3, 64, 0, false), 0);
	fx_enable_all(&f, 2, 3);
	fx_go(&f, 1, 1);
	fx_go(&f, 2, 2);
	/* VTL 1 allows read+write, VTL 2 read only: a write goes to VTL 2. */
	assert_int_equal(ST(fx_protect(&f, 1, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 2, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, RD, &ic), 0);
	/* VTL 1 forbids execute, VTL 2 allows it: VTL 1 hears of it. */
	assert_int_equal(ST(fx_protect(&f, 2, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 1);
	/* Both forbid: the higher. */
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	/* VTL 2's mask binds VTL 1 as well; VTL 1's does not. */
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(ic.vp_vtl, 1);
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE, KX, &ic), 0);
	/* VTL 2 closes the page: VTL 1 and VTL 0 lose reads, to VTL 2. */
	assert_int_equal(ST(fx_protect(&f, 2, 0, &page, 1, 0)), S_OK);
	for (unsigned int vp = 0; vp < 2; vp++) {
		assert_int_equal(memattr_vsm_check(f.v, vp, page * PAGE, RD, &ic), 1);
		assert_int_equal(ic.target_vtl, 2);
	}
	assert_int_equal(memattr_vsm_check(f.v, 2, page * PAGE, RD, &ic), 0);
	fx_fini(&f);
}

/* Of the masks of a 15-VTL partition at @page, only VTL @vtl's has a value. */
static void only_mask_holds(struct fx *f, uint64_t page, unsigned int vtl, int value)
{
	for (unsigned int n = 1; n <= 15; n++)
		assert_int_equal(fx_mask(f, n, page), n == vtl ? value : 0);
}

/*
 * Fifteen VTLs, the TLFS architectural limit (HV_VTL is 4 bits): the
 * partition is created and VTLs 1..15 are enabled by hypercalls as TLFS
 * HvCallEnablePartitionVtl and HvCallEnableVpVtl ("Restrictions") allow: a
 * VTL enables a higher one only as the highest VTL enabled below it, a VP
 * VTL once enabled somewhere only from itself or above; VtlCall enters the
 * next higher VTL enabled (VSM "VTL Entry").
 */
static void test_fifteen_vtls(void **state)
{
	uint64_t page = 40;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 15, 2, 64, 0, false), 0);
	assert_int_equal(memattr_layers(f.store), 15);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 16, 0)), S_PARAM); /* > max_vtl */
	/* Up to VTL 7 the usual way: each VTL enables the next and calls into it. */
	for (unsigned int t = 1; t <= 7; t++) {
		assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, t, 0)), S_OK);
		assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, t, 0)), S_OK);
		assert_int_equal(fx_vtl_call(&f, 0), 0);
		assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), t);
	}
	/* VTL 3 is not the highest VTL enabled below 15 (7 is): no. */
	fx_go(&f, 0, 3);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 15, 0)), S_DENIED);
	/* A lower VTL may always be enabled by a higher one... */
	fx_go(&f, 0, 7);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 15, 0)), S_OK);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 15, 0)), S_VTLSTATE);
	/* ...and 15 (enabled, not on a VP yet) is enabled on VP 0 by 7, the highest below. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 15, 0)), S_OK);
	/* Now only 15 may enable 15 on VP 1: VTL 7 (also 0's VTL there) may not. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 15, 0)), S_DENIED);
	/* The call from 7 skips nothing: 8..14 are not enabled, so 15 is next. */
	assert_int_equal(fx_vtl_call(&f, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 15);
	assert_int_equal(fx_vtl_call(&f, 0), UD);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 15, 0)), S_OK);
	/* 15 enables 8..14 for the partition: all lower. */
	for (unsigned int t = 8; t < 15; t++)
		assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, t, 0)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0xffff);
	/* VTL 15's own mask is layer 14; it may also set VTL 3's (layer 2), not before. */
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_modify(&f, 0, IN_VTL(3), F_R, &page, 1, 0)), S_OK);
	only_mask_holds(&f, page, 3, MEMATTR_READ);
	assert_int_equal(fx_protection_on(&f, 0), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 14, page), MEMATTR_READ | MEMATTR_WRITE);
	assert_int_equal(memattr_get(f.store, 2, page), MEMATTR_READ);
	fx_fini(&f);
}

/*
 * Fifteen VTLs as a chain of masks (TLFS VSM "Memory Protection
 * Hierarchy"): VTL t obeys the masks of VTLs t+1..15, and the intercept goes
 * to the highest forbidding one.  Page 100 + n: only VTL n's mask is
 * read-only; page 200: every odd VTL's is; page 300: every VTL's is.
 */
static void test_mask_chain(void **state)
{
	struct memattr_vsm_intercept ic;
	uint64_t odd = 200, all = 300;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 15, 16, 512, 0, false), 0);
	fx_enable_all(&f, 15, 16);
	for (unsigned int vp = 1; vp < 16; vp++)
		fx_go(&f, vp, vp); /* VP k runs at VTL k */
	for (unsigned int n = 1; n <= 15; n++) {
		uint64_t own = 100 + n;

		assert_int_equal(ST(fx_protect(&f, n, F_R, &own, 1, 0)), S_OK);
		assert_int_equal(ST(fx_protect(&f, n, F_R, &all, 1, 0)), S_OK);
		if (n & 1)
			assert_int_equal(ST(fx_protect(&f, n, F_R, &odd, 1, 0)), S_OK);
		assert_int_equal(memattr_get(f.store, n - 1, own), MEMATTR_READ);
		only_mask_holds(&f, own, n, MEMATTR_READ);
	}
	for (unsigned int t = 0; t <= 15; t++) {
		unsigned int top_odd = t < 15 ? 15 : 0;

		for (unsigned int n = 1; n <= 15; n++) {
			int ret = memattr_vsm_check(f.v, t, (100 + n) * PAGE, WR, &ic);

			assert_int_equal(ret, n > t ? 1 : 0);
			if (ret)
				assert_int_equal(ic.target_vtl, n);
			assert_int_equal(memattr_vsm_check(f.v, t, (100 + n) * PAGE, RD, &ic), 0);
		}
		assert_int_equal(memattr_vsm_check(f.v, t, odd * PAGE, WR, &ic), top_odd ? 1 : 0);
		if (top_odd)
			assert_int_equal(ic.target_vtl, 15);
		assert_int_equal(memattr_vsm_check(f.v, t, all * PAGE, KX, &ic), t < 15 ? 1 : 0);
		if (t < 15)
			assert_int_equal(ic.target_vtl, 15);
	}
	/* VTL 15 opens page 200 and 300: the highest odd VTL below it, and 14, are told. */
	assert_int_equal(ST(fx_protect(&f, 15, F_ALL, &odd, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 15, F_ALL, &all, 1, 0)), S_OK);
	for (unsigned int t = 0; t < 15; t++) {
		unsigned int want_odd = t < 13 ? 13 : 0;

		assert_int_equal(memattr_vsm_check(f.v, t, odd * PAGE, WR, &ic), want_odd ? 1 : 0);
		if (want_odd)
			assert_int_equal(ic.target_vtl, want_odd);
		assert_int_equal(memattr_vsm_check(f.v, t, all * PAGE, WR, &ic), t < 14 ? 1 : 0);
		if (t < 14)
			assert_int_equal(ic.target_vtl, 14);
	}
	fx_fini(&f);
}

/*
 * Far-apart VTLs (TLFS VSM "Memory Protection Hierarchy"): VTL 7's mask
 * limits VTLs 0..6, VTL 15's limits 0..14; at VTL 3 both hold and the
 * highest forbidding one is told; VTL 8 obeys only VTL 15's.
 */
static void test_check_vtl15_vtl7(void **state)
{
	struct memattr_vsm_intercept ic;
	uint64_t page = 33;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 15, 3, 64, 0, false), 0);
	fx_enable_all(&f, 15, 3);
	fx_go(&f, 0, 3);
	fx_go(&f, 1, 7);
	fx_go(&f, 2, 15);
	/* VTL 7: read+write, VTL 15: read only.  A write goes to 15, a read is fine. */
	assert_int_equal(ST(fx_protect(&f, 1, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 2, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, RD, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	assert_int_equal(ic.vp_vtl, 3);
	assert_int_equal(ic.execution_state >> 7 & 0xf, 3);
	/* Execute: both forbid it (7: R|W, 15: R), so 15 is told; once 15 allows it, 7. */
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	assert_int_equal(ST(fx_protect(&f, 2, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 7);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 0);
	/* Both forbid writes: the higher, 15, is told. */
	assert_int_equal(ST(fx_protect(&f, 2, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 1, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	/* VTL 8 obeys VTL 15's mask only; VTL 7 likewise, not its own. */
	for (unsigned int vtl = 7; vtl <= 8; vtl++) {
		fx_go(&f, 0, vtl);
		assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
		assert_int_equal(ic.target_vtl, 15);
		assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	}
	/* VTL 15 opens up fully: VTL 7's read-only still holds below 7, now 7 is told. */
	assert_int_equal(ST(fx_protect(&f, 2, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 0);
	fx_go(&f, 0, 6);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 7);
	/* Only VTL 7's mask carries a value: VTL 15's full access is stored as 0. */
	only_mask_holds(&f, page, 7, MEMATTR_READ);
	fx_fini(&f);
}

/*
 * A blocked access enters the owner VTL by intercept, with entry reason
 * HvVtlEntryIntercept (3: microsoft/openvmm, vm/hv1/hvdef/src/lib.rs,
 * HvVtlEntryReason::INTERCEPT; Linux's MSHV_ENTRY_REASON_INTERCEPT); VTL
 * return goes back.
 */
static void test_enter_intercept(void **state)
{
	struct memattr_vsm_intercept ic, bad;
	uint64_t page = 44;
	struct fx f;

	(void)state;
	assert_int_equal(MEMATTR_HV_VTL_ENTRY_INTERCEPT, 3);
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	fx_enable_all(&f, 2, 1);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	memattr_vsm_vp_regs(f.v, 0, 0)->gpr[MEMATTR_RBX] = 0x77;
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	bad = ic;
	bad.vp_vtl = 1;
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &bad), -EINVAL);
	bad = ic;
	bad.target_vtl = 0;
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &bad), -EINVAL);
	bad = ic;
	bad.target_vtl = 3;
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &bad), -EINVAL);
	assert_int_equal(memattr_vsm_enter_intercept(NULL, &ic), -EINVAL);
	assert_int_equal(memattr_vsm_enter_intercept(f.v, NULL), -EINVAL);
	/* Straight to VTL 2, past VTL 1: an intercept, not a VTL call. */
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &ic), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 2);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), MEMATTR_HV_VTL_ENTRY_INTERCEPT);
	assert_int_equal(memattr_vsm_vtl_control(f.v, 0, 2)->entry_reason,
			 MEMATTR_HV_VTL_ENTRY_INTERCEPT);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 0, 2)->gpr[MEMATTR_RBX], 0x77);
	assert_int_equal(fx_vtl_return(&f, 0, true), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), 0);
	assert_int_equal(fx_vtl_call(&f, 0), 0);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), MEMATTR_HV_VTL_ENTRY_VTL_CALL);
	assert_int_equal(memattr_vsm_vtl_control(f.v, 0, 1)->entry_reason,
			 MEMATTR_HV_VTL_ENTRY_VTL_CALL);
	assert_int_equal(memattr_vsm_entry_reason(NULL, 0), 0);
	fx_fini(&f);

	/* The owner VTL not enabled on the VP: nowhere to enter. */
	assert_int_equal(fx_init(&f, 1, 2, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE, RD, &ic), 1);
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &ic), -ENOENT);
	fx_fini(&f);
}

/*
 * An input page the caller may not read (TLFS "Alignment Requirements"): the
 * call does not run and a memory intercept goes to the VTL whose mask closed
 * the page.  VTL 2 closes VP 1's input page; VTL 1's call there is not acted on.
 */
static void test_input_denied(void **state)
{
	uint64_t in_page = INPUT_GPA(1) / PAGE, page = 40;
	struct memattr_vsm_intercept ic;
	struct fx f;
	uint64_t r;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	fx_enable_all(&f, 2, 2);
	fx_go(&f, 0, 2);
	fx_go(&f, 1, 1);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 1, &ic), 0);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &in_page, 1, 0)), S_OK);
	r = fx_protect(&f, 1, F_R, &page, 1, 0);
	assert_int_equal(r, MEMATTR_VSM_INTERCEPTED);
	assert_int_equal(fx_mask(&f, 1, page), 0);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 1, NULL), 0);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 1, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(ic.vp, 1);
	assert_int_equal(ic.vp_vtl, 1);
	assert_int_equal(ic.gpa, INPUT_GPA(1));
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_READ);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 1, &ic), 0); /* consumed */
	/* Simple calls too. */
	assert_int_equal(fx_enable_partition_vtl(&f, 1, 1, 0), MEMATTR_VSM_INTERCEPTED);
	/* Read-only input is enough. */
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &in_page, 1, 0)), S_OK);
	assert_int_equal(fx_protect(&f, 1, F_R, &page, 1, 0), 1ULL << 32);
	fx_fini(&f);
}

/* The VMM's accessors obey the VTL's protections, all or nothing. */
static void test_guest_memory(void **state)
{
	uint64_t pages[2] = { 20, 22 };
	uint8_t buf[3 * PAGE];
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &pages[0], 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 0, &pages[1], 1, 0)), S_OK);
	memset(fx_host(&f, 20 * PAGE), 0xab, 3 * PAGE);
	/* VTL 1 reads and writes anything. */
	assert_int_equal(memattr_vsm_guest_write(f.v, 0, 20 * PAGE + 10, "hi", 2), 0);
	assert_int_equal(memcmp(fx_host(&f, 20 * PAGE + 10), "hi", 2), 0);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_guest_read(f.v, 0, 20 * PAGE + 10, buf, 2), 0);
	assert_int_equal(memcmp(buf, "hi", 2), 0);
	assert_int_equal(memattr_vsm_guest_write(f.v, 0, 20 * PAGE, "x", 1), -EACCES);
	assert_int_equal(memattr_vsm_guest_write(f.v, 0, 21 * PAGE - 1, "xy", 2), -EACCES);
	assert_int_equal(*fx_host(&f, 21 * PAGE), 0xab); /* nothing written */
	assert_int_equal(memattr_vsm_guest_write(f.v, 0, 21 * PAGE, "xy", 2), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(memattr_vsm_guest_read(f.v, 0, 21 * PAGE + 4000, buf, 200), -EACCES);
	assert_int_equal(buf[0], 0);
	assert_int_equal(memattr_vsm_guest_read(f.v, 0, 63 * PAGE, buf, PAGE + 1), -EFAULT);
	assert_int_equal(memattr_vsm_guest_read(f.v, 0, ~0ULL, buf, 2), -EFAULT);
	assert_int_equal(memattr_vsm_guest_read(f.v, 1, 0, buf, 2), -EINVAL);
	assert_int_equal(memattr_vsm_guest_read(f.v, 0, 0, buf, 0), 0);
	fx_fini(&f);
}

/* ---- HvRegisterVsmPartitionConfig and the VSM registers ---- */

/*
 * HvRegisterVsmPartitionConfig (TLFS VSM "Partition Configuration"): setting
 * EnableVtlProtection applies DefaultVtlProtectionMask to all RAM in the
 * VTL's own mask, as one store call; then neither may change (microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * set_vsm_partition_config(): INVALID_REGISTER_VALUE); a VTL sets its own
 * mask only once it is set.
 */
static void test_partition_config(void **state)
{
	struct memattr_vsm_intercept ic;
	const uint64_t high = (1ULL << 30) / PAGE;
	uint64_t page = 3, calls, sets;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 8, false), 0);
	fx_enable_vtls(&f, 2, 1, false);
	/* VTL 0 has no instance: INVALID_PARAMETER, as set_vsm_partition_config() answers. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_ALL)), S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 1, CONFIG_ON(F_ALL)), S_VPINDEX);
	assert_int_equal(memattr_vsm_set_partition_config(NULL, 0, CONFIG_ON(F_ALL)), S_VPINDEX);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_DENIED);
	/* A mask without enable is remembered and may change; nothing is applied. */
	calls = memattr_vsm_store_calls(f.v);
	sets = memattr_vsm_store_sets(f.v);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, (F_R | F_W | F_KX) << 1), S_OK);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, (F_R | F_W) << 1), S_OK);
	assert_int_equal(memattr_vsm_store_calls(f.v), calls);
	assert_int_equal(fx_mask(&f, 2, 0), 0);
	/* Enable: two RAM regions, one store call of two ranges, in VTL 2's layer only. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W)), S_OK);
	assert_int_equal(memattr_vsm_store_calls(f.v) - calls, 1);
	assert_int_equal(memattr_vsm_store_sets(f.v) - sets, 2);
	assert_int_equal(memattr_range_has(f.store, 1, 0, 64, 0xff, MEMATTR_READ | MEMATTR_WRITE),
			 1);
	assert_int_equal(
		memattr_range_has(f.store, 1, high, high + 8, 0xff, MEMATTR_READ | MEMATTR_WRITE),
		1);
	assert_int_equal(fx_mask(&f, 2, 64), 0); /* not RAM */
	assert_int_equal(fx_mask(&f, 2, high + 8), 0);
	assert_int_equal(memattr_range_has(f.store, 0, 0, 64, 0xff, 0), 1);
	/* The default binds VTL 1 and VTL 0, not VTL 2. */
	assert_int_equal(memattr_vsm_check(f.v, 0, 5 * PAGE, KX, &ic), 0);
	fx_go(&f, 0, 1);
	assert_int_equal(memattr_vsm_check(f.v, 0, 5 * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, high * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(fx_mask(&f, 2, page), 0);
	/* Enable and mask are fixed from now on; the kept bits are not. */
	calls = memattr_vsm_store_calls(f.v);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, (F_R | F_W) << 1), S_REGVALUE);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_ALL)), S_REGVALUE);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W) | 1 << 6),
			 S_OK);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W)), S_OK);
	assert_int_equal(memattr_vsm_store_calls(f.v), calls);
	assert_int_equal(fx_mask(&f, 2, 5), MEMATTR_READ | MEMATTR_WRITE);
	fx_fini(&f);
}

/*
 * HvRegisterVsmPartitionConfig values, as a table: bits 15:5 are kept
 * without effect (Linux, arch/x86/hyperv/hv_vtl.c, sets InterceptVpStartup 9,
 * InterceptCpuidUnimplemented 10 and InterceptPage 12 from VTL 2), bits
 * 63:16 are reserved, and the default mask must be legal MapFlags granting
 * at least read and write ("Default VTL protection mask must include read
 * and write": microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * set_vsm_partition_config()); every refusal is INVALID_REGISTER_VALUE.
 */
static void test_partition_config_values(void **state)
{
	const uint64_t rw = (F_R | F_W) << 1;
	const struct {
		uint64_t value;
		unsigned int status;
	} cases[] = {
		{ rw, S_OK },
		{ (F_R | F_W | F_KX) << 1, S_OK },
		{ (uint64_t)F_ALL << 1, S_OK },
		{ (F_R | F_W | F_UX) << 1, S_OK }, /* UX ignored without MBEC */
		{ rw | 1 << 5, S_OK },		   /* ZeroMemoryOnReset */
		{ rw | 1 << 6, S_OK },		   /* DenyLowerVtlStartup */
		{ rw | 1 << 9 | 1 << 10 | 1 << 12, S_OK },
		{ rw | 0x7ffULL << 5, S_OK },
		{ 0, S_REGVALUE },
		{ (uint64_t)F_R << 1, S_REGVALUE },
		{ (uint64_t)F_W << 1, S_REGVALUE },
		{ (F_R | F_KX) << 1, S_REGVALUE },
		{ CONFIG_ON(0), S_REGVALUE },
		{ CONFIG_ON(F_R), S_REGVALUE },
		{ CONFIG_ON(F_R | F_KX | F_UX), S_REGVALUE },
		{ rw | 1ULL << 16, S_REGVALUE },
		{ rw | 1ULL << 32, S_REGVALUE },
		{ rw | 1ULL << 63, S_REGVALUE },
	};
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_vtls(&f, 1, 1, false);
	fx_go(&f, 0, 1);
	for (size_t i = 0; i < NELEM(cases); i++) {
		uint64_t calls = memattr_vsm_store_calls(f.v);

		assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, cases[i].value),
				 cases[i].status);
		assert_int_equal(memattr_vsm_store_calls(f.v), calls);
	}
	/* No value got protection on: the VTL's own mask is still closed to it. */
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &(uint64_t){ 5 }, 1, 0)), S_DENIED);
	fx_fini(&f);
}

/* One SetVpRegisters element for VP SELF: @name, @lo, @hi, its RsvdZ zero. */
static uint8_t *set_reg_input(struct fx *f, unsigned int vp, uint8_t in_vtl, uint32_t name,
			      uint64_t lo, uint64_t hi)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp)), *e = in + sizeof(regs_in_t);

	memset(in, 0, sizeof(regs_in_t) + sizeof(assoc_t));
	TLFS_PUT(in, regs_in_t, partition_id, SELF);
	TLFS_PUT(in, regs_in_t, vp_index, MEMATTR_HV_VP_INDEX_SELF);
	TLFS_PUT(in, regs_in_t, target_vtl, in_vtl);
	TLFS_PUT(e, assoc_t, name, name);
	TLFS_PUT(e, assoc_t, value_low, lo);
	TLFS_PUT(e, assoc_t, value_high, hi);
	return in;
}

static uint64_t fx_set_reg(struct fx *f, unsigned int vp, uint8_t in_vtl, uint32_t name,
			   uint64_t lo, uint64_t hi)
{
	set_reg_input(f, vp, in_vtl, name, lo, hi);
	return memattr_vsm_hypercall(f->v, vp, control_of(HC_SET, 1, 0), INPUT_GPA(vp), 0);
}

/* GetVpRegisters of @n names from @vp, about @vp_index at @in_vtl, output at OUT_GPA. */
static uint64_t fx_get_regs(struct fx *f, unsigned int vp, uint8_t in_vtl, uint32_t vp_index,
			    const uint32_t *names, unsigned int n)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, sizeof(regs_in_t) + 4 * n);
	TLFS_PUT(in, regs_in_t, partition_id, SELF);
	TLFS_PUT(in, regs_in_t, vp_index, vp_index);
	TLFS_PUT(in, regs_in_t, target_vtl, in_vtl);
	for (unsigned int i = 0; i < n; i++)
		tlfs_put(in + sizeof(regs_in_t) + 4 * i, names[i], 4);
	return memattr_vsm_hypercall(f->v, vp, control_of(HC_GET, n, 0), INPUT_GPA(vp), OUT_GPA);
}

/* One register of @vp's current VTL, or ~0 if the call failed. */
static uint64_t fx_get_reg(struct fx *f, unsigned int vp, uint32_t name)
{
	if (fx_get_regs(f, vp, CURRENT_VTL, MEMATTR_HV_VP_INDEX_SELF, &name, 1) != 1ULL << 32)
		return ~0ULL;
	return tlfs_get(fx_host(f, OUT_GPA), 8);
}

/*
 * HvCallSetVpRegisters / HvCallGetVpRegisters for the VSM registers: the
 * partition config written by hypercall, lower instances reachable, higher
 * ones not; status registers read back; output placement and protection.
 */
static void test_vp_registers(void **state)
{
	const uint32_t names[6] = { R_CFG, R_VPST, R_PARTST, R_CAPS, R_OFFSETS, 0x20 /* CR8 */ };
	uint64_t page = 30;
	struct memattr_vsm_intercept ic;
	uint8_t *out;
	struct fx f;
	uint64_t r;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, true), 0);
	fx_enable_vtls(&f, 2, 2, false);
	fx_go(&f, 0, 1);
	fx_go(&f, 1, 2);
	/* VTL 1 turns its protection on by hypercall (mask R|W|KX, VTL 1 without MBEC). */
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_DENIED);
	r = fx_set_reg(&f, 0, CURRENT_VTL, R_CFG, CONFIG_ON(F_R | F_W | F_KX), 0);
	assert_int_equal(r, 1ULL << 32);
	assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), S_OK);
	/* VTL 2 writes VTL 1's instance (fixed now) and its own, with a read-write default. */
	assert_int_equal(ST(fx_set_reg(&f, 1, IN_VTL(1), R_CFG, CONFIG_ON(F_ALL), 0)), S_REGVALUE);
	assert_int_equal(ST(fx_set_reg(&f, 1, CURRENT_VTL, R_CFG, CONFIG_ON(F_R | F_W), 0)), S_OK);
	assert_int_equal(fx_mask(&f, 2, 5), MEMATTR_READ | MEMATTR_WRITE);
	assert_int_equal(fx_mask(&f, 1, 5), 0);

	/* Get, from VTL 2 on VP 1, about VP 0 and VTL 1. */
	out = fx_host(&f, OUT_GPA);
	memset(out, 0xee, 16 * 7);
	r = fx_get_regs(&f, 1, IN_VTL(1), 0, names, 6);
	assert_int_equal(ST(r), S_PARAM); /* the sixth name */
	assert_int_equal(REPS(r), 5);
	assert_int_equal(tlfs_get(out, 8), CONFIG_ON(F_R | F_W | F_KX)); /* VTL 1's config */
	assert_int_equal(tlfs_get(out + 8, 8), 0);			 /* value bits 127:64 */
	assert_int_equal(tlfs_get(out + 16, 8), 1 | 0x7 << 16); /* VP 0: at VTL 1, 0..2 on */
	assert_int_equal(tlfs_get(out + 32, 8), 0x7 | 2 << 16); /* partition: 0..2, max 2 */
	assert_int_equal(tlfs_get(out + 48, 8), 1 | 6 << 1);	/* DR6 shared, MBEC 1, 2 */
	assert_int_equal(tlfs_get(out + 64, 8), 0);		/* no code page offsets */
	assert_int_equal(out[80], 0xee);			/* not written */
	/* VTL 2's own config, by CURRENT_VTL. */
	assert_int_equal(fx_get_reg(&f, 1, R_CFG), CONFIG_ON(F_R | F_W));
	/* Output rules: overlap, alignment, a page closed to the caller. */
	r = memattr_vsm_hypercall(f.v, 1, control_of(HC_GET, 1, 0), INPUT_GPA(1),
				  INPUT_GPA(1) + 16);
	assert_int_equal(ST(r), S_ALIGN);
	r = memattr_vsm_hypercall(f.v, 1, control_of(HC_GET, 1, 0), INPUT_GPA(1), OUT_GPA + 4);
	assert_int_equal(ST(r), S_ALIGN);
	page = OUT_GPA / PAGE;
	assert_int_equal(ST(fx_protect(&f, 1, F_R, &page, 1, 0)), S_OK);
	r = fx_get_regs(&f, 0, CURRENT_VTL, MEMATTR_HV_VP_INDEX_SELF, &names[1], 1);
	assert_int_equal(r, MEMATTR_VSM_INTERCEPTED);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 0, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_WRITE);
	assert_int_equal(ic.gpa, OUT_GPA);
	/* VP 0 asks about itself at VTL 1 once VTL 2 opened the page again. */
	assert_int_equal(ST(fx_protect(&f, 1, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(fx_get_reg(&f, 0, R_VPST), 1 | 0x7 << 16);
	/* Reps: the second element is bad, the first is done. */
	fx_go(&f, 0, 0);
	fx_go(&f, 0, 2);
	set_reg_input(&f, 0, IN_VTL(1), R_CFG, CONFIG_ON(F_R | F_W | F_KX), 0);
	memcpy(fx_host(&f, INPUT_GPA(0)) + sizeof(regs_in_t) + sizeof(assoc_t),
	       fx_host(&f, INPUT_GPA(0)) + sizeof(regs_in_t), sizeof(assoc_t));
	TLFS_PUT(fx_host(&f, INPUT_GPA(0)) + sizeof(regs_in_t) + sizeof(assoc_t), assoc_t,
		 value_high, 1);
	r = memattr_vsm_hypercall(f.v, 0, control_of(HC_SET, 2, 0), INPUT_GPA(0), 0);
	assert_int_equal(ST(r), S_REGVALUE);
	assert_int_equal(REPS(r), 1);
	fx_fini(&f);
}

/*
 * SetVpRegisters checks, as a table from VTL 1: the header (a higher VTL's
 * instance is ACCESS_DENIED, VTL 0 has none), the element (TLFS
 * HvCallSetVpRegisters: RsvdZ, names, read-only registers: INVALID_PARAMETER)
 * and the value (bits 127:64 of a 64-bit register, reserved bits:
 * INVALID_REGISTER_VALUE, as microsoft/openvmm,
 * openhcl/virt_mshv_vtl/src/processor/hardware_cvm/mod.rs,
 * set_vsm_partition_config() answers).
 */
static void test_set_vp_registers_checks(void **state)
{
	enum { NONE, HDR_RSVD, HDR_VP, HDR_PID, RSVD1, RSVD2 };
	const uint64_t good = CONFIG_ON(F_R | F_W);
	const struct {
		uint8_t in_vtl;
		uint32_t name;
		uint64_t lo, hi;
		int poke;
		unsigned int status;
	} cases[] = {
		{ IN_VTL(2), R_CFG, good, 0, NONE, S_DENIED },
		{ IN_VTL(15), R_CFG, good, 0, NONE, S_PARAM },
		{ IN_VTL(0), R_CFG, good, 0, NONE, S_PARAM },
		{ 0x20, R_CFG, good, 0, NONE, S_PARAM },
		{ CURRENT_VTL, R_CFG, good, 0, HDR_RSVD, S_PARAM },
		{ CURRENT_VTL, R_CFG, good, 0, HDR_VP, S_VPINDEX },
		{ CURRENT_VTL, R_CFG, good, 0, HDR_PID, S_PART },
		{ CURRENT_VTL, R_CFG, good, 0, RSVD1, S_PARAM },
		{ CURRENT_VTL, R_CFG, good, 0, RSVD2, S_PARAM },
		{ CURRENT_VTL, R_VPST, 1, 0, NONE, S_PARAM },
		{ CURRENT_VTL, R_PARTST, 1, 0, NONE, S_PARAM },
		{ CURRENT_VTL, R_CAPS, 1, 0, NONE, S_PARAM },
		{ CURRENT_VTL, R_OFFSETS, 1, 0, NONE, S_PARAM },
		{ CURRENT_VTL, 0x20, 1, 0, NONE, S_PARAM },
		{ CURRENT_VTL, R_CFG, good, 1, NONE, S_REGVALUE },
		{ CURRENT_VTL, R_CFG, good | 1ULL << 16, 0, NONE, S_REGVALUE },
		{ CURRENT_VTL, R_CFG, CONFIG_ON(F_R), 0, NONE, S_REGVALUE },
	};
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	fx_enable_vtls(&f, 2, 1, false);
	fx_go(&f, 0, 1);
	for (size_t i = 0; i < NELEM(cases); i++) {
		uint8_t *in = set_reg_input(&f, 0, cases[i].in_vtl, cases[i].name, cases[i].lo,
					    cases[i].hi);
		uint8_t *e = in + sizeof(regs_in_t);
		uint64_t r;

		switch (cases[i].poke) {
		case HDR_RSVD:
			TLFS_PUT(in, regs_in_t, reserved, 1);
			break;
		case HDR_VP:
			TLFS_PUT(in, regs_in_t, vp_index, 1);
			break;
		case HDR_PID:
			TLFS_PUT(in, regs_in_t, partition_id, 0);
			break;
		case RSVD1:
			TLFS_PUT(e, assoc_t, reserved1, 1);
			break;
		case RSVD2:
			TLFS_PUT(e, assoc_t, reserved2, 1ULL << 63);
			break;
		}
		r = memattr_vsm_hypercall(f.v, 0, control_of(HC_SET, 1, 0), INPUT_GPA(0), 0);
		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(REPS(r), 0);
	}
	/* Nothing was written: VTL 1's config is still 0. */
	assert_int_equal(fx_get_reg(&f, 0, R_CFG), 0);
	/* The kept bits read back as written. */
	assert_int_equal(ST(fx_set_reg(&f, 0, CURRENT_VTL, R_CFG, good | 1 << 9 | 1 << 12, 0)),
			 S_OK);
	assert_int_equal(fx_get_reg(&f, 0, R_CFG), good | 1 << 9 | 1 << 12);
	fx_fini(&f);
}

/*
 * HvRegisterVsmCapabilities as Hyper-V reports it and microsoft/openvmm,
 * vm/hv1/hvdef/src/lib.rs (HvRegisterVsmCapabilities) and Linux,
 * include/hyperv/hvgdk_mini.h, read it: Dr6Shared bit 0, MbecVtlMask 16:1
 * (bit 1 + i: VTL i may use MBEC), DenyLowerVtlStartup 17 clear.  (The TLFS
 * page's table mirrors it: Dr6Shared 63, the mask 62:47.)
 */
static void test_capabilities(void **state)
{
	const struct {
		unsigned int max_vtl;
		bool mbec;
		uint64_t value;
	} cases[] = {
		{ 1, false, 1 },
		{ 2, false, 1 },
		{ 15, false, 1 },
		{ 1, true, 1 | 0x2 << 1 },
		{ 2, true, 1 | 0x6 << 1 },
		{ 15, true, 1 | 0xfffeULL << 1 },
		{ 3, true, 1 | 0xeULL << 1 },
	};
	struct fx f;

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		assert_int_equal(fx_init(&f, cases[i].max_vtl, 1, 64, 0, cases[i].mbec), 0);
		assert_int_equal(fx_get_reg(&f, 0, R_CAPS), cases[i].value);
		assert_int_equal(fx_get_reg(&f, 0, R_CAPS) & 1ULL << 17, 0);
		fx_fini(&f);
	}
}

/*
 * HvRegisterVsmCodePageOffsets (microsoft/openvmm, vm/hv1/hvdef/src/lib.rs,
 * HvRegisterVsmCodePageOffsets): the VMM's hypercall page offsets of the VTL
 * call and return sequences, CallOffset 11:0, ReturnOffset 23:12; read-only.
 */
static void test_code_page_offsets(void **state)
{
	const uint16_t offsets[][2] = { { 0, 0 }, { 0x123, 0xabc }, { 0xfff, 0xfff } };
	struct memattr_config sc = { .layers = 1, .gpa_bits = 40 };
	struct memattr_vsm_config vc = { .max_vtl = 1, .nvps = 1, .nram = 1 };
	struct fx f = { .nram = 1 };

	(void)state;
	f.ram[0] = (struct memattr_vsm_ram){ 0, 64 * PAGE, fx_ram_map(64) };
	assert_non_null(f.ram[0].host);
	vc.ram = f.ram;
	assert_int_equal(memattr_store_create(&sc, &f.store), 0);
	vc.store = f.store;
	for (size_t i = 0; i < NELEM(offsets); i++) {
		struct memattr_vsm_vp_regs *r;

		vc.vtl_call_offset = offsets[i][0];
		vc.vtl_return_offset = offsets[i][1];
		assert_int_equal(memattr_vsm_create(&vc, &f.v), 0);
		r = memattr_vsm_vp_regs(f.v, 0, 0);
		r->cr0 = 0x11;
		r->cs.selector = 0x10;
		assert_int_equal(fx_get_reg(&f, 0, R_OFFSETS),
				 offsets[i][0] | (uint64_t)offsets[i][1] << 12);
		assert_int_equal(ST(fx_set_reg(&f, 0, CURRENT_VTL, R_OFFSETS, 0, 0)), S_PARAM);
		memattr_vsm_destroy(f.v);
	}
	f.v = NULL;
	fx_fini(&f);
}

/*
 * HvRegisterVsmVpStatus (ActiveVtl 3:0, ActiveMbecEnabled 4, EnabledVtlSet
 * 31:16) and HvRegisterVsmPartitionStatus (EnabledVtlSet 15:0, MaximumVtl
 * 19:16, MbecEnabledVtlSet 35:20) follow the VTL running and EnableMbec.
 */
static void test_vsm_status(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 2, 64, 0, true), 0);
	assert_int_equal(fx_get_reg(&f, 0, R_VPST), 0 | 1 << 16);
	assert_int_equal(fx_get_reg(&f, 0, R_PARTST), 1 | 3 << 16);
	fx_enable(&f, 2, 2, ~0U, 1U << 1);
	assert_int_equal(fx_get_reg(&f, 0, R_VPST), 0 | 0x7 << 16);
	fx_go(&f, 0, 1);
	assert_int_equal(fx_get_reg(&f, 0, R_VPST), 1 | 1 << 4 | 0x7 << 16);
	fx_go(&f, 0, 2);
	assert_int_equal(fx_get_reg(&f, 0, R_VPST), 2 | 0x7 << 16);
	assert_int_equal(fx_get_reg(&f, 0, R_PARTST), 0x7 | 3 << 16 | 0x2ULL << 20);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layer_mask),
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_control_word),
		cmocka_unit_test(test_input_placement),
		cmocka_unit_test(test_legal_environment),
		cmocka_unit_test(test_enable_partition_vtl),
		cmocka_unit_test(test_enable_partition_vtl_api),
		cmocka_unit_test(test_enable_vp_vtl),
		cmocka_unit_test(test_enable_vp_vtl_api),
		cmocka_unit_test(test_initial_context),
		cmocka_unit_test(test_vtl_call_return_regs),
		cmocka_unit_test(test_vtl_call_skips),
		cmocka_unit_test(test_vtl_switch_ud),
		cmocka_unit_test(test_vtl_call_input),
		cmocka_unit_test(test_vtl_return_input),
		cmocka_unit_test(test_vtl_return_registers),
		cmocka_unit_test(test_vtl_control),
		cmocka_unit_test(test_modify_validation),
		cmocka_unit_test(test_modify_names_mask),
		cmocka_unit_test(test_modify_who),
		cmocka_unit_test(test_protect_api),
		cmocka_unit_test(test_modify_reps),
		cmocka_unit_test(test_map_flags),
		cmocka_unit_test(test_mbec),
		cmocka_unit_test(test_mbec_per_mask_vtl),
		cmocka_unit_test(test_modify_values),
		cmocka_unit_test(test_check_intercept),
		cmocka_unit_test(test_intercept_message),
		cmocka_unit_test(test_check_two_owners),
		cmocka_unit_test(test_fifteen_vtls),
		cmocka_unit_test(test_mask_chain),
		cmocka_unit_test(test_check_vtl15_vtl7),
		cmocka_unit_test(test_enter_intercept),
		cmocka_unit_test(test_input_denied),
		cmocka_unit_test(test_guest_memory),
		cmocka_unit_test(test_partition_config),
		cmocka_unit_test(test_partition_config_values),
		cmocka_unit_test(test_vp_registers),
		cmocka_unit_test(test_set_vp_registers_checks),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_code_page_offsets),
		cmocka_unit_test(test_vsm_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
