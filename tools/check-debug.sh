#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-debug: the selftest suite in a 6.12 kernel built for finding
# bugs (KASAN, lockdep, kmemleak, UBSAN, failslab; tools/debug-kernel/).
# The kernel is built once and cached outside the clone. mpsc.ko is built
# against it in build/debug/, the suite runs in one guest boot, then the
# module is unloaded and kmemleak scans. Any splat or leak fails the run.
# The checkers slow the guest down many times, so the stress tests move
# fewer messages here (MPSC_STRESS_MSGS, default 2000 per writer).
# Prints TAP; the last line is "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
. tools/tap.sh

out=build/debug
params=${MPSC_PARAMS:-capacity=131328}

summary() {
	tap_summary
	exit
}

mkdir -p "$out" build/vm/out
echo "TAP version 13"

tools/kernel-files.sh build/linux >"$out/kernel-files.log" 2>&1
report "extract kselftest harness" $? "$out/kernel-files.log"

echo "# building the debug kernel (cached; about 11-15 minutes when cold)"
start=$(date +%s)
kdir=$(tools/debug-kernel/build.sh 2>"$out/kernel-build.err" | tail -n 1)
rc=$?
[ -f "$kdir/arch/x86/boot/bzImage" ] || rc=1
report "debug kernel ready in $(($(date +%s) - start)) s: $kdir" $rc \
	"$out/kernel-build.err"
[ "$rc" = 0 ] || summary

# A copy of the module sources, so the Debian build in module/ stays.
rm -rf "$out/src"
mkdir -p "$out/src"
cp -r Kbuild module uapi "$out/src/"
find "$out/src" \( -name '*.o' -o -name '*.ko' -o -name '*.cmd' \) -delete
make -C "$kdir" M="$PWD/$out/src" W=1 modules >"$out/build.log" 2>&1
rc=$?
grep -qE 'warning:|error:' "$out/build.log" && rc=1
report "build mpsc.ko against the debug kernel with W=1" $rc "$out/build.log"
[ "$rc" = 0 ] || summary

make -C selftests/mpsc OUTPUT="$PWD/build/selftests" \
	KSFT_DIR="$PWD/build/linux/tools/testing/selftests" \
	>"$out/selftests-build.log" 2>&1
report "build selftests" $? "$out/selftests-build.log"

tap=build/vm/out/debug.tap
log=$out/guest-console.log
rm -f "$tap"
# shellcheck disable=SC2086
MPSC_KO="$PWD/$out/src/module/mpsc.ko" \
tools/vm/run ${VM_ARGS:-} --kernel "$kdir/arch/x86/boot/bzImage" \
	--mem 2G --kmemleak --log "$log" \
	--module "$out/src/module/mpsc.ko" --params "$params" -- \
	env MPSC_KO="$PWD/$out/src/module/mpsc.ko" \
	MPSC_STRESS_MSGS="${MPSC_STRESS_MSGS:-2000}" \
	MPSC_STRESS_MIXED_MSGS="${MPSC_STRESS_MIXED_MSGS:-1000}" \
	tools/guest-tests.sh "$tap" build/selftests
rc=$?
report "guest run clean: no splat, rmmod and kmemleak scan clean" $rc "$log"

# The checkers must have been there to pass.
for checker in 'KernelAddressSanitizer initialized' \
	'Lock dependency validator' 'kmemleak: Kernel memory leak detector'; do
	grep -qE "$checker" "$log"
	report "checker active in the guest log: $checker" $?
done
for opt in UBSAN DEBUG_LIST HARDENED_USERCOPY FORTIFY_SOURCE FAILSLAB \
	DEBUG_ATOMIC_SLEEP DETECT_HUNG_TASK SOFTLOCKUP_DETECTOR MEMCG; do
	grep -q "^CONFIG_$opt=y" "$kdir/.config"
	report "debug kernel has CONFIG_$opt" $?
done

tap_count "$tap"
summary
