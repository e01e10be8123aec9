// SPDX-License-Identifier: GPL-2.0
/*
 * Many writers against one receiver: every message arrives exactly once,
 * in its sender's order, with its payload intact, and the channel never
 * stops moving.
 *
 * Writers and readers are child processes; the test process only watches.
 * Readers stamp the time of each message they take into shared memory,
 * and the watchdog fails the test when STALL_MS pass without one: a lost
 * wake-up anywhere (reader, blocked writer, poller) shows up as a stall.
 * That is the only clock in this file; nothing is timed for speed.
 *
 * Each message is a pure function of (writer id, sequence number): the
 * reader rebuilds what it expects and compares the whole message, so a
 * lost, repeated, reordered or corrupted message is caught where it
 * happens.
 *
 * MPSC_STRESS_MSGS (default 20000) sets the messages per writer of the
 * 64-writer test, MPSC_STRESS_MIXED_MSGS (default 5000) those of the
 * churning tests (a fifth of it in lockstep): lower them on emulators.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mpsc.h>

#include "kselftest_harness.h"

#define STALL_MS	2000
#define MAX_WRITERS	64
#define MAX_READERS	4
#define MAX_MSG		512
#define COMPACT_HDR	9	/* id/seq byte, le32 seq, le32 checksum */
#define FULL_HDR	16	/* le32 len, id, seq, checksum */

static const char *mpsc_dev(void)
{
	const char *dev = getenv("MPSC_DEV");

	return dev && *dev ? dev : "/dev/mpsc0";
}

static unsigned int env_count(const char *name, unsigned int def)
{
	const char *s = getenv(name);
	long v = s ? strtol(s, NULL, 0) : 0;

	return v > 0 && v < 16000000 ? v : def;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int mpsc_info(int fd, struct mpsc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, MPSC_IOC_INFO, info);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 2166136261u;

	while (len--)
		sum = (sum ^ *p++) * 16777619u;
	return sum;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Build message @seq of writer @id into @buf and return its length.
 * Compact messages are 1..512 bytes: byte 0 holds the writer id and the
 * low two bits of the sequence; from COMPACT_HDR bytes on they also carry
 * the full sequence and a checksum of the payload after the header. Full
 * messages are FULL_HDR..512 bytes with length, id, sequence and checksum
 * up front, so a reader that sees only some of them can still place them.
 */
static size_t build_msg(uint8_t *buf, unsigned int id, uint32_t seq,
			bool compact)
{
	uint64_t h = mix64((uint64_t)id << 32 | seq);
	size_t len, hdr, i;

	if (compact) {
		len = 1 + h % MAX_MSG;
		hdr = len >= COMPACT_HDR ? COMPACT_HDR : 1;
	} else {
		len = FULL_HDR + h % (MAX_MSG - FULL_HDR + 1);
		hdr = FULL_HDR;
	}
	for (i = hdr; i < len; i++)
		buf[i] = (uint8_t)(mix64(h + i / 8) >> (i % 8 * 8));

	if (compact) {
		buf[0] = id | (seq & 3) << 6;
		if (hdr == COMPACT_HDR) {
			put32(buf + 1, seq);
			put32(buf + 5, checksum(buf + hdr, len - hdr));
		}
	} else {
		put32(buf, len);
		put32(buf + 4, id);
		put32(buf + 8, seq);
		put32(buf + 12, checksum(buf + hdr, len - hdr));
	}
	return len;
}

struct stress {
	int writers;		/* writer processes */
	unsigned int msgs;	/* messages per writer */
	int readers;		/* reader processes sharing the receiver */
	bool compact;		/* 1..512-byte messages, one reader only */
	bool partial;		/* read in small pieces, check FIONREAD */
	bool churn;		/* reopen the sender every few messages */
	bool mixed_io;		/* a third poll, a third spin on EAGAIN */
	bool guard;		/* the test holds a sender until writers exit */
	bool lockstep;		/* wait for each message to be taken */
};

/* Lives in shared memory; written by readers, checked by the test. */
struct shared {
	uint64_t last_ns;	/* when a reader last took a message */
	uint64_t received;
	uint64_t eofs;		/* EOFs seen while writers came and went */
	uint32_t errors;
	char first_error[256];
	uint32_t next_seq[MAX_WRITERS];	/* single reader: expected next */
	uint8_t seen[];			/* several readers: [id][seq] */
};

/* Count an error, keep the text of the first; always false. */
static bool fail(struct shared *sh, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST))
		return false;
	va_start(ap, fmt);
	vsnprintf(sh->first_error, sizeof(sh->first_error), fmt, ap);
	va_end(ap);
	return false;
}

