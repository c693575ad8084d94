// SPDX-License-Identifier: GPL-2.0
/*
 * kipc channels over io_uring (libkipc's kipc_ring_* helpers on liburing):
 * single and vectored transfers, errors carried in CQEs, receives parked
 * before their message arrives, cancellation, plain calls mixed with ring
 * requests on one channel, one submission spanning many channels, a slow
 * sender whose receiver arms receives as kipc_ring(3) advises, and a
 * long batched run between two processes with sequence checks that also
 * watches for io_uring worker threads ("iou-wrk-*", counted by
 * kipc_ring_workers(); a forced worker shows that the count works): a
 * channel fd must be served by non-blocking attempts plus poll-driven
 * retry, never by a worker thread blocked in read or write.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define MSG_SIZE	64
#define BATCH		32
#define LONG_RUN_MSGS	100000
/* A parked request must not complete, nor grow a worker, within this. */
#define QUIET_NS	(100 * 1000000LL)
#define LONG_NS		(10 * 1000000000LL)

/* Message @seq: its number, then bytes derived from it. */
static void fill_msg(unsigned char *m, uint64_t seq)
{
	int i;

	memcpy(m, &seq, sizeof(seq));
	for (i = sizeof(seq); i < MSG_SIZE; i++)
		m[i] = (unsigned char)(seq * 31 + i);
}

/* The sequence number of a well-formed message, or UINT64_MAX. */
static uint64_t check_msg(const unsigned char *m)
{
	uint64_t seq;
	int i;

	memcpy(&seq, m, sizeof(seq));
	for (i = sizeof(seq); i < MSG_SIZE; i++)
		if (m[i] != (unsigned char)(seq * 31 + i))
			return UINT64_MAX;
	return seq;
}

/* Reap exactly one completion (waiting up to LONG_NS); res or -ETIMEDOUT. */
static int reap_one(struct io_uring *ring, struct kipc_ring_cqe *c)
{
	int n = kipc_ring_reap(ring, c, 1, 1, LONG_NS);

	return n == 1 ? 0 : (n < 0 ? n : -EIO);
}

FIXTURE(uring) {
	char name[64];
	int ch;			/* O_RDWR, created */
	struct io_uring ring;
	int have_ring;
};

FIXTURE_SETUP(uring)
{
	int ret;

	self->ch = -1;
	self->have_ring = 0;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	ret = kipc_ring_init(&self->ring, 64, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable here: %s (kernel.io_uring_disabled?)",
		     strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("kipc_ring_init: %s", strerror(-ret));
	self->have_ring = 1;
	make_name(self->name, sizeof(self->name), "ring");
	self->ch = kipc_chan_open(self->name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, self->ch) TH_LOG("open: %s", strerror(-self->ch));
}

FIXTURE_TEARDOWN(uring)
{
	if (self->have_ring)
		kipc_ring_exit(&self->ring);
	if (self->ch >= 0) {
		kipc_chan_unlink(self->name);
		close(self->ch);
	}
}

TEST_F(uring, send_recv_one_message_per_sqe)
{
	struct kipc_ring_cqe c[4];
	struct kipc_chan_stat st;
	char buf[64] = { 0 };
	int n;

	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, "hello", 5, 0, 1));
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, "", 0, 0, 2));
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, "kipc!", 5, 0, 3));
	n = kipc_ring_reap(&self->ring, c, 4, 3, LONG_NS);
	ASSERT_EQ(3, n);
	ASSERT_EQ(1, c[0].user_data);
	ASSERT_EQ(5, c[0].res);
	ASSERT_EQ(2, c[1].user_data);
	ASSERT_EQ(0, c[1].res);		/* zero-length messages are messages */
	ASSERT_EQ(3, c[2].user_data);
	ASSERT_EQ(5, c[2].res);
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &st));
	ASSERT_EQ(3, st.nr_msgs);

	/* Boundaries kept: each receive gets one whole message. */
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, buf, sizeof(buf), 0, 10));
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_EQ(10, c[0].user_data);
	ASSERT_EQ(5, c[0].res);
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, buf, sizeof(buf), 0, 11));
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_EQ(0, c[0].res);
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, buf, sizeof(buf), 0, 12));
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_EQ(5, c[0].res);
	ASSERT_EQ(0, memcmp(buf, "kipc!", 5));
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &st));
	ASSERT_EQ(0, st.nr_msgs);
	ASSERT_EQ(3, st.sent);
	ASSERT_EQ(3, st.received);
}

