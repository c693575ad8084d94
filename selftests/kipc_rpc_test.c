// SPDX-License-Identifier: GPL-2.0
/*
 * ONC RPC over kipc (libkipc-rpc): rpcgen-generated stubs for
 * kipc_rpc_test.x over the kipc transport. Results for many calls and
 * argument sizes (inline and by reference), the standard errors (unknown
 * program, version, procedure; garbage arguments never run the
 * procedure; timeouts), the kernel-stamped caller against forged AUTH_SYS
 * credentials and as an unprivileged uid, the access policy, kill -9 of
 * the server during a call, restart under the same name, the duplicate
 * request cache, and garbage written straight into the service's and a
 * connection's channels.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc_rpc.h>
#include "../lib/rpc/krpc_private.h"	/* the handshake's wire format */
#include "kipc_rpc_test.h"
#include "kselftest_harness.h"
#include "kipc_test_util.h"

/* ---------- the service (runs in a forked server process) ---------- */

static unsigned int kt_counter;

int *kt_add_1_svc(kt_pair *p, struct svc_req *rq)
{
	static int r;

	(void)rq;
	r = p->a + p->b;
	return &r;
}

kt_data *kt_echo_1_svc(kt_data *d, struct svc_req *rq)
{
	static kt_data r;

	(void)rq;
	r = *d;		/* sent before svc_freeargs() frees it */
	return &r;
}

u_int *kt_count_1_svc(void *arg, struct svc_req *rq)
{
	static u_int r;

	(void)arg;
	(void)rq;
	r = ++kt_counter;
	return &r;
}

kt_who *kt_whoami_1_svc(void *arg, struct svc_req *rq)
{
	static kt_who r;
	struct kipc_cred c = { 0 };

	(void)arg;
	r.err = kipc_rpc_caller(rq, &c);
	r.pid = c.pid;
	r.uid = c.uid;
	r.gid = c.gid;
	return &r;
}

int *kt_sleep_1_svc(u_int *ms, struct svc_req *rq)
{
	static int r;

	(void)rq;
	usleep(*ms * 1000u);
	r = 0;
	return &r;
}

kt_stats *kt_stats_1_svc(void *arg, struct svc_req *rq)
{
	static kt_stats r;
	struct kipc_rpc_svc_stats st;

	(void)arg;
	memset(&r, 0, sizeof(r));
	if (kipc_rpc_svc_stats(rq->rq_xprt, &st) == 0) {
		r.conns = st.conns;
		r.garbage = st.garbage;
		r.denied = st.denied;
		r.drc_hits = st.drc_hits;
		r.refs_received = st.refs_received;
		r.refs_sent = st.refs_sent;
	}
	r.count = kt_counter;
	return &r;
}

void kt_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

struct policy {
	const uid_t *uids;
	size_t nuids;
	const gid_t *gids;
	size_t ngids;
};

/*
 * Fork a server for @name, as uid and gid @uid unless it is -1; returns
 * its pid once it serves, or -1.
 */
static pid_t start_server_as(const char *name, unsigned int flags, const struct policy *pol,
			     int uid)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		SVCXPRT *x;

		close(p[0]);
		if (uid >= 0 && become(uid, uid))
			_exit(9);
		/* After the uid change, which clears it: a failed test leaves no server. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		x = kipc_rpc_svc_create(name, flags);
		if (!x)
			_exit(10);
		if (pol && kipc_rpc_svc_allow(x, pol->uids, pol->nuids, pol->gids, pol->ngids))
			_exit(11);
		if (!svc_reg(x, KT_PROG, KT_VERS, kt_prog_1, NULL))
			_exit(12);
		c = 1;
		if (write(p[1], &c, 1) != 1)
			_exit(13);
		close(p[1]);
		svc_run();
		_exit(14);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}

static pid_t start_server(const char *name, unsigned int flags, const struct policy *pol)
{
	return start_server_as(name, flags, pol, -1);
}

static void stop_server(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* ---------- client-side helpers ---------- */

static const struct timeval tv10 = { 10, 0 };

static enum clnt_stat call_add(CLIENT *cl, int a, int b, int *sum)
{
	kt_pair p = { a, b };

	return clnt_call(cl, KT_ADD, (xdrproc_t)xdr_kt_pair, (caddr_t)&p,
			 (xdrproc_t)xdr_int, (caddr_t)sum, tv10);
}

static enum clnt_stat call_void(CLIENT *cl, rpcproc_t proc, xdrproc_t xres, void *res)
{
	return clnt_call(cl, proc, (xdrproc_t)xdr_void, NULL, xres, res, tv10);
}

static enum clnt_stat call_stats(CLIENT *cl, kt_stats *st)
{
	memset(st, 0, sizeof(*st));
	return call_void(cl, KT_STATS, (xdrproc_t)xdr_kt_stats, st);
}

/* Echo @len bytes; 0 if they came back unchanged, else a reason. */
static int echo_check(CLIENT *cl, unsigned char *buf, size_t len, unsigned int seed,
		      enum clnt_stat *st)
{
	kt_data in = { .kt_data_len = (u_int)len, .kt_data_val = (char *)buf };
	kt_data out = { 0 };
	int bad = 0;

	fill(buf, len, seed);
	*st = clnt_call(cl, KT_ECHO, (xdrproc_t)xdr_kt_data, (caddr_t)&in,
			(xdrproc_t)xdr_kt_data, (caddr_t)&out, tv10);
	if (*st != RPC_SUCCESS)
		return 1;
	if (out.kt_data_len != len)
		bad = 2;
	else if (len && memcmp(out.kt_data_val, buf, len))
		bad = 3;
	clnt_freeres(cl, (xdrproc_t)xdr_kt_data, (caddr_t)&out);
	return bad;
}

static bool kipc_present(void)
{
	return kipc_version(NULL) > 0;
}

/*
 * Run @fn in a child with uid @uid and gid @gid (no supplementary
 * groups). Returns its exit status, 128 + the signal that killed it,
 * or -1.
 */
static int run_as(uid_t uid, gid_t gid, int (*fn)(const char *, void *), const char *name,
		  void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (become(uid, gid))
			_exit(100);
		_exit(fn(name, arg));
	}
	return wait_child(pid);
}

