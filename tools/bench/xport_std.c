// SPDX-License-Identifier: GPL-2.0
/*
 * The standard Linux IPC transports kipc is compared with:
 *
 *   pipe            pipe2(), F_SETPIPE_SZ to --pipe-size (default 1 MiB,
 *                   the most an unprivileged process may ask for)
 *   unix-stream     socketpair(AF_UNIX, SOCK_STREAM), default buffers
 *   unix-seqpacket  socketpair(AF_UNIX, SOCK_SEQPACKET); SO_SNDBUF(FORCE)
 *                   raised so a window of messages fits
 *   posix-mq        mq_open(), depth = window, msgsize = the message size
 *   sysv-msg        msgget(IPC_PRIVATE), msg_qbytes = window * size
 *   eventfd-shm     a ring of slots in MAP_SHARED memory, two eventfds per
 *                   lane (items, spaces) for the signalling
 *   tcp-lo          TCP over 127.0.0.1, TCP_NODELAY
 *   pvm-readv       the producer writes into its own private memory and
 *                   passes a token over a pipe; the consumer copies the
 *                   payload out with process_vm_readv() and returns a
 *                   credit over another pipe
 *
 * Stream transports carry a fixed message size per cell, so no framing
 * is needed: the receiver reads exactly that many bytes. Sizes a
 * transport cannot carry are reported as n/a with the limit that stopped
 * it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * State shared by the fd-based transports: per lane a writer fd and a
 * reader fd (the same socket for both directions of a socket pair), and
 * this process's private buffers.
 */
struct fdx {
	int wr[2], rd[2];	/* [lane] */
	void *txbuf, *rxbuf;
	size_t hdr;		/* bytes before the payload in the buffers (sysv) */
};

static struct fdx *fdx_new(struct cell *c)
{
	struct fdx *x = calloc(1, sizeof(*x));

	if (x) {
		x->wr[0] = x->wr[1] = x->rd[0] = x->rd[1] = -1;
		c->priv = x;
	}
	return x;
}

/* Keep the writer end of our tx lane and the reader end of our rx lane. */
static int fdx_attach(struct cell *c)
{
	struct fdx *x = c->priv;
	int l;

	for (l = 0; l < 2; l++) {
		if (l == tx_lane(c) && l < nr_lanes(c))
			close_fd(&x->rd[l]);
		else if (l == rx_lane(c) && l < nr_lanes(c))
			close_fd(&x->wr[l]);
	}
	x->txbuf = buf_alloc(x->hdr + c->size);
	x->rxbuf = buf_alloc(x->hdr + c->size);
	if (!x->txbuf || !x->rxbuf)
		return xp_fail(c, -ENOMEM, "buffers");
	return 0;
}

static int fdx_tx_buf(struct cell *c, void **buf)
{
	struct fdx *x = c->priv;

	*buf = (char *)x->txbuf + x->hdr;
	return 0;
}

static int fdx_send_stream(struct cell *c, size_t len)
{
	struct fdx *x = c->priv;
	int ret = write_full(x->wr[tx_lane(c)], x->txbuf, len);

	return ret ? xp_fail(c, ret, "write") : 0;
}

static int fdx_recv_stream(struct cell *c, size_t len, const void **data)
{
	struct fdx *x = c->priv;
	int ret = read_full(x->rd[rx_lane(c)], x->rxbuf, len);

	if (ret)
		return xp_fail(c, ret, ret == -EPIPE ? "read (peer closed)" : "read");
	*data = x->rxbuf;
	return 0;
}

static void fdx_teardown(struct cell *c)
{
	struct fdx *x = c->priv;
	int l;

	if (!x)
		return;
	for (l = 0; l < 2; l++) {
		/* A socket pair has the same fd in both slots: close once. */
		if (x->rd[l] == x->wr[l])
			x->rd[l] = -1;
		close_fd(&x->wr[l]);
		close_fd(&x->rd[l]);
	}
	buf_free(x->txbuf, x->hdr + c->size);
	buf_free(x->rxbuf, x->hdr + c->size);
	free(x);
	c->priv = NULL;
}

/* ------------------------------------------------------------------ pipe */

