/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The heap policy of the benchmark processes (memattr-bench and
 * memattr-bench-xarray), so that no figure holds page faults of memory an
 * earlier run gave back: glibc returns memory freed at the top of the heap
 * to the kernel, and the next run that grows the heap faults it in again, a
 * fault per 4 KiB page, or not, by where its frees happened to land.
 */
#ifndef MEMATTR_COMMON_HEAP_H
#define MEMATTR_COMMON_HEAP_H

#include <limits.h>
#include <malloc.h>

/* Keep freed memory in the heap and grow it in 64 MiB steps. */
static inline void heap_keep_freed(void)
{
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	mallopt(M_TOP_PAD, 64 << 20);
}

#endif
