#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build memattr-bench-xarray: the kernel's lib/xarray.c with its user-space shim, and KVM's
attribute code on it (kvm_attr.c, main.c), from Debian's linux-source-6.12 tarball.

usage: build.py --cc CC --work DIR --out FILE --depfile FILE --src DIR --common DIR --tarball PATH
                [--disabled]

The few files needed are extracted from the tarball into DIR (the build directory; no kernel
source is ever committed) and compiled the way tools/testing/radix-tree/Makefile compiles the
kernel's own XArray tests (tools/testing/shared/shared.mk), but optimised and without XA_DEBUG
or sanitizers, as a production kernel runs it.  The kernel code keeps its own flags; our
adapter is compiled with -Wall -Wextra -Werror.

When the tarball or its files are missing, or the kernel code does not build, FILE becomes a
stub that prints "unavailable REASON" (and the whole story on a second line), and `memattr
bench` reports the column as skipped with that reason.  The stub left by a build failure
(rather than by a missing package) exits 1 under --check, so that the test suite sees the
breakage.  The depfile names the tarball, or while it is missing the directory it would
appear in, so that ninja builds again when the package is installed, upgraded or removed.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile

# What the build reads from the tarball (found with gcc -MD on a full extraction).
MEMBERS = [
    "Makefile",  # VERSION, PATCHLEVEL, SUBLEVEL only
    "lib/xarray.c",
    "lib/radix-tree.c",
    "lib/radix-tree.h",
    "include/linux/xarray.h",
    "include/linux/radix-tree.h",
    "include/linux/idr.h",
    "include/linux/kconfig.h",
    "include/linux/gfp_types.h",
    "tools/lib/slab.c",
    "tools/lib/find_bit.c",
    "tools/lib/bitmap.c",
    "tools/lib/hweight.c",
    "tools/lib/vsprintf.c",
]
MEMBER_DIRS = ["tools/include/", "tools/testing/shared/"]

# The shim's objects (shared.mk: SHARED_OFILES and LIBS, less what the XArray does not use).
KERNEL_SOURCES = [
    "lib/radix-tree.c",  # radix_tree_node_cachep, radix_tree_init(), the RCU free
    "tools/testing/shared/linux.c",  # kmem_cache, the node slab
    "tools/lib/slab.c",
    "tools/lib/find_bit.c",
    "tools/lib/bitmap.c",
    "tools/lib/hweight.c",
    "tools/lib/vsprintf.c",
]
ADAPTER_SOURCES = ["kvm_attr.c", "main.c"]

# tools/testing/radix-tree/Makefile generates these; XA_CHUNK_SHIFT is the kernel's own 6
# (include/linux/xarray.h without CONFIG_BASE_SMALL), not the tests' default of 3.
GENERATED = {
    "map-shift.h": "#define XA_CHUNK_SHIFT 6\n",
    "bit-length.h": "#define CONFIG_64BIT 1\n",
    "autoconf.h": '#include "bit-length.h"\n#define CONFIG_XARRAY_MULTI 1\n',
}
COMMON = ["-std=gnu11", "-O2", "-g", "-fno-strict-aliasing", "-D_LGPL_SOURCE", "-pthread"]


class Unavailable(Exception):
    """The baseline cannot be built here: the stub says why, in a few words (a table cell's
    note) and in full; broken: a build failure rather than a missing package."""

    def __init__(self, short, detail=None, broken=False):
        super().__init__(short)
        self.short = short
        self.detail = detail or short
        self.broken = broken


def missing_tarball(tarball):
    return Unavailable("linux-source-6.12 not installed",
                       f"{tarball} not found: apt-get install linux-source-6.12")


def depfile(path, out, tarball, sources):
    """Ninja's view of what the output depends on; a missing file there only makes it rebuild."""
    deps = list(sources)
    if tarball and os.path.exists(tarball):
        deps.append(tarball)
    elif tarball and os.path.isdir(os.path.dirname(os.path.abspath(tarball))):
        deps.append(os.path.dirname(os.path.abspath(tarball)))
    with open(path, "w") as f:
        f.write(out.replace(" ", "\\ ") + ": " + " ".join(d.replace(" ", "\\ ") for d in deps)
                + "\n")


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def stub(out, e):
    text = ("#!/bin/sh\n"
            "# memattr-bench-xarray was not built (bench/xarray/build.py)\n"
            f"printf 'unavailable %s\\n%s\\n' {sh_quote(e.short)} {sh_quote(e.detail)}\n"
            f'[ "$1" = --check ] && exit {1 if e.broken else 77}\n'
            "exit 0\n")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, out)
    print(f"memattr-bench-xarray: not built: {e.detail}", file=sys.stderr)


def wanted(rel):
    return rel in MEMBERS or any(rel.startswith(d) for d in MEMBER_DIRS)


def extract(tarball, dest):
    """The members into dest/, unless a stamp says this tarball is there already."""
    st = os.stat(tarball)
    key = {"tarball": os.path.abspath(tarball), "size": st.st_size, "mtime": st.st_mtime_ns,
           "members": MEMBERS + MEMBER_DIRS}
    stamp = os.path.join(dest, ".stamp")
    try:
        with open(stamp) as f:
            if json.load(f) == key:
                return
    except (OSError, ValueError):
        pass
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    found = set()
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.11.4
    try:
        with tarfile.open(tarball, "r|xz") as tf:
            for m in tf:
                _, _, rel = m.name.partition("/")  # below linux-source-6.12/
                if not rel or not wanted(rel) or not (m.isfile() or m.isdir()):
                    continue
                if rel.startswith("/") or ".." in rel.split("/"):
                    raise Unavailable("linux-source-6.12 unsafe", f"{tarball}: member {m.name}")
                m.name = rel
                m.mode = 0o755 if m.isdir() else 0o644
                tf.extract(m, dest, set_attrs=False, **safe)
                found.add(rel)
    except (OSError, tarfile.TarError, EOFError) as e:
        raise Unavailable("linux-source-6.12 unreadable", f"cannot read {tarball}: {e}")
    missing = [p for p in MEMBERS if p not in found]
    missing += [d for d in MEMBER_DIRS if not any(f.startswith(d) for f in found)]
    if missing:
        raise Unavailable("linux-source-6.12 lacks files", f"{tarball} lacks {', '.join(missing)}")
    with open(stamp, "w") as f:
        json.dump(key, f)


