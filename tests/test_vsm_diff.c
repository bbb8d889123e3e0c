// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The VSM front against a trivially correct model, and its batching:
 * random protection histories made through real hypercalls, on partitions of
 * up to 15 VTLs, against an array per mask VTL (VTL t obeys the intersection
 * of the masks above it); the store updates a clustered and a truly
 * scattered 4,095-page list cost; all or nothing when memory runs out, for a
 * list and for EnableVtlProtection's default mask; a VSM boot trace (bench's
 * generator) replayed through the hypercall path.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <memattr/vsm.h>

#include "common/rng.h"
#include "test_alloc.h"
#include "common/trace.h"
#include "vsm_fixture.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the model: per mask VTL, per page, the rights or "unset" ---- */

#define NPAGES	 512 /* RAM pages; the lists also name pages up to NPAGES + NONRAM */
#define NONRAM	 16  /* the non-RAM pages the lists name, in the store's GPA space */
#define MAXV	 MEMATTR_VSM_MAX_VTL
#define UNSET	 0xff
#define FULL	 (F_R | F_W | F_KX | F_UX)
#define LIST_MAX 510 /* (4096 - 16) / 8: the list fits the input page */

struct model {
	unsigned int max_vtl;
	/* [n][page]: VTL n's mask; the NONRAM pages past RAM stay UNSET: no rep sets them */
	uint8_t mask[MAXV + 1][NPAGES + NONRAM];
	uint32_t mbec_vtls;
	uint32_t protected_vtls; /* EnableVtlProtection set */
};

/*
 * Rights a mask grants, bits R W KX UX, from MapFlags for VTL @n's mask.
 * Without MBEC for @n, UX is ignored and KX covers both modes; with it, KX
 * without UX is refused.  Write or execute without read, unknown bits: refused.
 */
static bool model_rights(const struct model *m, unsigned int n, uint32_t flags, uint8_t *rights)
{
	bool mbec = m->mbec_vtls & (1U << n);

	if (flags > 15 || (flags && !(flags & F_R)))
		return false;
	if (!mbec)
		flags &= ~(uint32_t)F_UX;
	if (mbec && (flags & F_KX) && !(flags & F_UX))
		return false;
	*rights = (uint8_t)flags;
	if (!mbec && (flags & F_KX))
		*rights |= F_UX;
	return true;
}

/* The highest VTL above @t whose mask forbids @a at @page, or 0: the intersection rule. */
static unsigned int model_blocker(const struct model *m, unsigned int t, uint64_t page,
				  unsigned int a)
{
	static const uint8_t need[] = { F_R, F_W, F_KX, F_UX };

	for (unsigned int n = m->max_vtl; n > t; n--) {
		uint8_t r = m->mask[n][page];

		if (r != UNSET && !(r & need[a]))
			return n;
	}
	return 0;
}

