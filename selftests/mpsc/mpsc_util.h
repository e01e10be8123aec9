/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by mpsc_test.c and mpsc_batch_test.c: the fixture that
 * hands each test a fresh channel, INFO and sysfs readers, payload
 * patterns, and bounded waits for "this thread is now blocked" states.
 *
 * The device under test is $MPSC_DEV (default /dev/mpsc0); tests that
 * need a second, independent device use /dev/mpsc1 (or /dev/mpsc0 when
 * $MPSC_DEV is /dev/mpsc1).
 */
#ifndef _MPSC_UTIL_H
#define _MPSC_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/mpsc.h>

#include "kselftest_harness.h"

#define MPSC_DEFAULT_DEV	"/dev/mpsc0"
#define MPSC_PARAM_DIR		"/sys/module/mpsc/parameters"

/* Byte written into output buffers before a call, to spot untouched bytes. */
#define FILL_BYTE		0xa5
#define FILL_U32		0xa5a5a5a5U
#define FILL_U64		0xa5a5a5a5a5a5a5a5ULL

/* Smallest max_msg_size the tests can work with. */
#define MIN_MAX_MSG		100

/* Upper bound for every "wait until the driver reaches state X" loop. */
#define WAIT_MS			10000

static inline const char *mpsc_dev(void)
{
	const char *dev = getenv("MPSC_DEV");

	return dev && *dev ? dev : MPSC_DEFAULT_DEV;
}

/* A device other than mpsc_dev(), for independence tests. */
static inline const char *mpsc_other_dev(void)
{
	return strcmp(mpsc_dev(), "/dev/mpsc1") ? "/dev/mpsc1" : "/dev/mpsc0";
}

/* /sys/class/misc/<node name>/<file> for a device path. */
static inline void mpsc_sysfs_path(char *out, size_t len, const char *dev,
				   const char *file)
{
	const char *base = strrchr(dev, '/');

	snprintf(out, len, "/sys/class/misc/%s/%s", base ? base + 1 : dev,
		 file);
}

/* Read one unsigned decimal from a sysfs file; -1 when it cannot. */
static inline int read_u64_file(const char *path, unsigned long long *val)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, NULL, 0);
	return errno ? -1 : 0;
}

/* MPSC_IOC_INFO with the input fields set as the ABI asks. */
static inline int mpsc_info(int fd, struct mpsc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, MPSC_IOC_INFO, info);
}

/* Queued messages of the channel fd is bound to, or -1 on error. */
static inline long long mpsc_queued(int fd)
{
	struct mpsc_info info;

	if (mpsc_info(fd, &info))
		return -1;
	return info.queued_msgs;
}

static inline long long mpsc_blocked_writers(int fd)
{
	struct mpsc_info info;

	if (mpsc_info(fd, &info))
		return -1;
	return info.blocked_writers;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Poll INFO until blocked_writers == n; true when reached before WAIT_MS.
 * Tests use it instead of sleeping to know that a writer is parked.
 */
static inline bool wait_blocked_writers(int fd, long long n)
{
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (mpsc_blocked_writers(fd) == n)
			return true;
		sleep_ms(1);
	}
	return false;
}

/* Poll INFO for up to @ms until queued_msgs == n. */
static inline bool wait_queued(int fd, long long n, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (mpsc_queued(fd) == n)
			return true;
		sleep_ms(1);
	}
	return false;
}

/*
 * Raw system calls for deliberately bad arguments (NULL, unmapped, absurd
 * sizes): libc's declarations carry access attributes that make the
 * compiler warn about exactly what these tests mean to do.
 */
static inline ssize_t raw_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static inline ssize_t raw_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

static inline ssize_t raw_writev(int fd, const struct iovec *iov, long cnt)
{
	return syscall(SYS_writev, fd, iov, cnt);
}

static inline int raw_ioctl(int fd, unsigned long cmd, void *arg)
{
	return syscall(SYS_ioctl, fd, cmd, arg);
}

/* Scheduler state letter of a task ('R', 'S', ...), or 0. */
static inline char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Wait until a task sleeps interruptibly. Callers first make sure the task
 * is about to enter the blocking call (a flag or a pipe), so the sleep seen
 * here is that call's.
 */
static inline bool wait_sleeping(pid_t pid, pid_t tid)
{
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (task_state(pid, tid) == 'S')
			return true;
		sleep_ms(1);
	}
	return false;
}

