#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs `memattr SUBCOMMAND INPUT` and compares stdout with the expected file.

With a fifth argument --echo, runs `memattr SUBCOMMAND --echo INPUT` instead and
checks that the echoed lines are the input's non-blank lines, each command
followed by the same answers as without --echo.
"""
import difflib
import subprocess
import sys

binary, sub, inp, expected = sys.argv[1:5]
echo = sys.argv[5:] == ['--echo']
got = subprocess.run([binary, sub] + (['--echo'] if echo else []) + [inp],
                     capture_output=True, text=True, timeout=300)
want = open(expected).read()
if echo:
    lines = got.stdout.splitlines(True)
    echoed = [l for l in lines if l.startswith(('#', '> '))]
    src = [l.strip() for l in open(inp) if l.strip()]
    if [l[2:] if l.startswith('> ') else l for l in (e.rstrip('\n') for e in echoed)] != src:
        print('--echo: the echoed lines are not the input\'s lines')
        sys.exit(1)
    got.stdout = ''.join(l for l in lines if not l.startswith(('#', '> ')))
if got.stdout != want:
    sys.stdout.writelines(difflib.unified_diff(want.splitlines(True), got.stdout.splitlines(True),
                                               expected, 'memattr ' + sub))
    sys.exit(1)
if got.stderr:
    print('unexpected stderr:', got.stderr[:2000])
    sys.exit(1)
print('%s: output matches %s' % (inp, expected))
