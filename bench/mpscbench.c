// SPDX-License-Identifier: GPL-2.0
/*
 * mpscbench: /dev/mpsc against the kernel's own message paths, measured
 * side by side in one boot. Runs in the guest (see run.sh); writes one CSV
 * row per figure (stdout, or -o FILE). report.c turns the rows into the
 * tables. README.md says what is measured and how.
 *
 *   mpscbench [-r ROUNDS] [-t CELL_MS] [-p PINGPONG_MS] [-q] [-s SEED]
 *             [-P PEER,...] [-o raw.csv]
 *
 * Tests (every one repeated ROUNDS times, peers in random order):
 *   tput     N producer processes, one consumer, a fixed wall time per
 *            cell; msgs/s, MB/s, CPU time and context switches per message,
 *            Jain fairness of what each producer got in. Every message
 *            carries producer id, sequence number and its length, and the
 *            consumer checks loss, per-sender order and boundaries.
 *   pp_same  ping-pong latency, request and reply channel, one CPU
 *   pp_cross the same across two CPUs
 *   mem      kernel memory per queued 64 B message (free pages, slab)
 *   sender   kernel memory per open sender, against /dev/null opens
 *   wake     writer wake-ups per freed slot, 64 writers blocked on a full
 *            channel
 *
 * -q (quick): 64 B and 4 KiB, 1, 8 and 64 producers. -P: only the named
 * peers (for a run without the module: -P fifo,pipe,pipe-pkt,...).
 * MPSCBENCH_DEBUG=1 in the environment prints each cell's phase times.
 *
 * Exit status: 0, or 1 when any check found a violation or a test failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mpsc.h>

#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ	1031
#define F_GETPIPE_SZ	1032
#endif

#define CAP		(1 << 20)	/* the equalised capacity */
#define MAXPROD		64
#define MAXSIZE		65536
#define PIPE_ATOMIC	4096		/* PIPE_BUF */
#define BATCH_BUF	(256 << 10)
#define BATCH_MSGS	256
#define URING_DEPTH	16

/* --- peers --------------------------------------------------------------- */

enum transport { T_MPSC, T_FIFO, T_PIPE, T_PKT, T_MQ, T_SEQ, T_DGRAM };
enum consumer { C_READ, C_BATCH, C_URING };
enum config { CFG_EQ, CFG_DEF };

struct peer {
	const char *name;
	enum transport t;
	enum consumer c;
};

static const struct peer peers[] = {
	{ "mpsc",	T_MPSC,	C_READ },
	{ "mpsc-batch",	T_MPSC,	C_BATCH },
	{ "mpsc-uring",	T_MPSC,	C_URING },
	{ "fifo",	T_FIFO,	C_READ },
	{ "pipe",	T_PIPE,	C_READ },
	{ "pipe-uring",	T_PIPE,	C_URING },
	{ "pipe-pkt",	T_PKT,	C_READ },
	{ "mqueue",	T_MQ,	C_READ },
	{ "seqpacket",	T_SEQ,	C_READ },
	{ "dgram",	T_DGRAM, C_READ },
};
#define NPEERS	(int)(sizeof(peers) / sizeof(peers[0]))

static const char *const cfg_name[] = { "eq", "def" };

/* --- options and global state --------------------------------------------- */

static int opt_rounds = 7;
static int opt_cell_ms = 300;
static int opt_pp_ms = 300;
static int opt_quick;
static const char *opt_only;	/* comma-separated peer names, or NULL */
static unsigned int opt_seed;
static FILE *out;
static long total_errors;
static int cur_round;
static char cur_cell[128];

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mpscbench: FAIL [%s]: ", cur_cell);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	total_errors++;
}

static void die(const char *what)
{
	fprintf(stderr, "mpscbench: [%s] %s: %s\n", cur_cell, what,
		strerror(errno));
	exit(2);
}

static void emit(const char *test, const char *peer, int cfg, size_t size,
		 int nprod, const char *metric, double v)
{
	fprintf(out, "%d,%s,%s,%s,%zu,%d,%s,%.6g\n", cur_round, test, peer,
		cfg_name[cfg], size, nprod, metric, v);
	fflush(out);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Cheap enough to call once per message: the vDSO reads a jiffies copy. */
static double now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void watchdog(int sig)
{
	static const char msg[] = "mpscbench: watchdog: a cell hung, giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	write(2, cur_cell, strnlen(cur_cell, sizeof(cur_cell)));
	write(2, "\n", 1);
	_exit(2);
}

static uint64_t rnd_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (rnd_state * 2685821657736338717ULL) >> 32;
}

static void shuffle(int *a, int n)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rnd() % (i + 1), t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

/* --- message format ------------------------------------------------------- */
/*
 * The first 8 bytes: seq (40 bits) | producer id (8) | length - 1 (16).
 * A message of 16 bytes or more ends with the same word xor TRAILER_KEY, so
 * a torn or merged message shows. The last message of a producer sets
 * END_FLAG in seq and carries its count of regular messages.
 */
#define END_FLAG	(1ULL << 39)
#define TRAILER_KEY	0xa5c3a5c35a3c5a3cULL

static uint64_t hdr(uint64_t seq, unsigned int id, size_t len)
{
	return seq << 24 | (uint64_t)id << 16 | (uint64_t)(len - 1);
}

static void stamp(unsigned char *buf, size_t len, uint64_t h)
{
	memcpy(buf, &h, 8);
	if (len >= 16) {
		uint64_t t = h ^ TRAILER_KEY;

		memcpy(buf + len - 8, &t, 8);
	}
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned int id)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 31 + id);
}

struct check {
	int nprod;
	size_t size;
	uint64_t next[MAXPROD];
	int ended[MAXPROD];
	int ends;
	uint64_t total;
	uint64_t bytes;
	long errors;
};

