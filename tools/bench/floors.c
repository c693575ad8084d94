// SPDX-License-Identifier: GPL-2.0
/*
 * Floors, measured in the same run as the transports, so ratios to them
 * mean something even under emulation:
 *
 *   memcpy    single-thread memcpy() bandwidth at each size
 *   memread   pattern_check() bandwidth at each size: exactly what every
 *             receiver does with every message, so a zero-copy path can
 *             at best approach it
 *   memwrite  pattern_fill() bandwidth: what every sender does
 *   syscall   the cost of getppid(2), the cheapest real system call
 *   clock     the cost of one now_ns() (part of every round-trip sample)
 *   cacheline a round trip of one cache line between the two pinned CPUs
 *             (two processes spinning on a shared word): the latency floor
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* Run @op in doubling batches until @budget seconds; ns per op. */
static double time_op(void (*op)(void *arg, uint64_t i), void *arg, double budget)
{
	uint64_t reps = 1, ops = 0, total = 0, i, t0, dt;

	while (total < (uint64_t)(budget * 1e9) || ops < 3) {
		t0 = now_ns();
		for (i = 0; i < reps; i++)
			op(arg, ops + i);
		dt = now_ns() - t0;
		total += dt;
		ops += reps;
		if (dt < (uint64_t)(budget * 1e9 / 8) && reps < (1ull << 30))
			reps *= 2;
	}
	return (double)total / (double)ops;
}

struct memarg {
	char *src, *dst;
	size_t len;
	uint64_t sink;
};

static void op_memcpy(void *arg, uint64_t i)
{
	struct memarg *m = arg;

	(void)i;
	memcpy(m->dst, m->src, m->len);
	__asm__ __volatile__("" : : "r"(m->dst) : "memory");
}

static void op_memread(void *arg, uint64_t i)
{
	struct memarg *m = arg;

	(void)i;
	m->sink += (uint64_t)pattern_check(m->src, m->len, 1, 0);
}

static void op_memwrite(void *arg, uint64_t i)
{
	struct memarg *m = arg;

	pattern_fill(m->dst, m->len, i, 0);
	__asm__ __volatile__("" : : "r"(m->dst) : "memory");
}

static void op_getppid(void *arg, uint64_t i)
{
	(void)arg;
	(void)i;
	syscall(SYS_getppid);
}

static void op_clock(void *arg, uint64_t i)
{
	(void)i;
	((struct memarg *)arg)->sink += now_ns();
}

static void op_mono(void *arg, uint64_t i)
{
	(void)i;
	((struct memarg *)arg)->sink += mono_ns();
}

static double gbps(size_t len, double ns)
{
	return ns > 0 ? (double)len / ns : 0;
}

static struct memarg mem;	/* buffers of the largest size, for the whole run */

static double best_max(double old, double v)
{
	return v > old ? v : old;
}

static double best_min(double old, double v)
{
	return v > 0 && (old <= 0 || v < old) ? v : old;
}

/**
 * floors_mem() - memory floors at opt.sizes[@i], keeping the best so far
 * @f: the floors
 * @i: size index
 */
void floors_mem(struct floors *f, int i)
{
	double budget = opt.budget / 2;
	char sz[32];

	if (!mem.src)
		return;
	mem.len = opt.sizes[i];
	f->memcpy_gbps[i] = best_max(f->memcpy_gbps[i], gbps(mem.len, time_op(op_memcpy, &mem, budget)));
	f->memread_gbps[i] = best_max(f->memread_gbps[i], gbps(mem.len, time_op(op_memread, &mem, budget)));
	f->memwrite_gbps[i] = best_max(f->memwrite_gbps[i],
				       gbps(mem.len, time_op(op_memwrite, &mem, budget)));
	progress("floor %-8s memcpy %.3g GB/s, read %.3g GB/s, write %.3g GB/s (best so far)",
		 fmt_size(mem.len, sz, sizeof(sz)), f->memcpy_gbps[i], f->memread_gbps[i],
		 f->memwrite_gbps[i]);
	if (mem.sink)
		progress("floors: warning: the pattern check failed on a static buffer");
}

