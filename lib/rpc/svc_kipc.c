// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: the server side. Three kinds of TI-RPC SVCXPRT with their
 * own xp_ops, all registered with xprt_register() so svc_run() polls them
 * beside TCP and UDP:
 *
 *   listener    xp_fd = the named service channel. Its xp_recv only takes
 *               HELLO messages: it creates a connection's two channels
 *               under the names the client asked for and makes a pending
 *               connection transport. It never returns an RPC call, so
 *               TI-RPC never dispatches on it.
 *   connection  xp_fd = one client's call channel; replies go to that
 *               client's reply channel. Pending until the client says
 *               READY: then both names are unlinked and it answers ACK.
 *               Like a TCP connection: XPRT_DIED when the client is gone,
 *               and TI-RPC destroys it.
 *   janitor     xp_fd = an epoll fd: a timerfd for the pending
 *               connections' deadlines and their clients' pidfds. When a
 *               client dies or takes too long inside the handshake, it
 *               unlinks that connection's names, so no name outlives a
 *               handshake whatever happens to the client.
 *
 * See kipc_rpc.h for the scheme and svc_private.h for lifetimes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "svc_private.h"

#define KRPC_SVC_DEFAULT_MODE	0622
#define KRPC_SVC_FLAGS		(0777u | KIPC_RPC_SVC_EXCL | KIPC_RPC_SVC_NODRC | \
				 KIPC_RPC_SVC_LAX_ARGS)
/* Every HELLO fits; anything longer is refused by the kernel at send. */
#define KRPC_HELLO_MAX		(KRPC_HDR_LEN + KIPC_NAME_MAX)
/* Room for a reply header around the results: verifier and slack. */
#define KRPC_REPLY_SLACK	(MAX_AUTH_BYTES + 64)
/* Modes of a connection's channels: the client sends calls, receives replies. */
#define KRPC_CALL_MODE		0622
#define KRPC_REPLY_MODE		0644
/*
 * Handshakes under way per service (each holds two channels and a pidfd),
 * and how long one may take: the client's own timeout, within bounds, and
 * a second more, so the names never go before the client gives up.
 */
#define KRPC_PENDING_MAX	128
#define KRPC_WAIT_MIN_MS	100
#define KRPC_WAIT_MAX_MS	60000
#define KRPC_WAIT_SLACK_NS	1000000000

static const struct xp_ops krpc_listen_ops;
static const struct xp_ops krpc_conn_ops;
static const struct xp_ops krpc_janitor_ops;
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
	x->pidfd = -1;
	x->timer_fd = -1;
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

/* --- pending handshakes and the janitor --- */

/* Unlink "<base><suffix>" if it still names the channel behind our @fd. */
static void krpc_unlink_own(int fd, const char *base, const char *suffix)
{
	char name[KIPC_NAME_MAX];
	struct kipc_chan_stat st;

	if (fd < 0 || kipc_chan_stat(fd, &st) || !(st.state & KIPC_CHAN_NAMED))
		return;
	if ((size_t)snprintf(name, sizeof(name), "%s%s", base, suffix) < sizeof(name))
		kipc_chan_unlink(name);
}

/* Unlink a connection's two names, once. */
static void krpc_conn_unlink(struct krpc_xprt *x)
{
	if (!x->base)
		return;
	krpc_unlink_own(x->xprt.xp_fd, x->base, KRPC_CALL_SUFFIX);
	krpc_unlink_own(x->reply_fd, x->base, KRPC_REPLY_SUFFIX);
	free(x->base);
	x->base = NULL;
}

/* Set the janitor's timer to the earliest deadline, or disarm it. */
static void krpc_janitor_arm(struct krpc_svc *svc)
{
	struct itimerspec its = { 0 };
	struct krpc_xprt *x;
	bool any = false;
	int64_t first = 0;

	if (!svc->janitor)
		return;
	for (x = svc->pending; x; x = x->next_pending) {
		if (!any || x->deadline < first)
			first = x->deadline;
		any = true;
	}
	if (any) {
		/* 0 would disarm: a deadline long past fires at once instead. */
		its.it_value.tv_sec = first > 0 ? first / 1000000000 : 0;
		its.it_value.tv_nsec = first > 0 ? first % 1000000000 : 1;
	}
	timerfd_settime(svc->janitor->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Watch the new pending connection @x: its client's @pidfd, its deadline. */
static void krpc_pending_add(struct krpc_xprt *x, int pidfd, uint32_t wait_ms)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = x };
	struct krpc_svc *svc = x->svc;

	if (wait_ms < KRPC_WAIT_MIN_MS)
		wait_ms = KRPC_WAIT_MIN_MS;
	if (wait_ms > KRPC_WAIT_MAX_MS)
		wait_ms = KRPC_WAIT_MAX_MS;
	x->deadline = krpc_now_ns() + (int64_t)wait_ms * 1000000 + KRPC_WAIT_SLACK_NS;
	x->pidfd = pidfd;
	if (pidfd >= 0 && epoll_ctl(svc->janitor->xprt.xp_fd, EPOLL_CTL_ADD, pidfd, &ev)) {
		close(pidfd);	/* the deadline alone, then */
		x->pidfd = -1;
	}
	x->pending = true;
	x->next_pending = svc->pending;
	svc->pending = x;
	svc->npending++;
	krpc_janitor_arm(svc);
}