static inline pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* Field of /proc/<pid>/status, e.g. "voluntary_ctxt_switches"; -1 if absent. */
static inline long long proc_status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	long long val = -1;
	size_t len = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* Payload pattern: byte i of a message tagged @tag. */
static inline unsigned char pat_byte(unsigned int tag, size_t i)
{
	return (unsigned char)(tag * 131 + i * 7 + (i >> 8) + 1);
}

static inline void pat_fill(void *buf, size_t len, unsigned int tag)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat_byte(tag, i);
}

/* True when buf[0..len) is bytes [off, off+len) of message @tag. */
static inline bool pat_check(const void *buf, size_t len, unsigned int tag,
			     size_t off)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pat_byte(tag, off + i))
			return false;
	return true;
}

/* Write one message of @len pattern bytes tagged @tag; returns write(). */
static inline ssize_t send_msg(int fd, size_t len, unsigned int tag)
{
	unsigned char *buf = malloc(len ? len : 1);
	ssize_t ret;
	int err;

	if (!buf)
		return -1;
	pat_fill(buf, len, tag);
	ret = write(fd, buf, len);
	err = errno;
	free(buf);
	errno = err;
	return ret;
}

/*
 * Read one message into a fresh buffer of @cap bytes and check it is
 * @len bytes of message @tag. Returns read()'s value when it matches,
 * -2 when the bytes are wrong.
 */
static inline ssize_t recv_check(int fd, size_t cap, size_t len,
				 unsigned int tag)
{
	unsigned char *buf = malloc(cap ? cap : 1);
	ssize_t ret;
	int err;

	if (!buf)
		return -1;
	memset(buf, FILL_BYTE, cap);
	ret = read(fd, buf, cap);
	err = errno;
	if (ret >= 0 && ((size_t)ret != len || !pat_check(buf, len, tag, 0)))
		ret = -2;
	free(buf);
	errno = err;
	return ret;
}

/* Non-blocking writes of @len-byte messages until EAGAIN; the count. */
static inline long fill_channel(int fd, size_t len, unsigned int tag)
{
	long n = 0;
	ssize_t ret;

	for (;;) {
		ret = send_msg(fd, len, tag);
		if (ret < 0)
			return errno == EAGAIN ? n : -1;
		if ((size_t)ret != len)
			return -1;
		n++;
	}
}

/*
 * On an empty channel, queue messages until exactly @room bytes of
 * capacity are left. Returns the number of messages or -1.
 */
static inline long fill_to_room(int tx, unsigned long long capacity,
				unsigned int max_msg, unsigned int overhead,
				unsigned long long room)
{
	unsigned long long left = capacity - room;
	unsigned long long big = max_msg + overhead;
	unsigned long long len;
	long n = 0;

	if (room > capacity || max_msg <= overhead)
		return -1;
	while (left) {
		if (left == big || left >= big + overhead + 1)
			len = max_msg;
		else if (left > overhead && left - overhead <= max_msg)
			len = left - overhead;
		else if (left > big)
			/* leave room for exactly one 1-byte message */
			len = left - 2 * overhead - 1;
		else
			return -1;
		if (send_msg(tx, len, n) != (ssize_t)len)
			return -1;
		left -= len + overhead;
		n++;
	}
	return n;
}

/* Read and discard until the queue is empty (rx must be O_NONBLOCK). */
static inline long drain(int rx)
{
	static char buf[1 << 16];
	long n = 0;

	while (read(rx, buf, sizeof(buf)) > 0)
		n++;
	return n;
}

/* Attach a receiver and leave: the device gets a fresh channel (5.4). */
static inline int mpsc_reset(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Anonymous mapping of @pages pages; page @hole (if >= 0) is PROT_NONE. */
static inline unsigned char *map_with_hole(size_t pages, long hole)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *p;

	p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (hole >= 0 && mprotect(p + hole * pg, pg, PROT_NONE)) {
		munmap(p, pages * pg);
		return NULL;
	}
	return p;
}

/* An address that is certainly not mapped. */
static inline void *unmapped_addr(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, pg);
	return p;
}

/*
 * A read() or write() run on a thread, so the test can watch it block.
 * @state goes 0 -> 1 right before the call and 1 -> 2 after it.
 */
struct io_op {
	int fd;
	void *buf;
	size_t len;
	ssize_t ret;
	int err;
	pid_t tid;
	int state;
	pthread_t thread;
};

