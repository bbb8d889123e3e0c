#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs `memattr SUBCOMMAND INPUT` and compares stdout with the expected file."""
import difflib
import subprocess
import sys

binary, sub, inp, expected = sys.argv[1:5]
got = subprocess.run([binary, sub, inp], capture_output=True, text=True, timeout=300)
want = open(expected).read()
if got.stdout != want:
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.stdout.splitlines(True),
                                               expected, 'memattr ' + sub))
    sys.exit(1)
if got.stderr:
    print('unexpected stderr:', got.stderr[:2000])
    sys.exit(1)
print('%s: output matches %s' % (inp, expected))