def release(ksrc):
    with open(os.path.join(ksrc, "Makefile")) as f:
        head = f.read(4096)
    v = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL) = (\d+)$", head, re.M))
    if len(v) != 3:
        raise Unavailable("linux-source-6.12: no version",
                          "no kernel version in the tarball's Makefile")
    return f"{v['VERSION']}.{v['PATCHLEVEL']}.{v['SUBLEVEL']}"


def accepted(cc, flags):
    """The flags the compiler knows (clang refuses gcc's warning names)."""
    p = subprocess.run(cc + ["-Werror"] + flags + ["-x", "c", "-c", os.devnull, "-o", os.devnull],
                       capture_output=True)
    return flags if p.returncode == 0 else []


def compile_all(cc, jobs):
    """Compile (source, object, flags) jobs two at a time; their output goes to stderr (the build
    log); returns the sources that failed."""
    def one(job):
        src, obj, flags = job
        p = subprocess.run(cc + flags + ["-c", src, "-o", obj], capture_output=True, text=True)
        return src, p.returncode, p.stdout + p.stderr

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        for src, rc, log in ex.map(one, jobs):
            if log.strip():
                sys.stderr.write(log)
            if rc:
                failed.append(src)
    return failed


def build(args):
    cc = shlex.split(args.cc)
    if not os.path.isfile(args.tarball):
        raise missing_tarball(args.tarball)
    ksrc = os.path.join(args.work, "linux")
    extract(args.tarball, ksrc)
    rel = release(ksrc)
    gen = os.path.join(args.work, "generated")
    os.makedirs(gen, exist_ok=True)
    for name, text in GENERATED.items():
        with open(os.path.join(gen, name), "w") as f:
            f.write(text)
    dirs = [os.path.join(ksrc, "tools/testing/shared"), args.work,
            os.path.join(ksrc, "tools/include"), os.path.join(ksrc, "lib")]
    objdir = os.path.join(args.work, "obj")
    os.makedirs(objdir, exist_ok=True)

    # The kernel's code with the kernel's warnings (-Wall, as shared.mk), never -Werror, less
    # two the shim gives at -O2 that are not ours to fix: radix_tree_cpu_dead() unused outside
    # the kernel, and a posix_memalign() result in linux.c (gcc only).
    kflags = COMMON + ["-Wall", "-Wno-unused-function"] + [f"-I{d}" for d in dirs]
    kflags += accepted(cc, ["-Wno-maybe-uninitialized"])
    kjobs = [(os.path.join(args.src, "lib_xarray.c"), os.path.join(objdir, "lib_xarray.o"), kflags)]
    kjobs += [(os.path.join(ksrc, s), os.path.join(objdir, os.path.basename(s)[:-2] + ".o"),
               kflags) for s in KERNEL_SOURCES]
    failed = compile_all(cc, kjobs)
    if failed:
        raise Unavailable(f"Linux {rel} XArray did not compile",
                          f"Linux {rel} sources did not compile: "
                          f"{', '.join(os.path.basename(f) for f in failed)} (see the build log)",
                          broken=True)

    # Ours: strict, with the kernel's headers as system headers so that only our code warns.
    aflags = (COMMON + ["-Wall", "-Wextra", "-Werror", f'-DXA_KERNEL_RELEASE="{rel}"']
              + [f for d in dirs for f in ("-isystem", d)] + ["-I", args.common])
    ajobs = [(os.path.join(args.src, s), os.path.join(objdir, "adapter_" + s[:-2] + ".o"), aflags)
             for s in ADAPTER_SOURCES]
    if compile_all(cc, ajobs):
        sys.exit("memattr-bench-xarray: the adapter (bench/xarray/) does not compile")

    objs = [j[1] for j in kjobs + ajobs]
    tmp = args.out + ".tmp"
    p = subprocess.run(cc + ["-pthread", "-o", tmp] + objs + ["-lurcu"], capture_output=True,
                       text=True)
    if p.returncode:
        sys.stderr.write(p.stdout + p.stderr)
        raise Unavailable("memattr-bench-xarray did not link",
                          f"memattr-bench-xarray did not link against Linux {rel} "
                          "(see the build log)", broken=True)
    os.replace(tmp, args.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cc", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--common", required=True, help="the directory holding common/clock.h")
    ap.add_argument("--depfile", required=True)
    ap.add_argument("--tarball", required=True)
    ap.add_argument("--disabled", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    sources = [os.path.join(args.src, s) for s in ADAPTER_SOURCES + ["lib_xarray.c"]]
    try:
        if args.disabled:
            raise Unavailable("disabled (-Dxarray=disabled)")
        build(args)
    except Unavailable as e:
        stub(args.out, e)
    depfile(args.depfile, args.out, "" if args.disabled else args.tarball, sources)


if __name__ == "__main__":
    main()
