// SPDX-License-Identifier: GPL-2.0
/*
 * The Rust book's multi-producer example (chapter 16.2) over /dev/mpsc0,
 * with threads as in the book:
 *
 *	let (tx, rx) = mpsc::channel();
 *	let tx1 = tx.clone();
 *	thread::spawn(move || { for val in ["hi", "from", "the", "thread"] {
 *		tx1.send(val).unwrap(); thread::sleep(Duration::from_secs(1)); } });
 *	thread::spawn(move || { for val in ["more", "messages", "for", "you"] {
 *		tx.send(val).unwrap(); thread::sleep(Duration::from_secs(1)); } });
 *	for received in rx { println!("Got: {received}"); }
 *
 * open(O_RDONLY) is the receiver, open(O_WRONLY) a sender, and dup() of the
 * sender is tx.clone(): both descriptors are the same sender, which leaves
 * when the last of them is closed. Each thread closes its descriptor when
 * done, as the book's threads drop theirs; the receiver then reads end of
 * file and the loop ends.
 *
 * Usage: multi_producer [/dev/mpscN]
 */
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/mpsc.h>

struct producer {
	int tx;				/* this thread's sender */
	const char *vals[5];		/* NULL-terminated */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	const char **val;

	for (val = p->vals; *val; val++) {
		/* One write is one message: tx.send(val).unwrap() */
		if (write(p->tx, *val, strlen(*val)) < 0)
			err(1, "send %s", *val);
		sleep(1);
	}
	close(p->tx);			/* the thread's tx is dropped */
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/mpsc0";
	struct mpsc_info info = { .size = sizeof(info) };
	struct producer first, second;
	pthread_t t1, t2;
	ssize_t n;
	char *buf;
	int rx, tx;

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* let (tx, rx) = mpsc::channel(); */
	rx = open(dev, O_RDONLY | O_CLOEXEC);
	if (rx < 0)
		err(1, "open %s for reading (is the module loaded?)", dev);
	tx = open(dev, O_WRONLY | O_CLOEXEC);
	if (tx < 0)
		err(1, "open %s for writing", dev);

	/* A buffer of max_msg_size bytes gets one whole message per read. */
	if (ioctl(rx, MPSC_IOC_INFO, &info) < 0)
		err(1, "MPSC_IOC_INFO");
	buf = malloc(info.max_msg_size);
	if (!buf)
		err(1, "malloc");

	/* let tx1 = tx.clone(); */
	first = (struct producer){ .tx = dup(tx),
		.vals = { "hi", "from", "the", "thread" } };
	if (first.tx < 0)
		err(1, "dup");
	second = (struct producer){ .tx = tx,
		.vals = { "more", "messages", "for", "you" } };

	if (pthread_create(&t1, NULL, produce, &first) ||
	    pthread_create(&t2, NULL, produce, &second))
		errx(1, "pthread_create failed");

	/* for received in rx: read() returns 0 once every sender is gone. */
	while ((n = read(rx, buf, info.max_msg_size)) > 0)
		printf("Got: %.*s\n", (int)n, buf);
	if (n < 0)
		err(1, "recv");

	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	free(buf);
	close(rx);
	return 0;
}