TEST_F(uring, vectored_send_and_recv)
{
	char a[] = "abc", b[] = "defgh", c1[4], c2[8];
	struct iovec out[2] = { { a, 3 }, { b, 5 } };
	struct iovec in[2] = { { c1, 2 }, { c2, sizeof(c2) } };
	struct kipc_ring_cqe c;

	ASSERT_EQ(0, kipc_ring_prep_sendv(&self->ring, self->ch, out, 2, 0, 1));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(8, c.res);
	ASSERT_EQ(0, kipc_ring_prep_recvv(&self->ring, self->ch, in, 2, 0, 2));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(8, c.res);
	ASSERT_EQ(0, memcmp(c1, "ab", 2));
	ASSERT_EQ(0, memcmp(c2, "cdefgh", 6));
}

TEST_F(uring, errors_come_back_in_cqes)
{
	struct kipc_chan_attr attr = { .max_msgs = 2, .max_msg_size = 16 };
	char big[17] = { 0 }, small[2], buf[16];
	struct kipc_ring_cqe c;
	struct kipc_chan_stat st;
	char name[64];
	int ch, ro;

	make_name(name, sizeof(name), "err");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, ch);
	ro = kipc_chan_open(name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, ro);

	/* Argument checks happen before any SQE is used. */
	ASSERT_EQ(-EINVAL, kipc_ring_prep_send(&self->ring, ch, "x", 1, KIPC_PEEK, 0));
	ASSERT_EQ(-EINVAL, kipc_ring_prep_recv(&self->ring, ch, buf, 1, KIPC_PRIO(1), 0));
	ASSERT_EQ(-EINVAL, kipc_ring_prep_recv(&self->ring, -1, buf, 1, 0, 0));
	ASSERT_EQ(-EINVAL, kipc_ring_prep_cancel(&self->ring, 1, 0x80, 0));

	/* Empty queue and KIPC_NONBLOCK: -EAGAIN instead of parking. */
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, ch, buf, sizeof(buf), KIPC_NONBLOCK, 1));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(-EAGAIN, c.res);

	/* Over the channel's max_msg_size: nothing queued. */
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ch, big, sizeof(big), 0, 2));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(-EMSGSIZE, c.res);

	/* Sending on a receive-only fd. */
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ro, "x", 1, 0, 3));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(-EBADF, c.res);

	/* Receive buffer too small: -EMSGSIZE and the message stays queued. */
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ch, "hello", 5, 0, 4));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(5, c.res);
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, ro, small, sizeof(small), 0, 5));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(-EMSGSIZE, c.res);
	ASSERT_EQ(0, kipc_chan_stat(ch, &st));
	ASSERT_EQ(1, st.nr_msgs);

	/* Full queue and KIPC_NONBLOCK: -EAGAIN. */
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ch, "a", 1, KIPC_NONBLOCK, 6));
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ch, "b", 1, KIPC_NONBLOCK, 7));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(1, c.res);
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(7, c.user_data);
	ASSERT_EQ(-EAGAIN, c.res);

	ASSERT_EQ(5, kipc_recv(ro, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	kipc_chan_unlink(name);
	close(ro);
	close(ch);
}

TEST_F(uring, link_chain_never_split)
{
	struct kipc_ring_cqe c[8];
	struct io_uring small;
	int i, n, got = 0;

	ASSERT_EQ(0, kipc_ring_init(&small, 4, 0));
	/* A full SQ whose last entry is chained: submitting would cut the chain. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kipc_ring_prep_send(&small, self->ch, "x", 1, KIPC_RING_LINK, i));
	ASSERT_EQ(-EBUSY, kipc_ring_prep_send(&small, self->ch, "y", 1, 0, 4));
	ASSERT_EQ(-EINVAL, kipc_ring_prep_recv(&small, self->ch, c, 1, KIPC_RING_LINK, 5));
	ASSERT_EQ(4, kipc_ring_submit(&small));
	/* An unchained full SQ is flushed to make room. */
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, kipc_ring_prep_send(&small, self->ch, "z", 1, 0, 10 + i));
	while (got < 9) {
		n = kipc_ring_reap(&small, c, 8, 1, LONG_NS);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(1, c[i].res);
		got += n;
	}
	kipc_ring_exit(&small);
}

