// SPDX-License-Identifier: GPL-2.0
/*
 * Behaviour tests of the mpsc character device: one or more tests per
 * numbered rule of the contract (the rule is named above each group).
 * Lifetime, signals and module load rules live in mpsc_lifecycle_test.c,
 * MPSC_IOC_RECV in mpsc_batch_test.c.
 *
 * Every test gets a fresh channel from the fixture (mpsc_util.h) and
 * reads capacity, max_msg_size and the per-message overhead from
 * MPSC_IOC_INFO, so any module parameters work.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>

#include "mpsc_util.h"

/* 1.1 Devices and channels */

TEST_F(mpsc, devices_match_channels_param)
{
	unsigned long long channels;
	struct stat st, first;
	char path[64];
	unsigned int i;

	ASSERT_EQ(0, read_u64_file(MPSC_PARAM_DIR "/channels", &channels));
	EXPECT_LE(1, channels);
	EXPECT_GE(256, channels);

	for (i = 0; i < channels; i++) {
		snprintf(path, sizeof(path), "/dev/mpsc%u", i);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %m", path);
		EXPECT_TRUE(S_ISCHR(st.st_mode)) TH_LOG("%s", path);
		if (i == 0) {
			first = st;
		} else {
			EXPECT_NE(first.st_rdev, st.st_rdev) TH_LOG("%s", path);
		}

		snprintf(path, sizeof(path), "/sys/class/misc/mpsc%u", i);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s: %m", path);
	}

	snprintf(path, sizeof(path), "/dev/mpsc%u", i);
	EXPECT_EQ(-1, stat(path, &st)) TH_LOG("%s exists", path);
	EXPECT_EQ(ENOENT, errno);
	snprintf(path, sizeof(path), "/sys/class/misc/mpsc%u", i);
	EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s exists", path);
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(mpsc, devices_are_independent)
{
	const char *other = mpsc_other_dev();
	struct mpsc_info info;
	char buf[64];
	int rx2, tx2;

	if (access(other, F_OK))
		SKIP(return, "%s missing: load with channels >= 2", other);
	ASSERT_EQ(0, mpsc_reset(other));

	/* A receiver on this device does not make the other one busy. */
	rx2 = open(other, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rx2);
	tx2 = open(other, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, tx2);

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	memset(buf, FILL_BYTE, sizeof(buf));
	EXPECT_EQ(-1, read(rx2, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, mpsc_info(rx2, &info));
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.sent);
	EXPECT_EQ(1, info.senders);

	ASSERT_EQ(20, send_msg(tx2, 20, 2));
	EXPECT_EQ(10, recv_check(self->rx, sizeof(buf), 10, 1));
	EXPECT_EQ(-1, read(self->rx, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(20, recv_check(rx2, sizeof(buf), 20, 2));

	/* Ending the other device's channel leaves this one connected. */
	close(rx2);
	EXPECT_EQ(-1, send_msg(tx2, 5, 3));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(5, send_msg(self->tx, 5, 4));
	EXPECT_EQ(5, recv_check(self->rx, sizeof(buf), 5, 4));
	close(tx2);
	mpsc_reset(other);
}

/* 1.2 Every open() binds to the device's current channel for good */

TEST_F(mpsc, open_binds_to_current_channel)
{
	struct mpsc_info info;
	int rx, tx2;

	ASSERT_EQ(8, send_msg(self->tx, 8, 1));

	/* Ending the channel: the old sender stays bound to it. */
	close(self->rx);
	self->rx = -1;
	rx = open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, rx);
	self->rx = rx;

	ASSERT_EQ(0, mpsc_info(rx, &info));
	EXPECT_EQ(0, info.senders);
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.sent);
	EXPECT_EQ(0, info.dropped);

	EXPECT_EQ(-1, send_msg(self->tx, 8, 2));
	EXPECT_EQ(EPIPE, errno);
	ASSERT_EQ(0, mpsc_info(self->tx, &info));
	EXPECT_TRUE(info.flags & MPSC_INFO_DISCONNECTED);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(1, info.dropped);

	/* A new open attaches to the new channel. */
	tx2 = open(self->dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, tx2);
	ASSERT_EQ(0, mpsc_info(rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(8, send_msg(tx2, 8, 3));
	EXPECT_EQ(8, recv_check(rx, 64, 8, 3));
	close(tx2);
}

/* 2.1 One open file description is one sender */

TEST_F(mpsc, each_open_is_a_sender)
{
	struct mpsc_info info;
	int fds[3], i;

	for (i = 0; i < 3; i++) {
		fds[i] = open(self->dev, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(4, info.senders);

	for (i = 0; i < 3; i++)
		close(fds[i]);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
}

TEST_F(mpsc, dup_family_shares_one_sender)
{
	struct mpsc_info info;
	int fds[5], i;
	char buf[16];

	fds[0] = dup(self->tx);
	fds[1] = dup2(self->tx, 200);
	fds[2] = fcntl(self->tx, F_DUPFD, 300);
	fds[3] = fcntl(self->tx, F_DUPFD_CLOEXEC, 400);
	fds[4] = dup3(self->tx, 500, O_CLOEXEC);
	for (i = 0; i < 5; i++) {
		ASSERT_LE(0, fds[i]) TH_LOG("dup #%d: %m", i);
	}
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);

	/* The sender outlives the fd it was opened with. */
	close(self->tx);
	self->tx = -1;
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(0, info.flags & MPSC_INFO_HUNG_UP);

	for (i = 0; i < 5; i++) {
		EXPECT_EQ(3, send_msg(fds[i], 3, i));
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);

	/* Closing the last fd is the sender leaving: EOF after the queue. */
	close(fds[4]);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.senders);
	EXPECT_TRUE(info.flags & MPSC_INFO_HUNG_UP);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(3, recv_check(self->rx, 16, 3, i));
	}
	EXPECT_EQ(0, read(self->rx, buf, sizeof(buf)));
}

TEST_F(mpsc, fork_shares_sender)
{
	struct mpsc_info info;
	int go[2];
	char c = 0;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(send_msg(self->tx, 7, 7) == 7 ? 0 : 1);
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(1, info.queued_msgs);

	/* The child keeps the sender alive after the parent closes it. */
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	close(self->tx);
	self->tx = -1;

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(7, recv_check(self->rx, 64, 7, 7));
	EXPECT_EQ(-1, read(self->rx, &c, 1));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(1, write(go[1], &c, 1));
	close(go[1]);
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.senders);
	EXPECT_EQ(0, read(self->rx, &c, 1));
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

TEST_F(mpsc, scm_rights_shares_sender)
{
	struct mpsc_info info;
	int sv[2], fd;
	char c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, send_fd(sv[0], self->tx));

	/* In flight, the socket holds the sender. */
	close(self->tx);
	self->tx = -1;
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);

	fd = recv_fd(sv[1]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(9, send_msg(fd, 9, 9));
	EXPECT_EQ(9, recv_check(self->rx, 64, 9, 9));

	close(fd);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.senders);
	EXPECT_EQ(0, read(self->rx, &c, 1));
	close(sv[0]);
	close(sv[1]);
}

/* 2.2 At most one receiver; forked holders of it take turns */

TEST_F(mpsc, second_receiver_is_busy)
{
	int fd;

	EXPECT_EQ(-1, open(self->dev, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);

	/* A dup of the receiver is the same receiver, not a second one. */
	fd = dup(self->rx);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, open(self->dev, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);

	close(self->rx);
	self->rx = open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	EXPECT_LE(0, self->rx);
}

#define TURN_MSGS	2000
#define TURN_READERS	4

TEST_F_TIMEOUT(mpsc, forked_receivers_take_turns, 60)
{
	unsigned int *seen;
	pid_t pids[TURN_READERS];
	int tx, i, failed = 0;
	uint32_t seq;

	seen = mmap(NULL, TURN_MSGS * sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, seen);

	/* The parent is the only sender: its close is the hang-up. */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	close(self->tx);
	self->tx = -1;
	set_nonblock(self->rx, false);

	for (i = 0; i < TURN_READERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			uint32_t buf[4];
			ssize_t n;

			close(tx);
			while ((n = read(self->rx, buf, sizeof(buf))) > 0) {
				if (n != sizeof(*buf) || buf[0] >= TURN_MSGS)
					_exit(2);
				__atomic_fetch_add(&seen[buf[0]], 1,
						   __ATOMIC_RELAXED);
			}
			_exit(n == 0 ? 0 : 3);
		}
	}

	for (seq = 0; seq < TURN_MSGS; seq++) {
		ASSERT_EQ(sizeof(seq), write(tx, &seq, sizeof(seq)));
	}
	close(tx);

	for (i = 0; i < TURN_READERS; i++) {
		EXPECT_EQ(0, wait_child(pids[i])) TH_LOG("reader %d", i);
	}
	for (i = 0; i < TURN_MSGS; i++)
		if (seen[i] != 1 && failed++ < 5)
			TH_LOG("message %d returned %u times", i, seen[i]);
	EXPECT_EQ(0, failed);
	munmap(seen, TURN_MSGS * sizeof(*seen));
}

