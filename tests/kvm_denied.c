// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * LD_PRELOAD shim for kvm_access.py: a /dev/kvm that exists but that this
 * process may not open, as for a user outside the kvm group, on any host:
 * open() of "/dev/kvm" fails with EACCES; every other open() is libc's.
 */
#undef _FILE_OFFSET_BITS /* this file defines both open() and open64(), as libc does */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>

int open(const char *path, int flags, ...)
{
	int (*libc_open)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	va_list ap;
	int mode = 0;

	if (!strcmp(path, "/dev/kvm")) {
		errno = EACCES;
		return -1;
	}
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (!libc_open) {
		errno = ENOSYS;
		return -1;
	}
	return libc_open(path, flags, mode);
}

/* On 64-bit Linux libc's open64() is its open(); large-file builds (meson's default) call it. */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));