/* Per reader: the last sequence seen from each writer. */
struct reader {
	const struct stress *cfg;
	struct shared *sh;
	int64_t last_seq[MAX_WRITERS];
	uint8_t want[MAX_MSG];
};

static bool check_compact(struct reader *r, const uint8_t *msg, size_t len)
{
	unsigned int id = msg[0] & 63;
	uint32_t seq;
	size_t wlen;

	if (id >= (unsigned int)r->cfg->writers)
		return fail(r->sh, "message from unknown writer %u", id);
	seq = r->sh->next_seq[id];
	if (seq >= r->cfg->msgs)
		return fail(r->sh, "writer %u: message beyond the last", id);
	if ((msg[0] >> 6) != (seq & 3) ||
	    (len >= COMPACT_HDR && get32(msg + 1) != seq))
		return fail(r->sh, "writer %u: expected seq %u, got another",
			    id, seq);
	if (len >= COMPACT_HDR &&
	    get32(msg + 5) != checksum(msg + COMPACT_HDR, len - COMPACT_HDR))
		return fail(r->sh, "writer %u seq %u: bad checksum", id, seq);
	wlen = build_msg(r->want, id, seq, true);
	if (wlen != len || memcmp(r->want, msg, len))
		return fail(r->sh, "writer %u seq %u: %zu bytes, expected %zu",
			    id, seq, len, wlen);
	r->sh->next_seq[id] = seq + 1;
	return true;
}

static bool check_full(struct reader *r, const uint8_t *msg, size_t len)
{
	unsigned int id;
	uint32_t seq;

	if (len < FULL_HDR || get32(msg) != len)
		return fail(r->sh, "message of %zu bytes, header says %u",
			    len, len >= 4 ? get32(msg) : 0);
	id = get32(msg + 4);
	seq = get32(msg + 8);
	if (id >= (unsigned int)r->cfg->writers || seq >= r->cfg->msgs)
		return fail(r->sh, "bad header: writer %u seq %u", id, seq);
	if (get32(msg + 12) != checksum(msg + FULL_HDR, len - FULL_HDR))
		return fail(r->sh, "writer %u seq %u: bad checksum", id, seq);
	if (build_msg(r->want, id, seq, false) != len ||
	    memcmp(r->want, msg, len))
		return fail(r->sh, "writer %u seq %u: payload differs",
			    id, seq);
	if ((int64_t)seq <= r->last_seq[id])
		return fail(r->sh, "writer %u: seq %u after %lld", id, seq,
			    (long long)r->last_seq[id]);
	r->last_seq[id] = seq;
	if (__atomic_fetch_add(&r->sh->seen[id * r->cfg->msgs + seq], 1,
			       __ATOMIC_RELAXED))
		return fail(r->sh, "writer %u seq %u received twice", id, seq);
	if (r->cfg->readers > 1)
		return true;
	/* A single reader sees each writer's messages with no gap. */
	if (r->sh->next_seq[id] != seq)
		return fail(r->sh, "writer %u: seq %u, expected %u", id, seq,
			    r->sh->next_seq[id]);
	r->sh->next_seq[id] = seq + 1;
	return true;
}

