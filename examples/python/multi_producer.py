#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The Rust book's multi-producer example (chapter 16.2) over /dev/mpsc0.

The book's threads become processes here:

    let (tx, rx) = mpsc::channel();
    let tx1 = tx.clone();
    thread::spawn(move || for val in ["hi", "from", "the", "thread"] {
        tx1.send(val).unwrap(); thread::sleep(Duration::from_secs(1)); });
    thread::spawn(move || for val in ["more", "messages", "for", "you"] {
        tx.send(val).unwrap(); thread::sleep(Duration::from_secs(1)); });
    for received in rx { println!("Got: {received}"); }

os.open(O_RDONLY) is the receiver, os.open(O_WRONLY) a sender, and
os.dup() of it is tx.clone(). Each forked child keeps its own descriptor
and closes the other; the parent closes both. Once both children have
exited, no descriptor of the sender is left and the receiver reads end of
file. The receiver waits with select.poll: POLLIN for a message, POLLHUP
at end of file.

Usage: multi_producer.py [/dev/mpscN]
"""

import os
import select
import sys
import time
import traceback


def max_msg_size(dev):
    """The largest message, from sysfs: a buffer this big gets one whole
    message per read."""
    name = os.path.basename(dev)
    try:
        with open(f"/sys/class/misc/{name}/max_msg_size") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 65536


def produce(tx, other, vals):
    """The child's work: send each word, pausing after each one."""
    os.close(other)
    for val in vals:
        os.write(tx, val.encode())    # one write is one message
        time.sleep(1)


def spawn(tx, other, vals):
    """Fork a producer; its exit closes its descriptors (drops tx)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            produce(tx, other, vals)
        except BaseException:       # report; never run the parent's code
            traceback.print_exc()
            code = 1
        os._exit(code)
    return pid


def main():
    dev = sys.argv[1] if len(sys.argv) > 1 else "/dev/mpsc0"

    rx = os.open(dev, os.O_RDONLY)          # let (tx, rx) = mpsc::channel();
    tx = os.open(dev, os.O_WRONLY)
    tx1 = os.dup(tx)                        # let tx1 = tx.clone();

    children = [spawn(tx1, tx, ["hi", "from", "the", "thread"]),
                spawn(tx, tx1, ["more", "messages", "for", "you"])]
    os.close(tx1)                           # the parent keeps no sender
    os.close(tx)

    bufsize = max_msg_size(dev)
    poller = select.poll()
    poller.register(rx, select.POLLIN | select.POLLHUP)
    while True:                             # for received in rx
        poller.poll()
        msg = os.read(rx, bufsize)
        if not msg:                         # end of file: senders gone
            break
        print("Got:", msg.decode(), flush=True)

    status = 0
    for pid in children:
        _, code = os.waitpid(pid, 0)
        status = status or os.waitstatus_to_exitcode(code)
    os.close(rx)
    return status


if __name__ == "__main__":
    sys.exit(main())
