#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages memattr needs, only those missing.
# Sourced by run.sh and test.sh; `deps_install main` or `deps_install test`.

deps_main=(gcc libc6-dev meson ninja-build pkg-config python3 liburcu-dev libcmocka-dev
	libjudy-dev linux-libc-dev binutils libzydis-dev)
deps_test=("${deps_main[@]}" clang libclang-rt-14-dev llvm valgrind gnuplot-nox)
# The hardware-KVM harness (scripts/nested/): QEMU emulating an AMD CPU with SVM, the guest's
# busybox, and the tools that pack its initramfs (its kernel comes by `apt-get download`).
deps_nested=(qemu-system-x86 busybox-static cpio xz-utils)
deps_test+=("${deps_nested[@]}")

deps_install() {
	local want=() missing=() p
	if [ "$1" = test ]; then want=("${deps_test[@]}"); else want=("${deps_main[@]}"); fi
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "memattr: installing missing packages: ${missing[*]}" >&2
	if [ "$(id -u)" -ne 0 ]; then
		echo "memattr: not root; run: sudo apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