static void violation(struct check *k, const char *fmt, ...)
{
	va_list ap;

	if (k->errors++ < 8) {
		va_start(ap, fmt);
		fprintf(stderr, "mpscbench: VIOLATION [%s]: ", cur_cell);
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
		va_end(ap);
	}
}

static void check_msg(struct check *k, const unsigned char *p, size_t len)
{
	uint64_t h, t, seq;
	unsigned int id;

	if (len != k->size) {
		violation(k, "message of %zu bytes, expected %zu", len, k->size);
		return;
	}
	memcpy(&h, p, 8);
	if ((h & 0xffff) != (k->size - 1)) {
		violation(k, "length field %u, expected %zu (torn message)",
			  (unsigned int)(h & 0xffff) + 1, k->size);
		return;
	}
	if (len >= 16) {
		memcpy(&t, p + len - 8, 8);
		if ((t ^ TRAILER_KEY) != h) {
			violation(k, "trailer does not match the header (boundary)");
			return;
		}
	}
	id = (h >> 16) & 0xff;
	seq = h >> 24;
	if ((int)id >= k->nprod) {
		violation(k, "producer id %u out of range", id);
		return;
	}
	if (k->ended[id]) {
		violation(k, "producer %u: message after its last one", id);
		return;
	}
	if (seq & END_FLAG) {
		seq &= ~END_FLAG;
		if (seq != k->next[id])
			violation(k, "producer %u sent %" PRIu64 ", received %" PRIu64
				  " (loss)", id, seq, k->next[id]);
		k->ended[id] = 1;
		k->ends++;
		return;
	}
	if (seq != k->next[id]) {
		violation(k, "producer %u: seq %" PRIu64 " after %" PRIu64
			  " (order or loss)", id, seq, k->next[id]);
		k->next[id] = seq + 1;
	} else {
		k->next[id]++;
	}
	k->total++;
	k->bytes += len;
}

/* --- channels ---------------------------------------------------------------- */

struct chan {
	enum transport t;
	enum config cfg;
	size_t size;
	int dev;		/* /dev/mpscN */
	int rfd;		/* consumer end */
	int wfd;		/* shared producer end (pipes, sockets) */
	char name[96];		/* FIFO path, mqueue name */
	long msgsize;		/* mqueue: receive buffer needed */
};

static int seqno;

/* F_SETFL replaces O_DIRECT too: keep the other flags. */
static void set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK :
			    fl & ~O_NONBLOCK) < 0)
		die("F_SETFL");
}

static void set_pipe_size(int fd, int size)
{
	if (fcntl(fd, F_SETPIPE_SZ, size) < 0)
		die("F_SETPIPE_SZ");
}

static void set_sock_bufs(int fd)
{
	/* The kernel doubles the value for its own bookkeeping. */
	int v = CAP / 2;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0)
		die("SO_SNDBUF");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		die("SO_RCVBUF");
}

/* mqueue capacity: as many messages as mpsc holds (payload + 64 each). */
static long mq_maxmsg_for(size_t size)
{
	long n = CAP / ((long)size + 64);

	return n < 1 ? 1 : n > 65536 ? 65536 : n;
}

