// SPDX-License-Identifier: GPL-2.0
/*
 * Handles (issue 17): fds inside messages, channel pairs, kipc_reopen(),
 * kipc_sender_pidfd(). Each fd kind arrives usable in another process;
 * rights are kept and narrowed; a receive that cannot take the handles
 * (-EMSGSIZE, EMFILE, a plain receive) leaves the message queued; cycles
 * are refused (ELOOP) and everything in flight is freed when its holders
 * go (counters back where they were), killed holders included; the
 * per-user limit as uid 1000; the sender's pidfd, -ESRCH once reaped.
 */
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/udmabuf.h>
#include <netinet/in.h>

#include "kipc_test_util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

static int xpidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static short poll_events(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/*
 * The module's live channels, regions and queued messages match @base
 * within a second (closing files runs their release from task work).
 */
static int stat_back_to(const struct kipc_global_stat *base)
{
	struct kipc_global_stat st;
	int i;

	for (i = 0; i < 100; i++) {
		st = global_stat();
		if (st.nr_chans == base->nr_chans && st.nr_regions == base->nr_regions &&
		    st.nr_msgs == base->nr_msgs)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "# chans %u/%u regions %u/%u msgs %llu/%llu\n", st.nr_chans,
		base->nr_chans, st.nr_regions, base->nr_regions,
		(unsigned long long)st.nr_msgs, (unsigned long long)base->nr_msgs);
	return -1;
}

TEST(chan_pair_ends_and_epipe)
{
	struct kipc_global_stat base = global_stat();
	struct kipc_msg_info info;
	int p[2], q[2];
	char buf[8];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	EXPECT_EQ(O_RDONLY, fcntl(p[0], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_WRONLY, fcntl(p[1], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(FD_CLOEXEC, fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EBADF, kipc_send(p[0], "x", 1, 0));
	EXPECT_EQ(3, kipc_send(p[1], "abc", 3, 0));
	EXPECT_EQ(3, kipc_recv(p[0], buf, sizeof(buf), &info, 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(KIPC_CHAN_ANON, chan_stat(p[0]).state);
	EXPECT_EQ(-EINVAL, kipc_chan_pair(p, NULL, O_EXCL));

	/* send end gone: the queued message, then EPIPE and POLLHUP */
	EXPECT_EQ(1, kipc_send(p[1], "z", 1, 0));
	close(p[1]);
	EXPECT_TRUE(poll_events(p[0]) & POLLIN);
	EXPECT_EQ(1, kipc_recv(p[0], buf, sizeof(buf), NULL, 0));
	EXPECT_TRUE(poll_events(p[0]) & POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(p[0], buf, sizeof(buf), NULL, 0));
	close(p[0]);

	/* receive end gone: EPIPE and POLLERR for the sender */
	ASSERT_EQ(0, kipc_chan_pair(q, NULL, O_NONBLOCK));
	EXPECT_TRUE(fcntl(q[1], F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(q[0], F_GETFD) & FD_CLOEXEC);
	close(q[0]);
	EXPECT_TRUE(poll_events(q[1]) & POLLERR);
	EXPECT_EQ(-EPIPE, kipc_send(q[1], "x", 1, 0));
	close(q[1]);
	EXPECT_EQ(0, stat_back_to(&base));
}

/* An end inside a message is still an end: no EPIPE, no POLLHUP. */
TEST(ends_in_flight_count)
{
	struct kipc_global_stat base = global_stat();
	unsigned int n = 1;
	int a[2], b[2], got;
	char buf[8];

	ASSERT_EQ(0, kipc_chan_pair(a, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_chan_pair(b, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_send_handles(b[1], "", 0, &a[1], 1, 0));
	close(a[1]);			/* a's only send end is now inside b */
	EXPECT_FALSE(poll_events(a[0]) & POLLHUP);
	EXPECT_EQ(-EAGAIN, kipc_recv(a[0], buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	ASSERT_EQ(0, kipc_recv_handles(b[0], buf, sizeof(buf), &got, &n, NULL, 0));
	ASSERT_EQ(1u, n);
	EXPECT_EQ(2, kipc_send(got, "hi", 2, 0));
	EXPECT_EQ(2, kipc_recv(a[0], buf, sizeof(buf), NULL, 0));
	close(got);
	EXPECT_TRUE(poll_events(a[0]) & POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(a[0], buf, sizeof(buf), NULL, 0));
	close(a[0]);

	/* the last send end dies inside a message: EPIPE once it is freed */
	ASSERT_EQ(0, kipc_chan_pair(a, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_send_handles(b[1], "", 0, &a[1], 1, 0));
	close(a[1]);
	EXPECT_FALSE(poll_events(a[0]) & POLLHUP);
	EXPECT_EQ(0, kipc_recv(b[0], NULL, 0, NULL, KIPC_DISCARD));
	EXPECT_TRUE(poll_events(a[0]) & POLLHUP);
	close(a[0]);
	close(b[0]);
	close(b[1]);
	EXPECT_EQ(0, stat_back_to(&base));
}

/*
 * Every kind of fd, sent by the parent, received and used by a child:
 * a channel end, a region fd, a memfd, an eventfd, a pipe, an AF_INET
 * socket, a pidfd.
 */
enum { H_CHAN, H_REGION, H_MEMFD, H_EVENTFD, H_PIPE, H_SOCK, H_PIDFD, H_NR };

static int use_handles(int ch)
{
	int fds[H_NR], i, t;
	unsigned int n = H_NR;
	struct kipc_msg_info info;
	socklen_t sl = sizeof(t);
	uint64_t v;
	char buf[16];
	void *base;
	size_t size;

	if (kipc_recv_handles(ch, buf, sizeof(buf), fds, &n, &info, 0) != 4 || n != H_NR ||
	    info.nr_handles != H_NR || !(info.flags & KIPC_MSG_HANDLES))
		return 1;
	for (i = 0; i < H_NR; i++)
		if (!(fcntl(fds[i], F_GETFD) & FD_CLOEXEC))
			return 2;
	if (kipc_send(fds[H_CHAN], "back", 4, 0) != 4)
		return 3;
	if (kipc_shm_map(fds[H_REGION], PROT_READ, &base, &size) ||
	    memcmp(base, "region", 6))
		return 4;
	if (pread(fds[H_MEMFD], buf, 5, 0) != 5 || memcmp(buf, "memfd", 5))
		return 5;
	if (read(fds[H_EVENTFD], &v, sizeof(v)) != sizeof(v) || v != 42)
		return 6;
	if (read(fds[H_PIPE], buf, 4) != 4 || memcmp(buf, "pipe", 4))
		return 7;
	if (getsockopt(fds[H_SOCK], SOL_SOCKET, SO_TYPE, &t, &sl) || t != SOCK_DGRAM)
		return 8;
	if (syscall(SYS_pidfd_send_signal, fds[H_PIDFD], 0, NULL, 0))
		return 9;
	return 0;
}

TEST(each_fd_kind_passes_and_works)
{
	struct kipc_global_stat base = global_stat();
	int p[2], back[2], fds[H_NR], pipefd[2], i, shm;
	uint64_t one = 42;
	void *addr;
	size_t size;
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_chan_pair(back, NULL, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(use_handles(p[0]));

	fds[H_CHAN] = back[1];
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	ASSERT_GE(shm, 0);
	ASSERT_EQ(0, kipc_shm_map(shm, PROT_READ | PROT_WRITE, &addr, &size));
	memcpy(addr, "region", 6);
	fds[H_REGION] = kipc_reopen(shm, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fds[H_REGION], 0);
	fds[H_MEMFD] = memfd_create("h", MFD_CLOEXEC);
	ASSERT_EQ(5, pwrite(fds[H_MEMFD], "memfd", 5, 0));
	fds[H_EVENTFD] = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(sizeof(one), write(fds[H_EVENTFD], &one, sizeof(one)));
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	ASSERT_EQ(4, write(pipefd[1], "pipe", 4));
	fds[H_PIPE] = pipefd[0];
	fds[H_SOCK] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fds[H_SOCK], 0);
	fds[H_PIDFD] = xpidfd_open(getpid());
	ASSERT_GE(fds[H_PIDFD], 0);

	ASSERT_EQ(4, kipc_send_handles(p[1], "kind", 4, fds, H_NR, 0));
	EXPECT_EQ(4, kipc_recv_timed(back[0], buf, sizeof(buf), NULL, 0, 10000000000LL));
	EXPECT_EQ(0, wait_child(pid));
	for (i = 0; i < H_NR; i++)
		if (i != H_CHAN)
			close(fds[i]);
	close(pipefd[1]);
	kipc_shm_unmap(addr, size);
	close(shm);
	close(p[0]);
	close(p[1]);
	close(back[0]);
	close(back[1]);
	EXPECT_EQ(0, stat_back_to(&base));
}

/* The child: one dma-buf arrives and its pages read back what was written. */
static int use_dma_buf(int ch)
{
	unsigned int n = 1;
	char buf[8], link[64], path[32];
	ssize_t l;
	void *m;
	int fd;

	if (kipc_recv_handles(ch, buf, sizeof(buf), &fd, &n, NULL, 0) != 3 || n != 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	l = readlink(path, link, sizeof(link) - 1);
	if (l < 0)
		return 2;
	link[l] = '\0';
	if (!strstr(link, "dmabuf"))
		return 3;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 4;
	if (memcmp(m, "dma-buf", 7))
		return 5;
	munmap(m, 4096);
	close(fd);
	return 0;
}

TEST(dma_buf)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = 4096 };
	int p[2], dev, memfd, dbuf;
	pid_t pid;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0 && errno == ENOENT)
		SKIP(return, "no dma-buf exporter in this kernel (/dev/udmabuf absent: CONFIG_UDMABUF off)");
	ASSERT_GE(dev, 0);
	memfd = memfd_create("dma-buf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, ftruncate(memfd, 4096));
	ASSERT_EQ(7, pwrite(memfd, "dma-buf", 7, 0));
	ASSERT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK));
	c.memfd = memfd;
	dbuf = ioctl(dev, UDMABUF_CREATE, &c);
	ASSERT_GE(dbuf, 0) TH_LOG("UDMABUF_CREATE: %s", strerror(errno));

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(use_dma_buf(p[0]));
	ASSERT_EQ(3, kipc_send_handles(p[1], "dma", 3, &dbuf, 1, 0));
	EXPECT_EQ(0, wait_child(pid));
	close(p[0]);
	close(p[1]);
	close(dbuf);
	close(memfd);
	close(dev);
}

/* Files that can hold files themselves cannot be passed. */
TEST(unix_sockets_and_io_uring_refused)
{
	int p[2], sp[2], ring;
	char params[120] = {};

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	EXPECT_EQ(-EOPNOTSUPP, kipc_send_handles(p[1], "", 0, sp, 1, 0));
	ring = (int)syscall(SYS_io_uring_setup, 4, params);
	if (ring >= 0) {
		EXPECT_EQ(-EOPNOTSUPP, kipc_send_handles(p[1], "", 0, &ring, 1, 0));
		close(ring);
	}
	EXPECT_EQ(-EBADF, kipc_send_handles(p[1], "", 0, (int[]){ -1 }, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send_handles(p[1], "", 0, sp, KIPC_HANDLES_MAX + 1, 0));
	EXPECT_EQ(0u, chan_stat(p[0]).nr_msgs);
	close(sp[0]);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}

TEST(rights_kept_and_narrowed)
{
	int p[2], ch, wr, shm, ro, got[2];
	unsigned int n = 2;
	char buf[4];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_GE(ch, 0);
	/* a send-only end of an O_RDWR channel fd; more than the fd has: EACCES */
	wr = kipc_reopen(ch, O_WRONLY | O_CLOEXEC);
	ASSERT_GE(wr, 0);
	EXPECT_EQ(-EACCES, kipc_reopen(wr, O_RDWR));
	EXPECT_EQ(-EACCES, kipc_reopen(p[0], O_WRONLY));
	EXPECT_EQ(-EINVAL, kipc_reopen(ch, O_CREAT));
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	ASSERT_GE(shm, 0);
	ro = kipc_reopen(shm, O_RDONLY);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(-EACCES, kipc_reopen(ro, O_RDWR));
	EXPECT_EQ(-EINVAL, kipc_reopen(shm, O_WRONLY));

	ASSERT_EQ(0, kipc_send_handles(p[1], "", 0, (int[]){ wr, ro }, 2, 0));
	ASSERT_EQ(0, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, NULL, 0));
	ASSERT_EQ(2u, n);
	/* the same access arrives, no more */
	EXPECT_EQ(O_WRONLY, fcntl(got[0], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EBADF, kipc_recv(got[0], buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(-EACCES, kipc_reopen(got[0], O_RDONLY));
	EXPECT_EQ(1, kipc_send(got[0], "y", 1, 0));
	EXPECT_EQ(1, kipc_recv(ch, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(O_RDONLY, fcntl(got[1], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, got[1], 0));
	EXPECT_EQ(-EACCES, kipc_reopen(got[1], O_RDWR));
	close(got[0]);
	close(got[1]);
	close(wr);
	close(ro);
	close(shm);
	close(ch);
	close(p[0]);
	close(p[1]);
}

/* kipc_reopen() flags: O_NONBLOCK is the new file's own, O_CLOEXEC only if asked. */
TEST(reopen_nonblock_and_cloexec)
{
	int ch, nb, bl;
	char buf[4];

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, NULL);
	ASSERT_GE(ch, 0);
	nb = kipc_reopen(ch, O_RDONLY | O_NONBLOCK);
	ASSERT_GE(nb, 0);
	EXPECT_TRUE(fcntl(nb, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(nb, F_GETFD) & FD_CLOEXEC);
	/* no KIPC_NONBLOCK in the call: the file's O_NONBLOCK decides */
	EXPECT_EQ(-EAGAIN, kipc_recv(nb, buf, sizeof(buf), NULL, 0));
	bl = kipc_reopen(nb, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(bl, 0);
	EXPECT_FALSE(fcntl(bl, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(bl, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(1, kipc_send(ch, "z", 1, 0));
	EXPECT_EQ(1, kipc_recv(bl, buf, sizeof(buf), NULL, 0));
	close(bl);
	close(nb);
	close(ch);
}

/* Too little room for the fds, a plain receive, read(2): all leave it queued. */
TEST(emsgsize_and_plain_recv_leave_it_queued)
{
	struct kipc_msg_info info;
	int p[2], e[3], got[3], i, before;
	unsigned int n = 1;
	char buf[8];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	for (i = 0; i < 3; i++)
		e[i] = eventfd(i, EFD_CLOEXEC);
	ASSERT_EQ(3, kipc_send_handles(p[1], "abc", 3, e, 3, 0));
	before = count_fds();
	EXPECT_EQ(-EMSGSIZE, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, &info, 0));
	EXPECT_EQ(3u, n);
	EXPECT_EQ(3u, info.nr_handles);
	EXPECT_EQ(-EMSGSIZE, kipc_recv(p[0], buf, sizeof(buf), &info, 0));
	EXPECT_EQ(3u, info.nr_handles);
	EXPECT_EQ(3u, info.len);
	EXPECT_EQ(-1, read(p[0], buf, sizeof(buf)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(1u, chan_stat(p[0]).nr_msgs);
	/* a peek reports the handles, delivers none */
	n = 3;
	EXPECT_EQ(3, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, &info, KIPC_PEEK));
	EXPECT_EQ(0u, n);
	EXPECT_EQ(before, count_fds());
	/* with room, all three, not O_CLOEXEC when asked */
	n = 3;
	EXPECT_EQ(3, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, &info,
				       KIPC_HANDLES_NOCLOEXEC));
	EXPECT_EQ(3u, n);
	EXPECT_EQ(before + 3, count_fds());
	for (i = 0; i < 3; i++) {
		uint64_t v = 99;

		EXPECT_EQ(0, fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		if (i) {
			EXPECT_EQ(sizeof(v), read(got[i], &v, sizeof(v)));
			EXPECT_EQ((uint64_t)i, v);
		}
		close(got[i]);
		close(e[i]);
	}
	close(p[0]);
	close(p[1]);
}

/*
 * A fault after the receiver's fds are reserved gives them all back and
 * leaves the message queued: an fd array the numbers cannot be written
 * to, and a struct whose info cannot be written back once the files were
 * taken as well.
 */
TEST(faults_after_fds_reserved_leave_it_queued)
{
	unsigned int n = 2;
	int p[2], e[2], got[2], i, before;
	struct kipc_xfer *x;
	struct iovec iov;
	char buf[8];
	int *ro;

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	for (i = 0; i < 2; i++) {
		e[i] = eventfd(i, EFD_CLOEXEC);
		ASSERT_LE(0, e[i]);
	}
	ASSERT_EQ(2, kipc_send_handles(p[1], "ab", 2, e, 2, 0));
	before = count_fds();

	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-EFAULT, kipc_recv_handles(p[0], buf, sizeof(buf), ro, &n, NULL, 0));
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(1u, chan_stat(p[0]).nr_msgs);

	x = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, x);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->iov = (uintptr_t)&iov;
	x->iovcnt = 1;
	x->fds = (uintptr_t)got;
	x->nfds = 2;
	ASSERT_EQ(0, mprotect(x, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(p[0], KIPC_IOC_RECV, x));
	EXPECT_EQ(before, count_fds());
	EXPECT_EQ(1u, chan_stat(p[0]).nr_msgs);

	/* nothing was lost: a good receive gets the message and both fds */
	n = 2;
	EXPECT_EQ(2, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, NULL, 0));
	EXPECT_EQ(2u, n);
	EXPECT_EQ(before + 2, count_fds());
	for (i = 0; i < 2; i++) {
		uint64_t v = 99;

		if (i) {
			EXPECT_EQ(sizeof(v), read(got[i], &v, sizeof(v)));
			EXPECT_EQ((uint64_t)i, v);
		}
		close(got[i]);
		close(e[i]);
	}
	munmap(ro, 4096);
	munmap(x, 4096);
	close(p[0]);
	close(p[1]);
}

/* A full fd table is EMFILE, and the message waits for room. */
TEST(emfile_leaves_it_queued)
{
	struct rlimit old, low;
	int p[2], e[4], got[4], i, n0;
	unsigned int n = 4;
	char buf[4];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	for (i = 0; i < 4; i++)
		e[i] = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(0, kipc_send_handles(p[1], "", 0, e, 4, 0));
	for (i = 0; i < 4; i++)
		close(e[i]);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	n0 = count_fds();
	/* room for 2 more fds: the highest open fd bounds what is free below it */
	low = old;
	low.rlim_cur = 0;
	for (i = 0; i < 1024; i++)
		if (fcntl(i, F_GETFD) >= 0)
			low.rlim_cur = i + 1;
	low.rlim_cur += 2;
	/* fill every hole below the limit but the last two */
	{
		int fill[1024], nf = 0, fd;

		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
		while ((fd = dup(p[0])) >= 0 && (rlim_t)fd < low.rlim_cur - 2)
			fill[nf++] = fd;
		if (fd >= 0)
			close(fd);
		EXPECT_EQ(-EMFILE, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, NULL, 0));
		EXPECT_EQ(1u, chan_stat(p[0]).nr_msgs);
		while (nf)
			close(fill[--nf]);
		ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	}
	EXPECT_EQ(n0, count_fds());
	n = 4;
	EXPECT_EQ(0, kipc_recv_handles(p[0], buf, sizeof(buf), got, &n, NULL, 0));
	EXPECT_EQ(4u, n);
	for (i = 0; i < 4; i++)
		close(got[i]);
	close(p[0]);
	close(p[1]);
}

/* The cycle rule: ELOOP, and nothing stays behind once the fds are closed. */
TEST(cycles_refused_and_freed)
{
	struct kipc_global_stat base = global_stat();
	int a[2], b[2], c[2], ar;

	ASSERT_EQ(0, kipc_chan_pair(a, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_chan_pair(b, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_chan_pair(c, NULL, O_CLOEXEC));
	/* one channel: either of its ends into itself, any file of it */
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &a[0], 1, 0));
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &a[1], 1, 0));
	ar = kipc_reopen(a[1], O_WRONLY);
	ASSERT_GE(ar, 0);
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &ar, 1, 0));
	/* two: a's end into b, then b's end into a is refused */
	EXPECT_EQ(0, kipc_send_handles(b[1], "", 0, &a[0], 1, 0));
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &b[0], 1, 0));
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &b[1], 1, 0));
	/* three: c holding nothing may go into b; b (holding a) not into c */
	EXPECT_EQ(0, kipc_send_handles(a[1], "", 0, &c[1], 1, 0));
	EXPECT_EQ(-ELOOP, kipc_send_handles(c[1], "", 0, &b[0], 1, 0));
	EXPECT_EQ(1u, chan_stat(b[0]).nr_msgs);
	EXPECT_EQ(1u, chan_stat(a[0]).nr_msgs);
	/* drop every outside reference: all three channels go */
	close(ar);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(c[0]);
	close(c[1]);
	EXPECT_EQ(0, stat_back_to(&base));

	/* once b's message is gone, b may be passed again */
	ASSERT_EQ(0, kipc_chan_pair(a, NULL, O_CLOEXEC));
	ASSERT_EQ(0, kipc_chan_pair(b, NULL, O_CLOEXEC));
	EXPECT_EQ(0, kipc_send_handles(b[1], "", 0, &a[0], 1, 0));
	EXPECT_EQ(-ELOOP, kipc_send_handles(a[1], "", 0, &b[1], 1, 0));
	EXPECT_EQ(0, kipc_recv(b[0], NULL, 0, NULL, KIPC_DISCARD));
	EXPECT_EQ(0, kipc_send_handles(a[1], "", 0, &b[1], 1, 0));
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	EXPECT_EQ(0, stat_back_to(&base));
}

/* A process killed with handles in flight frees them all. */
TEST(killed_with_handles_in_flight)
{
	struct kipc_global_stat base = global_stat();
	int sync[2];
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(sync));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int p[2], q[2], shm, i;

		for (i = 0; i < 8; i++) {
			if (kipc_chan_pair(p, NULL, 0) || kipc_chan_pair(q, NULL, 0))
				_exit(1);
			shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 8192);
			if (shm < 0 || kipc_send_handles(p[1], "m", 1, (int[]){ q[0], q[1], shm },
							 3, 0) != 1)
				_exit(2);
			close(q[0]);
			close(q[1]);
			close(shm);
		}
		if (write(sync[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	close(sync[0]);
	EXPECT_GT(global_stat().nr_chans, base.nr_chans);
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, wait_child(pid));
	EXPECT_EQ(0, stat_back_to(&base));
}

/*
 * Handles in flight per user are bounded by RLIMIT_NOFILE: as uid 1000
 * (without CAP_SYS_RESOURCE, which would exceed it).
 */
TEST(per_user_limit_as_uid_1000)
{
	pid_t pid;

	/* as root: become uid 1000; run by uid 1000 itself, as it is */
	if (geteuid() && geteuid() != 1000)
		SKIP(return, "needs root or uid 1000");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = 40, .rlim_max = 40 };
		int p[2], e[8], i, sent = 0;
		long r;

		if ((!geteuid() && become(1000, 1000)) || kipc_chan_pair(p, NULL, 0))
			_exit(1);
		for (i = 0; i < 8; i++)
			e[i] = eventfd(0, 0);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		while ((r = kipc_send_handles(p[1], "", 0, e, 8, KIPC_NONBLOCK)) == 0)
			sent++;
		if (r != -ETOOMANYREFS || sent != 5)
			_exit(3);
		/* one message received: room for one more */
		if (kipc_recv(p[0], NULL, 0, NULL, KIPC_DISCARD) != 0 ||
		    kipc_send_handles(p[1], "", 0, e, 8, 0) != 0)
			_exit(4);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
}

/* The sender's pidfd: right while it lives, -ESRCH once reaped or forged. */
TEST(sender_pidfd)
{
	struct kipc_msg_info info, forged;
	int p[2], go[2], pidfd;
	char c;
	pid_t pid;

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		if (kipc_send(p[1], "me", 2, 0) != 2)
			_exit(1);
		/* wait until the parent says so (or goes) */
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	ASSERT_EQ(2, kipc_recv(p[0], &c, 2, &info, 0));
	EXPECT_EQ(pid, info.pid);
	EXPECT_NE(0ull, (unsigned long long)info.pid_start_ns);
	pidfd = kipc_sender_pidfd(&info, 0);
	ASSERT_GE(pidfd, 0);
	EXPECT_EQ(0, syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
	close(pidfd);
	forged = info;
	forged.pid_start_ns += 10000000000ull;
	EXPECT_EQ(-ESRCH, kipc_sender_pidfd(&forged, 0));
	close(go[1]);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(-ESRCH, kipc_sender_pidfd(&info, 0));
	close(p[0]);
	close(p[1]);
}

/* ABI 2 callers: a message with handles is EMSGSIZE, their info is 40 bytes. */
TEST(abi2_receiver_gets_emsgsize)
{
	struct kipc_xfer x;
	struct iovec iov;
	int p[2], e;
	char buf[8];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	e = eventfd(0, EFD_CLOEXEC);
	ASSERT_EQ(1, kipc_send_handles(p[1], "x", 1, &e, 1, 0));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	memset(&x, 0xab, sizeof(x));
	memset(&x, 0, KIPC_XFER_SIZE_VER0);
	x.size = KIPC_XFER_SIZE_VER0;
	x.iov = (uintptr_t)&iov;
	x.iovcnt = 1;
	EXPECT_EQ(-EMSGSIZE, xioctl(p[0], KIPC_IOC_RECV, &x));
	EXPECT_EQ(1u, x.info.len);
	EXPECT_EQ(0xababababu, x.info.nr_handles);	/* past its size: untouched */
	/* a batch entry may not carry handles */
	EXPECT_EQ(1u, chan_stat(p[0]).nr_msgs);
	close(e);
	close(p[0]);
	close(p[1]);
}

/*
 * Issue 17 phase A: pairs, reopen and sender identity without handles.
 */

/* Wrong-direction calls fail; ends inherited by fork() count as ends. */
TEST(chan_pair_fork_and_direction)
{
	struct kipc_global_stat base = global_stat();
	int p[2], go[2];
	char buf[8];
	pid_t pid;

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, 0));
	EXPECT_EQ(0, fcntl(p[0], F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(-1, write(p[0], "x", 1));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, read(p[1], buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-EBADF, kipc_recv(p[1], buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kipc_recv(p[0], buf, sizeof(buf), NULL, KIPC_NONBLOCK));

	/* the child's copy of the send end keeps the channel open */
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(p[0]);
		if (read(go[0], buf, 1) != 0)
			_exit(1);
		_exit(kipc_send(p[1], "kid", 3, 0) == 3 ? 0 : 2);
	}
	close(go[0]);
	close(p[1]);
	EXPECT_EQ(0, poll_events(p[0]) & POLLHUP);
	EXPECT_EQ(-EAGAIN, kipc_recv(p[0], buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	close(go[1]);
	EXPECT_EQ(3, kipc_recv(p[0], buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_TRUE(poll_events(p[0]) & POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(p[0], buf, sizeof(buf), NULL, 0));
	close(p[0]);

	/* and the child's copy of the receive end */
	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_NONBLOCK));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		close(p[1]);
		if (read(go[0], buf, 1) != 0)
			_exit(1);
		_exit(kipc_recv(p[0], buf, sizeof(buf), NULL, 0) == 2 ? 0 : 2);
	}
	close(go[0]);
	close(p[0]);
	EXPECT_EQ(0, poll_events(p[1]) & POLLERR);
	EXPECT_EQ(2, kipc_send(p[1], "up", 2, 0));
	close(go[1]);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_TRUE(poll_events(p[1]) & POLLERR);
	EXPECT_EQ(-EPIPE, kipc_send(p[1], "x", 1, 0));
	close(p[1]);
	EXPECT_EQ(0, stat_back_to(&base));
}

/* A reopened end is an end (EPIPE counts it); a read-only region stays so. */
TEST(reopen_keeps_peer_alive)
{
	struct kipc_global_stat base = global_stat();
	int p[2], w, r, shm, ro;
	char buf[8];
	void *m;

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	w = kipc_reopen(p[1], O_WRONLY | O_CLOEXEC);
	ASSERT_GE(w, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(w, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_WRONLY, fcntl(w, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-EACCES, kipc_reopen(p[1], O_RDWR));
	EXPECT_EQ(-EACCES, kipc_reopen(p[1], O_RDONLY));
	EXPECT_EQ(-EACCES, kipc_reopen(p[0], O_RDWR));
	close(p[1]);
	EXPECT_EQ(0, poll_events(p[0]) & POLLHUP);
	EXPECT_EQ(2, kipc_send(w, "hi", 2, 0));
	EXPECT_EQ(2, kipc_recv(p[0], buf, sizeof(buf), NULL, 0));
	r = kipc_reopen(p[0], O_RDONLY);
	ASSERT_GE(r, 0);
	EXPECT_EQ(0, fcntl(r, F_GETFD) & FD_CLOEXEC);
	close(p[0]);
	EXPECT_EQ(0, poll_events(w) & POLLERR);
	EXPECT_EQ(1, kipc_send(w, "x", 1, 0));
	EXPECT_EQ(1, kipc_recv(r, buf, sizeof(buf), NULL, 0));
	close(w);
	EXPECT_TRUE(poll_events(r) & POLLHUP);
	EXPECT_EQ(-EPIPE, kipc_recv(r, buf, sizeof(buf), NULL, 0));
	close(r);

	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	ASSERT_GE(shm, 0);
	ro = kipc_reopen(shm, O_RDONLY);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(O_RDONLY, fcntl(ro, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	EXPECT_EQ(EACCES, errno);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(-1, mprotect(m, 4096, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(m, 4096);
	close(ro);
	close(shm);
	EXPECT_EQ(0, stat_back_to(&base));
}

/* A reopened fd stamps its original opener's identity, not the reopener's. */
TEST(reopen_keeps_the_openers_identity)
{
	struct kipc_msg_info info;
	int p[2];
	char buf[4];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become uid 1000");
	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int w;

		if (become(1000, 1000))
			_exit(1);
		w = kipc_reopen(p[1], O_WRONLY);
		if (w < 0)
			_exit(2);
		close(p[1]);
		_exit(kipc_send(w, "u", 1, 0) == 1 ? 0 : 3);
	}
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(1, kipc_recv(p[0], buf, sizeof(buf), &info, 0));
	EXPECT_EQ(pid, info.pid);
	EXPECT_EQ(0u, info.uid);
	EXPECT_EQ(0u, info.gid);
	close(p[0]);
	close(p[1]);
}

/* write(2), the send ioctl and a batch all stamp the same start time. */
TEST(start_time_on_every_send_path)
{
	struct kipc_msg_info info[3];
	struct iovec iov = { .iov_base = "b", .iov_len = 1 };
	int p[2], i, fd;
	char buf[4];

	ASSERT_EQ(0, kipc_chan_pair(p, NULL, O_CLOEXEC));
	ASSERT_EQ(1, kipc_send(p[1], "s", 1, 0));
	ASSERT_EQ(1, write(p[1], "w", 1));
	ASSERT_EQ(1, kipc_send_batch(p[1], &iov, 1, 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, kipc_recv(p[0], buf, sizeof(buf), &info[i], 0));
		EXPECT_EQ(getpid(), info[i].pid);
		EXPECT_NE(0ull, (unsigned long long)info[i].pid_start_ns);
		EXPECT_EQ(info[0].pid_start_ns, info[i].pid_start_ns);
		fd = kipc_sender_pidfd(&info[i], 0);
		EXPECT_GE(fd, 0);
		if (fd >= 0)
			close(fd);
	}
	/* one tick (10 ms) off either way: not this process */
	info[0].pid_start_ns -= 10000000ull;
	EXPECT_EQ(-ESRCH, kipc_sender_pidfd(&info[0], 0));
	info[0].pid_start_ns += 20000000ull;
	EXPECT_EQ(-ESRCH, kipc_sender_pidfd(&info[0], 0));
	EXPECT_EQ(-EINVAL, kipc_sender_pidfd(NULL, 0));
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