/*
 * The "no worker" checks below mean something only if a worker is seen:
 * IOSQE_ASYNC makes io_uring hand a request to io-wq, which starts one.
 */
TEST_F(uring, workers_are_counted)
{
	struct io_uring_sqe *sqe;
	struct kipc_ring_cqe c[1];

	ASSERT_EQ(-EINVAL, kipc_ring_workers(-1));
	ASSERT_EQ(0, kipc_ring_workers(0));
	sqe = io_uring_get_sqe(&self->ring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_flags(sqe, IOSQE_ASYNC);
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_EQ(0, c[0].res);
	/* An idle worker stays for a few seconds: it is still there. */
	ASSERT_LE(1, kipc_ring_workers(0));
	ASSERT_EQ(kipc_ring_workers(0), kipc_ring_workers(getpid()));
}

TEST_F(uring, recv_parked_until_message_arrives)
{
	unsigned char bufs[8][MSG_SIZE];
	struct kipc_ring_cqe c[8];
	int seen[8] = { 0 };
	int i, n, got = 0;
	pid_t pid;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, bufs[i], MSG_SIZE, 0, i));
	ASSERT_EQ(8, kipc_ring_submit(&self->ring));

	/* Nothing to receive: they stay pending, parked on poll, no worker. */
	ASSERT_EQ(-ETIMEDOUT, kipc_ring_reap(&self->ring, c, 8, 1, QUIET_NS));
	ASSERT_EQ(0, iou_workers(getpid()));

	/* Another process sends, one message at a time, slowly. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w = kipc_chan_open(self->name, O_WRONLY, 0, NULL);
		unsigned char m[MSG_SIZE];

		if (w < 0)
			_exit(2);
		for (i = 0; i < 8; i++) {
			usleep(20000);
			fill_msg(m, 1000 + i);
			if (kipc_send(w, m, MSG_SIZE, 0) != MSG_SIZE)
				_exit(3);
		}
		_exit(0);
	}
	while (got < 8) {
		n = kipc_ring_reap(&self->ring, c, 8, 1, LONG_NS);
		ASSERT_LT(0, n) TH_LOG("reap: %s", strerror(-n));
		for (i = 0; i < n; i++) {
			uint64_t seq;

			ASSERT_EQ(MSG_SIZE, c[i].res);
			ASSERT_GT(8, c[i].user_data);
			seq = check_msg(bufs[c[i].user_data]);
			/* completion order is message order */
			ASSERT_EQ(1000 + got, seq);
			seen[c[i].user_data]++;
			got++;
		}
		ASSERT_EQ(0, iou_workers(getpid()));
	}
	for (i = 0; i < 8; i++)
		ASSERT_EQ(1, seen[i]);
	ASSERT_EQ(0, wait_child(pid));
}

/* A receiver stuck in a page fault on its buffer, held by userfaultfd. */
static struct {
	int uffd;
	int ch;
	char *page;		/* registered, missing until resolved */
	long ret;		/* the stuck receive's result */
	int release;		/* pipe: a byte (or 2 s) resolves the fault */
} stuck;

static void *stuck_receiver(void *arg)
{
	(void)arg;
	stuck.ret = kipc_recv(stuck.ch, stuck.page, MSG_SIZE, NULL, 0);
	return NULL;
}

/* Wait for the receiver's fault, then for a byte on @release or 2 s; resolve it. */
static void *fault_resolver(void *arg)
{
	struct pollfd pfd = { .fd = stuck.release, .events = POLLIN };
	struct uffdio_copy copy = { 0 };
	static char zero[65536];

	(void)arg;
	poll(&pfd, 1, 2000);
	copy.dst = (uintptr_t)stuck.page;
	copy.src = (uintptr_t)zero;
	copy.len = sysconf(_SC_PAGESIZE);
	ioctl(stuck.uffd, UFFDIO_COPY, &copy);
	return NULL;
}

/*
 * A non-blocking receive never waits for another receiver stuck in a page
 * fault (here held by userfaultfd) while it holds the channel's receive
 * lock: KIPC_NONBLOCK, O_NONBLOCK and an io_uring receive get EAGAIN at
 * once (io_uring parks on poll, with no worker thread), an io_uring batch
 * completes with 0 at once, poll() does not
 * say POLLIN meanwhile, and once the fault is resolved the parked io_uring
 * receive is woken and gets the next message.
 */
