// SPDX-License-Identifier: GPL-2.0
/*
 * Life of an mpsc channel: when the receiver sees end of file, who is
 * woken when the last sender leaves or the receiver goes away, and what
 * signals do to a read() or write() that is waiting.
 *
 * Every test starts on a fresh channel: the fixture opens the receiver,
 * closes it (which retires whatever channel the device had) and opens it
 * again. Each test runs in its own process, and every child it forks is
 * recorded in the fixture so teardown can reap it; nothing outlives a
 * test to hold the next channel open.
 *
 * Waits that depend on the driver are bounded (HANG_MS) so a lost wake-up
 * fails the test instead of hanging it; nothing here measures speed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mpsc.h>

#include "kselftest_harness.h"

/* Longest wait for something the driver must do before we call it hung. */
#define HANG_MS		10000
/* How long a waiter must stay asleep to show it was not woken. */
#define QUIET_MS	300
#define MAX_KIDS	16
#define HOLD_ENV	"MPSC_LIFECYCLE_HOLD"

/*
 * An exec'd copy of this program started with HOLD_ENV set only keeps the
 * file descriptors it inherited, until it is killed.
 */
static void __attribute__((constructor)) hold_inherited_fds(void)
{
	if (!getenv(HOLD_ENV))
		return;
	for (;;)
		pause();
}

static const char *mpsc_dev(void)
{
	const char *dev = getenv("MPSC_DEV");

	return dev && *dev ? dev : "/dev/mpsc0";
}

static int mpsc_info(int fd, struct mpsc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, MPSC_IOC_INFO, info);
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

static short poll_now(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* Wait up to @ms for @fd to become readable; true if it did. */
static bool readable_within(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * Wait until task @tid of @pid sleeps interruptibly and still does so a
 * moment later: the callers' tasks do nothing but enter the one blocking
 * call under test, so this means they are parked in it.
 */
static bool wait_sleeping(pid_t pid, pid_t tid)
{
	int ms;

	for (ms = 0; ms < HANG_MS; ms += 5) {
		if (task_state(pid, tid) == 'S') {
			sleep_ms(20);
			if (task_state(pid, tid) == 'S')
				return true;
		}
		sleep_ms(5);
	}
	return false;
}

/* Reap @pid within @ms; on timeout kill it and return -1. */
static int reap_within(pid_t pid, int ms, int *status)
{
	int t;

	for (t = 0; t <= ms; t += 2) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0)
			return -1;
		sleep_ms(2);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return -1;
}

/* Wait until the channel behind @fd has @n writers blocked for room. */
static bool wait_blocked_writers(int fd, unsigned int n)
{
	struct mpsc_info info;
	int ms;

	for (ms = 0; ms < HANG_MS; ms += 2) {
		if (mpsc_info(fd, &info))
			return false;
		if (info.blocked_writers == n)
			return true;
		sleep_ms(2);
	}
	return false;
}

/* What a child or thread saw, sent back over a pipe. */
struct report {
	int ret;
	int err;
	int signals;
	char data[64];
};

static int send_report(int fd, int ret, int err, int signals,
		       const void *data, size_t len)
{
	struct report r = { .ret = ret, .err = err, .signals = signals };

	if (len > sizeof(r.data))
		len = sizeof(r.data);
	if (data && len > 0)
		memcpy(r.data, data, len);
	return write(fd, &r, sizeof(r)) == sizeof(r) ? 0 : -1;
}

/* Read one report, waiting at most HANG_MS; false on timeout or error. */
static bool get_report(int fd, struct report *r)
{
	memset(r, 0, sizeof(*r));
	if (!readable_within(fd, HANG_MS))
		return false;
	return read(fd, r, sizeof(*r)) == sizeof(*r);
}

static volatile sig_atomic_t signals_seen;

static void count_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

static int catch_signal(int sig, bool restart)
{
	struct sigaction sa = { .sa_handler = count_signal };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	return sigaction(sig, &sa, NULL);
}

/*
 * Open a receiver on a fresh channel: the first open may join a channel
 * that earlier users left senders or messages on; closing it retires that
 * channel, so the second open starts a new one.
 */
static int open_fresh_receiver(struct __test_metadata *_metadata,
			       struct mpsc_info *info)
{
	int rx;

	rx = open(mpsc_dev(), O_RDONLY);
	ASSERT_LE(0, rx) TH_LOG("open %s O_RDONLY: %s", mpsc_dev(),
				 strerror(errno));
	ASSERT_EQ(0, close(rx));
	rx = open(mpsc_dev(), O_RDONLY);
	ASSERT_LE(0, rx);

	ASSERT_EQ(0, mpsc_info(rx, info));
	ASSERT_EQ(MPSC_INFO_RECEIVER, info->flags);
	ASSERT_EQ(0, info->senders);
	ASSERT_EQ(0, info->queued_msgs);
	ASSERT_EQ(0, info->sent);
	ASSERT_LT(0, info->max_msg_size);
	ASSERT_LE(info->max_msg_size + info->msg_overhead, info->capacity);
	return rx;
}

FIXTURE(chan) {
	int rx;
	struct mpsc_info info;
	pid_t kids[MAX_KIDS];
	int nkids;
};

FIXTURE_SETUP(chan)
{
	self->rx = -1;
	if (access(mpsc_dev(), F_OK))
		SKIP(return, "%s: %s (mpsc.ko not loaded?)", mpsc_dev(),
		     strerror(errno));
	self->rx = open_fresh_receiver(_metadata, &self->info);
}

FIXTURE_TEARDOWN(chan)
{
	int i;

	for (i = 0; i < self->nkids; i++) {
		if (self->kids[i] <= 0)
			continue;
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
	}
	if (self->rx >= 0)
		close(self->rx);
}

/*
 * The 6.1 harness runs a test's body even when its setup skipped, so each
 * body starts by returning when setup found no device (self->rx < 0).
 */

static pid_t spawn(FIXTURE_DATA(chan) *self)
{
	pid_t pid;

	if (self->nkids == MAX_KIDS)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid > 0)
		self->kids[self->nkids++] = pid;
	return pid;
}