static void took_message(struct reader *r, const uint8_t *msg, size_t len)
{
	if (r->cfg->compact)
		check_compact(r, msg, len);
	else
		check_full(r, msg, len);
	__atomic_store_n(&r->sh->last_ns, now_ns(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->sh->received, 1, __ATOMIC_RELAXED);
}

/*
 * Take one message in pieces of random size. Each piece must stop at the
 * message's end, and FIONREAD must tell what is left of it. Returns the
 * message length, 0 at end of file, -1 after an error.
 */
static ssize_t read_in_pieces(struct reader *r, int rx, uint8_t *msg,
			      uint64_t *rnd)
{
	size_t have = 0, len = 0;

	for (;;) {
		size_t ask = 1 + (*rnd = mix64(*rnd)) % 96;
		ssize_t n;
		int left = -1;

		if (have + ask > MAX_MSG)
			ask = MAX_MSG - have;
		n = read(rx, msg + have, ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n == 0 && have)) {
			fail(r->sh, "read after %zu bytes: %zd (%s)", have, n,
			     strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		have += n;
		if (have >= 4)
			len = get32(msg);
		if (len && (have > len || len > MAX_MSG)) {
			fail(r->sh, "read ran past a %zu-byte message", len);
			return -1;
		}
		if (have == len)
			return len;
		if ((size_t)n < ask) {
			fail(r->sh, "short piece ended a message at %zu of %zu",
			     have, len);
			return -1;
		}
		if (len && (ioctl(rx, FIONREAD, &left) ||
			    left != (int)(len - have))) {
			fail(r->sh, "FIONREAD %d with %zu of %zu bytes left",
			     left, len - have, len);
			return -1;
		}
	}
}

static int reader_main(const struct stress *cfg, struct shared *sh, int rx,
		       int idx)
{
	uint64_t total = (uint64_t)cfg->writers * cfg->msgs;
	uint64_t rnd = 0x5eed + idx;
	static struct reader r;
	uint8_t buf[4096];
	int i;

	r.cfg = cfg;
	r.sh = sh;
	for (i = 0; i < MAX_WRITERS; i++)
		r.last_seq[i] = -1;
	for (;;) {
		ssize_t n;

		if (cfg->partial)
			n = read_in_pieces(&r, rx, buf, &rnd);
		else
			n = read(rx, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n > 0) {
			took_message(&r, buf, n);
			continue;
		}
		/* End of file: final once all is in, else a sender gap. */
		if (cfg->guard ||
		    __atomic_load_n(&sh->received, __ATOMIC_RELAXED) >= total)
			return 0;
		__atomic_fetch_add(&sh->eofs, 1, __ATOMIC_RELAXED);
		usleep(1000);
	}
}

/* Write one message whole, the way this writer's mode says. */
static int send_msg(int fd, const uint8_t *buf, size_t len, int mode)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || errno != EAGAIN || mode == 0)
			return -1;
		if (mode == 1) {
			if (poll(&pfd, 1, -1) < 0 || (pfd.revents & POLLERR))
				return -1;
		} else {
			sched_yield();
		}
	}
}

static int open_sender(int mode)
{
	return open(mpsc_dev(), O_WRONLY | (mode ? O_NONBLOCK : 0));
}

/*
 * Writer @id: mode 0 blocks, 1 polls for POLLOUT after EAGAIN, 2 spins.
 * Under churn the sender is closed and reopened every 1..64 messages,
 * and some batches go out through a dup of it.
 */
static int writer_main(const struct stress *cfg, struct shared *sh,
		       unsigned int id)
{
	int mode = cfg->mixed_io ? id % 3 : 0;
	uint64_t rnd = mix64(id + 1);
	unsigned int batch = 0;
	int fds[2] = { -1, -1 };
	uint8_t buf[MAX_MSG];
	uint32_t seq;

	for (seq = 0; seq < cfg->msgs; seq++) {
		size_t len = build_msg(buf, id, seq, cfg->compact);

		if (fds[0] < 0) {
			rnd = mix64(rnd);
			batch = cfg->churn ? 1 + rnd % 64 : cfg->msgs;
			fds[0] = open_sender(mode);
			fds[1] = cfg->churn && rnd % 4 == 0 ? dup(fds[0]) : -1;
			if (fds[0] < 0)
				return 2;
		}
		if (send_msg(fds[fds[1] >= 0 ? seq & 1 : 0], buf, len, mode)) {
			fprintf(stderr, "# writer %u seq %u: %s\n", id, seq,
				strerror(errno));
			return 3;
		}
		/* A reader sleeping on an empty queue must wake for it. */
		while (cfg->lockstep &&
		       !__atomic_load_n(&sh->seen[id * cfg->msgs + seq],
					__ATOMIC_RELAXED))
			usleep(100);
		if (--batch == 0 || seq + 1 == cfg->msgs) {
			close(fds[0]);
			if (fds[1] >= 0)
				close(fds[1]);
			fds[0] = fds[1] = -1;
		}
	}
	return 0;
}

FIXTURE(stress) {
	int rx;
	int guard;
	struct shared *sh;
	size_t sh_size;
	pid_t writers[MAX_WRITERS];
	pid_t readers[MAX_READERS];
};

