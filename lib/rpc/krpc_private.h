/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc-rpc internals: the handshake wire format and the record transfer
 * helpers shared by the client (clnt_kipc.c) and the server (svc_kipc.c).
 * Not installed.
 *
 * Handshake messages (everything else on a connection is a bare ONC RPC
 * record). All fields big-endian:
 *
 *   offset  size  field
 *   0       4     magic   KRPC_MAGIC
 *   4       1     version KRPC_VERSION
 *   5       1     type    KRPC_HELLO (service channel), KRPC_ACK (reply
 *                         channel)
 *   6       2     arg     ACK: 0 or a positive errno (refused); else 0
 *   8       8     nonce   the client's random connection id, echoed in ACK
 *   16      4     size    HELLO: the largest inline record the client wants
 *                         (lower if the channels' max_msg_size is); else 0
 *   20      4     wait    0 (unused)
 *
 * A HELLO carries exactly two handles, both ends of anonymous channels
 * the client made with kipc_chan_pair(): [KRPC_HELLO_CALL] the receive
 * end of the call channel, [KRPC_HELLO_REPLY] the send end of the reply
 * channel. No connection has a name, so nobody ever has to remove one.
 */
#ifndef KRPC_PRIVATE_H
#define KRPC_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kipc.h>
#include "kipc_rpc.h"

#define KRPC_MAGIC		0x4b525043u	/* "KRPC" */
#define KRPC_VERSION		3
#define KRPC_HELLO		1
#define KRPC_ACK		2
#define KRPC_HDR_LEN		24

/* The handles of a HELLO, in this order. */
#define KRPC_HELLO_CALL		0
#define KRPC_HELLO_REPLY	1
#define KRPC_HELLO_NFDS		2

/* xdr_void as an xdrproc_t (its prototype takes no arguments). */
#define KRPC_XDR_VOID		((xdrproc_t)(void (*)(void))xdr_void)

/* Smallest inline limit: every reply header, error replies included, fits. */
#define KRPC_INLINE_MIN		256

/* Queue depth of a connection's channels: one call in flight, plus slack. */
#define KRPC_CONN_DEPTH		8

/*
 * The kipc module's default max_msg_size parameter (16 MiB): the largest
 * record by reference a connection can carry unless the module allows more.
 */
#define KRPC_MODULE_MSG_MAX	(16u << 20)

static inline uint32_t krpc_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

struct krpc_hdr {
	uint8_t type;
	uint16_t arg;
	uint64_t nonce;
	uint32_t size;
	uint32_t wait_ms;
};

void krpc_hdr_put(unsigned char *p, const struct krpc_hdr *h);
/* 0, or -EPROTO when @p (of @len bytes) is not a handshake message. */
int krpc_hdr_get(const unsigned char *p, size_t len, struct krpc_hdr *h);

/*
 * The sender's side of a connection direction: records above the inline
 * limit are written into @base (a region this side created, mapped
 * read-write) and sent by reference. Grown by replacing the region.
 */
struct krpc_out {
	int shm;		/* region fd, -1 until the first large record */
	void *base;
	size_t size;
};

#define KRPC_OUT_INIT	{ .shm = -1, .base = NULL, .size = 0 }

/* Make @out at least @need bytes: 0 or -errno. */
int krpc_out_reserve(struct krpc_out *out, size_t need);
void krpc_out_release(struct krpc_out *out);

/*
 * krpc_send_record() - send the record at @rec (@len bytes)
 * @rec: either inside @out->base (encoded in place) or anywhere else
 * @inline_max: larger records go by reference (copied into @out first if
 *	they are not already there)
 * @flags: KIPC_NONBLOCK or 0
 * @timeout_ns: < 0 for no timeout
 * @by_ref: set to whether it went by reference (may be NULL)
 *
 * Return: 0 or -errno from kipc.
 */
int krpc_send_record(int ch, struct krpc_out *out, const void *rec, size_t len,
		     size_t inline_max, unsigned int flags, int64_t timeout_ns,
		     bool *by_ref);

/*
 * krpc_recv_record() - receive one record into @buf, or in place
 * @buf, @cap: the inline buffer (at least the channel's max_msg_size)
 * @in: the receiver's mapping cache for references (kipc_recv_ref_cached())
 * @rec, @len: output, where the record is (in @buf or in @in's mapping)
 * @by_ref: output, whether it came by reference
 *
 * Return: 0 or -errno (-EAGAIN, -ETIMEDOUT, -EPIPE, ...). A reference
 * longer than KIPC_RPC_RECORD_MAX is consumed and gives -EMSGSIZE.
 */
int krpc_recv_record(int ch, void *buf, size_t cap, struct kipc_ref_cache *in,
		     struct kipc_msg_info *info, unsigned int flags, int64_t timeout_ns,
		     const void **rec, size_t *len, bool *by_ref);

/* Consume and discard the head message (KIPC_DISCARD): 0 or -errno. */
int krpc_drop_message(int ch);

/* Monotonic nanoseconds. */
int64_t krpc_now_ns(void);

#endif /* KRPC_PRIVATE_H */
