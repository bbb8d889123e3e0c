// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the VSM front, one TLFS rule (or table of rules) per test:
 * configuration, the hypercall input value, VTL enablement, VTL call and
 * return, ModifyVtlProtectionMask's validation and rep semantics, access
 * checks and intercepts, MBEC, the partition config register, guest memory.
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
#define S_PART	   MEMATTR_HV_STATUS_INVALID_PARTITION_ID
#define S_VPINDEX  MEMATTR_HV_STATUS_INVALID_VP_INDEX
#define S_VTLSTATE MEMATTR_HV_STATUS_INVALID_VTL_STATE

#define RD MEMATTR_ACCESS_READ
#define WR MEMATTR_ACCESS_WRITE
#define KX MEMATTR_ACCESS_KEXEC
#define UX MEMATTR_ACCESS_UEXEC

/* The per-target stores: their layer counts, NULL beyond max_vtl, nothing left on an error. */
static void test_stores_create(void **state)
{
	struct memattr_config base = { .layers = 7, .gpa_bits = 40, .flags = MEMATTR_F_MBEC };
	struct memattr_config bad = { .gpa_bits = 5 };
	struct memattr_store *st[MEMATTR_VSM_MAX_VTL];
	static const unsigned int tops[] = { 1, 2, 15 };

	(void)state;
	for (unsigned int k = 0; k < sizeof(tops) / sizeof(tops[0]); k++) {
		unsigned int top = tops[k];

		memset(st, 0xa5, sizeof(st)); /* garbage the call must overwrite */
		assert_int_equal(memattr_vsm_stores_create(top, &base, st), 0);
		for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++) {
			if (t >= top) {
				assert_null(st[t]);
				continue;
			}
			assert_non_null(st[t]);
			assert_int_equal(memattr_layers(st[t]), top - t);
			assert_int_equal(memattr_gpa_bits(st[t]), 40);
			assert_true(memattr_supported(st[t]) & MEMATTR_USER_EXECUTE);
			for (unsigned int u = 0; u < t; u++)
				assert_ptr_not_equal(st[t], st[u]);
		}
		memattr_vsm_stores_destroy(st);
		for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++)
			assert_null(st[t]);
	}
	for (unsigned int top = 0; top <= MEMATTR_VSM_MAX_VTL + 1; top += MEMATTR_VSM_MAX_VTL + 1) {
		memset(st, 0xa5, sizeof(st));
		assert_int_equal(memattr_vsm_stores_create(top, &base, st), -EINVAL);
		for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++)
			assert_null(st[t]);
	}
	memset(st, 0xa5, sizeof(st));
	assert_int_equal(memattr_vsm_stores_create(2, NULL, st), -EINVAL);
	assert_null(st[0]);
	assert_int_equal(memattr_vsm_stores_create(2, &bad, st), -EINVAL);
	for (unsigned int t = 0; t < MEMATTR_VSM_MAX_VTL; t++)
		assert_null(st[t]);
	assert_int_equal(memattr_vsm_stores_create(2, &base, NULL), -EINVAL);
	memattr_vsm_stores_destroy(NULL);
}

/*
 * The store layout: one store per target VTL t, the protections of setter
 * s > t in its layer s - t - 1, so the store for t needs max_vtl - t layers.
 */
static void test_layers(void **state)
{
	struct fx f;

	(void)state;
	assert_int_equal(memattr_vsm_layers_needed(1, 0), 1);
	assert_int_equal(memattr_vsm_layers_needed(2, 0), 2);
	assert_int_equal(memattr_vsm_layers_needed(2, 1), 1);
	assert_int_equal(memattr_vsm_layers_needed(2, 2), 0);
	assert_int_equal(memattr_vsm_layers_needed(15, 0), 15);
	assert_int_equal(memattr_vsm_layers_needed(15, 14), 1);
	assert_int_equal(memattr_vsm_layer(1, 0), 0);
	assert_int_equal(memattr_vsm_layer(2, 0), 1);
	assert_int_equal(memattr_vsm_layer(2, 1), 0);
	assert_int_equal(memattr_vsm_layer(15, 0), 14);
	assert_int_equal(memattr_vsm_layer(15, 14), 0);
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 0), 0x3);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 1), 0x1);
	assert_int_equal(memattr_vsm_layer_mask(f.v, 2), 0);
	assert_ptr_equal(memattr_vsm_store(f.v, 0), f.stores[0]);
	assert_ptr_equal(memattr_vsm_store(f.v, 1), f.stores[1]);
	assert_null(memattr_vsm_store(f.v, 2));
	fx_fini(&f);
	assert_int_equal(fx_init(&f, 15, 1, 64, 0, false), 0);
	for (unsigned int t = 0; t < 15; t++) {
		assert_int_equal(memattr_layers(memattr_vsm_store(f.v, t)), 15 - t);
		assert_int_equal(memattr_vsm_layer_mask(f.v, t), (1U << (15 - t)) - 1);
	}
	assert_null(memattr_vsm_store(f.v, 15));
	assert_int_equal(memattr_vsm_layer_mask(f.v, 15), 0);
	fx_fini(&f);
}

/* A config naming @max_vtl VTLs over @st (NULL-terminated by max_vtl) and one page of RAM. */
static struct memattr_vsm_config config_of(struct memattr_store *const *st, unsigned int max_vtl,
					   const struct memattr_vsm_ram *ram)
{
	struct memattr_vsm_config c = { .max_vtl = max_vtl, .nvps = 1, .ram = ram, .nram = 1 };

	for (unsigned int t = 0; t < max_vtl && t < MEMATTR_VSM_MAX_VTL; t++)
		c.stores[t] = st[t];
	return c;
}

