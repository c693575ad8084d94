// SPDX-License-Identifier: GPL-2.0
/*
 * kipc channel semantics: boundaries, priorities, sizes, blocking,
 * timeouts, signals, peers gone (EPIPE), access, names, lifetime, poll,
 * plain read/write, credentials, scale, and a loss-accounting stress run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

FIXTURE(chan) {
	char name[64];
	int ch;		/* O_RDWR, created */
};

FIXTURE_SETUP(chan)
{
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(self->name, sizeof(self->name), "chan");
	self->ch = kipc_chan_open(self->name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, self->ch) TH_LOG("open: %s", strerror(-self->ch));
}

FIXTURE_TEARDOWN(chan)
{
	kipc_chan_unlink(self->name);
	if (self->ch >= 0)
		close(self->ch);
}

TEST_F(chan, send_recv_info)
{
	struct kipc_msg_info info;
	uint64_t t0 = now_ns();
	char buf[64];

	ASSERT_EQ(5, kipc_send(self->ch, "hello", 5, 0));
	ASSERT_EQ(3, kipc_send(self->ch, "abc", 3, KIPC_PRIO(0)));
	memset(&info, 0xaa, sizeof(info));
	ASSERT_EQ(5, kipc_recv(self->ch, buf, sizeof(buf), &info, 0));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(5, info.len);
	ASSERT_EQ(0, info.prio);
	ASSERT_EQ(getpid(), info.pid);
	ASSERT_EQ(geteuid(), info.uid);
	ASSERT_EQ(getegid(), info.gid);
	ASSERT_LE(t0, info.time_ns);
	ASSERT_GE(now_ns(), info.time_ns);
	ASSERT_EQ(0, info.flags);
	ASSERT_EQ(3, kipc_recv(self->ch, buf, sizeof(buf), &info, 0));
	ASSERT_EQ(2, info.seq);
	ASSERT_EQ(-EAGAIN, kipc_recv(self->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
}

TEST_F(chan, boundaries_kept)
{
	static char big[65536];
	size_t sizes[] = { 1, 0, 7, 4096, 65536, 2, 100 };
	char buf[65536 + 16];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(big, 'a' + (int)i, sizes[i]);
		ASSERT_EQ((ssize_t)sizes[i], kipc_send(self->ch, big, sizes[i], 0));
	}
	ASSERT_EQ(7, chan_stat(self->ch).nr_msgs);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ssize_t n = kipc_recv(self->ch, buf, sizeof(buf), NULL, 0);

		ASSERT_EQ((ssize_t)sizes[i], n);
		for (ssize_t j = 0; j < n; j++)
			ASSERT_EQ('a' + (int)i, buf[j]);
	}
	ASSERT_EQ(0, chan_stat(self->ch).bytes_queued);
}

TEST_F(chan, priority_order)
{
	unsigned int prios[] = { 0, 5, 31, 5, 0, 31, 1 };
	struct kipc_msg_info info;
	unsigned int expect_prio[] = { 31, 31, 5, 5, 1, 0, 0 };
	int expect_idx[] = { 2, 5, 1, 3, 6, 0, 4 };
	int i, v;

	for (i = 0; i < 7; i++)
		ASSERT_EQ(sizeof(i), kipc_send(self->ch, &i, sizeof(i), KIPC_PRIO(prios[i])));
	ASSERT_EQ(-EINVAL, kipc_send(self->ch, &i, sizeof(i), KIPC_PRIO(KIPC_PRIO_MAX + 1)));
	for (i = 0; i < 7; i++) {
		ASSERT_EQ(sizeof(v), kipc_recv(self->ch, &v, sizeof(v), &info, 0));
		ASSERT_EQ(expect_prio[i], info.prio);
		ASSERT_EQ(expect_idx[i], v);
	}
}

TEST_F(chan, sizes_and_emsgsize)
{
	struct kipc_chan_attr attr = { .max_msgs = 4, .max_msg_size = 100 };
	struct kipc_msg_info info;
	char buf[200], name[64];
	int ch;

	make_name(name, sizeof(name), "size");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	kipc_chan_unlink(name);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(-EMSGSIZE, kipc_send(ch, buf, 101, 0));
	ASSERT_EQ(0, chan_stat(ch).nr_msgs);
	ASSERT_EQ(100, kipc_send(ch, buf, 100, 0));
	ASSERT_EQ(0, kipc_send(ch, buf, 0, 0));

	/* too small a buffer: EMSGSIZE, needed length reported, message stays */
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(-EMSGSIZE, kipc_recv(ch, buf, 99, &info, 0));
	ASSERT_EQ(100, info.len);
	ASSERT_EQ(2, chan_stat(ch).nr_msgs);
	ASSERT_EQ(-EMSGSIZE, (int)read(ch, buf, 10) < 0 ? -errno : 0);
	ASSERT_EQ(100, kipc_recv(ch, buf, 100, &info, 0));
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(0, kipc_recv(ch, buf, 0, &info, 0));
	ASSERT_EQ(2, info.seq);
	ASSERT_EQ(0, info.len);
	close(ch);

	/* limits above the module's maxima are refused */
	attr.max_msg_size = 0x7fffffff;
	ASSERT_EQ(-EINVAL, kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr));
}

TEST_F(chan, default_limits_are_real_world)
{
	struct kipc_chan_stat st = chan_stat(self->ch);

	ASSERT_LE(256, st.max_msgs);
	ASSERT_LE(65536, st.max_msg_size);
	/* and a 1 MiB channel can be asked for */
	struct kipc_chan_attr attr = { .max_msgs = 8, .max_msg_size = 1 << 20 };
	int ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	char *big = malloc(1 << 20);

	ASSERT_LE(0, ch);
	ASSERT_NE(NULL, big);
	memset(big, 0x5a, 1 << 20);
	ASSERT_EQ(1 << 20, kipc_send(ch, big, 1 << 20, 0));
	memset(big, 0, 1 << 20);
	ASSERT_EQ(1 << 20, kipc_recv(ch, big, 1 << 20, NULL, 0));
	ASSERT_EQ(0x5a, (unsigned char)big[12345]);
	free(big);
	close(ch);
}

/*
 * KIPC_DISCARD: the way past a head message the receiver cannot take
 * (here one too big for its buffer); its info comes back, its payload
 * does not, and the messages behind it are received as usual.
 */
