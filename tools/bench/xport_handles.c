// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: messages that carry a file descriptor (issue 17).
 *
 *   kipc-fd      a kipc channel pair per lane (kipc_chan_pair()); every
 *                message carries one eventfd (kipc_send_handles(),
 *                kipc_recv_handles())
 *   unix-scm-fd  socketpair(AF_UNIX, SOCK_SEQPACKET) per lane; every
 *                message carries the same eventfd as SCM_RIGHTS
 *
 * Both receivers check that exactly one fd arrived and close it, so each
 * message costs a file reference, an fd slot and a close on both rows.
 * Sizes up to 64 KiB (a datagram above SO_SNDBUF is n/a on the socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <kipc.h>

#include "bench.h"

#define FDX_MAX_SIZE	(64 * KIB)

struct hx {
	int wr[2], rd[2];	/* [lane] */
	int efd;		/* the fd every message carries */
	void *txbuf, *rxbuf;
};

static void hx_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static struct hx *hx_new(struct cell *c)
{
	struct hx *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->wr[0] = x->wr[1] = x->rd[0] = x->rd[1] = -1;
	c->priv = x;
	x->efd = eventfd(0, EFD_CLOEXEC);
	if (x->efd < 0)
		return NULL;
	return x;
}

static int hx_common_setup(struct cell *c, struct hx **xp)
{
	if (c->size > FDX_MAX_SIZE)
		return xp_na(c, "fd-passing rows run up to 64 KiB");
	*xp = hx_new(c);
	if (!*xp)
		return xp_fail(c, -errno ? -errno : -ENOMEM, "calloc or eventfd");
	return 0;
}

/* Keep the writer of our tx lane and the reader of our rx lane. */
static int hx_attach(struct cell *c)
{
	struct hx *x = c->priv;
	int l;

	for (l = 0; l < 2; l++) {
		if (l == tx_lane(c) && l < nr_lanes(c))
			hx_close(&x->rd[l]);
		else if (l == rx_lane(c) && l < nr_lanes(c))
			hx_close(&x->wr[l]);
	}
	x->txbuf = buf_alloc(c->size);
	x->rxbuf = buf_alloc(c->size);
	if (!x->txbuf || !x->rxbuf)
		return xp_fail(c, -ENOMEM, "buffers");
	return 0;
}

static int hx_tx_buf(struct cell *c, void **buf)
{
	struct hx *x = c->priv;

	*buf = x->txbuf;
	return 0;
}

static void hx_teardown(struct cell *c)
{
	struct hx *x = c->priv;
	int l;

	if (!x)
		return;
	for (l = 0; l < 2; l++) {
		hx_close(&x->wr[l]);
		hx_close(&x->rd[l]);
	}
	hx_close(&x->efd);
	if (x->txbuf)
		buf_free(x->txbuf, c->size);
	if (x->rxbuf)
		buf_free(x->rxbuf, c->size);
	free(x);
	c->priv = NULL;
}

/* The one fd a message brought: there must be exactly one; it is closed. */
static int hx_take_fd(struct cell *c, int fd, unsigned int n)
{
	if (n != 1) {
		if (n > 1)
			return xp_fail(c, -EPROTO, "%u fds arrived, expected 1", n);
		return xp_fail(c, -EPROTO, "no fd arrived");
	}
	if (close(fd))
		return xp_fail(c, -errno, "close of the received fd");
	return 0;
}

/* ------------------------------------------------------------- kipc-fd */

static int kfd_setup(struct cell *c)
{
	struct kipc_chan_attr attr = { .max_msgs = c->window, .max_msg_size = (uint32_t)c->size };
	int l, ret, fds[2];
	struct hx *x;

	ret = hx_common_setup(c, &x);
	if (ret)
		return ret;
	for (l = 0; l < nr_lanes(c); l++) {
		ret = kipc_chan_pair(fds, &attr, O_CLOEXEC);
		if (ret == -ENOTTY)
			return xp_na(c, "the module has no handles (ABI 3)");
		if (ret)
			return xp_fail(c, ret, "kipc_chan_pair");
		x->rd[l] = fds[0];
		x->wr[l] = fds[1];
	}
	return 0;
}

static int kfd_send(struct cell *c, size_t len)
{
	struct hx *x = c->priv;
	ssize_t n;

	do
		n = kipc_send_handles(x->wr[tx_lane(c)], x->txbuf, len, &x->efd, 1, 0);
	while (eintr_retry((int)n));
	if (n < 0)
		return xp_fail(c, (int)n, "kipc_send_handles");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "kipc_send_handles: %zd of %zu bytes", n, len);
	return 0;
}