static void test_create_checks(void **state)
{
	struct memattr_config sc = { .layers = 3, .gpa_bits = 32 };
	struct memattr_store *s, *s1, *s2, *s40, *smbec, *big[15], *few[14];
	static uint8_t mem[2 * PAGE];
	struct memattr_vsm_ram ok = { 0, PAGE, mem };
	struct memattr_vsm_ram overlap[2] = { { 0, 2 * PAGE, mem }, { PAGE, PAGE, mem } };
	struct memattr_vsm_ram unaligned = { 0x800, PAGE, mem };
	struct memattr_vsm_ram beyond = { 1ULL << 32, PAGE, mem };
	struct memattr_vsm_ram nohost = { 0, PAGE, NULL };
	struct memattr_vsm *v = NULL;
	struct memattr_vsm_config c;

	(void)state;
	assert_int_equal(memattr_store_create(&sc, &s), 0);
	sc.layers = 1;
	assert_int_equal(memattr_store_create(&sc, &s1), 0);
	assert_int_equal(memattr_store_create(&sc, &s2), 0);
	sc.gpa_bits = 40;
	assert_int_equal(memattr_store_create(&sc, &s40), 0);
	sc.gpa_bits = 32;
	sc.flags = MEMATTR_F_MBEC;
	assert_int_equal(memattr_store_create(&sc, &smbec), 0);
	sc.flags = 0;
	for (unsigned int t = 0; t < 15; t++) {
		sc.layers = 15 - t;
		assert_int_equal(memattr_store_create(&sc, &big[t]), 0);
		sc.layers = 14 - t;
		if (t < 14)
			assert_int_equal(memattr_store_create(&sc, &few[t]), 0);
	}
	const struct {
		struct memattr_store *stores[3];
		unsigned int max_vtl, nvps;
		const struct memattr_vsm_ram *ram;
		unsigned int nram;
		bool mbec;
	} bad[] = {
		{ { NULL }, 1, 1, &ok, 1, false },	   /* no store */
		{ { s, NULL }, 2, 1, &ok, 1, false },	   /* no store for VTL 1 */
		{ { NULL, s1 }, 2, 1, &ok, 1, false },	   /* no store for VTL 0 */
		{ { s }, 0, 1, &ok, 1, false },		   /* max_vtl 0 */
		{ { s, s1, s2 }, 16, 1, &ok, 1, false },   /* max_vtl > 15 */
		{ { s1, s2 }, 2, 1, &ok, 1, false },	   /* VTL 0's: 2 needed, 1 present */
		{ { s, s1, s2 }, 4, 1, &ok, 1, false },	   /* VTL 0's: 4 needed, 3 present */
		{ { s, s }, 2, 1, &ok, 1, false },	   /* one store for VTLs 0 and 1 */
		{ { s, s1, s1 }, 3, 1, &ok, 1, false },	   /* one store for VTLs 1 and 2 */
		{ { s, s1 }, 1, 1, &ok, 1, false },	   /* a store beyond max_vtl */
		{ { s, s40 }, 2, 1, &ok, 1, false },	   /* GPA widths differ */
		{ { s, smbec }, 2, 1, &ok, 1, false },	   /* MBEC in one store only */
		{ { s, s1 }, 2, 0, &ok, 1, false },	   /* no VP */
		{ { s, s1 }, 2, 4097, &ok, 1, false },	   /* too many VPs */
		{ { s, s1 }, 2, 1, NULL, 1, false },	   /* no RAM */
		{ { s, s1 }, 2, 1, &ok, 0, false },	   /* no RAM */
		{ { s, s1 }, 2, 1, overlap, 2, false },	   /* overlapping RAM */
		{ { s, s1 }, 2, 1, &unaligned, 1, false }, /* unaligned RAM */
		{ { s, s1 }, 2, 1, &beyond, 1, false },	   /* RAM beyond the GPA width */
		{ { s, s1 }, 2, 1, &nohost, 1, false },	   /* no host mapping */
		{ { s, s1 }, 2, 1, &ok, 1, true },	   /* MBEC on stores without it */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = (struct memattr_vsm_config){ .max_vtl = bad[i].max_vtl,
						 .nvps = bad[i].nvps,
						 .ram = bad[i].ram,
						 .nram = bad[i].nram,
						 .mbec = bad[i].mbec };
		memcpy(c.stores, bad[i].stores, sizeof(bad[i].stores));
		assert_int_equal(memattr_vsm_create(&c, &v), -EINVAL);
	}
	/* Fifteen VTLs: stores of 15, 14, ..., 1 layers, each one too few is refused. */
	c = config_of(big, 15, &ok);
	c.max_vtl = 16;
	assert_int_equal(memattr_vsm_create(&c, &v), -EINVAL);
	c.max_vtl = 15;
	for (unsigned int t = 0; t < 14; t++) {
		c.stores[t] = few[t]; /* 14 - t layers, 15 - t needed */
		assert_int_equal(memattr_vsm_create(&c, &v), -EINVAL);
		c.stores[t] = big[t];
	}
	for (unsigned int t = 1; t < 15; t++) {
		c.stores[t] = big[0]; /* enough layers, but VTL 0's store */
		assert_int_equal(memattr_vsm_create(&c, &v), -EINVAL);
		c.stores[t] = big[t];
	}
	assert_int_equal(memattr_vsm_create(&c, &v), 0);
	assert_int_equal(memattr_vsm_layer_mask(v, 0), 0x7fff);
	memattr_vsm_destroy(v);
	/* More layers than needed are fine. */
	c = config_of(big, 2, &ok);
	assert_int_equal(memattr_vsm_create(&c, &v), 0);
	memattr_vsm_destroy(v);

	struct memattr_vsm_config good = {
		.stores = { s, s1 }, .max_vtl = 2, .nvps = 1, .ram = &ok, .nram = 1
	};

	assert_int_equal(memattr_vsm_create(&good, NULL), -EINVAL);
	assert_int_equal(memattr_vsm_create(&good, &v), 0);
	assert_int_equal(memattr_vsm_partition_vtls(v), 1);
	assert_int_equal(memattr_vsm_vp_vtls(v, 0), 1);
	assert_int_equal(memattr_vsm_vp_vtl(v, 0), 0);
	memattr_vsm_destroy(v);
	memattr_vsm_destroy(NULL);
	memattr_store_destroy(s);
	memattr_store_destroy(s1);
	memattr_store_destroy(s2);
	memattr_store_destroy(s40);
	memattr_store_destroy(smbec);
	for (unsigned int t = 0; t < 15; t++)
		memattr_store_destroy(big[t]);
	for (unsigned int t = 0; t < 14; t++)
		memattr_store_destroy(few[t]);
}

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
		{ control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 0, 0), S_INPUT },
		{ control_of(MEMATTR_HVCALL_SET_VP_REGISTERS, 1, 0) | 1ULL << 16, S_INPUT },
		{ control_of(MEMATTR_HVCALL_SET_VP_REGISTERS, 200, 0),
		  S_ALIGN },			  /* 16 + 32 * 200 */
		{ HC_EVV | 1ULL << 16, S_INPUT }, /* fast, 240 bytes of input */
	};
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, false), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t r = memattr_vsm_hypercall(f.v, 0, cases[i].control, INPUT_GPA(0), 0);

		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(REPS(r), 0);
		assert_int_equal(r >> 16 & 0xffff, 0);
	}
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 2, HC_CALL, 0, 0)), S_VPINDEX);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 1);
	fx_fini(&f);
}