/* 2.3 No O_RDWR, no seeking */

TEST_F(mpsc, open_rdwr_is_einval)
{
	struct mpsc_info info;

	EXPECT_EQ(-1, open(self->dev, O_RDWR | O_CLOEXEC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, open(self->dev, O_RDWR | O_NONBLOCK | O_CLOEXEC));
	EXPECT_EQ(EINVAL, errno);

	/* The failed opens attached nothing. */
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_TRUE(info.flags & MPSC_INFO_RECEIVER);
}

TEST_F(mpsc, lseek_is_espipe)
{
	int fds[2] = { self->rx, self->tx }, i;

	ASSERT_EQ(4, send_msg(self->tx, 4, 1));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, lseek(fds[i], 0, SEEK_SET));
		EXPECT_EQ(ESPIPE, errno);
		EXPECT_EQ(-1, lseek(fds[i], 1, SEEK_CUR));
		EXPECT_EQ(ESPIPE, errno);
		EXPECT_EQ(-1, lseek(fds[i], 0, SEEK_END));
		EXPECT_EQ(ESPIPE, errno);
	}
	EXPECT_EQ(4, recv_check(self->rx, 64, 4, 1));
}

TEST_F(mpsc, pread_pwrite_are_espipe)
{
	struct iovec iov;
	char buf[64];

	ASSERT_EQ(4, send_msg(self->tx, 4, 1));
	memset(buf, FILL_BYTE, sizeof(buf));
	EXPECT_EQ(-1, pread(self->rx, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	EXPECT_EQ(-1, preadv(self->rx, &iov, 1, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pwrite(self->tx, buf, 4, 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pwritev(self->tx, &iov, 1, 0));
	EXPECT_EQ(ESPIPE, errno);

	EXPECT_EQ(1, mpsc_queued(self->rx));
	EXPECT_EQ(4, recv_check(self->rx, 64, 4, 1));
}

/* 2.4 O_NONBLOCK for read and write; open never blocks */

TEST_F(mpsc, nonblocking_read_on_empty_is_eagain)
{
	unsigned char buf[64];
	int i;

	memset(buf, FILL_BYTE, sizeof(buf));
	EXPECT_EQ(-1, read(self->rx, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < (int)sizeof(buf); i++) {
		ASSERT_EQ(FILL_BYTE, buf[i]);
	}
}

TEST_F(mpsc, nonblocking_write_on_full_is_eagain)
{
	struct mpsc_info before, after;
	long n;

	n = fill_channel(self->tx, self->mid, 1);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, mpsc_info(self->rx, &before));

	EXPECT_EQ(-1, send_msg(self->tx, self->mid, 2));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, mpsc_info(self->rx, &after));
	EXPECT_EQ(before.queued_msgs, after.queued_msgs);
	EXPECT_EQ(before.sent, after.sent);
	EXPECT_EQ(0, after.blocked_writers);
}

TEST_F(mpsc, fcntl_nonblock_is_honoured)
{
	char buf[16];
	int tx;

	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	set_nonblock(tx, true);
	ASSERT_LT(0, fill_channel(tx, self->mid, 1));
	EXPECT_EQ(-1, send_msg(tx, self->mid, 2));
	EXPECT_EQ(EAGAIN, errno);
	close(tx);

	drain(self->rx);
	set_nonblock(self->rx, false);
	set_nonblock(self->rx, true);
	EXPECT_EQ(-1, read(self->rx, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(mpsc, open_never_blocks)
{
	struct io_op op;
	void *big;
	int rx, tx, tx2;

	/* A fresh channel: no sender has ever attached. */
	close(self->tx);
	close(self->rx);
	self->tx = -1;
	rx = open(self->dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rx);
	self->rx = rx;
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);

	/* Full channel and a writer waiting for room. */
	set_nonblock(tx, true);
	ASSERT_LT(0, fill_channel(tx, self->mid, 1));
	set_nonblock(tx, false);
	big = malloc(self->mid);
	ASSERT_NE(NULL, big);
	pat_fill(big, self->mid, 2);
	ASSERT_EQ(0, io_start(&op, io_write_fn, tx, big, self->mid));
	ASSERT_TRUE(wait_blocked_writers(rx, 1));

	tx2 = open(self->dev, O_WRONLY | O_CLOEXEC);
	EXPECT_LE(0, tx2);
	close(tx2);
	EXPECT_EQ(-1, open(self->dev, O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(EBUSY, errno);

	set_nonblock(rx, true);
	drain(rx);
	ASSERT_EQ(0, pthread_join(op.thread, NULL));
	EXPECT_EQ(self->mid, op.ret);
	close(tx);
	free(big);
}

/* 3.1 One write or writev is one message; messages never interleave */

TEST_F(mpsc, writev_of_many_iovecs_is_one_message)
{
	int iovcnt = sysconf(_SC_IOV_MAX);
	unsigned char *src, *got;
	struct mpsc_info info;
	struct iovec *iov;
	size_t total = 0, len;
	int i;

	if (iovcnt <= 0 || iovcnt > 1024)
		iovcnt = 1024;
	iov = calloc(iovcnt, sizeof(*iov));
	src = malloc((size_t)iovcnt * 16);
	got = malloc(self->max_msg);
	ASSERT_TRUE(iov && src && got);

	/* Scattered pieces of 0..6 bytes, 16 bytes apart. */
	for (i = 0; i < iovcnt; i++) {
		len = i % 7;
		if (total + len > self->max_msg)
			len = 0;
		iov[i].iov_base = src + (size_t)i * 16;
		iov[i].iov_len = len;
		pat_fill(iov[i].iov_base, 16, i);
		total += len;
	}
	EXPECT_EQ(total, writev(self->tx, iov, iovcnt));

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(total, info.queued_bytes);

	memset(got, FILL_BYTE, self->max_msg);
	ASSERT_EQ(total, read(self->rx, got, self->max_msg));
	for (i = 0, len = 0; i < iovcnt; len += iov[i].iov_len, i++) {
		ASSERT_EQ(0, memcmp(got + len, iov[i].iov_base,
				    iov[i].iov_len)) TH_LOG("iovec %d", i);
	}
	free(iov);
	free(src);
	free(got);
}

#define IL_WRITERS	4
#define IL_MSGS		50

struct il_hdr {
	uint32_t writer;
	uint32_t seq;
};

static int il_writer(int fd, uint32_t writer, size_t size)
{
	unsigned char *buf = malloc(size);
	struct il_hdr *h = (struct il_hdr *)buf;
	uint32_t seq;

	if (!buf)
		return 1;
	for (seq = 0; seq < IL_MSGS; seq++) {
		pat_fill(buf, size, writer << 16 | seq);
		h->writer = writer;
		h->seq = seq;
		if (write(fd, buf, size) != (ssize_t)size)
			return 2;
	}
	return 0;
}

/* Also 3.3: per-sender order holds under concurrency. */
TEST_F_TIMEOUT(mpsc, concurrent_writers_never_interleave, 120)
{
	size_t size = self->max_msg < 16384 ? self->max_msg : 16384;
	uint32_t next[IL_WRITERS] = { 0 };
	pid_t pids[IL_WRITERS];
	struct il_hdr *h;
	unsigned char *buf;
	int fds[IL_WRITERS], i, total = 0;
	ssize_t n;

	ASSERT_LE(sizeof(*h), size);
	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);
	h = (struct il_hdr *)buf;

	/* Writers 0 and 1 share one sender, 2 and 3 have their own. */
	fds[0] = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fds[0]);
	fds[1] = fds[0];
	for (i = 2; i < IL_WRITERS; i++) {
		fds[i] = open(self->dev, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	close(self->tx);
	self->tx = -1;
	for (i = 0; i < IL_WRITERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(self->rx);
			_exit(il_writer(fds[i], i, size));
		}
	}
	for (i = 1; i < IL_WRITERS; i++)
		close(fds[i]);
	set_nonblock(self->rx, false);

	while ((n = read(self->rx, buf, self->max_msg)) > 0) {
		ASSERT_EQ(size, n);
		ASSERT_GT(IL_WRITERS, h->writer);
		ASSERT_EQ(next[h->writer], h->seq)
			TH_LOG("writer %u out of order", h->writer);
		ASSERT_TRUE(pat_check(buf + sizeof(*h), size - sizeof(*h),
				      h->writer << 16 | h->seq, sizeof(*h)))
			TH_LOG("writer %u message %u mixed", h->writer, h->seq);
		next[h->writer]++;
		total++;
	}
	EXPECT_EQ(0, n);
	EXPECT_EQ(IL_WRITERS * IL_MSGS, total);
	for (i = 0; i < IL_WRITERS; i++) {
		EXPECT_EQ(0, wait_child(pids[i])) TH_LOG("writer %d", i);
	}
	free(buf);
}

/* 3.2 Message sizes: 0 queues nothing, 1..max_msg_size, above EMSGSIZE */

TEST_F(mpsc, zero_byte_write_queues_nothing)
{
	struct mpsc_info info;
	struct iovec iov[3];
	char buf[8];
	int i;

	EXPECT_EQ(0, write(self->tx, buf, 0));
	EXPECT_EQ(0, write(self->tx, NULL, 0));
	for (i = 0; i < 3; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = 0;
	}
	EXPECT_EQ(0, writev(self->tx, iov, 3));

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.used);
	EXPECT_EQ(0, info.sent);
	EXPECT_EQ(-1, read(self->rx, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	/* Nothing to queue, so a full channel does not refuse it either. */
	ASSERT_LT(0, fill_channel(self->tx, self->mid, 1));
	EXPECT_EQ(0, write(self->tx, buf, 0));
}

TEST_F(mpsc, max_msg_size_message_round_trips)
{
	unsigned char *buf;

	ASSERT_EQ(self->max_msg, send_msg(self->tx, self->max_msg, 5));
	EXPECT_EQ(self->max_msg,
		  recv_check(self->rx, self->max_msg, self->max_msg, 5));

	/* One byte is the smallest message. */
	ASSERT_EQ(1, send_msg(self->tx, 1, 6));
	EXPECT_EQ(1, recv_check(self->rx, self->max_msg, 1, 6));

	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-1, read(self->rx, buf, self->max_msg));
	EXPECT_EQ(EAGAIN, errno);
	free(buf);
}

TEST_F(mpsc, oversized_message_is_emsgsize)
{
	size_t over = (size_t)self->max_msg + 1;
	struct mpsc_info info;
	struct iovec iov[2];
	unsigned char *buf;
	int tx;

	buf = malloc(over);
	ASSERT_NE(NULL, buf);
	pat_fill(buf, over, 1);
	ASSERT_EQ(3, send_msg(self->tx, 3, 2));

	EXPECT_EQ(-1, write(self->tx, buf, over));
	EXPECT_EQ(EMSGSIZE, errno);

	iov[0].iov_base = buf;
	iov[0].iov_len = self->max_msg;
	iov[1].iov_base = buf;
	iov[1].iov_len = 1;
	EXPECT_EQ(-1, writev(self->tx, iov, 2));
	EXPECT_EQ(EMSGSIZE, errno);

	/* A blocking sender on a full channel fails at once, not later. */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_LE(0, fill_channel(self->tx, self->mid, 3));
	EXPECT_EQ(-1, write(tx, buf, over));
	EXPECT_EQ(EMSGSIZE, errno);
	close(tx);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(info.queued_msgs, info.sent);
	EXPECT_EQ(3, recv_check(self->rx, self->max_msg, 3, 2));
	while (info.queued_msgs-- > 1) {
		ASSERT_EQ(self->mid, recv_check(self->rx, self->max_msg,
						self->mid, 3));
	}
	EXPECT_EQ(-1, read(self->rx, buf, over));
	EXPECT_EQ(EAGAIN, errno);
	free(buf);
}

/* 3.3 Order: per sender and one total order across senders */

/* Sizes 1..200 in a scrambled order; the count fits the capacity. */
static size_t order_len(int i, unsigned int max_msg)
{
	return 1 + i * 37 % (max_msg < 200 ? max_msg : 200);
}

static int order_count(unsigned long long capacity, unsigned int len)
{
	unsigned long long n = capacity / len;

	return n < 300 ? n : 300;
}

TEST_F(mpsc, one_sender_order_is_kept)
{
	int n = order_count(self->capacity, 200 + self->overhead), i;

	for (i = 0; i < n; i++) {
		ASSERT_EQ(order_len(i, self->max_msg),
			  send_msg(self->tx, order_len(i, self->max_msg), i));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(order_len(i, self->max_msg),
			  recv_check(self->rx, 256, order_len(i, self->max_msg),
				     i)) TH_LOG("message %d", i);
	}
}

TEST_F(mpsc, senders_share_one_total_order)
{
	int n = order_count(self->capacity, 16 + self->overhead);
	unsigned int seed = 1;
	int tx[3], i, who;

	tx[0] = self->tx;
	for (i = 1; i < 3; i++) {
		tx[i] = open(self->dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, tx[i]);
	}
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		who = (seed >> 16) % 3;
		ASSERT_EQ(16, send_msg(tx[who], 16, i));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(16, recv_check(self->rx, 64, 16, i))
			TH_LOG("message %d", i);
	}
	close(tx[1]);
	close(tx[2]);
}

/* 3.4 Reads return one message; short reads; FIONREAD */

TEST_F(mpsc, short_reads_finish_message_before_next)
{
	unsigned char buf[256];
	int avail;

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(50, send_msg(self->tx, 50, 2));

	memset(buf, FILL_BYTE, sizeof(buf));
	ASSERT_EQ(30, read(self->rx, buf, 30));
	EXPECT_TRUE(pat_check(buf, 30, 1, 0));
	EXPECT_EQ(FILL_BYTE, buf[30]);
	avail = -1;
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(70, avail);

	ASSERT_EQ(30, read(self->rx, buf, 30));
	EXPECT_TRUE(pat_check(buf, 30, 1, 30));

	/* The rest of the head, not spilling into the next message. */
	memset(buf, FILL_BYTE, sizeof(buf));
	ASSERT_EQ(40, read(self->rx, buf, sizeof(buf)));
	EXPECT_TRUE(pat_check(buf, 40, 1, 60));
	EXPECT_EQ(FILL_BYTE, buf[40]);

	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(50, avail);
	EXPECT_EQ(50, recv_check(self->rx, sizeof(buf), 50, 2));
}

TEST_F(mpsc, read_never_spans_messages)
{
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(5, send_msg(self->tx, 5, i));
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(5, recv_check(self->rx, self->max_msg, 5, i));
	}
}

TEST_F(mpsc, fionread_gives_bytes_left_in_head)
{
	int avail;

	avail = -1;
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(0, avail);

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	ASSERT_EQ(20, send_msg(self->tx, 20, 2));
	avail = -1;
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(10, avail);
	avail = -1;
	ASSERT_EQ(0, ioctl(self->tx, FIONREAD, &avail));
	EXPECT_EQ(10, avail);

	EXPECT_EQ(10, recv_check(self->rx, 64, 10, 1));
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(20, avail);
	EXPECT_EQ(20, recv_check(self->rx, 64, 20, 2));
	avail = -1;
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(0, avail);

	EXPECT_EQ(-1, ioctl(self->rx, FIONREAD, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(mpsc, zero_byte_read_consumes_nothing)
{
	char buf[16];
	int avail;

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	EXPECT_EQ(0, read(self->rx, buf, 0));
	ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
	EXPECT_EQ(10, avail);
	EXPECT_EQ(10, recv_check(self->rx, sizeof(buf), 10, 1));
}

/* 3.5 Faults consume and queue nothing; bad input corrupts nothing */

TEST_F(mpsc, faulting_read_consumes_nothing)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct mpsc_info info;
	unsigned char *map;
	void *bad[3];
	char good[16];
	int i, avail;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	bad[0] = NULL;
	bad[1] = map + pg;		/* the PROT_NONE page */
	bad[2] = map + pg - 50;		/* 50 good bytes, then the hole */

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(10, read(self->rx, good, 10));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-1, raw_read(self->rx, bad[i], 100))
			TH_LOG("case %d", i);
		EXPECT_EQ(EFAULT, errno) TH_LOG("case %d", i);
		ASSERT_EQ(0, ioctl(self->rx, FIONREAD, &avail));
		EXPECT_EQ(90, avail) TH_LOG("case %d", i);
	}
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(0, info.received);

	/* The next good read gets the same bytes. */
	memset(map, FILL_BYTE, pg);
	ASSERT_EQ(90, read(self->rx, map + pg - 90, 90));
	EXPECT_TRUE(pat_check(map + pg - 90, 90, 1, 10));
	munmap(map, 2 * pg);
}

TEST_F(mpsc, faulting_write_queues_nothing)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map, good[64];
	struct mpsc_info info;
	struct iovec iov[3];
	void *bad[3];
	int i;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	memset(map, FILL_BYTE, pg);
	bad[0] = NULL;
	bad[1] = map + pg;
	bad[2] = map + pg - 50;

	ASSERT_EQ(20, send_msg(self->tx, 20, 1));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-1, raw_write(self->tx, bad[i], 100))
			TH_LOG("case %d", i);
		EXPECT_EQ(EFAULT, errno) TH_LOG("case %d", i);
	}

	/* One bad piece spoils the whole writev (92 bytes in all). */
	pat_fill(good, sizeof(good), 2);
	iov[0].iov_base = good;
	iov[0].iov_len = 16;
	iov[1].iov_base = bad[2];
	iov[1].iov_len = 60;
	iov[2].iov_base = good;
	iov[2].iov_len = 16;
	EXPECT_EQ(-1, raw_writev(self->tx, iov, 3));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, raw_writev(self->tx, NULL, 2));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(20, info.queued_bytes);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(20, recv_check(self->rx, 256, 20, 1));
	EXPECT_EQ(-1, read(self->rx, good, sizeof(good)));
	EXPECT_EQ(EAGAIN, errno);
	munmap(map, 2 * pg);
}

