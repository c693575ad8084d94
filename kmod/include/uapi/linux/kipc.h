/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc: kernel-managed message channels and shared-page regions.
 *
 * This header is the whole ABI between kipc.ko and userspace. libkipc
 * includes it; nothing else defines these structures.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: General ioctl format
 *
 * Userspace opens ``/dev/kipc`` (the control node) and issues ioctls on it
 * to create or open named objects. Each such ioctl returns a new file
 * descriptor for the object: a channel fd (read/write/poll, plus the
 * channel ioctls) or a region fd (mmap, plus the region ioctls).
 *
 * Every ioctl takes a pointer to a structure that starts with
 * ``__u32 size; __u32 flags;``. @size is sizeof() the structure as the
 * caller knows it, so structures can grow at their end: the kernel accepts
 * any @size from the first release's length up; a caller built against an
 * older header passes a smaller @size and the kernel treats the missing
 * tail as zero; a caller built against a newer header may pass a larger
 * @size if every byte the kernel does not know is zero. A @size above the
 * page size is -E2BIG whatever the bytes, as for openat2(2) and clone3(2):
 * no structure will grow that large, and the kernel does not scan an
 * arbitrarily long tail. Reserved fields must be zero. Output fields are
 * written back up to the caller's @size.
 *
 * All ioctl numbers use _IO(): the structure size travels in @size, not
 * in the command number. Each number is defined under its structure,
 * together with KIPC_<STRUCT>_SIZE_VER0, the structure's size in the
 * first release and so the smallest @size the kernel accepts (a later
 * KIPC_<STRUCT>_SIZE_VER<n> names each size it grew to), and with an
 * "Errors:" line: every errno that command can return on the kind of fd
 * it is for, each explained in the errno contract below. Beyond that
 * line, any call may give ENOMEM; a call that can block, EINTR; one that
 * returns a new fd, EMFILE or ENFILE; and any command on a kind of fd it
 * is not for, ENOTTY. That line is the contract the fuzzer
 * (selftests/fuzz/) holds the module to.
 *
 * 32-bit (compat) callers on a 64-bit kernel are supported, through
 * ioctl() and io_uring alike: every structure here has one layout for
 * both (pointers are __u64, every __u64 is 8-byte aligned), and the
 * struct iovec arrays that struct kipc_xfer points at (@iov) are read in
 * the caller's ABI, as readv(2) reads them: a 32-bit program's 8-byte
 * struct iovec, with a length that is negative as its ssize_t refused
 * (EINVAL). For IORING_OP_URING_CMD the ABI is the ring's, that of the
 * task that set it up.
 */

/**
 * DOC: errno contract
 *
 * ============  =========================================================
 * ENOTTY        unknown ioctl command on this kind of fd
 * EINVAL        @size below the minimum, unknown @flags bit, non-zero
 *               reserved field, bad name (empty, contains '/'), bad
 *               priority, or an out-of-range value
 * E2BIG         @size larger than the kernel knows and the unknown tail
 *               is not all zero, or @size (a batch's @xfer_size, an
 *               entry's @size) above the page size
 * EFAULT        a pointer in or to the structure is not readable or
 *               writable; nothing is queued and nothing is consumed
 * ENAMETOOLONG  name longer than KIPC_NAME_MAX - 1 bytes
 * ENOENT        no object of that name (and no KIPC_OPEN_CREAT), or the
 *               name was unlinked while the open ran and the channel
 *               side it would join has gone for good (EPIPE is final);
 *               never for the open that created the object
 * EEXIST        KIPC_OPEN_CREAT | KIPC_OPEN_EXCL and the name exists
 * EACCES        the object's mode bits deny the access asked for, or a
 *               non-owner tried to unlink; receive of a reference to a
 *               region the caller may not read (it stays queued;
 *               KIPC_XFER_DISCARD drops it)
 * EBADF         send on a receive-only channel fd or receive on a
 *               send-only one; a KIPC_IOC_RECV_REF @shm_fd hint that is
 *               neither -1 nor an open fd
 * EMSGSIZE      send: message (or KIPC_IOC_SEND_REF @len) longer than
 *               the channel's max_msg_size; receive: buffer smaller than
 *               the next message (the message stays queued, its length
 *               is reported; KIPC_XFER_DISCARD drops it)
 * EAGAIN        non-blocking call and the queue is full (send) or
 *               empty (receive)
 * ETIMEDOUT     the deadline of a timed call passed
 * EINTR         a signal arrived; no message was consumed or queued
 * EPIPE         send: no receiver can exist any more; receive: queue
 *               empty and no sender can exist any more
 * ENOSPC        a module limit (channels, region size) would be exceeded
 * EDQUOT        a per-user quota (objects, queued bytes, region bytes)
 *               would be exceeded; CAP_SYS_RESOURCE may exceed it. A
 *               queued message counts its payload plus a fixed overhead
 *               against its channel fd's opener (see kipc(7)), whose
 *               CAP_SYS_RESOURCE is the one that counts
 * ENOMSG        KIPC_IOC_RECV_REF: the head message is not a reference
 *               (it stays queued)
 * ENXIO         mmap() of a range past the end of a region
 * EPERM         mmap() of a region with PROT_EXEC: regions are never
 *               executable (mprotect() adding PROT_EXEC gives EACCES)
 * ENOMEM        the kernel could not allocate memory
 * ELOOP         send of a handle: the handle is a channel end of the
 *               channel it is sent on, or of a channel that itself holds
 *               a channel end in a queued message (see "handles")
 * ETOOMANYREFS  send of handles: the sender's user would have more
 *               handles in flight than the sender's RLIMIT_NOFILE (as
 *               for SCM_RIGHTS); CAP_SYS_RESOURCE may exceed it
 * EOPNOTSUPP    send of a handle of a kind that cannot be passed (an
 *               AF_UNIX socket or an io_uring instance)
 * ============  =========================================================
 */