static int pipe_setup(struct cell *c)
{
	struct fdx *x = fdx_new(c);
	int l, p[2];

	if (!x)
		return xp_fail(c, -ENOMEM, "calloc");
	for (l = 0; l < nr_lanes(c); l++) {
		if (pipe2(p, O_CLOEXEC))
			return xp_fail(c, -errno, "pipe2");
		x->rd[l] = p[0];
		x->wr[l] = p[1];
		/* Best effort: an unprivileged process may be capped lower. */
		if (opt.pipe_size)
			fcntl(p[1], F_SETPIPE_SZ, (int)opt.pipe_size);
	}
	return 0;
}

const struct xport xp_pipe = {
	.name = "pipe",
	.label = "pipe(2), F_SETPIPE_SZ --pipe-size",
	.setup = pipe_setup,
	.attach = fdx_attach,
	.tx_buf = fdx_tx_buf,
	.send = fdx_send_stream,
	.recv = fdx_recv_stream,
	.teardown = fdx_teardown,
};

/* --------------------------------------------------------- socket pairs */

/*
 * One connected pair carries both lanes: A uses sv[0], B uses sv[1].
 * fdx slots: lane 0 writer = A's socket, reader = B's; lane 1 the reverse.
 */
static void pair_to_lanes(struct fdx *x, const int sv[2])
{
	x->wr[0] = sv[0];
	x->rd[0] = sv[1];
	x->wr[1] = sv[1];
	x->rd[1] = sv[0];
}

static int pair_attach(struct cell *c)
{
	struct fdx *x = c->priv;
	int mine = c->side == SIDE_A ? x->wr[0] : x->rd[0];
	int theirs = c->side == SIDE_A ? x->rd[0] : x->wr[0];

	close(theirs);
	x->wr[0] = x->rd[0] = x->wr[1] = x->rd[1] = mine;
	x->txbuf = buf_alloc(c->size);
	x->rxbuf = buf_alloc(c->size);
	if (!x->txbuf || !x->rxbuf)
		return xp_fail(c, -ENOMEM, "buffers");
	return 0;
}

static void pair_teardown(struct cell *c)
{
	struct fdx *x = c->priv;

	/* After attach all four slots name one fd; before it, two fds. */
	if (x && x->wr[0] != x->rd[0]) {
		close_fd(&x->wr[0]);
		close_fd(&x->rd[0]);
	} else if (x) {
		close_fd(&x->wr[0]);
	}
	if (x)
		x->wr[0] = x->wr[1] = x->rd[0] = x->rd[1] = -1;
	fdx_teardown(c);
}

static int ustream_setup(struct cell *c)
{
	struct fdx *x = fdx_new(c);
	int sv[2];

	if (!x)
		return xp_fail(c, -ENOMEM, "calloc");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return xp_fail(c, -errno, "socketpair");
	pair_to_lanes(x, sv);
	return 0;
}

const struct xport xp_unix_stream = {
	.name = "unix-stream",
	.label = "socketpair(AF_UNIX, SOCK_STREAM), default buffers",
	.setup = ustream_setup,
	.attach = pair_attach,
	.tx_buf = fdx_tx_buf,
	.send = fdx_send_stream,
	.recv = fdx_recv_stream,
	.teardown = pair_teardown,
};

/* Make room for @want bytes of datagrams in @fd's send buffer, if allowed. */
static int grow_sndbuf(int fd, size_t want)
{
	int cur = 0, val;
	socklen_t sl = sizeof(cur);

	if (want > (1ul << 30))
		want = 1ul << 30;
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	if ((size_t)cur >= want)
		return cur;
	val = (int)(want / 2);	/* the kernel doubles it */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val));
	sl = sizeof(cur);
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	if ((size_t)cur < want) {
		/* CAP_NET_ADMIN may exceed net.core.wmem_max. */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &val, sizeof(val));
		sl = sizeof(cur);
		getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	}
	return cur;
}