/* ---------- a server and a client per test ---------- */

FIXTURE(rpc) {
	char name[64];
	pid_t server;
	CLIENT *cl;
};

FIXTURE_SETUP(rpc)
{
	self->server = -1;
	self->cl = NULL;
	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(self->name, sizeof(self->name), "rpc");
	self->server = start_server(self->name, 0, NULL);
	ASSERT_GT(self->server, 0);
	self->cl = kipc_rpc_clnt_create(self->name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, self->cl) TH_LOG("%s", clnt_spcreateerror("kipc_rpc_clnt_create"));
}

FIXTURE_TEARDOWN(rpc)
{
	if (self->cl)
		clnt_destroy(self->cl);
	stop_server(self->server);
	if (self->server > 0)
		kipc_chan_unlink(self->name);
}

TEST_F(rpc, add_many_calls)
{
	int i, sum;

	for (i = 0; i < 3000; i++) {
		int a = i * 7919 - 1000000, b = -i * 31 + 17;

		ASSERT_EQ(RPC_SUCCESS, call_add(self->cl, a, b, &sum));
		ASSERT_EQ(a + b, sum);
	}
	/* The rpcgen client stub, unchanged. */
	kt_pair p = { 40, 2 };
	int *r = kt_add_1(&p, self->cl);

	ASSERT_NE(NULL, r);
	ASSERT_EQ(42, *r);
}

TEST_F(rpc, echo_sizes_inline_and_by_reference)
{
	static const size_t sizes[] = {
		0, 1, 2, 3, 4, 5, 7, 8, 100, 1000, 4096, 8192, 32768,
		/* around the inline limit: the record is ~40 bytes longer */
		KIPC_RPC_INLINE_MAX - 64, KIPC_RPC_INLINE_MAX - 44, KIPC_RPC_INLINE_MAX - 40,
		KIPC_RPC_INLINE_MAX - 36, KIPC_RPC_INLINE_MAX, KIPC_RPC_INLINE_MAX + 1,
		200000, 1 << 20, (1 << 20) + 3, 4 << 20,
		/* the module's default max_msg_size bounds references: 16 MiB */
		(16 << 20) - 4096,
		/* back down: the regions stay, small records go inline again */
		100, 4096,
	};
	struct kipc_rpc_clnt_stats cs;
	unsigned char *buf = malloc(16 << 20);
	enum clnt_stat st;
	kt_stats ss;
	size_t i;
	int rep;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (rep = 0; rep < 3; rep++) {
			int bad = echo_check(self->cl, buf, sizes[i], (unsigned int)(i + rep), &st);

			ASSERT_EQ(0, bad) TH_LOG("size %zu rep %d: %s", sizes[i], rep,
						 clnt_sperrno(st));
		}
	}
	free(buf);
	ASSERT_TRUE(clnt_control(self->cl, KIPC_RPC_CLGET_STATS, (char *)&cs));
	/* 1 MiB and up, both ways, three times each, on one connection */
	EXPECT_GE(cs.refs_sent, 12);
	EXPECT_GE(cs.refs_received, 12);
	EXPECT_EQ(1, cs.connects);
	ASSERT_EQ(RPC_SUCCESS, call_stats(self->cl, &ss));
	EXPECT_GE(ss.refs_received, 12);
	EXPECT_GE(ss.refs_sent, 12);
}

TEST_F(rpc, unknown_procedure_version_program)
{
	struct rpc_err err;
	u_int vers = 7, prog = 0x20004b51, good;
	int sum;

	ASSERT_EQ(RPC_PROCUNAVAIL, call_void(self->cl, 99, (xdrproc_t)xdr_void, NULL));

	ASSERT_TRUE(clnt_control(self->cl, CLSET_VERS, (char *)&vers));
	ASSERT_EQ(RPC_PROGVERSMISMATCH, call_add(self->cl, 1, 2, &sum));
	clnt_geterr(self->cl, &err);
	EXPECT_EQ(KT_VERS, err.re_vers.low);
	EXPECT_EQ(KT_VERS, err.re_vers.high);
	good = KT_VERS;
	ASSERT_TRUE(clnt_control(self->cl, CLSET_VERS, (char *)&good));

	ASSERT_TRUE(clnt_control(self->cl, CLSET_PROG, (char *)&prog));
	ASSERT_EQ(RPC_PROGUNAVAIL, call_add(self->cl, 1, 2, &sum));
	good = KT_PROG;
	ASSERT_TRUE(clnt_control(self->cl, CLSET_PROG, (char *)&good));

	ASSERT_EQ(RPC_SUCCESS, call_add(self->cl, 1, 2, &sum));
	ASSERT_EQ(3, sum);
}

TEST_F(rpc, garbage_arguments_never_run_the_procedure)
{
	char *str = "hello";
	u_int one = 5, count = 0, len_only = 1000;
	int sum = 0;

	/* KT_ADD wants two ints: one is too short ... */
	ASSERT_EQ(RPC_CANTDECODEARGS,
		  clnt_call(self->cl, KT_ADD, (xdrproc_t)xdr_u_int, (caddr_t)&one,
			    (xdrproc_t)xdr_int, (caddr_t)&sum, tv10));
	/* ... and a string is three words, one too many */
	ASSERT_EQ(RPC_CANTDECODEARGS,
		  clnt_call(self->cl, KT_ADD, (xdrproc_t)xdr_wrapstring, (caddr_t)&str,
			    (xdrproc_t)xdr_int, (caddr_t)&sum, tv10));
	/* an opaque<> whose length promises bytes that are not there */
	ASSERT_EQ(RPC_CANTDECODEARGS,
		  clnt_call(self->cl, KT_ECHO, (xdrproc_t)xdr_u_int, (caddr_t)&len_only,
			    (xdrproc_t)xdr_void, NULL, tv10));
	/* KT_COUNT takes nothing: an argument is a type mismatch, not a call */
	ASSERT_EQ(RPC_CANTDECODEARGS,
		  clnt_call(self->cl, KT_COUNT, (xdrproc_t)xdr_u_int, (caddr_t)&one,
			    (xdrproc_t)xdr_u_int, (caddr_t)&count, tv10));
	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count));
	ASSERT_EQ(1, count) TH_LOG("the procedure ran on garbage arguments");
	ASSERT_EQ(RPC_SUCCESS, call_add(self->cl, 2, 3, &sum));
	ASSERT_EQ(5, sum);
}

