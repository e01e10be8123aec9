// SPDX-License-Identifier: GPL-2.0
/*
 * The channel: a queue of whole messages, its senders and its receiver.
 *
 * Locking
 * -------
 * ch->lock (spinlock) guards the queue, the list of blocked writers, the
 * accounting (used, nr_msgs, queued_bytes, nr_writers), the role state
 * (senders, receiver, hung_up, disconnected) and the counters. It is held
 * only for list and counter updates: no user copy, no allocation and no
 * sleeping happens under it.
 *
 * ch->read_lock (mutex) is taken by whoever consumes: read(), the batch
 * ioctl. Only its holder removes messages from the queue, and it may sleep
 * while copying to user space. Producers only ever append at the tail, so
 * the holder may look at the head message, and walk towards a tail it saw
 * under ch->lock, without holding ch->lock. Receiver close cannot race with
 * it: release runs after every read on the file has returned. head_off
 * changes under both locks, so either one suffices to read it.
 *
 * Order: read_lock, then ch->lock, then the wait queue locks (taken inside
 * wake_up*). The device's mutex (dev.c) nests outside all of them.
 *
 * Lockless reads: poll and the wait conditions read nr_msgs, used,
 * nr_writers, hung_up and disconnected with READ_ONCE(). Each is a single
 * word written under ch->lock, and a stale value is harmless because of the
 * wake-up rules below: whoever changes the state afterwards checks for
 * sleepers and wakes them, and the sleeper then looks again.
 *
 * Wake-ups
 * --------
 * The waker changes state under ch->lock, drops it, then calls
 * wq_has_sleeper(), whose full barrier pairs with the barrier a waiter
 * executes between queueing itself and testing the condition
 * (set_current_state() in wait_event*(), the explicit smp_mb() after
 * poll_wait()). Either the waiter sees the new state or the waker sees the
 * waiter. The check lets the common case, nobody waiting, skip the wait
 * queue lock entirely, as pipes do.
 *
 * - Every enqueue wakes rwait (blocked reader and pollers) and sends SIGIO
 *   to the receiver's owner, so edge-triggered epoll sees every message.
 * - Hang-up (last sender gone) and draining the queue after it wake every
 *   rwait waiter: readers, poll, epoll.
 * - Blocked writers do not sleep on a wait queue but on ch->writers, a FIFO
 *   of &struct mpsc_writer with their message already copied in. Whoever
 *   frees room (a consumer, or a writer giving up its place) moves the
 *   messages of the writers at the head that now fit into the queue, and
 *   wakes exactly those writers: a large message is never overtaken by
 *   later small ones, and one freed slot wakes one writer, not all of them.
 *   While the FIFO is not empty, new writers queue behind it. The wake_room
 *   parameter holds admissions back until that much room is free, so that
 *   fast writers come back in batches (see mpsc_admit_writers()).
 *
 * Why a spinlock and a list: the FIFO admission and the capacity check
 * must be decided together, which a lock-free producer list (llist) cannot
 * do without a lock of its own; the lock is held for a few stores. The
 * writers are woken with wake_up_process() under the lock rather than with
 * a synchronous wake-up after it: measured under QEMU with 8 writers, the
 * synchronous variant halved the throughput, and what does matter is how
 * often writers sleep at all, which wake_room addresses.
 * - Receiver close fails every blocked writer with -EPIPE, and wakes
 *   wpoll (POLLERR) and the senders' SIGIO owners.
 * - Senders' pollers (wpoll) are woken when room frees and the channel
 *   becomes writable again, and SIGIO goes to their owners on every
 *   consumed message.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/mpsc.h>

#include "mpsc.h"

/*
 * Room a sender's poll asks for: a message of this size must fit for
 * POLLOUT, as PIPE_BUF does for pipes.
 */
#define MPSC_POLL_ROOM		4096

/**
 * struct mpsc_msg - one queued message
 * @node:	link in &mpsc_channel.queue
 * @len:	payload bytes
 * @data:	payload
 */
struct mpsc_msg {
	struct list_head node;
	u32 len;
	char data[];
};

/**
 * struct mpsc_writer - a writer waiting for room, on its own stack
 * @node:	link in &mpsc_channel.writers
 * @task:	the sleeping task
 * @msg:	its message, copied in before it queued up
 * @status:	0 while waiting; then 1 once @msg is queued, or -EPIPE.
 *		Written under ch->lock with release semantics, so the
 *		writer may read it without the lock.
 */
