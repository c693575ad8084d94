// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: the client side, a TI-RPC CLIENT whose clnt_ops carry each
 * call record in one kipc message and take the reply from a private
 * reply channel. See kipc_rpc.h for the connection scheme.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "krpc_private.h"

#define KRPC_CONNECT_TIMEOUT_MS	10000
#define KRPC_DEFAULT_TIMEOUT_S	25

struct krpc_clnt {
	CLIENT cl;
	pthread_mutex_t lock;
	char *service;
	rpcprog_t prog;
	rpcvers_t vers;
	size_t inline_max;	/* asked for; the channels' real limit may be lower */
	int64_t connect_timeout_ns;

	/* The connection; both -1 when there is none (reconnect on next call). */
	int call_fd;
	int reply_fd;
	size_t call_inline;	/* @inline_max, or the call channel's max_msg_size if lower */
	size_t reply_cap;	/* @inline_max = size of @buf */
	struct kipc_cred server;

	uint32_t xid;		/* xid of the last call */
	bool timeout_set;
	struct timeval timeout;
	struct rpc_err err;
	struct kipc_rpc_clnt_stats stats;

	unsigned char *buf;	/* encode small calls, receive small replies */
	struct krpc_out out;	/* our region for large calls */
	struct kipc_ref_cache in;	/* mapping of the server's region for large replies */
};

static struct krpc_clnt *krpc_clnt_of(CLIENT *cl)
{
	return cl->cl_private;
}

static void krpc_clnt_disconnect(struct krpc_clnt *c)
{
	if (c->call_fd >= 0)
		close(c->call_fd);
	if (c->reply_fd >= 0)
		close(c->reply_fd);
	c->call_fd = -1;
	c->reply_fd = -1;
	/*
	 * The server may still read our last call region or write into its
	 * reply region: start both afresh on the next connection.
	 */
	krpc_out_release(&c->out);
	kipc_ref_cache_fini(&c->in);
}

static void krpc_set_err(struct rpc_err *err, enum clnt_stat st, int errnum)
{
	memset(err, 0, sizeof(*err));
	err->re_status = st;
	err->re_errno = errnum;
}

/*
 * One connection channel of our own, anonymous: @fds[0] receives,
 * @fds[1] sends. Its max_msg_size bounds the records sent by reference
 * too (the kernel holds references to it), so ask for
 * KIPC_RPC_RECORD_MAX, then for the module's default limit, then for
 * the inline size, then for the module's default size, until the module
 * takes one. 0 or -errno.
 */
static int krpc_pair_create(int fds[2], size_t inline_max)
{
	const uint32_t sizes[] = { KIPC_RPC_RECORD_MAX, KRPC_MODULE_MSG_MAX,
				   (uint32_t)inline_max, 0 };
	struct kipc_chan_attr attr = { .max_msgs = KRPC_CONN_DEPTH };
	int ret = -EINVAL;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && ret == -EINVAL; i++) {
		attr.max_msg_size = sizes[i];
		ret = kipc_chan_pair(fds, &attr, O_CLOEXEC);
	}
	return ret;
}

static void krpc_close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = -1;
	fds[1] = -1;
}

/* Slices of the wait for ACK, to notice a server gone before taking HELLO. */
#define KRPC_ACK_SLICE_NS	50000000

/*
 * Wait for the server's ACK on the reply channel until @deadline: EPIPE
 * once the server dropped its ends (it died after taking the HELLO, or
 * refused it), ECONNREFUSED when nobody receives on the service channel
 * any more (it died before), ETIMEDOUT. The length, or -errno.
 */
static int krpc_wait_ack(struct krpc_clnt *c, int svc_fd, struct kipc_msg_info *info,
			 int64_t deadline)
{
	struct kipc_chan_stat st;
	int64_t left;
	ssize_t n;

	for (;;) {
		left = deadline - krpc_now_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		n = kipc_recv_timed(c->reply_fd, c->buf, c->reply_cap, info, 0,
				    left < KRPC_ACK_SLICE_NS ? left : KRPC_ACK_SLICE_NS);
		if (n >= 0)
			return (int)n;
		if (n != -ETIMEDOUT && n != -EINTR)
			return (int)n;
		if (!kipc_chan_stat(svc_fd, &st) && !st.nr_receivers)
			return -ECONNREFUSED;
	}
}

/*
 * Send the HELLO with its two handles; kipc has no timed send of
 * handles, so wait for room with poll() until @deadline. 0 or -errno.
 */
