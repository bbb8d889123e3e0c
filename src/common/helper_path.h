/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a helper program is: memattr-bench for `memattr bench`, memattr-bench-xarray for it. */
#ifndef MEMATTR_COMMON_HELPER_PATH_H
#define MEMATTR_COMMON_HELPER_PATH_H

#include <stdbool.h>
#include <stddef.h>

/**
 * helper_path() - the path of a helper program
 * @buf: where the path goes
 * @len: its size
 * @env: an environment variable that names the helper, when set and not empty
 * @rel: else the helper relative to the running executable's directory (the build tree's
 *	layout: "../bench/memattr-bench" from tools/)
 * @installed: else, when @rel is not there, this path (NULL: none)
 *
 * Return: true when @buf names an executable file; else @buf holds the path tried last, for
 * the caller's message.
 */
bool helper_path(char *buf, size_t len, const char *env, const char *rel, const char *installed);

#endif
