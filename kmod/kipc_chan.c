// SPDX-License-Identifier: GPL-2.0
/*
 * kipc channels: bounded, boundary-preserving message queues.
 *
 * A send copies the message from userspace into a kernel buffer (before
 * any lock is taken) and queues it; a receive copies it out and frees it.
 * The kernel stamps each message with the sending process's pid, the
 * euid and egid the sending file was opened with (file->f_cred: whoever
 * holds the fd sends as its opener, so a setuid program writing to a
 * user's fd cannot be made to vouch for itself), a per-channel sequence
 * number and CLOCK_MONOTONIC time. Each queued message charges its kernel
 * cost (kipc_msg_cost()) to the quota account of that same opener.
 *
 * Only receivers dequeue, under the channel's recv_lock; a message whose
 * delivery fails goes back to the head of its list (see the locking
 * overview in kipc_internal.h). How messages get in and out of userspace
 * (iovecs, ioctl structs, batches, io_uring) is kipc_xfer.c's.
 *
 * Peers: @nr_senders/@nr_receivers count open files with write/read
 * access. When one side's count is zero and the channel is not reachable
 * by name (anonymous or unlinked), that side can never come back, so the
 * other side gets -EPIPE instead of blocking forever. That is final: an
 * open by name that found the channel before the unlink but counts its
 * file only after it fails with -ENOENT (kipc_chan_peer_add()). A
 * channel's creator is counted before its name is linked, so its open
 * never fails that way (kipc_obj_open_file()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>

#include "kipc_compat.h"
#include "kipc_internal.h"
#include "kipc_trace.h"

/**
 * struct kipc_chan - a message channel
 * @obj: name table part; obj.linked tells whether new peers can appear
 * @recv_lock: held by a receiver from choosing the head message until it
 *	is delivered (see the locking overview in kipc_internal.h)
 * @lock: protects @queue, @prio_map, @nr_msgs, @bytes, @seq,
 *	@received, @discarded, and the counts @nr_senders, @nr_receivers
 *	and @nr_files (@received and @discarded, which only receivers
 *	write, are in their line); the other fields say how they are used.
 *	The layout groups the fields by who writes them how often: the
 *	limits and counts written at open and close share no cache line
 *	with what is written per message; what only receivers write
 *	(@recv_lock, @recv_owner, their counts) and the wait queues,
 *	written when a side sleeps or wakes the other, have lines of their
 *	own; then one line for @lock and what it protects that every
 *	message writes, with @nr_out, @send_owner (which a waiting receiver
 *	reads with @nr_msgs), @hot, the hand-off of one spare message from
 *	a receiver to a sender, and @queue[0], the priority most messages
 *	have: a message writes one line of the channel that both sides
 *	write (issue 18: it wrote six, then two, the second the hand-off's);
 *	@hot_alt and @hot_spare, which take the hand-off when @hot is
 *	taken, have one more
 * @recv_wait: receivers and POLLIN pollers wait here for a message
 * @send_wait: senders and POLLOUT pollers wait here for room
 * @queue: one FIFO list of struct kipc_msg per priority
 * @prio_map: bit p set when @queue[p] is not empty
 * @nr_msgs: queued messages (READ_ONCE() outside the lock)
 * @max_msgs: queue depth; immutable
 * @max_msg_size: largest message; immutable
 * @nr_senders: open files with FMODE_WRITE (READ_ONCE() outside the lock)
 * @nr_receivers: open files with FMODE_READ (READ_ONCE() outside the lock)
 * @nr_files: open files (READ_ONCE() outside the lock)
 * @bytes: inline payload bytes queued
 * @seq: last sequence number given, also the count of messages queued
 *	since creation (KIPC_IOC_CHAN_STAT's sent)
 * @received: messages dequeued by receivers since creation, not discarded
 * @discarded: messages dropped by KIPC_XFER_DISCARD since creation
 * @nr_waiters: tasks asleep in a send or receive (atomic, for the listing)
 * @recv_owner: the receiver holding @recv_lock, or NULL: written by it
 *	under @recv_lock, read under RCU by senders deciding whether to spin
 *	(kipc_spin())
 * @send_owner: the last sender to enter kipc_chan_send_begin(), until it
 *	leaves kipc_chan_send_end(), or NULL: written with WRITE_ONCE() only
 *	(each sender clears it if it still finds itself there; a race can
 *	clear another's, which only costs that one a receiver's spin), read
 *	under RCU by receivers deciding whether to spin
 * @nr_out: messages taken off the queue by a receive that has not finished
 *	delivering them (atomic; raised under @lock). They still hold their
 *	slots, so a failed delivery can put them back without the queue
 *	going over @max_msgs.
 * @hot: the hot slot, a spare small message (or NULL) that a receiver
 *	fills with cmpxchg() and a sender empties with xchg(), neither
 *	writing the message nor taking @lock: the fast path of one-message
 *	sends and receives (see kipc_chan_hot_put())
 * @hot_alt: the second hot slot, used the same way when @hot is taken
 * @hot_spare: the hot spares, a stack of spare small messages like
 *	@spares without a lock, taken whole with xchg() and pushed onto with
 *	cmpxchg(): where a receiver's message goes when @hot is full and
 *	@hot_alt is full or the stack is not empty (see kipc_chan_hot_put())
 * @spare_lock: protects @spares and @nr_spares (see the overview)
 * @spares: more spare small messages, as a stack linked through
 *	kipc_msg.next_spare (see kipc_chan_recycle_list()); all of them cut
 *	from @pages
 * @nr_spares: messages on @spares
 * @max_spares: min(2 * @max_msgs, KIPC_CHAN_SPARES): a full queue, and
 *	as many again in the hands of a batch's sender and receiver; @pages
 *	grow until they hold that many small messages; immutable
 * @pages: the pages small messages are cut from (kipc_chan_grow()), each
 *	cut into KIPC_SMALL_SLOT-byte slots, freed with the channel; under
 *	@spare_lock
 * @nr_pages: pages in @pages; under @spare_lock
 * @send_stage: a KIPC_PACKED_STAGE-byte buffer for a packed send, taken
 *	and given back with xchg() and cmpxchg() only, or NULL
 * @recv_stage: a KIPC_PACKED_STAGE-byte buffer for a packed receive, or
 *	NULL; under @recv_lock
 * @held: channel ends held by this channel's messages, queued or out for
 *	delivery (the cycle rule, kipc_handle.c); raised under
 *	kipc_handles_lock, lowered when such a message is freed
 */
struct kipc_chan {
	struct kipc_obj obj;
	/* Set at creation, or written at open and close only. */
	u32 max_msgs;
	u32 max_msg_size;
	u32 max_spares;
	u32 nr_senders;
	u32 nr_receivers;
	u32 nr_files;
	/* Written by receivers only, while senders read the above. */
	struct mutex recv_lock ____cacheline_aligned;	/* see kipc_internal.h */
	struct task_struct *recv_owner;
	void *recv_stage;
	u64 received;
	u64 discarded;
	/* Written when a side sleeps or wakes the other. */
	wait_queue_head_t recv_wait ____cacheline_aligned;
	wait_queue_head_t send_wait;
	atomic_t nr_waiters;
	/*
	 * Written by both sides for every message: under @lock, and @nr_out,
	 * @send_owner and @hot beside it without the lock; with @queue[0].
	 */
	spinlock_t lock ____cacheline_aligned;	/* see kipc_internal.h */
	u32 nr_msgs;
	atomic_t nr_out;
	u32 prio_map;
	u64 bytes;
	u64 seq;
	struct task_struct *send_owner;
	struct kipc_msg *hot;
	struct list_head queue[KIPC_PRIO_MAX + 1];
	/* The hand-off's overflow: written when @hot is taken. */
	struct kipc_msg *hot_alt ____cacheline_aligned;
	struct kipc_msg *hot_spare;
	/* The spares' slow path, and the rest. */
	spinlock_t spare_lock ____cacheline_aligned;	/* see kipc_internal.h */
	struct kipc_msg *spares;
	u32 nr_spares;
	u32 nr_pages;
	struct page *pages[KIPC_CHAN_SPARES * KIPC_SMALL_SLOT / PAGE_SIZE ?: 1];
	void *send_stage;
	atomic_t held;
};

static void kipc_chan_recycle_list(struct kipc_chan *ch, struct list_head *list);

/*
 * Small messages all have room for KIPC_SMALL_MSG bytes, so that any of
 * them can carry any small payload. A channel cuts them from pages of its
 * own, KIPC_SMALL_SLOT bytes each, until it has @max_spares of them (a
 * full queue and as many again, at most KIPC_CHAN_SPARES): a message its
 * receivers are done with goes back onto its spares, never to the
 * allocator, and its senders take spares before they cut a new page; a
 * batch takes or gives back all its spares in one lock round. In a
 * stream, a message then goes round between the two sides without being
 * freed, zeroed (init_on_alloc) or charged again: a spare keeps its quota
 * charge (so that every message a user's sends pin stays bounded by the
 * user's quota), and its pid and account references, for its next sender.
 *
 * Being in pages, not in a slab, their payload is copied in and out as a
 * pipe's is, by page and offset (kipc_msg_copy_to_iter()), without the
 * hardened-usercopy lookup of a slab object on each copy (issue 18: 326
 * instructions of a 64 B message's 3,057 on 6.1). Only a channel with
 * more small messages in flight than @max_spares allocates the others with
 * kvmalloc(), and frees them once received.
 */
#define KIPC_SMALL_MSG		128
#define KIPC_SLOTS_PER_PAGE	(PAGE_SIZE / KIPC_SMALL_SLOT)
static_assert(sizeof(struct kipc_msg) + KIPC_SMALL_MSG <= KIPC_SMALL_SLOT);

static inline struct kipc_chan *to_chan(struct kipc_obj *obj)
{
	return container_of(obj, struct kipc_chan, obj);
}

