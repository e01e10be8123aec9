// SPDX-License-Identifier: GPL-2.0
/*
 * mpsc: Rust's std::sync::mpsc as a character device.
 *
 * The module registers one misc device per channel, /dev/mpsc0 and up.
 * Each open file attaches to the device's current channel: O_WRONLY makes
 * a sender, O_RDONLY the one receiver. A write is a message; a read gets
 * bytes of one message; the receiver reads end of file once every sender
 * has gone, and a sender gets EPIPE once the receiver has gone.
 *
 *	$ cat /dev/mpsc0 &
 *	$ echo hi >/dev/mpsc0; echo there >/dev/mpsc0
 *
 * This file is the device side: parameters, registration, the file
 * operations and the sysfs figures. The queue lives in channel.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/mpsc.h>
#include <asm/ioctls.h>

#include "mpsc.h"

#define MPSC_MAX_CHANNELS	256
#define MPSC_MAX_CAPACITY	SZ_1G
#define MPSC_MAX_MSG_SIZE	SZ_16M
#define MPSC_MAX_WAKE_ROOM	90U

static unsigned int channels = 4;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "Number of devices /dev/mpscN (1-256, default 4)");

static unsigned int capacity = SZ_1M;
module_param(capacity, uint, 0444);
MODULE_PARM_DESC(capacity,
		 "Bytes a channel holds, counting 64 bytes per message besides its payload (at least max_msg_size + 64, at most 1 GiB, default 1 MiB)");

static unsigned int max_msg_size = SZ_64K;
module_param(max_msg_size, uint, 0444);
MODULE_PARM_DESC(max_msg_size,
		 "Largest message in bytes (1-16 MiB, default 65536)");

static unsigned int wake_room;

/* wake_room may be written at run time: check the range there too. */
static int mpsc_set_wake_room(const char *val, const struct kernel_param *kp)
{
	unsigned int pct;
	int ret;

	ret = kstrtouint(val, 0, &pct);
	if (ret)
		return ret;
	if (pct > MPSC_MAX_WAKE_ROOM)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, pct);
	return 0;
}

static const struct kernel_param_ops mpsc_wake_room_ops = {
	.set = mpsc_set_wake_room,
	.get = param_get_uint,
};
module_param_cb(wake_room, &mpsc_wake_room_ops, &wake_room, 0644);
MODULE_PARM_DESC(wake_room,
		 "Percent of the capacity that must be free before writers blocked on a full channel are let in (0-90, default 0: as soon as the first one fits); read when a channel is made");

static ushort mode = 0600;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "Permissions of the device nodes (octal, default 0600)");

/**
 * struct mpsc_dev - one device node
 * @misc:	its misc device
 * @lock:	guards @chan; nests outside the channel's locks
 * @chan:	the channel the next open() attaches to; NULL after the
 *		receiver retired it, until the next open() makes a new one
 * @name:	"mpscN"
 */
struct mpsc_dev {
	struct miscdevice misc;
	struct mutex lock;		/* guards @chan */
	struct mpsc_channel *chan;
	char name[16];
};

static struct mpsc_dev *mpsc_devs;

static struct mpsc_dev *mpsc_dev_of(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct mpsc_dev, misc);
}

static struct mpsc_dev *mpsc_dev_by_minor(unsigned int minor)
{
	unsigned int i;

	for (i = 0; i < channels; i++)
		if (mpsc_devs[i].misc.minor == minor)
			return &mpsc_devs[i];
	return NULL;
}

/* wake_room in bytes; the parameter may change at run time. */
static size_t mpsc_wake_room(void)
{
	return (size_t)capacity * READ_ONCE(wake_room) / 100;
}

/* The current channel, made anew if the last receiver retired it. */
static struct mpsc_channel *mpsc_dev_chan(struct mpsc_dev *dev)
{
	lockdep_assert_held(&dev->lock);

	if (!dev->chan)
		dev->chan = mpsc_channel_new(capacity, max_msg_size,
					     mpsc_wake_room());
	return dev->chan;
}

/* Attach to the current channel; the role follows the access mode. */
static int mpsc_open(struct inode *inode, struct file *file)
{
	struct mpsc_dev *dev = mpsc_dev_of(file);
	unsigned int acc = file->f_flags & O_ACCMODE;
	struct mpsc_channel *ch;
	int ret = 0;

	if (acc != O_RDONLY && acc != O_WRONLY)
		return -EINVAL;

	mutex_lock(&dev->lock);
	ch = mpsc_dev_chan(dev);
	if (!ch)
		ret = -ENOMEM;
	else if (acc == O_RDONLY)
		ret = mpsc_receiver_attach(ch);
	else
		mpsc_sender_attach(ch);
	if (!ret)
		mpsc_channel_get(ch);
	mutex_unlock(&dev->lock);
	if (ret)
		return ret;

	file->private_data = ch;
	file->f_mode |= FMODE_NOWAIT;
	return stream_open(inode, file);
}

