// SPDX-License-Identifier: GPL-2.0
/*
 * kipc reference handoff: the one place where channels and regions meet.
 *
 * KIPC_IOC_SEND_REF on a channel queues a message that names (region,
 * offset, len) and holds a region reference; nothing is copied.
 * KIPC_IOC_RECV_REF hands the receiver a read-only region fd (or reuses
 * one it names) plus offset and length; a plain receive of a reference
 * message copies the referenced bytes instead (kipc_ref_copy_out()), under
 * the same read-permission check. Channels are reached through their
 * queue interface (kipc_chan_send_list(), kipc_chan_recv()), regions
 * through theirs (kipc_region_*()). Locking: see kipc_internal.h; the
 * deliver callback here runs under the channel's recv_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/uio.h>

#include "kipc_compat.h"
#include "kipc_internal.h"

/*
 * Checks common to both directions, like kipc_xfer_validate() in
 * kipc_xfer.c: known flags, priority in range, deadline given exactly
 * when flagged, and the output fields zero on input.
 */
static int kipc_ref_xfer_check(const struct kipc_ref_xfer *x, u32 allowed)
{
	if (x->flags & ~allowed)
		return -EINVAL;
	if (x->prio > KIPC_PRIO_MAX)
		return -EINVAL;
	if ((x->flags & KIPC_XFER_DEADLINE) ? !x->deadline_ns : x->deadline_ns)
		return -EINVAL;
	if (x->region_id || memchr_inv(&x->info, 0, sizeof(x->info)))
		return -EINVAL;
	return 0;
}

/*
 * Queue @msg, a prepared reference message, as a batch of one. Return: 0
 * once queued (the channel owns @msg), or -EMSGSIZE or an error of
 * kipc_chan_send_list() (the caller still owns it).
 */
static long kipc_ref_send(struct kipc_chan *ch, struct file *file, struct kipc_msg *msg,
			  u32 xflags, u64 deadline_ns)
{
	LIST_HEAD(list);
	long ret;

	/* Held to max_msg_size like an inline message: a plain read takes it. */
	if (msg->len > kipc_chan_max_msg_size(ch))
		return -EMSGSIZE;
	list_add(&msg->link, &list);
	ret = kipc_chan_send_list(ch, file, &list, xflags, deadline_ns);
	if (ret < 0) {
		list_del_init(&msg->link);
		return ret;
	}
	return 0;
}

/**
 * kipc_send_ref_ioctl() - KIPC_IOC_SEND_REF: queue a region reference
 * @ucmd: the call on a channel fd open for sending; @ucmd->cmd is a
 *	struct kipc_ref_xfer
 *
 * @shm_fd must be a region fd open for reading (-EBADF if it is not an
 * open fd or not readable, -EINVAL if it is not a region fd), and
 * [@offset, @offset + @len) must lie within the region (-EINVAL), and
 * @len is held to the channel's max_msg_size like an inline message
 * (-EMSGSIZE): a receiver can always take it with a plain read. The queued
 * message holds a region reference, so the region outlives the sender's
 * fds, mappings and name until it is received.
 *
 * Context: process context, may sleep; takes the channel's spinlock
 * (kipc_chan.lock) to queue.
 * Return: 0 once queued, or -errno as for KIPC_IOC_SEND.
 */