/**
 * kipc_chan_from_file() - the channel behind a file
 * @file: any file
 *
 * Return: the channel, or NULL if @file is not a channel fd.
 */
struct kipc_chan *kipc_chan_from_file(struct file *file)
{
	return file->f_op == &kipc_chan_fops ? file->private_data : NULL;
}

/**
 * kipc_chan_held_handles() - the count of channel ends @ch holds in flight
 * @ch: the channel
 *
 * Return: its @held counter (kipc_handle.c).
 */
atomic_t *kipc_chan_held_handles(struct kipc_chan *ch)
{
	return &ch->held;
}

/**
 * kipc_chan_max_msg_size() - the largest message @ch takes
 * @ch: the channel
 *
 * Return: its max_msg_size, immutable.
 */
u32 kipc_chan_max_msg_size(const struct kipc_chan *ch)
{
	return ch->max_msg_size;
}

static struct kipc_msg *kipc_msg_init(struct kipc_msg *msg, size_t len,
				      struct kipc_chan *home);
static void kipc_chan_keep_spares(struct kipc_chan *ch, struct kipc_msg *keep);

/**
 * kipc_msg_alloc() - allocate a message with room for @len payload bytes
 * @len: payload bytes (0 for a reference)
 *
 * Charged to the caller's memcg.
 *
 * Return: the message or NULL.
 */
struct kipc_msg *kipc_msg_alloc(size_t len)
{
	struct kipc_msg *msg;

	msg = kvmalloc(struct_size(msg, data, len), GFP_KERNEL_ACCOUNT);
	return msg ? kipc_msg_init(msg, len, NULL) : NULL;
}

/*
 * Give @msg, freshly allocated or cut from @home's pages, room for @len
 * payload bytes and no charge, sender or attachment.
 */
static struct kipc_msg *kipc_msg_init(struct kipc_msg *msg, size_t len, struct kipc_chan *home)
{
	INIT_LIST_HEAD(&msg->link);
	msg->pid = NULL;
	msg->len = len;
	msg->room = len;
	msg->prio = 0;
	msg->flags = 0;
	msg->region = NULL;
	msg->offset = 0;
	msg->user = NULL;
	msg->start_ns = 0;
	msg->handles = NULL;
	msg->home = home;
	return msg;
}

/* Drop everything @msg holds: its charge, sender, region and handles. */
static void kipc_msg_release(struct kipc_msg *msg)
{
	if (msg->user) {
		kipc_user_uncharge(msg->user, KIPC_QUOTA_QUEUED, kipc_msg_cost(msg));
		kipc_user_put(msg->user);
		msg->user = NULL;
	}
	put_pid(msg->pid);
	msg->pid = NULL;
	if (msg->region) {
		kipc_region_put(msg->region);
		msg->region = NULL;
	}
	kipc_handles_free(msg);
}

/**
 * kipc_msg_free() - free a message that is not queued
 * @msg: the message
 *
 * One cut from a channel's pages (@msg->home) holds nothing afterwards
 * and goes back onto that channel's spares: its sender still holds the
 * channel, or the channel is being freed (kipc_chan_free()).
 */
void kipc_msg_free(struct kipc_msg *msg)
{
	struct kipc_chan *ch = msg->home;

	kipc_msg_release(msg);
	if (!ch) {
		kvfree(msg);
		return;
	}
	msg->next_spare = NULL;
	kipc_chan_keep_spares(ch, msg);
}

/**
 * kipc_msg_charge() - charge @msg's cost to the account of @file's opener
 * @msg: a message not queued; a spare may still hold the charge of the
 *	account it was last sent by
 * @file: the sending file; its opener's euid (file->f_cred) is charged and
 *	its opener's CAP_SYS_RESOURCE may exceed the quota
 *
 * A message that holds that account's charge already (a spare the same
 * user sent before) is left as it is: no atomic on the fast path. A charge
 * held for another account moves.
 *
 * Context: process context; may sleep (a new account).
 * Return: 0, or -EDQUOT or -ENOMEM with @msg holding no charge.
 */
int kipc_msg_charge(struct kipc_msg *msg, const struct file *file)
{
	kuid_t uid = file->f_cred->euid;
	struct kipc_user *user = msg->user;
	int ret;

	msg->uid = uid;		/* the account's euid, see kipc_msg_charged() */
	if (user && kipc_user_is(user, uid))
		return 0;
	msg->user = NULL;
	if (user) {
		kipc_user_uncharge(user, KIPC_QUOTA_QUEUED, kipc_msg_cost(msg));
		kipc_user_put(user);
	}
	user = kipc_user_get(uid);
	if (!user)
		return -ENOMEM;
	ret = kipc_user_charge_file(user, KIPC_QUOTA_QUEUED, kipc_msg_cost(msg), file);
	if (ret) {
		kipc_user_put(user);
		return ret;
	}
	msg->user = user;
	return 0;
}

/*
 * Whether @msg holds the charge of @file's opener already (a spare that
 * user sent last), without a call: whenever @msg->user is set, @msg->uid
 * is its euid, as kipc_msg_charge() sets both and kipc_msg_stamp() stamps
 * the euid of the same file (send paths charge and stamp with one file).
 */
static __always_inline bool kipc_msg_charged(const struct kipc_msg *msg, const struct file *file)
{
	return msg->user && uid_eq(msg->uid, file->f_cred->euid);
}

/**
 * kipc_msg_fill_info() - describe a message to its receiver
 * @msg: the message
 * @info: filled in; ids are translated into the caller's namespaces
 */
void kipc_msg_fill_info(const struct kipc_msg *msg, struct kipc_msg_info *info)
{
	struct user_namespace *ns = current_user_ns();

	memset(info, 0, sizeof(*info));
	info->seq = msg->seq;
	info->time_ns = msg->time_ns;
	info->pid = pid_vnr(msg->pid);
	info->uid = from_kuid_munged(ns, msg->uid);
	info->gid = from_kgid_munged(ns, msg->gid);
	info->len = msg->len;
	info->prio = msg->prio;
	info->flags = msg->flags;
	info->pid_start_ns = timens_add_boottime_ns(msg->start_ns);
	info->nr_handles = kipc_msg_nr_handles(msg);
}

static bool kipc_chan_no_senders(struct kipc_chan *ch)
{
	return !READ_ONCE(ch->nr_senders) && !READ_ONCE(ch->obj.linked);
}

static bool kipc_chan_no_receivers(struct kipc_chan *ch)
{
	return !READ_ONCE(ch->nr_receivers) && !READ_ONCE(ch->obj.linked);
}

static bool kipc_chan_can_recv(struct kipc_chan *ch)
{
	return READ_ONCE(ch->nr_msgs) || kipc_chan_no_senders(ch);
}

/* Queued messages and those out for delivery together stay <= max_msgs. */
static bool kipc_chan_has_room(struct kipc_chan *ch)
{
	return READ_ONCE(ch->nr_msgs) + atomic_read(&ch->nr_out) < ch->max_msgs;
}

static bool kipc_chan_can_send(struct kipc_chan *ch)
{
	return kipc_chan_has_room(ch) || kipc_chan_no_receivers(ch);
}

/*
 * Whether the task in *@owner (a kipc_chan's recv_owner or send_owner) is
 * running on a CPU right now, so that spinning for it can pay off. The
 * owner clears the slot before it can exit, so a task found there cannot
 * be freed before rcu_read_unlock(), as for a mutex's optimistic spinning.
 * On one CPU, or with the owner preempted, the spinner would only burn the
 * time the owner needs.
 */
static bool kipc_owner_running(struct task_struct **owner)
{
#ifdef CONFIG_SMP
	struct task_struct *t;
	bool ret;

	rcu_read_lock();
	t = READ_ONCE(*owner);
	ret = t && owner_on_cpu(t);
	rcu_read_unlock();
	return ret;
#else
	return false;
#endif
}

/* A send is under way on another CPU: a message may be queued any moment. */
static bool kipc_chan_sender_busy(struct kipc_chan *ch)
{
	return kipc_owner_running(&ch->send_owner);
}

/* A receive is delivering the head message on another CPU: a slot frees soon. */
static bool kipc_chan_receiver_busy(struct kipc_chan *ch)
{
	return mutex_is_locked(&ch->recv_lock) && kipc_owner_running(&ch->recv_owner);
}

/*
 * Optimistic spinning, as a mutex does for a running owner: while the peer
 * is in the middle of a call that will make @cond true and running on
 * another CPU, wait for it on this CPU for at most kipc_spin_ns instead of
 * sleeping. A sleep and a wake-up cost far more than the few microseconds
 * a send or receive takes, and in a stream they would happen for every
 * message. Returns @cond(@ch).
 */
static __always_inline bool kipc_spin(bool (*cond)(struct kipc_chan *ch),
				      bool (*busy)(struct kipc_chan *ch), struct kipc_chan *ch)
{
	unsigned int spin_ns = READ_ONCE(kipc_spin_ns);
	u64 end;

	if (!spin_ns || !busy(ch))
		return false;
	end = local_clock() + spin_ns;
	while (!cond(ch)) {
		if (!busy(ch) || need_resched() || signal_pending(current) ||
		    local_clock() > end)
			return cond(ch);
		cpu_relax();
	}
	return true;
}

/*
 * Sleep until @cond(@ch) or the absolute CLOCK_MONOTONIC @deadline_ns (0:
 * none), after spinning while @busy(@ch) (see kipc_spin()). Returns 0,
 * -ETIMEDOUT or -ERESTARTSYS; the deadline is absolute, so a restarted call
 * keeps it. A deadline more than KTIME_MAX (2^63 - 1) ns away, such as
 * U64_MAX for "forever", is no deadline: it cannot be reached, and its
 * distance does not fit a ktime_t.
 */
