#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""memattr gen / replay / bench, checked from outside.

- gen is reproducible (same seed, same bytes) and seeds matter;
- the trace has the shape docs/trace.md promises (a sweep, then at least the
  requested single-page changes to layer 0, in batches of at most 4,095 pages,
  legal values only);
- replay's final runs equal those of an independent interval model in this
  file, and `memattr script` accepts every line and completes every set;
- bench --quick --kvm --json runs, parses, and has every row and target (no time is
  checked: timings are not test material); the kernel XArray column has a figure or a
  skip with its reason (without linux-source-6.12 there is no XArray to run).
"""
import bisect
import json
import math
import re
import subprocess
import sys

LEGAL = {0x0, 0x1, 0x3, 0x5, 0x7, 0x10}
ROWS = [
    "boot_sweep", "boot_sets", "boot_kvm_sets", "boot_coalesced", "boot_memory", "range_64g",
    "range_64g_memory", "range_1t", "range_1t_memory", "lookup_uniform",
    "lookup_uniform_many", "lookup_uniform_dep", "extent_uniform", "order_uniform",
    "lookup_hot", "lookup_hot_many", "lookup_hot_dep", "order_hot", "memslot_change", "memslot_done",
    "readers_alone", "readers_writer", "writer_sets",
    "scatter_sets", "scatter_memory", "scatter_over_sets", "runs512_sets", "runs512_memory",
]
# The kernel XArray (memattr-bench-xarray): a value, or a skip with its reason.
XARRAY_ROWS = [
    "boot_sweep", "boot_sets", "boot_coalesced", "boot_memory", "range_64g", "range_64g_memory",
    "scatter_sets", "scatter_memory", "scatter_over_sets", "runs512_sets", "runs512_memory",
    "lookup_uniform", "lookup_uniform_dep", "lookup_hot", "lookup_hot_dep",
]
XARRAY_TARGETS = ["scattered single-page sets: XArray / store (>=)",
                  "memory after boot: store / XArray (<=)"]
# With --kvm: a value, or without /dev/kvm a skip with its reason.
KVM_ROWS = [
    "kvm_view_change", "kvm_view_total", "kvm_view_done", "kvm_view_vmas",
    "kvm_million_change", "kvm_million_done",
]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


class Runs:
    """A layer as sorted breakpoints: value of [bp[i], bp[i+1]) is val[i]."""

    def __init__(self, end):
        self.bp, self.val = [0, end], [0, 0]

    def split(self, x):
        i = bisect.bisect_right(self.bp, x) - 1
        if self.bp[i] != x:
            self.bp.insert(i + 1, x)
            self.val.insert(i + 1, self.val[i])

    def set(self, s, e, v):
        self.split(s)
        self.split(e)
        i, j = self.bp.index(s), self.bp.index(e)
        self.bp[i + 1:j] = []
        self.val[i + 1:j] = []
        self.val[i] = v

    def nonzero_runs(self):
        out = []
        for i in range(len(self.bp) - 1):
            s, e, v = self.bp[i], self.bp[i + 1], self.val[i]
            if out and out[-1][1] == s and out[-1][2] == v:
                out[-1] = (out[-1][0], e, v)
            elif v:
                out.append((s, e, v))
        return out


def main():
    exe = sys.argv[1]
    gen = [exe, "gen", "--guest", "2G", "--changes", "20000", "--layers", "2"]
    a = run(gen + ["--seed", "7"])
    b = run(gen + ["--seed", "7"])
    c = run(gen + ["--seed", "8"])
    check(a.returncode == 0 and a.stdout, "gen runs")
    check(a.stdout == b.stdout, "gen: the same seed gives the same trace")
    check(a.stdout != c.stdout, "gen: another seed gives another trace")
    check(run([exe, "gen", "--guest", "2T"]).returncode != 0, "gen: a 2 TiB guest is refused")

    lines = a.stdout.splitlines()
    cfg = re.fullmatch(r"config layers=(\d+) gpa_bits=(\d+)", lines[[l.startswith("config") for l in lines].index(True)])
    check(cfg is not None, "gen: a config line")
    layers, gpa_bits = int(cfg.group(1)), int(cfg.group(2))
    check(layers == 2, "gen: --layers honoured")
    model = [Runs(1 << (gpa_bits - 12)) for _ in range(layers)]
    batch_pages, batches, single = [], 0, 0
    for line in lines:
        m = re.fullmatch(r"# batch \d+: (\d+) pages.*", line)
        if m:
            batches += 1
            batch_pages.append(int(m.group(1)))
            continue
        if not line.startswith("set "):
            continue
        _, l, addr, size, val = line.split()
        l, addr, size, val = int(l), int(addr, 0), int(size, 0), int(val, 0)
        check(val in LEGAL, f"gen: legal value in '{line}'")
        check(addr % 4096 == 0 and size % 4096 == 0 and size, f"gen: aligned set '{line}'")
        if batches:
            single += size == 4096 and l == 0
        model[l].set(addr >> 12, (addr + size) >> 12, val)
    check(single >= 20000, f"gen: at least 20000 single-page changes to layer 0 ({single})")
    check(batch_pages and max(batch_pages) <= 4095, "gen: batches of at most 4095 pages")
    check(sum(batch_pages) == single, "gen: the batch headers count the changes")

    rp = run([exe, "replay", "--dump", "-"], input=a.stdout)
    check(rp.returncode == 0, "replay runs")
    check(re.search(r"replayed \d+ sets in [0-9.]+ s: \d+ ops/s, [0-9.]+ ns per op, \d+ page faults",
                    rp.stderr) is not None,
          "replay prints time, ops/s and page faults")
    check(re.search(r"total: \d+ nodes, \d+ bytes", rp.stderr) is not None,
          "replay prints nodes and bytes")
    got, cur = [], []
    for line in rp.stdout.splitlines():
        if line == "end":
            got.append(cur)
            cur = []
        else:
            s, e, v = (int(x, 0) for x in line.split())
            cur.append((s, e, v))
    check(got == [m.nonzero_runs() for m in model], "replay: runs equal the model's")

    sc = run([exe, "script"], input=a.stdout)
    check(sc.returncode == 0, "script accepts the trace")
    outs = sc.stdout.splitlines()
    check(outs and all(re.fullmatch(r"ok 0x[0-9a-f]+ 0x0", o) for o in outs),
          "script completes every set of the trace")

    bj = run([exe, "bench", "--quick", "--kvm", "--json"], timeout=1200)
    check(bj.returncode == 0, f"bench --quick --kvm --json exits 0 ({bj.stderr[-300:]})")
    try:
        doc = json.loads(bj.stdout)
    except ValueError as e:
        check(False, f"bench JSON parses ({e})")
        doc = {"rows": [], "targets": []}
    ids = {r["id"]: r for r in doc.get("rows", [])}
    for rid in ROWS:
        check(rid in ids, f"bench row {rid}")
        cell = ids.get(rid, {}).get("store", {})
        v = cell.get("value")
        check(isinstance(v, (int, float)) and math.isfinite(v) and v > 0,
              f"bench row {rid}: a positive store figure")
    for rid in KVM_ROWS:
        cell = ids.get(rid, {}).get("store", {})
        check(isinstance(cell.get("value"), (int, float)) or
              (cell.get("skipped") and cell.get("note")),
              f"bench row {rid}: a value or a skip with a reason")
    for rid in XARRAY_ROWS:
        cell = ids.get(rid, {}).get("xarray", {})
        v = cell.get("value")
        check((isinstance(v, (int, float)) and math.isfinite(v) and v > 0) or
              (cell.get("skipped") and cell.get("note")),
              f"bench row {rid}: an XArray figure or a skip with a reason")
    targets = {t.get("what"): t for t in doc.get("targets", [])}
    for what in XARRAY_TARGETS:
        t = targets.get(what, {})
        check(t.get("status") in ("PASS", "FAIL") or (t.get("status") == "SKIP" and t.get("why")),
              f"target {what}: judged, or skipped with a reason")
    check(len(doc.get("targets", [])) >= 15, "bench: every target listed")
    for t in doc.get("targets", []):
        check(t.get("status") in ("PASS", "FAIL", "SKIP", "REF"), f"target {t.get('what')}: a status")
    for rid in ("lookup_uniform_many", "lookup_uniform_dep", "lookup_hot_many", "lookup_hot_dep"):
        v = ids.get(rid, {}).get("twolevel", {}).get("value")
        check(isinstance(v, (int, float)) and math.isfinite(v) and v > 0,
              f"bench row {rid}: a positive two-level reference figure")
    refs = [t for t in doc.get("targets", []) if t.get("status") == "REF"]
    check(len(refs) == 4 and all(t.get("ratio", 0) > 0 and t.get("why") for t in refs),
          "bench: the four two-level references, each with a ratio and a verdict")

    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