TEST_F(rpc, timeout_then_next_call_works)
{
	struct timeval short_tv = { 0, 300000 }, long_tv = { 10, 0 };
	struct kipc_rpc_clnt_stats cs;
	u_int ms = 1500;
	int res, sum;
	int64_t t0, dt;

	ASSERT_TRUE(clnt_control(self->cl, CLSET_TIMEOUT, (char *)&short_tv));
	t0 = now_ns();
	ASSERT_EQ(RPC_TIMEDOUT, clnt_call(self->cl, KT_SLEEP, (xdrproc_t)xdr_u_int, (caddr_t)&ms,
					  (xdrproc_t)xdr_int, (caddr_t)&res, tv10));
	dt = now_ns() - t0;
	EXPECT_GE(dt, 250000000);
	EXPECT_LT(dt, 1200000000);
	/* The late reply must not be taken for this call's. */
	ASSERT_TRUE(clnt_control(self->cl, CLSET_TIMEOUT, (char *)&long_tv));
	ASSERT_EQ(RPC_SUCCESS, call_add(self->cl, 20, 22, &sum));
	ASSERT_EQ(42, sum);
	ASSERT_TRUE(clnt_control(self->cl, KIPC_RPC_CLGET_STATS, (char *)&cs));
	EXPECT_EQ(2, cs.connects);
}

TEST_F(rpc, duplicate_request_cache_answers_a_retry)
{
	u_int count = 0, xid = 0;
	kt_stats ss;

	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count));
	ASSERT_EQ(1, count);
	/* Retry the same call: same xid, same arguments. */
	ASSERT_TRUE(clnt_control(self->cl, CLGET_XID, (char *)&xid));
	ASSERT_TRUE(clnt_control(self->cl, CLSET_XID, (char *)&xid));
	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count));
	ASSERT_EQ(1, count) TH_LOG("a retry ran the procedure again");
	/* A new call (new xid) runs. */
	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count));
	ASSERT_EQ(2, count);
	ASSERT_EQ(RPC_SUCCESS, call_stats(self->cl, &ss));
	EXPECT_EQ(2, ss.count);
	EXPECT_EQ(1, ss.drc_hits);
}

TEST_F(rpc, caller_is_kernel_stamped_not_auth_sys)
{
	kt_who who;
	AUTH *forged, *orig = self->cl->cl_auth;
	struct kipc_cred server;

	memset(&who, 0, sizeof(who));
	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_WHOAMI, (xdrproc_t)xdr_kt_who, &who));
	ASSERT_EQ(0, who.err);
	EXPECT_EQ(getpid(), who.pid);
	EXPECT_EQ(geteuid(), who.uid);
	EXPECT_EQ(getegid(), who.gid);

	/* AUTH_SYS says whatever the client likes; the server does not care. */
	forged = authunix_create("forged", 4242, 4242, 0, NULL);
	ASSERT_NE(NULL, forged);
	self->cl->cl_auth = forged;
	memset(&who, 0, sizeof(who));
	ASSERT_EQ(RPC_SUCCESS, call_void(self->cl, KT_WHOAMI, (xdrproc_t)xdr_kt_who, &who));
	EXPECT_EQ(geteuid(), who.uid);
	EXPECT_EQ(getpid(), who.pid);
	self->cl->cl_auth = orig;
	auth_destroy(forged);

	/* And the client knows who answered. */
	ASSERT_TRUE(clnt_control(self->cl, KIPC_RPC_CLGET_SERVER, (char *)&server));
	EXPECT_EQ(self->server, server.pid);
}

TEST_F(rpc, garbage_on_the_call_channel_is_dropped)
{
	static const unsigned char junk3[] = { 1, 2, 3 };
	unsigned char junk[512];
	uint32_t w[16];
	int call_fd = -1, sum = 0;
	kt_stats ss;
	size_t i;

	ASSERT_TRUE(clnt_control(self->cl, KIPC_RPC_CLGET_CALL_FD, (char *)&call_fd));
	ASSERT_GE(call_fd, 0);
	ASSERT_EQ(0, kipc_send(call_fd, "", 0, 0));
	ASSERT_EQ(3, kipc_send(call_fd, junk3, sizeof(junk3), 0));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 37 + 11);
	ASSERT_EQ(sizeof(junk), kipc_send(call_fd, junk, sizeof(junk), 0));
	/* a REPLY, not a CALL */
	w[0] = htonl(77); w[1] = htonl(REPLY);
	ASSERT_EQ(8, kipc_send(call_fd, w, 8, 0));
	/* RPC version 3 */
	w[0] = htonl(78); w[1] = htonl(CALL); w[2] = htonl(3); w[3] = htonl(KT_PROG);
	w[4] = htonl(KT_VERS); w[5] = htonl(KT_ADD); memset(&w[6], 0, 16);
	ASSERT_EQ(40, kipc_send(call_fd, w, 40, 0));
	/* a good call to an unknown program: an error reply with xid 79 comes back */
	w[0] = htonl(79); w[2] = htonl(2); w[3] = htonl(0x20004b99);
	ASSERT_EQ(40, kipc_send(call_fd, w, 40, 0));

	/* The server goes on; the client skips the stray reply. */
	ASSERT_EQ(RPC_SUCCESS, call_add(self->cl, 30, 12, &sum));
	ASSERT_EQ(42, sum);
	ASSERT_EQ(RPC_SUCCESS, call_stats(self->cl, &ss));
	EXPECT_EQ(5, ss.garbage);
	EXPECT_EQ(1, ss.conns);
}

/* ---------- tests that need their own servers ---------- */