/*
 * TLFS VSM "VTL Call Restrictions" and "VTL Return": the failures are #UD,
 * not a status, and leave the VP where it was.
 */
static void test_vtl_switch_ud(void **state)
{
	const uint64_t UD = MEMATTR_VSM_INJECT_UD;
	struct memattr_vsm_vp_regs *r0;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 1, 64, 0, false), 0);
	r0 = memattr_vsm_vp_regs(f.v, 0, 0);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), UD);  /* lowest VTL */
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), UD); /* none higher */
	/* VTLs 1 and 3 for the partition, only 3 on the VP: a call may not skip 1. */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 3, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 3, 0)), S_OK);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), UD);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	/* Reserved control bits, user mode, real mode. */
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL | 1ULL << 16, 0, 0), UD);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL | 1ULL << 40, 0, 0), UD);
	r0->cs.selector = 0x33;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), UD);
	r0->cs.selector = 0x10;
	r0->cr0 = 0;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), UD);
	r0->cr0 = 0x80000011;
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	/* 0 -> 1 (the next VTL enabled for the partition) -> 3, and back the same way. */
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 3);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET | 1ULL << 17, 0, 0), UD);
	memattr_vsm_vp_regs(f.v, 0, 3)->cs.selector = 3;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), UD);
	memattr_vsm_vp_regs(f.v, 0, 3)->cs.selector = 0x10;
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET | 1ULL << 16, 0, 0), 0); /* fast */
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
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
	put_le(in + 4, SELF, 8);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, PAGE + 4, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 2 * PAGE - 8, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 64 * PAGE, 0)), S_PARAM);
	/* Beyond the 40-bit GPA space. */
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, 1ULL << 40, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, ~7ULL, 0)), S_ALIGN);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, PAGE + 4096 - 232, 0)), S_ALIGN);
	/* The fast form of EnablePartitionVtl: 16 bytes in RDX and R8. */
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV | 1ULL << 16, SELF, 1)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 3);
	fx_fini(&f);
}

/* TLFS HvCallEnablePartitionVtl: input fields and the two launch rules. */
static void test_enable_partition_vtl(void **state)
{
	struct fx f;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 3, 2, 64, 0, false), 0);
	in = fx_host(&f, INPUT_GPA(0));
	memset(in, 0, 16);
	put_le(in, 7, 8);
	in[8] = 1;
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, INPUT_GPA(0), 0)), S_PART);
	put_le(in, SELF, 8);
	in[15] = 1;
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EPV, INPUT_GPA(0), 0)), S_PARAM);
	in[15] = 0;
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
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0x7);
	/* VTL 2, running, launches 3 (calls go through 1: no VTL is skipped). */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 3, 0)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0xf);
	fx_fini(&f);
}

/* TLFS HvCallEnableVpVtl: partition first, launch rules, once per VP, context. */
static void test_enable_vp_vtl(void **state)
{
	struct fx f;
	struct memattr_vsm_vp_regs *r;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 3, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_VTLSTATE); /* not for partition */
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 3, 1, 0)), S_VPINDEX);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 3, 0)), S_PARAM);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 0, 0)), S_VTLSTATE); /* VTL 0 always on */
	in = fx_host(&f, INPUT_GPA(0));
	in[13] = 1;
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, INPUT_GPA(0), 0)), S_PARAM);
	/* First enable of VTL 1: VTL 0 is the highest enabled below it. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0xfeed)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_VTLSTATE); /* already */
	/* Once enabled on a VP, only VTL 1 or above may enable it elsewhere. */
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 1, 1, 1, 0)), S_DENIED);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0)), S_OK);
	r = memattr_vsm_vp_regs(f.v, 0, 1);
	assert_int_equal(r->rip, 0xfeed);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 1, 0xbeef)), S_OK);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 1, 1)->rip, 0xbeef);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 1), 3);
	assert_int_equal(memattr_vsm_vp_vtls(f.v, 2), 1);
	assert_null(memattr_vsm_vp_regs(f.v, 3, 0));
	assert_null(memattr_vsm_vp_regs(f.v, 0, 3));
	fx_fini(&f);
}