TEST_F(chan, discard_oversized_head)
{
	struct kipc_chan_attr attr = { .max_msgs = 4, .max_msg_size = 100 };
	struct kipc_msg_info info;
	struct kipc_chan_stat st;
	char buf[200];
	struct iovec v = { .iov_base = buf, .iov_len = sizeof(buf) };
	int ch;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	memset(buf, 'x', sizeof(buf));
	ASSERT_EQ(100, kipc_send(ch, buf, 100, KIPC_PRIO(7)));
	ASSERT_EQ(5, kipc_send(ch, "after", 5, 0));
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(-EMSGSIZE, kipc_recv(ch, buf, 10, &info, KIPC_NONBLOCK));
	ASSERT_EQ(100, info.len);
	ASSERT_EQ(2, chan_stat(ch).nr_msgs);	/* nothing lost by the failure */

	memset(&info, 0xaa, sizeof(info));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(100, kipc_recv(ch, buf, 10, &info, KIPC_DISCARD | KIPC_NONBLOCK))
		TH_LOG("the head message is not discarded: the receiver stays stuck");
	ASSERT_EQ(0, buf[0]);			/* nothing delivered */
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(100, info.len);
	ASSERT_EQ(7, info.prio);
	ASSERT_EQ(0, info.flags);
	ASSERT_EQ(getpid(), info.pid);
	ASSERT_EQ(geteuid(), info.uid);
	ASSERT_EQ(5, kipc_recv(ch, buf, 10, &info, KIPC_NONBLOCK));
	ASSERT_EQ(0, memcmp(buf, "after", 5));
	ASSERT_EQ(2, info.seq);

	st = chan_stat(ch);
	ASSERT_EQ(2, st.sent);
	ASSERT_EQ(1, st.received);
	ASSERT_EQ(1, st.discarded);
	ASSERT_EQ(0, st.nr_msgs);
	ASSERT_EQ(0, st.bytes_queued);

	/* An empty channel: EAGAIN (and ETIMEDOUT with a timeout), as for a receive. */
	ASSERT_EQ(-EAGAIN, kipc_recv(ch, NULL, 0, &info, KIPC_DISCARD | KIPC_NONBLOCK));
	ASSERT_EQ(-ETIMEDOUT, kipc_recv_timed(ch, NULL, 0, NULL, KIPC_DISCARD, 1000000));
	/* Not with PEEK, not on a send; nothing is touched. */
	ASSERT_EQ(1, kipc_send(ch, "k", 1, 0));
	ASSERT_EQ(-EINVAL, kipc_recv(ch, buf, sizeof(buf), &info, KIPC_DISCARD | KIPC_PEEK));
	ASSERT_EQ(-EINVAL, kipc_send(ch, "k", 1, KIPC_DISCARD));
	/* Not in a batch (KIPC_IOC_RECV takes it). */
	ASSERT_EQ(-EINVAL, kipc_recv_batch(ch, &v, 1, NULL, KIPC_DISCARD));
	ASSERT_EQ(1, chan_stat(ch).nr_msgs);
	/* With no info wanted, and at its blocking best. */
	ASSERT_EQ(1, kipc_recv(ch, NULL, 0, NULL, KIPC_DISCARD));
	ASSERT_EQ(2, chan_stat(ch).discarded);
	close(ch);
}

/* A discard is a receive: it needs a receive-capable fd. */
TEST_F(chan, discard_needs_read_access)
{
	int wr = kipc_chan_open(self->name, O_WRONLY, 0, NULL);

	ASSERT_LE(0, wr);
	ASSERT_EQ(1, kipc_send(wr, "z", 1, 0));
	ASSERT_EQ(-EBADF, kipc_recv(wr, NULL, 0, NULL, KIPC_DISCARD | KIPC_NONBLOCK));
	ASSERT_EQ(1, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(0, chan_stat(self->ch).discarded);
	close(wr);
}

#define MAX_MSG_SIZE_PARAM KIPC_PARAMS "max_msg_size"

/*
 * Every queued message fits one read(2): even with the module parameter
 * raised to its top, no channel takes a max_msg_size above MAX_RW_COUNT.
 */
TEST(max_msg_size_capped_at_max_rw_count)
{
	unsigned long max_rw = INT32_MAX & ~((unsigned long)sysconf(_SC_PAGESIZE) - 1);
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	int ch, above, top;
	unsigned long old;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0 || access(MAX_MSG_SIZE_PARAM, W_OK))
		SKIP(return, "needs root to raise the max_msg_size parameter");
	old = read_ull(MAX_MSG_SIZE_PARAM);
	ASSERT_NE(0, old);
	ASSERT_EQ(0, write_ull(MAX_MSG_SIZE_PARAM, UINT32_MAX));
	attr.max_msg_size = (uint32_t)max_rw + 1;
	above = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	attr.max_msg_size = UINT32_MAX;
	top = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	attr.max_msg_size = (uint32_t)max_rw;
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_EQ(0, write_ull(MAX_MSG_SIZE_PARAM, old));
	if (above >= 0)
		close(above);
	if (top >= 0)
		close(top);
	EXPECT_EQ(-EINVAL, above) TH_LOG("max_msg_size MAX_RW_COUNT + 1 accepted");
	EXPECT_EQ(-EINVAL, top) TH_LOG("max_msg_size 4 GiB - 1 accepted");
	ASSERT_LE(0, ch) TH_LOG("max_msg_size MAX_RW_COUNT refused: %d", ch);
	ASSERT_EQ(max_rw, chan_stat(ch).max_msg_size);
	close(ch);
}

TEST_F(chan, peek)
{
	struct kipc_msg_info info;
	char buf[16];

	ASSERT_EQ(-EAGAIN, kipc_recv(self->ch, buf, sizeof(buf), NULL, KIPC_PEEK | KIPC_NONBLOCK));
	ASSERT_EQ(4, kipc_send(self->ch, "peek", 4, 0));
	ASSERT_EQ(4, kipc_recv(self->ch, buf, sizeof(buf), &info, KIPC_PEEK));
	ASSERT_EQ(4, kipc_recv(self->ch, buf, sizeof(buf), &info, KIPC_PEEK));
	ASSERT_EQ(1, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(4, kipc_recv(self->ch, buf, sizeof(buf), &info, 0));
	ASSERT_EQ(0, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(-EINVAL, kipc_send(self->ch, buf, 1, KIPC_PEEK));
}

TEST_F(chan, nonblocking_full_and_empty)
{
	struct kipc_chan_attr attr = { .max_msgs = 2 };
	char name[64], c = 'c';
	int ch, nb;

	make_name(name, sizeof(name), "nb");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	ASSERT_EQ(-EAGAIN, kipc_recv(ch, &c, 1, NULL, KIPC_NONBLOCK));
	ASSERT_EQ(1, kipc_send(ch, &c, 1, 0));
	ASSERT_EQ(1, kipc_send(ch, &c, 1, 0));
	ASSERT_EQ(-EAGAIN, kipc_send(ch, &c, 1, KIPC_NONBLOCK));

	nb = kipc_chan_open(name, O_RDWR | O_NONBLOCK, 0, NULL);
	ASSERT_LE(0, nb);
	ASSERT_EQ(-EAGAIN, kipc_send(nb, &c, 1, 0));
	ASSERT_EQ(-1, write(nb, &c, 1));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, kipc_recv(nb, &c, 1, NULL, 0));
	ASSERT_EQ(1, kipc_recv(nb, &c, 1, NULL, 0));
	ASSERT_EQ(-EAGAIN, kipc_recv(nb, &c, 1, NULL, 0));
	ASSERT_EQ(-1, read(nb, &c, 1));
	ASSERT_EQ(EAGAIN, errno);
	kipc_chan_unlink(name);
	close(nb);
	close(ch);
}

/*
 * A receive that fails (a fault, a buffer too small) puts the message back
 * where it was, and gives back its slot: the queue's order, its counters
 * and its room are as before, on read(2) and on KIPC_IOC_RECV alike.
 */
TEST_F(chan, failed_recv_keeps_slot_and_order)
{
	struct kipc_chan_attr attr = { .max_msgs = 3 };
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kipc_chan_stat st;
	char name[64], buf[8];
	int ch, i;

	ASSERT_NE(MAP_FAILED, bad);
	make_name(name, sizeof(name), "slot");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	ASSERT_EQ(1, kipc_send(ch, "a", 1, KIPC_PRIO(1)));
	ASSERT_EQ(2, kipc_send(ch, "bb", 2, 0));
	ASSERT_EQ(3, kipc_send(ch, "ccc", 3, KIPC_PRIO(1)));
	ASSERT_EQ(-EAGAIN, kipc_send(ch, "d", 1, KIPC_NONBLOCK));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(-1, read(ch, bad, sizeof(buf)));
		ASSERT_EQ(EFAULT, errno);
		ASSERT_EQ(-EFAULT, kipc_recv(ch, bad, sizeof(buf), NULL, KIPC_NONBLOCK));
		ASSERT_EQ(-1, read(ch, buf, 0));
		ASSERT_EQ(EMSGSIZE, errno);
	}
	st = chan_stat(ch);
	ASSERT_EQ(3, st.nr_msgs);
	ASSERT_EQ(6, st.bytes_queued);
	ASSERT_EQ(0, st.received);
	/* Still full: the failed receives kept no slot and freed none. */
	ASSERT_EQ(-EAGAIN, kipc_send(ch, "d", 1, KIPC_NONBLOCK));
	/* The head is still the first message of the highest priority. */
	ASSERT_EQ(1, read(ch, buf, sizeof(buf)));
	ASSERT_EQ('a', buf[0]);
	ASSERT_EQ(1, kipc_send(ch, "d", 1, KIPC_NONBLOCK));
	ASSERT_EQ(-EAGAIN, kipc_send(ch, "e", 1, KIPC_NONBLOCK));
	ASSERT_EQ(3, read(ch, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "ccc", 3));
	ASSERT_EQ(2, read(ch, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "bb", 2));
	ASSERT_EQ(1, read(ch, buf, sizeof(buf)));
	ASSERT_EQ('d', buf[0]);
	st = chan_stat(ch);
	ASSERT_EQ(0, st.nr_msgs);
	ASSERT_EQ(0, st.bytes_queued);
	ASSERT_EQ(4, st.received);
	kipc_chan_unlink(name);
	close(ch);
	munmap(bad, 4096);
}

