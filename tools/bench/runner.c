// SPDX-License-Identifier: GPL-2.0
/*
 * The cell runner: one transport, one size, one phase, two processes.
 *
 * Side B (this process) sets the transport up, forks side A, and both run
 * the same message schedule. Side A, the producer, decides when to stop:
 * after a warm-up (which also faults in every slot and buffer), it keeps
 * going until the time budget is spent (and at least a minimum count is
 * done), then stores the last message's sequence number in a shared
 * control page *before* sending that message, so the consumer knows it is
 * the last when it arrives; no extra message and no timing on the
 * consumer's side. In --check mode the counts are fixed instead.
 *
 *   pingpong  A: fill, send, recv, check, release  (one round-trip sample)
 *             B: recv, check, release, fill, send
 *   stream    A: fill, send, fill, send, ...    (the transport's window
 *             B: recv, check, release, ...        bounds what is in flight)
 *
 * Round-trip samples are taken by A, on A's CPU; the streaming rate by B,
 * from the end of the warm-up to the last message. CPU time is getrusage()
 * of both sides over their measured part.
 *
 * Failure handling: a watchdog alarm() in both processes, and a SIGCHLD
 * handler in B, interrupt blocking calls (no SA_RESTART) and set g_abort,
 * which every wait loop checks, so a broken or dead peer ends the cell
 * with an error instead of a hang. A waits on a "gate" pipe after its
 * loop, so it never exits while B may still read its memory
 * (process_vm_readv) or its messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

volatile sig_atomic_t g_abort;

/* What a side used: CPU seconds (user + sys, sys) and context switches. */
struct usage {
	double cpu, sys, vcsw, icsw;
};

/*
 * --marks: tell the cost mode's QEMU plugin (tools/qemu-plugin/kipc-icount.c)
 * that this side's measured part of window @c->mark begins or ends. The
 * marker is a one-byte load, movzbl 0x4b495043(%rdi), %eax, from a buffer
 * of ours aligned to 64 KiB, at the offset (window << 2) | (side << 1) |
 * end: the plugin knows the instruction by its bytes and reads the mark
 * from the address it loads. Without the plugin it is just a load.
 */
static unsigned char mark_area[65536] __attribute__((aligned(65536)));

static void bench_mark(const struct cell *c, bool end)
{
#if defined(__x86_64__)
	uintptr_t at = (uintptr_t)mark_area + ((c->mark & 0x3fffu) << 2) +
		       ((c->side == SIDE_B) << 1) + end - 0x4b495043u;
	unsigned int v;

	if (!opt.marks)
		return;
	asm volatile(".byte 0x0f, 0xb6, 0x87, 0x43, 0x50, 0x49, 0x4b"
		     : "=a"(v) : "D"(at) : "memory");
	(void)v;
#else
	(void)c;
	(void)end;
#endif
}

static void usage_mark(const struct cell *c, struct usage *u)
{
	bench_mark(c, false);
	u->cpu = cpu_secs();
	u->sys = sys_secs();
	ctx_switches(&u->vcsw, &u->icsw);
}

/* @u, marked earlier, becomes what was used since. */
static void usage_since(const struct cell *c, struct usage *u)
{
	struct usage now;

	now.cpu = cpu_secs();
	now.sys = sys_secs();
	ctx_switches(&now.vcsw, &now.icsw);
	bench_mark(c, true);
	u->cpu = now.cpu - u->cpu;
	u->sys = now.sys - u->sys;
	u->vcsw = now.vcsw - u->vcsw;
	u->icsw = now.icsw - u->icsw;
}

struct ctl {
	_Atomic uint64_t last;		/* sequence number of the last message */
	uint64_t warm;			/* warm-up messages (both sides) */
	/* side A's results */
	int status;			/* 0 ok, 1 failed, 2 n/a */
	char why[BENCH_WHY];
	uint64_t count, bad;
	double secs, p50, p99, mean;
	struct usage use;		/* from the end of the warm-up */
};

static void on_signal(int sig)
{
	(void)sig;
	g_abort = 1;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocked calls return EINTR */
	sigaction(sig, &sa, NULL);
}