static int useq_setup(struct cell *c)
{
	struct fdx *x = fdx_new(c);
	size_t want = (size_t)c->window * (c->size + 4096);
	int sv[2], i, buf;
	void *probe;
	ssize_t n;

	if (!x)
		return xp_fail(c, -ENOMEM, "calloc");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return xp_fail(c, -errno, "socketpair");
	pair_to_lanes(x, sv);
	for (i = 0; i < 2; i++) {
		buf = grow_sndbuf(sv[i], want);
		/* unix_dgram_sendmsg(): len > sk_sndbuf - 32 is EMSGSIZE. */
		if ((size_t)buf < c->size + 32)
			return xp_na(c, "datagram above SO_SNDBUF (%d; CAP_NET_ADMIN for SO_SNDBUFFORCE)",
				     buf);
	}
	/* The kernel may still refuse one datagram this big (linear skb). */
	probe = buf_alloc(c->size);
	if (!probe)
		return xp_fail(c, -ENOMEM, "probe buffer");
	n = send(sv[0], probe, c->size, MSG_DONTWAIT);
	if (n < 0) {
		int err = errno;

		buf_free(probe, c->size);
		if (err == EMSGSIZE || err == ENOBUFS || err == ENOMEM)
			return xp_na(c, "the kernel refuses a %zu-byte datagram: %s", c->size,
				     strerror(err));
		return xp_fail(c, -err, "send (probe)");
	}
	n = recv(sv[1], probe, c->size, MSG_DONTWAIT);
	buf_free(probe, c->size);
	if (n != (ssize_t)c->size)
		return xp_fail(c, n < 0 ? -errno : -EPROTO, "recv (probe)");
	return 0;
}

static int useq_send(struct cell *c, size_t len)
{
	struct fdx *x = c->priv;
	ssize_t n;

	do
		n = send(x->wr[tx_lane(c)], x->txbuf, len, 0);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "send");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "send: %zd of %zu bytes", n, len);
	return 0;
}

static int useq_recv(struct cell *c, size_t len, const void **data)
{
	struct fdx *x = c->priv;
	ssize_t n;

	do
		n = recv(x->rd[rx_lane(c)], x->rxbuf, c->size, 0);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "recv");
	if ((size_t)n != len)
		return xp_fail(c, n ? -EPROTO : -EPIPE, "recv: %zd bytes, expected %zu", n, len);
	*data = x->rxbuf;
	return 0;
}

const struct xport xp_unix_seqpacket = {
	.name = "unix-seqpacket",
	.label = "socketpair(AF_UNIX, SOCK_SEQPACKET), SO_SNDBUF for the window",
	.setup = useq_setup,
	.attach = pair_attach,
	.tx_buf = fdx_tx_buf,
	.send = useq_send,
	.recv = useq_recv,
	.teardown = pair_teardown,
};

/* ---------------------------------------------------------------- tcp-lo */

static int tcp_setup(struct cell *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct fdx *x = fdx_new(c);
	int ls, sv[2] = { -1, -1 }, one = 1, err;

	if (!x)
		return xp_fail(c, -ENOMEM, "calloc");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return xp_na(c, "no IPv4 sockets: %s", strerror(errno));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl)) {
		err = errno;
		close(ls);
		return xp_na(c, "127.0.0.1: %s (loopback down?)", strerror(err));
	}
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(ls);
		if (sv[0] >= 0)
			close(sv[0]);
		return xp_na(c, "connect 127.0.0.1: %s", strerror(err));
	}
	sv[1] = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	err = errno;
	close(ls);
	if (sv[1] < 0) {
		close(sv[0]);
		return xp_fail(c, -err, "accept4");
	}
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pair_to_lanes(x, sv);
	return 0;
}

const struct xport xp_tcp = {
	.name = "tcp-lo",
	.label = "TCP over 127.0.0.1, TCP_NODELAY, default buffers",
	.setup = tcp_setup,
	.attach = pair_attach,
	.tx_buf = fdx_tx_buf,
	.send = fdx_send_stream,
	.recv = fdx_recv_stream,
	.teardown = pair_teardown,
};

/* -------------------------------------------------------------- posix-mq */

#define MQ_HARD_MSGSIZEMAX	(16 * MIB)	/* ipc/mqueue.c HARD_MSGSIZEMAX */

