// SPDX-License-Identifier: GPL-2.0
/*
 * Mixed waiters: every kind of receiver kipc has, asleep on ONE channel at
 * once, while one-shot producers (processes that open the channel by name,
 * send one message and exit), close storms and unlink storms go on around
 * them.
 *
 * The kinds: a blocking kipc_recv() (threads, two of them on one fd, and
 * separate processes), a timed receive that times out and goes back to
 * sleep, a blocking receive batch, poll(), epoll level- and
 * edge-triggered, an io_uring read parked on the channel, and an io_uring
 * receive batch (IORING_OP_URING_CMD, which never blocks) with an
 * IORING_OP_POLL_ADD to wait. Each message carries a unique id; the ids
 * each producer really sent and each waiter really received are counted
 * in memory shared by all the processes.
 *
 * What must hold (kipc(7), the uapi header's errno contract): a receiver
 * gets every queued message, then -EPIPE once no sender can exist any more
 * (no send-capable fd and no name), and poll() then says POLLHUP alone;
 * while the name exists or a sender lives, no waiter may see EPIPE. So
 * each case ends by making the channel's senders go for good, and then a
 * watchdog gives every waiter WATCHDOG_S seconds to return: one still
 * asleep fails the test, named by kind. Every message sent is received
 * exactly once (nothing lost, nothing twice), and none is corrupt. While
 * producers run, a queue that holds messages and makes no progress for
 * STALL_S seconds is a stall.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define RUN_MS		2000	/* the steady state's producers run this long */
#define STORM_MS	500	/* an unlink storm lasts this long ... */
#define UNLINK_WAIT_S	60	/* ... or until an unlink worked, within this */
#define WATCHDOG_S	20	/* every waiter returns within this after the end */
#define STALL_S		10	/* messages queued, none received: a stall */
#define MAX_IDS		65536	/* message ids a case may hand out */
#define MAX_WAITERS	24
#define BUF_LEN		64	/* receive buffers: more than a message needs */
#define BATCH_N		8	/* entries of a receive batch */
#define TIMED_NS	(20 * 1000000LL)	/* a timed receive's timeout */
#define MSG_MAGIC	0x6b697063u

enum kind {
	K_RECV,		/* kipc_recv(), blocking */
	K_TIMED,	/* kipc_recv_timed(), looping on -ETIMEDOUT */
	K_BATCH,	/* kipc_recv_batch(), blocking */
	K_POLL,		/* poll(), then a non-blocking receive */
	K_EPOLL_LT,	/* epoll, level-triggered */
	K_EPOLL_ET,	/* epoll, edge-triggered, draining to -EAGAIN */
	K_URING_READ,	/* io_uring IORING_OP_READ, parked on the channel */
	K_URING_CMD,	/* io_uring receive batch + IORING_OP_POLL_ADD */
	NR_KINDS
};

static const char *const kind_name[NR_KINDS] = {
	[K_RECV] = "recv",
	[K_TIMED] = "timed-recv",
	[K_BATCH] = "recv-batch",
	[K_POLL] = "poll",
	[K_EPOLL_LT] = "epoll-lt",
	[K_EPOLL_ET] = "epoll-et",
	[K_URING_READ] = "uring-read",
	[K_URING_CMD] = "uring-cmd-batch",
};

enum wstate { W_STARTING, W_WAITING, W_DONE };

/* One waiter, in shared memory: written by it, read by the test. */
struct waiter {
	int kind;
	int in_proc;		/* a process of its own, not a thread */
	int fd;			/* its channel fd (O_RDONLY) */
	int own_fd;		/* the test closes @fd after it */
	int state;		/* enum wstate */
	int err;		/* how it ended: -EPIPE is right */
	int hup;		/* poll()'s revents after that */
	pid_t pid;
	pid_t tid;
	uint64_t msgs;		/* messages it received */
	uint64_t wakes;		/* returns from its wait, vain ones too */
};

/* What a one-shot producer's exit status says. */
enum {
	P_SENT,
	P_NOENT,	/* the name was gone */
	P_OTHER,	/* the name was another channel's by then */
	P_OPEN_ERR,
	P_SEND_ERR,
	P_ID_ERR,
};

/* Shared by the test, its threads and every process it forks. */
struct shared {
	struct waiter w[MAX_WAITERS];
	int nr_waiters;
	int stop;		/* producers, churn and unlinkers end */
	int go;			/* unlinkers start */
	int reap;		/* waiter processes may exit */
	uint32_t next_id;
	uint32_t bad;		/* corrupt or unknown messages received */
	int bad_err;		/* first unexpected error of a helper */
	uint32_t unlinked;	/* unlinks that succeeded */
	uint32_t produced[P_ID_ERR + 1];
	uint8_t sent[MAX_IDS];
	uint32_t got[MAX_IDS];
};

