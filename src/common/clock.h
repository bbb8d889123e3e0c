/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Monotonic time in nanoseconds, for what times a run: bench, replay. */
#ifndef MEMATTR_COMMON_CLOCK_H
#define MEMATTR_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif
