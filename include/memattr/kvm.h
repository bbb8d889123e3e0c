/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * KVM-shaped front of the store: KVM_GET_SUPPORTED_MEMORY_ATTRIBUTES and
 * KVM_SET_MEMORY_ATTRIBUTES semantics, per layer, on byte addresses.
 */
#ifndef MEMATTR_KVM_H
#define MEMATTR_KVM_H

#include <stdint.h>

#include <memattr/memattr.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Same layout as Linux's struct kvm_memory_attributes (include/uapi/linux/kvm.h):
 * a pointer to either may be passed for the other.
 */
struct memattr_kvm_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

/**
 * memattr_kvm_get_supported() - KVM_GET_SUPPORTED_MEMORY_ATTRIBUTES
 * @s: the store
 * @layer: layer index
 * @mask: the supported attribute bits
 *
 * Return: 0, or -EINVAL for a bad layer.
 */
MEMATTR_API int memattr_kvm_get_supported(const struct memattr_store *s, unsigned int layer,
					  uint64_t *mask);

/**
 * memattr_kvm_set_attributes() - KVM_SET_MEMORY_ATTRIBUTES on one layer
 * @s: the store
 * @layer: layer index
 * @attrs: the request; on return 0, address is the first byte not yet set
 *	and size the bytes remaining (0 when done)
 * @work_limit: as memattr_set(), 0 for no limit
 *
 * Each of these is -EINVAL and changes nothing: a bad layer, flags != 0,
 * bits outside memattr_supported(), an illegal combination, size 0,
 * address + size overflowing or reaching exactly 2^64 (as upstream),
 * address or size not page aligned, a range beyond the GPA width.
 *
 * Context: one writer per store at a time.
 * Return: 0 with progress in @attrs, -EINVAL, or -ENOMEM when no progress
 * was possible (@attrs untouched).
 */
MEMATTR_API int memattr_kvm_set_attributes(struct memattr_store *s, unsigned int layer,
					   struct memattr_kvm_attributes *attrs,
					   uint64_t work_limit);

#ifdef __cplusplus
}
#endif

#endif /* MEMATTR_KVM_H */