/* Stop watching @x (the timer may still fire for it: a harmless sweep). */
static void krpc_pending_del(struct krpc_xprt *x)
{
	struct krpc_svc *svc = x->svc;
	struct krpc_xprt **p;

	if (!x->pending)
		return;
	for (p = &svc->pending; *p != x; p = &(*p)->next_pending)
		;
	*p = x->next_pending;
	svc->npending--;
	x->pending = false;
	if (x->pidfd >= 0) {
		/* Explicitly: a forked child may share the pidfd's file. */
		if (svc->janitor)
			epoll_ctl(svc->janitor->xprt.xp_fd, EPOLL_CTL_DEL, x->pidfd, NULL);
		close(x->pidfd);
	}
	x->pidfd = -1;
}

/*
 * A handshake that will not complete: its names go now, and the
 * connection dies (TI-RPC destroys it once its client has no end left).
 */
static void krpc_pending_expire(struct krpc_xprt *x)
{
	krpc_conn_unlink(x);
	krpc_pending_del(x);
	x->dead = true;
}

static void krpc_xprt_free(struct krpc_xprt *x)
{
	krpc_xprt_unregister(x);
	krpc_conn_unlink(x);
	krpc_pending_del(x);
	if (x->req_open)
		XDR_DESTROY(&x->req);
	if (x->xprt.xp_fd >= 0)
		close(x->xprt.xp_fd);
	if (x->reply_fd >= 0)
		close(x->reply_fd);
	if (x->timer_fd >= 0)
		close(x->timer_fd);
	kipc_ref_cache_fini(&x->in);
	krpc_out_release(&x->out);
	krpc_svc_put(x->svc);
	free(x);
}

/*
 * A pending client died (its pidfd is readable) or a deadline passed (the
 * timer): expire those handshakes. Always FALSE: nothing to dispatch.
 */
static bool_t krpc_janitor_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct krpc_xprt *jx = xprt->xp_p1, *x, *next;
	struct krpc_svc *svc = jx->svc;
	struct epoll_event ev[16];
	int64_t now = krpc_now_ns();
	uint64_t ticks;
	ssize_t n;
	int i;

	(void)msg;
	n = epoll_wait(xprt->xp_fd, ev, 16, 0);
	for (i = 0; i < n; i++)
		if (ev[i].data.ptr)
			krpc_pending_expire(ev[i].data.ptr);
	n = read(jx->timer_fd, &ticks, sizeof(ticks));	/* EAGAIN if not due */
	(void)n;
	for (x = svc->pending; x; x = next) {
		next = x->next_pending;
		if (x->deadline <= now)
			krpc_pending_expire(x);
	}
	krpc_janitor_arm(svc);
	return FALSE;
}

/* The janitor of @svc: an epoll fd holding a timerfd. 0 or -errno. */
static int krpc_janitor_create(struct krpc_svc *svc)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct krpc_xprt *jx;
	int ep, tfd, err;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev)) {
		err = -errno;
		if (tfd >= 0)
			close(tfd);
		close(ep);
		return err;
	}
	jx = krpc_xprt_new(svc, ep, &krpc_janitor_ops);
	if (!jx) {
		close(tfd);
		close(ep);
		return -ENOMEM;
	}
	jx->timer_fd = tfd;
	if (!krpc_xprt_register(jx)) {
		krpc_xprt_free(jx);
		return -ENFILE;
	}
	svc->janitor = jx;
	return 0;
}

/* The service is going: expire every handshake, then free the janitor. */
static void krpc_janitor_destroy(struct krpc_svc *svc)
{
	struct krpc_xprt *jx = svc->janitor;

	while (svc->pending)
		krpc_pending_expire(svc->pending);
	svc->janitor = NULL;
	if (jx)
		krpc_xprt_free(jx);
}

/* --- the listener: handshakes --- */

static void krpc_send_ack(int fd, uint64_t nonce, int err)
{
	unsigned char ack[KRPC_HDR_LEN];
	struct krpc_hdr h = { .type = KRPC_ACK, .arg = (uint16_t)err, .nonce = nonce };

	krpc_hdr_put(ack, &h);
	kipc_send(fd, ack, sizeof(ack), KIPC_NONBLOCK);
}