static bool errno_is_bad_length(void)
{
	return errno == EFAULT || errno == EINVAL || errno == EMSGSIZE;
}

TEST_F(mpsc, absurd_lengths_fail_without_side_effects)
{
	size_t lens[] = { SIZE_MAX, SIZE_MAX / 2, (size_t)INT_MAX + 1,
			  (size_t)UINT_MAX };
	struct mpsc_info info;
	struct iovec iov[2];
	unsigned char *buf;
	unsigned int i;

	buf = malloc(self->max_msg + 1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(100, send_msg(self->tx, 100, 1));

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		EXPECT_EQ(-1, raw_write(self->tx, buf, lens[i])) TH_LOG("%zx",
								  lens[i]);
		EXPECT_TRUE(errno_is_bad_length()) TH_LOG("%zx: %m", lens[i]);
	}
	iov[0].iov_base = buf;
	iov[0].iov_len = SSIZE_MAX;
	iov[1].iov_base = buf;
	iov[1].iov_len = SSIZE_MAX;
	EXPECT_EQ(-1, raw_writev(self->tx, iov, 2));
	EXPECT_TRUE(errno_is_bad_length()) TH_LOG("%m");
	EXPECT_EQ(-1, raw_writev(self->tx, iov, INT_MAX));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, raw_read(self->rx, buf, SIZE_MAX));
	EXPECT_TRUE(errno == EFAULT || errno == EINVAL) TH_LOG("%m");

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(0, info.received);

	/* A huge count with a message that fits the real buffer is fine. */
	memset(buf, FILL_BYTE, self->max_msg + 1);
	EXPECT_EQ(100, raw_read(self->rx, buf, (size_t)INT_MAX + 1));
	EXPECT_TRUE(pat_check(buf, 100, 1, 0));
	EXPECT_EQ(FILL_BYTE, buf[100]);
	free(buf);
}