static int kfd_recv(struct cell *c, size_t len, const void **data)
{
	struct hx *x = c->priv;
	unsigned int nfds;
	int fd = -1;
	ssize_t n;

	do {
		nfds = 1;
		n = kipc_recv_handles(x->rd[rx_lane(c)], x->rxbuf, c->size, &fd, &nfds, NULL, 0);
	} while (eintr_retry((int)n));
	if (n < 0)
		return xp_fail(c, (int)n, "kipc_recv_handles");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "kipc_recv_handles: %zd bytes, expected %zu", n, len);
	*data = x->rxbuf;
	return hx_take_fd(c, fd, nfds);
}

const struct xport xp_kipc_fd = {
	.name = "kipc-fd",
	.label = "kipc channel pair, one eventfd per message (kipc_send/recv_handles)",
	.flags = XP_KIPC,
	.setup = kfd_setup,
	.attach = hx_attach,
	.tx_buf = hx_tx_buf,
	.send = kfd_send,
	.recv = kfd_recv,
	.teardown = hx_teardown,
};

/* --------------------------------------------------------- unix-scm-fd */

static int scm_setup(struct cell *c)
{
	int want = (int)((size_t)c->window * (c->size + 4096)), l, i, ret, sv[2], buf;
	socklen_t sl = sizeof(buf);
	struct hx *x;

	ret = hx_common_setup(c, &x);
	if (ret)
		return ret;
	for (l = 0; l < nr_lanes(c); l++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return xp_fail(c, -errno, "socketpair");
		x->wr[l] = sv[0];
		x->rd[l] = sv[1];
		for (i = 0; i < 2; i++) {
			/* Best effort, as for unix-seqpacket: the check below decides. */
			if (setsockopt(sv[i], SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
				(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
			if (getsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &buf, &sl))
				return xp_fail(c, -errno, "getsockopt SO_SNDBUF");
			if ((size_t)buf < c->size + 32)
				return xp_na(c, "datagram above SO_SNDBUF (%d)", buf);
		}
	}
	return 0;
}

static int scm_send(struct cell *c, size_t len)
{
	struct hx *x = c->priv;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { x->txbuf, len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	memset(&u, 0, sizeof(u));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &x->efd, sizeof(int));
	do
		n = sendmsg(x->wr[tx_lane(c)], &mh, MSG_NOSIGNAL);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "sendmsg");
	if ((size_t)n != len)
		return xp_fail(c, -EPROTO, "sendmsg: %zd of %zu bytes", n, len);
	return 0;
}

static int scm_recv(struct cell *c, size_t len, const void **data)
{
	struct hx *x = c->priv;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { x->rxbuf, c->size };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;
	unsigned int nfds = 0;
	int fd = -1;
	ssize_t n;

	do
		n = recvmsg(x->rd[rx_lane(c)], &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && eintr_retry(-errno));
	if (n < 0)
		return xp_fail(c, -errno, "recvmsg");
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			nfds += (unsigned int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		return xp_fail(c, -EPROTO, "recvmsg: control data truncated");
	if ((size_t)n != len) {
		if (nfds == 1)
			close(fd);
		return xp_fail(c, n ? -EPROTO : -EPIPE, "recvmsg: %zd bytes, expected %zu", n, len);
	}
	*data = x->rxbuf;
	return hx_take_fd(c, fd, nfds);
}

const struct xport xp_unix_scm_fd = {
	.name = "unix-scm-fd",
	.label = "socketpair(AF_UNIX, SOCK_SEQPACKET), one eventfd per message (SCM_RIGHTS)",
	.setup = scm_setup,
	.attach = hx_attach,
	.tx_buf = hx_tx_buf,
	.send = scm_send,
	.recv = scm_recv,
	.teardown = hx_teardown,
};
