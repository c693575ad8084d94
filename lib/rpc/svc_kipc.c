// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: the server side. Three kinds of TI-RPC SVCXPRT with their
 * own xp_ops, all registered with xprt_register() so svc_run() polls them
 * beside TCP and UDP:
 *
 *   listener    xp_fd = the named service channel. Its xp_recv only takes
 *               HELLO messages, each carrying the receive end of the
 *               client's call channel and the send end of its reply
 *               channel: it makes a connection transport of them and
 *               answers ACK. It never returns an RPC call, so TI-RPC
 *               never dispatches on it.
 *   connection  xp_fd = one client's call channel; replies go to that
 *               client's reply channel. Neither has a name. Like a TCP
 *               connection: XPRT_DIED when the client is gone, and TI-RPC
 *               destroys it.
 *
 * See kipc_rpc.h for the scheme and svc_private.h for lifetimes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svc_private.h"

#define KRPC_SVC_DEFAULT_MODE	0622
#define KRPC_SVC_FLAGS		(0777u | KIPC_RPC_SVC_EXCL | KIPC_RPC_SVC_NODRC | \
				 KIPC_RPC_SVC_LAX_ARGS)
/*
 * The service channel's max_msg_size: every HELLO fits (and a service
 * channel made by an older version of the library has the same).
 */
#define KRPC_HELLO_MAX		(KRPC_HDR_LEN + KIPC_NAME_MAX)
/* Room for a reply header around the results: verifier and slack. */
#define KRPC_REPLY_SLACK	(MAX_AUTH_BYTES + 64)
static const struct xp_ops krpc_listen_ops;
static const struct xp_ops krpc_conn_ops;
static const struct xp_ops2 krpc_ops2;

struct krpc_xprt *krpc_xprt_of(const SVCXPRT *xprt)
{
	if (xprt->xp_ops != &krpc_listen_ops && xprt->xp_ops != &krpc_conn_ops)
		return NULL;
	return xprt->xp_p1;
}

static void krpc_svc_put(struct krpc_svc *svc)
{
	if (--svc->refs)
		return;
	krpc_drc_free(svc->drc);
	krpc_svc_policy_free(svc);
	free(svc->rbuf);
	free(svc->sbuf);
	free(svc->name);
	free(svc);
}

/* Grow a shared buffer to @need bytes: 0 or -ENOMEM. */
static int krpc_buf_reserve(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *n;

	if (need <= *cap)
		return 0;
	n = realloc(*buf, need);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = need;
	return 0;
}

/* xprt_register() gives no result: look for the fd in TI-RPC's poll set. */
static bool krpc_xprt_register(struct krpc_xprt *x)
{
	int i;

	xprt_register(&x->xprt);
	for (i = 0; i < svc_max_pollfd; i++) {
		if (svc_pollfd[i].fd == x->xprt.xp_fd) {
			x->registered = true;
			return true;
		}
	}
	return false;
}

static void krpc_xprt_unregister(struct krpc_xprt *x)
{
	if (x->registered)
		xprt_unregister(&x->xprt);
	x->registered = false;
}

static struct krpc_xprt *krpc_xprt_new(struct krpc_svc *svc, int fd, const struct xp_ops *ops)
{
	struct krpc_xprt *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->svc = svc;
	svc->refs++;
	x->is_conn = ops == &krpc_conn_ops;
	x->reply_fd = -1;
	x->in = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	x->out = (struct krpc_out)KRPC_OUT_INIT;
	x->xprt.xp_fd = fd;
	x->xprt.xp_ops = ops;
	x->xprt.xp_ops2 = &krpc_ops2;
	x->xprt.xp_netid = (char *)KIPC_RPC_NETID;
	x->xprt.xp_p1 = x;
	x->xprt.xp_p3 = &x->ext;
	return x;
}

/* Unlink @name if it still names the channel behind our @fd. */
static void krpc_unlink_own(int fd, const char *name)
{
	struct kipc_chan_stat st;

	if (fd < 0 || kipc_chan_stat(fd, &st) || !(st.state & KIPC_CHAN_NAMED))
		return;
	kipc_chan_unlink(name);
}

static void krpc_xprt_free(struct krpc_xprt *x)
{
	krpc_xprt_unregister(x);
	if (x->req_open)
		XDR_DESTROY(&x->req);
	if (x->xprt.xp_fd >= 0)
		close(x->xprt.xp_fd);
	if (x->reply_fd >= 0)
		close(x->reply_fd);
	kipc_ref_cache_fini(&x->in);
	krpc_out_release(&x->out);
	krpc_svc_put(x->svc);
	free(x);
}