/*
 * ABI 2: the ioctl type moved from 0xB7 (nsfs's NSIO, which made
 * KIPC_IOC_STAT, CHAN_OPEN, UNLINK and SHM_OPEN equal NS_GET_USERNS,
 * NS_GET_PARENT, NS_GET_NSTYPE and NS_GET_OWNER_UID) to KIPC_IOC_MAGIC
 * below; nothing else changed incompatibly.
 */
/*
 * ABI 3: handles (file descriptors) travel inside messages; struct
 * kipc_msg_info grew (@pid_start_ns, @nr_handles) and with it struct
 * kipc_xfer (which also gained @fds, @nfds, @fd_flags) and struct
 * kipc_ref_xfer; KIPC_IOC_CHAN_PAIR and KIPC_IOC_REOPEN are new. Callers
 * of ABI 2 sizes keep working: they are told nothing of handles, and a
 * message that carries handles is -EMSGSIZE to them (it stays queued).
 */
#define KIPC_ABI_VERSION	3

/* Longest name including the terminating NUL. */
#define KIPC_NAME_MAX		256

/* Highest message priority; larger numbers are received first. */
#define KIPC_PRIO_MAX		31

/*
 * The ioctl type. 0xBA is free: the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (6.12) lists no one
 * for it (the table jumps from 0xB8 to 0xC0), and no header of 6.1 or
 * 6.12 uses it as an ioctl type (drm's 0xBA is a number under type 'd').
 */
#define KIPC_IOC_MAGIC		0xBA

/* Features reported by KIPC_IOC_VERSION. */
#define KIPC_FEAT_CHANNELS	_BITULL(0)	/* channel objects */
#define KIPC_FEAT_REGIONS	_BITULL(1)	/* shared-page regions */
#define KIPC_FEAT_REFS		_BITULL(2)	/* reference handoff */
#define KIPC_FEAT_NOWAIT	_BITULL(3)	/* IOCB_NOWAIT read/write */
#define KIPC_FEAT_BATCH		_BITULL(4)	/* KIPC_IOC_SEND_BATCH/RECV_BATCH */
#define KIPC_FEAT_URING_CMD	_BITULL(5)	/* the batches as IORING_OP_URING_CMD */
#define KIPC_FEAT_LIST		_BITULL(6)	/* KIPC_IOC_LIST */
#define KIPC_FEAT_HANDLES	_BITULL(7)	/* handles, KIPC_IOC_CHAN_PAIR, KIPC_IOC_REOPEN */
#define KIPC_FEAT_PACKED	_BITULL(8)	/* KIPC_IOC_SEND_PACKED/RECV_PACKED */

/**
 * struct kipc_version - ABI version and features (KIPC_IOC_VERSION)
 * @size: sizeof(struct kipc_version)
 * @flags: must be zero
 * @abi_version: output, KIPC_ABI_VERSION of the loaded module
 * @__reserved: must be zero
 * @features: output, KIPC_FEAT_* bits the loaded module supports
 */
struct kipc_version {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __reserved;
	__aligned_u64 features;
};

#define KIPC_VERSION_SIZE_VER0	24

/*
 * KIPC_IOC_VERSION, on the control fd.
 * Errors: EINVAL E2BIG EFAULT
 */
#define KIPC_IOC_VERSION	_IO(KIPC_IOC_MAGIC, 0x00)

/**
 * struct kipc_global_stat - module-wide object counters (KIPC_IOC_STAT)
 * @size: sizeof(struct kipc_global_stat)
 * @flags: must be zero
 * @nr_chans: output, live channels (named, unlinked or anonymous)
 * @nr_regions: output, live regions
 * @nr_msgs: output, messages queued in all channels
 * @bytes_queued: output, payload bytes queued in all channels
 * @region_bytes: output, bytes of all live regions
 *
 * Read from module-wide counters, in time independent of the number of
 * objects: exact when no call is changing them meanwhile.
 */
struct kipc_global_stat {
	__u32 size;
	__u32 flags;
	__u32 nr_chans;
	__u32 nr_regions;
	__aligned_u64 nr_msgs;
	__aligned_u64 bytes_queued;
	__aligned_u64 region_bytes;
};

#define KIPC_GLOBAL_STAT_SIZE_VER0	40

/*
 * KIPC_IOC_STAT, on the control fd.
 * Errors: EINVAL E2BIG EFAULT
 */
#define KIPC_IOC_STAT		_IO(KIPC_IOC_MAGIC, 0x01)

/* Flags for struct kipc_chan_open and struct kipc_shm_open. */
#define KIPC_OPEN_RECV		0x1U	/* channel: may receive; region: may read */
#define KIPC_OPEN_SEND		0x2U	/* channel: may send; region: may write */
#define KIPC_OPEN_CREAT		0x4U	/* create if missing */
#define KIPC_OPEN_EXCL		0x8U	/* with CREAT: fail if it exists */
#define KIPC_OPEN_NONBLOCK	0x10U	/* O_NONBLOCK on the new fd */
#define KIPC_OPEN_CLOEXEC	0x20U	/* O_CLOEXEC on the new fd */
#define KIPC_OPEN_ALL		0x3fU

/**
 * struct kipc_chan_open - create or open a channel (KIPC_IOC_CHAN_OPEN)
 * @size: sizeof(struct kipc_chan_open)
 * @flags: KIPC_OPEN_*; at least one of RECV and SEND
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous channel
 *	(requires KIPC_OPEN_CREAT)
 * @mode: permission bits (0777 mask) when created; read = receive,
 *	write = send, checked against owner/group/other like a file
 * @max_msgs: queue depth when created; 0 = module default
 * @max_msg_size: largest message in bytes when created; 0 = module default
 * @__reserved: must be zero
 *
 * Return: the new channel fd. An existing channel keeps its own limits.
 */
