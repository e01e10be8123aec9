#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the version of the newest installed Debian kernel that has both an
# image in /boot and a kbuild tree: the guest kernel of make demo/check.
set -eu
for img in $(ls -1v /boot/vmlinuz-* 2>/dev/null | sort -rV); do
	ver=${img#/boot/vmlinuz-}
	if [ -e "/lib/modules/$ver/build/Makefile" ]; then
		echo "$ver"
		exit 0
	fi
done
echo "guest-kernel: no kernel with headers installed; run 'make deps'" >&2
exit 1
