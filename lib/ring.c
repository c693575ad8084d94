// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc: batched channel I/O over io_uring (see kipc_ring.h).
 *
 * Thin on purpose: each helper fills one SQE with a plain read or write
 * of one message (or one batch command), so the kernel's io_uring path for
 * files that support IOCB_NOWAIT and poll (channel fds set FMODE_NOWAIT)
 * does the real work.
 * The only state is the caller's struct io_uring.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <liburing.h>

#include "kipc_private.h"

/*
 * Added to the caller's setup flags where the kernel has them: a bad SQE
 * does not stop the rest of a batch, and completions of parked requests
 * are posted when the task next enters the kernel instead of interrupting
 * it; TASKRUN_FLAG tells a non-waiting reap that such work is pending.
 */
#define KIPC_RING_SETUP_ADDED	(IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | \
				 IORING_SETUP_TASKRUN_FLAG)

/* Largest transfer a read or write(2) ever does (MAX_RW_COUNT). */
#define KIPC_RING_MAX_RW	0x7ffff000u

int kipc_ring_init(struct io_uring *ring, unsigned int entries, unsigned int setup_flags)
{
	struct io_uring_params p;
	int ret;

	if (!ring || !entries)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.flags = setup_flags | KIPC_RING_SETUP_ADDED;
	ret = io_uring_queue_init_params(entries, ring, &p);
	if (ret == -EINVAL && !(setup_flags & KIPC_RING_SETUP_ADDED)) {
		/* An older kernel: the added flags are optimisations only. */
		memset(&p, 0, sizeof(p));
		p.flags = setup_flags;
		ret = io_uring_queue_init_params(entries, ring, &p);
	}
	return ret < 0 ? ret : 0;
}

int kipc_ring_exit(struct io_uring *ring)
{
	if (!ring)
		return -EINVAL;
	io_uring_queue_exit(ring);
	return 0;
}

/*
 * A free SQE: when the submission queue is full, hand what is queued to
 * the kernel first, unless that would cut a KIPC_RING_LINK chain in two
 * (the part submitted later would not wait for the part before).
 * *sqe is NULL on error.
 */
static int kipc_ring_sqe(struct io_uring *ring, struct io_uring_sqe **sqe)
{
	const struct io_uring_sqe *last;
	int ret;

	*sqe = io_uring_get_sqe(ring);
	if (*sqe)
		return 0;
	last = &ring->sq.sqes[(ring->sq.sqe_tail - 1) & ring->sq.ring_mask];
	if (last->flags & IOSQE_IO_LINK)
		return -EBUSY;
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	*sqe = io_uring_get_sqe(ring);
	return *sqe ? 0 : -EBUSY;
}

/*
 * KIPC_NONBLOCK is the only per-message flag io_uring can carry; sends
 * may also be chained. A chained receive would fail its link whenever a
 * message is shorter than the buffer (io_uring treats a short read as an
 * error), so receives are never chained.
 */
static int kipc_ring_req_flags(unsigned int flags, int send, int *rw_flags,
			       unsigned int *sqe_flags)
{
	unsigned int allowed = KIPC_NONBLOCK | (send ? KIPC_RING_LINK : 0);

	if (flags & ~allowed)
		return -EINVAL;
	*rw_flags = (flags & KIPC_NONBLOCK) ? RWF_NOWAIT : 0;
	*sqe_flags = (flags & KIPC_RING_LINK) ? IOSQE_IO_LINK : 0;
	return 0;
}

/*
 * One read or write SQE. Offset 0: channels have no file position, and a
 * fixed offset keeps io_uring away from the file's f_pos.
 */
static int kipc_ring_prep_rw(struct io_uring *ring, int op, int ch, const void *addr,
			     unsigned int len, unsigned int flags, uint64_t user_data)
{
	int send = op == IORING_OP_WRITE || op == IORING_OP_WRITEV;
	struct io_uring_sqe *sqe;
	unsigned int sqe_flags;
	int rw_flags, ret;

	if (!ring || ch < 0)
		return -EINVAL;
	ret = kipc_ring_req_flags(flags, send, &rw_flags, &sqe_flags);
	if (ret)
		return ret;
	ret = kipc_ring_sqe(ring, &sqe);
	if (ret)
		return ret;
	io_uring_prep_rw(op, sqe, ch, addr, len, 0);
	sqe->rw_flags = rw_flags;
	io_uring_sqe_set_flags(sqe, sqe_flags);
	io_uring_sqe_set_data64(sqe, user_data);
	return 0;
}

int kipc_ring_prep_send(struct io_uring *ring, int ch, const void *buf, size_t len,
			unsigned int flags, uint64_t user_data)
{
	/* A shortened write would split the message: refuse instead. */
	if (len > KIPC_RING_MAX_RW)
		return -EMSGSIZE;
	return kipc_ring_prep_rw(ring, IORING_OP_WRITE, ch, buf, (unsigned int)len,
				 flags, user_data);
}

int kipc_ring_prep_recv(struct io_uring *ring, int ch, void *buf, size_t len,
			unsigned int flags, uint64_t user_data)
{
	/* No message is that large; a bigger buffer only needs its head. */
	if (len > KIPC_RING_MAX_RW)
		len = KIPC_RING_MAX_RW;
	return kipc_ring_prep_rw(ring, IORING_OP_READ, ch, buf, (unsigned int)len,
				 flags, user_data);
}

/*
 * One IORING_OP_URING_CMD: ioctl @cmd_op on channel fd @ch, the address of
 * its argument struct in the first 8 bytes of the command area.
 */