FIXTURE_SETUP(stress)
{
	struct mpsc_info info;

	self->rx = -1;
	self->guard = -1;
	if (access(mpsc_dev(), F_OK))
		SKIP(return, "%s: %s (mpsc.ko not loaded?)", mpsc_dev(),
		     strerror(errno));
	/* Retire whatever channel the device had, then start a fresh one. */
	self->rx = open(mpsc_dev(), O_RDONLY);
	ASSERT_LE(0, self->rx) TH_LOG("open %s: %s", mpsc_dev(),
				       strerror(errno));
	ASSERT_EQ(0, close(self->rx));
	self->rx = open(mpsc_dev(), O_RDONLY);
	ASSERT_LE(0, self->rx);
	ASSERT_EQ(0, mpsc_info(self->rx, &info));
	ASSERT_EQ(0, info.senders);
	ASSERT_EQ(0, info.queued_msgs);
	ASSERT_LE(MAX_MSG, info.max_msg_size);
}

static void kill_all(FIXTURE_DATA(stress) *self)
{
	int i;

	for (i = 0; i < MAX_WRITERS; i++)
		if (self->writers[i] > 0)
			kill(self->writers[i], SIGKILL);
	for (i = 0; i < MAX_READERS; i++)
		if (self->readers[i] > 0)
			kill(self->readers[i], SIGKILL);
}

FIXTURE_TEARDOWN(stress)
{
	kill_all(self);
	while (waitpid(-1, NULL, 0) > 0)
		;
	if (self->guard >= 0)
		close(self->guard);
	if (self->rx >= 0)
		close(self->rx);
	if (self->sh)
		munmap(self->sh, self->sh_size);
}

/* Reap whichever children have exited; count those that failed. */
static int reap_some(pid_t *pids, int n, int *left, const char *what)
{
	int i, status, bad = 0;

	for (i = 0; i < n; i++) {
		if (pids[i] <= 0 ||
		    waitpid(pids[i], &status, WNOHANG) != pids[i])
			continue;
		pids[i] = 0;
		(*left)--;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "# %s %d: status %#x\n", what, i,
				status);
			bad++;
		}
	}
	return bad;
}

static void log_info(struct __test_metadata *_metadata, int fd)
{
	struct mpsc_info info;

	if (mpsc_info(fd, &info))
		return;
	TH_LOG("channel: senders %u blocked_writers %u queued %llu msgs / %llu bytes, used %llu of %llu, sent %llu received %llu",
	       info.senders, info.blocked_writers,
	       (unsigned long long)info.queued_msgs,
	       (unsigned long long)info.queued_bytes,
	       (unsigned long long)info.used,
	       (unsigned long long)info.capacity,
	       (unsigned long long)info.sent,
	       (unsigned long long)info.received);
}