static __always_inline long kipc_wait(wait_queue_head_t *wq,
				      bool (*cond)(struct kipc_chan *ch),
				      bool (*busy)(struct kipc_chan *ch), struct kipc_chan *ch,
				      u64 deadline_ns)
{
	u64 now_ns;
	s64 left = 0;
	long ret;

	if (kipc_spin(cond, busy, ch))
		return 0;
	if (deadline_ns) {
		now_ns = ktime_get_ns();
		if (deadline_ns <= now_ns)
			return cond(ch) ? 0 : -ETIMEDOUT;
		if (deadline_ns - now_ns > KTIME_MAX)
			deadline_ns = 0;
		else
			left = deadline_ns - now_ns;
	}
	atomic_inc(&ch->nr_waiters);
	if (deadline_ns)
		ret = wait_event_interruptible_hrtimeout(*wq, cond(ch), ns_to_ktime(left));
	else
		ret = wait_event_interruptible(*wq, cond(ch));
	atomic_dec(&ch->nr_waiters);
	return ret == -ETIME ? -ETIMEDOUT : ret;
}

static bool kipc_nonblock(struct file *file, u32 xflags)
{
	return (file->f_flags & O_NONBLOCK) || (xflags & KIPC_XFER_NONBLOCK);
}

/*
 * The module-wide totals KIPC_IOC_STAT reports: @msg (+1) or (-1) in
 * kipc_queued.msgs, and its inline bytes in kipc_queued.bytes, this CPU's
 * shares (see kipc_internal.h).
 */
static __always_inline void kipc_queued_add(const struct kipc_msg *msg, int sign)
{
	this_cpu_add(kipc_queued.msgs, sign);
	if (!(msg->flags & KIPC_MSG_REF) && msg->len)
		this_cpu_add(kipc_queued.bytes, sign * (s64)msg->len);
}

/*
 * Queueing a message: kipc_chan_enqueue_locked() queues the first message
 * of @list, @msg, at the tail of its priority's list. It moves with
 * list_cut_position() and list_splice_tail(), which relink without the
 * CONFIG_DEBUG_LIST pointer checks of list_del() and list_add_tail().
 * Debian's kernels have those checks on; with the dozen list operations a
 * message used to go through they cost about 290 of the 3,600
 * instructions of a 64 B message (README, Performance). Both lists here
 * are only ever changed under @ch->lock or by their owner. A message on no
 * list goes in with kipc_msg_append(), unchecked for the same reason.
 * kipc_chan_queued_locked() counts a message just linked in.
 */
static __always_inline void kipc_chan_queued_locked(struct kipc_chan *ch, struct kipc_msg *msg)
{
	ch->prio_map |= BIT(msg->prio);
	WRITE_ONCE(ch->nr_msgs, ch->nr_msgs + 1);
	if (!(msg->flags & KIPC_MSG_REF))
		WRITE_ONCE(ch->bytes, ch->bytes + msg->len);
	kipc_queued_add(msg, 1);
	trace_kipc_send(ch->obj.id, msg->seq, msg->len, msg->prio, msg->flags);
	if (msg->region)
		trace_kipc_ref(ch->obj.id, kipc_region_id(msg->region), msg->offset,
			       msg->len, true);
}

static void kipc_chan_enqueue_locked(struct kipc_chan *ch, struct list_head *list,
				     struct kipc_msg *msg)
{
	LIST_HEAD(one);

	lockdep_assert_held(&ch->lock);
	msg->seq = ++ch->seq;
	list_cut_position(&one, list, &msg->link);
	list_splice_tail(&one, &ch->queue[msg->prio]);
	kipc_chan_queued_locked(ch, msg);
}

/*
 * kipc_chan_queue() callback: queue @arg, a message on no list, at the
 * tail of its priority's list (unchecked, as above). Return: 1.
 */
static __always_inline long kipc_chan_queue_one(struct kipc_chan *ch, void *arg)
{
	struct kipc_msg *msg = arg;

	lockdep_assert_held(&ch->lock);
	msg->seq = ++ch->seq;
	kipc_msg_append(&ch->queue[msg->prio], msg);
	kipc_chan_queued_locked(ch, msg);
	return 1;
}

static struct kipc_msg *kipc_chan_head_locked(struct kipc_chan *ch)
{
	lockdep_assert_held(&ch->lock);
	if (!ch->prio_map)
		return NULL;
	return list_first_entry(&ch->queue[__fls(ch->prio_map)], struct kipc_msg, link);
}

/* Count @msg out of the queue; the caller has taken it off its list. */
static __always_inline void kipc_chan_unqueued_locked(struct kipc_chan *ch,
						      struct kipc_msg *msg)
{
	lockdep_assert_held(&ch->lock);
	if (list_empty(&ch->queue[msg->prio]))
		ch->prio_map &= ~BIT(msg->prio);
	WRITE_ONCE(ch->nr_msgs, ch->nr_msgs - 1);
	if (!(msg->flags & KIPC_MSG_REF))
		WRITE_ONCE(ch->bytes, ch->bytes - msg->len);
	kipc_queued_add(msg, -1);
}

static void kipc_chan_dequeue_locked(struct kipc_chan *ch, struct kipc_msg *msg)
{
	list_del_init(&msg->link);
	kipc_chan_unqueued_locked(ch, msg);
}

/* Count a message taken off the queue by a receive (or a discard). */
static void kipc_chan_count_locked(struct kipc_chan *ch, u32 xflags, s64 n)
{
	lockdep_assert_held(&ch->lock);
	if (xflags & KIPC_XFER_DISCARD)
		ch->discarded += n;
	else
		ch->received += n;
}

/*
 * Put back at the head of its list a message whose delivery failed; the
 * caller uncounts it (kipc_chan_count_locked()).
 */
static void kipc_chan_requeue_locked(struct kipc_chan *ch, struct kipc_msg *msg)
{
	lockdep_assert_held(&ch->lock);
	list_add(&msg->link, &ch->queue[msg->prio]);
	ch->prio_map |= BIT(msg->prio);
	WRITE_ONCE(ch->nr_msgs, ch->nr_msgs + 1);
	if (!(msg->flags & KIPC_MSG_REF))
		WRITE_ONCE(ch->bytes, ch->bytes + msg->len);
	kipc_queued_add(msg, 1);
}

/*
 * The sender's identity and the send time, taken before the lock: the
 * process that sends (@msg->pid), and the euid and egid of @cred, the
 * credentials the sending file was opened with.
 */
static __always_inline void kipc_msg_stamp(struct kipc_msg *msg, const struct cred *cred,
					   u64 now_ns)
{
	if (msg->pid != task_tgid(current)) {
		put_pid(msg->pid);
		msg->pid = get_pid(task_tgid(current));
	}
	if (unlikely(msg->start_ns != current->group_leader->start_boottime))
		msg->start_ns = current->group_leader->start_boottime;
	msg->uid = cred->euid;
	msg->gid = cred->egid;
	msg->time_ns = now_ns;
}

#ifdef KIPC_TEST_DROP_WAKEUP
/*
 * A deliberately broken test build (make KIPC_TEST_DROP_WAKEUP=N, see
 * kmod/Kbuild), never a shipped one: once a channel has queued N messages,
 * a send no longer wakes sleeping receivers. kipc-stress must report the
 * resulting stall (scripts/check, "stall detection").
 */
static bool kipc_test_drop_wakeup(const struct kipc_chan *ch)
{
	return READ_ONCE(ch->seq) >= KIPC_TEST_DROP_WAKEUP;
}
#else
static bool kipc_test_drop_wakeup(const struct kipc_chan *ch)
{
	return false;
}
#endif

