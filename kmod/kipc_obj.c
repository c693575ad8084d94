// SPDX-License-Identifier: GPL-2.0
/*
 * kipc objects: what channels and regions have in common. The name table
 * (one flat table per module instance, not per IPC namespace: documented
 * in the README), keyed by (object kind, name): channels and regions have
 * separate name spaces, like POSIX message queues and shared memory.
 * Lifetime (references), permissions, opening an object as a new fd,
 * unlinking, and the walk over every live object that KIPC_IOC_LIST and
 * the debugfs listing share.
 *
 * Creation runs outside kipc_names_lock: kipc_obj_open_file() allocates
 * first, makes the creator's file, and then takes the lock to link the
 * name, looking again in case another task won the race (the mqueue
 * pattern). Locking: see kipc_internal.h.
 *
 * References: a linked name holds one reference on its object; each open
 * file holds one; unlinking drops the name's.
 *
 * Every live object, named or not, is also on kipc_objs (under
 * kipc_objs_lock), in id order, and charged to its creator's per-user
 * account (kipc_quota.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>

#include "kipc_internal.h"

static DEFINE_MUTEX(kipc_names_lock);
static DEFINE_HASHTABLE(kipc_names, 12);	/* under kipc_names_lock */

static DEFINE_MUTEX(kipc_objs_lock);
/* Every live object, in ascending id order; under kipc_objs_lock. */
static LIST_HEAD(kipc_objs);
static u64 kipc_next_id;			/* under kipc_objs_lock */

static u32 kipc_name_hash(unsigned int type, const char *name)
{
	return full_name_hash((void *)(unsigned long)type, name, strlen(name));
}

static void kipc_obj_release(struct kref *ref)
{
	struct kipc_obj *obj = container_of(ref, struct kipc_obj, ref);
	struct kipc_user *user = obj->user;
	char *name = obj->name;

	mutex_lock(&kipc_objs_lock);
	list_del(&obj->all);
	mutex_unlock(&kipc_objs_lock);

	obj->ops->release(obj);
	kfree(name);
	if (user) {
		kipc_user_uncharge_obj(user);
		kipc_user_put(user);
	}
}

/**
 * kipc_obj_init() - initialise the common part of a new object
 * @obj: the object
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @ops: kind-specific callbacks
 * @mode: permission bits (masked to 0777)
 *
 * The owner is the caller's effective uid and gid; the one reference
 * belongs to the caller. The object joins the debugfs listing.
 */