static void chan_setup(struct chan *c, enum transport t, enum config cfg,
		       size_t size, int dev)
{
	int fds[2];

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->cfg = cfg;
	c->size = size;
	c->dev = dev;
	c->rfd = c->wfd = -1;
	seqno++;

	switch (t) {
	case T_MPSC:
		snprintf(c->name, sizeof(c->name), "/dev/mpsc%d", dev);
		c->rfd = open(c->name, O_RDONLY | O_CLOEXEC);
		if (c->rfd < 0)
			die(c->name);
		break;
	case T_FIFO:
		snprintf(c->name, sizeof(c->name), "/tmp/mpscbench.%d.%d",
			 getpid(), seqno);
		unlink(c->name);
		if (mkfifo(c->name, 0600) < 0)
			die("mkfifo");
		/* Non-blocking open does not wait for a writer. */
		c->rfd = open(c->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (c->rfd < 0)
			die("open fifo");
		set_nonblock(c->rfd, 0);
		if (cfg == CFG_EQ)
			set_pipe_size(c->rfd, CAP);
		break;
	case T_PIPE:
	case T_PKT:
		if (pipe2(fds, O_CLOEXEC | (t == T_PKT ? O_DIRECT : 0)) < 0)
			die("pipe2");
		c->rfd = fds[0];
		c->wfd = fds[1];
		if (cfg == CFG_EQ)
			set_pipe_size(c->wfd, CAP);
		break;
	case T_MQ: {
		struct mq_attr a = { 0 };
		mqd_t q;

		snprintf(c->name, sizeof(c->name), "/mpscbench.%d.%d",
			 getpid(), seqno);
		mq_unlink(c->name);
		a.mq_maxmsg = mq_maxmsg_for(size);
		a.mq_msgsize = size;
		q = mq_open(c->name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0600, cfg == CFG_EQ ? &a : NULL);
		if (q == (mqd_t)-1)
			die("mq_open");
		if (mq_getattr(q, &a) < 0)
			die("mq_getattr");
		c->msgsize = a.mq_msgsize;
		c->rfd = q;
		break;
	}
	case T_SEQ:
	case T_DGRAM:
		if (socketpair(AF_UNIX, (t == T_SEQ ? SOCK_SEQPACKET :
					 SOCK_DGRAM) | SOCK_CLOEXEC, 0, fds) < 0)
			die("socketpair");
		c->rfd = fds[0];
		c->wfd = fds[1];
		if (cfg == CFG_EQ) {
			set_sock_bufs(fds[0]);
			set_sock_bufs(fds[1]);
		}
		break;
	}
}

/* A sender's handle, opened by the process that sends. */
static int chan_sender(struct chan *c, int nonblock)
{
	int fd = -1;

	switch (c->t) {
	case T_MPSC:
	case T_FIFO:
		fd = open(c->name, O_WRONLY | O_CLOEXEC |
			  (nonblock ? O_NONBLOCK : 0));
		break;
	case T_MQ:
		fd = mq_open(c->name, O_WRONLY | O_CLOEXEC |
			     (nonblock ? O_NONBLOCK : 0));
		break;
	default:
		/* The one shared write end; sends pass MSG_DONTWAIT etc. */
		fd = c->wfd;
		if (nonblock && (c->t == T_PIPE || c->t == T_PKT))
			set_nonblock(fd, 1);
		break;
	}
	if (fd < 0)
		die("open sender");
	return fd;
}

static void chan_sender_close(struct chan *c, int fd)
{
	if (fd == c->wfd) {
		if (c->t == T_PIPE || c->t == T_PKT)
			set_nonblock(fd, 0);
		return;
	}
	if (c->t == T_MQ)
		mq_close(fd);
	else
		close(fd);
}

static void chan_teardown(struct chan *c)
{
	if (c->rfd >= 0) {
		if (c->t == T_MQ)
			mq_close(c->rfd);
		else
			close(c->rfd);
	}
	if (c->wfd >= 0)
		close(c->wfd);
	if (c->t == T_FIFO)
		unlink(c->name);
	if (c->t == T_MQ)
		mq_unlink(c->name);
	c->rfd = c->wfd = -1;
}

/* One message; returns len, or -1 with errno. */
static ssize_t chan_send(struct chan *c, int fd, const void *buf, size_t len,
			 int nonblock)
{
	switch (c->t) {
	case T_MQ:
		return mq_send(fd, buf, len, 0) ? -1 : (ssize_t)len;
	case T_SEQ:
	case T_DGRAM:
		return send(fd, buf, len, nonblock ? MSG_DONTWAIT : 0);
	default:
		return write(fd, buf, len);
	}
}

/*
 * One message into buf (room for at least size + 1 and the mqueue size);
 * returns its length, 0 at end of file, -1 with errno.
 */
static ssize_t chan_recv(struct chan *c, void *buf, size_t room)
{
	ssize_t n, got = 0;

	switch (c->t) {
	case T_PIPE:
	case T_FIFO:
		/* A byte stream: the consumer knows the size of a message. */
		while ((size_t)got < c->size) {
			n = read(c->rfd, (char *)buf + got, c->size - got);
			if (n <= 0)
				return got ? got : n;
			got += n;
		}
		return got;
	case T_MQ:
		return mq_receive(c->rfd, buf, room, NULL);
	default:
		return read(c->rfd, buf, room);
	}
}

/* --- kernel memory snapshots ------------------------------------------------ */

static char procbuf[1 << 20];

static size_t read_proc(const char *path)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (got < sizeof(procbuf) - 1 &&
	       (n = read(fd, procbuf + got, sizeof(procbuf) - 1 - got)) > 0)
		got += n;
	close(fd);
	procbuf[got] = 0;
	return got;
}

struct kmem {
	long long free_pages;	/* buddy free pages plus per-cpu lists */
	long long slab_bytes;	/* sum of active objects times their size */
};

/*
 * Flush every cache's per-cpu slabs back to the node lists: /proc/slabinfo
 * counts objects sitting free on per-cpu slabs as active, so without this
 * a test that frees objects makes the next one look free of cost.
 */
static void slab_shrink_all(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char path[320];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd;

		/* Aliases are symbolic links to the real caches. */
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 e->d_name);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		write(fd, "1", 1);
		close(fd);
	}
	closedir(d);
}

static void kmem_snap(struct kmem *m)
{
	char *line, *save;
	long long v;

	slab_shrink_all();

	m->free_pages = 0;
	m->slab_bytes = 0;
	/* Pages on the per-cpu lists are free but not in "pages free". */
	read_proc("/proc/zoneinfo");
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " pages free %lld", &v) == 1)
			m->free_pages += v;
		else if (sscanf(line, " count: %lld", &v) == 1)
			m->free_pages += v;
	}
	read_proc("/proc/slabinfo");
	for (line = strtok_r(procbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		long long active, num, objsize;

		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num,
			   &objsize) == 4)
			m->slab_bytes += active * objsize;
	}
}

/*
 * Wait until the kernel stops returning memory: closed files and sockets
 * are freed after an RCU grace period, which would otherwise land inside
 * the next measurement.
 */
static void kmem_settle(struct kmem *m)
{
	struct kmem prev;

	kmem_snap(&prev);
	for (int i = 0; i < 40; i++) {
		usleep(25000);
		kmem_snap(m);
		if (llabs(m->slab_bytes - prev.slab_bytes) < 1024 &&
		    llabs(m->free_pages - prev.free_pages) < 4)
			return;
		prev = *m;
	}
}

/* --- throughput cell --------------------------------------------------------- */

struct prod_stat {
	long cpu_us;
	long csw;
	uint64_t fair;		/* messages sent in the fairness window */
	int failed;
};

struct shared {
	int ready;
	int fair;		/* the fairness window has begun */
	int stop;
	struct prod_stat prod[MAXPROD];
};

static struct shared *sh;
static unsigned char *rbuf;		/* consumer buffer */
static unsigned char *pbuf;		/* producer buffer */

static long tv_us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000L + tv->tv_usec;
}

static long ru_cpu(const struct rusage *a, const struct rusage *b)
{
	return tv_us(&b->ru_utime) - tv_us(&a->ru_utime) +
	       tv_us(&b->ru_stime) - tv_us(&a->ru_stime);
}

