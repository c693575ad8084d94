/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-bench internals: the transport interface, the cell runner, floors,
 * scale tests and the report. See tools/kipc-bench.c for the big picture.
 *
 * Vocabulary
 *   cell      one transport at one message size in one phase
 *   phase     "pingpong" (round trips, one message in flight each way) or
 *             "stream" (one way, a window of messages in flight)
 *   side A    the producer / initiator: a child process (forked per cell)
 *   side B    the consumer / responder: the bench process itself
 *   lane 0    A -> B (both phases); lane 1: B -> A (pingpong only)
 *
 * Every payload is written in full by its sender (pattern_fill()) and read
 * in full by its receiver (pattern_check()), on every transport, so the
 * comparison includes touching the data and any wrong, stale or torn
 * message is counted.
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define KIB		1024ul
#define MIB		(1024ul * 1024ul)

#define BENCH_MAX_SIZES	32
#define BENCH_MAX_SCALE	8
#define BENCH_WHY	200

enum bench_side { SIDE_A = 0, SIDE_B = 1 };
enum bench_phase { PH_PINGPONG = 0, PH_STREAM = 1 };

/* Transport flags. */
#define XP_KIPC		0x1u	/* needs /dev/kipc */
#define XP_ZEROCOPY	0x2u	/* the receiver reads the sender's memory in place */
#define XP_SPIN		0x4u	/* busy-polls: CPU time is wall time on both sides */

/* setup() return value: the transport cannot carry this cell (c->why says why). */
#define XP_NA		1

struct cell;

/**
 * struct xport - one way of moving a message between two processes
 * @name: short id used in tables, CSV and JSON
 * @label: one-line description
 * @flags: XP_*
 * @setup: in side B before the fork: create everything both sides need
 *	(inherited through fork). Returns 0, XP_NA or -errno.
 * @attach: in each side after the fork: close what this side does not
 *	use, allocate its private buffers. May be NULL.
 * @tx_buf: where the next outgoing payload goes (may wait for a free slot)
 * @send: ship @len bytes written at the last @tx_buf; in streaming it may
 *	hold messages back to send them in batches (see @finish)
 * @recv: wait for the next message of @len bytes; *@data points at it
 * @release: the receiver is done with the last @recv (may be NULL)
 * @finish: in each side after its last message (may be NULL): the
 *	producer ships what @send still holds back; end-of-run checks
 * @teardown: in side B after the child was reaped: free everything
 *
 * All return 0 or -errno and say what failed in c->why (xp_fail()).
 */
struct xport {
	const char *name;
	const char *label;
	unsigned int flags;
	int (*setup)(struct cell *c);
	int (*attach)(struct cell *c);
	int (*tx_buf)(struct cell *c, void **buf);
	int (*send)(struct cell *c, size_t len);
	int (*recv)(struct cell *c, size_t len, const void **data);
	int (*release)(struct cell *c);
	int (*finish)(struct cell *c);
	void (*teardown)(struct cell *c);
};

/**
 * struct cell - one transport, one size, one phase
 * @xp: the transport
 * @size: payload bytes per message
 * @window: messages in flight allowed (stream), slots per lane
 * @nchans: channels used round robin (scale test; 1 otherwise)
 * @phase: PH_PINGPONG or PH_STREAM
 * @side: SIDE_A or SIDE_B, set after the fork
 * @peer: the other side's pid, set after the fork
 * @priv: the transport's state (allocated by @setup, copied by fork)
 * @na: the error in @why means "cannot carry", not "broken"
 * @why: n/a reason or error message
 */
struct cell {
	const struct xport *xp;
	size_t size;
	unsigned int window;
	unsigned int nchans;
	enum bench_phase phase;
	int side;
	unsigned int mark;	/* --marks: this cell's measuring window */
	pid_t peer;
	void *priv;
	bool na;
	char why[BENCH_WHY];
};

/* Which lane a side sends on / receives from. */
static inline int tx_lane(const struct cell *c) { return c->side; }
static inline int rx_lane(const struct cell *c) { return !c->side; }
static inline int nr_lanes(const struct cell *c) { return c->phase == PH_PINGPONG ? 2 : 1; }
/* Does this side send / receive in this phase? (Both do in ping-pong.) */
static inline bool side_sends(const struct cell *c)
{
	return c->phase == PH_PINGPONG || c->side == SIDE_A;
}
static inline bool side_receives(const struct cell *c)
{
	return c->phase == PH_PINGPONG || c->side == SIDE_B;
}