/* Reap a child spawned from the fixture and forget it. */
static int reap(FIXTURE_DATA(chan) *self, pid_t pid, int *status)
{
	int i, ret = reap_within(pid, HANG_MS, status);

	for (i = 0; i < self->nkids; i++)
		if (self->kids[i] == pid)
			self->kids[i] = 0;
	return ret;
}

static void expect_eof(struct __test_metadata *_metadata, int rx)
{
	char buf[16];

	EXPECT_EQ(0, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(POLLHUP, poll_now(rx, POLLIN) & (POLLHUP | POLLIN));
}

static void expect_no_eof(struct __test_metadata *_metadata, int rx)
{
	char buf[16];

	EXPECT_EQ(-1, read(rx, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, poll_now(rx, POLLIN));
}

static void expect_msg(struct __test_metadata *_metadata, int rx,
		       const char *want)
{
	char buf[256];
	ssize_t n;

	memset(buf, 0x5a, sizeof(buf));
	n = read(rx, buf, sizeof(buf));
	EXPECT_EQ((ssize_t)strlen(want), n);
	if (n > 0) {
		EXPECT_EQ(0, memcmp(want, buf, strlen(want)));
	}
}

/* SPEC 2.1, 5.2: every dup and forked copy is the same sender. */
TEST_F_TIMEOUT(chan, eof_waits_for_every_dup_and_fork, 60)
{
	int tx, copies[4], go[2], status, i;
	struct mpsc_info info;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	copies[0] = tx;
	copies[1] = dup(tx);
	copies[2] = dup2(tx, 200);
	copies[3] = fcntl(tx, F_DUPFD, 300);
	for (i = 1; i < 4; i++) {
		ASSERT_LE(0, copies[i]);
	}
	ASSERT_EQ(0, pipe(go));

	pid = spawn(self);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char c;

		/* Keep only the F_DUPFD copy; write once told to, then exit. */
		close(go[1]);
		for (i = 0; i < 3; i++)
			close(copies[i]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(write(copies[3], "from child", 10) == 10 ? 0 : 3);
	}
	close(go[0]);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	ASSERT_EQ(0, set_nonblock(self->rx, true));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, close(copies[i]));
		expect_no_eof(_metadata, self->rx);
	}
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(0, info.flags & MPSC_INFO_HUNG_UP);

	ASSERT_EQ(1, write(go[1], "w", 1));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_msg(_metadata, self->rx, "from child");
	expect_eof(_metadata, self->rx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.senders);
	EXPECT_EQ(MPSC_INFO_HUNG_UP, info.flags & MPSC_INFO_HUNG_UP);
	close(go[1]);
}