static int whoami_as(const char *name, void *arg)
{
	kt_who who;
	AUTH *forged;
	CLIENT *cl;

	(void)arg;
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	if (!cl)
		return 20;
	memset(&who, 0, sizeof(who));
	if (call_void(cl, KT_WHOAMI, (xdrproc_t)xdr_kt_who, &who) != RPC_SUCCESS)
		return 21;
	if (who.err || who.uid != getuid() || who.gid != getgid() || who.pid != getpid())
		return 22;
	/* Claim to be root in AUTH_SYS: still seen as ourselves. */
	forged = authunix_create("root-really", 0, 0, 0, NULL);
	if (!forged)
		return 23;
	auth_destroy(cl->cl_auth);
	cl->cl_auth = forged;
	memset(&who, 0, sizeof(who));
	if (call_void(cl, KT_WHOAMI, (xdrproc_t)xdr_kt_who, &who) != RPC_SUCCESS)
		return 24;
	if (who.uid != getuid() || who.gid != getgid())
		return 25;
	clnt_destroy(cl);
	return 0;
}

TEST(unprivileged_caller_uid_is_the_real_one)
{
	char name[64];
	pid_t server;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid 1000");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	EXPECT_EQ(0, run_as(1000, 1000, whoami_as, name, NULL));
	EXPECT_EQ(0, run_as(1001, 1002, whoami_as, name, NULL));
	stop_server(server);
	kipc_chan_unlink(name);
}

/* exit 0: allowed and ran; 1: refused with AUTH_TOOWEAK; else a failure */
static int count_as(const char *name, void *arg)
{
	struct rpc_err err;
	u_int count = 0;
	CLIENT *cl;
	enum clnt_stat st;

	(void)arg;
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	if (!cl)
		return 20;
	st = call_void(cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count);
	clnt_geterr(cl, &err);
	clnt_destroy(cl);
	if (st == RPC_SUCCESS)
		return 0;
	if (st == RPC_AUTHERROR && err.re_why == AUTH_TOOWEAK)
		return 1;
	return 30 + st;
}

TEST(policy_refuses_unlisted_users)
{
	static const uid_t uids[] = { 0, 1001 };
	static const gid_t gids[] = { 1002 };
	struct policy pol = { uids, 2, gids, 1 };
	char name[64];
	kt_stats ss;
	pid_t server;
	CLIENT *cl;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to unprivileged uids");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, &pol);
	ASSERT_GT(server, 0);
	EXPECT_EQ(1, run_as(1000, 1000, count_as, name, NULL));	/* refused */
	EXPECT_EQ(0, run_as(1001, 1001, count_as, name, NULL));	/* uid listed */
	EXPECT_EQ(0, run_as(1000, 1002, count_as, name, NULL));	/* gid listed */
	EXPECT_EQ(1, run_as(1002, 1000, count_as, name, NULL));	/* neither */

	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);		/* root: listed */
	ASSERT_NE(NULL, cl);
	ASSERT_EQ(RPC_SUCCESS, call_stats(cl, &ss));
	EXPECT_EQ(2, ss.count) TH_LOG("a refused call ran");
	EXPECT_EQ(2, ss.denied);
	clnt_destroy(cl);
	stop_server(server);
	kipc_chan_unlink(name);
}

/*
 * A setuid-root program that connected as its user (euid 1000, saved uid
 * 0: what seteuid(getuid()) leaves) and then took root back to make the
 * call. The kernel stamps the uid and gid the channel fds were opened
 * with, so kipc_rpc_caller() says uid 1000 and policies judge uid 1000.
 * @arg NULL: KT_WHOAMI must report uid and gid 1000 and our pid (exit 0);
 * else KT_COUNT: exit 0 when it ran, 1 when refused with AUTH_TOOWEAK.
 */
static int deputy_call(const char *name, void *arg)
{
	struct rpc_err err;
	enum clnt_stat st;
	u_int count = 0;
	kt_who who;
	CLIENT *cl;

	if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 0))
		return 100;
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	if (!cl)
		return 20;
	if (seteuid(0) || geteuid() != 0)
		return 21;
	if (!arg) {
		memset(&who, 0, sizeof(who));
		if (call_void(cl, KT_WHOAMI, (xdrproc_t)xdr_kt_who, &who) != RPC_SUCCESS)
			return 22;
		clnt_destroy(cl);
		if (who.err || who.pid != getpid())
			return 23;
		return who.uid == 1000 && who.gid == 1000 ? 0 : 24;
	}
	st = call_void(cl, KT_COUNT, (xdrproc_t)xdr_u_int, &count);
	clnt_geterr(cl, &err);
	clnt_destroy(cl);
	if (st == RPC_SUCCESS)
		return 0;
	if (st == RPC_AUTHERROR && err.re_why == AUTH_TOOWEAK)
		return 1;
	return 30 + st;
}

static int fork_call(int (*fn)(const char *, void *), const char *name, void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(name, arg));
	return wait_child(pid);
}

TEST(setuid_program_calls_as_the_connection_opener)
{
	static const uid_t root_only[] = { 0 }, user_only[] = { 1000 };
	struct policy root_pol = { root_only, 1, NULL, 0 };
	struct policy user_pol = { user_only, 1, NULL, 0 };
	char name[64];
	pid_t server;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid 1000 and back");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	EXPECT_EQ(0, fork_call(deputy_call, name, NULL)) TH_LOG("kipc_rpc_caller()");
	stop_server(server);
	kipc_chan_unlink(name);

	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, &root_pol);
	ASSERT_GT(server, 0);
	EXPECT_EQ(1, fork_call(deputy_call, name, (void *)1)) TH_LOG("root-only policy");
	stop_server(server);
	kipc_chan_unlink(name);

	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, &user_pol);
	ASSERT_GT(server, 0);
	EXPECT_EQ(0, fork_call(deputy_call, name, (void *)1)) TH_LOG("uid-1000 policy");
	stop_server(server);
	kipc_chan_unlink(name);
}