/* Messages were queued: wake the receivers waiting for them. */
static __always_inline void kipc_chan_wake_receivers(struct kipc_chan *ch)
{
	if (wq_has_sleeper(&ch->recv_wait) && !kipc_test_drop_wakeup(ch))
		wake_up_poll(&ch->recv_wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Wait, unless the send is non-blocking, until @ch's queue has room for a
 * message, and call @queue with @ch->lock held to queue what fits.
 * Return: what @queue returned (how many it queued, >= 1, or -errno), or
 * -EPIPE (no receiver can come), -EAGAIN, -ETIMEDOUT, -ERESTARTSYS.
 */
static __always_inline long kipc_chan_queue(struct kipc_chan *ch, struct file *file,
					    u32 xflags, u64 deadline_ns,
					    long (*queue)(struct kipc_chan *ch, void *arg),
					    void *arg)
{
	long ret;

	for (;;) {
		spin_lock(&ch->lock);
		if (kipc_chan_no_receivers(ch)) {
			ret = -EPIPE;
			break;
		}
		if (kipc_chan_has_room(ch)) {
			ret = queue(ch, arg);
			break;
		}
		spin_unlock(&ch->lock);

		if (kipc_nonblock(file, xflags))
			return -EAGAIN;
		ret = kipc_wait(&ch->send_wait, kipc_chan_can_send, kipc_chan_receiver_busy,
				ch, deadline_ns);
		if (ret)
			return ret;
	}
	spin_unlock(&ch->lock);
	if (ret > 0)
		kipc_chan_wake_receivers(ch);
	return ret;
}

/* kipc_chan_queue() callback: queue the messages of @arg, a list, while they fit. */
static __always_inline long kipc_chan_queue_list(struct kipc_chan *ch, void *arg)
{
	struct list_head *list = arg;
	struct kipc_msg *msg, *tmp;
	long n = 0;
	int err = 0;

	list_for_each_entry_safe(msg, tmp, list, link) {
		if (!kipc_chan_has_room(ch))
			break;
		if (msg->handles) {
			err = kipc_chan_handles_enqueue_locked(ch, msg);
			if (err)
				break;
		}
		kipc_chan_enqueue_locked(ch, list, msg);
		n++;
	}
	return n ? n : err;
}

/**
 * kipc_chan_send_list() - stamp and queue prepared messages
 * @ch: the channel
 * @file: the sender's file (its opener stamps the messages; O_NONBLOCK)
 * @list: the messages, payload, charge and priority set
 * @xflags: KIPC_XFER_NONBLOCK honoured
 * @deadline_ns: absolute CLOCK_MONOTONIC deadline, 0 for none
 *
 * Stamps the messages on @list (one time for all) and queues as many as
 * fit, in order, blocking only while none fits. Queued ones leave @list
 * (the channel owns them).
 *
 * Context: process context, may sleep; takes @ch->lock, and inside it
 * kipc_handles_lock for a message with channel ends.
 * Return: how many were queued (>= 1), or -EPIPE, -EAGAIN, -ETIMEDOUT,
 * -ERESTARTSYS, -ELOOP (the cycle rule, kipc_handle.c) with nothing
 * queued.
 */
long kipc_chan_send_list(struct kipc_chan *ch, struct file *file,
			 struct list_head *list, u32 xflags, u64 deadline_ns)
{
	const struct cred *cred = file->f_cred;
	u64 now_ns = ktime_get_ns();
	struct kipc_msg *msg;

	list_for_each_entry(msg, list, link)
		kipc_msg_stamp(msg, cred, now_ns);
	return kipc_chan_queue(ch, file, xflags, deadline_ns, kipc_chan_queue_list, list);
}

/*
 * Drop @ch->recv_lock. Pollers see no EPOLLIN while it is held (see
 * kipc_chan_lock_nonempty()), so if messages are left, wake them: the
 * barrier in wq_has_sleeper() pairs with the one in kipc_chan_poll().
 */
static void kipc_chan_recv_unlock(struct kipc_chan *ch)
{
	WRITE_ONCE(ch->recv_owner, NULL);
	mutex_unlock(&ch->recv_lock);
	if (READ_ONCE(ch->nr_msgs) && wq_has_sleeper(&ch->recv_wait))
		wake_up_poll(&ch->recv_wait, EPOLLIN | EPOLLRDNORM);
}

/*
 * Wait until the queue holds a message and take @ch->recv_lock. Only
 * receivers dequeue, and they hold recv_lock, so the message is still
 * there when this returns 0. Returns 0 with recv_lock held, or -EPIPE,
 * -EAGAIN, -ETIMEDOUT, -ERESTARTSYS without it.
 *
 * A non-blocking receive (O_NONBLOCK, KIPC_XFER_NONBLOCK, IOCB_NOWAIT, an
 * io_uring batch) does not wait for recv_lock either: its holder may be
 * stuck in a page fault on its buffer (userfaultfd, FUSE) for as long as
 * it likes. It gets -EAGAIN (or -EPIPE), and poll() does not report
 * EPOLLIN while recv_lock is held; kipc_chan_recv_unlock() wakes pollers
 * (io_uring's armed poll among them) when it is dropped with messages
 * left.
 */
static __always_inline long kipc_chan_lock_nonempty(struct kipc_chan *ch, struct file *file,
						    u32 xflags, u64 deadline_ns)
{
	long ret;

	for (;;) {
		if (kipc_nonblock(file, xflags)) {
			if (!mutex_trylock(&ch->recv_lock))
				return !READ_ONCE(ch->nr_msgs) && kipc_chan_no_senders(ch) ?
				       -EPIPE : -EAGAIN;
		} else {
			/* Wait for a message before taking recv_lock, not with it. */
			if (!kipc_chan_can_recv(ch)) {
				ret = kipc_wait(&ch->recv_wait, kipc_chan_can_recv,
						kipc_chan_sender_busy, ch, deadline_ns);
				if (ret)
					return ret;
			}
			if (mutex_lock_interruptible(&ch->recv_lock))
				return -ERESTARTSYS;
		}
		WRITE_ONCE(ch->recv_owner, current);
		if (READ_ONCE(ch->nr_msgs))
			return 0;
		/* Another receiver took it, or no sender is left. */
		ret = kipc_chan_no_senders(ch) ? -EPIPE : 0;
		kipc_chan_recv_unlock(ch);
		if (ret)
			return ret;
		if (kipc_nonblock(file, xflags))
			return -EAGAIN;
	}
}

/*
 * Take up to @nr messages off the head of the queue onto @taken, counted
 * as received (or discarded, per @xflags) and as out for delivery.
 * Return: how many.
 */
static u32 kipc_chan_take_locked(struct kipc_chan *ch, struct list_head *taken, u32 nr,
				 u32 xflags)
{
	struct kipc_msg *msg;
	u32 n = 0;

	lockdep_assert_held(&ch->lock);
	while (n < nr && (msg = kipc_chan_head_locked(ch))) {
		LIST_HEAD(one);

		/* Unchecked relinking, as in kipc_chan_enqueue_locked() */
		list_cut_position(&one, &ch->queue[msg->prio], &msg->link);
		list_splice_tail(&one, taken);
		kipc_chan_unqueued_locked(ch, msg);
		n++;
	}
	kipc_chan_count_locked(ch, xflags, n);
	atomic_add(n, &ch->nr_out);
	return n;
}

/*
 * Put the messages on @list, taken off by kipc_chan_take_locked() and not
 * delivered, back at the head of their lists, last first: the queue is as
 * if they had never left.
 */
static void kipc_chan_untake_locked(struct kipc_chan *ch, struct list_head *list, u32 n,
				    u32 xflags)
{
	struct kipc_msg *msg, *tmp;

	lockdep_assert_held(&ch->lock);
	list_for_each_entry_safe_reverse(msg, tmp, list, link) {
		list_del(&msg->link);
		kipc_chan_requeue_locked(ch, msg);
	}
	kipc_chan_count_locked(ch, xflags, -(s64)n);
	atomic_sub(n, &ch->nr_out);
}

/* KIPC_XFER_PEEK: deliver the head message, leave it queued; drops recv_lock. */
static long kipc_chan_peek(struct kipc_chan *ch, kipc_deliver_fn deliver, void *arg)
{
	struct kipc_msg *msg;
	long ret;

	spin_lock(&ch->lock);
	msg = kipc_chan_head_locked(ch);
	spin_unlock(&ch->lock);
	if (WARN_ON_ONCE(!msg)) {	/* kipc_chan_lock_nonempty() saw one */
		kipc_chan_recv_unlock(ch);
		return -EAGAIN;
	}
	/* Only receivers dequeue, and recv_lock is held: @msg stays. */
	ret = deliver(msg, arg);
	kipc_chan_recv_unlock(ch);
	return ret < 0 ? ret : 1;
}

/**
 * kipc_chan_recv() - deliver up to @nr messages through @deliver
 * @ch: the channel
 * @file: the receiver's file (O_NONBLOCK honoured)
 * @xflags: KIPC_XFER_NONBLOCK and KIPC_XFER_PEEK (@nr 1) honoured; with
 *	KIPC_XFER_DISCARD the messages count as discarded, not received
 * @deadline_ns: absolute CLOCK_MONOTONIC deadline, 0 for none
 * @nr: the most messages to move; a single receive is a batch of one
 * @deliver: called with @ch->recv_lock held (and @ch->lock not held) on
 *	each message taken, in order; a negative return ends the batch and
 *	leaves that message and the ones after it queued, at the head
 * @commit: NULL, or called once after @deliver, still under
 *	@ch->recv_lock, with the number of messages delivered (>= 1): a
 *	negative return puts all of them back, as if none had been
 *	delivered (a packed receive copies its records out here)
 * @arg: passed to @deliver and @commit
 *
 * Blocks, if at all, only until the first message can move; then takes
 * as many as are queued, up to @nr. Delivered without the spinlock, so
 * senders are not held up by the copy; the messages keep their slots
 * meanwhile (@nr_out).
 *
 * Context: process context, may sleep; takes @ch->recv_lock, then
 * @ch->lock.
 * Return: how many were delivered (>= 1), or what @deliver returned for
 * the first (or @commit), or -EPIPE, -EAGAIN, -ETIMEDOUT, -ERESTARTSYS.
 */
long kipc_chan_recv(struct kipc_chan *ch, struct file *file, u32 xflags,
		    u64 deadline_ns, u32 nr, kipc_deliver_fn deliver,
		    kipc_commit_fn commit, void *arg)
{
	struct kipc_msg *msg;
	LIST_HEAD(taken);
	LIST_HEAD(done);
	u32 n, i = 0;
	long ret = 0;

	ret = kipc_chan_lock_nonempty(ch, file, xflags, deadline_ns);
	if (ret)
		return ret;
	if (xflags & KIPC_XFER_PEEK)
		return kipc_chan_peek(ch, deliver, arg);
	spin_lock(&ch->lock);
	n = kipc_chan_take_locked(ch, &taken, nr, xflags);
	spin_unlock(&ch->lock);
	if (WARN_ON_ONCE(!n)) {	/* kipc_chan_lock_nonempty() saw one */
		kipc_chan_recv_unlock(ch);
		return -EAGAIN;
	}

	list_for_each_entry(msg, &taken, link) {
		ret = deliver(msg, arg);
		if (ret < 0)
			break;
		i++;
	}
	if (i && commit) {
		ret = commit(arg, i);
		if (ret < 0) {
			i = 0;
			msg = list_first_entry(&taken, struct kipc_msg, link);
		}
	}
	if (i < n) {
		list_cut_before(&done, &taken, &msg->link);
		spin_lock(&ch->lock);
		kipc_chan_untake_locked(ch, &taken, n - i, xflags);
		spin_unlock(&ch->lock);
	} else {
		list_splice_init(&taken, &done);
	}
	/* The slots are free now; wq_has_sleeper() orders this before its test. */
	atomic_sub(i, &ch->nr_out);
	/* Pollers did not see what was out: this wakes them. */
	kipc_chan_recv_unlock(ch);

	if (i && wq_has_sleeper(&ch->send_wait))
		wake_up_poll(&ch->send_wait, EPOLLOUT | EPOLLWRNORM);
	list_for_each_entry(msg, &done, link) {
		trace_kipc_recv(ch->obj.id, msg->seq, msg->len, msg->prio, msg->flags);
		if (msg->region)
			trace_kipc_ref(ch->obj.id, kipc_region_id(msg->region), msg->offset,
				       msg->len, false);
	}
	kipc_chan_recycle_list(ch, &done);
	return i ? i : ret;
}

/*
 * Move up to @n spare small messages of @ch to the stack @pool (linked
 * through kipc_msg.next_spare, as the channel's own). Return: how many.
 */
static u32 kipc_chan_take_spares(struct kipc_chan *ch, struct kipc_msg **pool, u32 n)
{
	struct kipc_msg *last;
	u32 got = 1;

	if (!n || !READ_ONCE(ch->nr_spares))
		return 0;
	spin_lock(&ch->spare_lock);
	last = ch->spares;
	if (!last) {
		spin_unlock(&ch->spare_lock);
		return 0;
	}
	while (got < n && last->next_spare) {
		last = last->next_spare;
		got++;
	}
	*pool = ch->spares;
	ch->spares = last->next_spare;
	last->next_spare = NULL;
	ch->nr_spares -= got;
	spin_unlock(&ch->spare_lock);
	return got;
}

/* One spare small message of @ch, or NULL. */
static struct kipc_msg *kipc_chan_pop_spare(struct kipc_chan *ch)
{
	struct kipc_msg *msg;

	if (!READ_ONCE(ch->nr_spares))
		return NULL;
	spin_lock(&ch->spare_lock);
	msg = ch->spares;
	if (msg) {
		ch->spares = msg->next_spare;
		ch->nr_spares--;
	}
	spin_unlock(&ch->spare_lock);
	return msg;
}

/* Push the stack @keep of small messages of @ch's pages onto its spares. */
static void kipc_chan_keep_spares(struct kipc_chan *ch, struct kipc_msg *keep)
{
	struct kipc_msg *msg;

	if (!keep)
		return;
	spin_lock(&ch->spare_lock);
	while (keep) {
		msg = keep;
		keep = msg->next_spare;
		msg->next_spare = ch->spares;
		ch->spares = msg;
		ch->nr_spares++;
	}
	spin_unlock(&ch->spare_lock);
}

/*
 * The hot spares, a stack without a lock. A sender takes all of it with
 * xchg(), keeps the message on top and gives the rest back with cmpxchg()
 * onto an empty slot; a rest that finds the slot taken (a receiver pushed
 * meanwhile) goes onto @spares. A receiver pushes its message with
 * cmpxchg() (kipc_chan_hot_push()). Only a sender that owns the whole
 * stack follows its links, and a push only checks that the top it linked
 * to is still the top, so there is no ABA problem: a stream costs two
 * atomics per message for the sender and one for the receiver, where the
 * spinlocked stack cost a lock round on each side and some 30 instructions
 * more (issue 18: in a stream the sides run in bursts, and one hot spare
 * served one message in 25).
 */
static __always_inline struct kipc_msg *kipc_chan_hot_take(struct kipc_chan *ch)
{
	return READ_ONCE(ch->hot_spare) ? xchg(&ch->hot_spare, NULL) : NULL;
}

static __always_inline void kipc_chan_hot_give(struct kipc_chan *ch, struct kipc_msg *stack)
{
	if (stack && cmpxchg(&ch->hot_spare, NULL, stack))
		kipc_chan_keep_spares(ch, stack);
}

static __always_inline void kipc_chan_hot_push(struct kipc_chan *ch, struct kipc_msg *msg)
{
	struct kipc_msg *top = READ_ONCE(ch->hot_spare);

	do {
		msg->next_spare = top;
	} while (!try_cmpxchg(&ch->hot_spare, &top, msg));
}

/*
 * The hot slots: a receiver puts its message into an empty one with
 * cmpxchg(), a sender takes one out with xchg(). Unlike a push onto the
 * hot spares, neither writes the message, so on two CPUs its first cache
 * line, which the receiver has only read, goes back to the sender clean:
 * one line transfer per message less (issue 18: with the layouts of
 * struct kipc_msg and struct kipc_chan, a 64 B stream on 7.3 went from
 * 8.0 to 5.9 lines per message between the CPUs, pipe 3.9). A slot
 * holds one message, so there is no ABA problem.
 *
 * Both sides start with the atomic on @hot, not with a load: a load of
 * a line the other CPU has written fetches it shared, and the atomic
 * after it must then take it over, two transfers where the atomic alone
 * makes one (issue 18). @hot lies in @lock's line, which each side takes
 * for the message anyway: a sender just before it queues, a receiver just
 * after it dequeues. Only when @hot is taken (full for a receiver, empty
 * for a sender) do they look further, at the line of @hot_alt and the hot
 * spares: a receiver puts into @hot_alt, or pushes onto the hot spares
 * when they are in use or both slots are full; a sender takes the hot
 * spares, else @hot_alt. Bursts (one side running many messages ahead,
 * as on one CPU) go through the stack.
 */
static __always_inline void kipc_chan_hot_put(struct kipc_chan *ch, struct kipc_msg *msg)
{
	if (!cmpxchg(&ch->hot, NULL, msg))
		return;
	if (READ_ONCE(ch->hot_spare) || READ_ONCE(ch->hot_alt) ||
	    cmpxchg(&ch->hot_alt, NULL, msg))
		kipc_chan_hot_push(ch, msg);
}

static __always_inline struct kipc_msg *kipc_chan_hot_get(struct kipc_chan *ch)
{
	struct kipc_msg *msg = xchg(&ch->hot, NULL);

	if (msg)
		return msg;
	msg = kipc_chan_hot_take(ch);
	if (msg) {
		kipc_chan_hot_give(ch, msg->next_spare);
		return msg;
	}
	return READ_ONCE(ch->hot_alt) ? xchg(&ch->hot_alt, NULL) : NULL;
}

/*
 * Done with @msg: free it if it is not a small message of @ch's pages or
 * holds more than a charge and a sender (kipc_msg_free() gives such a
 * small message back to the spares). Return: false if it was freed, true
 * if it is a small message still to keep.
 */
static __always_inline bool kipc_chan_keepable(struct kipc_chan *ch, struct kipc_msg *msg)
{
	if (msg->home != ch || msg->region || msg->handles) {
		kipc_msg_free(msg);
		return false;
	}
	return true;
}

/*
 * Done with the messages on @list, all taken off @ch (or never queued):
 * keep the small ones as spares while there is room, free the rest. A
 * spare keeps its quota charge, pid and account references for its next
 * sender (kipc_msg_charge()); freeing gives the charge back. @list is
 * left empty. The messages leave @list without list_del(): the whole
 * list goes, and its head is reset at the end.
 */
static void kipc_chan_recycle_list(struct kipc_chan *ch, struct list_head *list)
{
	struct kipc_msg *msg, *tmp, *keep = NULL;

	list_for_each_entry_safe(msg, tmp, list, link) {
		if (!kipc_chan_keepable(ch, msg))
			continue;
		msg->next_spare = keep;
		keep = msg;
	}
	INIT_LIST_HEAD(list);
	kipc_chan_keep_spares(ch, keep);
}

/* kipc_chan_recycle_list() for @msg, on no list: onto the hot spares. */
static __always_inline void kipc_chan_recycle_one(struct kipc_chan *ch, struct kipc_msg *msg)
{
	if (!kipc_chan_keepable(ch, msg))
		return;
	kipc_chan_hot_put(ch, msg);
}

/**
 * kipc_chan_take_one() - take the message at the head of the queue
 * @ch: the channel
 * @file: the receiver's file (O_NONBLOCK honoured)
 * @xflags: KIPC_XFER_NONBLOCK honoured; with KIPC_XFER_DISCARD the message
 *	counts as discarded, not received (KIPC_XFER_PEEK: kipc_chan_recv())
 * @deadline_ns: absolute CLOCK_MONOTONIC deadline, 0 for none
 *
 * kipc_chan_recv() for one message, without the lists and the callbacks:
 * read(2) and KIPC_IOC_RECV take this path. The caller delivers the
 * message and then, always, calls kipc_chan_take_done(). Until then the
 * message keeps its slot (@nr_out) and the caller holds @ch->recv_lock.
 *
 * Context: process context, may sleep; takes @ch->recv_lock, then
 * @ch->lock.
 * Return: the message, or ERR_PTR(-EPIPE, -EAGAIN, -ETIMEDOUT,
 * -ERESTARTSYS).
 */
struct kipc_msg *kipc_chan_take_one(struct kipc_chan *ch, struct file *file, u32 xflags,
				    u64 deadline_ns)
{
	struct kipc_msg *msg;
	long ret;

	ret = kipc_chan_lock_nonempty(ch, file, xflags, deadline_ns);
	if (ret)
		return ERR_PTR(ret);
	spin_lock(&ch->lock);
	msg = kipc_chan_head_locked(ch);
	if (WARN_ON_ONCE(!msg)) {	/* kipc_chan_lock_nonempty() saw one */
		spin_unlock(&ch->lock);
		kipc_chan_recv_unlock(ch);
		return ERR_PTR(-EAGAIN);
	}
	/*
	 * Unchecked unlinking, as in kipc_chan_take_locked(). @msg->link is
	 * left as it was: the message is on no list now, and what comes next
	 * links it afresh (kipc_chan_requeue_locked()) or not at all (the hot
	 * slots); a receiver that only reads the message's first line leaves
	 * it clean, for its next sender to take back without a fetch (issue 18).
	 */
	__list_del(msg->link.prev, msg->link.next);
	kipc_chan_unqueued_locked(ch, msg);
	kipc_chan_count_locked(ch, xflags, 1);
	atomic_inc(&ch->nr_out);
	spin_unlock(&ch->lock);
	return msg;
}

/**
 * kipc_chan_take_done() - the end of a kipc_chan_take_one()
 * @ch: the channel
 * @msg: the message it took
 * @delivered: whether @msg was delivered; if not, it goes back to the
 *	head of the queue, as if it had never left
 * @xflags: as given to kipc_chan_take_one()
 *
 * Drops @ch->recv_lock; wakes senders waiting for the slot.
 */
void kipc_chan_take_done(struct kipc_chan *ch, struct kipc_msg *msg, bool delivered,
			 u32 xflags)
{
	bool wake;

	if (!delivered) {
		spin_lock(&ch->lock);
		kipc_chan_requeue_locked(ch, msg);
		kipc_chan_count_locked(ch, xflags, -1);
		atomic_dec(&ch->nr_out);
		spin_unlock(&ch->lock);
		kipc_chan_recv_unlock(ch);
		return;
	}
	atomic_dec(&ch->nr_out);	/* the slot is free now */
	/*
	 * Order the free slot before the test for sleepers, as the barrier of
	 * wq_has_sleeper() would (it pairs with the one in the sleeper's
	 * set_current_state()); after an atomic it costs nothing on x86
	 * (issue 18: one locked instruction less per message).
	 */
	smp_mb__after_atomic();
	/* Ordered by the barrier above: wq_has_sleeper() without its own. */
	wake = waitqueue_active(&ch->send_wait);
	kipc_chan_recv_unlock(ch);
	if (wake)
		wake_up_poll(&ch->send_wait, EPOLLOUT | EPOLLWRNORM);
	trace_kipc_recv(ch->obj.id, msg->seq, msg->len, msg->prio, msg->flags);
	if (msg->region)
		trace_kipc_ref(ch->obj.id, kipc_region_id(msg->region), msg->offset, msg->len,
			       false);
	kipc_chan_recycle_one(ch, msg);
}

/*
 * A new small message for @ch, when it has no spare: cut from a new page
 * of its own, whose other slots become spares, while its pages hold fewer
 * than @max_spares messages; else from kvmalloc(). Return: it, or NULL.
 */
static bool kipc_chan_pages_full(const struct kipc_chan *ch)
{
	return READ_ONCE(ch->nr_pages) * KIPC_SLOTS_PER_PAGE >= ch->max_spares;
}

static noinline struct kipc_msg *kipc_chan_grow(struct kipc_chan *ch)
{
	struct kipc_msg *msg;
	struct page *page;
	char *base;
	int i;

	if (kipc_chan_pages_full(ch))
		return kipc_msg_alloc(KIPC_SMALL_MSG);
	page = alloc_page(GFP_KERNEL_ACCOUNT);
	if (!page)
		return NULL;
	base = page_address(page);
	/*
	 * Scanned for the references its messages hold, never reported; this
	 * allocates kmemleak's record, so not under the lock.
	 */
	kmemleak_alloc(base, PAGE_SIZE, 0, GFP_KERNEL);
	spin_lock(&ch->spare_lock);
	if (kipc_chan_pages_full(ch)) {
		/* Another sender grew them meanwhile. */
		spin_unlock(&ch->spare_lock);
		kmemleak_free(base);
		__free_page(page);
		return kipc_msg_alloc(KIPC_SMALL_MSG);
	}
	ch->pages[ch->nr_pages] = page;
	WRITE_ONCE(ch->nr_pages, ch->nr_pages + 1);
	for (i = KIPC_SLOTS_PER_PAGE - 1; i > 0; i--) {
		msg = kipc_msg_init((void *)(base + i * KIPC_SMALL_SLOT), KIPC_SMALL_MSG, ch);
		msg->next_spare = ch->spares;
		ch->spares = msg;
		ch->nr_spares++;
	}
	spin_unlock(&ch->spare_lock);
	return kipc_msg_init((void *)base, KIPC_SMALL_MSG, ch);
}

/*
 * A message with room for @len bytes: from the hot slots, else from @pool
 * (spares already taken by the caller, may be NULL), a spare of @ch, or a
 * new one. The hot slots come first even for a batch, whose pool would
 * spare it an xchg() on @ch->lock's line per message: with the pool first,
 * the batch cells of six paired time-mode runs on 6.1 moved 2-8% fewer
 * messages per second for the 8 to 15 instructions per message it saved
 * (issue 18, ninth round; likely because the hot slot then stays full and
 * the receiver's freed messages go through the spare lock).
 */
static __always_inline struct kipc_msg *kipc_chan_msg_get(struct kipc_chan *ch, size_t len,
							  struct kipc_msg **pool)
{
	struct kipc_msg *msg;

	if (len > KIPC_SMALL_MSG)
		return kipc_msg_alloc(len);
	msg = kipc_chan_hot_get(ch);
	if (!msg && pool && *pool) {
		msg = *pool;
		*pool = msg->next_spare;
	}
	if (!msg)
		msg = kipc_chan_pop_spare(ch);
	if (!msg)
		return kipc_chan_grow(ch);
	INIT_LIST_HEAD(&msg->link);
	msg->prio = 0;
	msg->flags = 0;
	if (unlikely(msg->offset))	/* a clean line stays clean (struct kipc_msg) */
		msg->offset = 0;
	return msg;
}

/*
 * A message for @ch with room for @len payload bytes, charged to @file's
 * opener (kipc_msg_charge()), its payload still to be filled in.
 * Return: the message, or ERR_PTR(-EMSGSIZE, -ENOMEM, -EDQUOT).
 */
static __always_inline struct kipc_msg *
kipc_chan_msg_new(struct kipc_chan *ch, struct file *file, size_t len, struct kipc_msg **pool)
{
	struct kipc_msg *msg;
	int ret;

	if (len > ch->max_msg_size)
		return ERR_PTR(-EMSGSIZE);
	msg = kipc_chan_msg_get(ch, len, pool);
	if (!msg)
		return ERR_PTR(-ENOMEM);
	/* Its cost counts against the sender's quota until it is freed. */
	ret = kipc_msg_charged(msg, file) ? 0 : kipc_msg_charge(msg, file);
	if (ret) {
		kipc_msg_free(msg);
		return ERR_PTR(ret);
	}
	msg->len = len;
	return msg;
}

/*
 * Fill @msg's payload with the next @len bytes of @from, as
 * kipc_msg_copy_to_iter() empties it. Return: whether all of them came;
 * if not, @from is where it was.
 */
static __always_inline bool kipc_msg_copy_from_iter(struct kipc_msg *msg, size_t len,
						    struct iov_iter *from)
{
	size_t n;

	if (!msg->home)
		return copy_from_iter_full(msg->data, len, from);
	n = copy_page_from_iter(virt_to_page(msg->data), offset_in_page(msg->data), len, from);
	if (likely(n == len))
		return true;
	iov_iter_revert(from, n);
	return false;
}

/* kipc_chan_msg_from_iter(), inline in kipc_chan_send_iter(). */
static __always_inline struct kipc_msg *
kipc_chan_msg_fill(struct kipc_chan *ch, struct file *file, struct iov_iter *from,
		   struct kipc_msg **pool)
{
	size_t len = iov_iter_count(from);
	struct kipc_msg *msg;

	msg = kipc_chan_msg_new(ch, file, len, pool);
	if (IS_ERR(msg))
		return msg;
	if (!kipc_msg_copy_from_iter(msg, len, from)) {
		kipc_msg_free(msg);
		return ERR_PTR(-EFAULT);
	}
	return msg;
}

/**
 * kipc_chan_msg_from_iter() - a message for @ch holding what @from holds
 * @ch: the channel (its max_msg_size, its spares)
 * @file: the sending file, whose opener is charged (kipc_msg_charge())
 * @from: the payload, all of it
 * @pool: spares taken by kipc_chan_send_begin(), or NULL
 *
 * Context: process context, may sleep and fault on @from.
 * Return: the message, or ERR_PTR(-EMSGSIZE, -ENOMEM, -EDQUOT, -EFAULT).
 */
struct kipc_msg *kipc_chan_msg_from_iter(struct kipc_chan *ch, struct file *file,
					 struct iov_iter *from, struct kipc_msg **pool)
{
	return kipc_chan_msg_fill(ch, file, from, pool);
}

/**
 * kipc_chan_msg_from_kernel() - a message for @ch holding a copy of @data
 * @ch: the channel (its max_msg_size, its spares)
 * @file: the sending file, whose opener is charged (kipc_msg_charge())
 * @data: the payload, in kernel memory (a packed batch's copy)
 * @len: its length
 * @pool: spares taken by kipc_chan_send_begin(), or NULL
 *
 * Context: process context, may sleep.
 * Return: the message, or ERR_PTR(-EMSGSIZE, -ENOMEM, -EDQUOT).
 */
struct kipc_msg *kipc_chan_msg_from_kernel(struct kipc_chan *ch, struct file *file,
					   const void *data, size_t len, struct kipc_msg **pool)
{
	struct kipc_msg *msg;

	msg = kipc_chan_msg_new(ch, file, len, pool);
	if (!IS_ERR(msg))
		memcpy(msg->data, data, len);
	return msg;
}

/*
 * The buffers packed batches copy their records through (kipc_xfer.c),
 * kept by the channel, one for a sender and one for the receiver holding
 * recv_lock, so that a call does not allocate one: with
 * CONFIG_INIT_ON_ALLOC_DEFAULT_ON, as in Debian's kernels, every kmalloc()
 * of 4 KiB also zeroes 4 KiB. Charged to the memcg of the task that made
 * them; freed with the channel.
 */

/**
 * kipc_chan_send_stage_get() - a KIPC_PACKED_STAGE-byte buffer for a send
 * @ch: the channel
 *
 * Return: the channel's buffer if no other sender has it, else a new one;
 * NULL if out of memory. Give it back with kipc_chan_send_stage_put().
 */
void *kipc_chan_send_stage_get(struct kipc_chan *ch)
{
	void *buf = READ_ONCE(ch->send_stage) ? xchg(&ch->send_stage, NULL) : NULL;

	return buf ?: kmalloc(KIPC_PACKED_STAGE, GFP_KERNEL_ACCOUNT);
}

/* Keep @buf as the channel's send buffer, or free it if it has one. */
void kipc_chan_send_stage_put(struct kipc_chan *ch, void *buf)
{
	if (cmpxchg(&ch->send_stage, NULL, buf))
		kfree(buf);
}

/**
 * kipc_chan_recv_stage_locked() - the receivers' KIPC_PACKED_STAGE-byte buffer
 * @ch: the channel, its recv_lock held (the buffer is the holder's until
 *	it drops the lock)
 *
 * Return: the buffer, or NULL if out of memory.
 */
void *kipc_chan_recv_stage_locked(struct kipc_chan *ch)
{
	lockdep_assert_held(&ch->recv_lock);
	if (!ch->recv_stage)
		ch->recv_stage = kmalloc(KIPC_PACKED_STAGE, GFP_KERNEL_ACCOUNT);
	return ch->recv_stage;
}

/* kipc_chan_send_begin() and kipc_chan_send_end() without spares. */
static __always_inline void kipc_chan_sending(struct kipc_chan *ch)
{
	WRITE_ONCE(ch->send_owner, current);
}

/*
 * Plain loads and stores, no atomic (issue 18: under TCG an atomic costs
 * many plain instructions): the slot only steers spinning, and a task
 * never leaves its own pointer behind, so kipc_owner_running() never
 * finds one that has exited (a racing sender may clear another's pointer,
 * never store a stale one).
 */
static __always_inline void kipc_chan_sent(struct kipc_chan *ch)
{
	if (READ_ONCE(ch->send_owner) == current)
		WRITE_ONCE(ch->send_owner, NULL);
}

/**
 * kipc_chan_send_begin() - a send of @nr messages starts
 * @ch: the channel
 * @pool: the stack (NULL at first) where the spares for them go, or NULL
 *	for none (one message: kipc_chan_msg_from_iter() finds its spare
 *	itself)
 * @nr: how many spares to take at most
 *
 * @ch->send_owner names the call until kipc_chan_send_end(), so that a
 * receiver finding the queue empty spins for the message rather than
 * sleeping while the sender runs on another CPU (kipc_spin()).
 */
void kipc_chan_send_begin(struct kipc_chan *ch, struct kipc_msg **pool, u32 nr)
{
	kipc_chan_sending(ch);
	if (pool)
		kipc_chan_take_spares(ch, pool, nr);
}

/**
 * kipc_chan_send_end() - a send is over
 * @ch: the channel
 * @list: the messages not queued, kept as spares or freed
 * @pool: the spares not used, or NULL
 */
void kipc_chan_send_end(struct kipc_chan *ch, struct list_head *list, struct kipc_msg **pool)
{
	kipc_chan_recycle_list(ch, list);
	if (pool)
		kipc_chan_keep_spares(ch, *pool);
	kipc_chan_sent(ch);
}

/**
 * kipc_chan_send_iter() - send one message without handles
 * @ch: the channel
 * @file: the sender's file (its opener stamps the message; O_NONBLOCK)
 * @from: the payload, all of it
 * @prio: the message's priority (checked by the caller)
 * @xflags: KIPC_XFER_NONBLOCK honoured
 * @deadline_ns: absolute CLOCK_MONOTONIC deadline, 0 for none
 *
 * What kipc_chan_send_begin(), kipc_chan_msg_from_iter(),
 * kipc_chan_send_list() and kipc_chan_send_end() do for a list of one,
 * in one call and without the list: write(2) and KIPC_IOC_SEND take this
 * path for every message (about 200 guest instructions less per message
 * in the cost mode, README, Performance).
 *
 * Context: process context, may sleep and fault on @from; takes @ch->lock.
 * Return: the message's length once queued, or -EMSGSIZE, -ENOMEM,
 * -EDQUOT, -EFAULT, -EPIPE, -EAGAIN, -ETIMEDOUT, -ERESTARTSYS with nothing
 * queued.
 */
long kipc_chan_send_iter(struct kipc_chan *ch, struct file *file, struct iov_iter *from,
			 u32 prio, u32 xflags, u64 deadline_ns)
{
	struct kipc_msg *msg;
	long ret, len;

	kipc_chan_sending(ch);
	msg = kipc_chan_msg_fill(ch, file, from, NULL);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		goto out;
	}
	msg->prio = prio;
	kipc_msg_stamp(msg, file->f_cred, ktime_get_ns());
	len = msg->len;		/* once queued, @msg is the receivers' */
	ret = kipc_chan_queue(ch, file, xflags, deadline_ns, kipc_chan_queue_one, msg);
	if (ret < 0)
		kipc_chan_recycle_one(ch, msg);
	else
		ret = len;
out:
	kipc_chan_sent(ch);
	return ret;
}

/**
 * kipc_chan_stat_ioctl() - KIPC_IOC_CHAN_STAT
 * @ucmd: the call; @ucmd->cmd is a struct kipc_chan_stat
 *
 * Return: 0 or -errno.
 */
long kipc_chan_stat_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_chan *ch = ucmd->file->private_data;
	struct user_namespace *ns = current_user_ns();
	struct kipc_chan_stat *st = ucmd->cmd;

	if (st->flags || st->__reserved)
		return -EINVAL;

	spin_lock(&ch->lock);
	st->max_msgs = ch->max_msgs;
	st->max_msg_size = ch->max_msg_size;
	st->nr_msgs = ch->nr_msgs;
	st->nr_senders = ch->nr_senders;
	st->nr_receivers = ch->nr_receivers;
	st->bytes_queued = ch->bytes;
	st->sent = ch->seq;
	st->received = ch->received;
	st->discarded = ch->discarded;
	spin_unlock(&ch->lock);

	st->uid = from_kuid_munged(ns, ch->obj.uid);
	st->gid = from_kgid_munged(ns, ch->obj.gid);
	st->mode = ch->obj.mode;
	st->id = ch->obj.id;
	st->state = ch->obj.name ? 0 : KIPC_CHAN_ANON;
	if (READ_ONCE(ch->obj.linked))
		st->state |= KIPC_CHAN_NAMED;
	return kipc_ucmd_respond(ucmd);
}

