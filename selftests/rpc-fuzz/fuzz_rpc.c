// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target for libkipc-rpc's receive and decode paths, on the host
 * (no kipc.ko: fake_kipc.c stands in for libkipc). The first input byte
 * picks what the rest is:
 *
 *   0  one message on the service channel (handshake parsing, accepting
 *      and tearing down a connection): a control byte picks the handles
 *      that ride with it (none; the call channel's receive end and the
 *      reply channel's send end of fresh kipc_chan_pair() channels, as a
 *      client sends them; those reversed; both ends of one channel; a
 *      non-kipc fd; three; one; an end of a named channel), the rest is
 *      the message; anything the server made of it is torn down again
 *   1  a series of call records on an established connection, each with a
 *      control byte (sender uid: allowed or refused by the policy; inline
 *      or by reference) and a 16-bit length; the server decodes, checks
 *      the policy and the duplicate request cache, dispatches through
 *      TI-RPC's svc_getreq_common() into a dispatcher that decodes
 *      arguments of several XDR types, and encodes replies
 *   2  the reply to a client call (xid patched in), decoded into one of
 *      several result types by the client's clnt_call(); a responder
 *      plays the server (takes the HELLO and its two handles, answers
 *      ACK on the reply channel, then the call with the input)
 *
 * Built and run by scripts/fuzz-rpc with ASan and UBSan; any crash, sanitizer
 * report or leak fails the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rpc/rpc.h>

#include "krpc_private.h"
#include "fake_kipc.h"

#define SVC		"fz"
#define CSVC		"fzc"
#define PROG		0x20004b50
#define VERS		1
#define ALLOWED_UID	0u
#define REFUSED_UID	1000u

struct blob {
	u_int len;
	char *val;
};

static bool_t xdr_blob(XDR *x, void *p)
{
	struct blob *b = p;

	return xdr_bytes(x, &b->val, &b->len, 1u << 20);
}

static bool_t xdr_pair(XDR *x, void *p)
{
	int *v = p;

	return xdr_int(x, &v[0]) && xdr_int(x, &v[1]);
}

static bool_t xdr_str(XDR *x, void *p)
{
	return xdr_string(x, p, 4096);
}

static bool_t xdr_intlist(XDR *x, void *p)
{
	struct blob *b = p;

	return xdr_array(x, &b->val, &b->len, 1024, sizeof(int), (xdrproc_t)xdr_int);
}

static void fz_dispatch(struct svc_req *rq, SVCXPRT *x)
{
	struct kipc_cred cred;
	struct blob b = { 0 };
	char *s = NULL;
	int pair[2] = { 0, 0 }, r;

	switch (rq->rq_proc) {
	case 0:
		svc_sendreply(x, KRPC_XDR_VOID, NULL);
		return;
	case 1:
		if (!svc_getargs(x, (xdrproc_t)xdr_pair, pair)) {
			svcerr_decode(x);
			return;
		}
		r = (int)((unsigned int)pair[0] + (unsigned int)pair[1]);
		svc_sendreply(x, (xdrproc_t)xdr_int, &r);
		svc_freeargs(x, (xdrproc_t)xdr_pair, pair);
		return;
	case 2:
		if (!svc_getargs(x, (xdrproc_t)xdr_blob, &b)) {
			svcerr_decode(x);
			return;
		}
		svc_sendreply(x, (xdrproc_t)xdr_blob, &b);
		svc_freeargs(x, (xdrproc_t)xdr_blob, &b);
		return;
	case 3:
		if (!svc_getargs(x, (xdrproc_t)xdr_str, &s)) {
			svcerr_decode(x);
			return;
		}
		svc_sendreply(x, (xdrproc_t)xdr_str, &s);
		svc_freeargs(x, (xdrproc_t)xdr_str, &s);
		return;
	case 4:
		if (!svc_getargs(x, (xdrproc_t)xdr_intlist, &b)) {
			svcerr_decode(x);
			return;
		}
		r = kipc_rpc_caller(rq, &cred) ? -1 : (int)cred.uid;
		svc_sendreply(x, (xdrproc_t)xdr_int, &r);
		svc_freeargs(x, (xdrproc_t)xdr_intlist, &b);
		return;
	case 5:
		svcerr_systemerr(x);
		return;
	default:
		svcerr_noproc(x);
		return;
	}
}

