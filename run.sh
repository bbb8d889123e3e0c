#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The main job: builds memattr (release) and runs the shipped example through
# `memattr script`.  Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
deps_install main
dir=out/release
[ -f "$dir/build.ninja" ] || meson setup "$dir" --buildtype=release -Dtests=false >/dev/null
ninja -C "$dir" >/dev/null
echo "\$ memattr script examples/vtl-protections.script"
"$dir/tools/memattr" script examples/vtl-protections.script
