#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Extract the few files the build borrows from Debian's linux-source-6.1:
# the kselftest harness headers and checkpatch.pl with its data files.
# They are never committed; they land in $1 (default build/linux).
set -eu

out=${1:-build/linux}
tarball=/usr/src/linux-source-6.1.tar.xz
stamp=$out/.extracted

[ -f "$stamp" ] && exit 0
if [ ! -f "$tarball" ]; then
	echo "kernel-files: $tarball missing; run 'make deps' as root" >&2
	exit 1
fi

mkdir -p "$out"
tar -xJf "$tarball" -C "$out" --strip-components=1 \
	linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
	linux-source-6.1/tools/testing/selftests/kselftest.h \
	linux-source-6.1/scripts/checkpatch.pl \
	linux-source-6.1/scripts/spelling.txt \
	linux-source-6.1/scripts/const_structs.checkpatch
touch "$stamp"
