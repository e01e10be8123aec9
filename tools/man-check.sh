#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make man-check: the man page mpsc(4) renders with no warnings, and says
# everything the code does. The lists come from the code, so adding an
# errno, ioctl, sysfs file, module parameter or poll event to the driver
# without documenting it fails here, as does documenting one the code no
# longer has. Prints TAP and "N passed, N failed, N skipped"; exits
# non-zero on any failure.
#
# Environment (for trying the check itself): MAN (default man/mpsc.4),
# MODDIR (default module), UAPI (default uapi/linux/mpsc.h).
set -u
cd "$(dirname "$0")/.." || exit 1

man=${MAN:-man/mpsc.4}
moddir=${MODDIR:-module}
uapi=${UAPI:-uapi/linux/mpsc.h}
src=("$moddir"/*.c "$moddir"/*.h)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
pass=0
fail=0

# ok NAME: the step passed. not_ok NAME [LINES]: it failed; LINES explain.
ok() {
	n=$((n + 1))
	pass=$((pass + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'
}

# quiet_ok NAME CMD...: passes when CMD exits 0 and prints nothing.
quiet_ok() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ -z "$out" ]; then
		ok "$name"
	else
		not_ok "$name" "${out:-exit status $rc}"
	fi
}

# section KIND TITLE: the roff source under ".SH TITLE" or ".SS TITLE", up
# to the next heading (for .SH, the next .SH).
section() {
	awk -v kind="$1" -v title="$2" '
	/^\.SH/ || (kind == "SS" && /^\.SS/) { if (on) exit }
	on { print }
	$0 == "." kind " " title || $0 == "." kind " \"" title "\"" { on = 1 }
	' "$man"
}

# tags: the first word of the tag line after each .TP, font macro removed
# and roff escapes undone (.BI channels= n -> channels).
tags() {
	awk 'prev == ".TP" && /^\.[BI]/ {
		sub(/^\.[BIR]+ +/, "")
		gsub(/"/, "")
		gsub(/\\-/, "-")
		sub(/[= ,].*/, "")
		print
	}
	{ prev = $0 }'
}

# same_set NAME CODE_LIST MAN_LIST: both files hold the same words.
same_set() {
	local name=$1 missing extra msg=
	missing=$(sort -u "$2" | comm -23 - <(sort -u "$3") | tr '\n' ' ')
	extra=$(sort -u "$3" | comm -13 <(sort -u "$2") - | tr '\n' ' ')
	[ -n "$missing" ] && msg="in the code, not in the man page: $missing"
	if [ -n "$extra" ]; then
		[ -n "$msg" ] && msg="$msg
"
		msg="${msg}in the man page, not in the code: $extra"
	fi
	if [ -s "$2" ] && [ -z "$msg" ]; then
		ok "$name ($(sort -u "$2" | wc -l) items)"
	else
		not_ok "$name" "${msg:-the code list is empty: is the grep stale?}"
	fi
}

# all_in NAME LIST TEXT: every word of LIST occurs as a word in TEXT.
all_in() {
	local name=$1 word missing=
	while read -r word; do
		grep -qE "(^|[^A-Za-z0-9_])$word([^A-Za-z0-9_]|\$)" "$3" ||
			missing="$missing $word"
	done < <(sort -u "$2")
	if [ -s "$2" ] && [ -z "$missing" ]; then
		ok "$name ($(sort -u "$2" | wc -l) items)"
	else
		not_ok "$name" "${missing:+missing from the man page:$missing}"
	fi
}

echo "TAP version 13"

if [ ! -f "$man" ]; then
	not_ok "man page $man exists"
	echo "0 passed, $fail failed, 0 skipped"
	exit 1
fi

# --- rendering -----------------------------------------------------------

if command -v groff >/dev/null; then
	quiet_ok "groff -man -ww -z renders $man with no warnings" \
		groff -man -ww -z "$man"
	quiet_ok "groff -man -ww -z -Tutf8 (terminal) with no warnings" \
		groff -man -ww -z -Tutf8 "$man"
else
	not_ok "groff -man -ww -z" "groff missing: tools/deps.sh install"
fi

if command -v mandoc >/dev/null; then
	quiet_ok "mandoc -T lint -W all finds nothing" \
		mandoc -T lint -W all "$man"
else
	not_ok "mandoc -T lint" "mandoc missing: tools/deps.sh install"
fi

# --- version ---------------------------------------------------------------

code_ver=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' "$moddir"/*.c)
man_ver=$(sed -n 's/^\.TH .*"mpsc \([^"]*\)".*/\1/p' "$man")
if [ -n "$code_ver" ] && [ "$code_ver" = "$man_ver" ]; then
	ok "man page version $man_ver is MODULE_VERSION"
else
	not_ok "man page version is MODULE_VERSION" \
		".TH says '$man_ver', MODULE_VERSION is '$code_ver'"
fi

# --- errno ---------------------------------------------------------------
# Every -Exxx the driver returns, as user space sees it: the restart codes
# become EINTR, -ENOIOCTLCMD becomes ENOTTY, a stream_open() file answers
# lseek/pread/pwrite with ESPIPE, and with write-only files (senders) the
# VFS answers read on them, and write on read-only ones, with EBADF.

grep -ohE -- '-E[A-Z0-9]+\b' "${src[@]}" | sed 's/^-//' | sed \
	-e 's/^ERESTART.*/EINTR/' -e 's/^ENOIOCTLCMD$/ENOTTY/' \
	-e 's/^EWOULDBLOCK$/EAGAIN/' >"$tmp/errno.code"
grep -qE '\b(stream_open|nonseekable_open|no_llseek)\b' "${src[@]}" &&
	echo ESPIPE >>"$tmp/errno.code"