struct wmsg {
	uint32_t magic;
	uint32_t id;
	uint32_t inv;
	uint32_t pad;
};

static void set_state(struct waiter *w, int s)
{
	__atomic_store_n(&w->state, s, __ATOMIC_RELEASE);
}

static int get_state(const struct waiter *w)
{
	return __atomic_load_n(&w->state, __ATOMIC_ACQUIRE);
}

static void note_error(struct shared *sh, int err)
{
	int zero = 0;

	__atomic_compare_exchange_n(&sh->bad_err, &zero, err, 0, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

static void make_msg(struct wmsg *m, uint32_t id)
{
	m->magic = MSG_MAGIC;
	m->id = id;
	m->inv = ~id;
	m->pad = 0;
}

/* One message received: count its id, or count it as bad. */
static void got_msg(struct shared *sh, struct waiter *w, const void *buf, ssize_t len)
{
	struct wmsg m;

	w->msgs++;
	memcpy(&m, buf, sizeof(m));
	if (len != sizeof(m) || m.magic != MSG_MAGIC || m.inv != ~m.id || m.id >= MAX_IDS ||
	    m.id >= __atomic_load_n(&sh->next_id, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&sh->got[m.id], 1, __ATOMIC_RELAXED);
}

/* ---- the waiters: each returns how it ended (-EPIPE is right) --------- */

static int wait_recv(struct shared *sh, struct waiter *w)
{
	char buf[BUF_LEN];
	ssize_t n;

	for (;;) {
		set_state(w, W_WAITING);
		n = kipc_recv(w->fd, buf, sizeof(buf), NULL, 0);
		w->wakes++;
		if (n < 0)
			return n;
		got_msg(sh, w, buf, n);
	}
}

static int wait_timed(struct shared *sh, struct waiter *w)
{
	char buf[BUF_LEN];
	ssize_t n;

	for (;;) {
		set_state(w, W_WAITING);
		n = kipc_recv_timed(w->fd, buf, sizeof(buf), NULL, 0, TIMED_NS);
		w->wakes++;
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0)
			return n;
		got_msg(sh, w, buf, n);
	}
}

static int wait_batch(struct shared *sh, struct waiter *w)
{
	char bufs[BATCH_N][BUF_LEN];
	struct iovec iov[BATCH_N];
	int i, n;

	for (;;) {
		for (i = 0; i < BATCH_N; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = BUF_LEN;
		}
		set_state(w, W_WAITING);
		n = kipc_recv_batch(w->fd, iov, BATCH_N, NULL, 0);
		w->wakes++;
		if (n < 0)
			return n;
		for (i = 0; i < n; i++)
			got_msg(sh, w, bufs[i], iov[i].iov_len);
	}
}

/*
 * After a readiness report: one non-blocking receive. 1: got a message;
 * 0: none there (another waiter was first); < 0: how it ended.
 */
static int recv_nonblock(struct shared *sh, struct waiter *w)
{
	char buf[BUF_LEN];
	ssize_t n;

	n = kipc_recv(w->fd, buf, sizeof(buf), NULL, KIPC_NONBLOCK);
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return n;
	got_msg(sh, w, buf, n);
	return 1;
}

static int wait_poll(struct shared *sh, struct waiter *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	int r;

	for (;;) {
		set_state(w, W_WAITING);
		if (poll(&p, 1, -1) < 0)
			return -errno;
		w->wakes++;
		r = recv_nonblock(sh, w);
		if (r < 0)
			return r;
	}
}

/* Edge-triggered: nothing more is reported until a receive found none. */
static int wait_epoll(struct shared *sh, struct waiter *w, int edge)
{
	struct epoll_event ev = { .events = EPOLLIN | (edge ? EPOLLET : 0) };
	int ep, r;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &ev)) {
		r = -errno;
		close(ep);
		return r;
	}
	for (;;) {
		set_state(w, W_WAITING);
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			r = -errno;
			break;
		}
		w->wakes++;
		do {
			r = recv_nonblock(sh, w);
		} while (edge && r == 1);
		if (r < 0)
			break;
	}
	close(ep);
	return r;
}

/*
 * Submit what is queued and sleep for one completion: 0 with its res
 * (>= 0) in @res, or how the waiter ends (a negative res, -errno).
 */
