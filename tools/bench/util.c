// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench helpers: the clock, CPU time, pinning, buffers, full reads
 * and writes, sysctls, error strings and size formatting, and the setup
 * and teardown the kipc-batch and kipc-packed rows share.
 *
 * The clock: CLOCK_MONOTONIC, unless reading it is slow (a guest whose
 * clocksource is the emulated HPET pays a system call and an MMIO exit per
 * read, microseconds under TCG) and the CPU has a TSC, in which case the
 * TSC is calibrated against CLOCK_MONOTONIC once and used instead. Every
 * interval is measured on one pinned CPU, so TSC skew between CPUs does
 * not matter. The choice and the cost of a read are in the report.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#include "bench.h"

static bool use_tsc;
static double tsc_ns_per_tick;
static uint64_t tsc_base, mono_base;

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t rdtsc(void)
{
	return __builtin_ia32_rdtsc();
}

static bool tsc_calibrate(void)
{
	uint64_t t0, t1, c0, c1;

	t0 = mono_ns();
	c0 = rdtsc();
	do {
		t1 = mono_ns();
	} while (t1 - t0 < 50 * 1000 * 1000);
	c1 = rdtsc();
	if (c1 <= c0)
		return false;
	tsc_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
	/* Between 0.1 GHz and 20 GHz, or it is not a usable TSC. */
	if (tsc_ns_per_tick < 0.05 || tsc_ns_per_tick > 10.0)
		return false;
	tsc_base = c1;
	mono_base = t1;
	return true;
}
#else
static inline uint64_t rdtsc(void)
{
	return 0;
}

static bool tsc_calibrate(void)
{
	return false;
}
#endif

/* Average cost of one CLOCK_MONOTONIC read, in ns. */
static double mono_cost_ns(void)
{
	uint64_t t0 = mono_ns(), t1;
	int i;

	for (i = 0; i < 1000; i++)
		(void)mono_ns();
	t1 = mono_ns();
	return (double)(t1 - t0) / 1001.0;
}

/**
 * clock_init() - pick the clock behind now_ns()
 * @mode: "auto", "tsc" or "mono"
 */
void clock_init(const char *mode)
{
	use_tsc = false;
	if (!strcmp(mode, "mono"))
		return;
	if (!strcmp(mode, "auto") && mono_cost_ns() < 250.0)
		return;
	use_tsc = tsc_calibrate();
}

const char *clock_name(void)
{
	return use_tsc ? "tsc (calibrated against CLOCK_MONOTONIC)" : "CLOCK_MONOTONIC";
}

uint64_t now_ns(void)
{
	if (use_tsc)
		return mono_base + (uint64_t)((double)(rdtsc() - tsc_base) * tsc_ns_per_tick);
	return mono_ns();
}

double cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

double sys_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void ctx_switches(double *vol, double *invol)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*vol = (double)ru.ru_nvcsw;
	*invol = (double)ru.ru_nivcsw;
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void *buf_alloc(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void buf_free(void *p, size_t len)
{
	if (p)
		munmap(p, len ? len : 1);
}

void *shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Read exactly @len bytes: 0, -EPIPE at end of file, or -errno. */
int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == 0) {
			return -EPIPE;
		} else if (!eintr_retry(-errno)) {
			return -errno;
		}
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n >= 0) {
			p += n;
			len -= (size_t)n;
		} else if (!eintr_retry(-errno)) {
			return -errno;
		}
	}
	return 0;
}