static int pmq_setup(struct cell *c)
{
	struct fdx *x = fdx_new(c);
	long msg_max = read_sysctl("/proc/sys/fs/mqueue/msg_max");
	long size_max = read_sysctl("/proc/sys/fs/mqueue/msgsize_max");
	struct mq_attr attr = { 0 };
	char name[64];
	int l, q;

	if (!x)
		return xp_fail(c, -ENOMEM, "calloc");
	if (c->size > MQ_HARD_MSGSIZEMAX)
		return xp_na(c, "above the kernel's hard mq_msgsize limit (16 MiB)");
	if (size_max >= 0 && c->size > (size_t)size_max)
		return xp_na(c, "above fs.mqueue.msgsize_max=%ld (root: --raise-limits)", size_max);
	/* A smaller depth is still a fair queue: shrink the window to fit. */
	if (msg_max > 0 && c->window > (unsigned long)msg_max)
		c->window = (unsigned int)msg_max;
	attr.mq_maxmsg = c->window;
	attr.mq_msgsize = (long)(c->size ? c->size : 1);
	for (l = 0; l < nr_lanes(c); l++) {
		snprintf(name, sizeof(name), "/kipc-bench.%d.%d", (int)getpid(), l);
		q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
		if (q < 0) {
			int err = errno;

			if (err == ENOSYS)
				return xp_na(c, "no POSIX message queues in this kernel");
			if (err == EMFILE || err == ENOMEM || err == EINVAL)
				return xp_na(c, "mq_open(maxmsg %ld, msgsize %ld): %s (RLIMIT_MSGQUEUE / fs.mqueue limits)",
					     attr.mq_maxmsg, attr.mq_msgsize, strerror(err));
			return xp_fail(c, -err, "mq_open");
		}
		mq_unlink(name);
		x->rd[l] = q;
		x->wr[l] = dup(q);
		if (x->wr[l] < 0)
			return xp_fail(c, -errno, "dup");
	}
	return 0;
}

static int pmq_send(struct cell *c, size_t len)
{
	struct fdx *x = c->priv;
	int ret;

	do
		ret = mq_send(x->wr[tx_lane(c)], x->txbuf, len, 0) ? -errno : 0;
	while (eintr_retry(ret));
	return ret ? xp_fail(c, ret, "mq_send") : 0;
}

static int pmq_recv(struct cell *c, size_t len, const void **data)
{
	struct fdx *x = c->priv;
	ssize_t n;

	do
		n = mq_receive(x->rd[rx_lane(c)], x->rxbuf, c->size ? c->size : 1, NULL);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "mq_receive");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "mq_receive: %zd bytes, expected %zu", n, len);
	*data = x->rxbuf;
	return 0;
}

const struct xport xp_posix_mq = {
	.name = "posix-mq",
	.label = "POSIX message queue, depth = window (fs.mqueue limits raised when root)",
	.setup = pmq_setup,
	.attach = fdx_attach,
	.tx_buf = fdx_tx_buf,
	.send = pmq_send,
	.recv = pmq_recv,
	.teardown = fdx_teardown,
};

/* -------------------------------------------------------------- sysv-msg */

/*
 * The queue id goes in both fdx slots of its lane (it is not an fd: the
 * teardown removes the queues instead of closing).
 */
struct sysvx {
	struct fdx x;
	int q[2];
};

