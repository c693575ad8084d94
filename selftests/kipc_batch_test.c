// SPDX-License-Identifier: GPL-2.0
/*
 * kipc batches: KIPC_IOC_SEND_BATCH / KIPC_IOC_RECV_BATCH, through ioctl
 * (libkipc's kipc_send_batch/kipc_recv_batch and raw structs) and through
 * io_uring (IORING_OP_URING_CMD): argument checks, order, stamps, short
 * counts at a full or empty queue, errors on the first and on a later
 * entry with nothing lost, a blocked receive woken by a send batch, and a
 * two-process run over io_uring that must grow no io-wq worker thread.
 */
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>
#include <linux/userfaultfd.h>

#include <kipc.h>
#include <kipc_ring.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define MSG	64
#define N	32

static int chan(int depth)
{
	struct kipc_chan_attr a = { .max_msgs = depth, .max_msg_size = 4096 };

	return kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, &a);
}

/* @n messages numbered from @first (fill() seeds), in @bufs, as iovecs at @m. */
static void make_msgs(struct iovec *m, char (*bufs)[MSG], int n, int first)
{
	int i;

	for (i = 0; i < n; i++) {
		fill(bufs[i], MSG, first + i);
		m[i].iov_base = bufs[i];
		m[i].iov_len = MSG;
	}
}

static void make_bufs(struct iovec *m, char (*bufs)[MSG], int n)
{
	int i;

	memset(bufs, 0, (size_t)n * MSG);
	for (i = 0; i < n; i++) {
		m[i].iov_base = bufs[i];
		m[i].iov_len = MSG;
	}
}

static long raw(int ch, unsigned long cmd, struct kipc_batch *b)
{
	return ioctl(ch, cmd, b) < 0 ? -errno : 0;
}

TEST(bad_arguments_are_einval)
{
	struct kipc_chan_stat st;
	struct kipc_xfer x[2];
	struct kipc_batch b;
	char buf[2][MSG];
	struct iovec m[2];
	int ch = chan(8);

	ASSERT_LE(0, ch);
	make_msgs(m, buf, 2, 0);
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m, 2, 0, 1));
	b.flags = 0x80;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.flags = KIPC_XFER_PEEK;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_RECV_BATCH, &b));
	b.flags = 0;
	b.nr = 0;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.nr = KIPC_BATCH_MAX + 1;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.nr = 2;
	b.xfer_size = 8;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.xfer_size = sizeof(x[0]);
	b.deadline_ns = 1;	/* without KIPC_XFER_DEADLINE */
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.deadline_ns = 0;
	/* A bad first entry is the call's error: nothing is sent. */
	x[0].flags = KIPC_XFER_NONBLOCK;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	x[0].flags = 0;
	x[0].size = sizeof(x[0]) - 8;	/* differs from xfer_size */
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	x[0].size = sizeof(x[0]);
	x[0].prio = KIPC_PRIO_MAX + 1;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	x[0].prio = 0;
	b.xfers = 8;	/* unmapped */
	EXPECT_EQ(-EFAULT, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	/* A priority on a receive entry. */
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m, 2, 0, 0));
	x[0].prio = 1;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_RECV_BATCH, &b));
	EXPECT_EQ(-EINVAL, kipc_batch_prep(&b, x, m, 0, 0, 1));
	EXPECT_EQ(-EINVAL, kipc_batch_prep(&b, x, m, 2, KIPC_PEEK, 0));
	EXPECT_EQ(-EINVAL, kipc_batch_prep(&b, x, m, 2, KIPC_PRIO(1), 0));
	EXPECT_EQ(-EINVAL, kipc_send_batch(ch, m, 0, 0));
	ASSERT_EQ(0, kipc_chan_stat(ch, &st));
	EXPECT_EQ(0, st.nr_msgs);	/* none of that queued anything */
	close(ch);
}

/* The batch ioctl's result: the count moved, or -errno. */
static long raw_n(int ch, unsigned long cmd, struct kipc_batch *b)
{
	long r = ioctl(ch, cmd, b);

	return r < 0 ? -errno : r;
}

/* Copy @x[0..n) into entries of @esz bytes at @ents; the batch uses them. */
static void long_entries(struct kipc_batch *b, struct kipc_xfer *x, int n,
			 unsigned char *ents, size_t esz)
{
	int i;

	memset(ents, 0, n * esz);
	for (i = 0; i < n; i++) {
		x[i].size = esz;
		memcpy(ents + i * esz, &x[i], sizeof(x[i]));
	}
	b->xfer_size = esz;
	b->xfers = (uintptr_t)ents;
}

