#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Plot `memattr bench --json` with gnuplot: time and memory per workload, log scale.

usage: bench/plot.py BENCH.json OUT.svg
"""
import json
import os
import subprocess
import sys
import tempfile

IMPLS = [("store", "memattr store"), ("flat", "flat array"), ("judy", "Judy (per page)"),
         ("xarray", "kernel XArray (KVM)"), ("memslot", "KVM memslots"),
         ("twolevel", "2-level table (reference)")]
# The implementations that have memory rows: the first MEMORY_IMPLS of IMPLS.
MEMORY_IMPLS = 4
TIME = ["boot_sets", "boot_coalesced", "scatter_sets", "runs512_sets", "range_64g", "range_1t",
        "lookup_uniform", "lookup_uniform_dep", "lookup_hot", "lookup_hot_dep", "extent_uniform",
        "memslot_change", "kvm_view_change"]
MEMORY = ["boot_memory", "scatter_memory", "runs512_memory", "range_64g_memory",
          "range_1t_memory"]
LABEL = {
    "boot_sets": "boot\\n1 set/page", "boot_coalesced": "boot\\nbatches",
    "range_64g": "set\\n64 GiB", "range_1t": "set\\n1 TiB", "lookup_uniform": "lookup\\nuniform",
    "lookup_uniform_dep": "lookup\\nuniform dep.", "lookup_hot": "lookup\\nhot",
    "lookup_hot_dep": "lookup\\nhot dep.", "extent_uniform": "extent",
    "scatter_sets": "scattered\\n1 set/page", "runs512_sets": "512-page\\nruns",
    "memslot_change": "protection\\nchange", "kvm_view_change": "change on\\na running VM",
    "boot_memory": "after the boot trace", "scatter_memory": "after scattered sets",
    "runs512_memory": "after 512-page runs",
    "range_64g_memory": "64 GiB uniform", "range_1t_memory": "1 TiB uniform",
}


def present(doc, ids, impls):
    """The implementations with a figure in at least one of the rows (gnuplot refuses a column
    with none: a run without the XArray, or an older run's JSON)."""
    rows = {r["id"]: r for r in doc["rows"]}

    def value(rid, key):
        v = rows.get(rid, {}).get(key, {}).get("value")
        return isinstance(v, (int, float)) and v > 0

    return [(k, n) for k, n in impls if any(value(rid, k) for rid in ids)]


def table(doc, ids, path, impls):
    rows = {r["id"]: r for r in doc["rows"]}
    with open(path, "w") as f:
        f.write("label " + " ".join(f'"{n}"' for _, n in impls) + "\n")
        for rid in ids:
            r = rows.get(rid, {})
            vals = []
            for key, _ in impls:
                v = r.get(key, {}).get("value")
                vals.append(f"{v:g}" if isinstance(v, (int, float)) and v > 0 else "NaN")
            f.write(f'"{LABEL[rid]}" ' + " ".join(vals) + "\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    p = doc["params"]
    title = (f"memattr bench: {p['guest_bytes'] >> 30} GiB guest, {p['changes']} changes, "
             f"{doc['machine']['cpu']}, {doc['machine']['cores']} cores")
    with tempfile.TemporaryDirectory() as d:
        t, m = os.path.join(d, "time.dat"), os.path.join(d, "mem.dat")
        timp = present(doc, TIME, IMPLS)
        mimp = present(doc, MEMORY, IMPLS[:MEMORY_IMPLS])
        table(doc, TIME, t, timp)
        table(doc, MEMORY, m, mimp)
        gp = f"""
set terminal svg size 1300,900 dynamic font 'sans,11'
set output '{sys.argv[2]}'
set multiplot layout 2,1 title '{title}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set grid ytics
set key top left
set xtics nomirror
set bmargin 4
set format y '%g'
set ylabel 'ns per operation (log)'
set title 'time (lower is better)'
plot for [i=2:{len(timp) + 1}] '{t}' using i:xtic(1) title columnheader(i)
set ylabel 'bytes (log)'
set title 'memory (lower is better)'
plot for [i=2:{len(mimp) + 1}] '{m}' using i:xtic(1) title columnheader(i)
unset multiplot
"""
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)


if __name__ == "__main__":
    main()
