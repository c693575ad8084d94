// SPDX-License-Identifier: GPL-2.0
/*
 * kipc transfers: the user side of moving messages through a channel.
 * KIPC_IOC_SEND and KIPC_IOC_RECV, the batches (KIPC_IOC_SEND_BATCH,
 * KIPC_IOC_RECV_BATCH, also through io_uring), the packed batches
 * (KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED) and read(2)/write(2): the
 * iovec arrays (in the caller's ABI), the struct kipc_xfer entries, one
 * check of a struct kipc_xfer (kipc_xfer_validate()), and the info
 * written back. A single send or receive is a batch of one: every path
 * ends in kipc_chan_send_list() or kipc_chan_recv() (kipc_chan.c).
 * Locking: see kipc_internal.h; the deliver callbacks here run under the
 * channel's recv_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kipc_internal.h"

/* What a struct kipc_xfer is for: kipc_xfer_validate() checks it so. */
enum kipc_xfer_use {
	KIPC_XFER_USE_SEND,	/* KIPC_IOC_SEND */
	KIPC_XFER_USE_RECV,	/* KIPC_IOC_RECV */
	KIPC_XFER_USE_SEND_ENTRY,	/* an entry of a send batch */
	KIPC_XFER_USE_RECV_ENTRY,	/* an entry of a receive batch */
};

/*
 * Whether @info is all zero, as seven aligned words: memchr_inv() costs
 * three times as many instructions on these 56 bytes, twice per message
 * of a batch.
 */
static bool kipc_info_is_zero(const struct kipc_msg_info *info)
{
	const u64 *w = (const u64 *)info;
	u64 acc = 0;
	size_t i;

	BUILD_BUG_ON(sizeof(*info) % sizeof(u64));
	for (i = 0; i < sizeof(*info) / sizeof(u64); i++)
		acc |= w[i];
	return !acc;
}

/**
 * kipc_xfer_validate() - check the input fields of a struct kipc_xfer
 * @x: the struct, as the caller gave it (@info included)
 * @use: what it is for
 *
 * @info must be zero (it is output only); known @flags only (a batch
 * entry has none: the batch's apply); handles only for a single send
 * (at most KIPC_HANDLES_MAX, no @fd_flags) or receive; a priority in range, and zero for
 * a receive; a deadline given exactly when flagged; KIPC_XFER_PEEK and
 * KIPC_XFER_DISCARD not together. A batch entry's @size is checked
 * against the batch's @xfer_size by its caller.
 *
 * Return: 0 or -EINVAL.
 */
static int kipc_xfer_validate(const struct kipc_xfer *x, enum kipc_xfer_use use)
{
	static const u32 allowed[] = {
		[KIPC_XFER_USE_SEND] = KIPC_XFER_NONBLOCK | KIPC_XFER_DEADLINE,
		[KIPC_XFER_USE_RECV] = KIPC_XFER_ALL,
		[KIPC_XFER_USE_SEND_ENTRY] = 0,
		[KIPC_XFER_USE_RECV_ENTRY] = 0,
	};
	bool recv = use == KIPC_XFER_USE_RECV || use == KIPC_XFER_USE_RECV_ENTRY;

	if (!kipc_info_is_zero(&x->info))
		return -EINVAL;
	if (x->flags & ~allowed[use])
		return -EINVAL;
	/* Handles: only KIPC_IOC_SEND and KIPC_IOC_RECV carry them. */
	switch (use) {
	case KIPC_XFER_USE_SEND:
		if (x->nfds > KIPC_HANDLES_MAX || x->fd_flags)
			return -EINVAL;
		break;
	case KIPC_XFER_USE_RECV:
		if (x->fd_flags & ~KIPC_FD_NOCLOEXEC)
			return -EINVAL;
		break;
	default:
		if (x->fds || x->nfds || x->fd_flags)
			return -EINVAL;
		break;
	}
	if (x->prio > KIPC_PRIO_MAX || (recv && x->prio))
		return -EINVAL;
	if ((x->flags & KIPC_XFER_DEADLINE) ? !x->deadline_ns : x->deadline_ns)
		return -EINVAL;
	if ((x->flags & KIPC_XFER_PEEK) && (x->flags & KIPC_XFER_DISCARD))
		return -EINVAL;
	return 0;
}

/*
 * Small user structs on the per-message path (batch entries, the iovecs
 * of a message, the info written back) are read and written field
 * by field inside one user access window rather than with copy_from_user()
 * and copy_to_user(): no string copy for a few words, and no usercopy
 * hardening walk per message.
 */

/*
 * One iovec at @uv in the caller's ABI (a struct compat_iovec if @compat)
 * into @iov: -EFAULT if unreadable, -EINVAL if its length is negative as
 * an ssize_t of that ABI.
 */
