// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of MPSC_IOC_RECV, which takes several whole messages in one call
 * (see struct mpsc_recv_batch in uapi/linux/mpsc.h): how many it takes,
 * where it stops, how it blocks, and that bad arguments consume nothing.
 */
#define _GNU_SOURCE
#include "mpsc_util.h"

#define MAX_LENS	64

/* Fill a batch request; the pointers go through __u64 as the ABI says. */
static void batch_init(struct mpsc_recv_batch *b, void *buf, __u32 buf_len,
		       __u32 *lens, __u32 max_msgs, __u32 flags)
{
	memset(b, 0, sizeof(*b));
	b->buf = (uintptr_t)buf;
	b->lens = (uintptr_t)lens;
	b->buf_len = buf_len;
	b->max_msgs = max_msgs;
	b->flags = flags;
}

static int recv_batch(int fd, void *buf, __u32 buf_len, __u32 *lens,
		      __u32 max_msgs, __u32 flags)
{
	struct mpsc_recv_batch b;

	batch_init(&b, buf, buf_len, lens, max_msgs, flags);
	return ioctl(fd, MPSC_IOC_RECV, &b);
}

static void fill_lens(__u32 *lens, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		lens[i] = FILL_U32;
}

static void *io_recv_fn(void *arg)
{
	struct io_op *op = arg;

	op->tid = gettid_();
	__atomic_store_n(&op->state, 1, __ATOMIC_SEQ_CST);
	op->ret = ioctl(op->fd, MPSC_IOC_RECV, op->buf);
	op->err = errno;
	__atomic_store_n(&op->state, 2, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Nothing was consumed: @msgs queued, the head has @head bytes left. */
static void expect_untouched(struct __test_metadata *_metadata, int rx,
			     unsigned long long msgs, int head)
{
	struct mpsc_info info;
	int avail = -1;

	ASSERT_EQ(0, mpsc_info(rx, &info));
	EXPECT_EQ(msgs, info.queued_msgs);
	EXPECT_EQ(0, info.received);
	ASSERT_EQ(0, ioctl(rx, FIONREAD, &avail));
	EXPECT_EQ(head, avail);
}

TEST_F(mpsc, batch_returns_several_whole_messages)
{
	size_t sizes[] = { 1, 10, 100, self->mid, 7 };
	unsigned char buf[4096];
	__u32 lens[MAX_LENS];
	struct mpsc_info info;
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(sizes[i], send_msg(self->tx, sizes[i], i));
	}
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);

	ASSERT_EQ(5, recv_batch(self->rx, buf, sizeof(buf), lens, 8, 0));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(sizes[i], lens[i]) TH_LOG("message %u", i);
		EXPECT_TRUE(pat_check(buf + off, sizes[i], i, 0))
			TH_LOG("message %u", i);
		off += sizes[i];
	}
	EXPECT_EQ(FILL_BYTE, buf[off]);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(0, info.used);
	EXPECT_EQ(5, info.received);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 8, 0));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(mpsc, batch_does_not_wait_for_more)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];

	set_nonblock(self->rx, false);
	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	fill_lens(lens, MAX_LENS);
	EXPECT_EQ(1, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS, 0));
	EXPECT_EQ(10, lens[0]);
	EXPECT_EQ(FILL_U32, lens[1]);
}

TEST_F(mpsc, batch_limited_by_max_msgs)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	int i;

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(10, send_msg(self->tx, 10, i));
	}
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);

	ASSERT_EQ(2, recv_batch(self->rx, buf, sizeof(buf), lens, 2, 0));
	EXPECT_EQ(10, lens[0]);
	EXPECT_EQ(10, lens[1]);
	EXPECT_EQ(FILL_U32, lens[2]);
	EXPECT_TRUE(pat_check(buf, 10, 0, 0));
	EXPECT_TRUE(pat_check(buf + 10, 10, 1, 0));
	EXPECT_EQ(FILL_BYTE, buf[20]);

	EXPECT_EQ(3, mpsc_queued(self->rx));
	for (i = 2; i < 5; i++) {
		EXPECT_EQ(10, recv_check(self->rx, 64, 10, i));
	}
}

