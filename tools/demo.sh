#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make demo: build mpsc.ko for Debian's kernel, boot it in a QEMU guest,
# load the module and run the multi-producer example there.
set -eu
cd "$(dirname "$0")/.."

kver=${GUEST_KVER:-$(tools/guest-kernel.sh)}
echo "demo: building mpsc.ko for $kver"
make -s -C "/lib/modules/$kver/build" M="$PWD" modules >/dev/null
echo "demo: booting the guest (a few seconds under TCG)"
exec tools/vm/run --module module/mpsc.ko -- examples/shell/multi_producer.sh
