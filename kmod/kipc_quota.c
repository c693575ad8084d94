// SPDX-License-Identifier: GPL-2.0
/*
 * kipc per-user quotas: one account per effective uid, charged for the
 * objects a user creates (user_max_objects), the kernel memory its queued
 * messages hold (user_max_queued_bytes, see kipc_msg_cost()) and the bytes
 * of its regions (user_max_region_bytes). CAP_SYS_RESOURCE may exceed
 * them. Locking: see kipc_internal.h (kipc_users_lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kipc_internal.h"

/**
 * struct kipc_user - one user's quota account
 * @node: in kipc_users; inserted and removed under kipc_users_lock,
 *	looked up under RCU
 * @rcu: for kfree_rcu()
 * @ref: objects, messages and lookups holding the account
 * @uid: the user (effective uid)
 * @nr_objs: live objects the user created
 * @queued: payload bytes the user has queued in channels
 * @region: bytes of regions the user created
 * @handles: handles in flight in messages this user's tasks sent (kipc_handle.c)
 */
struct kipc_user {
	struct hlist_node node;
	struct rcu_head rcu;
	refcount_t ref;
	kuid_t uid;
	atomic_t nr_objs;
	atomic64_t queued;
	atomic64_t region;
	atomic_t handles;
};

static DEFINE_SPINLOCK(kipc_users_lock);
static DEFINE_HASHTABLE(kipc_users, 8);

static struct kipc_user *kipc_user_find_rcu(kuid_t uid)
{
	struct kipc_user *u;

	hash_for_each_possible_rcu(kipc_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid) && refcount_inc_not_zero(&u->ref))
			return u;
	return NULL;
}

/**
 * kipc_user_get() - the quota account of @uid, created on first use
 * @uid: the account's user
 *
 * Context: process context; may sleep (allocation).
 * Return: the account with a reference held, or NULL if out of memory.
 */
struct kipc_user *kipc_user_get(kuid_t uid)
{
	struct kipc_user *u, *fresh;

	rcu_read_lock();
	u = kipc_user_find_rcu(uid);
	rcu_read_unlock();
	if (u)
		return u;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return NULL;
	refcount_set(&fresh->ref, 1);
	fresh->uid = uid;

	spin_lock(&kipc_users_lock);
	rcu_read_lock();
	u = kipc_user_find_rcu(uid);
	rcu_read_unlock();
	if (!u) {
		hash_add_rcu(kipc_users, &fresh->node, __kuid_val(uid));
		u = fresh;
		fresh = NULL;
	}
	spin_unlock(&kipc_users_lock);
	kfree(fresh);
	return u;
}

/**
 * kipc_user_get_current() - the caller's quota account, created on first use
 *
 * Context: process context; may sleep (allocation).
 * Return: the account of the caller's euid with a reference held, or NULL
 * if out of memory.
 */
struct kipc_user *kipc_user_get_current(void)
{
	return kipc_user_get(current_euid());
}

/**
 * kipc_user_is() - whether @user is the quota account of @uid
 * @user: an account
 * @uid: a user
 *
 * Return: true if @user is @uid's account.
 */
bool kipc_user_is(const struct kipc_user *user, kuid_t uid)
{
	return uid_eq(user->uid, uid);
}

/**
 * kipc_user_put() - drop a reference on a quota account
 * @user: the account, or NULL
 */
void kipc_user_put(struct kipc_user *user)
{
	bool last;

	/* refcount_dec_and_lock() spelled out, so sparse can follow the lock */
	if (!user || refcount_dec_not_one(&user->ref))
		return;
	spin_lock(&kipc_users_lock);
	last = refcount_dec_and_test(&user->ref);
	if (last)
		hash_del_rcu(&user->node);
	spin_unlock(&kipc_users_lock);
	if (last)
		kfree_rcu(user, rcu);
}