struct mpsc_writer {
	struct list_head node;
	struct task_struct *task;
	struct mpsc_msg *msg;
	int status;
};

static size_t mpsc_charge(u32 len)
{
	return (size_t)len + MPSC_MSG_OVERHEAD;
}

/**
 * mpsc_channel_new() - allocate an empty channel
 * @capacity: bytes of payload plus overhead it may hold
 * @max_msg_size: largest message it accepts
 * @wake_room: free bytes needed before blocked writers are let in, unless
 *	the queue is empty; 0 lets them in as soon as the first one fits
 *
 * Return: the channel with one reference, or NULL.
 */
struct mpsc_channel *mpsc_channel_new(size_t capacity, u32 max_msg_size,
				      size_t wake_room)
{
	struct mpsc_channel *ch;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return NULL;

	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->queue);
	INIT_LIST_HEAD(&ch->writers);
	mutex_init(&ch->read_lock);
	init_waitqueue_head(&ch->rwait);
	init_waitqueue_head(&ch->wpoll);
	ch->capacity = capacity;
	ch->max_msg_size = max_msg_size;
	ch->wake_room = wake_room;
	kref_init(&ch->ref);
	return ch;
}

static void mpsc_free_list(struct list_head *list)
{
	struct mpsc_msg *msg, *tmp;

	list_for_each_entry_safe(msg, tmp, list, node)
		kvfree(msg);
}

static void mpsc_channel_release(struct kref *ref)
{
	struct mpsc_channel *ch = container_of(ref, struct mpsc_channel, ref);

	/* Nobody can be blocked: every writer holds a file reference. */
	WARN_ON_ONCE(!list_empty(&ch->writers));
	mpsc_free_list(&ch->queue);
	mutex_destroy(&ch->read_lock);
	kfree(ch);
}

/**
 * mpsc_channel_put() - drop a reference, freeing the channel and whatever
 * it still queues with the last one
 * @ch: the channel
 */
void mpsc_channel_put(struct mpsc_channel *ch)
{
	kref_put(&ch->ref, mpsc_channel_release);
}

static bool mpsc_fits(struct mpsc_channel *ch, u32 len)
{
	lockdep_assert_held(&ch->lock);

	return ch->used + mpsc_charge(len) <= ch->capacity;
}

static void mpsc_enqueue(struct mpsc_channel *ch, struct mpsc_msg *msg)
{
	lockdep_assert_held(&ch->lock);

	list_add_tail(&msg->node, &ch->queue);
	WRITE_ONCE(ch->used, ch->used + mpsc_charge(msg->len));
	ch->queued_bytes += msg->len;
	WRITE_ONCE(ch->nr_msgs, ch->nr_msgs + 1);
	ch->sent++;
}

/* Whether a sender's poll reports POLLOUT; also used without the lock. */
static bool mpsc_writable(struct mpsc_channel *ch)
{
	u32 room = min_t(u32, MPSC_POLL_ROOM, ch->max_msg_size);

	return !READ_ONCE(ch->disconnected) && !READ_ONCE(ch->nr_writers) &&
	       READ_ONCE(ch->used) + mpsc_charge(room) <= ch->capacity;
}

/* End a blocked writer's wait with @status; it may return at once. */
static void mpsc_writer_done(struct mpsc_channel *ch, struct mpsc_writer *w,
			     int status)
{
	struct task_struct *task = w->task;

	lockdep_assert_held(&ch->lock);

	list_del(&w->node);
	WRITE_ONCE(ch->nr_writers, ch->nr_writers - 1);
	/*
	 * Once status is visible the writer may return and its stack frame
	 * go away, so @task was read before. The task itself cannot be freed
	 * before an RCU grace period, and holding a spinlock keeps us inside
	 * a read-side critical section; rcu_read_lock() says so explicitly.
	 */
	rcu_read_lock();
	/* Pairs with smp_load_acquire() in mpsc_wait_for_room(). */
	smp_store_release(&w->status, status);
	wake_up_process(task);
	rcu_read_unlock();
}

/*
 * Queue the messages of the blocked writers at the head of the FIFO that
 * now fit, and release those writers. Returns how many were queued.
 *
 * With a wake_room, writers wait until that much is free (or the queue is
 * empty), then go in as a batch: each woken writer then finds room for
 * more messages instead of sleeping again after every one, which is what
 * a channel kept full by fast writers otherwise costs, a sleep and a
 * wake-up per message.
 */