TEST_F(mpsc, batch_limited_by_buf_len)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(10, send_msg(self->tx, 10, i));
	}
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);

	ASSERT_EQ(2, recv_batch(self->rx, buf, 25, lens, MAX_LENS, 0));
	EXPECT_EQ(10, lens[0]);
	EXPECT_EQ(10, lens[1]);
	EXPECT_TRUE(pat_check(buf, 10, 0, 0));
	EXPECT_TRUE(pat_check(buf + 10, 10, 1, 0));
	for (i = 20; i < (int)sizeof(buf); i++) {
		ASSERT_EQ(FILL_BYTE, buf[i]) TH_LOG("byte %d written", i);
	}

	EXPECT_EQ(1, mpsc_queued(self->rx));
	EXPECT_EQ(10, recv_check(self->rx, 64, 10, 2));
}

TEST_F(mpsc, batch_exact_fit_of_max_size_messages)
{
	unsigned char *buf;
	__u32 lens[MAX_LENS];
	size_t max = self->max_msg;

	/* Two largest messages and a 1-byte one must fit at once. */
	if (self->capacity < 3 * self->overhead + 2 * max + 1)
		SKIP(return, "capacity too small for two largest messages and one more");
	buf = malloc(2 * max + 1);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(max, send_msg(self->tx, max, 1));
	ASSERT_EQ(max, send_msg(self->tx, max, 2));
	ASSERT_EQ(1, send_msg(self->tx, 1, 3));

	/* Room for one and a bit: the second does not fit and stays. */
	memset(buf, FILL_BYTE, 2 * max + 1);
	ASSERT_EQ(1, recv_batch(self->rx, buf, max + max / 2, lens, 4, 0));
	EXPECT_EQ(max, lens[0]);
	EXPECT_TRUE(pat_check(buf, max, 1, 0));
	EXPECT_EQ(FILL_BYTE, buf[max]);

	/* Exactly the size of the next one. */
	ASSERT_EQ(1, recv_batch(self->rx, buf, max, lens, 4, 0));
	EXPECT_TRUE(pat_check(buf, max, 2, 0));
	ASSERT_EQ(1, recv_batch(self->rx, buf, 1, lens, 4, 0));
	EXPECT_EQ(1, lens[0]);
	EXPECT_TRUE(pat_check(buf, 1, 3, 0));
	free(buf);
}

TEST_F(mpsc, batch_head_larger_than_buf_is_emsgsize)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	int i;

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(10, send_msg(self->tx, 10, 2));
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);

	EXPECT_EQ(-1, recv_batch(self->rx, buf, 50, lens, MAX_LENS, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, 99, lens, MAX_LENS, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	for (i = 0; i < (int)sizeof(buf); i++) {
		ASSERT_EQ(FILL_BYTE, buf[i]) TH_LOG("byte %d written", i);
	}
	EXPECT_EQ(FILL_U32, lens[0]);
	expect_untouched(_metadata, self->rx, 2, 100);

	/* The size FIONREAD reported is enough. */
	ASSERT_EQ(1, recv_batch(self->rx, buf, 100, lens, MAX_LENS, 0));
	EXPECT_EQ(100, lens[0]);
	EXPECT_TRUE(pat_check(buf, 100, 1, 0));
	EXPECT_EQ(10, recv_check(self->rx, 64, 10, 2));
}

TEST_F(mpsc, batch_returns_rest_of_partly_read_head_first)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	struct mpsc_info info;

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(20, send_msg(self->tx, 20, 2));
	ASSERT_EQ(30, read(self->rx, buf, 30));

	/* 70 bytes are left: 69 is too small, 70 is enough. */
	EXPECT_EQ(-1, recv_batch(self->rx, buf, 69, lens, MAX_LENS, 0));
	EXPECT_EQ(EMSGSIZE, errno);

	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);
	ASSERT_EQ(2, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS, 0));
	EXPECT_EQ(70, lens[0]);
	EXPECT_EQ(20, lens[1]);
	EXPECT_TRUE(pat_check(buf, 70, 1, 30));
	EXPECT_TRUE(pat_check(buf + 70, 20, 2, 0));
	EXPECT_EQ(FILL_BYTE, buf[90]);

	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(0, info.queued_msgs);
	EXPECT_EQ(2, info.received);
}

TEST_F(mpsc, batch_at_eof_returns_zero)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	ASSERT_EQ(10, send_msg(self->tx, 10, 2));
	close(self->tx);
	self->tx = -1;

	/* Queued messages first, then end of file, again and again. */
	ASSERT_EQ(2, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS, 0));
	EXPECT_EQ(0, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS, 0));
	EXPECT_EQ(0, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS,
				MPSC_RECV_NONBLOCK));
	set_nonblock(self->rx, false);
	EXPECT_EQ(0, recv_batch(self->rx, buf, sizeof(buf), lens, MAX_LENS, 0));
}