/* SPEC 2.1: a sender passed over a UNIX socket is still the one sender. */
TEST_F_TIMEOUT(chan, eof_waits_for_sender_passed_over_socket, 60)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], tx, status;
	char c;
	pid_t pid;

	if (self->rx < 0)
		return;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = spawn(self);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		close(sv[0]);
		memset(cbuf, 0, sizeof(cbuf));
		if (recvmsg(sv[1], &mh, 0) != 1)
			_exit(2);
		cm = CMSG_FIRSTHDR(&mh);
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(3);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (write(sv[1], "r", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(4);
		_exit(write(fd, "passed", 6) == 6 ? 0 : 5);
	}
	close(sv[1]);

	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &tx, sizeof(tx));
	ASSERT_EQ(1, sendmsg(sv[0], &mh, 0));
	ASSERT_EQ(0, close(tx));
	ASSERT_TRUE(readable_within(sv[0], HANG_MS));
	ASSERT_EQ(1, read(sv[0], &c, 1));

	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_no_eof(_metadata, self->rx);
	ASSERT_EQ(1, write(sv[0], "g", 1));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	expect_msg(_metadata, self->rx, "passed");
	expect_eof(_metadata, self->rx);
	close(sv[0]);
}

/*
 * Fork and exec this program as a holder that keeps its inherited fds.
 * Returns once the exec has happened (the close-on-exec pipe reads EOF).
 */
static pid_t spawn_exec_holder(FIXTURE_DATA(chan) *self)
{
	int p[2], err;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = spawn(self);
	if (pid == 0) {
		static char *const argv[] = { "mpsc_lifecycle_test", "hold",
					      NULL };

		close(p[0]);
		close(self->rx);
		setenv(HOLD_ENV, "1", 1);
		execv("/proc/self/exe", argv);
		err = errno;
		if (write(p[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &err, sizeof(err)) != 0) {
		kill(pid, SIGKILL);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* SPEC 2.1, 5.2: a close-on-exec sender leaves at exec. */
TEST_F_TIMEOUT(chan, cloexec_sender_released_at_exec, 60)
{
	struct mpsc_info info;
	int tx, status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	pid = spawn_exec_holder(self);
	ASSERT_LT(0, pid) TH_LOG("cannot exec /proc/self/exe");
	ASSERT_EQ(0, close(tx));

	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_eof(_metadata, self->rx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.senders);

	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

/* SPEC 2.1, 5.2: an inherited sender holds EOF back until its holder exits. */
TEST_F_TIMEOUT(chan, inherited_sender_held_across_exec, 60)
{
	struct mpsc_info info;
	int tx, status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	pid = spawn_exec_holder(self);
	ASSERT_LT(0, pid) TH_LOG("cannot exec /proc/self/exe");
	ASSERT_EQ(0, close(tx));

	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_no_eof(_metadata, self->rx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(1, info.senders);

	ASSERT_EQ(0, kill(pid, SIGTERM));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	expect_eof(_metadata, self->rx);
}

/* Child body: one blocking read on @rx, reported to @out. */
static void read_once_and_report(int rx, int out)
{
	char buf[64];
	ssize_t n;

	n = read(rx, buf, sizeof(buf));
	send_report(out, n, n < 0 ? errno : 0, signals_seen, buf,
		    n > 0 ? n : 0);
	_exit(0);
}

/* SPEC 5.1: a reader that starts before any sender waits, without EOF. */
TEST_F_TIMEOUT(chan, read_blocks_until_first_sender, 60)
{
	struct mpsc_info info;
	struct report r;
	int out[2], tx, status;
	pid_t pid;

	if (self->rx < 0)
		return;
	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_no_eof(_metadata, self->rx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.flags & MPSC_INFO_HUNG_UP);
	ASSERT_EQ(0, set_nonblock(self->rx, false));

	ASSERT_EQ(0, pipe(out));
	pid = spawn(self);
	ASSERT_LE(0, pid);
	if (pid == 0)
		read_once_and_report(self->rx, out[1]);
	ASSERT_TRUE(wait_sleeping(pid, pid));
	EXPECT_FALSE(readable_within(out[0], QUIET_MS));

	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(5, write(tx, "first", 5));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ(5, r.ret);
	EXPECT_EQ(0, memcmp("first", r.data, 5));
	ASSERT_EQ(0, reap(self, pid, &status));

	ASSERT_EQ(0, close(tx));
	EXPECT_EQ(0, read(self->rx, r.data, sizeof(r.data)));
	close(out[0]);
	close(out[1]);
}

/* SPEC 5.2, 6.1: queued messages come first, then EOF until re-armed. */
TEST_F_TIMEOUT(chan, eof_after_drain_and_new_sender_rearms, 60)
{
	struct mpsc_info info;
	struct report r;
	int tx, out[2], status, i;
	char buf[16];
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(3, write(tx, "one", 3));
	ASSERT_EQ(3, write(tx, "two", 3));
	ASSERT_EQ(5, write(tx, "three", 5));
	ASSERT_EQ(0, close(tx));

	ASSERT_EQ(0, set_nonblock(self->rx, true));
	EXPECT_EQ(POLLIN | POLLRDNORM,
		  poll_now(self->rx, POLLIN | POLLRDNORM) &
		  (POLLIN | POLLRDNORM));
	expect_msg(_metadata, self->rx, "one");
	expect_msg(_metadata, self->rx, "two");
	expect_msg(_metadata, self->rx, "three");
	for (i = 0; i < 3; i++)
		expect_eof(_metadata, self->rx);
	ASSERT_EQ(0, set_nonblock(self->rx, false));
	EXPECT_EQ(0, read(self->rx, buf, sizeof(buf)));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(MPSC_INFO_HUNG_UP, info.flags & MPSC_INFO_HUNG_UP);

	/* A new sender re-arms: no EOF, no POLLHUP, reads block. */
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.flags & MPSC_INFO_HUNG_UP);
	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_no_eof(_metadata, self->rx);
	ASSERT_EQ(0, set_nonblock(self->rx, false));

	ASSERT_EQ(0, pipe(out));
	pid = spawn(self);
	ASSERT_LE(0, pid);
	if (pid == 0)
		read_once_and_report(self->rx, out[1]);
	ASSERT_TRUE(wait_sleeping(pid, pid));
	EXPECT_FALSE(readable_within(out[0], QUIET_MS));
	ASSERT_EQ(4, write(tx, "four", 4));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ(4, r.ret);
	EXPECT_EQ(0, memcmp("four", r.data, 4));
	ASSERT_EQ(0, reap(self, pid, &status));

	ASSERT_EQ(0, close(tx));
	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_eof(_metadata, self->rx);
	close(out[0]);
	close(out[1]);
}

/* SPEC 6.1, 6.3: edge-triggered epoll sees each message and the hang-up. */
TEST_F_TIMEOUT(chan, epoll_edge_sees_messages_and_hangup, 60)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int tx, ep;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->rx, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(2, write(tx, "m1", 2));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, HANG_MS));
	EXPECT_EQ(EPOLLIN, ev.events & (EPOLLIN | EPOLLHUP));
	/* The edge was reported; nothing new happened since. */
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	/* Another message is another edge, as on a pipe. */
	ASSERT_EQ(2, write(tx, "m2", 2));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, HANG_MS));
	EXPECT_EQ(EPOLLIN, ev.events & (EPOLLIN | EPOLLHUP));

	ASSERT_EQ(0, set_nonblock(self->rx, true));
	expect_msg(_metadata, self->rx, "m1");
	expect_msg(_metadata, self->rx, "m2");
	ASSERT_EQ(0, close(tx));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, HANG_MS));
	EXPECT_EQ(EPOLLHUP, ev.events & (EPOLLIN | EPOLLHUP));
	close(ep);
}