static unsigned int mpsc_admit_writers(struct mpsc_channel *ch)
{
	struct mpsc_writer *w;
	unsigned int n = 0;

	lockdep_assert_held(&ch->lock);

	if (ch->nr_msgs && ch->capacity - ch->used < ch->wake_room)
		return 0;

	while ((w = list_first_entry_or_null(&ch->writers,
					     struct mpsc_writer, node))) {
		if (!mpsc_fits(ch, w->msg->len))
			break;
		mpsc_enqueue(ch, w->msg);
		mpsc_writer_done(ch, w, 1);
		n++;
	}
	return n;
}

/* Tell the receiver side that @n messages arrived. */
static void mpsc_wake_receiver(struct mpsc_channel *ch, unsigned int n)
{
	if (wq_has_sleeper(&ch->rwait))
		wake_up_interruptible_sync_poll(&ch->rwait,
						EPOLLIN | EPOLLRDNORM);
	while (n--)
		kill_fasync(&ch->rfasync, SIGIO, POLL_IN);
}

/* Tell the senders that room freed; @writable: it is now enough for poll. */
static void mpsc_wake_senders(struct mpsc_channel *ch, bool writable)
{
	if (writable && wq_has_sleeper(&ch->wpoll))
		wake_up_interruptible_sync_poll(&ch->wpoll,
						EPOLLOUT | EPOLLWRNORM);
	kill_fasync(&ch->wfasync, SIGIO, POLL_OUT);
}

/**
 * mpsc_sender_attach() - count a new sender file
 * @ch: the channel, which has not been disconnected
 *
 * A sender re-arms a channel that had hung up: reads block again.
 */
void mpsc_sender_attach(struct mpsc_channel *ch)
{
	spin_lock(&ch->lock);
	ch->senders++;
	WRITE_ONCE(ch->hung_up, false);
	spin_unlock(&ch->lock);
}

/**
 * mpsc_sender_detach() - a sender file was released
 * @ch: the channel
 *
 * The last sender to leave hangs the channel up: the receiver drains the
 * queue, then reads end of file. Everyone waiting on it is woken.
 */
void mpsc_sender_detach(struct mpsc_channel *ch)
{
	bool hup;

	spin_lock(&ch->lock);
	hup = !--ch->senders && !ch->disconnected;
	if (hup)
		WRITE_ONCE(ch->hung_up, true);
	spin_unlock(&ch->lock);

	if (hup) {
		wake_up_interruptible_all(&ch->rwait);
		kill_fasync(&ch->rfasync, SIGIO, POLL_HUP);
	}
}

/**
 * mpsc_receiver_attach() - make the opener the channel's receiver
 * @ch: the channel
 *
 * Return: 0, or -EBUSY when it already has one.
 */
int mpsc_receiver_attach(struct mpsc_channel *ch)
{
	int ret = 0;

	spin_lock(&ch->lock);
	if (ch->receiver || ch->disconnected)
		ret = -EBUSY;
	else
		ch->receiver = true;
	spin_unlock(&ch->lock);
	return ret;
}

/**
 * mpsc_receiver_detach() - the receiver left: retire the channel
 * @ch: the channel
 *
 * Like dropping a Receiver: queued messages are discarded and counted as
 * dropped, blocked writers fail with -EPIPE, and every later send fails.
 */
void mpsc_receiver_detach(struct mpsc_channel *ch)
{
	struct mpsc_writer *w, *tmp;
	LIST_HEAD(drop);

	spin_lock(&ch->lock);
	ch->receiver = false;
	WRITE_ONCE(ch->disconnected, true);
	list_splice_init(&ch->queue, &drop);
	ch->dropped += ch->nr_msgs;
	WRITE_ONCE(ch->nr_msgs, 0);
	WRITE_ONCE(ch->used, 0);
	ch->queued_bytes = 0;
	ch->head_off = 0;
	list_for_each_entry_safe(w, tmp, &ch->writers, node)
		mpsc_writer_done(ch, w, -EPIPE);
	spin_unlock(&ch->lock);

	mpsc_free_list(&drop);
	wake_up_interruptible_all(&ch->wpoll);
	kill_fasync(&ch->wfasync, SIGIO, POLL_ERR);
}

/*
 * Sleep until a consumer queues our message or the receiver leaves. On a
 * signal, give up our place unless the message went in meanwhile.
 */