/* What ModifyVtlProtectionMask should answer and do, written plainly. */
static uint64_t model_modify(struct model *m, unsigned int caller, uint8_t in_vtl, uint32_t flags,
			     const uint64_t *pages, unsigned int n, unsigned int start,
			     uint64_t input_page)
{
	unsigned int mask_vtl = (in_vtl & 0x10) ? in_vtl & 0xf : caller;
	uint64_t fail = (uint64_t)start << 32;
	uint8_t rights;

	if (model_blocker(m, caller, input_page, 0))
		return MEMATTR_VSM_INTERCEPTED;
	if (in_vtl & 0xe0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER | fail;
	if (mask_vtl > caller)
		return MEMATTR_HV_STATUS_ACCESS_DENIED | fail;
	if (mask_vtl == 0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER | fail;
	/* Every VTL up to max_vtl is enabled; a VTL's own mask waits for its protection. */
	if (mask_vtl == caller && !(m->protected_vtls & (1U << caller)))
		return MEMATTR_HV_STATUS_ACCESS_DENIED | fail;
	if (!model_rights(m, mask_vtl, flags, &rights))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER | fail;
	for (unsigned int i = start; i < n; i++) {
		/* The failed rep and those after it change nothing, the page included. */
		if (pages[i] >= NPAGES)
			return MEMATTR_HV_STATUS_INVALID_PARAMETER | (uint64_t)i << 32;
		m->mask[mask_vtl][pages[i]] = rights;
	}
	return (uint64_t)n << 32;
}

/* The rights a store value grants, as the model writes them (unset and full alike). */
static uint8_t rights_of(int value, bool store_mbec)
{
	uint8_t r = 0;

	if (value == 0)
		return FULL;
	if (value & MEMATTR_NO_ACCESS)
		return 0;
	r |= value & MEMATTR_READ ? F_R : 0;
	r |= value & MEMATTR_WRITE ? F_W : 0;
	r |= value & MEMATTR_EXECUTE ? (store_mbec ? F_KX : F_KX | F_UX) : 0;
	r |= value & MEMATTR_USER_EXECUTE ? F_UX : 0;
	return r;
}

/*
 * Every page's decision for VTL @t (VP @t runs there) and all four accesses
 * matches the model, intercept owner included.
 */
static void decisions_check(struct fx *f, const struct model *m, unsigned int t,
			    unsigned long *blocked)
{
	for (uint64_t p = 0; p < NPAGES; p++) {
		for (unsigned int a = 0; a < 4; a++) {
			struct memattr_vsm_intercept ic;
			unsigned int b = model_blocker(m, t, p, a);
			int ret = memattr_vsm_check(f->v, t, p * PAGE, a, &ic);

			assert_int_equal(ret, b ? 1 : 0);
			blocked[b]++;
			if (b)
				assert_int_equal(ic.target_vtl, b);
		}
	}
}

/* Every VTL's stored mask at pages [@from, @to) is the model's. */
static void pages_check(struct fx *f, const struct model *m, bool store_mbec, uint64_t from,
			uint64_t to)
{
	for (unsigned int n = 1; n <= m->max_vtl; n++)
		for (uint64_t p = from; p < to; p++) {
			uint8_t want = m->mask[n][p];

			assert_int_equal(rights_of(fx_mask(f, n, p), store_mbec),
					 want == UNSET ? FULL : want);
		}
}

/* The same for all of RAM and the non-RAM pages the lists name. */
static void masks_check(struct fx *f, const struct model *m, bool store_mbec)
{
	pages_check(f, m, store_mbec, 0, NPAGES + NONRAM);
}

/*
 * A default protection mask for VTL @n's EnableVtlProtection: legal MapFlags
 * with read and write, full access half the time.
 */
static uint32_t default_mask(struct rng *rng, const struct model *m, unsigned int n)
{
	static const uint32_t choices[] = { F_R | F_W, F_R | F_W | F_UX, F_R | F_W | F_KX | F_UX,
					    F_R | F_W | F_KX };
	bool mbec = m->mbec_vtls & (1U << n);

	if (rng_below(rng, 2))
		return F_ALL;
	return choices[rng_below(rng, mbec ? 3 : 4)];
}

/*
 * Random histories on partitions of a random max_vtl (1..15; 2, the common
 * case, and 15, the TLFS limit, always among them): VP k runs at VTL k, and
 * VPs 1..max_vtl set their own or a lower VTL's mask with random (sometimes
 * illegal) calls over clustered page lists (sometimes naming a page beyond
 * RAM, sometimes closing a lower VP's input page).  Most VTLs turn their
 * protection on at the start with a random default mask, which the model
 * applies to all RAM in that VTL's mask; the others' own calls are refused.
 * The model is an array per mask VTL, and VTL t's decision is the
 * intersection of the masks of the VTLs above it, the intercept going to the
 * highest forbidding one.  After every call, every page's decision for the
 * VTLs the named mask limits matches the model (the one just below it and
 * VTL 0), and so does every mask at the non-RAM pages the lists name (a
 * failed rep changes nothing, even where no guest could see it); every tenth
 * call and at the end, every VTL's decisions and every mask do.
 */
static void test_random_histories(void **state)
{
	static const uint32_t flag_choices[] = { 0,
						 F_R,
						 F_R | F_W,
						 F_R | F_KX,
						 F_R | F_W | F_KX,
						 F_R | F_UX,
						 F_R | F_KX | F_UX,
						 F_ALL,
						 F_W,
						 F_KX,
						 F_UX,
						 0x10 };
	unsigned long outcomes[16] = { 0 }, blocked[MAXV + 1] = { 0 }, intercepted = 0;
	unsigned int vtls_seen = 0;
	uint64_t pages[LIST_MAX];
	struct rng rng;

	(void)state;
	for (uint64_t seed = 1; seed <= 12; seed++) {
		bool mbec = seed & 1;
		struct model *m = calloc(1, sizeof(*m));
		unsigned int top, nvps;
		struct fx f;

		rng_seed(&rng, seed);
		top = seed == 1 ? 2 : seed == 2 ? 15 : 1 + (unsigned int)rng_below(&rng, MAXV);
		nvps = top + 1;
		vtls_seen |= 1U << top;
		m->max_vtl = top;
		memset(m->mask, UNSET, sizeof(m->mask));
		assert_int_equal(fx_init(&f, top, nvps, NPAGES, 0, mbec), 0);
		/*
		 * VTLs 1..top in turn, on every VP, with EnableMbec at random on an
		 * MBEC store; VTL protection on for most, with a random default.
		 */
		for (unsigned int t = 1; t <= top; t++) {
			bool vtl_mbec = mbec && rng_below(&rng, 2);

			assert_int_equal(ST(fx_enable_partition_vtl(&f, 0, t, vtl_mbec)), 0);
			m->mbec_vtls |= vtl_mbec ? 1U << t : 0;
			/* VTL t - 1 enables t on its VP; then only t may, on the others. */
			assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, 0, t, 0)), 0);
			fx_go(&f, 0, t);
			for (unsigned int vp = 1; vp < nvps; vp++)
				assert_int_equal(ST(fx_enable_vp_vtl(&f, 0, vp, t, 0)), 0);
			if (rng_below(&rng, 5)) {
				uint32_t def = default_mask(&rng, m, t);
				uint8_t rights = 0;

				assert_int_equal(
					memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(def)),
					0);
				assert_true(model_rights(m, t, def, &rights));
				/* A full-access default changes no page. */
				if (rights != FULL)
					memset(m->mask[t], rights, NPAGES);
				m->protected_vtls |= 1U << t;
			}
		}
		for (unsigned int vp = 0; vp < nvps; vp++)
			fx_go(&f, vp, vp);
		masks_check(&f, m, mbec);
		for (int step = 0; step < 150; step++) {
			unsigned int vp = 1 + (unsigned int)rng_below(&rng, top);
			unsigned int n = 1 + (unsigned int)rng_below(
						     &rng, rng_below(&rng, 8) ? 40 : LIST_MAX);
			unsigned int start = (unsigned int)rng_below(&rng, n);
			uint32_t flags = flag_choices[rng_below(&rng, NELEM(flag_choices))];
			uint8_t in_vtl = CURRENT_VTL;
			uint64_t base = rng_below(&rng, NPAGES);
			unsigned int named;
			uint64_t want, got;

			/* The caller's own mask, a lower one (0 included), or any. */
			switch (rng_below(&rng, 8)) {
			case 0:
				in_vtl = IN_VTL(rng_below(&rng, 16));
				break;
			case 1:
				in_vtl = (uint8_t)rng_below(&rng, 256);
				break;
			case 2:
			case 3:
			case 4:
				in_vtl = IN_VTL(rng_below(&rng, vp + 1));
				break;
			}
			for (unsigned int i = 0; i < n; i++)
				pages[i] = (base + rng_below(&rng, 24)) % NPAGES;
			if (rng_below(&rng, 10) == 0)
				pages[rng_below(&rng, n)] = NPAGES + rng_below(&rng, NONRAM);
			/*
			 * Now and then a VTL closes or opens a lower VP's input page,
			 * in its own mask or in one between the two VTLs.
			 */
			if (vp >= 2 && rng_below(&rng, 8) == 0) {
				unsigned int low = 1 + (unsigned int)rng_below(&rng, vp - 1);

				pages[0] = INPUT_GPA(low) / PAGE;
				start = 0;
				in_vtl = IN_VTL(low + 1 + rng_below(&rng, vp - low));
				flags = rng_below(&rng, 2) ? 0 : F_R;
			}
			want = model_modify(m, vp, in_vtl, flags, pages, n, start,
					    INPUT_GPA(vp) / PAGE);
			got = fx_modify(&f, vp, in_vtl, flags, pages, n, start);
			assert_int_equal(got, want);
			if (got == MEMATTR_VSM_INTERCEPTED) {
				struct memattr_vsm_intercept ic;

				intercepted++;
				assert_int_equal(memattr_vsm_pending_intercept(f.v, vp, &ic), 1);
				assert_int_equal(ic.target_vtl,
						 model_blocker(m, vp, INPUT_GPA(vp) / PAGE, 0));
				assert_int_equal(ic.gpa, INPUT_GPA(vp));
			}
			outcomes[ST(got) < 16 ? ST(got) : 15]++;
			/* Only the named mask can have changed: check VTLs it limits. */
			named = (in_vtl & 0x10) ? in_vtl & 0xf : vp;
			if (named >= 1 && named <= top) {
				decisions_check(&f, m, named - 1, blocked);
				if (named > 1)
					decisions_check(&f, m, 0, blocked);
			}
			/* A failed rep's non-RAM page keeps its store value too. */
			pages_check(&f, m, mbec, NPAGES, NPAGES + NONRAM);
			if (step % 10 == 9 || step == 149) {
				for (unsigned int t = 0; t <= top; t++)
					decisions_check(&f, m, t, blocked);
				masks_check(&f, m, mbec);
			}
		}
		fx_fini(&f);
		free(m);
	}
	print_message("max_vtl seen 0x%x; statuses: ok %lu, invalid parameter %lu, access denied "
		      "%lu, input intercepted %lu; decisions: allowed %lu, blocked by VTL 1 %lu, "
		      "by VTL 2 %lu, by VTL 15 %lu\n",
		      vtls_seen, outcomes[0], outcomes[5], outcomes[6], intercepted, blocked[0],
		      blocked[1], blocked[2], blocked[15]);
	/* The histories reach every outcome. */
	assert_true(outcomes[0] && outcomes[5] && outcomes[6] && intercepted && blocked[0] &&
		    blocked[1] && blocked[2] && blocked[15]);
	assert_true((vtls_seen & (1U << 2)) && (vtls_seen & (1U << 15)));
}