static long ru_csw(const struct rusage *a, const struct rusage *b)
{
	return b->ru_nvcsw - a->ru_nvcsw + b->ru_nivcsw - a->ru_nivcsw;
}

static void producer(struct chan *c, int id, int barrier)
{
	struct rusage r0, r1;
	uint64_t seq = 0, fair_from = UINT64_MAX;
	char x;
	int fd;

	signal(SIGPIPE, SIG_DFL);
	fd = chan_sender(c, 0);
	fill_pattern(pbuf, c->size, id);
	__atomic_fetch_add(&sh->ready, 1, __ATOMIC_SEQ_CST);
	if (read(barrier, &x, 1) < 0)
		_exit(3);
	getrusage(RUSAGE_SELF, &r0);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED)) {
		if (fair_from == UINT64_MAX &&
		    __atomic_load_n(&sh->fair, __ATOMIC_RELAXED))
			fair_from = seq;
		stamp(pbuf, c->size, hdr(seq, id, c->size));
		if (chan_send(c, fd, pbuf, c->size, 0) != (ssize_t)c->size) {
			sh->prod[id].failed = errno ? errno : -1;
			_exit(4);
		}
		seq++;
	}
	sh->prod[id].fair = fair_from == UINT64_MAX ? 0 : seq - fair_from;
	stamp(pbuf, c->size, hdr(seq | END_FLAG, id, c->size));
	if (chan_send(c, fd, pbuf, c->size, 0) != (ssize_t)c->size) {
		sh->prod[id].failed = errno ? errno : -1;
		_exit(4);
	}
	getrusage(RUSAGE_SELF, &r1);
	sh->prod[id].cpu_us = ru_cpu(&r0, &r1);
	sh->prod[id].csw = ru_csw(&r0, &r1);
	_exit(0);
}

/* State the consumer loop shares with its stop test. */
struct consume {
	struct check k;
	double deadline, fair_at, t0, t1;
	uint64_t win_total, win_bytes;
	int stopped;
};

static void consume_tick(struct consume *s)
{
	double t;

	if (s->stopped)
		return;
	t = now_coarse();
	if (t >= s->fair_at && !sh->fair)
		__atomic_store_n(&sh->fair, 1, __ATOMIC_RELAXED);
	if (t < s->deadline)
		return;
	s->t1 = now();
	s->stopped = 1;
	s->win_total = s->k.total;
	s->win_bytes = s->k.bytes;
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
}

static void consume_read(struct chan *c, struct consume *s)
{
	size_t room = c->size + 1;
	ssize_t n;

	if (c->t == T_MQ && (size_t)c->msgsize > room)
		room = c->msgsize;
	while (s->k.ends < s->k.nprod) {
		n = chan_recv(c, rbuf, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			violation(&s->k, "receive: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			violation(&s->k, "end of file before every producer ended");
			return;
		}
		check_msg(&s->k, rbuf, n);
		consume_tick(s);
	}
}

static void consume_batch(struct chan *c, struct consume *s)
{
	static uint32_t lens[BATCH_MSGS];
	struct mpsc_recv_batch b = {
		.buf = (uintptr_t)rbuf,
		.lens = (uintptr_t)lens,
		.buf_len = BATCH_BUF,
		.max_msgs = BATCH_MSGS,
	};
	int n;

	while (s->k.ends < s->k.nprod) {
		n = ioctl(c->rfd, MPSC_IOC_RECV, &b);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			violation(&s->k, "MPSC_IOC_RECV: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			violation(&s->k, "end of file before every producer ended");
			return;
		}
		size_t off = 0;

		for (int i = 0; i < n; i++) {
			check_msg(&s->k, rbuf + off, lens[i]);
			off += lens[i];
		}
		consume_tick(s);
	}
}

#ifdef HAVE_LIBURING
/*
 * io_uring reads: URING_DEPTH linked reads per submission, so they run in
 * order; each returns one message. Reads of an empty channel are armed on
 * poll (FMODE_NOWAIT) rather than handed to a worker thread.
 */
static void consume_uring(struct chan *c, struct consume *s)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	size_t slot = c->size + 1;
	int ret;

	ret = io_uring_queue_init(URING_DEPTH * 2, &ring, 0);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	while (s->k.ends < s->k.nprod) {
		ssize_t res[URING_DEPTH];
		int got = 0;

		for (int i = 0; i < URING_DEPTH; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			/*
			 * Exactly one message's size: a short read would cut
			 * the chain (the rest completes with -ECANCELED).
			 */
			io_uring_prep_read(sqe, c->rfd, rbuf + i * slot,
					   c->size, 0);
			sqe->user_data = i;
			if (i < URING_DEPTH - 1)
				sqe->flags |= IOSQE_IO_LINK;
		}
		ret = io_uring_submit(&ring);
		if (ret != URING_DEPTH) {
			errno = ret < 0 ? -ret : EIO;
			die("io_uring_submit");
		}
		while (got < URING_DEPTH) {
			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0) {
				errno = -ret;
				die("io_uring_wait_cqe");
			}
			res[cqe->user_data] = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
			got++;
		}
		for (int i = 0; i < URING_DEPTH; i++) {
			if (res[i] == -ECANCELED || res[i] == 0)
				continue;	/* after the end, or cut chain */
			if (res[i] < 0) {
				violation(&s->k, "io_uring read: %s",
					  strerror(-res[i]));
				continue;
			}
			check_msg(&s->k, rbuf + i * slot, res[i]);
		}
		consume_tick(s);
	}
	io_uring_queue_exit(&ring);
}
#endif