struct kipc_chan_open {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 mode;
	__u32 max_msgs;
	__u32 max_msg_size;
	__u32 __reserved;
};

#define KIPC_CHAN_OPEN_SIZE_VER0	32

/*
 * KIPC_IOC_CHAN_OPEN, on the control fd.
 * Errors: EINVAL E2BIG EFAULT ENAMETOOLONG ENOENT EEXIST EACCES ENOSPC EDQUOT
 */
#define KIPC_IOC_CHAN_OPEN	_IO(KIPC_IOC_MAGIC, 0x02)

/* Object kinds, for struct kipc_unlink. */
#define KIPC_OBJ_CHAN		1
#define KIPC_OBJ_REGION		2

/**
 * struct kipc_unlink - remove a name (KIPC_IOC_UNLINK)
 * @size: sizeof(struct kipc_unlink)
 * @flags: must be zero
 * @name: pointer to a NUL-terminated name
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @__reserved: must be zero
 *
 * Open fds, mappings and queued references keep the object alive.
 */
struct kipc_unlink {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 type;
	__u32 __reserved;
};

#define KIPC_UNLINK_SIZE_VER0	24

/*
 * KIPC_IOC_UNLINK, on the control fd.
 * Errors: EINVAL E2BIG EFAULT ENAMETOOLONG ENOENT EACCES
 */
#define KIPC_IOC_UNLINK		_IO(KIPC_IOC_MAGIC, 0x03)

/**
 * struct kipc_msg_info - what the kernel says about a received message
 * @seq: per-channel sequence number given at send, from 1
 * @time_ns: CLOCK_MONOTONIC at send, in nanoseconds
 * @pid: thread-group id of the process that sent the message (called
 *	write(2), an ioctl or io_uring), in the receiver's pid namespace (0
 *	if not visible there)
 * @uid: effective uid the sending channel fd was opened with (its
 *	opener's, not the caller's), in the receiver's user namespace
 * @gid: effective gid the sending channel fd was opened with, in the
 *	receiver's user namespace
 * @len: message length in bytes (also set on EMSGSIZE)
 * @prio: message priority
 * @flags: KIPC_MSG_* bits
 * @pid_start_ns: start time of the sending process (its thread-group
 *	leader's start_boottime) in CLOCK_BOOTTIME nanoseconds, as the
 *	receiver's time namespace sees it: /proc/<pid>/stat field 22
 *	(starttime) is this value divided by NSEC_PER_SEC / USER_HZ
 *	(sysconf(_SC_CLK_TCK)). With @pid it names the sender for good:
 *	a pid reused by another process has another start time
 *	(kipc_sender_pidfd() in libkipc). Since ABI 3.
 * @nr_handles: how many handles (fds) the message carries. Since ABI 3.
 * @__reserved: zero
 *
 * Identity rule: @uid and @gid are the credentials of the fd, taken when
 * it was opened (KIPC_IOC_CHAN_OPEN), on every send path (write(2),
 * writev(2), KIPC_IOC_SEND, batches, io_uring, KIPC_IOC_SEND_REF): the
 * SO_PEERCRED rule. Whoever comes to hold the fd (by fork, exec of a
 * setuid program, fd passing) sends as its opener: a setuid-root program
 * writing to a user's fd cannot be made to vouch for uid 0, and a
 * privileged opener that hands its fd out lends its identity on purpose.
 * @pid is who wrote, which is no privilege and stays useful after fork.
 * The opener's account is also the one the message is charged to.
 */
struct kipc_msg_info {
	__aligned_u64 seq;
	__aligned_u64 time_ns;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 len;
	__u32 prio;
	__u32 flags;
	__aligned_u64 pid_start_ns;
	__u32 nr_handles;
	__u32 __reserved;
};

/* sizeof(struct kipc_msg_info) before ABI 3, and since. */
#define KIPC_MSG_INFO_SIZE_VER0	40
#define KIPC_MSG_INFO_SIZE_VER1	56

/* struct kipc_msg_info.flags */
#define KIPC_MSG_REF		0x1U	/* the message is a region reference */
#define KIPC_MSG_HANDLES	0x2U	/* the message carries handles */

/* Flags for struct kipc_xfer. */
#define KIPC_XFER_NONBLOCK	0x1U	/* do not block, this call only */
#define KIPC_XFER_PEEK		0x2U	/* receive: leave the message queued */
#define KIPC_XFER_DEADLINE	0x4U	/* @deadline_ns is valid */
#define KIPC_XFER_DISCARD	0x8U	/* KIPC_IOC_RECV: drop the message */
#define KIPC_XFER_ALL		0xfU

/**
 * DOC: discarding a message
 *
 * Nothing a sender can queue stops a receiver from getting the messages
 * behind it. A head message the receiver cannot take (a reference to a
 * region it may not read: EACCES; a message longer than its buffer:
 * EMSGSIZE) stays queued, so nothing is lost by a failed receive, and
 * KIPC_IOC_RECV with KIPC_XFER_DISCARD is the way past it: it takes the
 * head message off the queue without delivering its payload and without
 * any permission check on a referenced region, writes its @info back
 * (sender, length, priority, flags: the receiver knows what it dropped)
 * and returns its length. @iov and @iovcnt are ignored. It is a receive:
 * it needs a receive-capable fd (EBADF otherwise), blocks, honours
 * KIPC_XFER_NONBLOCK and KIPC_XFER_DEADLINE and gives EAGAIN, ETIMEDOUT
 * and EPIPE as a receive does. It cannot be combined with KIPC_XFER_PEEK
 * (EINVAL). Discarded messages count in struct kipc_chan_stat @discarded,
 * not in @received. KIPC_IOC_RECV_REF and the receive batch do not take
 * the flag (EINVAL): KIPC_IOC_RECV discards a message of either kind.
 *
 * Senders are held to the channel's limits: KIPC_IOC_SEND_REF gives
 * EMSGSIZE for a @len above max_msg_size, as an inline send does, and
 * max_msg_size is at most MAX_RW_COUNT (INT_MAX rounded down to a page,
 * the most one read(2) moves), so every queued message fits one plain
 * read.
 */

