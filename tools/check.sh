#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: build with W=1, checkpatch, sparse, then the selftests in a
# QEMU guest running Debian's kernel, and the scan of its log. Prints TAP;
# the last line is "N passed, N failed, N skipped". Exits non-zero on any
# failure or kernel splat.
#
# Environment: GUEST_KVER (default: tools/guest-kernel.sh), VM_ARGS (extra
# tools/vm/run options), MPSC_PARAMS (module parameters in the guest).
set -u
cd "$(dirname "$0")/.." || exit 1
. tools/tap.sh

out=build/check
mkdir -p "$out" build/vm/out

kver=${GUEST_KVER:-$(tools/guest-kernel.sh)} || exit 1
kdir=/lib/modules/$kver/build
params=${MPSC_PARAMS:-capacity=131328}

echo "TAP version 13"
echo "# guest kernel $kver, module parameters: $params"

tools/kernel-files.sh build/linux >"$out/kernel-files.log" 2>&1
report "extract kselftest harness and checkpatch" $? "$out/kernel-files.log"

# W=1 build: any compiler warning fails.
make -C "$kdir" M="$PWD" clean >/dev/null 2>&1
make -C "$kdir" M="$PWD" W=1 modules >"$out/build.log" 2>&1
rc=$?
grep -qE 'warning:|error:' "$out/build.log" && rc=1
report "build mpsc.ko against $kver with W=1, no warnings" $rc "$out/build.log"

# The sources only, not kbuild's generated mpsc.mod.c.
sources=(uapi/linux/mpsc.h)
for f in module/*.[ch]; do
	case $f in *.mod.c) ;; *) sources+=("$f") ;; esac
done
perl build/linux/scripts/checkpatch.pl --strict --no-tree --terse \
	--show-types -f "${sources[@]}" >"$out/checkpatch.log" 2>&1
rc=$?
grep -qE '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK)' "$out/checkpatch.log" && rc=1
report "checkpatch --strict on module/ and uapi/" $rc "$out/checkpatch.log"

touch module/*.c
make -C "$kdir" M="$PWD" C=2 modules >"$out/sparse.log" 2>&1
rc=$?
grep -qE '(warning|error):' "$out/sparse.log" && rc=1
report "sparse (C=2) on module/" $rc "$out/sparse.log"

make -C selftests/mpsc OUTPUT="$PWD/build/selftests" \
	KSFT_DIR="$PWD/build/linux/tools/testing/selftests" \
	>"$out/selftests-build.log" 2>&1
rc=$?
grep -qE 'warning:|error:' "$out/selftests-build.log" && rc=1
report "build selftests" $rc "$out/selftests-build.log"

# The suite in one guest boot; its TAP goes to the terminal and a file.
tap=build/vm/out/selftests.tap
rm -f "$tap"
# shellcheck disable=SC2086
tools/vm/run ${VM_ARGS:-} --module module/mpsc.ko --params "$params" \
	--log "$out/guest-console.log" -- \
	tools/guest-tests.sh "$tap" build/selftests
rc=$?
report "guest run exit status and kernel log clean" $rc \
	"$out/guest-console.log"

# Fold the guest's TAP results into the totals.
tap_count "$tap"
tap_summary
