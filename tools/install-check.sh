#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install-check (a CI stage): from a copy of the tree made by
# "make dist", "make install DESTDIR=<scratch>" against the installed Debian
# headers installs exactly the expected files (also with PREFIX=/usr/local),
# the udev rule gives the group mpsc access to the real device in a QEMU
# guest, and "make uninstall" removes everything again. Then the man page
# check (tools/man-check.sh) and the DKMS check (tools/dkms-check.sh), folded
# into this TAP stream. Ends with "N passed, N failed, N skipped"; exits
# non-zero on any failure.
#
# Environment: GUEST_KVER (the kernel whose headers to use; default
# tools/guest-kernel.sh), INSTALL_GUEST=0 (skip the guest run), VM_ARGS;
# DKMS_GUEST=0 is passed on to tools/dkms-check.sh.
set -u
cd "$(dirname "$0")/.." || exit 1
. tools/tap.sh

# --- in the guest: the udev rule on the real device ---------------------------
# udevadm test runs the rules for one device and applies owner and mode; a
# private /etc/group gives it the group to resolve.

if [ "${1:-}" = --guest-udev ]; then
	set -e
	cp /etc/group /run/mpsc-group
	echo "mpsc:x:4242:" >>/run/mpsc-group
	mount --bind /run/mpsc-group /etc/group
	mkdir -p /run/udev/rules.d
	cp udev/60-mpsc.rules /run/udev/rules.d/
	echo "before: $(stat -c '%U:%G %a' /dev/mpsc0)"
	udevadm test --action=add /sys/class/misc/mpsc0 >/run/udev-test.log 2>&1 ||
		{ tail -n 20 /run/udev-test.log; exit 1; }
	echo "after: $(stat -c '%U:%G %a' /dev/mpsc0)"
	[ "$(stat -c '%U:%G %a' /dev/mpsc0)" = "root:mpsc 660" ]
	exit
fi



# fold CMD...: run a TAP-printing check, renumber its results into ours.
fold() {
	local line rest
	while IFS= read -r line; do
		case $line in
		"TAP version"* | [0-9]*" passed, "*) ;;
		"ok "* | "not ok "*)
			n=$((n + 1))
			rest=${line#not }
			rest=${rest#ok }
			rest=${rest#* }
			case $line in
			"not ok "*)
				fail=$((fail + 1))
				echo "not ok $n $rest"
				;;
			*"# SKIP"*)
				skip=$((skip + 1))
				echo "ok $n $rest"
				;;
			*)
				pass=$((pass + 1))
				echo "ok $n $rest"
				;;
			esac
			;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1)
}

echo "TAP version 13"

kver=${GUEST_KVER:-$(tools/guest-kernel.sh)} || exit 1
kdir=/lib/modules/$kver/build
version=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' module/dev.c)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mpsc-install.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
log=$scratch/log
tree=$scratch/mpsc-$version
dest=$scratch/dest

# installed DESTDIR: the files and symlinks under DESTDIR, one path a line.
installed() {
	(cd "$1" && find . \( -type f -o -type l \) | sed 's/^\.//' | LC_ALL=C sort)
}

# expect PREFIX: the list make install should produce.
expect() {
	LC_ALL=C sort <<-EOF
	/etc/modprobe.d/mpsc.conf
	/lib/modules/$kver/extra/module/mpsc.ko
	/usr/lib/udev/rules.d/60-mpsc.rules
	$1/include/linux/mpsc.h
	$1/share/doc/mpsc/modules-load.d/mpsc.conf
	$1/share/man/man4/mpsc.4
	EOF
}

# same_list NAME WANT GOT
same_list() {
	diff -u "$2" "$3" | tail -n +3 >"$log"
	report "$1" $? "$log"
}

tools/dist.sh "$scratch" >"$log" 2>&1 &&
	tar -xzf "$scratch/mpsc-$version.tar.gz" -C "$scratch"
report "make dist: copy of the tree in $tree" $? "$log"

# --- make install / uninstall --------------------------------------------------

start=$(date +%s)
make -C "$tree" install DESTDIR="$dest" KDIR="$kdir" >"$log" 2>&1
report "make install DESTDIR=<tmp> KDIR=$kdir ($(($(date +%s) - start)) s)" \
	$? "$log"