grep -qE '\bO_WRONLY\b' "${src[@]}" && echo EBADF >>"$tmp/errno.code"
section SH ERRORS | tags | grep -E '^E[A-Z0-9]+$' >"$tmp/errno.man"
same_set "ERRORS lists every errno the driver returns, and no other" \
	"$tmp/errno.code" "$tmp/errno.man"

# --- ioctls --------------------------------------------------------------
# The request numbers of the uapi header, and the case labels of the
# driver's ioctl handlers (which adds FIONREAD and the like).

sed -nE 's/^#define[[:space:]]+([A-Z0-9_]+)[[:space:]]+_IO(R|W|WR)?\(.*/\1/p' \
	"$uapi" >"$tmp/ioctl.code"
awk '/^[a-z].*ioctl.*\(/ { in_fn = 1 }
	/^}/ { in_fn = 0 }
	in_fn && match($0, /case [A-Z][A-Z0-9_]*:/) {
		print substr($0, RSTART + 5, RLENGTH - 6)
	}' "$moddir"/*.c >>"$tmp/ioctl.code"
# (The nested .TP lists of struct fields are lower case.)
section SS Ioctls | tags | grep -E '^[A-Z][A-Z0-9_]+$' >"$tmp/ioctl.man"
same_set "Ioctls describes every request the driver answers, and no other" \
	"$tmp/ioctl.code" "$tmp/ioctl.man"

# Each uapi struct and every field of it, and every constant.
section SS Ioctls >"$tmp/ioctl.text"
awk '/^struct [a-z0-9_]+ \{/ { print $2; on = 1; next }
	/^\};/ { on = 0 }
	on && /;/ {
		sub(/;.*/, "")
		sub(/\[.*/, "")
		print $NF
	}' "$uapi" >"$tmp/struct.code"
all_in "Ioctls shows every uapi struct and field" \
	"$tmp/struct.code" "$tmp/ioctl.text"

sed -nE 's/^#define[[:space:]]+(MPSC_[A-Z0-9_]+)[[:space:]]+(0x[0-9A-Fa-f]+|[0-9]+)U?\b.*/\1 \2/p' \
	"$uapi" >"$tmp/const.pairs"
: >"$tmp/const.code"
while read -r name value; do
	case $name in
	*_MAGIC) echo "$value" ;;	# the man page gives the value
	*) echo "$name" ;;
	esac
done <"$tmp/const.pairs" >"$tmp/const.code"
all_in "Ioctls names every uapi constant (and the magic by value)" \
	"$tmp/const.code" "$tmp/ioctl.text"

# --- sysfs -----------------------------------------------------------------

{
	sed -nE 's/^MPSC_ATTR\(([a-z0-9_]+),.*/\1/p' "$moddir"/*.c
	grep -ohE '\bDEVICE_ATTR(_RO|_RW|_WO)?\([a-z0-9_]+' "$moddir"/*.c |
		sed 's/.*(//'
} | grep -vx '_name' >"$tmp/sysfs.code"
section SS "Sysfs files" | tags >"$tmp/sysfs.man"
same_set "Sysfs files lists every attribute, and no other" \
	"$tmp/sysfs.code" "$tmp/sysfs.man"

# --- module parameters -----------------------------------------------------

grep -ohE '\bmodule_param(_named|_cb)?\([a-z0-9_]+' "$moddir"/*.c |
	sed 's/.*(//' >"$tmp/param.code"
section SH CONFIGURATION | tags >"$tmp/param.man"
same_set "CONFIGURATION lists every module parameter, and no other" \
	"$tmp/param.code" "$tmp/param.man"

# Each parameter's default: "static <type> name = VALUE;" with VALUE a
# literal or SZ_<n>K/M/G; the man page's entry says "Default VALUE".
bad=
while read -r p; do
	val=$(sed -nE "s/^static [a-z ]+\b$p = ([^;]+);.*/\1/p" "$moddir"/*.c |
		head -n 1)
	case $val in
	SZ_*K) val=$((${val//[!0-9]/} * 1024)) ;;
	SZ_*M) val=$((${val//[!0-9]/} * 1048576)) ;;
	SZ_*G) val=$((${val//[!0-9]/} * 1073741824)) ;;
	esac
	entry=$(section SH CONFIGURATION | awk -v p="$p" '
		/^\.TP/ { on = 0 }
		on { print }
		/^\.BI? / && $2 ~ "^\"?" p "=" { on = 1 }')
	printf '%s\n' "$entry" | grep -qE "Default $val\b" ||
		bad="$bad $p=$val"
done <"$tmp/param.code"
if [ -s "$tmp/param.code" ] && [ -z "$bad" ]; then
	ok "CONFIGURATION gives each parameter's default as in the code"
else
	not_ok "CONFIGURATION gives each parameter's default as in the code" \
		"no \"Default VALUE\" for:$bad"
fi

# --- poll events and limits --------------------------------------------------

grep -ohE '\bEPOLL[A-Z]+\b' "${src[@]}" | sed 's/^E//' >"$tmp/poll.code"
section SS "Poll events" >"$tmp/poll.text"
all_in "Poll events names every event the driver reports" \
	"$tmp/poll.code" "$tmp/poll.text"

overhead=$(sed -nE 's/^#define[[:space:]]+MPSC_MSG_OVERHEAD[[:space:]]+([0-9]+).*/\1/p' "${src[@]}")
if [ -n "$overhead" ] && grep -q "$overhead bytes" "$man"; then
	ok "the per-message overhead ($overhead bytes) is stated"
else
	not_ok "the per-message overhead is stated" \
		"MPSC_MSG_OVERHEAD is '$overhead'; no '$overhead bytes' in $man"
fi

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
