#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds memattr and runs every test: gcc with AddressSanitizer+UndefinedBehaviorSanitizer,
# then clang.  Installs missing Debian packages first.  Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
. scripts/deps.sh
deps_install test || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
logs=()
status=0

# suite NAME COMPILER MESON-OPTIONS...
suite() {
	local name=$1 compiler=$2 dir=out/$1
	shift 2
	echo "=== $name: build ($compiler $*)"
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$compiler meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ mkdir -p out; cat "$dir.setup.log"; status=1; return; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; status=1; return; }
	echo "=== $name: test"
	meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
	logs+=("$dir/meson-logs/testlog.json")
}

mkdir -p out
suite gcc-asan gcc -Db_sanitize=address,undefined -Db_lundef=false
suite clang clang -Dbuildtype=debugoptimized

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)['result']
        if r in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif r == 'SKIP':
            skipped += 1
        else:
            failed += 1
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
PY
[ ${#logs[@]} -eq 2 ] || status=1
exit $status