grep -E 'warning|SSL error|sign-file' "$log" | sed 's/^/# install log: /'

expect /usr >"$scratch/want"
installed "$dest" >"$scratch/got"
same_list "make install installs exactly the expected files" \
	"$scratch/want" "$scratch/got"

ko=$dest/lib/modules/$kver/extra/module/mpsc.ko
[ "$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)" = "$kver" ] &&
	[ "$(modinfo -F version "$ko" 2>/dev/null)" = "$version" ]
report "installed mpsc.ko is version $version for $kver" $?

# Nothing active in the options file; the boot entry only as an example.
grep -vE '^[[:space:]]*(#|$)' "$dest/etc/modprobe.d/mpsc.conf" >"$log"
[ $? = 1 ]
report "modprobe.d/mpsc.conf sets no option until edited" $? "$log"
[ ! -e "$dest/etc/modules-load.d/mpsc.conf" ] &&
	grep -qx mpsc "$dest/usr/share/doc/mpsc/modules-load.d/mpsc.conf"
report "modules-load.d entry is an example in share/doc, load at boot not enabled" $?

cat >"$scratch/use.c" <<-'EOF'
	#include <sys/ioctl.h>
	#include <linux/mpsc.h>
	_Static_assert(sizeof(struct mpsc_info) % 8 == 0, "padded");
	_Static_assert(sizeof(struct mpsc_recv_batch) % 8 == 0, "padded");
	unsigned long requests[] = { MPSC_IOC_INFO, MPSC_IOC_RECV, FIONREAD };
	EOF
gcc -Wall -Werror -fsyntax-only -isystem "$dest/usr/include" \
	"$scratch/use.c" >"$log" 2>&1
report "installed <linux/mpsc.h> compiles on its own" $? "$log"

grep -q '^KERNEL=="mpsc\[0-9\]\*", SUBSYSTEM=="misc", GROUP="mpsc", MODE="0660"$' \
	"$dest/usr/lib/udev/rules.d/60-mpsc.rules"
report "udev rule: group mpsc, mode 0660 for mpsc[0-9]* misc devices" $?

make -C "$tree" uninstall DESTDIR="$dest" KDIR="$kdir" >"$log" 2>&1 &&
	[ -z "$(installed "$dest")" ]
report "make uninstall DESTDIR=<tmp> removes every file" $? "$log"

make -C "$tree" install DESTDIR="$dest" KDIR="$kdir" PREFIX=/usr/local \
	>"$log" 2>&1
report "make install PREFIX=/usr/local" $? "$log"
expect /usr/local >"$scratch/want"
installed "$dest" >"$scratch/got"
same_list "PREFIX moves header, man page and doc; udev, modprobe.d, module stay" \
	"$scratch/want" "$scratch/got"

echo "# my own option" >>"$dest/etc/modprobe.d/mpsc.conf"
make -C "$tree" uninstall DESTDIR="$dest" KDIR="$kdir" PREFIX=/usr/local \
	>"$log" 2>&1 &&
	[ "$(installed "$dest")" = /etc/modprobe.d/mpsc.conf ]
report "make uninstall keeps an edited modprobe.d/mpsc.conf, removes the rest" \
	$? "$log"

# --- the udev rule on the real device, in a guest ---------------------------------

if [ "${INSTALL_GUEST:-1}" = 0 ]; then
	n=$((n + 1)); skip=$((skip + 1))
	echo "ok $n udev rule applied to /dev/mpsc0 in a guest # SKIP INSTALL_GUEST=0"
else
	make -s -C "$kdir" M="$tree" modules >"$log" 2>&1
	mkdir -p build/install-check
	# shellcheck disable=SC2086
	tools/vm/run ${VM_ARGS:-} --timeout 300 --module "$tree/module/mpsc.ko" \
		--log build/install-check/guest-console.log -- \
		tools/install-check.sh --guest-udev >>"$log" 2>&1
	rc=$?
	sed -n 's/^\(before\|after\): /# guest: &/p' "$log"
	report "udev rule gives /dev/mpsc0 root:mpsc 0660 in a $kver guest" $rc "$log"
fi

# --- the man page and DKMS ------------------------------------------------------

echo "# tools/man-check.sh"
fold tools/man-check.sh
echo "# tools/dkms-check.sh"
fold env DKMS_KVER="$kver" tools/dkms-check.sh

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