TEST_F(mpsc, unknown_ioctls_are_enotty)
{
	unsigned long cmds[] = {
		_IO(MPSC_IOC_MAGIC, 0x1f),
		_IOWR(MPSC_IOC_MAGIC, 0x02, struct mpsc_info),
		_IOR(MPSC_IOC_MAGIC, 0x10, __u64),
		_IOWR('x', 0x00, struct mpsc_info),
		TCGETS,
	};
	int fds[2] = { self->rx, self->tx };
	unsigned char arg[256];
	unsigned int i, f;

	ASSERT_EQ(4, send_msg(self->tx, 4, 1));
	for (f = 0; f < 2; f++) {
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			memset(arg, 0, sizeof(arg));
			EXPECT_EQ(-1, ioctl(fds[f], cmds[i], arg))
				TH_LOG("fd %u cmd %#lx", f, cmds[i]);
			EXPECT_EQ(ENOTTY, errno)
				TH_LOG("fd %u cmd %#lx", f, cmds[i]);
		}
	}
	EXPECT_EQ(4, recv_check(self->rx, 64, 4, 1));
}

TEST_F(mpsc, info_rejects_bad_input_fields)
{
	__u32 sizes[] = { 0, 8, sizeof(struct mpsc_info) - 8,
			  sizeof(struct mpsc_info) + 8, UINT32_MAX };
	struct mpsc_info info;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizes[i];
		EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_INFO, &info))
			TH_LOG("size %u", sizes[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", sizes[i]);
	}

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.flags = MPSC_INFO_RECEIVER;
	EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	for (i = 0; i < 4; i++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.reserved[i] = 1;
		EXPECT_EQ(-1, ioctl(self->tx, MPSC_IOC_INFO, &info))
			TH_LOG("reserved[%u]", i);
		EXPECT_EQ(EINVAL, errno) TH_LOG("reserved[%u]", i);
	}

	/* Fields that are outputs only may hold anything on input. */
	memset(&info, FILL_BYTE, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	memset(info.reserved, 0, sizeof(info.reserved));
	EXPECT_EQ(0, ioctl(self->rx, MPSC_IOC_INFO, &info));
}

TEST_F(mpsc, info_bad_pointer_is_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map;
	struct mpsc_info *straddle;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	straddle = (struct mpsc_info *)(map + pg - 16);
	memset(straddle, 0, 16);
	straddle->size = sizeof(struct mpsc_info);

	EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_INFO, unmapped_addr()));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->tx, MPSC_IOC_INFO, straddle));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, 2 * pg);
}

/* 4.1 Capacity: payload plus a fixed overhead per message */

TEST_F_TIMEOUT(mpsc, capacity_holds_exact_message_count, 60)
{
	size_t sizes[] = { 1, 100, 1000, 4096, self->max_msg };
	unsigned long long want, room;
	struct mpsc_info info;
	unsigned int i;
	long n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];

		if (len > self->max_msg)
			continue;
		want = self->capacity / (len + self->overhead);
		n = fill_channel(self->tx, len, i);
		EXPECT_EQ(want, n) TH_LOG("%zu-byte messages", len);

		ASSERT_EQ(0, mpsc_info(self->rx, &info));
		EXPECT_EQ(n, info.queued_msgs);
		EXPECT_EQ(n * len, info.queued_bytes);
		EXPECT_EQ(n * (len + self->overhead), info.used);
		EXPECT_EQ(n, info.sent);

		/* Whatever room is left takes a 1-byte message or not. */
		room = self->capacity - info.used;
		if (room >= 1 + self->overhead) {
			EXPECT_EQ(1, send_msg(self->tx, 1, 99));
		} else {
			EXPECT_EQ(-1, send_msg(self->tx, 1, 99));
			EXPECT_EQ(EAGAIN, errno);
		}

		/* Consuming one message makes room for exactly one. */
		drain(self->rx);
		n = fill_channel(self->tx, len, i);
		ASSERT_EQ(want, n);
		ASSERT_EQ(len, recv_check(self->rx, self->max_msg, len, i));
		EXPECT_EQ(len, send_msg(self->tx, len, i));
		EXPECT_EQ(-1, send_msg(self->tx, len, i));
		EXPECT_EQ(EAGAIN, errno);

		/* A fresh channel, with fresh counters, for the next size. */
		close(self->rx);
		self->rx = open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, self->rx);
		close(self->tx);
		self->tx = open(self->dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		ASSERT_LE(0, self->tx);
	}
}