TEST_F(chan, timeouts)
{
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	uint64_t t0;
	char c = 0;
	int ch;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	t0 = now_ns();
	ASSERT_EQ(-ETIMEDOUT, kipc_recv_timed(ch, &c, 1, NULL, 0, 50000000));
	ASSERT_LE(t0 + 50000000, now_ns());
	ASSERT_EQ(-ETIMEDOUT, kipc_recv_timed(ch, &c, 1, NULL, 0, 0));
	ASSERT_EQ(1, kipc_send_timed(ch, &c, 1, 0, 1000000));
	t0 = now_ns();
	ASSERT_EQ(-ETIMEDOUT, kipc_send_timed(ch, &c, 1, 0, 50000000));
	ASSERT_LE(t0 + 50000000, now_ns());
	ASSERT_EQ(1, chan_stat(ch).nr_msgs);
	ASSERT_EQ(1, kipc_recv_timed(ch, &c, 1, NULL, 0, 1000000));
	ASSERT_EQ(-EINVAL, kipc_recv_timed(ch, &c, 1, NULL, 0, -1));
	close(ch);
}

/* KIPC_IOC_SEND or KIPC_IOC_RECV of @len bytes at @buf with an absolute deadline. */
static long xfer_deadline(int ch, unsigned long cmd, void *buf, size_t len, uint64_t deadline)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct kipc_xfer x = {
		.size = sizeof(x), .flags = KIPC_XFER_DEADLINE,
		.iov = (uintptr_t)&iov, .iovcnt = 1, .deadline_ns = deadline,
	};
	long r = ioctl(ch, cmd, &x);

	return r < 0 ? -errno : r;
}

/* In a child: sleep @ms, then send one byte or receive one on @ch; exit 0 on success. */
static pid_t peer_after(int ch, int ms, bool send)
{
	pid_t pid = fork();
	char c = 'p';

	if (pid)
		return pid;
	usleep(ms * 1000);
	_exit((send ? kipc_send(ch, &c, 1, 0) : kipc_recv(ch, &c, 1, NULL, 0)) == 1 ? 0 : 1);
}

/* @cmd (send or receive) with @deadline waits for a peer that comes 100 ms later. */
static void xfer_waits_for_peer(struct __test_metadata *_metadata, int ch, unsigned long cmd,
				uint64_t deadline)
{
	pid_t pid = peer_after(ch, 100, cmd == KIPC_IOC_RECV);
	uint64_t t0 = now_ns();
	char c = 0;

	ASSERT_LT(0, pid);
	EXPECT_EQ(1, xfer_deadline(ch, cmd, &c, 1, deadline))
		TH_LOG("%s, deadline %#llx", cmd == KIPC_IOC_RECV ? "recv" : "send",
		       (unsigned long long)deadline);
	EXPECT_LE(t0 + 50000000, now_ns());
	EXPECT_EQ(0, wait_child(pid));
}

/*
 * A deadline more than 2^63 ns away (UINT64_MAX as "forever") is no
 * deadline: the call waits for the peer instead of timing out at once.
 */
TEST_F(chan, deadline_forever)
{
	static const uint64_t far[] = { UINT64_MAX, 0, (1ull << 63) + 1000 };
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	struct kipc_batch b = { .size = sizeof(b), .flags = KIPC_XFER_DEADLINE, .nr = 1 };
	struct iovec iov;
	struct kipc_xfer x;
	uint64_t deadline;
	char c = 0;
	size_t i;
	pid_t pid;
	int ch;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	for (i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		deadline = far[i] ? far[i] : now_ns() + (1ull << 63) + 1;
		/* receive on an empty channel, then send on a full one */
		xfer_waits_for_peer(_metadata, ch, KIPC_IOC_RECV, deadline);
		ASSERT_EQ(1, kipc_send(ch, &c, 1, 0));
		xfer_waits_for_peer(_metadata, ch, KIPC_IOC_SEND, deadline);
		EXPECT_EQ(1, xfer_deadline(ch, KIPC_IOC_RECV, &c, 1, now_ns() + 200000000));
	}
	/* a receive batch */
	iov.iov_base = &c;
	iov.iov_len = 1;
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.iov = (uintptr_t)&iov;
	x.iovcnt = 1;
	b.xfer_size = sizeof(x);
	b.xfers = (uintptr_t)&x;
	b.deadline_ns = UINT64_MAX;
	pid = peer_after(ch, 100, true);
	ASSERT_LT(0, pid);
	EXPECT_EQ(1, ioctl(ch, KIPC_IOC_RECV_BATCH, &b)) TH_LOG("batch: %s", strerror(errno));
	EXPECT_EQ(0, wait_child(pid));
	close(ch);
}

/* The module-wide totals moved by exactly (@msgs, @bytes) since @g0. */
#define ASSERT_TOTALS(g0, msgs, bytes) do {					\
	struct kipc_global_stat _g = global_stat();				\
	ASSERT_EQ((g0).nr_msgs + (msgs), _g.nr_msgs);				\
	ASSERT_EQ((g0).bytes_queued + (bytes), _g.bytes_queued);		\
} while (0)

/*
 * KIPC_IOC_STAT's queued messages and bytes stay exact through sends,
 * receives, batches, a peek, a receive that fails (EMSGSIZE puts the
 * message back), and a channel freed with messages in it.
 */