__poll_t kipc_chan_poll(struct file *file, poll_table *wait)
{
	struct kipc_chan *ch = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ch->recv_wait, wait);
	poll_wait(file, &ch->send_wait, wait);
	/* Pairs with wq_has_sleeper() in kipc_chan_recv_unlock(). */
	smp_mb();

	if (file->f_mode & FMODE_READ) {
		/*
		 * Not while another receiver holds recv_lock: a non-blocking
		 * receive would get -EAGAIN (see kipc_chan_lock_nonempty()).
		 */
		if (READ_ONCE(ch->nr_msgs)) {
			if (!mutex_is_locked(&ch->recv_lock))
				mask |= EPOLLIN | EPOLLRDNORM;
		} else if (kipc_chan_no_senders(ch)) {
			mask |= EPOLLHUP;
		}
	}
	if (file->f_mode & FMODE_WRITE) {
		if (kipc_chan_no_receivers(ch))
			mask |= EPOLLERR;
		else if (kipc_chan_has_room(ch))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	return mask;
}

/*
 * Count a new peer (@recv, @send) in, or undo that (@sign -1). Adding one
 * fails (-ENOENT) where a side has gone for good: the channel is named but
 * no longer linked and that side has no file. The other side may already
 * have been told EPIPE, so letting a peer back would make EPIPE a lie;
 * for the opener, the name went away before its open finished. Senders
 * test the same state under @ch->lock (kipc_chan_no_receivers()), so the
 * lock orders the two, and once a side has gone for good no file can
 * bring it back. An anonymous channel is only ever opened by its creator,
 * before anyone can see it.
 */
