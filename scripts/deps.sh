#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages memattr needs, only those missing.
# Sourced by run.sh and test.sh; `deps_install main` or `deps_install test`.

deps_main=(gcc libc6-dev meson ninja-build pkg-config python3 liburcu-dev libcmocka-dev
	libjudy-dev linux-libc-dev binutils libzydis-dev)
deps_test=("${deps_main[@]}" clang libclang-rt-14-dev llvm valgrind gnuplot-nox abigail-tools)
# The hardware-KVM harness (scripts/nested/): QEMU emulating an AMD CPU with SVM, the guest's
# busybox, and the tools that pack its initramfs (its kernel comes by `apt-get download`).
deps_nested=(qemu-system-x86 busybox-static cpio xz-utils)
deps_test+=("${deps_nested[@]}")
# Wanted by the tests, not required: the benchmark's kernel-XArray column builds upstream KVM's
# attribute code from this package (Debian carries it in bookworm-security); without it the
# column says so and is skipped.
deps_optional=(linux-source-6.12)

# missing PACKAGE...: those of them not installed
missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			echo "$p"
	done
}

deps_install() {
	local want=() missing=() optional=()
	if [ "$1" = test ]; then want=("${deps_test[@]}"); else want=("${deps_main[@]}"); fi
	mapfile -t missing < <(missing "${want[@]}")
	[ "$1" = test ] && mapfile -t optional < <(missing "${deps_optional[@]}")
	[ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		[ ${#missing[@]} -eq 0 ] && return 0
		echo "memattr: not root; run: sudo apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || return 1
	if [ ${#missing[@]} -gt 0 ]; then
		echo "memattr: installing missing packages: ${missing[*]}" >&2
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
	fi
	if [ ${#optional[@]} -gt 0 ]; then
		echo "memattr: installing optional packages: ${optional[*]}" >&2
		apt-get install -y -qq --no-install-recommends "${optional[@]}" >&2 ||
			echo "memattr: could not install ${optional[*]}: what needs them is skipped" >&2
	fi
	return 0
}