long kipc_send_ref_ioctl(struct kipc_ucmd *ucmd)
{
	struct file *file = ucmd->file;
	struct kipc_chan *ch = kipc_chan_from_file(file);
	struct kipc_ref_xfer *x = ucmd->cmd;
	struct kipc_region *r;
	struct kipc_msg *msg;
	struct fd f;
	u64 end;
	long ret;

	ret = kipc_ref_xfer_check(x, KIPC_XFER_NONBLOCK | KIPC_XFER_DEADLINE);
	if (!ret)
		ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	if (x->shm_fd < 0)
		return -EBADF;

	f = fdget(x->shm_fd);
	if (!kipc_fd_file(f))
		return -EBADF;
	r = kipc_region_from_file(kipc_fd_file(f));
	if (!r) {
		ret = -EINVAL;
		goto out_fdput;
	}
	if (!(kipc_fd_file(f)->f_mode & FMODE_READ)) {
		ret = -EBADF;
		goto out_fdput;
	}
	if (check_add_overflow(x->offset, x->len, &end) || end > kipc_region_length(r) ||
	    x->len > U32_MAX) {
		ret = -EINVAL;
		goto out_fdput;
	}

	msg = kipc_msg_alloc(0);
	if (!msg) {
		ret = -ENOMEM;
		goto out_fdput;
	}
	/* A reference's payload is in the region: it costs the overhead only. */
	ret = kipc_msg_charge(msg, file);
	if (ret) {
		kipc_msg_free(msg);
		goto out_fdput;
	}
	msg->flags = KIPC_MSG_REF;
	msg->prio = x->prio;
	msg->offset = x->offset;
	msg->len = x->len;
	kipc_region_ref_get(r);
	msg->region = r;
	fdput(f);

	ret = kipc_ref_send(ch, file, msg, x->flags, x->deadline_ns);
	if (ret < 0)
		kipc_msg_free(msg);	/* drops the region reference */
	return ret;

out_fdput:
	fdput(f);
	return ret;
}

/**
 * struct kipc_ref_recv - state of one KIPC_IOC_RECV_REF call
 * @ucmd: the call; its argument (struct kipc_ref_xfer) is filled in and
 *	written back by kipc_deliver_ref()
 * @hint: the region of the caller's @shm_fd, or NULL
 * @file: a new region file, made under the channel's recv_lock, installed
 *	after it is dropped
 * @fd: the fd reserved for @file, or -1
 * @fd_flags: O_CLOEXEC or 0
 */
struct kipc_ref_recv {
	struct kipc_ucmd *ucmd;
	struct kipc_region *hint;
	struct file *file;
	int fd;
	unsigned int fd_flags;
};

/*
 * Deliver the head message as a reference. Called under kipc_chan.recv_lock;
 * any error leaves the message queued. The argument is copied out here,
 * before the message is consumed, so that -EFAULT loses nothing; the new
 * fd's number goes out before fd_install(), which is harmless: the number
 * is reserved and nothing else can use it meanwhile.
 */
static long kipc_deliver_ref(struct kipc_msg *msg, void *arg)
{
	struct kipc_ref_recv *rr = arg;
	struct kipc_ref_xfer *x = rr->ucmd->cmd;
	struct kipc_region *r = msg->region;
	struct file *file;
	long ret;

	if (!(msg->flags & KIPC_MSG_REF))
		return -ENOMSG;

	/*
	 * A readable fd the caller already holds for this region is its
	 * permission, and comes back unchanged in @shm_fd.
	 */
	if (r != rr->hint) {
		ret = kipc_region_may_read(r);
		if (ret)
			return ret;
		if (rr->file && kipc_region_from_file(rr->file) != r) {
			/* Not reached with kipc_chan_recv(); be safe anyway. */
			fput(rr->file);
			rr->file = NULL;
		}
		if (rr->fd < 0) {
			ret = get_unused_fd_flags(rr->fd_flags);
			if (ret < 0)
				return ret;
			rr->fd = ret;
		}
		if (!rr->file) {
			file = kipc_region_file_open(r, O_RDONLY);
			if (IS_ERR(file))
				return PTR_ERR(file);
			rr->file = file;
		}
		x->shm_fd = rr->fd;
	}

	x->offset = msg->offset;
	x->len = msg->len;
	x->region_id = kipc_region_id(r);
	kipc_msg_fill_info(msg, &x->info);
	return kipc_ucmd_respond(rr->ucmd);
}