static atomic64_t *kipc_user_counter(struct kipc_user *user, enum kipc_quota q, u64 *limit)
{
	if (q == KIPC_QUOTA_QUEUED) {
		*limit = READ_ONCE(kipc_user_max_queued_bytes);
		return &user->queued;
	}
	*limit = READ_ONCE(kipc_user_max_region_bytes);
	return &user->region;
}

/**
 * kipc_user_charge_file() - charge @amount to a user's quota, for a file
 * @user: the account
 * @q: which quota
 * @amount: bytes
 * @file: the file the charge is made through, or NULL for the caller
 *
 * Past the limit, CAP_SYS_RESOURCE is checked against the credentials
 * @file was opened with (so a privileged process writing to a file an
 * unprivileged user opened gets that user's limit), or the caller's.
 *
 * Return: 0, or -EDQUOT past the limit.
 */
int kipc_user_charge_file(struct kipc_user *user, enum kipc_quota q, u64 amount,
			  const struct file *file)
{
	u64 limit;
	atomic64_t *c = kipc_user_counter(user, q, &limit);

	if (atomic64_add_return(amount, c) > limit &&
	    !(file ? file_ns_capable(file, &init_user_ns, CAP_SYS_RESOURCE) :
		     capable(CAP_SYS_RESOURCE))) {
		atomic64_sub(amount, c);
		return -EDQUOT;
	}
	return 0;
}

/**
 * kipc_user_charge() - charge @amount to a user's quota, for the caller
 * @user: the account
 * @q: which quota
 * @amount: bytes
 *
 * Return: 0, or -EDQUOT past the limit (CAP_SYS_RESOURCE may exceed it).
 */
int kipc_user_charge(struct kipc_user *user, enum kipc_quota q, u64 amount)
{
	return kipc_user_charge_file(user, q, amount, NULL);
}

/**
 * kipc_user_uncharge() - give back what kipc_user_charge() took
 * @user: the account
 * @q: which quota
 * @amount: bytes
 */
void kipc_user_uncharge(struct kipc_user *user, enum kipc_quota q, u64 amount)
{
	u64 limit;

	atomic64_sub(amount, kipc_user_counter(user, q, &limit));
}

/**
 * kipc_user_charge_obj() - count one more object against @user
 * @user: the account
 *
 * Return: 0, or -EDQUOT past user_max_objects (CAP_SYS_RESOURCE may
 * exceed it).
 */
int kipc_user_charge_obj(struct kipc_user *user)
{
	if (atomic_inc_return(&user->nr_objs) > READ_ONCE(kipc_user_max_objects) &&
	    !capable(CAP_SYS_RESOURCE)) {
		atomic_dec(&user->nr_objs);
		return -EDQUOT;
	}
	return 0;
}

/**
 * kipc_user_uncharge_obj() - give back what kipc_user_charge_obj() took
 * @user: the account
 */
void kipc_user_uncharge_obj(struct kipc_user *user)
{
	atomic_dec(&user->nr_objs);
}

/**
 * kipc_user_charge_handles() - count @n more handles in flight for @user
 * @user: the sending task's account (its euid)
 * @n: handles in the message
 *
 * Bounded by the sender's RLIMIT_NOFILE, as too_many_unix_fds() bounds
 * SCM_RIGHTS; CAP_SYS_RESOURCE exceeds it.
 *
 * Return: 0 or -ETOOMANYREFS.
 */
int kipc_user_charge_handles(struct kipc_user *user, u32 n)
{
	if (atomic_add_return(n, &user->handles) > rlimit(RLIMIT_NOFILE) &&
	    !capable(CAP_SYS_RESOURCE)) {
		atomic_sub(n, &user->handles);
		return -ETOOMANYREFS;
	}
	return 0;
}

/**
 * kipc_user_uncharge_handles() - @n handles of @user are no longer in flight
 * @user: the account charged by kipc_user_charge_handles()
 * @n: how many
 */
void kipc_user_uncharge_handles(struct kipc_user *user, u32 n)
{
	atomic_sub(n, &user->handles);
}