static int ring_sleep(struct io_uring *ring, struct waiter *w, int *res)
{
	struct kipc_ring_cqe c;
	int n;

	set_state(w, W_WAITING);
	do {
		n = kipc_ring_reap(ring, &c, 1, 1, -1);
	} while (n == -EINTR);
	if (n != 1)
		return n < 0 ? n : -EIO;
	w->wakes++;
	*res = c.res;
	return c.res < 0 ? c.res : 0;
}

static int wait_uring_read(struct shared *sh, struct waiter *w)
{
	struct io_uring ring;
	char buf[BUF_LEN];
	int ret, res;

	ret = kipc_ring_init(&ring, 4, 0);
	if (ret)
		return ret;
	for (;;) {
		ret = kipc_ring_prep_recv(&ring, w->fd, buf, sizeof(buf), 0, 1);
		if (!ret)
			ret = ring_sleep(&ring, w, &res);
		if (ret)
			break;
		got_msg(sh, w, buf, res);
	}
	kipc_ring_exit(&ring);
	return ret;
}

/* A receive batch as IORING_OP_URING_CMD; when none moved, POLL_ADD waits. */
static int wait_uring_cmd(struct shared *sh, struct waiter *w)
{
	char bufs[BATCH_N][BUF_LEN];
	struct kipc_xfer x[BATCH_N];
	struct iovec iov[BATCH_N];
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct kipc_batch b;
	int i, ret, res;

	for (i = 0; i < BATCH_N; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = BUF_LEN;
	}
	ret = kipc_ring_init(&ring, 4, 0);
	if (ret)
		return ret;
	for (;;) {
		ret = kipc_batch_prep(&b, x, iov, BATCH_N, 0, 0);
		if (!ret)
			ret = kipc_ring_prep_batch(&ring, w->fd, &b, 0, 1);
		if (!ret)
			ret = ring_sleep(&ring, w, &res);
		if (ret)
			break;
		for (i = 0; i < res; i++)
			got_msg(sh, w, bufs[i], x[i].info.len);
		if (res)
			continue;
		sqe = io_uring_get_sqe(&ring);
		if (!sqe) {
			ret = -EBUSY;
			break;
		}
		io_uring_prep_poll_add(sqe, w->fd, POLLIN);
		io_uring_sqe_set_data64(sqe, 2);
		ret = ring_sleep(&ring, w, &res);
		if (ret)
			break;
	}
	kipc_ring_exit(&ring);
	return ret;
}

static int wait_epoll_lt(struct shared *sh, struct waiter *w)
{
	return wait_epoll(sh, w, 0);
}

static int wait_epoll_et(struct shared *sh, struct waiter *w)
{
	return wait_epoll(sh, w, 1);
}

static int (*const wait_fn[NR_KINDS])(struct shared *sh, struct waiter *w) = {
	[K_RECV] = wait_recv,
	[K_TIMED] = wait_timed,
	[K_BATCH] = wait_batch,
	[K_POLL] = wait_poll,
	[K_EPOLL_LT] = wait_epoll_lt,
	[K_EPOLL_ET] = wait_epoll_et,
	[K_URING_READ] = wait_uring_read,
	[K_URING_CMD] = wait_uring_cmd,
};

static void run_waiter(struct shared *sh, struct waiter *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };

	w->pid = getpid();
	w->tid = syscall(SYS_gettid);
	w->err = wait_fn[w->kind](sh, w);
	/* Once a receive said EPIPE, poll() says POLLHUP, and only that. */
	w->hup = poll(&p, 1, 0) == 1 ? p.revents : 0;
	set_state(w, W_DONE);
}

static struct shared *the_shared;

static void *waiter_thread(void *arg)
{
	run_waiter(the_shared, arg);
	return NULL;
}

/* ---- producers, senders, churn, unlinkers ------------------------------ */

/* The name the helpers work on, and the id of the channel under test. */
static char chan_name[64];
static uint64_t chan_id;

