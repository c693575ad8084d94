// SPDX-License-Identifier: GPL-2.0
/*
 * kipc handles: open files carried inside messages (see "DOC: handles" in
 * the uapi header), and KIPC_IOC_REOPEN, which makes a narrower file to
 * pass.
 *
 * A message with handles holds a reference to each file (struct
 * kipc_handles). A receiver reserves an fd for each, under the channel's
 * recv_lock, and installs them only once kipc_chan_recv() has taken the
 * message for good (kipc_handles_prepare(), kipc_handles_finish()): all
 * or none, and a receive that cannot take them leaves the message queued.
 *
 * Cycles: a channel end X is queued into channel C only if X is not an
 * end of C and X holds no channel end (@held of struct kipc_chan, the
 * channel ends in its queued and out-for-delivery messages). The check
 * and the count of C's new ends are made together under kipc_handles_lock
 * (kipc_chan_handles_enqueue_locked()), and an end leaves the count only
 * when its message is freed, after delivery or with its channel. So no
 * cycle can ever form: of the "holds" edges of a cycle, the one queued
 * last found the next edge's channel holding an end, and was refused.
 * With no cycle, freeing the last outside reference frees everything in
 * flight behind it. Files that can hold files themselves (AF_UNIX sockets
 * with SCM_RIGHTS in flight, io_uring instances with registered files)
 * cannot be passed at all, so no cycle can go through them either.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <uapi/linux/magic.h>

#include "kipc_compat.h"
#include "kipc_internal.h"

/* See the locking overview in kipc_internal.h. */
static DEFINE_SPINLOCK(kipc_handles_lock);

/**
 * struct kipc_handles - the files one message carries
 * @holder: the channel whose queue holds the message, set when it is
 *	queued with channel ends among @files (its @held counts them)
 * @user: the sending task's account, charged @nr handles in flight
 * @nr: files at @files
 * @nr_chans: how many of them are channel ends
 * @files: a reference to each
 */
struct kipc_handles {
	struct kipc_chan *holder;
	struct kipc_user *user;
	u32 nr;
	u32 nr_chans;
	struct file *files[];
};

/*
 * Files that can hold other files in flight cannot be passed: an AF_UNIX
 * socket (SCM_RIGHTS; the kernel's unix garbage collector cannot see
 * through a kipc queue) and an io_uring instance (registered files;
 * SCM_RIGHTS refuses it too). io_uring's file has no exported test, so
 * it is recognised as the anonymous inode named "[io_uring]".
 */
static int kipc_handle_passable(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	if (sock && sock->sk && sock->sk->sk_family == AF_UNIX)
		return -EOPNOTSUPP;
	if (file->f_path.mnt->mnt_sb->s_magic == ANON_INODE_FS_MAGIC &&
	    !strcmp(file->f_path.dentry->d_name.name, "[io_uring]"))
		return -EOPNOTSUPP;
	return 0;
}

static void kipc_handles_put_files(struct kipc_handles *h, u32 n)
{
	while (n--)
		fput(h->files[n]);
}

/**
 * kipc_handles_attach() - take the files of @nfds fds for @msg
 * @msg: a message not queued, without handles
 * @ufds: the sender's array of fds
 * @nfds: 1..KIPC_HANDLES_MAX
 *
 * Context: process context, may sleep.
 * Return: 0, or -EFAULT, -EBADF, -EOPNOTSUPP, -ETOOMANYREFS, -ENOMEM with
 * @msg unchanged.
 */