TEST(server_kill_ends_a_blocked_call_and_restart_is_reachable)
{
	struct timeval long_tv = { 30, 0 };
	struct rpc_err err;
	char name[64];
	pid_t server, killer;
	u_int ms = 20000;
	int res, sum;
	int64_t t0, dt;
	CLIENT *cl, *cl2;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);
	ASSERT_TRUE(clnt_control(cl, CLSET_TIMEOUT, (char *)&long_tv));
	ASSERT_EQ(RPC_SUCCESS, call_add(cl, 1, 1, &sum));

	killer = fork();
	ASSERT_GE(killer, 0);
	if (killer == 0) {
		usleep(300000);
		kill(server, SIGKILL);
		_exit(0);
	}
	t0 = now_ns();
	ASSERT_EQ(RPC_CANTRECV, clnt_call(cl, KT_SLEEP, (xdrproc_t)xdr_u_int, (caddr_t)&ms,
					  (xdrproc_t)xdr_int, (caddr_t)&res, long_tv));
	dt = now_ns() - t0;
	clnt_geterr(cl, &err);
	EXPECT_EQ(EPIPE, err.re_errno);
	EXPECT_LT(dt, 3000000000) TH_LOG("took %lld ms of a 30 s timeout", (long long)dt / 1000000);
	waitpid(killer, NULL, 0);
	waitpid(server, NULL, 0);

	/* Nobody serves the name now: an immediate error, not a timeout. */
	t0 = now_ns();
	EXPECT_EQ(RPC_PROGNOTREGISTERED, call_add(cl, 1, 1, &sum));
	EXPECT_LT(now_ns() - t0, 1000000000);
	EXPECT_EQ(NULL, kipc_rpc_clnt_create(name, KT_PROG, KT_VERS));
	EXPECT_EQ(RPC_PROGNOTREGISTERED, rpc_createerr.cf_stat);

	/* A new server adopts the name; new and old handles reach it. */
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl2 = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl2);
	ASSERT_EQ(RPC_SUCCESS, call_add(cl2, 40, 2, &sum));
	ASSERT_EQ(42, sum);
	ASSERT_EQ(RPC_SUCCESS, call_add(cl, 41, 2, &sum));
	ASSERT_EQ(43, sum);
	clnt_destroy(cl2);
	clnt_destroy(cl);
	stop_server(server);
	kipc_chan_unlink(name);
}

TEST(second_server_on_a_live_name_is_refused)
{
	char name[64];
	pid_t server;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	EXPECT_EQ(NULL, kipc_rpc_svc_create(name, 0));
	EXPECT_EQ(EADDRINUSE, rpc_createerr.cf_error.re_errno);
	EXPECT_EQ(NULL, kipc_rpc_svc_create(name, KIPC_RPC_SVC_EXCL));
	EXPECT_EQ(EEXIST, rpc_createerr.cf_error.re_errno);
	stop_server(server);
	kipc_chan_unlink(name);
}

/* A handshake message of @type (a HELLO for @base) into @msg: its length. */
static size_t put_handshake(unsigned char *msg, uint8_t type, uint64_t nonce, const char *base)
{
	struct krpc_hdr h = { .type = type, .nonce = nonce };
	size_t len = base ? strlen(base) : 0;

	if (type == KRPC_HELLO) {
		h.arg = (uint16_t)len;
		h.size = 4096;
	}
	krpc_hdr_put(msg, &h);
	if (len)
		memcpy(msg + KRPC_HDR_LEN, base, len);
	return KRPC_HDR_LEN + len;
}

/* A HELLO naming channels of another user must not make the server act. */
static int hijack_as(const char *name, void *arg)
{
	unsigned char msg[KRPC_HDR_LEN + KIPC_NAME_MAX];
	int fd = kipc_chan_open(name, O_WRONLY, 0, NULL);

	if (fd < 0)
		return 20;
	if (kipc_send(fd, msg, put_handshake(msg, KRPC_HELLO, 1, arg), 0) < 0)
		return 21;
	close(fd);
	return 0;
}

TEST(garbage_on_the_service_channel_is_dropped)
{
	unsigned char junk[300];
	char name[64], victim[128], vname[160];
	struct kipc_chan_stat st;
	struct kipc_msg_info info;
	int fd, vc, vr, i, sum;
	kt_stats ss;
	pid_t server;
	CLIENT *cl;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);

	fd = kipc_chan_open(name, O_WRONLY, 0, NULL);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, kipc_send(fd, "", 0, 0));
	for (i = 1; i <= 40; i++) {
		size_t n = (size_t)(i * 7) % 272;

		memset(junk, i, sizeof(junk));
		if (i % 4 == 0) {	/* starts like a HELLO, of this version or not */
			uint32_t magic = htonl(KRPC_MAGIC);

			memcpy(junk, &magic, 4);
			junk[4] = (unsigned char)(i % 8 == 0 ? KRPC_VERSION : 9);
			junk[5] = KRPC_HELLO;
			n = KRPC_HDR_LEN + (size_t)i;
		}
		ASSERT_EQ((ssize_t)n, kipc_send(fd, junk, n, 0));
	}
	/* The kernel itself refuses what cannot be a handshake. */
	ASSERT_EQ(-EMSGSIZE, kipc_send(fd, junk, sizeof(junk), 0));
	close(fd);

	/* A name outside the service's prefix. */
	if (geteuid() == 0)
		ASSERT_EQ(0, run_as(1000, 1000, hijack_as, name, "no.such.channels"));
	/* Channels of root named as if they were uid 1000's. */
	snprintf(victim, sizeof(victim), "%s.victim", name);
	snprintf(vname, sizeof(vname), "%s.c", victim);
	vc = kipc_chan_open(vname, O_WRONLY | O_CREAT, 0666, NULL);
	ASSERT_GE(vc, 0);
	snprintf(vname, sizeof(vname), "%s.r", victim);
	vr = kipc_chan_open(vname, O_RDONLY | O_CREAT, 0666, NULL);
	ASSERT_GE(vr, 0);
	if (geteuid() == 0)
		ASSERT_EQ(0, run_as(1000, 1000, hijack_as, name, victim));

	/* Still serving, old and new clients alike. */
	ASSERT_EQ(RPC_SUCCESS, call_add(cl, 3, 4, &sum));
	ASSERT_EQ(7, sum);
	clnt_destroy(cl);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);
	ASSERT_EQ(RPC_SUCCESS, call_stats(cl, &ss));
	EXPECT_EQ(geteuid() == 0 ? 43 : 41, ss.garbage);
	clnt_destroy(cl);

	/* The server never touched the victim's channels. */
	ASSERT_EQ(0, kipc_chan_stat(vc, &st));
	EXPECT_EQ(0, st.nr_receivers);
	ASSERT_EQ(-EAGAIN, kipc_recv(vr, junk, sizeof(junk), &info, KIPC_NONBLOCK));
	close(vc);
	close(vr);
	snprintf(vname, sizeof(vname), "%s.c", victim);
	kipc_chan_unlink(vname);
	snprintf(vname, sizeof(vname), "%s.r", victim);
	kipc_chan_unlink(vname);
	stop_server(server);
	kipc_chan_unlink(name);
}