/*
 * Entries of a newer, longer struct kipc_xfer: accepted while the bytes
 * past today's struct are zero, E2BIG otherwise; info must be zero on
 * input in every entry; a receive writes back info and nothing else.
 */
TEST(longer_entries_and_entry_info)
{
	const size_t esz = sizeof(struct kipc_xfer) + 8;
	unsigned char ents[2 * (sizeof(struct kipc_xfer) + 8)];
	struct kipc_xfer x[2], *e0, *e1;
	char buf[2][MSG], got[2][MSG];
	struct kipc_batch b;
	struct iovec m[2];
	size_t k;
	int ch = chan(8);

	ASSERT_LE(0, ch);
	e0 = (struct kipc_xfer *)ents;
	e1 = (struct kipc_xfer *)(ents + esz);
	make_msgs(m, buf, 2, 0);
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m, 2, 0, 1));
	long_entries(&b, x, 2, ents, esz);

	ents[esz - 1] = 1;			/* the first entry's tail */
	EXPECT_EQ(-E2BIG, raw_n(ch, KIPC_IOC_SEND_BATCH, &b));
	ents[esz - 1] = 0;
	e0->info.uid = 1;			/* an output, set on input */
	EXPECT_EQ(-EINVAL, raw_n(ch, KIPC_IOC_SEND_BATCH, &b));
	e0->info.uid = 0;
	ents[2 * esz - 1] = 1;			/* the second one: a short batch */
	EXPECT_EQ(1, raw_n(ch, KIPC_IOC_SEND_BATCH, &b));
	ents[2 * esz - 1] = 0;
	e0->iov = e1->iov;			/* then message 1, alone */
	b.nr = 1;
	EXPECT_EQ(1, raw_n(ch, KIPC_IOC_SEND_BATCH, &b));

	/* Receive into longer entries; a later entry with info set ends it. */
	make_bufs(m, got, 2);
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m, 2, 0, 0));
	long_entries(&b, x, 2, ents, esz);
	e1->info.seq = 7;
	ASSERT_EQ(1, raw_n(ch, KIPC_IOC_RECV_BATCH, &b));
	EXPECT_EQ(0, check_fill(got[0], MSG, 0));
	EXPECT_EQ(MSG, e0->info.len);
	EXPECT_NE(0, e0->info.seq);
	EXPECT_EQ(getpid(), e0->info.pid);
	EXPECT_EQ(esz, e0->size);		/* inputs are not written back */
	EXPECT_EQ((uintptr_t)&m[0], e0->iov);
	for (k = sizeof(struct kipc_xfer); k < esz; k++)
		EXPECT_EQ(0, ents[k]);
	EXPECT_EQ(7, e1->info.seq);		/* untouched: it moved nothing */

	/* The second message is still there, for a clean entry. */
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m + 1, 1, 0, 0));
	long_entries(&b, x, 1, ents, esz);
	ASSERT_EQ(1, raw_n(ch, KIPC_IOC_RECV_BATCH, &b));
	EXPECT_EQ(0, check_fill(got[1], MSG, 1));
	EXPECT_EQ(MSG, e0->info.len);
	close(ch);
}

TEST(send_batch_then_recv_batch_in_order_with_stamps)
{
	char out[N][MSG], in[N][MSG];
	struct kipc_msg_info info[N];
	struct iovec mo[N], mi[N];
	int ch = chan(64), i;

	ASSERT_LE(0, ch);
	make_msgs(mo, out, N, 100);
	mo[5].iov_len = 7;	/* lengths are per message */
	ASSERT_EQ(N, kipc_send_batch(ch, mo, N, 0));
	make_bufs(mi, in, N);
	ASSERT_EQ(N, kipc_recv_batch(ch, mi, N, info, 0));
	for (i = 0; i < N; i++) {
		size_t len = i == 5 ? 7 : MSG;

		EXPECT_EQ(len, mi[i].iov_len);
		EXPECT_EQ(len, info[i].len);
		EXPECT_EQ(0, check_fill(in[i], len, 100 + i));
		EXPECT_EQ(getpid(), info[i].pid);
		EXPECT_EQ(geteuid(), info[i].uid);
		EXPECT_EQ((uint64_t)i + 1, info[i].seq);
		/* One send batch, one timestamp. */
		EXPECT_EQ(info[0].time_ns, info[i].time_ns);
	}
	EXPECT_EQ(-EAGAIN, kipc_recv_batch(ch, mi, N, NULL, KIPC_NONBLOCK));
	close(ch);
}