#define CL_STOP		((1ull << 63) | 1)

/* One cache line bounced between the two pinned CPUs; ns per round trip. */
static double cacheline_rtt(double budget)
{
	_Atomic uint64_t *word = shared_alloc(4096);
	uint64_t i, v, t0, t1 = 0, spins;
	int status, aborted;
	pid_t pid;

	if (!word)
		return 0;
	g_abort = 0;
	pid = fork();
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		pin_to_cpu(opt.cpu_a);
		alarm(60);
		for (;;) {
			spins = 0;
			while (!((v = atomic_load_explicit(word, memory_order_acquire)) & 1)) {
				cpu_relax();
				if (!(++spins & 0xffff) && g_abort)
					_exit(1);
			}
			if (v == CL_STOP)
				_exit(0);
			atomic_store_explicit(word, v + 1, memory_order_release);
		}
	}
	if (pid < 0) {
		munmap((void *)word, 4096);
		return 0;
	}
	alarm(60);
	t0 = now_ns();
	for (i = 0;; i++) {
		atomic_store_explicit(word, 2 * i + 1, memory_order_release);
		spins = 0;
		while (atomic_load_explicit(word, memory_order_acquire) != 2 * i + 2) {
			cpu_relax();
			if (!(++spins & 0xffff) && g_abort)
				break;
		}
		if (g_abort)
			break;
		if (!((i + 1) & 255)) {
			t1 = now_ns();
			if ((double)(t1 - t0) >= budget * 1e9)
				break;
		}
	}
	alarm(0);
	aborted = g_abort;
	atomic_store_explicit(word, CL_STOP, memory_order_release);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	g_abort = 0;	/* the child's exit raised SIGCHLD */
	munmap((void *)word, 4096);
	if (aborted || !t1)
		return 0;
	return (double)(t1 - t0) / (double)(i + 1);
}

/**
 * floors_init() - allocate the buffers of the memory floors
 *
 * Return: 0, or -ENOMEM (memory floors are then skipped).
 */
int floors_init(void)
{
	size_t max = 0;
	int i;

	for (i = 0; i < opt.nsizes; i++)
		if (opt.sizes[i] > max)
			max = opt.sizes[i];
	mem.src = buf_alloc(max);
	mem.dst = buf_alloc(max);
	mem.len = max;
	if (!mem.src || !mem.dst) {
		progress("floors: cannot allocate 2 x %zu bytes; memory floors skipped", max);
		floors_fini();
		return -ENOMEM;
	}
	pattern_fill(mem.src, max, 1, 0);
	return 0;
}

void floors_fini(void)
{
	size_t max = 0;
	int i;

	for (i = 0; i < opt.nsizes; i++)
		if (opt.sizes[i] > max)
			max = opt.sizes[i];
	buf_free(mem.src, max);
	buf_free(mem.dst, max);
	mem.src = mem.dst = NULL;
}

/**
 * floors_scalar() - syscall, clock and cache-line floors, keeping the best
 * @f: the floors
 *
 * Called once per pass, like every cell: the lowest cost seen is the floor.
 */
void floors_scalar(struct floors *f)
{
	double budget = opt.budget / 2;
	struct memarg m = { 0 };

	f->clock_ns = best_min(f->clock_ns, time_op(op_clock, &m, budget));
	f->mono_clock_ns = best_min(f->mono_clock_ns, time_op(op_mono, &m, budget));
	f->syscall_ns = best_min(f->syscall_ns, time_op(op_getppid, NULL, budget));
	if (opt.cpu_a >= 0)
		f->cacheline_rtt_ns = best_min(f->cacheline_rtt_ns, cacheline_rtt(budget));
	progress("floor syscall getppid %.0f ns, clock_gettime(CLOCK_MONOTONIC) %.0f ns, bench clock %.0f ns, cache-line round trip %.0f ns (best so far)",
		 f->syscall_ns, f->mono_clock_ns, f->clock_ns, f->cacheline_rtt_ns);
	f->done = true;
}