/* --- the listener: handshakes --- */

static int krpc_send_ack(int fd, uint64_t nonce, int err)
{
	unsigned char ack[KRPC_HDR_LEN];
	struct krpc_hdr h = { .type = KRPC_ACK, .arg = (uint16_t)err, .nonce = nonce };
	ssize_t n;

	krpc_hdr_put(ack, &h);
	n = kipc_send(fd, ack, sizeof(ack), KIPC_NONBLOCK);
	return n < 0 ? (int)n : 0;
}

static void krpc_close_fds(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Is @fd an end of an anonymous kipc channel with exactly the access
 * @acc (O_RDONLY: receive, O_WRONLY: send)? Fills @st.
 */
static bool krpc_conn_end(int fd, int acc, struct kipc_chan_stat *st)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != acc || kipc_chan_stat(fd, st))
		return false;
	return !(st->state & KIPC_CHAN_NAMED);
}

/*
 * A HELLO with the ends @fds of its sender's call and reply
 * channels: make them a connection and answer ACK. Takes @fds whatever
 * happens. Returns false when nothing was made (counted as garbage).
 */
static bool krpc_accept(struct krpc_xprt *lx, const int fds[KRPC_HELLO_NFDS],
			const struct krpc_hdr *h)
{
	uint32_t size = h->size ? h->size : KIPC_RPC_INLINE_MAX;
	int call_fd = fds[KRPC_HELLO_CALL], reply_fd = fds[KRPC_HELLO_REPLY];
	struct krpc_svc *svc = lx->svc;
	struct kipc_chan_stat cst, rst;
	struct krpc_xprt *x;
	int fl;

	if (size < KRPC_INLINE_MIN)
		size = KRPC_INLINE_MIN;
	if (size > KIPC_RPC_INLINE_LIMIT)
		size = KIPC_RPC_INLINE_LIMIT;
	if (!krpc_conn_end(call_fd, O_RDONLY, &cst) || !krpc_conn_end(reply_fd, O_WRONLY, &rst) ||
	    cst.id == rst.id) {
		krpc_close_fds(fds, KRPC_HELLO_NFDS);
		return false;
	}
	/* svc_run() polls every transport: never block on one connection. */
	fl = fcntl(call_fd, F_GETFL);
	if (fl < 0 || fcntl(call_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		krpc_close_fds(fds, KRPC_HELLO_NFDS);
		return false;
	}
	x = krpc_xprt_new(svc, call_fd, &krpc_conn_ops);
	if (!x) {
		krpc_close_fds(fds, KRPC_HELLO_NFDS);
		return false;
	}
	x->reply_fd = reply_fd;		/* from now on krpc_xprt_free() closes both */
	x->reply_inline = krpc_min(size, rst.max_msg_size);
	if (krpc_buf_reserve(&svc->rbuf, &svc->rcap, krpc_min(size, cst.max_msg_size)) ||
	    krpc_buf_reserve(&svc->sbuf, &svc->scap, x->reply_inline) ||
	    !krpc_xprt_register(x)) {
		krpc_xprt_free(x);
		return false;
	}
	/*
	 * The client gone already (EPIPE), or its reply queue full of
	 * somebody else's messages: no connection.
	 */
	if (krpc_send_ack(reply_fd, h->nonce, 0) < 0) {
		krpc_xprt_free(x);
		return false;
	}
	svc->stats.conns++;
	svc->stats.accepted++;
	return true;
}

/* Stop polling a listener that can never receive again. */
static void krpc_listen_gone(struct krpc_xprt *lx)
{
	lx->dead = true;
	krpc_xprt_unregister(lx);
}

/*
 * Take a message off the service channel. A well-formed HELLO with its
 * two handles makes a connection; everything else is dropped, and any
 * handles in it closed. Always FALSE: TI-RPC has nothing to dispatch here.
 */
static bool_t krpc_listen_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct krpc_xprt *lx = xprt->xp_p1;
	struct krpc_svc *svc = lx->svc;
	unsigned char buf[KRPC_HELLO_MAX];
	int fds[KRPC_HELLO_NFDS];
	unsigned int nfds = KRPC_HELLO_NFDS;
	struct kipc_msg_info info;
	struct krpc_hdr h;
	ssize_t n;

	(void)msg;
	n = kipc_recv_handles(xprt->xp_fd, buf, sizeof(buf), fds, &nfds, &info, KIPC_NONBLOCK);
	if (n == -EMSGSIZE || n == -EACCES || n == -EMFILE) {
		/*
		 * Too large for a HELLO, more handles than a HELLO has, a
		 * reference to a region we may not read, or handles our fd
		 * table has no room for: it stays at the head until
		 * discarded, so discard it (its handles go with it) and carry
		 * on with the handshakes behind it.
		 */
		svc->stats.garbage++;
		krpc_drop_message(xprt->xp_fd);
		return FALSE;
	}
	if (n == -EPIPE) {
		/* Unlinked by somebody and no sender left: unreachable for good. */
		krpc_listen_gone(lx);
		return FALSE;
	}
	if (n < 0)
		return FALSE;
	if (krpc_hdr_get(buf, (size_t)n, &h) || h.type != KRPC_HELLO || h.arg ||
	    (size_t)n != KRPC_HDR_LEN || nfds != KRPC_HELLO_NFDS) {
		krpc_close_fds(fds, nfds);
		svc->stats.garbage++;
		return FALSE;
	}
	if (!krpc_accept(lx, fds, &h))
		svc->stats.garbage++;
	return FALSE;
}