/* Detach; the receiver leaving retires the channel of the device. */
static int mpsc_release(struct inode *inode, struct file *file)
{
	struct mpsc_channel *ch = file->private_data;
	struct mpsc_dev *dev;

	if (!(file->f_mode & FMODE_READ)) {
		mpsc_sender_detach(ch);
		mpsc_channel_put(ch);
		return 0;
	}

	dev = mpsc_dev_by_minor(iminor(inode));
	mutex_lock(&dev->lock);
	if (dev->chan == ch) {
		dev->chan = NULL;
		mpsc_channel_put(ch);
	}
	mutex_unlock(&dev->lock);

	mpsc_receiver_detach(ch);
	mpsc_channel_put(ch);
	return 0;
}

static bool mpsc_nonblock(struct kiocb *iocb)
{
	return (iocb->ki_flags & IOCB_NOWAIT) ||
	       (iocb->ki_filp->f_flags & O_NONBLOCK);
}

/* One message per call: read(), readv(), splice, io_uring. */
static ssize_t mpsc_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return mpsc_recv(iocb->ki_filp->private_data, to, mpsc_nonblock(iocb),
			 iocb->ki_flags & IOCB_NOWAIT);
}

/* One call is one message, whatever the number of segments. */
static ssize_t mpsc_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	ssize_t ret;

	ret = mpsc_send(iocb->ki_filp->private_data, from, mpsc_nonblock(iocb));
	if (ret == -EPIPE)
		send_sig(SIGPIPE, current, 0);
	return ret;
}

/* Readiness: POLLIN/POLLHUP on the receiver, POLLOUT/POLLERR on senders. */
static __poll_t mpsc_poll(struct file *file, poll_table *wait)
{
	struct mpsc_channel *ch = file->private_data;

	if (file->f_mode & FMODE_READ)
		return mpsc_poll_receiver(ch, file, wait);
	return mpsc_poll_sender(ch, file, wait);
}

/* O_ASYNC: the receiver's and the senders' owners are kept apart. */
static int mpsc_fasync(int fd, struct file *file, int on)
{
	struct mpsc_channel *ch = file->private_data;

	if (file->f_mode & FMODE_READ)
		return fasync_helper(fd, file, on, &ch->rfasync);
	return fasync_helper(fd, file, on, &ch->wfasync);
}

static long mpsc_ioctl_info(struct mpsc_channel *ch, void __user *argp)
{
	struct mpsc_info info;
	unsigned int i;

	if (copy_from_user(&info, argp, sizeof(info)))
		return -EFAULT;
	if (info.size != sizeof(info) || info.flags)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		if (info.reserved[i])
			return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	mpsc_channel_info(ch, &info);

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long mpsc_ioctl_recv(struct file *file, void __user *argp)
{
	struct mpsc_recv_batch batch;
	bool nonblock;

	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (copy_from_user(&batch, argp, sizeof(batch)))
		return -EFAULT;
	if ((batch.flags & ~MPSC_RECV_NONBLOCK) || batch.reserved ||
	    !batch.max_msgs || !batch.buf_len)
		return -EINVAL;

	nonblock = (batch.flags & MPSC_RECV_NONBLOCK) ||
		   (file->f_flags & O_NONBLOCK);
	return mpsc_recv_batch(file->private_data, &batch, nonblock);
}

/* FIONREAD, MPSC_IOC_INFO, MPSC_IOC_RECV; see uapi/linux/mpsc.h. */
static long mpsc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mpsc_channel *ch = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case FIONREAD:
		return put_user(mpsc_head_bytes(ch), (int __user *)argp);
	case MPSC_IOC_INFO:
		return mpsc_ioctl_info(ch, argp);
	case MPSC_IOC_RECV:
		return mpsc_ioctl_recv(file, argp);
	default:
		return -ENOIOCTLCMD;
	}
}

static const struct file_operations mpsc_fops = {
	.owner		= THIS_MODULE,
	.open		= mpsc_open,
	.release	= mpsc_release,
	.read_iter	= mpsc_read_iter,
	.write_iter	= mpsc_write_iter,
	.splice_read	= mpsc_splice_read,
	.splice_write	= iter_file_splice_write,
	.poll		= mpsc_poll,
	.fasync		= mpsc_fasync,
	.unlocked_ioctl	= mpsc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/*
 * sysfs: the figures of MPSC_IOC_INFO, one per file, for the device's
 * current channel. With no current channel the figures are those of the
 * fresh one the next open() will make.
 */
static void mpsc_dev_info(struct device *d, struct mpsc_info *info)
{
	struct miscdevice *misc = dev_get_drvdata(d);
	struct mpsc_dev *dev = container_of(misc, struct mpsc_dev, misc);

	memset(info, 0, sizeof(*info));
	info->capacity = capacity;
	info->max_msg_size = max_msg_size;
	info->msg_overhead = MPSC_MSG_OVERHEAD;

	mutex_lock(&dev->lock);
	if (dev->chan)
		mpsc_channel_info(dev->chan, info);
	mutex_unlock(&dev->lock);
}

#define MPSC_ATTR(_name, _expr)						\
static ssize_t _name##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct mpsc_info info;						\
									\
	mpsc_dev_info(d, &info);					\
	return sysfs_emit(buf, "%llu\n", (unsigned long long)(_expr));	\
}									\
static DEVICE_ATTR_RO(_name)