TEST_F(mpsc, batch_blocks_until_message_arrives)
{
	struct mpsc_recv_batch b;
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	struct io_op op;

	set_nonblock(self->rx, false);
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, MAX_LENS);
	batch_init(&b, buf, sizeof(buf), lens, MAX_LENS, 0);
	ASSERT_EQ(0, io_start(&op, io_recv_fn, self->rx, &b, 0));
	ASSERT_TRUE(io_wait_blocked(&op));
	EXPECT_FALSE(io_done(&op));

	ASSERT_EQ(12, send_msg(self->tx, 12, 5));
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(1, op.ret);
	EXPECT_EQ(12, lens[0]);
	EXPECT_TRUE(pat_check(buf, 12, 5, 0));
}

TEST_F(mpsc, batch_blocked_wakes_at_hangup)
{
	struct mpsc_recv_batch b;
	unsigned char buf[64];
	__u32 lens[4];
	struct io_op op;

	set_nonblock(self->rx, false);
	batch_init(&b, buf, sizeof(buf), lens, 4, 0);
	ASSERT_EQ(0, io_start(&op, io_recv_fn, self->rx, &b, 0));
	ASSERT_TRUE(io_wait_blocked(&op));
	close(self->tx);
	self->tx = -1;
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(0, op.ret);
}

TEST_F(mpsc, batch_nonblock_is_eagain_on_empty)
{
	unsigned char buf[64];
	__u32 lens[4];

	/* The flag on a blocking fd ... */
	set_nonblock(self->rx, false);
	memset(buf, FILL_BYTE, sizeof(buf));
	fill_lens(lens, 4);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 4,
				 MPSC_RECV_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(FILL_U32, lens[0]);
	EXPECT_EQ(FILL_BYTE, buf[0]);

	/* ... and O_NONBLOCK on the fd without the flag. */
	set_nonblock(self->rx, true);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 4, 0));
	EXPECT_EQ(EAGAIN, errno);

	/* Before any sender attached it is EAGAIN too, not end of file. */
	close(self->tx);
	close(self->rx);
	self->tx = -1;
	self->rx = open(self->dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->rx);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 4,
				 MPSC_RECV_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);
}

static int sigusr1_hits;

static void on_sigusr1(int sig)
{
	__atomic_fetch_add(&sigusr1_hits, 1, __ATOMIC_SEQ_CST);
}

static void catch_sigusr1(struct __test_metadata *_metadata, int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

TEST_F(mpsc, batch_signal_interrupts_with_eintr)
{
	struct mpsc_recv_batch b;
	unsigned char buf[64];
	__u32 lens[4];
	struct io_op op;

	catch_sigusr1(_metadata, 0);
	set_nonblock(self->rx, false);
	fill_lens(lens, 4);
	batch_init(&b, buf, sizeof(buf), lens, 4, 0);
	ASSERT_EQ(0, io_start(&op, io_recv_fn, self->rx, &b, 0));
	ASSERT_TRUE(io_wait_blocked(&op));

	ASSERT_EQ(0, pthread_kill(op.thread, SIGUSR1));
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(-1, op.ret);
	EXPECT_EQ(EINTR, op.err);
	EXPECT_EQ(1, sigusr1_hits);
	EXPECT_EQ(FILL_U32, lens[0]);

	/* The channel is as it was: the next message is there whole. */
	ASSERT_EQ(9, send_msg(self->tx, 9, 1));
	ASSERT_EQ(1, recv_batch(self->rx, buf, sizeof(buf), lens, 4, 0));
	EXPECT_EQ(9, lens[0]);
	EXPECT_TRUE(pat_check(buf, 9, 1, 0));
}

TEST_F(mpsc, batch_signal_with_sa_restart_keeps_waiting)
{
	struct mpsc_recv_batch b;
	unsigned char buf[64];
	__u32 lens[4];
	struct io_op op;
	int i;

	catch_sigusr1(_metadata, SA_RESTART);
	set_nonblock(self->rx, false);
	batch_init(&b, buf, sizeof(buf), lens, 4, 0);
	ASSERT_EQ(0, io_start(&op, io_recv_fn, self->rx, &b, 0));
	ASSERT_TRUE(io_wait_blocked(&op));

	ASSERT_EQ(0, pthread_kill(op.thread, SIGUSR1));
	for (i = 0; i < WAIT_MS && !__atomic_load_n(&sigusr1_hits,
						     __ATOMIC_SEQ_CST); i++)
		sleep_ms(1);
	ASSERT_EQ(1, sigusr1_hits);
	ASSERT_TRUE(io_wait_blocked(&op));

	ASSERT_EQ(9, send_msg(self->tx, 9, 1));
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(1, op.ret);
	EXPECT_EQ(9, lens[0]);
}

TEST_F(mpsc, batch_bad_buf_is_efault_and_consumes_nothing)
{
	long pg = sysconf(_SC_PAGESIZE);
	__u32 lens[MAX_LENS];
	unsigned char *map;
	void *bad[3];
	int i;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	bad[0] = NULL;
	bad[1] = map + pg;
	bad[2] = map + pg - 50;		/* the first message crosses the hole */

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(10, send_msg(self->tx, 10, 2));
	for (i = 0; i < 3; i++) {
		fill_lens(lens, MAX_LENS);
		EXPECT_EQ(-1, recv_batch(self->rx, bad[i], 4096, lens,
					 MAX_LENS, 0)) TH_LOG("case %d", i);
		EXPECT_EQ(EFAULT, errno) TH_LOG("case %d", i);
		expect_untouched(_metadata, self->rx, 2, 100);
	}
	EXPECT_EQ(100, recv_check(self->rx, 256, 100, 1));
	EXPECT_EQ(10, recv_check(self->rx, 256, 10, 2));
	munmap(map, 2 * pg);
}

TEST_F(mpsc, batch_bad_lens_is_efault_and_consumes_nothing)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char buf[256], *map;
	void *bad[2];
	int i;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	bad[0] = NULL;
	bad[1] = map + pg;

	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), bad[i],
					 MAX_LENS, 0)) TH_LOG("case %d", i);
		EXPECT_EQ(EFAULT, errno) TH_LOG("case %d", i);
		expect_untouched(_metadata, self->rx, 1, 100);
	}
	EXPECT_EQ(100, recv_check(self->rx, 256, 100, 1));
	munmap(map, 2 * pg);
}

