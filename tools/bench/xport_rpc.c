// SPDX-License-Identifier: GPL-2.0
/*
 * The RPC section: ONC RPC round trips through TI-RPC, the same program
 * over four transports, a null procedure and a 4 KiB argument:
 *
 *   rpc-kipc   libkipc-rpc: kipc_rpc_svc_create() / kipc_rpc_clnt_create()
 *              (defaults: the duplicate request cache on)
 *   rpc-unix   AF_LOCAL stream socket (abstract name): svc_vc_create() /
 *              clnt_vc_create(), TI-RPC's record marking
 *   rpc-tcp    the same over TCP on 127.0.0.1
 *   rpc-udp    UDP on 127.0.0.1: svc_dg_create() / clnt_dg_create()
 *
 * Each is a struct xport that runner.c drives in its pingpong phase (one
 * call in flight is what an RPC client does; there is no streaming row).
 * Side B, this process, is the server; side A, the forked child, the
 * client. No rpcbind: B binds the server's socket before the fork and A
 * is handed its address.
 *
 *   A  tx_buf: the argument; send: clnt_call(); recv: the result, which
 *      the runner checks byte by byte
 *   B  recv: serve (svc_getreq_poll()) until a call was dispatched; the
 *      dispatch function decodes the argument into B's buffer and returns
 *      without replying, and the runner checks every byte of it;
 *      tx_buf/send: the reply, svc_sendreply() on the transport the call
 *      came in on (each of these TI-RPC transports keeps the request's
 *      xid and return address until its next receive)
 *
 * Size 0 is the null procedure (NULLPROC, void both ways); any other size
 * is procedure RPC_ECHO with an opaque<> of that many bytes each way.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <kipc_rpc.h>

#include "bench.h"

#define RPC_PROG	0x4b495043	/* "KIPC", in the transient range */
#define RPC_VERS	1
#define RPC_ECHO	1		/* opaque<> -> opaque<> of the same length */
#define RPC_TIMEOUT_S	60		/* per call; the watchdog is longer */
#define RPC_UDP_MAX	8000		/* under TI-RPC's UDP buffers (8800) */

/* TI-RPC's xdrproc_t is variadic: cast through void (*)(void). */
#define XDRPROC(fn)	((xdrproc_t)(void (*)(void))(fn))

enum rpc_kind { RK_KIPC, RK_UNIX, RK_TCP, RK_UDP };

/* For svc_reg(); the kipc transport names its own (KIPC_RPC_NETID). */
static const char *const rpc_netids[] = { [RK_UNIX] = "local", [RK_TCP] = "tcp", [RK_UDP] = "udp" };

/* A variable-length opaque kept in the bench's own buffer. */
struct rpc_buf {
	void *data;
	u_int len, cap;
};

struct rpc_cell {
	enum rpc_kind kind;
	struct rpc_buf arg;		/* B: the argument as decoded */
	struct rpc_buf res;		/* B: the reply; A: the result */
	struct rpc_buf out;		/* A: the argument to send */
	size_t bufsize;

	/* The server (side B). */
	SVCXPRT *listener;
	char service[64];		/* rpc-kipc */
	struct sockaddr_storage addr;	/* sockets: where it listens */
	socklen_t addrlen;
	SVCXPRT *caller;		/* the call to answer, NULL if none */
	rpcproc_t proc;
	struct pollfd *pfd;
	int npfd;

	/* The client (side A). */
	CLIENT *cl;
};

/* The dispatch function has no argument for it: one server per process. */
static struct rpc_cell *rpc_serving;

static bool_t xdr_rpc_buf(XDR *x, void *p)
{
	struct rpc_buf *b = p;

	if (x->x_op == XDR_FREE)
		return TRUE;	/* the storage is ours */
	if (!xdr_u_int(x, &b->len) || b->len > b->cap)
		return FALSE;
	return xdr_opaque(x, b->data, b->len);
}

/* Take the call; B's send answers it once the runner has checked it. */
static void rpc_dispatch(struct svc_req *rq, SVCXPRT *xprt)
{
	struct rpc_cell *r = rpc_serving;

	if (!r || r->caller) {
		svcerr_systemerr(xprt);	/* one call in flight, never two */
		return;
	}
	switch (rq->rq_proc) {
	case NULLPROC:
		r->arg.len = 0;
		break;
	case RPC_ECHO:
		if (!svc_getargs(xprt, XDRPROC(xdr_rpc_buf), (caddr_t)&r->arg)) {
			svcerr_decode(xprt);
			return;
		}
		break;
	default:
		svcerr_noproc(xprt);
		return;
	}
	r->caller = xprt;
	r->proc = rq->rq_proc;
}