/*
 * Hang-up wakes every kind of waiter on the receiver. Each variant parks
 * a few waiters of one kind (or one of each), checks that closing one of
 * two senders wakes none of them into EOF, then that closing the last
 * sender wakes them all.
 */
enum waiter_kind {
	WAIT_READ,
	WAIT_POLL,
	WAIT_EPOLL_LEVEL,
	WAIT_EPOLL_EDGE,
	WAIT_KINDS,
};

FIXTURE(hangup) {
	int rx;
	int out[2];
	pid_t kids[WAIT_KINDS + 2];
	pthread_t threads[WAIT_KINDS + 2];
	int nkids, nthreads;
};

FIXTURE_VARIANT(hangup) {
	int kind;		/* -1: one of each kind */
	bool thread;		/* waiters are threads, not processes */
	int count;
};

FIXTURE_VARIANT_ADD(hangup, read_threads) {
	.kind = WAIT_READ, .thread = true, .count = 2,
};

FIXTURE_VARIANT_ADD(hangup, read_processes) {
	.kind = WAIT_READ, .thread = false, .count = 2,
};

FIXTURE_VARIANT_ADD(hangup, poll_processes) {
	.kind = WAIT_POLL, .thread = false, .count = 2,
};

FIXTURE_VARIANT_ADD(hangup, epoll_level_processes) {
	.kind = WAIT_EPOLL_LEVEL, .thread = false, .count = 2,
};