TEST(priorities_and_single_calls_mix)
{
	char out[3][MSG], in[4][MSG];
	struct kipc_msg_info info[4];
	struct iovec mo[3], mi[4];
	int ch = chan(16);

	ASSERT_LE(0, ch);
	make_msgs(mo, out, 3, 0);
	ASSERT_EQ(3, kipc_send_batch(ch, mo, 3, KIPC_PRIO(2)));
	fill(out[0], MSG, 50);
	ASSERT_EQ(MSG, kipc_send(ch, out[0], MSG, KIPC_PRIO(5)));
	make_bufs(mi, in, 4);
	ASSERT_EQ(4, kipc_recv_batch(ch, mi, 4, info, 0));
	EXPECT_EQ(5, info[0].prio);
	EXPECT_EQ(0, check_fill(in[0], MSG, 50));
	EXPECT_EQ(2, info[1].prio);
	EXPECT_EQ(0, check_fill(in[1], MSG, 0));
	EXPECT_EQ(0, check_fill(in[3], MSG, 2));
	close(ch);
}

TEST(full_queue_gives_a_short_count_then_eagain)
{
	char out[N][MSG], in[N][MSG];
	struct iovec mo[N], mi[N];
	int ch = chan(10), i;

	ASSERT_LE(0, ch);
	make_msgs(mo, out, N, 0);
	EXPECT_EQ(10, kipc_send_batch(ch, mo, N, 0));	/* blocks for none */
	EXPECT_EQ(-EAGAIN, kipc_send_batch(ch, mo, N, KIPC_NONBLOCK));
	make_bufs(mi, in, N);
	ASSERT_EQ(4, kipc_recv_batch(ch, mi, 4, NULL, 0));
	EXPECT_EQ(4, kipc_send_batch(ch, mo + 10, N - 10, 0));
	ASSERT_EQ(10, kipc_recv_batch(ch, mi, N, NULL, 0));	/* what is there */
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(0, check_fill(in[i], MSG, 4 + i));
	}
	for (i = 6; i < 10; i++) {
		EXPECT_EQ(0, check_fill(in[i], MSG, 10 + i - 6));
	}
	close(ch);
}

/*
 * A bad first entry is the call's error whatever the queue holds: a full
 * queue's EAGAIN never hides it (issue 18: a module that refused a
 * non-blocking send into a full queue before it read anything did).
 */
