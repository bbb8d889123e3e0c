#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile scripts for `memattr vsm-script`: random commands, mostly well formed
with random (often out-of-range) numbers, some garbled.  The tool must answer
one line per well-formed command (or `error syntax N: WHY` for the others),
exit 0 or 1, and print nothing on stderr (the sanitizer builds turn any
out-of-bounds access into stderr output and a crash), except the one line of
a script a config stops: some scripts start with a random config, and some
have a config after other commands, which must stop them there.

usage: vsm_script_fuzz.py MEMATTR_BINARY [--scripts N] [--lines N] [--seed S]
"""
import argparse
import random
import re
import subprocess
import sys

ACCESS = ['read', 'write', 'kexec', 'uexec']
FLAGS = ['none', 'r', 'rw', 'rx', 'rwx', 'ru', 'rwxu', 'rxu', 'w', 'x', '0', '3', '0xf', '0x10',
         'rr']
REGS = ['code-page-offsets', 'vp-status', 'partition-status', 'capabilities',
        'partition-config', '0xd0002', '0xd0003', '0xd0004', '0xd0006', '0xd0007']


def n(rng, small=8):
    pick = rng.random()
    if pick < 0.6:
        return str(rng.randrange(small))
    if pick < 0.8:
        return hex(rng.randrange(1 << 16))
    if pick < 0.98:
        return hex(rng.randrange(1 << 64))
    return rng.choice(['-1', '0x', '1e3', '18446744073709551616', 'x12'])


def page(rng):
    base = rng.randrange(0x2000) if rng.random() < 0.8 else rng.randrange(1 << 40)
    if rng.random() < 0.2:
        return '%#x+%d' % (base, rng.randrange(1, 700))
    return hex(base)


def input_vtl(rng):
    """protect's and the register commands' optional vtl=N (without it: CURRENT_VTL)."""
    pick = rng.random()
    if pick < 0.4:
        return ''
    if pick < 0.95:
        return 'vtl=%s ' % n(rng, 16)
    return rng.choice(['vtl= ', 'vtl=current ', 'vtl=16 ', 'vtl=0x1f '])


def rax_rcx(rng):
    return ''.join(' %s=%s' % (k, n(rng, 4)) for k in ('rax', 'rcx') if rng.random() < 0.4)


def config_line(rng):
    extra = ''.join(' %s=%s' % (k, n(rng, 2 if k == 'mbec' else 0x1000))
                    for k in ('mbec', 'call-offset', 'return-offset') if rng.random() < 0.3)
    return 'config vtls=%s vps=%s ram=%s%s' % (n(rng, 18), n(rng, 4), n(rng), extra)


def command(rng):
    """Any command but config, which stops a script after other commands."""
    kind = rng.randrange(18)
    vp = n(rng, 3)
    if kind == 0:
        return 'enable-partition-vtl %s %s%s' % (vp, n(rng, 17), rng.choice(['', ' mbec']))
    if kind == 1:
        target = 'self' if rng.random() < 0.2 else n(rng, 3)
        context = ' '.join(n(rng) for _ in range(rng.randrange(3)))
        return 'enable-vp-vtl %s %s %s %s' % (vp, target, n(rng, 17), context)
    if kind in (2, 3):
        pages = ' '.join(page(rng) for _ in range(rng.randrange(1, 12)))
        start = ' start=%d' % rng.randrange(8) if rng.random() < 0.2 else ''
        return 'protect %s %s%s %s%s' % (vp, input_vtl(rng), rng.choice(FLAGS), pages, start)
    if kind == 4:
        return 'check %s %s %s' % (vp, hex(rng.randrange(1 << 26)), rng.choice(ACCESS))
    if kind == 5:
        return 'vtl-call %s%s' % (vp, rng.choice(['', '', ' rax=' + n(rng, 2)]))
    if kind == 6:
        return 'vtl-return %s%s' % (vp, rng.choice(['', '', ' fast', ' rax=' + n(rng, 3)]))
    if kind == 7:
        return 'hypercall %s %s %s %s' % (vp, n(rng), n(rng), n(rng))
    if kind == 8:
        return 'partition-config %s %s' % (vp, n(rng, 32))
    if kind == 9:
        return 'set-vp-register %s %s%s %s' % (vp, input_vtl(rng),
                                              rng.choice(['partition-config', '0xd0007',
                                                          '0xd0003', n(rng)]),
                                              n(rng, 32))
    if kind == 10:
        return 'get-vp-register %s %s%s' % (vp, input_vtl(rng),
                                           rng.choice(REGS + [n(rng)]))
    if kind == 11:
        if rng.random() < 0.5:
            return 'read %s %s' % (vp, hex(rng.randrange(1 << 26)))
        return 'write %s %s %s' % (vp, hex(rng.randrange(1 << 26)), n(rng))
    if kind == 12:
        return rng.choice(['dump ' + n(rng, 17), 'mask ' + n(rng, 17), 'stats', 'deliver',
                           'vtl ' + vp])
    if kind == 13:
        vtl = '' if rng.random() < 0.3 else ' ' + n(rng, 17)
        return 'regs %s%s%s' % (vp, vtl, rax_rcx(rng))
    if kind == 14:
        return 'vtl-control %s %s%s' % (vp, n(rng, 17), rax_rcx(rng))
    if kind == 15:
        # A VTL switch as the raw interface makes it: odd control words, RAX as set.
        return 'hypercall %s %s 0' % (vp, rng.choice(['0x11', '0x12', '0x10012', '0x8000011',
                                                       n(rng)]))
    line = command(rng)
    cut = rng.randrange(len(line) + 1)
    return line[:cut] + rng.choice(['', ' ', '#', 'zz', '\t9', '=', '+'])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('--scripts', type=int, default=40)
    ap.add_argument('--lines', type=int, default=300)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    late = 0
    for i in range(a.scripts):
        if rng.random() < 0.9:
            lines = ['config vtls=%d vps=3 ram=0x2000000 mbec=%d' % (rng.randrange(2, 17),
                                                                     rng.randrange(2))]
        else:
            lines = [config_line(rng)]
        # A usual start, so that later calls get past the VTL rules.
        lines += ['enable-partition-vtl 0 1', 'enable-vp-vtl 0 0 1', 'vtl-call 0',
                  'set-vp-register 0 partition-config 0x1f']
        lines += [command(rng) for _ in range(a.lines)]
        if rng.random() < 0.15:
            lines.insert(rng.randrange(2, len(lines) + 1), config_line(rng))
        script = '\n'.join(lines) + '\n'
        got = subprocess.run([a.binary, 'vsm-script'], input=script, capture_output=True,
                             text=True, timeout=120)
        out = got.stdout.splitlines()
        # Where a config stops the script: the first line, if it is refused, or a later one.
        stop = re.fullmatch(r'memattr vsm-script: line (\d+): (config [^\n]*|a second config'
                            r' [^\n]*), script stopped\n', got.stderr)
        late_at = next((k for k, l in enumerate(lines[1:], 2) if l.startswith('config')), None)
        if stop:
            at = int(stop.group(1))
            ok = got.returncode == 1 and at in (1, late_at)
        else:
            at = len(lines)
            ok = got.returncode in (0, 1) and not got.stderr and not late_at
        if ok and stop and at == late_at:
            late += 1
            why = 'config after other commands (it must come first)'
            ok = stop.group(2) == why and out[-1] == 'error syntax %d: %s' % (at, why)
        if not ok:
            print('script %d: exit %d, stderr: %s' % (i, got.returncode, got.stderr[:2000]))
            open('vsm_script_fuzz_failure.script', 'w').write(script)
            return 1
        # Every line up to the stop answers at least once (dump prints several lines, comments
        # none).
        if len(out) < sum(1 for l in lines[:at] if l.split('#')[0].strip()) - 1:
            print('script %d: %d answers for %d lines' % (i, len(out), at))
            open('vsm_script_fuzz_failure.script', 'w').write(script)
            return 1
    if a.scripts >= 20 and not late:
        print('no script had a config after other commands; the generator lost the case')
        return 1
    print('%d scripts of %d lines: no crash, exit 0/1, stderr only where a config stopped one '
          '(%d after other commands)' % (a.scripts, a.lines, late))
    return 0


if __name__ == '__main__':
    sys.exit(main())