static int kipc_chan_peer_add(struct kipc_chan *ch, bool recv, bool send, int sign)
{
	spin_lock(&ch->lock);
	if (sign > 0 && ch->obj.name && !READ_ONCE(ch->obj.linked) &&
	    ((recv && !ch->nr_receivers) || (send && !ch->nr_senders))) {
		spin_unlock(&ch->lock);
		return -ENOENT;
	}
	if (recv)
		WRITE_ONCE(ch->nr_receivers, ch->nr_receivers + sign);
	if (send)
		WRITE_ONCE(ch->nr_senders, ch->nr_senders + sign);
	WRITE_ONCE(ch->nr_files, ch->nr_files + sign);
	spin_unlock(&ch->lock);
	return 0;
}

int kipc_chan_release(struct inode *inode, struct file *file)
{
	struct kipc_chan *ch = file->private_data;

	kipc_chan_peer_add(ch, !!(file->f_mode & FMODE_READ), !!(file->f_mode & FMODE_WRITE), -1);

	/* A side may have gone for good: let the other side see EPIPE. */
	wake_up_all(&ch->recv_wait);
	wake_up_all(&ch->send_wait);
	kipc_obj_put(&ch->obj);
	return 0;
}

/* At the channel's end: give the hot slot @slot's message to the spares. */
static void kipc_chan_keep_hot(struct kipc_chan *ch, struct kipc_msg **slot)
{
	if (*slot) {
		(*slot)->next_spare = NULL;
		kipc_chan_keep_spares(ch, *slot);
		*slot = NULL;
	}
}

