// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: a seeded, reproducible random driver of the whole /dev/kipc
 * syscall surface.
 *
 * Each worker process (--procs) runs a random sequence of calls drawn from
 * its own seed (derived from --seed): open/close/dup of /dev/kipc and
 * object fds, every ioctl with random sizes, flags, reserved fields and
 * pointers, read/write/readv/writev/preadv2/pwritev2, poll, mmap, munmap,
 * mprotect, mremap and plain loads and stores on region mappings,
 * reference sends with random ranges, RLIMIT_NOFILE squeezes (so fd
 * allocation fails inside the module), fork, and SIGKILL of the forked
 * children mid-call. Object names come from a small pool shared by all
 * workers, so opens, creates and unlinks race.
 *
 * What is checked:
 *  - every result is success or an errno the ABI header's errno contract
 *    documents for that call on that kind of fd (the table in allowed();
 *    EINTR, ENOMEM, EMFILE and ENFILE are accepted everywhere);
 *  - where one defect is injected into an otherwise valid call (short
 *    size, non-zero tail, unknown flag, non-zero reserved field, bad
 *    value, bad name, bad pointer) the exact errno the contract names;
 *  - "nothing consumed, nothing queued" on failure, and exactly one
 *    message sent or received on success, on anonymous channels that only
 *    this process holds (their sent/received/nr_msgs counters cannot be
 *    moved by anyone else);
 *  - the content of every received message the fuzzer sent (a header
 *    with a seed, and a body generated from it);
 *  - batches (SEND_BATCH, RECV_BATCH): a bad first entry is the call's
 *    errno (for a receive, before any wait), a bad later one only makes
 *    the count short; the count is exact on private channels, and a
 *    private batch never says EAGAIN with room or messages to move;
 *  - reference receives: the fd fast path, range and region id;
 *  - region mappings: loads and stores on pages known to be mapped never
 *    fault, a load past the region's end (after mremap) gets SIGBUS;
 *  - the ABI 2 edges: a @size above a page is E2BIG whatever follows
 *    the struct (a zero tail, an unmapped page); a deadline past 2^63 ns
 *    is no timeout (never ETIMEDOUT); a reference longer than the
 *    channel's max_msg_size is EMSGSIZE, nothing queued; a reference the
 *    receiver may not read (mode bits, with the DAC capabilities dropped)
 *    is EACCES on every receive and stays queued, and KIPC_XFER_DISCARD
 *    drops it; a discard never needs a buffer, and on private channels it
 *    always takes a queued message and counts in @discarded, not in
 *    @received (every other call leaves @discarded alone);
 *  - no SIGPIPE, no fd the fuzzer did not ask for, no worker stuck;
 *  - at the end, with every fd closed and every pool name unlinked, the
 *    module's counters (KIPC_IOC_STAT) are back at their start values.
 *
 * Memory safety of the fuzzer itself: the kernel only gets pointers from
 * a fixed menu (valid buffers with lengths that fit them, NULL, addresses
 * that can never be mapped, a PROT_NONE guard page, a read-only alias of
 * a scratch page, or a range that runs into the guard page), so a wrong
 * kernel write cannot corrupt the fuzzer's own state.
 *
 * Built with gcc -m32 (selftests/fuzz/kipc-fuzz-m32) it drives the compat ioctl
 * path: 32-bit iovecs and pointers in the same structs.
 *
 * Reproducing: the seed is always printed. The sequence of calls each
 * worker makes is a function of the seed alone; results that depend on
 * timing (other workers, the moment a child is killed) may differ between
 * runs, so reproduce with the same --procs (or --procs 1 to take the
 * races out) and use --trace to see every call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <kipc.h>

#define PROG		"kipc-fuzz"

#define MAX_PROCS	16
#define MAX_SLOTS	40
#define MAX_MAPS	12
#define MAX_MAP_PAGES	32
#define MAX_NAMES	32
#define MAX_EVENTS	64
#define EVENT_LEN	400
#define NERRNO		140
#define MAX_SEGS	8
#define NIOV_MANY	1024		/* UIO_MAXIOV */
#define MAX_BATCH	64		/* entries in the batches the fuzzer builds */

/* The data arena: messages are built in the first half, received into the second. */
#define AREA_LEN	(256 * 1024)
#define DATA_LEN	(2 * AREA_LEN)
#define MAX_MSG		(AREA_LEN - MAX_SEGS * 64 - 4096)

#define MSG_MAGIC	0xc3a5f00du	/* has bytes >= 0x80: region stores never form it */

#ifndef offsetofend
#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#endif

/*
 * Each struct's size in the first ABI release: the smallest @size the
 * kernel accepts. Structs grow at their end (kipc_chan_stat gained @id),
 * so sizes from here up to sizeof() are an older caller's, and valid.
 */
#define MIN_VERSION	offsetofend(struct kipc_version, features)
#define MIN_STAT	offsetofend(struct kipc_global_stat, region_bytes)
#define MIN_CHAN_OPEN	offsetofend(struct kipc_chan_open, __reserved)
#define MIN_UNLINK	offsetofend(struct kipc_unlink, __reserved)
#define MIN_SHM_OPEN	offsetofend(struct kipc_shm_open, length)
#define MIN_XFER	offsetofend(struct kipc_xfer, info)
#define MIN_CHAN_STAT	offsetofend(struct kipc_chan_stat, __reserved)
#define MIN_SHM_STAT	offsetofend(struct kipc_shm_stat, __reserved)
#define MIN_REF_XFER	offsetofend(struct kipc_ref_xfer, info)
#define MIN_BATCH	offsetofend(struct kipc_batch, deadline_ns)

/*
 * ABI 2 additions, for a build against a header that does not have them
 * yet: the receive flag that drops the head message, and struct
 * kipc_chan_stat @discarded, appended after @id. @discarded is read by
 * its offset so that this builds with either header; a kernel that does
 * not know it leaves it zero (a longer struct with a zero tail is valid).
 */
#ifndef KIPC_XFER_DISCARD
#define KIPC_XFER_DISCARD	0x8U
#endif
#define CHAN_STAT_DISCARDED	offsetofend(struct kipc_chan_stat, id)
#define CHAN_STAT_SIZE		(sizeof(struct kipc_chan_stat) > CHAN_STAT_DISCARDED + 8 ? \
				 sizeof(struct kipc_chan_stat) : CHAN_STAT_DISCARDED + 8)

/*
 * A deadline this far out means no timeout (ABI 2): ETIMEDOUT never. The
 * kernel took it as a negative time left, so as already past, before.
 */
#define FOREVER_NS	(1ull << 63)

/* Exit codes. */
#define EXIT_FOUND	1	/* a contract violation, leak, crash or hang */
#define EXIT_USAGE	2
#define EXIT_ENV	3	/* could not run: no /dev/kipc, no memory ... */
#define EXIT_FAULT	86	/* worker: unexpected SIGSEGV/SIGBUS (already reported) */

/* ------------------------------------------------------------------ */
/* options */

static struct {
	uint64_t seed;
	uint64_t iterations;	/* 0: bounded by --seconds only */
	double seconds;		/* 0: bounded by --iterations only */
	int procs;
	uint64_t progress;
	int names;
	bool trace;
	bool leak_check;
	bool avoid_recv_ro;	/* --avoid recv-ro-arg */
} opt = {
	.procs = 2,
	.names = 6,
	.leak_check = true,
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [OPTIONS]\n"
"\n"
"Seeded random driver of the kipc syscall surface (/dev/kipc must exist;\n"
"run it in the test VM). Checks every result against the errno contract\n"
"of <linux/kipc.h>, message contents, nothing lost or queued by failed\n"
"calls, mapping faults, and that the module's counters return to their\n"
"start values once everything is closed and unlinked.\n"
"\n"
"Options:\n"
"  --seed S         main seed (default: from the clock; always printed)\n"
"  --iterations N   stop after N calls in all (default 100000 unless\n"
"                   --seconds is given)\n"
"  --seconds S      stop after S seconds (whichever of the two comes first)\n"
"  --procs P        worker processes, 1..%d (default 2); worker i's seed is\n"
"                   derived from the main seed and i\n"
"  --progress N     print a progress line every N calls (default 100000,\n"
"                   10000 with --quick)\n"
"  --names N        size of the shared name pool, 1..%d (default 6)\n"
"  --quick          a short run: --iterations 200000 --seconds 40 (whichever\n"
"                   ends first; under a minute in the TCG test VM)\n"
"  --trace          print every call to stderr (slow; for reproducing)\n"
"  --no-leak-check  skip the KIPC_IOC_STAT comparison at the end (when\n"
"                   something else uses kipc at the same time)\n"
"  --avoid WHAT     stay clear of a known bug while its fix is pending, to\n"
"                   look for others; WHAT: recv-ro-arg (KIPC_IOC_RECV with\n"
"                   a read-only struct consumes the message, then EFAULT)\n"
"  -h, --help       this help\n"
"\n"
"Built with gcc -m32 (kipc-fuzz-m32) it drives the kernel's compat ioctl\n"
"path: the same structs, with 32-bit iovecs and pointers.\n"
"\n"
"Output: a progress line every N calls, a per-call table, and one last line\n"
"  " PROG ": seed=S calls=N errors=E unexpected=U violations=V leaks=L crashes=C ...\n"
"(errors: calls that returned an allowed errno; unexpected: an errno the\n"
"contract does not document for that call; violations: other broken\n"
"promises, details printed as they happen).\n"
"\n"
"Exit status: 0 clean, 1 something found, 2 usage, 3 could not run.\n",
		MAX_PROCS, MAX_NAMES);
}

/* ------------------------------------------------------------------ */
/* random numbers: xoshiro256** seeded through splitmix64 */

struct rng {
	uint64_t s[4];
};

static struct rng R;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(void)
{
	uint64_t *s = R.s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* A worker's seed: a different stream for each worker index. */
static uint64_t derive_seed(uint64_t seed, uint64_t idx)
{
	uint64_t x = seed ^ (0xd1b54a32d192ed03ull * (idx + 1));

	return splitmix64(&x);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* calls and their errno contract */

enum op {
	OP_CTL_OPEN, OP_CLOSE, OP_DUP, OP_FCNTL, OP_RLIMIT,
	OP_VERSION, OP_STAT, OP_CHAN_OPEN, OP_SHM_OPEN, OP_UNLINK,
	OP_SEND, OP_RECV, OP_DISCARD, OP_CHAN_STAT, OP_SEND_REF, OP_RECV_REF, OP_SHM_STAT,
	OP_SEND_BATCH, OP_RECV_BATCH,
	OP_BADCMD, OP_READ, OP_WRITE, OP_POLL,
	OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP,
	OP_FORK, OP_KILL,
	NOPS
};

static const char *const op_name[NOPS] = {
	[OP_CTL_OPEN] = "open", [OP_CLOSE] = "close", [OP_DUP] = "dup",
	[OP_FCNTL] = "fcntl", [OP_RLIMIT] = "setrlimit",
	[OP_VERSION] = "VERSION", [OP_STAT] = "STAT", [OP_CHAN_OPEN] = "CHAN_OPEN",
	[OP_SHM_OPEN] = "SHM_OPEN", [OP_UNLINK] = "UNLINK", [OP_SEND] = "SEND",
	[OP_RECV] = "RECV", [OP_DISCARD] = "RECV(DISCARD)", [OP_CHAN_STAT] = "CHAN_STAT",
	[OP_SEND_REF] = "SEND_REF",
	[OP_RECV_REF] = "RECV_REF", [OP_SHM_STAT] = "SHM_STAT",
	[OP_SEND_BATCH] = "SEND_BATCH", [OP_RECV_BATCH] = "RECV_BATCH",
	[OP_BADCMD] = "unknown-ioctl", [OP_READ] = "read/readv",
	[OP_WRITE] = "write/writev", [OP_POLL] = "poll", [OP_MMAP] = "mmap",
	[OP_MUNMAP] = "munmap", [OP_MPROTECT] = "mprotect", [OP_MREMAP] = "mremap",
	[OP_FORK] = "fork", [OP_KILL] = "kill",
};

/* What a call was made on. */
enum kind { K_NONE, K_CTL, K_CHAN, K_REGION, K_BAD };

static const char *const kind_name[] = {
	[K_NONE] = "-", [K_CTL] = "ctl", [K_CHAN] = "chan",
	[K_REGION] = "region", [K_BAD] = "badfd",
};

/*
 * Per-call errno lists, from the DOC: errno contract of <linux/kipc.h> and
 * the kernel-doc of each ioctl (ENOMSG for RECV_REF is documented there
 * and in kipc_shm.h), and for the VFS/mm calls from their man pages.
 */
static const int A_NONE[] = { 0 };
static const int A_ENOTTY[] = { ENOTTY, 0 };
static const int A_ARGS[] = { EINVAL, E2BIG, EFAULT, 0 };
/*
 * EDQUOT (per-user quotas) is in the README's errno table and the module
 * parameters' descriptions; the header's DOC table still says ENOSPC for
 * quotas. Running as root (CAP_SYS_RESOURCE) the fuzzer never reaches a
 * quota anyway.
 */
static const int A_OPEN[] = { EINVAL, E2BIG, EFAULT, ENAMETOOLONG, ENOENT, EEXIST,
			      EACCES, ENOSPC, EDQUOT, 0 };
static const int A_UNLINK[] = { EINVAL, E2BIG, EFAULT, ENAMETOOLONG, ENOENT, EACCES, 0 };
static const int A_XFER[] = { EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN,
			      ETIMEDOUT, EPIPE, EDQUOT, 0 };
static const int A_SEND_REF[] = { EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN,
				  ETIMEDOUT, EPIPE, EDQUOT, 0 };
static const int A_RECV_REF[] = { EINVAL, E2BIG, EFAULT, EBADF, EAGAIN, ETIMEDOUT,
				  EPIPE, EACCES, ENOMSG, 0 };

/*
 * A receive also meets references to regions the caller may not read;
 * SEND_REF's EMSGSIZE is a @len above the channel's max_msg_size (ABI 2).
 */
static const int A_RECV[] = { EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN,
			      ETIMEDOUT, EPIPE, EDQUOT, EACCES, 0 };
/* read(2)/write(2) on a channel: EINVAL only for bad iovec counts/lengths. */
static const int A_RW_CHAN[] = { EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EPIPE, EDQUOT, 0 };
static const int A_READ_CHAN[] = { EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EPIPE, EDQUOT,
				   EACCES, 0 };
/* read(2)/write(2) on fds without read/write methods. */
static const int A_RW_OTHER[] = { EINVAL, EBADF, EFAULT, EOPNOTSUPP, 0 };
static const int A_POLL[] = { EFAULT, EINVAL, 0 };
/* mmap(2) of a region: kipc_shm.h (EINVAL, ENXIO, EACCES) plus mmap(2)'s own. */
static const int A_MMAP_REGION[] = { EINVAL, ENXIO, EACCES, EPERM, EOVERFLOW,
				     EOPNOTSUPP, 0 };
static const int A_MMAP_OTHER[] = { ENODEV, EACCES, EINVAL, EPERM, EOVERFLOW,
				    EOPNOTSUPP, 0 };
static const int A_MPROTECT[] = { EACCES, EINVAL, 0 };
static const int A_MUNMAP[] = { EINVAL, 0 };
static const int A_MREMAP[] = { EFAULT, EINVAL, EAGAIN, 0 };
static const int A_FORK[] = { EAGAIN, 0 };

static bool universal(int e)
{
	return e == EINTR || e == ENOMEM || e == EMFILE || e == ENFILE;
}

static const int *allowed_list(enum op op, enum kind k)
{
	if (k == K_BAD)
		return NULL;	/* EBADF only */
	switch (op) {
	case OP_VERSION:
	case OP_STAT:
		return k == K_CTL ? A_ARGS : A_ENOTTY;
	case OP_CHAN_OPEN:
	case OP_SHM_OPEN:
		return k == K_CTL ? A_OPEN : A_ENOTTY;
	case OP_UNLINK:
		return k == K_CTL ? A_UNLINK : A_ENOTTY;
	case OP_SEND:
	case OP_SEND_BATCH:	/* DOC: batches: as KIPC_IOC_SEND/RECV */
		return k == K_CHAN ? A_XFER : A_ENOTTY;
	case OP_RECV:
	case OP_DISCARD:
	case OP_RECV_BATCH:
		return k == K_CHAN ? A_RECV : A_ENOTTY;
	case OP_CHAN_STAT:
		return k == K_CHAN ? A_ARGS : A_ENOTTY;
	case OP_SEND_REF:
		return k == K_CHAN ? A_SEND_REF : A_ENOTTY;
	case OP_RECV_REF:
		return k == K_CHAN ? A_RECV_REF : A_ENOTTY;
	case OP_SHM_STAT:
		return k == K_REGION ? A_ARGS : A_ENOTTY;
	case OP_BADCMD:
		return A_ENOTTY;
	case OP_READ:
		return k == K_CHAN ? A_READ_CHAN : A_RW_OTHER;
	case OP_WRITE:
		return k == K_CHAN ? A_RW_CHAN : A_RW_OTHER;
	case OP_POLL:
		return A_POLL;
	case OP_MMAP:
		return k == K_REGION ? A_MMAP_REGION : A_MMAP_OTHER;
	case OP_MPROTECT:
		return A_MPROTECT;
	case OP_MUNMAP:
		return A_MUNMAP;
	case OP_MREMAP:
		return A_MREMAP;
	case OP_FORK:
		return A_FORK;
	default:
		return A_NONE;
	}
}

static bool allowed(enum op op, enum kind k, int e)
{
	const int *l = allowed_list(op, k);

	if (universal(e))
		return true;
	if (!l)
		return e == EBADF;
	for (; *l; l++)
		if (*l == e)
			return true;
	return false;
}

/*
 * What a particular call must do beyond the errno table: fail with @err
 * (or @err2), fail at all, or succeed; and never give @never.
 */
struct expect {
	int err;
	int err2;
	int never;	/* an errno this call must not give, whatever else it does */
	bool fail;
	bool ok;
	const char *why;
	const char *never_why;
};

static void expect_err(struct expect *ex, int err, const char *why)
{
	if (ex->err || ex->fail)
		return;		/* an earlier check in the kernel's order wins */
	ex->err = err;
	ex->why = why;
}

/* ------------------------------------------------------------------ */
/* state shared between the main process and the workers */

struct wstat {
	uint64_t calls;
	uint64_t errors;
	uint64_t unexpected;
	uint64_t violations;
	uint64_t crashes;
	uint64_t touches;
	uint64_t sigbus_expected;
	uint64_t forks;
	uint64_t kills;
	uint64_t msgs_checked;
	uint64_t op_calls[NOPS];
	uint64_t op_ok[NOPS];
	uint32_t op_err[NOPS][NERRNO];
	pid_t pid;
	int finished;
};

struct shared {
	uint32_t nev;
	char ev[MAX_EVENTS][EVENT_LEN];
	struct wstat w[MAX_PROCS];
};

static struct shared *sh;
static int me;			/* worker index */
static bool in_child;		/* a forked child of a worker */
static uint64_t callno;		/* calls made by this process */
static uint64_t budget;		/* this worker's share of --iterations */
static uint64_t deadline;	/* CLOCK_MONOTONIC ns, 0 = none */
static long pg;
static char desc[512];		/* the current call, for reports and --trace */

/* Module limits, from /sys/module/kipc/parameters (defaults if absent). */
static struct {
	uint64_t max_msgs;
	uint64_t max_msg_size;
	uint64_t max_region_bytes;
	uint64_t default_msg_size;
} lim = { 65536, 16 << 20, 4ull << 30, 65536 };

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "E?";
}

static void event(const char *what, const char *fmt, ...)
{
	char buf[EVENT_LEN];
	uint32_t idx;
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%s [w%d%s call %" PRIu64 "] ", what, me,
		     in_child ? " child" : "", callno);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", buf);
	idx = __atomic_fetch_add(&sh->nev, 1, __ATOMIC_RELAXED);
	if (idx < MAX_EVENTS)
		memcpy(sh->ev[idx], buf, sizeof(buf));
}

#define violation(...) do {						\
		add(&sh->w[me].violations, 1);				\
		event("VIOLATION", __VA_ARGS__);			\
	} while (0)

static volatile sig_atomic_t sigpipe_seen;
static bool chaos;	/* the current call is a D_CHAOS one */
static const char *defect_name = "none";	/* the current call's, for reports */
static const char *const defect_names[] = {
	"none", "short-size", "nonzero-tail", "unknown-flag", "reserved-set", "bad-value",
	"bad-name", "bad-pointer", "chaos",
};

/*
 * Account for one call and judge its result (>= 0 or -errno). Returns the
 * errno (0 on success).
 */
