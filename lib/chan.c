// SPDX-License-Identifier: LGPL-2.1-or-later
/* libkipc: message channels. */
#include <string.h>
#include <unistd.h>

#include "kipc_private.h"

#define KIPC_XFER_FLAGS	(KIPC_NONBLOCK | KIPC_PEEK | KIPC_DISCARD | KIPC_PRIO(0xff))

int kipc_chan_open(const char *name, int oflag, mode_t mode,
		   const struct kipc_chan_attr *attr)
{
	struct kipc_chan_open o = {
		.size = sizeof(o),
		.name = (uintptr_t)name,
		.mode = (uint32_t)mode,
	};
	int ret;

	ret = kipc__oflag_to_open(oflag, &o.flags);
	if (ret)
		return ret;
	if (attr) {
		o.max_msgs = attr->max_msgs;
		o.max_msg_size = attr->max_msg_size;
	}
	return kipc__ctl_ioctl(KIPC_IOC_CHAN_OPEN, &o);
}

int kipc_chan_unlink(const char *name)
{
	struct kipc_unlink u = {
		.size = sizeof(u),
		.name = (uintptr_t)name,
		.type = KIPC_OBJ_CHAN,
	};

	if (!name)
		return -EINVAL;
	return kipc__ctl_ioctl(KIPC_IOC_UNLINK, &u);
}

/* Translate per-call flags; the kernel range-checks the priority. */
static int kipc_xfer_init(struct kipc_xfer *x, const struct iovec *iov, int iovcnt,
			  unsigned int flags, int send, const uint64_t *deadline)
{
	if (flags & ~KIPC_XFER_FLAGS || iovcnt < 0)
		return -EINVAL;
	if (send && (flags & (KIPC_PEEK | KIPC_DISCARD)))
		return -EINVAL;
	if (!send && KIPC_PRIO_OF(flags))
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->iov = (uintptr_t)iov;
	x->iovcnt = (uint32_t)iovcnt;
	x->prio = KIPC_PRIO_OF(flags);
	if (flags & KIPC_NONBLOCK)
		x->flags |= KIPC_XFER_NONBLOCK;
	if (flags & KIPC_PEEK)
		x->flags |= KIPC_XFER_PEEK;
	if (flags & KIPC_DISCARD)
		x->flags |= KIPC_XFER_DISCARD;	/* with PEEK: -EINVAL from the kernel */
	if (deadline) {
		x->flags |= KIPC_XFER_DEADLINE;
		x->deadline_ns = *deadline;
	}
	return 0;
}

static ssize_t kipc_sendv_at(int ch, const struct iovec *iov, int iovcnt,
			     unsigned int flags, const uint64_t *deadline)
{
	struct kipc_xfer x;
	int ret;

	ret = kipc_xfer_init(&x, iov, iovcnt, flags, 1, deadline);
	if (ret)
		return ret;
	return kipc__ioctl(ch, KIPC_IOC_SEND, &x);
}

/*
 * @isz: how much of struct kipc_msg_info the caller's @info has room for
 * (KIPC_MSG_INFO_SIZE_VER0 for the symbols of programs built before ABI 3).
 */
static ssize_t kipc_recvv_at(int ch, const struct iovec *iov, int iovcnt,
			     void *info, size_t isz, unsigned int flags,
			     const uint64_t *deadline)
{
	struct kipc_xfer x;
	long ret;

	ret = kipc_xfer_init(&x, iov, iovcnt, flags, 0, deadline);
	if (ret)
		return ret;
	ret = kipc__ioctl(ch, KIPC_IOC_RECV, &x);
	if (info && (ret >= 0 || ret == -EMSGSIZE))
		memcpy(info, &x.info, isz);
	return ret;
}

ssize_t kipc_sendv(int ch, const struct iovec *iov, int iovcnt, unsigned int flags)
{
	return kipc_sendv_at(ch, iov, iovcnt, flags, NULL);
}

ssize_t kipc_recvv(int ch, const struct iovec *iov, int iovcnt,
		   struct kipc_msg_info *info, unsigned int flags)
{
	return kipc_recvv_at(ch, iov, iovcnt, info, sizeof(*info), flags, NULL);
}

/*
 * The plain cases go through write(2) and read(2), which the channel
 * serves exactly like KIPC_IOC_SEND/RECV with no flags (same errnos, same
 * boundaries), minus the argument struct and iovec array the kernel would
 * copy in and out: the cheapest path for the commonest call.
 */