/*
 * Queue what a receiver cannot take: a priority-31 reference to a region
 * only its owner (uid 1000) may read, and messages longer than a HELLO
 * (a reference and an inline one), which the kernel refuses at send.
 */
static int unreadable_refs_as(const char *name, void *arg)
{
	int fd = kipc_chan_open(name, O_WRONLY, 0, NULL);
	int shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	static char big[4096];

	(void)arg;
	if (fd < 0 || shm < 0)
		return 20;
	if (kipc_send_ref(fd, shm, 0, 16, KIPC_PRIO(KIPC_PRIO_MAX)))	/* would be copied */
		return 21;
	if (kipc_send_ref(fd, shm, 0, sizeof(big), 0) != -EMSGSIZE)
		return 22;
	if (kipc_send(fd, big, sizeof(big), 0) != -EMSGSIZE)
		return 23;
	return 0;
}

static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return -1;
	/* fields 14 and 15 (utime, stime); p is at the end of field 2 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static uint64_t service_chan_id(const char *name)
{
	struct kipc_chan_stat st;
	int fd = kipc_chan_open(name, O_WRONLY, 0, NULL);
	int ret;

	if (fd < 0)
		return 0;
	ret = kipc_chan_stat(fd, &st);
	close(fd);
	return ret ? 0 : st.id;
}

/*
 * What a receiver cannot take is discarded (KIPC_DISCARD): the server
 * keeps its service channel (same id) and keeps answering, without
 * spinning on the message.
 */
TEST(unreadable_reference_does_not_block_the_service)
{
	uint64_t id0, id1;
	char name[64];
	kt_stats ss;
	pid_t server;
	CLIENT *before, *after;
	long t0, t1;
	int sum, attack;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root to run the server and the sender as other uids");
	make_name(name, sizeof(name), "rpc");
	/* Unprivileged, so a region mode can keep it out. */
	server = start_server_as(name, 0, NULL, 1001);
	ASSERT_GT(server, 0);
	before = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, before);
	id0 = service_chan_id(name);
	ASSERT_NE(0, id0);
	attack = run_as(1000, 1000, unreadable_refs_as, name, NULL);
	usleep(200000);

	/* Not spinning on a message it cannot take ... */
	t0 = cpu_ticks(server);
	usleep(500000);
	t1 = cpu_ticks(server);
	ASSERT_GE(t0, 0);
	EXPECT_LT(t1 - t0, sysconf(_SC_CLK_TCK) / 10) TH_LOG("server busy: %ld ticks", t1 - t0);
	/* ... still on its own channel, not a replacement ... */
	id1 = service_chan_id(name);
	EXPECT_EQ(id0, id1) TH_LOG("service channel replaced: id %llu -> %llu",
				   (unsigned long long)id0, (unsigned long long)id1);
	ASSERT_EQ(0, attack) TH_LOG("the oversized sends were not refused (%d)", attack);
	/* ... and reachable: old connections and new handshakes. */
	ASSERT_EQ(RPC_SUCCESS, call_add(before, 1, 2, &sum));
	ASSERT_EQ(3, sum);
	after = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, after) TH_LOG("%s", clnt_spcreateerror("after"));
	ASSERT_EQ(RPC_SUCCESS, call_stats(after, &ss));
	EXPECT_EQ(1, ss.garbage);
	clnt_destroy(after);
	clnt_destroy(before);
	stop_server(server);
	kipc_chan_unlink(name);
}

TEST(many_clients_come_and_go)
{
	enum { N = 64 };
	CLIENT *cl[N];
	char name[64];
	kt_stats ss;
	pid_t server;
	int i, sum, tries;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	for (i = 0; i < N; i++) {
		cl[i] = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
		ASSERT_NE(NULL, cl[i]) TH_LOG("client %d: %s", i,
					      clnt_spcreateerror("create"));
	}
	for (i = 0; i < N; i++) {
		ASSERT_EQ(RPC_SUCCESS, call_add(cl[i], i, i, &sum));
		ASSERT_EQ(2 * i, sum);
	}
	for (i = 1; i < N; i++)
		clnt_destroy(cl[i]);
	/* The server notices each departure (EPIPE) and drops the connection. */
	for (tries = 0; tries < 100; tries++) {
		ASSERT_EQ(RPC_SUCCESS, call_stats(cl[0], &ss));
		if (ss.conns == 1)
			break;
		usleep(20000);
	}
	EXPECT_EQ(1, ss.conns);
	clnt_destroy(cl[0]);
	stop_server(server);
	kipc_chan_unlink(name);
}

/* ---------- a client or a server killed inside the handshake ---------- */


static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every live kipc object as a sorted "type name\n" line ("-" for no name;
 * an unlinked object keeps its name here until it is freed), or NULL.
 */
static char *object_names(void)
{
	char line[1024], type[16], name[600], **v = NULL, **nv, *out = NULL;
	size_t n = 0, len = 1, i;
	FILE *f = fopen(KIPC_OBJECTS, "r");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))	/* the header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %*s %599s", type, name) != 2)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto out;
		v = nv;
		if (asprintf(&v[n], "%s %s\n", type, name) < 0)
			goto out;
		len += strlen(v[n++]);
	}
	qsort(v, n, sizeof(*v), cmp_str);
	out = malloc(len);
	if (out) {
		out[0] = '\0';
		for (i = 0; i < n; i++)
			strcat(out, v[i]);
	}
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	fclose(f);
	return out;
}

/* Wait up to 5 s for the listing to be @want again. */
static bool objects_back_to(const char *want)
{
	int i;

	for (i = 0; i < 500; i++) {
		char *now = object_names();
		bool same = now && !strcmp(now, want);

		free(now);
		if (same)
			return true;
		usleep(10000);
	}
	return false;
}

