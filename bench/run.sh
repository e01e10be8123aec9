#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: /dev/mpsc against pipes, FIFOs, POSIX mqueue and AF_UNIX
# socketpairs, in one QEMU guest boot. See bench/README.md.
#
#   bench/run.sh                  on the host: boot the guest, run the
#                                 benchmark there, write bench/results/
#   bench/run.sh --guest DIR ...  in the guest (tools/vm/run calls it):
#                                 tune the limits, run mpscbench into DIR
#
# Environment (host side):
#   QUICK=1        smoke run: 64 B and 4 KiB, 1/8/64 producers, 2 rounds
#   ROUNDS=N       rounds (default 7; QUICK: 2)
#   CELL_MS=N      wall time of one throughput cell (default 200; QUICK: 100;
#                  doubled at 64 B with 8 and 64 producers)
#   PEERS=a,b      only these peers (names as in the table)
#   SEED=N         the shuffle's seed (default: random, recorded)
#   GUEST_KVER     guest kernel (default: tools/guest-kernel.sh)
#   MODULE=FILE    the mpsc.ko to measure (default module/mpsc.ko), e.g. a
#                  build of another commit for an A/B comparison
#
# Expects module/mpsc.ko built for the guest kernel and build/bench/ built
# (make bench does both). Exit status: 0, or non-zero when the run failed
# or a message check found a violation. Missed targets do not fail it.
set -u
cd "$(dirname "$0")/.."

# --- guest side --------------------------------------------------------------
if [ "${1:-}" = --guest ]; then
	out=$2
	accel=$3
	shift 3
	mkdir -p "$out"
	meta=$out/meta.txt
	# Limits only root may lift: mqueue sizes up to 64 KiB messages and
	# enough of them for 1 MiB, and fds for the sender test.
	mq=/proc/sys/fs/mqueue
	{
		echo "accel=$accel"
		echo "guest_kernel=$(uname -r)"
		echo "vcpus=$(nproc)"
		echo "cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
		echo "mem_total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
		for p in capacity max_msg_size channels wake_room; do
			echo "mpsc_$p=$(cat /sys/module/mpsc/parameters/$p 2>/dev/null)"
		done
		echo "mq_msg_max_default=$(cat $mq/msg_max)"
		echo "mq_msgsize_max_default=$(cat $mq/msgsize_max)"
		echo "mq_msg_default=$(cat $mq/msg_default)"
		echo "mq_msgsize_default=$(cat $mq/msgsize_default)"
		echo "pipe_max_size=$(cat /proc/sys/fs/pipe-max-size)"
		echo "wmem_default=$(cat /proc/sys/net/core/wmem_default)"
		echo "rmem_default=$(cat /proc/sys/net/core/rmem_default)"
	} >"$meta"
	echo 65536 >$mq/msg_max
	echo 65536 >$mq/msgsize_max
	{
		echo "mq_msg_max_used=$(cat $mq/msg_max)"
		echo "mq_msgsize_max_used=$(cat $mq/msgsize_max)"
	} >>"$meta"
	ulimit -n 8192
	ulimit -q unlimited
	start=$(date +%s)
	build/bench/mpscbench -o "$out/raw.csv" "$@"
	rc=$?
	echo "guest_bench_seconds=$(($(date +%s) - start))" >>"$meta"
	echo "bench_exit=$rc" >>"$meta"
	exit $rc
fi

# --- host side ---------------------------------------------------------------
t0=$(date +%s)
kver=${GUEST_KVER:-$(tools/guest-kernel.sh)} || exit 1
module=${MODULE:-module/mpsc.ko}
[ -f "$module" ] || { echo "bench: $module missing (make bench builds module/mpsc.ko)" >&2; exit 1; }
[ -x build/bench/mpscbench ] || { echo "bench: build/bench/mpscbench missing (make -C bench)" >&2; exit 1; }

# The accelerator tools/vm/run will pick: the same test it makes.
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then
	accel=kvm
else
	accel=tcg
fi

args=()
if [ "${QUICK:-0}" != 0 ]; then
	args+=(-q -r "${ROUNDS:-2}" -t "${CELL_MS:-100}" -p 150)
else
	args+=(-r "${ROUNDS:-7}" -t "${CELL_MS:-200}" -p 250)
fi
[ -n "${PEERS:-}" ] && args+=(-P "$PEERS")
[ -n "${SEED:-}" ] && args+=(-s "$SEED")

# Which driver is measured, taken now: the guest gets a copy of this file.
ko_sum=$(sha256sum "$module" | cut -c1-12)
if [ -z "${MODULE:-}" ]; then
	drv="module/ at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	if ! git diff --quiet HEAD -- module 2>/dev/null; then
		drv="$drv + uncommitted changes (sources sha256 $(cat module/*.c module/*.h | sha256sum | cut -c1-12))"
	fi
else
	drv=$module
fi
drv="$drv; mpsc.ko sha256 $ko_sum"

vmout=build/vm/out/bench.$$
results=bench/results
rm -rf "$vmout"
mkdir -p "$vmout" "$results" build/bench
echo "bench: guest kernel $kver, $accel, 2 vCPUs; driver: $drv"
echo "bench: mpscbench ${args[*]}"
[ "$accel" = tcg ] && echo "bench: TCG emulation: only the ratios mean anything, not the absolute figures"

tools/vm/run --module "$module" --params "${MPSC_PARAMS:-capacity=1048576 wake_room=25}" --cpus 2 \
	--timeout 3000 --log build/bench/console.log -- \
	bench/run.sh --guest "$PWD/$vmout" "$accel" "${args[@]}"
rc=$?

if [ ! -s "$vmout/raw.csv" ]; then
	echo "bench: no results came back from the guest (exit $rc)" >&2
	rm -rf "$vmout"
	exit 1
fi
rm -f "$results"/*
cp "$vmout/raw.csv" "$vmout/meta.txt" "$results/"
rm -rf "$vmout"
echo "host_kernel=$(uname -r)" >>"$results/meta.txt"
echo "driver=$drv" >>"$results/meta.txt"
echo "total_seconds=$(($(date +%s) - t0))" >>"$results/meta.txt"

build/bench/mpscreport -d "$results" || rc=1
if command -v gnuplot >/dev/null; then
	(cd "$results" && gnuplot ../plot.gp) || echo "bench: gnuplot failed" >&2
else
	echo "bench: gnuplot not installed (tools/deps.sh bench): no plot" >&2
fi
echo
cat "$results/results.md"
echo
echo "bench: results in $results/ (results.md, results.csv, results.json, raw.csv, plot.png); $(($(date +%s) - t0)) s"
exit $rc