TEST_F(mpsc, batch_bad_struct_is_efault)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct mpsc_recv_batch *straddle;
	unsigned char *map;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	straddle = (struct mpsc_recv_batch *)(map + pg - 16);
	memset(straddle, 0, 16);

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	EXPECT_EQ(-1, raw_ioctl(self->rx, MPSC_IOC_RECV, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, raw_ioctl(self->rx, MPSC_IOC_RECV, unmapped_addr()));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, raw_ioctl(self->rx, MPSC_IOC_RECV, straddle));
	EXPECT_EQ(EFAULT, errno);
	expect_untouched(_metadata, self->rx, 1, 10);
	munmap(map, 2 * pg);
}

TEST_F(mpsc, batch_fault_on_later_message_returns_count_before)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map;
	__u32 lens[MAX_LENS], *lmap;
	struct mpsc_info info;

	map = map_with_hole(2, 1);
	ASSERT_NE(NULL, map);
	ASSERT_EQ(100, send_msg(self->tx, 100, 1));
	ASSERT_EQ(100, send_msg(self->tx, 100, 2));
	ASSERT_EQ(100, send_msg(self->tx, 100, 3));

	/* The first message ends right at the hole; the second is in it. */
	fill_lens(lens, MAX_LENS);
	ASSERT_EQ(1, recv_batch(self->rx, map + pg - 100, 300, lens,
				MAX_LENS, 0));
	EXPECT_EQ(100, lens[0]);
	EXPECT_TRUE(pat_check(map + pg - 100, 100, 1, 0));
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	EXPECT_EQ(2, info.queued_msgs);
	EXPECT_EQ(1, info.received);

	/* Same with the lengths array: lens[1] is in the hole. */
	lmap = (__u32 *)(map + pg - sizeof(__u32));
	ASSERT_EQ(1, recv_batch(self->rx, map, 300, lmap, MAX_LENS, 0));
	EXPECT_EQ(100, *lmap);
	EXPECT_TRUE(pat_check(map, 100, 2, 0));

	EXPECT_EQ(100, recv_check(self->rx, 256, 100, 3));
	munmap(map, 2 * pg);
}

TEST_F(mpsc, batch_on_sender_is_ebadf)
{
	unsigned char buf[64];
	__u32 lens[4];

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));
	EXPECT_EQ(-1, recv_batch(self->tx, buf, sizeof(buf), lens, 4, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, recv_batch(self->tx, buf, sizeof(buf), lens, 4,
				 MPSC_RECV_NONBLOCK));
	EXPECT_EQ(EBADF, errno);
	expect_untouched(_metadata, self->rx, 1, 10);
}

