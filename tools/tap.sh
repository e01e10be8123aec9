# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# TAP bookkeeping shared by the check scripts (source it from bash).
#
#   report NAME STATUS [LOG]	one result; on failure the tail of LOG
#   tap_count FILE		add the ok / not ok / SKIP lines of FILE
#   tap_summary			"N passed, N failed, N skipped"; the status
#				is non-zero when anything failed

n=0
pass=0
fail=0
skip=0

report() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
		pass=$((pass + 1))
	else
		echo "not ok $n $1"
		fail=$((fail + 1))
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 40 "$3" | sed 's/^/# /'
	fi
	[ "$2" = 0 ]
}

tap_count() {
	local counts

	if [ ! -f "$1" ]; then
		echo "# no TAP results in $1"
		fail=$((fail + 1))
		return 1
	fi
	counts=$(awk '
		/^ok .*# SKIP/	{ s++; next }
		/^ok /		{ p++; next }
		/^not ok/	{ f++ }
		END { print p + 0, f + 0, s + 0 }' "$1")
	# shellcheck disable=SC2086 # three numbers
	set -- $counts
	pass=$((pass + $1))
	fail=$((fail + $2))
	skip=$((skip + $3))
}

tap_summary() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
}
