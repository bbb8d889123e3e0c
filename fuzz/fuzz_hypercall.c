// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the VSM front's hypercall decoder: the guest controls
 * the control word, the input page's bytes and which VTL the VP calls from.
 *
 * Input: 8 bytes of control word, 1 byte choosing the partition's state and
 * the caller's VTL, then up to a page of input bytes written at the VP's input
 * GPA.  The partition has VTLs 0..2; that byte's bit 6 leaves VTL 2 disabled,
 * bit 7 leaves every VTL's EnableVtlProtection clear, and its low bits pick
 * the caller among the enabled VTLs.  Whatever the bytes, the
 * call must return a TLFS result whose reserved bits are zero and that reports
 * no more reps than asked for (or exactly one of the front's two "no result"
 * values: inject #UD, intercepted), and change protections only for the GPA
 * pages among the reported reps of a ModifyVtlProtectionMask; every other
 * hypercall leaves all protections as they were.
 *
 * For ModifyVtlProtectionMask the harness also works out on its own what the
 * call must do (TLFS "Hypercall Inputs", rep semantics): a valid header gets
 * reps completed up to the first rep, from the start index on, whose GPA is
 * not RAM (all of them on success), an invalid one the start index; and the
 * pages of exactly those reps, no others, RAM or not, now carry the
 * requested value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/vsm_fixture.h"

#define LOW_PAGES 48
#define TOP_VTL	  2
#define GPA_BITS  40 /* fx_init()'s stores */
#define MAX_REPS  ((PAGE - 16) / 8)
/* Pages watched: all of low RAM, then each listed page and its two neighbours. */
#define WATCHED (LOW_PAGES + 3 * MAX_REPS)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every (setter, target) protection: out[s][t][g], from target t's store. */
static void snapshot(struct fx *f, uint8_t (*out)[TOP_VTL][LOW_PAGES])
{
	for (unsigned int s = 1; s <= TOP_VTL; s++)
		for (unsigned int t = 0; t < s; t++)
			for (uint64_t g = 0; g < LOW_PAGES; g++)
				out[s][t][g] = (uint8_t)fx_prot(f, s, t, g);
}

static uint64_t rep_gfn(const uint8_t *page, unsigned int i)
{
	uint64_t x;

	memcpy(&x, page + 16 + 8 * i, sizeof(x));
	return x;
}

/* Is gfn @g among the reps [start, done) of the list the call read? */
static bool listed(const uint8_t *page, unsigned int start, unsigned int done, uint64_t g)
{
	for (unsigned int i = start; i < done; i++)
		if (rep_gfn(page, i) == g)
			return true;
	return false;
}

/*
 * The store value HV_MAP_GPA_FLAGS @flags stands for on this partition (no
 * MBEC), or -1 for flags the call must refuse: TLFS VSM "Memory Access
 * Protections" allows none, R, RW, RX and RWX; full access is stored as 0.
 */
static int64_t flags_value(uint32_t flags)
{
	switch (flags) {
	case 0:
		return MEMATTR_NO_ACCESS;
	case F_R:
		return MEMATTR_READ;
	case F_R | F_W:
		return MEMATTR_READ | MEMATTR_WRITE;
	case F_R | F_KX:
		return MEMATTR_READ | MEMATTR_EXECUTE;
	case F_R | F_W | F_KX:
		return 0;
	}
	return -1;
}

/*
 * What a ModifyVtlProtectionMask from VTL @vtl must do, from the control
 * word and the input page alone.  Return: true if the header is valid, with
 * *@target, *@value and *@reps (reps completed) set.
 */
static bool modify_expected(uint64_t control, const uint8_t *page, unsigned int vtl,
			    bool protection, unsigned int *target, int64_t *value,
			    unsigned int *reps)
{
	unsigned int count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	unsigned int start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
	uint64_t id;
	uint32_t flags;

	/* RsvdZ 31:27, 47:44, 63:60; no variable header, not fast, start below count. */
	if (control & ((0x1fULL << 27) | (0xfULL << 44) | (0xfULL << 60) | (0x3ffULL << 17) |
		       MEMATTR_HV_CONTROL_FAST))
		return false;
	if (start >= count || count > MAX_REPS)
		return false;
	memcpy(&id, page, 8);
	memcpy(&flags, page + 8, 4);
	if (id != SELF || (page[12] & 0xe0) || page[13] || page[14] || page[15])
		return false;
	/*
	 * Only a lower VTL, and only once the caller's EnableVtlProtection is
	 * set (TLFS VSM "VTL Enablement"); every VTL below the caller is enabled.
	 */
	*target = (page[12] & 0x10) ? page[12] & 0xf : vtl;
	if (*target >= vtl || !protection)
		return false;
	*value = flags_value(flags);
	if (*value < 0)
		return false;
	*reps = start;
	while (*reps < count && rep_gfn(page, *reps) < LOW_PAGES)
		++*reps;
	return true;
}

/* All of low RAM, every page the call lists and its neighbours, in the store's GPA space. */
static size_t watched_pages(const uint8_t *page, unsigned int count, uint64_t *out)
{
	size_t n = 0;

	for (uint64_t g = 0; g < LOW_PAGES; g++)
		out[n++] = g;
	for (unsigned int i = 0; i < count && i < MAX_REPS; i++) {
		uint64_t g = rep_gfn(page, i);

		for (uint64_t x = g - 1; x != g + 2; x++)
			if (x < 1ULL << (GPA_BITS - MEMATTR_PAGE_SHIFT))
				out[n++] = x;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[TOP_VTL + 1][TOP_VTL][LOW_PAGES],
		after[TOP_VTL + 1][TOP_VTL][LOW_PAGES];
	static int wbefore[TOP_VTL + 1][TOP_VTL][WATCHED];
	static uint64_t watch[WATCHED];
	uint8_t page[PAGE] = { 0 };
	uint64_t control, result;
	unsigned int count, start, done, code, vtl, top, target = 0, reps = 0;
	int64_t value = 0;
	bool valid = false, protection;
	size_t nwatch;
	struct fx f;

	if (size < 9)
		return 0;
	memcpy(&control, data, sizeof(control));
	top = data[8] & 0x40 ? TOP_VTL - 1 : TOP_VTL;
	protection = !(data[8] & 0x80);
	vtl = (data[8] & 0x3f) % (top + 1);
	memcpy(page, data + 9, size - 9 < PAGE ? size - 9 : PAGE);
	code = (unsigned int)MEMATTR_HV_CONTROL_CODE(control);
	count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
	if (fx_init(&f, TOP_VTL, 1, LOW_PAGES, 0, false))
		abort();
	fx_enable_vtls(&f, top, 1, protection);
	fx_go(&f, 0, vtl);
	memcpy(fx_host(&f, INPUT_GPA(0)), page, PAGE);
	snapshot(&f, before);
	nwatch = watched_pages(page, code == HC_MODIFY ? count : 0, watch);
	for (unsigned int s = 1; s <= TOP_VTL; s++)
		for (unsigned int t = 0; t < s; t++)
			for (size_t i = 0; i < nwatch; i++)
				wbefore[s][t][i] = fx_prot(&f, s, t, watch[i]);

	result = memattr_vsm_hypercall(f.v, 0, control, INPUT_GPA(0), INPUT_GPA(0) + PAGE);

	snapshot(&f, after);
	done = REPS(result);
	if (result == MEMATTR_VSM_INTERCEPTED || result == MEMATTR_VSM_INJECT_UD) {
		done = 0; /* nothing ran: no rep may have changed anything */
	} else {
		/* Result value: status 15:0, reps completed 43:32, the rest reserved. */
		if (result & ~0xfff0000ffffULL)
			abort();
		if (count && done > count)
			abort();
	}
	for (unsigned int s = 1; s <= TOP_VTL; s++)
		for (unsigned int t = 0; t < s; t++)
			for (uint64_t g = 0; g < LOW_PAGES; g++) {
				if (before[s][t][g] == after[s][t][g])
					continue;
				/* Only the caller's protections change, and only listed pages. */
				if (code != MEMATTR_HVCALL_MODIFY_VTL_PROTECTION_MASK || s != vtl ||
				    !listed(page, start, done < count ? done : count, g))
					abort();
			}
	if (code == HC_MODIFY) {
		/*
		 * The caller's VTL is at CPL 0 in protected mode and may read its
		 * input page: the call runs, and reports exactly the reps it did.
		 */
		valid = modify_expected(control, page, vtl, protection, &target, &value, &reps);
		if (result == MEMATTR_VSM_INTERCEPTED || result == MEMATTR_VSM_INJECT_UD)
			abort();
		if (valid && (done != reps || ST(result) != (reps == count ? 0 : 5)))
			abort();
		/* A bad control word or header: an error, nothing new done. */
		if (!valid && (!ST(result) || done > start))
			abort();
	}
	/*
	 * Every watched page of every (setter, target): the completed reps'
	 * pages carry the requested value, every other page, RAM or not, kept
	 * its value (a failed rep does nothing).
	 */
	for (unsigned int s = 1; s <= TOP_VTL; s++)
		for (unsigned int t = 0; t < s; t++)
			for (size_t i = 0; i < nwatch; i++) {
				int want = wbefore[s][t][i];

				if (valid && s == vtl && t == target &&
				    listed(page, start, reps, watch[i]))
					want = (int)value;
				if (fx_prot(&f, s, t, watch[i]) != want)
					abort();
			}
	fx_fini(&f);
	return 0;
}