TEST_F(mpsc, batch_invalid_args_are_einval)
{
	struct mpsc_recv_batch b;
	unsigned char buf[64];
	__u32 lens[4];

	ASSERT_EQ(10, send_msg(self->tx, 10, 1));

	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, 0, lens, 4, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 4,
				 MPSC_RECV_NONBLOCK << 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 4,
				 1U << 31));
	EXPECT_EQ(EINVAL, errno);

	batch_init(&b, buf, sizeof(buf), lens, 4, 0);
	b.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_RECV, &b));
	EXPECT_EQ(EINVAL, errno);

	/* Checked before waiting: an empty blocking channel fails too. */
	ASSERT_EQ(10, recv_check(self->rx, 64, 10, 1));
	set_nonblock(self->rx, false);
	EXPECT_EQ(-1, recv_batch(self->rx, buf, sizeof(buf), lens, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->rx, MPSC_IOC_RECV, &b));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mpsc, batch_huge_limits_need_no_allocation)
{
	unsigned char buf[256];
	__u32 lens[4];
	int i;

	/* Only what is taken is written: small arrays do for a few. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(10, send_msg(self->tx, 10, i));
	}
	fill_lens(lens, 4);
	ASSERT_EQ(3, recv_batch(self->rx, buf, UINT32_MAX, lens, UINT32_MAX,
				0));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(10, lens[i]);
		EXPECT_TRUE(pat_check(buf + 10 * i, 10, i, 0));
	}
	EXPECT_EQ(FILL_U32, lens[3]);
}

TEST_F_TIMEOUT(mpsc, batch_takes_many_small_messages, 60)
{
	unsigned int n = 1000, i;
	unsigned char *buf;
	__u32 *lens;
	long got;

	buf = malloc(n);
	lens = malloc((n + 1) * sizeof(*lens));
	ASSERT_TRUE(buf && lens);
	got = fill_channel(self->tx, 1, 0);
	ASSERT_LT(0, got);
	if (got > n)
		got = n;
	else
		n = got;
	fill_lens(lens, n + 1);

	ASSERT_EQ(n, recv_batch(self->rx, buf, n, lens, n + 1, 0));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(1, lens[i]) TH_LOG("message %u", i);
	}
	EXPECT_EQ(FILL_U32, lens[n]);
	free(buf);
	free(lens);
}

TEST_F(mpsc, batch_frees_room_for_blocked_writer)
{
	unsigned char *buf, *big;
	size_t len = self->max_msg < 1000 ? self->max_msg : 1000;
	__u32 lens[MAX_LENS];
	struct io_op op;
	int tx, got;

	tx = open(self->dev, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, tx);
	ASSERT_LT(0, fill_channel(self->tx, len, 1));
	big = malloc(len);
	buf = malloc(MAX_LENS * len);
	ASSERT_TRUE(big && buf);
	pat_fill(big, len, 2);
	ASSERT_EQ(0, io_start(&op, io_write_fn, tx, big, len));
	ASSERT_TRUE(wait_blocked_writers(self->rx, 1));

	got = recv_batch(self->rx, buf, MAX_LENS * len, lens, MAX_LENS, 0);
	ASSERT_LT(0, got);
	ASSERT_TRUE(io_wait_done(&op));
	pthread_join(op.thread, NULL);
	EXPECT_EQ(len, op.ret);
	close(tx);
	free(big);
	free(buf);
}

TEST_F(mpsc, batch_and_read_share_one_order)
{
	unsigned char buf[256];
	__u32 lens[MAX_LENS];
	int i;

	for (i = 0; i < 6; i++) {
		ASSERT_EQ(8, send_msg(self->tx, 8, i));
	}
	EXPECT_EQ(8, recv_check(self->rx, 64, 8, 0));
	ASSERT_EQ(2, recv_batch(self->rx, buf, sizeof(buf), lens, 2, 0));
	EXPECT_TRUE(pat_check(buf, 8, 1, 0));
	EXPECT_TRUE(pat_check(buf + 8, 8, 2, 0));
	EXPECT_EQ(8, recv_check(self->rx, 64, 8, 3));
	ASSERT_EQ(2, recv_batch(self->rx, buf, sizeof(buf), lens, 8, 0));
	EXPECT_TRUE(pat_check(buf, 8, 4, 0));
	EXPECT_TRUE(pat_check(buf + 8, 8, 5, 0));
}

TEST_HARNESS_MAIN
