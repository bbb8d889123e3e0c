#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write BENCHMARKS.md from one `memattr bench` run: its table (text) and its JSON.

usage: bench/benchmarks_md.py RUN.txt RUN.json PLOT.svg [FULL.txt] > BENCHMARKS.md
The prose lives in bench/BENCHMARKS.in.md; @TABLE@, @TARGETS@, @PLOT@, @PARAMS@, @KVMRATIO@ and
@FULL@ are filled in.  FULL.txt is the last full run (memslots and --kvm) when RUN is not one: its
table goes into @FULL@, and @KVMRATIO@ comes from it.
"""
import re
import json
import os
import sys


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    txt, js, svg = sys.argv[1:4]
    full = "(this run is one)"
    if len(sys.argv) == 5:
        with open(sys.argv[4]) as f:
            full = f.read().rstrip("\n")
    with open(txt) as f:
        table = f.read().rstrip("\n")
    with open(js) as f:
        doc = json.load(f)
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "BENCHMARKS.in.md")) as f:
        page = f.read()
    rows = ["| target | ratio | bound | |", "|---|---|---|---|"]
    for t in doc["targets"]:
        ratio = f"{t['ratio']:.3g}" if "ratio" in t else "-"
        bound = (">= " if t["at_least"] else "<= ") + f"{t['limit']:g}"
        rows.append(f"| {t['what']} | {ratio} | {bound} | {t['status']} "
                    f"{t.get('why', '')} |".replace(" |", " |").rstrip())
    p, m = doc["params"], doc["machine"]
    params = (f"{p['guest_bytes'] >> 30} GiB guest, {p['layers']} layers, {p['changes']} changes "
              f"in {p['batches']} batches, seed {p['seed']}; {m['cpu']}, {m['cores']} cores, "
              f"Linux {m['kernel']}")
    kvm = [t for t in doc["targets"] if t["what"].startswith("KVM: memslot") and "ratio" in t]
    if kvm:
        kvmratio = f"{kvm[0]['ratio']:.0f}x"
    else:
        m = re.search(r"KVM: memslot change / mprotect-view change \(>=\)\s+([0-9.e+]+)", full)
        kvmratio = f"{float(m.group(1)):.0f}x" if m else "(no --kvm run)"
    page = (page.replace("@TABLE@", table).replace("@KVMRATIO@", kvmratio).replace("@TARGETS@", "\n".join(rows))
            .replace("@PLOT@", svg).replace("@PARAMS@", params).replace("@FULL@", full))
    sys.stdout.write(page)


if __name__ == "__main__":
    main()
