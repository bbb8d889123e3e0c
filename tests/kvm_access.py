#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`memattr vm` where /dev/kvm exists but cannot be opened: one line on stderr that says so and
why it may be (permission denied: not in the kvm group), nothing on stdout, exit 3 (run.sh's
cue for the fallback without KVM), as memattr_vm_create() returns -EACCES, not -ENODEV.

usage: kvm_access.py MEMATTR_BINARY --preload SHIM
           open("/dev/kvm") fails with EACCES through the LD_PRELOAD shim SHIM (kvm_denied.c):
           no device needed
       kvm_access.py MEMATTR_BINARY --as-nobody
           the real /dev/kvm, opened as the unprivileged user nobody (setpriv, as root); exits
           77 (skip) with the reason without /dev/kvm, root, setpriv, or when nobody may open it
"""
import os
import shutil
import subprocess
import sys

WANT = 'memattr vm: /dev/kvm: Permission denied (is this user in the kvm group?)\n'
NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']


def skip(why):
    print('SKIP:', why)
    return 77


def check(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    if p.returncode != 3 or p.stdout or p.stderr != WANT:
        print('FAIL: %s: exit %d (want 3), stdout %r (want none), stderr %r (want %r)'
              % (' '.join(cmd), p.returncode, p.stdout[:300], p.stderr[:300], WANT))
        return 1
    print('ok: %s: %s' % (' '.join(cmd), p.stderr.strip()))
    return 0


def preload(binary, shim):
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(shim))
    # The ASan runtime wants to come first among the libraries; the shim comes before it.
    env['ASAN_OPTIONS'] = ':'.join(filter(None, [env.get('ASAN_OPTIONS'),
                                                 'verify_asan_link_order=0']))
    return check([binary, 'vm'], env)


def as_nobody(binary):
    if not os.path.exists('/dev/kvm'):
        return skip('no /dev/kvm on this host (the --preload test covers the case without one)')
    if os.geteuid() != 0:
        return skip('not root: setpriv cannot run memattr vm as nobody')
    if not shutil.which('setpriv'):
        return skip('no setpriv (util-linux)')
    if subprocess.run(NOBODY + [binary, '--version'], capture_output=True).returncode:
        return skip('nobody cannot run %s (its directory is closed to others)' % binary)
    if subprocess.run(NOBODY + ['sh', '-c', 'exec 3<>/dev/kvm'],
                      capture_output=True).returncode == 0:
        return skip('nobody may open /dev/kvm on this host (mode %o)'
                    % (os.stat('/dev/kvm').st_mode & 0o777))
    return check(NOBODY + [binary, 'vm'])


def main():
    if len(sys.argv) == 4 and sys.argv[2] == '--preload':
        return preload(sys.argv[1], sys.argv[3])
    if len(sys.argv) == 3 and sys.argv[2] == '--as-nobody':
        return as_nobody(sys.argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