static int judge(enum op op, enum kind k, long ret, const struct expect *ex)
{
	struct wstat *w = &sh->w[me];
	int e = ret < 0 ? (int)-ret : 0;

	add(&w->calls, 1);
	add(&w->op_calls[op], 1);
	callno++;
	if (e) {
		add(&w->errors, 1);
		__atomic_fetch_add(&w->op_err[op][e < NERRNO ? e : 0], 1, __ATOMIC_RELAXED);
	} else {
		add(&w->op_ok[op], 1);
	}
	if (opt.trace)
		fprintf(stderr, "[w%d%s] #%" PRIu64 " %s on %s: %s -> %ld%s%s\n", me,
			in_child ? "c" : "", callno, op_name[op], kind_name[k], desc,
			e ? -1L : ret, e ? " " : "", e ? ename(e) : "");

	if (sigpipe_seen) {
		sigpipe_seen = 0;
		violation("%s on %s raised SIGPIPE (the contract says no SIGPIPE): %s",
			  op_name[op], kind_name[k], desc);
	}
	if (e && !allowed(op, k, e)) {
		add(&w->unexpected, 1);
		event("UNEXPECTED", "%s on %s returned %s, not in its errno contract: %s [defect %s]",
		      op_name[op], kind_name[k], ename(e), desc, defect_name);
		return e;
	}
	if (!ex)
		return e;
	if (ex->never && e == ex->never) {
		violation("%s on %s returned %s, which it must never give (%s): %s [defect %s]",
			  op_name[op], kind_name[k], ename(e), ex->never_why, desc,
			  defect_name);
		return e;
	}
	if (ex->err && e != ex->err && (!ex->err2 || e != ex->err2) && !universal(e)) {
		violation("%s on %s returned %s, expected %s%s%s (%s): %s [defect %s]", op_name[op],
			  kind_name[k], ename(e), ename(ex->err), ex->err2 ? " or " : "",
			  ex->err2 ? ename(ex->err2) : "", ex->why ? ex->why : "", desc,
			  defect_name);
	} else if ((ex->fail || ex->err) && !e) {
		violation("%s on %s succeeded (%ld) but must fail (%s): %s [defect %s]", op_name[op],
			  kind_name[k], ret, ex->why ? ex->why : "", desc, defect_name);
	} else if (ex->ok && e && !universal(e)) {
		violation("%s on %s failed with %s but must succeed: %s", op_name[op],
			  kind_name[k], ename(e), desc);
	}
	return e;
}

static long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

#define D(...) snprintf(desc, sizeof(desc), __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* memory the kernel is pointed at */

/*
 * A scratch area: @len bytes of a memfd mapped read-write at @rw with a
 * PROT_NONE guard page right after it (@guard), and the same pages mapped
 * read-only at @ro. Writes go through @rw; @ro is valid to read and faults
 * on write; anything crossing into @guard faults.
 */
struct scratch {
	uint8_t *rw;
	uint8_t *ro;
	uint8_t *guard;
	size_t len;
};

static struct scratch s_arg, s_iov, s_name, s_data, s_ent;