void kipc_obj_init(struct kipc_obj *obj, unsigned int type,
		   const struct kipc_obj_ops *ops, umode_t mode)
{
	INIT_HLIST_NODE(&obj->node);
	kref_init(&obj->ref);
	obj->user = NULL;
	obj->ops = ops;
	obj->name = NULL;
	obj->type = type;
	obj->linked = false;
	obj->uid = current_euid();
	obj->gid = current_egid();
	obj->mode = mode & 0777;

	/* The id is given under the lock, so kipc_objs stays in id order. */
	mutex_lock(&kipc_objs_lock);
	obj->id = ++kipc_next_id;
	list_add_tail(&obj->all, &kipc_objs);
	mutex_unlock(&kipc_objs_lock);
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
static char *kipc_name_from_user(u64 uname)
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

/* Create an object charged to the caller's account (-EDQUOT past quota). */
static struct kipc_obj *kipc_obj_create(struct kipc_obj *(*create)(void *arg), void *arg)
{
	struct kipc_user *user = kipc_user_get_current();
	struct kipc_obj *obj;
	int ret;

	if (!user)
		return ERR_PTR(-ENOMEM);
	ret = kipc_user_charge_obj(user);
	if (ret) {
		kipc_user_put(user);
		return ERR_PTR(ret);
	}
	obj = create(arg);
	if (IS_ERR(obj)) {
		kipc_user_uncharge_obj(user);
		kipc_user_put(user);
		return obj;
	}
	obj->user = user;
	return obj;
}

/*
 * A file on @obj, an object found by name (or an ERR_PTR from looking for
 * it); drops the reference the lookup took.
 */
static struct file *kipc_obj_found_file(struct kipc_obj *obj, int fd_flags,
					struct file *(*make_file)(struct kipc_obj *obj,
								  int fd_flags))
{
	struct file *file;

	if (IS_ERR(obj))
		return ERR_CAST(obj);
	file = make_file(obj, fd_flags);
	kipc_obj_put(obj);
	return file;
}

/**
 * kipc_obj_open_file() - a new file on the object of a name, maybe creating it
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @name: checked name from kipc_name_from_user(); ownership passes to this
 *	function
 * @flags: KIPC_OPEN_* flags
 * @create: allocates a new object (with kipc_obj_init()), or ERR_PTR
 * @arg: passed to @create
 * @make_file: makes a file for an object, taking its own reference on it
 * @fd_flags: open(2) flags for the file
 *
 * A new object gets its creator's file before its name is linked: from
 * the moment another task can find it (and unlink it), the creator is
 * one of its peers. Otherwise an unlink in between would leave a channel
 * that refuses new peers (kipc_chan_peer_add()), and the creator's open
 * would fail with ENOENT. A failed create thus never leaves a name.
 *
 * Context: process context; takes kipc_names_lock, may sleep.
 * Return: the file, or ERR_PTR.
 */
static struct file *kipc_obj_open_file(unsigned int type, char *name, u32 flags,
				       struct kipc_obj *(*create)(void *arg), void *arg,
				       struct file *(*make_file)(struct kipc_obj *obj,
								 int fd_flags),
				       int fd_flags)
{
	struct kipc_obj *obj, *fresh;
	struct file *file;
	u32 hash;

	hash = kipc_name_hash(type, name);
	mutex_lock(&kipc_names_lock);
	obj = kipc_name_find_locked(type, name, hash);
	if (obj)
		obj = kipc_obj_reuse_locked(obj, flags);
	mutex_unlock(&kipc_names_lock);
	if (obj || !(flags & KIPC_OPEN_CREAT)) {
		kfree(name);
		return kipc_obj_found_file(obj ? obj : ERR_PTR(-ENOENT), fd_flags, make_file);
	}

	/* Allocate without the lock, then link unless someone beat us. */
	fresh = kipc_obj_create(create, arg);
	if (IS_ERR(fresh)) {
		kfree(name);
		return ERR_CAST(fresh);
	}
	file = make_file(fresh, fd_flags);
	kipc_obj_put(fresh);		/* a file holds its own reference */
	if (IS_ERR(file)) {
		kfree(name);
		return file;
	}

	mutex_lock(&kipc_names_lock);
	obj = kipc_name_find_locked(type, name, hash);
	if (obj) {
		obj = kipc_obj_reuse_locked(obj, flags);
		mutex_unlock(&kipc_names_lock);
		fput(file);		/* and the unused object with it */
		kfree(name);
		return kipc_obj_found_file(obj, fd_flags, make_file);
	}
	fresh->name = name;
	fresh->linked = true;
	kipc_obj_get(fresh);		/* the name's reference */
	hash_add(kipc_names, &fresh->node, hash);
	mutex_unlock(&kipc_names_lock);
	return file;
}

/* Take @obj out of the name table; the caller drops the name's reference. */
static void kipc_name_remove_locked(struct kipc_obj *obj)
{
	lockdep_assert_held(&kipc_names_lock);
	hash_del(&obj->node);
	WRITE_ONCE(obj->linked, false);
}

/* open(2) flags for a new object fd: access mode, O_NONBLOCK, O_CLOEXEC. */
static int kipc_fd_flags(u32 open_flags)
{
	int f;

	if ((open_flags & KIPC_OPEN_RECV) && (open_flags & KIPC_OPEN_SEND))
		f = O_RDWR;
	else if (open_flags & KIPC_OPEN_SEND)
		f = O_WRONLY;
	else
		f = O_RDONLY;
	if (open_flags & KIPC_OPEN_NONBLOCK)
		f |= O_NONBLOCK;
	if (open_flags & KIPC_OPEN_CLOEXEC)
		f |= O_CLOEXEC;
	return f;
}

/**
 * kipc_obj_open_fd() - the common part of KIPC_IOC_CHAN_OPEN and _SHM_OPEN
 * @type: KIPC_OBJ_CHAN or KIPC_OBJ_REGION
 * @uname: user pointer to the name, or 0 for an anonymous object
 * @flags: KIPC_OPEN_* flags, already checked
 * @create: allocates a new object, as for kipc_obj_open_file()
 * @arg: passed to @create
 * @make_file: makes a file for the object with the given open(2) flags,
 *	taking its own reference on the object
 *
 * Context: process context, may sleep.
 * Return: the new fd, or -errno with nothing left behind.
 */
int kipc_obj_open_fd(unsigned int type, u64 uname, u32 flags,
		     struct kipc_obj *(*create)(void *arg), void *arg,
		     struct file *(*make_file)(struct kipc_obj *obj, int fd_flags))
{
	int fd_flags = kipc_fd_flags(flags);
	struct kipc_obj *obj;
	struct file *file;
	char *name = NULL;
	int fd;

	if (!uname && !(flags & KIPC_OPEN_CREAT))
		return -EINVAL;
	if (uname) {
		name = kipc_name_from_user(uname);
		if (IS_ERR(name))
			return PTR_ERR(name);
	}
	fd = get_unused_fd_flags(fd_flags & O_CLOEXEC);
	if (fd < 0) {
		kfree(name);
		return fd;
	}
	fd_flags &= ~O_CLOEXEC;
	if (name) {
		file = kipc_obj_open_file(type, name, flags, create, arg, make_file, fd_flags);
	} else {
		obj = kipc_obj_create(create, arg);
		file = IS_ERR(obj) ? ERR_CAST(obj) : kipc_obj_found_file(obj, fd_flags, make_file);
	}
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

/**
 * kipc_obj_open_pair() - a new anonymous object and two fds on it
 * @type: KIPC_OBJ_CHAN (the only user so far)
 * @flags: KIPC_OPEN_CLOEXEC and KIPC_OPEN_NONBLOCK, already checked
 * @create: allocates the object, as for kipc_obj_open_file()
 * @arg: passed to @create
 * @make_file: makes a file with the given open(2) flags
 * @fds: output, two reserved fds: for the O_RDONLY file, the O_WRONLY one
 * @files: output, the two files, not installed: the caller installs them
 *	(fd_install()) or gives both back (fput(), put_unused_fd())
 *
 * Context: process context, may sleep.
 * Return: 0, or -errno with nothing left behind.
 */
int kipc_obj_open_pair(unsigned int type, u32 flags, struct kipc_obj *(*create)(void *arg),
		       void *arg, struct file *(*make_file)(struct kipc_obj *obj, int fd_flags),
		       int fds[2], struct file *files[2])
{
	int fd_flags = kipc_fd_flags(flags) & ~O_ACCMODE;
	struct kipc_obj *obj;
	int i, ret;

	fds[0] = get_unused_fd_flags(fd_flags & O_CLOEXEC);
	if (fds[0] < 0)
		return fds[0];
	fds[1] = get_unused_fd_flags(fd_flags & O_CLOEXEC);
	if (fds[1] < 0) {
		ret = fds[1];
		goto out_put_fd0;
	}
	obj = kipc_obj_create(create, arg);
	if (IS_ERR(obj)) {
		ret = PTR_ERR(obj);
		goto out_put_fd1;
	}
	for (i = 0; i < 2; i++) {
		files[i] = make_file(obj, (fd_flags & ~O_CLOEXEC) | (i ? O_WRONLY : O_RDONLY));
		if (IS_ERR(files[i])) {
			ret = PTR_ERR(files[i]);
			goto out_put_files;
		}
	}
	/* The files hold their own references; drop kipc_obj_create()'s. */
	kipc_obj_put(obj);
	return 0;

out_put_files:
	while (i--)
		fput(files[i]);
	kipc_obj_put(obj);
out_put_fd1:
	put_unused_fd(fds[1]);
out_put_fd0:
	put_unused_fd(fds[0]);
	return ret;
}

/*
 * Remove a name. Only the owner (or CAP_FOWNER) may unlink. Open fds keep
 * the object. Return: 0, -ENOENT or -EACCES.
 */
static int kipc_obj_unlink(unsigned int type, const char *name)
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
	kipc_name_remove_locked(obj);
	mutex_unlock(&kipc_names_lock);

	if (obj->ops->unlinked)
		obj->ops->unlinked(obj);
	kipc_obj_put(obj);
	return 0;
}

/**
 * kipc_unlink_ioctl() - KIPC_IOC_UNLINK: remove a name
 * @ucmd: the call; @ucmd->cmd is a struct kipc_unlink
 *
 * Context: process context, may sleep; takes kipc_names_lock.
 * Return: 0 or -errno.
 */
long kipc_unlink_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_unlink *u = ucmd->cmd;
	char *name;
	int ret;

	if (u->flags || u->__reserved)
		return -EINVAL;
	if (u->type != KIPC_OBJ_CHAN && u->type != KIPC_OBJ_REGION)
		return -EINVAL;
	if (!u->name)
		return -EINVAL;
	name = kipc_name_from_user(u->name);
	if (IS_ERR(name))
		return PTR_ERR(name);
	ret = kipc_obj_unlink(u->type, name);
	kfree(name);
	return ret;
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

/*
 * Fill @st for @obj: the common fields here, the counters by its kind.
 * Ids are translated into @ns. Under kipc_objs_lock, which keeps @obj
 * alive; its name is immutable, its link state read with READ_ONCE().
 */
static void kipc_obj_fill_locked(struct kipc_obj *obj, struct kipc_obj_stats *st,
				 struct user_namespace *ns)
{
	struct kipc_list_entry *e = &st->entry;

	lockdep_assert_held(&kipc_objs_lock);
	memset(st, 0, sizeof(*st));
	e->id = obj->id;
	e->type = obj->type;
	e->uid = from_kuid_munged(ns, obj->uid);
	e->gid = from_kgid_munged(ns, obj->gid);
	e->mode = obj->mode;
	if (READ_ONCE(obj->linked)) {
		e->state = KIPC_LIST_NAMED;
		strscpy(e->name, obj->name, sizeof(e->name));
	}
	obj->ops->fill(obj, st);
}

/*
 * Entries KIPC_IOC_LIST fills under kipc_objs_lock in one round, then
 * copies out without it: the lock is never held across a user copy.
 */
#define KIPC_LIST_CHUNK		16

/* May the caller see @obj in KIPC_IOC_LIST? @admin: it has CAP_SYS_ADMIN. */
static bool kipc_list_visible_locked(struct kipc_obj *obj, bool admin)
{
	lockdep_assert_held(&kipc_objs_lock);
	if (admin)
		return true;
	return READ_ONCE(obj->linked) && !kipc_obj_permission(obj, MAY_READ);
}

/*
 * Fill up to @room entries into @buf with the objects the caller may see
 * whose id is at least @start. Return how many; *@next is the id of the
 * first visible object past them, or 0 if there is none.
 */
static u32 kipc_list_fill(struct kipc_obj_stats *buf, u32 room, u64 start, bool admin,
			  u64 *next)
{
	struct user_namespace *ns = current_user_ns();
	struct kipc_obj *obj;
	u32 n = 0;

	*next = 0;
	mutex_lock(&kipc_objs_lock);
	list_for_each_entry(obj, &kipc_objs, all) {
		if (obj->id < start || !kipc_list_visible_locked(obj, admin))
			continue;
		if (n == room) {
			*next = obj->id;
			break;
		}
		kipc_obj_fill_locked(obj, &buf[n++], ns);
	}
	mutex_unlock(&kipc_objs_lock);
	return n;
}

/* Copy @n entries out to @uentries, each @esize bytes, the tail zeroed. */
static int kipc_list_copy_out(u64 uentries, u32 esize, const struct kipc_obj_stats *buf,
			      u32 n)
{
	size_t ksize = sizeof(buf->entry);
	u32 i;

	for (i = 0; i < n; i++) {
		void __user *p = u64_to_user_ptr(uentries + (u64)i * esize);

		if (copy_to_user(p, &buf[i].entry, min_t(size_t, esize, ksize)))
			return -EFAULT;
		if (esize > ksize && clear_user(p + ksize, esize - ksize))
			return -EFAULT;
	}
	return 0;
}

/**
 * kipc_list_ioctl() - KIPC_IOC_LIST: enumerate live objects
 * @ucmd: the call; @ucmd->cmd is a struct kipc_list
 *
 * See "DOC: listing objects" in the uapi header. @entry_size is checked
 * like a batch's @xfer_size: below KIPC_LIST_ENTRY_SIZE_VER0 -EINVAL,
 * above the page size -E2BIG.
 *
 * Context: process context, may sleep; takes kipc_objs_lock, never
 * across a copy to userspace.
 * Return: the number of entries written, or -errno.
 */
long kipc_list_ioctl(struct kipc_ucmd *ucmd)
{
	bool admin = capable(CAP_SYS_ADMIN);
	struct kipc_list *l = ucmd->cmd;
	u64 start = l->start_id, next;
	struct kipc_obj_stats *buf;
	u32 done = 0, n;
	long ret;

	if (l->flags)
		return -EINVAL;
	if (l->entry_size < KIPC_LIST_ENTRY_SIZE_VER0)
		return -EINVAL;
	if (l->entry_size > KIPC_ARG_SIZE_MAX)
		return -E2BIG;

	buf = kmalloc_array(KIPC_LIST_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = kipc_list_fill(buf, min_t(u32, l->max_entries - done, KIPC_LIST_CHUNK),
				   start, admin, &next);
		ret = kipc_list_copy_out(l->entries + (u64)done * l->entry_size,
					 l->entry_size, buf, n);
		if (ret)
			goto out_free;
		done += n;
		if (!next || done == l->max_entries)
			break;
		start = next;
	}
	l->next_id = next;
	ret = kipc_ucmd_respond(ucmd);
	if (!ret)
		ret = done;
out_free:
	kfree(buf);
	return ret;
}

static const char *const kipc_type_names[] = {
	[KIPC_OBJ_CHAN] = "chan",
	[KIPC_OBJ_REGION] = "shm",
};

/**
 * kipc_objects_show() - the debugfs listing of every live object
 * @m: the seq_file
 * @unused: unused
 *
 * One header line, then per object: type id name uid gid mode, and the
 * counters its kind fills in (struct kipc_obj_ops.fill), as depth bytes
 * sent received refs fds maps waiters. Names may hold
 * spaces, so they are printed escaped (octal) with seq_escape().
 *
 * Return: 0.
 */
int kipc_objects_show(struct seq_file *m, void *unused)
{
	struct user_namespace *ns = seq_user_ns(m);
	struct kipc_obj_stats *st;
	struct kipc_list_entry *e;
	struct kipc_obj *obj;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	e = &st->entry;
	seq_puts(m, "type id name uid gid mode depth bytes sent received refs fds maps waiters\n");
	mutex_lock(&kipc_objs_lock);
	list_for_each_entry(obj, &kipc_objs, all) {
		kipc_obj_fill_locked(obj, st, ns);
		seq_printf(m, "%s %llu ", kipc_type_names[obj->type], obj->id);
		if (obj->name)
			seq_escape(m, obj->name, " \t\n\\");
		else
			seq_putc(m, '-');
		seq_printf(m, " %u %u %03o ", e->uid, e->gid, e->mode);
		if (obj->type == KIPC_OBJ_CHAN)
			seq_printf(m, "%u/%u", e->nr_msgs, e->max_msgs);
		else
			seq_printf(m, "%u", e->nr_msgs);
		seq_printf(m, " %llu %llu %llu %u %u %u %u\n", e->bytes, e->sent, e->received,
			   kref_read(&obj->ref), st->nr_peers, e->nr_maps, e->nr_waiters);
	}
	mutex_unlock(&kipc_objs_lock);
	kfree(st);
	return 0;
}
