// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An adapter that makes the XArray calls upstream KVM's attribute functions
 * make (virt/kvm/kvm_main.c and include/linux/kvm_host.h in Linux 6.12), in
 * the same order with the same arguments, so that the benchmark times what
 * KVM_SET_MEMORY_ATTRIBUTES costs on the kernel's own structure.  Written
 * for this project; only lib/xarray.c and its shim are the kernel's, built
 * from Debian's linux-source-6.12 at build time into an executable of their
 * own.
 */
#include "kvm_attr.h"

/*
 * kvm_supported_mem_attributes(): upstream answers PRIVATE for VMs with
 * private memory.  Here every bit memattr stores (R, W, X, PRIVATE,
 * NO_ACCESS, USER_EXECUTE), as if KVM took the RWX attributes its comments
 * anticipate: the XArray code is the same for any value.
 */
static u64 kvm_supported_mem_attributes(struct kvm *kvm)
{
	(void)kvm;
	return 0x3f;
}

/** kvm_attr_init() - what kvm_create_vm() does for the attributes: an accounted XArray. */
void kvm_attr_init(struct kvm *kvm)
{
	pthread_mutex_init(&kvm->slots_lock, NULL);
	xa_init_flags(&kvm->mem_attr_array, XA_FLAGS_ACCOUNT);
}

/** kvm_attr_destroy() - what kvm_destroy_vm() does for them: xa_destroy(). */
void kvm_attr_destroy(struct kvm *kvm)
{
	xa_destroy(&kvm->mem_attr_array);
	pthread_mutex_destroy(&kvm->slots_lock);
}

/**
 * kvm_range_has_memory_attributes() - whether every gfn of [@start, @end)
 *	has (attributes & @mask) == @attrs
 * @kvm: the VM
 * @start: first gfn
 * @end: first gfn after the range
 * @mask: the bits compared
 * @attrs: their wanted value
 *
 * Behaves as upstream's function of that name: the mask is clipped to the
 * supported bits; one page is a single lookup; a longer range is visited
 * index by index with an XA_STATE under the RCU read lock, stepping to the
 * very next index when nonzero attributes are wanted (an absent entry then
 * fails the range) and to the next present entry when zero is wanted (a
 * present one then fails it); reserved entries and a concurrent reshape
 * make the step repeat.
 *
 * Context: takes the RCU read lock.
 * Return: true if they all match.
 */
bool kvm_range_has_memory_attributes(struct kvm *kvm, gfn_t start, gfn_t end, unsigned long mask,
				     unsigned long attrs)
{
	XA_STATE(xas, &kvm->mem_attr_array, start);
	bool all = true;

	mask &= kvm_supported_mem_attributes(kvm);
	if (attrs & ~mask)
		return false;
	if (end - start == 1)
		return (kvm_get_memory_attributes(kvm, start) & mask) == attrs;

	rcu_read_lock();
	for (gfn_t gfn = start; all && gfn < end; gfn++) {
		void *e;

		do
			e = attrs ? xas_next(&xas) : xas_next_entry(&xas, end - 1);
		while (xas_retry(&xas, e));
		if (!e) {
			/* Nothing more is stored: only "no attributes" is left. */
			all = attrs == 0;
			break;
		}
		/* A stored entry of 0 would be a bug upstream too (erase means 0). */
		WARN_ON_ONCE(xa_to_value(e) == 0);
		all = xas.xa_index == gfn && (xa_to_value(e) & mask) == attrs;
	}
	rcu_read_unlock();
	return all;
}

/**
 * kvm_vm_set_mem_attributes() - give the gfns of [@start, @end) @attributes
 * @kvm: the VM
 * @start: first gfn
 * @end: first gfn after the range
 * @attributes: the value; 0 stores NULL, which erases
 *
 * Behaves as upstream's function of that name as far as the XArray sees it:
 * under slots_lock, a range that already has the value is left alone;
 * otherwise every index is reserved with xa_reserve() before any is written,
 * so that the writes cannot fail for lack of memory, and then every index is
 * written with xa_store().  Upstream also brackets the writes with the MMU
 * invalidation of the range and yields per page; neither touches the array,
 * so both are left out.
 *
 * Context: takes slots_lock.
 * Return: 0, or -ENOMEM from a reservation (no index written then).
 */
int kvm_vm_set_mem_attributes(struct kvm *kvm, gfn_t start, gfn_t end, unsigned long attributes)
{
	void *value = attributes ? xa_mk_value(attributes) : NULL;
	int err = 0;

	pthread_mutex_lock(&kvm->slots_lock);
	if (!kvm_range_has_memory_attributes(kvm, start, end, ~0UL, attributes)) {
		for (gfn_t gfn = start; !err && gfn < end; gfn++)
			err = xa_reserve(&kvm->mem_attr_array, gfn, GFP_KERNEL_ACCOUNT);
		for (gfn_t gfn = start; !err && gfn < end; gfn++) {
			int store_err = xa_err(
				xa_store(&kvm->mem_attr_array, gfn, value, GFP_KERNEL_ACCOUNT));

			/* The reservations rule this out (upstream: KVM_BUG_ON). */
			WARN_ON_ONCE(store_err);
		}
	}
	pthread_mutex_unlock(&kvm->slots_lock);
	return err;
}