TEST_F(uring, nonblocking_recv_skips_a_receiver_stuck_in_a_fault)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct pollfd pfd;
	struct uffd_msg fault;
	struct kipc_ring_cqe c[1];
	char buf[MSG_SIZE], bbuf[MSG_SIZE];
	struct kipc_batch b;
	struct kipc_xfer bx;
	struct iovec bio;
	pthread_t rx, res;
	int rel[2], nb;
	uint64_t t0;
	long pg = sysconf(_SC_PAGESIZE);

	stuck.uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (stuck.uffd < 0)
		SKIP(return, "userfaultfd: %s (CONFIG_USERFAULTFD, vm.unprivileged_userfaultfd)",
		     strerror(errno));
	ASSERT_EQ(0, ioctl(stuck.uffd, UFFDIO_API, &api));
	stuck.page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stuck.page);
	reg.range.start = (uintptr_t)stuck.page;
	reg.range.len = pg;
	ASSERT_EQ(0, ioctl(stuck.uffd, UFFDIO_REGISTER, &reg));
	stuck.ch = self->ch;
	ASSERT_EQ(0, pipe(rel));
	stuck.release = rel[0];
	nb = kipc_chan_open(self->name, O_RDONLY | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, nb);
	ASSERT_EQ(3, kipc_send(self->ch, "one", 3, 0));
	ASSERT_EQ(3, kipc_send(self->ch, "two", 3, 0));

	/* The receiver takes "one" and faults copying it out. */
	ASSERT_EQ(0, pthread_create(&rx, NULL, stuck_receiver, NULL));
	pfd.fd = stuck.uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(sizeof(fault), read(stuck.uffd, &fault, sizeof(fault)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, fault.event);
	ASSERT_EQ(0, pthread_create(&res, NULL, fault_resolver, NULL));

	t0 = now_ns();
	EXPECT_EQ(-EAGAIN, kipc_recv(self->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(-1, read(nb, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT(t0 + 500000000ull, now_ns()) TH_LOG("a non-blocking receive waited");
	pfd.fd = nb;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("POLLIN while a receive cannot go ahead");

	/* An io_uring batch moves nothing (0), at once. */
	bio.iov_base = bbuf;
	bio.iov_len = sizeof(bbuf);
	ASSERT_EQ(0, kipc_batch_prep(&b, &bx, &bio, 1, 0, 0));
	ASSERT_EQ(0, kipc_ring_prep_batch(&self->ring, self->ch, &b, 0, 6));
	ASSERT_EQ(1, kipc_ring_submit(&self->ring));
	ASSERT_EQ(1, kipc_ring_reap(&self->ring, c, 1, 1, QUIET_NS));
	EXPECT_EQ(6, c[0].user_data);
	EXPECT_EQ(0, c[0].res);

	/* io_uring's non-blocking try fails; it parks on poll, no worker. */
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, buf, sizeof(buf), 0, 7));
	ASSERT_EQ(1, kipc_ring_submit(&self->ring));
	EXPECT_GT(t0 + 500000000ull, now_ns()) TH_LOG("io_uring submit waited");
	EXPECT_EQ(-ETIMEDOUT, kipc_ring_reap(&self->ring, c, 1, 1, QUIET_NS));
	EXPECT_EQ(0, iou_workers(getpid()));

	/* Resolve the fault: the receiver gets "one", the parked receive "two". */
	ASSERT_EQ(1, write(rel[1], "x", 1));
	pthread_join(res, NULL);
	pthread_join(rx, NULL);
	EXPECT_EQ(3, stuck.ret);
	EXPECT_EQ(0, memcmp(stuck.page, "one", 3));
	ASSERT_EQ(1, kipc_ring_reap(&self->ring, c, 1, 1, LONG_NS));
	EXPECT_EQ(7, c[0].user_data);
	EXPECT_EQ(3, c[0].res);
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	EXPECT_EQ(0, iou_workers(getpid()));
	close(nb);
	close(rel[0]);
	close(rel[1]);
	close(stuck.uffd);
	munmap(stuck.page, pg);
}

/* A reap that does not wait still collects a parked request's completion. */
TEST_F(uring, polling_reap_sees_parked_completion)
{
	unsigned char in[MSG_SIZE], m[MSG_SIZE];
	struct kipc_ring_cqe c;
	int i, n = 0;
	pid_t pid;

	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, in, MSG_SIZE, 0, 9));
	ASSERT_EQ(0, kipc_ring_reap(&self->ring, &c, 1, 0, 0));	/* submits, nothing yet */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(50000);
		fill_msg(m, 77);
		_exit(kipc_send(self->ch, m, MSG_SIZE, 0) == MSG_SIZE ? 0 : 1);
	}
	for (i = 0; i < 5000 && n == 0; i++) {
		n = kipc_ring_reap(&self->ring, &c, 1, 0, 0);
		ASSERT_LE(0, n);
		if (!n)
			usleep(1000);
	}
	ASSERT_EQ(1, n);
	ASSERT_EQ(9, c.user_data);
	ASSERT_EQ(MSG_SIZE, c.res);
	ASSERT_EQ(77, check_msg(in));
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(uring, recv_parked_then_peer_gone_epipe)
{
	struct kipc_ring_cqe c;
	char name[64], buf[16];
	int r, w;

	make_name(name, sizeof(name), "pipe");
	r = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, r);
	w = kipc_chan_open(name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, w);
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, r, buf, sizeof(buf), 0, 1));
	ASSERT_EQ(-ETIMEDOUT, kipc_ring_reap(&self->ring, &c, 1, 1, QUIET_NS));
	/* No sender can appear any more: the parked receive ends in -EPIPE. */
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(w);
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(-EPIPE, c.res);
	close(r);
}

