/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internals shared by the module's files.
 *
 * Locking overview (outermost first):
 *
 *   kipc_names_lock (mutex, kipc_names.c)
 *	protects the name table and kipc_obj.linked. Held only for lookups,
 *	inserts and removals; never while copying to or from userspace.
 *   kipc_chan.recv_lock (mutex, kipc_chan.c)
 *	serialises one channel's receivers. Held across copy_to_user() of a
 *	message being received (which goes back to the head of the queue if
 *	that faults, before another receiver can look) and so nests outside
 *	mmap_lock; nothing that holds mmap_lock takes it. Non-blocking
 *	receivers only try it (a fault may last as long as userspace likes).
 *     kipc_chan.lock (spinlock, kipc_chan.c)
 *	protects one channel's queue, counters and peer counts; taken inside
 *	recv_lock by receivers, alone by senders, only around list and
 *	counter updates. Nothing sleeps or copies under it.
 *   kipc_chan.spare_lock (spinlock, kipc_chan.c)
 *	protects one channel's list of spare small messages; a leaf lock,
 *	taken alone by senders and receivers, around list updates only.
 *   Regions have no lock: their fields are immutable after creation and
 *	their counters atomic.
 *
 *   kipc_objs_lock (mutex, kipc_names.c)
 *	protects the list of every live object (for the debugfs listing).
 *	Taken by an object's release, so it may nest inside
 *	kipc_names_lock; the listing takes no object lock under it (it reads
 *	counters with READ_ONCE()).
 *   kipc_users_lock (spinlock, kipc_names.c)
 *	protects inserts into and removals from the per-user quota table;
 *	lookups run under RCU.
 *
 * Waiters are woken after the lock is dropped.
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu_counter.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <uapi/linux/kipc.h>

struct file;
struct iov_iter;
struct kipc_obj;
struct seq_file;
struct kipc_user;

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
extern struct percpu_counter kipc_queued_msgs;	/* messages queued in all channels */
extern struct percpu_counter kipc_queued_bytes;	/* their inline payload bytes */
/*
 * Their batch: a CPU's share is folded into the shared count only past
 * this, so queuing and dequeuing stay CPU-local; the exact total is
 * percpu_counter_sum(). Below S32_MAX, so a share always fits.
 */
#define KIPC_QUEUED_BATCH	BIT(30)

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

/* kipc_names.c */
void kipc_obj_init(struct kipc_obj *obj, unsigned int type,
		   const struct kipc_obj_ops *ops, umode_t mode);
static inline void kipc_obj_get(struct kipc_obj *obj)
{
	kref_get(&obj->ref);
}

void kipc_obj_put(struct kipc_obj *obj);
int kipc_obj_permission(const struct kipc_obj *obj, int may);
char *kipc_name_from_user(u64 uname);
struct kipc_obj *kipc_obj_open(unsigned int type, char *name, u32 flags,
			       struct kipc_obj *(*create)(void *arg), void *arg,
			       bool *created);
int kipc_obj_open_fd(unsigned int type, u64 uname, u32 flags,
		     struct kipc_obj *(*create)(void *arg), void *arg,
		     struct file *(*make_file)(struct kipc_obj *obj, int fd_flags));
int kipc_obj_unlink(unsigned int type, const char *name);
void kipc_names_exit(void);
int kipc_objects_show(struct seq_file *m, void *unused);
long kipc_list_ioctl(void __user *uarg);

/*
 * Per-user quotas (kipc_names.c). A user's account is found by euid: the
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

/* kipc_main.c: the ioctl argument helper */
#define KIPC_ARG_SIZE_MAX	PAGE_SIZE	/* largest @size: -E2BIG above */
int kipc_copy_arg(void *karg, size_t ksize, size_t min_size,
		  const void __user *uarg);
int kipc_copy_arg_out(void __user *uarg, const void *karg, size_t ksize);
int kipc_fd_flags(u32 open_flags);

/* kipc_chan.c */
int kipc_chan_open_ioctl(void __user *uarg);
bool kipc_is_chan_file(const struct file *file);

/* kipc_shm.c */
struct kipc_region;
int kipc_shm_open_ioctl(void __user *uarg);
bool kipc_is_region_file(const struct file *file);

/**
 * struct kipc_msg - one queued message
 * @link: in the channel's per-priority list; under kipc_chan.lock
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
 * @data: inline payload (absent for references)
 */
struct kipc_msg {
	struct list_head link;
	u64 seq;
	u64 time_ns;
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	u32 len;
	u32 prio;
	u32 flags;
	u32 room;
	struct kipc_region *region;
	u64 offset;
	struct kipc_user *user;
	char data[];
};

struct kipc_chan;

/*
 * Received small messages a channel keeps for its next sends (kipc_chan.c):
 * a batch's worth, so that a stream of 32-message batches never allocates.
 */
#define KIPC_CHAN_SPARES	32

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

struct kipc_msg *kipc_msg_alloc(size_t len);
void kipc_msg_free(struct kipc_msg *msg);
int kipc_msg_charge(struct kipc_msg *msg, const struct file *file);

/*
 * Receive callback, called with the channel's recv_lock held (not its
 * spinlock) on the head message. Returns the value for the caller (>= 0)
 * or -errno; on error the message stays queued, at the head.
 */
typedef long (*kipc_deliver_fn)(struct kipc_msg *msg, void *arg);

struct kipc_chan *kipc_chan_from_file(struct file *file);
long kipc_chan_send_msg(struct kipc_chan *ch, struct file *file,
			struct kipc_msg *msg, u32 xflags, u64 deadline_ns);
long kipc_chan_recv_msg(struct kipc_chan *ch, struct file *file, u32 xflags,
			u64 deadline_ns, kipc_deliver_fn deliver, void *arg);
void kipc_msg_fill_info(const struct kipc_msg *msg, struct kipc_msg_info *info);

/*
 * Reference handoff (kipc_shm.c). kipc_ref_copy_out() delivers a reference
 * message received with a plain receive by copying the referenced bytes;
 * kipc_region_put() drops the reference a queued message holds.
 */
long kipc_ref_copy_out(struct kipc_msg *msg, struct iov_iter *to);
void kipc_region_put(struct kipc_region *region);
u64 kipc_region_id(const struct kipc_region *region);
long kipc_send_ref_ioctl(struct file *file, void __user *uarg);
long kipc_recv_ref_ioctl(struct file *file, void __user *uarg);

#endif /* _KIPC_INTERNAL_H */