/**
 * struct kipc_xfer - send or receive one message (KIPC_IOC_SEND, KIPC_IOC_RECV)
 * @size: sizeof(struct kipc_xfer)
 * @flags: KIPC_XFER_* (KIPC_XFER_PEEK and KIPC_XFER_DISCARD: receive only)
 * @iov: pointer to an array of struct iovec
 * @iovcnt: number of entries at @iov (at most UIO_MAXIOV)
 * @prio: send: priority 0..KIPC_PRIO_MAX; receive: must be zero
 * @deadline_ns: with KIPC_XFER_DEADLINE, an absolute CLOCK_MONOTONIC time;
 *	the call gives ETIMEDOUT once it passes. Absolute, so a call
 *	restarted after a signal keeps its deadline. A deadline more than
 *	2^63 ns after now (UINT64_MAX, say, for "forever") never passes:
 *	the call waits as without KIPC_XFER_DEADLINE.
 * @info: receive: output, see struct kipc_msg_info; send: ignored and
 *	must be zero. A caller of @size KIPC_XFER_SIZE_VER0 gets its first
 *	KIPC_MSG_INFO_SIZE_VER0 bytes only.
 * @fds: pointer to an array of int: send: the @nfds fds to pass;
 *	receive: room for @nfds fds, filled with the new fds (see "handles")
 * @nfds: send: how many fds at @fds, at most KIPC_HANDLES_MAX; receive:
 *	input, the capacity of @fds; output, how many were received
 * @fd_flags: receive: KIPC_FD_* flags for the new fds; send: must be zero
 *
 * Return: the message length in bytes.
 */
struct kipc_xfer {
	__u32 size;
	__u32 flags;
	__aligned_u64 iov;
	__u32 iovcnt;
	__u32 prio;
	__aligned_u64 deadline_ns;
	struct kipc_msg_info info;
	__aligned_u64 fds;
	__u32 nfds;
	__u32 fd_flags;
};

#define KIPC_XFER_SIZE_VER0	72
#define KIPC_XFER_SIZE_VER1	104	/* ABI 3: bigger @info, @fds, @nfds, @fd_flags */

/* struct kipc_xfer.fd_flags */
#define KIPC_FD_NOCLOEXEC	0x1U	/* received fds without O_CLOEXEC */

/**
 * DOC: handles
 *
 * Since ABI 3 a message sent with KIPC_IOC_SEND can carry up to
 * KIPC_HANDLES_MAX file descriptors (@fds, @nfds of struct kipc_xfer):
 * kipc channel and region fds and any other fd a process could pass with
 * SCM_RIGHTS (memfd, eventfd, pipe, socket, pidfd, dma-buf, ...), except
 * the two kinds of file that can hold other files in flight: AF_UNIX
 * sockets and io_uring instances (EOPNOTSUPP; io_uring instances cannot
 * go through SCM_RIGHTS either). The message holds a reference to each
 * open file description (the sender keeps its fds): what arrives is the
 * same file, with exactly the access of the fd that was sent. A process
 * makes a narrower one to pass with KIPC_IOC_REOPEN, never a wider one.
 *
 * A receiver asks for handles with a struct kipc_xfer of @size at least
 * KIPC_XFER_SIZE_VER1, @fds and @nfds the room it has. It gets all of
 * them, as new fds (O_CLOEXEC unless @fd_flags has KIPC_FD_NOCLOEXEC),
 * together with the message, or none: the fds are reserved first and
 * installed only once the message is taken, so a receive that cannot take
 * them all (@nfds below @info.nr_handles: EMSGSIZE, with @info filled
 * in; a full fd table: EMFILE) leaves the message queued. A message with
 * handles is EMSGSIZE (it stays queued, @info.nr_handles says why) to
 * every receive that cannot take handles: read(2), a struct kipc_xfer of
 * the ABI 2 size, a receive batch; KIPC_XFER_DISCARD drops it and its
 * handles. KIPC_XFER_PEEK reports @info.nr_handles and delivers no fd.
 * Batches and io_uring carry no handles (an entry with @nfds or @fds is
 * EINVAL).
 *
 * Lifetime and cycles: a queued message keeps its files open; freeing it
 * (receiving, discarding, the channel's end) closes them. A channel end
 * in flight counts as an open end for EPIPE and POLLHUP. Cycles cannot
 * form, so nothing in flight ever leaks: a channel end X may be queued
 * into channel C only if X is not an end of C and no message queued in
 * X holds a channel end (ELOOP otherwise). The check and the queuing are
 * atomic under one module-wide lock. Proof: in any cycle of "holds"
 * edges, the edge queued last found its handle's channel already holding
 * the next edge of the cycle, and was refused.
 *
 * Limit: the handles a user has in flight (counted for the sending task's
 * euid) are bounded by the sender's RLIMIT_NOFILE, as too_many_unix_fds()
 * bounds SCM_RIGHTS (ETOOMANYREFS; CAP_SYS_RESOURCE exceeds it).
 *
 * Not done: the LSM file_receive hook. security_file_receive() is not
 * exported to modules, and receive_fd(), which calls it, installs one fd
 * at a time, so a message's fds could not arrive all or none through it.
 * A security module that decides which files a confined task may receive
 * over SCM_RIGHTS is not asked about kipc handles.
 */