static int stopping(struct shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

/*
 * A one-shot producer (a child process): open the channel by name, send
 * message @id, exit. Only a message queued in the channel under test is
 * marked sent.
 */
static int one_shot(struct shared *sh, uint32_t id)
{
	struct kipc_chan_stat st;
	struct wmsg m;
	ssize_t n;
	int fd;

	fd = kipc_chan_open(chan_name, O_WRONLY, 0, NULL);
	if (fd == -ENOENT)
		return P_NOENT;
	if (fd < 0) {
		note_error(sh, fd);
		return P_OPEN_ERR;
	}
	if (kipc_chan_stat(fd, &st) || st.id != chan_id)
		return P_OTHER;	/* a channel made under the name later */
	make_msg(&m, id);
	n = kipc_send(fd, &m, sizeof(m), 0);
	if (n != sizeof(m)) {
		note_error(sh, n < 0 ? (int)n : -EIO);
		return P_SEND_ERR;
	}
	sh->sent[id] = 1;
	return P_SENT;
}

/* Fork one-shot producers, one after the other, until told to stop. */
static void *spawner(void *arg)
{
	struct shared *sh = arg;
	uint32_t id;
	pid_t pid;
	int st;

	while (!stopping(sh)) {
		id = __atomic_fetch_add(&sh->next_id, 1, __ATOMIC_ACQ_REL);
		if (id >= MAX_IDS)
			break;
		pid = fork();
		if (pid < 0) {
			note_error(sh, -errno);
			break;
		}
		if (pid == 0)
			_exit(one_shot(sh, id));
		st = wait_child(pid);
		if (st < 0 || st > P_ID_ERR)
			st = P_ID_ERR;
		__atomic_fetch_add(&sh->produced[st], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Send messages from @fd, @n at a time as one batch, @rounds times (0:
 * until told to stop), sleeping @gap_us in between. 0 or -errno.
 */
static int send_some(struct shared *sh, int fd, int n, int rounds, int gap_us)
{
	struct wmsg m[BATCH_N];
	struct iovec iov[BATCH_N];
	uint32_t id;
	int i, k, r;

	for (r = 0; !rounds || r < rounds; r++) {
		if (!rounds && stopping(sh))
			break;
		id = __atomic_fetch_add(&sh->next_id, n, __ATOMIC_ACQ_REL);
		if (id + n > MAX_IDS)
			return -ENOSPC;
		for (i = 0; i < n; i++) {
			make_msg(&m[i], id + i);
			iov[i].iov_base = &m[i];
			iov[i].iov_len = sizeof(m[i]);
		}
		/* A batch send stops short at a full queue: send the rest. */
		for (i = 0; i < n; i += k) {
			k = kipc_send_batch(fd, iov + i, n - i, 0);
			if (k <= 0)
				return k ? k : -EIO;
			while (k-- > 0)
				sh->sent[id + i++] = 1;
			k = 0;
		}
		if (gap_us)
			usleep(gap_us);
	}
	return 0;
}

/* A sender thread that queues BATCH_N at a time, for the batch receivers. */
static void *burst_sender(void *arg)
{
	struct shared *sh = arg;
	int fd, ret;

	fd = kipc_chan_open(chan_name, O_WRONLY, 0, NULL);
	if (fd < 0) {
		note_error(sh, fd);
		return NULL;
	}
	ret = send_some(sh, fd, BATCH_N, 0, 5000);
	if (ret)
		note_error(sh, ret);
	close(fd);
	return NULL;
}

/* Open the name with @oflag and close it at once; the errno @fine is fine. */
static void open_close(struct shared *sh, int oflag, int fine)
{
	int fd = kipc_chan_open(chan_name, oflag, 0666, NULL);

	if (fd >= 0)
		close(fd);
	else if (fd != fine)
		note_error(sh, fd);
}

/*
 * Close and re-open storm: open the name (to receive, to send, both) and
 * close it again, over and over. Each close of a sender wakes every
 * waiter, who must find nothing and sleep again. -ENOENT once the name is
 * gone is fine.
 */
static void *churn(void *arg)
{
	static const int modes[] = { O_WRONLY, O_RDONLY, O_RDWR };
	struct shared *sh = arg;
	unsigned int i = 0;

	while (!stopping(sh)) {
		open_close(sh, modes[i++ % 3], -ENOENT);
		usleep(1000);
	}
	return NULL;
}

static void wait_go(struct shared *sh)
{
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE))
		usleep(100);
}

/*
 * Unlink storm: once told to go, unlink the name over and over (recreate()
 * makes it anew); count the unlinks that worked.
 */
static void *unlinker(void *arg)
{
	struct shared *sh = arg;
	int ret;

	wait_go(sh);
	while (!stopping(sh)) {
		ret = kipc_chan_unlink(chan_name);
		if (!ret)
			__atomic_fetch_add(&sh->unlinked, 1, __ATOMIC_RELAXED);
		else if (ret != -ENOENT)
			note_error(sh, ret);
		usleep(500);
	}
	return NULL;
}

/* Make the name anew (another channel each time) while the unlinkers run. */
static void *recreate(void *arg)
{
	struct shared *sh = arg;

	wait_go(sh);
	while (!stopping(sh)) {
		open_close(sh, O_RDWR | O_CREAT | O_EXCL, -EEXIST);
		usleep(700);
	}
	return NULL;
}

/* ---- the fixture -------------------------------------------------------- */

#define MAX_HELPERS	16

FIXTURE(waiters) {
	struct shared *sh;
	int keep;		/* the creator's fd: O_RDONLY, never receives */
	int uring;		/* io_uring usable */
	int uring_cmd;		/* and the module takes batches through it */
	pthread_t thr[MAX_WAITERS];
	pthread_t helpers[MAX_HELPERS];
	int nr_helpers;
};

static void add_waiter(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self,
		       int kind, int in_proc, int share_fd)
{
	struct shared *sh = self->sh;
	struct waiter *w;
	pid_t pid;
	int fd;

	if ((kind == K_URING_READ && !self->uring) || (kind == K_URING_CMD && !self->uring_cmd))
		return;
	ASSERT_GT(MAX_WAITERS, sh->nr_waiters);
	w = &sh->w[sh->nr_waiters];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->in_proc = in_proc;
	if (share_fd) {
		w->fd = sh->w[sh->nr_waiters - 1].fd;
	} else {
		fd = kipc_chan_open(chan_name, O_RDONLY, 0, NULL);
		ASSERT_LE(0, fd) TH_LOG("open for %s: %s", kind_name[kind], strerror(-fd));
		w->fd = fd;
		w->own_fd = 1;
	}
	sh->nr_waiters++;
	if (in_proc) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			run_waiter(sh, w);
			/*
			 * Not before the test is done: the exit closes the fd,
			 * and a close wakes every waiter, which would hide a
			 * wake-up the module failed to make.
			 */
			while (!__atomic_load_n(&sh->reap, __ATOMIC_ACQUIRE))
				usleep(10000);
			_exit(0);
		}
		w->pid = pid;
		close(w->fd);
		w->own_fd = 0;
	} else {
		ASSERT_EQ(0, pthread_create(&self->thr[sh->nr_waiters - 1], NULL,
					    waiter_thread, w));
	}
}

