#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading mpsc.ko: parameter checks at insmod, the one log
# line at load and unload, modinfo, device node modes, and rmmod refused
# while a file of the module is open (SPEC 1.1, 4.1, 5.5, 8.3, 8.4).
#
# Runs as root with MPSC_KO set to the path of mpsc.ko. If the module is
# loaded when the script starts, it is reloaded at the end with the
# parameters it had, so later tests find it as they expect.
#
# shellcheck disable=SC2317 # functions run through check()

ksft_skip=4
ko=${MPSC_KO:-}
plan=18
num=0
failed=0

ok() {
	num=$((num + 1))
	echo "ok $num $*"
}

not_ok() {
	num=$((num + 1))
	failed=$((failed + 1))
	echo "not ok $num $*"
}

skip() {
	num=$((num + 1))
	echo "ok $num $1 # SKIP $2"
}

diag() {
	echo "# $*"
}

# Report test $1: passed when the remaining words, run as a command, succeed.
check() {
	name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $ksft_skip
}

[ -n "$ko" ] || skip_all "MPSC_KO is not set (path of mpsc.ko)"
[ -r "$ko" ] || skip_all "MPSC_KO=$ko is not readable"
[ "$(id -u)" = 0 ] || skip_all "must run as root"
for tool in insmod rmmod dmesg; do
	command -v $tool >/dev/null 2>&1 || skip_all "$tool not found"
done

echo "TAP version 13"
echo "1..$plan"

# --- helpers

loaded() {
	[ -d /sys/module/mpsc ]
}

# Remember how long the kernel log is; log_new prints the mpsc lines since.
log_mark() {
	mark=$(dmesg | wc -l)
}

# Module lines logged since log_mark, leaving out the kernel's own
# one-time taint notices that carry the module's name.
log_new() {
	dmesg | tail -n +$((mark + 1)) | grep -E '(^|[] ])mpsc: ' |
		grep -v 'taint'
}

# Exactly one new mpsc line, and it names $1.
one_log_line_naming() {
	lines=$(log_new)
	count=$(printf '%s' "$lines" | grep -c '')
	if [ "$count" != 1 ]; then
		diag "expected one mpsc line naming '$1', got $count:"
		printf '%s\n' "$lines" | sed 's/^/#   /'
		return 1
	fi
	case $lines in
	*"$1"*) return 0 ;;
	esac
	diag "log line does not name '$1': $lines"
	return 1
}

unload() {
	rmmod mpsc 2>/dev/null
}

# rmmod that must fail: show why, as rmmod tells it.
unload_busy() {
	out=$(rmmod mpsc 2>&1) && return 0
	diag "rmmod: $out"
	return 1
}

# insmod with bad parameters must fail, load nothing and log one line.
rejects() {
	word=$1
	shift
	log_mark
	if insmod "$ko" "$@" 2>/dev/null; then
		diag "insmod $* succeeded"
		unload
		return 1
	fi
	if loaded; then
		diag "module present after a failed insmod $*"
		return 1
	fi
	one_log_line_naming "$word"
}

node_mode() {
	stat -c %a "$1" 2>/dev/null
}

nodes_gone() {
	set -- /dev/mpsc* /sys/class/misc/mpsc*
	for f; do
		if [ -e "$f" ]; then
			diag "$f still exists"
			return 1
		fi
	done
	! loaded
}

# --- save and unload what is there

saved=
was_loaded=0
if loaded; then
	was_loaded=1
	for p in channels capacity max_msg_size mode; do
		f=/sys/module/mpsc/parameters/$p
		[ -r $f ] && saved="$saved $p=$(cat $f)"
	done
	diag "module loaded with:$saved"
fi

if ! loaded || unload; then
	ok "unload the module found loaded"
else
	not_ok "unload the module found loaded"
	diag "rmmod mpsc failed: a file of the module is open elsewhere"
	diag "Bail out! cannot test loading while the module is in use"
	exit 1
fi

# --- bad parameters

check "channels=0 rejected" rejects channels channels=0
check "channels=257 rejected" rejects channels channels=257
check "capacity below max_msg_size + 64 rejected" \
	rejects capacity max_msg_size=4096 capacity=4159
check "max_msg_size=0 rejected" rejects max_msg_size max_msg_size=0
check "mode=01777 rejected" rejects mode mode=01777
check "wake_room=91 rejected" rejects wake_room wake_room=91

# --- good loads

log_mark
if insmod "$ko" channels=2 max_msg_size=4096 capacity=4160; then
	ok "capacity == max_msg_size + 64 accepted"
	unload
else
	not_ok "capacity == max_msg_size + 64 accepted"
fi

