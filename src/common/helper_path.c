// SPDX-License-Identifier: LGPL-2.1-or-later
/* Where a helper program is (helper_path.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_path.h"

bool helper_path(char *buf, size_t len, const char *env, const char *rel, const char *installed)
{
	const char *named = getenv(env);
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (named && *named) {
		snprintf(buf, len, "%s", named);
		return access(buf, X_OK) == 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/%s", n > 0 ? self : ".", rel);
	if (access(buf, X_OK) == 0)
		return true;
	if (!installed)
		return false;
	snprintf(buf, len, "%s", installed);
	return access(buf, X_OK) == 0;
}