TEST_F(chan, global_stat_exact)
{
	struct kipc_global_stat g0 = global_stat();
	static char big[5000], buf[5000];
	struct iovec iov[3] = {
		{ big, 10 }, { big, 0 }, { big, 300 },
	};
	int a, b;

	ASSERT_NE(UINT64_MAX, g0.nr_msgs);
	a = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	b = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(100, kipc_send(a, big, 100, 0));
	ASSERT_EQ(0, kipc_send(a, big, 0, 0));
	ASSERT_EQ(5000, kipc_send(b, big, 5000, KIPC_PRIO(3)));
	ASSERT_EQ(7, kipc_send(self->ch, big, 7, 0));
	ASSERT_TOTALS(g0, 4, 5107);
	ASSERT_EQ(3, kipc_send_batch(b, iov, 3, 0));
	ASSERT_TOTALS(g0, 7, 5417);
	/* peek and a too-small buffer change nothing */
	ASSERT_EQ(5000, kipc_recv(b, buf, sizeof(buf), NULL, KIPC_PEEK));
	ASSERT_EQ(-EMSGSIZE, kipc_recv(b, buf, 10, NULL, 0));
	ASSERT_TOTALS(g0, 7, 5417);
	ASSERT_EQ(5000, kipc_recv(b, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(100, kipc_recv(a, buf, sizeof(buf), NULL, 0));
	ASSERT_TOTALS(g0, 5, 317);
	iov[0].iov_base = buf;
	iov[0].iov_len = sizeof(buf);
	iov[1] = iov[0];
	ASSERT_EQ(2, kipc_recv_batch(b, iov, 2, NULL, 0));
	ASSERT_TOTALS(g0, 3, 307);
	/* a channel freed with two messages (0 and 300 bytes) queued */
	close(b);
	ASSERT_TOTALS(g0, 2, 7);
	close(a);
	ASSERT_TOTALS(g0, 1, 7);
	ASSERT_EQ(7, kipc_recv(self->ch, buf, sizeof(buf), NULL, 0));
	ASSERT_TOTALS(g0, 0, 0);
}

/* Best of @n timings of KIPC_IOC_STAT on @ctl, in ns. */
static uint64_t stat_ns(int ctl, int n)
{
	struct kipc_global_stat st;
	uint64_t best = UINT64_MAX, t;

	while (n--) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		t = now_ns();
		if (ioctl(ctl, KIPC_IOC_STAT, &st))
			return UINT64_MAX;
		t = now_ns() - t;
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * KIPC_IOC_STAT answers from counters: its cost does not grow with the
 * number of live objects (it used to walk them all under the lock every
 * create and free takes). 8000 named channels must not make it more than
 * 3 times slower (plus 20 us of slack for a slow emulated guest).
 */
/* Thousands of channels outlast the harness's default 30 s under KASAN. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, global_stat_cost_independent_of_objects, 600)
{
	enum { N = 8000 };
	struct kipc_chan_attr attr = { .max_msgs = 1, .max_msg_size = 1 };
	uint64_t few, many;
	char name[64];
	int ctl, i, fd;

	ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	few = stat_ns(ctl, 200);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "t-statcost-%d-%d", getpid(), i);
		fd = kipc_chan_open(name, O_WRONLY | O_CREAT, 0600, &attr);
		if (fd < 0)
			break;
		close(fd);
	}
	many = stat_ns(ctl, 200);
	while (i--) {
		snprintf(name, sizeof(name), "t-statcost-%d-%d", getpid(), i);
		kipc_chan_unlink(name);
	}
	close(ctl);
	ASSERT_NE(UINT64_MAX, few);
	ASSERT_NE(UINT64_MAX, many);
	TH_LOG("KIPC_IOC_STAT: %llu ns with few objects, %llu ns with %d more",
	       (unsigned long long)few, (unsigned long long)many, N);
	ASSERT_GE(3 * few + 20000, many);
}

/* The opener of epipe_is_final: opens race_name for receiving when told. */
static struct {
	atomic_int go;		/* iteration to run; -1: stop */
	atomic_int done;	/* iteration finished */
	int ctl;
	char name[64];
	int fd;			/* the receiver fd it got, or -errno */
} race;

static void *race_opener(void *arg)
{
	struct kipc_chan_open o = { .size = sizeof(o), .flags = KIPC_OPEN_RECV };
	int it = 0, go;

	(void)arg;
	for (;;) {
		while ((go = atomic_load(&race.go)) == it)
			;
		if (go < 0)
			return NULL;
		o.name = (uintptr_t)race.name;
		race.fd = ioctl(race.ctl, KIPC_IOC_CHAN_OPEN, &o);
		if (race.fd < 0)
			race.fd = -errno;
		it = go;
		atomic_store(&race.done, it);
	}
}

/*
 * EPIPE is final: once a sender was told that no receiver can exist, an
 * open by name that looked the channel up before the unlink must not add
 * a receiver afterwards (it gets ENOENT). A thread opens the channel for
 * receiving while this one unlinks it and sends; for 3 s, each round
 * with a different delay between the two.
 */
TEST(epipe_is_final)
{
	struct kipc_chan_attr attr = { .max_msgs = 1, .max_msg_size = 1 };
	uint64_t end = now_ns() + 3000000000ull;
	int it, s, r, spin, bad = 0, epipes = 0, opened = 0, enoent = 0;
	pthread_t t;
	char c = 0;

	race.ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (race.ctl < 0)
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	ASSERT_EQ(0, pthread_create(&t, NULL, race_opener, NULL));
	for (it = 1; now_ns() < end; it++) {
		snprintf(race.name, sizeof(race.name), "t-epipe-%d-%d", getpid(), it);
		s = kipc_chan_open(race.name, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK, 0600, &attr);
		ASSERT_LE(0, s);
		atomic_store(&race.go, it);
		for (spin = rand() % 20000; spin > 0; spin--)
			__asm__ __volatile__("" ::: "memory");
		ASSERT_EQ(0, kipc_chan_unlink(race.name));
		do
			r = kipc_send(s, &c, 1, KIPC_NONBLOCK);
		while (r != -EPIPE && atomic_load(&race.done) != it);
		while (atomic_load(&race.done) != it)
			;
		if (r == -EPIPE) {
			epipes++;
			/* Told EPIPE: no receiver may have come (back) since. */
			if (race.fd >= 0 || kipc_send(s, &c, 1, KIPC_NONBLOCK) != -EPIPE)
				bad++;
		}
		if (race.fd >= 0) {
			opened++;
			close(race.fd);
		} else if (race.fd == -ENOENT) {
			enoent++;
		} else {
			ASSERT_EQ(-ENOENT, race.fd);
		}
		close(s);
	}
	atomic_store(&race.go, -1);
	pthread_join(t, NULL);
	close(race.ctl);
	TH_LOG("%d rounds: %d EPIPE, %d opened, %d ENOENT, %d receivers after EPIPE",
	       it - 1, epipes, opened, enoent, bad);
	ASSERT_EQ(0, bad);
}

/* The unlinker of create_races_unlink: unlinks unlink_race.name until told to stop. */
static struct {
	atomic_int stop;
	atomic_int unlinks;	/* unlinks that removed the name */
	char name[64];
} unlink_race;

static void *race_unlinker(void *arg)
{
	(void)arg;
	while (!atomic_load(&unlink_race.stop))
		if (!kipc_chan_unlink(unlink_race.name))
			atomic_fetch_add(&unlink_race.unlinks, 1);
	return NULL;
}

/*
 * A create (O_CREAT | O_EXCL) gets its fd or EEXIST, never ENOENT, even
 * when an unlink removes the new name at once: the creator is one of the
 * channel's peers before anyone can find the channel. A thread unlinks
 * the name over and over while this one creates it, for 3 s, with each
 * access mode in turn (a channel unlinked with no receiver, or no sender,
 * takes no new one of that side).
 */
TEST(create_races_unlink)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	uint64_t end = now_ns() + 3000000000ull;
	int i, fd, created = 0, exists = 0, enoent = 0, other = 0, unnamed = 0;
	struct kipc_chan_stat st;
	pthread_t t;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	snprintf(unlink_race.name, sizeof(unlink_race.name), "t-create-race-%d", getpid());
	ASSERT_EQ(0, pthread_create(&t, NULL, race_unlinker, NULL));
	for (i = 0; now_ns() < end; i++) {
		fd = kipc_chan_open(unlink_race.name, modes[i % 3] | O_CREAT | O_EXCL, 0600, NULL);
		if (fd >= 0) {
			created++;
			ASSERT_EQ(0, kipc_chan_stat(fd, &st));
			unnamed += !(st.state & KIPC_CHAN_NAMED);
			close(fd);
		} else if (fd == -EEXIST) {
			exists++;
		} else if (fd == -ENOENT) {
			enoent++;
		} else {
			other++;
			TH_LOG("create: %s", strerror(-fd));
		}
	}
	atomic_store(&unlink_race.stop, 1);
	pthread_join(t, NULL);
	kipc_chan_unlink(unlink_race.name);
	TH_LOG("%d creates: %d made (%d already unlinked at their stat), %d EEXIST, %d ENOENT; %d unlinks",
	       i, created, unnamed, exists, enoent, atomic_load(&unlink_race.unlinks));
	EXPECT_EQ(0, other);
	ASSERT_EQ(0, enoent) TH_LOG("a create failed because its new name was unlinked");
	ASSERT_LT(0, created);
}

/* A signal without SA_RESTART ends a blocked receive with EINTR, losing nothing. */
TEST_F(chan, signal_eintr_loses_nothing)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];
		ssize_t r;

		sigaction(SIGUSR1, &sa, NULL);
		r = kipc_recv(self->ch, buf, sizeof(buf), NULL, 0);
		if (r != -EINTR)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(2);
		r = kipc_recv(self->ch, buf, sizeof(buf), NULL, 0);
		_exit(r == 2 && !memcmp(buf, "ok", 2) ? 0 : 3);
	}
	wait_state(pid, 'S', 2000);	/* blocked in the kernel */
	kill(pid, SIGUSR1);
	char c;

	ASSERT_EQ(1, read(pfd[0], &c, 1));
	ASSERT_EQ(2, kipc_send(self->ch, "ok", 2, 0));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, chan_stat(self->ch).nr_msgs);
	close(pfd[0]);
	close(pfd[1]);
}