/*
 * Hostile input: random control words (biased towards the VSM call codes),
 * random input bytes, GPAs and RAX, random VPs.  Nothing crashes (ASan/UBSan
 * builds check the bounds), result values have only status and reps, reps
 * never exceed the rep count, and a failed simple call changes no VTL state.
 */
static void test_hostile_input(void **state)
{
	static const unsigned int codes[] = { HC_MODIFY,
					      HC_EPV,
					      HC_EVV,
					      HC_CALL,
					      HC_RET,
					      MEMATTR_HVCALL_GET_VP_REGISTERS,
					      MEMATTR_HVCALL_SET_VP_REGISTERS };
	unsigned long seen[128] = { 0 };
	struct rng rng;
	struct fx f;

	(void)state;
	rng_seed(&rng, 99);
	assert_int_equal(fx_init(&f, 3, 3, 64, 4, true), 0);
	for (int i = 0; i < 60000; i++) {
		uint64_t control = rng_next(&rng), gpa = rng_next(&rng), r;
		unsigned int vp = (unsigned int)rng_below(&rng, 4), code;
		uint32_t vtls = memattr_vsm_partition_vtls(f.v);
		uint32_t vpv[3];
		unsigned int cur[3];
		uint8_t *in;

		if (rng_below(&rng, 4)) {
			/* Mostly valid shapes, so the calls get past the control word. */
			code = codes[rng_below(&rng, 7)];
			control = code;
			if (code == HC_MODIFY || code >= MEMATTR_HVCALL_GET_VP_REGISTERS) {
				unsigned int n = 1 + (unsigned int)rng_below(&rng, 600);

				control = control_of(code, n, (unsigned int)rng_below(&rng, n + 1));
			}
			if (!rng_below(&rng, 8))
				control |= 1ULL << rng_below(&rng, 64);
		}
		if (rng_below(&rng, 4))
			gpa = rng_below(&rng, 70) * PAGE +
			      (rng_below(&rng, 4) ? 0 : rng_below(&rng, PAGE));
		in = fx_ram(&f, gpa & ~(PAGE - 1));
		if (in) {
			for (int b = 0; b < (int)PAGE; b += 8)
				tlfs_put(in + b,
					 rng_below(&rng, 3) ? rng_next(&rng) : rng_below(&rng, 70),
					 8);
			if (rng_below(&rng, 2))
				tlfs_put(in + (gpa & (PAGE - 1) & ~7ULL), SELF, 8);
		}
		for (unsigned int k = 0; k < 3; k++) {
			vpv[k] = memattr_vsm_vp_vtls(f.v, k);
			cur[k] = memattr_vsm_vp_vtl(f.v, k);
		}
		/* RAX, the VTL call and return input: mostly 0 or the fast flag. */
		if (vp < 3)
			memattr_vsm_vp_regs(f.v, vp, cur[vp])->gpr[MEMATTR_RAX] =
				rng_below(&rng, 4) ? rng_below(&rng, 2) : rng_next(&rng);
		r = memattr_vsm_hypercall(f.v, vp, control, gpa, rng_next(&rng));
		seen[r == MEMATTR_VSM_INJECT_UD	    ? 0x7f
		     : r == MEMATTR_VSM_INTERCEPTED ? 0x7e
						    : ST(r) & 0x7f]++;
		if (r != MEMATTR_VSM_INJECT_UD && r != MEMATTR_VSM_INTERCEPTED)
			assert_int_equal(r & ~(0xffffULL | 0xfffULL << 32), 0);
		assert_true(REPS(r) <= ((control >> 32) & 0xfff));
		if ((ST(r) || r >= MEMATTR_VSM_INTERCEPTED) &&
		    MEMATTR_HV_CONTROL_CODE(control) != HC_MODIFY) {
			assert_int_equal(memattr_vsm_partition_vtls(f.v), vtls);
			for (unsigned int k = 0; k < 3; k++) {
				assert_int_equal(memattr_vsm_vp_vtls(f.v, k), vpv[k]);
				assert_int_equal(memattr_vsm_vp_vtl(f.v, k), cur[k]);
			}
		}
		memattr_vsm_check(f.v, vp, gpa, (enum memattr_access)rng_below(&rng, 5), NULL);
	}
	print_message("statuses:");
	for (int st = 0; st < 128; st++)
		if (seen[st])
			print_message(" 0x%x:%lu", st, seen[st]);
	print_message("; VTLs enabled 0x%x\n", memattr_vsm_partition_vtls(f.v));
	assert_true(seen[0] > 0);
	fx_fini(&f);
}

