// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-batch, kipc-uring-batch: messages on a kipc channel moved by the
 * batch ioctls (KIPC_IOC_SEND_BATCH / KIPC_IOC_RECV_BATCH, the channel's
 * sendmmsg/recvmmsg), up to KB_BATCH (32) messages per call.
 *
 *   kipc-batch        kipc_send_batch() / kipc_recv_batch(): one system
 *                     call per batch, which blocks only for its first
 *                     message
 *   kipc-uring-batch  the same batches, each one IORING_OP_URING_CMD
 *                     (kipc_ring_prep_batch()) submitted and reaped with
 *                     one io_uring_enter(2). Such a batch never blocks:
 *                     it completes with 0 when nothing could move, and
 *                     the side then waits with an IORING_OP_POLL_ADD
 *                     (POLLOUT / POLLIN) on the channel and submits the
 *                     batch again.
 *
 * Producer: send() only notes the message in one of KB_BATCH slots; when
 * they are full (or at finish(), for the last, partial batch) they go to
 * the channel, in order, as one batch, again from the first message that
 * did not fit when the channel was full (a batch may move fewer than it
 * holds). Consumer: one batch receive into KB_BATCH buffers; recv() hands
 * what it got out one by one, and the next recv() after the last one
 * receives again (the runner is done with a buffer by its next recv(),
 * so no release() is needed). A batch is min(KB_BATCH, window) messages, the
 * channel as deep as the window (as for kipc-chan and kipc-uring); one in
 * ping-pong.
 *
 * kipc-uring-batch makes each side's ring after the fork and fails the
 * cell if a side ends it with an io-wq worker thread, as kipc-uring does
 * (the ring helpers are in xport_uring.c; the URING_CMD and its poll,
 * xp_ring_cmd(), in bench.h, and the setup and teardown kipc-packed shares
 * in util.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>

#include "bench.h"

#define KB_BATCH	32

struct kbatch {
	struct xp_slots s;		/* channels, KB_BATCH slots each way */
	bool uring;			/* kipc-uring-batch */
	struct io_uring ring;
	bool ring_up;
	struct iovec txv[KB_BATCH], rxv[KB_BATCH];	/* the slots */
	struct kipc_batch b;		/* kipc-uring-batch: the batch in flight */
	struct kipc_xfer x[KB_BATCH];
	unsigned int held;		/* producer: messages in the slots, not yet sent */
	unsigned int got, next;		/* consumer: the last receive's count, next to hand out */
};

static int kb_setup(struct cell *c)
{
	struct kbatch *k = calloc(1, sizeof(*k));

	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	k->uring = c->xp == &xp_kipc_uring_batch;
	c->priv = k;
	return xp_batch_setup(c, &k->s, k->uring ? KIPC_FEAT_URING_CMD : KIPC_FEAT_BATCH,
			      k->uring);
}

static int kb_attach(struct cell *c)
{
	struct kbatch *k = c->priv;
	unsigned int i;
	int ret = xp_slots_attach(c, &k->s, KB_BATCH);

	if (ret)
		return ret;
	for (i = 0; i < k->s.batch; i++) {
		if (k->s.tx)
			k->txv[i] = (struct iovec){ k->s.tx + i * k->s.stride, c->size };
		if (k->s.rx)
			k->rxv[i] = (struct iovec){ k->s.rx + i * k->s.stride, c->size };
	}
	if (!k->uring)
		return 0;
	ret = xp_ring_init(c, &k->ring, 4);
	k->ring_up = !ret;
	return ret;
}

/*
 * kipc-uring-batch: run @n messages at @m as one IORING_OP_URING_CMD;
 * while it moves nothing, wait for POLLOUT (send) or POLLIN and run it
 * again. Returns how many moved (>= 1), or fails the cell.
 */
static int kb_ring_batch(struct cell *c, struct kbatch *k, int ch, struct iovec *m,
			 unsigned int n, bool send)
{
	int res, i = kipc_batch_prep(&k->b, k->x, m, n, 0, send);

	if (i)
		return xp_fail(c, i, "kipc_batch_prep");
	res = xp_ring_cmd(c, &k->ring, ch, &k->b, NULL, send);
	if (!send)	/* where the ioctl puts the lengths (none if res < 0) */
		for (i = 0; i < res; i++)
			m[i].iov_len = k->x[i].info.len;
	return res;
}

/*
 * Move @n messages at @m in one batch: send them from the first, or
 * receive up to @n (m[i].iov_len is then message i's length). Returns how
 * many moved (>= 1), or fails the cell.
 */
static int kb_batch(struct cell *c, struct kbatch *k, struct iovec *m, unsigned int n,
		    bool send)
{
	int ch = k->s.ch[send ? tx_lane(c) : rx_lane(c)], ret;

	if (k->uring)
		return kb_ring_batch(c, k, ch, m, n, send);
	do
		ret = send ? kipc_send_batch(ch, m, n, 0) : kipc_recv_batch(ch, m, n, NULL, 0);
	while (eintr_retry(ret));
	if (ret < 0)
		return xp_fail(c, ret, send ? "kipc_send_batch" : "kipc_recv_batch");
	return ret;
}

static int kb_tx_buf(struct cell *c, void **buf)
{
	struct kbatch *k = c->priv;

	*buf = k->txv[k->held].iov_base;
	return 0;
}

/* Send the held messages, in order, until every one is on the channel. */
static int kb_flush(struct cell *c, struct kbatch *k)
{
	unsigned int done = 0;
	int ret;

	while (done < k->held) {
		ret = kb_batch(c, k, k->txv + done, k->held - done, true);
		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	k->held = 0;
	return 0;
}

static int kb_send(struct cell *c, size_t len)
{
	struct kbatch *k = c->priv;

	k->txv[k->held++].iov_len = len;
	return k->held == k->s.batch ? kb_flush(c, k) : 0;
}

static int kb_recv(struct cell *c, size_t len, const void **data)
{
	struct kbatch *k = c->priv;
	struct iovec *v;
	unsigned int i;
	int ret;

	if (k->next == k->got) {
		for (i = 0; i < k->s.batch; i++)
			k->rxv[i].iov_len = c->size;
		ret = kb_batch(c, k, k->rxv, k->s.batch, false);
		if (ret < 0)
			return ret;
		k->got = (unsigned int)ret;
		k->next = 0;
	}
	v = &k->rxv[k->next++];
	if (v->iov_len != len)
		return xp_fail(c, -EPROTO, "batch receive: %zu bytes, expected %zu",
			       v->iov_len, len);
	*data = v->iov_base;
	return 0;
}

static int kb_finish(struct cell *c)
{
	struct kbatch *k = c->priv;

	return xp_batch_finish(c, k->held ? kb_flush(c, k) : 0, k->uring);
}

static void kb_teardown(struct cell *c)
{
	struct kbatch *k = c->priv;

	if (k)
		xp_batch_teardown(c, &k->s, k->ring_up ? &k->ring : NULL);
}

const struct xport xp_kipc_batch = {
	.name = "kipc-batch",
	.label = "kipc channel: kipc_send_batch/kipc_recv_batch, 32 messages per call",
	.flags = XP_KIPC,
	.setup = kb_setup,
	.attach = kb_attach,
	.tx_buf = kb_tx_buf,
	.send = kb_send,
	.recv = kb_recv,
	.finish = kb_finish,
	.teardown = kb_teardown,
};

const struct xport xp_kipc_uring_batch = {
	.name = "kipc-uring-batch",
	.label = "kipc channel: 32-message batches as io_uring URING_CMDs, POLL_ADD to wait",
	.flags = XP_KIPC,
	.setup = kb_setup,
	.attach = kb_attach,
	.tx_buf = kb_tx_buf,
	.send = kb_send,
	.recv = kb_recv,
	.finish = kb_finish,
	.teardown = kb_teardown,
};