TEST_F(mpsc, info_limits_match_module_params)
{
	unsigned long long val;
	struct mpsc_info info;

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	ASSERT_EQ(0, read_u64_file(MPSC_PARAM_DIR "/capacity", &val));
	EXPECT_EQ(val, info.capacity);
	ASSERT_EQ(0, read_u64_file(MPSC_PARAM_DIR "/max_msg_size", &val));
	EXPECT_EQ(val, info.max_msg_size);
	EXPECT_EQ(64, info.msg_overhead);
	EXPECT_LE(info.max_msg_size + info.msg_overhead, info.capacity);
}

/* 4.2 Writes block until the whole message fits; reads until one is queued */

/*
 * A filler size small enough that freeing one filler message never makes
 * room for a max_msg_size message: 2 * (small + overhead) <= max + overhead.
 */
static size_t small_len(unsigned int max_msg, unsigned int overhead)
{
	size_t len = max_msg > overhead ? (max_msg - overhead) / 2 : 0;

	return len < 100 ? len : 100;
}

TEST_F(mpsc, blocked_write_waits_for_whole_message_room)
{
	size_t small = small_len(self->max_msg, self->overhead);
	size_t big = self->mid;
	unsigned long long freed;
	struct mpsc_info info;
	struct io_op op;
	unsigned char *buf;
	long n, i, need;
	int tx;

	ASSERT_LT(0, small);
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	n = fill_channel(self->tx, small, 1);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));

	/* How many small messages must go before the big one fits. */
	freed = self->capacity - info.used;
	for (need = 0; freed < big + self->overhead; need++)
		freed += small + self->overhead;
	ASSERT_LT(1, need);
	ASSERT_GE(n, need);

	buf = malloc(big);
	ASSERT_NE(NULL, buf);
	pat_fill(buf, big, 2);
	ASSERT_EQ(0, io_start(&op, io_write_fn, tx, buf, big));
	ASSERT_TRUE(io_wait_blocked(&op));
	ASSERT_TRUE(wait_blocked_writers(self->rx, 1));

	for (i = 0; i < need - 1; i++) {
		ASSERT_EQ(small, recv_check(self->rx, 256, small, 1));
		ASSERT_EQ(0, mpsc_info(self->rx, &info));
		EXPECT_EQ(n - i - 1, info.queued_msgs);
		EXPECT_EQ(1, info.blocked_writers);
		EXPECT_FALSE(io_done(&op));
	}
	ASSERT_EQ(small, recv_check(self->rx, 256, small, 1));
	ASSERT_TRUE(io_wait_done(&op));
	EXPECT_EQ(big, op.ret);
	pthread_join(op.thread, NULL);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(n - need + 1, info.queued_msgs);
	for (i = 0; i < n - need; i++) {
		ASSERT_EQ(small, recv_check(self->rx, 2048, small, 1));
	}
	EXPECT_EQ(big, recv_check(self->rx, 2048, big, 2));
	close(tx);
	free(buf);
}

TEST_F(mpsc, blocked_read_waits_for_message)
{
	unsigned char buf[64];
	struct io_op op;

	set_nonblock(self->rx, false);
	memset(buf, FILL_BYTE, sizeof(buf));
	ASSERT_EQ(0, io_start(&op, io_read_fn, self->rx, buf, sizeof(buf)));
	ASSERT_TRUE(io_wait_blocked(&op));
	EXPECT_FALSE(io_done(&op));

	ASSERT_EQ(12, send_msg(self->tx, 12, 3));
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(12, op.ret);
	EXPECT_TRUE(pat_check(buf, 12, 3, 0));
	EXPECT_EQ(FILL_BYTE, buf[12]);
}

/* 4.4 Blocked writers are served in arrival order, one at a time */

#define FIFO_WRITERS	4

static int start_writer(struct io_op *op, const char *dev, size_t len,
			unsigned int tag)
{
	unsigned char *buf = malloc(len);
	int fd = open(dev, O_WRONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		return -1;
	pat_fill(buf, len, tag);
	return io_start(op, io_write_fn, fd, buf, len);
}

/*
 * Writers 0 (big), 1 and 2 (small) park on a full channel in that order.
 * Once room for a small message frees, writer 3 (small) arrives: it must
 * queue behind them too, and the messages come out 0, 1, 2, 3.
 */
TEST_F(mpsc, blocked_writers_are_served_in_arrival_order)
{
	size_t small = small_len(self->max_msg, self->overhead);
	size_t lens[FIFO_WRITERS] = { self->max_msg < 2000 ? self->max_msg :
				      2000, small, small, small };
	int order[FIFO_WRITERS], seen = 0, i;
	struct io_op op[FIFO_WRITERS];
	unsigned char rbuf[4096];
	long n;

	ASSERT_LT(0, small);
	n = fill_channel(self->tx, small, 1);
	ASSERT_LT(0, n);
	for (i = 0; i < FIFO_WRITERS - 1; i++) {
		ASSERT_EQ(0, start_writer(&op[i], self->dev, lens[i], 100 + i));
		ASSERT_TRUE(wait_blocked_writers(self->rx, i + 1));
	}

	/* Room for a small message now, but the queue of writers is first. */
	ASSERT_EQ(small, recv_check(self->rx, sizeof(rbuf), small, 1));
	EXPECT_EQ(-1, send_msg(self->tx, small, 9));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, start_writer(&op[i], self->dev, lens[i], 100 + i));
	EXPECT_TRUE(io_wait_blocked(&op[i])) TH_LOG("late writer overtook");
	EXPECT_EQ(n - 1, mpsc_queued(self->rx));
	EXPECT_EQ(FIFO_WRITERS, mpsc_blocked_writers(self->rx));

	/* Drain everything and note the order of the writers' messages. */
	for (;;) {
		ssize_t r = read(self->rx, rbuf, sizeof(rbuf));

		if (r < 0) {
			ASSERT_EQ(EAGAIN, errno);
			for (i = 0; i < FIFO_WRITERS && io_done(&op[i]); i++)
				;
			if (i == FIFO_WRITERS && mpsc_queued(self->rx) == 0)
				break;
			sleep_ms(1);
			continue;
		}
		for (i = 0; i < FIFO_WRITERS; i++)
			if ((size_t)r == lens[i] &&
			    pat_check(rbuf, r, 100 + i, 0))
				break;
		if (i < FIFO_WRITERS) {
			ASSERT_GT(FIFO_WRITERS, seen);
			order[seen++] = i;
		}
	}
	ASSERT_EQ(FIFO_WRITERS, seen);
	for (i = 0; i < FIFO_WRITERS; i++) {
		EXPECT_EQ(i, order[i]) TH_LOG("position %d", i);
	}
	for (i = 0; i < FIFO_WRITERS; i++) {
		pthread_join(op[i].thread, NULL);
		EXPECT_EQ(lens[i], op[i].ret);
		close(op[i].fd);
		free(op[i].buf);
	}
}

#define WAKE_WRITERS	3

/*
 * Voluntary context switches of a sleeping task, read until two readings
 * 20 ms apart agree: a task seen in state S may not have reached
 * schedule() yet, and that switch must not count as a wake-up.
 */
static long long settled_switches(pid_t pid)
{
	long long prev = -1, cur;
	int i;

	for (i = 0; i < 100; i++) {
		cur = proc_status_field(pid, "voluntary_ctxt_switches");
		if (cur == prev)
			return cur;
		prev = cur;
		sleep_ms(20);
	}
	return -1;
}