TEST_F(uring, cancel_pending_receives)
{
	unsigned char bufs[8][MSG_SIZE], m[MSG_SIZE];
	struct kipc_ring_cqe c[16];
	struct kipc_chan_stat st;
	int i, n, cancelled = 0, nr_cancel_cqes = 0;

	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, bufs[i], MSG_SIZE, 0,
						 100 + i));
	ASSERT_EQ(8, kipc_ring_submit(&self->ring));
	ASSERT_EQ(-ETIMEDOUT, kipc_ring_reap(&self->ring, c, 16, 1, QUIET_NS));

	/* One by user_data. */
	ASSERT_EQ(0, kipc_ring_prep_cancel(&self->ring, 103, 0, 1));
	n = kipc_ring_reap(&self->ring, c, 16, 2, LONG_NS);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		if (c[i].user_data == 1) {
			ASSERT_EQ(0, c[i].res);
		} else {
			ASSERT_EQ(103, c[i].user_data);
			ASSERT_EQ(-ECANCELED, c[i].res);
		}
	}

	/* Nothing left to match. */
	ASSERT_EQ(0, kipc_ring_prep_cancel(&self->ring, 103, 0, 2));
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_EQ(2, c[0].user_data);
	ASSERT_EQ(-ENOENT, c[0].res);

	/* One still works: a message wakes exactly one parked receive. */
	fill_msg(m, 7);
	ASSERT_EQ(MSG_SIZE, kipc_send(self->ch, m, MSG_SIZE, 0));
	ASSERT_EQ(0, reap_one(&self->ring, c));
	ASSERT_LE(100, c[0].user_data);
	ASSERT_GT(108, c[0].user_data);
	ASSERT_NE(103, c[0].user_data);
	ASSERT_EQ(MSG_SIZE, c[0].res);
	ASSERT_EQ(7, check_msg(bufs[c[0].user_data - 100]));

	/* The other six, all at once by channel fd. */
	ASSERT_EQ(0, kipc_ring_prep_cancel_chan(&self->ring, self->ch, 3));
	while (cancelled < 6 || !nr_cancel_cqes) {
		n = kipc_ring_reap(&self->ring, c, 16, 1, LONG_NS);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			if (c[i].user_data == 3) {
				ASSERT_EQ(6, c[i].res);
				nr_cancel_cqes++;
			} else {
				ASSERT_EQ(-ECANCELED, c[i].res);
				cancelled++;
			}
		}
	}
	ASSERT_EQ(6, cancelled);

	/* Cancelled receives consumed nothing: the next message is all there. */
	fill_msg(m, 8);
	ASSERT_EQ(MSG_SIZE, kipc_send(self->ch, m, MSG_SIZE, 0));
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &st));
	ASSERT_EQ(1, st.nr_msgs);
	ASSERT_EQ(1, st.received);
	memset(m, 0, sizeof(m));
	ASSERT_EQ(MSG_SIZE, kipc_recv(self->ch, m, MSG_SIZE, NULL, KIPC_NONBLOCK));
	ASSERT_EQ(8, check_msg(m));
	ASSERT_EQ(0, iou_workers(getpid()));
}