void runner_signals(void)
{
	set_handler(SIGALRM, on_signal);
	set_handler(SIGCHLD, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

/* Messages in flight for streaming, and slots per ring: 32 MiB, 2..64. */
unsigned int window_for(size_t size)
{
	size_t w = 32 * MIB / (size ? size : 1);

	if (w < 2)
		w = 2;
	if (w > 64)
		w = 64;
	return (unsigned int)w;
}

static uint64_t warm_count(const struct cell *c)
{
	if (opt.check)
		return c->phase == PH_STREAM ? 0 : 1;
	if (c->phase == PH_STREAM)
		return c->window;
	if (c->size >= MIB)
		return 1;
	return c->size >= 64 * KIB ? 4 : 32;
}

/* Measured count in --check mode: wraps every ring twice. */
static uint64_t check_count(const struct cell *c)
{
	if (c->phase == PH_PINGPONG)
		return 3;
	if (c->size * (2 * c->window + 3) > 256 * MIB)
		return c->window + 3;
	return 2 * c->window + 3;
}

static uint64_t min_count(const struct cell *c)
{
	if (c->phase == PH_PINGPONG)
		return 3;
	return c->window > 4 ? c->window : 4;
}

#define MAX_ROUNDS	(1u << 21)

/* --corrupt-test: spoil one byte of message 2, as a broken transport would. */
static void maybe_corrupt(const struct cell *c, void *buf, uint64_t seq)
{
	if (opt.corrupt && seq == 2 && !strcmp(opt.corrupt, c->xp->name))
		((unsigned char *)buf)[c->size / 2] ^= 0x40;
}

/* Should the producer make message @n (counted after the warm-up) the last? */
static bool stop_here(const struct cell *c, uint64_t n, uint64_t elapsed_ns)
{
	if (opt.check)
		return n >= check_count(c);
	if (n < min_count(c))
		return false;
	if (c->phase == PH_PINGPONG && n >= MAX_ROUNDS)
		return true;
	return (double)elapsed_ns >= opt.budget * 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int side_a_pingpong(struct cell *c, struct ctl *ctl)
{
	const struct xport *xp = c->xp;
	uint64_t seq, last = 0, tstart = 0, tprev = 0, n = 0, cap = 1024, sum = 0;
	uint64_t *samples = malloc(cap * sizeof(*samples));
	struct usage u0 = { 0 };
	const void *data;
	void *buf;
	int ret = 0;

	if (!samples)
		return xp_fail(c, -ENOMEM, "malloc");
	for (seq = 1;; seq++) {
		if (seq == ctl->warm + 1) {
			usage_mark(c, &u0);
			tstart = tprev = now_ns();
		}
		ret = xp->tx_buf(c, &buf);
		if (ret)
			break;
		pattern_fill(buf, c->size, seq, 0);
		maybe_corrupt(c, buf, seq);
		if (seq > ctl->warm && stop_here(c, seq - ctl->warm, tprev - tstart)) {
			last = seq;
			atomic_store(&ctl->last, seq);
		}
		ret = xp->send(c, c->size);
		if (ret)
			break;
		ret = xp->recv(c, c->size, &data);
		if (ret)
			break;
		ctl->bad += (uint64_t)pattern_check(data, c->size, seq, 1);
		if (xp->release) {
			ret = xp->release(c);
			if (ret)
				break;
		}
		if (seq > ctl->warm) {
			uint64_t t = now_ns();

			if (n == cap) {
				uint64_t *p = realloc(samples, 2 * cap * sizeof(*samples));

				if (!p) {
					ret = xp_fail(c, -ENOMEM, "realloc");
					break;
				}
				samples = p;
				cap *= 2;
			}
			samples[n++] = t - tprev;
			sum += t - tprev;
			tprev = t;
		}
		if (seq == last)
			break;
	}
	if (!ret && n) {
		qsort(samples, n, sizeof(*samples), cmp_u64);
		ctl->count = n;
		ctl->p50 = (double)samples[n / 2];
		ctl->p99 = (double)samples[(n * 99 + 99) / 100 - 1];
		ctl->mean = (double)sum / (double)n;
		ctl->secs = (double)(tprev - tstart) / 1e9;
		usage_since(c, &u0);
		ctl->use = u0;
	}
	free(samples);
	return ret;
}

static int side_a_stream(struct cell *c, struct ctl *ctl)
{
	const struct xport *xp = c->xp;
	/* Reading the clock can cost microseconds in a guest: not per message. */
	uint64_t every = c->size >= 4096 ? 1 : 16;
	uint64_t seq, tstart = 0;
	struct usage u0 = { 0 };
	bool is_last = false;
	void *buf;
	int ret;

	for (seq = 1;; seq++) {
		if (seq == ctl->warm + 1) {
			usage_mark(c, &u0);
			tstart = now_ns();
		}
		ret = xp->tx_buf(c, &buf);
		if (ret)
			return ret;
		pattern_fill(buf, c->size, seq, 0);
		maybe_corrupt(c, buf, seq);
		if (seq > ctl->warm && ((seq - ctl->warm) % every == 0 || opt.check) &&
		    stop_here(c, seq - ctl->warm, opt.check ? 0 : now_ns() - tstart)) {
			atomic_store(&ctl->last, seq);
			is_last = true;
		}
		ret = xp->send(c, c->size);
		if (ret)
			return ret;
		if (is_last)
			break;
	}
	usage_since(c, &u0);
	ctl->use = u0;
	return 0;
}

static void child_main(struct cell *c, struct ctl *ctl, int gate)
{
	char byte;
	int ret;

	signal(SIGCHLD, SIG_DFL);
	c->side = SIDE_A;
	c->peer = getppid();
	pin_to_cpu(opt.cpu_a);
	ret = c->xp->attach ? c->xp->attach(c) : 0;
	if (!ret)
		ret = c->phase == PH_PINGPONG ? side_a_pingpong(c, ctl) : side_a_stream(c, ctl);
	if (!ret && c->xp->finish)
		ret = c->xp->finish(c);
	if (ret) {
		ctl->status = c->na ? 2 : 1;
		memcpy(ctl->why, c->why, sizeof(ctl->why));
		_exit(1);
	}
	/* Stay alive (and mapped) until B has everything. */
	while (read(gate, &byte, 1) < 0 && errno == EINTR && !g_abort)
		;
	_exit(0);
}

static int side_b_pingpong(struct cell *c, struct ctl *ctl, uint64_t *bad, struct usage *use)
{
	const struct xport *xp = c->xp;
	const void *data;
	bool is_last;
	uint64_t seq;
	void *buf;
	int ret;

	usage_mark(c, use);
	for (seq = 1;; seq++) {
		ret = xp->recv(c, c->size, &data);
		if (ret)
			return ret;
		*bad += (uint64_t)pattern_check(data, c->size, seq, 0);
		if (xp->release) {
			ret = xp->release(c);
			if (ret)
				return ret;
		}
		is_last = atomic_load(&ctl->last) == seq;
		ret = xp->tx_buf(c, &buf);
		if (ret)
			return ret;
		pattern_fill(buf, c->size, seq, 1);
		ret = xp->send(c, c->size);
		if (ret)
			return ret;
		if (seq == ctl->warm) {
			usage_mark(c, use);
		}
		if (is_last)
			break;
	}
	usage_since(c, use);
	return 0;
}

static int side_b_stream(struct cell *c, struct ctl *ctl, struct phase_result *res,
			 uint64_t *bad, struct usage *use)
{
	const struct xport *xp = c->xp;
	uint64_t seq, t0 = now_ns(), t1;
	const void *data;
	int ret;

	usage_mark(c, use);
	for (seq = 1;; seq++) {
		ret = xp->recv(c, c->size, &data);
		if (ret)
			return ret;
		*bad += (uint64_t)pattern_check(data, c->size, seq, 0);
		if (xp->release) {
			ret = xp->release(c);
			if (ret)
				return ret;
		}
		if (seq == ctl->warm) {
			t0 = now_ns();
			usage_mark(c, use);
		}
		if (atomic_load(&ctl->last) == seq)
			break;
	}
	t1 = now_ns();
	usage_since(c, use);
	res->count = seq - ctl->warm;
	res->secs = (double)(t1 - t0) / 1e9;
	return 0;
}

/* Seconds before the watchdog gives up on a cell: generous, it is for hangs. */
static unsigned int watchdog_secs(size_t size)
{
	return 120 + (unsigned int)(size / MIB) * 6 + (unsigned int)(opt.budget * 4);
}

static void set_fail(struct phase_result *res, enum bench_status st, const char *why)
{
	res->status = st;
	snprintf(res->why, sizeof(res->why), "%s", why);
}

/**
 * run_phase() - measure one cell
 * @xp: transport
 * @size: payload bytes
 * @nchans: channels (scale transport), else 1
 * @phase: PH_PINGPONG or PH_STREAM
 * @res: filled in
 * @window: if not NULL, receives the window used
 *
 * Return: 0 if the cell ran (or is n/a), -1 if it failed (see @res).
 */
int run_phase(const struct xport *xp, size_t size, unsigned int nchans,
	      enum bench_phase phase, struct phase_result *res, unsigned int *window)
{
	struct cell c = {
		.xp = xp, .size = size, .nchans = nchans ? nchans : 1, .phase = phase,
		.window = window_for(size), .side = SIDE_B,
	};
	static unsigned int windows;
	uint64_t bad = 0;
	struct usage use = { 0 };
	struct ctl *ctl;
	int gate[2], ret, status = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	c.mark = ++windows;
	/* One message in flight each way: one slot per lane is enough. */
	if (phase == PH_PINGPONG)
		c.window = 1;
	ret = xp->setup(&c);
	if (window)
		*window = c.window;	/* a transport may have had to shrink it */
	if (ret) {
		set_fail(res, ret == XP_NA ? ST_NA : ST_FAIL, c.why);
		xp->teardown(&c);
		return ret == XP_NA ? 0 : -1;
	}
	ctl = shared_alloc(sizeof(*ctl));
	if (!ctl || pipe2(gate, O_CLOEXEC)) {
		set_fail(res, ST_FAIL, "control page or gate pipe: out of resources");
		if (ctl)
			munmap(ctl, sizeof(*ctl));
		xp->teardown(&c);
		return -1;
	}
	ctl->warm = warm_count(&c);

	g_abort = 0;
	pid = fork();
	if (pid < 0) {
		set_fail(res, ST_FAIL, "fork failed");
		close(gate[0]);
		close(gate[1]);
		munmap(ctl, sizeof(*ctl));
		xp->teardown(&c);
		return -1;
	}
	if (pid == 0) {
		close(gate[1]);
		alarm(watchdog_secs(size));
		child_main(&c, ctl, gate[0]);
	}
	close(gate[0]);
	c.peer = pid;
	alarm(watchdog_secs(size));
	ret = xp->attach ? xp->attach(&c) : 0;
	if (!ret)
		ret = phase == PH_PINGPONG ? side_b_pingpong(&c, ctl, &bad, &use)
					   : side_b_stream(&c, ctl, res, &bad, &use);
	if (!ret && xp->finish)
		ret = xp->finish(&c);
	alarm(0);
	if (ret)
		kill(pid, SIGKILL);
	close(gate[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_abort = 0;	/* the child's exit raised SIGCHLD */

	if (ctl->status) {
		/* A's own error explains B's "interrupted". */
		set_fail(res, ctl->status == 2 ? ST_NA : ST_FAIL, ctl->why);
	} else if (ret) {
		set_fail(res, c.na ? ST_NA : ST_FAIL, c.why);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		set_fail(res, ST_FAIL, "producer process died");
	} else {
		res->status = ST_OK;
		res->bad = bad + ctl->bad;
		res->mark = opt.marks ? c.mark : 0;
		if (phase == PH_PINGPONG) {
			res->count = ctl->count;
			res->secs = ctl->secs;
			res->p50_ns = ctl->p50;
			res->p99_ns = ctl->p99;
			res->mean_ns = ctl->mean;
		} else if (res->secs > 0) {
			res->rate = (double)res->count / res->secs;
			res->gbps = res->rate * (double)size / 1e9;
		}
		if (res->count) {
			double n = (double)res->count;

			res->cpu_ns = (use.cpu + ctl->use.cpu) * 1e9 / n;
			res->a_cpu_ns = ctl->use.cpu * 1e9 / n;
			res->a_sys_ns = ctl->use.sys * 1e9 / n;
			res->b_cpu_ns = use.cpu * 1e9 / n;
			res->b_sys_ns = use.sys * 1e9 / n;
			res->a_vcsw = ctl->use.vcsw / n;
			res->a_icsw = ctl->use.icsw / n;
			res->b_vcsw = use.vcsw / n;
			res->b_icsw = use.icsw / n;
		}
		if (res->bad) {
			res->status = ST_FAIL;
			snprintf(res->why, sizeof(res->why),
				 "%llu message(s) arrived with wrong bytes",
				 (unsigned long long)res->bad);
		}
	}
	munmap(ctl, sizeof(*ctl));
	xp->teardown(&c);
	return res->status == ST_FAIL ? -1 : 0;
}

/*
 * Keep the better of two passes. A failure sticks (wrong data in any pass
 * is wrong data); otherwise the pass with the lower round-trip p50 or the
 * higher streaming rate wins: the host's interference only ever slows a
 * pass down.
 */
void merge_pass(struct phase_result *best, const struct phase_result *r,
		       enum bench_phase ph)
{
	int passes = best->passes + 1;

	if (best->status == ST_NOTRUN || r->status == ST_FAIL ||
	    (best->status != ST_FAIL && r->status == ST_OK &&
	     (best->status != ST_OK ||
	      (ph == PH_PINGPONG ? r->p50_ns < best->p50_ns : r->rate > best->rate))))
		*best = *r;
	best->passes = passes;
}

/* Worth another pass? Not after n/a or a failure, nor for long cells. */
bool repeat_pass(const struct phase_result *r)
{
	return r->status == ST_OK && r->secs < 2 * opt.budget;
}