/*
 * Every kind as a thread (two blocking receivers sharing one fd), and the
 * kinds worth a process of their own. Processes first, so they inherit
 * none of the threads' fds.
 */
static void start_waiters(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self)
{
	static const int procs[] = { K_RECV, K_RECV, K_BATCH, K_EPOLL_ET, K_URING_READ,
				     K_URING_CMD };
	unsigned int i;
	int k;

	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		add_waiter(_metadata, self, procs[i], 1, 0);
	for (k = 0; k < NR_KINDS; k++) {
		add_waiter(_metadata, self, k, 0, 0);
		if (k == K_RECV)
			add_waiter(_metadata, self, k, 0, 1);
	}
}

static void start_helper(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self,
			 void *(*fn)(void *))
{
	ASSERT_GT(MAX_HELPERS, self->nr_helpers);
	ASSERT_EQ(0, pthread_create(&self->helpers[self->nr_helpers], NULL, fn, self->sh));
	self->nr_helpers++;
}

static void stop_helpers(FIXTURE_DATA(waiters) *self)
{
	int i;

	__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&self->sh->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < self->nr_helpers; i++)
		pthread_join(self->helpers[i], NULL);
	self->nr_helpers = 0;
}

FIXTURE_SETUP(waiters)
{
	struct kipc_chan_attr attr = { .max_msgs = 64 };
	struct kipc_chan_stat st;
	struct io_uring ring;
	uint64_t features = 0;
	int ret;

	self->keep = -1;
	self->nr_helpers = 0;
	self->sh = MAP_FAILED;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	the_shared = self->sh;
	ret = kipc_ring_init(&ring, 4, 0);
	if (!ret) {
		kipc_ring_exit(&ring);
		self->uring = 1;
		self->uring_cmd = kipc_version(&features) >= 0 &&
				  (features & KIPC_FEAT_URING_CMD);
	}
	if (!self->uring)
		TH_LOG("io_uring unavailable (%s): its two waiters are left out",
		       strerror(-ret));
	else if (!self->uring_cmd)
		TH_LOG("no KIPC_FEAT_URING_CMD: the io_uring batch waiter is left out");

	make_name(chan_name, sizeof(chan_name), "wait");
	/* Small, so that senders fill it now and then. */
	self->keep = kipc_chan_open(chan_name, O_RDONLY | O_CREAT | O_EXCL, 0666, &attr);
	ASSERT_LE(0, self->keep) TH_LOG("create: %s", strerror(-self->keep));
	ASSERT_EQ(0, kipc_chan_stat(self->keep, &st));
	chan_id = st.id;
	start_waiters(_metadata, self);
}