/* ---- side B: the server --------------------------------------------------- */

/* A socket of @type for r->kind, bound and listening: 0, XP_NA or -errno. */
static int rpc_bind(struct cell *c, struct rpc_cell *r, int type, int *fdp)
{
	static unsigned int seq;
	struct sockaddr_un *sun = (struct sockaddr_un *)&r->addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->addr;
	int fd, err;

	memset(&r->addr, 0, sizeof(r->addr));
	if (r->kind == RK_UNIX) {
		/* Abstract: nothing in the file system to clean up. */
		sun->sun_family = AF_UNIX;
		r->addrlen = offsetof(struct sockaddr_un, sun_path) + 1 +
			     (socklen_t)snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1,
						 "kipc-bench-rpc.%d.%u", (int)getpid(), seq++);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r->addrlen = sizeof(*sin);
	}
	fd = socket(r->addr.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xp_na(c, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&r->addr, r->addrlen) ||
	    (type == SOCK_STREAM && listen(fd, 8)) ||
	    getsockname(fd, (struct sockaddr *)&r->addr, &r->addrlen)) {
		err = errno;
		close(fd);
		return xp_na(c, "bind/listen: %s (loopback down?)", strerror(err));
	}
	*fdp = fd;
	return 0;
}

static int rpc_setup(struct cell *c)
{
	static unsigned int seq;
	struct rpc_cell *r = calloc(1, sizeof(*r));
	int fd = -1, ret;

	if (!r)
		return xp_fail(c, -ENOMEM, "calloc");
	c->priv = r;
	r->kind = (enum rpc_kind)(c->xp - rpc_xports);
	if (r->kind == RK_UDP && c->size > RPC_UDP_MAX)
		return xp_na(c, "above TI-RPC's UDP datagram size");
	r->bufsize = c->size ? c->size : 8;	/* --corrupt-test writes a byte */
	r->arg = (struct rpc_buf){ .data = buf_alloc(r->bufsize), .cap = (u_int)c->size };
	r->res = (struct rpc_buf){ .data = buf_alloc(r->bufsize), .cap = (u_int)c->size };
	r->out = (struct rpc_buf){ .data = buf_alloc(r->bufsize), .cap = (u_int)c->size };
	if (!r->arg.data || !r->res.data || !r->out.data)
		return xp_fail(c, -ENOMEM, "buffers");

	switch (r->kind) {
	case RK_KIPC:
		snprintf(r->service, sizeof(r->service), "kipc-bench-rpc.%d.%u", (int)getpid(),
			 seq++);
		r->listener = kipc_rpc_svc_create(r->service, KIPC_RPC_SVC_EXCL);
		if (!r->listener)
			return xp_fail(c, -rpc_createerr.cf_error.re_errno, "kipc_rpc_svc_create");
		break;
	case RK_UNIX:
	case RK_TCP:
	case RK_UDP:
		ret = rpc_bind(c, r, r->kind == RK_UDP ? SOCK_DGRAM : SOCK_STREAM, &fd);
		if (ret)
			return ret;
		r->listener = r->kind == RK_UDP ? svc_dg_create(fd, 0, 0) : svc_vc_create(fd, 0, 0);
		if (!r->listener) {
			close(fd);
			return xp_fail(c, -EIO, "svc_%s_create", r->kind == RK_UDP ? "dg" : "vc");
		}
		/*
		 * Else svc_reg() looks the netid up in /etc/netconfig, which
		 * the test VM lacks: for AF_LOCAL, TI-RPC then warns about a
		 * "unix" transport and sleeps 10 s. Freed by svc_destroy().
		 */
		if (!r->listener->xp_netid)
			r->listener->xp_netid = strdup(rpc_netids[r->kind]);
		break;
	}
	/* No netconfig: svc_reg() keeps the dispatch and tells no rpcbind. */
	if (!svc_reg(r->listener, RPC_PROG, RPC_VERS, rpc_dispatch, NULL))
		return xp_fail(c, -EIO, "svc_reg");
	return 0;
}

