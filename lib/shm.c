// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc: shared-page regions and reference handoff.
 *
 * No hidden state: the only cache is the caller's struct kipc_ref, which
 * keeps the last referenced region's fd and mapping (see kipc_shm.h).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kipc_private.h"

int kipc_shm_open(const char *name, int oflag, mode_t mode, size_t size)
{
	struct kipc_shm_open o = {
		.size = sizeof(o),
		.name = (uintptr_t)name,
		.mode = (uint32_t)mode,
		.length = size,
	};
	int ret;

	ret = kipc__oflag_to_open(oflag, &o.flags);
	if (ret)
		return ret;
	/* A region fd always reads: O_WRONLY has no meaning here. */
	if (!(o.flags & KIPC_OPEN_RECV))
		return -EINVAL;
	if (!(oflag & O_CREAT))
		o.length = 0;
	return kipc__ctl_ioctl(KIPC_IOC_SHM_OPEN, &o);
}

int kipc_shm_unlink(const char *name)
{
	struct kipc_unlink u = {
		.size = sizeof(u),
		.name = (uintptr_t)name,
		.type = KIPC_OBJ_REGION,
	};

	if (!name)
		return -EINVAL;
	return kipc__ctl_ioctl(KIPC_IOC_UNLINK, &u);
}

int kipc_shm_stat(int shm, struct kipc_shm_stat *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return (int)kipc__ioctl(shm, KIPC_IOC_SHM_STAT, st);
}

/* The region's length, as a size_t. */
static int kipc_shm_length(int shm, size_t *len)
{
	struct kipc_shm_stat st;
	int ret;

	ret = kipc_shm_stat(shm, &st);
	if (ret < 0)
		return ret;
	if (st.length > SIZE_MAX)
		return -EOVERFLOW;
	*len = (size_t)st.length;
	return 0;
}

int kipc_shm_map(int shm, int prot, void **addr, size_t *size)
{
	size_t len;
	void *p;
	int ret;

	if (!addr || !size || (prot & ~(PROT_READ | PROT_WRITE)))
		return -EINVAL;
	ret = kipc_shm_length(shm, &len);
	if (ret)
		return ret;
	p = mmap(NULL, len, prot, MAP_SHARED, shm, 0);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	*size = len;
	return 0;
}

int kipc_shm_unmap(void *addr, size_t size)
{
	return munmap(addr, size) ? -errno : 0;
}

int kipc_send_ref(int ch, int shm, uint64_t offset, uint64_t len, unsigned int flags)
{
	struct kipc_ref_xfer x = {
		.size = sizeof(x),
		.shm_fd = shm,
		.prio = KIPC_PRIO_OF(flags),
		.offset = offset,
		.len = len,
	};
	long ret;

	if (flags & ~(KIPC_NONBLOCK | KIPC_PRIO(0xff)))
		return -EINVAL;
	if (flags & KIPC_NONBLOCK)
		x.flags |= KIPC_XFER_NONBLOCK;
	ret = kipc__ioctl(ch, KIPC_IOC_SEND_REF, &x);
	return ret < 0 ? (int)ret : 0;
}

/* Forget what @ref holds without touching the fd or mapping. */
static void kipc_ref_reset(struct kipc_ref *ref)
{
	ref->addr = NULL;
	ref->offset = 0;
	ref->len = 0;
	ref->shm = -1;
}

int kipc_ref_release(struct kipc_ref *ref)
{
	size_t len;
	int ret;

	if (!ref)
		return -EINVAL;
	if (!ref->addr) {
		kipc_ref_reset(ref);
		return 0;
	}
	ret = kipc_shm_length(ref->shm, &len);
	if (!ret && munmap((char *)ref->addr - ref->offset, len))
		ret = -errno;
	if (close(ref->shm) && !ret)
		ret = -errno;
	kipc_ref_reset(ref);
	return ret;
}

int kipc_recv_ref(int ch, struct kipc_ref *ref, struct kipc_msg_info *info,
		  unsigned int flags)
{
	struct kipc_ref_xfer x = {
		.size = sizeof(x),
		.flags = KIPC_REF_CLOEXEC,
	};
	char *base;
	size_t len;
	void *p;
	long ret;

	if (!ref || (flags & ~(KIPC_NONBLOCK | KIPC_PEEK)))
		return -EINVAL;
	if (flags & KIPC_NONBLOCK)
		x.flags |= KIPC_XFER_NONBLOCK;
	if (flags & KIPC_PEEK)
		x.flags |= KIPC_XFER_PEEK;
	/* The cached region's fd: the kernel hands it back if it matches. */
	x.shm_fd = ref->addr ? ref->shm : -1;

	ret = kipc__ioctl(ch, KIPC_IOC_RECV_REF, &x);
	if (ret < 0)
		return (int)ret;

	if (ref->addr && x.shm_fd == ref->shm) {
		base = (char *)ref->addr - ref->offset;	/* fast path: same mapping */
	} else {
		ret = kipc_shm_length(x.shm_fd, &len);
		p = ret ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, x.shm_fd, 0);
		if (p == MAP_FAILED) {
			if (!ret)
				ret = -errno;
			close(x.shm_fd);
			return (int)ret;
		}
		kipc_ref_release(ref);
		base = p;
	}
	ref->addr = base + x.offset;
	ref->offset = x.offset;
	ref->len = x.len;
	ref->shm = x.shm_fd;
	if (info)
		*info = x.info;
	return 0;
}
