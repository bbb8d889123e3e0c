// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the VSM front's hypercall decoder: the guest controls
 * the control word, the input page's bytes and which VTL the VP calls from.
 *
 * Input: 8 bytes of control word, 1 byte choosing the partition's state and
 * the caller's VTL, then up to a page of input bytes written at the VP's
 * input GPA.  The partition has VTLs 0..2 on one VP, each VTL's protection
 * mask in a layer of one store.  The layout byte: bits 3:0 pick the caller
 * among the enabled VTLs, bit 4 makes the store and every VTL use MBEC,
 * bit 5 leaves VTL 2's EnableVtlProtection clear, bit 6 leaves VTL 2
 * disabled, bit 7 leaves VTL 1's EnableVtlProtection clear.  VtlCall and
 * VtlReturn read no input page: for them the page's first 8 bytes are the
 * caller's RAX and the next 16 its HV_VP_VTL_CONTROL's return RAX and RCX.
 *
 * Whatever the bytes, the call must return a TLFS result whose reserved
 * bits are zero and that reports no more reps than asked for (or exactly one
 * of the front's two "no result" values: inject #UD, intercepted), and
 * change protection masks only where the call may: a ModifyVtlProtectionMask
 * the named mask at the pages among the reported reps; a SetVpRegisters that
 * turns on a VTL's protection that VTL's mask over all RAM, to the default
 * mask it wrote; nothing else changes any mask.
 *
 * The harness also works out on its own what some calls must answer.
 * ModifyVtlProtectionMask (TLFS "Hypercall Inputs", rep semantics, and the
 * rules of src/vsm/protect.c): the status of a bad control word or header,
 * and for a valid header the reps completed up to the first rep, from the
 * start index on, whose GPA is not RAM (all of them on success), with the
 * pages of exactly those reps, no others, RAM or not, carrying the requested
 * value.  EnablePartitionVtl and EnableVpVtl of a VTL already enabled:
 * INVALID_VTL_STATE and VTL_ALREADY_ENABLED.  VtlCall and VtlReturn: when
 * they switch VTLs and when they are #UD, and the registers a return sets.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vsm_fixture.h"

#define LOW_PAGES 48
#define TOP_VTL	  2
#define GPA_BITS  40 /* fx_init()'s store */
#define MAX_REPS  ((PAGE - sizeof(modify_in_t)) / 8)
/* Pages watched: all of low RAM, then each listed page and its two neighbours. */
#define WATCHED (LOW_PAGES + 3 * MAX_REPS)

#define CONTROL_RSVD ((0x1fULL << 27) | (0xfULL << 44) | (0xfULL << 60) | (0x3ffULL << 17))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every VTL's mask over low RAM: out[n][g]. */
static void snapshot(struct fx *f, uint8_t (*out)[LOW_PAGES])
{
	for (unsigned int n = 1; n <= TOP_VTL; n++)
		for (uint64_t g = 0; g < LOW_PAGES; g++)
			out[n][g] = (uint8_t)fx_mask(f, n, g);
}

static uint64_t rep_gfn(const uint8_t *page, unsigned int i)
{
	return tlfs_get(page + sizeof(modify_in_t) + 8 * i, 8);
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
 * The store value HV_MAP_GPA_FLAGS @flags stands for in a mask of this
 * partition, whose VTLs all use MBEC or none does, as its store, or -1 for
 * flags the call must refuse.  TLFS VSM "Memory Access Protections" allows
 * none, R, RW, RX and RWX, so any right without R is refused; without MBEC
 * user execute is ignored, with it KX needs UX; full access is stored as 0.
 */
static int64_t flags_value(uint32_t flags, bool mbec)
{
	const int64_t x = MEMATTR_EXECUTE | (mbec ? MEMATTR_USER_EXECUTE : 0);

	if ((flags & ~(uint32_t)F_ALL) || (flags && !(flags & F_R)))
		return -1;
	if (!mbec)
		flags &= ~(uint32_t)F_UX;
	switch (flags) {
	case 0:
		return MEMATTR_NO_ACCESS;
	case F_R:
		return MEMATTR_READ;
	case F_R | F_W:
		return MEMATTR_READ | MEMATTR_WRITE;
	case F_R | F_KX:
		return mbec ? -1 : MEMATTR_READ | x;
	case F_R | F_W | F_KX:
		return mbec ? -1 : 0;
	case F_R | F_UX:
		return MEMATTR_READ | MEMATTR_USER_EXECUTE;
	case F_R | F_W | F_UX:
		return MEMATTR_READ | MEMATTR_WRITE | MEMATTR_USER_EXECUTE;
	case F_R | F_KX | F_UX:
		return MEMATTR_READ | x;
	case F_ALL:
		return 0;
	}
	return -1;
}

/* The partition the harness made: which VTLs, which have protection on, MBEC. */
struct shape {
	unsigned int vtl, top;
	uint32_t protect; /* bit n: VTL n's EnableVtlProtection set */
	bool mbec;
};

/*
 * What a ModifyVtlProtectionMask from VTL @s->vtl must answer, from the
 * control word and the input page alone: the HV_STATUS of a refused call,
 * or 0 for a valid header, with *@mask_vtl, *@value and *@reps (reps
 * completed) set.
 */
static unsigned int modify_expected(uint64_t control, const uint8_t *page, const struct shape *s,
				    unsigned int *mask_vtl, int64_t *value, unsigned int *reps)
{
	unsigned int count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	unsigned int start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
	unsigned int in_vtl = (unsigned int)TLFS_GET(page, modify_in_t, target_vtl);

	/* RsvdZ, a variable header, fast, start not below count. */
	if ((control & (CONTROL_RSVD | MEMATTR_HV_CONTROL_FAST)) || start >= count)
		return MEMATTR_HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (count > MAX_REPS)
		return MEMATTR_HV_STATUS_INVALID_ALIGNMENT;
	if (TLFS_GET(page, modify_in_t, partition_id) != SELF)
		return MEMATTR_HV_STATUS_INVALID_PARTITION_ID;
	if ((in_vtl & 0xe0) || TLFS_GET(page, modify_in_t, reserved))
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	/*
	 * The named mask: not above the caller, not VTL 0's, the caller's own
	 * only once its protection is on; every VTL up to the caller is enabled.
	 */
	*mask_vtl = (in_vtl & MEMATTR_HV_INPUT_VTL_USE_TARGET) ? in_vtl & 0xf : s->vtl;
	if (*mask_vtl > s->vtl)
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	if (*mask_vtl == 0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	if (*mask_vtl == s->vtl && !(s->protect & (1U << s->vtl)))
		return MEMATTR_HV_STATUS_ACCESS_DENIED;
	*value = flags_value((uint32_t)TLFS_GET(page, modify_in_t, map_flags), s->mbec);
	if (*value < 0)
		return MEMATTR_HV_STATUS_INVALID_PARAMETER;
	*reps = start;
	while (*reps < count && rep_gfn(page, *reps) < LOW_PAGES)
		++*reps;
	return 0;
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

/*
 * SetVpRegisters may change VTL @n's mask only by turning on its protection:
 * @n is the VTL the header names, its protection was off, and the mask is
 * now, over all RAM, the default mask of the first completed element that
 * sets EnableVtlProtection.
 */
static bool config_change_ok(const uint8_t *page, const struct shape *s, unsigned int start,
			     unsigned int done, unsigned int n, const uint8_t *after)
{
	unsigned int in_vtl = (unsigned int)TLFS_GET(page, regs_in_t, target_vtl);
	unsigned int named = (in_vtl & MEMATTR_HV_INPUT_VTL_USE_TARGET) ? in_vtl & 0xf : s->vtl;

	if (n != named || (s->protect & (1U << n)))
		return false;
	for (unsigned int i = start; i < done; i++) {
		const uint8_t *e = page + sizeof(regs_in_t) + sizeof(assoc_t) * i;
		uint64_t value = TLFS_GET(e, assoc_t, value_low);

		if (!(value & MEMATTR_VSM_CONFIG_ENABLE_VTL_PROTECTION))
			continue;
		for (uint64_t g = 0; g < LOW_PAGES; g++)
			if (after[g] != flags_value((uint32_t)(value >> 1) & 0xf, s->mbec))
				return false;
		return true;
	}
	return false;
}

/*
 * EnablePartitionVtl and EnableVpVtl of a VTL already enabled for the
 * partition and on the VP, with a well-formed memory input naming it:
 * INVALID_VTL_STATE (OpenVMM's hardware_cvm enable_partition_vtl()) and
 * VTL_ALREADY_ENABLED (its enable_vp_vtl()).  0 when the harness does not
 * know the answer.
 */
static unsigned int enable_expected(uint64_t control, const uint8_t *page, const struct shape *s)
{
	unsigned int vtl;

	if (control == HC_EPV) {
		vtl = (unsigned int)TLFS_GET(page, epv_in_t, target_vtl);
		if (TLFS_GET(page, epv_in_t, partition_id) != SELF ||
		    TLFS_GET(page, epv_in_t, reserved) || TLFS_GET(page, epv_in_t, flags) > 1 ||
		    ((page[offsetof(epv_in_t, flags)] & 1) && !s->mbec) || vtl > s->top)
			return 0;
		return MEMATTR_HV_STATUS_INVALID_VTL_STATE;
	}
	if (control == HC_EVV) {
		uint32_t index = (uint32_t)TLFS_GET(page, evv_in_t, vp_index);

		vtl = (unsigned int)TLFS_GET(page, evv_in_t, target_vtl);
		if (TLFS_GET(page, evv_in_t, partition_id) != SELF ||
		    TLFS_GET(page, evv_in_t, reserved) ||
		    (index != 0 && index != MEMATTR_HV_VP_INDEX_SELF) || vtl < 1 || vtl > s->top)
			return 0;
		return MEMATTR_HV_STATUS_VTL_ALREADY_ENABLED;
	}
	return 0;
}

/*
 * VtlCall and VtlReturn (microsoft/openvmm, vm/hv1/hv1_hypercall/src/imp.rs):
 * the control word exactly the call code, RAX 0 for a call and 0 or 1 (fast)
 * for a return, a VTL to go to; anything else #UD with the VP where it was.
 * The VP was put at its VTL by calls from VTL 0, so a call enters the next
 * VTL and a return goes to the one below.  A return that is not fast gives
 * the lower VTL RAX and RCX from the returning VTL's HV_VP_VTL_CONTROL; a
 * fast one the returning VTL's own.
 */
static void check_vtl_switch(struct fx *f, uint64_t control, uint64_t result, const struct shape *s,
			     uint64_t rax, uint64_t rcx, const struct memattr_vsm_vtl_control *c)
{
	unsigned int code = (unsigned int)MEMATTR_HV_CONTROL_CODE(control);
	unsigned int now = memattr_vsm_vp_vtl(f->v, 0);
	const struct memattr_vsm_vp_regs *r;

	if (code == HC_CALL) {
		if (control == HC_CALL && rax == 0 && s->vtl < s->top) {
			if (result != 0 || now != s->vtl + 1 ||
			    memattr_vsm_entry_reason(f->v, 0) != MEMATTR_HV_VTL_ENTRY_VTL_CALL)
				abort();
		} else if (result != MEMATTR_VSM_INJECT_UD || now != s->vtl) {
			abort();
		}
	} else if (code == HC_RET) {
		if (control == HC_RET && !(rax & ~1ULL) && s->vtl > 0) {
			r = memattr_vsm_vp_regs(f->v, 0, now);
			if (result != 0 || now != s->vtl - 1)
				abort();
			if (r->gpr[MEMATTR_RAX] != ((rax & 1) ? rax : c->vtl_return_rax) ||
			    r->gpr[MEMATTR_RCX] != ((rax & 1) ? rcx : c->vtl_return_rcx))
				abort();
		} else if (result != MEMATTR_VSM_INJECT_UD || now != s->vtl) {
			abort();
		}
	} else if (now != s->vtl) {
		abort(); /* no other call switches VTLs */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[TOP_VTL + 1][LOW_PAGES], after[TOP_VTL + 1][LOW_PAGES];
	static int wbefore[TOP_VTL + 1][WATCHED];
	static uint64_t watch[WATCHED];
	struct memattr_vsm_vtl_control ctl = { 0 };
	uint8_t page[PAGE] = { 0 };
	uint64_t control, result, rax = 0, rcx = 0;
	unsigned int count, start, done, code, mask_vtl = 0, reps = 0, refused = 0, want;
	struct shape s;
	int64_t value = 0;
	size_t nwatch;
	struct fx f;

	if (size < 9)
		return 0;
	control = tlfs_get(data, 8);
	s.top = data[8] & 0x40 ? TOP_VTL - 1 : TOP_VTL;
	s.mbec = data[8] & 0x10;
	s.protect = ~((data[8] & 0x80 ? 1U << 1 : 0) | (data[8] & 0x20 ? 1U << 2 : 0));
	s.vtl = (data[8] & 0x0f) % (s.top + 1);
	memcpy(page, data + 9, size - 9 < PAGE ? size - 9 : PAGE);
	code = (unsigned int)MEMATTR_HV_CONTROL_CODE(control);
	count = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_COUNT_SHIFT) & 0xfff;
	start = (unsigned int)(control >> MEMATTR_HV_CONTROL_REP_START_SHIFT) & 0xfff;
	if (fx_init(&f, TOP_VTL, 1, LOW_PAGES, 0, s.mbec))
		abort();
	fx_enable(&f, s.top, 1, s.protect, s.mbec ? ~0U : 0);
	fx_go(&f, 0, s.vtl);
	memcpy(fx_host(&f, INPUT_GPA(0)), page, PAGE);
	if (code == HC_CALL || code == HC_RET) {
		struct memattr_vsm_vp_regs *r = memattr_vsm_vp_regs(f.v, 0, s.vtl);

		rax = tlfs_get(page, 8);
		r->gpr[MEMATTR_RAX] = rax;
		rcx = r->gpr[MEMATTR_RCX];
		if (s.vtl) {
			ctl.vtl_return_rax = tlfs_get(page + 8, 8);
			ctl.vtl_return_rcx = tlfs_get(page + 16, 8);
			*memattr_vsm_vtl_control(f.v, 0, s.vtl) = ctl;
		}
	}
	if (code == HC_MODIFY)
		refused = modify_expected(control, page, &s, &mask_vtl, &value, &reps);
	snapshot(&f, before);
	nwatch = watched_pages(page, code == HC_MODIFY ? count : 0, watch);
	for (unsigned int n = 1; n <= TOP_VTL; n++)
		for (size_t i = 0; i < nwatch; i++)
			wbefore[n][i] = fx_mask(&f, n, watch[i]);

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
	check_vtl_switch(&f, control, result, &s, rax, rcx, &ctl);
	/* Over RAM: only the calls that may change a mask did, and only where they may. */
	for (unsigned int n = 1; n <= TOP_VTL; n++) {
		bool changed = false;

		for (uint64_t g = 0; g < LOW_PAGES; g++) {
			if (before[n][g] == after[n][g])
				continue;
			changed = true;
			if (code == HC_MODIFY && n == mask_vtl &&
			    listed(page, start, done < count ? done : count, g))
				continue;
			if (code != HC_SET)
				abort();
		}
		if (changed && code == HC_SET &&
		    !config_change_ok(page, &s, start, done < count ? done : count, n, after[n]))
			abort();
	}
	if (code == HC_MODIFY) {
		/*
		 * The caller's VTL is at CPL 0 in protected mode and may read its
		 * input page: the call runs, and reports exactly the reps it did.
		 */
		if (result == MEMATTR_VSM_INTERCEPTED || result == MEMATTR_VSM_INJECT_UD)
			abort();
		if (!refused && (done != reps || ST(result) != (reps == count ? 0 : 5)))
			abort();
		/* A bad control word or header: its status, nothing new done. */
		if (refused && (ST(result) != refused || done > start))
			abort();
	}
	want = enable_expected(control, page, &s);
	if (want && result != want)
		abort();
	/*
	 * Every watched page of every mask, RAM or not: the completed reps'
	 * pages carry the requested value in the named mask, every other page
	 * kept its value (a failed rep does nothing).  SetVpRegisters was
	 * checked above, over RAM.
	 */
	for (unsigned int n = 1; n <= TOP_VTL && code != HC_SET; n++)
		for (size_t i = 0; i < nwatch; i++) {
			int w = wbefore[n][i];

			if (code == HC_MODIFY && !refused && n == mask_vtl &&
			    listed(page, start, reps, watch[i]))
				w = (int)value;
			if (fx_mask(&f, n, watch[i]) != w)
				abort();
		}
	fx_fini(&f);
	return 0;
}
