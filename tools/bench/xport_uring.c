// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-uring: messages on a kipc channel moved by io_uring in batches,
 * through libkipc's kipc_ring_* helpers (the bench row of issue 8).
 *
 * Producer: send() only notes the message in one of BATCH slots. When
 * the batch is full (or at finish(), for the last, partial one) it is
 * queued as one IORING_OP_WRITE per message, submitted and waited for
 * with one io_uring_enter(2); the slots are reused once every message is
 * on the channel. The consumer checks the order, and sends parked
 * together on a full channel are retried in no defined order, so the
 * messages beyond the room kipc_chan_stat() reports are chained
 * (KIPC_RING_LINK). Chaining every send cost about a fifth of the rate
 * when the channel had room (6.1, TCG): a chain advances one send at a
 * time through task_work.
 *
 * Consumer: up to BATCH IORING_OP_READs, one per receive slot. Before
 * each wait it arms reads for the messages the channel holds
 * (kipc_chan_stat()) plus one, never more than its idle slots, so at most
 * one read is parked on an empty channel at a time. Every message wakes
 * every read parked on the channel (io_uring's poll entries are not
 * exclusive), and a read woken in vain too often is handed to an io-wq
 * thread (after 128 retries on Linux 6.1.y and 6.12): 32 parked reads
 * did that often on 6.12, and now and then on 6.1, whenever the consumer
 * was faster than the producer (kipc_ring(3), "How requests wait"). One
 * wait reaps every completion that is ready; recv() hands those messages
 * out one by one in completion order, which is channel order; release()
 * gives the slot back, so the consumer too enters the kernel about once
 * per batch when messages are waiting.
 *
 * Ping-pong runs the same code with batches of one (one message in flight
 * each way).
 *
 * Each side makes its own ring after the fork, with
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the
 * kernel has them (Linux 6.1): completions of parked requests are then
 * run in the waiting task when it asks for them, with no task_work
 * interrupt in between. finish() fails the cell if a side has an io-wq
 * worker thread ("iou-wrk-*"): a channel request must complete inline or
 * be parked on poll, never be handed to a thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>

#include "bench.h"

#define UR_BATCH	32
#define UR_RECV		(1ull << 63)	/* user_data: a read; low bits: its slot */

struct kuring {
	struct xp_slots s;		/* channels, UR_BATCH slots each way */
	struct io_uring ring;
	bool ring_up;
	/* producer */
	unsigned int held;		/* messages noted by send(), not yet queued */
	size_t held_len[UR_BATCH];
	unsigned int sends_out;		/* writes submitted, not yet completed */
	int send_err;			/* first failed write's result */
	/* consumer: slots of completed reads, in completion order */
	unsigned int done[UR_BATCH];
	unsigned int ndone, next;
	unsigned int cur;		/* slot handed out by the last recv() */
	unsigned int idle[UR_BATCH];	/* slots with no read armed */
	unsigned int nidle;
};

/* ---- shared with xport_batch.c (declared in bench.h) ---- */

/* Can this process make an io_uring? 0, XP_NA or -errno. */
int xp_ring_probe(struct cell *c)
{
	struct io_uring probe;
	int ret = kipc_ring_init(&probe, 2, 0);

	if (ret == -ENOSYS || ret == -EPERM)
		return xp_na(c, "io_uring unavailable: %s", strerror(-ret));
	if (ret)
		return xp_fail(c, ret, "kipc_ring_init");
	kipc_ring_exit(&probe);
	return 0;
}

/* This side's own ring, made after the fork (see the top of this file). */
/*
 * io-wq workers of this process when its ring for the current cell was
 * set up. An io-wq belongs to the task, not the ring, and its last worker
 * stays for the task's life: in the long-lived side B, a worker made by
 * an earlier cell must not be blamed on every later one.
 */
static int ring_workers_before;

int xp_ring_init(struct cell *c, struct io_uring *ring, unsigned int entries)
{
	int ret;

	ring_workers_before = kipc_ring_workers(0);
	ret = kipc_ring_init(ring, entries,
			     IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);

	if (ret == -EINVAL)	/* before Linux 6.1 */
		ret = kipc_ring_init(ring, entries, 0);
	return ret ? xp_fail(c, ret, "kipc_ring_init") : 0;
}

/*
 * Submit what is queued on @ring, wait for at least @wait_nr completions
 * and copy up to @max of them to @cqe. Returns how many, or fails the cell.
 */
int xp_ring_reap(struct cell *c, struct io_uring *ring, struct kipc_ring_cqe *cqe,
		 unsigned int max, unsigned int wait_nr)
{
	int n;

	do
		n = kipc_ring_reap(ring, cqe, max, wait_nr, -1);
	while (eintr_retry(n));
	if (n < 0)
		return xp_fail(c, n, "kipc_ring_reap");
	/* A wait cut short after a submission returns no error: check here. */
	if (g_abort)
		return xp_fail(c, -EINTR, "kipc_ring_reap");
	return n;
}