/**
 * kipc_recv_ref_ioctl() - KIPC_IOC_RECV_REF: receive a region reference
 * @ucmd: the call on a channel fd open for receiving; @ucmd->cmd is a
 *	struct kipc_ref_xfer
 *
 * If the head message is not a reference: -ENOMSG, and it stays queued.
 * If the caller's @shm_fd (or -1) is a region fd of the referenced region,
 * it is reused; otherwise the caller needs read permission on the region
 * (-EACCES, the message stays queued until a KIPC_IOC_RECV with
 * KIPC_XFER_DISCARD drops it) and gets a new read-only region fd
 * (O_CLOEXEC with KIPC_REF_CLOEXEC). A @shm_fd that is neither -1 nor an
 * open region fd gives -EBADF.
 *
 * Context: process context, may sleep; takes the channel's recv_lock,
 * and its spinlock inside it.
 * Return: 0, or -errno as for KIPC_IOC_RECV.
 */
long kipc_recv_ref_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_ref_recv rr = { .ucmd = ucmd, .fd = -1 };
	struct kipc_ref_xfer *x = ucmd->cmd;
	struct fd f = {};
	struct file *hint;
	long ret;

	/* KIPC_XFER_DISCARD is KIPC_IOC_RECV's (it drops either kind). */
	ret = kipc_ref_xfer_check(x, (KIPC_XFER_ALL & ~KIPC_XFER_DISCARD) | KIPC_REF_CLOEXEC);
	if (ret)
		return ret;
	if (x->prio || x->offset || x->len)
		return -EINVAL;
	ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	if (x->shm_fd != -1) {
		if (x->shm_fd < 0)
			return -EBADF;
		f = fdget(x->shm_fd);
		hint = kipc_fd_file(f);
		if (!hint)
			return -EBADF;
		if (!kipc_region_from_file(hint)) {
			fdput(f);
			return -EBADF;
		}
		if (hint->f_mode & FMODE_READ)
			rr.hint = kipc_region_from_file(hint);
	}
	if (x->flags & KIPC_REF_CLOEXEC)
		rr.fd_flags = O_CLOEXEC;

	ret = kipc_chan_recv(kipc_chan_from_file(ucmd->file), ucmd->file,
			     x->flags & KIPC_XFER_ALL, x->deadline_ns, 1, kipc_deliver_ref, NULL,
			     &rr);
	if (ret >= 0 && rr.file) {
		fd_install(rr.fd, rr.file);
		rr.file = NULL;
		rr.fd = -1;
	}
	if (rr.file)
		fput(rr.file);
	if (rr.fd >= 0)
		put_unused_fd(rr.fd);
	fdput(f);
	return ret < 0 ? ret : 0;
}

/**
 * kipc_ref_copy_out() - deliver a reference message by copying its bytes
 * @msg: a message with KIPC_MSG_REF set
 * @to: the receiver's buffer, at least @msg->len bytes
 *
 * Reads the referenced range through the shmem file (holes read as
 * zeroes without allocating pages). @to is advanced by @msg->len.
 *
 * Context: process context under the channel's recv_lock (not its
 * spinlock); may sleep and fault on @to.
 * Return: @msg->len, -EMSGSIZE if @to is too small, or -EFAULT (the
 * caller leaves the message queued).
 */
long kipc_ref_copy_out(struct kipc_msg *msg, struct iov_iter *to)
{
	size_t count = iov_iter_count(to);
	ssize_t ret;

	/* The same rule as KIPC_IOC_RECV_REF: the receiver must be allowed to read it. */
	ret = kipc_region_may_read(msg->region);
	if (ret)
		return ret;
	if (count < msg->len)
		return -EMSGSIZE;
	if (!msg->len)
		return 0;

	iov_iter_truncate(to, msg->len);
	ret = kipc_region_read(msg->region, msg->offset, to);
	iov_iter_reexpand(to, iov_iter_count(to) + count - msg->len);
	if (ret < 0)
		return ret;
	if (ret != msg->len)
		return -EFAULT;
	return ret;
}