static int scratch_init(struct scratch *s, size_t len)
{
	int mfd = memfd_create("kipc-fuzz", MFD_CLOEXEC);
	uint8_t *res;

	if (mfd < 0 || ftruncate(mfd, (off_t)len))
		return -1;
	res = mmap(NULL, len + (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	if (mmap(res, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)
		return -1;
	s->ro = mmap(NULL, len, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	if (s->ro == MAP_FAILED)
		return -1;
	s->rw = res;
	s->guard = res + len;
	s->len = len;
	return 0;
}

/* An address no access can succeed on, ever. */
static void *bad_ptr(void)
{
	switch (below(4)) {
	case 0:
		return (void *)0x1000;			/* below mmap_min_addr */
#if UINTPTR_MAX > 0xffffffffu
	case 1:
		return (void *)0x8000000000000000ull;	/* non-canonical */
	case 2:
		return (void *)0xffff888000000000ull;	/* kernel */
#else
	case 1:	/* above a 32-bit task's TASK_SIZE (0xffffe000 under a 64-bit kernel) */
	case 2:
		return (void *)(uintptr_t)(0xffffe000u + 0x800u * (uint32_t)below(4));
#endif
	default:
		return s_arg.guard;			/* PROT_NONE */
	}
}

/* ------------------------------------------------------------------ */
/* fds and mappings this process holds */

struct slot {
	int fd;
	enum kind kind;
	bool rd;		/* channel: may receive; region: always */
	bool wr;		/* channel: may send; region: writable */
	bool priv;		/* anonymous channel only this process tree holds */
	uint32_t max_msg_size;	/* channel */
	uint64_t len;		/* region length */
	uint64_t id;		/* region id */
};

static struct slot slots[MAX_SLOTS];
static int nslots;
static struct slot bad_slot = { .fd = -1, .kind = K_BAD };
static int other_fd = -1;	/* /dev/null: an open fd that is not kipc's */

#define PG_MAPPED	0x1
#define PG_R		0x2
#define PG_W		0x4
#define PG_UNKNOWN	0x8	/* protection unknown after a failed mprotect */

struct mapping {
	uint8_t *addr;
	size_t npages;
	uint64_t off;		/* region offset of @addr */
	uint64_t reglen;
	bool pristine;		/* one VMA, never split or changed */
	uint8_t pg[MAX_MAP_PAGES];
};

static struct mapping maps[MAX_MAPS];
static int nmaps;

static char names[MAX_NAMES][32];
static char long_name[KIPC_NAME_MAX];	/* 255 characters: the longest valid */
static int run_id;

static struct slot *pick_kind(enum kind k)
{
	int idx[MAX_SLOTS], n = 0, i;

	for (i = 0; i < nslots; i++)
		if (slots[i].kind == k)
			idx[n++] = i;
	return n ? &slots[idx[below((uint64_t)n)]] : NULL;
}

static bool fd_in_use(int fd)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].fd == fd)
			return true;
	return fd == other_fd;
}

/* A number that is not an open fd of this process (never one it holds). */
static int pick_bad_fd(void)
{
	int fd;

	if (chance(40))
		return -1 - (int)below(3);
	do
		fd = 900 + (int)below(100);
	while (fd_in_use(fd));
	return fd;
}

/* The fd a call goes to: mostly the right kind, sometimes any, rarely a bad one. */
static struct slot *pick_target(enum kind want)
{
	unsigned int r = (unsigned int)below(100);
	struct slot *s;

	if (r >= 3) {
		if (r < 88 && (s = pick_kind(want)))
			return s;
		if (nslots)
			return &slots[below((uint64_t)nslots)];
	}
	bad_slot.fd = pick_bad_fd();
	return &bad_slot;
}

/*
 * A channel for a send (@wr) or a receive: mostly one open for that
 * direction, so that calls get past the mode check to the queue.
 */
static struct slot *pick_chan(bool wr)
{
	int idx[MAX_SLOTS], n = 0, i;

	if (chance(25))
		return pick_target(K_CHAN);
	for (i = 0; i < nslots; i++)
		if (slots[i].kind == K_CHAN && (wr ? slots[i].wr : slots[i].rd))
			idx[n++] = i;
	return n ? &slots[idx[below((uint64_t)n)]] : pick_target(K_CHAN);
}

static void add_slot(const struct slot *s)
{
	if (nslots < MAX_SLOTS)
		slots[nslots++] = *s;
	else
		close(s->fd);	/* not reached: make_room() runs first */
}

static void drop_slot(int i)
{
	slots[i] = slots[--nslots];
}

static void do_close(int i)
{
	struct expect ex = { .ok = true };
	int fd = slots[i].fd;
	enum kind k = slots[i].kind;

	D("close(%d)", fd);
	judge(OP_CLOSE, k, sys_ret(close(fd)), &ex);
	drop_slot(i);
}

/* Keep room for the fds a call may create. Call before picking slots. */
static void make_room(void)
{
	while (nslots >= MAX_SLOTS - 2)
		do_close((int)below((uint64_t)nslots));
}

static void drop_map(int i)
{
	maps[i] = maps[--nmaps];
}

/*
 * Unmap what is left of a mapping, run by run: a hole may hold someone
 * else's mapping by now (the kernel reuses free address space), and
 * munmap() over it would take that away.
 */
static void unmap_all(int i)
{
	struct mapping *m = &maps[i];
	size_t a = 0, b;

	while (a < m->npages) {
		if (!(m->pg[a] & PG_MAPPED)) {
			a++;
			continue;
		}
		for (b = a; b < m->npages && (m->pg[b] & PG_MAPPED); b++)
			;
		munmap(m->addr + a * (size_t)pg, (b - a) * (size_t)pg);
		a = b;
	}
	drop_map(i);
}

/* ------------------------------------------------------------------ */
/* ioctl arguments */

enum defect {
	D_NONE,
	D_SHORT,	/* size below the first release's struct: EINVAL */
	D_TAIL,		/* size above the struct, non-zero tail: E2BIG */
	D_FLAGS,	/* unknown flag bit: EINVAL */
	D_RESERVED,	/* reserved (or must-be-zero input) field set: EINVAL */
	D_VALUE,	/* an out-of-range value: op-specific errno */
	D_NAME,		/* a bad name: op-specific errno */
	D_PTR,		/* a bad pointer: EFAULT (op-specific for RO) */
	D_CHAOS,	/* several random mutations: only the errno table applies */
};


static enum defect pick_defect(void)
{
	unsigned int r = (unsigned int)below(100);

	enum defect d;

	if (r < 60)
		d = D_NONE;
	else if (r < 64)
		d = D_SHORT;
	else if (r < 68)
		d = D_TAIL;
	else if (r < 72)
		d = D_FLAGS;
	else if (r < 76)
		d = D_RESERVED;
	else if (r < 82)
		d = D_VALUE;
	else if (r < 86)
		d = D_NAME;
	else if (r < 94)
		d = D_PTR;
	else
		d = D_CHAOS;
	chaos = d == D_CHAOS;
	defect_name = defect_names[d];
	return d;
}

/* P_TAIL_GUARD: the struct is readable, an unmapped page follows it. */
enum ptrmode { P_GOOD, P_NULL, P_BAD, P_STRADDLE, P_RO, P_TAIL_GUARD };

static const char *const ptr_name[] = {
	[P_GOOD] = "good", [P_NULL] = "NULL", [P_BAD] = "unmapped",
	[P_STRADDLE] = "straddles-guard", [P_RO] = "read-only",
	[P_TAIL_GUARD] = "guard-after-struct",
};

/* How an ioctl writes its argument back. */
enum wb { WB_NEVER, WB_ALWAYS, WB_ON_SUCCESS };

static uint8_t argbuf[16384] __attribute__((aligned(64)));

struct argp {
	enum ptrmode mode;
	void *uptr;		/* what the kernel gets */
	uint32_t usize;		/* the size field as passed */
};

/* A random value for a 32-bit field, biased towards edges. */
static uint32_t chaos32(void)
{
	switch (below(5)) {
	case 0:
		return 0;
	case 1:
		return 0xffffffffu;
	case 2:
		return 1u << below(32);
	default:
		return (uint32_t)rnd();
	}
}

/*
 * D_TAIL's other half: a @size above a page is E2BIG whatever follows the
 * struct (ABI 2, as openat2(2) and clone3(2)): a zero tail, a non-zero
 * one, an unmapped page right after the struct (the kernel must not read
 * the tail at all), or a size of up to 4 GiB over mostly zeroes. Sets the
 * size, the bytes to place (@span) and maybe @a->mode in @img.
 */
static void size_above_page(struct argp *a, uint8_t *img, size_t imglen, size_t ksize,
			    uint32_t *usize, size_t *span)
{
	defect_name = "size-above-page";
	*usize = (uint32_t)pg + 1 + (uint32_t)below((uint64_t)pg);
	*span = *usize;
	switch (below(4)) {
	case 0:
		break;		/* zero tail: valid below a page, not above */
	case 1:
		img[ksize + below(imglen - ksize)] = (uint8_t)(1 + below(255));
		break;
	case 2:
		a->mode = P_TAIL_GUARD;
		break;
	default:
		*usize = chance(50) ? UINT32_MAX - (uint32_t)below(16) :
			 (uint32_t)pg << (1 + below(19));
		*span = ksize;
		break;
	}
}

/*
 * Lay out an ioctl argument: @s is the struct (@ksize bytes, first field
 * the size, already set to @ksize), @min the size of the first release.
 * Applies the size and pointer defects and records what the kernel must
 * answer in @ex; other defects were applied to @s by the caller.
 */
static void arg_place(struct argp *a, const void *s, size_t ksize, size_t min,
		      enum defect d, enum wb wb, struct expect *ex)
{
	static uint8_t img[1024];
	size_t span = ksize;
	uint32_t usize = (uint32_t)ksize;
	size_t k;

	memcpy(img, s, ksize);
	memset(img + ksize, 0, sizeof(img) - ksize);
	a->mode = P_GOOD;
	switch (d) {
	case D_SHORT:
		usize = (uint32_t)below(min);
		expect_err(ex, EINVAL, "size below the minimum");
		break;
	case D_TAIL:
		if (chance(35)) {
			size_above_page(a, img, sizeof(img), ksize, &usize, &span);
			expect_err(ex, E2BIG, "size above a page, whatever the tail holds");
			break;
		}
		usize = (uint32_t)(ksize + 8 * (1 + below(8)));
		span = usize;
		img[ksize + below(usize - ksize)] = (uint8_t)(1 + below(255));
		expect_err(ex, E2BIG, "non-zero bytes past the known struct");
		break;
	case D_NONE:
		if (chance(2)) {
			usize = (uint32_t)pg;	/* the largest size, zero tail: valid */
			span = usize;
		} else if (chance(15)) {
			usize = (uint32_t)(ksize + 8 * (1 + below(16)));
			span = usize;	/* a zero tail is accepted */
		} else if (min < ksize && chance(10)) {
			usize = (uint32_t)(min + below(ksize - min));	/* an older caller */
		}
		break;
	case D_CHAOS:
		switch (below(4)) {
		case 0:
			usize = (uint32_t)below(ksize * 2 + 64);
			break;
		case 1:
			usize = chaos32();
			break;
		default:
			break;
		}
		span = usize < sizeof(img) ? (usize > ksize ? usize : ksize) : sizeof(img);
		if (chance(50))
			img[ksize + below(span - ksize + 1) % (sizeof(img) - ksize)] =
				(uint8_t)rnd();
		if (chance(30))
			a->mode = (enum ptrmode)(1 + below(4));
		break;
	case D_PTR:
		a->mode = (enum ptrmode)(1 + below(4));
		break;
	default:
		break;
	}
	memcpy(img, &usize, sizeof(usize));
	a->usize = usize;

	switch (a->mode) {
	case P_GOOD:
		memset(argbuf, 0, span + 256);
		memcpy(argbuf, img, span < sizeof(img) ? span : sizeof(img));
		a->uptr = argbuf;
		break;
	case P_TAIL_GUARD:
		memcpy(s_arg.guard - ksize, img, ksize);
		a->uptr = s_arg.guard - ksize;
		break;
	case P_NULL:
		a->uptr = NULL;
		break;
	case P_BAD:
		a->uptr = bad_ptr();
		break;
	case P_STRADDLE:
		/* Crosses into the guard before the kernel has what it needs. */
		k = below(usize >= min && usize < ksize ? usize : ksize);
		memcpy(s_arg.guard - k, img, k);
		a->uptr = s_arg.guard - k;
		break;
	case P_RO:
		memcpy(s_arg.rw, img, span < s_arg.len ? span : s_arg.len);
		a->uptr = s_arg.ro;
		break;
	}
	if (d != D_PTR)
		return;
	if (a->mode != P_RO)
		expect_err(ex, EFAULT, "argument pointer not accessible");
	else if (wb == WB_ALWAYS)
		expect_err(ex, EFAULT, "argument read-only, results cannot be written");
	else if (wb == WB_ON_SUCCESS && !ex->err)
		ex->fail = true, ex->why = "argument read-only: must not succeed";
}

/* The struct as the kernel left it (only meaningful for P_GOOD). */
static void arg_result(const struct argp *a, void *s, size_t ksize)
{
	if (a->mode == P_GOOD)
		memcpy(s, argbuf, ksize);
}

/* ------------------------------------------------------------------ */
/* names */

enum namemode { N_POOL, N_POOL_RO, N_LONG, N_NULL, N_EMPTY, N_SLASH, N_TOOLONG,
		N_BADPTR, N_STRADDLE };

/*
 * Choose a name: a valid one (pool, pool via a read-only page, the
 * 255-byte name, or NULL for anonymous when @anon_ok), or with @defect an
 * invalid one, whose errno goes into @ex.
 */
static uint64_t pick_name(bool defect, bool anon_ok, struct expect *ex, char *shown,
			  size_t shown_len)
{
	enum namemode m;
	size_t k;
	char *p;

	if (!defect) {
		unsigned int r = (unsigned int)below(100);

		m = r < 75 ? N_POOL : r < 83 ? N_POOL_RO : r < 85 ? N_LONG : N_NULL;
		if (m == N_NULL && !anon_ok)
			m = N_POOL;
	} else {
		m = (enum namemode)(N_NULL + below(6));
		if (m == N_NULL && anon_ok)
			m = N_EMPTY;
	}
	switch (m) {
	case N_POOL:
		p = names[below((uint64_t)opt.names)];
		snprintf(shown, shown_len, "%.40s", p);
		return (uintptr_t)p;
	case N_POOL_RO:
		p = names[below((uint64_t)opt.names)];
		strcpy((char *)s_name.rw, p);
		snprintf(shown, shown_len, "%.40s(ro)", p);
		return (uintptr_t)s_name.ro;
	case N_LONG:
		snprintf(shown, shown_len, "<255 bytes>");
		return (uintptr_t)long_name;
	case N_NULL:
		snprintf(shown, shown_len, "NULL");
		if (defect)
			expect_err(ex, EINVAL, "NULL name without KIPC_OPEN_CREAT");
		return 0;
	case N_EMPTY:
		snprintf(shown, shown_len, "\"\"");
		expect_err(ex, EINVAL, "empty name");
		return (uintptr_t)"";
	case N_SLASH:
		snprintf(shown, shown_len, "a/b");
		expect_err(ex, EINVAL, "name with '/'");
		return (uintptr_t)"fz/slash";
	case N_TOOLONG:
		p = (char *)s_name.rw + 512;
		memset(p, 'x', 300);
		p[300] = 0;
		snprintf(shown, shown_len, "<300 bytes>");
		expect_err(ex, ENAMETOOLONG, "name of 256 bytes or more");
		return (uintptr_t)p;
	case N_BADPTR:
		snprintf(shown, shown_len, "<unmapped>");
		expect_err(ex, EFAULT, "name pointer unmapped");
		return (uintptr_t)bad_ptr();
	case N_STRADDLE:
		/* Fewer than 256 bytes, no NUL, then the guard page. */
		k = 1 + below(200);
		memset(s_name.guard - k, 'y', k);
		snprintf(shown, shown_len, "<%zu bytes into guard>", k);
		expect_err(ex, EFAULT, "name runs into an unmapped page");
		return (uintptr_t)(s_name.guard - k);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* messages */

struct fzhdr {
	uint32_t magic;
	uint32_t len;
	uint64_t seed;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static void body(uint8_t *b, size_t len, uint64_t seed)
{
	size_t i;

	for (i = sizeof(struct fzhdr); i < len; i += 8) {
		uint64_t w = mix(seed + i);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(b + i, &w, n);
	}
}

static void msg_image(uint8_t *b, size_t len)
{
	struct fzhdr h = { .magic = MSG_MAGIC, .len = (uint32_t)len, .seed = rnd() };
	size_t i;

	if (len < sizeof(h)) {
		for (i = 0; i < len; i++)
			b[i] = (uint8_t)(0xa5 ^ i ^ len);
		return;
	}
	memcpy(b, &h, sizeof(h));
	body(b, len, h.seed);
}

/*
 * Check a received message. @ref: 1 a region reference (its bytes are
 * the region's, unchecked), 0 a plain message, -1 unknown (read(2) does
 * not say; then only messages carrying the header are checked).
 */
static void msg_check(const uint8_t *b, size_t len, int ref, const char *how)
{
	static uint8_t want[AREA_LEN];
	struct fzhdr h;
	size_t i;

	if (ref == 1)
		return;
	if (len < sizeof(h)) {
		if (ref == -1)
			return;
		for (i = 0; i < len; i++)
			if (b[i] != (uint8_t)(0xa5 ^ i ^ len))
				goto corrupt;
		add(&sh->w[me].msgs_checked, 1);
		return;
	}
	memcpy(&h, b, sizeof(h));
	if (h.magic != MSG_MAGIC) {
		if (ref == -1)
			return;
		goto corrupt;
	}
	if (h.len != len || len > sizeof(want))
		goto corrupt;
	memcpy(want, b, sizeof(h));
	body(want, len, h.seed);
	if (memcmp(want, b, len))
		goto corrupt;
	add(&sh->w[me].msgs_checked, 1);
	return;
corrupt:
	violation("corrupt message received by %s: %zu bytes, first bytes %02x %02x %02x %02x: %s",
		  how, len, len > 0 ? b[0] : 0, len > 1 ? b[1] : 0, len > 2 ? b[2] : 0,
		  len > 3 ? b[3] : 0, desc);
}

static size_t pick_msg_len(void)
{
	unsigned int r = (unsigned int)below(100);

	if (r < 5)
		return 0;
	if (r < 50)
		return 1 + below(64);
	if (r < 85)
		return 65 + below(4096);
	if (r < 97)
		return 4161 + below(66000);
	return 70000 + below(MAX_MSG - 70000);	/* above the 64 KiB default */
}

/*
 * An iovec array over the data arena. Transmit plans copy a message image
 * into their segments; receive plans remember where each segment's bytes
 * land so they can be gathered. @first_bad is how many leading bytes are
 * writable (receive) or readable (transmit) before the first bad segment.
 */
struct iovplan {
	struct iovec *iov;
	int cnt;
	size_t total;
	size_t first_bad;
	bool bad;		/* a non-empty segment at an unusable address */
	int nseg;
	uint8_t *seg[MAX_SEGS];
	size_t seglen[MAX_SEGS];
};

static struct iovec iovbuf[NIOV_MANY + 2];
static uint8_t txbuf[AREA_LEN];

/* What plan_iov_at() may put in a plan besides plain segments. */
#define PLAN_BAD	0x1	/* a segment at an unusable address */
#define PLAN_RO		0x2	/* a segment on the read-only alias */
#define PLAN_MANY	0x4	/* UIO_MAXIOV entries */

/*
 * A plan whose iovec array is @iov and whose segments start @off bytes
 * into the transmit or receive half of the arena. Returns the offset just
 * past its last segment, where the next plan may start.
 */
static size_t plan_iov_at(struct iovplan *p, struct iovec *iov, size_t off, size_t total,
			  bool tx, unsigned int what)
{
	size_t area = tx ? 0 : AREA_LEN, left, prefix = 0;
	unsigned int r = (unsigned int)below(100);
	int cnt, i;

	memset(p, 0, sizeof(*p));
	p->iov = iov;
	p->first_bad = SIZE_MAX;
	cnt = r < 4 ? 0 : r < 55 ? 1 : r < 98 ? 2 + (int)below(MAX_SEGS - 1) : -1;
	if (cnt < 0 && !(what & PLAN_MANY))
		cnt = 1;
	if (cnt == 0)
		total = 0;
	if (tx)
		msg_image(txbuf, total);
	if (cnt < 0) {
		/* UIO_MAXIOV entries, all but the first empty. */
		cnt = NIOV_MANY;
		for (i = 0; i < cnt; i++)
			iov[i] = (struct iovec){ s_data.rw + area + off, 0 };
		iov[0].iov_len = total;
		if (tx)
			memcpy(s_data.rw + off, txbuf, total);
		p->seg[0] = s_data.rw + area + off;
		p->seglen[0] = total;
		p->nseg = 1;
		p->cnt = cnt;
		p->total = total;
		return off + total;
	}
	left = total;
	for (i = 0; i < cnt; i++) {
		size_t len = i == cnt - 1 ? left : below(left + 1);
		uint8_t *rw = s_data.rw + area + off;
		unsigned int loc = (unsigned int)below(100);
		void *base = rw;

		left -= len;
		if ((what & PLAN_BAD) && loc < 6 && len) {
			size_t k = 0;

			switch (below(3)) {
			case 0:
				base = NULL;
				break;
			case 1:
				base = bad_ptr();
				break;
			default:
				k = below(len < 4096 ? len : 4096);
				base = s_data.guard - k;
				rw = base;	/* its first k bytes are real */
				if (tx)
					memcpy(base, txbuf + prefix, k);
				break;
			}
			p->bad = true;
			if (p->first_bad == SIZE_MAX)
				p->first_bad = prefix + k;
		} else if ((what & PLAN_RO) && loc < 14) {
			/* The read-only alias: fine to send from, faults when received into. */
			base = s_data.ro + area + off;
			if (tx)
				memcpy(rw, txbuf + prefix, len);
			else if (p->first_bad == SIZE_MAX && len)
				p->first_bad = prefix;
		} else if (tx) {
			memcpy(rw, txbuf + prefix, len);
		}
		if (p->nseg < MAX_SEGS) {
			p->seg[p->nseg] = rw;
			p->seglen[p->nseg++] = len;
		}
		iov[i] = (struct iovec){ base, len };
		prefix += len;
		off += len + below(64);
	}
	p->cnt = cnt;
	p->total = total;
	return off;
}

static void plan_iov(struct iovplan *p, size_t total, bool tx, bool allow_bad)
{
	plan_iov_at(p, iovbuf, 0, total, tx, (allow_bad ? PLAN_BAD : 0) | PLAN_RO | PLAN_MANY);
}

/* A receive plan of one good segment as large as the receive half of the arena. */
static void plan_flat(struct iovplan *p)
{
	memset(p, 0, sizeof(*p));
	iovbuf[0] = (struct iovec){ s_data.rw + AREA_LEN, AREA_LEN };
	p->iov = iovbuf;
	p->cnt = 1;
	p->total = AREA_LEN;
	p->first_bad = SIZE_MAX;
	p->nseg = 1;
	p->seg[0] = s_data.rw + AREA_LEN;
	p->seglen[0] = AREA_LEN;
}

/* The first @n received bytes, gathered from the plan's segments. */
static const uint8_t *gather(const struct iovplan *p, size_t n)
{
	static uint8_t rxbuf[AREA_LEN];
	size_t done = 0;
	int i;

	for (i = 0; i < p->nseg && done < n; i++) {
		size_t c = p->seglen[i] < n - done ? p->seglen[i] : n - done;

		memcpy(rxbuf + done, p->seg[i], c);
		done += c;
	}
	return rxbuf;
}

/* Where the iovec array itself goes; returns the pointer and sets @ex. */
static void *place_iov(const struct iovplan *p, bool defect, struct expect *ex,
		       const char **how)
{
	size_t bytes = (size_t)p->cnt * sizeof(struct iovec);
	size_t k;

	if (!defect) {
		if (bytes && bytes <= s_iov.len && chance(10)) {
			memcpy(s_iov.rw, p->iov, bytes);
			*how = "ro";
			return s_iov.ro;	/* the kernel only reads it */
		}
		*how = "good";
		return p->iov;
	}
	if (!p->cnt) {
		*how = "NULL/empty";
		return NULL;	/* nothing to read: no fault */
	}
	expect_err(ex, EFAULT, "iovec array not accessible");
	switch (below(3)) {
	case 0:
		*how = "NULL";
		return NULL;
	case 1:
		*how = "unmapped";
		return bad_ptr();
	default:
		k = below(bytes < s_iov.len ? bytes : s_iov.len);
		memcpy(s_iov.guard - k, p->iov, k);
		*how = "straddles-guard";
		return s_iov.guard - k;
	}
}

/* ------------------------------------------------------------------ */
/*
 * Blocking calls are bounded by SIGALRM (no SA_RESTART: EINTR). The timer
 * repeats until disarmed: a single shot could fire before the call even
 * starts to sleep (under TCG a few instructions can take that long).
 */

static void arm_timer(void)
{
	suseconds_t us = (suseconds_t)(500 + below(2500));
	struct itimerval it = { .it_value = { 0, us }, .it_interval = { 0, us } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

/* X_FOREVER: a deadline past 2^63 ns, maybe with KIPC_XFER_NONBLOCK too. */
enum xmode { X_NONBLOCK, X_DEADLINE, X_BLOCK, X_FOREVER };

static enum xmode pick_xmode(void)
{
	unsigned int r = (unsigned int)below(100);

	return r < 66 ? X_NONBLOCK : r < 82 ? X_DEADLINE : r < 92 ? X_BLOCK : X_FOREVER;
}

/* UINT64_MAX mostly (the obvious "forever"), else another time past 2^63 ns. */
static uint64_t forever_ns(void)
{
	switch (below(4)) {
	case 0:
		return FOREVER_NS + below(1ull << 62);
	case 1:
		return FOREVER_NS;
	default:
		return UINT64_MAX;
	}
}

static void xmode_apply(enum xmode m, __u32 *flags, __u64 *deadline_ns)
{
	if (m == X_NONBLOCK || (m == X_FOREVER && chance(50)))
		*flags |= KIPC_XFER_NONBLOCK;
	if (m == X_DEADLINE) {
		*flags |= KIPC_XFER_DEADLINE;
		*deadline_ns = chance(20) ? 1 : now_ns() + below(3000000);
	}
	if (m == X_FOREVER) {
		*flags |= KIPC_XFER_DEADLINE;
		*deadline_ns = forever_ns();
	}
}

/*
 * A call with a deadline past 2^63 ns has no timeout (ABI 2): whatever it
 * gives (success, EAGAIN with KIPC_XFER_NONBLOCK, EPIPE, EINTR from the
 * timer when it blocks, an argument's errno), never ETIMEDOUT. This holds
 * for chaos calls too, so it is applied after kind_rule().
 */
static void forever_rule(struct expect *ex, __u32 flags, __u64 deadline_ns)
{
	if ((flags & KIPC_XFER_DEADLINE) && deadline_ns >= FOREVER_NS) {
		ex->never = ETIMEDOUT;
		ex->never_why = "a deadline past 2^63 ns is no timeout";
	}
}

/* Deadline field defects, shared by the transfer ioctls. */
static void deadline_defect(__u32 *flags, __u64 *deadline_ns)
{
	if (*flags & KIPC_XFER_DEADLINE)
		*deadline_ns = 0;		/* flagged but zero */
	else
		*deadline_ns = 1 + below(1000);	/* set but not flagged */
}

/* A transfer ioctl, bounded by the timer unless @xflags says NONBLOCK. */
static long xfer_ioctl(int fd, unsigned long cmd, void *arg, __u32 xflags)
{
	long r;

	if (!(xflags & KIPC_XFER_NONBLOCK))
		arm_timer();
	r = sys_ret(ioctl(fd, cmd, arg));
	disarm_timer();
	return r;
}

/*
 * What sending the message of plan @p on @t must give, past the argument
 * checks: EMSGSIZE above the channel's max_msg_size, EFAULT for a segment
 * the kernel cannot read (or EMSGSIZE, whichever it checks first).
 */
static void send_data_expect(struct expect *ex, const struct slot *t, const struct iovplan *p)
{
	if (t->kind != K_CHAN)
		return;
	if (p->total > t->max_msg_size && !p->bad)
		expect_err(ex, EMSGSIZE, "message above the channel's max_msg_size");
	if (p->bad && !ex->err && !ex->fail) {
		ex->err = EFAULT;
		ex->err2 = p->total > t->max_msg_size ? EMSGSIZE : 0;
		ex->why = "a message segment is not readable";
	}
}

/*
 * A receive into plan @p that gave @r (bytes or -errno) and @info: the
 * length fits, nothing landed past the first unwritable byte, and the
 * content is what the fuzzer sent.
 */
static void recv_check(const char *how, long r, const struct kipc_msg_info *info,
		       const struct iovplan *p)
{
	if (r == -EMSGSIZE && info->len <= p->total)
		violation("%s gave EMSGSIZE but info.len %u fits the %zu-byte buffer: %s",
			  how, info->len, p->total, desc);
	if (r < 0)
		return;
	if ((size_t)r > p->total || info->len != (uint32_t)r || info->prio > KIPC_PRIO_MAX) {
		violation("%s returned %ld with info.len %u prio %u into %zu bytes: %s", how, r,
			  info->len, info->prio, p->total, desc);
		return;
	}
	if ((size_t)r > p->first_bad) {
		violation("%s delivered %ld bytes but only %zu were writable: %s", how, r,
			  p->first_bad, desc);
		return;
	}
	msg_check(gather(p, (size_t)r), (size_t)r, (info->flags & KIPC_MSG_REF) ? 1 : 0, how);
}

/* ------------------------------------------------------------------ */
/* private channels: exact accounting */

/* CHAN_STAT of @fd into @st, and @discarded (ABI 2; 0 from an older kernel). */
static int chan_stat_fd(int fd, struct kipc_chan_stat *st, uint64_t *discarded)
{
	union {
		struct kipc_chan_stat st;
		uint8_t raw[CHAN_STAT_SIZE];
	} u;
	struct expect ex = { .ok = true };
	long r;

	memset(&u, 0, sizeof(u));
	u.st.size = CHAN_STAT_SIZE;
	snprintf(desc, sizeof(desc), "(accounting) fd %d", fd);
	r = sys_ret(ioctl(fd, KIPC_IOC_CHAN_STAT, &u));
	*st = u.st;
	st->size = sizeof(*st);
	if (discarded)
		memcpy(discarded, u.raw + CHAN_STAT_DISCARDED, sizeof(*discarded));
	return judge(OP_CHAN_STAT, K_CHAN, r, &ex);
}

struct snap {
	bool valid;
	int fd;
	struct kipc_chan_stat st;
	uint64_t discarded;
	char what[sizeof(desc)];
};

static void snap_take(struct snap *s, const struct slot *t)
{
	char saved[sizeof(desc)];

	s->valid = false;
	if (t->kind != K_CHAN || !t->priv)
		return;
	memcpy(saved, desc, sizeof(desc));
	s->fd = t->fd;
	s->valid = !chan_stat_fd(t->fd, &s->st, &s->discarded);
	memcpy(desc, saved, sizeof(desc));
}

/*
 * After a call on a private channel: on success exactly @dsent messages
 * queued, @drecv received and @ddisc discarded (counted in @discarded,
 * not in @received); on failure none.
 */
static void snap_check3(const struct snap *s, const char *call, long ret, int dsent, int drecv,
			int ddisc)
{
	char saved[sizeof(desc)];
	struct kipc_chan_stat a;
	uint64_t ds, dr, dd, disc;
	int ws = ret >= 0 ? dsent : 0, wr = ret >= 0 ? drecv : 0, wd = ret >= 0 ? ddisc : 0;

	if (!s->valid)
		return;
	memcpy(saved, desc, sizeof(desc));
	if (chan_stat_fd(s->fd, &a, &disc))
		return;
	memcpy(desc, saved, sizeof(desc));
	ds = a.sent - s->st.sent;
	dr = a.received - s->st.received;
	dd = disc - s->discarded;
	if (ds != (uint64_t)ws || dr != (uint64_t)wr || dd != (uint64_t)wd ||
	    a.nr_msgs != s->st.nr_msgs + ds - dr - dd) {
		char res[32];

		if (ret < 0)
			snprintf(res, sizeof(res), "%s", ename((int)-ret));
		else
			snprintf(res, sizeof(res), "%ld", ret);
		violation("%s on a private channel returned %s, but sent +%" PRIu64
			  " received +%" PRIu64 " discarded +%" PRIu64
			  " nr_msgs %u->%u (expected +%d +%d +%d): %s [defect %s]",
			  call, res, ds, dr, dd, s->st.nr_msgs, a.nr_msgs, ws, wr, wd, desc,
			  defect_name);
	}
}

static void snap_check(const struct snap *s, const char *call, long ret, int dsent, int drecv)
{
	snap_check3(s, call, ret, dsent, drecv, 0);
}

/* ------------------------------------------------------------------ */
/* the calls */

/*
 * A receive on a private channel whose arguments pass (nothing in @ex
 * yet), by its snapshot @sn: an empty queue gives EPIPE without senders,
 * else EAGAIN when non-blocking (whatever the deadline: one past 2^63 ns
 * changes nothing). Returns true when a message is queued.
 */
static bool empty_rule(struct expect *ex, const struct snap *sn, const struct slot *t,
		       __u32 flags)
{
	if (!sn->valid || ex->err || ex->fail || chaos || !t->rd)
		return false;
	if (sn->st.nr_msgs)
		return true;
	if (!sn->st.nr_senders)
		expect_err(ex, EPIPE, "empty private channel without senders");
	else if (flags & KIPC_XFER_NONBLOCK)
		expect_err(ex, EAGAIN, "empty private channel, non-blocking");
	return false;
}


static void op_ctl_open(void)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	struct expect ex = { .ok = true };
	struct slot s = { .kind = K_CTL };
	int flags = acc[below(3)] | (chance(50) ? O_CLOEXEC : 0) | (chance(20) ? O_NONBLOCK : 0);
	long r;

	make_room();
	D("open(/dev/kipc, 0%o)", flags);
	r = sys_ret(open("/dev/kipc", flags));
	if (!judge(OP_CTL_OPEN, K_NONE, r, &ex)) {
		s.fd = (int)r;
		add_slot(&s);
	}
}

static struct slot *ctl_target(void)
{
	if (!pick_kind(K_CTL))
		op_ctl_open();
	return pick_target(K_CTL);
}

static void op_close(void)
{
	if (nslots)
		do_close((int)below((uint64_t)nslots));
}

static struct rlimit rl_orig;
static rlim_t rl_now = RLIM_INFINITY;

static void op_dup(void)
{
	struct expect ex = { .ok = true };
	struct slot s;
	int nfd;
	long r;

	make_room();
	if (!nslots)
		return;
	s = slots[below((uint64_t)nslots)];
	nfd = pick_bad_fd();	/* a free number: dup3() must not replace a held fd */
	if (chance(50) || nfd < 0) {
		D("dup(%d)", s.fd);
		r = sys_ret(dup(s.fd));
	} else {
		/* Beyond a squeezed RLIMIT_NOFILE this is EBADF (dup(2)). */
		D("dup3(%d, %d, O_CLOEXEC)", s.fd, nfd);
		r = sys_ret(dup3(s.fd, nfd, O_CLOEXEC));
		ex.ok = false;
		if (r == -EBADF && (rlim_t)nfd >= rl_now)
			r = -EMFILE;	/* the same condition; count it as such */
	}
	if (!judge(OP_DUP, s.kind, r, &ex)) {
		s.fd = (int)r;
		add_slot(&s);
	}
}

static void op_fcntl(void)
{
	struct expect ex = { .ok = true };
	struct slot *t;
	int fl;

	if (!nslots)
		return;
	t = &slots[below((uint64_t)nslots)];
	fl = fcntl(t->fd, F_GETFL);
	if (fl < 0)
		fl = 0;
	fl ^= O_NONBLOCK;
	D("fcntl(%d, F_SETFL, 0%o)", t->fd, fl);
	judge(OP_FCNTL, t->kind, sys_ret(fcntl(t->fd, F_SETFL, fl)), &ex);
}

/* Squeeze RLIMIT_NOFILE to just above the highest fd, or restore it. */
static void op_rlimit(void)
{
	struct expect ex = { .ok = true };
	struct rlimit rl = rl_orig;
	int hi = other_fd, i;

	for (i = 0; i < nslots; i++)
		if (slots[i].fd > hi)
			hi = slots[i].fd;
	if (chance(40))
		rl.rlim_cur = (rlim_t)(hi + 1 + (int)below(3));
	D("setrlimit(NOFILE, %llu)", (unsigned long long)rl.rlim_cur);
	if (!judge(OP_RLIMIT, K_NONE, sys_ret(setrlimit(RLIMIT_NOFILE, &rl)), &ex))
		rl_now = rl.rlim_cur;
}

/*
 * The kind a call on @t sees, and the rule for a wrong kind. Chaos calls
 * (several mutations at once) keep only this rule: which of their defects
 * the kernel notices first is not part of the contract.
 */
static void kind_rule(const struct slot *t, enum kind want, struct expect *ex)
{
	if (chaos)
		memset(ex, 0, sizeof(*ex));
	if (t->kind == K_BAD) {
		memset(ex, 0, sizeof(*ex));
		ex->err = EBADF;
		ex->why = "not an open fd";
	} else if (t->kind != want) {
		memset(ex, 0, sizeof(*ex));
		ex->err = ENOTTY;
		ex->why = "command for another kind of fd";
	}
}

static void op_version(void)
{
	struct kipc_version v = { .size = sizeof(v) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;
	struct argp a;
	long r;

	t = ctl_target();
	if (d == D_FLAGS || d == D_CHAOS)
		v.flags = d == D_FLAGS ? 1u << below(32) : chaos32();
	if (d == D_RESERVED || (d == D_CHAOS && chance(50)))
		v.__reserved = d == D_RESERVED ? 1 + (uint32_t)below(0xffff) : chaos32();
	if (d == D_FLAGS || d == D_RESERVED)
		expect_err(&ex, EINVAL, "unknown flag or reserved field set");
	if (d == D_VALUE || d == D_NAME)
		d = D_NONE;
	arg_place(&a, &v, sizeof(v), MIN_VERSION, d, WB_ALWAYS, &ex);
	if (d == D_NONE)
		ex.ok = true;
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x rsv=%#x ptr=%s", t->fd, a.usize, v.flags, v.__reserved,
	  ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_VERSION, a.uptr));
	if (judge(OP_VERSION, t->kind, r, &ex) || a.mode != P_GOOD)
		return;
	arg_result(&a, &v, sizeof(v));
	if (v.abi_version != KIPC_ABI_VERSION || !(v.features & KIPC_FEAT_CHANNELS))
		violation("VERSION says abi %u features %#llx", v.abi_version,
			  (unsigned long long)v.features);
}

static void op_stat(void)
{
	struct kipc_global_stat st = { .size = sizeof(st) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;
	struct argp a;

	t = ctl_target();
	if (d == D_FLAGS || d == D_CHAOS) {
		st.flags = d == D_FLAGS ? 1u << below(32) : chaos32();
		if (d == D_FLAGS)
			expect_err(&ex, EINVAL, "unknown flag");
	}
	if (d == D_RESERVED || d == D_VALUE || d == D_NAME)
		d = D_NONE;
	if (d == D_CHAOS && chance(50))
		st.nr_chans = chaos32();	/* an output field: ignored on input */
	arg_place(&a, &st, sizeof(st), MIN_STAT, d, WB_ALWAYS, &ex);
	if (d == D_NONE)
		ex.ok = true;
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x ptr=%s", t->fd, a.usize, st.flags, ptr_name[a.mode]);
	judge(OP_STAT, t->kind, sys_ret(ioctl(t->fd, KIPC_IOC_STAT, a.uptr)), &ex);
}

static uint32_t pick_mode(void)
{
	static const uint32_t modes[] = { 0600, 0666, 0644, 0640, 0, 0777, 0200, 0400 };

	return modes[below(sizeof(modes) / sizeof(modes[0]))];
}

static uint32_t pick_access(void)
{
	switch (below(3)) {
	case 0:
		return KIPC_OPEN_RECV;
	case 1:
		return KIPC_OPEN_SEND;
	default:
		return KIPC_OPEN_RECV | KIPC_OPEN_SEND;
	}
}

static uint32_t pick_open_extras(void)
{
	return (chance(70) ? KIPC_OPEN_CREAT : 0) | (chance(15) ? KIPC_OPEN_EXCL : 0) |
	       (chance(30) ? KIPC_OPEN_NONBLOCK : 0) | (chance(50) ? KIPC_OPEN_CLOEXEC : 0);
}

static void op_chan_open(void)
{
	struct kipc_chan_open o = { .size = sizeof(o) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct kipc_chan_stat st;
	char shown[64];
	struct slot *t, s;
	struct argp a;
	long r;

	make_room();
	t = ctl_target();
	o.flags = pick_access() | pick_open_extras();
	o.mode = pick_mode();
	o.max_msgs = chance(50) ? 0 : chance(80) ? 1 + (uint32_t)below(16) :
		     (uint32_t)lim.max_msgs;
	o.max_msg_size = chance(50) ? 0 : chance(70) ? 1 + (uint32_t)below(128) :
			 chance(50) ? (uint32_t)lim.default_msg_size : (uint32_t)lim.max_msg_size;
	o.name = pick_name(d == D_NAME, (o.flags & KIPC_OPEN_CREAT) != 0, &ex, shown,
			   sizeof(shown));
	switch (d) {
	case D_FLAGS:
		o.flags |= 1u << (6 + below(26));
		expect_err(&ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		o.__reserved = 1 + (uint32_t)below(1000);
		expect_err(&ex, EINVAL, "reserved field set");
		break;
	case D_VALUE:
		switch (below(5)) {
		case 0:
			o.flags &= ~(KIPC_OPEN_RECV | KIPC_OPEN_SEND);
			break;
		case 1:
			o.mode |= 01000u << below(20);
			break;
		case 2:
			o.max_msgs = (uint32_t)lim.max_msgs + 1 + (uint32_t)below(1000);
			break;
		case 3:
			o.max_msg_size = (uint32_t)lim.max_msg_size + 1;
			break;
		default:
			o.name = 0;	/* anonymous without CREAT */
			o.flags &= ~KIPC_OPEN_CREAT;
			snprintf(shown, sizeof(shown), "NULL");
			break;
		}
		expect_err(&ex, EINVAL, "value out of range");
		break;
	case D_CHAOS:
		o.flags = chaos32();
		o.mode = chance(50) ? chaos32() : o.mode;
		o.max_msgs = chance(50) ? chaos32() : o.max_msgs;
		o.max_msg_size = chance(50) ? chaos32() : o.max_msg_size;
		o.__reserved = chance(30) ? chaos32() : 0;
		break;
	default:
		break;
	}
	arg_place(&a, &o, sizeof(o), MIN_CHAN_OPEN, d, WB_NEVER, &ex);
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x name=%s mode=%#o max_msgs=%u max_msg_size=%u rsv=%u ptr=%s",
	  t->fd, a.usize, o.flags, shown, o.mode, o.max_msgs, o.max_msg_size, o.__reserved,
	  ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_CHAN_OPEN, a.uptr));
	if (judge(OP_CHAN_OPEN, t->kind, r, &ex))
		return;
	s = (struct slot){
		.fd = (int)r, .kind = K_CHAN,
		.rd = (o.flags & KIPC_OPEN_RECV) != 0, .wr = (o.flags & KIPC_OPEN_SEND) != 0,
		.priv = !o.name,
	};
	if (!chan_stat_fd(s.fd, &st, NULL)) {
		s.max_msg_size = st.max_msg_size;
		if (st.nr_msgs > st.max_msgs || st.mode > 0777 ||
		    (s.rd && !st.nr_receivers) || (s.wr && !st.nr_senders) ||
		    (s.priv && !(st.state & KIPC_CHAN_ANON)))
			violation("CHAN_STAT of a new channel fd is inconsistent: nr_msgs %u/%u mode %o receivers %u senders %u state %#x",
				  st.nr_msgs, st.max_msgs, st.mode, st.nr_receivers,
				  st.nr_senders, st.state);
	}
	add_slot(&s);
}

/* A region's length and id, through SHM_STAT (must succeed). */
static int region_stat_fd(int fd, struct kipc_shm_stat *st)
{
	struct expect ex = { .ok = true };

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	snprintf(desc, sizeof(desc), "(new region fd) fd %d", fd);
	return judge(OP_SHM_STAT, K_REGION, sys_ret(ioctl(fd, KIPC_IOC_SHM_STAT, st)), &ex);
}

static uint64_t pick_region_len(void)
{
	unsigned int r = (unsigned int)below(100);

	if (r < 70)
		return 1 + below(16 * (uint64_t)pg);
	if (r < 95)
		return 1 + below(64 * (uint64_t)pg);
	if (r < 98)
		return 1ull << 30;		/* sparse: nothing allocated until touched */
	return lim.max_region_bytes;
}

static void op_shm_open(void)
{
	struct kipc_shm_open o = { .size = sizeof(o) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct kipc_shm_stat st;
	char shown[64];
	struct slot *t, s;
	struct argp a;
	long r;

	make_room();
	t = ctl_target();
	o.flags = KIPC_OPEN_RECV | (chance(70) ? KIPC_OPEN_SEND : 0) | pick_open_extras();
	o.mode = pick_mode();
	o.length = pick_region_len();
	o.name = pick_name(d == D_NAME, (o.flags & KIPC_OPEN_CREAT) != 0, &ex, shown,
			   sizeof(shown));
	switch (d) {
	case D_FLAGS:
		o.flags |= 1u << (6 + below(26));
		expect_err(&ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		o.__reserved = 1 + (uint32_t)below(1000);
		expect_err(&ex, EINVAL, "reserved field set");
		break;
	case D_VALUE:
		switch (below(4)) {
		case 0:
			o.flags &= ~KIPC_OPEN_RECV;	/* a region fd always reads */
			expect_err(&ex, EINVAL, "no KIPC_OPEN_RECV");
			break;
		case 1:
			o.flags |= KIPC_OPEN_CREAT;
			o.length = 0;
			expect_err(&ex, EINVAL, "length 0 with CREAT");
			break;
		case 2:
			o.flags |= KIPC_OPEN_CREAT;
			o.length = chance(50) ? lim.max_region_bytes + 1 : UINT64_MAX - below(4096);
			expect_err(&ex, ENOSPC, "length above max_region_bytes");
			break;
		default:
			o.mode |= 01000u << below(20);
			expect_err(&ex, EINVAL, "mode above 0777");
			break;
		}
		break;
	case D_CHAOS:
		o.flags = chaos32();
		o.mode = chance(50) ? chaos32() : o.mode;
		o.length = chance(50) ? rnd() : o.length;
		o.__reserved = chance(30) ? chaos32() : 0;
		break;
	default:
		break;
	}
	arg_place(&a, &o, sizeof(o), MIN_SHM_OPEN, d, WB_NEVER, &ex);
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x name=%s mode=%#o length=%" PRIu64 " rsv=%u ptr=%s",
	  t->fd, a.usize, o.flags, shown, o.mode, (uint64_t)o.length, o.__reserved,
	  ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_SHM_OPEN, a.uptr));
	if (judge(OP_SHM_OPEN, t->kind, r, &ex))
		return;
	s = (struct slot){ .fd = (int)r, .kind = K_REGION, .rd = true,
			   .wr = (o.flags & KIPC_OPEN_SEND) != 0 };
	if (!region_stat_fd(s.fd, &st)) {
		s.len = st.length;
		s.id = st.id;
		if (!o.name && st.length != ((o.length + (uint64_t)pg - 1) & ~((uint64_t)pg - 1)))
			violation("new anonymous region of %" PRIu64 " bytes has length %" PRIu64,
				  (uint64_t)o.length, (uint64_t)st.length);
	}
	add_slot(&s);
}

static void op_unlink(void)
{
	struct kipc_unlink u = { .size = sizeof(u) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	char shown[64];
	struct slot *t;
	struct argp a;

	t = ctl_target();
	u.type = chance(50) ? KIPC_OBJ_CHAN : KIPC_OBJ_REGION;
	u.name = pick_name(d == D_NAME, false, &ex, shown, sizeof(shown));
	switch (d) {
	case D_FLAGS:
		u.flags = 1u << below(32);
		expect_err(&ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		u.__reserved = 1 + (uint32_t)below(1000);
		expect_err(&ex, EINVAL, "reserved field set");
		break;
	case D_VALUE:
		u.type = chance(50) ? 0 : 3 + (uint32_t)below(100);
		expect_err(&ex, EINVAL, "unknown object type");
		break;
	case D_CHAOS:
		u.flags = chance(50) ? chaos32() : 0;
		u.type = chaos32();
		u.__reserved = chance(30) ? chaos32() : 0;
		break;
	default:
		break;
	}
	arg_place(&a, &u, sizeof(u), MIN_UNLINK, d, WB_NEVER, &ex);
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x type=%u name=%s rsv=%u ptr=%s", t->fd, a.usize, u.flags,
	  u.type, shown, u.__reserved, ptr_name[a.mode]);
	judge(OP_UNLINK, t->kind, sys_ret(ioctl(t->fd, KIPC_IOC_UNLINK, a.uptr)), &ex);
}

static void op_send(void)
{
	struct kipc_xfer x = { .size = sizeof(x) };
	enum defect d = pick_defect();
	enum xmode m = pick_xmode();
	struct expect ex = { 0 }, iovx = { 0 };
	const char *iovhow = "good";
	struct iovplan p;
	struct slot *t;
	struct snap sn;
	struct argp a;
	int sub = (int)below(3);	/* D_PTR: the struct, the array or a segment */
	long r;

	t = pick_chan(true);
	plan_iov(&p, pick_msg_len(), true, d == D_PTR && sub == 2);
	xmode_apply(m, &x.flags, &x.deadline_ns);
	x.prio = (uint32_t)below(KIPC_PRIO_MAX + 1);
	switch (d) {
	case D_FLAGS:
		x.flags |= chance(30) ? KIPC_XFER_PEEK : 1u << (3 + below(29));
		expect_err(&ex, EINVAL, "flag not valid for send");
		break;
	case D_RESERVED:
		((uint8_t *)&x.info)[below(sizeof(x.info))] = (uint8_t)(1 + below(255));
		expect_err(&ex, EINVAL, "info must be zero on send");
		break;
	case D_VALUE:
		switch (below(3)) {
		case 0:
			x.prio = KIPC_PRIO_MAX + 1 + (uint32_t)below(1000);
			expect_err(&ex, EINVAL, "priority above KIPC_PRIO_MAX");
			break;
		case 1:
			deadline_defect(&x.flags, &x.deadline_ns);
			expect_err(&ex, EINVAL, "deadline flag and value disagree");
			break;
		default:
			break;	/* iovcnt, below */
		}
		break;
	case D_CHAOS:
		x.flags = chance(50) ? chaos32() : x.flags;
		x.prio = chance(50) ? chaos32() : x.prio;
		x.deadline_ns = chance(30) ? rnd() : x.deadline_ns;
		break;
	default:
		break;
	}
	x.iov = (uintptr_t)place_iov(&p, d == D_PTR && sub == 1, &iovx, &iovhow);
	x.iovcnt = (uint32_t)p.cnt;
	if ((d == D_VALUE && !ex.err) || (d == D_CHAOS && chance(20))) {
		/* Rejected before the array is read. */
		x.iovcnt = NIOV_MANY + 1 + (uint32_t)below(10);
		iovx = (struct expect){ .err = EINVAL, .why = "iovcnt above UIO_MAXIOV" };
	}
	arg_place(&a, &x, sizeof(x), MIN_XFER, d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
	/* The kernel checks the fd's mode before it reads the iovec array. */
	if (!t->wr)
		expect_err(&ex, EBADF, "send on a receive-only fd");
	if (iovx.err)
		expect_err(&ex, iovx.err, iovx.why);
	send_data_expect(&ex, t, &p);
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, x.flags, x.deadline_ns);
	D("fd %d size=%u flags=%#x prio=%u iovcnt=%u iov=%s len=%zu%s deadline=%" PRIu64 " ptr=%s",
	  t->fd, a.usize, x.flags, x.prio, x.iovcnt, iovhow, p.total, p.bad ? " (bad segment)" : "",
	  (uint64_t)x.deadline_ns, ptr_name[a.mode]);
	snap_take(&sn, t);
	r = xfer_ioctl(t->fd, KIPC_IOC_SEND, a.uptr, x.flags);
	if (judge(OP_SEND, t->kind, r, &ex) == 0 && (size_t)r != p.total)
		violation("SEND returned %ld for a %zu-byte message: %s", r, p.total, desc);
	snap_check(&sn, "SEND", r, 1, 0);
}

/*
 * The defects of a KIPC_IOC_RECV struct, with or without KIPC_XFER_DISCARD
 * (then an added KIPC_XFER_PEEK is the flag defect half the time, and
 * chaos keeps KIPC_XFER_DISCARD set when it scrambles the flags).
 */
static void recv_defect(struct kipc_xfer *x, enum defect d, struct expect *ex)
{
	__u32 discard = x->flags & KIPC_XFER_DISCARD;

	switch (d) {
	case D_FLAGS:
		if (discard && chance(50)) {
			x->flags |= KIPC_XFER_PEEK;
			expect_err(ex, EINVAL, "KIPC_XFER_PEEK with KIPC_XFER_DISCARD");
			break;
		}
		x->flags |= 1u << (4 + below(28));	/* bit 3 is KIPC_XFER_DISCARD */
		expect_err(ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		((uint8_t *)&x->info)[below(sizeof(x->info))] = (uint8_t)(1 + below(255));
		expect_err(ex, EINVAL, "info must be zero on input");
		break;
	case D_VALUE:
		if (chance(50))
			x->prio = 1 + (uint32_t)below(40);
		else
			deadline_defect(&x->flags, &x->deadline_ns);
		expect_err(ex, EINVAL, "prio set or deadline invalid");
		break;
	case D_CHAOS:
		x->flags = chance(50) ? chaos32() | discard : x->flags;
		x->prio = chance(30) ? chaos32() : 0;
		x->deadline_ns = chance(30) ? rnd() : x->deadline_ns;
		break;
	default:
		break;
	}
}

static void op_recv(void)
{
	struct kipc_xfer x = { .size = sizeof(x) };
	enum defect d = pick_defect();
	enum xmode m = pick_xmode();
	struct expect ex = { 0 }, iovx = { 0 }, ex0;
	const char *iovhow = "good";
	bool peek = chance(20);
	struct iovplan p;
	struct slot *t;
	struct snap sn;
	struct argp a;
	int sub = (int)below(3);
	size_t cap;
	long r;

	t = pick_chan(false);
	cap = chance(5) ? 0 : chance(30) ? 1 + below(64) : chance(40) ? 1 + below(4096) :
	      1 + below(MAX_MSG);
	plan_iov(&p, cap, false, d == D_PTR && sub == 2);
	xmode_apply(m, &x.flags, &x.deadline_ns);
	if (peek)
		x.flags |= KIPC_XFER_PEEK;
	recv_defect(&x, d, &ex);
	x.iov = (uintptr_t)place_iov(&p, d == D_PTR && sub == 1, &iovx, &iovhow);
	x.iovcnt = (uint32_t)p.cnt;
	ex0 = ex;
	do {
		ex = ex0;
		arg_place(&a, &x, sizeof(x), MIN_XFER, d == D_PTR && sub ? D_NONE : d,
			  WB_ON_SUCCESS, &ex);
	} while (a.mode == P_RO && opt.avoid_recv_ro);
	if (!t->rd)
		expect_err(&ex, EBADF, "receive on a send-only fd");
	if (iovx.err)
		expect_err(&ex, iovx.err, iovx.why);
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, x.flags, x.deadline_ns);
	D("fd %d size=%u flags=%#x iovcnt=%u iov=%s cap=%zu%s deadline=%" PRIu64 " ptr=%s",
	  t->fd, a.usize, x.flags, x.iovcnt, iovhow, p.total,
	  p.first_bad != SIZE_MAX ? " (bad segment)" : "", (uint64_t)x.deadline_ns,
	  ptr_name[a.mode]);
	snap_take(&sn, t);
	/* A segment at a kernel address may fail access_ok() at import (6.12). */
	if (!p.bad)
		empty_rule(&ex, &sn, t, x.flags);
	r = xfer_ioctl(t->fd, KIPC_IOC_RECV, a.uptr, x.flags);
	judge(OP_RECV, t->kind, r, &ex);
	/* Chaos flags may hold KIPC_XFER_DISCARD: then it counts as discarded. */
	snap_check3(&sn, "RECV", r, 0, (x.flags & (KIPC_XFER_PEEK | KIPC_XFER_DISCARD)) ? 0 : 1,
		    (x.flags & (KIPC_XFER_PEEK | KIPC_XFER_DISCARD)) == KIPC_XFER_DISCARD);
	if (d == D_CHAOS || a.mode != P_GOOD || t->kind != K_CHAN)
		return;
	arg_result(&a, &x, sizeof(x));
	recv_check("RECV", r, &x.info, &p);
}

/*
 * KIPC_IOC_RECV with KIPC_XFER_DISCARD (ABI 2): the head message goes
 * without being delivered, whatever its length or the region it refers
 * to (no permission check); its info comes back and the call returns its
 * length. The buffer is none or a tiny one on purpose: a discard must not
 * care. On a private channel a queued message is always discarded
 * (counted in @discarded, not in @received), and an empty queue gives
 * EPIPE without senders, else EAGAIN when non-blocking.
 */
static void op_discard(void)
{
	struct kipc_xfer x = { .size = sizeof(x) };
	enum defect d = pick_defect();
	enum xmode m = pick_xmode();
	struct expect ex = { 0 };
	struct slot *t;
	struct snap sn;
	struct argp a;
	long r;

	t = pick_chan(false);
	xmode_apply(m, &x.flags, &x.deadline_ns);
	x.flags |= KIPC_XFER_DISCARD;
	if (chance(50)) {
		iovbuf[0] = (struct iovec){ s_data.rw + AREA_LEN, below(17) };
		x.iov = (uintptr_t)iovbuf;
		x.iovcnt = 1;
	}
	recv_defect(&x, d, &ex);
	if (d == D_NAME)
		d = D_NONE;
	arg_place(&a, &x, sizeof(x), MIN_XFER, d, WB_ON_SUCCESS, &ex);
	if (!t->rd)
		expect_err(&ex, EBADF, "discard on a send-only fd");
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, x.flags, x.deadline_ns);
	D("fd %d size=%u flags=%#x iovcnt=%u deadline=%" PRIu64 " ptr=%s", t->fd, a.usize,
	  x.flags, x.iovcnt, (uint64_t)x.deadline_ns, ptr_name[a.mode]);
	snap_take(&sn, t);
	if (empty_rule(&ex, &sn, t, x.flags))
		ex.ok = true;	/* a message is queued: a discard always takes it */
	r = xfer_ioctl(t->fd, KIPC_IOC_RECV, a.uptr, x.flags);
	judge(OP_DISCARD, t->kind, r, &ex);
	snap_check3(&sn, "RECV(DISCARD)", r, 0, 0,
		    (x.flags & (KIPC_XFER_PEEK | KIPC_XFER_DISCARD)) == KIPC_XFER_DISCARD);
	if (r < 0 || chaos || a.mode != P_GOOD || t->kind != K_CHAN)
		return;
	arg_result(&a, &x, sizeof(x));
	if (x.info.len != (uint32_t)r || x.info.prio > KIPC_PRIO_MAX ||
	    x.info.len > t->max_msg_size)
		violation("RECV(DISCARD) returned %ld with info.len %u prio %u (max_msg_size %u): %s",
			  r, x.info.len, x.info.prio, t->max_msg_size, desc);
}

/*
 * The defects every STAT ioctl shares (@flags and @reserved are the
 * argument's): an unknown flag or a reserved field set is EINVAL; chaos
 * scrambles the flags (the caller scrambles outputs); the rest do not
 * apply and become D_NONE. Returns the defect to place the argument with.
 */
static enum defect stat_defect(enum defect d, uint32_t *flags, uint32_t *reserved,
			       struct expect *ex)
{
	if (d == D_FLAGS) {
		*flags = 1u << below(32);
		expect_err(ex, EINVAL, "unknown flag");
	} else if (d == D_RESERVED) {
		*reserved = 1 + (uint32_t)below(100);
		expect_err(ex, EINVAL, "reserved field set");
	} else if (d == D_CHAOS) {
		*flags = chance(50) ? chaos32() : 0;
	} else if (d == D_VALUE || d == D_NAME) {
		d = D_NONE;
	}
	return d;
}

/*
 * Place a STAT argument @st (@size bytes, at least @min), run @cmd on @t
 * and judge it. Returns true when @st holds a result worth checking.
 */
static bool stat_call(struct slot *t, enum kind kind, enum op op, unsigned long cmd,
		      void *st, size_t size, size_t min, enum defect d, struct expect *ex)
{
	const uint32_t *hdr = st;	/* size, flags; __reserved is the caller's */
	struct argp a;

	arg_place(&a, st, size, min, d, WB_ALWAYS, ex);
	if (d == D_NONE)
		ex->ok = true;
	kind_rule(t, kind, ex);
	D("fd %d size=%u flags=%#x ptr=%s", t->fd, a.usize, hdr[1], ptr_name[a.mode]);
	if (judge(op, t->kind, sys_ret(ioctl(t->fd, cmd, a.uptr)), ex) ||
	    a.mode != P_GOOD || d == D_CHAOS)
		return false;
	arg_result(&a, st, size);
	return true;
}

static void op_chan_stat(void)
{
	struct kipc_chan_stat st = { .size = sizeof(st) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;

	t = pick_target(K_CHAN);
	d = stat_defect(d, &st.flags, &st.__reserved, &ex);
	if (d == D_CHAOS)
		st.nr_msgs = chaos32();	/* output: ignored on input */
	if (!stat_call(t, K_CHAN, OP_CHAN_STAT, KIPC_IOC_CHAN_STAT, &st, sizeof(st),
		       MIN_CHAN_STAT, d, &ex))
		return;
	if (st.nr_msgs > st.max_msgs || st.mode > 0777 || st.received > st.sent ||
	    (!st.nr_msgs && st.bytes_queued) || (st.state & ~(KIPC_CHAN_NAMED | KIPC_CHAN_ANON)) ||
	    (t->rd && !st.nr_receivers) || (t->wr && !st.nr_senders) ||
	    st.max_msg_size != t->max_msg_size)
		violation("CHAN_STAT inconsistent: nr_msgs %u/%u bytes %" PRIu64 " sent %" PRIu64
			  " received %" PRIu64 " receivers %u senders %u mode %o state %#x max_msg_size %u (expected %u)",
			  st.nr_msgs, st.max_msgs, (uint64_t)st.bytes_queued, (uint64_t)st.sent,
			  (uint64_t)st.received, st.nr_receivers, st.nr_senders, st.mode,
			  st.state, st.max_msg_size, t->max_msg_size);
}

static void op_send_ref(void)
{
	struct kipc_ref_xfer x = { .size = sizeof(x) };
	enum defect d = pick_defect();
	enum xmode m = pick_xmode();
	struct expect ex = { 0 }, fdx = { 0 };
	struct slot *t, *reg;
	uint64_t rlen = 0;
	const char *shmhow;
	struct snap sn;
	struct argp a;
	long r;

	t = pick_chan(true);
	reg = pick_kind(K_REGION);
	if (reg && chance(80)) {
		x.shm_fd = reg->fd;
		rlen = reg->len;
		shmhow = "region";
	} else {
		switch (below(4)) {
		case 0:
			x.shm_fd = other_fd;
			shmhow = "/dev/null";
			expect_err(&fdx, EINVAL, "shm_fd is not a region fd");
			break;
		case 1:
			if (pick_kind(K_CHAN)) {
				x.shm_fd = pick_kind(K_CHAN)->fd;
				shmhow = "channel";
				expect_err(&fdx, EINVAL, "shm_fd is not a region fd");
				break;
			}
			/* fall through */
		default:
			x.shm_fd = pick_bad_fd();
			shmhow = "bad";
			expect_err(&fdx, EBADF, "shm_fd is not an open fd");
			break;
		}
	}
	/* A range within the region, or not. */
	switch (below(10)) {
	case 0:
		x.offset = rlen + below(3 * (uint64_t)pg);
		x.len = 1 + below(4096);
		break;
	case 1:
		x.offset = UINT64_MAX - below(4096);
		x.len = 4096 + below(4096);
		break;
	case 2:
		x.offset = 0;
		x.len = (1ull << 32) + below(1000);
		break;
	case 3:
		/* Just above the channel's max_msg_size (EMSGSIZE), in the region if it can be. */
		x.len = (uint64_t)t->max_msg_size + 1 + below(chance(50) ? 8 : 70000);
		x.offset = x.len <= rlen ? below(rlen - x.len + 1) : 0;
		break;
	default:
		x.offset = below(rlen + 1);
		x.len = below(rlen - x.offset + 1);
		if (chance(50))
			x.len %= 70000;
		break;
	}
	xmode_apply(m, &x.flags, &x.deadline_ns);
	x.prio = (uint32_t)below(KIPC_PRIO_MAX + 1);
	switch (d) {
	case D_FLAGS:
		x.flags |= chance(30) ? KIPC_XFER_PEEK : chance(30) ? KIPC_REF_CLOEXEC :
			   1u << (3 + below(29));
		expect_err(&ex, EINVAL, "flag not valid for send");
		break;
	case D_RESERVED:
		if (chance(50))
			x.region_id = 1 + below(1000);
		else
			((uint8_t *)&x.info)[below(sizeof(x.info))] = (uint8_t)(1 + below(255));
		expect_err(&ex, EINVAL, "region_id/info must be zero on send");
		break;
	case D_VALUE:
		if (chance(50))
			x.prio = KIPC_PRIO_MAX + 1 + (uint32_t)below(1000);
		else
			deadline_defect(&x.flags, &x.deadline_ns);
		expect_err(&ex, EINVAL, "priority or deadline invalid");
		break;
	case D_CHAOS:
		x.flags = chance(50) ? chaos32() : x.flags;
		x.prio = chance(50) ? chaos32() : x.prio;
		x.shm_fd = chance(30) ? (int32_t)chaos32() : x.shm_fd;
		x.offset = chance(30) ? rnd() : x.offset;
		x.len = chance(30) ? rnd() : x.len;
		break;
	default:
		break;
	}
	arg_place(&a, &x, sizeof(x), MIN_REF_XFER, d, WB_NEVER, &ex);
	/* The kernel's order: arguments, the channel fd's mode, shm_fd, the range. */
	if (!t->wr)
		expect_err(&ex, EBADF, "send on a receive-only fd");
	if (fdx.err)
		expect_err(&ex, fdx.err, fdx.why);
	if (shmhow[0] == 'r' && (x.offset + x.len < x.offset || x.offset + x.len > rlen ||
				 x.len > UINT32_MAX))
		expect_err(&ex, EINVAL, "range outside the region");
	else if (shmhow[0] == 'r' && t->kind == K_CHAN && x.len > t->max_msg_size)
		expect_err(&ex, EMSGSIZE, "reference above the channel's max_msg_size");
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, x.flags, x.deadline_ns);
	D("fd %d size=%u flags=%#x shm_fd=%d(%s) offset=%" PRIu64 " len=%" PRIu64
	  " region=%" PRIu64 " prio=%u ptr=%s", t->fd, a.usize, x.flags, x.shm_fd, shmhow,
	  (uint64_t)x.offset, (uint64_t)x.len, rlen, x.prio, ptr_name[a.mode]);
	snap_take(&sn, t);
	r = xfer_ioctl(t->fd, KIPC_IOC_SEND_REF, a.uptr, x.flags);
	if (!judge(OP_SEND_REF, t->kind, r, &ex) && r != 0 && d != D_CHAOS)
		violation("SEND_REF returned %ld, not 0: %s", r, desc);
	snap_check(&sn, "SEND_REF", r, 1, 0);
}

static void op_recv_ref(void)
{
	struct kipc_ref_xfer x = { .size = sizeof(x) };
	enum defect d = pick_defect();
	enum xmode m = pick_xmode();
	struct expect ex = { 0 }, fdx = { 0 };
	struct kipc_shm_stat st;
	struct slot *t, *hint = NULL, s;
	bool peek = chance(15);
	const char *hinthow;
	struct snap sn;
	struct argp a;
	long r;
	int i;

	make_room();
	t = pick_chan(false);
	switch (below(10)) {
	case 0: case 1: case 2: case 3: case 4:
		x.shm_fd = -1;
		hinthow = "none";
		break;
	case 5: case 6: case 7: case 8:
		hint = pick_kind(K_REGION);
		if (hint) {
			x.shm_fd = hint->fd;
			hinthow = "region";
			break;
		}
		x.shm_fd = -1;
		hinthow = "none";
		break;
	default:
		x.shm_fd = chance(50) ? other_fd : pick_bad_fd();
		if (x.shm_fd == -1)
			x.shm_fd = -2;
		hinthow = "not-a-region";
		expect_err(&fdx, EBADF, "shm_fd neither -1 nor a region fd");
		break;
	}
	xmode_apply(m, &x.flags, &x.deadline_ns);
	if (peek)
		x.flags |= KIPC_XFER_PEEK;
	if (chance(50))
		x.flags |= KIPC_REF_CLOEXEC;
	switch (d) {
	case D_FLAGS:
		if (chance(25)) {
			x.flags |= KIPC_XFER_DISCARD;
			expect_err(&ex, EINVAL, "KIPC_XFER_DISCARD is KIPC_IOC_RECV's only");
			break;
		}
		x.flags |= 1u << (9 + below(23));
		expect_err(&ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		if (chance(50))
			x.region_id = 1 + below(1000);
		else
			((uint8_t *)&x.info)[below(sizeof(x.info))] = (uint8_t)(1 + below(255));
		expect_err(&ex, EINVAL, "region_id/info must be zero on input");
		break;
	case D_VALUE:
		switch (below(4)) {
		case 0:
			x.prio = 1 + (uint32_t)below(40);
			break;
		case 1:
			x.offset = 1 + below(1000);
			break;
		case 2:
			x.len = 1 + below(1000);
			break;
		default:
			deadline_defect(&x.flags, &x.deadline_ns);
			break;
		}
		expect_err(&ex, EINVAL, "prio/offset/len set or deadline invalid");
		break;
	case D_CHAOS:
		x.flags = chance(50) ? chaos32() : x.flags;
		x.prio = chance(30) ? chaos32() : 0;
		x.offset = chance(30) ? rnd() : 0;
		x.shm_fd = chance(30) ? (int32_t)chaos32() : x.shm_fd;
		break;
	default:
		break;
	}
	if (hint && x.shm_fd != hint->fd)
		hint = NULL;	/* chaos replaced it */
	arg_place(&a, &x, sizeof(x), MIN_REF_XFER, d, WB_ON_SUCCESS, &ex);
	if (!t->rd)
		expect_err(&ex, EBADF, "receive on a send-only fd");
	if (fdx.err)
		expect_err(&ex, fdx.err, fdx.why);
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, x.flags, x.deadline_ns);
	D("fd %d size=%u flags=%#x shm_fd=%d(%s) ptr=%s", t->fd, a.usize, x.flags, x.shm_fd,
	  hinthow, ptr_name[a.mode]);
	snap_take(&sn, t);
	empty_rule(&ex, &sn, t, x.flags);
	r = xfer_ioctl(t->fd, KIPC_IOC_RECV_REF, a.uptr, x.flags);
	judge(OP_RECV_REF, t->kind, r, &ex);
	snap_check(&sn, "RECV_REF", r, 0, (x.flags & KIPC_XFER_PEEK) ? 0 : 1);
	if (r < 0 || a.mode != P_GOOD)
		return;
	if (d == D_CHAOS && t->kind != K_CHAN)
		return;
	arg_result(&a, &x, sizeof(x));
	if (hint && hint->id == x.region_id) {
		if (x.shm_fd == hint->fd)
			return;		/* the fast path: no new fd */
		violation("RECV_REF made fd %d although the hint fd %d names region %" PRIu64 ": %s",
			  x.shm_fd, hint->fd, (uint64_t)x.region_id, desc);
		/* and keep track of the new fd */
	}
	for (i = 0; i < nslots; i++) {
		if (slots[i].fd == x.shm_fd) {
			violation("RECV_REF returned fd %d, which was already open (%s): %s",
				  x.shm_fd, kind_name[slots[i].kind], desc);
			return;
		}
	}
	s = (struct slot){ .fd = x.shm_fd, .kind = K_REGION, .rd = true };
	if (!region_stat_fd(s.fd, &st)) {
		s.len = st.length;
		s.id = st.id;
		if (st.id != x.region_id || x.offset + x.len > st.length ||
		    x.offset + x.len < x.offset || !(x.info.flags & KIPC_MSG_REF) ||
		    x.info.len != x.len)
			violation("RECV_REF result inconsistent: region_id %" PRIu64 " (fd says %" PRIu64
				  ") offset %" PRIu64 " len %" PRIu64 " region length %" PRIu64
				  " info.flags %#x info.len %u",
				  (uint64_t)x.region_id, (uint64_t)st.id, (uint64_t)x.offset,
				  (uint64_t)x.len, (uint64_t)st.length, x.info.flags, x.info.len);
	}
	add_slot(&s);
}

/* ---- batches (KIPC_IOC_SEND_BATCH, KIPC_IOC_RECV_BATCH) ---- */

/*
 * A batch gets at most one defect in its entries, in the odd entry @bi
 * (0 or a later one): a later bad entry must make the count short, not
 * fail the call (DOC: batches).
 */
enum edefect { E_NONE, E_SIZE, E_TAIL, E_PRIO, E_IOVCNT, E_FLAGS, E_DEADLINE, E_INFO,
	       E_IOV, E_SEG, E_UNREADABLE };

static const char *const edefect_name[] = {
	"none", "size", "tail", "prio", "iovcnt", "flags", "deadline", "info", "iov",
	"segment", "unreadable",
};

/* Where the entry array is. */
enum entmode { EM_RW, EM_RO, EM_NULL, EM_BAD, EM_STRADDLE };

static const char *const entmode_name[] = {
	[EM_RW] = "good", [EM_RO] = "read-only", [EM_NULL] = "NULL", [EM_BAD] = "unmapped",
	[EM_STRADDLE] = "straddles-guard",
};

static struct {
	bool send;
	uint32_t nr;		/* entries built */
	uint32_t stride;	/* their spacing: xfer_size if valid */
	uint32_t bi;		/* the odd entry */
	enum edefect ed;	/* its defect */
	enum entmode em;
	uint8_t *ents;		/* the entries, for reading back (NULL: nowhere) */
	uint32_t readable;	/* entries wholly in readable memory */
	uint32_t fe;		/* the first entry that must fail (@nr: none) ... */
	struct expect fex;	/* ... and how */
	bool late;		/* receive: @fe's error comes only once a message is taken */
	struct iovplan p[MAX_BATCH];
} bp;

static size_t ent_dirty;	/* bytes of s_ent written since it was last cleared */

static uint32_t pick_xfer_size(void)
{
	unsigned int r = (unsigned int)below(100);

	if (r < 80)
		return MIN_XFER;
	if (r < 92)
		return MIN_XFER + 8 * (1 + (uint32_t)below(16));
	if (r < 97)
		return MIN_XFER + (uint32_t)below((uint64_t)pg - MIN_XFER + 1);
	return (uint32_t)pg;
}

/* A struct defect in entry @x (E_TAIL: the caller sets the tail byte). */
static void entry_defect(struct kipc_xfer *x, enum edefect e, bool send, struct expect *ex)
{
	switch (e) {
	case E_SIZE:
		x->size = chance(50) ? (uint32_t)below(x->size) : x->size + 1 + (uint32_t)below(64);
		expect_err(ex, EINVAL, "entry size is not xfer_size");
		break;
	case E_TAIL:
		expect_err(ex, E2BIG, "non-zero bytes past struct kipc_xfer in an entry");
		break;
	case E_PRIO:
		x->prio = send ? KIPC_PRIO_MAX + 1 + (uint32_t)below(1000) :
			  1 + (uint32_t)below(40);
		expect_err(ex, EINVAL, send ? "entry priority above KIPC_PRIO_MAX" :
			   "receive entry with a priority");
		break;
	case E_FLAGS:
		x->flags = 1u << below(32);
		expect_err(ex, EINVAL, "entry flags must be zero");
		break;
	case E_DEADLINE:
		x->deadline_ns = 1 + below(1000000000);
		expect_err(ex, EINVAL, "entry deadline_ns must be zero");
		break;
	case E_INFO:
		((uint8_t *)&x->info)[below(sizeof(x->info))] = (uint8_t)(1 + below(255));
		expect_err(ex, EINVAL, "entry info must be zero");
		break;
	default:
		break;
	}
}

/* Room for the next entry's message: a fair share of what is left. */
static size_t batch_share(size_t used, uint32_t left)
{
	size_t share = ((size_t)AREA_LEN - (size_t)pg - used) / left;

	return share > MAX_SEGS * 64 ? share - MAX_SEGS * 64 : 0;
}

/* The length of the message (send) or buffer (receive) of one entry. */
static size_t batch_len(const struct slot *t, bool send, bool fit, size_t share)
{
	size_t len, max = t->kind == K_CHAN ? t->max_msg_size : 64;

	if (send)
		len = pick_msg_len();
	else
		len = chance(10) ? below(65) : max;
	if (fit && len > max)
		len = below(max + 1);
	return len < share ? len : share;
}

/*
 * Build the entries of @b (on @t) in s_ent, with defect @ed in the odd
 * entry (@chaos: random defects in others too), and point @b at them.
 * Records in bp the first entry that must fail.
 */
static void batch_build(struct kipc_batch *b, const struct slot *t, bool send, enum edefect ed,
			bool chaos_ents)
{
	size_t xs = sizeof(struct kipc_xfer), used = 0, base = 0, k = 0;
	struct iovec *iov = iovbuf;
	bool fit = chance(85);
	uint32_t j;

	memset(s_ent.rw, 0, ent_dirty);
	memset(&bp.fex, 0, sizeof(bp.fex));
	bp.send = send;
	bp.stride = b->xfer_size >= xs && b->xfer_size <= (uint64_t)pg ? b->xfer_size :
		    (uint32_t)xs;
	bp.nr = b->nr < 1 ? 1 : b->nr < MAX_BATCH ? b->nr : MAX_BATCH;
	bp.bi = chance(50) ? 0 : (uint32_t)below(bp.nr);
	bp.ed = ed;
	bp.late = false;
	if (ed == E_TAIL && bp.stride == xs)
		bp.ed = ed = E_SIZE;	/* no tail to set */
	bp.em = EM_RW;
	if (ed == E_UNREADABLE)
		bp.em = !send && chance(25) ? EM_RO : (enum entmode)(EM_NULL + below(3));
	else if (send && chance(10))
		bp.em = EM_RO;		/* the kernel only reads a send batch's entries */
	if (bp.em == EM_STRADDLE) {
		k = below(bp.stride);	/* bytes of entry bi before the guard */
		base = s_ent.len - (size_t)bp.bi * bp.stride - k;
		bp.nr = bp.bi + 1;
	} else if (chance(50)) {
		base = below(64);	/* entries need no alignment */
	}
	bp.fe = bp.nr;
	for (j = 0; j < bp.nr; j++) {
		struct kipc_xfer x = { .size = bp.stride };
		struct expect e = { 0 }, iovx = { 0 };
		struct iovplan *p = &bp.p[j];
		enum edefect jd = j == bp.bi ? ed : E_NONE;
		unsigned int what = send ? PLAN_RO : 0;
		uint8_t *dst = s_ent.rw + base + (size_t)j * bp.stride;
		const char *iovhow;
		size_t len;
		int early;

		if (chaos_ents && jd == E_NONE && chance(5))
			jd = (enum edefect)(E_SIZE + below(E_INFO));
		if (j == bp.bi)
			what |= PLAN_RO | (jd == E_SEG ? PLAN_BAD : 0);
		len = batch_len(t, send, fit, batch_share(used, bp.nr - j));
		used = plan_iov_at(p, iov, used, len, send, what);
		iov += p->cnt;
		x.iov = (uintptr_t)(j == bp.bi ? place_iov(p, jd == E_IOV, &iovx, &iovhow) :
				    p->iov);
		x.iovcnt = (uint32_t)p->cnt;
		if (jd == E_IOVCNT) {
			x.iovcnt = NIOV_MANY + 1 + (uint32_t)below(10);
			iovx = (struct expect){ .err = EINVAL,
						.why = "entry iovcnt above UIO_MAXIOV" };
		}
		if (send)
			x.prio = (uint32_t)below(KIPC_PRIO_MAX + 1);
		entry_defect(&x, jd, send, &e);
		early = e.err;
		if (bp.em == EM_STRADDLE && j == bp.bi) {
			memcpy(dst, &x, k < xs ? k : xs);	/* the rest is zero */
			expect_err(&e, EFAULT, "entry runs into an unmapped page");
		} else {
			memcpy(dst, &x, xs);
			if (jd == E_TAIL && bp.stride > xs)
				dst[xs + below(bp.stride - xs)] = (uint8_t)(1 + below(255));
		}
		if (iovx.err)
			expect_err(&e, iovx.err, iovx.why);
		if (send)
			send_data_expect(&e, t, p);
		if (bp.fe == bp.nr && (e.err || e.fail)) {
			bp.fe = j;
			bp.fex = e;
			/* A receive reads the iovec array only at delivery. */
			bp.late = !send && !early;
		}
	}
	if (base + (size_t)bp.nr * bp.stride > ent_dirty)
		ent_dirty = base + (size_t)bp.nr * bp.stride;
	if (ent_dirty > s_ent.len)
		ent_dirty = s_ent.len;
	bp.readable = bp.em == EM_STRADDLE ? bp.bi : bp.nr;
	bp.ents = s_ent.rw + base;
	switch (bp.em) {
	case EM_RW:
	case EM_STRADDLE:
		b->xfers = (uintptr_t)(s_ent.rw + base);
		break;
	case EM_RO:
		b->xfers = (uintptr_t)(s_ent.ro + base);
		break;
	default:
		b->xfers = bp.em == EM_NULL ? 0 : (uintptr_t)bad_ptr();
		bp.ents = NULL;
		bp.readable = 0;
		bp.fe = 0;
		bp.late = false;
		bp.fex = (struct expect){ .err = EFAULT, .why = "entry array not accessible" };
		break;
	}
}

/* An errno only a bad entry gives, never the queue. */
static bool entry_errno(int e, bool fault_ok)
{
	return e == EINVAL || e == E2BIG || (e == EFAULT && !fault_ok) ||
	       (e == EMSGSIZE && bp.send);
}

/*
 * The promises of DOC: batches beyond the errno table, for a batch whose
 * arguments passed (@sn: a snapshot of a private channel, or not valid).
 */
static void batch_check(const struct kipc_batch *b, const struct snap *sn, long r)
{
	const char *how = bp.send ? "SEND_BATCH" : "RECV_BATCH";
	bool fault0 = !bp.send && (bp.em == EM_RO || bp.p[0].first_bad != SIZE_MAX);
	uint32_t fe = bp.fe, j, n, room;
	int e = r < 0 ? (int)-r : 0;
	struct kipc_xfer x;

	if (r == 0 || (r > 0 && (uint64_t)r > b->nr))
		violation("%s returned %ld for a batch of %u: %s", how, r, b->nr, desc);
	if (r > 0 && (uint64_t)r > fe)
		violation("%s moved %ld messages, past entry %u, which must fail (%s): %s", how, r,
			  fe, bp.fex.why, desc);
	if (e && fe > 0 && entry_errno(e, fault0))
		violation("%s failed with %s, but its first entry is good (a later bad entry makes the count short): %s",
			  how, ename(e), desc);
	if (sn->valid && fe > 0 && bp.send) {
		room = sn->st.nr_msgs < sn->st.max_msgs ? sn->st.max_msgs - sn->st.nr_msgs : 0;
		n = fe < room ? fe : room;
		if (r > 0 ? (uint32_t)r != n : n && (e == EAGAIN || e == ETIMEDOUT))
			violation("%s on a private channel with %u free slots and %u good entries gave %ld (%s): %s",
				  how, room, fe, r, e ? ename(e) : "moved", desc);
	}
	if (bp.send)
		return;
	n = sn->valid ? (sn->st.nr_msgs < b->nr ? sn->st.nr_msgs : b->nr) : 0;
	if (n && fe > 0 && (e == EAGAIN || e == ETIMEDOUT || e == EPIPE))
		violation("%s returned %s with %u message(s) queued on a private channel: %s", how,
			  ename(e), sn->st.nr_msgs, desc);
	if (r == -EMSGSIZE && bp.readable) {
		memcpy(&x, bp.ents, sizeof(x));
		recv_check(how, r, &x.info, &bp.p[0]);
	}
	for (j = 0; r > 0 && j < (uint32_t)r && j < bp.readable; j++) {
		memcpy(&x, bp.ents + (size_t)j * bp.stride, sizeof(x));
		recv_check(how, x.info.len, &x.info, &bp.p[j]);
	}
	/* A private batch stops short only at an entry that could not take its message. */
	if (r > 0 && (uint32_t)r < n && (uint32_t)r < fe && (uint32_t)r < bp.readable &&
	    bp.p[r].first_bad == SIZE_MAX) {
		memcpy(&x, bp.ents + (size_t)r * bp.stride, sizeof(x));
		if (x.info.len <= bp.p[r].total)
			violation("%s moved %ld of %u queued messages, but entry %ld (a %zu-byte buffer, info.len %u) was good: %s",
				  how, r, n, r, bp.p[r].total, x.info.len, desc);
	}
}

static void batch_op(bool send)
{
	enum op op = send ? OP_SEND_BATCH : OP_RECV_BATCH;
	struct kipc_batch b = { .size = sizeof(b) };
	enum defect d = pick_defect();
	enum edefect ed = E_NONE;
	struct expect ex = { 0 };
	int sub = (int)below(4);	/* D_VALUE: batch or entry; D_PTR: which pointer */
	bool reached;
	struct slot *t;
	struct snap sn;
	struct argp a;
	long r;

	t = pick_chan(send);
	/*
	 * Never blocking: NONBLOCK (maybe with a deadline past 2^63 ns) or a
	 * deadline at most 3 ms away.
	 */
	xmode_apply(chance(70) ? X_NONBLOCK : chance(80) ? X_DEADLINE : X_FOREVER, &b.flags,
		    &b.deadline_ns);
	if (b.deadline_ns >= FOREVER_NS)
		b.flags |= KIPC_XFER_NONBLOCK;
	b.nr = chance(50) ? 1 + (uint32_t)below(8) : 1 + (uint32_t)below(MAX_BATCH);
	b.xfer_size = pick_xfer_size();
	switch (d) {
	case D_FLAGS:
		/* KIPC_XFER_DISCARD is KIPC_IOC_RECV's only (ABI 2). */
		b.flags |= chance(30) ? KIPC_XFER_PEEK : chance(20) ? KIPC_XFER_DISCARD :
			   1u << (3 + below(29));
		expect_err(&ex, EINVAL, "flag not valid for a batch");
		break;
	case D_RESERVED:
		ed = (enum edefect)(E_FLAGS + below(3));
		break;
	case D_VALUE:
		if (sub) {
			ed = (enum edefect)(E_SIZE + below(4));
			break;
		}
		switch (below(3)) {
		case 0:
			b.nr = chance(50) ? 0 : chance(50) ? KIPC_BATCH_MAX + 1 :
			       (uint32_t)rnd() | 0x80000000u;
			break;
		case 1:
			if (chance(50)) {
				b.xfer_size = (uint32_t)below(MIN_XFER);
				break;
			}
			b.xfer_size = (uint32_t)pg + 1 + (uint32_t)below(100000);
			expect_err(&ex, E2BIG, "xfer_size above a page");
			break;
		default:
			deadline_defect(&b.flags, &b.deadline_ns);
			break;
		}
		expect_err(&ex, EINVAL, "nr, xfer_size or deadline invalid");
		break;
	case D_NAME:
		d = D_NONE;
		break;
	case D_PTR:
		ed = sub == 1 ? E_UNREADABLE : sub == 2 ? E_IOV : sub == 3 ? E_SEG : E_NONE;
		break;
	case D_CHAOS:
		b.flags = chance(50) ? chaos32() : b.flags;
		if (!(b.flags & KIPC_XFER_DEADLINE))
			b.flags |= KIPC_XFER_NONBLOCK;
		b.nr = chance(30) ? chaos32() : b.nr;
		b.xfer_size = chance(30) ? chaos32() : b.xfer_size;
		b.deadline_ns = chance(20) ? rnd() : b.deadline_ns;
		ed = (enum edefect)below(E_UNREADABLE + 1);
		break;
	default:
		break;
	}
	batch_build(&b, t, send, ed, d == D_CHAOS);
	arg_place(&a, &b, sizeof(b), MIN_BATCH, d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
	/* The kernel's order: the batch, the fd's mode, the entries in order. */
	if (send ? !t->wr : !t->rd)
		expect_err(&ex, EBADF, send ? "send batch on a receive-only fd" :
			   "receive batch on a send-only fd");
	reached = !ex.err && !ex.fail && t->kind == K_CHAN && d != D_CHAOS;
	if (reached && bp.fe == 0 && !bp.late)
		ex = bp.fex;
	else if (reached && ((bp.fe == 0 && bp.late) || (!send && bp.em == EM_RO)))
		ex = (struct expect){ .fail = true, .why = bp.fe == 0 && bp.late ? bp.fex.why :
				      "entries read-only: info cannot be written back" };
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, b.flags, b.deadline_ns);
	D("fd %d size=%u flags=%#x nr=%u xfer_size=%u xfers=%s odd=%u(%s) must-fail=%u deadline=%"
	  PRIu64 " ptr=%s", t->fd, a.usize, b.flags, b.nr, b.xfer_size, entmode_name[bp.em], bp.bi,
	  edefect_name[bp.ed], bp.fe, (uint64_t)b.deadline_ns, ptr_name[a.mode]);
	snap_take(&sn, t);
	/* With a message queued, a late entry-0 error is the call's, exactly. */
	if (reached && bp.late && bp.fe == 0 && sn.valid && sn.st.nr_msgs)
		ex = bp.fex;
	r = xfer_ioctl(t->fd, send ? KIPC_IOC_SEND_BATCH : KIPC_IOC_RECV_BATCH, a.uptr, b.flags);
	judge(op, t->kind, r, &ex);
	snap_check(&sn, op_name[op], r, send && r > 0 ? (int)r : 0, !send && r > 0 ? (int)r : 0);
	if (reached)
		batch_check(&b, &sn, r);
}

static void op_send_batch(void)
{
	batch_op(true);
}

static void op_recv_batch(void)
{
	batch_op(false);
}

/* ---- references the receiver may not read ---- */

/*
 * Take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of (@on: back into)
 * the effective set. Running as root, the fuzzer may read every region
 * whatever its mode; without them the mode bits apply to it as to anyone.
 * They stay permitted, so they come back.
 */
static int dac_caps(bool on)
{
	static const int caps[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	size_t i;

	if (syscall(SYS_capget, &h, c))
		return -errno;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		uint32_t bit = 1u << (caps[i] % 32);
		struct __user_cap_data_struct *d = &c[caps[i] / 32];

		d->effective = on ? d->effective | (d->permitted & bit) : d->effective & ~bit;
	}
	return syscall(SYS_capset, &h, c) ? -errno : 0;
}

/* An anonymous object made through @ctl for op_unreadable(); must succeed. */
static int make_obj(int ctl, unsigned long cmd, enum op op, void *arg, const char *what)
{
	struct expect ex = { .ok = true };
	long r;

	D("(unreadable) %s on fd %d", what, ctl);
	r = sys_ret(ioctl(ctl, cmd, arg));
	return judge(op, K_CTL, r, &ex) ? -1 : (int)r;
}

/*
 * A reference to a region its receiver may not read (ABI 2: nothing a
 * sender queues may wedge a channel). On a new private channel: a
 * reference to a new region of a mode without the owner's read bit, then
 * maybe a plain message behind it; then, with the DAC capabilities
 * dropped, receives of every kind give EACCES and consume nothing (a
 * KIPC_IOC_RECV_REF whose hint fd names the region is its permission and
 * takes it), and KIPC_IOC_RECV with KIPC_XFER_DISCARD drops it, info
 * back, counted as discarded; the message behind it is then received.
 */
static void op_unreadable(void)
{
	static const uint32_t modes[] = { 0, 0200, 0044, 0266, 0377 };
	struct kipc_chan_open co = { .size = sizeof(co) };
	struct kipc_shm_open so = { .size = sizeof(so) };
	struct kipc_ref_xfer rx = { .size = sizeof(rx) };
	struct kipc_xfer x = { .size = sizeof(x) };
	static struct kipc_xfer ents[3];
	struct kipc_batch b = { .size = sizeof(b) };
	struct kipc_shm_stat shst;
	struct kipc_chan_stat st;
	struct slot ch, reg, *ctl;
	struct expect ex;
	struct iovplan p;
	struct snap sn;
	bool behind = false, cleared = false;
	uint64_t reflen;
	int tries, i, fd;
	long r;

	make_room();
	ctl = ctl_target();
	if (ctl->kind != K_CTL)
		return;
	co.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT | KIPC_OPEN_CLOEXEC;
	co.mode = 0600;
	co.max_msgs = 2 + (uint32_t)below(8);
	fd = make_obj(ctl->fd, KIPC_IOC_CHAN_OPEN, OP_CHAN_OPEN, &co, "anonymous channel");
	if (fd < 0)
		return;
	ch = (struct slot){ .fd = fd, .kind = K_CHAN, .rd = true, .wr = true, .priv = true };
	if (!chan_stat_fd(fd, &st, NULL))
		ch.max_msg_size = st.max_msg_size;
	add_slot(&ch);
	so.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT | KIPC_OPEN_CLOEXEC;
	so.mode = modes[below(sizeof(modes) / sizeof(modes[0]))];
	so.length = 1 + below(4 * (uint64_t)pg);
	fd = make_obj(ctl->fd, KIPC_IOC_SHM_OPEN, OP_SHM_OPEN, &so, "region without owner read");
	if (fd < 0)
		return;
	reg = (struct slot){ .fd = fd, .kind = K_REGION, .rd = true, .wr = true };
	if (!region_stat_fd(fd, &shst)) {
		reg.len = shst.length;
		reg.id = shst.id;
	}
	add_slot(&reg);

	/* The reference at the head, maybe a plain message behind it. */
	rx.flags = KIPC_XFER_NONBLOCK;
	rx.shm_fd = reg.fd;
	rx.len = below((reg.len < ch.max_msg_size ? reg.len : ch.max_msg_size) + 1);
	rx.offset = below(reg.len - rx.len + 1);
	reflen = rx.len;
	ex = (struct expect){ .ok = true };
	D("(unreadable) SEND_REF fd %d region mode %#o offset %" PRIu64 " len %" PRIu64, ch.fd,
	  so.mode, (uint64_t)rx.offset, (uint64_t)rx.len);
	if (judge(OP_SEND_REF, K_CHAN, sys_ret(ioctl(ch.fd, KIPC_IOC_SEND_REF, &rx)), &ex))
		return;
	if (chance(60)) {
		plan_iov(&p, 1 + below(200), true, false);
		x.flags = KIPC_XFER_NONBLOCK;
		x.iov = (uintptr_t)p.iov;
		x.iovcnt = (uint32_t)p.cnt;
		D("(unreadable) SEND fd %d len %zu behind the reference", ch.fd, p.total);
		behind = !judge(OP_SEND, K_CHAN, sys_ret(ioctl(ch.fd, KIPC_IOC_SEND, &x)), &ex);
	}

	if (dac_caps(false))
		return;
	defect_name = "unreadable-reference";
	for (tries = 1 + (int)below(3); tries > 0; tries--) {
		ex = (struct expect){ .err = EACCES,
				      .why = "reference to a region the caller may not read" };
		snap_take(&sn, &ch);
		switch (below(6)) {
		case 0:
			rx = (struct kipc_ref_xfer){ .size = sizeof(rx), .flags = KIPC_XFER_NONBLOCK,
						     .shm_fd = -1 };
			D("(unreadable) RECV_REF fd %d shm_fd -1", ch.fd);
			r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV_REF, &rx));
			judge(OP_RECV_REF, K_CHAN, r, &ex);
			break;
		case 1:
			rx = (struct kipc_ref_xfer){ .size = sizeof(rx), .flags = KIPC_XFER_NONBLOCK,
						     .shm_fd = reg.fd };
			ex = (struct expect){ .ok = true };
			D("(unreadable) RECV_REF fd %d shm_fd %d (the region's: its permission)",
			  ch.fd, reg.fd);
			r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV_REF, &rx));
			if (!judge(OP_RECV_REF, K_CHAN, r, &ex) &&
			    (rx.shm_fd != reg.fd || rx.region_id != reg.id))
				violation("RECV_REF with the region's fd as hint gave fd %d region %" PRIu64
					  " (expected fd %d region %" PRIu64 ")", rx.shm_fd,
					  (uint64_t)rx.region_id, reg.fd, reg.id);
			snap_check(&sn, "RECV_REF", r, 0, 1);
			cleared = !r;
			tries = -1;	/* taken, or not: nothing to discard */
			continue;
		case 2:
		case 3:
			plan_flat(&p);
			x = (struct kipc_xfer){ .size = sizeof(x), .flags = KIPC_XFER_NONBLOCK |
						(chance(30) ? KIPC_XFER_PEEK : 0),
						.iov = (uintptr_t)p.iov, .iovcnt = (uint32_t)p.cnt };
			D("(unreadable) RECV fd %d flags %#x", ch.fd, x.flags);
			r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV, &x));
			judge(OP_RECV, K_CHAN, r, &ex);
			break;
		case 4:
			D("(unreadable) read fd %d", ch.fd);
			r = sys_ret(read(ch.fd, s_data.rw + AREA_LEN, AREA_LEN));
			judge(OP_READ, K_CHAN, r, &ex);
			break;
		default:
			b.flags = KIPC_XFER_NONBLOCK;
			b.nr = 1 + (uint32_t)below(3);
			b.xfer_size = sizeof(ents[0]);
			b.xfers = (uintptr_t)ents;
			for (i = 0; i < 3; i++)
				ents[i] = (struct kipc_xfer){
					.size = sizeof(ents[0]),
					.iov = (uintptr_t)&iovbuf[i],
					.iovcnt = 1,
				};
			for (i = 0; i < 3; i++)
				iovbuf[i] = (struct iovec){ s_data.rw + AREA_LEN + (size_t)i * 32768,
							    32768 };
			D("(unreadable) RECV_BATCH fd %d nr %u", ch.fd, b.nr);
			r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV_BATCH, &b));
			judge(OP_RECV_BATCH, K_CHAN, r, &ex);
			break;
		}
		snap_check(&sn, "receive of an unreadable reference", r, 0, 0);
	}
	if (!tries) {
		x = (struct kipc_xfer){ .size = sizeof(x),
					.flags = KIPC_XFER_NONBLOCK | KIPC_XFER_DISCARD };
		ex = (struct expect){ .ok = true };
		snap_take(&sn, &ch);
		D("(unreadable) RECV(DISCARD) fd %d", ch.fd);
		r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV, &x));
		cleared = !judge(OP_DISCARD, K_CHAN, r, &ex);
		if (cleared && ((uint64_t)r != reflen || x.info.len != (uint32_t)r ||
				!(x.info.flags & KIPC_MSG_REF)))
			violation("RECV(DISCARD) of a %" PRIu64
				  "-byte reference returned %ld, info.len %u flags %#x",
				  reflen, r, x.info.len, x.info.flags);
		snap_check3(&sn, "RECV(DISCARD)", r, 0, 0, 1);
	}
	/* Whatever was behind the reference comes out now. */
	if (behind && cleared) {
		plan_flat(&p);
		x = (struct kipc_xfer){ .size = sizeof(x), .flags = KIPC_XFER_NONBLOCK,
					.iov = (uintptr_t)p.iov, .iovcnt = (uint32_t)p.cnt };
		ex = (struct expect){ .ok = true };
		D("(unreadable) RECV fd %d of the message behind the reference", ch.fd);
		r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV, &x));
		if (!judge(OP_RECV, K_CHAN, r, &ex))
			recv_check("RECV", r, &x.info, &p);
	}
	dac_caps(true);
}

