// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc handles: fds inside messages, channel pairs, reopen, and a
 * pidfd for a message's sender.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kipc_private.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434	/* the same number on every architecture */
#endif

int kipc_chan_pair(int fds[2], const struct kipc_chan_attr *attr, int flags)
{
	struct kipc_chan_pair p = { .size = sizeof(p), .mode = 0600 };
	int ret;

	if (!fds || (flags & ~(O_CLOEXEC | O_NONBLOCK)))
		return -EINVAL;
	if (flags & O_CLOEXEC)
		p.flags |= KIPC_OPEN_CLOEXEC;
	if (flags & O_NONBLOCK)
		p.flags |= KIPC_OPEN_NONBLOCK;
	if (attr) {
		p.max_msgs = attr->max_msgs;
		p.max_msg_size = attr->max_msg_size;
	}
	ret = kipc__ctl_ioctl(KIPC_IOC_CHAN_PAIR, &p);
	if (ret < 0)
		return ret;
	fds[0] = p.fds[0];
	fds[1] = p.fds[1];
	return 0;
}

ssize_t kipc_send_handles(int ch, const void *buf, size_t len, const int *fds,
			  unsigned int nfds, unsigned int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct kipc_xfer x = {
		.size = sizeof(x),
		.iov = (uintptr_t)&iov,
		.iovcnt = 1,
		.fds = (uintptr_t)fds,
		.nfds = nfds,
	};

	if (flags & ~(KIPC_NONBLOCK | KIPC_PRIO(0xff)))
		return -EINVAL;
	x.prio = KIPC_PRIO_OF(flags);
	if (flags & KIPC_NONBLOCK)
		x.flags |= KIPC_XFER_NONBLOCK;
	return kipc__ioctl(ch, KIPC_IOC_SEND, &x);
}

ssize_t kipc_recv_handles(int ch, void *buf, size_t len, int *fds, unsigned int *nfds,
			  struct kipc_msg_info *info, unsigned int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct kipc_xfer x = {
		.size = sizeof(x),
		.iov = (uintptr_t)&iov,
		.iovcnt = 1,
		.fds = (uintptr_t)fds,
	};
	long ret;

	if (!nfds || (*nfds && !fds))
		return -EINVAL;
	if (flags & ~(KIPC_NONBLOCK | KIPC_PEEK | KIPC_DISCARD | KIPC_HANDLES_NOCLOEXEC))
		return -EINVAL;
	x.nfds = *nfds;
	if (flags & KIPC_NONBLOCK)
		x.flags |= KIPC_XFER_NONBLOCK;
	if (flags & KIPC_PEEK)
		x.flags |= KIPC_XFER_PEEK;
	if (flags & KIPC_DISCARD)
		x.flags |= KIPC_XFER_DISCARD;
	if (flags & KIPC_HANDLES_NOCLOEXEC)
		x.fd_flags |= KIPC_FD_NOCLOEXEC;
	ret = kipc__ioctl(ch, KIPC_IOC_RECV, &x);
	if (ret >= 0 || ret == -EMSGSIZE) {
		if (info)
			*info = x.info;
		/* received, or with -EMSGSIZE the number needed */
		*nfds = ret >= 0 ? x.nfds : x.info.nr_handles;
	}
	return ret;
}

int kipc_reopen(int fd, int oflag)
{
	struct kipc_reopen r = { .size = sizeof(r) };

	if (oflag & ~(O_ACCMODE | O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	switch (oflag & O_ACCMODE) {
	case O_RDONLY:
		r.flags = KIPC_OPEN_RECV;
		break;
	case O_WRONLY:
		r.flags = KIPC_OPEN_SEND;
		break;
	case O_RDWR:
		r.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND;
		break;
	default:
		return -EINVAL;
	}
	if (oflag & O_CLOEXEC)
		r.flags |= KIPC_OPEN_CLOEXEC;
	if (oflag & O_NONBLOCK)
		r.flags |= KIPC_OPEN_NONBLOCK;
	return (int)kipc__ioctl(fd, KIPC_IOC_REOPEN, &r);
}

/*
 * The start time of process @pid as /proc/<pid>/stat field 22 gives it,
 * in clock ticks since boot: 0, -ESRCH (no such process), -EIO (unreadable).
 * The command name (field 2) may hold spaces and parentheses, so fields
 * are counted from its last ')'.
 */
static int kipc_proc_starttime(int pid, unsigned long long *ticks)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 && errno == ESRCH ? -ESRCH : -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* p + 1 is " state ppid ...": field 3 first */
	for (field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EIO;
	}
	if (sscanf(p + 1, "%llu", ticks) != 1)
		return -EIO;
	return 0;
}

/*
 * The pidfd is opened first and checked after: whatever process @pid
 * names when pidfd_open() runs is the one the pidfd will always refer
 * to. If /proc then shows the sender's start time under that pid, the
 * process pidfd_open() found was the sender (a pid is reused only after
 * its process is reaped, and a reuser starts later); if the sender was
 * reaped and the pid reused in between, the start time differs. That
 * holds only if /proc/<pid> still names the pidfd's process when it is
 * read, hence the existence check on the pidfd after the read. The match
 * is to one clock tick (10 ms at USER_HZ 100): a false match needs the
 * sender to start, send, exit, be reaped and its pid be taken again by a
 * process started in the same tick.
 * info->pid_start_ns is CLOCK_BOOTTIME ns; /proc shows it in USER_HZ
 * ticks, nsec / (NSEC_PER_SEC / USER_HZ), USER_HZ being sysconf(_SC_CLK_TCK).
 */
int kipc_sender_pidfd(const struct kipc_msg_info *info, unsigned int flags)
{
	unsigned long long ticks, want;
	long hz = sysconf(_SC_CLK_TCK);
	int pidfd, ret;

	if (!info)
		return -EINVAL;
	if (info->pid <= 0)
		return -ESRCH;		/* not visible in our pid namespace */
	if (hz <= 0 || 1000000000L % hz)
		return -EIO;
	pidfd = (int)syscall(SYS_pidfd_open, info->pid, flags);
	if (pidfd < 0)
		return -errno;
	ret = kipc_proc_starttime(info->pid, &ticks);
	want = info->pid_start_ns / (1000000000ULL / (unsigned long long)hz);
	if (!ret && ticks != want)
		ret = -ESRCH;
	/*
	 * Still there after /proc was read: then /proc/<pid> showed the
	 * pidfd's process, not one that took the pid after it was reaped.
	 * Signal 0 checks only existence (EPERM: there, not ours to signal).
	 */
	if (!ret && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno != EPERM)
		ret = -ESRCH;
	if (ret) {
		close(pidfd);
		return ret;
	}
	return pidfd;
}
