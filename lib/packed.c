// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc: packed batches (KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED).
 *
 * The messages of a call travel as records laid end to end in one buffer
 * (see "DOC: packed batches" in <linux/kipc.h>). The library builds send
 * records (kipc_packed_add), walks receive records (kipc_packed_next) and
 * fills the argument struct; the buffer is the caller's.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "kipc_private.h"

/*
 * Fill *p for KIPC_IOC_SEND_PACKED or KIPC_IOC_RECV_PACKED: the checks the
 * kernel would make of the arguments, before a system call is spent.
 */
static int kipc_packed_fill(struct kipc_packed *p, const void *buf, size_t len,
			    unsigned int nr, unsigned int flags)
{
	if (!nr || nr > KIPC_BATCH_MAX || !len || len > KIPC_PACKED_MAX ||
	    (flags & ~KIPC_NONBLOCK))
		return -EINVAL;
	*p = (struct kipc_packed){
		.size = sizeof(*p),
		.flags = (flags & KIPC_NONBLOCK) ? KIPC_XFER_NONBLOCK : 0,
		.buf = (uintptr_t)buf,
		.len = (uint32_t)len,
		.nr = nr,
	};
	return 0;
}

int kipc_packed_prep(struct kipc_packed *p, const void *buf, size_t len, unsigned int nr,
		     unsigned int flags)
{
	return kipc_packed_fill(p, buf, len, nr, flags);
}

int kipc_send_packed(int ch, const void *buf, size_t len, unsigned int nr, unsigned int flags)
{
	struct kipc_packed p;
	int ret;

	ret = kipc_packed_fill(&p, buf, len, nr, flags);
	if (ret)
		return ret;
	return (int)kipc__ioctl(ch, KIPC_IOC_SEND_PACKED, &p);
}

int kipc_recv_packed(int ch, void *buf, size_t len, unsigned int nr, unsigned int flags)
{
	struct kipc_packed p;
	int ret;

	/* The kernel fills at most KIPC_PACKED_MAX bytes: more room is never wrong. */
	if (len > KIPC_PACKED_MAX)
		len = KIPC_PACKED_MAX;
	ret = kipc_packed_fill(&p, buf, len, nr, flags);
	if (ret)
		return ret;
	return (int)kipc__ioctl(ch, KIPC_IOC_RECV_PACKED, &p);
}

/*
 * Every size is checked against KIPC_PACKED_MAX (64 KiB) before any sum is
 * formed, so nothing here can overflow, with a 32-bit size_t too.
 */
ssize_t kipc_packed_add(void *buf, size_t size, size_t used, const void *data, size_t len,
			unsigned int flags)
{
	struct kipc_packed_send h;
	size_t rec, pad;
	char *p;

	if ((flags & ~KIPC_PRIO(0xff)) || KIPC_PRIO_OF(flags) > KIPC_PRIO_MAX ||
	    used % KIPC_PACKED_ALIGN || used > size)
		return -EINVAL;
	/* len <= KIPC_PACKED_MAX < UINT32_MAX: h.len holds it. */
	if (len > KIPC_PACKED_MAX || used > KIPC_PACKED_MAX)
		return -ENOSPC;
	rec = (size_t)KIPC_PACKED_SEND_SIZE(len);
	if (rec > size - used || rec > KIPC_PACKED_MAX - used)
		return -ENOSPC;
	h.len = (uint32_t)len;
	h.prio = KIPC_PRIO_OF(flags);
	p = (char *)buf + used;
	/* memcpy: buf need not be aligned for the library's sake */
	memcpy(p, &h, sizeof(h));
	if (len)
		memcpy(p + sizeof(h), data, len);
	/* 0..7 bytes: the kernel ignores them, but no stale bytes leave the process */
	pad = rec - sizeof(h) - len;
	if (pad)
		memset(p + sizeof(h) + len, 0, pad);
	return (ssize_t)(used + rec);
}

ssize_t kipc_packed_next(const void *buf, size_t len, size_t off,
			 const struct kipc_msg_info **info, const void **data)
{
	const char *rec = (const char *)buf + off;
	uint64_t size;
	uint32_t plen;

	/* Offsets come back as ssize_t. */
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (off >= len)
		return -ENOENT;
	if (off % KIPC_PACKED_ALIGN || len - off < sizeof(struct kipc_msg_info))
		return -EINVAL;
	memcpy(&plen, rec + offsetof(struct kipc_msg_info, len), sizeof(plen));
	if (plen > len - off - sizeof(struct kipc_msg_info))
		return -EINVAL;
	if (info)
		*info = (const struct kipc_msg_info *)rec;
	if (data)
		*data = rec + sizeof(struct kipc_msg_info);
	/* The last record's padding may be cut off by len. */
	size = KIPC_PACKED_RECV_SIZE(plen);
	return size > len - off ? (ssize_t)len : (ssize_t)(off + size);
}
