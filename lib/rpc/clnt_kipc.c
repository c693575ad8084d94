// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: the client side, a TI-RPC CLIENT whose clnt_ops carry each
 * call record in one kipc message and take the reply from a private
 * reply channel. See kipc_rpc.h for the connection scheme.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
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

/* Between tries to open a channel the server has not created yet. */
#define KRPC_OPEN_PAUSE_MIN_NS	20000
#define KRPC_OPEN_PAUSE_MAX_NS	1000000

/*
 * Open the server's channel @base@suffix once it exists: the server
 * creates it when it takes our HELLO off the service channel, and kipc
 * has nothing to wait on for a name, so try again after a short pause.
 * Gives up at @deadline, or at once when nobody receives on the service
 * channel any more (the server died).
 */
static int krpc_open_server_chan(const char *base, const char *suffix, int oflag,
				 int svc_fd, int64_t deadline)
{
	char name[KIPC_NAME_MAX + KRPC_SUFFIX_LEN + 1];
	int64_t pause = KRPC_OPEN_PAUSE_MIN_NS, left;
	struct kipc_chan_stat st;
	struct timespec ts;
	int fd;

	snprintf(name, sizeof(name), "%s%s", base, suffix);
	for (;;) {
		fd = kipc_chan_open(name, oflag | O_CLOEXEC, 0, NULL);
		if (fd != -ENOENT)
			return fd;
		left = deadline - krpc_now_ns();
		if (left <= 0)
			return -ETIMEDOUT;
		if (!kipc_chan_stat(svc_fd, &st) && !st.nr_receivers)
			return -ECONNREFUSED;
		if (pause > left)
			pause = left;
		ts.tv_sec = (time_t)(pause / 1000000000);
		ts.tv_nsec = (long)(pause % 1000000000);
		nanosleep(&ts, NULL);
		if (pause < KRPC_OPEN_PAUSE_MAX_NS)
			pause *= 2;
	}
}

/* Nanoseconds left until @deadline, at least 1 (0 would mean "no wait"). */
static int64_t krpc_left_ns(int64_t deadline)
{
	int64_t left = deadline - krpc_now_ns();

	return left > 0 ? left : 1;
}

/*
 * After the ACK: the server unlinked both names before answering, so
 * nobody can open them any more. Check that the channels belong to the
 * process that answered and that it is our only peer: somebody who
 * guessed a name while it was linked would show up in the counts.
 */
static int krpc_check_peer(struct krpc_clnt *c, const struct kipc_msg_info *ack)
{
	struct kipc_chan_stat cst, rst;
	int ret;

	ret = kipc_chan_stat(c->call_fd, &cst);
	if (!ret)
		ret = kipc_chan_stat(c->reply_fd, &rst);
	if (ret)
		return ret;
	if ((cst.state | rst.state) & KIPC_CHAN_NAMED)
		return -EPROTO;
	if (cst.uid != ack->uid || rst.uid != ack->uid ||
	    cst.nr_receivers != 1 || rst.nr_senders != 1)
		return -EACCES;
	return 0;
}

/*
 * The handshake: HELLO with an unguessable base name on the service
 * channel; the server creates "<base>.c" (calls) and "<base>.r" (replies)
 * and holds its ends; we open ours, say READY on the call channel; the
 * server unlinks both names and answers ACK. Every name is the server's,
 * so a client killed at any point leaves none behind. Fills @err.
 */
static int krpc_clnt_connect(struct krpc_clnt *c, struct rpc_err *err)
{
	unsigned char msg[KRPC_HDR_LEN + KIPC_NAME_MAX];
	int64_t deadline = krpc_now_ns() + c->connect_timeout_ns;
	enum clnt_stat fail = RPC_SYSTEMERROR;
	struct kipc_msg_info info;
	struct kipc_chan_stat st;
	char base[KIPC_NAME_MAX];
	int svc_fd, ret, baselen;
	struct krpc_hdr h;
	uint64_t nonce;

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
	baselen = snprintf(base, sizeof(base), "%s.%d.%016" PRIx64, c->service,
			   (int)getpid(), nonce);
	if (baselen < 0 || (size_t)baselen + KRPC_SUFFIX_LEN >= sizeof(base)) {
		ret = -ENAMETOOLONG;
		goto out_err;
	}

	h = (struct krpc_hdr){
		.type = KRPC_HELLO,
		.arg = (uint16_t)baselen,
		.nonce = nonce,
		.size = (uint32_t)c->inline_max,
		.wait_ms = (uint32_t)(c->connect_timeout_ns / 1000000),
	};
	krpc_hdr_put(msg, &h);
	memcpy(msg + KRPC_HDR_LEN, base, (size_t)baselen);
	ret = (int)kipc_send_timed(svc_fd, msg, KRPC_HDR_LEN + (size_t)baselen, 0,
				   krpc_left_ns(deadline));
	if (ret < 0)
		goto out_err;

	/* The server creates the call channel first: once ".r" exists, both do. */
	ret = krpc_open_server_chan(base, KRPC_REPLY_SUFFIX, O_RDONLY, svc_fd, deadline);
	if (ret < 0)
		goto out_err;
	c->reply_fd = ret;
	ret = krpc_open_server_chan(base, KRPC_CALL_SUFFIX, O_WRONLY, svc_fd, deadline);
	if (ret < 0)
		goto out_err;
	c->call_fd = ret;
	ret = kipc_chan_stat(c->call_fd, &st);
	if (ret < 0)
		goto out_err;
	/*
	 * The channels' max_msg_size bounds records by reference too; the
	 * inline limit is the one we asked for (the server uses the same),
	 * lower only if the channel's is.
	 */
	c->call_inline = st.max_msg_size < c->inline_max ? st.max_msg_size : c->inline_max;

	h = (struct krpc_hdr){ .type = KRPC_READY, .nonce = nonce };
	krpc_hdr_put(msg, &h);
	ret = (int)kipc_send_timed(c->call_fd, msg, KRPC_HDR_LEN, 0, krpc_left_ns(deadline));
	if (ret < 0)
		goto out_err;
	ret = (int)kipc_recv_timed(c->reply_fd, c->buf, c->reply_cap, &info, 0,
				   krpc_left_ns(deadline));
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
	ret = krpc_check_peer(c, &info);
	if (ret < 0)
		goto out_err;
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
