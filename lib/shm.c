// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc: shared-page regions and reference handoff.
 *
 * No hidden state: kipc_recv_ref() fills the caller's struct kipc_ref and
 * reads nothing from it; the only cache is a struct kipc_ref_cache the
 * caller passes to kipc_recv_ref_cached() (see kipc_shm.h).
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

/*
 * Without a cache, kipc_recv_ref() maps the region from its start to the
 * page after the payload: kipc_ref_release() finds that length again from
 * the struct alone (offset + len lie within the region, which is at least
 * a page long), so neither call needs KIPC_IOC_SHM_STAT.
 */
static int kipc_ref_map_len(uint64_t offset, uint64_t len, size_t *map_len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t end = offset + len ? offset + len : 1;

	end = (end + page - 1) & ~(page - 1);
	if (end > SIZE_MAX)
		return -EOVERFLOW;
	*map_len = (size_t)end;
	return 0;
}

int kipc_ref_release(struct kipc_ref *ref)
{
	size_t len;
	int ret = 0;

	if (!ref)
		return -EINVAL;
	/* A ref from kipc_recv_ref_cached() (shm -1) owns nothing: the cache does. */
	if (ref->addr && ref->shm >= 0) {
		ret = kipc_ref_map_len(ref->offset, ref->len, &len);
		if (!ret && munmap((char *)ref->addr - ref->offset, len))
			ret = -errno;
		if (close(ref->shm) && !ret)
			ret = -errno;
	}
	*ref = (struct kipc_ref)KIPC_REF_INIT;
	return ret;
}

int kipc_ref_cache_init(struct kipc_ref_cache *cache)
{
	if (!cache)
		return -EINVAL;
	*cache = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	return 0;
}

int kipc_ref_cache_fini(struct kipc_ref_cache *cache)
{
	int ret = 0;

	if (!cache)
		return -EINVAL;
	if (cache->base && munmap(cache->base, cache->size))
		ret = -errno;
	if (cache->shm >= 0 && close(cache->shm) && !ret)
		ret = -errno;
	*cache = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	return ret;
}

/*
 * KIPC_IOC_RECV_REF with @hint (-1 or the cache's region fd). On success
 * x->shm_fd is @hint when the reference names that fd's region, else a
 * new O_CLOEXEC region fd the caller now owns.
 */
static int kipc_recv_ref_ioctl(int ch, int hint, struct kipc_ref_xfer *x, unsigned int flags)
{
	*x = (struct kipc_ref_xfer){
		.size = sizeof(*x),
		.flags = KIPC_REF_CLOEXEC,
		.shm_fd = hint,
	};
	if (flags & ~(KIPC_NONBLOCK | KIPC_PEEK))
		return -EINVAL;
	if (flags & KIPC_NONBLOCK)
		x->flags |= KIPC_XFER_NONBLOCK;
	if (flags & KIPC_PEEK)
		x->flags |= KIPC_XFER_PEEK;
	return (int)kipc__ioctl(ch, KIPC_IOC_RECV_REF, x);
}

/*
 * Map @len bytes of the new region fd @fd read-only, unless @err (from
 * working out @len) is already set; on failure close @fd, whose message
 * is consumed and lost.
 */
static int kipc_ref_map(int fd, int err, size_t len, void **p)
{
	*p = err ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (*p != MAP_FAILED)
		return 0;
	if (!err)
		err = -errno;
	close(fd);
	return err;
}

/* @isz: room at @info (KIPC_MSG_INFO_SIZE_VER0 for pre-ABI 3 programs) */
static void kipc_ref_fill(struct kipc_ref *ref, char *base, const struct kipc_ref_xfer *x,
			  int shm, void *info, size_t isz)
{
	ref->addr = base + x->offset;
	ref->offset = x->offset;
	ref->len = x->len;
	ref->shm = shm;
	if (info)
		memcpy(info, &x->info, isz);
}

static int kipc_recv_ref_sized(int ch, struct kipc_ref *ref, void *info, size_t isz,
			       unsigned int flags)
{
	struct kipc_ref_xfer x;
	size_t len = 0;
	void *p;
	int ret;

	if (!ref)
		return -EINVAL;
	/* Output only: whatever *ref held is neither read nor released. */
	*ref = (struct kipc_ref)KIPC_REF_INIT;
	ret = kipc_recv_ref_ioctl(ch, -1, &x, flags);
	if (ret < 0)
		return ret;
	ret = kipc_ref_map_len(x.offset, x.len, &len);
	ret = kipc_ref_map(x.shm_fd, ret, len, &p);
	if (ret)
		return ret;
	kipc_ref_fill(ref, p, &x, x.shm_fd, info, isz);
	return 0;
}

int kipc_recv_ref(int ch, struct kipc_ref *ref, struct kipc_msg_info *info,
		  unsigned int flags)
{
	return kipc_recv_ref_sized(ch, ref, info, sizeof(*info), flags);
}

static int kipc_recv_ref_cached_sized(int ch, struct kipc_ref_cache *cache,
				      struct kipc_ref *ref, void *info, size_t isz,
				      unsigned int flags)
{
	struct kipc_ref_xfer x;
	size_t len = 0;
	void *p;
	int ret;

	if (!cache || !ref)
		return -EINVAL;
	*ref = (struct kipc_ref)KIPC_REF_INIT;
	ret = kipc_recv_ref_ioctl(ch, cache->shm, &x, flags);
	if (ret < 0)
		return ret;
	if (x.shm_fd != cache->shm) {
		/* Another region: map all of it, then drop the old one. */
		ret = kipc_shm_length(x.shm_fd, &len);
		ret = kipc_ref_map(x.shm_fd, ret, len, &p);
		if (ret)
			return ret;
		kipc_ref_cache_fini(cache);
		cache->base = p;
		cache->size = len;
		cache->shm = x.shm_fd;
	}
	kipc_ref_fill(ref, cache->base, &x, -1, info, isz);
	return 0;
}

int kipc_recv_ref_cached(int ch, struct kipc_ref_cache *cache, struct kipc_ref *ref,
			 struct kipc_msg_info *info, unsigned int flags)
{
	return kipc_recv_ref_cached_sized(ch, cache, ref, info, sizeof(*info), flags);
}

/* The symbols of programs built before ABI 3: see the end of chan.c. */
int kipc__recv_ref_v0(int ch, struct kipc_ref *ref, void *info,
		      unsigned int flags) __asm__("kipc_recv_ref");
int kipc__recv_ref_cached_v0(int ch, struct kipc_ref_cache *cache, struct kipc_ref *ref,
			     void *info, unsigned int flags) __asm__("kipc_recv_ref_cached");

int kipc__recv_ref_v0(int ch, struct kipc_ref *ref, void *info, unsigned int flags)
{
	return kipc_recv_ref_sized(ch, ref, info, KIPC_MSG_INFO_SIZE_VER0, flags);
}

int kipc__recv_ref_cached_v0(int ch, struct kipc_ref_cache *cache, struct kipc_ref *ref,
			     void *info, unsigned int flags)
{
	return kipc_recv_ref_cached_sized(ch, cache, ref, info, KIPC_MSG_INFO_SIZE_VER0, flags);
}