static void kipc_chan_free(struct kipc_obj *obj)
{
	struct kipc_chan *ch = to_chan(obj);
	struct kipc_msg *msg, *tmp;
	int p;

	LIST_HEAD(dead);

	/*
	 * Last reference: no file, no name, so no other task can get here.
	 * Messages are freed after the lock is dropped: freeing a reference
	 * may free its region, which takes kipc_objs_lock.
	 */
	spin_lock(&ch->lock);
	for (p = 0; p <= KIPC_PRIO_MAX; p++) {
		list_for_each_entry_safe(msg, tmp, &ch->queue[p], link) {
			kipc_chan_dequeue_locked(ch, msg);
			list_add_tail(&msg->link, &dead);
		}
	}
	spin_unlock(&ch->lock);
	kipc_chan_keep_spares(ch, ch->hot_spare);
	ch->hot_spare = NULL;
	kipc_chan_keep_hot(ch, &ch->hot);
	kipc_chan_keep_hot(ch, &ch->hot_alt);
	/* Those of the channel's pages go back onto its spares... */
	list_for_each_entry_safe(msg, tmp, &dead, link)
		kipc_msg_free(msg);
	/* ... which then hold every slot of them: no message is elsewhere. */
	WARN_ON_ONCE(ch->nr_spares != ch->nr_pages * KIPC_SLOTS_PER_PAGE);
	while ((msg = ch->spares)) {
		ch->spares = msg->next_spare;
		kipc_msg_release(msg);
	}
	for (p = 0; p < ch->nr_pages; p++) {
		kmemleak_free(page_address(ch->pages[p]));
		__free_page(ch->pages[p]);
	}
	kfree(ch->send_stage);
	kfree(ch->recv_stage);
	mutex_destroy(&ch->recv_lock);
	kfree(ch);
	atomic_dec(&kipc_nr_chans);
}