FIXTURE_VARIANT_ADD(hangup, epoll_edge_threads) {
	.kind = WAIT_EPOLL_EDGE, .thread = true, .count = 2,
};

FIXTURE_VARIANT_ADD(hangup, one_of_each) {
	.kind = -1, .thread = false, .count = WAIT_KINDS,
};

FIXTURE_SETUP(hangup)
{
	struct mpsc_info info;

	self->rx = -1;
	if (access(mpsc_dev(), F_OK))
		SKIP(return, "%s: %s (mpsc.ko not loaded?)", mpsc_dev(),
		     strerror(errno));
	self->rx = open_fresh_receiver(_metadata, &info);
	ASSERT_EQ(0, pipe(self->out));
}

FIXTURE_TEARDOWN(hangup)
{
	int i;

	for (i = 0; i < self->nkids; i++) {
		kill(self->kids[i], SIGKILL);
		waitpid(self->kids[i], NULL, 0);
	}
	if (self->rx >= 0) {
		close(self->rx);
		close(self->out[0]);
		close(self->out[1]);
	}
}

struct waiter {
	int kind;
	int rx;
	int out;
	int ep;
	pid_t tid;		/* set by the waiter when it starts */
};

/* Block once the way @w says, then report whether hang-up was seen. */
static void *waiter_run(void *arg)
{
	struct waiter *w = arg;
	struct pollfd pfd = { .fd = w->rx, .events = POLLIN };
	struct epoll_event ev;
	char buf[16];
	int ret, seen = 0;

	__atomic_store_n(&w->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	switch (w->kind) {
	case WAIT_READ:
		ret = read(w->rx, buf, sizeof(buf));
		seen = ret == 0;
		break;
	case WAIT_POLL:
		ret = poll(&pfd, 1, -1);
		seen = ret == 1 && (pfd.revents & POLLHUP);
		break;
	default:
		ret = epoll_wait(w->ep, &ev, 1, -1);
		seen = ret == 1 && (ev.events & EPOLLHUP);
		break;
	}
	send_report(w->out, ret, ret < 0 ? errno : 0, w->kind, NULL, 0);
	return seen ? NULL : (void *)1;
}

TEST_F_TIMEOUT(hangup, last_sender_close_wakes_waiters, 60)
{
	struct waiter w[WAIT_KINDS + 2];
	struct report r;
	int tx1, tx2, i;

	if (self->rx < 0)
		return;
	tx1 = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx1);
	tx2 = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx2);

	for (i = 0; i < variant->count; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		w[i].kind = variant->kind < 0 ? i : variant->kind;
		w[i].rx = self->rx;
		w[i].out = self->out[1];
		w[i].tid = 0;
		w[i].ep = -1;
		if (w[i].kind == WAIT_EPOLL_LEVEL ||
		    w[i].kind == WAIT_EPOLL_EDGE) {
			if (w[i].kind == WAIT_EPOLL_EDGE)
				ev.events |= EPOLLET;
			w[i].ep = epoll_create1(0);
			ASSERT_LE(0, w[i].ep);
			ASSERT_EQ(0, epoll_ctl(w[i].ep, EPOLL_CTL_ADD,
					       self->rx, &ev));
		}

		if (variant->thread) {
			ASSERT_EQ(0, pthread_create(&self->threads[i], NULL,
						    waiter_run, &w[i]));
			self->nthreads++;
			while (!__atomic_load_n(&w[i].tid, __ATOMIC_ACQUIRE))
				sleep_ms(1);
			ASSERT_TRUE(wait_sleeping(getpid(), w[i].tid));
		} else {
			pid_t pid;

			fflush(stderr);
			pid = fork();
			ASSERT_LE(0, pid);
			if (pid == 0) {
				close(tx1);
				close(tx2);
				_exit(waiter_run(&w[i]) ? 1 : 0);
			}
			self->kids[self->nkids++] = pid;
			ASSERT_TRUE(wait_sleeping(pid, pid));
		}
	}

	/* One sender is left: nobody may see end of file. */
	ASSERT_EQ(0, close(tx1));
	EXPECT_FALSE(readable_within(self->out[0], QUIET_MS));

	ASSERT_EQ(0, close(tx2));
	for (i = 0; i < variant->count; i++) {
		ASSERT_TRUE(get_report(self->out[0], &r))
			TH_LOG("only %d of %d waiters woke at hang-up", i,
			       variant->count);
		EXPECT_EQ(0, r.err) TH_LOG("waiter kind %d: %s", r.signals,
					   strerror(r.err));
		EXPECT_EQ(r.signals == WAIT_READ ? 0 : 1, r.ret)
			TH_LOG("waiter kind %d", r.signals);
	}
	for (i = 0; i < self->nthreads; i++) {
		void *res;

		EXPECT_EQ(0, pthread_join(self->threads[i], &res));
		EXPECT_NULL(res);
	}
	self->nthreads = 0;
	for (i = 0; i < self->nkids; i++) {
		int status;

		EXPECT_EQ(0, reap_within(self->kids[i], HANG_MS, &status));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	self->nkids = 0;
	for (i = 0; i < variant->count; i++)
		if (w[i].ep >= 0)
			close(w[i].ep);
}