static int mpsc_wait_for_room(struct mpsc_channel *ch, struct mpsc_writer *w)
{
	unsigned int admitted;
	bool writable;
	int status;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Pairs with smp_store_release() in mpsc_writer_done(). */
		status = smp_load_acquire(&w->status);
		if (status || signal_pending(current))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	if (status)
		return status;

	spin_lock(&ch->lock);
	status = w->status;
	if (status) {
		spin_unlock(&ch->lock);
		return status;
	}
	list_del(&w->node);
	WRITE_ONCE(ch->nr_writers, ch->nr_writers - 1);
	/* Leaving the head of the FIFO may let those behind us in. */
	admitted = mpsc_admit_writers(ch);
	writable = mpsc_writable(ch);
	spin_unlock(&ch->lock);

	if (admitted)
		mpsc_wake_receiver(ch, admitted);
	if (writable && wq_has_sleeper(&ch->wpoll))
		wake_up_interruptible_poll(&ch->wpoll, EPOLLOUT | EPOLLWRNORM);
	return -ERESTARTSYS;
}

/**
 * mpsc_send() - queue one message
 * @ch: the sender's channel
 * @from: the payload, all of it one message
 * @nonblock: fail with -EAGAIN instead of waiting for room
 *
 * The payload is copied in before any lock is taken, so a fault queues
 * nothing. Then the message goes in whole or not at all.
 *
 * Return: bytes queued, or -EMSGSIZE, -EPIPE, -EAGAIN, -ENOMEM, -EFAULT,
 * -ERESTARTSYS.
 */
ssize_t mpsc_send(struct mpsc_channel *ch, struct iov_iter *from,
		  bool nonblock)
{
	size_t len = iov_iter_count(from);
	struct mpsc_writer w;
	struct mpsc_msg *msg;
	int status;

	if (!len)
		return 0;
	if (len > ch->max_msg_size)
		return -EMSGSIZE;
	if (READ_ONCE(ch->disconnected))
		return -EPIPE;
	/* Cheap early answer; the decision is taken again under the lock. */
	if (nonblock && (READ_ONCE(ch->nr_writers) ||
			 READ_ONCE(ch->used) + mpsc_charge(len) > ch->capacity))
		return -EAGAIN;

	msg = kvmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	msg->len = len;
	if (!copy_from_iter_full(msg->data, len, from)) {
		status = -EFAULT;
		goto err_free_msg;
	}

	spin_lock(&ch->lock);
	if (ch->disconnected) {
		status = -EPIPE;
		goto err_unlock;
	}
	if (list_empty(&ch->writers) && mpsc_fits(ch, len)) {
		mpsc_enqueue(ch, msg);
		spin_unlock(&ch->lock);
		mpsc_wake_receiver(ch, 1);
		return len;
	}
	if (nonblock) {
		status = -EAGAIN;
		goto err_unlock;
	}
	w.task = current;
	w.msg = msg;
	w.status = 0;
	list_add_tail(&w.node, &ch->writers);
	WRITE_ONCE(ch->nr_writers, ch->nr_writers + 1);
	spin_unlock(&ch->lock);

	status = mpsc_wait_for_room(ch, &w);
	if (status > 0)
		return len;
	goto err_free_msg;

err_unlock:
	spin_unlock(&ch->lock);
err_free_msg:
	kvfree(msg);
	return status;
}

/*
 * Remove the first @nr messages, the last of them @last, after a consumer
 * copied them out; or, with @nr == 0, record that @head_off bytes of the
 * head message are consumed. @payload is the sum of their lengths.
 */
static void mpsc_commit(struct mpsc_channel *ch, struct mpsc_msg *last,
			unsigned int nr, u64 payload, u32 head_off)
{
	bool was_writable, writable = false, drained_hup = false;
	unsigned int admitted = 0;
	LIST_HEAD(done);

	lockdep_assert_held(&ch->read_lock);

	spin_lock(&ch->lock);
	ch->head_off = head_off;
	if (nr) {
		was_writable = mpsc_writable(ch);
		list_cut_position(&done, &ch->queue, &last->node);
		WRITE_ONCE(ch->nr_msgs, ch->nr_msgs - nr);
		WRITE_ONCE(ch->used, ch->used - payload -
			   (size_t)nr * MPSC_MSG_OVERHEAD);
		ch->queued_bytes -= payload;
		ch->received += nr;
		admitted = mpsc_admit_writers(ch);
		/* Wake pollers only on the change to writable. */
		writable = !was_writable && mpsc_writable(ch);
		drained_hup = !ch->nr_msgs && ch->hung_up;
	}
	spin_unlock(&ch->lock);

	if (!nr)
		return;
	mpsc_free_list(&done);
	if (admitted)
		mpsc_wake_receiver(ch, admitted);
	/* Other pollers of the receiver now see POLLHUP. */
	if (drained_hup && wq_has_sleeper(&ch->rwait))
		wake_up_interruptible_poll(&ch->rwait, EPOLLHUP);
	mpsc_wake_senders(ch, writable);
}

