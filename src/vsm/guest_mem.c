// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest RAM as a VTL may see it: the VMM reads and writes guest memory on a
 * VTL's behalf (hypercall input pages included) only where that VTL's
 * protections allow, so a lower VTL cannot use the VMM to reach memory a
 * higher VTL closed to it (TLFS VSM "Memory Access Protections").
 */
#include <errno.h>
#include <string.h>

#include "vsm.h"

const struct memattr_vsm_ram *vsm_ram_of(const struct memattr_vsm *v, uint64_t gfn)
{
	unsigned int lo = 0, hi = v->nram;

	if (gfn > UINT64_MAX >> MEMATTR_PAGE_SHIFT)
		return NULL;
	/* Regions are sorted and disjoint: find the last one starting at or below gfn. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (v->ram[mid].gpa >> MEMATTR_PAGE_SHIFT <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct memattr_vsm_ram *r = &v->ram[lo - 1];

	if (gfn - (r->gpa >> MEMATTR_PAGE_SHIFT) >= r->size >> MEMATTR_PAGE_SHIFT)
		return NULL;
	return r;
}

int vsm_guest_copy(const struct memattr_vsm *v, unsigned int vtl, uint64_t gpa, void *buf,
		   size_t len, bool write)
{
	enum memattr_access a = write ? MEMATTR_ACCESS_WRITE : MEMATTR_ACCESS_READ;
	uint64_t first, last;

	if (!len)
		return 0;
	if (len - 1 > UINT64_MAX - gpa)
		return -EFAULT;
	first = gpa >> MEMATTR_PAGE_SHIFT;
	last = (gpa + (len - 1)) >> MEMATTR_PAGE_SHIFT;
	/* Check every page before copying any byte: all or nothing. */
	for (uint64_t g = first; g <= last; g++) {
		if (!vsm_ram_of(v, g))
			return -EFAULT;
		if (vsm_blocker(v, vtl, g, a))
			return -EACCES;
	}
	for (uint64_t g = first; g <= last; g++) {
		const struct memattr_vsm_ram *r = vsm_ram_of(v, g);
		uint64_t lo = g == first ? gpa : g << MEMATTR_PAGE_SHIFT;
		uint64_t hi = g == last ? gpa + (len - 1) : (g << MEMATTR_PAGE_SHIFT) | 0xfff;
		uint8_t *host = (uint8_t *)r->host + (lo - r->gpa);
		uint8_t *b = (uint8_t *)buf + (lo - gpa);

		if (write)
			memcpy(host, b, hi - lo + 1);
		else
			memcpy(b, host, hi - lo + 1);
	}
	return 0;
}

int memattr_vsm_guest_read(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa, void *buf,
			   size_t len)
{
	if (vp >= v->nvps || (!buf && len))
		return -EINVAL;
	return vsm_guest_copy(v, v->vps[vp].vtl, gpa, buf, len, false);
}

int memattr_vsm_guest_write(const struct memattr_vsm *v, unsigned int vp, uint64_t gpa,
			    const void *buf, size_t len)
{
	if (vp >= v->nvps || (!buf && len))
		return -EINVAL;
	return vsm_guest_copy(v, v->vps[vp].vtl, gpa, (void *)buf, len, true);
}
