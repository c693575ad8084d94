// SPDX-License-Identifier: GPL-2.0
/*
 * kipc name table and permission checks.
 *
 * One flat table per module instance (not per IPC namespace: documented in
 * the README), keyed by (object kind, name). Channels and regions have
 * separate name spaces, like POSIX message queues and shared memory.
 *
 * Locking overview: kipc_names_lock protects the hash table and every
 * object's @linked flag. It is a mutex because object creation may sleep,
 * but creation itself runs outside it: kipc_obj_open() allocates first and
 * then takes the lock to insert, looking again in case another task won
 * the race (the mqueue pattern).
 *
 * References: a linked name holds one reference on its object; each open
 * file holds one; unlinking drops the name's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>

#include "kipc_internal.h"

static DEFINE_MUTEX(kipc_names_lock);
static DEFINE_HASHTABLE(kipc_names, 12);	/* under kipc_names_lock */

static u32 kipc_name_hash(unsigned int type, const char *name)
{
	return full_name_hash((void *)(unsigned long)type, name, strlen(name));
}

static void kipc_obj_release(struct kref *ref)
{
	struct kipc_obj *obj = container_of(ref, struct kipc_obj, ref);
	char *name = obj->name;

	obj->ops->release(obj);
	kfree(name);
}

/**
 * kipc_obj_init() - initialise the common part of a new object
 * @obj: the object
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @ops: kind-specific callbacks
 * @mode: permission bits (masked to 0777)
 *
 * The owner is the caller's effective uid and gid; the one reference
 * belongs to the caller.
 */
void kipc_obj_init(struct kipc_obj *obj, unsigned int type,
		   const struct kipc_obj_ops *ops, umode_t mode)
{
	INIT_HLIST_NODE(&obj->node);
	kref_init(&obj->ref);
	obj->ops = ops;
	obj->name = NULL;
	obj->type = type;
	obj->linked = false;
	obj->uid = current_euid();
	obj->gid = current_egid();
	obj->mode = mode & 0777;
}

/**
 * kipc_obj_put() - drop a reference; the last one frees the object
 * @obj: the object
 */
void kipc_obj_put(struct kipc_obj *obj)
{
	kref_put(&obj->ref, kipc_obj_release);
}

/**
 * kipc_obj_permission() - may the caller access @obj?
 * @obj: the object
 * @may: MAY_READ and/or MAY_WRITE
 *
 * Owner, group and other bits are checked like a file's;
 * CAP_DAC_OVERRIDE overrides them.
 *
 * Return: 0 or -EACCES.
 */
