#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Prepares the nested guest of the hardware-KVM harness in out/nested/:
#   kernel/VERSION/vmlinuz, kernel/VERSION/modules/*.ko, kernel/VERSION/order
#       Debian's 6.12 amd64 kernel (apt-get download + dpkg -x, never installed) and the
#       kvm, kvm-amd modules with their dependencies, decompressed; cached across runs
#   initramfs.cpio.gz
#       busybox-static, scripts/nested/init, the modules, and the project's binaries from
#       BUILD-DIR at their host paths with every library ldd names; made anew every run
# usage: scripts/nested/build.sh BUILD-DIR
# Prints the kernel's directory on stdout.  Exits 0 when ready; 2 when something the guest
# needs cannot be had (the reason on stderr, one line starting "unavailable:"); 1 on an error.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/out/nested
build=${1:?usage: scripts/nested/build.sh BUILD-DIR}
build=$(realpath -m "$build")

unavailable() {
	echo "unavailable: $*" >&2
	exit 2
}

# The binaries the guest runs, as /init reads them: variable=path in the build.
binaries=(memattr="$build/tools/memattr" test_kvm="$build/tests/test_kvm"
	kvm_vm="$build/tests/kvm_vm")
for b in "${binaries[@]}"; do
	[ -x "${b#*=}" ] || unavailable "${b#*=} not built"
done
[ -x /bin/busybox ] && /bin/busybox --list | grep -x insmod >/dev/null ||
	unavailable "busybox-static is not installed (/bin/busybox)"
for t in cpio gzip xz ldd; do
	command -v $t >/dev/null || unavailable "$t is not installed"
done

# --- the kernel: the newest linux-image-6.12.*+deb12-amd64-unsigned apt knows ---
mkdir -p "$out/kernel"
newest_package() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' \
		2>/dev/null | awk '{ print $1 }' | sort -V | tail -1
}
# the newest kernel an earlier run prepared
cached_package() {
	ls "$out/kernel"/*/ready 2>/dev/null | xargs -r -n1 dirname | xargs -r -n1 basename |
		sort -V | tail -1
}
download() {
	rm -rf "$out/download"
	mkdir -p "$out/download"
	(cd "$out/download" && apt-get download "$pkg" 2>"$out/download/apt.log" >&2)
}
pkg=${MEMATTR_NESTED_KERNEL:-$(newest_package)}
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
	# apt's lists were never fetched on this machine.
	apt-get update -qq >&2 || true
	pkg=$(newest_package)
fi
if [ -z "$pkg" ]; then
	pkg=$(cached_package)
	[ -n "$pkg" ] || unavailable "apt knows no linux-image-6.12.*+deb12-amd64-unsigned package"
	echo "nested: apt knows no 6.12 kernel package; using the cached $pkg" >&2
elif [ ! -f "$out/kernel/$pkg/ready" ]; then
	echo "nested: downloading $pkg" >&2
	# An index older than the mirror names a version the mirror dropped: refresh once.
	download || { [ "$(id -u)" -eq 0 ] && apt-get update -qq >&2 && download; } || {
		cat "$out/download/apt.log" >&2
		rm -rf "$out/download"
		failed=$pkg
		pkg=$(cached_package)
		[ -n "$pkg" ] || unavailable "apt-get download $failed failed"
		echo "nested: apt-get download $failed failed; using the cached $pkg" >&2
	}
fi
kdir=$out/kernel/$pkg

if [ ! -f "$kdir/ready" ]; then
	rm -rf "$kdir"
	mkdir -p "$kdir/modules"
	deb=$(ls "$out/download"/*.deb)
	echo "nested: $(basename "$deb"): $(du -m "$deb" | cut -f1) MiB; unpacking" >&2
	dpkg -x "$deb" "$out/download/x"
	cp "$out/download/x/boot/vmlinuz-"* "$kdir/vmlinuz"
	mods=$(echo "$out/download/x/lib/modules/"*)

	# depends= of a module's .modinfo; module names use '_' where file names may use '-'.
	declare -A file_of=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%.ko.xz}
		file_of[${n//-/_}]=$f
	done < <(find "$mods/kernel" -name '*.ko.xz')
	order=()
	declare -A seen=()
	add() {
		local m=${1//-/_} d
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		[ -n "${file_of[$m]:-}" ] || unavailable "module $m is not in $pkg"
		for d in $(xz -dc "${file_of[$m]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
			add "$d"
		done
		order+=("$m")
	}
	add kvm_amd
	for m in "${order[@]}"; do
		xz -dc "${file_of[$m]}" >"$kdir/modules/$m.ko"
	done
	printf '%s\n' "${order[@]}" >"$kdir/order"
	rm -rf "$out/download"
	touch "$kdir/ready"
fi
# Kernels of older versions are not needed any more.
for d in "$out/kernel"/*; do
	[ "$d" = "$kdir" ] || rm -rf "$d"
done

# --- the initramfs ---
stage=$out/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,modules}
cp /bin/busybox "$stage/bin/busybox"
cp scripts/nested/init "$stage/init"
chmod 755 "$stage/init"
cp "$kdir/modules/"*.ko "$kdir/order" "$stage/modules/"

# copy FILE: to the same path in the guest, the target of a symbolic link under the link's name
copy() {
	local dest=$stage$(realpath -ms "$1")
	mkdir -p "$(dirname "$dest")"
	cp -L "$1" "$dest"
}
: >"$stage/etc/memattr-nested"
for b in "${binaries[@]}"; do
	copy "${b#*=}"
	echo "$b" >>"$stage/etc/memattr-nested"
	# "name => /path (address)", or "/path (address)" for the loader
	for lib in $(ldd "${b#*=}" |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		copy "$lib"
	done
done
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) \
	>"$out/initramfs.cpio.gz"
echo "nested: initramfs $(du -k "$out/initramfs.cpio.gz" | cut -f1) KiB ($pkg, modules:" \
	"$(tr '\n' ' ' <"$kdir/order" | sed 's/ $//'))" >&2
echo "$kdir"