static int krpc_send_hello(int svc_fd, const void *msg, size_t len, const int pass[2],
			   int64_t deadline)
{
	struct pollfd pfd = { .fd = svc_fd, .events = POLLOUT };
	int64_t left;
	ssize_t n;

	for (;;) {
		n = kipc_send_handles(svc_fd, msg, len, pass, 2, KIPC_NONBLOCK);
		if (n >= 0)
			return 0;
		if (n != -EAGAIN && n != -EINTR)
			return (int)n;
		left = deadline - krpc_now_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		if (left > KRPC_ACK_SLICE_NS)
			left = KRPC_ACK_SLICE_NS;
		if (poll(&pfd, 1, (int)(left / 1000000) + 1) < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * The handshake: make two anonymous channel pairs, calls (we keep the
 * send end) and replies (we keep the receive end); send HELLO on the
 * service channel carrying the call channel's receive end and the reply
 * channel's send end; close our copies of those; wait for ACK on the
 * reply channel. No name is ever made, so whoever dies at any point
 * leaves nothing behind: the kernel closes the dead side's ends. Fills
 * @err.
 */
static int krpc_clnt_connect(struct krpc_clnt *c, struct rpc_err *err)
{
	int64_t deadline = krpc_now_ns() + c->connect_timeout_ns;
	int call[2] = { -1, -1 }, reply[2] = { -1, -1 };
	enum clnt_stat fail = RPC_SYSTEMERROR;
	unsigned char msg[KRPC_HDR_LEN];
	struct kipc_msg_info info;
	struct kipc_chan_stat st;
	struct krpc_hdr h;
	uint64_t nonce;
	int svc_fd, ret;
	int pass[2];

	svc_fd = kipc_chan_open(c->service, O_WRONLY | O_CLOEXEC, 0, NULL);
	if (svc_fd < 0) {
		ret = svc_fd;
		if (ret == -ENOENT)
			fail = RPC_PROGNOTREGISTERED;
		goto out_err;
	}
	ret = kipc_chan_stat(svc_fd, &st);
	if (ret < 0)
		goto out_err;
	if (!st.nr_receivers) {
		/* A name left by a dead server: nobody would answer. */
		ret = -ECONNREFUSED;
		goto out_err;
	}
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce)) {
		ret = -errno;
		goto out_err;
	}
	ret = krpc_pair_create(call, c->inline_max);
	if (!ret)
		ret = krpc_pair_create(reply, c->inline_max);
	if (ret < 0)
		goto out_err;
	ret = kipc_chan_stat(call[1], &st);
	if (ret < 0)
		goto out_err;
	/*
	 * The channels' max_msg_size bounds records by reference too; the
	 * inline limit is the one we asked for (the server uses the same),
	 * lower only if the channel's is.
	 */
	c->call_inline = st.max_msg_size < c->inline_max ? st.max_msg_size : c->inline_max;

	h = (struct krpc_hdr){
		.type = KRPC_HELLO,
		.nonce = nonce,
		.size = (uint32_t)c->inline_max,
	};
	krpc_hdr_put(msg, &h);
	pass[KRPC_HELLO_CALL] = call[0];
	pass[KRPC_HELLO_REPLY] = reply[1];
	ret = krpc_send_hello(svc_fd, msg, sizeof(msg), pass, deadline);
	if (ret < 0)
		goto out_err;
	/* The server's ends are in the HELLO now, or with the server. */
	close(call[0]);
	close(reply[1]);
	c->call_fd = call[1];
	c->reply_fd = reply[0];
	call[0] = call[1] = reply[0] = reply[1] = -1;

	ret = krpc_wait_ack(c, svc_fd, &info, deadline);
	if (ret < 0)
		goto out_err;
	if (krpc_hdr_get(c->buf, (size_t)ret, &h) || h.type != KRPC_ACK || h.nonce != nonce) {
		ret = -EPROTO;
		goto out_err;
	}
	if (h.arg) {
		ret = -(int)h.arg;
		goto out_err;
	}
	c->server = (struct kipc_cred){ .pid = info.pid, .uid = info.uid, .gid = info.gid };
	close(svc_fd);
	c->stats.connects++;
	return 0;

out_err:
	if (ret == -ETIMEDOUT)
		fail = RPC_TIMEDOUT;
	else if (ret == -ECONNREFUSED)
		fail = RPC_PROGNOTREGISTERED;
	if (svc_fd >= 0)
		close(svc_fd);
	krpc_close_pair(call);
	krpc_close_pair(reply);
	krpc_clnt_disconnect(c);
	krpc_set_err(err, fail, -ret);
	return ret;
}

static int64_t krpc_timeval_ns(struct timeval tv)
{
	int64_t sec = tv.tv_sec;	/* time_t may be 32 bits (-m32) */

	if (sec < 0 || tv.tv_usec < 0)
		return 0;
	if (sec > INT64_MAX / 1000000000 - 1)
		return INT64_MAX;
	return sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/*
 * Encode the call into @buf, or, when it does not fit, into our region
 * grown to the size xdr_sizeof() measures. Returns the record or NULL.
 */
static const void *krpc_encode_call(struct krpc_clnt *c, rpcproc_t proc, xdrproc_t xargs,
				    void *argsp, size_t *len)
{
	struct rpc_msg msg = {
		.rm_xid = c->xid,
		.rm_direction = CALL,
		.rm_call = {
			.cb_rpcvers = RPC_MSG_VERSION,
			.cb_prog = c->prog,
			.cb_vers = c->vers,
		},
	};
	unsigned char *base = c->out.base ? c->out.base : c->buf;
	size_t size = c->out.base ? c->out.size : c->reply_cap;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		uint32_t p = (uint32_t)proc;
		XDR xdrs;
		bool ok;

		xdrmem_create(&xdrs, (char *)base, (u_int)size, XDR_ENCODE);
		ok = xdr_callhdr(&xdrs, &msg) && xdr_u_int32_t(&xdrs, &p) &&
		     AUTH_MARSHALL(c->cl.cl_auth, &xdrs) &&
		     AUTH_WRAP(c->cl.cl_auth, &xdrs, xargs, argsp);
		if (ok) {
			*len = XDR_GETPOS(&xdrs);
			XDR_DESTROY(&xdrs);
			return base;
		}
		XDR_DESTROY(&xdrs);
		if (attempt)
			break;
		/* Header and credentials are bounded by 2 * MAX_AUTH_BYTES + 64. */
		unsigned long need = xdr_sizeof(xargs, argsp);

		if (!need || krpc_out_reserve(&c->out, need + 2 * MAX_AUTH_BYTES + 64))
			break;
		base = c->out.base;
		size = c->out.size;
	}
	return NULL;
}

/* Decode a reply record for xid @xid; fills c->err. */
static void krpc_decode_reply(struct krpc_clnt *c, const void *rec, size_t len,
			      xdrproc_t xresults, void *resultsp)
{
	struct rpc_msg reply;
	XDR xdrs;

	memset(&reply, 0, sizeof(reply));
	reply.acpted_rply.ar_verf = _null_auth;
	reply.acpted_rply.ar_results.where = NULL;
	reply.acpted_rply.ar_results.proc = KRPC_XDR_VOID;
	xdrmem_create(&xdrs, (char *)rec, (u_int)len, XDR_DECODE);
	if (!xdr_replymsg(&xdrs, &reply)) {
		krpc_set_err(&c->err, RPC_CANTDECODERES, 0);
	} else {
		_seterr_reply(&reply, &c->err);
		if (c->err.re_status == RPC_SUCCESS) {
			if (!AUTH_VALIDATE(c->cl.cl_auth, &reply.acpted_rply.ar_verf)) {
				krpc_set_err(&c->err, RPC_AUTHERROR, 0);
				c->err.re_why = AUTH_INVALIDRESP;
			} else if (!AUTH_UNWRAP(c->cl.cl_auth, &xdrs, xresults, resultsp)) {
				krpc_set_err(&c->err, RPC_CANTDECODERES, 0);
			}
		}
	}
	/*
	 * The verifier body is allocated once rp_stat said MSG_ACCEPTED, even
	 * if decoding failed after it (a rejected reply overlays the union).
	 */
	if (reply.rm_reply.rp_stat == MSG_ACCEPTED && reply.acpted_rply.ar_verf.oa_base) {
		XDR fx = { .x_op = XDR_FREE };

		xdr_opaque_auth(&fx, &reply.acpted_rply.ar_verf);
	}
	XDR_DESTROY(&xdrs);
}

static enum clnt_stat krpc_clnt_call(CLIENT *cl, rpcproc_t proc, xdrproc_t xargs, void *argsp,
				     xdrproc_t xresults, void *resultsp, struct timeval tout)
{
	struct krpc_clnt *c = krpc_clnt_of(cl);
	struct kipc_msg_info info;
	int64_t timeout_ns, deadline;
	const void *rec;
	size_t len;
	bool by_ref;
	int ret;

	pthread_mutex_lock(&c->lock);
	c->stats.calls++;
	c->xid++;
	timeout_ns = krpc_timeval_ns(c->timeout_set ? c->timeout : tout);
	deadline = timeout_ns > INT64_MAX - krpc_now_ns() ? INT64_MAX : krpc_now_ns() + timeout_ns;

	if (c->call_fd < 0 && krpc_clnt_connect(c, &c->err) < 0)
		goto out;

	rec = krpc_encode_call(c, proc, xargs, argsp, &len);
	if (!rec) {
		krpc_set_err(&c->err, RPC_CANTENCODEARGS, 0);
		goto out;
	}
	ret = krpc_send_record(c->call_fd, &c->out, rec, len, c->call_inline, 0,
			       timeout_ns ? timeout_ns : 1, &by_ref);
	if (ret < 0) {
		krpc_set_err(&c->err, ret == -ETIMEDOUT ? RPC_TIMEDOUT : RPC_CANTSEND, -ret);
		krpc_clnt_disconnect(c);
		goto out;
	}
	if (by_ref)
		c->stats.refs_sent++;
	if (!timeout_ns) {
		/* One-way: do not wait (TI-RPC's convention for a zero timeout). */
		krpc_set_err(&c->err, RPC_TIMEDOUT, 0);
		goto out;
	}

	for (;;) {
		int64_t left = deadline - krpc_now_ns();

		ret = krpc_recv_record(c->reply_fd, c->buf, c->reply_cap, &c->in, &info, 0,
				       left > 0 ? left : 0, &rec, &len, &by_ref);
		if (ret == -EINTR)
			continue;
		if (ret < 0) {
			krpc_set_err(&c->err, ret == -ETIMEDOUT ? RPC_TIMEDOUT : RPC_CANTRECV,
				     -ret);
			/*
			 * Server gone (EPIPE), or a reply that may still come
			 * (timeout): either way this connection is done; the
			 * next call makes a new one.
			 */
			krpc_clnt_disconnect(c);
			goto out;
		}
		if (len >= 4) {
			uint32_t xid;

			memcpy(&xid, rec, 4);
			/* Only the server sends here and it answers in order. */
			if (ntohl(xid) != c->xid)
				continue;
		}
		if (by_ref)
			c->stats.refs_received++;
		krpc_decode_reply(c, rec, len, xresults, resultsp);
		break;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return c->err.re_status;
}

static void krpc_clnt_abort(CLIENT *cl)
{
	(void)cl;
}

static void krpc_clnt_geterr(CLIENT *cl, struct rpc_err *err)
{
	*err = krpc_clnt_of(cl)->err;
}

static bool_t krpc_clnt_freeres(CLIENT *cl, xdrproc_t xres, void *resp)
{
	XDR xdrs = { .x_op = XDR_FREE };

	(void)cl;
	return (*xres)(&xdrs, resp);
}

static void krpc_clnt_free(struct krpc_clnt *c)
{
	krpc_clnt_disconnect(c);
	if (c->cl.cl_auth) {
		AUTH_DESTROY(c->cl.cl_auth);
	}
	pthread_mutex_destroy(&c->lock);
	free(c->service);
	free(c->buf);
	free(c);
}

static void krpc_clnt_destroy(CLIENT *cl)
{
	/* Closing our ends is the goodbye: the server sees EPIPE. */
	krpc_clnt_free(krpc_clnt_of(cl));
}

static bool_t krpc_clnt_control(CLIENT *cl, u_int rq, void *info)
{
	struct krpc_clnt *c = krpc_clnt_of(cl);
	bool_t ok = TRUE;

	if (!info && rq != CLSET_FD_CLOSE && rq != CLSET_FD_NCLOSE)
		return FALSE;
	pthread_mutex_lock(&c->lock);
	switch (rq) {
	case CLSET_FD_CLOSE:
	case CLSET_FD_NCLOSE:
		break;
	case CLSET_TIMEOUT: {
		const struct timeval *tv = info;

		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
			ok = FALSE;
			break;
		}
		c->timeout = *tv;
		c->timeout_set = true;
		break;
	}
	case CLGET_TIMEOUT:
		*(struct timeval *)info = c->timeout;
		break;
	case CLGET_FD:
		*(int *)info = c->reply_fd;
		break;
	case CLGET_XID:
		*(uint32_t *)info = c->xid;
		break;
	case CLSET_XID:
		/* The next call uses this xid. */
		c->xid = *(const uint32_t *)info - 1;
		break;
	case CLGET_VERS:
		*(uint32_t *)info = (uint32_t)c->vers;
		break;
	case CLSET_VERS:
		c->vers = *(const uint32_t *)info;
		break;
	case CLGET_PROG:
		*(uint32_t *)info = (uint32_t)c->prog;
		break;
	case CLSET_PROG:
		c->prog = *(const uint32_t *)info;
		break;
	case KIPC_RPC_CLGET_SERVER:
		*(struct kipc_cred *)info = c->server;
		break;
	case KIPC_RPC_CLGET_CALL_FD:
		*(int *)info = c->call_fd;
		break;
	case KIPC_RPC_CLGET_STATS:
		*(struct kipc_rpc_clnt_stats *)info = c->stats;
		break;
	default:
		ok = FALSE;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

static struct clnt_ops krpc_clnt_ops = {
	.cl_call = krpc_clnt_call,
	.cl_abort = krpc_clnt_abort,
	.cl_geterr = krpc_clnt_geterr,
	.cl_freeres = krpc_clnt_freeres,
	.cl_destroy = krpc_clnt_destroy,
	.cl_control = krpc_clnt_control,
};

CLIENT *kipc_rpc_clnt_create_attr(const char *service, rpcprog_t prog, rpcvers_t vers,
				  const struct kipc_rpc_clnt_attr *attr)
{
	struct krpc_clnt *c;
	struct rpc_err err;

	if (!service || (attr && attr->inline_max &&
			 (attr->inline_max < KRPC_INLINE_MIN ||
			  attr->inline_max > KIPC_RPC_INLINE_LIMIT))) {
		rpc_createerr.cf_stat = RPC_SYSTEMERROR;
		rpc_createerr.cf_error.re_errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out_nomem;
	c->call_fd = -1;
	c->reply_fd = -1;
	c->out = (struct krpc_out)KRPC_OUT_INIT;
	c->in = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	c->prog = prog;
	c->vers = vers;
	c->inline_max = attr && attr->inline_max ? attr->inline_max : KIPC_RPC_INLINE_MAX;
	c->connect_timeout_ns = (int64_t)(attr && attr->connect_timeout_ms ?
					  attr->connect_timeout_ms : KRPC_CONNECT_TIMEOUT_MS) * 1000000;
	c->timeout.tv_sec = KRPC_DEFAULT_TIMEOUT_S;
	pthread_mutex_init(&c->lock, NULL);
	c->service = strdup(service);
	c->reply_cap = c->inline_max;
	c->buf = malloc(c->reply_cap);
	if (!c->service || !c->buf) {
		free(c->service);
		free(c->buf);
		pthread_mutex_destroy(&c->lock);
		free(c);
		goto out_nomem;
	}
	/* Random start, as TI-RPC does: xids of different handles rarely meet. */
	if (getrandom(&c->xid, sizeof(c->xid), 0) != sizeof(c->xid))
		c->xid = (uint32_t)getpid() ^ (uint32_t)krpc_now_ns();

	c->cl.cl_ops = &krpc_clnt_ops;
	c->cl.cl_private = c;
	c->cl.cl_netid = (char *)KIPC_RPC_NETID;
	c->cl.cl_tp = NULL;
	c->cl.cl_auth = authnone_create();
	if (!c->cl.cl_auth) {
		krpc_clnt_free(c);
		goto out_nomem;
	}
	if (krpc_clnt_connect(c, &err) < 0) {
		krpc_clnt_free(c);
		rpc_createerr.cf_stat = err.re_status;
		rpc_createerr.cf_error = err;
		return NULL;
	}
	return &c->cl;

out_nomem:
	rpc_createerr.cf_stat = RPC_SYSTEMERROR;
	rpc_createerr.cf_error.re_errno = ENOMEM;
	return NULL;
}

CLIENT *kipc_rpc_clnt_create(const char *service, rpcprog_t prog, rpcvers_t vers)
{
	return kipc_rpc_clnt_create_attr(service, prog, vers, NULL);
}
