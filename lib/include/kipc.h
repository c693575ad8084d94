/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc: the public API of kipc.
 *
 * Every function returns >= 0 on success or a negative errno value; none
 * sets errno or keeps hidden global state. The ABI structures come from
 * the kernel header <linux/kipc.h> (kmod/include/uapi/linux/kipc.h).
 *
 * What each errno means is fixed once, by the kernel: the "DOC: errno
 * contract" table of <linux/kipc.h> (kmod/include/uapi/linux/kipc.h,
 * also in kipc(7)). The calls on channels, regions and the control node
 * return the kernel's value unchanged, and add only -ENOENT from any call
 * that opens /dev/kipc when it is missing (module not loaded) and -EPROTO
 * from kipc_check_abi(). Which values a call can return: its ioctl's
 * "Errors:" line there, and its man page. The userspace mutex, semaphore
 * and io_uring helpers list their own values in their man pages.
 */
#ifndef KIPC_H
#define KIPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_LIB_VERSION_MAJOR	0
#define KIPC_LIB_VERSION_MINOR	3

/* Per-call flags for send and receive. */
#define KIPC_NONBLOCK		0x1u	/* do not block, this call only */
#define KIPC_PEEK		0x2u	/* receive without dequeuing */
#define KIPC_DISCARD		0x4u	/* receive: drop the message, see below */
#define KIPC_PRIO(p)		(((unsigned int)(p) & 0xffu) << 8)
#define KIPC_PRIO_OF(f)		(((f) >> 8) & 0xffu)

/**
 * kipc_version() - the loaded module's ABI version
 * @features: if not NULL, receives the KIPC_FEAT_* bits
 *
 * Return: the ABI version (> 0), -ENOENT if /dev/kipc is missing (module
 * not loaded), or another -errno.
 */
int kipc_version(uint64_t *features);

/**
 * kipc_check_abi() - is the loaded module the one this library speaks to?
 * @module_abi: if not NULL, receives the module's ABI version (0 when it
 *	could not be read)
 *
 * KIPC_ABI_VERSION changes only when the ABI changes incompatibly;
 * compatible additions are announced by KIPC_FEAT_* bits and longer ioctl
 * structures instead. So the library works with a module of exactly its
 * own ABI version. Programs call this once at start (the tools do) and,
 * on -EPROTO, say something like "module ABI 2, library ABI 1: rebuild
 * the program against the installed libkipc, or load the matching
 * kipc.ko". Nothing else checks it: the calls themselves do not, so that
 * each stays one system call.
 *
 * Return: 0 if they match; -EPROTO if they differ; -ENOENT if /dev/kipc
 * is missing (module not loaded); or another -errno from the version ioctl.
 */
int kipc_check_abi(int *module_abi);

/**
 * kipc_stat() - module-wide counters (live channels, regions, messages)
 * @st: filled in
 */
int kipc_stat(struct kipc_global_stat *st);

/**
 * kipc_list() - the live objects the caller may see (KIPC_IOC_LIST)
 * @start_id: the smallest object id to list; 0 to start
 * @entries: filled with up to @max_entries objects, in ascending id order
 * @max_entries: room in @entries; 0 only asks whether any is left
 * @next_id: if not NULL, receives the @start_id of the next call, or 0
 *	when no object is left
 *
 * CAP_SYS_ADMIN sees every object; any other caller the named objects it
 * may open for reading. Loop while *@next_id is not 0; the walk is not a
 * snapshot, but an object alive throughout it is listed exactly once.
 * Needs KIPC_FEAT_LIST (-ENOTTY from an older module).
 *
 * Return: the number of entries filled in, or -errno.
 */
int kipc_list(uint64_t start_id, struct kipc_list_entry *entries, unsigned int max_entries,
	      uint64_t *next_id);

/*
 * ABI 3 grew struct kipc_msg_info (pid_start_ns, nr_handles) and struct
 * kipc_xfer. The calls that write either are bound, for programs built
 * against this header, to new symbols (KIPC_0.3, "<name>_v3") that write
 * the new sizes; programs built against an older header keep the old
 * symbols, which write the old sizes only. glibc moves open() to open64()
 * the same way.
 */
#ifndef KIPC__V3
#define KIPC__V3(name)	__asm__(#name "_v3")
#endif

/* --- channels --- */

/* Limits for a channel being created; 0 means the module default. */
struct kipc_chan_attr {
	uint32_t max_msgs;
	uint32_t max_msg_size;
};

/*
 * kipc_chan_open() - create or open a channel; returns a channel fd.
 * @name: the name, or NULL with O_CREAT for an anonymous channel
 * @oflag: O_RDONLY (receive), O_WRONLY (send) or O_RDWR, with O_CREAT,
 *	O_EXCL, O_NONBLOCK, O_CLOEXEC
 * @mode: permission bits when created (read = receive, write = send)
 * @attr: limits when created, or NULL for the defaults
 */
