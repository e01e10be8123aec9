#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make examples, make example-c (-python, -rust, -shell): build mpsc.ko for
# the guest kernel and the examples on this machine, then run them one after
# the other in one QEMU guest, and check that each prints the eight words
# of the Rust book's example ("Got: hi" .. "Got: you", each sender's words
# in its order) and exits 0. Prints TAP and "N passed, N failed, N
# skipped"; exits non-zero on any failure.
#
#   tools/examples.sh [c] [python] [rust] [shell]     (default: all four)
#
# Inside the guest, tools/vm/run calls it again as
#   tools/examples.sh --guest NAME...
#
# Environment: GUEST_KVER (default: tools/guest-kernel.sh), VM_ARGS (extra
# tools/vm/run options).
set -u
cd "$(dirname "$0")/.." || exit 1
. tools/tap.sh

all="c python rust shell"
out=build/examples

# The command that runs example $1, as seen from the top of the tree.
example_cmd() {
	case $1 in
	c) echo "$out/c/multi_producer" ;;
	python) echo "python3 examples/python/multi_producer.py" ;;
	rust) echo "$out/rust/release/multi_producer" ;;
	shell) echo "examples/shell/multi_producer.sh" ;;
	esac
}

# check_words FILE NAME: the output has each of the eight words once as
# "Got: WORD", each sender's in order. The shell example has a third sender
# whose words may come in between; the others print nothing else.
check_words() {
	awk -v name="$2" '
	BEGIN {
		n = split("hi from the thread", a, " ")
		split("more messages for you", b, " ")
		for (i = 1; i <= n; i++) {
			seq[a[i]] = "a"; pos[a[i]] = i
			seq[b[i]] = "b"; pos[b[i]] = i
		}
	}
	sub(/^Got: /, "") {
		got++
		if (!($0 in seq))
			next
		count[$0]++
		if (pos[$0] != ++next_pos[seq[$0]]) {
			print "# " $0 " came out of its sender'\''s order"
			bad = 1
		}
	}
	END {
		for (w in seq)
			if (count[w] != 1) {
				print "# \"Got: " w "\" printed " count[w] + 0 " times"
				bad = 1
			}
		if (name != "shell" && got != 8) {
			print "# " got + 0 " \"Got:\" lines, expected 8"
			bad = 1
		}
		exit bad
	}' "$1"
}

# --- in the guest --------------------------------------------------------

if [ "${1:-}" = --guest ]; then
	shift
	rc=0
	for name in "$@"; do
		log=$MPSC_VM_OUT/example-$name.out
		start=$(date +%s%N)
		# shellcheck disable=SC2046 # the command is words
		timeout 60 $(example_cmd "$name") >"$log" 2>&1
		status=$?
		ms=$((($(date +%s%N) - start) / 1000000))
		sed 's/^/    /' "$log"
		if [ $status = 0 ] && check_words "$log" "$name" >"/tmp/example-$name.why"; then
			echo "ok - example $name prints the eight words (${ms} ms)"
		else
			echo "not ok - example $name (exit $status, ${ms} ms)"
			cat "/tmp/example-$name.why"
			rc=1
		fi
	done
	exit $rc
fi

# --- on the host -----------------------------------------------------------

# shellcheck disable=SC2086 # a list of words
[ $# -gt 0 ] || set -- $all
run=

echo "TAP version 13"
kver=${GUEST_KVER:-$(tools/guest-kernel.sh)} || exit 1
mkdir -p "$out"

make -s -C "/lib/modules/$kver/build" M="$PWD" modules >"$out/module.log" 2>&1
report "build mpsc.ko for $kver" $? "$out/module.log"

for name in "$@"; do
	log=$out/build-$name.log
	case $name in
	c)
		make -C examples/c O="$PWD/$out/c" >"$log" 2>&1
		report "build the C example" $? "$log" && run="$run c"
		;;
	python)
		python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' \
			examples/python/multi_producer.py >"$log" 2>&1
		report "the Python example parses" $? "$log" && run="$run python"
		;;
	rust)
		cargo=$(command -v cargo || echo "${CARGO_HOME:-$HOME/.cargo}/bin/cargo")
		if [ ! -x "$cargo" ]; then
			n=$((n + 1))
			skip=$((skip + 1))
			echo "ok $n build the Rust example # SKIP cargo not found (install Rust: https://rustup.rs, or apt-get install cargo)"
			continue
		fi
		"$cargo" build --offline --release \
			--manifest-path examples/rust/Cargo.toml \
			--target-dir "$PWD/$out/rust" >"$log" 2>&1
		report "build the Rust example (cargo build --offline)" $? "$log" &&
			run="$run rust"
		;;
	shell)
		run="$run shell"
		;;
	*)
		echo "examples: unknown example '$name' (try: $all)" >&2
		exit 2
		;;
	esac
done

if [ -n "$run" ]; then
	tap=$out/guest.tap
	start=$(date +%s)
	# shellcheck disable=SC2086
	tools/vm/run ${VM_ARGS:-} --timeout 600 --module module/mpsc.ko \
		--log "$out/guest-console.log" -- \
		tools/examples.sh --guest $run | tee "$tap" | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# guest run of:$run took $(($(date +%s) - start)) s (boot included)"
	for name in $run; do
		if grep -q "^ok - example $name " "$tap"; then
			report "example $name in the guest" 0
		else
			report "example $name in the guest" 1
		fi
	done
	report "guest exit status and kernel log clean" "$rc" \
		"$out/guest-console.log"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