/* Look at the head message; NULL with *eof set at end of file. */
static struct mpsc_msg *mpsc_peek(struct mpsc_channel *ch, u64 *avail,
				  bool *eof)
{
	struct mpsc_msg *msg;

	lockdep_assert_held(&ch->read_lock);

	spin_lock(&ch->lock);
	msg = list_first_entry_or_null(&ch->queue, struct mpsc_msg, node);
	*avail = ch->nr_msgs;
	*eof = ch->hung_up;
	spin_unlock(&ch->lock);
	return msg;
}

/* One read(): bytes of the head message, or 0 at EOF, or -EAGAIN. */
static ssize_t mpsc_recv_locked(struct mpsc_channel *ch, struct iov_iter *to)
{
	struct mpsc_msg *msg;
	u32 off, n;
	u64 avail;
	bool eof;

	msg = mpsc_peek(ch, &avail, &eof);
	if (!msg)
		return eof ? 0 : -EAGAIN;

	off = ch->head_off;
	n = min_t(size_t, iov_iter_count(to), msg->len - off);
	/* A fault consumes nothing: the caller's buffer, the caller's loss. */
	if (copy_to_iter(msg->data + off, n, to) != n)
		return -EFAULT;

	if (off + n == msg->len)
		mpsc_commit(ch, msg, 1, msg->len, 0);
	else
		mpsc_commit(ch, NULL, 0, 0, off + n);
	return n;
}

static bool mpsc_readable(struct mpsc_channel *ch)
{
	return READ_ONCE(ch->nr_msgs) || READ_ONCE(ch->hung_up);
}

static int mpsc_read_lock(struct mpsc_channel *ch, bool nowait)
{
	if (nowait)
		return mutex_trylock(&ch->read_lock) ? 0 : -EAGAIN;
	return mutex_lock_interruptible(&ch->read_lock);
}

/**
 * mpsc_recv() - read from the head message
 * @ch: the receiver's channel
 * @to: where to copy; gets at most the rest of one message
 * @nonblock: return -EAGAIN instead of waiting for a message
 * @nowait: do not even wait for another consumer of the same file
 *
 * Return: bytes read, 0 at end of file, or -EAGAIN, -EFAULT, -ERESTARTSYS.
 */
ssize_t mpsc_recv(struct mpsc_channel *ch, struct iov_iter *to,
		  bool nonblock, bool nowait)
{
	ssize_t ret;

	if (!iov_iter_count(to))
		return 0;

	for (;;) {
		ret = mpsc_read_lock(ch, nowait);
		if (ret)
			return ret;
		ret = mpsc_recv_locked(ch, to);
		mutex_unlock(&ch->read_lock);

		if (ret != -EAGAIN || nonblock)
			return ret;
		if (wait_event_interruptible(ch->rwait, mpsc_readable(ch)))
			return -ERESTARTSYS;
	}
}

/* Copy out as many whole messages as fit; see MPSC_IOC_RECV. */
static int mpsc_recv_batch_locked(struct mpsc_channel *ch,
				  const struct mpsc_recv_batch *b)
{
	char __user *buf = u64_to_user_ptr(b->buf);
	u32 __user *lens = u64_to_user_ptr(b->lens);
	struct mpsc_msg *msg, *last = NULL;
	u32 off, n, bytes = 0, nr = 0;
	u64 avail, payload = 0;
	int err = 0;
	bool eof;

	msg = mpsc_peek(ch, &avail, &eof);
	if (!msg)
		return eof ? 0 : -EAGAIN;

	/*
	 * Messages before the tail we saw have a stable ->next: producers
	 * only link after the tail, and only we unlink.
	 */
	off = ch->head_off;
	while (nr < min_t(u64, avail, b->max_msgs)) {
		if (nr)
			msg = list_next_entry(msg, node);
		n = msg->len - off;
		if (n > b->buf_len - bytes) {
			err = -EMSGSIZE;
			break;
		}
		if (copy_to_user(buf + bytes, msg->data + off, n) ||
		    put_user(n, lens + nr)) {
			err = -EFAULT;
			break;
		}
		bytes += n;
		payload += msg->len;
		off = 0;
		last = msg;
		nr++;
	}

	if (!nr)
		return err;
	mpsc_commit(ch, last, nr, payload, 0);
	return nr;
}