static pid_t fork_child(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

static void run_stress(struct __test_metadata *_metadata,
		       FIXTURE_DATA(stress) *self, const struct stress *cfg)
{
	uint64_t total = (uint64_t)cfg->writers * cfg->msgs, start, i;
	int wleft = cfg->writers, rleft = cfg->readers, bad = 0, n;
	bool stalled = false;

	ASSERT_LE(cfg->writers, MAX_WRITERS);
	ASSERT_LE(cfg->readers, MAX_READERS);
	ASSERT_TRUE(cfg->readers == 1 || (!cfg->compact && cfg->guard));
	ASSERT_TRUE(!cfg->lockstep || !cfg->compact);
	self->sh_size = sizeof(*self->sh) + (cfg->compact ? 0 : total);
	self->sh = mmap(NULL, self->sh_size, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	start = now_ns();
	self->sh->last_ns = start;

	if (cfg->guard) {
		self->guard = open(mpsc_dev(), O_WRONLY);
		ASSERT_LE(0, self->guard);
	}
	for (n = 0; n < cfg->readers; n++) {
		self->readers[n] = fork_child();
		ASSERT_LE(0, self->readers[n]);
		if (self->readers[n] == 0) {
			if (self->guard >= 0)
				close(self->guard);
			_exit(reader_main(cfg, self->sh, self->rx, n));
		}
	}
	for (n = 0; n < cfg->writers; n++) {
		self->writers[n] = fork_child();
		ASSERT_LE(0, self->writers[n]);
		if (self->writers[n] == 0) {
			close(self->rx);
			if (self->guard >= 0)
				close(self->guard);
			_exit(writer_main(cfg, self->sh, n));
		}
	}

	/* Forking may take long on an emulator: start the clock now. */
	__atomic_store_n(&self->sh->last_ns, now_ns(), __ATOMIC_RELAXED);

	/* Watch: reap, drop the guard once writers are done, spot stalls. */
	while (rleft > 0) {
		uint64_t last = __atomic_load_n(&self->sh->last_ns,
						__ATOMIC_RELAXED);

		bad += reap_some(self->writers, cfg->writers, &wleft, "writer");
		if (!wleft && self->guard >= 0) {
			close(self->guard);
			self->guard = -1;
		}
		bad += reap_some(self->readers, cfg->readers, &rleft, "reader");
		if (rleft && now_ns() - last > STALL_MS * 1000000ULL) {
			stalled = true;
			break;
		}
		usleep(20000);
	}

	if (stalled) {
		TH_LOG("stall: no message for %d ms after %llu of %llu",
		       STALL_MS, (unsigned long long)self->sh->received,
		       (unsigned long long)total);
		log_info(_metadata, self->rx);
		kill_all(self);
	}
	EXPECT_FALSE(stalled);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, self->sh->errors) TH_LOG("%s", self->sh->first_error);
	EXPECT_EQ(total, self->sh->received);
	/* Braces: the harness runs TH_LOG after the check's statement. */
	for (n = 0; cfg->readers == 1 && n < cfg->writers; n++) {
		EXPECT_EQ(cfg->msgs, self->sh->next_seq[n])
			TH_LOG("writer %d", n);
	}
	for (i = 0; !cfg->compact && i < total; i++) {
		if (self->sh->seen[i] != 1) {
			EXPECT_EQ(1, self->sh->seen[i])
				TH_LOG("writer %llu seq %llu",
				       (unsigned long long)(i / cfg->msgs),
				       (unsigned long long)(i % cfg->msgs));
			break;
		}
	}
	ksft_print_msg("%llu messages from %d writers to %d readers in %.1f s (%llu EOFs between senders)\n",
		       (unsigned long long)self->sh->received, cfg->writers,
		       cfg->readers, (now_ns() - start) / 1e9,
		       (unsigned long long)self->sh->eofs);
	/* The harness leaves with _exit(): push the line out ourselves. */
	fflush(stdout);
}

/* SPEC 3.1, 3.3, 4.2, 6.3: 64 blocking writers, one reader. */
TEST_F_TIMEOUT(stress, sixty_four_writers_one_reader, 600)
{
	struct stress cfg = {
		.writers = 64,
		.msgs = env_count("MPSC_STRESS_MSGS", 20000),
		.readers = 1,
		.compact = true,
		.guard = true,
	};

	if (self->rx < 0)
		return;
	run_stress(_metadata, self, &cfg);
}

/*
 * SPEC 2.1, 3.3, 3.4, 5.2: writers block, poll or spin, and reopen their
 * senders all the time; the one reader takes messages in pieces and sees
 * EOF whenever no sender happens to be open, then carries on.
 */
TEST_F_TIMEOUT(stress, churning_writers_partial_reads, 600)
{
	struct stress cfg = {
		.writers = 16,
		.msgs = env_count("MPSC_STRESS_MIXED_MSGS", 5000),
		.readers = 1,
		.partial = true,
		.churn = true,
		.mixed_io = true,
	};

	if (self->rx < 0)
		return;
	run_stress(_metadata, self, &cfg);
}

/*
 * SPEC 2.2, 3.3, 6.3: the same churning writers, three processes sharing
 * the receiver; each message goes to exactly one of them, each sees every
 * writer's messages in order, and the hang-up ends all three.
 */
TEST_F_TIMEOUT(stress, churning_writers_shared_receiver, 600)
{
	struct stress cfg = {
		.writers = 16,
		.msgs = env_count("MPSC_STRESS_MIXED_MSGS", 5000),
		.readers = 3,
		.churn = true,
		.mixed_io = true,
		.guard = true,
	};

	if (self->rx < 0)
		return;
	run_stress(_metadata, self, &cfg);
}

/*
 * SPEC 6.3: each writer waits for its message to be taken before the
 * next, so the queue is mostly empty and the readers mostly asleep:
 * every single message has to wake one of them.
 */
TEST_F_TIMEOUT(stress, lockstep_writers_wake_sleeping_readers, 600)
{
	struct stress cfg = {
		.writers = 8,
		.msgs = env_count("MPSC_STRESS_MIXED_MSGS", 5000) / 5 + 1,
		.readers = 2,
		.churn = true,
		.guard = true,
		.lockstep = true,
	};

	if (self->rx < 0)
		return;
	run_stress(_metadata, self, &cfg);
}

TEST_HARNESS_MAIN