static double jain(const struct prod_stat *x, int n)
{
	double sum = 0, sq = 0;

	for (int i = 0; i < n; i++) {
		sum += x[i].fair;
		sq += (double)x[i].fair * x[i].fair;
	}
	return sq ? sum * sum / (n * sq) : 0;
}

static int peer_selected(const char *name)
{
	size_t n = strlen(name);
	const char *s = opt_only;

	if (!s)
		return 1;
	while (*s) {
		if (!strncmp(s, name, n) && (s[n] == ',' || !s[n]))
			return 1;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return 0;
}

static int peer_supports(const struct peer *p, size_t size, int nprod)
{
	if (!peer_selected(p->name))
		return 0;
	if (p->c == C_URING) {
#ifndef HAVE_LIBURING
		return 0;
#endif
		/* Variants shown at 64 B; full matrix would double the run. */
		if (size != 64)
			return 0;
	}
	switch (p->t) {
	case T_PIPE:
	case T_FIFO:
		/* Writes above PIPE_BUF interleave between writers. */
		return size <= PIPE_ATOMIC || nprod == 1;
	case T_PKT:
		/* Packets are at most a page; a larger write is split. */
		return size <= PIPE_ATOMIC;
	default:
		return 1;
	}
}

static void run_tput(const struct peer *p, enum config cfg, size_t size,
		     int nprod, int cell_ms)
{
	struct rusage r0, r1;
	struct consume s;
	struct chan c;
	pid_t pids[MAXPROD];
	int barrier[2], status, ok = 1;
	long cpu, csw;

	snprintf(cur_cell, sizeof(cur_cell), "round %d tput %s %s %zuB x%d",
		 cur_round, p->name, cfg_name[cfg], size, nprod);
	memset(sh, 0, sizeof(*sh));
	memset(&s, 0, sizeof(s));
	s.k.nprod = nprod;
	s.k.size = size;

	double ts = now();

	chan_setup(&c, p->t, cfg, size, 0);
	if (pipe2(barrier, O_CLOEXEC) < 0)
		die("pipe2");
	for (int i = 0; i < nprod; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			close(barrier[1]);
			producer(&c, i, barrier[0]);
		}
	}
	close(barrier[0]);
	/* Only the producers hold the write ends: end of file works. */
	if (c.wfd >= 0) {
		close(c.wfd);
		c.wfd = -1;
	}
	while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < nprod)
		usleep(1000);

	alarm(60);
	getrusage(RUSAGE_SELF, &r0);
	s.t0 = now();
	s.deadline = s.t0 + cell_ms / 1000.0;
	/*
	 * Fairness counts what each producer got in during the second half:
	 * by then the first comers' initial fill of the queue is over.
	 */
	s.fair_at = s.t0 + cell_ms / 2000.0;
	close(barrier[1]);		/* go */

	switch (p->c) {
	case C_READ:
		consume_read(&c, &s);
		break;
	case C_BATCH:
		consume_batch(&c, &s);
		break;
	case C_URING:
#ifdef HAVE_LIBURING
		consume_uring(&c, &s);
#endif
		break;
	}
	getrusage(RUSAGE_SELF, &r1);
	double td = now();
	if (!s.stopped) {
		/* Every producer ended before the deadline: cannot be. */
		s.stopped = 1;
		s.t1 = now();
		s.win_total = s.k.total;
		s.win_bytes = s.k.bytes;
	}

	if (s.k.ends < nprod) {
		/* The consumer gave up: do not wait for blocked producers. */
		__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < nprod; i++)
			kill(pids[i], SIGKILL);
		ok = 0;
	}
	for (int i = 0; i < nprod; i++) {
		if (waitpid(pids[i], &status, 0) < 0)
			die("waitpid");
		if (ok && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			fail("producer %d: status 0x%x (errno %d)", i, status,
			     sh->prod[i].failed);
			ok = 0;
		}
	}
	/* Every sender is gone and the queue drained: end of file. */
	if (ok && p->t == T_MPSC && p->c != C_URING && !s.k.errors) {
		ssize_t n = read(c.rfd, rbuf, size + 1);

		if (n != 0)
			violation(&s.k, "no end of file after the last sender (%zd)",
				  n);
	}
	alarm(0);
	chan_teardown(&c);
	if (getenv("MPSCBENCH_DEBUG"))
		say("%s: setup %.0f ms, window %.0f ms, drain %.0f ms, reap %.0f ms\n",
		    cur_cell, (s.t0 - ts) * 1e3, (s.t1 - s.t0) * 1e3,
		    (td - s.t1) * 1e3, (now() - td) * 1e3);

	cpu = ru_cpu(&r0, &r1);
	csw = ru_csw(&r0, &r1);
	for (int i = 0; i < nprod; i++) {
		cpu += sh->prod[i].cpu_us;
		csw += sh->prod[i].csw;
	}
	if (s.k.errors) {
		total_errors += s.k.errors;
		emit("tput", p->name, cfg, size, nprod, "errors", s.k.errors);
		return;
	}
	if (!ok)
		return;

	double dt = s.t1 - s.t0;
	uint64_t all = s.k.total ? s.k.total : 1;

	emit("tput", p->name, cfg, size, nprod, "msgs_s", s.win_total / dt);
	emit("tput", p->name, cfg, size, nprod, "mb_s", s.win_bytes / dt / 1e6);
	emit("tput", p->name, cfg, size, nprod, "cpu_us_msg", (double)cpu / all);
	emit("tput", p->name, cfg, size, nprod, "csw_msg", (double)csw / all);
	emit("tput", p->name, cfg, size, nprod, "jain", jain(sh->prod, nprod));
	emit("tput", p->name, cfg, size, nprod, "msgs", s.k.total);
}