static enum xprt_stat krpc_listen_stat(SVCXPRT *xprt)
{
	(void)xprt;
	/* The application owns the listener; it is never destroyed by TI-RPC. */
	return XPRT_IDLE;
}

static void krpc_listen_destroy(SVCXPRT *xprt)
{
	struct krpc_xprt *lx = xprt->xp_p1;

	/* Unlink the name only while it still means our channel. */
	krpc_unlink_own(xprt->xp_fd, lx->svc->name);
	krpc_xprt_free(lx);
}

/* --- connections: calls and replies --- */

/*
 * Receive one call record. FALSE for nothing to dispatch: no message,
 * garbage (dropped), the client gone (XPRT_DIED follows), a call refused
 * by the policy or answered from the duplicate request cache.
 */
static bool_t krpc_conn_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct krpc_xprt *x = xprt->xp_p1;
	struct krpc_svc *svc = x->svc;
	const void *rec;
	size_t len, pos;
	bool by_ref;
	int ret;

	if (x->dead)
		return FALSE;
	if (x->req_open) {
		XDR_DESTROY(&x->req);
		x->req_open = false;
	}
	x->cacheable = false;
	ret = krpc_recv_record(xprt->xp_fd, svc->rbuf, svc->rcap, &x->in, &x->info,
			       KIPC_NONBLOCK, -1, &rec, &len, &by_ref);
	if (ret == -EAGAIN || ret == -EINTR)
		return FALSE;
	if (ret == -EMSGSIZE) {
		svc->stats.garbage++;
		return FALSE;
	}
	if (ret < 0) {
		/* EPIPE: the client is gone; EPROTO and others: it is broken. */
		x->dead = true;
		return FALSE;
	}
	if (by_ref)
		svc->stats.refs_received++;

	xdrmem_create(&x->req, (char *)rec, (u_int)len, XDR_DECODE);
	x->req_open = true;
	x->req_len = len;
	if (!xdr_callmsg(&x->req, msg)) {
		/* Not an RPC call (or not RPC version 2): no xid to answer. */
		svc->stats.garbage++;
		return FALSE;
	}
	x->xid = msg->rm_xid;
	svc->stats.calls++;

	if (!krpc_svc_allowed(svc, &x->info)) {
		svc->stats.denied++;
		svcerr_auth(xprt, AUTH_TOOWEAK);
		return FALSE;
	}
	if (svc->drc) {
		const unsigned char *cached;
		size_t clen;

		pos = XDR_GETPOS(&x->req);
		x->key = (struct krpc_drc_key){
			.pid = x->info.pid,
			.uid = x->info.uid,
			.xid = msg->rm_xid,
			.prog = (uint32_t)msg->rm_call.cb_prog,
			.vers = (uint32_t)msg->rm_call.cb_vers,
			.proc = (uint32_t)msg->rm_call.cb_proc,
			.len = (uint32_t)len,
			.sum = krpc_drc_sum((const char *)rec + pos,
					    len - pos < KRPC_DRC_SUM_BYTES ? len - pos :
					    KRPC_DRC_SUM_BYTES),
		};
		cached = krpc_drc_lookup(svc->drc, &x->key, &clen);
		if (cached) {
			svc->stats.drc_hits++;
			ret = krpc_send_record(x->reply_fd, &x->out, cached, clen,
					       x->reply_inline, KIPC_NONBLOCK, -1, &by_ref);
			if (ret < 0)
				svc->stats.replies_dropped++;
			else if (by_ref)
				svc->stats.refs_sent++;
			return FALSE;
		}
		x->cacheable = true;
	}
	svc->stats.dispatched++;
	return TRUE;
}

