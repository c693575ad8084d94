/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internals shared by the module's files. Who does what:
 *
 *   kipc_main.c    init/exit, /dev/kipc, module parameters, debugfs, and
 *                  the file_operations and ioctl tables of the three
 *                  kinds of fd, with the one dispatcher that reads and
 *                  size-checks every ioctl argument
 *   kipc_obj.c     names, lifetime, permissions, the object walk
 *   kipc_quota.c   per-user quotas
 *   kipc_chan.c    channel queues, waiting, spares, poll and release
 *   kipc_xfer.c    SEND/RECV/batches/io_uring/read/write: the user side
 *                  of moving messages
 *   kipc_region.c  regions (shmem-backed shared pages), their mmap
 *   kipc_ref.c     reference handoff, where channels and regions meet
 *   kipc_handle.c  handles (fds) in messages, channel pairs, reopen
 *
 * Locking overview (outermost first):
 *
 *   kipc_names_lock (mutex, kipc_obj.c)
 *	protects the name table and kipc_obj.linked. Held only for lookups,
 *	inserts and removals; never while copying to or from userspace.
 *	Object creation allocates before taking it.
 *   kipc_chan.recv_lock (mutex, kipc_chan.c)
 *	serialises one channel's receivers. A receiver holds it from taking
 *	the head message(s) off the queue, across delivering them (the copy
 *	out to userspace, which may fault and sleep), to its end: in
 *	kipc_chan_recv(), or from kipc_chan_take_one() to
 *	kipc_chan_take_done() for a single message. A blocking receiver
 *	waits for a message before it takes it. Only
 *	receivers dequeue, so a message whose delivery fails goes back to
 *	the head of its list before another receiver can look: nothing is
 *	lost and order is kept. It nests outside mmap_lock; nothing that
 *	holds mmap_lock takes it. Non-blocking receivers only try it (a
 *	fault may last as long as userspace likes). The deliver callbacks
 *	(kipc_deliver_fn) run under it: they may sleep, fault, allocate a
 *	file and reserve an fd.
 *     kipc_chan.lock (spinlock, kipc_chan.c)
 *	protects one channel's queue, counters and peer counts; taken inside
 *	recv_lock by receivers, alone by senders, only around list and
 *	counter updates. Nothing sleeps or copies under it, so senders never
 *	wait for a receiver's copy out.
 *   kipc_chan.spare_lock (spinlock, kipc_chan.c)
 *	protects one channel's stack of spare small messages and its list of
 *	pages they are cut from; a leaf lock, taken alone by senders and
 *	receivers, around pushes, pops and the addition of a page only.
 *   Regions have no lock: their length, id, owner, mode and shmem file
 *	are immutable after creation and their counters atomic. Their mmap
 *	(->mmap, or on 7.3 ->mmap_prepare and vm_ops->mapped) and
 *	vm_operations run under mmap_lock and take no lock (the one-time
 *	setup of the shmem vm_operations is a cmpxchg).
 *
 *   kipc_objs_lock (mutex, kipc_obj.c)
 *	protects the list of every live object (KIPC_IOC_LIST and the
 *	debugfs listing) and the id counter. Taken by an object's creation
 *	and release, so it may nest inside kipc_names_lock; the walk takes no
 *	object lock under it (the kinds' fill ops read counters with
 *	READ_ONCE() and atomics) and never copies to userspace under it.
 *   kipc_handles_lock (spinlock, kipc_handle.c)
 *	makes the cycle check of a message carrying channel ends and its
 *	queuing one step: taken inside kipc_chan.lock, by a sender only,
 *	around the check and the count of the ends the channel now holds
 *	(kipc_chan_handles_enqueue_locked()). A leaf lock.
 *   kipc_users_lock (spinlock, kipc_quota.c)
 *	protects inserts into and removals from the per-user quota table;
 *	lookups run under RCU.
 *
 * Allocation and the copy in of a message happen before any lock. Waiters
 * sleep on a channel's wait queues without its locks, testing READ_ONCE()
 * snapshots, and are woken after the locks are dropped. A function that
 * needs a lock held says so with a _locked suffix and
 * lockdep_assert_held().
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <uapi/linux/kipc.h>