/* --- ping-pong ----------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * @cross: 0 pins both sides to CPU 0, so a round trip is two context
 * switches on one CPU (the path's own cost); 1 puts them on CPUs 0 and 1,
 * so every message also pays a cross-CPU wake-up.
 */
static void run_pingpong(const struct peer *p, int cross)
{
	const char *test = cross ? "pp_cross" : "pp_same";
	const size_t size = 64;
	static double rtt[1 << 20];
	struct chan req, rep;
	size_t room, n = 0;
	int status, fd;
	pid_t pid;
	double start, end;

	if (!peer_selected(p->name))
		return;

	snprintf(cur_cell, sizeof(cur_cell), "round %d %s %s",
		 cur_round, test, p->name);
	chan_setup(&req, p->t, CFG_EQ, size, 0);
	chan_setup(&rep, p->t, CFG_EQ, size, 1);
	room = size + 1;
	if (p->t == T_MQ && (size_t)req.msgsize > room)
		room = req.msgsize;
	sh->ready = 0;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* The echo side: request in, the same bytes back. */
		pin(cross);
		fd = chan_sender(&rep, 0);
		__atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
		for (;;) {
			ssize_t r = chan_recv(&req, rbuf, room);
			uint64_t h;

			if (r != (ssize_t)size)
				_exit(5);
			memcpy(&h, rbuf, 8);
			if ((h >> 24) & END_FLAG)
				_exit(0);
			if (chan_send(&rep, fd, rbuf, size, 0) != (ssize_t)size)
				_exit(6);
		}
	}
	pin(0);
	fd = chan_sender(&req, 0);
	while (!__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST))
		usleep(1000);

	alarm(60);
	fill_pattern(pbuf, size, 0);
	start = now();
	end = start + opt_pp_ms / 1000.0;
	while (n < sizeof(rtt) / sizeof(rtt[0])) {
		double t = now();
		uint64_t h = hdr(n, 0, size), g;

		/* At least 2000 trips, unless that takes very long. */
		if (t >= end && (n >= 2000 || t >= start + 4 * opt_pp_ms / 1000.0))
			break;
		stamp(pbuf, size, h);
		if (chan_send(&req, fd, pbuf, size, 0) != (ssize_t)size)
			die("ping send");
		if (chan_recv(&rep, rbuf, room) != (ssize_t)size)
			die("pong receive");
		rtt[n++] = now() - t;
		memcpy(&g, rbuf, 8);
		if (g != h)
			fail("pong %zu does not echo its ping", n);
	}
	stamp(pbuf, size, hdr(END_FLAG, 0, size));
	chan_send(&req, fd, pbuf, size, 0);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	alarm(0);
	pin(-1);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("echo process status 0x%x", status);
	chan_sender_close(&req, fd);
	chan_teardown(&req);
	chan_teardown(&rep);

	if (n < 10) {
		fail("only %zu round trips", n);
		return;
	}
	qsort(rtt, n, sizeof(rtt[0]), cmp_double);
	emit(test, p->name, CFG_EQ, size, 1, "p50_us", rtt[n / 2] * 1e6);
	emit(test, p->name, CFG_EQ, size, 1, "p99_us", rtt[n * 99 / 100] * 1e6);
	emit(test, p->name, CFG_EQ, size, 1, "trips", n);
}

/* --- kernel memory ------------------------------------------------------------- */

/* Kernel memory per queued 64 B message: queue N without a reader. */
static void run_mem(const struct peer *p)
{
	const size_t size = 64;
	const int want = 4096;
	struct kmem a, b;
	struct chan c;
	int fd, n = 0;

	if (!peer_selected(p->name))
		return;

	snprintf(cur_cell, sizeof(cur_cell), "round %d mem %s", cur_round,
		 p->name);
	chan_setup(&c, p->t, CFG_EQ, size, 0);
	fd = chan_sender(&c, 1);
	fill_pattern(pbuf, size, 0);
	kmem_settle(&a);
	while (n < want) {
		stamp(pbuf, size, hdr(n, 0, size));
		if (chan_send(&c, fd, pbuf, size, 1) != (ssize_t)size) {
			if (errno == EAGAIN)
				break;
			die("mem send");
		}
		n++;
	}
	kmem_snap(&b);
	chan_sender_close(&c, fd);
	chan_teardown(&c);
	if (n < 16) {
		fail("only %d messages queued", n);
		return;
	}
	emit("mem", p->name, CFG_EQ, size, 1, "bytes_msg",
	     (double)(a.free_pages - b.free_pages) * 4096 / n);
	emit("mem", p->name, CFG_EQ, size, 1, "slab_msg",
	     (double)(b.slab_bytes - a.slab_bytes) / n);
	emit("mem", p->name, CFG_EQ, size, 1, "queued", n);
}

/* Kernel memory per open sender; "devnull" is the bare struct file. */
static void run_sender_mem(const char *what)
{
	enum { N = 1000 };
	static int fds[N];
	struct chan c = { .rfd = -1, .wfd = -1 };
	struct kmem a, b;
	int is_mq = 0;

	if (!peer_selected(!strcmp(what, "devnull") ? "mpsc" : what))
		return;

	snprintf(cur_cell, sizeof(cur_cell), "round %d sender %s", cur_round,
		 what);
	if (!strcmp(what, "mpsc"))
		chan_setup(&c, T_MPSC, CFG_EQ, 64, 0);
	else if (!strcmp(what, "fifo"))
		chan_setup(&c, T_FIFO, CFG_EQ, 64, 0);
	else if (!strcmp(what, "mqueue"))
		chan_setup(&c, T_MQ, CFG_EQ, 64, 0), is_mq = 1;
	else
		snprintf(c.name, sizeof(c.name), "/dev/null");

	kmem_settle(&a);
	for (int i = 0; i < N; i++) {
		fds[i] = is_mq ? mq_open(c.name, O_WRONLY | O_CLOEXEC) :
				 open(c.name, O_WRONLY | O_CLOEXEC);
		if (fds[i] < 0)
			die("open sender");
	}
	kmem_snap(&b);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	if (c.rfd >= 0)
		chan_teardown(&c);
	emit("sender", what, CFG_EQ, 64, 1, "bytes_sender",
	     (double)(a.free_pages - b.free_pages) * 4096 / N);
	emit("sender", what, CFG_EQ, 64, 1, "slab_sender",
	     (double)(b.slab_bytes - a.slab_bytes) / N);
}

