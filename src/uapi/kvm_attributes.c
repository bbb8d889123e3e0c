// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * KVM_GET_SUPPORTED_MEMORY_ATTRIBUTES / KVM_SET_MEMORY_ATTRIBUTES semantics
 * on one layer of a store (Documentation/virt/kvm/api.rst, and the RFC in
 * shared/seed for the progress reporting).
 */
#include <errno.h>
#include <stddef.h>

#include <memattr/kvm.h>

_Static_assert(sizeof(struct memattr_kvm_attributes) == 32, "uAPI layout");
_Static_assert(offsetof(struct memattr_kvm_attributes, address) == 0, "uAPI layout");
_Static_assert(offsetof(struct memattr_kvm_attributes, size) == 8, "uAPI layout");
_Static_assert(offsetof(struct memattr_kvm_attributes, attributes) == 16, "uAPI layout");
_Static_assert(offsetof(struct memattr_kvm_attributes, flags) == 24, "uAPI layout");

int memattr_kvm_get_supported(const struct memattr_store *s, unsigned int layer, uint64_t *mask)
{
	if (!s || !mask || layer >= memattr_layers(s))
		return -EINVAL;
	*mask = memattr_supported(s);
	return 0;
}

/*
 * What only this call checks; memattr_set() checks the rest with the same
 * EINVAL: the layer, the value (supported bits and a protection Hyper-V can
 * express) and a range inside the store's GPA width.  Not asking again
 * spares a one-page set four calls through the library's PLT.
 */
static bool request_valid(const struct memattr_kvm_attributes *a)
{
	/*
	 * size 0, wrap-around, and a range ending exactly at 2^64 (end wraps to
	 * 0) are all rejected, as upstream's "address + size <= address" check.
	 */
	if (a->flags || a->address + a->size <= a->address)
		return false;
	return !((a->address | a->size) & (MEMATTR_PAGE_SIZE - 1));
}

int memattr_kvm_set_attributes(struct memattr_store *s, unsigned int layer,
			       struct memattr_kvm_attributes *attrs, uint64_t work_limit)
{
	uint64_t end, next;
	int ret;

	if (!s || !attrs || !request_valid(attrs))
		return -EINVAL;
	end = attrs->address + attrs->size;
	ret = memattr_set(s, layer, attrs->address >> MEMATTR_PAGE_SHIFT, end >> MEMATTR_PAGE_SHIFT,
			  attrs->attributes, work_limit, &next);
	if (ret)
		return ret;
	attrs->address = next << MEMATTR_PAGE_SHIFT;
	attrs->size = end - attrs->address;
	return 0;
}