/* Wait for TI-RPC's transports and serve what is ready; @wait_ms as poll(). */
static int rpc_serve(struct cell *c, struct rpc_cell *r, int wait_ms)
{
	int i, n;

	if (r->npfd < svc_max_pollfd) {
		struct pollfd *p = realloc(r->pfd, (size_t)svc_max_pollfd * sizeof(*p));

		if (!p)
			return xp_fail(c, -ENOMEM, "realloc");
		r->pfd = p;
		r->npfd = svc_max_pollfd;
	}
	for (i = 0; i < svc_max_pollfd; i++) {
		r->pfd[i] = svc_pollfd[i];
		r->pfd[i].revents = 0;
	}
	n = poll(r->pfd, (nfds_t)svc_max_pollfd, wait_ms);
	if (n < 0)
		return errno == EINTR && !g_abort ? 0 : xp_fail(c, -errno, "poll");
	if (n)
		svc_getreq_poll(r->pfd, n);
	return n;
}

static int rpc_attach(struct cell *c)
{
	struct rpc_cell *r = c->priv;
	struct netbuf nb = { .maxlen = r->addrlen, .len = r->addrlen, .buf = &r->addr };
	int i, fd;

	if (c->side == SIDE_B) {
		rpc_serving = r;
		return 0;
	}
	/* The client: none of the server's fds. */
	for (i = 0; i < svc_max_pollfd; i++)
		if (svc_pollfd[i].fd >= 0)
			close(svc_pollfd[i].fd);
	if (r->kind == RK_KIPC) {
		r->cl = kipc_rpc_clnt_create(r->service, RPC_PROG, RPC_VERS);
	} else {
		fd = socket(r->addr.ss_family,
			    (r->kind == RK_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return xp_fail(c, -errno, "socket");
		r->cl = r->kind == RK_UDP ?
			clnt_dg_create(fd, &nb, RPC_PROG, RPC_VERS, 0, 0) :
			clnt_vc_create(fd, &nb, RPC_PROG, RPC_VERS, 0, 0);
	}
	if (!r->cl)
		return xp_fail(c, -ECONNREFUSED, "%s", clnt_spcreateerror("client"));
	return 0;
}

static int rpc_tx_buf(struct cell *c, void **buf)
{
	struct rpc_cell *r = c->priv;

	*buf = c->side == SIDE_A ? r->out.data : r->res.data;
	return 0;
}

static int rpc_send(struct cell *c, size_t len)
{
	static const struct timeval tv = { RPC_TIMEOUT_S, 0 };
	struct rpc_cell *r = c->priv;
	enum clnt_stat st;
	SVCXPRT *x;
	bool_t ok;

	if (c->side == SIDE_B) {
		x = r->caller;
		r->caller = NULL;
		r->res.len = (u_int)len;
		ok = r->proc == NULLPROC ? svc_sendreply(x, XDRPROC(xdr_void), NULL) :
			svc_sendreply(x, XDRPROC(xdr_rpc_buf), (caddr_t)&r->res);
		return ok ? 0 : xp_fail(c, -EIO, "svc_sendreply");
	}
	r->out.len = (u_int)len;
	r->res.len = 0;
	if (len)
		st = clnt_call(r->cl, RPC_ECHO, XDRPROC(xdr_rpc_buf), (caddr_t)&r->out,
			       XDRPROC(xdr_rpc_buf), (caddr_t)&r->res, tv);
	else
		st = clnt_call(r->cl, NULLPROC, XDRPROC(xdr_void), NULL, XDRPROC(xdr_void), NULL,
			       tv);
	if (st != RPC_SUCCESS)
		return xp_fail(c, st == RPC_TIMEDOUT ? -ETIMEDOUT : -EIO, "clnt_call: %s",
			       clnt_sperrno(st));
	return 0;
}

static int rpc_recv(struct cell *c, size_t len, const void **data)
{
	struct rpc_cell *r = c->priv;
	int ret;

	if (c->side == SIDE_A) {
		/* clnt_call() brought the result with it. */
		*data = r->res.data;
		return r->res.len == len ? 0 :
			xp_fail(c, -EPROTO, "result of %u bytes, not %zu", r->res.len, len);
	}
	while (!r->caller) {
		ret = rpc_serve(c, r, -1);
		if (ret < 0)
			return ret;
	}
	if (r->proc != (len ? RPC_ECHO : NULLPROC) || r->arg.len != len)
		return xp_fail(c, -EPROTO, "call %u with %u bytes, not %zu", (unsigned int)r->proc,
			       r->arg.len, len);
	*data = r->arg.data;
	return 0;
}

static void rpc_teardown(struct cell *c)
{
	struct rpc_cell *r = c->priv;
	int i;

	if (!r)
		return;
	if (r->listener) {
		/* The client is gone: let TI-RPC see it and destroy its connections. */
		for (i = 0; i < 100 && rpc_serve(c, r, 0) > 0; i++)
			;
		svc_destroy(r->listener);
	}
	rpc_serving = NULL;
	buf_free(r->arg.data, r->bufsize);
	buf_free(r->res.data, r->bufsize);
	buf_free(r->out.data, r->bufsize);
	free(r->pfd);
	free(r);
	c->priv = NULL;
}

#define RPC_XPORT(id, xflags, what)				\
	{							\
		.name = "rpc-" #id,				\
		.label = what,					\
		.flags = xflags,				\
		.setup = rpc_setup,				\
		.attach = rpc_attach,				\
		.tx_buf = rpc_tx_buf,				\
		.send = rpc_send,				\
		.recv = rpc_recv,				\
		.teardown = rpc_teardown,			\
	}

/* In enum rpc_kind order: rpc_setup() tells them apart by their place. */
const struct xport rpc_xports[RPC_NXPORTS] = {
	[RK_KIPC] = RPC_XPORT(kipc, XP_KIPC, "ONC RPC over kipc channels (libkipc-rpc), TI-RPC"),
	[RK_UNIX] = RPC_XPORT(unix, 0, "ONC RPC over an AF_LOCAL stream socket, TI-RPC"),
	[RK_TCP] = RPC_XPORT(tcp, 0, "ONC RPC over TCP on 127.0.0.1, TI-RPC"),
	[RK_UDP] = RPC_XPORT(udp, 0, "ONC RPC over UDP on 127.0.0.1, TI-RPC"),
};

/* ---- the section -------------------------------------------------------- */

const size_t rpc_sizes[RPC_NSIZES] = { 0, 4 * KIB };
const char *const rpc_size_names[RPC_NSIZES] = { "null", "4 KiB" };
bool rpc_selected[RPC_NXPORTS];
struct rpc_section rpc_results;

/* --transports: if @name is an RPC row, select it. */
bool rpc_select(const char *name)
{
	int t;

	for (t = 0; t < RPC_NXPORTS; t++) {
		if (!strcmp(name, rpc_xports[t].name)) {
			rpc_selected[t] = true;
			return true;
		}
	}
	return false;
}

static void rpc_progress(int pass, const struct xport *xp, int s, const struct phase_result *r)
{
	char t1[32], t2[32];

	if (r->status != ST_OK) {
		progress("rpc: %s %s: %s: %s", xp->name, rpc_size_names[s],
			 status_name(r->status), r->why);
		return;
	}
	progress("rpc: pass %d/%d %-8s %-5s p50 %s p99 %s (%llu calls)", pass + 1, opt.passes,
		 xp->name, rpc_size_names[s], fmt_time(r->p50_ns, t1, sizeof(t1)),
		 fmt_time(r->p99_ns, t2, sizeof(t2)), (unsigned long long)r->count);
}

/*
 * Every selected row at both sizes, in interleaved passes like the
 * transports, the best pass of each cell kept. Client and server share
 * the server's CPU unless --rpc-two-cpus: a call is synchronous, and under
 * emulation (TCG) a wake-up across vCPUs is a hand-off between host
 * threads that costs milliseconds on a busy host and swamps every
 * transport's own cost.
 */
void run_rpc(struct rpc_section *rs)
{
	int pass, s, t, cpu_a = opt.cpu_a;

	if (!opt.rpc_two_cpus)
		opt.cpu_a = opt.cpu_b;	/* what the runner pins side A to */
	rs->cpu_client = opt.cpu_a;
	rs->cpu_server = opt.cpu_b;

	for (pass = 0; pass < opt.passes; pass++) {
		for (s = 0; s < RPC_NSIZES; s++) {
			for (t = 0; t < RPC_NXPORTS; t++) {
				const struct xport *xp = &rpc_xports[t];
				struct phase_result *best = &rs->rtt[t][s], r;

				if (!rpc_selected[t] || (pass && !repeat_pass(best)))
					continue;
				if ((xp->flags & XP_KIPC) && !env.kipc_loaded) {
					best->status = ST_NA;
					snprintf(best->why, sizeof(best->why),
						 "/dev/kipc missing (module not loaded)");
					continue;
				}
				run_phase(xp, rpc_sizes[s], 1, PH_PINGPONG, &r, NULL);
				rpc_progress(pass, xp, s, &r);
				merge_pass(best, &r, PH_PINGPONG);
			}
		}
	}
	opt.cpu_a = cpu_a;
	rs->done = true;
}