/* The initial context's fields land where HV_INITIAL_VP_CONTEXT puts them. */
static void test_initial_context(void **state)
{
	struct fx f;
	struct memattr_vsm_vp_regs *r;
	uint8_t *in;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	in = fx_host(&f, INPUT_GPA(0));
	memset(in, 0, 240);
	put_le(in, SELF, 8);
	in[12] = 1;
	put_le(in + 16, 0x1111, 8);		 /* Rip */
	put_le(in + 24, 0x2222, 8);		 /* Rsp */
	put_le(in + 32, 0x2, 8);		 /* Rflags */
	put_le(in + 40 + 12, 0x10, 2);		 /* Cs.Selector */
	put_le(in + 40 + 16 * 5 + 12, 0x18, 2);	 /* Ss.Selector */
	put_le(in + 168 + 6, 0xfff, 2);		 /* Idtr.Limit */
	put_le(in + 184 + 8, 0x5000, 8);	 /* Gdtr.Base */
	put_le(in + 200, 0xd01, 8);		 /* Efer */
	put_le(in + 216, 0x3000, 8);		 /* Cr3 */
	put_le(in + 232, 0x7040600070406ULL, 8); /* Pat */
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_EVV, INPUT_GPA(0), 0)), S_OK);
	r = memattr_vsm_vp_regs(f.v, 0, 1);
	assert_int_equal(r->rip, 0x1111);
	assert_int_equal(r->gpr[MEMATTR_RSP], 0x2222);
	assert_int_equal(r->rflags, 2);
	assert_int_equal(r->cs.selector, 0x10);
	assert_int_equal(r->ss.selector, 0x18);
	assert_int_equal(r->idtr_limit, 0xfff);
	assert_int_equal(r->gdtr_base, 0x5000);
	assert_int_equal(r->efer, 0xd01);
	assert_int_equal(r->cr3, 0x3000);
	assert_int_equal(r->pat, 0x7040600070406ULL);
	fx_fini(&f);
}

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
	for (int i = 0; i < 16; i++)
		r0->gpr[i] = 100 + i;
	r0->rip = 0xaaaa;
	r0->cr2 = 0xc2;
	r0->cr3 = 0xc3;
	r0->dr[1] = 0xd1;
	r0->xmm[3][0] = 0x33;
	r1->rip = 0xbbbb;
	r1->gpr[MEMATTR_RSP] = 0x5555;
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 1);
	assert_int_equal(r1->gpr[MEMATTR_RAX], 100);
	assert_int_equal(r1->gpr[MEMATTR_R15], 115);
	assert_int_equal(r1->gpr[MEMATTR_RSP], 0x5555); /* private */
	assert_int_equal(r1->rip, 0xbbbb);		/* private */
	assert_int_equal(r1->cr3, 0);			/* private */
	assert_int_equal(r1->cr2, 0xc2);
	assert_int_equal(r1->dr[1], 0xd1);
	assert_int_equal(r1->xmm[3][0], 0x33);
	/* VTL 1 is the top: no call further up. */
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), MEMATTR_VSM_INJECT_UD);
	r1->gpr[MEMATTR_RAX] = 0x42;
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	assert_int_equal(r0->gpr[MEMATTR_RAX], 0x42);
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
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 2);
	assert_int_equal(ST(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0)), S_OK);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	fx_fini(&f);
}

/*
 * TLFS HvCallModifyVtlProtectionMask header and MapFlags validation, as a
 * table: each row changes one field of a good call from VTL 1 (VP 0).
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
		{ INVTL, 0x80 | 0x10, S_PARAM },
		{ INVTL, 0x00, S_DENIED }, /* no UseTargetVtl: own VTL */
		{ INVTL, 0x11, S_DENIED }, /* its own VTL */
		{ INVTL, 0x12, S_PARAM },  /* beyond max_vtl... */
		{ INVTL, 0x1f, S_PARAM },
		{ FLAGS, F_W, S_PARAM },  /* write without read */
		{ FLAGS, F_KX, S_PARAM }, /* execute without read */
		{ FLAGS, F_W | F_KX, S_PARAM },
		{ FLAGS, F_R | F_UX, S_PARAM }, /* user execute needs MBEC */
		{ FLAGS, 0x10, S_PARAM },	/* unknown bit */
		{ FLAGS, 0x80000000, S_PARAM },
		{ FLAGS, F_R, S_OK },
		{ FLAGS, F_R | F_W, S_OK },
		{ FLAGS, F_R | F_KX, S_OK },
		{ FLAGS, F_R | F_W | F_KX, S_OK },
		{ FLAGS, 0, S_OK }, /* no access */
	};
	uint64_t page = 40;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *in = fx_host(&f, INPUT_GPA(0));
		uint64_t r;

		memset(in, 0, 24);
		put_le(in, SELF, 8);
		put_le(in + 8, F_R, 4);
		in[12] = 0x10;
		put_le(in + 16, page, 8);
		switch (cases[i].field) {
		case PID:
			put_le(in, cases[i].value, 8);
			break;
		case FLAGS:
			put_le(in + 8, cases[i].value, 4);
			break;
		case INVTL:
			in[12] = (uint8_t)cases[i].value;
			break;
		default:
			put_le(in + 13, cases[i].value, 3);
		}
		r = memattr_vsm_hypercall(f.v, 0, control_of(HC_MODIFY, 1, 0), INPUT_GPA(0), 0);
		assert_int_equal(ST(r), cases[i].status);
		assert_int_equal(REPS(r), cases[i].status ? 0 : 1);
		if (cases[i].status)
			assert_int_equal(memattr_get(f.store, 0, page), 0);
		memattr_set(f.store, 0, page, page + 1, 0, 0, &(uint64_t){ 0 });
	}
	/* VTL 0 protects no one. */
	fx_go(&f, 0, 0);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_DENIED);
	fx_fini(&f);
}

/* The target VTL must be enabled; a VTL 2 may protect both 0 and 1. */
static void test_modify_targets(void **state)
{
	uint64_t page = 50;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 2, 0)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 2, 0)), S_OK);
	fx_go(&f, 0, 2);
	/* No protections before EnableVtlProtection (TLFS VSM "VTL Enablement"). */
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_VTLSTATE);
	assert_int_equal(fx_protection_on(&f, 0), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 1, F_R, &page, 1, 0)), S_VTLSTATE);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(fx_prot(&f, 2, 0, page), MEMATTR_READ);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 1, 0, &page, 1, 0)), S_OK);
	assert_int_equal(fx_prot(&f, 2, 1, page), MEMATTR_NO_ACCESS);
	fx_fini(&f);
}