/* Outcome of one phase of one cell. */
enum bench_status { ST_NOTRUN = 0, ST_OK, ST_NA, ST_FAIL };

struct phase_result {
	enum bench_status status;
	char why[BENCH_WHY];
	uint64_t count;		/* round trips or messages measured */
	uint64_t bad;		/* messages whose bytes were wrong */
	double secs;		/* measured wall time */
	double p50_ns, p99_ns, mean_ns;	/* pingpong: round-trip time */
	double rate;		/* stream: messages per second */
	double gbps;		/* stream: payload GB/s (1e9 bytes) */
	double cpu_ns;		/* user+sys of both sides per message / round trip */
	/* The same split by side (A: producer / client, B: consumer /
	 * server) and kernel (sys) part, per message / round trip. */
	double a_cpu_ns, a_sys_ns, b_cpu_ns, b_sys_ns;
	/* Context switches per message / round trip, by side: voluntary
	 * (the side slept: a wake-up was needed) and involuntary. */
	double a_vcsw, a_icsw, b_vcsw, b_icsw;
	int passes;		/* passes run; the best is kept */
	unsigned int mark;	/* --marks: the window's number (0: none) */
};

struct cell_result {
	struct phase_result pp, st;
	unsigned int window;
};

/* ---- options and global state (kipc-bench.c) ---- */

struct bench_opts {
	bool quick;
	bool check;		/* correctness mode: fixed counts, no timing */
	bool quiet;
	bool pin;
	bool floors;
	bool scale;
	bool rpc;		/* the RPC section */
	bool rpc_two_cpus;	/* RPC client and server on cpu_a and cpu_b */
	bool raise_limits;
	bool marks;		/* --marks: cost-mode markers for kipc-icount */
	int phase;		/* --phase: -1 both, else the one enum bench_phase to run */
	double budget;		/* seconds per phase and pass */
	int passes;		/* interleaved passes; the best one counts */
	size_t sizes[BENCH_MAX_SIZES];
	int nsizes;
	unsigned int scale_chans[BENCH_MAX_SCALE];
	int nscale;
	unsigned int open_chans;
	size_t pipe_size;	/* F_SETPIPE_SZ; 0 = leave the default */
	const char *corrupt;	/* --corrupt-test: transport whose sender spoils a message */
	const char *csv_path;
	const char *json_path;
	int cpu_a, cpu_b;	/* -1: not pinned */
};

extern struct bench_opts opt;
extern volatile sig_atomic_t g_abort;	/* watchdog fired or the peer died */

/* ---- transports (xport_kipc.c, xport_std.c) ---- */

extern const struct xport xp_kipc_chan, xp_kipc_ref, xp_kipc_sem, xp_kipc_spin;
extern const struct xport xp_pipe, xp_unix_stream, xp_unix_seqpacket, xp_posix_mq,
	xp_sysv_msg, xp_eventfd, xp_tcp, xp_pvm_readv;
extern const struct xport xp_kipc_chan_rr;	/* scale test: N channels round robin */
extern const struct xport xp_kipc_uring;	/* xport_uring.c */
extern const struct xport xp_kipc_batch, xp_kipc_uring_batch;	/* xport_batch.c */
extern const struct xport xp_kipc_packed, xp_kipc_uring_packed;	/* xport_packed.c */
extern const struct xport xp_kipc_fd, xp_unix_scm_fd;	/* xport_handles.c */
int kchan_open(struct cell *c, uint32_t depth, uint32_t msg_size, int *fd);
/*
 * The rows that move messages on kipc channels in batches (kipc-uring,
 * kipc-batch, kipc-uring-batch, kipc-packed, kipc-uring-packed): channels,
 * slots and io_uring helpers (xport_uring.c).
 */