static enum xprt_stat krpc_conn_stat(SVCXPRT *xprt)
{
	struct krpc_xprt *x = xprt->xp_p1;

	return x->dead ? XPRT_DIED : XPRT_IDLE;
}

static void krpc_free_args(xdrproc_t xargs, void *argsp)
{
	XDR xdrs = { .x_op = XDR_FREE };

	(*xargs)(&xdrs, argsp);
}

static bool_t krpc_conn_getargs(SVCXPRT *xprt, xdrproc_t xargs, void *argsp)
{
	struct krpc_xprt *x = xprt->xp_p1;
	SVCAUTH *auth = &SVC_XP_AUTH(xprt);
	bool ok;

	if (!x->req_open)
		return FALSE;
	if (auth->svc_ah_ops)
		ok = SVCAUTH_UNWRAP(auth, &x->req, xargs, (caddr_t)argsp);
	else
		ok = (*xargs)(&x->req, argsp);
	/* Arguments of another type rarely use exactly the same bytes. */
	if (ok && !(x->svc->flags & KIPC_RPC_SVC_LAX_ARGS) && XDR_GETPOS(&x->req) != x->req_len)
		ok = false;
	if (!ok) {
		/* Whatever was decoded before the failure, so nothing leaks. */
		krpc_free_args(xargs, argsp);
	}
	return ok;
}

static bool_t krpc_conn_freeargs(SVCXPRT *xprt, xdrproc_t xargs, void *argsp)
{
	(void)xprt;
	krpc_free_args(xargs, argsp);
	return TRUE;
}

/* Encode @msg into @buf; the results go through the auth flavour's wrap. */
static bool krpc_encode_reply(SVCXPRT *xprt, struct rpc_msg *msg, void *buf, size_t size,
			      size_t *len)
{
	SVCAUTH *auth = &SVC_XP_AUTH(xprt);
	bool wrap = msg->rm_reply.rp_stat == MSG_ACCEPTED &&
		    msg->acpted_rply.ar_stat == SUCCESS && auth->svc_ah_ops;
	xdrproc_t proc = msg->acpted_rply.ar_results.proc;
	caddr_t where = msg->acpted_rply.ar_results.where;
	XDR xdrs;
	bool ok;

	xdrmem_create(&xdrs, buf, (u_int)size, XDR_ENCODE);
	if (wrap) {
		msg->acpted_rply.ar_results.proc = KRPC_XDR_VOID;
		msg->acpted_rply.ar_results.where = NULL;
		ok = xdr_replymsg(&xdrs, msg) && SVCAUTH_WRAP(auth, &xdrs, proc, where);
		msg->acpted_rply.ar_results.proc = proc;
		msg->acpted_rply.ar_results.where = where;
	} else {
		ok = xdr_replymsg(&xdrs, msg);
	}
	*len = XDR_GETPOS(&xdrs);
	XDR_DESTROY(&xdrs);
	return ok;
}

static bool_t krpc_conn_reply(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct krpc_xprt *x = xprt->xp_p1;
	struct krpc_svc *svc = x->svc;
	void *buf = x->out.base ? x->out.base : svc->sbuf;
	size_t size = x->out.base ? x->out.size : x->reply_inline;
	size_t len;
	bool by_ref;
	int ret;

	if (x->dead)
		return FALSE;
	msg->rm_xid = x->xid;
	if (!krpc_encode_reply(xprt, msg, buf, size, &len)) {
		/* Too big for what we have: measure, grow our region, again. */
		unsigned long need = 0;

		if (msg->rm_reply.rp_stat == MSG_ACCEPTED && msg->acpted_rply.ar_stat == SUCCESS)
			need = xdr_sizeof(msg->acpted_rply.ar_results.proc,
					  msg->acpted_rply.ar_results.where);
		if (!need || krpc_out_reserve(&x->out, need + KRPC_REPLY_SLACK) ||
		    !krpc_encode_reply(xprt, msg, x->out.base, x->out.size, &len))
			return FALSE;
		buf = x->out.base;
	}
	if (x->cacheable) {
		/* Cached even if sending fails: a retry gets it without a rerun. */
		krpc_drc_insert(svc->drc, &x->key, buf, len);
		x->cacheable = false;
	}
	/* Never block the whole server on one client's full reply queue. */
	ret = krpc_send_record(x->reply_fd, &x->out, buf, len, x->reply_inline,
			       KIPC_NONBLOCK, -1, &by_ref);
	if (ret < 0) {
		svc->stats.replies_dropped++;
		if (ret != -EAGAIN)
			x->dead = true;
		return FALSE;
	}
	if (by_ref)
		svc->stats.refs_sent++;
	return TRUE;
}