/* Rep semantics: the start index is honoured; a non-RAM page stops the list there. */
static void test_modify_reps(void **state)
{
	uint64_t pages[6] = { 10, 11, 12, (1ULL << 30) / PAGE + 8, 20, 21 };
	struct fx f;
	uint64_t r;

	(void)state;
	/* RAM: pages [0, 64) and [1 GiB, 1 GiB + 4 pages): page 3 of the list is a hole. */
	assert_int_equal(fx_init(&f, 1, 1, 64, 4, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	r = fx_protect(&f, 0, 0, F_R, pages, 6, 1);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 3);
	assert_int_equal(memattr_get(f.store, 0, 10), 0); /* before the start index */
	assert_int_equal(memattr_get(f.store, 0, 11), MEMATTR_READ);
	assert_int_equal(memattr_get(f.store, 0, 12), MEMATTR_READ);
	assert_int_equal(memattr_get(f.store, 0, 20), 0); /* after the bad rep */
	assert_int_equal(memattr_get(f.store, 0, 21), 0);
	/* The failed rep changes nothing: the hole's own page and the one after it. */
	assert_int_equal(memattr_get(f.store, 0, pages[3]), 0);
	assert_int_equal(memattr_get(f.store, 0, pages[3] + 1), 0);
	/* The guest resumes past the bad rep with the reps-completed protocol. */
	r = fx_protect(&f, 0, 0, F_R, pages, 6, 4);
	assert_int_equal(ST(r), S_OK);
	assert_int_equal(REPS(r), 6);
	assert_int_equal(memattr_get(f.store, 0, 21), MEMATTR_READ);
	/* A first rep out of RAM: nothing done; pages beyond 40 bits too. */
	pages[0] = 64;
	r = fx_protect(&f, 0, 0, F_R, pages, 1, 0);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 0);
	pages[0] = ~0ULL;
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, pages, 1, 0)), S_PARAM);
	/* Header errors report the start index as completed: nothing new done. */
	r = fx_protect(&f, 0, 0, F_W, pages, 6, 2);
	assert_int_equal(ST(r), S_PARAM);
	assert_int_equal(REPS(r), 2);
	/* 510 reps fill the page; 511 cross it. */
	uint64_t many[511];

	for (int i = 0; i < 511; i++)
		many[i] = (uint64_t)(i % 60);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W, many, 510, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W, many, 511, 0)), S_ALIGN);
	/* Duplicates are fine. */
	assert_int_equal(memattr_get(f.store, 0, 59), MEMATTR_READ | MEMATTR_WRITE);
	fx_fini(&f);
}

/* Full access is stored as "no restriction"; no access as NO_ACCESS. */
static void test_modify_values(void **state)
{
	uint64_t page = 30;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 0, page), MEMATTR_READ | MEMATTR_EXECUTE);
	assert_int_equal(ST(fx_protect(&f, 0, 0, 0, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 0, page), MEMATTR_NO_ACCESS);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 0, page), 0);
	fx_fini(&f);
}

/* Access checks against each kind of protection, and the intercept message. */
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
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ST(fx_protect(&f, 0, 0, cases[i].flags, &page, 1, 0)), S_OK);
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
			/* VTL 1 itself is not limited by its own protections. */
			assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, a, NULL), 0);
		}
	}
	assert_int_equal(memattr_vsm_check(f.v, 1, 64 * PAGE, RD, &ic), -EFAULT);
	assert_int_equal(memattr_vsm_check(f.v, 2, 0, RD, &ic), -EINVAL);
	assert_int_equal(memattr_vsm_check(f.v, 1, 0, 4, &ic), -EINVAL);
	fx_fini(&f);
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t x = 0;

	for (int i = n - 1; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/* The intercept, encoded as HV_X64_MEMORY_INTERCEPT_MESSAGE, field by field. */
static void test_intercept_message(void **state)
{
	struct memattr_vsm_intercept ic;
	struct memattr_vsm_vp_regs *r;
	uint8_t msg[MEMATTR_VSM_INTERCEPT_MSG_SIZE];
	uint64_t page = 36;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 2, 64, 0, false), 0);
	fx_enable_all(&f, 1, 2);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_OK);
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
	assert_int_equal(get_le(msg, 4), 1); /* VpIndex */
	assert_int_equal(msg[4], 3);	     /* InstructionLength 3:0, Reserved 7:4 zero */
	assert_int_equal(msg[5], 1);	     /* InterceptAccessType: write */
	/* ExecutionState: CPL 3, CR0.PE, CR0.AM, EFER.LMA, VTL 0. */
	assert_int_equal(get_le(msg + 6, 2), 3 | 1 << 2 | 1 << 3 | 1 << 4 | 0 << 7);
	assert_int_equal(get_le(msg + 16, 4), 0xffffffff); /* CsSegment.Limit */
	assert_int_equal(get_le(msg + 20, 2), 0x33);	   /* CsSegment.Selector */
	assert_int_equal(get_le(msg + 22, 2), 0xa0fb);	   /* CsSegment.Attributes */
	assert_int_equal(get_le(msg + 24, 8), 0x401000);   /* Rip */
	assert_int_equal(get_le(msg + 32, 8), 0x202);	   /* Rflags */
	assert_int_equal(get_le(msg + 40, 4), 6);	   /* CacheType: write back */
	assert_int_equal(msg[44], 16);			   /* InstructionByteCount */
	assert_int_equal(msg[45], 0);			   /* no GVA */
	assert_int_equal(get_le(msg + 56, 8), page * PAGE + 0x18);
	assert_memory_equal(msg + 64, ic.insn, 16);
	/* Length unknown, 3 bytes fetched (the end of RAM, say): only those are copied. */
	ic.insn_length = 0;
	ic.insn_count = 3;
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(msg[4], 0);
	assert_int_equal(msg[44], 3);
	assert_memory_equal(msg + 64, "\x48\x89\x07\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* The longest x86 instruction, 15 bytes, is a length; more is not (unknown, 0). */
	ic.insn_length = 15;
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(msg[4], 15);
	ic.insn_length = 16;
	ic.insn_count = 200; /* no more bytes than InstructionBytes holds */
	memattr_vsm_intercept_encode(&ic, msg);
	assert_int_equal(msg[4], 0);
	assert_int_equal(msg[44], 16);
	/* An execute from VTL 0 on VP 0: access type EXECUTE, VTL field 0. */
	r->cs.selector = 0x10; /* VTL calls come from CPL 0 only */
	fx_go(&f, 1, 1);
	assert_int_equal(ST(fx_protect(&f, 1, 0, F_R, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.execution_state >> 7 & 0xf, 0);
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_EXECUTE);
	fx_fini(&f);
}

/* Several higher VTLs protect a page: both hold; the highest blocker is told. */
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
	assert_int_equal(ST(fx_protect(&f, 1, 0, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 2, 0, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, RD, &ic), 0);
	/* VTL 1 forbids execute, VTL 2 allows it: VTL 1 hears of it. */
	assert_int_equal(ST(fx_protect(&f, 2, 0, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 1);
	/* Both forbid: the higher. */
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	/* VTL 2's protection of VTL 1 binds VTL 1, not VTL 0. */
	assert_int_equal(ST(fx_protect(&f, 2, 1, 0, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE, RD, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(ic.vp_vtl, 1);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, RD, &ic), 0);
	fx_fini(&f);
}

/* Of all (setter, target) pairs of a 15-VTL partition, only @setter's on @target has a value. */
static void only_pair_holds(struct fx *f, uint64_t page, unsigned int setter, unsigned int target,
			    int value)
{
	for (unsigned int t = 0; t < 15; t++)
		for (unsigned int s = t + 1; s <= 15; s++)
			assert_int_equal(fx_prot(f, s, t, page),
					 s == setter && t == target ? value : 0);
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
	struct fx f;
	uint64_t page = 40;

	(void)state;
	assert_int_equal(fx_init(&f, 15, 2, 64, 0, false), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 16, 0)), S_PARAM); /* > max_vtl */
	/* Up to VTL 7 the usual way: each VTL enables the next and calls into it. */
	for (unsigned int t = 1; t <= 7; t++) {
		assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, t, 0)), S_OK);
		assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, t, 0)), S_OK);
		assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
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
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 15);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), MEMATTR_VSM_INJECT_UD);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 1, 15, 0)), S_OK);
	/* 15 enables 8..14 for the partition: all lower. */
	for (unsigned int t = 8; t < 15; t++)
		assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, t, 0)), S_OK);
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 0xffff);
	/* VTL 15 protects VTL 3's page: its layer 11 of VTL 3's store. */
	assert_int_equal(fx_protection_on(&f, 0), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 3, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.stores[3], 11, page), MEMATTR_READ);
	assert_int_equal(fx_prot(&f, 15, 3, page), MEMATTR_READ);
	/* Nor does VTL 15 protect itself (TLFS VSM "Memory Protection Hierarchy"). */
	assert_int_equal(ST(fx_protect(&f, 0, 15, F_R, &page, 1, 0)), S_DENIED);
	only_pair_holds(&f, page, 15, 3, MEMATTR_READ);
	fx_fini(&f);
}