#define KIPC_HANDLES_MAX	64

/*
 * KIPC_IOC_SEND, on a channel fd (the second line: handles).
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT
 *	ELOOP ETOOMANYREFS EOPNOTSUPP
 */
#define KIPC_IOC_SEND		_IO(KIPC_IOC_MAGIC, 0x20)

/*
 * KIPC_IOC_RECV, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT EACCES
 */
#define KIPC_IOC_RECV		_IO(KIPC_IOC_MAGIC, 0x21)

/**
 * DOC: batches
 *
 * KIPC_IOC_SEND_BATCH and KIPC_IOC_RECV_BATCH move up to @nr messages in
 * one call, as sendmmsg(2) and recvmmsg(2) do for sockets: one system
 * call, one lock round and one wake-up for the lot, and one timestamp for
 * all the messages of a send batch. Each message is still a message of
 * its own (boundaries, stamps, sequence numbers).
 *
 * The array @xfers holds @nr struct kipc_xfer of @xfer_size bytes each
 * (the struct kipc_xfer size the caller was built with; every entry's own
 * @size must say the same). An entry's @flags and @deadline_ns must be
 * zero: the batch's @flags and @deadline_ns apply to the call. A send
 * entry gives @iov, @iovcnt and @prio; a receive entry gives @iov and
 * @iovcnt and gets @info back (@info.len is the message length).
 *
 * A batch blocks, if at all, only until the first message can move; then
 * it moves as many more as it can without blocking, in order, and returns
 * how many moved (>= 1). An error on the first message is the call's
 * -errno, as for KIPC_IOC_SEND/RECV; an error on a later entry ends the
 * batch there, short, and that entry (and the rest) moved nothing: the
 * next call reports it. A receive entry whose buffer is too small ends
 * the batch the same way, with the message left queued (the first entry
 * gets -EMSGSIZE and its @info, as KIPC_IOC_RECV does). An error of the
 * first entry is the call's whatever the queue holds: a full queue's
 * EAGAIN never hides it.
 *
 * Through io_uring (IORING_OP_URING_CMD with @cmd_op the ioctl number and
 * the address of the struct kipc_batch in the first 8 bytes of the SQE's
 * command area) a batch never blocks and never returns -EAGAIN: it
 * completes with 0 when no message could move, so no io_uring worker
 * thread is ever parked on a channel; arm IORING_OP_POLL_ADD on the fd to
 * learn when to submit again.
 */
#define KIPC_BATCH_MAX		1024	/* most entries in one batch */

/**
 * struct kipc_batch - send or receive several messages (KIPC_IOC_SEND_BATCH,
 *	KIPC_IOC_RECV_BATCH)
 * @size: sizeof(struct kipc_batch)
 * @flags: KIPC_XFER_NONBLOCK, KIPC_XFER_DEADLINE (no KIPC_XFER_PEEK or
 *	KIPC_XFER_DISCARD)
 * @nr: entries at @xfers, 1..KIPC_BATCH_MAX
 * @xfer_size: sizeof(struct kipc_xfer) as the caller knows it (-E2BIG
 *	above the page size, like any @size)
 * @xfers: pointer to @nr struct kipc_xfer
 * @deadline_ns: with KIPC_XFER_DEADLINE, as in struct kipc_xfer
 *
 * Return: the number of messages moved.
 */
struct kipc_batch {
	__u32 size;
	__u32 flags;
	__u32 nr;
	__u32 xfer_size;
	__aligned_u64 xfers;
	__aligned_u64 deadline_ns;
};

#define KIPC_BATCH_SIZE_VER0	32

/*
 * KIPC_IOC_SEND_BATCH, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT
 */
#define KIPC_IOC_SEND_BATCH	_IO(KIPC_IOC_MAGIC, 0x25)

/*
 * KIPC_IOC_RECV_BATCH, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT EACCES
 */
#define KIPC_IOC_RECV_BATCH	_IO(KIPC_IOC_MAGIC, 0x26)

/**
 * DOC: packed batches
 *
 * KIPC_IOC_SEND_PACKED and KIPC_IOC_RECV_PACKED move up to @nr messages
 * in one call, as the batches do, but the messages travel together in one
 * buffer of records laid end to end: the kernel copies the whole buffer
 * once each way, where a batch reads a struct kipc_xfer and an iovec and
 * copies each message on its own. They are for streams of small
 * messages. Each message is still a message of its own (boundaries,
 * stamps, sequence numbers, priority), and both ends may mix packed and
 * unpacked calls freely: how a message was sent does not show.
 *
 * A send record is a struct kipc_packed_send header, @len payload bytes,
 * and padding (any bytes) up to a multiple of KIPC_PACKED_ALIGN; the next
 * record follows. KIPC_PACKED_SEND_SIZE(len) is the size of one. A
 * receive record is a struct kipc_msg_info (the ABI 3 size, @len the
 * payload's length), the payload and zero padding up to a multiple of
 * KIPC_PACKED_ALIGN: KIPC_PACKED_RECV_SIZE(len). Both are 8-byte aligned
 * when @buf is.
 *
 * @buf holds @len bytes: a send's @nr records, each of which must lie
 * within @len (its padding need not: EINVAL otherwise), or a receive's
 * room. @len is at most KIPC_PACKED_MAX (EINVAL above), so that the
 * kernel's copy of the buffer stays small.
 *
 * Blocking and errors are those of the batches: a call blocks, if at all,
 * only until the first message can move, then moves as many more as it
 * can without blocking, in order, and returns how many moved (>= 1). An
 * error on the first message is the call's -errno; an error on a later
 * one ends the call short and the next call reports it. A send record
 * with @len above the channel's max_msg_size is EMSGSIZE, one with @prio
 * above KIPC_PRIO_MAX EINVAL, and one that could not be read EFAULT; the
 * records before it are sent. A bad first record's error comes before a
 * full queue's EAGAIN.
 *
 * A receive takes messages in order while their records fit the room
 * left. A first message whose record does not fit @len is EMSGSIZE and
 * stays queued, and its struct kipc_msg_info is written at @buf when
 * @len holds one, so that the receiver learns its length: KIPC_IOC_RECV
 * or read(2) takes a message of any length. A message with handles is
 * EMSGSIZE, as for every receive that cannot take handles; a reference
 * arrives as a copy of its bytes, as with read(2). The records are
 * written to @buf in one copy after the messages are taken and before
 * they are gone: EFAULT leaves every one of them queued.
 *
 * Through io_uring the packed calls work as the batches do
 * (IORING_OP_URING_CMD, @cmd_op the ioctl number, the struct
 * kipc_packed's address in the first 8 bytes of the command area): never
 * blocking, and completing with 0 when no message could move.
 */