/* Fill the channel with @size-byte messages of @fill; return how many. */
static int fill_channel(int tx, size_t size, char fill)
{
	char *buf = malloc(size);
	int n = 0;

	if (!buf || set_nonblock(tx, true))
		return -1;
	memset(buf, fill, size);
	while (write(tx, buf, size) == (ssize_t)size)
		n++;
	if (errno != EAGAIN)
		n = -1;
	free(buf);
	return set_nonblock(tx, false) ? -1 : n;
}

/*
 * Read @n messages of @size bytes of @fill; with @then_empty, also find the
 * queue empty afterwards.
 */
static void drain_expect(struct __test_metadata *_metadata, int rx, int n,
			 size_t size, char fill, bool then_empty)
{
	char *buf = malloc(size + 1), *want = malloc(size);
	int i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	memset(want, fill, size);
	ASSERT_EQ(0, set_nonblock(rx, true));
	for (i = 0; i < n; i++) {
		ssize_t got = read(rx, buf, size + 1);

		ASSERT_EQ((ssize_t)size, got) TH_LOG("message %d of %d", i, n);
		EXPECT_EQ(0, memcmp(want, buf, size))
			TH_LOG("message %d of %d", i, n);
	}
	if (then_empty) {
		EXPECT_EQ(-1, read(rx, buf, size));
		EXPECT_EQ(EAGAIN, errno);
	}
	ASSERT_EQ(0, set_nonblock(rx, false));
	free(buf);
	free(want);
}

static size_t msg_size(const struct mpsc_info *info)
{
	return info->max_msg_size < 1024 ? info->max_msg_size : 1024;
}

/* SPEC 5.4, 6.2: closing the receiver wakes every blocked writer. */
TEST_F_TIMEOUT(chan, receiver_close_wakes_blocked_writers, 60)
{
	size_t size = msg_size(&self->info);
	struct mpsc_info info;
	struct report r;
	pid_t pids[4], poller;
	int tx, tx2, rx2, filled, status, i, out[2];
	char c;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	filled = fill_channel(tx, size, 'f');
	ASSERT_LT(0, filled);
	ASSERT_EQ(0, pipe(out));

	for (i = 0; i < 4; i++) {
		pids[i] = spawn(self);
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			char *buf = calloc(1, size);
			int fd = open(mpsc_dev(), O_WRONLY);
			ssize_t n;

			/* The receiver must close when the parent closes it. */
			close(self->rx);
			/* Even children catch SIGPIPE; odd ones die of it. */
			if (i & 1)
				signal(SIGPIPE, SIG_DFL);
			else if (catch_signal(SIGPIPE, false))
				_exit(10);
			if (!buf || fd < 0)
				_exit(10);
			n = write(fd, buf, size);
			if (n != -1)
				_exit(11);
			if (errno != EPIPE)
				_exit(12);
			_exit(signals_seen == 1 ? 0 : 13);
		}
	}
	ASSERT_TRUE(wait_blocked_writers(tx, 4));
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(filled, info.queued_msgs);
	EXPECT_EQ(5, info.senders);

	/* A sender waiting in poll() for room must learn of it too. */
	poller = spawn(self);
	ASSERT_LE(0, poller);
	if (poller == 0) {
		struct pollfd pfd = { .fd = tx, .events = POLLOUT };
		int ret;

		close(self->rx);
		ret = poll(&pfd, 1, -1);
		send_report(out[1], ret, ret < 0 ? errno : 0, pfd.revents,
			    NULL, 0);
		_exit(0);
	}
	ASSERT_TRUE(wait_sleeping(poller, poller));

	ASSERT_EQ(0, close(self->rx));
	self->rx = -1;
	ASSERT_TRUE(get_report(out[0], &r)) TH_LOG("sender poll not woken");
	EXPECT_EQ(1, r.ret);
	EXPECT_EQ(POLLERR, r.signals & POLLERR);
	ASSERT_EQ(0, reap(self, poller, &status));
	close(out[0]);
	close(out[1]);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, reap(self, pids[i], &status))
			TH_LOG("writer %d still blocked", i);
		if (i & 1) {
			EXPECT_TRUE(WIFSIGNALED(status) &&
				    WTERMSIG(status) == SIGPIPE)
				TH_LOG("writer %d: status %#x", i, status);
		} else {
			EXPECT_TRUE(WIFEXITED(status) &&
				    WEXITSTATUS(status) == 0)
				TH_LOG("writer %d: status %#x", i, status);
		}
	}

	/* The old channel: messages dropped, writes fail, POLLERR. */
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(MPSC_INFO_DISCONNECTED,
		  info.flags & (MPSC_INFO_DISCONNECTED | MPSC_INFO_RECEIVER));
	EXPECT_EQ(filled, info.dropped);
	EXPECT_EQ(filled, info.sent);
	EXPECT_EQ(0, info.received);
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(1, info.senders);
	ASSERT_EQ(0, catch_signal(SIGPIPE, false));
	signals_seen = 0;
	EXPECT_EQ(-1, write(tx, "late", 4));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, signals_seen);
	EXPECT_EQ(POLLERR, poll_now(tx, POLLOUT) & POLLERR);

	/* The next open gets a fresh channel; the old sender stays out. */
	rx2 = open(mpsc_dev(), O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, rx2);
	self->rx = rx2;
	ASSERT_EQ(0, mpsc_info(rx2, &info));
	EXPECT_EQ(MPSC_INFO_RECEIVER, info.flags);
	EXPECT_EQ(0, info.sent);
	EXPECT_EQ(0, info.dropped);
	EXPECT_EQ(0, info.senders);
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(-1, write(tx, "late", 4));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(2, signals_seen);

	tx2 = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx2);
	ASSERT_EQ(3, write(tx2, "new", 3));
	expect_msg(_metadata, rx2, "new");
	EXPECT_EQ(-1, read(rx2, &c, 1));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, mpsc_info(rx2, &info));
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(0, close(tx));
	EXPECT_EQ(0, close(tx2));
}