/* Mode 2's client side; mode 0 passes its named svc_recv end as a wrong handle. */
static struct {
	int svc_recv;		/* keeps CSVC alive (a receiver exists) */
	int srv_call_recv;	/* the "server's" ends of the client's channels */
	int srv_reply_send;
	const uint8_t *reply;
	size_t reply_len;
} cli = { .svc_recv = -1, .srv_call_recv = -1, .srv_reply_send = -1 };

/* ---- server side: a service and one established connection ---- */

static SVCXPRT *listener;
static int svc_send_fd = -1;	/* our sender end of the service channel */
static struct {
	bool up;
	int call_send;		/* we are the client */
	int reply_recv;
	int srv_fd;		/* the server's connection transport */
	uint64_t gen;
} conn;

static bool polled(int fd)
{
	int i;

	for (i = 0; i < svc_max_pollfd; i++)
		if (svc_pollfd[i].fd == fd)
			return true;
	return false;
}

/* fds that are in TI-RPC's poll set now and were not in @before. */
static int new_polled(const bool *before, int *out, int max)
{
	int i, n = 0;

	for (i = 0; i < svc_max_pollfd && n < max; i++) {
		int fd = svc_pollfd[i].fd;

		if (fd >= 0 && fd < 4096 && !before[fd])
			out[n++] = fd;
	}
	return n;
}

static void snapshot(bool *before)
{
	int i;

	memset(before, 0, 4096 * sizeof(*before));
	for (i = 0; i < svc_max_pollfd; i++)
		if (svc_pollfd[i].fd >= 0 && svc_pollfd[i].fd < 4096)
			before[svc_pollfd[i].fd] = true;
}

/* A handshake message of @type into @msg (KRPC_HDR_LEN bytes); its length. */
static size_t put_msg(unsigned char *msg, uint8_t type, uint64_t nonce)
{
	struct krpc_hdr h = { .type = type, .nonce = nonce };

	if (type == KRPC_HELLO)
		h.size = KIPC_RPC_INLINE_MAX;
	krpc_hdr_put(msg, &h);
	return KRPC_HDR_LEN;
}

/* Two anonymous channels as a client makes them: [0] receives, [1] sends. */
static void make_pairs(int call[2], int reply[2])
{
	struct kipc_chan_attr attr = { .max_msgs = KRPC_CONN_DEPTH,
				       .max_msg_size = KIPC_RPC_RECORD_MAX };

	if (kipc_chan_pair(call, &attr, O_CLOEXEC) || kipc_chan_pair(reply, &attr, O_CLOEXEC))
		abort();
}

static void setup_server(void)
{
	static const uid_t uids[] = { ALLOWED_UID };

	listener = kipc_rpc_svc_create(SVC, 0);
	if (!listener || !svc_reg(listener, PROG, VERS, fz_dispatch, NULL))
		abort();
	if (kipc_rpc_svc_allow(listener, uids, 1, NULL, 0))
		abort();
	svc_send_fd = kipc_chan_open(SVC, O_WRONLY, 0, NULL);
	if (svc_send_fd < 0)
		abort();
}

/*
 * The client's side of a handshake, step by step: two channel pairs, a
 * HELLO carrying the call channel's receive end and the reply channel's
 * send end, our copies of those closed, the ACK taken off the reply
 * channel.
 */
static void conn_up(void)
{
	static bool before[4096];
	unsigned char msg[KRPC_HDR_LEN];
	uint64_t nonce = ++conn.gen;
	int call[2], reply[2], pass[KRPC_HELLO_NFDS], fds[4];
	struct krpc_hdr h;

	make_pairs(call, reply);
	pass[KRPC_HELLO_CALL] = call[0];
	pass[KRPC_HELLO_REPLY] = reply[1];
	snapshot(before);
	if (kipc_send_handles(svc_send_fd, msg, put_msg(msg, KRPC_HELLO, nonce), pass,
			      KRPC_HELLO_NFDS, KIPC_NONBLOCK) != KRPC_HDR_LEN)
		abort();
	fake_close(call[0]);
	fake_close(reply[1]);
	svc_getreq_common(listener->xp_fd);
	if (new_polled(before, fds, 4) != 1)
		abort();
	conn.srv_fd = fds[0];
	conn.call_send = call[1];
	conn.reply_recv = reply[0];
	if (kipc_recv(conn.reply_recv, msg, sizeof(msg), NULL, KIPC_NONBLOCK) != KRPC_HDR_LEN ||
	    krpc_hdr_get(msg, KRPC_HDR_LEN, &h) || h.type != KRPC_ACK || h.nonce != nonce ||
	    h.arg)
		abort();
	conn.up = true;
}