ssize_t kipc_send(int ch, const void *buf, size_t len, unsigned int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (!flags && len) {
		ssize_t ret = write(ch, buf, len);

		return ret < 0 ? -errno : ret;
	}
	return kipc_sendv_at(ch, &iov, 1, flags, NULL);
}

ssize_t kipc_recv(int ch, void *buf, size_t len, struct kipc_msg_info *info,
		  unsigned int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (!flags && !info && len) {
		ssize_t ret = read(ch, buf, len);

		return ret < 0 ? -errno : ret;
	}
	return kipc_recvv_at(ch, &iov, 1, info, sizeof(*info), flags, NULL);
}

ssize_t kipc_sendv_timed(int ch, const struct iovec *iov, int iovcnt,
			 unsigned int flags, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = kipc__deadline(timeout_ns, &deadline);

	return ret ? ret : kipc_sendv_at(ch, iov, iovcnt, flags, &deadline);
}

ssize_t kipc_recvv_timed(int ch, const struct iovec *iov, int iovcnt,
			 struct kipc_msg_info *info, unsigned int flags,
			 int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = kipc__deadline(timeout_ns, &deadline);

	return ret ? ret : kipc_recvv_at(ch, iov, iovcnt, info, sizeof(*info), flags, &deadline);
}

ssize_t kipc_send_timed(int ch, const void *buf, size_t len, unsigned int flags,
			int64_t timeout_ns)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return kipc_sendv_timed(ch, &iov, 1, flags, timeout_ns);
}

ssize_t kipc_recv_timed(int ch, void *buf, size_t len, struct kipc_msg_info *info,
			unsigned int flags, int64_t timeout_ns)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return kipc_recvv_timed(ch, &iov, 1, info, flags, timeout_ns);
}

/* kipc_batch_prep() for entries of @xsz bytes (the caller's struct kipc_xfer). */
static int kipc_batch_prep_sized(struct kipc_batch *b, void *xv, size_t xsz,
				 const struct iovec *msgs, unsigned int n, unsigned int flags,
				 int send)
{
	unsigned int allowed = send ? KIPC_NONBLOCK | KIPC_PRIO(0xff) : KIPC_NONBLOCK;
	unsigned int i;

	if (!n || n > KIPC_BATCH_MAX || (flags & ~allowed))
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = (flags & KIPC_NONBLOCK) ? KIPC_XFER_NONBLOCK : 0;
	b->nr = n;
	b->xfer_size = (uint32_t)xsz;
	b->xfers = (uintptr_t)xv;
	for (i = 0; i < n; i++) {
		/* the fields set here are in every size's first bytes */
		struct kipc_xfer *x = (struct kipc_xfer *)((char *)xv + i * xsz);

		/*
		 * Entry by entry: one memset() of the whole array is a
		 * "rep stosb" past glibc's threshold (2 KiB), which costs a
		 * guest instruction per byte under QEMU's icount (make bench
		 * MODE=cost); a struct-sized one is a few vector stores.
		 */
		memset(x, 0, xsz);
		x->size = (uint32_t)xsz;
		x->iov = (uintptr_t)&msgs[i];
		x->iovcnt = 1;
		x->prio = KIPC_PRIO_OF(flags);
	}
	return 0;
}

int kipc_batch_prep(struct kipc_batch *b, struct kipc_xfer *x, const struct iovec *msgs,
		    unsigned int n, unsigned int flags, int send)
{
	return kipc_batch_prep_sized(b, x, sizeof(*x), msgs, n, flags, send);
}

/* Entries per system call: struct kipc_xfer arrays live on the stack. */
#define KIPC_BATCH_CHUNK	64

/*
 * One batch ioctl per chunk of up to KIPC_BATCH_CHUNK messages. Only the
 * first may block; a short or failed later chunk ends the call with the
 * count so far.
 */
static int kipc_batch_run(int ch, struct iovec *msgs, unsigned int n,
			  void *info, size_t isz, unsigned int flags, int send)
{
	struct kipc_xfer x[KIPC_BATCH_CHUNK];
	unsigned int done = 0, k, i;
	struct kipc_batch b;
	long ret;

	if (!n)
		return -EINVAL;
	while (done < n) {
		k = n - done < KIPC_BATCH_CHUNK ? n - done : KIPC_BATCH_CHUNK;
		ret = kipc_batch_prep(&b, x, msgs + done, k,
				      done ? flags | KIPC_NONBLOCK : flags, send);
		if (!ret)
			ret = kipc__ioctl(ch, send ? KIPC_IOC_SEND_BATCH : KIPC_IOC_RECV_BATCH, &b);
		if (!send && info && (ret > 0 || (ret == -EMSGSIZE && !done)))
			for (i = 0; i < (ret > 0 ? (unsigned long)ret : 1UL); i++)
				memcpy((char *)info + (done + i) * isz, &x[i].info, isz);
		if (ret < 0)
			return done ? (int)done : (int)ret;
		/* 0 <= ret <= k from here; long is 32 bits with -m32 */
		if (!send)
			for (i = 0; i < (unsigned long)ret; i++)
				msgs[done + i].iov_len = x[i].info.len;
		done += ret;
		if ((unsigned long)ret < k)
			break;
	}
	return (int)done;
}

