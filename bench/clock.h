/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clock is src/common's, which replay shares; include "common/clock.h" directly. */
#ifndef MEMATTR_BENCH_CLOCK_H
#define MEMATTR_BENCH_CLOCK_H

#include "common/clock.h"

#endif