int kipc_handles_attach(struct kipc_msg *msg, const int __user *ufds, u32 nfds)
{
	int fds[KIPC_HANDLES_MAX];
	struct kipc_handles *h;
	struct file *file;
	int ret;
	u32 i;

	if (WARN_ON_ONCE(!nfds || nfds > KIPC_HANDLES_MAX || msg->handles))
		return -EINVAL;
	if (copy_from_user(fds, ufds, nfds * sizeof(fds[0])))
		return -EFAULT;
	h = kzalloc(struct_size(h, files, nfds), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	h->user = kipc_user_get_current();
	if (!h->user) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = kipc_user_charge_handles(h->user, nfds);
	if (ret)
		goto out_put_user;
	for (i = 0; i < nfds; i++) {
		file = fds[i] < 0 ? NULL : fget(fds[i]);
		if (!file) {
			ret = -EBADF;
			goto out_put_files;
		}
		ret = kipc_handle_passable(file);
		if (ret) {
			fput(file);
			goto out_put_files;
		}
		if (kipc_chan_from_file(file))
			h->nr_chans++;
		h->files[i] = file;
	}
	h->nr = nfds;
	msg->handles = h;
	msg->flags |= KIPC_MSG_HANDLES;
	return 0;

out_put_files:
	kipc_handles_put_files(h, i);
	kipc_user_uncharge_handles(h->user, nfds);
out_put_user:
	kipc_user_put(h->user);
out_free:
	kfree(h);
	return ret;
}

/**
 * kipc_handles_free() - drop the handles of a message being freed
 * @msg: the message; its channel, if it was queued, is still alive
 *
 * Context: any context fput() may be called in.
 */
void kipc_handles_free(struct kipc_msg *msg)
{
	struct kipc_handles *h = msg->handles;

	if (!h)
		return;
	msg->handles = NULL;
	msg->flags &= ~KIPC_MSG_HANDLES;
	kipc_handles_put_files(h, h->nr);
	/* Only now can its channel ends no longer be in a cycle with it. */
	if (h->holder)
		atomic_sub(h->nr_chans, kipc_chan_held_handles(h->holder));
	kipc_user_uncharge_handles(h->user, h->nr);
	kipc_user_put(h->user);
	kfree(h);
}

/**
 * kipc_msg_nr_handles() - how many handles @msg carries
 * @msg: the message
 *
 * Return: the count, 0 without handles.
 */
u32 kipc_msg_nr_handles(const struct kipc_msg *msg)
{
	return msg->handles ? msg->handles->nr : 0;
}

/**
 * kipc_chan_handles_enqueue_locked() - may @msg be queued into @ch?
 * @ch: the channel, its lock held
 * @msg: a message with handles, about to be queued
 *
 * The cycle rule: no channel end of @msg may be an end of @ch or hold a
 * channel end itself. When it passes, @ch's @held counts @msg's channel
 * ends from now until @msg is freed (kipc_handles_free()).
 *
 * Context: @ch->lock held; takes kipc_handles_lock.
 * Return: 0, or -ELOOP (nothing changed).
 */
int kipc_chan_handles_enqueue_locked(struct kipc_chan *ch, struct kipc_msg *msg)
{
	struct kipc_handles *h = msg->handles;
	struct kipc_chan *x;
	u32 i;

	if (!h->nr_chans)
		return 0;
	spin_lock(&kipc_handles_lock);
	for (i = 0; i < h->nr; i++) {
		x = kipc_chan_from_file(h->files[i]);
		if (x && (x == ch || atomic_read(kipc_chan_held_handles(x)))) {
			spin_unlock(&kipc_handles_lock);
			return -ELOOP;
		}
	}
	atomic_add(h->nr_chans, kipc_chan_held_handles(ch));
	h->holder = ch;
	spin_unlock(&kipc_handles_lock);
	return 0;
}

/**
 * kipc_handles_prepare() - reserve fds for the handles of @msg
 * @msg: the message being delivered, with handles
 * @out: filled with the reserved fds and a reference on each file
 * @ufds: the receiver's array, at least @msg's handle count long; the fd
 *	numbers are written there now (they are reserved, so nothing else
 *	can take them before kipc_handles_finish() installs them)
 * @fd_flags: KIPC_FD_* flags
 *
 * Context: under the channel's recv_lock; may sleep and fault.
 * Return: 0, or -EMFILE or -EFAULT with nothing reserved.
 */
int kipc_handles_prepare(struct kipc_msg *msg, struct kipc_handles_out *out,
			 int __user *ufds, u32 fd_flags)
{
	struct kipc_handles *h = msg->handles;
	unsigned int o_flags = (fd_flags & KIPC_FD_NOCLOEXEC) ? 0 : O_CLOEXEC;
	int fd, ret;
	u32 i;

	out->nr = 0;
	for (i = 0; i < h->nr; i++) {
		fd = get_unused_fd_flags(o_flags);
		if (fd < 0) {
			ret = fd;
			goto out_unwind;
		}
		out->fds[i] = fd;
		out->files[i] = NULL;
		out->nr = i + 1;
		if (put_user(fd, ufds + i)) {
			ret = -EFAULT;
			goto out_unwind;
		}
	}
	for (i = 0; i < h->nr; i++)
		out->files[i] = get_file(h->files[i]);
	return 0;

out_unwind:
	kipc_handles_finish(out, false);
	return ret;
}

/**
 * kipc_handles_finish() - install or give back what kipc_handles_prepare()
 *	reserved
 * @out: the reserved fds and files
 * @install: the message was taken: install them; otherwise release them
 */
void kipc_handles_finish(struct kipc_handles_out *out, bool install)
{
	u32 i;

	for (i = 0; i < out->nr; i++) {
		if (install && out->files[i]) {
			fd_install(out->fds[i], out->files[i]);
			continue;
		}
		if (out->files[i])
			fput(out->files[i]);
		put_unused_fd(out->fds[i]);
	}
	out->nr = 0;
}

/**
 * kipc_reopen_ioctl() - KIPC_IOC_REOPEN: a new fd with at most this fd's access
 * @ucmd: the call on a channel or region fd; @ucmd->cmd is a struct kipc_reopen
 *
 * Context: process context, may sleep.
 * Return: the new fd, or -EINVAL, -EACCES, -EMFILE, -ENOMEM.
 */
long kipc_reopen_ioctl(struct kipc_ucmd *ucmd)
{
	const u32 known = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CLOEXEC |
			  KIPC_OPEN_NONBLOCK;
	struct kipc_reopen *r = ucmd->cmd;
	struct file *file = ucmd->file;
	const struct cred *old_cred;
	struct kipc_region *region = kipc_region_from_file(file);
	struct kipc_chan *ch = kipc_chan_from_file(file);
	fmode_t want = 0;
	struct file *nf;
	int fd_flags, fd;

	if ((r->flags & ~known) || r->__reserved)
		return -EINVAL;
	if (!(r->flags & (KIPC_OPEN_RECV | KIPC_OPEN_SEND)))
		return -EINVAL;
	if (region && !(r->flags & KIPC_OPEN_RECV))
		return -EINVAL;		/* a region fd can always read */
	if (r->flags & KIPC_OPEN_RECV)
		want |= FMODE_READ;
	if (r->flags & KIPC_OPEN_SEND)
		want |= FMODE_WRITE;
	if (want & ~file->f_mode)
		return -EACCES;
	if (want == (FMODE_READ | FMODE_WRITE))
		fd_flags = O_RDWR;
	else
		fd_flags = (want & FMODE_WRITE) ? O_WRONLY : O_RDONLY;
	if (r->flags & KIPC_OPEN_NONBLOCK)
		fd_flags |= O_NONBLOCK;

	fd = get_unused_fd_flags((r->flags & KIPC_OPEN_CLOEXEC) ? O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	/*
	 * The new file carries @file's f_cred, not the caller's: a reopened
	 * fd stamps (and is charged to) the identity the original fd already
	 * conferred, so reopening gains nothing and loses nothing.
	 */
	old_cred = override_creds(file->f_cred);
	nf = ch ? kipc_chan_reopen_file(ch, fd_flags) : kipc_region_file_open(region, fd_flags);
	revert_creds(old_cred);
	if (IS_ERR(nf)) {
		put_unused_fd(fd);
		return PTR_ERR(nf);
	}
	fd_install(fd, nf);
	return fd;
}