struct xp_slots {
	int ch[2];			/* per lane */
	unsigned int batch;		/* messages per batch (1 in ping-pong) */
	size_t stride;
	unsigned char *tx, *rx;		/* a batch of slots each */
};
struct io_uring;
struct kipc_ring_cqe;
int xp_slots_setup(struct cell *c, struct xp_slots *s);
int xp_slots_attach(struct cell *c, struct xp_slots *s, unsigned int max);
void xp_slots_free(struct xp_slots *s, struct io_uring *ring);
int xp_ring_probe(struct cell *c);
int xp_ring_init(struct cell *c, struct io_uring *ring, unsigned int entries);
int xp_ring_reap(struct cell *c, struct io_uring *ring, struct kipc_ring_cqe *cqe,
		 unsigned int max, unsigned int wait_nr);
int xp_ring_no_workers(struct cell *c);
/* kipc-batch, kipc-packed and their io_uring rows (util.c) */
int xp_batch_setup(struct cell *c, struct xp_slots *s, uint64_t need, bool uring);
int xp_batch_finish(struct cell *c, int ret, bool uring);
void xp_batch_teardown(struct cell *c, struct xp_slots *s, struct io_uring *ring);
extern const struct xport *const bench_xports[];
extern const int bench_nxports;
extern bool xp_selected[];		/* [index in bench_xports] */

/* ---- util.c ---- */

void clock_init(const char *mode);
const char *clock_name(void);
uint64_t now_ns(void);
uint64_t mono_ns(void);
double cpu_secs(void);			/* user+sys of this process */
double sys_secs(void);			/* sys (kernel) time of this process */
/* Context switches of this process so far: voluntary (it slept) in *vol,
 * involuntary (preempted) in *invol. */
