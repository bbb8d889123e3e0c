// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the VSM front's hypercall decoder: the guest controls
 * the control word, the input page's bytes and which VTL the VP calls from.
 *
 * Input: 8 bytes of control word, 1 byte choosing the caller's VTL (0..2 on a
 * three-VTL partition, all VTLs enabled with protections on), then up to a
 * page of input bytes written at the VP's input GPA.  Whatever the bytes, the
 * call must return a TLFS result whose reserved bits are zero and that reports
 * no more reps than asked for (or exactly one of the front's two "no result"
 * values: inject #UD, intercepted), and change protections only for the GPA
 * pages among the reported reps of a ModifyVtlProtectionMask; every other
 * hypercall leaves all protections as they were.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/vsm_fixture.h"

#define LOW_PAGES 48
#define TOP_VTL	  2

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every (setter, target) protection: out[s][t][g], from target t's store. */
static void snapshot(struct fx *f, uint8_t (*out)[TOP_VTL][LOW_PAGES])
{
	for (unsigned int s = 1; s <= TOP_VTL; s++)
		for (unsigned int t = 0; t < s; t++)
			for (uint64_t g = 0; g < LOW_PAGES; g++)
				out[s][t][g] = (uint8_t)fx_prot(f, s, t, g);
}

/* Is gfn @g among the reps [start, done) of the list the call read? */
static bool listed(const uint8_t *page, unsigned int start, unsigned int done, uint64_t g)
{
	for (unsigned int i = start; i < done; i++) {
		uint64_t x;

		memcpy(&x, page + 16 + 8 * i, sizeof(x));
		if (x == g)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[TOP_VTL + 1][TOP_VTL][LOW_PAGES],
		after[TOP_VTL + 1][TOP_VTL][LOW_PAGES];
	uint8_t page[PAGE] = { 0 };
	uint64_t control, result;
	unsigned int count, start, done, code, vtl;
	struct fx f;

	if (size < 9)
		return 0;
	memcpy(&control, data, sizeof(control));
	vtl = data[8] % (TOP_VTL + 1);
	memcpy(page, data + 9, size - 9 < PAGE ? size - 9 : PAGE);
	if (fx_init(&f, TOP_VTL, 1, LOW_PAGES, 0, false))
		abort();
	fx_enable_all(&f, TOP_VTL, 1);
	fx_go(&f, 0, vtl);
	memcpy(fx_host(&f, INPUT_GPA(0)), page, PAGE);
	snapshot(&f, before);

	result = memattr_vsm_hypercall(f.v, 0, control, INPUT_GPA(0), INPUT_GPA(0) + PAGE);

	snapshot(&f, after);
	code = (unsigned int)MEMATTR_HV_CONTROL_CODE(control);
	count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
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
	fx_fini(&f);
	return 0;
}