/* How many fds process @pid has open, or -1. */
static int count_fds_of(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Wait up to 5 s for @pid to have @want fds open again. */
static bool fds_back_to(pid_t pid, int want)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (count_fds_of(pid) == want)
			return true;
		usleep(10000);
	}
	return false;
}

enum hs_step { HS_PAIRS, HS_HELLO, HS_ACK };

/*
 * A client doing the handshake by hand as far as @step (channel pairs
 * made; HELLO sent with its two handles; ACK received), then saying so
 * on @report and waiting to be killed.
 */
static void raw_client(const char *service, enum hs_step step, int report)
{
	struct krpc_hdr h = { .type = KRPC_HELLO, .nonce = (uint64_t)getpid(), .size = 4096 };
	int call[2], reply[2], pass[KRPC_HELLO_NFDS], svc;
	unsigned char msg[KRPC_HDR_LEN];
	struct kipc_msg_info info;
	char ok = 1;

	svc = kipc_chan_open(service, O_WRONLY, 0, NULL);
	if (svc < 0 || kipc_chan_pair(call, NULL, 0) || kipc_chan_pair(reply, NULL, 0))
		_exit(1);
	if (step >= HS_HELLO) {
		krpc_hdr_put(msg, &h);
		pass[KRPC_HELLO_CALL] = call[0];
		pass[KRPC_HELLO_REPLY] = reply[1];
		if (kipc_send_handles(svc, msg, sizeof(msg), pass, KRPC_HELLO_NFDS, 0) < 0)
			_exit(2);
		close(call[0]);
		close(reply[1]);
	}
	if (step >= HS_ACK &&
	    kipc_recv_timed(reply[0], msg, sizeof(msg), &info, 0, 5000000000LL) != KRPC_HDR_LEN)
		_exit(3);
	if (write(report, &ok, 1) != 1)
		_exit(4);
	for (;;)
		pause();
}

/* A client that connects and disconnects until it is killed. */
static void churn_client(const char *service)
{
	for (;;) {
		CLIENT *cl = kipc_rpc_clnt_create(service, KT_PROG, KT_VERS);

		if (cl)
			clnt_destroy(cl);
	}
}

TEST(client_killed_in_the_handshake_leaves_no_name)
{
	static const char *const steps[] = { "pairs made", "HELLO sent", "ACK received" };
	int p[2], step, i, sum, fds0;
	char name[64], *before, c;
	pid_t server, pid;
	kt_stats ss;
	CLIENT *cl;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (access(KIPC_OBJECTS, R_OK))
		SKIP(return, "%s not readable (debugfs not mounted, or not root)", KIPC_OBJECTS);
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);
	before = object_names();
	ASSERT_NE(NULL, before);
	fds0 = count_fds_of(server);
	ASSERT_GT(fds0, 0);

	/* Step by step: killed after each step of the handshake. */
	for (step = HS_PAIRS; step <= HS_ACK; step++) {
		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(p[0]);
			raw_client(name, step, p[1]);
		}
		close(p[1]);
		ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("client failed at %s", steps[step]);
		close(p[0]);
		if (step == HS_ACK)	/* the server holds the connection's ends */
			EXPECT_EQ(fds0 + 2, count_fds_of(server));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		EXPECT_TRUE(objects_back_to(before)) TH_LOG("client killed after %s",
							    steps[step]);
		EXPECT_TRUE(fds_back_to(server, fds0)) TH_LOG("server fds after %s: %d, not %d",
							      steps[step],
							      count_fds_of(server), fds0);
	}

	/* The library's own client, killed at assorted moments. */
	for (i = 0; i < 20; i++) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			churn_client(name);
		usleep(2000 + i * 537);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		EXPECT_TRUE(objects_back_to(before)) TH_LOG("churning client killed after %d us",
							    2000 + i * 537);
		EXPECT_TRUE(fds_back_to(server, fds0));
	}

	/* Still serving; every dead client's connection is gone. */
	ASSERT_EQ(RPC_SUCCESS, call_add(cl, 2, 3, &sum));
	ASSERT_EQ(5, sum);
	ASSERT_EQ(RPC_SUCCESS, call_stats(cl, &ss));
	EXPECT_EQ(1, ss.conns);
	free(before);
	clnt_destroy(cl);
	stop_server(server);
	kipc_chan_unlink(name);
}

/* Connect with a 5 s handshake timeout: 0 if it failed within 3 s. */
static int connect_fails_fast(const char *name)
{
	struct kipc_rpc_clnt_attr attr = { .connect_timeout_ms = 5000 };
	int64_t t0 = krpc_now_ns();
	CLIENT *cl = kipc_rpc_clnt_create_attr(name, KT_PROG, KT_VERS, &attr);

	if (cl) {
		clnt_destroy(cl);
		return 10;
	}
	return krpc_now_ns() - t0 < 3000000000LL ? 0 : 11;
}

/*
 * A server that takes one HELLO, says so on @report and waits to be
 * killed without answering.
 */
static void raw_server(const char *name, int report)
{
	struct kipc_chan_attr attr = { .max_msg_size = KRPC_HDR_LEN + KIPC_NAME_MAX };
	unsigned char msg[KRPC_HDR_LEN + KIPC_NAME_MAX];
	unsigned int nfds = KRPC_HELLO_NFDS;
	int fd, fds[KRPC_HELLO_NFDS];
	struct kipc_msg_info info;
	char ok = 1;

	fd = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL, 0622, &attr);
	if (fd < 0 || write(report, &ok, 1) != 1)
		_exit(1);
	if (kipc_recv_handles(fd, msg, sizeof(msg), fds, &nfds, &info, 0) != KRPC_HDR_LEN ||
	    nfds != KRPC_HELLO_NFDS)
		_exit(2);
	if (write(report, &ok, 1) != 1)
		_exit(3);
	for (;;)
		pause();
}