void ctx_switches(double *vol, double *invol);
int pin_to_cpu(int cpu);
void *buf_alloc(size_t len);		/* page-aligned, pre-faulted; NULL on ENOMEM */
void buf_free(void *p, size_t len);
void *shared_alloc(size_t len);		/* MAP_SHARED | MAP_ANONYMOUS, zeroed */
int read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);
long read_sysctl(const char *path);
int raise_sysctl(const char *path, long want);
int xp_fail(struct cell *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xp_na(struct cell *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool eintr_retry(int err) { return err == -EINTR && !g_abort; }
const char *fmt_size(size_t n, char *buf, size_t len);
char *fmt_time(double ns, char *buf, size_t len);	/* "850ns", "12.3us", "4.56ms" */
char *fmt_rate(double v, char *buf, size_t len);	/* "123", "45.6k", "1.23M" */
int parse_size(const char *s, size_t *out);
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t slot_stride(size_t size);
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * ---- the io_uring batch rows (xport_batch.c, xport_packed.c) ----
 * Only in a file that includes <liburing.h> and <kipc.h> before this one.
 */
#ifdef LIB_URING_H
#include <poll.h>

#define XP_RING_CMD	1	/* user_data: the batch or packed call */
#define XP_RING_POLL	2	/* user_data: its poll */

/* One completion of this side's ring: its res, or the cell fails. */
static inline int xp_ring_wait(struct cell *c, struct io_uring *ring, int32_t *res)
{
	struct kipc_ring_cqe cqe;
	int n;

	do
		n = xp_ring_reap(c, ring, &cqe, 1, 1);
	while (!n);
	if (n < 0)
		return n;
	*res = cqe.res;
	return 0;
}

/*
 * kipc-uring-batch, kipc-uring-packed: run the batch @b, or else the
 * packed call @p, on channel @ch as one IORING_OP_URING_CMD; while it
 * moves nothing, wait for POLLOUT (@send) or POLLIN with an
 * IORING_OP_POLL_ADD and run it again. Returns how many moved (>= 1), or
 * fails the cell. Inline, so that each row's call is as it was in its
 * own file (@b or @p a constant NULL).
 */
static inline int xp_ring_cmd(struct cell *c, struct io_uring *ring, int ch,
			      struct kipc_batch *b, struct kipc_packed *p, bool send)
{
	struct io_uring_sqe *sqe;
	int32_t res;
	int ret;

	for (;;) {
		ret = b ? kipc_ring_prep_batch(ring, ch, b, send, XP_RING_CMD) :
			  kipc_ring_prep_packed(ring, ch, p, send, XP_RING_CMD);
		if (ret)
			return xp_fail(c, ret, b ? "kipc_ring_prep_batch" : "kipc_ring_prep_packed");
		ret = xp_ring_wait(c, ring, &res);
		if (ret)
			return ret;
		if (res)
			break;
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return xp_fail(c, -EBUSY, "io_uring_get_sqe");
		io_uring_prep_poll_add(sqe, ch, send ? POLLOUT : POLLIN);
		io_uring_sqe_set_data64(sqe, XP_RING_POLL);
		ret = xp_ring_wait(c, ring, &res);
		if (ret)
			return ret;
		if (res < 0)
			return xp_fail(c, res, "IORING_OP_POLL_ADD");
	}
	if (res < 0)
		return b ? xp_fail(c, res, "io_uring %s batch", send ? "send" : "receive") :
			   xp_fail(c, res, "io_uring packed %s", send ? "send" : "receive");
	return res;
}
#endif /* LIB_URING_H */

/* ---- pattern.c ---- */

void pattern_fill(void *buf, size_t len, uint64_t seq, int lane);
int pattern_check(const void *buf, size_t len, uint64_t seq, int lane);

/* ---- runner.c ---- */

int run_phase(const struct xport *xp, size_t size, unsigned int nchans,
	      enum bench_phase phase, struct phase_result *res, unsigned int *window);
unsigned int window_for(size_t size);
void merge_pass(struct phase_result *best, const struct phase_result *r, enum bench_phase ph);
bool repeat_pass(const struct phase_result *r);
void runner_signals(void);

/* ---- floors.c ---- */

struct floors {
	bool done;
	double memcpy_gbps[BENCH_MAX_SIZES];
	double memread_gbps[BENCH_MAX_SIZES];
	double memwrite_gbps[BENCH_MAX_SIZES];
	double syscall_ns;
	double clock_ns;
	double mono_clock_ns;		/* clock_gettime(CLOCK_MONOTONIC) itself */
	double cacheline_rtt_ns;
};

int floors_init(void);
void floors_fini(void);
void floors_scalar(struct floors *f);
void floors_mem(struct floors *f, int i);

/* ---- scale.c ---- */

struct slab_growth {
	char name[32];
	double bytes_per_chan;
};

struct scale {
	bool done;
	struct phase_result rate[BENCH_MAX_SCALE];
	unsigned int opened;		/* channels the open test made */
	double open_first_ns, open_last_ns;	/* the 1st and the Nth open */
	double open_head_p50_ns, open_tail_p50_ns;	/* median of the first / last 100 */
	double slab_bytes_per_chan;	/* /proc/meminfo Slab delta / channels */
	double unreclaim_bytes_per_chan;
	struct slab_growth top[6];	/* /proc/slabinfo caches that grew most */
	int ntop;
	char why[BENCH_WHY];
};

void run_scale(struct scale *s);

/* ---- xport_rpc.c: the RPC section (ONC RPC round trips, issue 7) ---- */

#define RPC_NXPORTS	4	/* rpc-kipc, rpc-unix, rpc-tcp, rpc-udp */
#define RPC_NSIZES	2	/* the null procedure, a 4 KiB argument */

struct rpc_section {
	bool done;
	int cpu_client, cpu_server;	/* -1: not pinned */
	struct phase_result rtt[RPC_NXPORTS][RPC_NSIZES];	/* pingpong only */
};

extern const struct xport rpc_xports[RPC_NXPORTS];
extern const size_t rpc_sizes[RPC_NSIZES];		/* 0: the null procedure */
extern const char *const rpc_size_names[RPC_NSIZES];
extern bool rpc_selected[RPC_NXPORTS];
extern struct rpc_section rpc_results;

bool rpc_select(const char *name);	/* --transports: an RPC row? selects it */
void run_rpc(struct rpc_section *rs);

/* ---- report.c ---- */

struct bench_env {
	char kernel[128];
	char cpu_model[128];
	int ncpus;
	bool emulated;
	bool kipc_loaded;
	long kipc_max_msg_size;
	char when[32];
	char limits_note[256];
};

extern struct bench_env env;
extern struct cell_result results[][BENCH_MAX_SIZES];
extern struct floors floors;
extern struct scale scale;

void report_table(FILE *f);
int report_csv(FILE *f);
int report_json(FILE *f);
void report_check(FILE *f, int *failed, int *skipped, int *passed);
int size_index(size_t size);
const char *status_name(enum bench_status st);

#endif /* KIPC_BENCH_H */