/* With SA_RESTART the blocked call restarts and still gets its message. */
TEST_F(chan, signal_restart)
{
	struct sigaction sa = { .sa_handler = noop_handler, .sa_flags = SA_RESTART };
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		char buf[16];

		sigaction(SIGUSR1, &sa, NULL);
		_exit(kipc_recv_timed(self->ch, buf, sizeof(buf), NULL, 0, 10000000000ll) == 4 ?
		      0 : 1);
	}
	wait_state(pid, 'S', 2000);	/* blocked in the kernel */
	kill(pid, SIGUSR1);
	usleep(20000);
	kill(pid, SIGUSR1);
	usleep(20000);
	ASSERT_EQ(4, kipc_send(self->ch, "rest", 4, 0));
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(chan, read_write_readv_writev)
{
	char a[] = "head", b[] = "-tail", buf[32];
	struct iovec iov[2] = { { a, 4 }, { b, 5 } };
	struct iovec riov[2] = { { buf, 3 }, { buf + 3, 20 } };
	struct kipc_msg_info info;

	ASSERT_EQ(9, writev(self->ch, iov, 2));
	ASSERT_EQ(3, write(self->ch, "one", 3));
	ASSERT_EQ(9, kipc_sendv(self->ch, iov, 2, 0));
	ASSERT_EQ(3, chan_stat(self->ch).nr_msgs);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(9, readv(self->ch, riov, 2));
	ASSERT_EQ(0, memcmp(buf, "head-tail", 9));
	ASSERT_EQ(3, read(self->ch, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "one", 3));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(9, kipc_recvv(self->ch, riov, 2, &info, 0));
	ASSERT_EQ(0, memcmp(buf, "head-tail", 9));
	ASSERT_EQ(3, info.seq);
	ASSERT_EQ(-1, lseek(self->ch, 0, SEEK_SET));
	ASSERT_EQ(ESPIPE, errno);
	/* A stream of messages: no position to read or write at. */
	ASSERT_EQ(-1, pwrite(self->ch, "one", 3, 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pread(self->ch, buf, sizeof(buf), 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(0, chan_stat(self->ch).nr_msgs);
}

TEST_F(chan, poll_and_epoll)
{
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	struct pollfd p;
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ch, ep;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	p.fd = ch;
	p.events = POLLIN | POLLOUT;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLOUT, p.revents);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, ch, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &out, 1, 0));

	ASSERT_EQ(1, kipc_send(ch, "x", 1, 0));
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLIN, p.revents);		/* full: no POLLOUT */
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(EPOLLIN, out.events);
	close(ep);
	close(ch);
}