static void op_shm_stat(void)
{
	struct kipc_shm_stat st = { .size = sizeof(st) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;

	t = pick_target(K_REGION);
	d = stat_defect(d, &st.flags, &st.__reserved, &ex);
	if (d == D_CHAOS)
		st.length = rnd();
	if (!stat_call(t, K_REGION, OP_SHM_STAT, KIPC_IOC_SHM_STAT, &st, sizeof(st),
		       MIN_SHM_STAT, d, &ex))
		return;
	if (st.length != t->len || st.id != t->id || st.mode > 0777 || st.length % (uint64_t)pg)
		violation("SHM_STAT inconsistent: length %" PRIu64 " (expected %" PRIu64 ") id %" PRIu64
			  " (expected %" PRIu64 ") mode %o", (uint64_t)st.length, t->len,
			  (uint64_t)st.id, t->id, st.mode);
}

static bool known_cmd(unsigned int cmd)
{
	switch (cmd) {
	case KIPC_IOC_VERSION: case KIPC_IOC_STAT: case KIPC_IOC_CHAN_OPEN:
	case KIPC_IOC_UNLINK: case KIPC_IOC_SHM_OPEN: case KIPC_IOC_SEND:
	case KIPC_IOC_RECV: case KIPC_IOC_CHAN_STAT: case KIPC_IOC_SEND_REF:
	case KIPC_IOC_RECV_REF: case KIPC_IOC_SHM_STAT:
	case KIPC_IOC_SEND_BATCH: case KIPC_IOC_RECV_BATCH:
		return true;
	default:
		return false;
	}
}

/*
 * A command no kipc fd knows. Types the VFS answers itself before the
 * driver sees the call (FIONBIO, FIOCLEX, FIFREEZE, FS_IOC_*, FICLONE,
 * FIGETBSZ, ...) are skipped: they are not kipc's surface and some change
 * the fd.
 */
static unsigned int bad_cmd(void)
{
	static const unsigned int nrs[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x20, 0x21, 0x22,
					    0x23, 0x24, 0x25, 0x26, 0x40 };
	unsigned int cmd, type;

	for (;;) {
		switch (below(3)) {
		case 0:
			cmd = _IO(KIPC_IOC_MAGIC, (unsigned int)below(256));
			break;
		case 1:	/* a real number with direction and size bits: not ours */
			cmd = _IOC((unsigned int)below(4), KIPC_IOC_MAGIC,
				   nrs[below(sizeof(nrs) / sizeof(nrs[0]))],
				   (unsigned int)below(1u << 14));
			break;
		default:
			cmd = (unsigned int)rnd();
			break;
		}
		type = _IOC_TYPE(cmd);
		if (known_cmd(cmd) || type == 0 || type == 'T' || type == 'f' || type == 'X' ||
		    type == 0x94 || type == 0x15)
			continue;
		return cmd;
	}
}

static void op_badcmd(void)
{
	struct expect ex = { .err = ENOTTY, .why = "unknown command" };
	struct slot *t = nslots && chance(97) ? &slots[below((uint64_t)nslots)] : NULL;
	unsigned int cmd = bad_cmd();
	void *arg = chance(50) ? (void *)argbuf : chance(50) ? NULL : bad_ptr();
	size_t i;

	if (!t) {
		bad_slot.fd = pick_bad_fd();
		t = &bad_slot;
	}
	for (i = 0; i < 64; i++)
		argbuf[i] = (uint8_t)rnd();
	kind_rule(t, t->kind, &ex);
	D("fd %d cmd=%#x", t->fd, cmd);
	judge(OP_BADCMD, t->kind, sys_ret(ioctl(t->fd, cmd, arg)), &ex);
}

/* The fd for read/write: mostly channels. */
static struct slot *rw_target(bool wr)
{
	unsigned int r = (unsigned int)below(100);
	struct slot *t = NULL;

	if (r < 80)
		t = pick_chan(wr);
	else if (r < 88)
		t = pick_kind(K_REGION);
	else if (r < 95)
		t = pick_kind(K_CTL);
	if (!t) {
		bad_slot.fd = pick_bad_fd();
		t = &bad_slot;
	}
	return t;
}

/*
 * The expectation for read/write on @t, in the kernel's order of checks:
 * the fd, its mode, the iovec array (@iovx), then the data. readv(2) and
 * writev(2) read the iovec array before checking the mode on 6.1 and
 * after on 6.12, so for them either errno is right.
 */
static void rw_expect(struct expect *ex, const struct slot *t, bool want_write, bool vector,
		      const struct expect *iovx, bool bad_seg)
{
	if (t->kind == K_BAD) {
		expect_err(ex, EBADF, "not an open fd");
		return;
	}
	if (t->kind != K_CHAN) {
		ex->fail = true;
		ex->why = want_write ? "no write method" : "no read method";
		return;
	}
	if (want_write ? !t->wr : !t->rd) {
		expect_err(ex, EBADF, "fd not open for this direction");
		if (vector && (iovx->err || bad_seg))
			ex->err2 = iovx->err ? iovx->err : EFAULT;
		return;
	}
	if (iovx->err)
		expect_err(ex, iovx->err, iovx->why);
}

/* read(2), readv(2) or preadv2(2) (position -1, maybe RWF_NOWAIT). */
static void op_read(void)
{
	struct expect ex = { 0 }, iovx = { 0 };
	const char *iovhow = "good", *how;
	struct slot *t = rw_target(false);
	bool defect = chance(10);
	struct iovplan p;
	struct snap sn;
	int variant = (int)below(3), rwf = 0, consumes;
	void *iov = iovbuf;
	long r;

	plan_iov(&p, chance(30) ? 1 + below(64) : 1 + below(MAX_MSG), false, defect);
	if (variant == 0) {
		/* read(2): one buffer, the first segment. */
		if (!p.cnt)
			iovbuf[0] = (struct iovec){ s_data.rw + AREA_LEN, 0 };
		p.cnt = 1;
		p.total = p.iov[0].iov_len;
		if (p.first_bad > p.total)
			p.first_bad = SIZE_MAX;
		p.nseg = p.nseg ? 1 : 0;
	} else if (variant == 1) {
		iov = place_iov(&p, defect && chance(30), &iovx, &iovhow);
	} else if (chance(70)) {
		rwf = RWF_NOWAIT;
	}
	rw_expect(&ex, t, false, variant != 0, &iovx, p.first_bad != SIZE_MAX);
	/* The vector calls return 0 for 0 bytes without calling the driver. */
	consumes = variant != 0 && !p.total ? 0 : 1;
	snap_take(&sn, t);
	if (!rwf)
		arm_timer();
	switch (variant) {
	case 0:
		how = "read";
		D("read(%d, len %zu%s)", t->fd, p.total, p.first_bad != SIZE_MAX ? ", bad buffer" : "");
		r = sys_ret(read(t->fd, p.iov[0].iov_base, p.total));
		break;
	case 1:
		how = "readv";
		D("readv(%d, iov=%s, cnt %d, cap %zu%s)", t->fd, iovhow, p.cnt, p.total,
		  p.first_bad != SIZE_MAX ? ", bad segment" : "");
		r = sys_ret(readv(t->fd, iov, p.cnt));
		break;
	default:
		how = "preadv2";
		D("preadv2(%d, cnt %d, cap %zu%s, -1, %#x)", t->fd, p.cnt, p.total,
		  p.first_bad != SIZE_MAX ? ", bad segment" : "", rwf);
		r = sys_ret(preadv2(t->fd, p.iov, p.cnt, -1, rwf));
		break;
	}
	disarm_timer();
	judge(OP_READ, t->kind, r, &ex);
	snap_check(&sn, how, r, 0, consumes);
	if (r < 0 || t->kind != K_CHAN)
		return;
	if ((size_t)r > p.first_bad || (size_t)r > p.total) {
		violation("%s delivered %ld bytes; %zu were writable of %zu: %s", how, r,
			  p.first_bad, p.total, desc);
		return;
	}
	msg_check(gather(&p, (size_t)r), (size_t)r, -1, how);
}

/* write(2), writev(2) or pwritev2(2). */
static void op_write(void)
{
	struct expect ex = { 0 }, iovx = { 0 };
	const char *iovhow = "good", *how;
	struct slot *t = rw_target(true);
	bool defect = chance(10);
	struct iovplan p;
	struct snap sn;
	int variant = (int)below(3), rwf = 0, sends;
	void *iov = iovbuf;
	long r;

	if (variant == 0) {
		size_t len = pick_msg_len();

		msg_image(s_data.rw, len);
		memset(&p, 0, sizeof(p));
		p.iov = iovbuf;
		p.cnt = 1;
		p.total = len;
		iovbuf[0] = (struct iovec){ s_data.rw, len };
		if (defect && len)
			iovbuf[0].iov_base = chance(50) ? bad_ptr() : NULL;
		else if (chance(10))
			iovbuf[0].iov_base = s_data.ro;	/* read-only is fine to write from */
		p.bad = defect && len;
	} else {
		plan_iov(&p, pick_msg_len(), true, defect);
		if (variant == 1)
			iov = place_iov(&p, defect && chance(30), &iovx, &iovhow);
		else if (chance(70))
			rwf = RWF_NOWAIT;
	}
	rw_expect(&ex, t, true, variant != 0, &iovx, p.bad);
	send_data_expect(&ex, t, &p);
	sends = variant != 0 && !p.total ? 0 : 1;
	snap_take(&sn, t);
	if (!rwf)
		arm_timer();
	switch (variant) {
	case 0:
		how = "write";
		D("write(%d, len %zu%s)", t->fd, p.total, p.bad ? ", bad buffer" : "");
		r = sys_ret(write(t->fd, iovbuf[0].iov_base, p.total));
		break;
	case 1:
		how = "writev";
		D("writev(%d, iov=%s, cnt %d, len %zu%s)", t->fd, iovhow, p.cnt, p.total,
		  p.bad ? ", bad segment" : "");
		r = sys_ret(writev(t->fd, iov, p.cnt));
		break;
	default:
		how = "pwritev2";
		D("pwritev2(%d, cnt %d, len %zu%s, -1, %#x)", t->fd, p.cnt, p.total,
		  p.bad ? ", bad segment" : "", rwf);
		r = sys_ret(pwritev2(t->fd, p.iov, p.cnt, -1, rwf));
		break;
	}
	disarm_timer();
	if (!judge(OP_WRITE, t->kind, r, &ex) && (size_t)r != p.total)
		violation("%s returned %ld for a %zu-byte message: %s", how, r, p.total, desc);
	snap_check(&sn, how, r, sends, 0);
}

static void op_poll(void)
{
	static const short evs[] = { POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM,
				     POLLRDHUP };
	struct pollfd pfd[8];
	enum kind kinds[8];
	struct expect ex = { 0 };
	int n = 1 + (int)below(6), i, hits = 0, timeout = chance(85) ? 0 : 1 + (int)below(3);
	bool defect = chance(5);
	void *ptr = pfd;
	long r;

	for (i = 0; i < n; i++) {
		struct slot *s = nslots && chance(95) ? &slots[below((uint64_t)nslots)] : NULL;

		pfd[i].fd = s ? s->fd : pick_bad_fd();
		kinds[i] = s ? s->kind : K_BAD;
		pfd[i].events = (short)(evs[below(6)] | (chance(50) ? evs[below(6)] : 0));
		pfd[i].revents = 0;
	}
	if (defect) {
		ptr = bad_ptr();
		expect_err(&ex, EFAULT, "pollfd array unmapped");
	}
	D("poll(%d fds, %d ms%s)", n, timeout, defect ? ", bad pointer" : "");
	r = sys_ret(poll(ptr, (nfds_t)n, timeout));
	if (judge(OP_POLL, K_NONE, r, &ex) || defect)
		return;
	for (i = 0; i < n; i++) {
		short rev = pfd[i].revents;

		if (rev)
			hits++;
		if (kinds[i] == K_BAD && rev != (pfd[i].fd < 0 ? 0 : POLLNVAL))
			violation("poll: closed fd %d has revents %#x", pfd[i].fd, rev);
		if (kinds[i] == K_CHAN &&
		    (rev & ~(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLERR)))
			violation("poll: channel fd %d has revents %#x", pfd[i].fd, rev);
	}
	if (hits != r)
		violation("poll returned %ld but %d entries have revents", r, hits);
}

/* ---- region mappings ---- */

static void op_mmap(void)
{
	struct expect ex = { 0 };
	unsigned int r = (unsigned int)below(100);
	struct slot *t = NULL;
	uint64_t npg = 0, off = 0;
	size_t mpg, len;
	int prot, flags = MAP_SHARED, i;
	struct mapping *mp;
	void *addr;
	long ret;

	if (nmaps >= MAX_MAPS)
		unmap_all((int)below(nmaps));
	if (r < 88)
		t = pick_kind(K_REGION);
	else if (r < 96)
		t = nslots ? &slots[below((uint64_t)nslots)] : NULL;
	if (!t) {
		bad_slot.fd = pick_bad_fd();
		t = &bad_slot;
	}
	if (t->kind == K_REGION)
		npg = t->len / (uint64_t)pg;
	mpg = 1 + below(npg && npg < MAX_MAP_PAGES ? npg : MAX_MAP_PAGES);
	if (npg >= mpg)
		off = npg <= 128 ? below(npg - mpg + 1) :
		      chance(50) ? below(64) : npg - mpg - below(64);
	switch (below(10)) {
	case 0: case 1: case 2: case 3:
		prot = PROT_READ;
		break;
	case 4: case 5: case 6: case 7:
		prot = PROT_READ | PROT_WRITE;
		break;
	case 8:
		prot = chance(50) ? PROT_NONE : PROT_WRITE;
		break;
	default:
		prot = PROT_READ | PROT_EXEC;
		break;
	}
	r = (unsigned int)below(100);
	if (r < 4) {
		flags = MAP_PRIVATE;
	} else if (r < 7) {
		flags = MAP_SHARED_VALIDATE | (int)(0x200000u << below(5));	/* undefined bits */
	} else if (r < 13 && npg) {
		off = npg - mpg + 1 + below(4);	/* runs past the end */
		expect_err(&ex, ENXIO, "range past the region's end");
	}
	len = mpg * (size_t)pg;
	if (t->kind == K_REGION) {
		if (flags != MAP_SHARED && flags != MAP_PRIVATE) {
			expect_err(&ex, EOPNOTSUPP, "unknown MAP_SHARED_VALIDATE flag");
		} else if ((flags & MAP_SHARED) && (prot & PROT_WRITE) && !t->wr) {
			ex.err = 0;
			expect_err(&ex, EACCES, "PROT_WRITE on a read-only region fd");
		} else if (flags == MAP_PRIVATE) {
			ex.err = 0;
			expect_err(&ex, EINVAL, "MAP_PRIVATE");
		} else if (prot & PROT_EXEC) {
			expect_err(&ex, EPERM, "PROT_EXEC: regions are never executable");
		} else if (!ex.err && flags == MAP_SHARED) {
			ex.ok = true;
		}
	} else {
		ex.fail = true;
		ex.why = "not a region fd";
	}
	if (t->kind == K_BAD) {
		memset(&ex, 0, sizeof(ex));
		expect_err(&ex, EBADF, "not an open fd");
	}
	if ((prot & PROT_EXEC) && ex.err && ex.err != EACCES && ex.err != EBADF)
		ex.err2 = EPERM;	/* exec on a noexec mount is checked first */
	D("mmap(len %zu, prot %#x, flags %#x, fd %d, pgoff %" PRIu64 ") region pages %" PRIu64,
	  len, prot, flags, t->fd, off, npg);
	addr = mmap(NULL, len, prot, flags, t->fd, (off_t)(off * (uint64_t)pg));
	ret = addr == MAP_FAILED ? -errno : 0;
	if (judge(OP_MMAP, t->kind, ret, &ex))
		return;
	if (t->kind != K_REGION || nmaps >= MAX_MAPS || off + mpg > npg) {
		munmap(addr, len);	/* not one the fuzzer can reason about */
		return;
	}
	mp = &maps[nmaps++];
	mp->addr = addr;
	mp->npages = mpg;
	mp->off = off * (uint64_t)pg;
	mp->reglen = t->len;
	mp->pristine = true;
	for (i = 0; i < (int)mpg; i++)
		mp->pg[i] = PG_MAPPED | ((prot & PROT_READ) ? PG_R : 0) |
			    ((prot & PROT_WRITE) ? PG_W | PG_R : 0);
}

/* A run [*a, *b) of mapped pages of @m, or false. */
static bool pick_run(const struct mapping *m, size_t *a, size_t *b)
{
	size_t s = below(m->npages), i, e;

	for (i = 0; i < m->npages; i++) {
		size_t j = (s + i) % m->npages;

		if (m->pg[j] & PG_MAPPED) {
			s = j;
			break;
		}
	}
	if (i == m->npages)
		return false;
	for (e = s; e < m->npages && (m->pg[e] & PG_MAPPED); e++)
		;
	*a = s + below(e - s);
	*b = *a + 1 + below(e - *a);
	return true;
}

static void op_munmap(void)
{
	struct expect ex = { .ok = true };
	struct mapping *m;
	size_t a, b, i;
	int mi;

	if (!nmaps)
		return;
	mi = (int)below(nmaps);
	m = &maps[mi];
	if (chance(5)) {
		expect_err(&ex, EINVAL, "unaligned address");
		ex.ok = false;
		D("munmap(%p + 1)", (void *)m->addr);
		judge(OP_MUNMAP, K_NONE, sys_ret(munmap(m->addr + 1, (size_t)pg)), &ex);
		return;
	}
	if (!pick_run(m, &a, &b))
		return;
	D("munmap(pages %zu..%zu of a %zu-page mapping)", a, b, m->npages);
	if (judge(OP_MUNMAP, K_NONE, sys_ret(munmap(m->addr + a * (size_t)pg,
							  (b - a) * (size_t)pg)), &ex))
		return;
	m->pristine = false;
	for (i = a; i < b; i++)
		m->pg[i] = 0;
	for (i = 0; i < m->npages; i++)
		if (m->pg[i] & PG_MAPPED)
			return;
	drop_map(mi);
}

static void op_mprotect(void)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
				     PROT_READ | PROT_EXEC };
	struct expect ex = { 0 };
	struct mapping *m;
	size_t a, b, i;
	int prot = prots[below(5)];

	if (!nmaps)
		return;
	m = &maps[below(nmaps)];
	if (!pick_run(m, &a, &b))
		return;
	D("mprotect(pages %zu..%zu, %#x)", a, b, prot);
	m->pristine = false;
	if (judge(OP_MPROTECT, K_NONE, sys_ret(mprotect(m->addr + a * (size_t)pg,
							 (b - a) * (size_t)pg, prot)), &ex)) {
		/* A failed mprotect may have changed part of the range. */
		for (i = a; i < b; i++)
			m->pg[i] |= PG_UNKNOWN;
		return;
	}
	for (i = a; i < b; i++)
		m->pg[i] = PG_MAPPED | ((prot & PROT_READ) ? PG_R : 0) |
			   ((prot & PROT_WRITE) ? PG_W | PG_R : 0);
}

