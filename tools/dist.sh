#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dist: OUTDIR/mpsc-VERSION.tar.gz (OUTDIR defaults to build), a source
# tarball of the working tree that DKMS and packagers can build from: every
# file git tracks, plus new files not ignored by .gitignore, under the
# folder mpsc-VERSION/. VERSION is MODULE_VERSION in module/dev.c. The
# archive is reproducible: sorted, owned by root, dated by the last commit.
#
#   tar -xzf build/mpsc-0.1.0.tar.gz -C /usr/src && dkms add mpsc/0.1.0
set -eu
cd "$(dirname "$0")/.."

outdir=${1:-build}
version=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' module/dev.c)
[ -n "$version" ] || { echo "dist: no MODULE_VERSION in module/dev.c" >&2; exit 1; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	{ echo "dist: not a git checkout" >&2; exit 1; }

name=mpsc-$version
mkdir -p "$outdir"
tarball=$(cd "$outdir" && pwd)/$name.tar.gz
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)

git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do
		[ -f "$f" ] && printf '%s\0' "$f"	# skip deleted files
	done | LC_ALL=C sort -z |
	tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$mtime" --transform="s,^,$name/," -cf - |
	gzip -9n >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
echo "dist: $tarball ($(tar -tzf "$tarball" | grep -vc '/$') files)"