/**
 * mpsc_recv_batch() - receive many whole messages in one call
 * @ch: the receiver's channel
 * @b: the request, already copied in and checked
 * @nonblock: return -EAGAIN instead of waiting for a message
 *
 * Return: messages received, 0 at end of file, or a negative errno.
 */
int mpsc_recv_batch(struct mpsc_channel *ch, const struct mpsc_recv_batch *b,
		    bool nonblock)
{
	int ret;

	for (;;) {
		ret = mpsc_read_lock(ch, false);
		if (ret)
			return ret;
		ret = mpsc_recv_batch_locked(ch, b);
		mutex_unlock(&ch->read_lock);

		if (ret != -EAGAIN || nonblock)
			return ret;
		if (wait_event_interruptible(ch->rwait, mpsc_readable(ch)))
			return -ERESTARTSYS;
	}
}

/**
 * mpsc_poll_receiver() - readiness of the receiver
 * @ch: the channel
 * @file: the receiver file
 * @wait: poll table
 *
 * Return: POLLIN while a message is queued, POLLHUP when a read would
 * return end of file.
 */
__poll_t mpsc_poll_receiver(struct mpsc_channel *ch, struct file *file,
			    poll_table *wait)
{
	__poll_t mask = 0;
	u64 nr;

	poll_wait(file, &ch->rwait, wait);
	/* Pairs with wq_has_sleeper() in the wakers; see the top comment. */
	smp_mb();

	nr = READ_ONCE(ch->nr_msgs);
	if (nr)
		mask |= EPOLLIN | EPOLLRDNORM;
	else if (READ_ONCE(ch->hung_up))
		mask |= EPOLLHUP;
	return mask;
}

/**
 * mpsc_poll_sender() - readiness of a sender
 * @ch: the channel
 * @file: the sender file
 * @wait: poll table
 *
 * Return: POLLOUT while a 4 KiB message would be queued without waiting,
 * POLLERR once the receiver has left.
 */
__poll_t mpsc_poll_sender(struct mpsc_channel *ch, struct file *file,
			  poll_table *wait)
{
	poll_wait(file, &ch->wpoll, wait);
	/* Pairs with wq_has_sleeper() in the wakers; see the top comment. */
	smp_mb();

	if (READ_ONCE(ch->disconnected))
		return EPOLLERR;
	return mpsc_writable(ch) ? EPOLLOUT | EPOLLWRNORM : 0;
}

/**
 * mpsc_head_bytes() - unread bytes of the head message, for FIONREAD
 * @ch: the channel
 *
 * Return: the count, 0 when the queue is empty.
 */
u32 mpsc_head_bytes(struct mpsc_channel *ch)
{
	struct mpsc_msg *msg;
	u32 n = 0;

	spin_lock(&ch->lock);
	msg = list_first_entry_or_null(&ch->queue, struct mpsc_msg, node);
	if (msg)
		n = msg->len - ch->head_off;
	spin_unlock(&ch->lock);
	return n;
}

/**
 * mpsc_channel_info() - a consistent snapshot of the channel's figures
 * @ch: the channel
 * @info: filled in except for @info->size, which the caller owns
 */
void mpsc_channel_info(struct mpsc_channel *ch, struct mpsc_info *info)
{
	spin_lock(&ch->lock);
	info->flags = (ch->receiver ? MPSC_INFO_RECEIVER : 0) |
		      (ch->hung_up ? MPSC_INFO_HUNG_UP : 0) |
		      (ch->disconnected ? MPSC_INFO_DISCONNECTED : 0);
	info->senders = ch->senders;
	info->blocked_writers = ch->nr_writers;
	info->queued_msgs = ch->nr_msgs;
	info->queued_bytes = ch->queued_bytes;
	info->used = ch->used;
	info->sent = ch->sent;
	info->received = ch->received;
	info->dropped = ch->dropped;
	spin_unlock(&ch->lock);

	info->capacity = ch->capacity;
	info->max_msg_size = ch->max_msg_size;
	info->msg_overhead = MPSC_MSG_OVERHEAD;
}