static int sysv_setup(struct cell *c)
{
	long msgmax = read_sysctl("/proc/sys/kernel/msgmax");
	struct sysvx *s = calloc(1, sizeof(*s));
	struct msqid_ds ds;
	size_t want;
	int l;

	if (!s)
		return xp_fail(c, -ENOMEM, "calloc");
	s->x.wr[0] = s->x.wr[1] = s->x.rd[0] = s->x.rd[1] = -1;
	s->x.hdr = sizeof(long);
	s->q[0] = s->q[1] = -1;
	c->priv = s;
	if (msgmax >= 0 && c->size > (size_t)msgmax)
		return xp_na(c, "above kernel.msgmax=%ld (root: --raise-limits)", msgmax);
	for (l = 0; l < nr_lanes(c); l++) {
		s->q[l] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (s->q[l] < 0)
			return xp_fail(c, -errno, "msgget");
		if (msgctl(s->q[l], IPC_STAT, &ds))
			return xp_fail(c, -errno, "msgctl(IPC_STAT)");
		want = (size_t)c->window * (c->size ? c->size : 1);
		if (ds.msg_qbytes < want) {
			ds.msg_qbytes = want;
			if (msgctl(s->q[l], IPC_SET, &ds)) {
				/* Above kernel.msgmnb needs CAP_SYS_RESOURCE. */
				msgctl(s->q[l], IPC_STAT, &ds);
				if (ds.msg_qbytes < c->size)
					return xp_na(c, "above the queue's msg_qbytes (%lu)",
						     (unsigned long)ds.msg_qbytes);
				c->window = (unsigned int)(ds.msg_qbytes / (c->size ? c->size : 1));
			}
		}
	}
	return 0;
}

static int sysv_attach(struct cell *c)
{
	struct sysvx *s = c->priv;
	int ret = fdx_attach(c);

	if (ret)
		return ret;
	*(long *)s->x.txbuf = 1;	/* mtype */
	return 0;
}

static int sysv_send(struct cell *c, size_t len)
{
	struct sysvx *s = c->priv;
	int ret;

	do
		ret = msgsnd(s->q[tx_lane(c)], s->x.txbuf, len, 0) ? -errno : 0;
	while (eintr_retry(ret));
	return ret ? xp_fail(c, ret, "msgsnd") : 0;
}

static int sysv_recv(struct cell *c, size_t len, const void **data)
{
	struct sysvx *s = c->priv;
	ssize_t n;

	do
		n = msgrcv(s->q[rx_lane(c)], s->x.rxbuf, c->size, 0, 0);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "msgrcv");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "msgrcv: %zd bytes, expected %zu", n, len);
	*data = (char *)s->x.rxbuf + s->x.hdr;
	return 0;
}

static void sysv_teardown(struct cell *c)
{
	struct sysvx *s = c->priv;
	int l;

	if (!s)
		return;
	for (l = 0; l < 2; l++)
		if (s->q[l] >= 0)
			msgctl(s->q[l], IPC_RMID, NULL);
	fdx_teardown(c);	/* frees s: struct fdx is its first member */
}

const struct xport xp_sysv_msg = {
	.name = "sysv-msg",
	.label = "System V message queue, msg_qbytes = window x size (kernel.msgmax raised when root)",
	.setup = sysv_setup,
	.attach = sysv_attach,
	.tx_buf = fdx_tx_buf,
	.send = sysv_send,
	.recv = sysv_recv,
	.teardown = sysv_teardown,
};

/* ----------------------------------------------------------- eventfd-shm */

struct efdx {
	int items[2], spaces[2];	/* eventfds per lane */
	char *mem;			/* MAP_SHARED: window slots per lane */
	size_t len;
	uint64_t txcount, rxcount, tx_avail, rx_avail;
};

static char *efd_slot(struct cell *c, int lane, uint64_t n)
{
	struct efdx *e = c->priv;

	return e->mem + (size_t)lane * c->window * slot_stride(c->size) +
	       (n % c->window) * slot_stride(c->size);
}

static int efd_setup(struct cell *c)
{
	struct efdx *e = calloc(1, sizeof(*e));
	int l;

	if (!e)
		return xp_fail(c, -ENOMEM, "calloc");
	e->items[0] = e->items[1] = e->spaces[0] = e->spaces[1] = -1;
	c->priv = e;
	e->len = (size_t)nr_lanes(c) * c->window * slot_stride(c->size);
	e->mem = shared_alloc(e->len);
	if (!e->mem)
		return xp_fail(c, -ENOMEM, "mmap(MAP_SHARED, %zu)", e->len);
	for (l = 0; l < nr_lanes(c); l++) {
		e->items[l] = eventfd(0, EFD_CLOEXEC);
		e->spaces[l] = eventfd(0, EFD_CLOEXEC);
		if (e->items[l] < 0 || e->spaces[l] < 0)
			return xp_fail(c, -errno, "eventfd");
	}
	e->tx_avail = c->window;
	return 0;
}