TEST(full_queue_bad_first_entry_is_its_error)
{
	char out[4][MSG], big[4096 + 1];
	struct kipc_xfer x[4];
	struct iovec m[4];
	struct kipc_batch b;
	int ch = chan(2);

	ASSERT_LE(0, ch);
	make_msgs(m, out, 4, 0);
	EXPECT_EQ(2, kipc_send_batch(ch, m, 4, KIPC_NONBLOCK));
	ASSERT_EQ(0, kipc_batch_prep(&b, x, m, 4, 0, 1));
	b.flags = KIPC_XFER_NONBLOCK;
	EXPECT_EQ(-EAGAIN, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	/* Later entries bad: the first is good, the queue full. */
	x[1].prio = KIPC_PRIO_MAX + 1;
	x[2].size = 0;
	EXPECT_EQ(-EAGAIN, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	/* The first entry bad: its own error, never EAGAIN. */
	x[0].prio = KIPC_PRIO_MAX + 1;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	x[0].prio = 0;
	x[0].size = sizeof(x[0]) - 8;
	EXPECT_EQ(-EINVAL, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	x[0].size = sizeof(x[0]);
	m[0].iov_base = unmapped_page();
	EXPECT_EQ(-EFAULT, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	m[0].iov_base = big;
	m[0].iov_len = sizeof(big);	/* above max_msg_size */
	EXPECT_EQ(-EMSGSIZE, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	b.xfers = (uintptr_t)unmapped_page();
	EXPECT_EQ(-EFAULT, raw(ch, KIPC_IOC_SEND_BATCH, &b));
	EXPECT_EQ(2, chan_stat(ch).nr_msgs);
	close(ch);
}

TEST(more_than_one_chunk)
{
	enum { M = 150 };
	static char out[M][MSG], in[M][MSG];
	struct iovec mo[M], mi[M];
	int ch = chan(256), i;

	ASSERT_LE(0, ch);
	make_msgs(mo, out, M, 7);
	ASSERT_EQ(M, kipc_send_batch(ch, mo, M, 0));
	make_bufs(mi, in, M);
	ASSERT_EQ(M, kipc_recv_batch(ch, mi, M, NULL, 0));
	for (i = 0; i < M; i++) {
		EXPECT_EQ(0, check_fill(in[i], MSG, 7 + i));
	}
	close(ch);
}

TEST(small_buffer_first_is_emsgsize_later_is_short)
{
	char out[3][MSG], in[3][MSG];
	struct kipc_msg_info info[3];
	struct iovec mo[3], mi[3];
	int ch = chan(8);

	ASSERT_LE(0, ch);
	make_msgs(mo, out, 3, 0);
	ASSERT_EQ(3, kipc_send_batch(ch, mo, 3, 0));
	make_bufs(mi, in, 3);
	mi[0].iov_len = 10;
	EXPECT_EQ(-EMSGSIZE, kipc_recv_batch(ch, mi, 3, info, 0));
	EXPECT_EQ(MSG, info[0].len);
	make_bufs(mi, in, 3);
	mi[1].iov_len = 10;
	EXPECT_EQ(1, kipc_recv_batch(ch, mi, 3, NULL, 0));
	EXPECT_EQ(0, check_fill(in[0], MSG, 0));
	/* Messages 1 and 2 are still there, in order. */
	make_bufs(mi, in, 3);
	EXPECT_EQ(2, kipc_recv_batch(ch, mi, 3, info, 0));
	EXPECT_EQ(0, check_fill(in[0], MSG, 1));
	EXPECT_EQ(0, check_fill(in[1], MSG, 2));
	EXPECT_EQ(2, info[0].seq);
	close(ch);
}

TEST(fault_on_a_later_entry_loses_nothing)
{
	char out[4][MSG], in[4][MSG];
	struct iovec mo[4], mi[4];
	struct kipc_msg_info info[4];
	int ch = chan(8);
	void *ro;

	ASSERT_LE(0, ch);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	make_msgs(mo, out, 4, 20);
	ASSERT_EQ(4, kipc_send_batch(ch, mo, 4, 0));
	make_bufs(mi, in, 4);
	mi[2].iov_base = ro;	/* not writable */
	EXPECT_EQ(2, kipc_recv_batch(ch, mi, 4, NULL, 0));
	make_bufs(mi, in, 4);
	mi[0].iov_base = ro;
	EXPECT_EQ(-EFAULT, kipc_recv_batch(ch, mi, 4, NULL, 0));
	make_bufs(mi, in, 4);
	ASSERT_EQ(2, kipc_recv_batch(ch, mi, 4, info, 0));
	EXPECT_EQ(0, check_fill(in[0], MSG, 22));
	EXPECT_EQ(0, check_fill(in[1], MSG, 23));
	EXPECT_EQ(3, info[0].seq);
	/* A send entry that faults ends the send batch there. */
	make_msgs(mo, out, 4, 30);
	mo[1].iov_base = (void *)8;
	EXPECT_EQ(1, kipc_send_batch(ch, mo, 4, 0));
	mo[0].iov_base = (void *)8;
	EXPECT_EQ(-EFAULT, kipc_send_batch(ch, mo, 4, 0));
	make_bufs(mi, in, 4);
	EXPECT_EQ(1, kipc_recv_batch(ch, mi, 4, NULL, KIPC_NONBLOCK));
	EXPECT_EQ(0, check_fill(in[0], MSG, 30));
	munmap(ro, 4096);
	close(ch);
}

TEST(blocked_recv_batch_wakes_on_a_send_batch)
{
	char out[N][MSG], in[N][MSG];
	struct iovec mo[N], mi[N];
	int ch = chan(64), status, got = 0;
	pid_t pid;

	ASSERT_LE(0, ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(100000);
		make_msgs(mo, out, N, 0);
		_exit(kipc_send_batch(ch, mo, N, 0) == N ? 0 : 1);
	}
	while (got < N) {
		int n, i;

		make_bufs(mi, in, N);
		n = kipc_recv_batch(ch, mi, N, NULL, 0);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			EXPECT_EQ(0, check_fill(in[i], MSG, got + i));
		}
		got += n;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	close(ch);
}

TEST(epipe_when_the_peer_is_gone)
{
	char name[64], buf[2][MSG];
	struct iovec m[2];
	int rx, tx;

	snprintf(name, sizeof(name), "batch-epipe-%d", getpid());
	rx = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
	ASSERT_LE(0, rx);
	tx = kipc_chan_open(name, O_WRONLY | O_CLOEXEC, 0, NULL);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	make_msgs(m, buf, 2, 0);
	ASSERT_EQ(2, kipc_send_batch(tx, m, 2, 0));
	close(tx);
	/* No sender can come back: the queued ones, then EPIPE. */
	make_bufs(m, buf, 2);
	EXPECT_EQ(2, kipc_recv_batch(rx, m, 2, NULL, 0));
	EXPECT_EQ(-EPIPE, kipc_recv_batch(rx, m, 2, NULL, 0));
	close(rx);

	rx = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
	ASSERT_LE(0, rx);
	tx = kipc_chan_open(name, O_WRONLY | O_CLOEXEC, 0, NULL);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(rx);
	make_msgs(m, buf, 2, 0);
	EXPECT_EQ(-EPIPE, kipc_send_batch(tx, m, 2, 0));
	close(tx);
}

/* A receive batch stalled in its second entry (a userfaultfd page). */
struct stalled_recv {
	int ch;
	char *page;
	char bufs[4][MSG];
	int ret;
};

static void *stalled_recv_fn(void *arg)
{
	struct stalled_recv *r = arg;
	struct iovec m[4];

	make_bufs(m, r->bufs, 4);
	m[1].iov_base = r->page;	/* faults until the page is supplied */
	m[2].iov_len = 1;		/* too small: the batch ends there */
	r->ret = kipc_recv_batch(r->ch, m, 4, NULL, 0);
	return NULL;
}

/*
 * Messages a receive has taken off for delivery keep their slots until it
 * is done: no send fits meanwhile, and those it puts back (a later entry
 * too small) never take the queue over its depth.
 */
TEST(slots_out_for_delivery_stay_taken)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct stalled_recv r = { 0 };
	struct kipc_msg_info info[4];
	struct kipc_chan_stat st;
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	char out[4][MSG], in[4][MSG];
	struct iovec m[4];
	struct uffd_msg ev;
	pthread_t th;
	int uffd, i;

	r.ch = chan(4);
	ASSERT_LE(0, r.ch);
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		SKIP(return, "no userfaultfd in this kernel (needed to hold a delivery mid-copy)");
	r.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r.page);
	reg.range.start = (uintptr_t)r.page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	make_msgs(m, out, 4, 40);
	ASSERT_EQ(4, kipc_send_batch(r.ch, m, 4, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, stalled_recv_fn, &r));
	ASSERT_EQ(sizeof(ev), read(uffd, &ev, sizeof(ev)));	/* it is in entry 1 */
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(-EAGAIN, kipc_send(r.ch, out[0], MSG, KIPC_NONBLOCK));
	}
	ASSERT_EQ(0, kipc_chan_stat(r.ch, &st));
	EXPECT_EQ(0, st.nr_msgs);
	zp.range.start = (uintptr_t)r.page;
	zp.range.len = 4096;
	zp.mode = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(2, r.ret);
	EXPECT_EQ(0, check_fill(r.bufs[0], MSG, 40));
	ASSERT_EQ(0, kipc_chan_stat(r.ch, &st));
	EXPECT_EQ(2, st.nr_msgs);
	EXPECT_LE(st.nr_msgs, st.max_msgs);
	make_bufs(m, in, 4);
	ASSERT_EQ(2, kipc_recv_batch(r.ch, m, 4, info, KIPC_NONBLOCK));
	EXPECT_EQ(3, info[0].seq);
	EXPECT_EQ(0, check_fill(in[0], MSG, 42));
	EXPECT_EQ(4, info[1].seq);
	munmap(r.page, 4096);
	close(uffd);
	close(r.ch);
}

/* ---- io_uring ---- */

/* Submit one batch and wait for its CQE; returns its res. */
static int ring_batch(struct io_uring *ring, int ch, struct kipc_batch *b, int send)
{
	int ret = kipc_ring_prep_batch(ring, ch, b, send, 7);

	return ret ? ret : ring_complete(ring, 7);
}

TEST(uring_cmd_batches)
{
	char out[N][MSG], in[N][MSG];
	struct kipc_xfer xo[N], xi[N];
	struct kipc_batch bo, bi;
	struct iovec mo[N], mi[N];
	struct io_uring ring;
	int ch = chan(20), i;

	ASSERT_LE(0, ch);
	if (!uring_ok(_metadata, &ring))
		SKIP(return, "the kernel has no io_uring (KIPC_FEAT_URING_CMD clear)");
	make_bufs(mi, in, N);
	ASSERT_EQ(0, kipc_batch_prep(&bi, xi, mi, N, 0, 0));
	/* Empty: completes at once with 0, it does not wait. */
	EXPECT_EQ(0, ring_batch(&ring, ch, &bi, 0));
	make_msgs(mo, out, N, 3);
	ASSERT_EQ(0, kipc_batch_prep(&bo, xo, mo, N, 0, 1));
	EXPECT_EQ(20, ring_batch(&ring, ch, &bo, 1));	/* depth 20 */
	/* Full: 0, not -EAGAIN; a bad first entry still says what is wrong. */
	EXPECT_EQ(0, ring_batch(&ring, ch, &bo, 1));
	bo.xfers = (uintptr_t)unmapped_page();
	EXPECT_EQ(-EFAULT, ring_batch(&ring, ch, &bo, 1));
	bo.xfers = (uintptr_t)xo;
	ASSERT_EQ(20, ring_batch(&ring, ch, &bi, 0));
	for (i = 0; i < 20; i++) {
		EXPECT_EQ(MSG, xi[i].info.len);
		EXPECT_EQ(0, check_fill(in[i], MSG, 3 + i));
		EXPECT_EQ((uint64_t)i + 1, xi[i].info.seq);
	}
	/* Errors still come back in the CQE. */
	bi.nr = 0;
	EXPECT_EQ(-EINVAL, ring_batch(&ring, ch, &bi, 0));
	kipc_ring_exit(&ring);
	close(ch);
}

/*
 * 20,000 messages from a child sending batches over io_uring to a parent
 * receiving batches over io_uring, both waiting with poll SQEs when a
 * batch moved nothing: every sequence number once, in order, and no
 * io-wq worker in either process.
 */
TEST(uring_two_process_run_without_workers)
{
	enum { TOTAL = 20000 };
	char in[N][MSG], out[N][MSG];
	struct kipc_xfer x[N];
	struct iovec m[N];
	struct kipc_batch b;
	struct io_uring ring;
	int ch = chan(128), status, got = 0, workers = 0, i;
	pid_t pid;

	ASSERT_LE(0, ch);
	if (!uring_ok(_metadata, &ring))
		SKIP(return, "the kernel has no io_uring (KIPC_FEAT_URING_CMD clear)");
	kipc_ring_exit(&ring);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int sent = 0, n, w = 0;

		if (kipc_ring_init(&ring, 64, 0))
			_exit(2);
		while (sent < TOTAL) {
			int k = TOTAL - sent < N ? TOTAL - sent : N;

			make_msgs(m, out, k, sent);
			kipc_batch_prep(&b, x, m, k, 0, 1);
			n = ring_batch(&ring, ch, &b, 1);
			if (n < 0)
				_exit(3);
			if (!n && ring_poll(&ring, ch, POLLOUT))
				_exit(4);
			sent += n;
			if (iou_workers(getpid()) > 0)
				w = 1;
		}
		_exit(w ? 5 : 0);
	}
	ASSERT_EQ(0, kipc_ring_init(&ring, 64, 0));
	while (got < TOTAL) {
		int n;

		make_bufs(m, in, N);
		kipc_batch_prep(&b, x, m, N, 0, 0);
		n = ring_batch(&ring, ch, &b, 0);
		ASSERT_LE(0, n);
		if (!n) {
			ASSERT_EQ(0, ring_poll(&ring, ch, POLLIN));
			continue;
		}
		for (i = 0; i < n; i++) {
			ASSERT_EQ(MSG, x[i].info.len);
			ASSERT_EQ(0, check_fill(in[i], MSG, got + i));
			ASSERT_EQ((uint64_t)got + i + 1, x[i].info.seq);
		}
		got += n;
		if (iou_workers(getpid()) > 0)
			workers = 1;
	}
	kipc_ring_exit(&ring);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));	/* 5: the sender grew a worker */
	EXPECT_EQ(0, workers);
	close(ch);
}

TEST_HARNESS_MAIN