TEST_F(uring, mixed_with_plain_calls)
{
	unsigned char m[MSG_SIZE], in[MSG_SIZE];
	struct kipc_msg_info info;
	struct kipc_ring_cqe c;
	uint64_t s;

	/* Sends alternate: ring, write(2), kipc_send(), ring. */
	fill_msg(m, 1);
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, m, MSG_SIZE, 0, 1));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(MSG_SIZE, c.res);
	fill_msg(m, 2);
	ASSERT_EQ(MSG_SIZE, write(self->ch, m, MSG_SIZE));
	fill_msg(m, 3);
	ASSERT_EQ(MSG_SIZE, kipc_send(self->ch, m, MSG_SIZE, 0));
	fill_msg(m, 4);
	ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, m, MSG_SIZE, 0, 2));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(MSG_SIZE, c.res);

	/* Receives alternate too; one FIFO, one sequence for all of them. */
	ASSERT_EQ(MSG_SIZE, kipc_recv(self->ch, in, sizeof(in), &info, 0));
	ASSERT_EQ(1, check_msg(in));
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(getpid(), info.pid);
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, in, sizeof(in), 0, 3));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(MSG_SIZE, c.res);
	ASSERT_EQ(2, check_msg(in));
	ASSERT_EQ(MSG_SIZE, read(self->ch, in, sizeof(in)));
	ASSERT_EQ(3, check_msg(in));
	ASSERT_EQ(MSG_SIZE, kipc_recv(self->ch, in, sizeof(in), &info, 0));
	ASSERT_EQ(4, check_msg(in));
	ASSERT_EQ(4, info.seq);

	/* A parked ring receive is completed by a plain write(2)... */
	ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, in, sizeof(in), 0, 4));
	ASSERT_EQ(-ETIMEDOUT, kipc_ring_reap(&self->ring, &c, 1, 1, QUIET_NS));
	fill_msg(m, 5);
	ASSERT_EQ(MSG_SIZE, write(self->ch, m, MSG_SIZE));
	ASSERT_EQ(0, reap_one(&self->ring, &c));
	ASSERT_EQ(MSG_SIZE, c.res);
	ASSERT_EQ(5, check_msg(in));

	/* ...and a plain read(2) and a ring receive share a stream in order. */
	for (s = 6; s < 46; s++) {
		fill_msg(m, s);
		ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, self->ch, m, MSG_SIZE, 0, s));
		ASSERT_EQ(0, reap_one(&self->ring, &c));
		ASSERT_EQ(MSG_SIZE, c.res);
	}
	for (s = 6; s < 46; s++) {
		memset(in, 0, sizeof(in));
		if (s & 1) {
			ASSERT_EQ(MSG_SIZE, read(self->ch, in, sizeof(in)));
		} else {
			ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, in, sizeof(in),
							 0, s));
			ASSERT_EQ(0, reap_one(&self->ring, &c));
			ASSERT_EQ(MSG_SIZE, c.res);
		}
		ASSERT_EQ(s, check_msg(in));
	}
}

TEST_F(uring, one_submit_many_channels)
{
	enum { NCH = 8 };
	unsigned char out[NCH][MSG_SIZE], in[NCH][MSG_SIZE];
	struct kipc_ring_cqe c[2 * NCH];
	int ch[NCH], i, n, got = 0;

	for (i = 0; i < NCH; i++) {
		ch[i] = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		ASSERT_LE(0, ch[i]);
		fill_msg(out[i], 500 + i);
	}
	/* The receives first: they park, and the sends then complete them. */
	for (i = 0; i < NCH; i++)
		ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, ch[i], in[i], MSG_SIZE, 0, 100 + i));
	for (i = 0; i < NCH; i++)
		ASSERT_EQ(0, kipc_ring_prep_send(&self->ring, ch[i], out[i], MSG_SIZE, 0, 200 + i));
	ASSERT_EQ(2 * NCH, kipc_ring_submit(&self->ring));	/* one io_uring_enter() */
	while (got < 2 * NCH) {
		n = kipc_ring_reap(&self->ring, c, 2 * NCH, 1, LONG_NS);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ(MSG_SIZE, c[i].res);
		got += n;
	}
	for (i = 0; i < NCH; i++) {
		ASSERT_EQ(500 + i, check_msg(in[i]));
		close(ch[i]);
	}
}