/* --- writer wake-ups per freed slot ------------------------------------------ */

/* Sum of the writers' voluntary context switches; -1 if one still runs. */
static long writers_state(const pid_t *pids, int n, int *running)
{
	long sum = 0;
	char path[64];

	*running = 0;
	for (int i = 0; i < n; i++) {
		char *p;
		long v;

		snprintf(path, sizeof(path), "/proc/%d/stat", pids[i]);
		if (!read_proc(path))
			return -1;
		p = strrchr(procbuf, ')');
		if (!p || p[2] != 'S')
			(*running)++;
		snprintf(path, sizeof(path), "/proc/%d/status", pids[i]);
		if (!read_proc(path))
			return -1;
		p = strstr(procbuf, "\nvoluntary_ctxt_switches:");
		if (!p || sscanf(p + 25, "%ld", &v) != 1)
			return -1;
		sum += v;
	}
	return sum;
}

/* Wait until every writer sleeps and none switched for a while. */
static long writers_settle(const pid_t *pids, int n)
{
	long last = -2, v;
	int running, stable = 0;
	double end = now() + 10;

	while (now() < end) {
		v = writers_state(pids, n, &running);
		if (v < 0)
			return -1;
		if (!running && v == last) {
			if (++stable >= 2)
				return v;
		} else {
			stable = 0;
		}
		last = v;
		usleep(20000);
	}
	return -1;
}

static void run_wake(const struct peer *p)
{
	const size_t size = 64;
	const int nw = 64;
	pid_t pids[MAXPROD];
	size_t room = size + 1;
	long v0, v1 = -1;
	struct chan c;
	int fd, k, filled = 0;

	if (!peer_selected(p->name))
		return;

	snprintf(cur_cell, sizeof(cur_cell), "round %d wake %s", cur_round,
		 p->name);
	chan_setup(&c, p->t, CFG_EQ, size, 0);
	if (p->t == T_MQ && (size_t)c.msgsize > room)
		room = c.msgsize;
	fill_pattern(pbuf, size, 0);

	/* Fill the channel to the brim. */
	fd = chan_sender(&c, 1);
	while (chan_send(&c, fd, pbuf, size, 1) == (ssize_t)size)
		filled++;
	if (errno != EAGAIN)
		die("fill");
	chan_sender_close(&c, fd);
	/*
	 * Consume twice the channel's worth: a peer that wakes writers only
	 * once it is mostly drained (sockets: at a quarter full) shows too.
	 */
	k = filled * 2 < 1000 ? 1000 : filled * 2;

	for (int i = 0; i < nw; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0) {
			fd = chan_sender(&c, 0);
			for (;;)
				if (chan_send(&c, fd, pbuf, size, 0) != (ssize_t)size)
					_exit(7);
		}
	}
	alarm(60);
	v0 = writers_settle(pids, nw);
	if (v0 >= 0) {
		for (int i = 0; i < k; i++)
			if (chan_recv(&c, rbuf, room) != (ssize_t)size)
				die("wake receive");
		v1 = writers_settle(pids, nw);
	}
	if (getenv("MPSCBENCH_DEBUG"))
		say("wake %s: filled %d consumed %d v0 %ld v1 %ld\n", p->name,
		    filled, k, v0, v1);
	alarm(0);
	for (int i = 0; i < nw; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < nw; i++)
		waitpid(pids[i], NULL, 0);
	chan_teardown(&c);
	if (v0 < 0 || v1 < 0) {
		fail("the writers did not all block");
		return;
	}
	emit("wake", p->name, CFG_EQ, size, nw, "wakeups_slot",
	     (double)(v1 - v0) / k);
	emit("wake", p->name, CFG_EQ, size, nw, "filled", filled);
	emit("wake", p->name, CFG_EQ, size, nw, "consumed", k);
}

/* --- the run ------------------------------------------------------------------- */

static const struct peer *peer_by_name(const char *name)
{
	for (int i = 0; i < NPEERS; i++)
		if (!strcmp(peers[i].name, name))
			return &peers[i];
	return NULL;
}

struct point {
	enum config cfg;
	size_t size;
	int nprod;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: mpscbench [-r ROUNDS] [-t CELL_MS] [-p PINGPONG_MS] [-q] [-s SEED] [-o FILE]\n"
		"                 [-P PEER,...]   (only these peers)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const size_t sizes_full[] = { 8, 64, 1024, 4096, 65536 };
	static const size_t sizes_quick[] = { 64, 4096 };
	static const int prods_full[] = { 1, 2, 8, 64 };
	static const int prods_quick[] = { 1, 8, 64 };
	static const char *const pp_peers[] = {
		"mpsc", "pipe", "pipe-pkt", "mqueue", "seqpacket", "dgram",
	};
	static const char *const mem_peers[] = {
		"mpsc", "pipe", "pipe-pkt", "mqueue", "seqpacket", "dgram",
	};
	static const char *const sender_kinds[] = {
		"mpsc", "devnull", "fifo", "mqueue",
	};
	const size_t *sizes = sizes_full;
	const int *prods = prods_full;
	int nsizes = 5, nprods = 4, opt;
	struct point pts[64];
	int npts = 0;
	struct rlimit rl;
	double t_start = now();

