#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages a make target needs, only those missing.
# Usage: tools/deps.sh GROUP...   (groups: base debug bench install)
set -eu

pkgs_base="make gcc libc6-dev kmod cpio gzip perl python3 busybox-static
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 linux-source-6.1
	sparse"
pkgs_debug="bc bison flex libelf-dev libssl-dev linux-source-6.12 xz-utils"
pkgs_bench="gnuplot-nox liburing-dev"
pkgs_install="dkms mandoc groff-base"

want=
[ $# -gt 0 ] || set -- base
for group in "$@"; do
	case $group in
	base)		want="$want $pkgs_base" ;;
	debug)		want="$want $pkgs_debug" ;;
	bench)		want="$want $pkgs_bench" ;;
	install)	want="$want $pkgs_install" ;;
	*)		echo "deps: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
