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


SCRIPT_CONFIG = 'config layers=N gpa_bits=B [mbec=0|1]'
VSM_CONFIG = 'config vtls=N vps=N ram=BYTES [mbec=0|1] [call-offset=N] [return-offset=N]'


def stopped(cmd, line, why):
    """The one line on stderr of a script stopped at @line for @why."""
    return 'memattr %s: line %d: %s, script stopped\n' % (cmd, line, why)


# A config line that is refused, does not parse, is the second one or comes after other
# commands stops the script (exit 1) with its reason: the rest would otherwise run on a
# configuration the script did not ask for.
def check_config_stops():
    p = run(['script'], 'config layers=17\nget 0 1\n')
    check('script: config layers=17 stops with a reason',
          p.returncode == 1 and p.stdout == 'error EINVAL: layers must be 1..16\n'
          and p.stderr == stopped('script', 1, 'config refused'), p)
    why = 'config does not parse; usage: ' + SCRIPT_CONFIG
    for bad in ('config layerz=2', 'config', 'config layers=2 layers=3', 'config layers=0x'):
        p = run(['script'], bad + '\nget 0 1\n')
        check('script: %r stops with the usage' % bad,
              p.returncode == 1 and p.stdout == 'error syntax 1: %s\n' % why
              and p.stderr == stopped('script', 1, why), p)
    p = run(['script'], 'config layers=2\nconfig layers=3\nget 0 1\n')
    why = 'a second config (config is allowed once)'
    check('script: a second config stops',
          p.returncode == 1 and p.stdout == 'error syntax 2: %s\n' % why
          and p.stderr == stopped('script', 2, why), p)
    why = 'config after other commands (it must come first)'
    p = run(['script'], '# a comment\nget 0 1\nconfig layers=2\nget 0 1\n')
    check('script: config after commands stops with a reason',
          p.returncode == 1 and p.stdout == '0x0\nerror syntax 3: %s\n' % why
          and p.stderr == stopped('script', 3, why), p)
    # An unknown command is no command: the config after it still comes first (2 layers).
    p = run(['script'], 'bogus\nconfig layers=2\nget 1 1\nget 2 1\n')
    check('script: config after an unknown command is applied',
          p.returncode == 1 and p.stdout.splitlines() ==
          ["error syntax 1: unknown command 'bogus'", '0x0', 'error EINVAL'] and not p.stderr, p)
    p = run(['vsm-script'], 'config vtls=17\nstats\n')
    check('vsm-script: config vtls=17 stops',
          p.returncode == 1 and p.stdout.startswith('error EINVAL: vtls must be 2..16')
          and 'store-sets' not in p.stdout
          and p.stderr == stopped('vsm-script', 1, 'config refused'), p)
    p = run(['vsm-script'], 'config vtls=2 ram=0x1001\nstats\n')
    check('vsm-script: a RAM size that cannot be had stops',
          p.returncode == 1 and p.stdout.startswith('error EINVAL: ram')
          and 'store-sets' not in p.stdout, p)
    why = 'config does not parse; usage: ' + VSM_CONFIG
    p = run(['vsm-script'], 'config vtls=2 rams=1\nstats\n')
    check('vsm-script: a config that does not parse stops with the usage',
          p.returncode == 1 and p.stdout == 'error syntax 1: %s\n' % why
          and p.stderr == stopped('vsm-script', 1, why), p)
    p = run(['vsm-script'], 'config vtls=2\nconfig vtls=3\nstats\n')
    why = 'a second config (config is allowed once)'
    check('vsm-script: a second config stops',
          p.returncode == 1 and p.stdout == 'error syntax 2: %s\n' % why
          and p.stderr == stopped('vsm-script', 2, why), p)
    why = 'config after other commands (it must come first)'
    p = run(['vsm-script'], 'stats\nconfig vtls=3\nstats\n')
    check('vsm-script: config after commands stops with a reason',
          p.returncode == 1 and p.stdout == 'store-sets 0 store-calls 0\nerror syntax 2: %s\n'
          % why and p.stderr == stopped('vsm-script', 2, why), p)
    p = run(['vsm-script', '--echo'], 'stats\nconfig vtls=3\nstats\n')
    check('vsm-script --echo: the stopping line is echoed, the rest is not',
          p.returncode == 1 and p.stdout.splitlines() ==
          ['> stats', 'store-sets 0 store-calls 0', '> config vtls=3', 'error syntax 2: ' + why],
          p)
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


# Syntax errors say what is wrong, not only where: the unknown command, or the usage of the
# command whose arguments do not parse; the script goes on after them.
def check_reasons():
    p = run(['script'], 'bogus 1\nset 0\nget 0 0x\nGET 0 1\nsupported 1\nget 0 1\n')
    check('script: syntax errors carry a reason',
          p.returncode == 1 and not p.stderr and p.stdout.splitlines() ==
          ["error syntax 1: unknown command 'bogus'",
           'error syntax 2: bad arguments to set; usage: set L ADDR SIZE ATTRS [FLAGS]',
           'error syntax 3: bad arguments to get; usage: get L GFN',
           "error syntax 4: unknown command 'GET'",
           'error syntax 5: bad arguments to supported; usage: supported',
           '0x0'], p)
    p = run(['script'], 'get 0 1\0 2\n')
    check('script: a NUL byte is named',
          p.returncode == 1 and p.stdout == 'error syntax 1: NUL byte in the line\n', p)
    p = run(['script'], 'get' + ' 1' * 9000 + '\nget 0 1\n')
    check('script: too many tokens are named',
          p.returncode == 1 and p.stdout == 'error syntax 1: over 8192 tokens\n0x0\n', p)
    p = run(['vsm-script'], 'bogus 1\nprotect\ncheck 0 0x1000 fetch\n')
    check('vsm-script: syntax errors carry a reason',
          p.returncode == 1 and p.stdout.splitlines() ==
          ["error syntax 1: unknown command 'bogus'",
           'error syntax 2: bad arguments to protect; usage: '
           'protect VP [vtl=N] FLAGS PAGE[+COUNT]... [start=N]',
           'error syntax 3: bad arguments to check; usage: check VP GPA read|write|kexec|uexec'],
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
