/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Upstream KVM's memory attributes, as Linux 6.12 keeps them: one XArray
 * entry per 4 KiB page, the attributes stored as an xa_mk_value(), absent
 * meaning 0 (virt/kvm/kvm_main.c, include/linux/kvm_host.h).  Only the
 * attribute store: the MMU invalidation KVM brackets a set with
 * (kvm_handle_gfn_range() of the pre/post handlers) is not part of it.
 *
 * Built with lib/xarray.c itself in user space (bench/xarray/build.py), in
 * memattr-bench-xarray only.
 */
#ifndef MEMATTR_BENCH_XARRAY_KVM_ATTR_H
#define MEMATTR_BENCH_XARRAY_KVM_ATTR_H

#include <pthread.h>

#include "shared.h"
#include <linux/xarray.h>

typedef u64 gfn_t;

/*
 * The part of struct kvm the attribute code touches: slots_lock, which
 * serialises KVM_SET_MEMORY_ATTRIBUTES, and mem_attr_array.
 */
struct kvm {
	pthread_mutex_t slots_lock;
	struct xarray mem_attr_array;
};

void kvm_attr_init(struct kvm *kvm);
void kvm_attr_destroy(struct kvm *kvm);
bool kvm_range_has_memory_attributes(struct kvm *kvm, gfn_t start, gfn_t end, unsigned long mask,
				     unsigned long attrs);
int kvm_vm_set_mem_attributes(struct kvm *kvm, gfn_t start, gfn_t end, unsigned long attributes);

/* One lookup, as upstream's kvm_get_memory_attributes(): an absent entry reads as 0. */
static inline unsigned long kvm_get_memory_attributes(struct kvm *kvm, gfn_t gfn)
{
	return xa_to_value(xa_load(&kvm->mem_attr_array, gfn));
}

#endif