static volatile sig_atomic_t fault_expected;
static sigjmp_buf fault_jmp;
static volatile void *fault_addr;

/* Loads and stores on pages known to be mapped: they must not fault. */
static void op_touch(void)
{
	struct mapping *m;
	size_t i, s;
	uint8_t *p;

	if (!nmaps)
		return;
	m = &maps[below(nmaps)];
	s = below(m->npages);
	for (i = 0; i < m->npages; i++) {
		uint8_t f = m->pg[(s + i) % m->npages];

		if ((f & PG_MAPPED) && (f & PG_R) && !(f & PG_UNKNOWN))
			break;
	}
	if (i == m->npages)
		return;
	i = (s + i) % m->npages;
	p = m->addr + i * (size_t)pg + below((uint64_t)pg);
	fault_addr = p;
	(void)*(volatile uint8_t *)p;
	if (m->pg[i] & PG_W)
		*(volatile uint8_t *)p = (uint8_t)((rnd() & 0x7f) | 1);
	fault_addr = NULL;
	add(&sh->w[me].touches, 1);
}

/*
 * Grow a pristine mapping past the region's end with mremap(): pages
 * inside the region still work, the first page past it gets SIGBUS.
 */
static void op_mremap(void)
{
	struct expect ex = { 0 };
	struct mapping *m = NULL;
	size_t old, left, nw, i;
	int mi = 0, sig;
	uint8_t *p;

	for (i = 0; i < (size_t)nmaps; i++) {
		mi = (int)((i + below(nmaps)) % (size_t)nmaps);
		if (maps[mi].pristine && (maps[mi].pg[0] & PG_R) &&
		    maps[mi].reglen - maps[mi].off <= 64 * (uint64_t)pg) {
			m = &maps[mi];
			break;
		}
	}
	if (!m)
		return;
	old = m->npages * (size_t)pg;
	left = (size_t)(m->reglen - m->off);
	nw = left + (1 + below(2)) * (size_t)pg;
	D("mremap(%zu -> %zu bytes, %zu left in the region)", old, nw, left);
	p = mremap(m->addr, old, nw, MREMAP_MAYMOVE);
	if (judge(OP_MREMAP, K_NONE, p == MAP_FAILED ? -errno : 0, &ex))
		return;
	fault_addr = p + left - 1;
	(void)*(volatile uint8_t *)(p + left - 1);
	fault_addr = NULL;
	fault_expected = 1;
	sig = sigsetjmp(fault_jmp, 1);
	if (!sig) {
		(void)*(volatile uint8_t *)(p + left);
		fault_expected = 0;
		violation("a load %zu bytes into a region of %" PRIu64 " bytes (mapped past its end with mremap) did not fault",
			  (size_t)(m->off + left), m->reglen);
	} else if (sig != SIGBUS) {
		violation("a load past the region's end got signal %d, not SIGBUS", sig);
	} else {
		add(&sh->w[me].sigbus_expected, 1);
	}
	fault_expected = 0;
	D("munmap(the grown mapping)");
	ex.ok = true;
	judge(OP_MUNMAP, K_NONE, sys_ret(munmap(p, nw)), &ex);
	drop_map(mi);
}

