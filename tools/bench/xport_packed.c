// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-packed, kipc-uring-packed: messages on a kipc channel moved by the
 * packed batch ioctls (KIPC_IOC_SEND_PACKED / KIPC_IOC_RECV_PACKED), up
 * to KP_BATCH (32) messages per call packed one after the other in one
 * buffer (issue 18, goal 3). They are kipc-batch and kipc-uring-batch
 * (xport_batch.c) with one buffer of records in place of an array of
 * struct kipc_xfer and iovecs:
 *
 *   kipc-packed        kipc_send_packed() / kipc_recv_packed(): one system
 *                      call per batch, which blocks only for its first
 *                      message
 *   kipc-uring-packed  the same buffers, each one IORING_OP_URING_CMD
 *                      (kipc_packed_prep(), kipc_ring_prep_packed())
 *                      submitted and reaped with one io_uring_enter(2).
 *                      It never blocks: it completes with 0 when nothing
 *                      could move, and the side then waits with an
 *                      IORING_OP_POLL_ADD (POLLOUT / POLLIN) on the
 *                      channel and submits it again.
 *
 * Producer: the runner writes each payload into one staging slot (tx_buf)
 * and send() appends it to the send buffer as a record with
 * kipc_packed_add(), as an application with its data elsewhere would: one
 * user-space copy of the payload more than kipc-batch, which hands the
 * kernel the slots themselves. When the buffer holds a batch (or at
 * finish(), for the last, partial one) it goes to the channel, again from
 * the first record that did not fit when the channel was full (a call may
 * move fewer than it holds).
 *
 * Consumer: one receive into a buffer with room for a batch of receive
 * records (struct kipc_msg_info + payload + padding); recv() walks them
 * with kipc_packed_next(), checks each one's length and hands out a
 * pointer to its payload in the buffer, and the recv() after the last one
 * receives again (the runner is done with a payload by its next recv(),
 * so no release() is needed).
 *
 * A batch is min(KP_BATCH, window) messages, fewer when that many records
 * would pass KIPC_PACKED_MAX (64 KiB): a 16 KiB message goes 3 to a call.
 * Sizes whose single record does not fit (64 KiB and up) are n/a. The
 * channel is as deep as the window (as for kipc-chan and kipc-batch); one
 * message per call in ping-pong.
 *
 * kipc-uring-packed makes each side's ring after the fork and fails the
 * cell if a side ends it with an io-wq worker thread, as kipc-uring and
 * kipc-uring-batch do (the ring helpers are in xport_uring.c; the
 * URING_CMD and its poll, xp_ring_cmd(), in bench.h, and the setup and
 * teardown kipc-batch shares in util.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>

#include "bench.h"

#define KP_BATCH	32

struct kpacked {
	struct xp_slots s;		/* the channels (xp_slots_setup()); no slots */
	bool uring;			/* kipc-uring-packed */
	struct io_uring ring;
	bool ring_up;
	struct kipc_packed p;		/* kipc-uring-packed: the call in flight */
	unsigned int batch;		/* records per call */
	/* producer */
	unsigned char *slot;		/* tx_buf(): where the runner writes a payload */
	size_t slot_len;
	unsigned char *tx;		/* the send records */
	size_t tx_size, used;		/* room at tx, bytes of records in it */
	size_t off[KP_BATCH + 1];	/* where each held record starts; off[held] = used */
	unsigned int held;		/* records in tx, not yet sent */
	/* consumer */
	unsigned char *rx;		/* the receive records */
	size_t rx_size;
	size_t rx_off;			/* the next record to hand out */
	unsigned int got, next;		/* the last receive's count, next to hand out */
};

static bool kp_fits(size_t size)
{
	return KIPC_PACKED_RECV_SIZE(size) <= KIPC_PACKED_MAX &&
	       KIPC_PACKED_SEND_SIZE(size) <= KIPC_PACKED_MAX;
}

static int kp_setup(struct cell *c)
{
	struct kpacked *k;

	if (!kp_fits(c->size))	/* before c->priv: teardown() has nothing to undo */
		return xp_na(c, "a %zu B record passes KIPC_PACKED_MAX (%u B), the most one call moves",
			     (size_t)KIPC_PACKED_RECV_SIZE(c->size), KIPC_PACKED_MAX);
	k = calloc(1, sizeof(*k));
	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	k->uring = c->xp == &xp_kipc_uring_packed;
	c->priv = k;
	return xp_batch_setup(c, &k->s, KIPC_FEAT_PACKED | (k->uring ? KIPC_FEAT_URING_CMD : 0),
			      k->uring);
}

static int kp_attach(struct cell *c)
{
	struct kpacked *k = c->priv;
	size_t fit = KIPC_PACKED_MAX / KIPC_PACKED_RECV_SIZE(c->size);
	int ret;

	k->batch = c->phase == PH_STREAM ? (c->window < KP_BATCH ? c->window : KP_BATCH) : 1;
	if (k->batch > fit)
		k->batch = (unsigned int)fit;
	if (side_sends(c)) {
		k->slot_len = slot_stride(c->size);
		k->tx_size = k->batch * KIPC_PACKED_SEND_SIZE(c->size);
		k->slot = buf_alloc(k->slot_len);
		k->tx = buf_alloc(k->tx_size);
		if (!k->slot || !k->tx)
			return xp_fail(c, -ENOMEM, "send buffers");
	}
	if (side_receives(c)) {
		k->rx_size = k->batch * KIPC_PACKED_RECV_SIZE(c->size);
		k->rx = buf_alloc(k->rx_size);
		if (!k->rx)
			return xp_fail(c, -ENOMEM, "receive buffer");
	}
	if (!k->uring)
		return 0;
	ret = xp_ring_init(c, &k->ring, 4);
	k->ring_up = !ret;
	return ret;
}

/*
 * kipc-uring-packed: run the @nr records in @buf[0..@len) as one
 * IORING_OP_URING_CMD; while it moves nothing, wait for POLLOUT (send) or
 * POLLIN and run it again. Returns how many moved (>= 1), or fails the cell.
 */
static int kp_ring_call(struct cell *c, struct kpacked *k, int ch, void *buf, size_t len,
			unsigned int nr, bool send)
{
	int ret = kipc_packed_prep(&k->p, buf, len, nr, 0);

	if (ret)
		return xp_fail(c, ret, "kipc_packed_prep");
	ret = xp_ring_cmd(c, &k->ring, ch, NULL, &k->p, send);
	if (ret > (int)nr)	/* nr <= KP_BATCH; a failure (< 0) passes on */
		return xp_fail(c, -EPROTO, "io_uring packed %s: %d messages, asked for %u",
			       send ? "send" : "receive", ret, nr);
	return ret;
}

/*
 * Send the @nr records in @buf[0..@len), or receive up to @nr into it, in
 * one call. Returns how many moved (>= 1), or fails the cell.
 */
static int kp_call(struct cell *c, struct kpacked *k, void *buf, size_t len, unsigned int nr,
		   bool send)
{
	int ch = k->s.ch[send ? tx_lane(c) : rx_lane(c)], ret;

	if (k->uring)
		return kp_ring_call(c, k, ch, buf, len, nr, send);
	do
		ret = send ? kipc_send_packed(ch, buf, len, nr, 0) :
			     kipc_recv_packed(ch, buf, len, nr, 0);
	while (eintr_retry(ret));
	if (ret < 0)
		return xp_fail(c, ret, send ? "kipc_send_packed" : "kipc_recv_packed");
	if (!ret || (unsigned int)ret > nr)
		return xp_fail(c, -EPROTO, "%s: %d messages, asked for %u",
			       send ? "kipc_send_packed" : "kipc_recv_packed", ret, nr);
	return ret;
}

static int kp_tx_buf(struct cell *c, void **buf)
{
	struct kpacked *k = c->priv;

	*buf = k->slot;
	return 0;
}

/* Send the held records, in order, until every one is on the channel. */
static int kp_flush(struct cell *c, struct kpacked *k)
{
	unsigned int done = 0;
	int ret;

	while (done < k->held) {
		ret = kp_call(c, k, k->tx + k->off[done], k->used - k->off[done],
			      k->held - done, true);
		if (ret < 0)
			return ret;
		done += (unsigned int)ret;
	}
	k->held = 0;
	k->used = 0;
	return 0;
}

static int kp_send(struct cell *c, size_t len)
{
	struct kpacked *k = c->priv;
	ssize_t used = kipc_packed_add(k->tx, k->tx_size, k->used, k->slot, len, 0);

	if (used < 0)
		return xp_fail(c, (int)used, "kipc_packed_add");
	k->off[k->held++] = k->used;
	k->used = (size_t)used;
	k->off[k->held] = k->used;
	return k->held == k->batch ? kp_flush(c, k) : 0;
}

static int kp_recv(struct cell *c, size_t len, const void **data)
{
	struct kpacked *k = c->priv;
	const struct kipc_msg_info *info;
	ssize_t next;
	int ret;

	if (k->next == k->got) {
		ret = kp_call(c, k, k->rx, k->rx_size, k->batch, false);
		if (ret < 0)
			return ret;
		k->got = (unsigned int)ret;
		k->next = 0;
		k->rx_off = 0;
	}
	/* Only the first k->got records are this receive's: count, not -ENOENT. */
	next = kipc_packed_next(k->rx, k->rx_size, k->rx_off, &info, data);
	if (next < 0)
		return xp_fail(c, (int)next, "kipc_packed_next (record %u of %u, offset %zu)",
			       k->next + 1, k->got, k->rx_off);
	if (info->len != len)
		return xp_fail(c, -EPROTO, "packed receive: %llu bytes, expected %zu",
			       (unsigned long long)info->len, len);
	k->rx_off = (size_t)next < k->rx_size ? (size_t)next : k->rx_size;
	k->next++;
	return 0;
}

static int kp_finish(struct cell *c)
{
	struct kpacked *k = c->priv;

	return xp_batch_finish(c, k->held ? kp_flush(c, k) : 0, k->uring);
}

static void kp_teardown(struct cell *c)
{
	struct kpacked *k = c->priv;

	if (!k)
		return;
	buf_free(k->slot, k->slot_len);
	buf_free(k->tx, k->tx_size);
	buf_free(k->rx, k->rx_size);
	xp_batch_teardown(c, &k->s, k->ring_up ? &k->ring : NULL);
}

/* The two rows differ only in name and label (kp_setup() tells them apart). */
#define KP_XPORT(row, text) {			\
	.name = row,				\
	.label = text,				\
	.flags = XP_KIPC,			\
	.setup = kp_setup,			\
	.attach = kp_attach,			\
	.tx_buf = kp_tx_buf,			\
	.send = kp_send,			\
	.recv = kp_recv,			\
	.finish = kp_finish,			\
	.teardown = kp_teardown,		\
}

const struct xport xp_kipc_packed =
	KP_XPORT("kipc-packed",
		 "kipc channel: kipc_send_packed/kipc_recv_packed, 32 records per buffer and call");

const struct xport xp_kipc_uring_packed =
	KP_XPORT("kipc-uring-packed",
		 "kipc channel: 32-record packed buffers as io_uring URING_CMDs, POLL_ADD to wait");
