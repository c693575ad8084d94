// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweeps: every kipc call (open of /dev/kipc, the ioctls,
 * read(v) and write(v), mmap, munmap and the first touch of a region
 * page, poll, io_uring requests, close) is made again and again with
 * /proc/thread-self/fail-nth set to 1, 2, 3 ...: the N-th slab allocation, page allocation or user
 * copy the call makes fails. It runs until the call makes fewer than N of
 * them; the count is the call's number of failure points, printed as
 * "failpoints: NAME COUNT". At every N:
 *  - the call succeeds or gives an errno its contract allows (ENOMEM, or
 *    EFAULT for a failed user copy; io_uring's submission EAGAIN);
 *  - all or nothing: a message is queued once or not at all, a message
 *    received is gone and one not received is still queued, an fd is
 *    installed or not, a name exists or not, a mapping is counted or not;
 *  - once everything the step opened is closed, the module's object,
 *    message and byte counters (KIPC_IOC_STAT) and the process's fd count
 *    are back where they were;
 * and after the sweep, root's quota accounts (objects, queued bytes,
 * region bytes) are where they were: quota_probe() fits exactly.
 * kipc-vm's kmemleak scan after the run covers leaks.
 *
 * The counts vary by one or two from run to run: some of the points are
 * the kernel's own, such as per-CPU caches that are refilled only now
 * and then.
 *
 * Needs the debug kernel's fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS,
 * FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_USERCOPY) and root; SKIPs
 * elsewhere. The knobs set (ignore-gfp-wait, min-order, verbose) are put
 * back after each test.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

/* More failure points than any call has: a sweep that reaches it failed. */
#define MAX_NTH		1000
#define MSG_LEN		100
#define NR_BATCH	4
#define NR_VEC		10	/* more than the kernel's UIO_FASTIOV */
#define REGION_LEN	(4 * 4096)
#define RING_NS		(5 * 1000000000LL)
#define NR_HANDLES	2	/* fds a handle message carries */
#define NR_PK		5	/* messages a packed call moves */
#define NR_PK_BIG	40	/* ... a big one: over 4 KiB of records either way */
#define PK_MAX_LEN	140	/* the longest of them */
#define PK_ROOM		(16 * 1024)	/* bytes for a packed call's records */

#define DBG "/sys/kernel/debug/"