log_mark
if insmod "$ko" channels=2; then
	if one_log_line_naming "mpsc: " && [ -c /dev/mpsc0 ] &&
		[ -c /dev/mpsc1 ] && [ ! -e /dev/mpsc2 ]; then
		ok "load logs one line and creates channels=2 nodes"
	else
		for f in /dev/mpsc*; do
			diag "found $f"
		done
		not_ok "load logs one line and creates channels=2 nodes"
	fi
	m=$(node_mode /dev/mpsc0)
	if [ "$m" = 600 ]; then
		ok "device nodes are 0600 by default"
	else
		not_ok "device nodes are 0600 by default"
		diag "/dev/mpsc0 has mode $m"
	fi
else
	not_ok "load logs one line and creates channels=2 nodes"
	not_ok "device nodes are 0600 by default"
fi

if command -v modinfo >/dev/null 2>&1; then
	parms=$(modinfo -F parm "$ko")
	missing=
	for p in channels capacity max_msg_size mode; do
		printf '%s\n' "$parms" | grep -qE "^$p:.*[[:alnum:]]" ||
			missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		ok "modinfo describes every parameter"
	else
		not_ok "modinfo describes every parameter"
		diag "no description for:$missing"
	fi
else
	skip "modinfo describes every parameter" "modinfo not found"
fi

# --- rmmod while files are open (SPEC 5.5)

if loaded; then
	# "command" keeps a failed open from ending the script.
	command exec 3</dev/mpsc0 || diag "cannot open /dev/mpsc0 to read"
	if unload_busy; then
		not_ok "rmmod refused while a receiver is open"
		exec 3<&-
	else
		check "rmmod refused while a receiver is open" loaded
		exec 3<&-
	fi

	command exec 4>/dev/mpsc1 || diag "cannot open /dev/mpsc1 to write"
	printf 'queued' >&4
	printf 'still queued' >&4
	if unload_busy; then
		not_ok "rmmod refused while a sender is open"
		exec 4>&-
	else
		check "rmmod refused while a sender is open" loaded
		exec 4>&-
	fi
	q=$(cat /sys/class/misc/mpsc1/queued_msgs 2>/dev/null)
	[ "$q" = 2 ] || diag "queued_msgs of mpsc1 is '$q', expected 2"

	log_mark
	if unload; then
		check "rmmod with messages queued removes every node" nodes_gone
		check "unload logs one line" one_log_line_naming "mpsc: "
	else
		not_ok "rmmod with messages queued removes every node"
		not_ok "unload logs one line"
	fi
else
	for t in "rmmod refused while a receiver is open" \
		"rmmod refused while a sender is open" \
		"rmmod with messages queued removes every node" \
		"unload logs one line"; do
		skip "$t" "the module did not load"
	done
fi

# --- mode parameter (SPEC 8.4)

if insmod "$ko" mode=0660; then
	m=$(node_mode /dev/mpsc0)
	if [ "$m" = 660 ]; then
		ok "mode=0660 widens the device nodes"
	else
		not_ok "mode=0660 widens the device nodes"
		diag "/dev/mpsc0 has mode $m"
	fi
	unload
else
	not_ok "mode=0660 widens the device nodes"
fi

# --- wake_room parameter: blocked writers wait for that much free room

# Wait up to 10 s for /sys/class/misc/mpsc0/blocked_writers to read $1.
blocked_becomes() {
	i=0
	while [ "$(cat /sys/class/misc/mpsc0/blocked_writers)" != "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

# Capacity 4160 holds four 960-byte messages (960 + 64 each); a fifth
# writer blocks. With wake_room=50 it must stay blocked after one read
# (1088 bytes free) and go in after the second (2112 >= 2080).
wake_room_batches() {
	exec 3</dev/mpsc0 4>/dev/mpsc0 || return 1
	for _ in 1 2 3 4; do
		head -c 960 /dev/zero >&4 || return 1
	done
	head -c 960 /dev/zero >&4 &
	writer=$!
	rc=0
	blocked_becomes 1 || rc=1
	dd bs=4096 count=1 status=none <&3 >/dev/null
	sleep 0.5
	blocked_becomes 1 || rc=1
	dd bs=4096 count=1 status=none <&3 >/dev/null
	blocked_becomes 0 || rc=1
	wait $writer || rc=1
	exec 3<&- 4>&-
	return $rc
}

if insmod "$ko" channels=1 capacity=4160 max_msg_size=4096 wake_room=50; then
	check "wake_room=50 lets a blocked writer in only at half free" \
		wake_room_batches
	unload
else
	not_ok "wake_room=50 lets a blocked writer in only at half free"
fi

# --- put back what was there

if [ $was_loaded = 1 ]; then
	# shellcheck disable=SC2086 # one word per parameter
	if insmod "$ko" $saved && [ -c /dev/mpsc0 ]; then
		ok "module reloaded with:$saved"
	else
		not_ok "module reloaded with:$saved"
	fi
else
	skip "module reloaded" "it was not loaded at the start"
fi

[ $num = $plan ] || diag "ran $num of $plan tests"
[ $failed = 0 ] || exit 1
exit 0