FIXTURE_TEARDOWN(waiters)
{
	struct shared *sh = self->sh;
	struct waiter *w;
	int i;

	if (sh == MAP_FAILED)
		return;
	stop_helpers(self);
	kipc_chan_unlink(chan_name);
	__atomic_store_n(&sh->reap, 1, __ATOMIC_RELEASE);
	for (i = 0; i < sh->nr_waiters; i++) {
		w = &sh->w[i];
		if (w->in_proc) {
			if (get_state(w) != W_DONE)
				kill(w->pid, SIGKILL);
			waitpid(w->pid, NULL, 0);
		} else if (get_state(w) == W_DONE) {
			pthread_join(self->thr[i], NULL);
		}
		if (w->own_fd)
			close(w->fd);
	}
	if (self->keep >= 0)
		close(self->keep);
	munmap(sh, sizeof(*sh));
}

/* The waiters in @state (or, with @not, in any other), for a log line. */
static void list_waiters(const struct shared *sh, int state, int not, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < sh->nr_waiters && off < len; i++) {
		if ((get_state(&sh->w[i]) == state) == !!not)
			continue;
		off += snprintf(buf + off, len - off, "%s%s(%s)", off ? ", " : "",
				kind_name[sh->w[i].kind], sh->w[i].in_proc ? "process" : "thread");
	}
}

/*
 * Every waiter has reached its wait, and each is seen asleep in it (the
 * timed receiver, awake every TIMED_NS, is caught between). 0 or -1.
 */
static int all_asleep(const struct shared *sh, int ms)
{
	uint64_t end = now_ns() + ms * 1000000ull;
	int i;

	for (i = 0; i < sh->nr_waiters; i++) {
		while (get_state(&sh->w[i]) != W_WAITING || !sh->w[i].tid) {
			if (now_ns() > end)
				return -1;
			usleep(1000);
		}
		if (wait_state(sh->w[i].tid, 'S', ms))
			return -1;
	}
	return 0;
}

/* The watchdog: every waiter returns within @secs. How many did not. */
static int await_waiters(struct __test_metadata *_metadata, struct shared *sh, int secs,
			 uint64_t *took_ns)
{
	uint64_t t0 = now_ns(), end = t0 + secs * 1000000000ull;
	char names[1024];
	int i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < sh->nr_waiters; i++)
			left += get_state(&sh->w[i]) != W_DONE;
		if (!left || now_ns() > end)
			break;
		usleep(2000);
	}
	*took_ns = now_ns() - t0;
	if (left) {
		list_waiters(sh, W_DONE, 1, names, sizeof(names));
		TH_LOG("%d waiter(s) still asleep %d s after the last sender went: %s",
		       left, secs, names);
	}
	return left;
}

/*
 * After the end: each waiter ended in -EPIPE and poll() then said POLLHUP
 * alone; every message sent was received exactly once, none was corrupt;
 * the channel's counters agree. Returns how many messages were sent.
 */
static uint32_t check_all(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self)
{
	struct shared *sh = self->sh;
	uint32_t id, ids = sh->next_id, sent = 0, got = 0, lost = 0, twice = 0;
	uint64_t kmsgs[NR_KINDS] = { 0 };
	struct kipc_chan_stat st;
	char per_kind[512];
	struct waiter *w;
	size_t off = 0;
	int i, k;

	if (ids > MAX_IDS)
		ids = MAX_IDS;
	for (i = 0; i < sh->nr_waiters; i++) {
		w = &sh->w[i];
		EXPECT_EQ(-EPIPE, w->err) TH_LOG("%s(%s) ended with %s", kind_name[w->kind],
						 w->in_proc ? "process" : "thread",
						 strerror(-w->err));
		EXPECT_EQ(POLLHUP, w->hup) TH_LOG("%s(%s): poll() after EPIPE gave %#x",
						  kind_name[w->kind],
						  w->in_proc ? "process" : "thread", w->hup);
		kmsgs[w->kind] += w->msgs;
	}
	for (id = 0; id < ids; id++) {
		sent += sh->sent[id];
		got += sh->got[id];
		if (sh->got[id] < sh->sent[id]) {
			if (!lost++)
				TH_LOG("message %u lost", id);
		} else if (sh->got[id] > sh->sent[id]) {
			if (!twice++)
				TH_LOG("message %u received %u times, sent %u", id,
				       sh->got[id], sh->sent[id]);
		}
	}
	EXPECT_EQ(0, lost);
	EXPECT_EQ(0, twice);
	EXPECT_EQ(0, sh->bad) TH_LOG("corrupt or unknown messages received");
	EXPECT_EQ(0, sh->bad_err) TH_LOG("a helper failed: %s", strerror(-sh->bad_err));
	EXPECT_EQ(0, kipc_chan_stat(self->keep, &st));
	EXPECT_EQ(sent, st.sent);
	EXPECT_EQ(sent, st.received);
	EXPECT_EQ(0, st.nr_msgs);
	EXPECT_EQ(0, st.nr_senders);
	for (k = 0; k < NR_KINDS; k++)
		off += snprintf(per_kind + off, sizeof(per_kind) - off, "%s%s %llu",
				k ? ", " : "", kind_name[k], (unsigned long long)kmsgs[k]);
	TH_LOG("%u sent, %u received; received by kind: %s", sent, got, per_kind);
	return sent;
}