int kipc_chan_open(const char *name, int oflag, mode_t mode,
		   const struct kipc_chan_attr *attr);
int kipc_chan_unlink(const char *name);

/*
 * Send one message; flags: KIPC_NONBLOCK, KIPC_PRIO(p). Returns the length.
 * Receive one message into buf; flags: KIPC_NONBLOCK, KIPC_PEEK,
 * KIPC_DISCARD; info may be NULL. Returns the length.
 *
 * KIPC_DISCARD takes the head message off without delivering it (buf and
 * len are ignored; no permission check on a referenced region) and fills
 * info in, so the caller knows what it dropped. It is the way past a head
 * message that a receive refuses and leaves queued: -EACCES (a reference
 * to a region the caller may not read) or -EMSGSIZE (larger than the
 * buffer). Not with KIPC_PEEK (-EINVAL); counted in kipc_chan_stat()'s
 * discarded.
 */
ssize_t kipc_send(int ch, const void *buf, size_t len, unsigned int flags);
ssize_t kipc_recv(int ch, void *buf, size_t len, struct kipc_msg_info *info,
		  unsigned int flags)
	KIPC__V3(kipc_recv);
ssize_t kipc_sendv(int ch, const struct iovec *iov, int iovcnt, unsigned int flags);
ssize_t kipc_recvv(int ch, const struct iovec *iov, int iovcnt,
		   struct kipc_msg_info *info, unsigned int flags)
	KIPC__V3(kipc_recvv);
/* As above with a relative timeout in nanoseconds (>= 0): -ETIMEDOUT. */
ssize_t kipc_send_timed(int ch, const void *buf, size_t len, unsigned int flags,
			int64_t timeout_ns);
ssize_t kipc_recv_timed(int ch, void *buf, size_t len, struct kipc_msg_info *info,
			unsigned int flags, int64_t timeout_ns)
	KIPC__V3(kipc_recv_timed);
ssize_t kipc_sendv_timed(int ch, const struct iovec *iov, int iovcnt,
			 unsigned int flags, int64_t timeout_ns);
ssize_t kipc_recvv_timed(int ch, const struct iovec *iov, int iovcnt,
			 struct kipc_msg_info *info, unsigned int flags,
			 int64_t timeout_ns)
	KIPC__V3(kipc_recvv_timed);
int kipc_chan_stat(int ch, struct kipc_chan_stat *st);

/*
 * Batches, as sendmmsg(2)/recvmmsg(2): each iovec is one whole message,
 * and one system call moves up to 64 of them (more take several calls).
 * kipc_send_batch() sends msgs[0..n-1] in order; flags: KIPC_NONBLOCK,
 * KIPC_PRIO(p) for all of them. kipc_recv_batch() receives up to n
 * messages, one per buffer, and sets msgs[i].iov_len to each one's length
 * (and info[i], unless info is NULL); flags: KIPC_NONBLOCK. Both block, if
 * at all, only for the first message, and return how many moved (>= 1)
 * or -errno (the first message's error; a later error makes the count
 * short and is reported by the next call).
 */
int kipc_send_batch(int ch, const struct iovec *msgs, unsigned int n, unsigned int flags);
int kipc_recv_batch(int ch, struct iovec *msgs, unsigned int n,
		    struct kipc_msg_info *info, unsigned int flags)
	KIPC__V3(kipc_recv_batch);

/*
 * kipc_batch_prep() - fill a struct kipc_batch and its @n entries at @x
 * for KIPC_IOC_SEND_BATCH (@send) or KIPC_IOC_RECV_BATCH, one message per
 * iovec of @msgs; flags as above. For submitting through io_uring
 * (kipc_ring_prep_batch()): @b, @x and @msgs must stay valid until the
 * completion. After a receive, x[i].info.len is message i's length.
 * Returns 0 or -EINVAL (n is 0 or above KIPC_BATCH_MAX, bad flags).
 */
int kipc_batch_prep(struct kipc_batch *b, struct kipc_xfer *x, const struct iovec *msgs,
		    unsigned int n, unsigned int flags, int send)
	KIPC__V3(kipc_batch_prep);

