#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The library's ABI is what it means to be, and changes only on purpose.

usage: abi_check.py LIBRARY MAP-FILE INCLUDE-DIR BASELINE COMPILER-ID

- `nm -D --defined-only` of LIBRARY lists the functions of MAP-FILE's version
  nodes and nothing else (no internal helper a program could replace);
- those are exactly the functions the public headers mark MEMATTR_API;
- with abidiff (Debian's abigail-tools) and a gcc build, LIBRARY's ABI
  (functions and the public types they use) equals BASELINE.  After a
  deliberate change: abidw --headers-dir include/memattr --drop-private-types
  --no-corpus-path --short-locs LIBRARY > abi/libmemattr.abi.  Other
  compilers describe the same types differently in their debug information,
  so only gcc builds compare.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms, nodes = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, name = parts[1], parts[2].split("@")[0]
        (nodes if kind == "A" else syms).add(name)
    return syms, nodes


def mapped(map_file):
    text = re.sub(r"/\*.*?\*/", "", Path(map_file).read_text(), flags=re.S)
    nodes = set(re.findall(r"^(\w+(?:\.\w+)*)\s*\{", text, flags=re.M))
    names = set(re.findall(r"^\s*(memattr_\w+);", text, flags=re.M))
    return names, nodes


def declared(include_dir):
    names = set()
    for h in sorted(Path(include_dir).glob("*.h")):
        names |= set(re.findall(r"^MEMATTR_API\b[^(;]*?\b(memattr_\w+)\(", h.read_text(),
                                flags=re.M))
    return names


def main():
    lib, map_file, include_dir, baseline, compiler = sys.argv[1:6]
    failures = []
    syms, nodes = exported(lib)
    names, map_nodes = mapped(map_file)
    decl = declared(include_dir)
    if syms != names:
        failures.append(f"exported but not in {map_file}: {sorted(syms - names)}; "
                        f"in it but not exported: {sorted(names - syms)}")
    if nodes != map_nodes:
        failures.append(f"version nodes {sorted(nodes)} != the map's {sorted(map_nodes)}")
    if decl != names:
        failures.append(f"MEMATTR_API in the headers but not in the map: {sorted(decl - names)}; "
                        f"in the map but not declared MEMATTR_API: {sorted(names - decl)}")
    print(f"{len(syms)} functions exported in {sorted(nodes)}")
    if compiler != "gcc":
        print(f"abidiff: skipped, a {compiler} build (the baseline is gcc's)")
    elif not shutil.which("abidiff"):
        print("abidiff: skipped, abigail-tools is not installed")
    else:
        r = subprocess.run(["abidiff", "--headers-dir2", include_dir, baseline, lib],
                           capture_output=True, text=True)
        print(f"abidiff against {baseline}: status {r.returncode}")
        if r.returncode:
            failures.append("the ABI changed (update the baseline if that is meant):\n" +
                            r.stdout + r.stderr)
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