/* ---- batching ---- */

struct counter {
	struct memattr_notifier n;
	unsigned long calls;
};

static void count_change(struct memattr_notifier *n, const struct memattr_change *c)
{
	(void)c;
	((struct counter *)n->opaque)->calls++;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void shuffle(struct rng *r, uint64_t *a, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rng_below(r, i + 1);
		uint64_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/*
 * A 4,095-page list (the largest TLFS rep count) of 8 clusters, shuffled,
 * costs 8 range sets, not 4,095.  The same pages as the TLFS-legal
 * hypercalls of at most 510 reps cost at most 8 sets per call.
 */
static void test_batching_counts(void **state)
{
	struct counter c = { .n = { .notify = count_change, .layers = 1 } };
	uint64_t pages[4095];
	struct rng rng;
	size_t n = 0, done;
	struct fx f;

	(void)state;
	rng_seed(&rng, 7);
	for (uint64_t k = 0; k < 8; k++) /* clusters of 512, the last one short */
		for (uint64_t i = 0; i < 512 && n < 4095; i++)
			pages[n++] = 1000 + k * 3000 + i;
	shuffle(&rng, pages, n);
	assert_int_equal(fx_init(&f, 1, 1, 32768, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	c.n.opaque = &c;
	memattr_notifier_register(f.store, &c.n);
	uint64_t before = memattr_vsm_store_sets(f.v), calls = memattr_vsm_store_calls(f.v);

	assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, pages, n, &done), 0);
	assert_int_equal(done, 4095);
	print_message("4095 scattered pages in 8 clusters: %llu store sets, %llu store calls, %lu "
		      "notifications\n",
		      (unsigned long long)(memattr_vsm_store_sets(f.v) - before),
		      (unsigned long long)(memattr_vsm_store_calls(f.v) - calls), c.calls);
	assert_int_equal(memattr_vsm_store_sets(f.v) - before, 8);
	assert_int_equal(memattr_vsm_store_calls(f.v) - calls, 1);
	assert_int_equal(c.calls, 8);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(memattr_get(f.store, 0, pages[i]), MEMATTR_READ);

	/*
	 * Through the hypercall path, 510 reps at a time as TLFS permits: a
	 * guest sends what it protects together, so each call's list is a
	 * shuffled slice of the clustered pages and touches one or two clusters.
	 */
	qsort(pages, n, sizeof(pages[0]), u64_cmp);
	for (size_t i = 0; i < n; i += LIST_MAX)
		shuffle(&rng, pages + i, n - i < LIST_MAX ? n - i : LIST_MAX);
	fx_go(&f, 0, 1);
	before = memattr_vsm_store_sets(f.v);
	c.calls = 0;
	for (size_t i = 0; i < n; i += LIST_MAX) {
		unsigned int k = (unsigned int)(n - i < LIST_MAX ? n - i : LIST_MAX);
		uint64_t r = fx_protect(&f, 0, F_R | F_W, pages + i, k, 0);

		assert_int_equal(r, (uint64_t)k << 32);
	}
	print_message("same pages by 9 hypercalls: %llu store sets, %lu notifications\n",
		      (unsigned long long)(memattr_vsm_store_sets(f.v) - before), c.calls);
	assert_true(memattr_vsm_store_sets(f.v) - before <= 9 * 2);
	assert_int_equal(
		memattr_range_has(f.store, 0, 1000, 1512, 0xff, MEMATTR_READ | MEMATTR_WRITE), 1);
	memattr_notifier_unregister(f.store, &c.n);
	fx_fini(&f);
}

/*
 * A truly scattered list: 4,095 random distinct pages, no two adjacent, in
 * random order, through memattr_vsm_protect().  Nothing coalesces, so the
 * runs are the pages: memattr_vsm_store_sets() (ranges the store walks) and
 * the notifier both count 4,095.  What batching still buys is the call
 * count: ONE memattr_set_runs() for the whole list (one value), all or
 * nothing, where a per-page apply makes 4,095 store calls.  Through the
 * hypercall path, 510 reps a call, it is one store call per hypercall (9).
 */
static void test_batching_scattered(void **state)
{
	struct counter c = { .n = { .notify = count_change, .layers = 1 } };
	static uint64_t slots[16384];
	uint64_t pages[4095], sets, calls;
	struct rng rng;
	size_t done;
	struct fx f;

	(void)state;
	rng_seed(&rng, 11);
	/* Distinct even pages of [0, 32768): never adjacent. */
	for (uint64_t i = 0; i < 16384; i++)
		slots[i] = 2 * i;
	for (size_t i = 0; i < 4095; i++) {
		size_t j = i + rng_below(&rng, 16384 - i);
		uint64_t t = slots[i];

		slots[i] = slots[j];
		slots[j] = t;
		pages[i] = slots[i];
	}
	assert_int_equal(fx_init(&f, 1, 1, 32768, 0, false), 0);
	fx_enable_all(&f, 1, 1);
	c.n.opaque = &c;
	memattr_notifier_register(f.store, &c.n);
	sets = memattr_vsm_store_sets(f.v);
	calls = memattr_vsm_store_calls(f.v);
	assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, pages, 4095, &done), 0);
	assert_int_equal(done, 4095);
	sets = memattr_vsm_store_sets(f.v) - sets;
	calls = memattr_vsm_store_calls(f.v) - calls;
	print_message("4095 scattered non-adjacent pages: %llu store call(s), %llu ranges set, %lu "
		      "notifications\n",
		      (unsigned long long)calls, (unsigned long long)sets, c.calls);
	assert_int_equal(calls, 1);
	assert_int_equal(sets, 4095);
	assert_int_equal(c.calls, 4095);
	for (size_t i = 0; i < 4095; i++) {
		assert_int_equal(memattr_get(f.store, 0, pages[i]), MEMATTR_READ);
		assert_int_equal(memattr_get(f.store, 0, pages[i] + 1), 0);
	}
	/* The same pages again, read-write, as nine hypercalls of at most 510 reps. */
	fx_go(&f, 0, 1);
	calls = memattr_vsm_store_calls(f.v);
	for (size_t i = 0; i < 4095; i += LIST_MAX) {
		unsigned int k = (unsigned int)(4095 - i < LIST_MAX ? 4095 - i : LIST_MAX);

		assert_int_equal(fx_protect(&f, 0, F_R | F_W, pages + i, k, 0), (uint64_t)k << 32);
	}
	calls = memattr_vsm_store_calls(f.v) - calls;
	print_message("same pages by 9 hypercalls: %llu store calls\n", (unsigned long long)calls);
	assert_int_equal(calls, 9);
	memattr_notifier_unregister(f.store, &c.n);
	fx_fini(&f);
}