TEST_F(mpsc, freed_slot_wakes_one_writer)
{
	long long before[WAKE_WRITERS], after;
	pid_t pids[WAKE_WRITERS];
	int i;
	long n;

	n = fill_channel(self->tx, 100, 1);
	ASSERT_LT(0, n);
	for (i = 0; i < WAKE_WRITERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int tx = open(self->dev, O_WRONLY | O_CLOEXEC);

			close(self->rx);
			_exit(tx >= 0 && send_msg(tx, 100, 10 + i) == 100 ?
			      0 : 1);
		}
		ASSERT_TRUE(wait_blocked_writers(self->rx, i + 1));
	}
	for (i = 0; i < WAKE_WRITERS; i++) {
		ASSERT_TRUE(wait_sleeping(pids[i], pids[i]));
		before[i] = settled_switches(pids[i]);
		ASSERT_LE(0, before[i]);
	}

	/* Room for one message: the first writer, and nobody else, wakes. */
	ASSERT_EQ(100, recv_check(self->rx, 256, 100, 1));
	EXPECT_EQ(0, wait_child(pids[0]));
	ASSERT_TRUE(wait_queued(self->rx, n, WAIT_MS));
	sleep_ms(50);
	EXPECT_EQ(WAKE_WRITERS - 1, mpsc_blocked_writers(self->rx));
	for (i = 1; i < WAKE_WRITERS; i++) {
		after = proc_status_field(pids[i], "voluntary_ctxt_switches");
		EXPECT_EQ(before[i], after) TH_LOG("writer %d woke", i);
	}

	for (i = 1; i < WAKE_WRITERS; i++) {
		ASSERT_EQ(100, recv_check(self->rx, 256, 100, 1));
		EXPECT_EQ(0, wait_child(pids[i]));
	}
	for (i = 0; i < n - WAKE_WRITERS; i++) {
		ASSERT_EQ(100, recv_check(self->rx, 256, 100, 1));
	}
	for (i = 0; i < WAKE_WRITERS; i++) {
		EXPECT_EQ(100, recv_check(self->rx, 256, 100, 10 + i));
	}
}

/* 5.3 Messages sent before any receiver wait for the first one */

TEST_F(mpsc, messages_before_receiver_are_kept)
{
	char buf[16];
	int tx, rx;

	close(self->tx);
	close(self->rx);
	self->tx = -1;
	self->rx = -1;

	/* echo a >/dev/mpscN; echo b >/dev/mpscN; cat /dev/mpscN */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_EQ(2, write(tx, "a\n", 2));
	close(tx);
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_EQ(2, write(tx, "b\n", 2));
	close(tx);

	rx = open(self->dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rx);
	self->rx = rx;
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(2, read(rx, buf, sizeof(buf)));
	EXPECT_STREQ("a\n", buf);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(2, read(rx, buf, sizeof(buf)));
	EXPECT_STREQ("b\n", buf);
	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
}

/* 6.1 Receiver readiness */

#define POLLOUT_BITS	(POLLOUT | POLLWRNORM)

static short poll_now(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

TEST_F(mpsc, receiver_poll_reports_messages_and_hangup)
{
	struct timeval tv = { 0, 0 };
	fd_set rfds;

	EXPECT_EQ(0, poll_now(self->rx, POLLIN | POLLRDNORM));

	ASSERT_EQ(5, send_msg(self->tx, 5, 1));
	EXPECT_EQ(POLLIN | POLLRDNORM, poll_now(self->rx, POLLIN | POLLRDNORM));
	FD_ZERO(&rfds);
	FD_SET(self->rx, &rfds);
	EXPECT_EQ(1, select(self->rx + 1, &rfds, NULL, NULL, &tv));

	ASSERT_EQ(5, recv_check(self->rx, 64, 5, 1));
	EXPECT_EQ(0, poll_now(self->rx, POLLIN | POLLRDNORM));

	/* Hang-up with a message queued: the message first, then POLLHUP. */
	ASSERT_EQ(5, send_msg(self->tx, 5, 2));
	close(self->tx);
	self->tx = -1;
	EXPECT_TRUE(poll_now(self->rx, POLLIN) & POLLIN);
	ASSERT_EQ(5, recv_check(self->rx, 64, 5, 2));
	EXPECT_EQ(POLLHUP, poll_now(self->rx, POLLIN | POLLRDNORM));
}

TEST_F(mpsc, receiver_poll_quiet_before_any_sender)
{
	close(self->tx);
	close(self->rx);
	self->tx = -1;
	self->rx = open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->rx);
	EXPECT_EQ(0, poll_now(self->rx, POLLIN | POLLRDNORM));
}

TEST_F(mpsc, level_triggered_epoll_on_receiver)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->rx, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	ASSERT_EQ(5, send_msg(self->tx, 5, 1));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_EQ(EPOLLIN, out.events);
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	EXPECT_EQ(EPOLLIN, out.events);

	ASSERT_EQ(5, recv_check(self->rx, 64, 5, 1));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	close(ep);
}

/* 6.2 Sender readiness */

TEST_F(mpsc, sender_poll_reports_room_for_4096_bytes)
{
	unsigned int probe = self->max_msg < 4096 ? self->max_msg : 4096;
	unsigned long long need = probe + self->overhead;
	unsigned char *buf;

	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->tx, POLLOUT_BITS));

	ASSERT_LT(0, fill_to_room(self->tx, self->capacity, self->max_msg,
				  self->overhead, need));
	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->tx, POLLOUT_BITS));

	drain(self->rx);
	ASSERT_LT(0, fill_to_room(self->tx, self->capacity, self->max_msg,
				  self->overhead, need - 1));
	EXPECT_EQ(0, poll_now(self->tx, POLLOUT | POLLWRNORM));
	EXPECT_EQ(-1, send_msg(self->tx, probe, 1));
	EXPECT_EQ(EAGAIN, errno);

	/* Any consumed message frees at least one overhead's worth. */
	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, read(self->rx, buf, self->max_msg));
	EXPECT_EQ(POLLOUT | POLLWRNORM, poll_now(self->tx, POLLOUT_BITS));
	free(buf);
}

TEST_F(mpsc, sender_poll_err_after_disconnect)
{
	EXPECT_EQ(0, poll_now(self->tx, POLLOUT) & POLLERR);
	close(self->rx);
	self->rx = -1;
	EXPECT_TRUE(poll_now(self->tx, POLLOUT) & POLLERR);
	EXPECT_EQ(-1, send_msg(self->tx, 4, 1));
	EXPECT_EQ(EPIPE, errno);
}

TEST_F(mpsc, sender_poll_quiet_while_writer_waits)
{
	unsigned int probe = self->max_msg < 4096 ? self->max_msg : 4096;
	struct mpsc_info info;
	struct io_op op;
	unsigned char *buf;
	int tx;

	if (self->max_msg < 2 * (probe + self->overhead))
		SKIP(return, "max_msg_size %u too small", self->max_msg);

	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_LT(0, fill_channel(self->tx, 100, 1));
	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);
	pat_fill(buf, self->max_msg, 2);
	ASSERT_EQ(0, io_start(&op, io_write_fn, tx, buf, self->max_msg));
	ASSERT_TRUE(wait_blocked_writers(self->rx, 1));

	/* Free room for a 4096-byte message but not for the waiting one. */
	do {
		ASSERT_EQ(100, recv_check(self->rx, 256, 100, 1));
		ASSERT_EQ(0, mpsc_info(self->rx, &info));
	} while (self->capacity - info.used < probe + self->overhead);
	ASSERT_GT(self->max_msg + self->overhead, self->capacity - info.used);

	EXPECT_EQ(0, poll_now(self->tx, POLLOUT | POLLWRNORM));
	EXPECT_EQ(-1, send_msg(self->tx, probe, 3));
	EXPECT_EQ(EAGAIN, errno);

	drain(self->rx);
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(self->max_msg, op.ret);
	close(tx);
	free(buf);
}

/* 6.3 Every state change wakes its waiters, edge-triggered ones too */

#define ET_MSGS		200