static void fuzz_service_message(const uint8_t *data, size_t size)
{
	static bool before[4096];
	int call[2], reply[2], pass[3], other = -1, fds[8], n, i;
	unsigned int npass;
	uint8_t ctl;

	if (!size)
		return;
	ctl = data[0];
	data++;
	size--;
	make_pairs(call, reply);
	/* The handles that ride with the message. */
	switch (ctl % 8) {
	case 0:		/* none */
		npass = 0;
		break;
	case 1:		/* right: the call receive end, the reply send end */
		pass[0] = call[0];
		pass[1] = reply[1];
		npass = 2;
		break;
	case 2:		/* reversed */
		pass[0] = reply[1];
		pass[1] = call[0];
		npass = 2;
		break;
	case 3:		/* both ends of one channel */
		pass[0] = call[0];
		pass[1] = call[1];
		npass = 2;
		break;
	case 4:		/* not a kipc fd, with the right access mode */
		other = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (other < 0)
			abort();
		pass[0] = other;
		pass[1] = reply[1];
		npass = 2;
		break;
	case 5:		/* three */
		pass[0] = call[0];
		pass[1] = reply[1];
		pass[2] = call[1];
		npass = 3;
		break;
	case 6:		/* one */
		pass[0] = call[0];
		npass = 1;
		break;
	default:	/* a named channel's receive end */
		pass[0] = cli.svc_recv;
		pass[1] = reply[1];
		npass = 2;
		break;
	}
	snapshot(before);
	if (size <= KRPC_HDR_LEN + KIPC_NAME_MAX) {	/* the kernel refuses longer */
		if (npass)
			kipc_send_handles(svc_send_fd, data, size, pass, npass, KIPC_NONBLOCK);
		else
			fake_queue(svc_send_fd, data, size, 0, ALLOWED_UID);
	}
	/* The handles in flight are the server's now (or the message's). */
	fake_close(call[0]);
	fake_close(reply[1]);
	if (other >= 0)
		fake_close(other);
	svc_getreq_common(listener->xp_fd);
	/*
	 * A connection it made: the client goes away (its call channel loses
	 * its last sender) and the connection dies.
	 */
	fake_close(call[1]);
	fake_close(reply[0]);
	n = new_polled(before, fds, 8);
	for (i = 0; i < n; i++)
		svc_getreq_common(fds[i]);
	if (new_polled(before, fds, 8))
		abort();	/* a connection outlived its client */
	fake_drain(svc_send_fd);
}

static void fuzz_call_records(const uint8_t *data, size_t size)
{
	if (!conn.up || !polled(conn.srv_fd)) {
		if (conn.up) {
			/* The server dropped it (a broken record): start over. */
			fake_close(conn.call_send);
			fake_close(conn.reply_recv);
			conn.up = false;
		}
		conn_up();
	}
	while (size >= 3) {
		uint8_t ctl = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		/* bit 2: a long record, 256 times the length (by reference) */
		if ((ctl & 4) && len * 256 <= size)
			len *= 256;
		fake_queue(conn.call_send, data, len, (ctl & 2) ? KIPC_MSG_REF : 0,
			   (ctl & 1) ? REFUSED_UID : ALLOWED_UID);
		data += len;
		size -= len;
		svc_getreq_common(conn.srv_fd);
		fake_drain(conn.reply_recv);
		if (!polled(conn.srv_fd))
			break;
	}
}

/* ---- client side: the reply is the fuzz input ---- */

static void cli_close_ends(void)
{
	if (cli.srv_call_recv >= 0)
		fake_close(cli.srv_call_recv);
	if (cli.srv_reply_send >= 0)
		fake_close(cli.srv_reply_send);
	cli.srv_call_recv = cli.srv_reply_send = -1;
}

/*
 * Play the server: take a HELLO and its two handles off the service
 * channel, keep the call channel's receive end and the reply channel's
 * send end, answer ACK on the reply channel; answer a call with the fuzz
 * reply.
 */
