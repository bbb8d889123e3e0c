#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turns the nested guest's serial consoles into test results.

Writes a JSON-lines log shaped as meson's (out/*/meson-logs/*.json: one object per line
with "name", "result" OK/FAIL/SKIP, "returncode", "duration", "stdout") and prints a
summary: one line per result, the last lines of output under each failure.

  results.py --log LOG --tests SRC --boot MODE CONSOLE QEMU-STATUS [--boot ...]
  results.py --log LOG --skip REASON MODE...  every command of every mode skipped
  results.py --log LOG --fail REASON [FILE]   the harness itself failed; FILE its output

One result per (mode, command) and one per cmocka test of test_kvm, named
nested/MODE/COMMAND and nested/MODE/test_kvm/TEST.
"""
import argparse
import json
import re
import sys
import time

# The commands scripts/nested/init runs, in its order (one it runs beyond these is reported too).
COMMANDS = ['load kvm_amd', 'memattr vm', 'memattr vm --exec', 'memattr vm --memslots',
            'test_kvm', 'examples/kvm_vm']
BEGIN = re.compile(r'@@@ memattr-nested begin (.+?)\s*$')
END = re.compile(r'@@@ memattr-nested end (.+?) status=(\d+) seconds=([0-9.]+)\s*$')
ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]|\x1bc')
TAIL = 15


def result(name, res, out='', rc=None, seconds=0.0, command=None):
    return {'name': name, 'result': res, 'returncode': rc, 'duration': seconds,
            'starttime': time.time(), 'stdout': out, 'command': command or [name]}


def read_console(path):
    try:
        with open(path, 'rb') as f:
            text = f.read().decode('utf-8', 'replace')
    except OSError as e:
        return ['cannot read %s: %s' % (path, e)]
    return [ANSI.sub('', line).rstrip('\r') for line in text.split('\n')]


def sections(lines):
    """{command: (output lines, status or None when it never ended, seconds)}"""
    found, current, body = {}, None, []
    for line in lines:
        m = END.search(line)
        if m and current == m.group(1):
            found[current] = (body, int(m.group(2)), float(m.group(3)))
            current = None
            continue
        m = BEGIN.search(line)
        if m:
            if current:
                found[current] = (body, None, 0.0)
            current, body = m.group(1), []
            continue
        if current:
            body.append(line)
    if current:
        found[current] = (body, None, 0.0)
    return found


def cmocka_tests(body):
    """[(test, result, output lines)] from cmocka's default output."""
    tests, current, out = [], None, []
    for line in body:
        if re.match(r'\[=+\] \d+ test\(s\) run\.', line):
            break
        m = re.match(r'\[ RUN {6}\] (\S+)', line)
        if m:
            current, out = m.group(1), [line]
            continue
        m = re.match(r'\[ *(OK|FAILED|SKIPPED) *\] (\S+)$', line)
        if m and m.group(2) == current:
            out.append(line)
            res = {'OK': 'OK', 'FAILED': 'FAIL', 'SKIPPED': 'SKIP'}[m.group(1)]
            tests.append((current, res, out))
            current = None
            continue
        if current:
            out.append(line)
    if current:
        tests.append((current, None, out))
    return tests


def ended(status):
    if status == 143:
        return 'killed by the per-command timeout (status 143)'
    return 'status %s' % status


def why_stopped(qemu_status):
    if qemu_status == 124:
        return 'the guest was stopped by the boot timeout'
    if qemu_status == 0:
        return 'the guest powered off early'
    return 'QEMU exited with status %d' % qemu_status


def boot_results(mode, console, qemu_status, test_names):
    lines = read_console(console)
    found = sections(lines)
    prefix = 'nested/%s/' % mode
    tail = '\n'.join(lines[-40:])
    out = []
    for cmd in COMMANDS + [c for c in found if c not in COMMANDS]:
        name = prefix + cmd
        if cmd not in found:
            out.append(result(name, 'FAIL', 'not run: %s; console tail:\n%s'
                              % (why_stopped(qemu_status), tail)))
            continue
        body, status, seconds = found[cmd]
        text = '\n'.join(body)
        if status is None:
            text += '\n(did not finish: %s)' % why_stopped(qemu_status)
        elif status == 143:
            text += '\n(%s)' % ended(status)
        if cmd != 'test_kvm':
            res = 'OK' if status == 0 else 'FAIL'
            out.append(result(name, res, text, status, seconds))
            continue
        if status == 77:
            out.append(result(name, 'SKIP', text, status, seconds))
            continue
        seen = cmocka_tests(body)
        stop = ended(status) if status is not None else why_stopped(qemu_status)
        failed = False
        for test, res, tout in seen:
            ttext = '\n'.join(tout)
            if res is None:
                res = 'FAIL'
                ttext += '\n(did not finish: test_kvm %s)' % stop
            failed |= res == 'FAIL'
            out.append(result('%s/%s' % (name, test), res, ttext, None, 0.0))
        done = {t for t, _, _ in seen}
        # When test_kvm got to its end, a test of the source it did not run is not in this
        # build (the source is newer than BUILD-DIR); otherwise it was never reached.
        finished = any(re.match(r'\[=+\] \d+ test\(s\) run\.', line) for line in body)
        for test in [] if finished else test_names:
            if test not in done:
                failed = True
                out.append(result('%s/%s' % (name, test), 'FAIL',
                                  'not reached: test_kvm ended, %s' % stop))
        # A status the per-test results do not explain (a crash outside a test, a timeout).
        if not seen or (status != 0 and not failed):
            out.append(result(name, 'FAIL', text, status, seconds))
    return out


def print_summary(results):
    for r in results:
        print('%-4s %s' % (r['result'], r['name']))
        if r['result'] == 'FAIL':
            for line in r['stdout'].rstrip('\n').split('\n')[-TAIL:]:
                print('       | ' + line)
        elif r['result'] == 'SKIP':
            print('       | ' + r['stdout'].strip().split('\n')[-1])
    counts = {k: sum(r['result'] == k for r in results) for k in ('OK', 'FAIL', 'SKIP')}
    print('nested kvm_amd results: %(OK)d OK, %(FAIL)d FAIL, %(SKIP)d SKIP' % counts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True)
    ap.add_argument('--tests', help='test_kvm.c, whose cmocka_unit_test() list names the tests')
    ap.add_argument('--skip')
    ap.add_argument('--fail')
    ap.add_argument('--boot', nargs=3, action='append', default=[],
                    metavar=('MODE', 'CONSOLE', 'QEMU_STATUS'))
    ap.add_argument('items', nargs='*')
    a = ap.parse_args()

    results = []
    if a.skip:
        for mode in a.items:
            results += [result('nested/%s/%s' % (mode, cmd), 'SKIP', a.skip) for cmd in COMMANDS]
    elif a.fail:
        text = ''.join(open(a.items[0], errors='replace')) if a.items else ''
        results.append(result('nested/build', 'FAIL', '%s\n%s' % (a.fail, text)))
    else:
        names = []
        if a.tests:
            names = re.findall(r'cmocka_unit_test\((\w+)\)', open(a.tests).read())
        for mode, console, status in a.boot:
            results += boot_results(mode, console, int(status), names)
    with open(a.log, 'w') as f:
        for r in results:
            f.write(json.dumps(r) + '\n')
    print_summary(results)
    return 1 if any(r['result'] == 'FAIL' for r in results) else 0


if __name__ == '__main__':
    sys.exit(main())