static int efd_read(struct cell *c, int fd, uint64_t *avail, const char *what)
{
	uint64_t v;
	int ret;

	while (!*avail) {
		ret = read_full(fd, &v, sizeof(v));
		if (ret && !eintr_retry(ret))
			return xp_fail(c, ret, "read(eventfd %s)", what);
		if (!ret)
			*avail += v;
	}
	return 0;
}

static int efd_post(struct cell *c, int fd, const char *what)
{
	uint64_t one = 1;
	int ret = write_full(fd, &one, sizeof(one));

	return ret ? xp_fail(c, ret, "write(eventfd %s)", what) : 0;
}

static int efd_tx_buf(struct cell *c, void **buf)
{
	struct efdx *e = c->priv;
	int ret = efd_read(c, e->spaces[tx_lane(c)], &e->tx_avail, "spaces");

	if (ret)
		return ret;
	*buf = efd_slot(c, tx_lane(c), e->txcount);
	return 0;
}

static int efd_send(struct cell *c, size_t len)
{
	struct efdx *e = c->priv;
	int ret;

	(void)len;
	ret = efd_post(c, e->items[tx_lane(c)], "items");
	if (ret)
		return ret;
	e->tx_avail--;
	e->txcount++;
	return 0;
}

static int efd_recv(struct cell *c, size_t len, const void **data)
{
	struct efdx *e = c->priv;
	int ret = efd_read(c, e->items[rx_lane(c)], &e->rx_avail, "items");

	(void)len;
	if (ret)
		return ret;
	*data = efd_slot(c, rx_lane(c), e->rxcount);
	return 0;
}

static int efd_release(struct cell *c)
{
	struct efdx *e = c->priv;
	int ret = efd_post(c, e->spaces[rx_lane(c)], "spaces");

	if (ret)
		return ret;
	e->rx_avail--;
	e->rxcount++;
	return 0;
}

static void efd_teardown(struct cell *c)
{
	struct efdx *e = c->priv;
	int l;

	if (!e)
		return;
	for (l = 0; l < 2; l++) {
		close_fd(&e->items[l]);
		close_fd(&e->spaces[l]);
	}
	if (e->mem)
		munmap(e->mem, e->len);
	free(e);
	c->priv = NULL;
}

const struct xport xp_eventfd = {
	.name = "eventfd-shm",
	.label = "ring of slots in MAP_SHARED memory, eventfd items/spaces per lane",
	.flags = XP_ZEROCOPY,
	.setup = efd_setup,
	.tx_buf = efd_tx_buf,
	.send = efd_send,
	.recv = efd_recv,
	.release = efd_release,
	.teardown = efd_teardown,
};

/* ------------------------------------------------------------- pvm-readv */

struct pvmx {
	char *slots[2];		/* [lane]: the writer's private slots, same address in both */
	size_t len;
	int tok[2][2];		/* [lane] pipe: writer -> reader, one byte per message */
	int cred[2][2];		/* [lane] pipe: reader -> writer, one byte per free slot */
	void *rxbuf;
	uint64_t txcount, rxcount, credits, tokens;
};

static int pvm_setup(struct cell *c)
{
	struct pvmx *p = calloc(1, sizeof(*p));
	int l;

	if (!p)
		return xp_fail(c, -ENOMEM, "calloc");
	memset(p->tok, -1, sizeof(p->tok));
	memset(p->cred, -1, sizeof(p->cred));
	c->priv = p;
	p->len = (size_t)c->window * slot_stride(c->size);
	for (l = 0; l < nr_lanes(c); l++) {
		p->slots[l] = mmap(NULL, p->len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p->slots[l] == MAP_FAILED) {
			p->slots[l] = NULL;
			return xp_fail(c, -ENOMEM, "mmap(%zu)", p->len);
		}
		if (pipe2(p->tok[l], O_CLOEXEC) || pipe2(p->cred[l], O_CLOEXEC))
			return xp_fail(c, -errno, "pipe2");
	}
	p->credits = c->window;
	return 0;
}