/*
 * Memory runs out at every possible allocation of a call: the call does all
 * of its reps or none (reps completed 0, no page changed), and with memory
 * back the same call completes.
 */
static void test_enomem_all_or_nothing(void **state)
{
	uint64_t pages[24];
	struct test_alloc ta;
	struct rng rng;
	bool finished = false;
	int refused = 0;

	(void)state;
	rng_seed(&rng, 3);
	for (int i = 0; i < 24; i++)
		pages[i] = (uint64_t)i * 1024 + rng_below(&rng, 512); /* a leaf each */
	shuffle(&rng, pages, 24);
	for (long long k = 0; !finished && k < 200; k++) {
		const struct memattr_allocator *a = test_alloc_init(&ta);
		struct fx f;
		size_t done;
		unsigned int st;

		assert_int_equal(fx_init_alloc(&f, 1, 1, 24 * 1024, 0, false, a), 0);
		fx_enable_all(&f, 1, 1);
		ta.fail_from = ta.calls + k;
		st = memattr_vsm_protect(f.v, 1, 1, F_R, pages, 24, &done);
		ta.fail_from = -1;
		finished = st == MEMATTR_HV_STATUS_SUCCESS;
		if (!finished) {
			assert_int_equal(st, MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY);
			assert_int_equal(done, 0);
			refused++;
		}
		for (size_t i = 0; i < 24; i++)
			assert_int_equal(memattr_get(f.store, 0, pages[i]),
					 finished ? MEMATTR_READ : 0);
		if (!finished) {
			assert_int_equal(memattr_vsm_protect(f.v, 1, 1, F_R, pages, 24, &done),
					 MEMATTR_HV_STATUS_SUCCESS);
			assert_int_equal(done, 24);
		}
		fx_fini(&f);
	}
	assert_true(finished);
	print_message("calls refused whole for lack of memory: %d\n", refused);
	assert_true(refused > 0);
}