/*
 * The sender: @total messages in batches of BATCH sends, each batch
 * submitted with one call and reaped before the next; with @chain, each
 * batch is one KIPC_RING_LINK chain, so its messages keep their order.
 * Exit status 0 or the failing step.
 */
static int long_run_sender(const char *name, unsigned int total, int chain)
{
	static unsigned char msgs[BATCH][MSG_SIZE];
	struct kipc_ring_cqe c[BATCH];
	struct io_uring ring;
	unsigned int sent = 0, i;
	int w, n, done;

	w = kipc_chan_open(name, O_WRONLY, 0, NULL);
	if (w < 0 || kipc_ring_init(&ring, 2 * BATCH, 0))
		return 10;
	while (sent < total) {
		unsigned int batch = total - sent < BATCH ? total - sent : BATCH;

		for (i = 0; i < batch; i++) {
			unsigned int f = chain && i + 1 < batch ? KIPC_RING_LINK : 0;

			fill_msg(msgs[i], sent + i);
			if (kipc_ring_prep_send(&ring, w, msgs[i], MSG_SIZE, f, sent + i))
				return 11;
		}
		for (done = 0; done < (int)batch; done += n) {
			n = kipc_ring_reap(&ring, c, BATCH, batch - done, LONG_NS);
			if (n <= 0)
				return 12;
			for (i = 0; i < (unsigned int)n; i++)
				if (c[i].res != MSG_SIZE)
					return 13;
		}
		sent += batch;
	}
	kipc_ring_exit(&ring);
	close(w);
	return 0;
}

/*
 * A sender slower than the receiver, so receives keep being parked on an
 * empty queue: armed as kipc_ring(3) advises (receives for the messages
 * queued plus one, at most BATCH), every message arrives in order and no
 * io-wq worker appears. (Keeping all BATCH receives parked instead makes
 * io_uring hand the ones woken in vain to workers: about a hundred of
 * them over this run on 6.12.)
 */
TEST_F(uring, slow_sender_one_parked_receive_no_workers)
{
	enum { NR = 3000 };
	static unsigned char bufs[BATCH][MSG_SIZE];
	unsigned int idle[BATCH], nidle = 0, out, i, want;
	struct kipc_ring_cqe c[BATCH];
	struct kipc_chan_stat st;
	uint64_t got = 0, seq;
	int n, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char m[MSG_SIZE];

		for (seq = 0; seq < NR; seq++) {
			fill_msg(m, seq);
			if (kipc_send(self->ch, m, MSG_SIZE, 0) != MSG_SIZE)
				_exit(1);
			usleep(50);
		}
		_exit(0);
	}
	for (i = 0; i < BATCH; i++)
		idle[nidle++] = i;
	while (got < NR) {
		ASSERT_EQ(0, kipc_chan_stat(self->ch, &st));
		out = BATCH - nidle;	/* a slot is idle or has a receive out */
		want = st.nr_msgs + 1 > out ? st.nr_msgs + 1 - out : 0;
		while (want-- && nidle && got + out < NR) {
			i = idle[--nidle];
			ASSERT_EQ(0, kipc_ring_prep_recv(&self->ring, self->ch, bufs[i],
							 MSG_SIZE, 0, i));
			out++;	/* for the got + out < NR bound */
		}
		n = kipc_ring_reap(&self->ring, c, BATCH, 1, LONG_NS);
		ASSERT_LT(0, n) TH_LOG("reap after %llu messages: %s",
				       (unsigned long long)got, strerror(-n));
		for (i = 0; i < (unsigned int)n; i++) {
			ASSERT_EQ(MSG_SIZE, c[i].res);
			ASSERT_EQ(got, check_msg(bufs[c[i].user_data]));
			idle[nidle++] = (unsigned int)c[i].user_data;
			got++;
		}
	}
	ASSERT_EQ(0, iou_workers(getpid()))
		TH_LOG("io_uring worker threads appeared: receives were punted to io-wq");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

FIXTURE(long_run) {
	char name[64];
	int ch;
	unsigned char *seen;	/* per message: times received */
};

FIXTURE_VARIANT(long_run) {
	int chain;		/* sender chains each batch (KIPC_RING_LINK) */
};

/* Ordered: every message arrives once, whole, in the order it was sent. */
FIXTURE_VARIANT_ADD(long_run, chained_sends_in_order) {
	.chain = 1,
};