/*
 * TLFS VSM "Memory Protection Hierarchy" with far-apart VTLs: VTL 15 and
 * VTL 7 both protect VTL 3's page; both hold (their intersection), and the
 * intercept goes to the highest VTL whose protection forbids the access
 * ("Memory Access Violations"; higher VTLs supersede lower ones).  Neither
 * binds VTL 2 or VTL 4.
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
	assert_int_equal(ST(fx_protect(&f, 1, 3, F_R | F_W, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 2, 3, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, RD, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	assert_int_equal(ic.vp_vtl, 3);
	assert_int_equal(ic.execution_state >> 7 & 0xf, 3);
	/* Execute: both forbid it (7: R|W, 15: R), so 15 is told; once 15 allows it, 7. */
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	assert_int_equal(ST(fx_protect(&f, 2, 3, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	assert_int_equal(ic.target_vtl, 7);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 0);
	/* Both forbid writes: the higher, 15, is told. */
	assert_int_equal(ST(fx_protect(&f, 2, 3, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 1, 3, F_R, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 15);
	/* VTL 15 opens up fully: VTL 7's read-only still holds, now 7 is told. */
	assert_int_equal(ST(fx_protect(&f, 2, 3, F_R | F_W | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ic.target_vtl, 7);
	/* The same page at VTLs 2 and 4 is not protected by either. */
	for (unsigned int vtl = 2; vtl <= 4; vtl += 2) {
		fx_go(&f, 0, vtl);
		for (unsigned int a = RD; a <= UX; a++)
			assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, a, &ic), 0);
	}
	/* Only VTL 7's pair carries a value: VTL 15's full access is stored as 0, no restriction.
	 */
	only_pair_holds(&f, page, 7, 3, MEMATTR_READ);
	fx_fini(&f);
}

/*
 * MBEC: enabled per VTL by EnablePartitionVtl; user and kernel execute split,
 * and KMX without UMX (undefined in the TLFS) refused.
 */
static void test_mbec(void **state)
{
	struct memattr_vsm_intercept ic;
	uint64_t page = 35;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, true), 0);
	assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, 1, 1)), S_OK);
	assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, 1, 0)), S_OK);
	fx_go(&f, 0, 1);
	/* A full default mask with MBEC names both execute bits. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, 1 | 7 << 1), S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, 1 | 15 << 1), S_OK);
	assert_int_equal(memattr_get(f.store, 0, page), 0);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_KX, &page, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_KX | F_UX, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W | F_KX | F_UX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_get(f.store, 0, page), 0);
	fx_fini(&f);

	/* A VTL enabled without MBEC on an MBEC store: execute means both modes. */
	assert_int_equal(fx_init(&f, 1, 1, 64, 0, true), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_UX, &page, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_KX, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	fx_go(&f, 0, 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, UX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, KX, &ic), 0);
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W | F_KX, &page, 1, 0)), S_DENIED);
	fx_fini(&f);
}

/*
 * HvRegisterVsmPartitionConfig (TLFS VSM "Partition Configuration"): the
 * default mask covers all lower RAM when protection is enabled; both are
 * then fixed; protections need it.
 */
static void test_partition_config(void **state)
{
	const uint64_t en = MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION;
	uint64_t page = 3;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 8, false), 0);
	fx_enable_vtls(&f, 2, 1, false);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, en), S_DENIED); /* VTL 0 */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 1, en), S_VPINDEX);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_VTLSTATE);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, 1ULL << 7), S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, 1ULL << 10), S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, en | (uint64_t)F_W << 1),
			 S_PARAM);
	/* Mask without enable: just remembered. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, (uint64_t)F_R << 1), S_OK);
	assert_int_equal(fx_prot(&f, 2, 0, 0), 0);
	uint64_t before = memattr_vsm_store_sets(f.v);

	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, en | (uint64_t)F_R << 1), S_OK);
	/* Two lower VTLs times two RAM regions: four range sets. */
	assert_int_equal(memattr_vsm_store_sets(f.v) - before, 4);
	for (unsigned int t = 0; t < 2; t++) {
		struct memattr_store *st = memattr_vsm_store(f.v, t);
		unsigned int l = memattr_vsm_layer(2, t);

		assert_int_equal(memattr_range_has(st, l, 0, 64, 0xff, MEMATTR_READ), 1);
		assert_int_equal(memattr_range_has(st, l, (1ULL << 30) / PAGE,
						   (1ULL << 30) / PAGE + 8, 0xff, MEMATTR_READ),
				 1);
		assert_int_equal(memattr_get(st, l, 64), 0); /* not RAM */
	}
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R | F_W, &page, 1, 0)), S_OK);
	/* Enable and mask are fixed from now on; the other fields are not. */
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, 0), S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(
				 f.v, 0, en | (uint64_t)F_W << 1 | (uint64_t)F_R << 1),
			 S_PARAM);
	assert_int_equal(memattr_vsm_set_partition_config(f.v, 0, en | (uint64_t)F_R << 1 | 1 << 6),
			 S_OK);
	assert_int_equal(memattr_vsm_store_sets(f.v) - before, 5);
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
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &pages[0], 1, 0)), S_OK);
	assert_int_equal(ST(fx_protect(&f, 0, 0, 0, &pages[1], 1, 0)), S_OK);
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