int kipc_obj_permission(const struct kipc_obj *obj, int may)
{
	umode_t mode = obj->mode;
	umode_t want = 0;

	if (may & MAY_READ)
		want |= 4;
	if (may & MAY_WRITE)
		want |= 2;
	if (uid_eq(current_fsuid(), obj->uid))
		mode >>= 6;
	else if (in_group_p(obj->gid))
		mode >>= 3;
	if ((mode & want) == want)
		return 0;
	if (capable(CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/**
 * kipc_name_from_user() - copy and check an object name
 * @uname: user pointer to a NUL-terminated string
 *
 * Return: a kmalloc'ed copy, or ERR_PTR(-EFAULT), ERR_PTR(-EINVAL) for an
 * empty name or one containing '/', ERR_PTR(-ENAMETOOLONG) when no NUL
 * comes within KIPC_NAME_MAX bytes, ERR_PTR(-ENOMEM).
 */
char *kipc_name_from_user(u64 uname)
{
	const char __user *p = u64_to_user_ptr(uname);
	char *name;
	long len;

	name = kmalloc(KIPC_NAME_MAX, GFP_KERNEL);
	if (!name)
		return ERR_PTR(-ENOMEM);
	len = strncpy_from_user(name, p, KIPC_NAME_MAX);
	if (len < 0) {
		kfree(name);
		return ERR_PTR(len);
	}
	if (len == KIPC_NAME_MAX) {
		kfree(name);
		return ERR_PTR(-ENAMETOOLONG);
	}
	if (len == 0 || strchr(name, '/')) {
		kfree(name);
		return ERR_PTR(-EINVAL);
	}
	return name;
}

static struct kipc_obj *kipc_name_find_locked(unsigned int type, const char *name, u32 hash)
{
	struct kipc_obj *obj;

	lockdep_assert_held(&kipc_names_lock);
	hash_for_each_possible(kipc_names, obj, node, hash)
		if (obj->type == type && !strcmp(obj->name, name))
			return obj;
	return NULL;
}

static int kipc_open_may(u32 flags)
{
	int may = 0;

	if (flags & KIPC_OPEN_RECV)
		may |= MAY_READ;
	if (flags & KIPC_OPEN_SEND)
		may |= MAY_WRITE;
	return may;
}

/* Take a reference on an existing object found by name, checking access. */
static struct kipc_obj *kipc_obj_reuse_locked(struct kipc_obj *obj, u32 flags)
{
	int ret;

	if ((flags & KIPC_OPEN_CREAT) && (flags & KIPC_OPEN_EXCL))
		return ERR_PTR(-EEXIST);
	ret = kipc_obj_permission(obj, kipc_open_may(flags));
	if (ret)
		return ERR_PTR(ret);
	kipc_obj_get(obj);
	return obj;
}

/**
 * kipc_obj_open() - find an object by name, or create it
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @name: checked name from kipc_name_from_user(), or NULL for an anonymous
 *	object; ownership passes to this function
 * @flags: KIPC_OPEN_* flags
 * @create: allocates a new object (with kipc_obj_init()), or ERR_PTR
 * @arg: passed to @create
 * @created: set to whether a new object was made
 *
 * Context: process context; takes kipc_names_lock, may sleep.
 * Return: the object with a reference for the caller, or ERR_PTR.
 */
struct kipc_obj *kipc_obj_open(unsigned int type, char *name, u32 flags,
			       struct kipc_obj *(*create)(void *arg), void *arg,
			       bool *created)
{
	struct kipc_obj *obj, *fresh;
	u32 hash;

	*created = false;
	if (!name) {
		if (!(flags & KIPC_OPEN_CREAT))
			return ERR_PTR(-EINVAL);
		obj = create(arg);
		if (!IS_ERR(obj))
			*created = true;
		return obj;
	}

	hash = kipc_name_hash(type, name);
	mutex_lock(&kipc_names_lock);
	obj = kipc_name_find_locked(type, name, hash);
	if (obj)
		obj = kipc_obj_reuse_locked(obj, flags);
	mutex_unlock(&kipc_names_lock);
	if (obj || !(flags & KIPC_OPEN_CREAT)) {
		kfree(name);
		return obj ? obj : ERR_PTR(-ENOENT);
	}

	/* Allocate without the lock, then insert unless someone beat us. */
	fresh = create(arg);
	if (IS_ERR(fresh)) {
		kfree(name);
		return fresh;
	}

	mutex_lock(&kipc_names_lock);
	obj = kipc_name_find_locked(type, name, hash);
	if (obj) {
		obj = kipc_obj_reuse_locked(obj, flags);
		mutex_unlock(&kipc_names_lock);
		kipc_obj_put(fresh);
		kfree(name);
		return obj;
	}
	fresh->name = name;
	fresh->linked = true;
	kipc_obj_get(fresh);		/* the name's reference */
	hash_add(kipc_names, &fresh->node, hash);
	mutex_unlock(&kipc_names_lock);
	*created = true;
	return fresh;
}

/**
 * kipc_obj_unlink() - remove a name
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @name: checked name
 *
 * Only the owner (or CAP_FOWNER) may unlink. Open fds keep the object.
 *
 * Return: 0, -ENOENT or -EACCES.
 */
int kipc_obj_unlink(unsigned int type, const char *name)
{
	struct kipc_obj *obj;

	mutex_lock(&kipc_names_lock);
	obj = kipc_name_find_locked(type, name, kipc_name_hash(type, name));
	if (!obj) {
		mutex_unlock(&kipc_names_lock);
		return -ENOENT;
	}
	if (!uid_eq(current_fsuid(), obj->uid) && !capable(CAP_FOWNER)) {
		mutex_unlock(&kipc_names_lock);
		return -EACCES;
	}
	hash_del(&obj->node);
	WRITE_ONCE(obj->linked, false);
	mutex_unlock(&kipc_names_lock);

	if (obj->ops->unlinked)
		obj->ops->unlinked(obj);
	kipc_obj_put(obj);
	return 0;
}

/**
 * kipc_names_exit() - drop every name at module unload
 *
 * Only names can still hold objects here: every open file pins the module.
 */
void kipc_names_exit(void)
{
	struct hlist_node *tmp;
	struct kipc_obj *obj;
	int bkt;

	mutex_lock(&kipc_names_lock);
	hash_for_each_safe(kipc_names, bkt, tmp, obj, node) {
		hash_del(&obj->node);
		obj->linked = false;
		kipc_obj_put(obj);
	}
	mutex_unlock(&kipc_names_lock);
}
