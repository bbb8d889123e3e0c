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

# build NAME COMPILER MESON-OPTIONS...: warnings are errors here (the library's default is not)
build() {
	local name=$1 compiler=$2 dir=out/$1
	shift 2
	set -- -Dwerror=true "$@"
	echo "=== $name: build ($compiler $*)"
	if [ ! -f "$dir/build.ninja" ]; then
		CC=$compiler meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; status=1; return 1; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; status=1; return 1; }
}

# run NAME LOGNAME [MESON-TEST-ARGS...]: runs tests, keeps the log for the summary
run() {
	local name=$1 dir=out/$1 log=$2
	shift 2
	echo "=== $name: test $*"
	meson test -C "$dir" --print-errorlogs --num-processes 2 --logbase "$log" "$@" || status=1
	# meson adds the wrapper's name to the log's name; no log (a failed setup) is caught below
	local json
	json=$(ls "$dir/meson-logs/$log"*.json 2>/dev/null | head -1)
	[ -n "$json" ] && logs+=("$json")
}

mkdir -p out
# Everything under gcc with AddressSanitizer + UndefinedBehaviorSanitizer.
build gcc-asan gcc -Db_sanitize=address,undefined -Db_lundef=false && run gcc-asan testlog
# Everything under clang, no sanitizer (DWARF 4: valgrind 3.19 cannot read clang's DWARF 5).
build clang clang -Dbuildtype=debugoptimized -Dc_args=-gdwarf-4 && run clang testlog
# Hardware-virtualized KVM in a nested guest: QEMU (TCG) emulates an AMD CPU with SVM and NPT,
# boots Debian's 6.12 kernel with the stock kvm-amd, npt=1 then npt=0, and runs the clang
# build's KVM programs there (scripts/nested/run.sh; docs/kvm.md).  About 30 s once the kernel
# package is cached in out/nested/.  MEMATTR_NESTED=0 skips it: its results count as skipped.
echo "=== nested kvm_amd (QEMU TCG, SVM+NPT)"
rm -f out/nested/testlog.json
scripts/nested/run.sh out/clang || status=1
[ -f out/nested/testlog.json ] && logs+=(out/nested/testlog.json)
# Readers against a writer under ThreadSanitizer.
build tsan clang -Db_sanitize=thread -Db_lundef=false &&
	TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
		MEMATTR_STRESS_OPS=30000 run tsan tsan test_concurrency
# The unit tests under valgrind's memcheck (the clang build, no sanitizer runtime).
[ -d out/clang ] && MEMATTR_DIFF_OPS=20000 run clang valgrind \
	--wrapper 'valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite' \
	--timeout-multiplier 4 test_store test_uapi test_diff test_vsm
# libFuzzer harnesses, a short bounded run each over the committed corpus.
build fuzz clang -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
	-Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false && run fuzz fuzzlog --suite fuzz

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
[ ${#logs[@]} -eq 6 ] || status=1
exit $status