static void kipc_chan_unlinked(struct kipc_obj *obj)
{
	struct kipc_chan *ch = to_chan(obj);

	/* No new peer can appear now: blocked calls may have to end in EPIPE. */
	wake_up_all(&ch->recv_wait);
	wake_up_all(&ch->send_wait);
}

/* What KIPC_IOC_LIST and the debugfs listing show of a channel. */
static void kipc_chan_fill(struct kipc_obj *obj, struct kipc_obj_stats *st)
{
	struct kipc_chan *ch = to_chan(obj);
	struct kipc_list_entry *e = &st->entry;

	e->nr_fds = READ_ONCE(ch->nr_files);
	e->nr_waiters = atomic_read(&ch->nr_waiters);
	e->nr_msgs = READ_ONCE(ch->nr_msgs);
	e->max_msgs = ch->max_msgs;
	e->bytes = READ_ONCE(ch->bytes);
	e->sent = READ_ONCE(ch->seq);
	e->received = READ_ONCE(ch->received);
	st->nr_peers = READ_ONCE(ch->nr_senders) + READ_ONCE(ch->nr_receivers);
}

static const struct kipc_obj_ops kipc_chan_ops = {
	.release = kipc_chan_free,
	.unlinked = kipc_chan_unlinked,
	.fill = kipc_chan_fill,
};

struct kipc_chan_attrs {
	u32 mode;
	u32 max_msgs;
	u32 max_msg_size;
};

static struct kipc_obj *kipc_chan_create(void *arg)
{
	const struct kipc_chan_attrs *a = arg;
	unsigned int max_chans = READ_ONCE(kipc_max_chans);
	struct kipc_chan *ch;
	int p;

	/* 0: no module-wide cap (each user is bounded by its quotas) */
	if (atomic_inc_return(&kipc_nr_chans) > max_chans && max_chans &&
	    !capable(CAP_SYS_RESOURCE)) {
		atomic_dec(&kipc_nr_chans);
		return ERR_PTR(-ENOSPC);
	}
	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch) {
		atomic_dec(&kipc_nr_chans);
		return ERR_PTR(-ENOMEM);
	}
	kipc_obj_init(&ch->obj, KIPC_OBJ_CHAN, &kipc_chan_ops, a->mode);
	mutex_init(&ch->recv_lock);
	spin_lock_init(&ch->lock);
	spin_lock_init(&ch->spare_lock);
	init_waitqueue_head(&ch->recv_wait);
	init_waitqueue_head(&ch->send_wait);
	for (p = 0; p <= KIPC_PRIO_MAX; p++)
		INIT_LIST_HEAD(&ch->queue[p]);
	ch->max_msgs = a->max_msgs;
	ch->max_msg_size = a->max_msg_size;
	ch->max_spares = min_t(u32, 2 * a->max_msgs, KIPC_CHAN_SPARES);
	return &ch->obj;
}

static int kipc_chan_check_open(const struct kipc_chan_open *o, struct kipc_chan_attrs *a)
{
	if (o->flags & ~KIPC_OPEN_ALL)
		return -EINVAL;
	if (!(o->flags & (KIPC_OPEN_RECV | KIPC_OPEN_SEND)))
		return -EINVAL;
	if (o->__reserved || (o->mode & ~0777U))
		return -EINVAL;
	a->mode = o->mode;
	a->max_msgs = o->max_msgs ? o->max_msgs : READ_ONCE(kipc_default_msgs);
	a->max_msg_size = o->max_msg_size ? o->max_msg_size : READ_ONCE(kipc_default_msg_size);
	/* Every message must fit one read(2): no more than MAX_RW_COUNT. */
	if (a->max_msgs > READ_ONCE(kipc_max_msgs) ||
	    a->max_msg_size > READ_ONCE(kipc_max_msg_size) ||
	    a->max_msg_size > MAX_RW_COUNT)
		return -EINVAL;
	return 0;
}

/*
 * A new file on @obj; its access mode makes it a sender and/or a receiver,
 * counted before the file is made (see kipc_chan_peer_add()).
 */
static struct file *kipc_chan_file_open(struct kipc_obj *obj, int fd_flags)
{
	struct kipc_chan *ch = to_chan(obj);
	bool recv = (fd_flags & O_ACCMODE) != O_WRONLY;
	bool send = (fd_flags & O_ACCMODE) != O_RDONLY;
	struct file *file;
	int ret;

	ret = kipc_chan_peer_add(ch, recv, send, 1);
	if (ret)
		return ERR_PTR(ret);
	kipc_obj_get(obj);
	file = anon_inode_getfile("[kipc-chan]", &kipc_chan_fops, ch, fd_flags);
	if (IS_ERR(file)) {
		kipc_chan_peer_add(ch, recv, send, -1);
		/* A side may have gone for good: let the other side see EPIPE. */
		wake_up_all(&ch->recv_wait);
		wake_up_all(&ch->send_wait);
		kipc_obj_put(obj);
		return file;
	}
	/*
	 * A channel is a stream of messages, with no file position: as for
	 * pipes, read(2) and write(2) then neither read nor update f_pos, and
	 * pread(2), pwrite(2) and lseek(2) fail with ESPIPE.
	 */
	stream_open(file_inode(file), file);
	file->f_mode |= FMODE_NOWAIT;
	return file;
}

/**
 * kipc_chan_open_ioctl() - KIPC_IOC_CHAN_OPEN
 * @ucmd: the call; @ucmd->cmd is a struct kipc_chan_open
 *
 * Return: the new channel fd or -errno.
 */
long kipc_chan_open_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_chan_open *o = ucmd->cmd;
	struct kipc_chan_attrs attrs;
	int ret;

	ret = kipc_chan_check_open(o, &attrs);
	if (ret)
		return ret;
	return kipc_obj_open_fd(KIPC_OBJ_CHAN, o->name, o->flags, kipc_chan_create, &attrs,
				kipc_chan_file_open);
}

/**
 * kipc_chan_reopen_file() - a new file on @ch (KIPC_IOC_REOPEN)
 * @ch: the channel of a file the caller holds with at least this access
 * @fd_flags: O_RDONLY, O_WRONLY or O_RDWR, maybe O_NONBLOCK
 *
 * Return: the file, or ERR_PTR.
 */
struct file *kipc_chan_reopen_file(struct kipc_chan *ch, int fd_flags)
{
	return kipc_chan_file_open(&ch->obj, fd_flags);
}

/**
 * kipc_chan_pair_ioctl() - KIPC_IOC_CHAN_PAIR: an anonymous channel, both ends
 * @ucmd: the call; @ucmd->cmd is a struct kipc_chan_pair
 *
 * The fds are written back before they are installed, so a fault loses
 * nothing and leaves nothing behind.
 *
 * Context: process context, may sleep.
 * Return: 0 or -errno.
 */
long kipc_chan_pair_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_chan_pair *p = ucmd->cmd;
	struct kipc_chan_open o = {
		.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT,
		.mode = p->mode,
		.max_msgs = p->max_msgs,
		.max_msg_size = p->max_msg_size,
	};
	struct kipc_chan_attrs attrs;
	struct file *files[2];
	int fds[2], ret;

	if ((p->flags & ~(KIPC_OPEN_CLOEXEC | KIPC_OPEN_NONBLOCK)) || p->__reserved ||
	    p->fds[0] || p->fds[1])
		return -EINVAL;
	ret = kipc_chan_check_open(&o, &attrs);
	if (ret)
		return ret;
	ret = kipc_obj_open_pair(KIPC_OBJ_CHAN, p->flags, kipc_chan_create, &attrs,
				 kipc_chan_file_open, fds, files);
	if (ret)
		return ret;
	p->fds[0] = fds[0];
	p->fds[1] = fds[1];
	ret = kipc_ucmd_respond(ucmd);
	if (ret) {
		fput(files[0]);
		fput(files[1]);
		put_unused_fd(fds[0]);
		put_unused_fd(fds[1]);
		return ret;
	}
	fd_install(fds[0], files[0]);
	fd_install(fds[1], files[1]);
	return 0;
}
