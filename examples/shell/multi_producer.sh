#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Rust book's multi-producer example (chapter 16.2) over /dev/mpsc0,
# with processes instead of threads:
#
#	let (tx, rx) = mpsc::channel();
#	let tx1 = tx.clone();
#	thread::spawn(move || { for val in ["hi", "from", "the", "thread"] {
#		tx1.send(val).unwrap(); thread::sleep(..); } });
#	thread::spawn(move || { for val in ["more", "messages", "for", "you"] {
#		tx.send(val).unwrap(); thread::sleep(..); } });
#	for received in rx { println!("Got: {received}"); }
#
# fd 3 is tx; each forked subshell inherits a copy of it, which is
# tx.clone(). A third writer opens the device on its own: an independent
# sender mixes in too. The receiver is cat: it prints what arrives as it
# arrives and ends at EOF, once every copy of every sender is closed.
set -eu

dev=${1:-/dev/mpsc0}
pause=${PAUSE:-0.5}

# Without the module, '>' would create a plain file in its place.
if [ ! -c "$dev" ]; then
	echo "$dev is not a character device: is mpsc.ko loaded?" >&2
	exit 1
fi

# The receiver may start first: with no sender yet, it waits (no EOF).
cat "$dev" | sed -u 's/^/Got: /' &
reader=$!

exec 3>"$dev"				# let tx = ...
(
	for val in hi from the thread; do
		echo "$val" >&3		# tx1.send(val)
		sleep "$pause"
	done
) &
(
	for val in more messages for you; do
		echo "$val" >&3		# tx.send(val)
		sleep "$pause"
	done
) &
exec 3>&-				# the parent's copy is dropped

(
	exec 4>"$dev"			# a sender of its own
	for val in and a third sender; do
		echo "$val" >&4
		sleep "$pause"
	done
) &

wait "$reader"
echo "EOF: every sender is gone"