/* ---- processes ---- */

static void run_ops(int n, bool may_fork);

/* A call left blocked until the parent kills the child. */
static void blocking_call(void)
{
	struct slot *t = pick_kind(K_CHAN);
	size_t len = 1 + below(64);

	if (!t)
		return;
	D("(child) blocking %s on fd %d", t->rd ? "read" : "write", t->fd);
	if (t->rd) {
		judge(OP_READ, K_CHAN, sys_ret(read(t->fd, txbuf, sizeof(txbuf))), NULL);
	} else {
		msg_image(txbuf, len);
		judge(OP_WRITE, K_CHAN, sys_ret(write(t->fd, txbuf, len)), NULL);
	}
}

/* Print a stuck task's kernel stack, then kill it. */
static void report_stuck(pid_t pid, const char *what)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	violation("%s %d made no progress; kernel stack:\n%s", what, pid, buf);
	kill(pid, SIGKILL);
}

static void op_fork(void)
{
	struct expect ex = { 0 };
	bool kill_it = chance(60), block = kill_it && chance(50);
	uint64_t cseed = rnd();
	int nops = 5 + (int)below(40), status;
	pid_t parent = getpid(), pid, w;
	uint64_t t0;

	D("fork");
	pid = fork();
	if (judge(OP_FORK, K_NONE, pid < 0 ? -errno : pid, &ex))
		return;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		in_child = true;
		rng_seed(&R, cseed);
		callno = 0;
		if (block)
			blocking_call();
		run_ops(nops, false);
		_exit(0);
	}
	add(&sh->w[me].forks, 1);
	if (kill_it) {
		usleep((useconds_t)below(4000));
		D("kill(%d, SIGKILL)", pid);
		ex.ok = true;
		judge(OP_KILL, K_NONE, sys_ret(kill(pid, SIGKILL)), &ex);
		add(&sh->w[me].kills, 1);
	}
	t0 = now_ns();
	while ((w = waitpid(pid, &status, WNOHANG)) == 0) {
		if (now_ns() - t0 > 30000000000ull) {
			report_stuck(pid, "child");
			waitpid(pid, &status, 0);
			return;
		}
		usleep(500);
	}
	if (w != pid)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && kill_it)
		return;
	add(&sh->w[me].crashes, 1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAULT)
		return;		/* the child reported its fault */
	violation("child %d ended with %s %d", pid, WIFEXITED(status) ? "status" : "signal",
		  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* ---- the menu ---- */

struct choice {
	void (*fn)(void);
	unsigned int weight;
};

static const struct choice menu[] = {
	{ op_ctl_open, 2 }, { op_close, 5 }, { op_dup, 2 }, { op_fcntl, 1 },
	{ op_rlimit, 1 }, { op_version, 2 }, { op_stat, 2 }, { op_chan_open, 9 },
	{ op_shm_open, 6 }, { op_unlink, 4 }, { op_send, 14 }, { op_recv, 12 },
	{ op_discard, 3 }, { op_unreadable, 1 },
	{ op_chan_stat, 3 }, { op_send_ref, 8 }, { op_recv_ref, 7 }, { op_shm_stat, 2 },
	{ op_send_batch, 6 }, { op_recv_batch, 5 },
	{ op_badcmd, 3 }, { op_read, 6 }, { op_write, 6 }, { op_poll, 3 },
	{ op_mmap, 5 }, { op_munmap, 3 }, { op_mprotect, 2 }, { op_mremap, 1 },
	{ op_touch, 6 },
};

static unsigned int menu_total;

static bool out_of_budget(void)
{
	if (budget && __atomic_load_n(&sh->w[me].calls, __ATOMIC_RELAXED) >= budget)
		return true;
	return deadline && now_ns() >= deadline;
}

static void run_ops(int n, bool may_fork)
{
	int i;

	for (i = 0; n < 0 || i < n; i++) {
		uint64_t x;
		size_t c;

		if (out_of_budget())
			return;
		if (may_fork && chance(1) && chance(50)) {
			op_fork();
			continue;
		}
		x = below(menu_total);
		for (c = 0; x >= menu[c].weight; c++)
			x -= menu[c].weight;
		chaos = false;
		defect_name = "none";
		menu[c].fn();
	}
}

/* ------------------------------------------------------------------ */
/* workers */

static void on_alarm(int sig)
{
	(void)sig;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipe_seen = 1;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (fault_expected) {
		fault_expected = 0;
		siglongjmp(fault_jmp, sig);
	}
	/* Not async-signal-safe, but this process is about to exit anyway. */
	add(&sh->w[me].crashes, 1);
	violation("unexpected signal %d (code %d) at %p during %s%s (a touch of %p)", sig,
		  si->si_code, si->si_addr, desc, fault_addr ? "" : " (no touch)",
		  (void *)fault_addr);
	_exit(EXIT_FAULT);
}

static int install_handlers(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_alarm;	/* no SA_RESTART: blocked calls end in EINTR */
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	sa.sa_handler = on_sigpipe;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -1;
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return -1;
	return 0;
}

/* The open fds of this process, as a bitmap over 0..1023. */
static void list_fds(uint8_t *set, int *dirfd_out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	memset(set, 0, 1024);
	if (!d)
		return;
	*dirfd_out = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 0 && fd < 1024)
			set[fd] = 1;
	}
	closedir(d);
}