/*
 * EnableVtlProtection applies the default mask to all RAM in the VTL's own
 * mask as one store call, all or nothing: when memory runs out at any
 * allocation of it, the register write fails with INSUFFICIENT_MEMORY, no
 * page changed and protection stays off (the VTL's own mask still refused);
 * with memory back the same write completes.
 */
static void test_enable_protection_enomem(void **state)
{
	const uint64_t low = 24 * 1024 + 3, high = 517, hstart = (1ULL << 30) / PAGE;
	const uint64_t rw = MEMATTR_READ | MEMATTR_WRITE;
	struct test_alloc ta;
	bool finished = false;
	int refused = 0;

	(void)state;
	for (long long k = 0; !finished && k < 200; k++) {
		const struct memattr_allocator *a = test_alloc_init(&ta);
		uint64_t page = 7, calls;
		unsigned int st;
		struct fx f;

		assert_int_equal(fx_init_alloc(&f, 1, 1, low, high, false, a), 0);
		fx_enable_vtls(&f, 1, 1, false);
		fx_go(&f, 0, 1);
		calls = memattr_vsm_store_calls(f.v);
		ta.fail_from = ta.calls + k;
		st = memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W));
		ta.fail_from = -1;
		assert_int_equal(memattr_vsm_store_calls(f.v) - calls, 1);
		finished = st == MEMATTR_HV_STATUS_SUCCESS;
		if (!finished) {
			assert_int_equal(st, MEMATTR_HV_STATUS_INSUFFICIENT_MEMORY);
			refused++;
			assert_int_equal(memattr_range_has(f.store, 0, 0, low, 0xff, 0), 1);
			assert_int_equal(
				memattr_range_has(f.store, 0, hstart, hstart + high, 0xff, 0), 1);
			assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)),
					 MEMATTR_HV_STATUS_ACCESS_DENIED);
			assert_int_equal(
				memattr_vsm_set_partition_config(f.v, 0, CONFIG_ON(F_R | F_W)),
				MEMATTR_HV_STATUS_SUCCESS);
		}
		assert_int_equal(memattr_range_has(f.store, 0, 0, low, 0xff, rw), 1);
		assert_int_equal(memattr_range_has(f.store, 0, hstart, hstart + high, 0xff, rw), 1);
		assert_int_equal(fx_mask(&f, 1, low), 0);
		assert_int_equal(fx_mask(&f, 1, hstart + high), 0);
		assert_int_equal(ST(fx_protect(&f, 0, F_R, &page, 1, 0)), 0);
		fx_fini(&f);
	}
	assert_true(finished);
	print_message("EnableVtlProtection refused whole for lack of memory: %d\n", refused);
	assert_true(refused > 0);
}