TEST_F_TIMEOUT(mpsc, edge_triggered_epoll_sees_every_message, 60)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
	int ep, go[2], i, tx, got = 0;
	unsigned char buf[64];
	char c = 0;
	ssize_t n;
	pid_t pid;

	/* The child's sender is the only one: its exit is the hang-up. */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	close(self->tx);
	self->tx = -1;
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->rx);
		close(go[1]);
		/* One message per token, so each is its own edge. */
		for (i = 0; i < ET_MSGS; i++)
			if (read(go[0], &c, 1) != 1 || send_msg(tx, 8, i) != 8)
				_exit(2);
		/* Leave only once the parent has drained everything. */
		_exit(read(go[0], &c, 1) == 1 ? 0 : 3);
	}
	close(tx);
	close(go[0]);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->rx, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	for (i = 0; i < ET_MSGS; i++) {
		ASSERT_EQ(1, write(go[1], &c, 1));
		ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000))
			TH_LOG("no edge for message %d", i);
		EXPECT_EQ(EPOLLIN, out.events);
		while ((n = read(self->rx, buf, sizeof(buf))) == 8)
			got++;
		EXPECT_EQ(-1, n);
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(i + 1, got);
		EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	}
	ASSERT_EQ(1, write(go[1], &c, 1));
	EXPECT_EQ(0, wait_child(pid));

	/* The writer's exit on an empty queue is one more edge: hang-up. */
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000));
	EXPECT_TRUE(out.events & EPOLLHUP);
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	EXPECT_EQ(ET_MSGS, got);
	close(go[1]);
	close(ep);
}

TEST_F(mpsc, edge_triggered_epoll_sees_room_for_sender)
{
	unsigned int len = self->max_msg < 4096 ? self->max_msg : 4096;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET }, out;
	unsigned char *buf;
	int ep, i;

	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);
	ASSERT_LT(0, fill_channel(self->tx, len, 1));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->tx, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));

	/* Each consumed message is room for one more: one edge each time. */
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(len, read(self->rx, buf, self->max_msg));
		ASSERT_EQ(1, epoll_wait(ep, &out, 1, 10000))
			TH_LOG("no edge after read %d", i);
		EXPECT_TRUE(out.events & EPOLLOUT);
		EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
		ASSERT_EQ(len, send_msg(self->tx, len, 2));
		EXPECT_EQ(-1, send_msg(self->tx, len, 2));
		EXPECT_EQ(EAGAIN, errno);
	}
	close(ep);
	free(buf);
}

#define LW_SENDERS	8
#define LW_MSGS		300

TEST_F_TIMEOUT(mpsc, no_lost_wakeups_with_many_senders, 120)
{
	size_t len = self->max_msg < 1000 ? self->max_msg : 1000;
	pid_t pids[LW_SENDERS];
	int i, j, got = 0, hup = 0, tx[LW_SENDERS];
	struct pollfd pfd;
	unsigned char *buf;
	ssize_t n;

	buf = malloc(self->max_msg);
	ASSERT_NE(NULL, buf);

	/* Senders open before the fork, so no early hang-up is seen. */
	for (i = 0; i < LW_SENDERS; i++) {
		tx[i] = open(self->dev, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, tx[i]);
	}
	close(self->tx);
	self->tx = -1;
	for (i = 0; i < LW_SENDERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(self->rx);
			for (j = 0; j < LW_MSGS; j++)
				if (send_msg(tx[i], len, i) != (ssize_t)len)
					_exit(2);
			_exit(0);
		}
	}
	for (i = 0; i < LW_SENDERS; i++)
		close(tx[i]);

	/* poll() then drain without blocking; a lost wake-up is a timeout. */
	while (!hup) {
		pfd.fd = self->rx;
		pfd.events = POLLIN;
		ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("after %d", got);
		while ((n = read(self->rx, buf, self->max_msg)) > 0) {
			ASSERT_EQ(len, n);
			got++;
		}
		if (n == 0) {
			hup = 1;
		} else {
			ASSERT_EQ(EAGAIN, errno);
		}
	}
	EXPECT_EQ(LW_SENDERS * LW_MSGS, got);
	for (i = 0; i < LW_SENDERS; i++) {
		EXPECT_EQ(0, wait_child(pids[i]));
	}
	free(buf);
}

TEST_F(mpsc, blocked_reader_wakes_at_hangup)
{
	unsigned char buf[16];
	struct io_op op;

	set_nonblock(self->rx, false);
	ASSERT_EQ(0, io_start(&op, io_read_fn, self->rx, buf, sizeof(buf)));
	ASSERT_TRUE(io_wait_blocked(&op));
	close(self->tx);
	self->tx = -1;
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(0, op.ret);
}

/* 6.4 O_ASYNC */

static int setup_async(int fd, int sig)
{
	if (fcntl(fd, F_SETOWN, getpid()) || fcntl(fd, F_SETSIG, sig))
		return -1;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

/*
 * Wait up to @ms for the blocked signal @sig. Returns the fd it names
 * (queued F_SETSIG signals carry one), or -1 when none came.
 */
static int wait_sig(int sig, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	siginfo_t si;
	sigset_t set;

	memset(&si, 0, sizeof(si));
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigtimedwait(&set, &si, &ts) != sig)
		return -1;
	return si.si_fd;
}

static void flush_sig(int sig)
{
	while (wait_sig(sig, 0) != -1)
		;
}

TEST_F(mpsc, sigio_to_receiver_for_each_message_and_hangup)
{
	int sig = SIGRTMIN + 1, i;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, setup_async(self->rx, sig));

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(4, send_msg(self->tx, 4, i));
		EXPECT_EQ(self->rx, wait_sig(sig, 5000))
			TH_LOG("message %d", i);
	}
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(4, recv_check(self->rx, 64, 4, i));
	}
	flush_sig(sig);

	close(self->tx);
	self->tx = -1;
	EXPECT_EQ(self->rx, wait_sig(sig, 5000)) TH_LOG("no SIGIO at hang-up");
}

TEST_F(mpsc, sigio_default_signal_reaches_receiver_owner)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, fcntl(self->rx, F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(self->rx, F_SETFL,
			   fcntl(self->rx, F_GETFL) | O_ASYNC));
	flush_sig(SIGIO);

	ASSERT_EQ(4, send_msg(self->tx, 4, 1));
	EXPECT_NE(-1, wait_sig(SIGIO, 5000));
}

TEST_F(mpsc, sigio_to_sender_on_room_and_disconnect)
{
	int sig = SIGRTMIN + 2, i;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, setup_async(self->tx, sig));

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(4, send_msg(self->tx, 4, i));
	}
	flush_sig(sig);

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(4, recv_check(self->rx, 64, 4, i));
		EXPECT_EQ(self->tx, wait_sig(sig, 5000)) TH_LOG("read %d", i);
		flush_sig(sig);
	}

	close(self->rx);
	self->rx = -1;
	EXPECT_EQ(self->tx, wait_sig(sig, 5000))
		TH_LOG("no SIGIO at disconnect");
}

/* 7.1 The ABI: fixed-width fields, padding, one magic */

TEST(abi_layout_is_fixed)
{
	EXPECT_EQ(0, sizeof(struct mpsc_info) % 8);
	EXPECT_EQ(112, sizeof(struct mpsc_info));
	EXPECT_EQ(0, offsetof(struct mpsc_info, size));
	EXPECT_EQ(16, offsetof(struct mpsc_info, queued_msgs));
	EXPECT_EQ(48, offsetof(struct mpsc_info, max_msg_size));
	EXPECT_EQ(56, offsetof(struct mpsc_info, sent));
	EXPECT_EQ(80, offsetof(struct mpsc_info, reserved));

	EXPECT_EQ(0, sizeof(struct mpsc_recv_batch) % 8);
	EXPECT_EQ(32, sizeof(struct mpsc_recv_batch));
	EXPECT_EQ(16, offsetof(struct mpsc_recv_batch, buf_len));

	EXPECT_EQ(MPSC_IOC_MAGIC, _IOC_TYPE(MPSC_IOC_INFO));
	EXPECT_EQ(MPSC_IOC_MAGIC, _IOC_TYPE(MPSC_IOC_RECV));
	EXPECT_GE(0x1f, _IOC_NR(MPSC_IOC_INFO));
	EXPECT_GE(0x1f, _IOC_NR(MPSC_IOC_RECV));
	EXPECT_NE(_IOC_NR(MPSC_IOC_INFO), _IOC_NR(MPSC_IOC_RECV));
	EXPECT_EQ(sizeof(struct mpsc_info), _IOC_SIZE(MPSC_IOC_INFO));
	EXPECT_EQ(sizeof(struct mpsc_recv_batch), _IOC_SIZE(MPSC_IOC_RECV));
	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(MPSC_IOC_INFO));
}