/*
 * Unchained: sends parked together on a full queue may be retried in any
 * order, so only exactly-once delivery is checked.
 */
FIXTURE_VARIANT_ADD(long_run, parallel_sends_exactly_once) {
	.chain = 0,
};

FIXTURE_SETUP(long_run)
{
	struct io_uring probe;
	int ret;

	self->ch = -1;
	self->seen = NULL;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	ret = kipc_ring_init(&probe, 4, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring unavailable here: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	kipc_ring_exit(&probe);
	self->seen = calloc(LONG_RUN_MSGS, 1);
	ASSERT_NE(NULL, self->seen);
	make_name(self->name, sizeof(self->name), "long");
	self->ch = kipc_chan_open(self->name, O_RDONLY | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, self->ch);
}

FIXTURE_TEARDOWN(long_run)
{
	free(self->seen);
	if (self->ch >= 0) {
		kipc_chan_unlink(self->name);
		close(self->ch);
	}
}

/*
 * 100,000 messages of 64 bytes from a sender process to this one, both on
 * io_uring, BATCH requests in flight on each side; the queue (256 deep)
 * fills and empties, so sends and receives keep being parked and retried.
 * io-wq must never start a worker thread in either process.
 */
TEST_F_TIMEOUT(long_run, batched_100k_no_io_workers, 600)
{
	static unsigned char bufs[BATCH][MSG_SIZE];
	struct kipc_ring_cqe c[BATCH];
	struct kipc_chan_stat st;
	struct io_uring ring;
	uint64_t got = 0, t0, t1, seq;
	unsigned int i, reaps = 0, partial = 0, workers = 0, w;
	int n, status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(long_run_sender(self->name, LONG_RUN_MSGS, variant->chain));

	ASSERT_EQ(0, kipc_ring_init(&ring, 2 * BATCH, 0));
	t0 = now_ns();
	for (i = 0; i < BATCH; i++)
		ASSERT_EQ(0, kipc_ring_prep_recv(&ring, self->ch, bufs[i], MSG_SIZE, 0, i));
	while (got < LONG_RUN_MSGS) {
		n = kipc_ring_reap(&ring, c, BATCH, 1, LONG_NS);
		ASSERT_LT(0, n) TH_LOG("reap after %llu messages: %s",
				       (unsigned long long)got, strerror(-n));
		reaps++;
		if (n < BATCH)
			partial++;
		for (i = 0; i < (unsigned int)n; i++) {
			unsigned int slot = (unsigned int)c[i].user_data;

			ASSERT_EQ(MSG_SIZE, c[i].res) TH_LOG("message %llu",
							     (unsigned long long)got);
			seq = check_msg(bufs[slot]);
			ASSERT_GT(LONG_RUN_MSGS, seq) TH_LOG("corrupt message after %llu",
							     (unsigned long long)got);
			ASSERT_EQ(0, self->seen[seq]) TH_LOG("message %llu twice",
							     (unsigned long long)seq);
			self->seen[seq] = 1;
			/* receive completions come in queue order */
			if (variant->chain)
				ASSERT_EQ(got, seq);
			got++;
			/* Re-arm the slot while messages are still to come. */
			if (got + BATCH <= LONG_RUN_MSGS)
				ASSERT_EQ(0, kipc_ring_prep_recv(&ring, self->ch, bufs[slot],
								 MSG_SIZE, 0, slot));
		}
		if (reaps % 64 == 0) {
			w = iou_workers(getpid()) + iou_workers(pid);
			if (w > workers)
				workers = w;
		}
	}
	t1 = now_ns();
	w = iou_workers(getpid()) + iou_workers(pid);
	if (w > workers)
		workers = w;
	kipc_ring_exit(&ring);
	ASSERT_EQ(0, workers) TH_LOG("io_uring worker threads appeared: requests were punted to io-wq");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &st));
	ASSERT_EQ(LONG_RUN_MSGS, st.sent);
	ASSERT_EQ(LONG_RUN_MSGS, st.received);
	ASSERT_EQ(0, st.nr_msgs);
	TH_LOG("%d messages of %d B in %.2f s (%.0f msg/s); %u waits, %u returned < %d",
	       LONG_RUN_MSGS, MSG_SIZE, (t1 - t0) / 1e9, LONG_RUN_MSGS / ((t1 - t0) / 1e9),
	       reaps, partial, BATCH);
}

TEST_HARNESS_MAIN