static int kipc_ring_prep_cmd(struct io_uring *ring, int ch, uint32_t cmd_op,
			      const void *argp, uint64_t user_data)
{
	uint64_t arg = (uintptr_t)argp;
	struct io_uring_sqe *sqe;
	int ret;

	if (!ring || ch < 0 || !argp)
		return -EINVAL;
	ret = kipc_ring_sqe(ring, &sqe);
	if (ret)
		return ret;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ch, NULL, 0, 0);
	/* After prep_rw, which clears the union that holds cmd_op. */
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, &arg, sizeof(arg));
	io_uring_sqe_set_data64(sqe, user_data);
	return 0;
}

int kipc_ring_prep_batch(struct io_uring *ring, int ch, struct kipc_batch *b, int send,
			 uint64_t user_data)
{
	return kipc_ring_prep_cmd(ring, ch, send ? KIPC_IOC_SEND_BATCH : KIPC_IOC_RECV_BATCH,
				  b, user_data);
}

int kipc_ring_prep_packed(struct io_uring *ring, int ch, struct kipc_packed *p, int send,
			  uint64_t user_data)
{
	return kipc_ring_prep_cmd(ring, ch, send ? KIPC_IOC_SEND_PACKED : KIPC_IOC_RECV_PACKED,
				  p, user_data);
}

int kipc_ring_prep_sendv(struct io_uring *ring, int ch, const struct iovec *iov,
			 unsigned int iovcnt, unsigned int flags, uint64_t user_data)
{
	if (iovcnt > IOV_MAX)
		return -EINVAL;
	return kipc_ring_prep_rw(ring, IORING_OP_WRITEV, ch, iov, iovcnt, flags, user_data);
}

int kipc_ring_prep_recvv(struct io_uring *ring, int ch, const struct iovec *iov,
			 unsigned int iovcnt, unsigned int flags, uint64_t user_data)
{
	if (iovcnt > IOV_MAX)
		return -EINVAL;
	return kipc_ring_prep_rw(ring, IORING_OP_READV, ch, iov, iovcnt, flags, user_data);
}

int kipc_ring_prep_cancel(struct io_uring *ring, uint64_t target, unsigned int flags,
			  uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (!ring || (flags & ~KIPC_RING_CANCEL_ALL))
		return -EINVAL;
	ret = kipc_ring_sqe(ring, &sqe);
	if (ret)
		return ret;
	io_uring_prep_cancel64(sqe, target,
			       (flags & KIPC_RING_CANCEL_ALL) ? IORING_ASYNC_CANCEL_ALL : 0);
	io_uring_sqe_set_data64(sqe, user_data);
	return 0;
}

int kipc_ring_prep_cancel_chan(struct io_uring *ring, int ch, uint64_t user_data)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (!ring || ch < 0)
		return -EINVAL;
	ret = kipc_ring_sqe(ring, &sqe);
	if (ret)
		return ret;
	io_uring_prep_cancel_fd(sqe, ch, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, user_data);
	return 0;
}

int kipc_ring_submit(struct io_uring *ring)
{
	if (!ring)
		return -EINVAL;
	return io_uring_submit(ring);
}

int kipc_ring_submit_and_wait(struct io_uring *ring, unsigned int wait_nr)
{
	if (!ring)
		return -EINVAL;
	return io_uring_submit_and_wait(ring, wait_nr);
}

/* Copy up to @max ready completions to @out and release them. */
static unsigned int kipc_ring_copy_cqes(struct io_uring *ring, struct kipc_ring_cqe *out,
					unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		if (n == max)
			break;
		out[n].user_data = io_uring_cqe_get_data64(cqe);
		out[n].res = cqe->res;
		out[n].flags = cqe->flags;
		n++;
	}
	io_uring_cq_advance(ring, n);
	return n;
}

int kipc_ring_reap(struct io_uring *ring, struct kipc_ring_cqe *out, unsigned int max,
		   unsigned int wait_nr, int64_t timeout_ns)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int ret;

	if (!ring || (max && !out))
		return -EINVAL;
	if (!io_uring_sq_ready(ring) && io_uring_cq_ready(ring) >= wait_nr &&
	    !(IO_URING_READ_ONCE(*ring->sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))) {
		/* Nothing to submit, no deferred work, enough to reap: no syscall. */
		ret = 0;
	} else if (!wait_nr) {
		ret = io_uring_submit(ring);
	} else if (timeout_ns < 0) {
		ret = io_uring_submit_and_wait(ring, wait_nr);
	} else {
		/*
		 * Submit first: io_uring_enter(2) reports the number submitted,
		 * not that its wait timed out, so one call cannot do both.
		 */
		ret = io_uring_submit(ring);
		if (ret >= 0 && io_uring_cq_ready(ring) < wait_nr) {
			ts.tv_sec = timeout_ns / 1000000000;
			ts.tv_nsec = timeout_ns % 1000000000;
			ret = io_uring_wait_cqes(ring, &cqe, wait_nr, &ts, NULL);
			if (ret == -ETIME)
				ret = io_uring_cq_ready(ring) ? 0 : -ETIMEDOUT;
		}
	}
	if (ret < 0)
		return ret;
	return (int)kipc_ring_copy_cqes(ring, out, max);
}

/*
 * io-wq names its worker threads "iou-wrk-<pid>" (SQPOLL threads are
 * "iou-sqp-<pid>" and are not counted). A thread that exits while the
 * directory is read is simply not counted.
 */
int kipc_ring_workers(pid_t pid)
{
	char path[64], comm[32];
	struct dirent *de;
	int n = 0, len;
	DIR *dir;
	FILE *f;

	if (pid < 0)
		return -EINVAL;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/task");
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT && pid ? -ESRCH : -errno;
	len = (int)strlen(path);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path + len, sizeof(path) - (size_t)len, "/%.20s/comm", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, "iou-wrk", 7))
			n++;
		fclose(f);
	}
	closedir(dir);
	return n;
}