/* A numeric sysctl file's value, or -1. */
long read_sysctl(const char *path)
{
	char buf[64];
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Raise a sysctl to at least @want: 0 if it is (now) there, else -errno. */
int raise_sysctl(const char *path, long want)
{
	long cur = read_sysctl(path);
	FILE *f;
	int ret = 0;

	if (cur >= want)
		return 0;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", want) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

int xp_fail(struct cell *c, int err, const char *fmt, ...)
{
	char what[BENCH_WHY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err == -EINTR && g_abort)
		snprintf(c->why, sizeof(c->why), "%.150s: interrupted (watchdog or peer died)", what);
	else
		snprintf(c->why, sizeof(c->why), "%.120s: %.70s", what, strerror(-err));
	return err < 0 ? err : -EIO;
}

int xp_na(struct cell *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->na = true;
	return XP_NA;
}

const char *fmt_size(size_t n, char *buf, size_t len)
{
	if (n >= MIB && n % MIB == 0)
		snprintf(buf, len, "%zu MiB", n / MIB);
	else if (n >= KIB && n % KIB == 0)
		snprintf(buf, len, "%zu KiB", n / KIB);
	else
		snprintf(buf, len, "%zu B", n);
	return buf;
}

/* "64", "4k", "16M" (binary multiples) */
int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v *= KIB; end++; break;
	case 'm': case 'M': v *= MIB; end++; break;
	case 'g': case 'G': v *= 1024 * MIB; end++; break;
	default: break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

void progress(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	va_start(ap, fmt);
	fputs("kipc-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * Slot spacing in ring buffers: whole cache lines for small messages (so
 * neighbouring slots never share a line between producer and consumer),
 * whole pages from 4 KiB up.
 */
size_t slot_stride(size_t size)
{
	size_t align = size < 4096 ? 64 : 4096;

	if (!size)
		size = 1;
	return (size + align - 1) / align * align;
}

char *fmt_time(double ns, char *b, size_t n)
{
	if (isnan(ns) || ns <= 0)
		snprintf(b, n, "-");
	else if (ns < 1e3)
		snprintf(b, n, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(b, n, "%.3gus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(b, n, "%.3gms", ns / 1e6);
	else
		snprintf(b, n, "%.3gs", ns / 1e9);
	return b;
}

char *fmt_rate(double v, char *b, size_t n)
{
	if (isnan(v) || v <= 0)
		snprintf(b, n, "-");
	else if (v < 1e3)
		snprintf(b, n, "%.3g", v);
	else if (v < 1e6)
		snprintf(b, n, "%.3gk", v / 1e3);
	else
		snprintf(b, n, "%.3gM", v / 1e6);
	return b;
}


/*
 * kipc-batch, kipc-packed and their io_uring rows, setup(): the channels,
 * then n/a unless the module has every feature in @need (the first one it
 * lacks, in this order, named), then the ring probe for an io_uring row.
 */
int xp_batch_setup(struct cell *c, struct xp_slots *s, uint64_t need, bool uring)
{
	static const struct {
		uint64_t feat;
		const char *what;
	} feats[] = {
		{ KIPC_FEAT_BATCH, "batch ioctls (KIPC_FEAT_BATCH)" },
		{ KIPC_FEAT_PACKED, "packed batch ioctls (KIPC_FEAT_PACKED)" },
		{ KIPC_FEAT_URING_CMD, "IORING_OP_URING_CMD batches (KIPC_FEAT_URING_CMD)" },
	};
	uint64_t features = 0;
	size_t i;
	int ret = xp_slots_setup(c, s);

	if (ret)
		return ret;
	ret = kipc_version(&features);
	if (ret < 0)
		return xp_fail(c, ret, "kipc_version");
	for (i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
		if ((need & feats[i].feat) && !(features & feats[i].feat))
			return xp_na(c, "the module has no %s", feats[i].what);
	return uring ? xp_ring_probe(c) : 0;
}

/*
 * The same rows' finish(): @ret is the last flush's; an io_uring row then
 * fails the cell if this side's ring has an io-wq worker thread.
 */
int xp_batch_finish(struct cell *c, int ret, bool uring)
{
	if (ret || !uring)
		return ret;
	return xp_ring_no_workers(c);
}

/*
 * The same rows' teardown(), after their own buffers: the channels and
 * @ring (NULL if it was not made), then c->priv, which holds them.
 */
void xp_batch_teardown(struct cell *c, struct xp_slots *s, struct io_uring *ring)
{
	xp_slots_free(s, ring);
	free(c->priv);
	c->priv = NULL;
}