/* poll wakes up when a message arrives from another process. */
TEST_F(chan, poll_wakeup)
{
	struct pollfd p = { .fd = self->ch, .events = POLLIN };
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(100000);
		_exit(kipc_send(self->ch, "w", 1, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(1, poll(&p, 1, 10000));
	ASSERT_EQ(POLLIN, p.revents);
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(chan, access_modes_ebadf)
{
	int rd = kipc_chan_open(self->name, O_RDONLY, 0, NULL);
	int wr = kipc_chan_open(self->name, O_WRONLY, 0, NULL);
	char c = 'z';

	ASSERT_LE(0, rd);
	ASSERT_LE(0, wr);
	ASSERT_EQ(-EBADF, kipc_send(rd, &c, 1, 0));
	ASSERT_EQ(-EBADF, kipc_recv(wr, &c, 1, NULL, 0));
	ASSERT_EQ(-1, write(rd, &c, 1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(-1, read(wr, &c, 1));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(1, kipc_send(wr, &c, 1, 0));
	ASSERT_EQ(1, kipc_recv(rd, &c, 1, NULL, 0));
	ASSERT_EQ(2, chan_stat(self->ch).nr_senders);
	ASSERT_EQ(2, chan_stat(self->ch).nr_receivers);
	ASSERT_EQ(-EINVAL, kipc_chan_open(self->name, O_RDWR | O_APPEND, 0, NULL));
	close(rd);
	close(wr);
}

TEST_F(chan, names)
{
	char longname[KIPC_NAME_MAX + 1];
	int fd;

	ASSERT_EQ(-EINVAL, kipc_chan_open("", O_RDWR | O_CREAT, 0600, NULL));
	ASSERT_EQ(-EINVAL, kipc_chan_open("a/b", O_RDWR | O_CREAT, 0600, NULL));
	ASSERT_EQ(-EINVAL, kipc_chan_open(NULL, O_RDWR, 0600, NULL));
	memset(longname, 'n', sizeof(longname));
	longname[KIPC_NAME_MAX - 1] = 0;			/* 255 chars: fine */
	fd = kipc_chan_open(longname, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kipc_chan_unlink(longname));
	longname[KIPC_NAME_MAX - 1] = 'n';
	longname[KIPC_NAME_MAX] = 0;				/* 256 chars */
	ASSERT_EQ(-ENAMETOOLONG, kipc_chan_open(longname, O_RDWR | O_CREAT, 0600, NULL));
	ASSERT_EQ(-ENAMETOOLONG, kipc_chan_unlink(longname));
	ASSERT_EQ(-ENOENT, kipc_chan_open("kipc-test-missing", O_RDWR, 0, NULL));
	ASSERT_EQ(-ENOENT, kipc_chan_unlink("kipc-test-missing"));
	ASSERT_EQ(-EEXIST, kipc_chan_open(self->name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
	ASSERT_EQ(-EINVAL, kipc_chan_unlink(NULL));
}

TEST_F(chan, existing_keeps_its_attrs)
{
	struct kipc_chan_attr attr = { .max_msgs = 3, .max_msg_size = 50 };
	int fd = kipc_chan_open(self->name, O_RDWR | O_CREAT, 0777, &attr);
	struct kipc_chan_stat st;

	ASSERT_LE(0, fd);
	st = chan_stat(fd);
	ASSERT_EQ(chan_stat(self->ch).max_msgs, st.max_msgs);
	ASSERT_NE(3, st.max_msgs);
	ASSERT_EQ(0600, st.mode);
	ASSERT_EQ(geteuid(), st.uid);
	ASSERT_EQ(KIPC_CHAN_NAMED, st.state);
	close(fd);
}

TEST_F(chan, unlink_keeps_fds_last_close_frees)
{
	struct kipc_global_stat g0, g1, g2;
	char name[64], buf[8];
	int a, b, i;

	ASSERT_EQ(0, kipc_stat(&g0));
	make_name(name, sizeof(name), "life");
	a = kipc_chan_open(name, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, a);
	b = kipc_chan_open(name, O_RDWR, 0, NULL);
	ASSERT_LE(0, b);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(5, kipc_send(a, "queue", 5, 0));
	ASSERT_EQ(0, kipc_stat(&g1));
	ASSERT_EQ(g0.nr_chans + 1, g1.nr_chans);
	ASSERT_EQ(g0.bytes_queued + 50, g1.bytes_queued);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	ASSERT_EQ(-ENOENT, kipc_chan_open(name, O_RDWR, 0, NULL));
	ASSERT_EQ(0, chan_stat(a).state);
	ASSERT_EQ(5, kipc_recv(b, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(5, kipc_send(b, "again", 5, 0));
	close(a);
	ASSERT_EQ(5, kipc_recv(b, buf, sizeof(buf), NULL, 0));
	close(b);
	ASSERT_EQ(0, kipc_stat(&g2));
	ASSERT_EQ(g0.nr_chans, g2.nr_chans);
	ASSERT_EQ(g0.bytes_queued, g2.bytes_queued);
	ASSERT_EQ(g0.nr_msgs, g2.nr_msgs);
	/* the name is free again, for a fresh channel */
	a = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, chan_stat(a).nr_msgs);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(a);
}

TEST_F(chan, efault_loses_nothing)
{
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov[2] = { { "good", 4 }, { bad, 4 } };
	char buf[16];

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(-EFAULT, kipc_send(self->ch, bad, 16, 0));
	ASSERT_EQ(-EFAULT, kipc_sendv(self->ch, iov, 2, 0));
	ASSERT_EQ(-EFAULT, kipc_sendv(self->ch, bad, 1, 0));
	ASSERT_EQ(0, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(4, kipc_send(self->ch, "data", 4, 0));
	ASSERT_EQ(-EFAULT, kipc_recv(self->ch, bad, 16, NULL, 0));
	ASSERT_EQ(1, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(-1, read(self->ch, bad, 16));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(4, kipc_recv(self->ch, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(0, memcmp(buf, "data", 4));
	munmap(bad, 4096);

	/* The RECV argument itself read-only: the info cannot go back, so nothing is consumed. */
	struct kipc_xfer *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov1 = { .iov_base = buf, .iov_len = sizeof(buf) };

	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ro->iov = (uintptr_t)&iov1;
	ro->iovcnt = 1;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	ASSERT_EQ(4, kipc_send(self->ch, "kept", 4, 0));
	ASSERT_EQ(-1, ioctl(self->ch, KIPC_IOC_RECV, ro));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(1, chan_stat(self->ch).nr_msgs);
	ASSERT_EQ(4, kipc_recv(self->ch, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(0, memcmp(buf, "kept", 4));
	munmap(ro, 4096);
}

/*
 * Messages of up to 128 bytes come from the channel's own pages until it
 * has twice its depth of them (at most 256), then from the allocator.
 * Fill a 600-deep channel with messages of every small size, each its
 * own bytes and sent in two pieces, twice over, draining it in between:
 * every message comes back whole, in order, from either kind of buffer.
 */
TEST_F(chan, small_messages_past_the_pool_intact)
{
	struct kipc_chan_attr attr = { .max_msgs = 600, .max_msg_size = 128 };
	char name[64], out[256], in[256];
	int ch, round, i, j;

	make_name(name, sizeof(name), "pool");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, ch) TH_LOG("open: %s", strerror(-ch));
	kipc_chan_unlink(name);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 600; i++) {
			size_t len = (i + round) % 129;
			struct iovec iov[2] = {
				{ out, len / 3 }, { out + len / 3, len - len / 3 },
			};

			for (j = 0; j < (int)len; j++)
				out[j] = (char)(i * 7 + j + round);
			ASSERT_EQ((long)len, kipc_sendv(ch, iov, 2, KIPC_NONBLOCK))
				TH_LOG("round %d, message %d", round, i);
		}
		ASSERT_EQ(-EAGAIN, kipc_send(ch, "x", 1, KIPC_NONBLOCK));
		for (i = 0; i < 600; i++) {
			size_t len = (i + round) % 129;
			struct kipc_msg_info info;

			ASSERT_EQ((long)len, kipc_recv(ch, in, sizeof(in), &info, KIPC_NONBLOCK))
				TH_LOG("round %d, message %d", round, i);
			for (j = 0; j < (int)len; j++)
				ASSERT_EQ((char)(i * 7 + j + round), in[j])
					TH_LOG("round %d, message %d, byte %d", round, i, j);
		}
		ASSERT_EQ(-EAGAIN, kipc_recv(ch, in, sizeof(in), NULL, KIPC_NONBLOCK));
	}
	close(ch);
}

/* Peers gone: EPIPE and POLLHUP once no peer can come back. */
TEST_F(chan, epipe_when_peers_gone)
{
	struct pollfd p;
	char name[64], c = 'e';
	int rd, wr;

	make_name(name, sizeof(name), "pipe");
	rd = kipc_chan_open(name, O_RDONLY | O_CREAT, 0600, NULL);
	ASSERT_LE(0, rd);
	wr = kipc_chan_open(name, O_WRONLY, 0, NULL);
	ASSERT_LE(0, wr);
	ASSERT_EQ(1, kipc_send(wr, &c, 1, 0));
	close(rd);
	/* still named: a receiver may still come, so no EPIPE yet */
	ASSERT_EQ(1, kipc_send(wr, &c, 1, 0));
	ASSERT_EQ(0, kipc_chan_unlink(name));
	ASSERT_EQ(-EPIPE, kipc_send(wr, &c, 1, 0));
	p.fd = wr;
	p.events = POLLOUT;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_TRUE(p.revents & POLLERR);
	close(wr);

	make_name(name, sizeof(name), "pipe2");
	wr = kipc_chan_open(name, O_WRONLY | O_CREAT, 0600, NULL);
	rd = kipc_chan_open(name, O_RDONLY, 0, NULL);
	ASSERT_LE(0, wr);
	ASSERT_LE(0, rd);
	ASSERT_EQ(1, kipc_send(wr, &c, 1, 0));
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(wr);
	/* queued data is still delivered, then EPIPE */
	ASSERT_EQ(1, kipc_recv(rd, &c, 1, NULL, 0));
	ASSERT_EQ(-EPIPE, kipc_recv(rd, &c, 1, NULL, 0));
	p.fd = rd;
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLHUP, p.revents);
	close(rd);
}

static void epipe_on_death(struct __test_metadata *_metadata, int kill_receiver)
{
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	char name[64], c = 'd';
	int mine, theirs, ret;
	pid_t pid;

	make_name(name, sizeof(name), "death");
	mine = kipc_chan_open(name, (kill_receiver ? O_WRONLY : O_RDONLY) | O_CREAT, 0600, &attr);
	ASSERT_LE(0, mine);
	theirs = kipc_chan_open(name, kill_receiver ? O_RDONLY : O_WRONLY, 0, NULL);
	ASSERT_LE(0, theirs);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(mine);
		pause();
		_exit(0);
	}
	close(theirs);
	if (kill_receiver)
		ASSERT_EQ(1, kipc_send(mine, &c, 1, 0));	/* now full */
	pid_t killer = fork();

	ASSERT_LE(0, killer);
	if (killer == 0) {
		wait_state(getppid(), 'S', 2000);
		kill(pid, SIGKILL);
		_exit(0);
	}
	if (kill_receiver)
		ret = (int)kipc_send_timed(mine, &c, 1, 0, 20000000000ll);
	else
		ret = (int)kipc_recv_timed(mine, &c, 1, NULL, 0, 20000000000ll);
	ASSERT_EQ(-EPIPE, ret);
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));
	ASSERT_EQ(0, wait_child(killer));
	close(mine);
}

TEST_F(chan, epipe_receiver_killed)
{
	epipe_on_death(_metadata, 1);
}

TEST_F(chan, epipe_sender_killed)
{
	epipe_on_death(_metadata, 0);
}

TEST_F(chan, anonymous_channel_fork)
{
	int ch = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, NULL);
	struct kipc_msg_info info;
	char buf[8];
	pid_t pid;

	ASSERT_LE(0, ch);
	ASSERT_EQ(KIPC_CHAN_ANON, chan_stat(ch).state);
	ASSERT_EQ(FD_CLOEXEC, fcntl(ch, F_GETFD));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kipc_send(ch, "child", 5, 0) == 5 ? 0 : 1);
	ASSERT_EQ(5, kipc_recv(ch, buf, sizeof(buf), &info, 0));
	ASSERT_EQ(pid, info.pid);
	ASSERT_EQ(0, wait_child(pid));
	int d = dup(ch);

	ASSERT_EQ(1, kipc_send(d, "x", 1, 0));
	close(ch);
	ASSERT_EQ(1, kipc_recv(d, buf, 1, NULL, 0));
	close(d);
}

/* The kernel stamps the sender's credentials; a sender cannot choose them. */
TEST_F(chan, credentials_stamped)
{
	struct kipc_msg_info info;
	char name[64], buf[8];
	int ch;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid 1000");
	make_name(name, sizeof(name), "cred");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0622, NULL);	/* others may send */
	ASSERT_LE(0, ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w;

		if (become(1000, 1001))
			_exit(10);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0)
			_exit(11);
		_exit(kipc_send(w, "user", 4, 0) == 4 ? 0 : 12);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(4, kipc_recv(ch, buf, sizeof(buf), &info, 0));
	ASSERT_EQ(1000, info.uid);
	ASSERT_EQ(1001, info.gid);
	ASSERT_EQ(pid, info.pid);
	kipc_chan_unlink(name);
	close(ch);
}

static int open_as(uid_t uid, gid_t gid, const char *name, int oflag)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (become(uid, gid))
			_exit(200);
		fd = kipc_chan_open(name, oflag, 0, NULL);
		_exit(fd >= 0 ? 0 : (-fd & 0x7f));
	}
	return wait_child(pid);
}

TEST_F(chan, permissions_unprivileged)
{
	char name[64];
	int ch;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to unprivileged uids");
	make_name(name, sizeof(name), "perm");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0640, NULL);
	ASSERT_LE(0, ch);
	/* other (uid 1000, gid 1000): no access */
	ASSERT_EQ(EACCES, open_as(1000, 1000, name, O_RDONLY));
	ASSERT_EQ(EACCES, open_as(1000, 1000, name, O_WRONLY));
	/* group root (gid 0): read = receive only */
	ASSERT_EQ(0, open_as(1000, 0, name, O_RDONLY));
	ASSERT_EQ(EACCES, open_as(1000, 0, name, O_WRONLY));
	ASSERT_EQ(EACCES, open_as(1000, 0, name, O_RDWR));
	/* a non-owner may not unlink */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresuid(1000, 1000, 1000))
			_exit(200);
		_exit(-kipc_chan_unlink(name));
	}
	ASSERT_EQ(EACCES, wait_child(pid));
	/* an unprivileged owner has full use of its own 0600 channel */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char own[96], c;
		int fd;

		if (become(1000, 1000))
			_exit(200);
		snprintf(own, sizeof(own), "%s-own", name);
		fd = kipc_chan_open(own, O_RDWR | O_CREAT, 0600, NULL);
		if (fd < 0 || kipc_send(fd, "o", 1, 0) != 1 || kipc_recv(fd, &c, 1, NULL, 0) != 1)
			_exit(1);
		_exit(kipc_chan_unlink(own) ? 2 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(ch);
}