#define KIPC_PACKED_MAX		(64U * 1024)	/* most bytes at @buf */
#define KIPC_PACKED_ALIGN	8U

/**
 * struct kipc_packed_send - the header of a send record
 * @len: payload bytes that follow the header
 * @prio: priority 0..KIPC_PRIO_MAX
 */
struct kipc_packed_send {
	__u32 len;
	__u32 prio;
};

/* Bytes of a send and of a receive record with a payload of @len bytes. */
#define KIPC_PACKED_PAD(len)	\
	(((__u64)(len) + KIPC_PACKED_ALIGN - 1) & ~(__u64)(KIPC_PACKED_ALIGN - 1))
#define KIPC_PACKED_SEND_SIZE(len)	\
	(sizeof(struct kipc_packed_send) + KIPC_PACKED_PAD(len))
#define KIPC_PACKED_RECV_SIZE(len)	\
	(sizeof(struct kipc_msg_info) + KIPC_PACKED_PAD(len))

/**
 * struct kipc_packed - send or receive a buffer of records
 *	(KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED)
 * @size: sizeof(struct kipc_packed)
 * @flags: KIPC_XFER_NONBLOCK, KIPC_XFER_DEADLINE
 * @buf: pointer to the records (send) or to the room for them (receive)
 * @len: bytes at @buf, at most KIPC_PACKED_MAX
 * @nr: send: the records at @buf; receive: the most messages to take;
 *	1..KIPC_BATCH_MAX
 * @deadline_ns: with KIPC_XFER_DEADLINE, as in struct kipc_xfer
 *
 * Return: the number of messages moved.
 */
struct kipc_packed {
	__u32 size;
	__u32 flags;
	__aligned_u64 buf;
	__u32 len;
	__u32 nr;
	__aligned_u64 deadline_ns;
};

#define KIPC_PACKED_SIZE_VER0	32

/*
 * KIPC_IOC_SEND_PACKED, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT
 */
#define KIPC_IOC_SEND_PACKED	_IO(KIPC_IOC_MAGIC, 0x28)

/*
 * KIPC_IOC_RECV_PACKED, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EACCES
 */
#define KIPC_IOC_RECV_PACKED	_IO(KIPC_IOC_MAGIC, 0x29)

/**
 * struct kipc_chan_stat - channel state (KIPC_IOC_CHAN_STAT)
 * @size: sizeof(struct kipc_chan_stat)
 * @flags: must be zero
 * @max_msgs: output, queue depth
 * @max_msg_size: output, largest message
 * @nr_msgs: output, messages queued (one a receiver is still copying out
 *	is no longer counted, but keeps its slot until the copy ends)
 * @nr_senders: output, open send-capable fds
 * @bytes_queued: output, payload bytes queued
 * @sent: output, messages sent since creation
 * @received: output, messages received since creation
 * @nr_receivers: output, open receive-capable fds
 * @uid: output, owner uid (caller's user namespace)
 * @gid: output, owner gid
 * @mode: output, permission bits
 * @state: output, KIPC_CHAN_* bits
 * @__reserved: zero
 * @id: output, module-unique channel id (as in tracepoints and the
 *	debugfs listing)
 * @discarded: output, messages dropped with KIPC_XFER_DISCARD since
 *	creation (not counted in @received)
 */
struct kipc_chan_stat {
	__u32 size;
	__u32 flags;
	__u32 max_msgs;
	__u32 max_msg_size;
	__u32 nr_msgs;
	__u32 nr_senders;
	__aligned_u64 bytes_queued;
	__aligned_u64 sent;
	__aligned_u64 received;
	__u32 nr_receivers;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 state;
	__u32 __reserved;
	__aligned_u64 id;
	__aligned_u64 discarded;
};

#define KIPC_CHAN_STAT_SIZE_VER0	72
#define KIPC_CHAN_STAT_SIZE_VER1	80	/* adds @id */
#define KIPC_CHAN_STAT_SIZE_VER2	88	/* adds @discarded */

/*
 * KIPC_IOC_CHAN_STAT, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT
 */
#define KIPC_IOC_CHAN_STAT	_IO(KIPC_IOC_MAGIC, 0x22)

/* struct kipc_chan_stat.state */
#define KIPC_CHAN_NAMED		0x1U	/* reachable by name */
#define KIPC_CHAN_ANON		0x2U	/* created without a name */