MPSC_ATTR(senders, info.senders);
MPSC_ATTR(receiver, !!(info.flags & MPSC_INFO_RECEIVER));
MPSC_ATTR(blocked_writers, info.blocked_writers);
MPSC_ATTR(queued_msgs, info.queued_msgs);
MPSC_ATTR(queued_bytes, info.queued_bytes);
MPSC_ATTR(used, info.used);
MPSC_ATTR(capacity, info.capacity);
MPSC_ATTR(max_msg_size, info.max_msg_size);
MPSC_ATTR(msg_overhead, info.msg_overhead);
MPSC_ATTR(sent, info.sent);
MPSC_ATTR(received, info.received);
MPSC_ATTR(dropped, info.dropped);

static struct attribute *mpsc_attrs[] = {
	&dev_attr_senders.attr,
	&dev_attr_receiver.attr,
	&dev_attr_blocked_writers.attr,
	&dev_attr_queued_msgs.attr,
	&dev_attr_queued_bytes.attr,
	&dev_attr_used.attr,
	&dev_attr_capacity.attr,
	&dev_attr_max_msg_size.attr,
	&dev_attr_msg_overhead.attr,
	&dev_attr_sent.attr,
	&dev_attr_received.attr,
	&dev_attr_dropped.attr,
	NULL
};
ATTRIBUTE_GROUPS(mpsc);

static int __init mpsc_check_params(void)
{
	if (!channels || channels > MPSC_MAX_CHANNELS) {
		pr_err("channels=%u is out of range 1..%u\n",
		       channels, MPSC_MAX_CHANNELS);
		return -EINVAL;
	}
	if (!max_msg_size || max_msg_size > MPSC_MAX_MSG_SIZE) {
		pr_err("max_msg_size=%u is out of range 1..%u\n",
		       max_msg_size, MPSC_MAX_MSG_SIZE);
		return -EINVAL;
	}
	if (capacity > MPSC_MAX_CAPACITY ||
	    capacity < max_msg_size + MPSC_MSG_OVERHEAD) {
		pr_err("capacity=%u is out of range %u..%u (max_msg_size + %u per-message overhead .. 1 GiB)\n",
		       capacity, max_msg_size + MPSC_MSG_OVERHEAD,
		       MPSC_MAX_CAPACITY, MPSC_MSG_OVERHEAD);
		return -EINVAL;
	}
	if (mode & ~0777) {
		pr_err("mode=%#o has bits beyond 0777\n", mode);
		return -EINVAL;
	}
	return 0;
}

static void mpsc_dev_remove(struct mpsc_dev *dev)
{
	misc_deregister(&dev->misc);
	/* No file is open, so only the device's reference is left. */
	if (dev->chan)
		mpsc_channel_put(dev->chan);
	mutex_destroy(&dev->lock);
}

static int __init mpsc_init(void)
{
	unsigned int i;
	int ret;

	ret = mpsc_check_params();
	if (ret)
		return ret;

	mpsc_devs = kcalloc(channels, sizeof(*mpsc_devs), GFP_KERNEL);
	if (!mpsc_devs)
		return -ENOMEM;

	for (i = 0; i < channels; i++) {
		struct mpsc_dev *dev = &mpsc_devs[i];

		mutex_init(&dev->lock);
		snprintf(dev->name, sizeof(dev->name), "mpsc%u", i);
		dev->misc.minor = MISC_DYNAMIC_MINOR;
		dev->misc.name = dev->name;
		dev->misc.fops = &mpsc_fops;
		dev->misc.groups = mpsc_groups;
		dev->misc.mode = mode;
		ret = misc_register(&dev->misc);
		if (ret) {
			pr_err("cannot register %s (%d): misc minors exhausted?\n",
			       dev->name, ret);
			mutex_destroy(&dev->lock);
			goto err_remove_devs;
		}
	}

	pr_info("%u channels, capacity %u bytes, messages up to %u bytes\n",
		channels, capacity, max_msg_size);
	return 0;

err_remove_devs:
	while (i--)
		mpsc_dev_remove(&mpsc_devs[i]);
	kfree(mpsc_devs);
	return ret;
}

static void __exit mpsc_exit(void)
{
	unsigned int i;

	for (i = 0; i < channels; i++)
		mpsc_dev_remove(&mpsc_devs[i]);
	kfree(mpsc_devs);
	pr_info("unloaded\n");
}

module_init(mpsc_init);
module_exit(mpsc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-producer, single-consumer message channel devices");
MODULE_AUTHOR("The mpsc authors");
MODULE_VERSION("0.1.0");