TEST_F_TIMEOUT(chan, ten_thousand_channels, 120)
{
	struct kipc_global_stat g0, g1, g2;
	struct rlimit rl = { 12000, 12000 };
	static int fds[10000];
	int i;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		SKIP(return, "cannot raise RLIMIT_NOFILE to 12000: %s", strerror(errno));
	ASSERT_EQ(0, kipc_stat(&g0));
	for (i = 0; i < 10000; i++) {
		char name[64];

		snprintf(name, sizeof(name), "many-%d-%d", getpid(), i);
		fds[i] = kipc_chan_open(i & 1 ? name : NULL, O_RDWR | O_CREAT, 0600, NULL);
		ASSERT_LE(0, fds[i]) TH_LOG("channel %d: %s", i, strerror(-fds[i]));
		if (i % 100 == 0)
			ASSERT_EQ(1, kipc_send(fds[i], "m", 1, 0));
	}
	ASSERT_EQ(0, kipc_stat(&g1));
	ASSERT_EQ(g0.nr_chans + 10000, g1.nr_chans);
	ASSERT_EQ(g0.nr_msgs + 100, g1.nr_msgs);
	for (i = 0; i < 10000; i++) {
		char name[64];

		snprintf(name, sizeof(name), "many-%d-%d", getpid(), i);
		if (i & 1)
			ASSERT_EQ(0, kipc_chan_unlink(name));
		close(fds[i]);
	}
	ASSERT_EQ(0, kipc_stat(&g2));
	ASSERT_EQ(g0.nr_chans, g2.nr_chans);
	ASSERT_EQ(g0.nr_msgs, g2.nr_msgs);
	ASSERT_EQ(g0.bytes_queued, g2.bytes_queued);
}