	opt_seed = time(NULL) ^ getpid();
	out = stdout;
	while ((opt = getopt(argc, argv, "r:t:p:qs:o:P:")) != -1) {
		switch (opt) {
		case 'r': opt_rounds = atoi(optarg); break;
		case 't': opt_cell_ms = atoi(optarg); break;
		case 'p': opt_pp_ms = atoi(optarg); break;
		case 'q': opt_quick = 1; break;
		case 'P': opt_only = optarg; break;
		case 's': opt_seed = strtoul(optarg, NULL, 0); break;
		case 'o':
			out = fopen(optarg, "w");
			if (!out)
				die(optarg);
			break;
		default: usage();
		}
	}
	if (opt_rounds < 1 || opt_cell_ms < 10 || opt_pp_ms < 10)
		usage();
	if (opt_quick) {
		sizes = sizes_quick;
		nsizes = 2;
		prods = prods_quick;
		nprods = 3;
	}
	rnd_state = opt_seed * 0x9e3779b97f4a7c15ULL | 1;

	signal(SIGALRM, watchdog);
	signal(SIGPIPE, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0)
		say("mpscbench: note: cannot lift RLIMIT_MSGQUEUE\n");
	rl.rlim_cur = rl.rlim_max = 8192;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		say("mpscbench: note: cannot raise RLIMIT_NOFILE\n");
	/* Grow the fd table now, so that sender tests do not pay for it. */
	if (dup2(0, 4000) >= 0)
		close(4000);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rbuf = mmap(NULL, BATCH_BUF + (size_t)URING_DEPTH * (MAXSIZE + 1) + MAXSIZE,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0);
	pbuf = mmap(NULL, MAXSIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (sh == MAP_FAILED || rbuf == MAP_FAILED || pbuf == MAP_FAILED)
		die("mmap");

	for (int i = 0; i < nsizes; i++)
		for (int j = 0; j < nprods; j++)
			pts[npts++] = (struct point){ CFG_EQ, sizes[i], prods[j] };
	pts[npts++] = (struct point){ CFG_DEF, 64, 8 };

	fprintf(out, "# mpscbench seed=%u rounds=%d cell_ms=%d pp_ms=%d quick=%d uring=%d\n",
		opt_seed, opt_rounds, opt_cell_ms, opt_pp_ms, opt_quick,
#ifdef HAVE_LIBURING
		1
#else
		0
#endif
		);
	fprintf(out, "round,test,peer,cfg,size,producers,metric,value\n");

	for (cur_round = 1; cur_round <= opt_rounds; cur_round++) {
		int order[64], porder[NPEERS];

		double tr = now(), tp, tm;

		say("mpscbench: round %d/%d (%.0f s so far)\n", cur_round,
		    opt_rounds, tr - t_start);
		for (int i = 0; i < npts; i++)
			order[i] = i;
		shuffle(order, npts);
		for (int i = 0; i < npts; i++) {
			const struct point *pt = &pts[order[i]];

			for (int j = 0; j < NPEERS; j++)
				porder[j] = j;
			shuffle(porder, NPEERS);
			for (int j = 0; j < NPEERS; j++) {
				const struct peer *p = &peers[porder[j]];

				if (!peer_supports(p, pt->size, pt->nprod))
					continue;
				/* Defaults row: the peers as they come. */
				if (pt->cfg == CFG_DEF && p->c != C_READ)
					continue;
				/* The targets' points get twice the time. */
				run_tput(p, pt->cfg, pt->size, pt->nprod,
					 pt->size == 64 && pt->nprod >= 8 ?
					 2 * opt_cell_ms : opt_cell_ms);
			}
		}

		int n = sizeof(pp_peers) / sizeof(pp_peers[0]);

		tp = now();

		for (int j = 0; j < n; j++)
			porder[j] = j;
		shuffle(porder, n);
		for (int j = 0; j < n; j++)
			run_pingpong(peer_by_name(pp_peers[porder[j]]), 0);
		shuffle(porder, n);
		for (int j = 0; j < n && sysconf(_SC_NPROCESSORS_ONLN) > 1; j++)
			run_pingpong(peer_by_name(pp_peers[porder[j]]), 1);

		tm = now();
		n = sizeof(mem_peers) / sizeof(mem_peers[0]);
		for (int j = 0; j < n; j++)
			porder[j] = j;
		shuffle(porder, n);
		for (int j = 0; j < n; j++)
			run_mem(peer_by_name(mem_peers[porder[j]]));

		n = sizeof(sender_kinds) / sizeof(sender_kinds[0]);
		for (int j = 0; j < n; j++)
			porder[j] = j;
		shuffle(porder, n);
		for (int j = 0; j < n; j++)
			run_sender_mem(sender_kinds[porder[j]]);

		/* Blocking 64 writers is slow under emulation: fewer rounds. */
		if (cur_round <= (opt_quick ? 1 : 3)) {
			n = sizeof(mem_peers) / sizeof(mem_peers[0]);
			for (int j = 0; j < n; j++)
				porder[j] = j;
			shuffle(porder, n);
			for (int j = 0; j < n; j++)
				run_wake(peer_by_name(mem_peers[porder[j]]));
		}
		say("mpscbench: round %d: throughput %.0f s, ping-pong %.0f s, memory and wake-ups %.0f s\n",
		    cur_round, tp - tr, tm - tp, now() - tm);
	}
	fprintf(out, "# elapsed_s=%.1f errors=%ld\n", now() - t_start,
		total_errors);
	fflush(out);
	say("mpscbench: done in %.0f s, %ld error(s)\n", now() - t_start,
	    total_errors);
	return total_errors ? 1 : 0;
}