/*
 * Create our end of the connection channel "<base><suffix>" (O_EXCL: a
 * name somebody else holds is never used). Its max_msg_size bounds the
 * records sent by reference too (the kernel holds references to it), so
 * ask for KIPC_RPC_RECORD_MAX, then for the module's default limit, then
 * for the inline size @inline_max, then for the module's default size,
 * until the module takes one. Returns the fd.
 */
static int krpc_chan_create(const char *base, const char *suffix, int oflag, mode_t mode,
			    uint32_t inline_max, struct kipc_chan_stat *st)
{
	const uint32_t sizes[] = { KIPC_RPC_RECORD_MAX, KRPC_MODULE_MSG_MAX, inline_max, 0 };
	struct kipc_chan_attr attr = { .max_msgs = KRPC_CONN_DEPTH };
	char name[KIPC_NAME_MAX];
	int fd = -EINVAL, ret;
	size_t i;

	if ((size_t)snprintf(name, sizeof(name), "%s%s", base, suffix) >= sizeof(name))
		return -ENAMETOOLONG;
	oflag |= O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && fd == -EINVAL; i++) {
		attr.max_msg_size = sizes[i];
		fd = kipc_chan_open(name, oflag, mode, &attr);
	}
	if (fd < 0)
		return fd;
	ret = kipc_chan_stat(fd, st);
	if (ret) {
		kipc_chan_unlink(name);
		close(fd);
		return ret;
	}
	return fd;
}

/* The client's pidfd; -1 when we cannot watch it, -ESRCH when it is gone. */
static int krpc_pidfd_open(pid_t pid)
{
	int fd;

	if (pid <= 0)
		return -1;	/* in a pid namespace we cannot see */
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : -1;
	return fd;
}

/*
 * HELLO from @info's sender for @base: create the connection's two
 * channels under the names it asked for, ours, and a pending connection
 * that waits for READY. Returns false when nothing was made (counted as
 * garbage).
 */
static bool krpc_accept(struct krpc_xprt *lx, const struct kipc_msg_info *info,
			const char *base, const struct krpc_hdr *h)
{
	uint32_t size = h->size ? h->size : KIPC_RPC_INLINE_MAX;
	struct krpc_svc *svc = lx->svc;
	struct kipc_chan_stat cst, rst;
	struct krpc_xprt *x;
	int call_fd, pidfd;
	char *name;

	if (svc->npending >= KRPC_PENDING_MAX || !svc->janitor)
		return false;
	if (size < KRPC_INLINE_MIN)
		size = KRPC_INLINE_MIN;
	if (size > KIPC_RPC_INLINE_LIMIT)
		size = KIPC_RPC_INLINE_LIMIT;
	pidfd = krpc_pidfd_open(info->pid);
	if (pidfd == -ESRCH)
		return false;	/* the client is gone already */
	name = strdup(base);
	call_fd = name ? krpc_chan_create(base, KRPC_CALL_SUFFIX, O_RDONLY, KRPC_CALL_MODE,
					  size, &cst) : -ENOMEM;
	x = call_fd >= 0 ? krpc_xprt_new(svc, call_fd, &krpc_conn_ops) : NULL;
	if (!x) {
		if (call_fd >= 0) {
			krpc_unlink_own(call_fd, base, KRPC_CALL_SUFFIX);
			close(call_fd);
		}
		free(name);
		goto out_pidfd;
	}
	x->base = name;		/* from now on krpc_xprt_free() unlinks */
	x->reply_fd = krpc_chan_create(base, KRPC_REPLY_SUFFIX, O_WRONLY, KRPC_REPLY_MODE,
				       size, &rst);
	if (x->reply_fd < 0 ||
	    krpc_buf_reserve(&svc->rbuf, &svc->rcap, krpc_min(size, cst.max_msg_size)) ||
	    krpc_buf_reserve(&svc->sbuf, &svc->scap, krpc_min(size, rst.max_msg_size)) ||
	    !krpc_xprt_register(x)) {
		krpc_xprt_free(x);
		goto out_pidfd;
	}
	x->reply_inline = krpc_min(size, rst.max_msg_size);
	x->nonce = h->nonce;
	x->hello = *info;
	krpc_pending_add(x, pidfd, h->wait_ms);
	svc->stats.conns++;
	return true;

out_pidfd:
	if (pidfd >= 0)
		close(pidfd);
	return false;
}

/* Stop polling a listener that can never receive again. */
static void krpc_listen_gone(struct krpc_xprt *lx)
{
	lx->dead = true;
	krpc_xprt_unregister(lx);
}

/*
 * Take a message off the service channel. A well-formed HELLO makes a
 * connection; everything else is dropped. Always FALSE: TI-RPC has
 * nothing to dispatch here.
 */
