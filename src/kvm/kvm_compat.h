/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions newer than the oldest <linux/kvm.h> we build against. */
#ifndef MEMATTR_KVM_COMPAT_H
#define MEMATTR_KVM_COMPAT_H

#include <linux/kvm.h>

/* Linux 6.8: a guest access KVM could not resolve, reported with -EFAULT. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

#endif