/*
 * Packed batches (KIPC_FEAT_PACKED; "DOC: packed batches" in
 * <linux/kipc.h>): up to KIPC_BATCH_MAX messages travel together as
 * records laid end to end in one buffer of at most KIPC_PACKED_MAX
 * (64 KiB) bytes, which the kernel copies once each way: for streams of
 * small messages. Each message stays a message of its own, and the other
 * end may use any call. Keep the buffers 8-byte aligned (records are then
 * aligned too).
 *
 * kipc_packed_add() - append one send record (header, the @len bytes at
 * @data, zero padding) at @buf + @used, in a buffer of @size bytes;
 * flags: KIPC_PRIO(p), p <= KIPC_PRIO_MAX. Returns the new used length,
 * used + KIPC_PACKED_SEND_SIZE(len); -ENOSPC if the record, padding
 * included, does not fit in @size or would take the total past
 * KIPC_PACKED_MAX (nothing written); -EINVAL for bad flags, @used not a
 * multiple of KIPC_PACKED_ALIGN, or @used > @size. Start with @used 0.
 *
 * kipc_send_packed() - send the @nr records in @buf[0..@len) with one
 * KIPC_IOC_SEND_PACKED, in order. kipc_recv_packed() - receive up to @nr
 * messages into @buf with one KIPC_IOC_RECV_PACKED (a @len above
 * KIPC_PACKED_MAX is taken as KIPC_PACKED_MAX); walk them with
 * kipc_packed_next(). flags: KIPC_NONBLOCK. Both block, if at all, only
 * for the first message, and return how many moved (>= 1) or -errno (the
 * first message's error; a later error makes the count short and is
 * reported by the next call). -EINVAL without a system call for @nr 0 or
 * above KIPC_BATCH_MAX, @len 0 (or, to send, above KIPC_PACKED_MAX), bad
 * flags. A first message whose record does not fit is -EMSGSIZE and stays
 * queued; its struct kipc_msg_info is at @buf when @len holds one.
 *
 * kipc_packed_next() - the receive record at @buf + @off, within the @len
 * bytes of a receive's buffer (the @len it was given): *@info (the message's
 * struct kipc_msg_info, info->len its length) and *@data (its payload)
 * point into @buf; either pointer may be NULL. Returns the offset of the
 * next record (at most @len), -ENOENT when @off >= @len, -EINVAL when
 * @off is not a multiple of KIPC_PACKED_ALIGN or the record does not lie
 * within @len. Walk from @off 0 as many times as the receive returned.
 *
 * kipc_packed_prep() - fill *@p for a packed send or receive that the
 * caller submits itself (kipc_ring_prep_packed()); flags: KIPC_NONBLOCK.
 * Returns 0, or -EINVAL as kipc_send_packed() would (@len above
 * KIPC_PACKED_MAX too). @p and @buf must stay valid until the completion.
 */
int kipc_send_packed(int ch, const void *buf, size_t len, unsigned int nr, unsigned int flags);
int kipc_recv_packed(int ch, void *buf, size_t len, unsigned int nr, unsigned int flags);
ssize_t kipc_packed_add(void *buf, size_t size, size_t used, const void *data, size_t len,
			unsigned int flags);
ssize_t kipc_packed_next(const void *buf, size_t len, size_t off,
			 const struct kipc_msg_info **info, const void **data);
int kipc_packed_prep(struct kipc_packed *p, const void *buf, size_t len, unsigned int nr,
		     unsigned int flags);

/* --- handles: fds inside messages, channel pairs, sender identity --- */

/* kipc_recv_handles() flags, beside KIPC_NONBLOCK, KIPC_PEEK, KIPC_DISCARD */
#define KIPC_HANDLES_NOCLOEXEC	0x10u	/* received fds without O_CLOEXEC */

/*
 * kipc_chan_pair() - an anonymous channel and its two ends, like pipe2(2):
 * fds[0] receives, fds[1] sends; flags: O_CLOEXEC, O_NONBLOCK; attr may
 * be NULL. Returns 0 or -errno.
 */
int kipc_chan_pair(int fds[2], const struct kipc_chan_attr *attr, int flags);

/*
 * kipc_send_handles() - kipc_send() plus nfds (<= KIPC_HANDLES_MAX) fds,
 * which the caller keeps. Returns the length.
 * kipc_recv_handles() - kipc_recv() plus the handles: *nfds is the room
 * at fds on entry and the number received on return; too little room is
 * -EMSGSIZE with *nfds set to the number needed, the message staying
 * queued. New fds are O_CLOEXEC unless flags has KIPC_HANDLES_NOCLOEXEC.
 */
ssize_t kipc_send_handles(int ch, const void *buf, size_t len, const int *fds,
			  unsigned int nfds, unsigned int flags);
ssize_t kipc_recv_handles(int ch, void *buf, size_t len, int *fds, unsigned int *nfds,
			  struct kipc_msg_info *info, unsigned int flags);

/*
 * kipc_reopen() - a new fd for the channel or region of fd with at most
 * the access in oflag (O_RDONLY, O_WRONLY, O_RDWR, plus O_CLOEXEC and
 * O_NONBLOCK): -EACCES when asking for more than fd has.
 */
int kipc_reopen(int fd, int oflag);

/*
 * kipc_sender_pidfd() - a pidfd that provably refers to the process that
 * sent the message info describes (filled in by a receive), or -ESRCH
 * when that process is gone; flags as for pidfd_open(2).
 */
int kipc_sender_pidfd(const struct kipc_msg_info *info, unsigned int flags);

/* --- regions, reference handoff, process-shared sync --- */
#include "kipc_shm.h"
/* --- batched channel I/O over io_uring --- */
#include "kipc_ring.h"

#ifdef __cplusplus
}
#endif

#endif /* KIPC_H */