/*
 * An input page the caller may not read (TLFS "Alignment Requirements"): the
 * call does not run and a memory intercept goes to the VTL that closed the
 * page.  VTL 2 closes VTL 1's input page; VTL 1's call is not acted on.
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
	assert_int_equal(ST(fx_protect(&f, 0, 1, 0, &in_page, 1, 0)), S_OK);
	r = fx_protect(&f, 1, 0, F_R, &page, 1, 0);
	assert_int_equal(r, MEMATTR_VSM_INTERCEPTED);
	assert_int_equal(fx_prot(&f, 1, 0, page), 0);
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
	assert_int_equal(ST(fx_protect(&f, 0, 1, F_R, &in_page, 1, 0)), S_OK);
	assert_int_equal(fx_protect(&f, 1, 0, F_R, &page, 1, 0), 1ULL << 32);
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
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), MEMATTR_VSM_INJECT_UD);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, 0x99, 0, 0), MEMATTR_VSM_INJECT_UD);
	r->cs.selector = 0x10;
	r->cr0 = 0x10;
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), MEMATTR_VSM_INJECT_UD);
	r->cr0 = 0x11;
	assert_int_equal(memattr_vsm_partition_vtls(f.v), 1);
	assert_int_equal(fx_enable_partition_vtl(&f, 0, 1, 0), 0);
	fx_fini(&f);
}

static uint64_t fx_set_reg(struct fx *f, unsigned int vp, uint8_t in_vtl, uint32_t name,
			   uint64_t lo, uint64_t hi)
{
	uint8_t *in = fx_host(f, INPUT_GPA(vp));

	memset(in, 0, 48);
	put_le(in, SELF, 8);
	put_le(in + 8, MEMATTR_HV_VP_INDEX_SELF, 4);
	in[12] = in_vtl;
	put_le(in + 16, name, 4);
	put_le(in + 32, lo, 8);
	put_le(in + 40, hi, 8);
	return memattr_vsm_hypercall(f->v, vp, control_of(MEMATTR_HVCALL_SET_VP_REGISTERS, 1, 0),
				     INPUT_GPA(vp), 0);
}

/*
 * HvCallSetVpRegisters / HvCallGetVpRegisters for the VSM registers: the
 * partition config written by hypercall, lower instances reachable, higher
 * ones not; status registers read back; output placement and protection.
 */
static void test_vp_registers(void **state)
{
	const uint32_t names[5] = { MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG,
				    MEMATTR_HV_REGISTER_VSM_VP_STATUS,
				    MEMATTR_HV_REGISTER_VSM_PARTITION_STATUS,
				    MEMATTR_HV_REGISTER_VSM_CAPABILITIES,
				    0x20 /* CR8: not here */ };
	const uint32_t CFG = MEMATTR_HV_REGISTER_VSM_PARTITION_CONFIG;
	uint64_t out_gpa = 10 * PAGE, page = 30;
	struct memattr_vsm_intercept ic;
	uint8_t *in, *out;
	struct fx f;
	uint64_t r;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 2, 64, 0, true), 0);
	fx_enable_vtls(&f, 2, 2, false);
	fx_go(&f, 0, 1);
	fx_go(&f, 1, 2);
	/* VTL 1 may not touch VTL 2's instance; VTL 0 has none; bad fields. */
	assert_int_equal(ST(fx_set_reg(&f, 0, 0x12, CFG, 1, 0)), S_DENIED);
	assert_int_equal(ST(fx_set_reg(&f, 0, 0x10, CFG, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_set_reg(&f, 0, 0x00, CFG, 1, 1)), S_PARAM); /* value bits 127:64 */
	assert_int_equal(ST(fx_set_reg(&f, 0, 0x00, MEMATTR_HV_REGISTER_VSM_VP_STATUS, 1, 0)),
			 S_PARAM); /* read-only */
	assert_int_equal(ST(fx_set_reg(&f, 0, 0x20, CFG, 1, 0)), S_PARAM);
	/* VTL 1 turns its protection on by hypercall (mask R|W|KX, no MBEC). */
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_VTLSTATE);
	r = fx_set_reg(&f, 0, 0x00, CFG, 1 | 7 << 1, 0);
	assert_int_equal(r, 1ULL << 32);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_OK);
	/* VTL 2 writes VTL 1's instance (fixed now) and its own, with a read-only default. */
	assert_int_equal(ST(fx_set_reg(&f, 1, 0x11, CFG, 1, 0)), S_PARAM);
	assert_int_equal(ST(fx_set_reg(&f, 1, 0x00, CFG, 1 | 1 << 1, 0)), S_OK);
	assert_int_equal(fx_prot(&f, 2, 0, 5), MEMATTR_READ);
	assert_int_equal(fx_prot(&f, 2, 1, 5), MEMATTR_READ);

	/* Get, from VTL 2 on VP 1, about VP 0 and VTL 1. */
	in = fx_host(&f, INPUT_GPA(1));
	memset(in, 0, 40);
	put_le(in, SELF, 8);
	put_le(in + 8, 0, 4);
	in[12] = 0x11;
	for (int i = 0; i < 5; i++)
		put_le(in + 16 + 4 * i, names[i], 4);
	out = fx_host(&f, out_gpa);
	memset(out, 0xee, 80);
	r = memattr_vsm_hypercall(f.v, 1, control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 5, 0),
				  INPUT_GPA(1), out_gpa);
	assert_int_equal(ST(r), S_PARAM); /* the fifth name */
	assert_int_equal(REPS(r), 4);
	assert_int_equal(get_le(out, 8), 1 | 7 << 1);	      /* VTL 1's config */
	assert_int_equal(get_le(out + 8, 8), 0);	      /* value bits 127:64 */
	assert_int_equal(get_le(out + 16, 8), 1 | 0x7 << 16); /* VP 0: at VTL 1, 0..2 on */
	assert_int_equal(get_le(out + 32, 8), 0x7 | 2 << 16); /* partition: 0..2, max 2 */
	assert_int_equal(get_le(out + 48, 8), 1ULL << 63 | 6ULL << 47); /* DR6 shared, MBEC 1,2 */
	assert_int_equal(out[64], 0xee);				/* not written */
	/* Output rules: overlap, alignment, a page closed to the caller. */
	r = memattr_vsm_hypercall(f.v, 1, control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 1, 0),
				  INPUT_GPA(1), INPUT_GPA(1) + 16);
	assert_int_equal(ST(r), S_ALIGN);
	r = memattr_vsm_hypercall(f.v, 1, control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 1, 0),
				  INPUT_GPA(1), out_gpa + 4);
	assert_int_equal(ST(r), S_ALIGN);
	in = fx_host(&f, INPUT_GPA(0));
	memset(in, 0, 24);
	put_le(in, SELF, 8);
	put_le(in + 8, MEMATTR_HV_VP_INDEX_SELF, 4);
	put_le(in + 16, MEMATTR_HV_REGISTER_VSM_VP_STATUS, 4);
	page = out_gpa / PAGE;
	assert_int_equal(ST(fx_protect(&f, 1, 1, F_R, &page, 1, 0)), S_OK);
	r = memattr_vsm_hypercall(f.v, 0, control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 1, 0),
				  INPUT_GPA(0), out_gpa);
	assert_int_equal(r, MEMATTR_VSM_INTERCEPTED);
	assert_int_equal(memattr_vsm_pending_intercept(f.v, 0, &ic), 1);
	assert_int_equal(ic.target_vtl, 2);
	assert_int_equal(ic.access_type, MEMATTR_HV_INTERCEPT_ACCESS_WRITE);
	assert_int_equal(ic.gpa, out_gpa);
	/* VP 0 asks about itself at VTL 1 into a page VTL 2 opened for writing. */
	page = out_gpa / PAGE + 1;
	assert_int_equal(ST(fx_protect(&f, 1, 1, F_R | F_W, &page, 1, 0)), S_OK);
	r = memattr_vsm_hypercall(f.v, 0, control_of(MEMATTR_HVCALL_GET_VP_REGISTERS, 1, 0),
				  INPUT_GPA(0), out_gpa + PAGE);
	assert_int_equal(r, 1ULL << 32);
	assert_int_equal(get_le(fx_host(&f, out_gpa + PAGE), 8), 1 | 0x7 << 16);
	fx_fini(&f);
}