static void worker(int idx, uint64_t seed)
{
	uint8_t before[1024], after[1024];
	int i, dfd = -1, dfd2 = -1;

	me = idx;
	rng_seed(&R, seed);
	sh->w[me].pid = getpid();
	if (install_handlers() || scratch_init(&s_arg, (size_t)pg) ||
	    scratch_init(&s_iov, (size_t)pg) || scratch_init(&s_name, (size_t)pg) ||
	    scratch_init(&s_data, DATA_LEN) ||
	    scratch_init(&s_ent, MAX_BATCH * (size_t)pg)) {
		event("SETUP", "worker setup failed: %s", strerror(errno));
		_exit(EXIT_ENV);
	}
	getrlimit(RLIMIT_NOFILE, &rl_orig);
	other_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	list_fds(before, &dfd);
	if (dfd >= 0)
		before[dfd] = 0;

	run_ops(-1, true);

	/* Everything this worker holds goes; then nothing may be left. */
	setrlimit(RLIMIT_NOFILE, &rl_orig);
	while (nslots)
		do_close(nslots - 1);
	while (nmaps)
		unmap_all(nmaps - 1);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	list_fds(after, &dfd2);
	if (dfd2 >= 0)
		after[dfd2] = 0;
	for (i = 0; i < 1024; i++) {
		char path[64], target[256] = "";
		ssize_t n;

		if (!after[i] || before[i])
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		violation("fd %d (%s) is open but the fuzzer never got it from a call", i, target);
	}
	sh->w[me].finished = 1;
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* main */

static uint64_t read_param(const char *name, uint64_t def)
{
	char path[128], buf[64];
	uint64_t v = def;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return def;
	if (fgets(buf, sizeof(buf), f))
		v = strtoull(buf, NULL, 0);
	fclose(f);
	return v ? v : def;
}

static int global_stat(struct kipc_global_stat *st)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	r = ioctl(fd, KIPC_IOC_STAT, st);
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

static bool stat_equal(const struct kipc_global_stat *a, const struct kipc_global_stat *b)
{
	return a->nr_chans == b->nr_chans && a->nr_regions == b->nr_regions &&
	       a->nr_msgs == b->nr_msgs && a->bytes_queued == b->bytes_queued &&
	       a->region_bytes == b->region_bytes;
}

static void unlink_all(void)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC), i, t;

	if (fd < 0)
		return;
	for (t = KIPC_OBJ_CHAN; t <= KIPC_OBJ_REGION; t++) {
		for (i = 0; i <= opt.names; i++) {
			struct kipc_unlink u = {
				.size = sizeof(u), .type = (uint32_t)t,
				.name = (uintptr_t)(i < opt.names ? names[i] : long_name),
			};

			ioctl(fd, KIPC_IOC_UNLINK, &u);
		}
	}
	close(fd);
}

