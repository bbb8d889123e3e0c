#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Black-box test of `memattr script`: random scripts, compared line for line
with an independent model of the contract written here from the spec (an
interval map in Python, sharing no code with the C store): every answer, every
"error syntax LINE: WHY" with its reason, where a config stops the script, the
line on stderr and the exit status.

usage: script_blackbox.py MEMATTR_BINARY [--scripts N] [--lines N] [--seed S]
"""
import argparse
import bisect
import random
import re
import subprocess
import sys

NUM = re.compile(r'^(0[xX][0-9a-fA-F]+|[0-9]+)$')
R, W, X, P, NA, UX = 1, 2, 4, 8, 16, 32
# docs/script.md's grammar, as a line that does not parse is answered with it.
USAGE = {
    'config': 'config layers=N gpa_bits=B [mbec=0|1]',
    'supported': 'supported',
    'set': 'set L ADDR SIZE ATTRS [FLAGS]',
    'get': 'get L GFN',
    'extent': 'extent L GFN',
    'has': 'has L START END MASK VALUE',
    'dump': 'dump L',
}


class Syntax:
    """A line that does not parse: answered "error syntax LINE: WHY", the script goes on."""

    def __init__(self, why):
        self.why = why


class Stop:
    """A config line that stops the script: @answer on stdout, then WHY on stderr."""

    def __init__(self, why, answer=None):
        self.why = why
        self.answer = answer  # None: "error syntax LINE: WHY"


def num(tok):
    if not NUM.match(tok):
        return None
    v = int(tok, 0) if not tok.isdigit() else int(tok, 10)
    return v if v < 1 << 64 else None


class Layer:
    """Canonical interval map over [0, n): starts[i] begins a run of vals[i]."""

    def __init__(self, n):
        self.n = n
        self.starts = [0]
        self.vals = [0]

    def get(self, g):
        return self.vals[bisect.bisect_right(self.starts, g) - 1]

    def run(self, g):
        i = bisect.bisect_right(self.starts, g) - 1
        end = self.starts[i + 1] if i + 1 < len(self.starts) else self.n
        return self.vals[i], self.starts[i], end

    def split(self, g):
        if g >= self.n:
            return
        i = bisect.bisect_right(self.starts, g) - 1
        if self.starts[i] != g:
            self.starts.insert(i + 1, g)
            self.vals.insert(i + 1, self.vals[i])

    def set(self, a, b, v):
        self.split(a)
        self.split(b)
        i = self.starts.index(a)
        j = bisect.bisect_left(self.starts, b)
        self.starts[i:j] = [a]
        self.vals[i:j] = [v]
        # merge equal neighbours
        s2, v2 = [], []
        for s, val in zip(self.starts, self.vals):
            if v2 and v2[-1] == val:
                continue
            s2.append(s)
            v2.append(val)
        self.starts, self.vals = s2, v2

    def runs(self, a, b):
        out = []
        for i, s in enumerate(self.starts):
            e = self.starts[i + 1] if i + 1 < len(self.starts) else self.n
            lo, hi = max(a, s), min(b, e)
            if lo < hi:
                out.append((lo, hi, self.vals[i]))
        return out


class Model:
    def __init__(self):
        self.configure(16, 52, False)
        self.started = False
        self.configured = False

    def configure(self, layers, gpa_bits, mbec):
        self.nlayers, self.gpa_bits, self.mbec = layers, gpa_bits, mbec
        self.npages = 1 << (gpa_bits - 12)
        self.layers = [Layer(self.npages) for _ in range(layers)]
        self.supported = R | W | X | P | NA | (UX if mbec else 0)

    def legal(self, v):
        if v & ~self.supported:
            return False
        prot = v & ~P
        if prot in (0, NA):
            return True
        if prot & NA:
            return False
        return bool(prot & R)

    def line(self, text):
        """Expected output lines, a Syntax or a Stop."""
        if '\0' in text:
            return Syntax('NUL byte in the line')
        tok = text.split('#', 1)[0].split()
        if not tok:
            return []
        cmd, args = tok[0], tok[1:]
        if cmd == 'config':
            return self.config(args)
        if cmd not in USAGE:
            return Syntax("unknown command '%s'" % cmd[:40])
        self.started = True
        nums = [num(a) for a in args]
        out = None if any(n is None for n in nums) else getattr(self, 'do_' + cmd)(nums)
        if out is None:
            return Syntax('bad arguments to %s; usage: %s' % (cmd, USAGE[cmd]))
        return out

    def config(self, args):
        if self.started:
            return Stop('config after other commands (it must come first)')
        if self.configured:
            return Stop('a second config (config is allowed once)')
        bad = Stop('config does not parse; usage: ' + USAGE['config'])
        if not args:
            return bad
        seen = {}
        for a in args:
            key, _, val = a.partition('=')
            if key not in ('layers', 'gpa_bits', 'mbec') or key in seen or not _:
                return bad
            v = num(val)
            if v is None:
                return bad
            seen[key] = v
        layers = seen.get('layers', self.nlayers)
        bits = seen.get('gpa_bits', self.gpa_bits)
        mbec = seen.get('mbec', 1 if self.mbec else 0)
        if not 1 <= layers <= 16:
            return Stop('config refused', 'error EINVAL: layers must be 1..16')
        if not 12 <= bits <= 64:
            return Stop('config refused', 'error EINVAL: gpa_bits must be 12..64')
        if mbec not in (0, 1):
            return Stop('config refused', 'error EINVAL: mbec must be 0 or 1')
        self.configure(layers, bits, bool(mbec))
        self.configured = True
        return []

    def do_supported(self, n):
        if n:
            return None
        return ['supported 0x%x' % self.supported]

    def do_set(self, n):
        if len(n) not in (4, 5):
            return None
        layer, addr, size, attrs = n[:4]
        flags = n[4] if len(n) == 5 else 0
        end = addr + size
        if (layer >= self.nlayers or flags or not self.legal(attrs) or size == 0
                or end >= 1 << 64 or addr % 4096 or size % 4096
                or end > 1 << self.gpa_bits):
            return ['error EINVAL']
        self.layers[layer].set(addr >> 12, end >> 12, attrs)
        return ['ok 0x%x 0x0' % end]

    def do_get(self, n):
        if len(n) != 2:
            return None
        layer, g = n
        if layer >= self.nlayers or g >= self.npages:
            return ['error EINVAL']
        return ['0x%x' % self.layers[layer].get(g)]

    def do_extent(self, n):
        if len(n) != 2:
            return None
        layer, g = n
        if layer >= self.nlayers or g >= self.npages:
            return ['error EINVAL']
        v, s, e = self.layers[layer].run(g)
        k = self.gpa_bits - 12
        while k > 0:
            first = g & ~((1 << k) - 1)
            if first >= s and first + (1 << k) <= e:
                break
            k -= 1
        return ['0x%x 0x%x 0x%x 0x%x' % (v, s, e, k)]

    def do_has(self, n):
        if len(n) != 5:
            return None
        layer, a, b, mask, want = n
        if layer >= self.nlayers or a >= b or b > self.npages:
            return ['error EINVAL']
        ok = all((v & mask) == want for _, _, v in self.layers[layer].runs(a, b))
        return ['yes' if ok else 'no']

    def do_dump(self, n):
        if len(n) != 1:
            return None
        if n[0] >= self.nlayers:
            return ['error EINVAL']
        out = ['0x%x 0x%x 0x%x' % r for r in self.layers[n[0]].runs(0, self.npages) if r[2]]
        return out + ['end']


def fmt(rng, v):
    r = rng.random()
    if r < 0.5:
        return '0x%x' % v
    if r < 0.6:
        return '0X%X' % v
    return str(v)


def gen_script(rng, nlines):
    gpa_bits = rng.choice([52, 52, 40, 64, 30, 13, 12])
    layers = rng.choice([16, 2, 3, 1])
    mbec = rng.random() < 0.3
    lines = []
    if rng.random() < 0.8:
        lines.append('config layers=%d gpa_bits=%d%s' % (layers, gpa_bits,
                                                           ' mbec=1' if mbec else ''))
    else:
        layers, gpa_bits, mbec = 16, 52, False
    npages = 1 << (gpa_bits - 12)
    edges = [0, 1, npages - 1, npages, npages // 2]
    for k in (9, 18, 27, 36):
        if (1 << k) < npages:
            for m in range(1, 4):
                edges += [m << k, (m << k) - 1, (m << k) + 1]
    pts = sorted({e for e in edges if 0 <= e <= npages})

    def gfn():
        g = rng.choice(pts) if rng.random() < 0.6 else rng.randrange(npages)
        return min(g, npages)

    values = [0, NA, R, R | X, R | W, R | W | X, P, P | R, R | UX, R | W | X | UX]
    bad_values = [W, X, W | X, NA | R, 1 << 6, 1 << 63]
    for _ in range(nlines):
        r = rng.random()
        layer = rng.randrange(layers + 1) if rng.random() < 0.05 else rng.randrange(layers)
        if r < 0.35:
            a, b = sorted((gfn(), gfn()))
            if a == b and rng.random() < 0.8:
                b = min(a + 1, npages)
            v = rng.choice(values) if rng.random() < 0.93 else rng.choice(bad_values)
            addr, size = a << 12, (b - a) << 12
            q = rng.random()
            if q < 0.03:
                addr += 0x800
            elif q < 0.06:
                size = (1 << 64) - addr
            elif q < 0.08:
                size += 4096 << rng.randrange(50)
            extra = ' ' + fmt(rng, rng.choice([0, 0, 0, 1])) if rng.random() < 0.1 else ''
            lines.append('set %d %s %s %s%s' % (layer, fmt(rng, addr), fmt(rng, size % (1 << 64)),
                                                fmt(rng, v), extra))
        elif r < 0.5:
            lines.append('get %d %s' % (layer, fmt(rng, gfn())))
        elif r < 0.65:
            lines.append('extent %d %s' % (layer, fmt(rng, gfn())))
        elif r < 0.78:
            a, b = sorted((gfn(), gfn()))
            if rng.random() < 0.9:
                b = max(b, a + 1)
            lines.append('has %d %s %s %s %s' % (layer, fmt(rng, a), fmt(rng, b),
                                                 fmt(rng, rng.choice([0x1f, 3, 1, 8, 0x3f])),
                                                 fmt(rng, rng.choice([0, 1, 3, 8, 0x10]))))
        elif r < 0.83:
            lines.append('dump %d' % layer)
        elif r < 0.85:
            lines.append('supported')
        elif r < 0.88:
            lines.append('# a comment')
        elif r < 0.89:
            lines.append('')
        else:
            lines.append(rng.choice([
                'bogus 1 2', 'set 0', 'get 0 -1', 'get 0 0x', 'get 0 1e3', 'extent 0',
                'has 0 1 2 3', 'dump', 'dump 0 1', 'set 0 0 0x1000 1 0 7', 'supported 1',
                'get 0 99999999999999999999999', 'set 0 0x1000 0x1000 r',
                'get\t0\t0 # tabs', '   get 0 1   ', 'GET 0 1', 'set 0 0x1000 0x1000 0x3 # ok',
                'get 0 1\0', 'get 0 1 # \0 after the comment', 'x' * 50, 'dump\x0b0',
            ]))
    return config_case(rng, lines)


# Configs that stop a script, the cases docs/script.md lists: refused, not parsing, a second
# one, one after other commands.  Each stops the script where it stands.
BAD_CONFIGS = [
    'config', 'config layers', 'config layers=', 'config layers=0x', 'config layers=-1',
    'config layerz=2', 'config layers=2 layers=2', 'config mbec=1 mbec=0', 'config 2',
    'config layers=2 gpa_bits=40 extra=1', 'config layers=2,gpa_bits=40',
    'config layers=0', 'config layers=17', 'config layers=99999999999999999999',
    'config layers=0x10000', 'config gpa_bits=11', 'config gpa_bits=65', 'config mbec=2',
    'config layers=2 gpa_bits=12 mbec=3', 'config gpa_bits=0xffffffffffffffff',
    'config layers=18446744073709551615',
]


def config_case(rng, lines):
    """Most scripts as they are; some with a config where it stops them."""
    first_cmd = next((i for i, l in enumerate(lines) if not l.startswith('config')), len(lines))
    r = rng.random()
    if r < 0.06:
        lines[0:0] = [rng.choice(BAD_CONFIGS)]               # a bad first config
    elif r < 0.10:
        lines.insert(first_cmd, 'config layers=3')          # a second one before any command
    elif r < 0.18:
        at = rng.randrange(first_cmd + 1, len(lines) + 1)    # one after other commands
        lines.insert(at, rng.choice(['config layers=2', 'config gpa_bits=52  # late']))
    elif r < 0.21 and first_cmd == 0:
        # Comments, blank lines and unknown commands are no commands: config still comes first.
        lines[0:0] = ['# only a comment', '', 'bogus', 'config layers=2 gpa_bits=40']
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('binary')
    ap.add_argument('--scripts', type=int, default=60)
    ap.add_argument('--lines', type=int, default=400)
    ap.add_argument('--seed', type=int, default=20261125)
    opt = ap.parse_args()
    rng = random.Random(opt.seed)
    compared = 0
    stops = 0
    for n in range(opt.scripts):
        lines = gen_script(rng, opt.lines)
        model, want, want_err, failed = Model(), [], '', False
        for i, line in enumerate(lines, 1):
            out = model.line(line)
            if isinstance(out, Stop):
                want.append(out.answer or 'error syntax %d: %s' % (i, out.why))
                want_err = 'memattr script: line %d: %s, script stopped\n' % (i, out.why)
                failed = True
                stops += 1
                break
            if isinstance(out, Syntax):
                want.append('error syntax %d: %s' % (i, out.why))
                failed = True
            else:
                want += out
        proc = subprocess.run([opt.binary, 'script'], input='\n'.join(lines) + '\n',
                              capture_output=True, text=True, timeout=120)
        got = proc.stdout.splitlines()
        path = '/tmp/memattr-blackbox-%d.script' % n
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                print('script %d (seed %d): output line %d: got %r, want %r' %
                      (n, opt.seed, i + 1, g, w))
                with open(path, 'w') as f:
                    f.write('\n'.join(lines) + '\n')
                print('script saved to', path)
                return 1
        if len(got) != len(want):
            print('script %d: %d output lines, want %d' % (n, len(got), len(want)))
            return 1
        if proc.returncode != (1 if failed else 0) or proc.stderr != want_err:
            print('script %d: exit %d (want %d), stderr %r (want %r)' %
                  (n, proc.returncode, 1 if failed else 0, proc.stderr[:500], want_err))
            return 1
        compared += len(got)
    if opt.scripts >= 40 and not stops:
        print('black-box: no script met a config that stops it; the generator lost the case')
        return 1
    print('black-box: %d scripts (%d stopped by a config), %d output lines agree with the model'
          % (opt.scripts, stops, compared))
    return 0


if __name__ == '__main__':
    sys.exit(main())