static inline void *io_read_fn(void *arg)
{
	struct io_op *op = arg;

	op->tid = gettid_();
	__atomic_store_n(&op->state, 1, __ATOMIC_SEQ_CST);
	op->ret = read(op->fd, op->buf, op->len);
	op->err = errno;
	__atomic_store_n(&op->state, 2, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline void *io_write_fn(void *arg)
{
	struct io_op *op = arg;

	op->tid = gettid_();
	__atomic_store_n(&op->state, 1, __ATOMIC_SEQ_CST);
	op->ret = write(op->fd, op->buf, op->len);
	op->err = errno;
	__atomic_store_n(&op->state, 2, __ATOMIC_SEQ_CST);
	return NULL;
}

static inline int io_start(struct io_op *op, void *(*fn)(void *), int fd,
			   void *buf, size_t len)
{
	op->fd = fd;
	op->buf = buf;
	op->len = len;
	op->ret = -1;
	op->err = 0;
	op->state = 0;
	return pthread_create(&op->thread, NULL, fn, op);
}

static inline bool io_done(struct io_op *op)
{
	return __atomic_load_n(&op->state, __ATOMIC_SEQ_CST) == 2;
}

/* True once the thread sleeps inside its call; false if it returned. */
static inline bool io_wait_blocked(struct io_op *op)
{
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		if (__atomic_load_n(&op->state, __ATOMIC_SEQ_CST) >= 1)
			break;
		sleep_ms(1);
	}
	for (; i < WAIT_MS; i++) {
		if (io_done(op))
			return false;
		if (task_state(getpid(), op->tid) == 'S')
			return true;
		sleep_ms(1);
	}
	return false;
}

/* Wait (bounded) for the call to return; true when it did. */
static inline bool io_wait_done(struct io_op *op)
{
	int i;

	for (i = 0; i < WAIT_MS && !io_done(op); i++)
		sleep_ms(1);
	return io_done(op);
}

/*
 * The fixture: a fresh channel on mpsc_dev() with one receiver and one
 * sender, both O_NONBLOCK so that a driver bug shows as EAGAIN rather than
 * a hang. Tests that need blocking calls open their own fds or clear
 * O_NONBLOCK. Teardown closes both and resets the channel once more, so
 * whatever a test queued never reaches the next one.
 */
FIXTURE(mpsc) {
	const char *dev;
	int rx;
	int tx;
	unsigned long long capacity;
	unsigned int max_msg;
	unsigned int overhead;
	unsigned int mid;	/* min(1000, max_msg): a middling size */
};

/*
 * Leave the test as skipped from within FIXTURE_SETUP. The 6.1 harness
 * would otherwise run the test body after a SKIP in setup; jumping back
 * like a failed ASSERT (without marking a failure) ends it on every
 * harness version.
 */
#define SKIP_SETUP(fmt, ...) \
	SKIP(longjmp(_metadata->env, 1), fmt, ##__VA_ARGS__)

FIXTURE_SETUP(mpsc)
{
	struct mpsc_info info;
	int ret;

	self->rx = -1;
	self->tx = -1;
	self->dev = mpsc_dev();
	if (access(self->dev, F_OK))
		SKIP_SETUP("%s missing: load mpsc.ko first", self->dev);

	/* Ignore SIGPIPE: tests look at EPIPE, not at the signal. */
	signal(SIGPIPE, SIG_IGN);

	ret = mpsc_reset(self->dev);
	ASSERT_EQ(0, ret) TH_LOG("reset %s: %s", self->dev, strerror(-ret));

	self->rx = open(self->dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->rx);
	self->tx = open(self->dev, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, self->tx);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	self->capacity = info.capacity;
	self->max_msg = info.max_msg_size;
	self->overhead = info.msg_overhead;
	ASSERT_LE(self->max_msg + self->overhead, self->capacity);
	if (self->max_msg < MIN_MAX_MSG)
		SKIP_SETUP("the tests need max_msg_size >= %d", MIN_MAX_MSG);
	self->mid = self->max_msg < 1000 ? self->max_msg : 1000;
}

FIXTURE_TEARDOWN(mpsc)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->dev)
		mpsc_reset(self->dev);
}

/* Wait for a forked child and return its exit code (or 128 + signal). */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static inline void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

#endif /* _MPSC_UTIL_H */