static bool_t krpc_listen_recv(SVCXPRT *xprt, struct rpc_msg *msg)
{
	struct krpc_xprt *lx = xprt->xp_p1;
	struct krpc_svc *svc = lx->svc;
	unsigned char buf[KRPC_HELLO_MAX + 1];
	struct kipc_msg_info info;
	size_t prefix = strlen(svc->name);
	struct krpc_hdr h;
	ssize_t n;
	char *base;

	(void)msg;
	n = kipc_recv(xprt->xp_fd, buf, KRPC_HELLO_MAX, &info, KIPC_NONBLOCK);
	if (n == -EMSGSIZE || n == -EACCES) {
		/*
		 * Too large for a HELLO, or a reference to a region we may not
		 * read: it stays at the head until discarded, so discard it
		 * and carry on with the handshakes behind it.
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
	if (krpc_hdr_get(buf, (size_t)n, &h) || h.type != KRPC_HELLO ||
	    h.arg != (size_t)n - KRPC_HDR_LEN) {
		svc->stats.garbage++;
		return FALSE;
	}
	base = (char *)buf + KRPC_HDR_LEN;
	base[h.arg] = '\0';
	/* "<service>.<rest>", one string, no '/' (the kernel checks that too). */
	if (strlen(base) != h.arg || h.arg <= prefix + 1 || memcmp(base, svc->name, prefix) ||
	    base[prefix] != '.' || strchr(base, '/') ||
	    !krpc_accept(lx, &info, base, &h))
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
	krpc_unlink_own(xprt->xp_fd, lx->svc->name, "");
	krpc_janitor_destroy(lx->svc);
	krpc_xprt_free(lx);
}

/* --- connections: calls and replies --- */

/*
 * The one message a pending connection takes: READY from the uid that
 * sent the HELLO, once the client holds its ends. Unlink both names
 * (nobody can join any more), check that the client is our only peer,
 * and answer ACK. Anything else ends the handshake.
 */
static void krpc_conn_ready(struct krpc_xprt *x)
{
	unsigned char buf[KRPC_HDR_LEN];
	struct kipc_chan_stat cst, rst;
	struct kipc_msg_info info;
	struct krpc_hdr h;
	ssize_t n;
	int err = 0;

	n = kipc_recv(x->xprt.xp_fd, buf, sizeof(buf), &info, KIPC_NONBLOCK);
	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n < 0 || krpc_hdr_get(buf, (size_t)n, &h) || h.type != KRPC_READY ||
	    h.nonce != x->nonce || info.uid != x->hello.uid) {
		if (n >= 0 || n == -EMSGSIZE)
			x->svc->stats.garbage++;
		krpc_pending_expire(x);
		return;
	}
	krpc_conn_unlink(x);
	krpc_pending_del(x);
	if (kipc_chan_stat(x->xprt.xp_fd, &cst) || kipc_chan_stat(x->reply_fd, &rst) ||
	    cst.nr_senders != 1 || rst.nr_receivers != 1)
		err = EACCES;
	krpc_send_ack(x->reply_fd, x->nonce, err);
	if (err)
		x->dead = true;
	else
		x->svc->stats.accepted++;
}

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
	if (x->pending) {
		krpc_conn_ready(x);
		return FALSE;
	}
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

static void krpc_janitor_xp_destroy(SVCXPRT *xprt)
{
	struct krpc_xprt *jx = xprt->xp_p1;

	krpc_janitor_destroy(jx->svc);
}

static enum xprt_stat krpc_janitor_stat(SVCXPRT *xprt)
{
	(void)xprt;
	/* Destroyed with the listener, never by TI-RPC. */
	return XPRT_IDLE;
}

static const struct xp_ops krpc_janitor_ops = {
	.xp_recv = krpc_janitor_recv,
	.xp_stat = krpc_janitor_stat,
	.xp_getargs = krpc_none_getargs,
	.xp_reply = krpc_none_reply,
	.xp_freeargs = krpc_none_getargs,
	.xp_destroy = krpc_janitor_xp_destroy,
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
	ret = krpc_janitor_create(svc);
	if (ret)
		goto out_put;

	fd = kipc_chan_open(service, oflag, mode, &attr);
	if (fd < 0) {
		ret = fd;
		goto out_janitor;
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
		goto out_janitor;
	}
	if (!krpc_xprt_register(lx)) {
		ret = -ENFILE;
		krpc_xprt_free(lx);
		goto out_janitor;
	}
	krpc_svc_put(svc);
	return &lx->xprt;

out_janitor:
	krpc_janitor_destroy(svc);
out_put:
	krpc_svc_put(svc);
	return krpc_svc_fail(-ret);
}