/* Start a child that blocks in read(rx) with SIGUSR1 caught. */
static pid_t spawn_blocked_reader(FIXTURE_DATA(chan) *self, bool restart,
				  int out)
{
	pid_t pid = spawn(self);

	if (pid == 0) {
		if (catch_signal(SIGUSR1, restart))
			_exit(10);
		read_once_and_report(self->rx, out);
	}
	return pid;
}

/* SPEC 4.3: a signal ends a blocked read with EINTR, consuming nothing. */
TEST_F_TIMEOUT(chan, blocked_read_eintr_without_restart, 60)
{
	struct mpsc_info info;
	struct report r;
	int tx, out[2], status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_reader(self, false, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_sleeping(pid, pid));

	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.signals);
	ASSERT_EQ(0, reap(self, pid, &status));

	ASSERT_EQ(5, write(tx, "after", 5));
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(1, info.queued_msgs);
	EXPECT_EQ(0, info.received);
	expect_msg(_metadata, self->rx, "after");
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(1, info.received);
	close(tx);
	close(out[0]);
	close(out[1]);
}

/* SPEC 4.3: under SA_RESTART the read goes on and gets the next message. */
TEST_F_TIMEOUT(chan, blocked_read_restarts_with_sa_restart, 60)
{
	struct mpsc_info info;
	struct report r;
	int tx, out[2], status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_reader(self, true, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_sleeping(pid, pid));

	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_FALSE(readable_within(out[0], QUIET_MS));
	ASSERT_TRUE(wait_sleeping(pid, pid));

	ASSERT_EQ(7, write(tx, "payload", 7));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ(7, r.ret);
	EXPECT_EQ(0, memcmp("payload", r.data, 7));
	EXPECT_EQ(1, r.signals);
	ASSERT_EQ(0, reap(self, pid, &status));
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(1, info.received);
	close(tx);
	close(out[0]);
	close(out[1]);
}

/* Start a child that opens its own sender and blocks writing @size 'M's. */
static pid_t spawn_blocked_writer(FIXTURE_DATA(chan) *self, bool restart,
				  size_t size, int out)
{
	pid_t pid = spawn(self);

	if (pid == 0) {
		char *buf = malloc(size);
		ssize_t n;
		int fd;

		fd = open(mpsc_dev(), O_WRONLY);
		if (!buf || fd < 0 || catch_signal(SIGUSR1, restart))
			_exit(10);
		memset(buf, 'M', size);
		n = write(fd, buf, size);
		send_report(out, n, n < 0 ? errno : 0, signals_seen, NULL, 0);
		_exit(0);
	}
	return pid;
}

