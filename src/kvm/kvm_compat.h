/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions newer than the oldest <linux/kvm.h> we build against. */
#ifndef MEMATTR_KVM_COMPAT_H
#define MEMATTR_KVM_COMPAT_H

#include <linux/kvm.h>

/* Linux 6.8: a guest access KVM could not resolve, reported with -EFAULT. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

/*
 * Linux 6.8's kvm_run.memory_fault (flags, gpa, size), the first member of
 * kvm_run's exit union like every exit's: older headers lack the member.
 */
struct kvm_memory_fault_exit {
	__u64 flags;
	__u64 gpa;
	__u64 size;
};

static inline const struct kvm_memory_fault_exit *kvm_memory_fault_of(const struct kvm_run *run)
{
	return (const void *)&run->hw;
}

/* Linux 5.15: no interrupt is injected while single-stepping. */
#ifndef KVM_GUESTDBG_BLOCKIRQ
#define KVM_GUESTDBG_BLOCKIRQ 0x00100000
#endif

#endif