/* A blocked access enters the owner VTL by intercept; VTL return goes back. */
static void test_enter_intercept(void **state)
{
	struct memattr_vsm_intercept ic, bad;
	uint64_t page = 44;
	struct fx f;

	(void)state;
	assert_int_equal(fx_init(&f, 2, 1, 64, 0, false), 0);
	fx_enable_all(&f, 2, 1);
	fx_go(&f, 0, 2);
	assert_int_equal(ST(fx_protect(&f, 0, 0, F_R, &page, 1, 0)), S_OK);
	fx_go(&f, 0, 0);
	memattr_vsm_vp_regs(f.v, 0, 0)->gpr[MEMATTR_RBX] = 0x77;
	assert_int_equal(memattr_vsm_check(f.v, 0, page * PAGE, WR, &ic), 1);
	bad = ic;
	bad.vp_vtl = 1;
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &bad), -EINVAL);
	bad = ic;
	bad.target_vtl = 0;
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &bad), -EINVAL);
	/* Straight to VTL 2, past VTL 1: an interrupt, not a VTL call. */
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &ic), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 2);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), MEMATTR_HV_VTL_ENTRY_INTERRUPT);
	assert_int_equal(memattr_vsm_vp_regs(f.v, 0, 2)->gpr[MEMATTR_RBX], 0x77);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_RET, 0, 0), 0);
	assert_int_equal(memattr_vsm_vp_vtl(f.v, 0), 0);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), 0);
	assert_int_equal(memattr_vsm_hypercall(f.v, 0, HC_CALL, 0, 0), 0);
	assert_int_equal(memattr_vsm_entry_reason(f.v, 0), MEMATTR_HV_VTL_ENTRY_VTL_CALL);
	fx_fini(&f);

	/* The owner VTL not enabled on the VP: nowhere to enter. */
	assert_int_equal(fx_init(&f, 1, 2, 64, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	assert_int_equal(ST(fx_protect(&f, 0, 0, 0, &page, 1, 0)), S_OK);
	assert_int_equal(memattr_vsm_check(f.v, 1, page * PAGE, RD, &ic), 1);
	assert_int_equal(memattr_vsm_enter_intercept(f.v, &ic), -ENOENT);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_stores_create),
		cmocka_unit_test(test_create_checks),
		cmocka_unit_test(test_control_word),
		cmocka_unit_test(test_vtl_switch_ud),
		cmocka_unit_test(test_input_placement),
		cmocka_unit_test(test_enable_partition_vtl),
		cmocka_unit_test(test_enable_vp_vtl),
		cmocka_unit_test(test_initial_context),
		cmocka_unit_test(test_vtl_call_return_regs),
		cmocka_unit_test(test_vtl_call_skips),
		cmocka_unit_test(test_modify_validation),
		cmocka_unit_test(test_modify_targets),
		cmocka_unit_test(test_modify_reps),
		cmocka_unit_test(test_modify_values),
		cmocka_unit_test(test_check_intercept),
		cmocka_unit_test(test_intercept_message),
		cmocka_unit_test(test_check_two_owners),
		cmocka_unit_test(test_fifteen_vtls),
		cmocka_unit_test(test_check_vtl15_vtl7),
		cmocka_unit_test(test_mbec),
		cmocka_unit_test(test_partition_config),
		cmocka_unit_test(test_guest_memory),
		cmocka_unit_test(test_input_denied),
		cmocka_unit_test(test_legal_environment),
		cmocka_unit_test(test_vp_registers),
		cmocka_unit_test(test_enter_intercept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
