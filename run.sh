#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job: builds memattr (release) and runs the VSM demo on real KVM
# (`memattr vm`): VTL 1 protects VTL 0's kernel image, VTL 0's blocked accesses
# arrive in VTL 1 as intercepts.  Without /dev/kvm it says so and runs the same
# scenario through the store and the VSM front alone (`memattr vsm-script`).
# Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
deps_install main
dir=out/release
[ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=release -Dtests=false >/dev/null
ninja -C "$dir" >/dev/null
echo "\$ memattr vm"
status=0
"$dir/tools/memattr" vm || status=$?
if [ "$status" -eq 3 ]; then
	# 3: /dev/kvm cannot be opened here (memattr vm said why on stderr).
	echo "\$ memattr vsm-script --echo examples/vsm-kernel-image.script   # the same scenario, no KVM"
	"$dir/tools/memattr" vsm-script --echo examples/vsm-kernel-image.script
	status=$?
fi
exit "$status"