/* Wait up to 5 s for @n messages queued on the channel @name. */
static bool queued_on(const char *name, unsigned int n)
{
	struct kipc_chan_stat st;
	int i, fd = kipc_chan_open(name, O_WRONLY, 0, NULL);
	bool ok = false;

	if (fd < 0)
		return false;
	for (i = 0; i < 500 && !ok; i++) {
		ok = !kipc_chan_stat(fd, &st) && st.nr_msgs >= n;
		if (!ok)
			usleep(10000);
	}
	close(fd);
	return ok;
}

TEST(server_killed_in_the_handshake_leaves_no_name)
{
	char name[64], *before, c;
	pid_t server, client;
	int p[2], sum;
	CLIENT *cl;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (access(KIPC_OBJECTS, R_OK))
		SKIP(return, "%s not readable (debugfs not mounted, or not root)", KIPC_OBJECTS);
	make_name(name, sizeof(name), "rpc");
	before = object_names();
	ASSERT_NE(NULL, before);

	/* Killed before it took the HELLO: the client gives up at once. */
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	ASSERT_EQ(0, kill(server, SIGSTOP));
	client = fork();
	ASSERT_GE(client, 0);
	if (client == 0)
		_exit(connect_fails_fast(name));
	ASSERT_TRUE(queued_on(name, 1));
	stop_server(server);
	EXPECT_EQ(0, wait_child(client));
	EXPECT_EQ(0, kipc_chan_unlink(name));
	EXPECT_TRUE(objects_back_to(before)) TH_LOG("server killed before taking HELLO");

	/* Killed after taking the HELLO, before its ACK: EPIPE at once. */
	ASSERT_EQ(0, pipe(p));
	server = fork();
	ASSERT_GE(server, 0);
	if (server == 0) {
		close(p[0]);
		raw_server(name, p[1]);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	client = fork();
	ASSERT_GE(client, 0);
	if (client == 0)
		_exit(connect_fails_fast(name));
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	stop_server(server);
	EXPECT_EQ(0, wait_child(client));
	EXPECT_EQ(0, kipc_chan_unlink(name));
	EXPECT_TRUE(objects_back_to(before)) TH_LOG("server killed between HELLO and ACK");

	/* Killed after the ACK: the connected client sees it, nothing stays. */
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);
	stop_server(server);
	EXPECT_NE(RPC_SUCCESS, call_add(cl, 1, 2, &sum));
	clnt_destroy(cl);
	EXPECT_EQ(0, kipc_chan_unlink(name));
	EXPECT_TRUE(objects_back_to(before)) TH_LOG("server killed after ACK");
	free(before);
}

/* A HELLO (or @junk) with the @n handles @fds on @svc: 0 or -errno. */
static int send_hello_with(int svc, const int *fds, unsigned int n, bool junk)
{
	struct krpc_hdr h = { .type = KRPC_HELLO, .nonce = 7, .size = 4096 };
	unsigned char msg[KRPC_HDR_LEN];
	ssize_t ret;

	krpc_hdr_put(msg, &h);
	if (junk)
		msg[5] = KRPC_ACK;
	ret = kipc_send_handles(svc, msg, sizeof(msg), fds, n, 0);
	return ret < 0 ? (int)ret : 0;
}

TEST(hello_with_wrong_handles_is_dropped_and_closed)
{
	int call[2], reply[2], pp[2], fds[3], svc, fds0, sum, i;
	char name[64];
	kt_stats s0, s1;
	pid_t server;
	CLIENT *cl;

	if (!kipc_present())
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "rpc");
	server = start_server(name, 0, NULL);
	ASSERT_GT(server, 0);
	cl = kipc_rpc_clnt_create(name, KT_PROG, KT_VERS);
	ASSERT_NE(NULL, cl);
	ASSERT_EQ(RPC_SUCCESS, call_stats(cl, &s0));
	fds0 = count_fds_of(server);
	ASSERT_GT(fds0, 0);
	svc = kipc_chan_open(name, O_WRONLY, 0, NULL);
	ASSERT_GE(svc, 0);
	ASSERT_EQ(0, kipc_chan_pair(call, NULL, 0));
	ASSERT_EQ(0, kipc_chan_pair(reply, NULL, 0));
	ASSERT_EQ(0, pipe(pp));

	/* The ends the other way round. */
	fds[0] = call[1];
	fds[1] = reply[0];
	ASSERT_EQ(0, send_hello_with(svc, fds, 2, false));
	/* Not kipc channels. */
	ASSERT_EQ(0, send_hello_with(svc, pp, 2, false));
	/* Both ends of one channel. */
	ASSERT_EQ(0, send_hello_with(svc, call, 2, false));
	/* One handle, three handles. */
	fds[0] = call[0];
	fds[1] = reply[1];
	fds[2] = call[0];
	ASSERT_EQ(0, send_hello_with(svc, fds, 1, false));
	ASSERT_EQ(0, send_hello_with(svc, fds, 3, false));
	/* Right handles, not a HELLO. */
	ASSERT_EQ(0, send_hello_with(svc, fds, 2, true));
	close(svc);

	/* Every handle it got is closed again; no connection was made. */
	EXPECT_TRUE(fds_back_to(server, fds0)) TH_LOG("server fds %d, not %d",
						      count_fds_of(server), fds0);
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(RPC_SUCCESS, call_stats(cl, &s1));
		if (s1.garbage >= s0.garbage + 6)
			break;
		usleep(10000);
	}
	EXPECT_EQ(s0.garbage + 6, s1.garbage);
	EXPECT_EQ(1, s1.conns);
	ASSERT_EQ(RPC_SUCCESS, call_add(cl, 4, 5, &sum));
	ASSERT_EQ(9, sum);
	close(call[0]);
	close(call[1]);
	close(reply[0]);
	close(reply[1]);
	close(pp[0]);
	close(pp[1]);
	clnt_destroy(cl);
	stop_server(server);
	kipc_chan_unlink(name);
}

TEST_HARNESS_MAIN
