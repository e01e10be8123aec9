// SPDX-License-Identifier: GPL-2.0
/*
 * Failures injected into the driver with fail-nth (failslab, and
 * fail_usercopy where the kernel has it): a write whose allocation or copy
 * fails returns ENOMEM or EFAULT and queues nothing, every message queued
 * before or after arrives intact and in order, and an open that has to make
 * a new channel fails cleanly too.
 *
 * Needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS, as in the
 * debug kernel of make check-debug; elsewhere the tests skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <linux/mpsc.h>

#include "kselftest_harness.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define ROUNDS		64

static const char *dev_path(void)
{
	const char *dev = getenv("MPSC_DEV");

	return dev && *dev ? dev : "/dev/mpsc0";
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Fail the nth slab allocation of this thread from now on. */
static int fail_nth(int nth)
{
	char path[64], val[16];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	snprintf(val, sizeof(val), "%d", nth);
	return write_str(path, val);
}

FIXTURE(failslab) {
	int rx;
	int tx;
};

FIXTURE_SETUP(failslab)
{
	self->rx = -1;
	self->tx = -1;
	/* The 6.1 harness runs the body after a SKIP in setup: jump out. */
	if (access(dev_path(), F_OK))
		SKIP(longjmp(_metadata->env, 1), "%s missing: is mpsc.ko loaded?",
		     dev_path());
	if (access(FAILSLAB, F_OK) || fail_nth(0))
		SKIP(longjmp(_metadata->env, 1),
		     "kernel without failslab and fail-nth");

	/* GFP_KERNEL may sleep: let failslab fail it, quietly. */
	ASSERT_EQ(0, write_str(FAILSLAB "/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, write_str(FAILSLAB "/verbose", "0"));
	/* fail-nth also counts these fault points where they exist. */
	write_str("/sys/kernel/debug/fail_usercopy/verbose", "0");
	write_str("/sys/kernel/debug/fail_page_alloc/verbose", "0");

	self->rx = open(dev_path(), O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->rx);
	self->tx = open(dev_path(), O_WRONLY | O_NONBLOCK);
	ASSERT_LE(0, self->tx);
}

FIXTURE_TEARDOWN(failslab)
{
	fail_nth(0);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
}

/*
 * Fail the first, second, ... fault point of a write in turn: the message
 * allocation (ENOMEM) or, with fail_usercopy, the copy in (EFAULT). Each
 * write either queues its whole message or fails and queues nothing; the
 * receiver then gets exactly the messages that were accepted.
 */
TEST_F(failslab, write_enomem_queues_nothing_and_loses_nothing)
{
	char accepted[ROUNDS] = { 0 };
	int nth, i, ok = 0, failed = 0;
	char msg[256], buf[256];
	ssize_t n;

	for (i = 0; i < ROUNDS; i++) {
		nth = 1 + i % 4;
		memset(msg, 'a' + i % 26, sizeof(msg));
		snprintf(msg, sizeof(msg), "message %d", i);

		ASSERT_EQ(0, fail_nth(nth));
		n = write(self->tx, msg, 100 + i);
		fail_nth(0);
		if (n < 0) {
			EXPECT_TRUE(errno == ENOMEM || errno == EFAULT);
			failed++;
			continue;
		}
		EXPECT_EQ(100 + i, n);
		accepted[i] = 1;
		ok++;
	}
	/* Both outcomes must have happened, or nothing was tested. */
	EXPECT_LT(0, failed);
	EXPECT_LT(0, ok);

	for (i = 0; i < ROUNDS; i++) {
		if (!accepted[i])
			continue;
		memset(msg, 'a' + i % 26, sizeof(msg));
		snprintf(msg, sizeof(msg), "message %d", i);
		n = read(self->rx, buf, sizeof(buf));
		ASSERT_EQ(100 + i, n);
		EXPECT_EQ(0, memcmp(msg, buf, n));
	}
	n = read(self->rx, buf, sizeof(buf));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EAGAIN, errno);
}

/* After the receiver left, the next open must allocate a new channel. */
TEST_F(failslab, open_enomem_then_recovers)
{
	struct mpsc_info info = { .size = sizeof(info) };
	int fd, tries, enomem = 0;

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(1, write(self->tx, "x", 1));
	close(self->rx);
	self->rx = -1;

	/*
	 * Fail the 1st, 2nd, ... fault point of an open that must make a new
	 * channel. Some land outside the open and it succeeds: close such a
	 * receiver again, so that the next open needs a new channel too.
	 */
	for (tries = 0; tries < 32; tries++) {
		ASSERT_EQ(0, fail_nth(1 + tries));
		fd = open(dev_path(), O_RDONLY | O_NONBLOCK);
		fail_nth(0);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		/*
		 * Ours (the channel) or the VFS's: the name's copy (EFAULT
		 * with fail_usercopy), its buffer or the struct file.
		 */
		EXPECT_TRUE(errno == ENOMEM || errno == ENFILE ||
			    errno == EFAULT);
		enomem++;
	}
	EXPECT_LT(0, enomem);
	self->rx = open(dev_path(), O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->rx);

	/* A fresh, working channel; the old sender stays disconnected. */
	ASSERT_EQ(0, ioctl(self->rx, MPSC_IOC_INFO, &info));
	EXPECT_EQ(0ULL, info.queued_msgs);
	EXPECT_EQ(-1, write(self->tx, "y", 1));
	EXPECT_EQ(EPIPE, errno);
}

TEST_HARNESS_MAIN