/**
 * struct kipc_shm_open - create or open a region (KIPC_IOC_SHM_OPEN)
 * @size: sizeof(struct kipc_shm_open)
 * @flags: KIPC_OPEN_*; RECV = read, SEND = write (at least RECV)
 * @name: pointer to a NUL-terminated name, or 0 for an anonymous region
 *	(requires KIPC_OPEN_CREAT)
 * @mode: permission bits when created
 * @__reserved: must be zero
 * @length: region length in bytes when created, rounded up to pages;
 *	with KIPC_OPEN_CREAT it is checked (non-zero, within the module's
 *	limit) even if the region exists; otherwise ignored
 *
 * Return: the new region fd.
 */
struct kipc_shm_open {
	__u32 size;
	__u32 flags;
	__aligned_u64 name;
	__u32 mode;
	__u32 __reserved;
	__aligned_u64 length;
};

#define KIPC_SHM_OPEN_SIZE_VER0	32

/*
 * KIPC_IOC_SHM_OPEN, on the control fd.
 * Errors: EINVAL E2BIG EFAULT ENAMETOOLONG ENOENT EEXIST EACCES ENOSPC EDQUOT
 */
#define KIPC_IOC_SHM_OPEN	_IO(KIPC_IOC_MAGIC, 0x04)

/**
 * DOC: listing objects
 *
 * KIPC_IOC_LIST is the stable, documented way to enumerate live objects
 * (kipcctl list and watch use it; the debugfs listing is a debugging view
 * and not an ABI). It fills an array of struct kipc_list_entry, in
 * ascending @id order, with the objects whose id is at least @start_id,
 * and returns how many it wrote. @next_id comes back as the id to pass as
 * @start_id to continue, or 0 when no object is left: a caller loops
 * until @next_id is 0. The listing is not a snapshot: objects created or
 * freed between calls may or may not appear, but no object alive across
 * the whole walk is skipped or listed twice.
 *
 * Who sees what: a caller with CAP_SYS_ADMIN sees every object; any other
 * caller sees the named objects it could open for reading (the mode-bit
 * check of KIPC_OPEN_RECV), and no anonymous object. The counters are
 * read without locks, as by KIPC_IOC_CHAN_STAT.
 */

/* struct kipc_list_entry.state */
#define KIPC_LIST_NAMED		0x1U	/* reachable by name (@name is set) */

/**
 * struct kipc_list_entry - one object in a KIPC_IOC_LIST reply
 * @id: object id (as in KIPC_IOC_CHAN_STAT, KIPC_IOC_SHM_STAT)
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @state: KIPC_LIST_* bits
 * @uid: owner uid (caller's user namespace)
 * @gid: owner gid
 * @mode: permission bits
 * @nr_fds: open fds on the object
 * @nr_waiters: channel: tasks blocked in send or receive; region: 0
 * @nr_msgs: channel: messages queued; region: references to it queued
 * @max_msgs: channel: queue depth; region: 0
 * @__reserved: zero
 * @bytes: channel: payload bytes queued; region: length in bytes
 * @sent: channel: messages sent since creation; region: 0
 * @received: channel: messages received since creation; region: 0
 * @nr_maps: region: live mappings; channel: 0
 * @__reserved2: zero
 * @name: the name, NUL-terminated; empty for an unlinked or anonymous
 *	object
 */
struct kipc_list_entry {
	__aligned_u64 id;
	__u32 type;
	__u32 state;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 nr_fds;
	__u32 nr_waiters;
	__u32 nr_msgs;
	__u32 max_msgs;
	__u32 __reserved;
	__aligned_u64 bytes;
	__aligned_u64 sent;
	__aligned_u64 received;
	__u32 nr_maps;
	__u32 __reserved2;
	char name[KIPC_NAME_MAX];
};

#define KIPC_LIST_ENTRY_SIZE_VER0	336

/**
 * struct kipc_list - enumerate live objects (KIPC_IOC_LIST)
 * @size: sizeof(struct kipc_list)
 * @flags: must be zero
 * @entries: pointer to an array of @max_entries entries of @entry_size
 *	bytes each
 * @entry_size: sizeof(struct kipc_list_entry) as the caller knows it, at
 *	least KIPC_LIST_ENTRY_SIZE_VER0 and at most the page size; bytes
 *	past the kernel's entry are written as zero
 * @max_entries: capacity of @entries; 0 is allowed (nothing is written,
 *	@next_id still says whether an object with id >= @start_id exists)
 * @start_id: the smallest id to list (0 or 1 to start)
 * @next_id: output, the @start_id for the next call, or 0 when done
 *
 * Return: the number of entries written.
 */
struct kipc_list {
	__u32 size;
	__u32 flags;
	__aligned_u64 entries;
	__u32 entry_size;
	__u32 max_entries;
	__aligned_u64 start_id;
	__aligned_u64 next_id;
};

#define KIPC_LIST_SIZE_VER0	40

/*
 * KIPC_IOC_LIST, on the control fd.
 * Errors: EINVAL E2BIG EFAULT
 */
#define KIPC_IOC_LIST		_IO(KIPC_IOC_MAGIC, 0x05)

/**
 * struct kipc_shm_stat - region state (KIPC_IOC_SHM_STAT)
 * @size: sizeof(struct kipc_shm_stat)
 * @flags: must be zero
 * @length: output, region length in bytes
 * @id: output, module-unique object id (as in tracepoints and the
 *	debugfs listing; channels and regions share the id space)
 * @uid: output, owner uid
 * @gid: output, owner gid
 * @mode: output, permission bits
 * @nr_refs: output, references to this region queued in channels
 * @nr_maps: output, live mappings
 * @__reserved: zero
 */
struct kipc_shm_stat {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__aligned_u64 id;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 nr_refs;
	__u32 nr_maps;
	__u32 __reserved;
};

#define KIPC_SHM_STAT_SIZE_VER0	48

/*
 * KIPC_IOC_SHM_STAT, on a region fd.
 * Errors: EINVAL E2BIG EFAULT
 */
#define KIPC_IOC_SHM_STAT	_IO(KIPC_IOC_MAGIC, 0x40)

