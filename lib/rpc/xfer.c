// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: moving one RPC record over a kipc channel, copied through
 * the channel when small, by reference through a region when large, and
 * the handshake header. Used by both the client and the server.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "krpc_private.h"

/*
 * Regions start at 64 KiB (a connection's first large record should not
 * pay for more) and grow by doubling, so growth stays rare.
 */
#define KRPC_OUT_MIN	(64u * 1024)

void krpc_hdr_put(unsigned char *p, const struct krpc_hdr *h)
{
	uint32_t magic = htobe32(KRPC_MAGIC);
	uint16_t arg = htobe16(h->arg);
	uint64_t nonce = htobe64(h->nonce);
	uint32_t size = htobe32(h->size), wait_ms = htobe32(h->wait_ms);

	memcpy(p, &magic, 4);
	p[4] = KRPC_VERSION;
	p[5] = h->type;
	memcpy(p + 6, &arg, 2);
	memcpy(p + 8, &nonce, 8);
	memcpy(p + 16, &size, 4);
	memcpy(p + 20, &wait_ms, 4);
}

int krpc_hdr_get(const unsigned char *p, size_t len, struct krpc_hdr *h)
{
	uint32_t magic;
	uint16_t arg;
	uint64_t nonce;
	uint32_t size, wait_ms;

	if (len < KRPC_HDR_LEN)
		return -EPROTO;
	memcpy(&magic, p, 4);
	if (be32toh(magic) != KRPC_MAGIC || p[4] != KRPC_VERSION)
		return -EPROTO;
	memcpy(&arg, p + 6, 2);
	memcpy(&nonce, p + 8, 8);
	memcpy(&size, p + 16, 4);
	memcpy(&wait_ms, p + 20, 4);
	h->type = p[5];
	h->arg = be16toh(arg);
	h->nonce = be64toh(nonce);
	h->size = be32toh(size);
	h->wait_ms = be32toh(wait_ms);
	return 0;
}

int64_t krpc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void krpc_out_release(struct krpc_out *out)
{
	if (out->base)
		munmap(out->base, out->size);
	if (out->shm >= 0)
		close(out->shm);
	out->base = NULL;
	out->size = 0;
	out->shm = -1;
}

int krpc_out_reserve(struct krpc_out *out, size_t need)
{
	size_t size = out->size ? out->size : KRPC_OUT_MIN;
	void *base;
	int shm;

	if (need <= out->size)
		return 0;
	if (need > KIPC_RPC_RECORD_MAX)
		return -EMSGSIZE;
	while (size < need)
		size *= 2;
	/*
	 * Anonymous, readable by the peer whatever its uid: the reference is
	 * the only way to reach it. A queued reference keeps an old region
	 * alive, so replacing it under an unread reference is safe.
	 */
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0644, size);
	if (shm < 0)
		return shm;
	/* Populate now: the writer touches every page anyway. */
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, shm, 0);
	if (base == MAP_FAILED) {
		int err = -errno;

		close(shm);
		return err;
	}
	krpc_out_release(out);
	out->shm = shm;
	out->base = base;
	out->size = size;
	return 0;
}

static bool krpc_in_out(const struct krpc_out *out, const void *rec, size_t len)
{
	const char *p = rec, *b = out->base;

	return b && p >= b && len <= out->size && (size_t)(p - b) <= out->size - len;
}

int krpc_send_record(int ch, struct krpc_out *out, const void *rec, size_t len,
		     size_t inline_max, unsigned int flags, int64_t timeout_ns,
		     bool *by_ref)
{
	ssize_t n;
	int ret;

	if (by_ref)
		*by_ref = false;
	if (len <= inline_max) {
		n = timeout_ns < 0 ? kipc_send(ch, rec, len, flags) :
				     kipc_send_timed(ch, rec, len, flags, timeout_ns);
		return n < 0 ? (int)n : 0;
	}
	if (!krpc_in_out(out, rec, len)) {
		ret = krpc_out_reserve(out, len);
		if (ret)
			return ret;
		memcpy(out->base, rec, len);
		rec = out->base;
	}
	if (by_ref)
		*by_ref = true;
	/* kipc_send_ref() has no timed variant; the queue has room for it. */
	return kipc_send_ref(ch, out->shm, (uint64_t)((const char *)rec - (char *)out->base),
			     len, flags);
}

/*
 * Consume the head message without keeping it: KIPC_DISCARD, which takes
 * any message off, one we may not read or too large for us included.
 */
int krpc_drop_message(int ch)
{
	ssize_t ret = kipc_recv(ch, NULL, 0, NULL, KIPC_NONBLOCK | KIPC_DISCARD);

	return ret < 0 ? (int)ret : 0;
}

int krpc_recv_record(int ch, void *buf, size_t cap, struct kipc_ref_cache *in,
		     struct kipc_msg_info *info, unsigned int flags, int64_t timeout_ns,
		     const void **rec, size_t *len, bool *by_ref)
{
	struct kipc_ref ref;
	ssize_t n;
	int ret;

	n = timeout_ns < 0 ? kipc_recv(ch, buf, cap, info, flags) :
			     kipc_recv_timed(ch, buf, cap, info, flags, timeout_ns);
	if (n >= 0) {
		*rec = buf;
		*len = (size_t)n;
		*by_ref = info->flags & KIPC_MSG_REF;
		return 0;
	}
	if (n != -EMSGSIZE)
		return (int)n;
	if (!(info->flags & KIPC_MSG_REF)) {
		/* Cannot happen with a peer of this library: cap >= max_msg_size. */
		ret = krpc_drop_message(ch);
		return ret ? ret : -EMSGSIZE;
	}
	/*
	 * A large record by reference: decode in place from our read-only
	 * mapping (cached in @in for the next reference to the same region).
	 * It is at the head of the queue and we are its only receiver.
	 */
	ret = kipc_recv_ref_cached(ch, in, &ref, info, KIPC_NONBLOCK);
	if (ret == -EACCES) {
		/* A region we may not read stays queued: the peer is broken. */
		return -EPROTO;
	}
	if (ret)
		return ret;
	if (ref.len > KIPC_RPC_RECORD_MAX)
		return -EMSGSIZE;
	*rec = ref.addr;
	*len = (size_t)ref.len;
	*by_ref = true;
	return 0;
}
