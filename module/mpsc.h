/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private interface between the channel (channel.c) and the device layer
 * (dev.c) of the mpsc driver.
 */
#ifndef _MPSC_PRIV_H
#define _MPSC_PRIV_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

struct fasync_struct;
struct iov_iter;
struct mpsc_info;
struct mpsc_recv_batch;

/*
 * Bytes charged against the capacity for each message besides its payload.
 * It covers the message header and the slab's rounding of small objects, so
 * a flood of one-byte messages pins no more kernel memory than the capacity.
 */
#define MPSC_MSG_OVERHEAD	64

/*
 * Version switches live here and nowhere else; Kbuild probes the headers
 * rather than comparing version numbers, so backports are caught too.
 * copy_splice_read() replaced generic_file_splice_read() for files that
 * only have read_iter in Linux 6.5.
 */
#ifdef MPSC_HAVE_COPY_SPLICE_READ
#define mpsc_splice_read	copy_splice_read
#else
#define mpsc_splice_read	generic_file_splice_read
#endif

/**
 * struct mpsc_channel - a message queue with its senders and receiver
 * @lock:		spinlock guarding the fields marked [L]
 * @queue:		[L] queued &struct mpsc_msg, oldest first
 * @writers:		[L] writers blocked for room, in arrival order
 * @used:		[L] payload plus overhead of the queued messages
 * @nr_msgs:		[L] length of @queue
 * @queued_bytes:	[L] payload bytes in @queue
 * @nr_writers:		[L] length of @writers
 * @senders:		[L] attached sender file descriptions
 * @head_off:		[L]+[R] bytes of the head message already read
 * @receiver:		[L] a receiver is attached
 * @hung_up:		[L] the last sender left; cleared when one attaches
 * @disconnected:	[L] the receiver left; the channel is retired
 * @sent:		[L] messages queued over the channel's life
 * @received:		[L] messages fully consumed
 * @dropped:		[L] messages discarded when the receiver left
 * @read_lock:		[R] serialises consumers sharing the receiver file
 * @rwait:		the receiver's blocked readers and pollers
 * @wpoll:		the senders' pollers (blocked writers sit in @writers)
 * @rfasync:		O_ASYNC owner of the receiver
 * @wfasync:		O_ASYNC owners of senders
 * @capacity:		most bytes @used may reach; fixed at creation
 * @max_msg_size:	largest payload of one message; fixed at creation
 * @wake_room:		free bytes needed before blocked writers are let in
 *			while messages are queued; 0: as soon as one fits
 * @ref:		one for the device while it is the current channel,
 *			one for each open file attached to it
 *
 * The locking rules are explained at the top of channel.c.
 */
struct mpsc_channel {
	spinlock_t lock;		/* see the comment above */
	struct list_head queue;
	struct list_head writers;
	size_t used;
	u64 nr_msgs;
	u64 queued_bytes;
	unsigned int nr_writers;
	unsigned int senders;
	u32 head_off;
	bool receiver;
	bool hung_up;
	bool disconnected;
	u64 sent;
	u64 received;
	u64 dropped;

	struct mutex read_lock;		/* see the comment above */
	wait_queue_head_t rwait;
	wait_queue_head_t wpoll;
	struct fasync_struct *rfasync;
	struct fasync_struct *wfasync;
	size_t capacity;
	u32 max_msg_size;
	size_t wake_room;
	struct kref ref;
};

struct mpsc_channel *mpsc_channel_new(size_t capacity, u32 max_msg_size,
				      size_t wake_room);
void mpsc_channel_put(struct mpsc_channel *ch);

static inline void mpsc_channel_get(struct mpsc_channel *ch)
{
	kref_get(&ch->ref);
}

void mpsc_sender_attach(struct mpsc_channel *ch);
void mpsc_sender_detach(struct mpsc_channel *ch);
int mpsc_receiver_attach(struct mpsc_channel *ch);
void mpsc_receiver_detach(struct mpsc_channel *ch);

ssize_t mpsc_send(struct mpsc_channel *ch, struct iov_iter *from,
		  bool nonblock);
ssize_t mpsc_recv(struct mpsc_channel *ch, struct iov_iter *to,
		  bool nonblock, bool nowait);
int mpsc_recv_batch(struct mpsc_channel *ch,
		    const struct mpsc_recv_batch *batch, bool nonblock);

__poll_t mpsc_poll_receiver(struct mpsc_channel *ch, struct file *file,
			    poll_table *wait);
__poll_t mpsc_poll_sender(struct mpsc_channel *ch, struct file *file,
			  poll_table *wait);

u32 mpsc_head_bytes(struct mpsc_channel *ch);
void mpsc_channel_info(struct mpsc_channel *ch, struct mpsc_info *info);

#endif /* _MPSC_PRIV_H */
