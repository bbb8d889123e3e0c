#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The memattr CLI's edges: errors are one clear line on stderr and a nonzero
status, --help is usage on stdout with status 0, a bad config stops a script.
Each check is a defect a user found.

usage: cli_check.py MEMATTR_BINARY
"""
import os
import re
import subprocess
import sys
import tempfile

BIN = None
failures = []


def run(args, stdin='', timeout=60):
    return subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


def check(name, ok, proc=None):
    if ok:
        return
    detail = ''
    if proc is not None:
        detail = ' (exit %d, stdout %r, stderr %r)' % (proc.returncode, proc.stdout[:300],
                                                       proc.stderr[:300])
    failures.append(name + detail)


# A config line that is refused, or does not parse, or a second one, stops the script
# (exit 1): the rest would otherwise run on a configuration the script did not ask for.
def check_config_stops():
    p = run(['script'], 'config layers=17\nget 0 1\n')
    check('script: config layers=17 stops with a reason',
          p.returncode == 1 and p.stdout == 'error EINVAL: layers must be 1..16\n'
          and 'line 1' in p.stderr, p)
    p = run(['script'], 'config layerz=2\nget 0 1\n')
    check('script: a config that does not parse stops',
          p.returncode == 1 and p.stdout.startswith('error syntax 1: ') and '0x' not in p.stdout, p)
    p = run(['script'], 'config layers=2\nconfig layers=3\nget 0 1\n')
    check('script: a second config stops',
          p.returncode == 1 and 'second config' in p.stdout and '0x0' not in p.stdout, p)
    p = run(['vsm-script'], 'config vtls=17\nstats\n')
    check('vsm-script: config vtls=17 stops',
          p.returncode == 1 and p.stdout.startswith('error EINVAL: vtls must be 2..16')
          and 'store-sets' not in p.stdout, p)
    p = run(['vsm-script'], 'config vtls=2 ram=0x1001\nstats\n')
    check('vsm-script: a RAM size that cannot be had stops',
          p.returncode == 1 and p.stdout.startswith('error EINVAL: ram')
          and 'store-sets' not in p.stdout, p)
    p = run(['vsm-script'], 'config vtls=2\nconfig vtls=3\nstats\n')
    check('vsm-script: a second config stops',
          p.returncode == 1 and 'second config' in p.stdout and 'store-sets' not in p.stdout, p)
    # A config after other commands stays a syntax error the script goes past.
    p = run(['script'], 'get 0 1\nconfig layers=2\nget 0 1\n')
    check('script: config after commands is a syntax error, the run goes on',
          p.returncode == 1 and p.stdout == '0x0\nerror syntax 2\n0x0\n', p)
    p = run(['vsm-script'], 'config vtls=3 vps=2 ram=0x100000\nstats\n')
    check('vsm-script: a good config runs',
          p.returncode == 0 and p.stdout.startswith('store-sets') and not p.stderr, p)


# A file that cannot be read names the file and the cause.
def check_file_errors():
    with tempfile.TemporaryDirectory() as d:
        for cmd in ('script', 'vsm-script'):
            p = run([cmd, d])
            check('%s DIR names the path and the cause' % cmd,
                  p.returncode == 2 and p.stderr == 'memattr %s: %s: Is a directory\n' % (cmd, d),
                  p)
        missing = os.path.join(d, 'missing')
        p = run(['script', missing])
        check('script MISSING names the path',
              p.returncode == 2 and missing in p.stderr and 'No such file' in p.stderr, p)


# vsm-script's syntax errors say what is wrong, not only where.
def check_reasons():
    p = run(['vsm-script'], 'bogus 1\nprotect\n')
    check('vsm-script: syntax errors carry a reason',
          p.returncode == 1 and p.stdout.splitlines() ==
          ["error syntax 1: unknown command 'bogus'", 'error syntax 2: bad arguments to protect'],
          p)


# --help is usage on stdout, status 0; a usage error is usage on stderr, status 2.
def check_help():
    for args in (['--help'], ['help'], ['script', '--help'], ['vsm-script', '--help'],
                 ['gen', '--help'], ['replay', '--help'], ['bench', '--help'], ['vm', '--help']):
        p = run(args, timeout=20)
        check('memattr %s: usage on stdout, exit 0' % ' '.join(args),
              p.returncode == 0 and p.stdout.startswith('usage: memattr') and not p.stderr, p)
    for args in ([], ['script', '--bogus'], ['vsm-script', '--bogus'], ['gen', '--bogus'],
                 ['replay', '--bogus'], ['bench', '--bogus'], ['vm', '--bogus'], ['nosuch']):
        p = run(args, timeout=20)
        check('memattr %s: usage error on stderr, exit 2' % ' '.join(args),
              p.returncode == 2 and not p.stdout and p.stderr, p)
        if args and args[-1] == '--bogus':
            check('memattr %s names the bad option' % ' '.join(args), "'--bogus'" in p.stderr, p)
    p = run(['--version'])
    check('memattr --version', p.returncode == 0 and
          re.fullmatch(r'memattr \d+\.\d+\.\d+\S*\n', p.stdout) is not None and not p.stderr, p)


# vm's option errors say which option and why; --intercepts is bounded.
def check_vm_options():
    for args, want in ((['--intercepts', '99999999999'], '--intercepts 99999999999: must be 0..'),
                       (['--intercepts'], '--intercepts needs a number'),
                       (['--bench', 'x'], "'x' is not a number"),
                       (['--bench', '0'], '--bench 0: must be 1..')):
        p = run(['vm'] + args, timeout=10)
        check('vm %s refused with a reason' % ' '.join(args),
              p.returncode == 2 and want in p.stderr and not p.stdout, p)


# gen says how many changes fit the guest when too many are asked.
def check_gen_changes():
    p = run(['gen', '--guest', '1g', '--changes', '100000000'])
    m = re.search(r'at most (\d+) fit', p.stderr)
    check('gen: too many changes says how many fit', p.returncode == 2 and m, p)
    if not m:
        return
    fit = int(m.group(1))
    p = run(['gen', '--guest', '1g', '--changes', str(fit + 1), '-o', os.devnull])
    check('gen: one more than "at most" is refused', p.returncode == 2, p)
    p = run(['gen', '--guest', '1g', '--changes', str(fit), '-o', os.devnull], timeout=300)
    check('gen: "at most" changes fit', p.returncode == 0, p)


# bench opens --json-out before its run (minutes long), not after.
def check_bench_json_out():
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, 'no', 'such', 'dir.json')
        p = run(['bench', '--quick', '--no-memslot', '--no-xarray', '--json-out', bad],
                timeout=60)
        check('bench --json-out BAD fails before the run',
              p.returncode == 2 and not p.stdout and
              p.stderr == 'memattr bench: %s: No such file or directory\n' % bad, p)


def main():
    global BIN
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    BIN = sys.argv[1]
    for f in (check_config_stops, check_file_errors, check_reasons, check_help,
              check_vm_options, check_gen_changes, check_bench_json_out):
        f()
    for f in failures:
        print('FAIL', f)
    if failures:
        return 1
    print('cli_check: all checks pass')
    return 0


if __name__ == '__main__':
    sys.exit(main())
