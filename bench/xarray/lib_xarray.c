// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/xarray.c, compiled the way tools/testing/shared/xarray-shared.c does
 * for the kernel's own XArray tests, but without XA_DEBUG: a production
 * kernel's XArray, not its debug build.  build.py puts the extracted lib/
 * on the include path.
 */
#include "shared.h"
#include "xarray.c"