struct file;
struct inode;
struct iov_iter;
struct kiocb;
struct kipc_chan;
struct kipc_obj;
struct kipc_region;
struct kipc_user;
struct poll_table_struct;
struct seq_file;
struct vm_area_struct;

/* Module parameters (kipc_main.c). */
extern unsigned int kipc_max_chans;
extern unsigned int kipc_default_msgs;
extern unsigned int kipc_default_msg_size;
extern unsigned int kipc_max_msgs;
extern unsigned int kipc_max_msg_size;
extern u64 kipc_max_region_bytes;
extern unsigned int kipc_user_max_objects;
extern u64 kipc_user_max_queued_bytes;
extern u64 kipc_user_max_region_bytes;
extern unsigned int kipc_spin_ns;

/* Module-wide counters, read by KIPC_IOC_STAT. */
extern atomic_t kipc_nr_chans;
extern atomic_t kipc_nr_regions;
extern atomic64_t kipc_region_bytes;
/*
 * The messages queued in all channels and their inline payload bytes, as
 * per-CPU shares: a send or receive adds to its CPU's share with
 * this_cpu_add() (no lock, no shared cache line); KIPC_IOC_STAT sums the
 * shares of every possible CPU. A share goes negative when messages are
 * queued on one CPU and taken on another; the sum is exact whenever no
 * add is in flight.
 */
struct kipc_queued {
	s64 msgs;
	s64 bytes;
};
DECLARE_PER_CPU(struct kipc_queued, kipc_queued);

/*
 * The largest @size any ioctl argument may have: -E2BIG above, without
 * reading the tail (see "DOC: General ioctl format").
 */
#define KIPC_ARG_SIZE_MAX	PAGE_SIZE

/**
 * struct kipc_ucmd - one ioctl call, as the dispatcher hands it over
 * @file: the fd it was made on
 * @ubuffer: the caller's argument
 * @cmd: the kernel copy of the argument, read and size-checked once by
 *	the dispatcher (kipc_main.c); its first __u32 is the caller's size
 * @ksize: the size of the kernel's structure for this command
 * @uring: issued through IORING_OP_URING_CMD (must never block)
 * @compat: iovec arrays are read as struct compat_iovec
 */
struct kipc_ucmd {
	struct file *file;
	void __user *ubuffer;
	void *cmd;
	u32 ksize;
	fmode_t fmode;
	bool uring;
	bool compat;
};

/**
 * kipc_ucmd_access() - does @ucmd's fd have the access mode its ioctl needs?
 * @ucmd: the call; @ucmd->fmode is its table row's FMODE_READ/FMODE_WRITE
 *
 * Each handler whose row names a mode calls this once, right after
 * checking the argument's own values and before anything else, so that a
 * malformed argument is -EINVAL whatever the fd's mode, as the module has
 * always answered.
 *
 * Return: 0 or -EBADF.
 */
static inline int kipc_ucmd_access(const struct kipc_ucmd *ucmd)
{
	return (ucmd->file->f_mode & ucmd->fmode) == ucmd->fmode ? 0 : -EBADF;
}

/**
 * kipc_ucmd_respond() - write @ucmd->cmd back, up to the caller's size
 * @ucmd: the call
 *
 * Return: 0 or -EFAULT.
 */
static inline int kipc_ucmd_respond(struct kipc_ucmd *ucmd)
{
	u32 usize = *(const u32 *)ucmd->cmd;

	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, min_t(u32, usize, ucmd->ksize)))
		return -EFAULT;
	return 0;
}

/**
 * struct kipc_obj_stats - what an object kind reports about one object
 * @entry: the KIPC_IOC_LIST entry; the kind fills its counters (@nr_fds,
 *	@nr_waiters, @nr_msgs, @max_msgs, @bytes, @sent, @received,
 *	@nr_maps), the common fields are filled by kipc_obj_fill()
 * @nr_peers: the debugfs listing's "fds" column: for a channel its
 *	senders plus its receivers (an O_RDWR fd counts twice), for a
 *	region its open fds
 */
struct kipc_obj_stats {
	struct kipc_list_entry entry;
	u32 nr_peers;
};

/**
 * struct kipc_obj_ops - what the name table needs from an object kind
 * @release: free the object; called once, when the last reference goes
 * @unlinked: the name was removed (optional); called without locks held
 * @fill: fill in the kind's counters of @st (zeroed by the caller), read
 *	with READ_ONCE() or atomics; called under kipc_objs_lock, so it
 *	must take no lock of the object's
 */