/*
 * While producers run for @ms: a queue that holds messages while no
 * receive completes for STALL_S is a lost wake-up.
 */
static void watch_for_stall(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self,
			    int ms)
{
	uint64_t end = now_ns() + ms * 1000000ull, progress = now_ns(), last = 0;
	struct kipc_chan_stat st;
	char names[1024];

	while (now_ns() < end) {
		ASSERT_EQ(0, kipc_chan_stat(self->keep, &st));
		if (!st.nr_msgs || st.received != last) {
			last = st.received;
			progress = now_ns();
		} else if (now_ns() - progress > STALL_S * 1000000000ull) {
			list_waiters(self->sh, W_WAITING, 0, names, sizeof(names));
			ASSERT_TRUE(0) TH_LOG("stall: %u queued, none received for %d s; waiting: %s",
					      st.nr_msgs, STALL_S, names);
		}
		usleep(20000);
	}
}

/* No waiter may have returned yet (the channel can still get senders). */
static void none_returned(struct __test_metadata *_metadata, struct shared *sh,
			  const char *when)
{
	char names[1024];

	list_waiters(sh, W_DONE, 0, names, sizeof(names));
	ASSERT_EQ(0, names[0]) TH_LOG("returned %s: %s", when, names);
}

/* The watchdog, then check_all(); at least @min_sent messages. */
static void end_and_check(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self,
			  uint32_t min_sent)
{
	uint64_t took;

	ASSERT_EQ(0, await_waiters(_metadata, self->sh, WATCHDOG_S, &took));
	TH_LOG("%d waiters all returned; the last %.3f s after the end",
	       self->sh->nr_waiters, took / 1e9);
	ASSERT_LE(min_sent, check_all(_metadata, self));
}

/*
 * (a) Steady state: one-shot producers (four at a time), a thread sending
 * batches and a close/re-open storm run for RUN_MS, watched for stalls.
 * Then they are gone, the name still there: nobody may see EPIPE. Then the
 * name goes: every waiter gets what is left, then EPIPE.
 */
TEST_F_TIMEOUT(waiters, steady_state_then_unlink, 180)
{
	struct shared *sh = self->sh;
	int i;

	for (i = 0; i < 4; i++)
		start_helper(_metadata, self, spawner);
	start_helper(_metadata, self, burst_sender);
	start_helper(_metadata, self, churn);
	watch_for_stall(_metadata, self, RUN_MS);
	stop_helpers(self);
	ASSERT_EQ(0, sh->bad_err) TH_LOG("a helper failed: %s", strerror(-sh->bad_err));
	ASSERT_EQ(0, sh->produced[P_NOENT] + sh->produced[P_OTHER] +
		     sh->produced[P_OPEN_ERR] + sh->produced[P_SEND_ERR] +
		     sh->produced[P_ID_ERR]);
	ASSERT_LT(0, sh->produced[P_SENT]);

	usleep(200000);
	none_returned(_metadata, sh, "with no sender but the name there");
	ASSERT_EQ(0, kipc_chan_unlink(chan_name));
	end_and_check(_metadata, self, sh->produced[P_SENT]);
	TH_LOG("%u one-shot producers", sh->produced[P_SENT]);
}

#define NR_SENDER_PROCS		3
#define NR_SENDER_THREADS	2

struct sender_thread {
	struct shared *sh;
	int fd;
	int msgs;
	int go;			/* pipe read end: EOF says go */
	int ret;
};

static void *close_storm_sender(void *arg)
{
	struct sender_thread *s = arg;
	char c;

	while (read(s->go, &c, 1) > 0)
		;
	s->ret = s->msgs ? send_some(s->sh, s->fd, s->msgs, 1, 0) : 0;
	close(s->fd);
	return NULL;
}

/*
 * (b) Close storm: every waiter asleep, the name unlinked while senders
 * (processes and threads) hold the channel open, so nobody wakes for
 * good; then the senders send @msgs each (or nothing) and all close at
 * once: every waiter gets the messages, then EPIPE; poll and epoll see
 * POLLHUP, io_uring gets -EPIPE in its CQE.
 */
