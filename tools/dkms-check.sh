#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make dkms-check: build and install mpsc through DKMS from the "make dist"
# tarball, against the installed Debian headers, the way a user's machine
# does it -- but in a scratch DKMS tree, source tree and install tree, so
# nothing under /var/lib/dkms, /usr/src or /lib/modules changes. Then load
# the DKMS-built module in a QEMU guest and pass one message, and remove it
# all again. Prints TAP and "N passed, N failed, N skipped"; exits non-zero
# on any failure.
#
# Environment: DKMS_KVER (kernel to build for; default the guest kernel,
# tools/guest-kernel.sh), DKMS_GUEST=0 (skip the guest run), VM_ARGS.
#
# DKMS signs what it builds when the kernel has module signing, with
# /var/lib/dkms/mok.key, and creates that key when it is missing; a key
# created by this run is deleted at the end.
set -u
cd "$(dirname "$0")/.." || exit 1
. tools/tap.sh



skip_rest() {
	n=$((n + 1))
	skip=$((skip + 1))
	echo "ok $n dkms add, build, install, remove # SKIP $1"
	echo "$pass passed, $fail failed, $skip skipped"
	exit 0
}

echo "TAP version 13"

# --- what dkms.conf promises -------------------------------------------------

version=$(sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' module/dev.c)
conf_name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' dkms.conf)
conf_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ "$conf_name" = mpsc ] && [ -n "$version" ] && [ "$conf_ver" = "$version" ]
report "dkms.conf is mpsc/$conf_ver, MODULE_VERSION is $version" $?

grep -q '^BUILT_MODULE_LOCATION\[0\]="module/"' dkms.conf &&
	grep -q '^AUTOINSTALL="yes"' dkms.conf
report "dkms.conf builds module/mpsc.ko and rebuilds on kernel upgrades" $?

[ "$(id -u)" = 0 ] || skip_rest "dkms needs root"
command -v dkms >/dev/null ||
	skip_rest "dkms is not installed (tools/deps.sh install)"
kver=${DKMS_KVER:-$(tools/guest-kernel.sh)} ||
	skip_rest "no kernel with headers installed"
[ -e "/lib/modules/$kver/build/Makefile" ] ||
	skip_rest "no headers for $kver under /lib/modules/$kver/build"

# --- scratch trees -----------------------------------------------------------

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mpsc-dkms.XXXXXX") || exit 1
mok_key=/var/lib/dkms/mok.key
mok_pub=/var/lib/dkms/mok.pub
had_mok=0
[ -e "$mok_key" ] && had_mok=1
cleanup() {
	rm -rf "$scratch"
	if [ $had_mok = 0 ]; then
		rm -f "$mok_key" "$mok_pub"
	fi
}
trap cleanup EXIT

mkdir -p "$scratch/src" "$scratch/dkms" "$scratch/modules/$kver"
dkms_() {
	dkms --dkmstree "$scratch/dkms" --sourcetree "$scratch/src" \
		--installtree "$scratch/modules" "$@"
}
log=$scratch/log

tools/dist.sh "$scratch" >"$log" 2>&1 &&
	tar -xzf "$scratch/mpsc-$version.tar.gz" -C "$scratch/src" &&
	[ -f "$scratch/src/mpsc-$version/dkms.conf" ]
report "make dist tarball unpacks to mpsc-$version/ with dkms.conf" $? "$log"

start=$(date +%s)
dkms_ add -m mpsc -v "$version" >"$log" 2>&1
report "dkms add mpsc/$version" $? "$log"

dkms_ build -m mpsc -v "$version" -k "$kver" >"$log" 2>&1
rc=$?
report "dkms build -k $kver ($(($(date +%s) - start)) s)" $rc "$log" ||
	tail -n 30 "$scratch/dkms/mpsc/$version/build/make.log" 2>/dev/null |
	sed 's/^/# make.log: /'

built=$scratch/dkms/mpsc/$version/$kver/$(uname -m)/module/mpsc.ko
vermagic=$(modinfo -F vermagic "$built" 2>/dev/null)
modver=$(modinfo -F version "$built" 2>/dev/null)
case $vermagic in "$kver "*) rc=0 ;; *) rc=1 ;; esac
[ "$modver" = "$version" ] || rc=1
report "built mpsc.ko has vermagic $kver and version $version" $rc
signer=$(modinfo -F signer "$built" 2>/dev/null)
echo "# module signer: ${signer:-none (unsigned)}"

dkms_ install -m mpsc -v "$version" -k "$kver" --no-depmod >"$log" 2>&1 &&
	[ -f "$scratch/modules/$kver/updates/dkms/mpsc.ko" ]
report "dkms install puts mpsc.ko in <installtree>/$kver/updates/dkms" $? "$log"

dkms_ status -m mpsc -v "$version" -k "$kver" 2>&1 | tee "$log" |
	grep -q "installed"
report "dkms status says installed" $? "$log"

# --- the DKMS-built module in a guest ------------------------------------------

installed=$scratch/modules/$kver/updates/dkms/mpsc.ko
guest_kver=$(tools/guest-kernel.sh 2>/dev/null)
if [ "${DKMS_GUEST:-1}" = 0 ]; then
	n=$((n + 1)); skip=$((skip + 1))
	echo "ok $n DKMS-built module works in a guest # SKIP DKMS_GUEST=0"
elif [ "$guest_kver" != "$kver" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	n=$((n + 1)); skip=$((skip + 1))
	echo "ok $n DKMS-built module works in a guest # SKIP no guest for $kver"
else
	mkdir -p build/dkms-check
	# shellcheck disable=SC2086
	out=$(tools/vm/run ${VM_ARGS:-} --timeout 300 --module "$installed" \
		--log build/dkms-check/guest-console.log -- \
		sh -c 'echo from-dkms >/dev/mpsc0 && cat /dev/mpsc0' 2>"$log")
	rc=$?
	[ "$out" = from-dkms ] || rc=1
	echo "$out" >>"$log"
	report "DKMS-built module loads in a $kver guest and passes a message" \
		$rc "$log"
fi

# --- and away again -------------------------------------------------------------

dkms_ remove -m mpsc -v "$version" --all --no-depmod >"$log" 2>&1 &&
	[ ! -e "$scratch/modules/$kver/updates/dkms/mpsc.ko" ] &&
	[ ! -e "$scratch/dkms/mpsc/$version" ]
report "dkms remove mpsc/$version --all removes the module" $? "$log"

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