/* ---- a boot trace through the hypercall path ---- */

static uint32_t flags_of(uint8_t value)
{
	/* The trace's store values use R W X as HV_MAP_GPA_FLAGS does; NO_ACCESS is 0. */
	return value & MEMATTR_NO_ACCESS ? 0 : value & 7;
}

/*
 * bench's generator writes what a secure kernel does at boot, as batches of
 * one protection each: its default trace, the one `memattr bench` replays
 * (64 GiB of RAM below and above the 32-bit hole, 300,000 changes).  Replay
 * every batch as ModifyVtlProtectionMask calls (510 reps at most) from VTL 1,
 * apply the same ops straight to a second store, and compare every page of
 * RAM; count the store updates.
 */
static void test_boot_trace(void **state)
{
	struct trace_params p;
	struct trace t;
	struct ram_layout ram;
	struct memattr_store *ref;
	struct memattr_config rc = { .layers = 1, .gpa_bits = 40 };
	uint64_t *list = malloc(4096 * sizeof(*list));
	uint64_t calls = 0, pages_total = 0;
	struct fx f;

	(void)state;
	trace_params_default(&p);
	p.layers = 1;
	p.gpa_bits = 40;
	assert_int_equal(trace_generate(&p, &t), 0);
	ram_layout_of(p.guest_bytes, &ram);
	assert_true(ram.high_pages > 0);
	assert_int_equal(fx_init_layout(&f, 1, 1, ram.low_pages, ram.high_start * PAGE,
					ram.high_pages, false, NULL),
			 0);
	assert_int_equal(memattr_store_create(&rc, &ref), 0);
	fx_enable_all(&f, 1, 1);
	fx_go(&f, 0, 1);
	for (size_t i = 0; i < t.nops; i++)
		assert_int_equal(t.ops[i].value & MEMATTR_PRIVATE, 0);
	/* The sweep gives every page R|W|X: full access, the same as never set. */
	for (size_t i = t.nsweep; i < t.nops;) {
		size_t j = i, n = 0;
		uint8_t value = t.ops[i].value;

		while (j < t.nops && t.ops[j].batch == t.ops[i].batch && t.ops[j].value == value) {
			for (uint64_t g = 0; g < t.ops[j].npages; g++) {
				list[n++] = t.ops[j].gfn + g;
				if (n == LIST_MAX) {
					assert_int_equal(
						fx_protect(&f, 0, flags_of(value), list, n, 0),
						(uint64_t)n << 32);
					calls++;
					pages_total += n;
					n = 0;
				}
			}
			uint64_t next;

			assert_int_equal(memattr_set(ref, 0, t.ops[j].gfn,
						     t.ops[j].gfn + t.ops[j].npages,
						     value == MEMATTR_RWX ? 0 : value, 0, &next),
					 0);
			j++;
		}
		if (n) {
			assert_int_equal(fx_protect(&f, 0, flags_of(value), list, n, 0),
					 (uint64_t)n << 32);
			calls++;
			pages_total += n;
		}
		i = j;
	}
	for (uint64_t i = 0; i < ram.low_pages + ram.high_pages; i++) {
		uint64_t g = ram_gfn(&ram, i);

		assert_int_equal(memattr_get(f.store, 0, g), memattr_get(ref, 0, g));
	}
	print_message("boot trace: %zu ops, %llu pages in %llu hypercalls, %llu store sets\n",
		      t.nops - t.nsweep, (unsigned long long)pages_total, (unsigned long long)calls,
		      (unsigned long long)memattr_vsm_store_sets(f.v));
	assert_true(memattr_vsm_store_sets(f.v) < pages_total);
	memattr_store_destroy(ref);
	trace_free(&t);
	free(list);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_histories),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_batching_counts),
		cmocka_unit_test(test_batching_scattered),
		cmocka_unit_test(test_enomem_all_or_nothing),
		cmocka_unit_test(test_enable_protection_enomem),
		cmocka_unit_test(test_boot_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