/* The debugfs knobs a sweep sets, and the values it sets them to. */
static const struct {
	const char *path;
	const char *val;
} knobs[] = {
	{ DBG "failslab/ignore-gfp-wait", "N" },
	{ DBG "failslab/verbose", "0" },
	{ DBG "fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DBG "fail_page_alloc/min-order", "0" },
	{ DBG "fail_page_alloc/verbose", "0" },
	{ DBG "fail_usercopy/verbose", "0" },
};

#define NR_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

/* The state one sweep step sets up, calls on and checks. */
struct step {
	int ctl;		/* /dev/kipc */
	int ch;			/* a channel, O_RDWR */
	int shm;		/* a region, O_RDWR */
	int fd;			/* what the call returned, if an fd */
	char name[64];		/* the object's name, if named */
	void *map;		/* the region mapped, if mapped */
	struct io_uring ring;
	int have_ring;
	int ring_pending;	/* a request submitted, its CQE not reaped */
	char buf[NR_BATCH][MSG_LEN];
	struct iovec iov[NR_BATCH];
	struct iovec vec[NR_VEC];	/* buf[0] in NR_VEC pieces */
	struct kipc_xfer x[NR_BATCH];
	struct kipc_batch b;
	struct kipc_ref_xfer rx;
	struct kipc_list l;
	struct kipc_list_entry entries[2];
	struct kipc_chan_pair cp;
	int pfds[2];		/* its ends, once made (-1: none) */
	struct kipc_reopen ro;
	unsigned int pk_nr;	/* the packed calls' messages, in order */
	unsigned int pk_lens[NR_PK_BIG];	/* their lengths; message i is fill(i + 1) */
	__u64 pk[PK_ROOM / 8];	/* their records (8-byte aligned) */
	struct kipc_packed p;
	int hfds[NR_HANDLES];	/* handles to send, or received (-1: none) */
	int sfds[NR_HANDLES];	/* the files sent: a memfd, a region fd */
	union {
		__u32 size;		/* each struct's first member */
		struct kipc_global_stat g;
		struct kipc_chan_stat cs;
		struct kipc_shm_stat ss;
		struct kipc_version v;
	} st;
};

/* What a step needs before the call (struct call @needs). */
#define N_CHAN		0x01	/* an anonymous channel in @ch */
#define N_NAMED		0x02	/* with N_CHAN or N_SHM: named @name */
#define N_SHM		0x04	/* a region in @shm */
#define N_MSG		0x08	/* one message queued on @ch */
#define N_MSGS		0x10	/* NR_BATCH messages queued on @ch */
#define N_REF		0x20	/* a reference to @shm queued on @ch */
#define N_MAP		0x40	/* @shm mapped at @map */
#define N_RING		0x80	/* an io_uring in @ring */
#define N_HMSG		0x100	/* one message with NR_HANDLES handles queued on @ch */
#define N_PMSGS		0x200	/* the packed calls' @pk_nr messages queued on @ch */
#define N_BIG		0x400	/* the packed calls move NR_PK_BIG messages of 100..140
				 * bytes (more than the channel's 4 KiB staging buffer
				 * holds, sent or received), not NR_PK small ones */

/*
 * One call to sweep: set up what @needs says, make the call with fault
 * injection armed (@call: >= 0, or -errno), check its effect (@check: the
 * call's result in @ret), close everything.
 */
struct call {
	const char *name;
	unsigned int needs;
	long (*call)(struct step *s);
	void (*check)(struct __test_metadata *_metadata, struct step *s, long ret);
	int uring;		/* an io_uring submission may also give EAGAIN */
};

/* ---- the calls --------------------------------------------------------- */

static long c_dev_open(struct step *s)
{
	s->fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? -errno : s->fd;
}

#define OPEN_FLAGS (KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CLOEXEC)
#define CREATE (KIPC_OPEN_CREAT | KIPC_OPEN_EXCL)

/* KIPC_IOC_CHAN_OPEN or KIPC_IOC_SHM_OPEN, by @type, of @s->name: the fd. */
static long open_ioctl(struct step *s, int type, __u32 flags)
{
	struct kipc_chan_open co = { .size = sizeof(co), .flags = flags | OPEN_FLAGS,
				     .name = (uintptr_t)s->name, .mode = 0600 };
	struct kipc_shm_open so = { .size = sizeof(so), .flags = flags | OPEN_FLAGS,
				    .name = (uintptr_t)s->name, .mode = 0600,
				    .length = REGION_LEN };
	long ret = type == KIPC_OBJ_CHAN ? xioctl(s->ctl, KIPC_IOC_CHAN_OPEN, &co) :
					   xioctl(s->ctl, KIPC_IOC_SHM_OPEN, &so);

	if (ret >= 0)
		s->fd = ret;
	return ret;
}

/* KIPC_IOC_UNLINK of @s->name, of @type. */
static long unlink_ioctl(struct step *s, __u32 type)
{
	struct kipc_unlink u = { .size = sizeof(u), .type = type, .name = (uintptr_t)s->name };

	return xioctl(s->ctl, KIPC_IOC_UNLINK, &u);
}

static long c_chan_create(struct step *s) { return open_ioctl(s, KIPC_OBJ_CHAN, CREATE); }
static long c_chan_open(struct step *s) { return open_ioctl(s, KIPC_OBJ_CHAN, 0); }
static long c_chan_unlink(struct step *s) { return unlink_ioctl(s, KIPC_OBJ_CHAN); }
static long c_shm_create(struct step *s) { return open_ioctl(s, KIPC_OBJ_REGION, CREATE); }
static long c_shm_open(struct step *s) { return open_ioctl(s, KIPC_OBJ_REGION, 0); }
static long c_shm_unlink(struct step *s) { return unlink_ioctl(s, KIPC_OBJ_REGION); }

/* Entry @i of the step's transfers, over buffer @i (filled if @send). */
static void prep_xfer(struct step *s, int i, int send)
{
	s->iov[i].iov_base = s->buf[i];
	s->iov[i].iov_len = MSG_LEN;
	if (send)
		fill(s->buf[i], MSG_LEN, i + 1);
	else
		memset(s->buf[i], 0, MSG_LEN);
	memset(&s->x[i], 0, sizeof(s->x[i]));
	s->x[i].size = sizeof(s->x[i]);
	s->x[i].flags = KIPC_XFER_NONBLOCK;
	s->x[i].iov = (uintptr_t)&s->iov[i];
	s->x[i].iovcnt = 1;
}

static long c_send(struct step *s)
{
	prep_xfer(s, 0, 1);
	return xioctl(s->ch, KIPC_IOC_SEND, &s->x[0]);
}

static long c_recv(struct step *s)
{
	prep_xfer(s, 0, 0);
	return xioctl(s->ch, KIPC_IOC_RECV, &s->x[0]);
}

/* The message in buf[0] as NR_VEC iovecs (filled if @send), in x[0]. */
static void prep_vec(struct step *s, int send)
{
	int i;

	prep_xfer(s, 0, send);
	for (i = 0; i < NR_VEC; i++) {
		s->vec[i].iov_base = s->buf[0] + i * (MSG_LEN / NR_VEC);
		s->vec[i].iov_len = MSG_LEN / NR_VEC;
	}
	s->x[0].iov = (uintptr_t)s->vec;
	s->x[0].iovcnt = NR_VEC;
}

static long c_sendv(struct step *s)
{
	prep_vec(s, 1);
	return xioctl(s->ch, KIPC_IOC_SEND, &s->x[0]);
}

static long c_recvv(struct step *s)
{
	prep_vec(s, 0);
	return xioctl(s->ch, KIPC_IOC_RECV, &s->x[0]);
}

static long c_recv_peek(struct step *s)
{
	prep_xfer(s, 0, 0);
	s->x[0].flags |= KIPC_XFER_PEEK;
	return xioctl(s->ch, KIPC_IOC_RECV, &s->x[0]);
}

static long c_recv_discard(struct step *s)
{
	prep_xfer(s, 0, 0);
	s->x[0].flags |= KIPC_XFER_DISCARD;
	return xioctl(s->ch, KIPC_IOC_RECV, &s->x[0]);
}

static long c_writev(struct step *s)
{
	ssize_t n;

	prep_vec(s, 1);
	n = writev(s->ch, s->vec, NR_VEC);
	return n < 0 ? -errno : n;
}

static long c_readv(struct step *s)
{
	ssize_t n;

	prep_vec(s, 0);
	n = readv(s->ch, s->vec, NR_VEC);
	return n < 0 ? -errno : n;
}

static long c_write(struct step *s)
{
	ssize_t n;

	fill(s->buf[0], MSG_LEN, 1);
	n = write(s->ch, s->buf[0], MSG_LEN);
	return n < 0 ? -errno : n;
}

static long c_read(struct step *s)
{
	ssize_t n;

	memset(s->buf[0], 0, MSG_LEN);
	n = read(s->ch, s->buf[0], MSG_LEN);
	return n < 0 ? -errno : n;
}

static void prep_batch(struct step *s, int send)
{
	int i;

	for (i = 0; i < NR_BATCH; i++)
		prep_xfer(s, i, send);
	for (i = 0; i < NR_BATCH; i++)
		s->x[i].flags = 0;	/* the batch's flags apply */
	memset(&s->b, 0, sizeof(s->b));
	s->b.size = sizeof(s->b);
	s->b.flags = KIPC_XFER_NONBLOCK;
	s->b.nr = NR_BATCH;
	s->b.xfer_size = sizeof(s->x[0]);
	s->b.xfers = (uintptr_t)s->x;
}

static long c_send_batch(struct step *s)
{
	prep_batch(s, 1);
	return xioctl(s->ch, KIPC_IOC_SEND_BATCH, &s->b);
}

static long c_recv_batch(struct step *s)
{
	prep_batch(s, 0);
	return xioctl(s->ch, KIPC_IOC_RECV_BATCH, &s->b);
}

/*
 * @s->p over @s->pk: to send, the records of the step's packed messages;
 * to receive, room for PK_ROOM bytes of records and at most @pk_nr
 * messages. 0 or -EIO (no system call: fault injection may be armed).
 */
static long prep_packed(struct step *s, int send)
{
	char data[PK_MAX_LEN];
	ssize_t used = 0;
	unsigned int i;

	memset(s->pk, 0, sizeof(s->pk));
	for (i = 0; send && i < s->pk_nr; i++) {
		fill(data, s->pk_lens[i], i + 1);
		used = kipc_packed_add(s->pk, sizeof(s->pk), used, data, s->pk_lens[i], 0);
		if (used < 0)
			return -EIO;
	}
	if (kipc_packed_prep(&s->p, s->pk, send ? (size_t)used : sizeof(s->pk), s->pk_nr,
			     KIPC_NONBLOCK))
		return -EIO;
	return 0;
}

static long c_send_packed(struct step *s)
{
	if (prep_packed(s, 1))
		return -EIO;
	return xioctl(s->ch, KIPC_IOC_SEND_PACKED, &s->p);
}

static long c_recv_packed(struct step *s)
{
	if (prep_packed(s, 0))
		return -EIO;
	return xioctl(s->ch, KIPC_IOC_RECV_PACKED, &s->p);
}

static long c_send_packed_big(struct step *s) { return c_send_packed(s); }
static long c_recv_packed_big(struct step *s) { return c_recv_packed(s); }

static long c_send_ref(struct step *s)
{
	memset(&s->rx, 0, sizeof(s->rx));
	s->rx.size = sizeof(s->rx);
	s->rx.flags = KIPC_XFER_NONBLOCK;
	s->rx.shm_fd = s->shm;
	s->rx.len = REGION_LEN;
	return xioctl(s->ch, KIPC_IOC_SEND_REF, &s->rx);
}

static long c_recv_ref(struct step *s)
{
	long ret;

	memset(&s->rx, 0, sizeof(s->rx));
	s->rx.size = sizeof(s->rx);
	s->rx.flags = KIPC_XFER_NONBLOCK | KIPC_REF_CLOEXEC;
	s->rx.shm_fd = -1;
	ret = xioctl(s->ch, KIPC_IOC_RECV_REF, &s->rx);
	if (ret >= 0)
		s->fd = s->rx.shm_fd;
	return ret;
}

static long c_mmap(struct step *s)
{
	void *p = mmap(NULL, REGION_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, s->shm, 0);

	if (p == MAP_FAILED)
		return -errno;
	s->map = p;
	return 0;
}

static long c_munmap(struct step *s)
{
	if (munmap(s->map, REGION_LEN))
		return -errno;
	s->map = NULL;
	return 0;
}

/* The first touch of a page: shmem allocates it in the fault. */
static long c_touch(struct step *s)
{
	*(volatile unsigned char *)s->map = 0x5a;
	return 0;
}

/* A stat-like ioctl @cmd on @fd into @s->st, which is @size bytes for it. */
static long stat_ioctl(struct step *s, int fd, unsigned long cmd, __u32 size)
{
	memset(&s->st, 0, sizeof(s->st));
	s->st.size = size;
	return xioctl(fd, cmd, &s->st);
}

static long c_global_stat(struct step *s)
{
	return stat_ioctl(s, s->ctl, KIPC_IOC_STAT, sizeof(s->st.g));
}

static long c_version(struct step *s)
{
	return stat_ioctl(s, s->ctl, KIPC_IOC_VERSION, sizeof(s->st.v));
}

static long c_chan_stat(struct step *s)
{
	return stat_ioctl(s, s->ch, KIPC_IOC_CHAN_STAT, sizeof(s->st.cs));
}

static long c_shm_stat(struct step *s)
{
	return stat_ioctl(s, s->shm, KIPC_IOC_SHM_STAT, sizeof(s->st.ss));
}

static long c_list(struct step *s)
{
	memset(&s->l, 0, sizeof(s->l));
	memset(s->entries, 0, sizeof(s->entries));
	s->l.size = sizeof(s->l);
	s->l.entries = (uintptr_t)s->entries;
	s->l.entry_size = sizeof(s->entries[0]);
	s->l.max_entries = 2;
	return xioctl(s->ctl, KIPC_IOC_LIST, &s->l);
}

static long c_poll(struct step *s)
{
	struct pollfd p = { .fd = s->ch, .events = POLLIN | POLLOUT };
	int n = poll(&p, 1, 0);

	return n < 0 ? -errno : p.revents;
}

static long c_close(struct step *s)
{
	int ret = close(s->ch);

	s->ch = -1;
	return ret ? -errno : 0;
}

/*
 * An io_uring request, submitted and reaped with fault injection armed:
 * the call's result is the CQE's res. A submission that fails leaves the
 * SQE unconsumed (the step's ring is closed with it); if the reap fails,
 * ring_result() reaps the CQE after, disarmed.
 */
static long ring_call(struct step *s)
{
	struct kipc_ring_cqe c;
	int ret = kipc_ring_submit(&s->ring);

	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = kipc_ring_reap(&s->ring, &c, 1, 1, RING_NS);
	if (ret == 1)
		return c.res;
	s->ring_pending = 1;
	return 0;
}

static long c_ring_send(struct step *s)
{
	fill(s->buf[0], MSG_LEN, 1);
	if (kipc_ring_prep_send(&s->ring, s->ch, s->buf[0], MSG_LEN, KIPC_NONBLOCK, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_recv(struct step *s)
{
	memset(s->buf[0], 0, MSG_LEN);
	if (kipc_ring_prep_recv(&s->ring, s->ch, s->buf[0], MSG_LEN, KIPC_NONBLOCK, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_send_batch(struct step *s)
{
	prep_batch(s, 1);
	if (kipc_ring_prep_batch(&s->ring, s->ch, &s->b, 1, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_recv_batch(struct step *s)
{
	prep_batch(s, 0);
	if (kipc_ring_prep_batch(&s->ring, s->ch, &s->b, 0, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_send_packed(struct step *s)
{
	if (prep_packed(s, 1) || kipc_ring_prep_packed(&s->ring, s->ch, &s->p, 1, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_recv_packed(struct step *s)
{
	if (prep_packed(s, 0) || kipc_ring_prep_packed(&s->ring, s->ch, &s->p, 0, 1))
		return -EIO;
	return ring_call(s);
}

static long c_ring_send_packed_big(struct step *s) { return c_ring_send_packed(s); }
static long c_ring_recv_packed_big(struct step *s) { return c_ring_recv_packed(s); }

/* The completion of the request ring_call() submitted: its res, or -EIO. */
static long ring_result(struct step *s)
{
	struct kipc_ring_cqe c;
	int n = kipc_ring_reap(&s->ring, &c, 1, 1, RING_NS);

	s->ring_pending = 0;
	return n == 1 ? c.res : -EIO;
}

/* ---- checks: all or nothing -------------------------------------------- */

/* Does an object of @type named @name exist? 1, 0, or -errno. */
/* KIPC_IOC_CHAN_PAIR: both ends in @s->pfds. */
static long c_chan_pair(struct step *s)
{
	long ret;

	/* @fds is output only: the kernel wants it zero on entry */
	s->cp = (struct kipc_chan_pair){ .size = sizeof(s->cp), .flags = KIPC_OPEN_CLOEXEC,
					 .mode = 0600 };
	ret = xioctl(s->ctl, KIPC_IOC_CHAN_PAIR, &s->cp);
	if (ret >= 0) {
		s->pfds[0] = s->cp.fds[0];
		s->pfds[1] = s->cp.fds[1];
	}
	return ret;
}

/* KIPC_IOC_REOPEN of the channel, send-only: the fd. */
static long c_reopen(struct step *s)
{
	long ret;

	s->ro = (struct kipc_reopen){ .size = sizeof(s->ro),
				      .flags = KIPC_OPEN_SEND | KIPC_OPEN_CLOEXEC };
	ret = xioctl(s->ch, KIPC_IOC_REOPEN, &s->ro);
	if (ret >= 0)
		s->fd = ret;
	return ret;
}

/* KIPC_IOC_SEND of buf[0] carrying @s->sfds. */
static long c_send_handles(struct step *s)
{
	prep_xfer(s, 0, 1);
	s->x[0].fds = (uintptr_t)s->sfds;
	s->x[0].nfds = NR_HANDLES;
	return xioctl(s->ch, KIPC_IOC_SEND, &s->x[0]);
}

/* KIPC_IOC_RECV with room for the handles, into @s->hfds. */
static long c_recv_handles(struct step *s)
{
	prep_xfer(s, 0, 0);
	s->hfds[0] = s->hfds[1] = -1;
	s->x[0].fds = (uintptr_t)s->hfds;
	s->x[0].nfds = NR_HANDLES;
	return xioctl(s->ch, KIPC_IOC_RECV, &s->x[0]);
}

static int name_exists(const char *name, int type)
{
	int fd = type == KIPC_OBJ_CHAN ? kipc_chan_open(name, O_RDONLY, 0, NULL) :
					 kipc_shm_open(name, O_RDONLY, 0, 0);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -ENOENT ? 0 : fd;
}

static void k_fd(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_LE(0, fcntl(s->fd, F_GETFD));
}

static void k_chan_create(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret >= 0, name_exists(s->name, KIPC_OBJ_CHAN));
	EXPECT_EQ(ret >= 0, global_stat().nr_chans - s->st.g.nr_chans);
	k_fd(_metadata, s, ret);
}

static void k_shm_create(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret >= 0, name_exists(s->name, KIPC_OBJ_REGION));
	EXPECT_EQ(ret >= 0, global_stat().nr_regions - s->st.g.nr_regions);
	k_fd(_metadata, s, ret);
}

static void k_chan_unlink(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret < 0, name_exists(s->name, KIPC_OBJ_CHAN));
}

static void k_shm_unlink(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret < 0, name_exists(s->name, KIPC_OBJ_REGION));
}

/* Exactly @n messages on @ch, and the module's count agrees. */
static void expect_queued(struct __test_metadata *_metadata, struct step *s, unsigned int n)
{
	struct kipc_chan_stat cs = chan_stat(s->ch);

	EXPECT_EQ(n, cs.nr_msgs);
	EXPECT_EQ((__u64)n, global_stat().nr_msgs);
}

static void k_sent(struct __test_metadata *_metadata, struct step *s, long ret)
{
	char buf[MSG_LEN];

	if (ret >= 0)
		EXPECT_EQ(MSG_LEN, ret);
	expect_queued(_metadata, s, ret >= 0);
	if (ret >= 0) {
		EXPECT_EQ(MSG_LEN, kipc_recv(s->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
		EXPECT_EQ(0, check_fill(buf, MSG_LEN, 1));
	}
}

static void k_received(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0) {
		EXPECT_EQ(MSG_LEN, ret);
		EXPECT_EQ(0, check_fill(s->buf[0], MSG_LEN, 1));
	}
	expect_queued(_metadata, s, ret < 0);
}

static void k_peeked(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0) {
		EXPECT_EQ(MSG_LEN, ret);
		EXPECT_EQ(0, check_fill(s->buf[0], MSG_LEN, 1));
	}
	expect_queued(_metadata, s, 1);
}

static void k_discarded(struct __test_metadata *_metadata, struct step *s, long ret)
{
	expect_queued(_metadata, s, ret < 0);
	EXPECT_EQ(ret >= 0, chan_stat(s->ch).discarded);
}

static void k_sent_batch(struct __test_metadata *_metadata, struct step *s, long ret)
{
	char buf[MSG_LEN];
	long i;

	if (ret >= 0)
		EXPECT_LT(0, ret);
	expect_queued(_metadata, s, ret > 0 ? ret : 0);
	for (i = 0; i < ret; i++) {
		EXPECT_EQ(MSG_LEN, kipc_recv(s->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
		EXPECT_EQ(0, check_fill(buf, MSG_LEN, i + 1)) TH_LOG("message %ld", i);
	}
}

static void k_received_batch(struct __test_metadata *_metadata, struct step *s, long ret)
{
	long i;

	if (ret >= 0)
		EXPECT_LT(0, ret);
	for (i = 0; i < ret; i++) {
		EXPECT_EQ(MSG_LEN, s->x[i].info.len);
		EXPECT_EQ(0, check_fill(s->buf[i], MSG_LEN, i + 1)) TH_LOG("message %ld", i);
	}
	expect_queued(_metadata, s, NR_BATCH - (ret > 0 ? ret : 0));
}

/*
 * The step's packed messages @from..@to - 1 are what is queued on @ch, in
 * order: take them and check each.
 */
static void expect_packed_queued(struct __test_metadata *_metadata, struct step *s,
				 unsigned int from, unsigned int to)
{
	char buf[2 * PK_MAX_LEN];
	unsigned int i;

	expect_queued(_metadata, s, to - from);
	for (i = from; i < to; i++) {
		EXPECT_EQ((ssize_t)s->pk_lens[i],
			  kipc_recv(s->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK))
			TH_LOG("message %u", i);
		EXPECT_EQ(0, check_fill(buf, s->pk_lens[i], i + 1)) TH_LOG("message %u", i);
	}
}

/* @ret messages queued, the first @ret of the step's, in order. */
static void k_sent_packed(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0) {
		EXPECT_LT(0, ret);
		EXPECT_GE((long)s->pk_nr, ret);
	}
	expect_packed_queued(_metadata, s, 0, ret > 0 && ret <= (long)s->pk_nr ? ret : 0);
}

/*
 * @ret records at @pk, the first @ret messages in order (zero padding,
 * no handles); the rest still queued, in order.
 */
static void k_received_packed(struct __test_metadata *_metadata, struct step *s, long ret)
{
	const struct kipc_msg_info *info;
	const unsigned char *data, *end;
	const void *payload;
	ssize_t off = 0;
	long i;

	if (ret >= 0) {
		EXPECT_LT(0, ret);
		EXPECT_GE((long)s->pk_nr, ret);
	}
	for (i = 0; i < ret && i < (long)s->pk_nr; i++) {
		off = kipc_packed_next(s->pk, s->p.len, off, &info, &payload);
		ASSERT_LE(0, off) TH_LOG("record %ld", i);
		data = payload;
		EXPECT_EQ(s->pk_lens[i], info->len) TH_LOG("record %ld", i);
		EXPECT_EQ(0, info->nr_handles);
		EXPECT_EQ(0, info->flags);
		EXPECT_EQ(0, info->prio);
		if (info->len != s->pk_lens[i])
			continue;
		EXPECT_EQ(0, check_fill(data, info->len, i + 1)) TH_LOG("record %ld", i);
		end = (const unsigned char *)s->pk + off;
		EXPECT_EQ(KIPC_PACKED_PAD(info->len), (__u64)(end - data)) TH_LOG("record %ld", i);
		for (data += info->len; data < end; data++)
			EXPECT_EQ(0, *data) TH_LOG("record %ld: padding", i);
	}
	expect_packed_queued(_metadata, s, ret > 0 && ret <= (long)s->pk_nr ? ret : 0, s->pk_nr);
}

static void k_sent_ref(struct __test_metadata *_metadata, struct step *s, long ret)
{
	expect_queued(_metadata, s, ret >= 0);
	EXPECT_EQ(ret >= 0, region_stat(s->shm).nr_refs);
}

static void k_received_ref(struct __test_metadata *_metadata, struct step *s, long ret)
{
	expect_queued(_metadata, s, ret < 0);
	EXPECT_EQ(ret < 0, region_stat(s->shm).nr_refs);
	if (ret >= 0) {
		EXPECT_EQ(REGION_LEN, s->rx.len);
		EXPECT_EQ(region_stat(s->shm).id, region_stat(s->fd).id);
	}
}

static void k_mapped(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret >= 0, region_stat(s->shm).nr_maps);
}

static void k_unmapped(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret < 0, region_stat(s->shm).nr_maps);
}

static void k_touched(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(0x5a, *(volatile unsigned char *)s->map);
	EXPECT_EQ(1, region_stat(s->shm).nr_maps);
}

static void k_chan_pair(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(ret >= 0, global_stat().nr_chans - s->st.g.nr_chans);
	if (ret < 0)
		return;
	EXPECT_EQ(0, ret);
	EXPECT_EQ(O_RDONLY, fcntl(s->pfds[0], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_WRONLY, fcntl(s->pfds[1], F_GETFL) & O_ACCMODE);
	EXPECT_EQ(5, kipc_send(s->pfds[1], "pair!", 5, KIPC_NONBLOCK));
	EXPECT_EQ(5, kipc_recv(s->pfds[0], s->buf[0], MSG_LEN, NULL, KIPC_NONBLOCK));
}

static void k_reopen(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret < 0)
		return;
	EXPECT_EQ(O_WRONLY, fcntl(s->fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(5, kipc_send(s->fd, "again", 5, KIPC_NONBLOCK));
	expect_queued(_metadata, s, 1);
}

/* Do @fds hold, in order, a file like @s->sfds' (same inode)? */
static int same_files(const struct step *s, const int *fds)
{
	struct stat a, b;
	int i;

	for (i = 0; i < NR_HANDLES; i++)
		if (fds[i] < 0 || fstat(fds[i], &a) || fstat(s->sfds[i], &b) ||
		    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			return 0;
	return 1;
}

static void k_sent_handles(struct __test_metadata *_metadata, struct step *s, long ret)
{
	unsigned int n = NR_HANDLES;
	int fds[NR_HANDLES] = { -1, -1 }, i;

	expect_queued(_metadata, s, ret >= 0);
	if (ret < 0)
		return;
	EXPECT_EQ(MSG_LEN, ret);
	EXPECT_EQ(MSG_LEN, kipc_recv_handles(s->ch, s->buf[1], MSG_LEN, fds, &n, NULL,
					     KIPC_NONBLOCK));
	EXPECT_EQ(NR_HANDLES, n);
	EXPECT_TRUE(same_files(s, fds));
	for (i = 0; i < NR_HANDLES; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static void k_received_handles(struct __test_metadata *_metadata, struct step *s, long ret)
{
	expect_queued(_metadata, s, ret < 0);
	if (ret < 0) {
		EXPECT_EQ(-1, s->hfds[0]);
		EXPECT_EQ(-1, s->hfds[1]);
		return;
	}
	EXPECT_EQ(MSG_LEN, ret);
	EXPECT_EQ(NR_HANDLES, s->x[0].nfds);
	EXPECT_EQ(NR_HANDLES, s->x[0].info.nr_handles);
	EXPECT_EQ(0, check_fill(s->buf[0], MSG_LEN, 1));
	EXPECT_TRUE(same_files(s, s->hfds));
}

static void k_global_stat(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_EQ(global_stat().nr_chans, s->st.g.nr_chans);
}

static void k_version(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_EQ(KIPC_ABI_VERSION, s->st.v.abi_version);
}

static void k_chan_stat(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_EQ(1, s->st.cs.nr_msgs);
	expect_queued(_metadata, s, 1);
}

static void k_shm_stat(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_EQ(REGION_LEN, s->st.ss.length);
}

static void k_list(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_LE(1, ret);	/* the step's channel at least */
}

static void k_poll(struct __test_metadata *_metadata, struct step *s, long ret)
{
	if (ret >= 0)
		EXPECT_EQ(POLLIN | POLLOUT, ret & (POLLIN | POLLOUT));
	expect_queued(_metadata, s, 1);
}

static void k_closed(struct __test_metadata *_metadata, struct step *s, long ret)
{
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, global_stat().nr_chans - s->st.g.nr_chans);
	EXPECT_EQ(0, global_stat().nr_msgs);
}

/* ---- the sweep --------------------------------------------------------- */

static int nth_fd = -1;

/* Make the next @n-th fault-injection point of this thread fail. */
static int arm(int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", n);
	return pwrite(nth_fd, buf, strlen(buf), 0) > 0 ? 0 : -errno;
}

/*
 * Disarm; was the failure still to come (the call made fewer than n
 * injection points)? Reading fail-nth copies to user memory, which counts
 * too: if the count was left at 1, the read itself fails (EFAULT).
 */
static int disarm(void)
{
	char buf[16] = "";
	int unspent = pread(nth_fd, buf, sizeof(buf) - 1, 0) < 0 || atoi(buf) != 0;

	pwrite(nth_fd, "0", 1, 0);	/* may fail as the read did; then it is 0 */
	return unspent;
}

/* The lengths of the NR_PK messages of a packed call: small, varied. */
static const unsigned int pk_small[NR_PK] = { 1, 8, 100, 13, 64 };

static int setup_step(struct step *s, const struct call *c)
{
	unsigned int i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->ch = s->shm = s->fd = -1;
	s->pfds[0] = s->pfds[1] = -1;
	for (ret = 0; ret < NR_HANDLES; ret++)
		s->hfds[ret] = s->sfds[ret] = -1;
	s->ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (s->ctl < 0)
		return -errno;
	s->st.g = global_stat();
	make_name(s->name, sizeof(s->name), c->name);
	if (c->needs & N_CHAN) {
		s->ch = kipc_chan_open(c->needs & N_NAMED ? s->name : NULL,
				       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
		if (s->ch < 0)
			return s->ch;
	}
	if (c->needs & N_SHM) {
		s->shm = kipc_shm_open(c->needs & N_NAMED ? s->name : NULL,
				       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, REGION_LEN);
		if (s->shm < 0)
			return s->shm;
	}
	if (c->needs & N_HMSG) {
		/* a memfd and a region: the files a message carries */
		s->sfds[0] = memfd_create("failnth", MFD_CLOEXEC);
		if (s->sfds[0] < 0)
			return -errno;
		s->sfds[1] = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, 4096);
		if (s->sfds[1] < 0)
			return s->sfds[1];
	}
	if ((c->needs & N_HMSG) && (c->needs & N_MSG)) {
		fill(s->buf[0], MSG_LEN, 1);
		ret = kipc_send_handles(s->ch, s->buf[0], MSG_LEN, s->sfds, NR_HANDLES,
					KIPC_NONBLOCK);
		if (ret != MSG_LEN)
			return ret < 0 ? ret : -EIO;
	} else if (c->needs & N_MSG) {
		fill(s->buf[0], MSG_LEN, 1);
		ret = kipc_send(s->ch, s->buf[0], MSG_LEN, KIPC_NONBLOCK);
		if (ret != MSG_LEN)
			return ret < 0 ? ret : -EIO;
	}
	if (c->needs & N_MSGS) {
		prep_batch(s, 1);
		ret = xioctl(s->ch, KIPC_IOC_SEND_BATCH, &s->b);
		if (ret != NR_BATCH)
			return ret < 0 ? ret : -EIO;
	}
	s->pk_nr = c->needs & N_BIG ? NR_PK_BIG : NR_PK;
	for (i = 0; i < s->pk_nr; i++)
		s->pk_lens[i] = c->needs & N_BIG ? 100 + i * 13 % 41 : pk_small[i];
	for (i = 0; (c->needs & N_PMSGS) && i < s->pk_nr; i++) {
		fill(s->pk, s->pk_lens[i], i + 1);
		ret = kipc_send(s->ch, s->pk, s->pk_lens[i], KIPC_NONBLOCK);
		if (ret != (int)s->pk_lens[i])
			return ret < 0 ? ret : -EIO;
	}
	if (c->needs & N_REF) {
		ret = kipc_send_ref(s->ch, s->shm, 0, REGION_LEN, KIPC_NONBLOCK);
		if (ret < 0)
			return ret;
	}
	if (c->needs & N_MAP) {
		s->map = mmap(NULL, REGION_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, s->shm, 0);
		if (s->map == MAP_FAILED) {
			s->map = NULL;
			return -errno;
		}
	}
	if (c->needs & N_RING) {
		ret = kipc_ring_init(&s->ring, 4, 0);
		if (ret)
			return ret;
		s->have_ring = 1;
	}
	return 0;
}

static void teardown_step(struct step *s, const struct call *c)
{
	int i;

	if (s->have_ring)
		kipc_ring_exit(&s->ring);
	if (s->map)
		munmap(s->map, REGION_LEN);
	if (s->fd >= 0 && s->fd != s->ctl)
		close(s->fd);
	if (s->ch >= 0)
		close(s->ch);
	if (s->shm >= 0)
		close(s->shm);
	for (i = 0; i < NR_HANDLES; i++) {
		if (s->hfds[i] >= 0)
			close(s->hfds[i]);
		if (s->sfds[i] >= 0)
			close(s->sfds[i]);
		if (s->pfds[i] >= 0)
			close(s->pfds[i]);
	}
	kipc_chan_unlink(s->name);
	kipc_shm_unlink(s->name);
	if (s->ctl >= 0)
		close(s->ctl);
}

/* Drop CAP_SYS_RESOURCE from the effective set: root is held to quotas. */
static int drop_sys_resource(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective &= ~CAP_TO_MASK(CAP_SYS_RESOURCE);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/*
 * With root's quotas set to exactly one channel, one region of REGION_LEN
 * and one small message, and CAP_SYS_RESOURCE dropped (in a child), does
 * exactly that fit, and nothing more? 0 if so: no charge is left on
 * root's accounts. Else a code saying which step went wrong.
 */
static int quota_probe(void)
{
	const char *p[] = { "user_max_objects", "user_max_region_bytes",
			    "user_max_queued_bytes" };
	long long saved[3], want[3] = { 2, REGION_LEN, MSG_OVERHEAD + SMALL_ROOM };
	int i, ret = 0, ch, shm;
	char buf[MSG_LEN] = "";
	pid_t pid;

	for (i = 0; i < 3; i++) {
		saved[i] = read_param(p[i]);
		if (saved[i] < 0 || write_param(p[i], want[i]))
			ret = 10 + i;
	}
	pid = ret ? -1 : fork();
	if (!pid) {
		if (drop_sys_resource())
			_exit(1);
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		if (ch < 0)
			_exit(2);
		shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, REGION_LEN);
		if (shm < 0)
			_exit(3);
		if (kipc_send(ch, buf, MSG_LEN, KIPC_NONBLOCK) != MSG_LEN)
			_exit(4);
		if (kipc_send(ch, buf, MSG_LEN, KIPC_NONBLOCK) != -EDQUOT)
			_exit(5);
		if (kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL) != -EDQUOT)
			_exit(6);
		_exit(0);
	}
	if (pid > 0)
		ret = wait_child(pid);
	for (i = 0; i < 3; i++)
		if (saved[i] >= 0)
			write_param(p[i], saved[i]);
	return ret;
}

/* Every N from 1 until the call makes fewer than N injection points. */
static void sweep(struct __test_metadata *_metadata, const struct call *c)
{
	struct kipc_global_stat g0 = global_stat(), g;
	int fds0 = count_fds(), n, unspent, failed = 0, quota0 = quota_probe();
	struct step s;
	long ret;

	for (n = 1; n < MAX_NTH; n++) {
		ASSERT_EQ(0, setup_step(&s, c)) TH_LOG("%s: setup at fail-nth %d", c->name, n);
		ASSERT_EQ(0, arm(n));
		ret = c->call(&s);
		unspent = disarm();
		if (s.ring_pending)
			ret = ring_result(&s);
		if (ret < 0) {
			failed++;
			EXPECT_TRUE(ret == -ENOMEM || ret == -EFAULT ||
				    (c->uring && ret == -EAGAIN))
				TH_LOG("%s: fail-nth %d: %s", c->name, n, strerror(-ret));
		}
		c->check(_metadata, &s, ret);
		teardown_step(&s, c);
		g = global_stat();
		EXPECT_EQ(g0.nr_chans, g.nr_chans) TH_LOG("%s: fail-nth %d", c->name, n);
		EXPECT_EQ(g0.nr_regions, g.nr_regions) TH_LOG("%s: fail-nth %d", c->name, n);
		EXPECT_EQ(g0.nr_msgs, g.nr_msgs) TH_LOG("%s: fail-nth %d", c->name, n);
		EXPECT_EQ(g0.bytes_queued, g.bytes_queued) TH_LOG("%s: fail-nth %d", c->name, n);
		EXPECT_EQ(g0.region_bytes, g.region_bytes) TH_LOG("%s: fail-nth %d", c->name, n);
		EXPECT_EQ(fds0, count_fds()) TH_LOG("%s: fail-nth %d", c->name, n);
		if (unspent) {
			EXPECT_LE(0, ret) TH_LOG("%s: fails with no failure injected", c->name);
			break;	/* fewer than n injection points: n - 1 */
		}
		if (_metadata->exit_code == KSFT_FAIL)
			break;	/* the first failing N says it all */
	}
	EXPECT_GT(MAX_NTH, n);
	if (quota0)
		TH_LOG("quota probe fails before the sweep (%d): some object of root's lives on; quotas not checked",
		       quota0);
	else
		EXPECT_EQ(0, quota_probe()) TH_LOG("%s: a quota charge is left", c->name);
	ksft_print_msg("failpoints: %-16s %3d (%d of them fail the call)\n", c->name, n - 1,
		       failed);
}

FIXTURE(failnth) {
	char saved[NR_KNOBS][32];
	int armed;
};

FIXTURE_VARIANT(failnth) {
	struct call c;
};

#define CALL(_name, _needs, _check, ...)				\
	FIXTURE_VARIANT_ADD(failnth, _name) {				\
		.c = { .name = #_name, .needs = _needs, .call = c_##_name,	\
		       .check = _check, __VA_ARGS__ },			\
	}

CALL(dev_open, 0, k_fd);
CALL(chan_create, 0, k_chan_create);
CALL(chan_open, N_CHAN | N_NAMED, k_fd);
CALL(chan_unlink, N_CHAN | N_NAMED, k_chan_unlink);
CALL(shm_create, 0, k_shm_create);
CALL(shm_open, N_SHM | N_NAMED, k_fd);
CALL(shm_unlink, N_SHM | N_NAMED, k_shm_unlink);
CALL(send, N_CHAN, k_sent);
CALL(write, N_CHAN, k_sent);
CALL(recv, N_CHAN | N_MSG, k_received);
CALL(read, N_CHAN | N_MSG, k_received);
CALL(sendv, N_CHAN, k_sent);
CALL(writev, N_CHAN, k_sent);
CALL(recvv, N_CHAN | N_MSG, k_received);
CALL(readv, N_CHAN | N_MSG, k_received);
CALL(recv_peek, N_CHAN | N_MSG, k_peeked);
CALL(recv_discard, N_CHAN | N_MSG, k_discarded);
CALL(send_batch, N_CHAN, k_sent_batch);
CALL(recv_batch, N_CHAN | N_MSGS, k_received_batch);
CALL(send_ref, N_CHAN | N_SHM, k_sent_ref);
CALL(recv_ref, N_CHAN | N_SHM | N_REF, k_received_ref);
CALL(mmap, N_SHM, k_mapped);
CALL(touch, N_SHM | N_MAP, k_touched);
CALL(munmap, N_SHM | N_MAP, k_unmapped);
CALL(global_stat, 0, k_global_stat);
CALL(version, 0, k_version);
CALL(chan_stat, N_CHAN | N_MSG, k_chan_stat);
CALL(shm_stat, N_SHM, k_shm_stat);
CALL(list, N_CHAN, k_list);
CALL(poll, N_CHAN | N_MSG, k_poll);
CALL(ring_send, N_CHAN | N_RING, k_sent, .uring = 1);
CALL(ring_recv, N_CHAN | N_MSG | N_RING, k_received, .uring = 1);
CALL(ring_send_batch, N_CHAN | N_RING, k_sent_batch, .uring = 1);
CALL(ring_recv_batch, N_CHAN | N_MSGS | N_RING, k_received_batch, .uring = 1);
CALL(send_packed, N_CHAN, k_sent_packed);
CALL(recv_packed, N_CHAN | N_PMSGS, k_received_packed);
CALL(send_packed_big, N_CHAN | N_BIG, k_sent_packed);
CALL(recv_packed_big, N_CHAN | N_PMSGS | N_BIG, k_received_packed);
CALL(ring_send_packed, N_CHAN | N_RING, k_sent_packed, .uring = 1);
CALL(ring_recv_packed, N_CHAN | N_PMSGS | N_RING, k_received_packed, .uring = 1);
CALL(ring_send_packed_big, N_CHAN | N_BIG | N_RING, k_sent_packed, .uring = 1);
CALL(ring_recv_packed_big, N_CHAN | N_PMSGS | N_BIG | N_RING, k_received_packed, .uring = 1);
CALL(close, N_CHAN | N_MSG, k_closed);
CALL(chan_pair, 0, k_chan_pair);
CALL(reopen, N_CHAN, k_reopen);
CALL(send_handles, N_CHAN | N_HMSG, k_sent_handles);
CALL(recv_handles, N_CHAN | N_HMSG | N_MSG, k_received_handles);

FIXTURE_SETUP(failnth)
{
	size_t i;
	char *v;

	self->armed = 0;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid())
		SKIP(return, "fault injection needs root");
	if (access("/proc/thread-self/fail-nth", W_OK))
		SKIP(return, "no /proc/thread-self/fail-nth (needs CONFIG_FAULT_INJECTION)");
	for (i = 0; i < NR_KNOBS; i++) {
		v = slurp(knobs[i].path);
		if (!v)
			SKIP(return, "no %s (needs FAULT_INJECTION_DEBUG_FS, FAILSLAB, FAIL_PAGE_ALLOC, FAULT_INJECTION_USERCOPY)",
			     knobs[i].path);
		snprintf(self->saved[i], sizeof(self->saved[i]), "%s", v);
		free(v);
	}
	if (variant->c.uring) {
		struct io_uring ring;
		int ret = kipc_ring_init(&ring, 4, 0);

		if (ret == -ENOSYS || ret == -EPERM)
			SKIP(return, "io_uring unavailable here: %s", strerror(-ret));
		ASSERT_EQ(0, ret);
		kipc_ring_exit(&ring);
	}
	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, write_file("", knobs[i].path, knobs[i].val)) TH_LOG("knob %zu", i);
	self->armed = 1;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);
}

FIXTURE_TEARDOWN(failnth)
{
	size_t i;

	if (nth_fd >= 0)
		close(nth_fd);
	nth_fd = -1;
	for (i = 0; self->armed && i < NR_KNOBS; i++)
		write_file("", knobs[i].path, self->saved[i]);
}

TEST_F_TIMEOUT(failnth, sweep, 120)
{
	sweep(_metadata, &variant->c);
}

/* quota_probe() sees a charge left on root's account: a region held. */
TEST(quota_probe_sees_a_charge)
{
	int shm;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() || read_param("user_max_objects") < 0)
		SKIP(return, "needs root and the kipc module parameters");
	if (quota_probe())
		SKIP(return, "some object of root's lives on: the probe cannot fit");
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	ASSERT_LE(0, shm);
	EXPECT_NE(0, quota_probe());
	ASSERT_EQ(0, close(shm));
	EXPECT_EQ(0, quota_probe());
}

TEST_HARNESS_MAIN