struct kipc_obj_ops {
	void (*release)(struct kipc_obj *obj);
	void (*unlinked)(struct kipc_obj *obj);
	void (*fill)(struct kipc_obj *obj, struct kipc_obj_stats *st);
};

/**
 * struct kipc_obj - the part of a channel or region the name table knows
 * @node: hash table link; under kipc_names_lock
 * @all: link in the list of every live object; under kipc_objs_lock
 * @ref: references: the name, each open file, each queued reference,
 *	and for a region the file of each mmap() (the VMAs' vm_file)
 * @id: module-unique id, immutable
 * @user: the creator's quota account (one object charged), or NULL
 * @ops: kind-specific callbacks
 * @name: the name (kmalloc'ed), or NULL for an anonymous object;
 *	immutable after creation
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION; immutable
 * @linked: reachable through the name table; under kipc_names_lock,
 *	read locklessly with READ_ONCE() where a stale answer is harmless
 * @uid: owner, immutable
 * @gid: owning group, immutable
 * @mode: permission bits, immutable
 */
struct kipc_obj {
	struct hlist_node node;
	struct list_head all;
	struct kref ref;
	u64 id;
	struct kipc_user *user;
	const struct kipc_obj_ops *ops;
	char *name;
	unsigned int type;
	bool linked;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

/* kipc_obj.c */
void kipc_obj_init(struct kipc_obj *obj, unsigned int type,
		   const struct kipc_obj_ops *ops, umode_t mode);
static inline void kipc_obj_get(struct kipc_obj *obj)
{
	kref_get(&obj->ref);
}

void kipc_obj_put(struct kipc_obj *obj);
int kipc_obj_permission(const struct kipc_obj *obj, int may);
int kipc_obj_open_fd(unsigned int type, u64 uname, u32 flags,
		     struct kipc_obj *(*create)(void *arg), void *arg,
		     struct file *(*make_file)(struct kipc_obj *obj, int fd_flags));
long kipc_unlink_ioctl(struct kipc_ucmd *ucmd);
long kipc_list_ioctl(struct kipc_ucmd *ucmd);
int kipc_objects_show(struct seq_file *m, void *unused);
void kipc_names_exit(void);

/*
 * Per-user quotas (kipc_quota.c). A user's account is found by euid: the
 * caller's for objects and regions, the sending file's opener's
 * (file->f_cred) for queued messages; charges above the module parameters
 * give -EDQUOT unless that same caller or opener has CAP_SYS_RESOURCE.
 */
enum kipc_quota {
	KIPC_QUOTA_QUEUED,	/* messages' kernel cost (kipc_msg_cost()), by sender */
	KIPC_QUOTA_REGION,	/* bytes of regions, by creator */
};

struct kipc_user *kipc_user_get(kuid_t uid);
struct kipc_user *kipc_user_get_current(void);
bool kipc_user_is(const struct kipc_user *user, kuid_t uid);
void kipc_user_put(struct kipc_user *user);
int kipc_user_charge_file(struct kipc_user *user, enum kipc_quota q, u64 amount,
			  const struct file *file);
int kipc_user_charge(struct kipc_user *user, enum kipc_quota q, u64 amount);
void kipc_user_uncharge(struct kipc_user *user, enum kipc_quota q, u64 amount);
int kipc_user_charge_obj(struct kipc_user *user);
void kipc_user_uncharge_obj(struct kipc_user *user);

/**
 * struct kipc_msg - one queued message
 * @link: in the channel's per-priority list (under kipc_chan.lock), or in
 *	a list of messages a call holds; stale (not reinitialised) on a
 *	message that kipc_chan_take_one() took, which is on no list
 * @next_spare: instead of @link, on its channel's stack of spares (under
 *	kipc_chan.spare_lock): a spare is on no list, and a stack needs no
 *	list_head checks (CONFIG_DEBUG_LIST, on in Debian's kernels)
 * @seq: per-channel sequence number
 * @time_ns: CLOCK_MONOTONIC at send
 * @pid: thread group of the process that sent it (reference held)
 * @uid: effective uid the sending file was opened with (file->f_cred)
 * @gid: effective gid the sending file was opened with
 * @len: payload length (for a reference: the referenced length)
 * @prio: priority
 * @flags: KIPC_MSG_* bits
 * @room: payload bytes allocated (>= @len)
 * @region: for a reference, the region (a reference on its kipc_obj held)
 * @offset: for a reference, the payload's offset in @region
 * @user: the quota account charged kipc_msg_cost() for this message (its
 *	sending file's opener's), or NULL when nothing is charged. A spare
 *	keeps its charge until it is reused by another account or freed.
 * @start_ns: the sender's start_boottime (thread-group leader)
 * @handles: the handles it carries, or NULL (kipc_handle.c)
 * @home: for a small message cut from a channel's pages, that channel
 *	(kipc_chan.c: it goes back to its spares, never to the allocator);
 *	NULL for a message from kvmalloc()
 * @data: inline payload (absent for references)
 *
 * The layout is for two CPUs, a sender's and a receiver's: every field
 * that each message writes is in the first 64 bytes; those that stay as
 * they are from one message to the next (the account, the sender's start
 * time, what references carry), read but not written, in the next 64;
 * and the payload starts a cache line of its own. A small message then
 * moves two cache lines between the CPUs for up to 64 payload bytes, and
 * the second 64 bytes stay clean in both (issue 18: cost-profile --lines).
 */
struct kipc_msg {
	union {
		struct list_head link;
		struct kipc_msg *next_spare;
	};
	u64 seq;
	u64 time_ns;
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	u32 len;
	u32 prio;
	u32 flags;
	u32 room;
	/* Mostly as the message's last send left them. */
	struct kipc_user *user;
	u64 start_ns;
	struct kipc_region *region;
	u64 offset;
	struct kipc_handles *handles;
	struct kipc_chan *home;
	char data[] ____cacheline_aligned;
};

/*
 * Small messages a channel cuts from pages of its own and keeps for its
 * next sends once received (kipc_chan.c): twice as many as its queue can
 * hold (a full queue, and as many again in the hands of a batch's sender
 * and receiver), up to this many, rounded up to whole pages, so that a
 * stream that fills the queue and drains it again never allocates (issue
 * 18: with 32, a 64-deep stream spent a sixth of its instructions
 * allocating, charging and freeing the messages above the 32nd). At most
 * 256 slots of KIPC_SMALL_SLOT bytes = 64 KiB of pages per channel, each
 * page charged to the memcg of the sender that needed it, kept until the
 * channel is freed; each message in them, queued or spare, is charged
 * kipc_msg_cost() to the quota of its last sender.
 */
#define KIPC_CHAN_SPARES	256

/*
 * What a small message takes in its channel's pages: its struct kipc_msg
 * and room for KIPC_SMALL_MSG payload bytes (kipc_chan.c), rounded up so
 * that no slot crosses a page.
 */
#define KIPC_SMALL_SLOT		256

/*
 * A packed batch's records go through a buffer of the kernel's: the
 * caller's buffer is copied in (send) or out (receive) with one user copy
 * per call, so that a record costs a memcpy() in the kernel, not a user
 * copy with its usercopy hardening checks. Each channel keeps one buffer
 * of this size for its senders and one for its receivers
 * (kipc_chan_send_stage_get(), kipc_chan_recv_stage_locked()); a call that
 * needs more (the caller's @len is larger) allocates its own.
 */
#define KIPC_PACKED_STAGE	4096U

/*
 * What one queued message costs its sender's KIPC_QUOTA_QUEUED account:
 * its payload room (none for a reference, whose payload is in the region)
 * plus a fixed overhead for the struct kipc_msg, its slab rounding and the
 * references it holds. The kipc(7) and README tables document the value.
 */
#define KIPC_MSG_OVERHEAD	256

static inline u64 kipc_msg_cost(const struct kipc_msg *msg)
{
	return KIPC_MSG_OVERHEAD + (u64)msg->room;
}

/**
 * kipc_msg_append() - add @msg at the tail of @list
 * @list: a list of messages only the caller can reach (a send batch being
 *	built on its stack)
 * @msg: a message on no list
 *
 * list_add_tail() without its CONFIG_DEBUG_LIST pointer checks, which
 * Debian's kernels build with: they catch a list corrupted by another
 * path, and no other path can reach this one. Once per message of a
 * batch (README, Performance).
 */
static inline void kipc_msg_append(struct list_head *list, struct kipc_msg *msg)
{
	struct list_head *prev = list->prev;

	msg->link.next = list;
	msg->link.prev = prev;
	WRITE_ONCE(prev->next, &msg->link);
	list->prev = &msg->link;
}

/**
 * kipc_msg_copy_to_iter() - copy an inline message's payload to @to
 * @msg: the message
 * @to: where it goes
 *
 * A message in its channel's pages is copied as pipes copy their buffers,
 * page and offset (copy_page_to_iter()); one from kvmalloc() with
 * copy_to_iter() and its hardened-usercopy check of the slab object.
 *
 * Return: whether all of @msg->len bytes were copied.
 */
static __always_inline bool kipc_msg_copy_to_iter(const struct kipc_msg *msg, struct iov_iter *to)
{
	if (msg->home)
		return copy_page_to_iter(virt_to_page(msg->data), offset_in_page(msg->data),
					 msg->len, to) == msg->len;
	return copy_to_iter(msg->data, msg->len, to) == msg->len;
}

/* kipc_chan.c: messages */
struct kipc_msg *kipc_msg_alloc(size_t len);
void kipc_msg_free(struct kipc_msg *msg);
int kipc_msg_charge(struct kipc_msg *msg, const struct file *file);
void kipc_msg_fill_info(const struct kipc_msg *msg, struct kipc_msg_info *info);

/*
 * Receive callback, called with the channel's recv_lock held (not its
 * spinlock) on each message taken, in order. Returns >= 0 when the
 * message is delivered, or -errno: then it and the ones after it go back
 * to the head of the queue.
 */
typedef long (*kipc_deliver_fn)(struct kipc_msg *msg, void *arg);

/*
 * Commit callback of a receive (kipc_chan_recv()), called with recv_lock
 * held once the @n messages taken are delivered. 0, or -errno to put all
 * of them back at the head of the queue.
 */
typedef int (*kipc_commit_fn)(void *arg, u32 n);

/* kipc_chan.c: channels */
struct kipc_chan *kipc_chan_from_file(struct file *file);
u32 kipc_chan_max_msg_size(const struct kipc_chan *ch);
void kipc_chan_send_begin(struct kipc_chan *ch, struct kipc_msg **pool, u32 nr);
struct kipc_msg *kipc_chan_msg_from_iter(struct kipc_chan *ch, struct file *file,
					 struct iov_iter *from, struct kipc_msg **pool);
long kipc_chan_send_list(struct kipc_chan *ch, struct file *file,
			 struct list_head *list, u32 xflags, u64 deadline_ns);
void kipc_chan_send_end(struct kipc_chan *ch, struct list_head *list,
			struct kipc_msg **pool);
void *kipc_chan_send_stage_get(struct kipc_chan *ch);
void kipc_chan_send_stage_put(struct kipc_chan *ch, void *buf);
void *kipc_chan_recv_stage_locked(struct kipc_chan *ch);
struct kipc_msg *kipc_chan_msg_from_kernel(struct kipc_chan *ch, struct file *file,
					   const void *data, size_t len, struct kipc_msg **pool);
long kipc_chan_recv(struct kipc_chan *ch, struct file *file, u32 xflags,
		    u64 deadline_ns, u32 nr, kipc_deliver_fn deliver,
		    kipc_commit_fn commit, void *arg);
long kipc_chan_send_iter(struct kipc_chan *ch, struct file *file, struct iov_iter *from,
			 u32 prio, u32 xflags, u64 deadline_ns);
struct kipc_msg *kipc_chan_take_one(struct kipc_chan *ch, struct file *file, u32 xflags,
				    u64 deadline_ns);
void kipc_chan_take_done(struct kipc_chan *ch, struct kipc_msg *msg, bool delivered,
			 u32 xflags);
__poll_t kipc_chan_poll(struct file *file, struct poll_table_struct *wait);
int kipc_chan_release(struct inode *inode, struct file *file);
long kipc_chan_open_ioctl(struct kipc_ucmd *ucmd);
long kipc_chan_stat_ioctl(struct kipc_ucmd *ucmd);

/* kipc_xfer.c */
long kipc_send_ioctl(struct kipc_ucmd *ucmd);
long kipc_recv_ioctl(struct kipc_ucmd *ucmd);
long kipc_send_batch_ioctl(struct kipc_ucmd *ucmd);
long kipc_recv_batch_ioctl(struct kipc_ucmd *ucmd);
long kipc_send_packed_ioctl(struct kipc_ucmd *ucmd);
long kipc_recv_packed_ioctl(struct kipc_ucmd *ucmd);
ssize_t kipc_chan_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t kipc_chan_write_iter(struct kiocb *iocb, struct iov_iter *from);

/*
 * kipc_region.c: the narrow interface the reference handoff uses.
 * kipc_region_ref_get()/_put() take and drop the reference a queued
 * message holds (counted in the region's @nr_refs).
 */
struct kipc_region *kipc_region_from_file(struct file *file);
u64 kipc_region_id(const struct kipc_region *region);
u64 kipc_region_length(const struct kipc_region *region);
int kipc_region_may_read(const struct kipc_region *region);
void kipc_region_ref_get(struct kipc_region *region);
void kipc_region_put(struct kipc_region *region);
struct file *kipc_region_file_open(struct kipc_region *region, int fd_flags);
ssize_t kipc_region_read(struct kipc_region *region, u64 offset, struct iov_iter *to);
/* One of the two is built, by KIPC_HAVE_MMAP_PREPARE (kipc_compat.h). */
struct vm_area_desc;
int kipc_region_mmap_prepare(struct vm_area_desc *desc);
int kipc_region_mmap(struct file *file, struct vm_area_struct *vma);
int kipc_region_release(struct inode *inode, struct file *file);
void kipc_region_show_fdinfo(struct seq_file *m, struct file *file);
long kipc_region_open_ioctl(struct kipc_ucmd *ucmd);
long kipc_region_stat_ioctl(struct kipc_ucmd *ucmd);

/* kipc_ref.c: reference handoff */
long kipc_ref_copy_out(struct kipc_msg *msg, struct iov_iter *to);
long kipc_send_ref_ioctl(struct kipc_ucmd *ucmd);
long kipc_recv_ref_ioctl(struct kipc_ucmd *ucmd);

/* kipc_handle.c: handles in messages, pairs, reopen */
struct kipc_handles;
int kipc_handles_attach(struct kipc_msg *msg, const int __user *ufds, u32 nfds);
void kipc_handles_free(struct kipc_msg *msg);
int kipc_chan_handles_enqueue_locked(struct kipc_chan *ch, struct kipc_msg *msg);
u32 kipc_msg_nr_handles(const struct kipc_msg *msg);

/**
 * struct kipc_handles_out - handles being received, installed after commit
 * @fds: reserved fd numbers, -1 where none
 * @files: a reference on each file, to install at @fds
 * @nr: how many of @fds and @files are set
 */
struct kipc_handles_out {
	int fds[KIPC_HANDLES_MAX];
	struct file *files[KIPC_HANDLES_MAX];
	u32 nr;
};

int kipc_handles_prepare(struct kipc_msg *msg, struct kipc_handles_out *out,
			 int __user *ufds, u32 fd_flags);
void kipc_handles_finish(struct kipc_handles_out *out, bool install);
long kipc_chan_pair_ioctl(struct kipc_ucmd *ucmd);
long kipc_reopen_ioctl(struct kipc_ucmd *ucmd);
struct file *kipc_chan_reopen_file(struct kipc_chan *ch, int fd_flags);
atomic_t *kipc_chan_held_handles(struct kipc_chan *ch);

/* kipc_quota.c: handles in flight */
int kipc_user_charge_handles(struct kipc_user *user, u32 n);
void kipc_user_uncharge_handles(struct kipc_user *user, u32 n);

/* kipc_obj.c: both ends of a new anonymous object */
int kipc_obj_open_pair(unsigned int type, u32 flags, struct kipc_obj *(*create)(void *arg),
		       void *arg, struct file *(*make_file)(struct kipc_obj *obj, int fd_flags),
		       int fds[2], struct file *files[2]);

/* kipc_main.c: the three kinds of fd, told apart by their file_operations */
extern const struct file_operations kipc_chan_fops;
extern const struct file_operations kipc_region_fops;

#endif /* _KIPC_INTERNAL_H */
