/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User API of the mpsc character device (/dev/mpscN): a multi-producer,
 * single-consumer message channel with the semantics of Rust's
 * std::sync::mpsc.
 *
 * Every fd opened O_WRONLY is a sender, the one fd opened O_RDONLY is the
 * receiver. One write() is one message; one read() returns bytes of one
 * message. Besides read() and write() the device answers:
 *
 *   FIONREAD          (int *)                   bytes left in the head message
 *   MPSC_IOC_INFO     (struct mpsc_info *)      figures of the channel
 *   MPSC_IOC_RECV     (struct mpsc_recv_batch *) many messages in one call
 *
 * All ioctls use the magic 0xB8 with numbers 0x00-0x1F reserved for this
 * driver. Structures hold only fixed-width fields, are padded to a multiple
 * of 8 bytes, and pass user pointers as __u64 so that 32-bit programs on a
 * 64-bit kernel share the layout. Fields marked "must be zero" are checked:
 * a non-zero value fails with EINVAL, so later versions can give them a
 * meaning.
 */
#ifndef _UAPI_LINUX_MPSC_H
#define _UAPI_LINUX_MPSC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MPSC_IOC_MAGIC		0xB8

/* mpsc_info.flags: state bits of the channel (out) */
#define MPSC_INFO_RECEIVER	0x1U		/* a receiver is open */
#define MPSC_INFO_HUNG_UP	0x2U		/* last sender left: EOF */
#define MPSC_INFO_DISCONNECTED	0x4U		/* receiver closed: EPIPE */

/**
 * struct mpsc_info - figures of the channel an fd is attached to
 * @size:		in: sizeof(struct mpsc_info) as the caller knows it.
 *			Later versions only append fields and keep the old
 *			sizes working.
 * @flags:		out: MPSC_INFO_* bits. Must be zero on input.
 * @senders:		out: open sender file descriptions
 * @blocked_writers:	out: writers waiting in write() for room
 * @queued_msgs:	out: messages in the queue
 * @queued_bytes:	out: payload bytes in the queue, counting a partly
 *			read head message in full
 * @used:		out: bytes counted against @capacity (payload plus
 *			@msg_overhead per message)
 * @capacity:		out: most bytes the channel holds (module parameter)
 * @max_msg_size:	out: largest message in bytes (module parameter)
 * @msg_overhead:	out: fixed bytes charged per message besides payload
 * @sent:		out: messages queued since the channel was created
 * @received:		out: messages fully consumed by the receiver
 * @dropped:		out: messages discarded when the receiver closed
 * @reserved:		must be zero on input
 */
struct mpsc_info {
	__u32 size;
	__u32 flags;
	__u32 senders;
	__u32 blocked_writers;
	__u64 queued_msgs;
	__u64 queued_bytes;
	__u64 used;
	__u64 capacity;
	__u32 max_msg_size;
	__u32 msg_overhead;
	__u64 sent;
	__u64 received;
	__u64 dropped;
	__u64 reserved[4];
};

/* mpsc_recv_batch.flags (in) */
#define MPSC_RECV_NONBLOCK	0x1U		/* as if the fd were O_NONBLOCK */

/**
 * struct mpsc_recv_batch - receive many whole messages in one call
 * @buf:	in: address of a buffer; messages are stored back to back,
 *		without padding, in the order they were queued
 * @lens:	in: address of an array of @max_msgs __u32; out: element i
 *		holds the length of message i
 * @buf_len:	in: size of @buf in bytes
 * @max_msgs:	in: most messages to return, at least 1
 * @flags:	in: MPSC_RECV_* bits; others must be zero
 * @reserved:	must be zero
 *
 * MPSC_IOC_RECV waits like read() until a message is queued (or fails
 * with EAGAIN when non-blocking), then takes as many whole messages as fit
 * in both @buf and @lens without waiting for more. It returns the number
 * of messages taken, or 0 at end of file. If a read() left the head message
 * partly consumed, its remainder counts as the first message. A head
 * message larger than @buf_len fails with EMSGSIZE and stays queued;
 * FIONREAD tells its size. A fault on the first message fails with EFAULT;
 * a fault on a later one ends the batch before it. Messages not returned
 * stay queued.
 */
struct mpsc_recv_batch {
	__u64 buf;
	__u64 lens;
	__u32 buf_len;
	__u32 max_msgs;
	__u32 flags;
	__u32 reserved;
};

#define MPSC_IOC_INFO	_IOWR(MPSC_IOC_MAGIC, 0x00, struct mpsc_info)
#define MPSC_IOC_RECV	_IOWR(MPSC_IOC_MAGIC, 0x01, struct mpsc_recv_batch)

#endif /* _UAPI_LINUX_MPSC_H */