/*
 * A channel per lane, as deep as the window (as for kipc-chan), and the
 * fds marked unused for xp_slots_free(). Returns 0, XP_NA or -errno.
 */
int xp_slots_setup(struct cell *c, struct xp_slots *s)
{
	int l, ret;

	s->ch[0] = s->ch[1] = -1;
	for (l = 0; l < nr_lanes(c); l++) {
		ret = kchan_open(c, c->window, (uint32_t)c->size, &s->ch[l]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * After the fork: batches of @max messages in streaming (fewer if the
 * window is smaller), of one in ping-pong, and a batch of slots for each
 * way this side moves messages.
 */
int xp_slots_attach(struct cell *c, struct xp_slots *s, unsigned int max)
{
	s->batch = c->phase == PH_STREAM ? (c->window < max ? c->window : max) : 1;
	s->stride = slot_stride(c->size);
	if (side_sends(c) && !(s->tx = buf_alloc(s->batch * s->stride)))
		return xp_fail(c, -ENOMEM, "send buffers");
	if (side_receives(c) && !(s->rx = buf_alloc(s->batch * s->stride)))
		return xp_fail(c, -ENOMEM, "receive buffers");
	return 0;
}

/* Close the channels, free the slots and exit @ring unless it is NULL. */
void xp_slots_free(struct xp_slots *s, struct io_uring *ring)
{
	int l;

	if (ring)
		kipc_ring_exit(ring);
	for (l = 0; l < 2; l++)
		if (s->ch[l] >= 0)
			close(s->ch[l]);
	buf_free(s->tx, s->batch * s->stride);
	buf_free(s->rx, s->batch * s->stride);
}

/* End of a cell: fail it if this side has an io-wq worker thread. */
int xp_ring_no_workers(struct cell *c)
{
	int ret = kipc_ring_workers(0);

	if (ret < 0 || ring_workers_before < 0)
		return xp_fail(c, ret < 0 ? ret : ring_workers_before,
			       "counting io-wq workers (/proc/self/task)");
	if (ret > ring_workers_before) {
		snprintf(c->why, sizeof(c->why),
			 "%d new io-wq worker thread(s) (iou-wrk) in the %s: requests were handed to threads",
			 ret - ring_workers_before, c->side == SIDE_A ? "producer" : "consumer");
		return -EPROTO;
	}
	return 0;
}

/* ---- kipc-uring ---- */

static int kur_setup(struct cell *c)
{
	struct kuring *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	c->priv = k;
	ret = xp_slots_setup(c, &k->s);
	return ret ? ret : xp_ring_probe(c);
}

/*
 * Called when no completed read is waiting (k->ndone == 0) and no slot is
 * handed out, so every slot that is not idle has a read out. Queue reads
 * into idle slots for the messages the channel holds plus one, less the
 * reads already out; they go to the kernel with the next wait. See the top
 * of this file for why not one per slot.
 */
static int kur_arm(struct cell *c, struct kuring *k)
{
	unsigned int want, slot, out = k->s.batch - k->nidle;
	struct kipc_chan_stat st;
	int ret;

	if (!k->nidle)
		return 0;
	ret = kipc_chan_stat(k->s.ch[rx_lane(c)], &st);
	if (ret)
		return xp_fail(c, ret, "kipc_chan_stat");
	want = st.nr_msgs + 1 > out ? st.nr_msgs + 1 - out : 0;
	while (want-- && k->nidle) {
		slot = k->idle[--k->nidle];
		ret = kipc_ring_prep_recv(&k->ring, k->s.ch[rx_lane(c)],
					  k->s.rx + slot * k->s.stride, c->size, 0, UR_RECV | slot);
		if (ret)
			return xp_fail(c, ret, "kipc_ring_prep_recv");
	}
	return 0;
}

static int kur_attach(struct cell *c)
{
	struct kuring *k = c->priv;
	unsigned int i;
	int ret;

	ret = xp_slots_attach(c, &k->s, UR_BATCH);
	if (!ret)
		ret = xp_ring_init(c, &k->ring, 2 * k->s.batch);
	if (ret)
		return ret;
	k->ring_up = true;
	if (side_receives(c)) {
		for (i = 0; i < k->s.batch; i++)
			k->idle[k->nidle++] = i;
	}
	return 0;
}

/*
 * Submit what is queued, wait for at least @wait_nr completions and sort
 * what was reaped: reads into k->done (a read that failed fails the
 * cell), writes off k->sends_out (the first error kept for kur_flush()).
 */
static int kur_reap(struct cell *c, struct kuring *k, unsigned int wait_nr)
{
	struct kipc_ring_cqe cqe[2 * UR_BATCH];
	int n = xp_ring_reap(c, &k->ring, cqe, 2 * UR_BATCH, wait_nr), i;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		int32_t res = cqe[i].res;

		if (!(cqe[i].user_data & UR_RECV)) {
			k->sends_out--;
			if (res != (int32_t)c->size && (!k->send_err || k->send_err == -ECANCELED))
				k->send_err = res < 0 ? res : -EPROTO;
			continue;
		}
		if (res < 0)
			return xp_fail(c, res, "io_uring read");
		if ((size_t)res != c->size)
			return xp_fail(c, -EPROTO, "io_uring read: %d bytes, expected %zu",
				       res, c->size);
		k->done[(k->next + k->ndone++) % UR_BATCH] = (unsigned int)(cqe[i].user_data & ~UR_RECV);
	}
	return 0;
}

static int kur_tx_buf(struct cell *c, void **buf)
{
	struct kuring *k = c->priv;

	*buf = k->s.tx + k->held * k->s.stride;
	return 0;
}

/*
 * Room on the channel for this many more messages (the producer is the
 * only sender, so the room can only grow until it sends), or -errno.
 * A message the consumer is copying out has left the queue (nr_msgs) but
 * keeps its slot until the copy is done, and this consumer copies one at
 * a time: one slot less.
 */
static int kur_room(struct cell *c, struct kuring *k)
{
	struct kipc_chan_stat st;
	int ret = kipc_chan_stat(k->s.ch[tx_lane(c)], &st);

	if (ret)
		return xp_fail(c, ret, "kipc_chan_stat");
	return st.max_msgs > st.nr_msgs ? (int)(st.max_msgs - st.nr_msgs) - 1 : 0;
}

/*
 * Queue the held messages and wait until all are on the channel. A send
 * that finds room is queued at once, so sends that fit in the room go in
 * submission order as they are; sends that may have to wait are chained
 * (KIPC_RING_LINK), or once parked they would be retried in no defined
 * order. One send is never reordered.
 */
static int kur_flush(struct cell *c, struct kuring *k)
{
	int ret, room = 0;
	unsigned int i;

	if (k->held > 1) {
		room = kur_room(c, k);
		if (room < 0)
			return room;
	}
	for (i = 0; i < k->held; i++) {
		unsigned int f = i >= (unsigned int)room && i + 1 < k->held ? KIPC_RING_LINK : 0;

		ret = kipc_ring_prep_send(&k->ring, k->s.ch[tx_lane(c)], k->s.tx + i * k->s.stride,
					  k->held_len[i], f, i);
		if (ret)
			return xp_fail(c, ret, "kipc_ring_prep_send");
	}
	k->sends_out += k->held;
	k->held = 0;
	while (k->sends_out) {
		ret = kur_reap(c, k, k->sends_out);
		if (ret)
			return ret;
	}
	if (k->send_err)
		return xp_fail(c, k->send_err, "io_uring write");
	return 0;
}

static int kur_send(struct cell *c, size_t len)
{
	struct kuring *k = c->priv;

	k->held_len[k->held++] = len;
	return k->held == k->s.batch ? kur_flush(c, k) : 0;
}

static int kur_recv(struct cell *c, size_t len, const void **data)
{
	struct kuring *k = c->priv;
	int ret;

	(void)len;	/* kur_reap() checked every read against c->size */
	while (!k->ndone) {
		ret = kur_arm(c, k);
		if (!ret)
			ret = kur_reap(c, k, 1);
		if (ret)
			return ret;
	}
	k->cur = k->done[k->next];
	k->next = (k->next + 1) % UR_BATCH;
	k->ndone--;
	*data = k->s.rx + k->cur * k->s.stride;
	return 0;
}

/* The runner is done with the buffer: the slot can take a read again. */
static int kur_release(struct cell *c)
{
	struct kuring *k = c->priv;

	k->idle[k->nidle++] = k->cur;
	return 0;
}

static int kur_finish(struct cell *c)
{
	struct kuring *k = c->priv;
	int ret = k->held ? kur_flush(c, k) : 0;

	return ret ? ret : xp_ring_no_workers(c);
}

static void kur_teardown(struct cell *c)
{
	struct kuring *k = c->priv;

	if (!k)
		return;
	xp_slots_free(&k->s, k->ring_up ? &k->ring : NULL);
	free(k);
	c->priv = NULL;
}

const struct xport xp_kipc_uring = {
	.name = "kipc-uring",
	.label = "kipc channel over io_uring: 32 writes per submit, reads armed for the queued messages + 1 (up to 32)",
	.flags = XP_KIPC,
	.setup = kur_setup,
	.attach = kur_attach,
	.tx_buf = kur_tx_buf,
	.send = kur_send,
	.recv = kur_recv,
	.release = kur_release,
	.finish = kur_finish,
	.teardown = kur_teardown,
};