/*
 * Stress: several senders and receivers on one channel. Each message
 * carries (sender, seq, checksum); receivers mark a shared bitmap, so a
 * loss, a duplicate, a per-sender reordering or a corruption is caught.
 * Optionally a signal storm hits the blocked processes.
 */
#define NSEND 4
#define NRECV 4
#define PER_SENDER_MAX 25000	/* 100,000 messages in all */

struct stress_msg {
	uint32_t sender;
	uint32_t seq;
	uint32_t len;
	uint32_t sum;
	unsigned char pad[48];
};

struct stress_shared {
	atomic_uint seen[NSEND][PER_SENDER_MAX / 32 + 1];
	atomic_uint dup, bad, reorder, eintr, received;
};

/* Messages per sender; KIPC_STRESS_MSGS (total) shortens the run. */
static uint32_t nper = PER_SENDER_MAX;

static void stress_set_count(void)
{
	const char *e = getenv("KIPC_STRESS_MSGS");
	unsigned long n = e ? strtoul(e, NULL, 0) / NSEND : 0;

	if (n && n < PER_SENDER_MAX)
		nper = (uint32_t)n;
}

static uint32_t stress_sum(const struct stress_msg *m)
{
	uint32_t s = m->sender * 2654435761u ^ m->seq;

	for (uint32_t i = 0; i < m->len; i++)
		s = s * 31 + m->pad[i];
	return s;
}

static void stress_sender(const char *name, int id)
{
	int ch = kipc_chan_open(name, O_WRONLY, 0, NULL);
	struct stress_msg m;

	if (ch < 0)
		_exit(20);
	for (uint32_t seq = 0; seq < nper; seq++) {
		ssize_t r;

		m.sender = id;
		m.seq = seq;
		m.len = (seq * 7 + id) % sizeof(m.pad);
		for (uint32_t i = 0; i < m.len; i++)
			m.pad[i] = (unsigned char)(seq + i * 13 + id);
		m.sum = stress_sum(&m);
		do {
			r = kipc_send(ch, &m, offsetof(struct stress_msg, pad) + m.len, 0);
		} while (r == -EINTR);
		if (r != (ssize_t)(offsetof(struct stress_msg, pad) + m.len))
			_exit(21);
	}
	_exit(0);
}

static void stress_receiver(const char *name, struct stress_shared *sh)
{
	int ch = kipc_chan_open(name, O_RDONLY, 0, NULL);
	int64_t last[NSEND];
	struct stress_msg m;

	if (ch < 0)
		_exit(30);
	for (int i = 0; i < NSEND; i++)
		last[i] = -1;
	for (;;) {
		ssize_t r = kipc_recv(ch, &m, sizeof(m), NULL, 0);
		unsigned int bit, old;

		if (r == -EINTR) {
			atomic_fetch_add(&sh->eintr, 1);
			continue;
		}
		if (r == -EPIPE)
			break;
		if (r < (ssize_t)offsetof(struct stress_msg, pad) || m.sender >= NSEND ||
		    m.seq >= nper ||
		    r != (ssize_t)(offsetof(struct stress_msg, pad) + m.len) ||
		    m.sum != stress_sum(&m)) {
			atomic_fetch_add(&sh->bad, 1);
			continue;
		}
		if ((int64_t)m.seq <= last[m.sender])
			atomic_fetch_add(&sh->reorder, 1);
		last[m.sender] = m.seq;
		bit = 1u << (m.seq % 32);
		old = atomic_fetch_or(&sh->seen[m.sender][m.seq / 32], bit);
		if (old & bit)
			atomic_fetch_add(&sh->dup, 1);
		atomic_fetch_add(&sh->received, 1);
	}
	_exit(0);
}

static void run_stress(struct __test_metadata *_metadata, int signals)
{
	struct sigaction sa = { .sa_handler = noop_handler };	/* no SA_RESTART */
	struct stress_shared *sh;
	struct kipc_chan_attr attr = { .max_msgs = 64 };
	pid_t pids[NSEND + NRECV];
	unsigned int lost = 0;
	char name[64];
	int ch, i, sigs = 0;

	stress_set_count();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	make_name(name, sizeof(name), "stress");
	ch = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ASSERT_LE(0, ch);
	sigaction(SIGUSR1, &sa, NULL);	/* inherited by the children */

	for (i = 0; i < NSEND + NRECV; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			close(ch);	/* else every child would be a sender too */
			if (i < NSEND)
				stress_sender(name, i);
			stress_receiver(name, sh);
		}
	}
	/* Wait until every child holds its own fd, then let the name go. */
	for (i = 0; i < 5000; i++) {
		struct kipc_chan_stat st = chan_stat(ch);

		if (st.nr_senders == NSEND + 1 && st.nr_receivers == NRECV + 1)
			break;
		usleep(1000);
	}
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(ch);

	if (signals) {
		unsigned int seed = (unsigned int)getpid();

		while (atomic_load(&sh->received) < NSEND * nper * 9 / 10) {
			kill(pids[rand_r(&seed) % (NSEND + NRECV)], SIGUSR1);
			sigs++;
			usleep(200 + rand_r(&seed) % 800);
		}
	}
	for (i = 0; i < NSEND + NRECV; i++)
		ASSERT_EQ(0, wait_child(pids[i])) TH_LOG("child %d", i);

	for (i = 0; i < NSEND; i++)
		for (uint32_t s = 0; s < nper; s++)
			if (!(atomic_load(&sh->seen[i][s / 32]) & (1u << (s % 32))))
				lost++;
	TH_LOG("received %u, lost %u, dup %u, reordered %u, corrupt %u, signals %d, EINTR %u",
	       atomic_load(&sh->received), lost, atomic_load(&sh->dup),
	       atomic_load(&sh->reorder), atomic_load(&sh->bad), sigs,
	       atomic_load(&sh->eintr));
	ASSERT_EQ(NSEND * nper, atomic_load(&sh->received));
	ASSERT_EQ(0, lost);
	ASSERT_EQ(0, atomic_load(&sh->dup));
	ASSERT_EQ(0, atomic_load(&sh->reorder));
	ASSERT_EQ(0, atomic_load(&sh->bad));
	if (signals)
		ASSERT_LT(0, sigs);
	munmap(sh, sizeof(*sh));
}

TEST_F_TIMEOUT(chan, stress_100k_messages, 600)
{
	run_stress(_metadata, 0);
}

TEST_F_TIMEOUT(chan, stress_100k_with_signals, 600)
{
	run_stress(_metadata, 1);
}

TEST_HARNESS_MAIN