static int kipc_get_iovec(struct iovec *iov, const void __user *uv, bool compat)
{
	const struct compat_iovec __user *cv = uv;
	const struct iovec __user *nv = uv;
	compat_uptr_t cbase;
	compat_ssize_t clen;
	ssize_t len;

	if (!user_read_access_begin(uv, compat ? sizeof(*cv) : sizeof(*nv)))
		return -EFAULT;
	if (compat) {
		unsafe_get_user(cbase, &cv->iov_base, efault);
		unsafe_get_user(clen, &cv->iov_len, efault);
		iov->iov_base = compat_ptr(cbase);
		len = clen;
	} else {
		unsafe_get_user(iov->iov_base, &nv->iov_base, efault);
		unsafe_get_user(len, &nv->iov_len, efault);
	}
	user_read_access_end();
	if (len < 0)
		return -EINVAL;
	iov->iov_len = len;
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * The iovec array @x->iov of @x->iovcnt entries, read in the caller's ABI
 * (@compat: struct compat_iovec, as a 32-bit program lays it out), with
 * import_iovec()'s checks and errors: more than UIO_MAXIOV entries is
 * -EINVAL, the total is capped at MAX_RW_COUNT, and one entry gives an
 * ITER_UBUF. access_ok() checks what is left of each entry after the cap
 * (import_iovec() checks the whole of a later entry). import_iovec()
 * itself cannot be used: it takes the ABI from
 * in_compat_syscall(), which an io_uring command does not follow (the
 * ring's ABI is its creator's), and __import_iovec() is not exported.
 * Return: the byte count (>= 0) or -errno; kfree(*@iov) afterwards.
 */
static ssize_t kipc_import_xfer_iov(int dir, const struct kipc_xfer *x, bool compat,
				    struct iovec *iovstack, struct iovec **iov,
				    struct iov_iter *iter)
{
	size_t esz = compat ? sizeof(struct compat_iovec) : sizeof(struct iovec);
	const void __user *uv = u64_to_user_ptr(x->iov);
	struct iovec *vec = iovstack;
	size_t total = 0;
	int ret;
	u32 i;

	*iov = NULL;
	if (x->iovcnt > UIO_MAXIOV)
		return -EINVAL;
	if (x->iovcnt > UIO_FASTIOV) {
		vec = kmalloc_array(x->iovcnt, sizeof(*vec), GFP_KERNEL);
		if (!vec)
			return -ENOMEM;
		*iov = vec;
	}
	for (i = 0; i < x->iovcnt; i++) {
		ret = kipc_get_iovec(&vec[i], uv + i * esz, compat);
		if (ret)
			goto fail;
		vec[i].iov_len = min_t(size_t, vec[i].iov_len, MAX_RW_COUNT - total);
		if (!access_ok(vec[i].iov_base, vec[i].iov_len)) {
			ret = -EFAULT;
			goto fail;
		}
		total += vec[i].iov_len;
	}
	if (x->iovcnt == 1)
		iov_iter_ubuf(iter, dir, vec[0].iov_base, total);
	else
		iov_iter_init(iter, dir, vec, x->iovcnt, total);
	return total;
fail:
	kfree(*iov);
	*iov = NULL;
	return ret;
}

/*
 * Write @info into the struct kipc_xfer at @ux (its other fields are
 * inputs), as much of it as the caller's @usize holds: an ABI 2 caller's
 * info ends before @pid_start_ns. A caller whose struct has @nfds gets
 * @nfds too (the handles received, or needed with -EMSGSIZE).
 */
static int kipc_info_to_user(struct kipc_xfer __user *ux, const struct kipc_msg_info *info,
			     u32 usize, u32 nfds)
{
	struct kipc_msg_info __user *u = &ux->info;
	bool v1 = usize >= offsetofend(struct kipc_xfer, fd_flags);

	if (!user_write_access_begin(ux, v1 ? sizeof(*ux) : KIPC_XFER_SIZE_VER0))
		return -EFAULT;
	unsafe_put_user(info->seq, &u->seq, efault);
	unsafe_put_user(info->time_ns, &u->time_ns, efault);
	unsafe_put_user(info->pid, &u->pid, efault);
	unsafe_put_user(info->uid, &u->uid, efault);
	unsafe_put_user(info->gid, &u->gid, efault);
	unsafe_put_user(info->len, &u->len, efault);
	unsafe_put_user(info->prio, &u->prio, efault);
	unsafe_put_user(info->flags, &u->flags, efault);
	if (v1) {
		unsafe_put_user(info->pid_start_ns, &u->pid_start_ns, efault);
		unsafe_put_user(info->nr_handles, &u->nr_handles, efault);
		unsafe_put_user(info->__reserved, &u->__reserved, efault);
		unsafe_put_user(nfds, &ux->nfds, efault);
	}
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Read a struct kipc_xfer (its first sizeof() bytes) at @ux into @x, in
 * one user access window. -EFAULT if unreadable.
 */
static int kipc_xfer_from_user(struct kipc_xfer *x, const struct kipc_xfer __user *ux)
{
	const u64 __user *ui = (const u64 __user *)&ux->info;
	u64 w[7];

	BUILD_BUG_ON(sizeof(ux->info) != sizeof(w));
	if (!user_read_access_begin(ux, sizeof(*ux)))
		return -EFAULT;
	unsafe_get_user(x->size, &ux->size, efault);
	unsafe_get_user(x->flags, &ux->flags, efault);
	unsafe_get_user(x->iov, &ux->iov, efault);
	unsafe_get_user(x->iovcnt, &ux->iovcnt, efault);
	unsafe_get_user(x->prio, &ux->prio, efault);
	unsafe_get_user(x->deadline_ns, &ux->deadline_ns, efault);
	unsafe_get_user(w[0], &ui[0], efault);
	unsafe_get_user(w[1], &ui[1], efault);
	unsafe_get_user(w[2], &ui[2], efault);
	unsafe_get_user(w[3], &ui[3], efault);
	unsafe_get_user(w[4], &ui[4], efault);
	unsafe_get_user(w[5], &ui[5], efault);
	unsafe_get_user(w[6], &ui[6], efault);
	unsafe_get_user(x->fds, &ux->fds, efault);
	unsafe_get_user(x->nfds, &ux->nfds, efault);
	unsafe_get_user(x->fd_flags, &ux->fd_flags, efault);
	user_read_access_end();
	memcpy(&x->info, w, sizeof(w));
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * A struct kipc_xfer of @usize bytes at @up (the caller's size, at least
 * KIPC_XFER_SIZE_VER0), as the ioctl dispatcher takes an argument: a size
 * above a page is -E2BIG, a longer struct's tail must be zero (-E2BIG), a
 * shorter one's missing tail reads as zero. Then kipc_xfer_from_user().
 */
static int kipc_xfer_sized_from_user(struct kipc_xfer *x, const void __user *up, u32 usize)
{
	int ret;

	if (usize > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	if (usize < sizeof(*x))
		return copy_struct_from_user(x, sizeof(*x), up, usize);
	if (usize > sizeof(*x)) {
		ret = check_zeroed_user(up + sizeof(*x), usize - sizeof(*x));
		if (ret <= 0)
			return ret ? ret : -E2BIG;
	}
	return kipc_xfer_from_user(x, up);
}

/* Delivery of an inline message (or, by copying, a reference) to an iov_iter. */
struct kipc_copy_out {
	struct iov_iter *to;
	struct kipc_xfer *x;		/* KIPC_IOC_RECV only: the argument ... */
	void __user *uarg;		/* ... and where it goes back */
	long len;			/* the delivered message's length */
	struct kipc_handles_out *hout;	/* handles to install, or NULL: none taken */
};

/*
 * Whether this receive can take the handles of a message carrying @nh:
 * only KIPC_IOC_RECV of an ABI 3 struct with room for all of them. A
 * peek takes none and needs no room.
 */
static __always_inline bool kipc_can_take_handles(const struct kipc_copy_out *co, u32 nh)
{
	if (!nh || (co->x && (co->x->flags & KIPC_XFER_PEEK)))
		return true;
	return co->hout && co->x->nfds >= nh;
}

static __always_inline long kipc_deliver_copy(struct kipc_msg *msg, void *arg)
{
	struct kipc_copy_out *co = arg;
	u32 nh = msg->handles ? kipc_msg_nr_handles(msg) : 0;
	bool took = false;
	long ret;

	if (iov_iter_count(co->to) < msg->len || !kipc_can_take_handles(co, nh))
		ret = -EMSGSIZE;
	else if (msg->flags & KIPC_MSG_REF)
		ret = kipc_ref_copy_out(msg, co->to);
	else if (!kipc_msg_copy_to_iter(msg, co->to))
		ret = -EFAULT;
	else
		ret = msg->len;
	/* Handles: fds reserved now, installed once the message is taken. */
	if (ret >= 0 && nh && co->hout && !(co->x->flags & KIPC_XFER_PEEK)) {
		int err = kipc_handles_prepare(msg, co->hout, u64_to_user_ptr(co->x->fds),
					       co->x->fd_flags);
		if (err)
			return err;
		took = true;
	}
	if (ret >= 0)
		co->len = ret;

	/*
	 * The ioctl's info goes back (with the data, or with -EMSGSIZE for
	 * the length) before the message is dequeued: a fault writing it
	 * leaves the message queued, like any other fault.
	 */
	if (co->x && (ret >= 0 || ret == -EMSGSIZE)) {
		kipc_msg_fill_info(msg, &co->x->info);
		if (kipc_info_to_user(co->uarg, &co->x->info, co->x->size,
				      ret >= 0 && !took ? 0 : nh)) {
			if (took)
				kipc_handles_finish(co->hout, false);
			return -EFAULT;
		}
	}
	return ret;
}

/*
 * KIPC_XFER_DISCARD: tell the receiver what it drops, deliver nothing. No
 * permission check on a referenced region: nothing of it is read. A fault
 * writing @info leaves the message queued, like any other fault.
 */
static long kipc_deliver_discard(struct kipc_msg *msg, void *arg)
{
	struct kipc_copy_out *co = arg;

	kipc_msg_fill_info(msg, &co->x->info);
	if (kipc_info_to_user(co->uarg, &co->x->info, co->x->size, 0))
		return -EFAULT;
	co->len = msg->len;
	return msg->len;
}

/*
 * Send the message @from holds: without handles, kipc_chan_send_iter();
 * with them, a batch of one, with no spares taken up front
 * (kipc_chan_msg_from_iter() finds one itself).
 * Return: its length once queued, or -errno.
 */
static long kipc_send_iter(struct kipc_chan *ch, struct file *file, struct iov_iter *from,
			   u32 prio, u32 xflags, u64 deadline_ns, const int __user *ufds, u32 nfds)
{
	struct kipc_msg *msg;
	LIST_HEAD(list);
	long ret, len;

	if (!nfds)
		return kipc_chan_send_iter(ch, file, from, prio, xflags, deadline_ns);
	kipc_chan_send_begin(ch, NULL, 1);
	msg = kipc_chan_msg_from_iter(ch, file, from, NULL);
	ret = IS_ERR(msg) ? PTR_ERR(msg) : 0;
	if (!ret && nfds) {
		ret = kipc_handles_attach(msg, ufds, nfds);
		if (ret)
			list_add(&msg->link, &list);	/* back to the spares */
	}
	if (ret) {
		/* nothing to queue */
	} else {
		msg->prio = prio;
		len = msg->len;		/* once queued, @msg is the receivers' */
		list_add(&msg->link, &list);
		ret = kipc_chan_send_list(ch, file, &list, xflags, deadline_ns);
		if (ret > 0)
			ret = len;
	}
	kipc_chan_send_end(ch, &list, NULL);
	return ret;
}

/*
 * Receive one message into @co: kipc_chan_take_one(), or a batch of one
 * to peek. Return: its length or -errno.
 */
static long kipc_recv_one(struct kipc_chan *ch, struct file *file, u32 xflags,
			  u64 deadline_ns, kipc_deliver_fn deliver, struct kipc_copy_out *co)
{
	struct kipc_msg *msg;
	long ret;

	if (xflags & KIPC_XFER_PEEK) {
		ret = kipc_chan_recv(ch, file, xflags, deadline_ns, 1, deliver, NULL, co);
		return ret < 0 ? ret : co->len;
	}
	msg = kipc_chan_take_one(ch, file, xflags, deadline_ns);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	ret = deliver(msg, co);
	kipc_chan_take_done(ch, msg, ret >= 0, xflags);
	return ret < 0 ? ret : co->len;
}

/**
 * kipc_chan_read_iter() - read(2) of a channel fd: receive one message
 * @iocb: the call (IOCB_NOWAIT: do not block)
 * @to: the buffer
 *
 * Return: the message length, or -errno as for KIPC_IOC_RECV.
 */
ssize_t kipc_chan_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *file = iocb->ki_filp;
	struct kipc_copy_out co = { .to = to };
	u32 xflags = 0;

	if (iocb->ki_flags & IOCB_NOWAIT)
		xflags |= KIPC_XFER_NONBLOCK;
	/* A channel's own read_iter: its private_data is the channel. */
	return kipc_recv_one(file->private_data, file, xflags, 0, kipc_deliver_copy, &co);
}

/**
 * kipc_chan_write_iter() - write(2) of a channel fd: send one message
 * @iocb: the call (IOCB_NOWAIT: do not block)
 * @from: the message
 *
 * Return: the message length, or -errno as for KIPC_IOC_SEND.
 */
ssize_t kipc_chan_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	u32 xflags = 0;

	if (iocb->ki_flags & IOCB_NOWAIT)
		xflags |= KIPC_XFER_NONBLOCK;
	/* A channel's own write_iter: its private_data is the channel. */
	return kipc_send_iter(file->private_data, file, from, 0, xflags, 0, NULL, 0);
}

/**
 * kipc_send_ioctl() - KIPC_IOC_SEND: send one message
 * @ucmd: the call on a channel fd open for sending; @ucmd->cmd is a
 *	struct kipc_xfer
 *
 * Return: the message length, or -errno.
 */
long kipc_send_ioctl(struct kipc_ucmd *ucmd)
{
	struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
	struct kipc_xfer *x = ucmd->cmd;
	struct iov_iter iter;
	long ret;

	ret = kipc_xfer_validate(x, KIPC_XFER_USE_SEND);
	if (!ret)
		ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	ret = kipc_import_xfer_iov(ITER_SOURCE, x, ucmd->compat, iovstack, &iov, &iter);
	if (ret < 0)
		return ret;
	ret = kipc_send_iter(kipc_chan_from_file(ucmd->file), ucmd->file, &iter, x->prio,
			     x->flags, x->deadline_ns, u64_to_user_ptr(x->fds), x->nfds);
	kfree(iov);
	return ret;
}

/**
 * kipc_recv_ioctl() - KIPC_IOC_RECV: receive (or peek at, or discard) one
 *	message
 * @ucmd: the call on a channel fd open for receiving; @ucmd->cmd is a
 *	struct kipc_xfer
 *
 * Return: the message length, or -errno.
 */
long kipc_recv_ioctl(struct kipc_ucmd *ucmd)
{
	struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
	struct kipc_chan *ch = kipc_chan_from_file(ucmd->file);
	struct kipc_xfer *x = ucmd->cmd;
	struct kipc_copy_out co;
	struct iov_iter iter;
	long ret;

	ret = kipc_xfer_validate(x, KIPC_XFER_USE_RECV);
	if (!ret)
		ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	co.x = x;
	co.uarg = ucmd->ubuffer;
	co.hout = NULL;
	if (x->flags & KIPC_XFER_DISCARD)	/* @iov is not used */
		return kipc_recv_one(ch, ucmd->file, x->flags, x->deadline_ns,
				     kipc_deliver_discard, &co);
	ret = kipc_import_xfer_iov(ITER_DEST, x, ucmd->compat, iovstack, &iov, &iter);
	if (ret < 0)
		return ret;
	co.to = &iter;
	/* Room for handles only for a caller that gave some. */
	if (x->size >= KIPC_XFER_SIZE_VER1 && x->nfds) {
		co.hout = kmalloc(sizeof(*co.hout), GFP_KERNEL);
		if (!co.hout) {
			kfree(iov);
			return -ENOMEM;
		}
		co.hout->nr = 0;
	}
	ret = kipc_recv_one(ch, ucmd->file, x->flags, x->deadline_ns, kipc_deliver_copy, &co);
	/* Taken (ret >= 0): install the reserved fds; else give them back. */
	if (co.hout) {
		kipc_handles_finish(co.hout, ret >= 0);
		kfree(co.hout);
	}
	kfree(iov);
	return ret;
}

/* ---- batches (KIPC_IOC_SEND_BATCH, KIPC_IOC_RECV_BATCH) -------------- */

static int kipc_batch_check(const struct kipc_batch *b)
{
	if (b->flags & ~(KIPC_XFER_NONBLOCK | KIPC_XFER_DEADLINE))
		return -EINVAL;
	if ((b->flags & KIPC_XFER_DEADLINE) ? !b->deadline_ns : b->deadline_ns)
		return -EINVAL;
	if (!b->nr || b->nr > KIPC_BATCH_MAX)
		return -EINVAL;
	if (b->xfer_size < KIPC_XFER_SIZE_VER0)
		return -EINVAL;
	if (b->xfer_size > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	return 0;
}

/* Read and check entry @i of a batch; returns its user address in *@up. */
static int kipc_batch_entry(const struct kipc_batch *b, u32 i, bool send,
			    struct kipc_xfer *x, void __user **up)
{
	void __user *p = u64_to_user_ptr(b->xfers + (u64)i * b->xfer_size);
	int ret;

	ret = kipc_xfer_sized_from_user(x, p, b->xfer_size);
	if (ret)
		return ret;
	if (x->size != b->xfer_size)
		return -EINVAL;
	ret = kipc_xfer_validate(x, send ? KIPC_XFER_USE_SEND_ENTRY : KIPC_XFER_USE_RECV_ENTRY);
	if (ret)
		return ret;
	*up = p;
	return 0;
}

static long kipc_send_batch(struct kipc_chan *ch, struct file *file,
			    const struct kipc_batch *b, bool compat)
{
	struct kipc_msg *msg;
	long ret = 0;
	LIST_HEAD(list);
	struct kipc_msg *pool = NULL;
	u32 i;

	kipc_chan_send_begin(ch, &pool, b->nr);
	/* Copy every message in first; an entry that fails ends the batch. */
	for (i = 0; i < b->nr; i++) {
		struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
		struct iov_iter iter;
		struct kipc_xfer x;
		void __user *up;

		ret = kipc_batch_entry(b, i, true, &x, &up);
		if (ret)
			break;
		ret = kipc_import_xfer_iov(ITER_SOURCE, &x, compat, iovstack, &iov, &iter);
		if (ret < 0)
			break;
		msg = kipc_chan_msg_from_iter(ch, file, &iter, &pool);
		kfree(iov);
		if (IS_ERR(msg)) {
			ret = PTR_ERR(msg);
			break;
		}
		msg->prio = x.prio;
		kipc_msg_append(&list, msg);
	}
	if (i)
		ret = kipc_chan_send_list(ch, file, &list, b->flags, b->deadline_ns);
	/* Unsent messages and unused spares go back (or are freed). */
	kipc_chan_send_end(ch, &list, &pool);
	return ret;
}

/* A receive batch being delivered: the next entry to fill. */
struct kipc_batch_recv {
	const struct kipc_batch *b;
	bool compat;
	u32 i;
};

/* Deliver @msg to the next entry of a receive batch, as KIPC_IOC_RECV would. */
static long kipc_batch_deliver(struct kipc_msg *msg, void *arg)
{
	struct kipc_batch_recv *br = arg;
	struct iovec iovstack[UIO_FASTIOV], *iov = iovstack;
	struct kipc_copy_out co;
	struct iov_iter iter;
	struct kipc_xfer x;
	long ret;

	ret = kipc_batch_entry(br->b, br->i, false, &x, &co.uarg);
	if (ret)
		return ret;
	ret = kipc_import_xfer_iov(ITER_DEST, &x, br->compat, iovstack, &iov, &iter);
	if (ret < 0)
		return ret;
	co.to = &iter;
	co.x = &x;
	co.hout = NULL;
	ret = kipc_deliver_copy(msg, &co);
	kfree(iov);
	if (ret >= 0)
		br->i++;
	return ret;
}

static long kipc_recv_batch(struct kipc_chan *ch, struct file *file,
			    const struct kipc_batch *b, bool compat)
{
	struct kipc_batch_recv br = { .b = b, .compat = compat };
	struct kipc_xfer x;
	void __user *up;
	long ret;

	/* A bad first entry fails the call now, not after a wait. */
	ret = kipc_batch_entry(b, 0, false, &x, &up);
	if (ret)
		return ret;
	return kipc_chan_recv(ch, file, b->flags, b->deadline_ns, b->nr, kipc_batch_deliver,
			      NULL, &br);
}

/*
 * The result of a batch, plain or packed, as its caller gets it: through
 * io_uring (@ucmd->uring) "would block" is 0 and a signal -EINTR.
 */
static long kipc_batch_result(const struct kipc_ucmd *ucmd, long ret)
{
	if (ucmd->uring && ret == -EAGAIN)
		return 0;
	if (ucmd->uring && ret == -ERESTARTSYS)
		return -EINTR;
	return ret;
}

/*
 * KIPC_IOC_SEND_BATCH and KIPC_IOC_RECV_BATCH, from ioctl() or from
 * io_uring (@ucmd->uring): never blocking then, and "would block" is 0.
 */
static long kipc_batch(struct kipc_ucmd *ucmd, bool send)
{
	struct kipc_chan *ch = kipc_chan_from_file(ucmd->file);
	struct kipc_batch *b = ucmd->cmd;
	long ret;

	ret = kipc_batch_check(b);
	if (!ret)
		ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	if (ucmd->uring)
		b->flags |= KIPC_XFER_NONBLOCK;
	ret = send ? kipc_send_batch(ch, ucmd->file, b, ucmd->compat) :
		     kipc_recv_batch(ch, ucmd->file, b, ucmd->compat);
	return kipc_batch_result(ucmd, ret);
}

/**
 * kipc_send_batch_ioctl() - KIPC_IOC_SEND_BATCH
 * @ucmd: the call on a channel fd open for sending; @ucmd->cmd is a
 *	struct kipc_batch
 *
 * Return: how many messages were queued, or -errno.
 */
long kipc_send_batch_ioctl(struct kipc_ucmd *ucmd)
{
	return kipc_batch(ucmd, true);
}

/**
 * kipc_recv_batch_ioctl() - KIPC_IOC_RECV_BATCH
 * @ucmd: the call on a channel fd open for receiving; @ucmd->cmd is a
 *	struct kipc_batch
 *
 * Return: how many messages were received, or -errno.
 */
long kipc_recv_batch_ioctl(struct kipc_ucmd *ucmd)
{
	return kipc_batch(ucmd, false);
}

/* ---- packed batches (KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED) ------ */

static int kipc_packed_check(const struct kipc_packed *p)
{
	if (p->flags & ~(KIPC_XFER_NONBLOCK | KIPC_XFER_DEADLINE))
		return -EINVAL;
	if ((p->flags & KIPC_XFER_DEADLINE) ? !p->deadline_ns : p->deadline_ns)
		return -EINVAL;
	if (!p->nr || p->nr > KIPC_BATCH_MAX)
		return -EINVAL;
	if (!p->len || p->len > KIPC_PACKED_MAX)
		return -EINVAL;
	return 0;
}

/*
 * KIPC_IOC_SEND_PACKED: copy the caller's records in once, make a message
 * of each from that copy, and queue them as a send batch does. A record
 * that could not be copied in (the copy stopped at a fault before its
 * end) is -EFAULT; those before it are sent.
 */
static long kipc_send_packed(struct kipc_chan *ch, struct file *file,
			     const struct kipc_packed *p)
{
	struct kipc_packed_send h;
	struct kipc_msg *msg;
	u64 off = 0, copied;
	LIST_HEAD(list);
	struct kipc_msg *pool = NULL;
	long ret = 0;
	char *stage;
	u32 i;

	if (p->len <= KIPC_PACKED_STAGE)
		stage = kipc_chan_send_stage_get(ch);
	else
		stage = kvmalloc(p->len, GFP_KERNEL);
	if (!stage)
		return -ENOMEM;
	copied = p->len - copy_from_user(stage, u64_to_user_ptr(p->buf), p->len);
	kipc_chan_send_begin(ch, &pool, p->nr);
	for (i = 0; i < p->nr; i++) {
		u64 end = off + sizeof(h);

		ret = end > p->len ? -EINVAL : end > copied ? -EFAULT : 0;
		if (ret)
			break;
		memcpy(&h, stage + off, sizeof(h));
		end += h.len;
		ret = h.prio > KIPC_PRIO_MAX || end > p->len ? -EINVAL :
		      end > copied ? -EFAULT : 0;
		if (ret)
			break;
		msg = kipc_chan_msg_from_kernel(ch, file, stage + off + sizeof(h), h.len, &pool);
		if (IS_ERR(msg)) {
			ret = PTR_ERR(msg);
			break;
		}
		msg->prio = h.prio;
		kipc_msg_append(&list, msg);
		off += KIPC_PACKED_SEND_SIZE(h.len);
	}
	if (i)
		ret = kipc_chan_send_list(ch, file, &list, p->flags, p->deadline_ns);
	/* Unsent messages and unused spares go back (or are freed). */
	kipc_chan_send_end(ch, &list, &pool);
	if (p->len <= KIPC_PACKED_STAGE)
		kipc_chan_send_stage_put(ch, stage);
	else
		kvfree(stage);
	return ret;
}

/*
 * A packed receive being delivered: the records built so far in @stage,
 * and the identity of the last sender as this receiver sees it (a stream
 * has few senders, and their translation into the receiver's namespaces
 * is most of what describing a message costs).
 */
struct kipc_packed_recv {
	struct kipc_chan *ch;
	char *stage;		/* NULL, the channel's buffer or one of our own */
	bool own;		/* @stage is ours to free */
	u32 size;		/* bytes at @stage */
	u32 used;		/* bytes of records built */
	u32 room;		/* the caller's @len */
	void __user *ubuf;	/* the caller's @buf */
	const struct pid *pid;	/* the last sender, or NULL */
	kuid_t kuid;
	kgid_t kgid;
	u64 start_ns;
	s32 vpid;		/* ... and how it is seen here */
	u32 uid;
	u32 gid;
	u64 vstart_ns;
};

/*
 * @msg's struct kipc_msg_info, as kipc_msg_fill_info() makes it (the
 * message carries no handles), translating the sender only when it
 * differs from the last one's. The messages of one call hold their pid
 * references until it ends, so comparing pid pointers is sound.
 */
static void kipc_packed_fill_info(struct kipc_packed_recv *pr, const struct kipc_msg *msg,
				  struct kipc_msg_info *info)
{
	if (msg->pid != pr->pid || !uid_eq(msg->uid, pr->kuid) ||
	    !gid_eq(msg->gid, pr->kgid) || msg->start_ns != pr->start_ns) {
		struct user_namespace *ns = current_user_ns();

		pr->pid = msg->pid;
		pr->kuid = msg->uid;
		pr->kgid = msg->gid;
		pr->start_ns = msg->start_ns;
		pr->vpid = pid_vnr(msg->pid);
		pr->uid = from_kuid_munged(ns, msg->uid);
		pr->gid = from_kgid_munged(ns, msg->gid);
		pr->vstart_ns = timens_add_boottime_ns(msg->start_ns);
	}
	info->seq = msg->seq;
	info->time_ns = msg->time_ns;
	info->pid = pr->vpid;
	info->uid = pr->uid;
	info->gid = pr->gid;
	info->len = msg->len;
	info->prio = msg->prio;
	info->flags = msg->flags;
	info->pid_start_ns = pr->vstart_ns;
	info->nr_handles = 0;
	info->__reserved = 0;
}

/*
 * Make room for @need more bytes at @pr->stage (the caller's @len has
 * it): the channel's buffer first, then one of our own, twice as large
 * each time it grows.
 */
static int kipc_packed_grow(struct kipc_packed_recv *pr, u64 need)
{
	u32 size = min_t(u64, max_t(u64, 2ULL * pr->size, pr->used + need), pr->room);
	bool own = pr->stage || need > KIPC_PACKED_STAGE;
	char *stage;

	if (own) {
		stage = kvmalloc(size, GFP_KERNEL);
	} else {
		stage = kipc_chan_recv_stage_locked(pr->ch);
		size = KIPC_PACKED_STAGE;
	}
	if (!stage)
		return -ENOMEM;
	if (pr->used)
		memcpy(stage, pr->stage, pr->used);
	if (pr->own)
		kvfree(pr->stage);
	pr->own = own;
	pr->stage = stage;
	pr->size = size;
	return 0;
}

/*
 * A first message that cannot be taken (its record does not fit, or it
 * carries handles): its info goes to @buf when the room holds one, so the
 * receiver learns why. The message stays queued.
 */
static long kipc_packed_refuse(struct kipc_packed_recv *pr, const struct kipc_msg *msg)
{
	struct kipc_msg_info info;

	if (!pr->used && pr->room >= sizeof(info)) {
		kipc_msg_fill_info(msg, &info);
		if (copy_to_user(pr->ubuf, &info, sizeof(info)))
			return -EFAULT;
	}
	return -EMSGSIZE;
}

/* Build @msg's record at the end of @pr->stage. */
static long kipc_packed_deliver(struct kipc_msg *msg, void *arg)
{
	struct kipc_packed_recv *pr = arg;
	u64 need = KIPC_PACKED_RECV_SIZE(msg->len);
	struct kipc_msg_info *info;
	char *data;
	long ret;

	if (need > pr->room - pr->used || kipc_msg_nr_handles(msg))
		return kipc_packed_refuse(pr, msg);
	if (need > pr->size - pr->used) {
		ret = kipc_packed_grow(pr, need);
		if (ret)
			return ret;
	}
	info = (struct kipc_msg_info *)(pr->stage + pr->used);
	data = (char *)(info + 1);
	if (msg->flags & KIPC_MSG_REF) {
		struct kvec kv = { .iov_base = data, .iov_len = msg->len };
		struct iov_iter to;

		iov_iter_kvec(&to, ITER_DEST, &kv, 1, msg->len);
		ret = kipc_ref_copy_out(msg, &to);
		if (ret < 0)
			return ret;
	} else {
		memcpy(data, msg->data, msg->len);
	}
	memset(data + msg->len, 0, need - sizeof(*info) - msg->len);
	kipc_packed_fill_info(pr, msg, info);
	pr->used += need;
	return msg->len;
}

/*
 * The records go out in one copy, before the messages leave the queue: a
 * fault puts every one of them back (kipc_chan_recv()).
 */
static int kipc_packed_commit(void *arg, u32 n)
{
	struct kipc_packed_recv *pr = arg;

	if (copy_to_user(pr->ubuf, pr->stage, pr->used))
		return -EFAULT;
	return 0;
}

static long kipc_recv_packed(struct kipc_chan *ch, struct file *file,
			     const struct kipc_packed *p)
{
	struct kipc_packed_recv pr = {
		.ch = ch,
		.room = p->len,
		.ubuf = u64_to_user_ptr(p->buf),
	};
	long ret;

	/* A buffer that cannot be user memory fails now, not after a wait. */
	if (!access_ok(pr.ubuf, p->len))
		return -EFAULT;
	ret = kipc_chan_recv(ch, file, p->flags, p->deadline_ns, p->nr, kipc_packed_deliver,
			     kipc_packed_commit, &pr);
	if (pr.own)
		kvfree(pr.stage);
	return ret;
}

/* KIPC_IOC_SEND_PACKED and KIPC_IOC_RECV_PACKED, as kipc_batch(). */
static long kipc_packed(struct kipc_ucmd *ucmd, bool send)
{
	struct kipc_chan *ch = kipc_chan_from_file(ucmd->file);
	struct kipc_packed *p = ucmd->cmd;
	long ret;

	ret = kipc_packed_check(p);
	if (!ret)
		ret = kipc_ucmd_access(ucmd);
	if (ret)
		return ret;
	if (ucmd->uring)
		p->flags |= KIPC_XFER_NONBLOCK;
	ret = send ? kipc_send_packed(ch, ucmd->file, p) :
		     kipc_recv_packed(ch, ucmd->file, p);
	return kipc_batch_result(ucmd, ret);
}

/**
 * kipc_send_packed_ioctl() - KIPC_IOC_SEND_PACKED
 * @ucmd: the call on a channel fd open for sending; @ucmd->cmd is a
 *	struct kipc_packed
 *
 * Return: how many messages were queued, or -errno.
 */
long kipc_send_packed_ioctl(struct kipc_ucmd *ucmd)
{
	return kipc_packed(ucmd, true);
}

/**
 * kipc_recv_packed_ioctl() - KIPC_IOC_RECV_PACKED
 * @ucmd: the call on a channel fd open for receiving; @ucmd->cmd is a
 *	struct kipc_packed
 *
 * Return: how many messages were received, or -errno.
 */
long kipc_recv_packed_ioctl(struct kipc_ucmd *ucmd)
{
	return kipc_packed(ucmd, false);
}