/* 7.2 MPSC_IOC_INFO figures */

static void expect_fresh_info(struct __test_metadata *_metadata,
			      const struct mpsc_info *info)
{
	EXPECT_EQ(sizeof(*info), info->size);
	EXPECT_EQ(0, info->blocked_writers);
	EXPECT_EQ(0, info->queued_msgs);
	EXPECT_EQ(0, info->queued_bytes);
	EXPECT_EQ(0, info->used);
	EXPECT_EQ(0, info->sent);
	EXPECT_EQ(0, info->received);
	EXPECT_EQ(0, info->dropped);
}

TEST_F(mpsc, info_reports_known_state)
{
	unsigned int ov = self->overhead;
	struct mpsc_info info;
	char buf[64];

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	expect_fresh_info(_metadata, &info);
	EXPECT_EQ(MPSC_INFO_RECEIVER, info.flags);
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(self->capacity, info.capacity);

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	ASSERT_EQ(20, send_msg(self->tx, 20, 2));
	ASSERT_EQ(30, send_msg(self->tx, 30, 3));
	ASSERT_EQ(0, mpsc_info(self->tx, &info));
	EXPECT_EQ(3, info.queued_msgs);
	EXPECT_EQ(60, info.queued_bytes);
	EXPECT_EQ(60 + 3 * ov, info.used);
	EXPECT_EQ(3, info.sent);
	EXPECT_EQ(0, info.received);

	/* A partly read head is still queued and counted in full. */
	ASSERT_EQ(4, read(self->rx, buf, 4));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(3, info.queued_msgs);
	EXPECT_EQ(60, info.queued_bytes);
	EXPECT_EQ(60 + 3 * ov, info.used);
	EXPECT_EQ(0, info.received);

	ASSERT_EQ(6, read(self->rx, buf, sizeof(buf)));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(2, info.queued_msgs);
	EXPECT_EQ(50, info.queued_bytes);
	EXPECT_EQ(50 + 2 * ov, info.used);
	EXPECT_EQ(1, info.received);

	/* Closing the receiver drops the rest; the sender still sees it. */
	close(self->rx);
	self->rx = -1;
	ASSERT_EQ(0, mpsc_info(self->tx, &info));
	EXPECT_EQ(MPSC_INFO_DISCONNECTED,
		  info.flags & (MPSC_INFO_DISCONNECTED | MPSC_INFO_RECEIVER));
	EXPECT_EQ(2, info.dropped);
	EXPECT_EQ(3, info.sent);
	EXPECT_EQ(1, info.received);
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.used);
}

TEST_F(mpsc, info_flags_track_hangup)
{
	struct mpsc_info info;
	int tx;

	close(self->tx);
	self->tx = -1;
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(MPSC_INFO_RECEIVER | MPSC_INFO_HUNG_UP, info.flags);
	EXPECT_EQ(0, info.senders);

	/* A new sender re-arms the channel. */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(MPSC_INFO_RECEIVER, info.flags);
	EXPECT_EQ(1, info.senders);
	close(tx);
}

TEST_F(mpsc, info_same_through_sender_and_receiver)
{
	struct mpsc_info a, b;

	ASSERT_EQ(7, send_msg(self->tx, 7, 1));
	ASSERT_EQ(0, mpsc_info(self->rx, &a));
	ASSERT_EQ(0, mpsc_info(self->tx, &b));
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

/* 8.2 Every byte of the INFO output is written */

TEST_F(mpsc, info_output_fully_written)
{
	struct mpsc_info info;
	unsigned int i;

	ASSERT_EQ(9, send_msg(self->tx, 9, 1));
	memset(&info, FILL_BYTE, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	memset(info.reserved, 0, sizeof(info.reserved));
	ASSERT_EQ(0, ioctl(self->rx, MPSC_IOC_INFO, &info));

	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(MPSC_INFO_RECEIVER, info.flags);
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(9, info.queued_bytes);
	EXPECT_EQ(9 + self->overhead, info.used);
	EXPECT_EQ(self->capacity, info.capacity);
	EXPECT_EQ(self->max_msg, info.max_msg_size);
	EXPECT_EQ(self->overhead, info.msg_overhead);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(0, info.received);
	EXPECT_EQ(0, info.dropped);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, info.reserved[i]);
	}
}

/* 7.3 The same figures in sysfs */

static unsigned long long sysfs_val(struct __test_metadata *_metadata,
				    const char *dev, const char *file)
{
	unsigned long long val = ULLONG_MAX;
	char path[128];

	mpsc_sysfs_path(path, sizeof(path), dev, file);
	EXPECT_EQ(0, read_u64_file(path, &val)) TH_LOG("%s: %m", path);
	return val;
}

static void expect_sysfs_matches(struct __test_metadata *_metadata,
				 const char *dev, const struct mpsc_info *i)
{
	EXPECT_EQ(i->senders, sysfs_val(_metadata, dev, "senders"));
	EXPECT_EQ(!!(i->flags & MPSC_INFO_RECEIVER),
		  sysfs_val(_metadata, dev, "receiver"));
	EXPECT_EQ(i->blocked_writers,
		  sysfs_val(_metadata, dev, "blocked_writers"));
	EXPECT_EQ(i->queued_msgs, sysfs_val(_metadata, dev, "queued_msgs"));
	EXPECT_EQ(i->queued_bytes, sysfs_val(_metadata, dev, "queued_bytes"));
	EXPECT_EQ(i->used, sysfs_val(_metadata, dev, "used"));
	EXPECT_EQ(i->capacity, sysfs_val(_metadata, dev, "capacity"));
	EXPECT_EQ(i->max_msg_size, sysfs_val(_metadata, dev, "max_msg_size"));
	EXPECT_EQ(i->msg_overhead, sysfs_val(_metadata, dev, "msg_overhead"));
	EXPECT_EQ(i->sent, sysfs_val(_metadata, dev, "sent"));
	EXPECT_EQ(i->received, sysfs_val(_metadata, dev, "received"));
	EXPECT_EQ(i->dropped, sysfs_val(_metadata, dev, "dropped"));
}

TEST_F(mpsc, sysfs_matches_info)
{
	struct mpsc_info info;
	struct io_op op;
	unsigned char *buf;
	char rbuf[8];
	int tx;

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	ASSERT_EQ(20, send_msg(self->tx, 20, 2));
	ASSERT_EQ(3, read(self->rx, rbuf, 3));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	expect_sysfs_matches(_metadata, self->dev, &info);

	/* And with a writer waiting for room. */
	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_LT(0, fill_channel(self->tx, self->mid, 3));
	buf = malloc(self->mid);
	ASSERT_NE(NULL, buf);
	pat_fill(buf, self->mid, 4);
	ASSERT_EQ(0, io_start(&op, io_write_fn, tx, buf, self->mid));
	ASSERT_TRUE(wait_blocked_writers(self->rx, 1));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.blocked_writers);
	EXPECT_EQ(2, info.senders);
	expect_sysfs_matches(_metadata, self->dev, &info);

	drain(self->rx);
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	close(tx);
	free(buf);
}

TEST_F(mpsc, sysfs_follows_current_channel)
{
	struct mpsc_info info;

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	close(self->rx);
	self->rx = -1;

	/* The old sender's channel counted the drop ... */
	ASSERT_EQ(0, mpsc_info(self->tx, &info));
	EXPECT_EQ(1, info.dropped);

	/* ... but the device shows its new, untouched channel. */
	EXPECT_EQ(0, sysfs_val(_metadata, self->dev, "sent"));
	EXPECT_EQ(0, sysfs_val(_metadata, self->dev, "dropped"));
	EXPECT_EQ(0, sysfs_val(_metadata, self->dev, "queued_msgs"));
	EXPECT_EQ(0, sysfs_val(_metadata, self->dev, "senders"));
	EXPECT_EQ(0, sysfs_val(_metadata, self->dev, "receiver"));
	EXPECT_EQ(self->capacity, sysfs_val(_metadata, self->dev, "capacity"));
}

TEST_HARNESS_MAIN
