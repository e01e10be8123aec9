#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: every selftest program of the suite, one after the
# other, their TAP both on stdout and appended to $1. $2 is the folder of
# the built test programs.
set -u
tap=$1
bin=$2
src=selftests/mpsc
rc=0

export MPSC_KO="${MPSC_KO:-$PWD/module/mpsc.ko}"

for t in mpsc_test mpsc_batch_test mpsc_lifecycle_test mpsc_fault_test \
	mpsc_stress_test; do
	if [ ! -x "$bin/$t" ]; then
		echo "not ok - $t was not built" | tee -a "$tap"
		rc=1
		continue
	fi
	{ "$bin/$t" 2>&1 || echo "not ok - $t exited $?"; } | tee -a "$tap"
done
# Reloads the module with other parameters: keep it last.
{ "$src/mpsc_module.sh" 2>&1 || echo "not ok - mpsc_module.sh exited $?"; } |
	tee -a "$tap"

grep -q '^not ok' "$tap" && rc=1
exit $rc
