#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hardware-KVM harness: boots Debian's 6.12 kernel under QEMU TCG on an emulated AMD
# CPU with SVM and NPT, loads the stock kvm and kvm-amd modules and runs the project's KVM
# programs from BUILD-DIR there, once with kvm_amd npt=1 and once with npt=0.
# usage: scripts/nested/run.sh BUILD-DIR
# Writes out/nested/testlog.json (meson's JSON-lines shape: one result per mode and command,
# and per cmocka test of test_kvm), out/nested/console-npt{1,0}.log, and prints a summary.
# Exits 1 when a result failed; 0 otherwise, also when everything was skipped: QEMU or the
# kernel package cannot be had, or MEMATTR_NESTED=0.
# MEMATTR_NESTED_BOOT_TIMEOUT (s, default 300) bounds each boot, MEMATTR_NESTED_TIMEOUT
# (s, default 120) each command inside the guest: a hung guest costs ten minutes at most.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: scripts/nested/run.sh BUILD-DIR}
out=out/nested
log=$out/testlog.json
modes=(1 0)
results() {
	python3 scripts/nested/results.py --log "$log" "$@"
}
skip() {
	echo "nested: skipped: $*"
	results --skip "$*" "${modes[@]/#/npt=}"
	exit 0
}

mkdir -p "$out"
[ "${MEMATTR_NESTED:-1}" = 0 ] && skip "MEMATTR_NESTED=0"
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
kdir=$(scripts/nested/build.sh "$build" 2>"$out/build.log")
case $? in
0) ;;
2) skip "$(sed -n 's/^unavailable: //p' "$out/build.log" | tail -1)" ;;
*)
	cat "$out/build.log"
	results --fail "scripts/nested/build.sh $build failed" "$out/build.log"
	exit 1
	;;
esac
grep '^nested:' "$out/build.log"

args=()
limit=memattr.timeout=${MEMATTR_NESTED_TIMEOUT:-120}
for npt in "${modes[@]}"; do
	console=$out/console-npt$npt.log
	echo "nested: booting, kvm_amd npt=$npt (console: $console)"
	start=$SECONDS
	timeout -k 10 "${MEMATTR_NESTED_BOOT_TIMEOUT:-300}" qemu-system-x86_64 \
		-accel tcg -cpu EPYC,+svm,+npt -smp 1 -m 2048 \
		-nographic -nodefaults -no-reboot -monitor none -serial stdio \
		-kernel "$kdir/vmlinuz" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 quiet panic=-1 memattr.npt=$npt $limit" \
		</dev/null >"$console" 2>&1
	status=$?
	echo "nested: npt=$npt: QEMU status $status after $((SECONDS - start)) s"
	args+=(--boot "npt=$npt" "$console" "$status")
done
results --tests tests/test_kvm.c "${args[@]}"