/* SPEC 4.3: a signal ends a blocked write with EINTR, queueing nothing. */
TEST_F_TIMEOUT(chan, blocked_write_eintr_without_restart, 60)
{
	size_t size = msg_size(&self->info);
	struct mpsc_info info;
	struct report r;
	int tx, out[2], filled, status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	filled = fill_channel(tx, size, 'f');
	ASSERT_LT(0, filled);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_writer(self, false, size, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_writers(tx, 1));

	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.signals);
	ASSERT_EQ(0, reap(self, pid, &status));

	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(filled, info.queued_msgs);
	EXPECT_EQ(filled, info.sent);
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(1, info.senders);
	drain_expect(_metadata, self->rx, filled, size, 'f', true);
	close(tx);
	close(out[0]);
	close(out[1]);
}

/* SPEC 4.3: under SA_RESTART the write waits on and is queued whole. */
TEST_F_TIMEOUT(chan, blocked_write_restarts_with_sa_restart, 60)
{
	size_t size = msg_size(&self->info);
	struct mpsc_info info;
	struct report r;
	int tx, out[2], filled, status;
	char *buf;
	pid_t pid;

	if (self->rx < 0)
		return;
	buf = malloc(size + 1);
	ASSERT_NE(NULL, buf);
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	filled = fill_channel(tx, size, 'f');
	ASSERT_LT(0, filled);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_writer(self, true, size, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_writers(tx, 1));

	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_FALSE(readable_within(out[0], QUIET_MS));
	ASSERT_TRUE(wait_blocked_writers(tx, 1));
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(filled, info.queued_msgs);

	/* Room for one message lets the restarted write through. */
	ASSERT_EQ((ssize_t)size, read(self->rx, buf, size + 1));
	ASSERT_TRUE(get_report(out[0], &r));
	EXPECT_EQ((ssize_t)size, r.ret);
	EXPECT_EQ(1, r.signals);
	ASSERT_EQ(0, reap(self, pid, &status));

	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(filled, info.queued_msgs);
	EXPECT_EQ(filled + 1, info.sent);
	drain_expect(_metadata, self->rx, filled - 1, size, 'f', false);
	drain_expect(_metadata, self->rx, 1, size, 'M', true);
	close(tx);
	close(out[0]);
	close(out[1]);
	free(buf);
}

/* SPEC 4.3: SIGKILL ends a blocked read at once; the channel carries on. */
TEST_F_TIMEOUT(chan, sigkill_ends_blocked_read, 60)
{
	struct mpsc_info info;
	int tx, out[2], status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_reader(self, false, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_sleeping(pid, pid));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_FALSE(readable_within(out[0], 0));

	ASSERT_EQ(4, write(tx, "next", 4));
	expect_msg(_metadata, self->rx, "next");
	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(1, info.sent);
	EXPECT_EQ(1, info.received);
	close(tx);
	close(out[0]);
	close(out[1]);
}

/* SPEC 4.3: SIGKILL ends a blocked write at once, queueing nothing. */
TEST_F_TIMEOUT(chan, sigkill_ends_blocked_write, 60)
{
	size_t size = msg_size(&self->info);
	struct mpsc_info info;
	int tx, out[2], filled, status;
	pid_t pid;

	if (self->rx < 0)
		return;
	tx = open(mpsc_dev(), O_WRONLY);
	ASSERT_LE(0, tx);
	filled = fill_channel(tx, size, 'f');
	ASSERT_LT(0, filled);
	ASSERT_EQ(0, pipe(out));
	pid = spawn_blocked_writer(self, false, size, out[1]);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_blocked_writers(tx, 1));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(0, reap(self, pid, &status));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	ASSERT_EQ(0, mpsc_info(tx, &info));
	EXPECT_EQ(0, info.blocked_writers);
	EXPECT_EQ(1, info.senders);
	EXPECT_EQ(filled, info.queued_msgs);
	EXPECT_EQ(filled, info.sent);
	drain_expect(_metadata, self->rx, filled, size, 'f', true);

	/* The writer that died left no place in line behind it. */
	ASSERT_EQ(0, set_nonblock(tx, true));
	EXPECT_EQ(4, write(tx, "free", 4));
	close(tx);
	close(out[0]);
	close(out[1]);
}

TEST_HARNESS_MAIN