static uint64_t sum(size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < opt.procs; i++)
		s += *(uint64_t *)((char *)&sh->w[i] + off);
	return s;
}

#define SUM(field) sum(offsetof(struct wstat, field))

static void print_table(void)
{
	int op, i, e;

	printf("%-14s %10s %10s  errors (most frequent first)\n", "call", "calls", "ok");
	for (op = 0; op < NOPS; op++) {
		uint64_t calls = 0, ok = 0, errs[NERRNO] = { 0 };
		char line[256];
		int n = 0, shown;

		for (i = 0; i < opt.procs; i++) {
			calls += sh->w[i].op_calls[op];
			ok += sh->w[i].op_ok[op];
			for (e = 0; e < NERRNO; e++)
				errs[e] += sh->w[i].op_err[op][e];
		}
		if (!calls)
			continue;
		line[0] = 0;
		for (shown = 0; shown < 6; shown++) {
			int best = -1;

			for (e = 0; e < NERRNO; e++)
				if (errs[e] && (best < 0 || errs[e] > errs[best]))
					best = e;
			if (best < 0)
				break;
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s=%" PRIu64,
				      shown ? " " : "", best ? ename(best) : "other", errs[best]);
			errs[best] = 0;
		}
		printf("%-14s %10" PRIu64 " %10" PRIu64 "  %s\n", op_name[op], calls, ok, line);
	}
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "progress", required_argument, NULL, 'P' },
		{ "names", required_argument, NULL, 'N' },
		{ "quick", no_argument, NULL, 'q' },
		{ "trace", no_argument, NULL, 'T' },
		{ "no-leak-check", no_argument, NULL, 'L' },
		{ "avoid", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_seed = false, quick = false, have_iter = false;
	struct kipc_global_stat base, end;
	uint64_t v, t0, next_progress, total, last_total = 0, last_change;
	int c, i, alive, status, leaks = 0, rc;
	pid_t pids[MAX_PROCS];
	size_t j;
	double secs;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_u64(optarg, &opt.seed))
				goto bad;
			have_seed = true;
			break;
		case 'n':
			if (parse_u64(optarg, &opt.iterations))
				goto bad;
			have_iter = true;
			break;
		case 't':
			opt.seconds = strtod(optarg, NULL);
			if (opt.seconds <= 0)
				goto bad;
			break;
		case 'p':
			if (parse_u64(optarg, &v) || !v || v > MAX_PROCS)
				goto bad;
			opt.procs = (int)v;
			break;
		case 'P':
			if (parse_u64(optarg, &opt.progress) || !opt.progress)
				goto bad;
			break;
		case 'N':
			if (parse_u64(optarg, &v) || !v || v > MAX_NAMES)
				goto bad;
			opt.names = (int)v;
			break;
		case 'q':
			quick = true;
			break;
		case 'T':
			opt.trace = true;
			break;
		case 'L':
			opt.leak_check = false;
			break;
		case 'A':
			if (strcmp(optarg, "recv-ro-arg"))
				goto bad;
			opt.avoid_recv_ro = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (quick) {
		if (!have_iter)
			opt.iterations = 200000;
		if (!opt.seconds)
			opt.seconds = 40;
		if (!opt.progress)
			opt.progress = 10000;
	}
	if (!have_iter && !opt.seconds)
		opt.iterations = 100000;
	if (!opt.progress)
		opt.progress = 100000;
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
			   ((uint64_t)getpid() << 32);
		opt.seed %= 1000000000000ull;	/* short enough to retype */
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	pg = sysconf(_SC_PAGESIZE);

	printf(PROG ": seed=%" PRIu64 " procs=%d iterations=%" PRIu64 " seconds=%g abi=%zu-bit\n",
	       opt.seed, opt.procs, opt.iterations, opt.seconds, sizeof(void *) * 8);
	printf(PROG ": reproduce with: " PROG " --seed %" PRIu64 " --procs %d", opt.seed,
	       opt.procs);
	if (opt.iterations)
		printf(" --iterations %" PRIu64, opt.iterations);
	if (opt.seconds)
		printf(" --seconds %g", opt.seconds);
	if (opt.avoid_recv_ro)
		printf(" --avoid recv-ro-arg");
	printf("\n");

	rc = global_stat(&base);
	if (rc) {
		fprintf(stderr, PROG ": cannot use /dev/kipc: %s (is kipc.ko loaded?)\n",
			strerror(-rc));
		return EXIT_ENV;
	}
	lim.max_msgs = read_param("max_msgs", lim.max_msgs);
	lim.max_msg_size = read_param("max_msg_size", lim.max_msg_size);
	lim.max_region_bytes = read_param("max_region_bytes", lim.max_region_bytes);
	lim.default_msg_size = read_param("default_msg_size", lim.default_msg_size);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror(PROG ": mmap");
		return EXIT_ENV;
	}
	run_id = getpid();
	for (i = 0; i < opt.names; i++)
		snprintf(names[i], sizeof(names[i]), "kf%d-%d", run_id, i);
	j = (size_t)snprintf(long_name, sizeof(long_name), "kf%d-", run_id);
	memset(long_name + j, 'L', KIPC_NAME_MAX - 1 - j);
	long_name[KIPC_NAME_MAX - 1] = 0;
	for (j = 0; j < sizeof(menu) / sizeof(menu[0]); j++)
		menu_total += menu[j].weight;

	t0 = now_ns();
	if (opt.seconds)
		deadline = t0 + (uint64_t)(opt.seconds * 1e9);
	for (i = 0; i < opt.procs; i++) {
		budget = opt.iterations ? opt.iterations / (uint64_t)opt.procs +
				      ((uint64_t)i < opt.iterations % (uint64_t)opt.procs) : 0;
		pids[i] = fork();
		if (pids[i] < 0) {
			perror(PROG ": fork");
			return EXIT_ENV;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			worker(i, derive_seed(opt.seed, (uint64_t)i));
		}
	}

	next_progress = opt.progress;
	last_change = now_ns();
	for (alive = opt.procs; alive > 0;) {
		pid_t w = waitpid(-1, &status, WNOHANG);

		if (w > 0) {
			for (i = 0; i < opt.procs; i++) {
				if (pids[i] != w)
					continue;
				pids[i] = 0;
				alive--;
				if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
					break;
				me = i;
				add(&sh->w[i].crashes, 1);
				if (!(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAULT))
					violation("worker %d ended with %s %d", i,
						  WIFEXITED(status) ? "status" : "signal",
						  WIFEXITED(status) ? WEXITSTATUS(status) :
						  WTERMSIG(status));
			}
			continue;
		}
		usleep(100000);
		total = SUM(calls);
		if (total != last_total) {
			last_total = total;
			last_change = now_ns();
		} else if (now_ns() - last_change > 90000000000ull) {
			for (i = 0; i < opt.procs; i++) {
				if (pids[i] > 0) {
					me = i;
					report_stuck(pids[i], "worker");
				}
			}
			last_change = now_ns();
		}
		while (total >= next_progress) {
			secs = (double)(now_ns() - t0) / 1e9;
			printf(PROG ": progress calls=%" PRIu64 " errors=%" PRIu64 " unexpected=%" PRIu64
			       " violations=%" PRIu64 " elapsed=%.1fs rate=%.0f/s\n", total,
			       SUM(errors), SUM(unexpected), SUM(violations), secs,
			       secs > 0 ? (double)total / secs : 0.0);
			next_progress += opt.progress;
		}
	}
	secs = (double)(now_ns() - t0) / 1e9;

	/* Leak check: every fd is closed (the workers exited); drop the names. */
	unlink_all();
	if (opt.leak_check) {
		uint64_t until = now_ns() + 5000000000ull;

		do {
			if (global_stat(&end))
				break;
			if (stat_equal(&base, &end))
				break;
			usleep(50000);
		} while (now_ns() < until);
		if (!stat_equal(&base, &end)) {
			leaks = 1;
			fprintf(stderr, PROG ": LEAK: module counters did not return to their start values:"
				" nr_chans %u->%u nr_regions %u->%u nr_msgs %llu->%llu"
				" bytes_queued %llu->%llu region_bytes %llu->%llu\n",
				base.nr_chans, end.nr_chans, base.nr_regions, end.nr_regions,
				(unsigned long long)base.nr_msgs, (unsigned long long)end.nr_msgs,
				(unsigned long long)base.bytes_queued,
				(unsigned long long)end.bytes_queued,
				(unsigned long long)base.region_bytes,
				(unsigned long long)end.region_bytes);
		} else {
			printf(PROG ": leak check: module counters back to nr_chans=%u nr_regions=%u"
			       " nr_msgs=%llu bytes_queued=%llu region_bytes=%llu\n",
			       end.nr_chans, end.nr_regions, (unsigned long long)end.nr_msgs,
			       (unsigned long long)end.bytes_queued,
			       (unsigned long long)end.region_bytes);
		}
	}

	print_table();
	if (sh->nev) {
		printf(PROG ": %u problem report(s)%s:\n", sh->nev,
		       sh->nev > MAX_EVENTS ? " (first ones)" : "");
		for (j = 0; j < sh->nev && j < MAX_EVENTS; j++)
			printf("  %s\n", sh->ev[j]);
	}
	total = SUM(calls);
	printf(PROG ": seed=%" PRIu64 " calls=%" PRIu64 " errors=%" PRIu64 " unexpected=%" PRIu64
	       " violations=%" PRIu64 " leaks=%d crashes=%" PRIu64 " procs=%d seconds=%.1f"
	       " calls_per_sec=%.0f msgs_checked=%" PRIu64 " touches=%" PRIu64
	       " sigbus_expected=%" PRIu64 " forks=%" PRIu64 " kills=%" PRIu64 "\n",
	       opt.seed, total, SUM(errors), SUM(unexpected), SUM(violations), leaks,
	       SUM(crashes), opt.procs, secs, secs > 0 ? (double)total / secs : 0.0,
	       SUM(msgs_checked), SUM(touches), SUM(sigbus_expected), SUM(forks), SUM(kills));
	return SUM(unexpected) || SUM(violations) || SUM(crashes) || leaks ? EXIT_FOUND : 0;
bad:
	usage(stderr);
	return EXIT_USAGE;
}