static int pvm_attach(struct cell *c)
{
	struct pvmx *p = c->priv;
	int l;

	for (l = 0; l < nr_lanes(c); l++) {
		if (l == tx_lane(c)) {
			close_fd(&p->tok[l][0]);
			close_fd(&p->cred[l][1]);
		} else {
			close_fd(&p->tok[l][1]);
			close_fd(&p->cred[l][0]);
		}
	}
	p->rxbuf = buf_alloc(c->size);
	if (!p->rxbuf)
		return xp_fail(c, -ENOMEM, "buffer");
	return 0;
}

/* Wait for at least one byte on @fd; add how many arrived to *@count. */
static int pvm_wait(struct cell *c, int fd, uint64_t *count, const char *what)
{
	char tmp[128];
	ssize_t n;

	while (!*count) {
		n = read(fd, tmp, sizeof(tmp));
		if (n > 0)
			*count += (uint64_t)n;
		else if (n == 0)
			return xp_fail(c, -EPIPE, "read(%s pipe)", what);
		else if (!eintr_retry(-errno))
			return xp_fail(c, -errno, "read(%s pipe)", what);
	}
	return 0;
}

static int pvm_tx_buf(struct cell *c, void **buf)
{
	struct pvmx *p = c->priv;
	int ret = pvm_wait(c, p->cred[tx_lane(c)][0], &p->credits, "credit");

	if (ret)
		return ret;
	*buf = p->slots[tx_lane(c)] + (p->txcount % c->window) * slot_stride(c->size);
	return 0;
}

static int pvm_send(struct cell *c, size_t len)
{
	struct pvmx *p = c->priv;
	int ret = write_full(p->tok[tx_lane(c)][1], "m", 1);

	(void)len;
	if (ret)
		return xp_fail(c, ret, "write(token pipe)");
	p->credits--;
	p->txcount++;
	return 0;
}

static int pvm_recv(struct cell *c, size_t len, const void **data)
{
	struct pvmx *p = c->priv;
	char *remote = p->slots[rx_lane(c)] + (p->rxcount % c->window) * slot_stride(c->size);
	size_t done = 0;
	ssize_t n;
	int ret;

	ret = pvm_wait(c, p->tok[rx_lane(c)][0], &p->tokens, "token");
	if (ret)
		return ret;
	while (done < len) {
		struct iovec lv = { (char *)p->rxbuf + done, len - done };
		struct iovec rv = { remote + done, len - done };

		n = process_vm_readv(c->peer, &lv, 1, &rv, 1, 0);
		if (n < 0 && eintr_retry(-errno))
			continue;
		if (n < 0 && (errno == EPERM || errno == ENOSYS)) {
			c->na = true;
			return xp_fail(c, -errno, "process_vm_readv (ptrace access to the peer)");
		}
		if (n <= 0)
			return xp_fail(c, n < 0 ? -errno : -EIO, "process_vm_readv");
		done += (size_t)n;
	}
	*data = p->rxbuf;
	return 0;
}

static int pvm_release(struct cell *c)
{
	struct pvmx *p = c->priv;
	int ret = write_full(p->cred[rx_lane(c)][1], "c", 1);

	if (ret)
		return xp_fail(c, ret, "write(credit pipe)");
	p->tokens--;
	p->rxcount++;
	return 0;
}

static void pvm_teardown(struct cell *c)
{
	struct pvmx *p = c->priv;
	int l;

	if (!p)
		return;
	for (l = 0; l < 2; l++) {
		close_fd(&p->tok[l][0]);
		close_fd(&p->tok[l][1]);
		close_fd(&p->cred[l][0]);
		close_fd(&p->cred[l][1]);
		if (p->slots[l])
			munmap(p->slots[l], p->len);
	}
	buf_free(p->rxbuf, c->size);
	free(p);
	c->priv = NULL;
}

const struct xport xp_pvm_readv = {
	.name = "pvm-readv",
	.label = "process_vm_readv() from the producer's memory, tokens and credits over pipes",
	.setup = pvm_setup,
	.attach = pvm_attach,
	.tx_buf = pvm_tx_buf,
	.send = pvm_send,
	.recv = pvm_recv,
	.release = pvm_release,
	.teardown = pvm_teardown,
};