/**
 * struct kipc_ref_xfer - send or receive a region reference
 * (KIPC_IOC_SEND_REF, KIPC_IOC_RECV_REF)
 * @size: sizeof(struct kipc_ref_xfer)
 * @flags: KIPC_XFER_* (plus KIPC_REF_CLOEXEC on receive)
 * @shm_fd: send: region fd the sender holds (must be readable).
 *	Receive: input, a region fd the caller already holds, or -1; if the
 *	message refers to that fd's region, @shm_fd comes back unchanged and
 *	no new fd is made (the fast path for a receiver that keeps a
 *	mapping). Otherwise output, a new read-only region fd.
 * @prio: send: priority; receive: must be zero
 * @offset: byte offset of the payload in the region
 * @len: payload length; offset + len must lie within the region
 * @region_id: receive: output, the region's id (see struct kipc_shm_stat),
 *	so a receiver can reuse a mapping it already has
 * @deadline_ns: as in struct kipc_xfer
 * @info: receive: output
 *
 * KIPC_IOC_SEND_REF checks that @shm_fd is a region fd (EINVAL otherwise)
 * opened for reading, and the range (EINVAL); @len above the channel's
 * max_msg_size gives EMSGSIZE, nothing queued, as for an inline message.
 * Nothing of the payload is copied. KIPC_IOC_RECV_REF needs read
 * permission on the region by its mode bits (EACCES, the message stays
 * queued; see "discarding a message"); it does not take
 * KIPC_XFER_DISCARD. Both return 0.
 */
struct kipc_ref_xfer {
	__u32 size;
	__u32 flags;
	__s32 shm_fd;
	__u32 prio;
	__aligned_u64 offset;
	__aligned_u64 len;
	__aligned_u64 region_id;
	__aligned_u64 deadline_ns;
	struct kipc_msg_info info;
};

#define KIPC_REF_XFER_SIZE_VER0	88
#define KIPC_REF_XFER_SIZE_VER1	104	/* ABI 3: bigger @info */

/*
 * KIPC_IOC_SEND_REF, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EMSGSIZE EAGAIN ETIMEDOUT EPIPE EDQUOT
 */
#define KIPC_IOC_SEND_REF	_IO(KIPC_IOC_MAGIC, 0x23)

/*
 * KIPC_IOC_RECV_REF, on a channel fd.
 * Errors: EINVAL E2BIG EFAULT EBADF EAGAIN ETIMEDOUT EPIPE EACCES ENOMSG
 */
#define KIPC_IOC_RECV_REF	_IO(KIPC_IOC_MAGIC, 0x24)

#define KIPC_REF_CLOEXEC	0x100U	/* receive: O_CLOEXEC on @shm_fd */

/**
 * struct kipc_chan_pair - create an anonymous channel and both its ends
 *	(KIPC_IOC_CHAN_PAIR)
 * @size: sizeof(struct kipc_chan_pair)
 * @flags: KIPC_OPEN_CLOEXEC and KIPC_OPEN_NONBLOCK only
 * @mode: permission bits (0777 mask); an anonymous channel is never
 *	opened by name, so they only show in KIPC_IOC_CHAN_STAT
 * @max_msgs: queue depth; 0 = module default
 * @max_msg_size: largest message in bytes; 0 = module default
 * @__reserved: must be zero
 * @fds: output, @fds[0] the receive end (O_RDONLY), @fds[1] the send end
 *	(O_WRONLY), as pipe2(2)
 *
 * Like pipe2(2): each end closes on its own; once no receive end (or no
 * send end) is open anywhere, in flight inside messages included, the
 * other side gets EPIPE and POLLHUP (receiver) or POLLERR (sender).
 *
 * Return: 0.
 */
struct kipc_chan_pair {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 max_msgs;
	__u32 max_msg_size;
	__u32 __reserved;
	__s32 fds[2];
};

#define KIPC_CHAN_PAIR_SIZE_VER0	32

/*
 * KIPC_IOC_CHAN_PAIR, on the control fd.
 * Errors: EINVAL E2BIG EFAULT ENOSPC EDQUOT
 */
#define KIPC_IOC_CHAN_PAIR	_IO(KIPC_IOC_MAGIC, 0x06)

/**
 * struct kipc_reopen - a new fd with the same or less access (KIPC_IOC_REOPEN)
 * @size: sizeof(struct kipc_reopen)
 * @flags: KIPC_OPEN_RECV and/or KIPC_OPEN_SEND (the access asked for; a
 *	region needs RECV), KIPC_OPEN_CLOEXEC, KIPC_OPEN_NONBLOCK
 * @__reserved: must be zero
 *
 * A new open file for the channel or region of the fd the ioctl is made
 * on, with at most its access: asking for access the fd does not have is
 * EACCES. A channel reopened KIPC_OPEN_SEND is a send-only end (to pass
 * as a handle); a region reopened KIPC_OPEN_RECV is read-only. The new
 * file keeps the fd's opener credentials (its f_cred), not the caller's:
 * messages sent on it are stamped with the uid and gid the original fd
 * stamps and charged to the same user, so reopening gains no identity.
 * A reopened channel end counts as an end for EPIPE and POLLHUP.
 *
 * Return: the new fd.
 */
struct kipc_reopen {
	__u32 size;
	__u32 flags;
	__aligned_u64 __reserved;
};

#define KIPC_REOPEN_SIZE_VER0	16

/*
 * KIPC_IOC_REOPEN, on a channel or a region fd.
 * Errors: EINVAL E2BIG EFAULT EACCES
 */
#define KIPC_IOC_REOPEN		_IO(KIPC_IOC_MAGIC, 0x27)

#endif /* _UAPI_LINUX_KIPC_H */