int kipc_send_batch(int ch, const struct iovec *msgs, unsigned int n, unsigned int flags)
{
	/* kipc_batch_run() writes to msgs only when receiving */
	return kipc_batch_run(ch, (struct iovec *)msgs, n, NULL, 0, flags, 1);
}

int kipc_recv_batch(int ch, struct iovec *msgs, unsigned int n,
		    struct kipc_msg_info *info, unsigned int flags)
{
	return kipc_batch_run(ch, msgs, n, info, sizeof(*info), flags, 0);
}

int kipc_chan_stat(int ch, struct kipc_chan_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return (int)kipc__ioctl(ch, KIPC_IOC_CHAN_STAT, st);
}

/*
 * The symbols of programs built before ABI 3 (KIPC_0.1, KIPC_0.2): their
 * struct kipc_msg_info is KIPC_MSG_INFO_SIZE_VER0 bytes and their struct
 * kipc_xfer KIPC_XFER_SIZE_VER0, so these write no more than that.
 */
#define KIPC__V0(name)	__asm__(#name)

ssize_t kipc__recvv_v0(int ch, const struct iovec *iov, int iovcnt, void *info,
		       unsigned int flags) KIPC__V0(kipc_recvv);
ssize_t kipc__recv_v0(int ch, void *buf, size_t len, void *info,
		      unsigned int flags) KIPC__V0(kipc_recv);
ssize_t kipc__recvv_timed_v0(int ch, const struct iovec *iov, int iovcnt, void *info,
			     unsigned int flags, int64_t timeout_ns) KIPC__V0(kipc_recvv_timed);
ssize_t kipc__recv_timed_v0(int ch, void *buf, size_t len, void *info,
			    unsigned int flags, int64_t timeout_ns) KIPC__V0(kipc_recv_timed);
int kipc__recv_batch_v0(int ch, struct iovec *msgs, unsigned int n, void *info,
			unsigned int flags) KIPC__V0(kipc_recv_batch);
int kipc__batch_prep_v0(struct kipc_batch *b, void *x, const struct iovec *msgs,
			unsigned int n, unsigned int flags, int send) KIPC__V0(kipc_batch_prep);

ssize_t kipc__recvv_v0(int ch, const struct iovec *iov, int iovcnt, void *info,
		       unsigned int flags)
{
	return kipc_recvv_at(ch, iov, iovcnt, info, KIPC_MSG_INFO_SIZE_VER0, flags, NULL);
}

ssize_t kipc__recv_v0(int ch, void *buf, size_t len, void *info, unsigned int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (!flags && !info && len) {
		ssize_t ret = read(ch, buf, len);

		return ret < 0 ? -errno : ret;
	}
	return kipc_recvv_at(ch, &iov, 1, info, KIPC_MSG_INFO_SIZE_VER0, flags, NULL);
}

ssize_t kipc__recvv_timed_v0(int ch, const struct iovec *iov, int iovcnt, void *info,
			     unsigned int flags, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = kipc__deadline(timeout_ns, &deadline);

	return ret ? ret : kipc_recvv_at(ch, iov, iovcnt, info, KIPC_MSG_INFO_SIZE_VER0,
					 flags, &deadline);
}

ssize_t kipc__recv_timed_v0(int ch, void *buf, size_t len, void *info,
			    unsigned int flags, int64_t timeout_ns)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return kipc__recvv_timed_v0(ch, &iov, 1, info, flags, timeout_ns);
}

int kipc__recv_batch_v0(int ch, struct iovec *msgs, unsigned int n, void *info,
			unsigned int flags)
{
	return kipc_batch_run(ch, msgs, n, info, KIPC_MSG_INFO_SIZE_VER0, flags, 0);
}

int kipc__batch_prep_v0(struct kipc_batch *b, void *x, const struct iovec *msgs,
			unsigned int n, unsigned int flags, int send)
{
	return kipc_batch_prep_sized(b, x, KIPC_XFER_SIZE_VER0, msgs, n, flags, send);
}