static void close_storm(struct __test_metadata *_metadata, FIXTURE_DATA(waiters) *self,
			int msgs)
{
	struct sender_thread st[NR_SENDER_THREADS];
	pthread_t thr[NR_SENDER_THREADS];
	struct shared *sh = self->sh;
	pid_t pids[NR_SENDER_PROCS];
	int go[2], i, fd;

	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < NR_SENDER_PROCS; i++) {
		fd = kipc_chan_open(chan_name, O_WRONLY, 0, NULL);
		ASSERT_LE(0, fd);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct sender_thread s = { .sh = sh, .fd = fd, .msgs = msgs,
						   .go = go[0] };

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(go[1]);
			close_storm_sender(&s);
			_exit(s.ret ? 1 : 0);
		}
		close(fd);
	}
	for (i = 0; i < NR_SENDER_THREADS; i++) {
		st[i] = (struct sender_thread){ .sh = sh, .msgs = msgs, .go = go[0] };
		st[i].fd = kipc_chan_open(chan_name, O_WRONLY, 0, NULL);
		ASSERT_LE(0, st[i].fd);
		ASSERT_EQ(0, pthread_create(&thr[i], NULL, close_storm_sender, &st[i]));
	}

	ASSERT_EQ(0, all_asleep(sh, 10000)) TH_LOG("the waiters did not all fall asleep");
	/* Unlinked, but senders live: a wake-up for nothing. */
	ASSERT_EQ(0, kipc_chan_unlink(chan_name));
	usleep(300000);
	none_returned(_metadata, sh, "after the unlink while senders lived");
	ASSERT_EQ(0, all_asleep(sh, 10000)) TH_LOG("the waiters did not fall asleep again");

	close(go[1]);		/* go: all senders at once */
	close(go[0]);
	for (i = 0; i < NR_SENDER_THREADS; i++) {
		pthread_join(thr[i], NULL);
		EXPECT_EQ(0, st[i].ret) TH_LOG("send: %s", strerror(-st[i].ret));
	}
	for (i = 0; i < NR_SENDER_PROCS; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	end_and_check(_metadata, self, msgs * (NR_SENDER_PROCS + NR_SENDER_THREADS));
}

TEST_F_TIMEOUT(waiters, close_storm_while_all_asleep, 120)
{
	close_storm(_metadata, self, 0);
}

TEST_F_TIMEOUT(waiters, close_storm_after_messages, 120)
{
	close_storm(_metadata, self, 3);
}

/*
 * (c) Unlink storm: with every waiter asleep, one-shot producers and a
 * close/re-open storm run; then threads unlink the name over and over
 * while another makes it anew (a different channel: producers that find
 * that one send nothing). Producers that opened the channel under test
 * before its unlink still send; once they are gone, every waiter gets
 * what is left, then EPIPE.
 */
TEST_F_TIMEOUT(waiters, unlink_storm_while_waiting, 120)
{
	struct shared *sh = self->sh;
	int i;

	ASSERT_EQ(0, all_asleep(sh, 10000)) TH_LOG("the waiters did not all fall asleep");
	for (i = 0; i < 3; i++)
		start_helper(_metadata, self, spawner);
	start_helper(_metadata, self, churn);
	for (i = 0; i < 3; i++)
		start_helper(_metadata, self, unlinker);
	start_helper(_metadata, self, recreate);
	watch_for_stall(_metadata, self, STORM_MS);
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	watch_for_stall(_metadata, self, STORM_MS);
	/*
	 * On a loaded host the unlinkers may not have run at all within
	 * STORM_MS: the storm lasts until one unlink worked (the channel
	 * under test lost its name), up to UNLINK_WAIT_S.
	 */
	for (i = 0; i < UNLINK_WAIT_S * 10 && !__atomic_load_n(&sh->unlinked, __ATOMIC_ACQUIRE);
	     i++)
		watch_for_stall(_metadata, self, 100);
	stop_helpers(self);
	kipc_chan_unlink(chan_name);	/* one recreate() may have left */

	ASSERT_EQ(0, sh->bad_err) TH_LOG("a helper failed: %s", strerror(-sh->bad_err));
	ASSERT_EQ(0, sh->produced[P_OPEN_ERR] + sh->produced[P_SEND_ERR] +
		     sh->produced[P_ID_ERR]);
	ASSERT_LT(0, sh->unlinked);
	end_and_check(_metadata, self, 0);
	TH_LOG("producers: %u sent, %u found no name, %u found another channel; %u unlinks",
	       sh->produced[P_SENT], sh->produced[P_NOENT], sh->produced[P_OTHER],
	       sh->unlinked);
}

TEST_HARNESS_MAIN
