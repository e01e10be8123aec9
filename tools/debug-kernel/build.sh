#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the debug kernel of the mpsc test lane from Debian's linux-source-6.12:
# tinyconfig + vm.config + selftests/mpsc/config + debug.config, then
# bzImage and modules. The tree is kept in a cache outside the clone, keyed
# by the source package version and a hash of the fragments and this script,
# so a second call with the same inputs returns at once.
#
# Last line of stdout: the cache directory. It is a built kernel tree, usable
# as KDIR (make -C DIR M=...), with DIR/arch/x86/boot/bzImage.
#
# Environment:
#   MPSC_DEBUG_KERNEL_CACHE  base folder of the cache
#                            (default /var/cache/mpsc/debug-kernel)
#   MPSC_DEBUG_KERNEL_JOBS   make -j value (default: nproc)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
fragments=("$here/vm.config" "$top/selftests/mpsc/config" "$here/debug.config")
arch=x86_64
jobs=${MPSC_DEBUG_KERNEL_JOBS:-$(nproc)}

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

[ -f "$tarball" ] || die "$tarball missing; install it: apt-get install $pkg"
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "config fragment $f missing"
done
for t in make gcc bc bison flex perl cpio flock sha256sum; do
	command -v "$t" >/dev/null || die "'$t' missing (see tools/debug-kernel/README.md)"
done
[ -f /usr/include/libelf.h ] || die "libelf.h missing: apt-get install libelf-dev"
[ -f /usr/include/openssl/ssl.h ] || die "openssl headers missing: apt-get install libssl-dev"

version=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	die "package $pkg not installed (dpkg-query)"
version=${version//[^A-Za-z0-9.+-]/_}
hash=$(cat "${fragments[@]}" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
base=${MPSC_DEBUG_KERNEL_CACHE:-/var/cache/mpsc/debug-kernel}
dir=$base/$version-$hash
stamp=$dir/.mpsc-debug-kernel-built
log=$dir/build.log

if [ -f "$stamp" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$base"
exec 9>"$dir.lock"
if ! flock -n 9; then
	echo "debug-kernel: another build of $dir is running; waiting" >&2
	flock 9
fi
# The other build may have finished while we waited.
if [ -f "$stamp" ]; then
	echo "$dir"
	exit 0
fi

fail() {
	echo "debug-kernel: $*" >&2
	if [ -f "$log" ]; then
		echo "---- last lines of $log ----" >&2
		tail -n 40 "$log" >&2
	fi
	exit 1
}

start=$(date +%s)
if [ ! -f "$dir/.mpsc-extracted" ]; then
	echo "debug-kernel: extracting $pkg $version into $dir" >&2
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1 ||
		die "cannot extract $tarball"
	touch "$dir.tmp/.mpsc-extracted"
	mv "$dir.tmp" "$dir"
fi
: >"$log"

kmake() {
	make -C "$dir" ARCH="$arch" "$@" >>"$log" 2>&1
}

echo "debug-kernel: configuring (log: $log)" >&2
kmake tinyconfig || fail "make tinyconfig failed"
(cd "$dir" && ARCH=$arch scripts/kconfig/merge_config.sh -m .config \
	"${fragments[@]}") >>"$log" 2>&1 || fail "merge_config.sh failed"
kmake olddefconfig || fail "make olddefconfig failed"

# Every option the fragments ask for must be in the final .config as asked:
# Kconfig silently drops an option whose dependencies are not met (the way
# SLUB_TINY silently turns KASAN off). Later fragments override earlier ones,
# as in merge_config.sh.
dropped=$(awk '
	function want(sym, val) { if (!(sym in order)) seq[++n] = sym; order[sym] = 1; req[sym] = val }
	/^CONFIG_[A-Za-z0-9_]+=/ { i = index($0, "="); want(substr($0, 1, i - 1), substr($0, i + 1)); next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { want($2, "n"); next }
	END {
		while ((getline line < cfg) > 0) {
			if (line ~ /^CONFIG_/) { i = index(line, "="); have[substr(line, 1, i - 1)] = substr(line, i + 1) }
		}
		for (k = 1; k <= n; k++) {
			s = seq[k]; v = (s in have) ? have[s] : "n"
			if (v != req[s]) printf "  %s: wanted %s, got %s\n", s, req[s], v
		}
	}' cfg="$dir/.config" "${fragments[@]}")
if [ -n "$dropped" ]; then
	echo "$dropped" >>"$log"
	echo "debug-kernel: options requested by the fragments but not in .config:" >&2
	echo "$dropped" >&2
	die "fix the fragments (a dependency is missing or an option conflicts)"
fi

echo "debug-kernel: building bzImage and modules with -j$jobs (takes 10+ min on 2 cores)" >&2
kmake -j"$jobs" bzImage modules || fail "kernel build failed"
[ -f "$dir/arch/x86/boot/bzImage" ] || fail "no bzImage after the build"
[ -f "$dir/Module.symvers" ] || fail "no Module.symvers after the build"

touch "$stamp"
echo "debug-kernel: built in $(($(date +%s) - start)) s" >&2
echo "$dir"