static void krpc_conn_destroy(SVCXPRT *xprt)
{
	struct krpc_xprt *x = xprt->xp_p1;

	x->svc->stats.conns--;
	krpc_xprt_free(x);
}

static bool_t krpc_none_getargs(SVCXPRT *xprt, xdrproc_t xargs, void *argsp)
{
	(void)xprt;
	(void)xargs;
	(void)argsp;
	return FALSE;
}

static bool_t krpc_none_reply(SVCXPRT *xprt, struct rpc_msg *msg)
{
	(void)xprt;
	(void)msg;
	return FALSE;
}

static bool_t krpc_control(SVCXPRT *xprt, const u_int rq, void *in)
{
	(void)xprt;
	(void)rq;
	(void)in;
	return FALSE;
}

static const struct xp_ops krpc_listen_ops = {
	.xp_recv = krpc_listen_recv,
	.xp_stat = krpc_listen_stat,
	.xp_getargs = krpc_none_getargs,
	.xp_reply = krpc_none_reply,
	.xp_freeargs = krpc_none_getargs,
	.xp_destroy = krpc_listen_destroy,
};

static const struct xp_ops krpc_conn_ops = {
	.xp_recv = krpc_conn_recv,
	.xp_stat = krpc_conn_stat,
	.xp_getargs = krpc_conn_getargs,
	.xp_reply = krpc_conn_reply,
	.xp_freeargs = krpc_conn_freeargs,
	.xp_destroy = krpc_conn_destroy,
};

static const struct xp_ops2 krpc_ops2 = {
	.xp_control = krpc_control,
};

static SVCXPRT *krpc_svc_fail(int err)
{
	rpc_createerr.cf_stat = RPC_SYSTEMERROR;
	rpc_createerr.cf_error.re_errno = err;
	return NULL;
}

SVCXPRT *kipc_rpc_svc_create(const char *service, unsigned int flags)
{
	struct kipc_chan_attr attr = { .max_msg_size = KRPC_HELLO_MAX };
	mode_t mode = KIPC_RPC_SVC_MODE(flags) ? KIPC_RPC_SVC_MODE(flags) : KRPC_SVC_DEFAULT_MODE;
	int oflag = O_RDONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC;
	struct kipc_chan_stat st;
	struct krpc_svc *svc;
	struct krpc_xprt *lx = NULL;
	int fd, ret;

	if (!service || (flags & ~KRPC_SVC_FLAGS))
		return krpc_svc_fail(EINVAL);
	if (flags & KIPC_RPC_SVC_EXCL)
		oflag |= O_EXCL;

	/* Our reference until the listener holds its own. */
	svc = calloc(1, sizeof(*svc));
	if (!svc)
		return krpc_svc_fail(ENOMEM);
	svc->refs = 1;
	svc->flags = flags;
	svc->mode = mode;
	svc->name = strdup(service);
	if (!(flags & KIPC_RPC_SVC_NODRC))
		svc->drc = krpc_drc_new(KIPC_RPC_DRC_ENTRIES, KIPC_RPC_DRC_BYTES);
	ret = -ENOMEM;
	if (!svc->name || (!(flags & KIPC_RPC_SVC_NODRC) && !svc->drc))
		goto out_put;
	fd = kipc_chan_open(service, oflag, mode, &attr);
	if (fd < 0) {
		ret = fd;
		goto out_put;
	}
	ret = kipc_chan_stat(fd, &st);
	if (!ret && st.nr_receivers > 1)
		ret = -EADDRINUSE;	/* a live server has it */
	if (!ret) {
		lx = krpc_xprt_new(svc, fd, &krpc_listen_ops);
		ret = lx ? 0 : -ENOMEM;
	}
	if (ret) {
		close(fd);
		goto out_put;
	}
	if (!krpc_xprt_register(lx)) {
		ret = -ENFILE;
		krpc_xprt_free(lx);
		goto out_put;
	}
	krpc_svc_put(svc);
	return &lx->xprt;

out_put:
	krpc_svc_put(svc);
	return krpc_svc_fail(-ret);
}
