// SPDX-License-Identifier: LGPL-2.1-or-later
/* libkipc: the control node, version, module-wide counters, the listing. */
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipc_private.h"

int kipc__ctl_open(void)
{
	int fd = open(KIPC_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kipc__ctl_ioctl(unsigned long cmd, void *arg)
{
	int ctl = kipc__ctl_open();
	long ret;

	if (ctl < 0)
		return ctl;
	ret = kipc__ioctl(ctl, cmd, arg);
	close(ctl);
	return (int)ret;
}

int kipc__oflag_to_open(int oflag, uint32_t *out)
{
	uint32_t f = 0;

	if (oflag & ~(O_ACCMODE | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	switch (oflag & O_ACCMODE) {
	case O_RDONLY:
		f = KIPC_OPEN_RECV;
		break;
	case O_WRONLY:
		f = KIPC_OPEN_SEND;
		break;
	case O_RDWR:
		f = KIPC_OPEN_RECV | KIPC_OPEN_SEND;
		break;
	default:
		return -EINVAL;
	}
	if (oflag & O_CREAT)
		f |= KIPC_OPEN_CREAT;
	if (oflag & O_EXCL)
		f |= KIPC_OPEN_EXCL;
	if (oflag & O_NONBLOCK)
		f |= KIPC_OPEN_NONBLOCK;
	if (oflag & O_CLOEXEC)
		f |= KIPC_OPEN_CLOEXEC;
	*out = f;
	return 0;
}

int kipc__deadline(int64_t timeout_ns, uint64_t *deadline_ns)
{
	struct timespec now;

	if (timeout_ns < 0)
		return -EINVAL;
	if (clock_gettime(CLOCK_MONOTONIC, &now))
		return -errno;
	*deadline_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec +
		       (uint64_t)timeout_ns;
	return 0;
}

int kipc_version(uint64_t *features)
{
	struct kipc_version v = { .size = sizeof(v) };
	int ret;

	ret = kipc__ctl_ioctl(KIPC_IOC_VERSION, &v);
	if (ret < 0)
		return ret;
	if (features)
		*features = v.features;
	return (int)v.abi_version;
}

int kipc_check_abi(int *module_abi)
{
	int v = kipc_version(NULL);

	if (module_abi)
		*module_abi = v > 0 ? v : 0;
	if (v < 0)
		return v;
	return v == KIPC_ABI_VERSION ? 0 : -EPROTO;
}

int kipc_stat(struct kipc_global_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return kipc__ctl_ioctl(KIPC_IOC_STAT, st);
}

int kipc_list(uint64_t start_id, struct kipc_list_entry *entries, unsigned int max_entries,
	      uint64_t *next_id)
{
	struct kipc_list l = {
		.size = sizeof(l),
		.entries = (uintptr_t)entries,
		.entry_size = sizeof(*entries),
		/* the count comes back as an int */
		.max_entries = max_entries > INT_MAX ? INT_MAX : max_entries,
		.start_id = start_id,
	};
	int ret;

	ret = kipc__ctl_ioctl(KIPC_IOC_LIST, &l);
	if (ret < 0)
		return ret;
	if (next_id)
		*next_id = l.next_id;
	return ret;
}