static void cli_responder(int ch)
{
	static unsigned char msg[1 << 16];
	int hfds[KRPC_HELLO_NFDS];
	unsigned int nfds = KRPC_HELLO_NFDS, i;
	struct kipc_chan_stat st;
	struct kipc_msg_info info;
	struct krpc_hdr h;
	unsigned char *rep;
	ssize_t n;

	(void)ch;
	n = kipc_recv_handles(cli.svc_recv, msg, KRPC_HDR_LEN + KIPC_NAME_MAX, hfds, &nfds,
			      &info, KIPC_NONBLOCK);
	if (n == -EMSGSIZE)
		n = kipc_recv(cli.svc_recv, NULL, 0, NULL, KIPC_NONBLOCK | KIPC_DISCARD);
	if (n >= 0) {
		if (n == KRPC_HDR_LEN && !krpc_hdr_get(msg, (size_t)n, &h) &&
		    h.type == KRPC_HELLO && nfds == KRPC_HELLO_NFDS) {
			cli_close_ends();	/* a reconnect */
			cli.srv_call_recv = hfds[KRPC_HELLO_CALL];
			cli.srv_reply_send = hfds[KRPC_HELLO_REPLY];
			kipc_send(cli.srv_reply_send, msg, put_msg(msg, KRPC_ACK, h.nonce),
				  KIPC_NONBLOCK);
			return;
		}
		for (i = 0; i < nfds; i++)
			fake_close(hfds[i]);
	}
	if (cli.srv_call_recv < 0)
		return;
	n = kipc_recv(cli.srv_call_recv, msg, sizeof(msg), &info, KIPC_NONBLOCK);
	if (n < 4 || !cli.reply)
		return;
	rep = malloc(cli.reply_len + 4);
	if (!rep)
		return;
	memcpy(rep, msg, 4);	/* the call's xid */
	memcpy(rep + 4, cli.reply, cli.reply_len);
	kipc_chan_stat(cli.srv_reply_send, &st);
	/* Inline up to the client's inline limit, as the real server does. */
	fake_queue(cli.srv_reply_send, rep, cli.reply_len + 4,
		   cli.reply_len + 4 > krpc_min(st.max_msg_size, KIPC_RPC_INLINE_MAX) ?
		   KIPC_MSG_REF : 0, ALLOWED_UID);
	free(rep);
	cli.reply = NULL;
}

static void fuzz_reply(const uint8_t *data, size_t size)
{
	static const struct timeval tv = { 1, 0 };
	int args[2] = { 1, 2 }, ires = 0;
	struct blob bres = { 0 };
	char *sres = NULL;
	CLIENT *cl;

	if (!size)
		return;
	fake_set_responder(cli_responder);
	cl = kipc_rpc_clnt_create(CSVC, PROG, VERS);
	if (!cl)
		abort();
	cli.reply = data + 1;
	cli.reply_len = size - 1;
	switch (data[0] % 3) {
	case 0:
		clnt_call(cl, 1, (xdrproc_t)xdr_pair, args, (xdrproc_t)xdr_int, &ires, tv);
		break;
	case 1:
		clnt_call(cl, 2, (xdrproc_t)xdr_pair, args, (xdrproc_t)xdr_blob, &bres, tv);
		clnt_freeres(cl, (xdrproc_t)xdr_blob, &bres);
		break;
	default:
		clnt_call(cl, 3, (xdrproc_t)xdr_pair, args, (xdrproc_t)xdr_str, &sres, tv);
		clnt_freeres(cl, (xdrproc_t)xdr_str, &sres);
		break;
	}
	clnt_destroy(cl);
	fake_set_responder(NULL);
	cli_close_ends();
	fake_drain(cli.svc_recv);
	cli.reply = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;

	if (!inited) {
		setup_server();
		cli.svc_recv = kipc_chan_open(CSVC, O_RDONLY | O_CREAT, 0622, NULL);
		if (cli.svc_recv < 0)
			abort();
		inited = true;
	}
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_service_message(data + 1, size - 1);
		break;
	case 1:
		fuzz_call_records(data + 1, size - 1);
		break;
	default:
		fuzz_reply(data + 1, size - 1);
		break;
	}
	return 0;
}
