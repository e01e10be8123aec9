// SPDX-License-Identifier: GPL-2.0
//! The Rust book's multi-producer example (chapter 16.2), with the channel
//! of `std::sync::mpsc` replaced by the device `/dev/mpsc0`:
//!
//! - `mpsc::channel()` becomes two opens of the device: read-only for the
//!   receiver, write-only for a sender;
//! - `tx.clone()` becomes `File::try_clone()`, a `dup()` of the same sender;
//! - `send()` is one `write()`, one message; dropping every clone of the
//!   sender ends the receiver's loop, as it does in the book.
//!
//! Usage: `multi_producer [/dev/mpscN]`

use std::env;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::thread;
use std::time::Duration;

/// One message per call: the device queues each write whole.
fn send(tx: &mut File, val: &str) -> io::Result<()> {
    let n = tx.write(val.as_bytes())?;
    if n != val.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short send"));
    }
    Ok(())
}

/// The largest message, from sysfs; a buffer this big gets a whole message
/// per read.
fn max_msg_size(dev: &str) -> usize {
    let name = Path::new(dev).file_name().and_then(|n| n.to_str());
    name.and_then(|n| fs::read_to_string(format!("/sys/class/misc/{n}/max_msg_size")).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65536)
}

fn main() -> io::Result<()> {
    let dev = env::args().nth(1).unwrap_or_else(|| "/dev/mpsc0".into());

    // let (tx, rx) = mpsc::channel();
    let mut rx = File::open(&dev)?;
    let mut tx = OpenOptions::new().write(true).open(&dev)?;

    // let tx1 = tx.clone();
    let mut tx1 = tx.try_clone()?;
    let first = thread::spawn(move || -> io::Result<()> {
        let vals = vec!["hi", "from", "the", "thread"];

        for val in vals {
            send(&mut tx1, val)?;
            thread::sleep(Duration::from_secs(1));
        }
        Ok(())
    });

    let second = thread::spawn(move || -> io::Result<()> {
        let vals = vec!["more", "messages", "for", "you"];

        for val in vals {
            send(&mut tx, val)?;
            thread::sleep(Duration::from_secs(1));
        }
        Ok(())
    });

    // for received in rx: read() returns 0 once every sender is dropped.
    let mut buf = vec![0; max_msg_size(&dev)];
    loop {
        let n = rx.read(&mut buf)?;
        if n == 0 {
            break;
        }
        println!("Got: {}", String::from_utf8_lossy(&buf[..n]));
    }

    first.join().expect("first sender panicked")?;
    second.join().expect("second sender panicked")?;
    Ok(())
}
