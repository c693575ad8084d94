/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc: batched channel I/O over io_uring (liburing). Included by
 * <kipc.h>; every function returns >= 0 on success or a negative errno
 * value and keeps no state outside the caller's struct io_uring.
 *
 * One SQE is one message: a send is an IORING_OP_WRITE (WRITEV for
 * several buffers) of the whole message on a channel fd, a receive an
 * IORING_OP_READ (READV) of the next message; the CQE's res is the
 * message length or -errno, with the errnos of kipc_send()/kipc_recv()
 * (-EMSGSIZE for a too small buffer leaves the message queued, -EPIPE,
 * -EBADF, -EAGAIN with KIPC_NONBLOCK, ...). A channel fd serves these
 * without io_uring worker threads: the kernel first tries the transfer
 * without blocking (IOCB_NOWAIT); a receive that finds the queue empty or
 * a send that finds it full is parked on the channel's poll wait queue
 * and retried when a message or room arrives, so many receives may be
 * left pending on many channels at no thread cost. What io_uring cannot
 * carry: a send's priority (io_uring sends are priority 0), KIPC_PEEK,
 * and struct kipc_msg_info (use kipc_recv() when the sender's pid, uid,
 * sequence number or time matter). A message may not span SQEs.
 *
 * Ordering. Receives complete in the order they take messages off the
 * queue: read the CQEs in order and the messages come in channel order,
 * whichever buffers they landed in. Sends that are in flight together on
 * one channel are independent requests: while the queue has room they go
 * in submission order, but once several are parked on a full queue, the
 * order in which io_uring retries them (and so the order their messages
 * are queued) is not defined. A sender that needs its own messages to
 * stay in order either keeps one send per channel in flight, or passes
 * KIPC_RING_LINK to each send but the last of a batch, which chains them
 * (IOSQE_IO_LINK: each starts when the one before it completed; a failed
 * send cancels the rest of the chain with -ECANCELED). Chaining costs
 * throughput; unchained sends are right when order does not matter.
 *
 * The caller owns the ring: declare a struct io_uring (include
 * <liburing.h>), kipc_ring_init() it, queue work with the
 * kipc_ring_prep_*() helpers (each fills one SQE and sets its user_data),
 * push it to the kernel and collect results with kipc_ring_submit(),
 * kipc_ring_submit_and_wait() and kipc_ring_reap(), and finish with
 * kipc_ring_exit(). liburing calls may be mixed in freely: these helpers
 * are plain SQE preparation and CQE harvesting. Buffers must stay valid
 * until their request completes. As with any io_uring, one ring is used
 * by one thread at a time (or under the caller's lock).
 *
 *     struct io_uring ring;
 *     struct kipc_ring_cqe done[32];
 *     kipc_ring_init(&ring, 64, 0);
 *     for (i = 0; i < st.nr_msgs + 1 && i < 32; i++)   (kipc_chan_stat(ch, &st))
 *             kipc_ring_prep_recv(&ring, ch, bufs[i], 64, 0, i);
 *     n = kipc_ring_reap(&ring, done, 32, 1, -1);   (submits, waits >= 1)
 *     kipc_ring_exit(&ring);
 *
 * Linking: -lkipc -luring (pkg-config --libs kipc).
 */
#ifndef KIPC_RING_H
#define KIPC_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct io_uring;	/* <liburing.h> */

/* The result of one request, copied out of its CQE by kipc_ring_reap(). */
struct kipc_ring_cqe {
	uint64_t user_data;	/* as given to the kipc_ring_prep_*() call */
	int32_t res;		/* message length, or -errno */
	uint32_t flags;		/* the CQE's IORING_CQE_F_* flags */
};

/* kipc_ring_prep_send(v)() flag: the next request on the ring starts after this one */
#define KIPC_RING_LINK		0x10000u

/* kipc_ring_prep_cancel() flags */
#define KIPC_RING_CANCEL_ALL	0x1u	/* every matching request, not only the first */

/*
 * kipc_ring_init() - set up @ring with room for @entries SQEs
 * @setup_flags: IORING_SETUP_* bits, or 0. The library adds
 *	IORING_SETUP_SUBMIT_ALL, IORING_SETUP_COOP_TASKRUN and
 *	IORING_SETUP_TASKRUN_FLAG where the kernel has them (Linux 5.19), so
 *	a bad SQE does not stop a batch and completions of parked requests
 *	are posted when the task next enters the kernel (kipc_ring_reap()
 *	does so when it sees they are pending) instead of interrupting it.
 *	A ring used by one thread only may add IORING_SETUP_SINGLE_ISSUER |
 *	IORING_SETUP_DEFER_TASKRUN (Linux 6.1, -EINVAL before): that work
 *	then runs only when the thread waits for completions, with nothing
 *	interrupting it in between (kipc-bench's kipc-uring row does this).
 *	Return: 0, or -errno from io_uring_setup(2) (-ENOSYS, -EPERM when
 *	io_uring is disabled, -ENOMEM).
 */
int kipc_ring_init(struct io_uring *ring, unsigned int entries, unsigned int setup_flags);
/* Tear down @ring; requests still pending are cancelled. Returns 0. */
int kipc_ring_exit(struct io_uring *ring);

/*
 * Queue one send (whole message of @len bytes, priority 0) or one receive
 * (into @buf of @len bytes) on channel fd @ch. @flags: KIPC_NONBLOCK
 * makes the request complete with -EAGAIN instead of waiting for a
 * message or room; sends also take KIPC_RING_LINK (see Ordering above;
 * not for receives, where a message shorter than the buffer would break
 * the chain); anything else is -EINVAL. When the submission queue is
 * full, the queued SQEs are submitted first (one io_uring_enter(2)) to
 * make room; -EBUSY if that still leaves none, or if the last queued SQE
 * carries KIPC_RING_LINK (a chain must fit in the submission queue).
 * Return: 0 once queued.
 */
int kipc_ring_prep_send(struct io_uring *ring, int ch, const void *buf, size_t len,
			unsigned int flags, uint64_t user_data);
int kipc_ring_prep_recv(struct io_uring *ring, int ch, void *buf, size_t len,
			unsigned int flags, uint64_t user_data);
/* Vectored forms: @iov (@iovcnt entries) must stay valid until completion. */
int kipc_ring_prep_sendv(struct io_uring *ring, int ch, const struct iovec *iov,
			 unsigned int iovcnt, unsigned int flags, uint64_t user_data);
int kipc_ring_prep_recvv(struct io_uring *ring, int ch, const struct iovec *iov,
			 unsigned int iovcnt, unsigned int flags, uint64_t user_data);

/*
 * Queue a whole batch (see kipc_batch_prep() and kipc_send_batch(3)) as
 * one IORING_OP_URING_CMD: a send (@send) or receive of up to b->nr
 * messages on channel fd @ch. Its CQE's res is how many moved, 0 when
 * none could (it never waits: arm a poll to know when to retry), or
 * -errno. @b and what it points to must stay valid until the completion.
 * Needs KIPC_FEAT_URING_CMD (Linux 5.19 or later with io_uring).
 * Return: 0 once queued.
 */
int kipc_ring_prep_batch(struct io_uring *ring, int ch, struct kipc_batch *b, int send,
			 uint64_t user_data);

/*
 * The same for a packed batch (see kipc_packed_prep() and
 * kipc_send_packed(3)): one IORING_OP_URING_CMD that sends (@send) the
 * records of @p or receives up to p->nr messages into its buffer. The CQE's
 * res is how many moved, 0 when none could (it never waits), or -errno.
 * @p and its buffer must stay valid until the completion. Needs
 * KIPC_FEAT_PACKED and KIPC_FEAT_URING_CMD.
 * Return: 0 once queued.
 */
int kipc_ring_prep_packed(struct io_uring *ring, int ch, struct kipc_packed *p, int send,
			  uint64_t user_data);

/*
 * Queue an IORING_OP_ASYNC_CANCEL of the pending request(s) whose
 * user_data is @target (kipc_ring_prep_cancel) or that work on channel fd
 * @ch (kipc_ring_prep_cancel_chan; always every one of them). A cancelled
 * receive completes with -ECANCELED and consumes no message. The cancel
 * request's own CQE (@user_data) has res 0 (one cancelled), the number
 * cancelled with KIPC_RING_CANCEL_ALL, -ENOENT (nothing matched) or
 * -EALREADY (the request was already running). Needs Linux 5.19 for
 * KIPC_RING_CANCEL_ALL and for _chan.
 */
int kipc_ring_prep_cancel(struct io_uring *ring, uint64_t target, unsigned int flags,
			  uint64_t user_data);
int kipc_ring_prep_cancel_chan(struct io_uring *ring, int ch, uint64_t user_data);

/* Submit the queued SQEs: returns how many the kernel took. */
int kipc_ring_submit(struct io_uring *ring);
/*
 * Submit the queued SQEs and wait until at least @wait_nr completions are
 * ready to reap (counting those already there). Returns how many SQEs were
 * submitted; -EINTR if a signal interrupted the wait.
 */
int kipc_ring_submit_and_wait(struct io_uring *ring, unsigned int wait_nr);
/*
 * kipc_ring_reap() - submit what is queued, wait, and collect results
 * @out: room for @max results, copied from the completion queue in
 *	completion order; the CQEs are then released
 * @wait_nr: wait until at least this many completions are ready (0: do
 *	not wait)
 * @timeout_ns: give up waiting after this many nanoseconds; < 0 waits
 *	without limit
 *
 * Return: the number of results in @out (up to @max; more may remain for
 * the next call), -ETIMEDOUT if the timeout passed with nothing to reap,
 * -EINTR, or another -errno from io_uring_enter(2).
 */
int kipc_ring_reap(struct io_uring *ring, struct kipc_ring_cqe *out, unsigned int max,
		   unsigned int wait_nr, int64_t timeout_ns);

/*
 * kipc_ring_workers() - count the io_uring worker threads of a process
 * @pid: the process, 0 for the caller
 *
 * io_uring hands a request that cannot be done without blocking, and
 * cannot be parked on poll, to an io-wq worker thread ("iou-wrk-*" in
 * /proc/PID/task/TID/comm). Channel requests never need one; a program
 * can check that with this count (a worker idles for a few seconds before
 * it exits, so look during or right after the run).
 * Return: the number of worker threads, -ESRCH (no such process), or
 * another -errno from reading /proc.
 */
int kipc_ring_workers(pid_t pid);

#ifdef __cplusplus
}
#endif

#endif /* KIPC_RING_H */
