// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-stress: producers and consumers on several channels, messages and
 * region references, SIGKILL and signals at random, channels unlinked
 * under load, and exact loss accounting at the end.
 *
 * Processes: a coordinator, and per channel --producers producers and
 * --consumers consumers (each a process). The coordinator interrupts
 * workers with SIGUSR1 (some handlers restart calls, some do not), kills
 * a random worker with SIGKILL and starts a new incarnation in its place,
 * and now and then unlinks a channel's name and creates a new channel
 * under it; workers move to the new channel when they notice.
 *
 * Messages. A message is identified by (producer incarnation, sequence
 * number). Inline messages carry a header (magic, length, producer, seq,
 * checksum) and a payload generated from producer and seq. A reference
 * (kipc_send_ref) names a 128-byte cell of the producer's own anonymous
 * region: cell number seq, written once before the send and never again,
 * holding the same kind of header and payload; the region outlives the
 * producer as long as references to it are queued.
 *
 * The ledger (MAP_SHARED anonymous memory) records for every message id:
 *  - sent: set by the producer once its send returned success;
 *  - receiver: set once by compare-and-swap by whoever receives it (a
 *    consumer incarnation, or the final drain); a second reception finds
 *    it set: a duplicate.
 * A producer retries a failed send (EINTR, EAGAIN, ETIMEDOUT) with the
 * same message, so a send that failed but queued anyway shows up as a
 * duplicate. A producer killed inside a send leaves its in-flight seq in
 * the ledger: that one message may legitimately arrive without its sent
 * mark ("unconfirmed"); any other unmarked message is a phantom.
 *
 * A consumer receives straight into its own slot of shared memory, which
 * it clears before each call; if it is killed between the kernel's
 * delivery and its own bookkeeping, the coordinator finds the message in
 * the slot and records it for it. So a SIGKILL never makes a delivered
 * message look lost.
 *
 * Nothing is freed with its channel: the coordinator keeps one fd on every
 * channel object it ever created (also after unlinking its name) until the
 * final drain, where it receives everything still queued. At the end every
 * message sent was received exactly once or drained, none is corrupt, and
 * once every fd is closed the module's counters (KIPC_IOC_STAT) are back
 * at their start values.
 *
 * Handles (ABI 3). One more channel (unless --no-handles) carries only
 * messages with one handle each: the message is an inline one as above,
 * and its handle is either a fresh region whose first bytes hold the
 * same message (prod, seq) as a reference cell would, or the receive end
 * of a fresh channel pair with that message queued in it and no sender
 * left. The ledger counts these messages like the others (exactly once,
 * or drained); whoever receives one (a consumer, the drain) also checks
 * that exactly one fd came with it, that it is a region or channel
 * holding the same (prod, seq), and closes it. A consumer killed between
 * the delivery and that check loses only the check: the kernel closes its
 * fds, and the coordinator records the message from its slot.
 *
 * Stalls. The drain would hide a waiter that never woke, so every worker
 * publishes in its slot the blocking send or receive it is in (which
 * channel, since when), and the coordinator samples each such channel
 * with kipc_chan_stat() a few times a second. A receiver blocked while
 * its channel held a message at every sample and received none, or a
 * sender blocked while its channel had room at every sample and took no
 * message, for --stall-seconds, is a stall: reported with the channel's
 * state and its debugfs line, and the run fails. A worker under such
 * suspicion is spared the random signals and kills, which would end its
 * wait. The timed calls and signals of the default load end most waits
 * within 50 ms, masking a lost wake-up; --block makes every send and
 * receive wait without a deadline and stops the random signals.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#define PROG		"kipc-stress"

#define MAX_CHANS	8
#define MAX_PER_CHAN	8		/* producers or consumers per channel */
#define MAX_WORKERS	(MAX_CHANS * MAX_PER_CHAN * 2)
#define MAX_PROD_INC	512		/* producer incarnations */
#define MAX_SEQ		32768		/* messages per producer incarnation */
#define MAX_GENS	64		/* channel objects per name, over the run */
#define CELL		128		/* a reference's cell in the producer's region */
#define REGION_LEN	((uint64_t)MAX_SEQ * CELL)
#define MAX_MSG		(32 * 1024)
#define RX_LEN		(64 * 1024)
#define CHAN_DEPTH	64
#define MAGIC		0x5a7e55edu
#define WAIT_RECV	1u		/* struct wslot @wait: the kind of call */
#define WAIT_SEND	2u
#define WAIT_KIND	3u
#define NUDGE_NS	1000000000ull	/* see sample_worker() */
#define TOKEN_DRAIN	0xffffffffu

#define EXIT_FOUND	1
#define EXIT_USAGE	2
#define EXIT_ENV	3

static struct {
	uint64_t seed;
	double seconds;
	int chans;
	int producers;
	int consumers;
	int kill_ms;		/* mean time between kills */
	int unlink_ms;		/* mean time between channel unlinks */
	bool no_drain;		/* self-check of the books: skip the drain */
	bool block;		/* every call blocks without deadline; no random signals */
	bool handles;		/* one more channel, for messages carrying handles */
	double stall_seconds;	/* a blocked call that could go on for this long: a stall */
} opt = { .seconds = 30, .chans = 3, .producers = 2, .consumers = 2,
	  .kill_ms = 300, .unlink_ms = 2000, .stall_seconds = 10, .handles = true };

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [OPTIONS]\n"
"\n"
"Several producers and consumers per channel exchange messages and region\n"
"references carrying sequence numbers and checksums, while the coordinator\n"
"SIGKILLs and signals them at random and unlinks channels under load; then\n"
"checks that every message whose send succeeded was received exactly once\n"
"or is still queued (drained at the end), none corrupt, and that the\n"
"module's counters are back to their start values. Needs /dev/kipc (run it\n"
"in the test VM).\n"
"\n"
"Options:\n"
"  --seconds S      run time of the load phase (default 30); it ends early\n"
"                   once all %d producer incarnations of up to %d messages\n"
"                   each have run (the ledger's size; about 6 minutes with\n"
"                   the defaults under TCG, sooner with a shorter --kill-ms)\n"
"  --seed S         seed of all random choices (default: from the clock;\n"
"                   always printed)\n"
"  --chans N        channels, 1..%d (default 3)\n"
"  --producers N    producers per channel, 1..%d (default 2)\n"
"  --consumers N    consumers per channel, 1..%d (default 2)\n"
"  --kill-ms MS     mean interval between SIGKILLs (default 300; 0: none)\n"
"  --unlink-ms MS   mean interval between channel unlinks (default 2000;\n"
"                   0: none)\n"
"  --quick          a short run: --seconds 12 --chans 2\n"
"  --no-drain       self-check of the accounting: skip the final drain, so\n"
"                   messages still queued must be reported lost (exit 1)\n"
"  --stall-seconds T  report a stall, and fail, when a worker stays blocked\n"
"                   in a receive while its channel holds a message and\n"
"                   receives none, or in a send while its channel has room\n"
"                   and takes none, for T seconds (default 10; 0.5..3600);\n"
"                   sampled with kipc_chan_stat() every T/4, at most 0.25 s\n"
"  --block          every send and receive blocks without a deadline and no\n"
"                   random signals are sent (kills and unlinks still are),\n"
"                   so that a lost wake-up is a stall, not a 50 ms delay\n"
"  --no-handles     no handles channel (by default one more channel than\n"
"                   --chans, up to %d, carries messages that each pass a\n"
"                   fresh region or channel end holding the message's id)\n"
"  -h, --help       this help\n"
"\n"
"Output: a progress line per second, then one line\n"
"  " PROG ": seed=S sent=N received=N drained=N lost=0 duplicated=0 corrupt=0 ...\n"
"  ... longest_wait=S longest_suspect=S stalls=0 ...\n"
"(longest_wait: the longest blocking call; longest_suspect: the longest a\n"
"blocked worker's channel could serve it without moving a message, which\n"
"a stall's must reach T). A stall is also reported on stderr, as STALL:\n"
"lines with the worker, the channel's kipc_chan_stat() fields and its\n"
"line of /sys/kernel/debug/kipc/objects.\n"
"Exit status: 0 nothing lost, duplicated or corrupt, no stall and no leak;\n"
"1 otherwise; 2 usage; 3 could not run.\n",
		MAX_PROD_INC, MAX_SEQ, MAX_CHANS, MAX_PER_CHAN, MAX_PER_CHAN, MAX_CHANS);
}

/* ------------------------------------------------------------------ */
/* the shared ledger */

struct hdr {
	uint32_t magic;
	uint32_t len;		/* whole message (inline) or cell bytes used (reference) */
	uint32_t prod;		/* producer incarnation */
	uint32_t seq;
	uint64_t sum;		/* over len, prod, seq and the payload */
};

enum role { PRODUCER, CONSUMER };

/* One worker slot: the current incarnation's state. */
struct wslot {
	pid_t pid;
	int role;
	int chan;
	uint32_t inc;		/* producer incarnation, or consumer token */
	/*
	 * The blocking call in progress, for the stall watchdog: a call
	 * number << 2 | WAIT_RECV or WAIT_SEND, or just the number between
	 * calls. @wait_chan (the channel's id) and @wait_since (when the call
	 * began, CLOCK_MONOTONIC ns) are written before @wait, which is
	 * released.
	 */
	uint32_t wait;
	uint64_t wait_chan;
	uint64_t wait_since;
	/* producer */
	int32_t inflight;	/* seq being sent, -1 none */
	/* consumer: where deliveries land (cleared before each call) */
	struct kipc_ref_xfer ref;
	uint8_t rx[RX_LEN] __attribute__((aligned(8)));
};

struct prod {
	uint64_t region_id;	/* its region, once created (0 before) */
	int32_t killed_inflight; /* the seq it was sending when killed, or -1 */
	uint32_t next_seq;
	uint8_t sent[MAX_SEQ];
	uint32_t receiver[MAX_SEQ];
};

struct ledger {
	int stop;
	uint32_t gen[MAX_CHANS];	/* bumped when a channel is replaced */
	uint64_t sends, sends_ref, receives, recv_refs, eintr, eagain, etimedout;
	uint64_t sends_h, handles_checked;	/* the handles channel */
	uint64_t corrupt, duplicated, bad_calls;
	uint64_t longest_wait_ns;	/* the longest blocking call, as its worker timed it */
	char first_problem[512];
	int nproblems;
	struct wslot w[MAX_WORKERS];
	struct prod p[MAX_PROD_INC];
};

static struct ledger *L;
static int hchan = -1;		/* the handles channel's index, or -1 */
static char chan_names[MAX_CHANS][48];
static int slot_me = -1;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void problem(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": PROBLEM: %s\n", buf);
	if (__atomic_fetch_add(&L->nproblems, 1, __ATOMIC_RELAXED) == 0)
		memcpy(L->first_problem, buf, sizeof(buf));
}

/* ------------------------------------------------------------------ */
/* message contents */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint64_t checksum(const struct hdr *h, const uint8_t *payload, size_t n)
{
	uint64_t s = mix(((uint64_t)h->prod << 32 | h->seq) ^ h->len);
	size_t i;

	for (i = 0; i < n; i++)
		s = (s ^ payload[i]) * 0x100000001b3ull;
	return s;
}

/* Write message (prod, seq) of @len bytes (at least a header) into @b. */
static void build(uint8_t *b, size_t len, uint32_t prod, uint32_t seq)
{
	struct hdr h = { .magic = MAGIC, .len = (uint32_t)len, .prod = prod, .seq = seq };
	uint64_t x = mix((uint64_t)prod << 32 | seq);
	size_t i;

	for (i = sizeof(h); i < len; i++) {
		if (!((i - sizeof(h)) & 7))
			x = mix(x + i);
		b[i] = (uint8_t)(x >> ((i & 7) * 8));
	}
	h.sum = checksum(&h, b + sizeof(h), len - sizeof(h));
	memcpy(b, &h, sizeof(h));
}

/*
 * Check a received message of @n bytes; returns its id in @prod and @seq,
 * or false if it is corrupt (reported).
 */
static bool verify(const uint8_t *b, size_t n, bool ref, uint32_t *prod, uint32_t *seq,
		   const char *who)
{
	struct hdr h;

	if (n < sizeof(h))
		goto corrupt;
	memcpy(&h, b, sizeof(h));
	if (h.magic != MAGIC || h.len != n || h.prod >= MAX_PROD_INC || h.seq >= MAX_SEQ ||
	    (ref && n > CELL) || h.sum != checksum(&h, b + sizeof(h), n - sizeof(h)))
		goto corrupt;
	*prod = h.prod;
	*seq = h.seq;
	return true;
corrupt:
	add(&L->corrupt, 1);
	problem("%s: corrupt %s of %zu bytes (magic %#x len %u prod %u seq %u)", who,
		ref ? "reference" : "message", n, n >= 4 ? h.magic : 0, n >= 8 ? h.len : 0,
		n >= 12 ? h.prod : 0, n >= 16 ? h.seq : 0);
	return false;
}

/*
 * Record that @token received (prod, seq): exactly once, or a duplicate.
 * @settling: the coordinator records for a killed consumer, which may
 * have recorded it itself just before it died.
 */
static bool record(uint32_t prod, uint32_t seq, uint32_t token, const char *who,
		   bool settling)
{
	uint32_t want = 0;

	if (__atomic_compare_exchange_n(&L->p[prod].receiver[seq], &want, token, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return true;
	if (settling && want == token)
		return false;
	add(&L->duplicated, 1);
	problem("%s: message %u/%u received again (first by %#x, now by %#x)", who, prod, seq,
		want, token);
	return false;
}

/* ------------------------------------------------------------------ */
/* workers */

/* This worker's SIGUSR1 handler restarts calls: then nothing may block unbounded. */
static bool restart;

static void on_usr1(int sig)
{
	(void)sig;
}

static bool should_stop(void)
{
	return __atomic_load_n(&L->stop, __ATOMIC_RELAXED);
}

/* The id of the channel this worker's fd is open on (see wait_begin()). */
static uint64_t cur_chan;
static uint32_t calls;

static int open_chan(int c, int oflag)
{
	struct kipc_chan_stat st;
	int fd;

	for (;;) {
		fd = kipc_chan_open(chan_names[c], oflag | O_CLOEXEC, 0, NULL);
		if (fd >= 0 && kipc_chan_stat(fd, &st) >= 0)
			cur_chan = st.id;
		if (fd >= 0 || should_stop())
			return fd;
		if (fd != -ENOENT && fd != -EINTR) {
			problem("open %s: %s", chan_names[c], strerror(-fd));
			return fd;
		}
		usleep(1000);	/* between an unlink and the new channel */
	}
}

/* Publish that this worker enters a blocking call of @kind (WAIT_RECV or WAIT_SEND). */
static void wait_begin(struct wslot *w, uint32_t kind)
{
	__atomic_store_n(&w->wait_chan, cur_chan, __ATOMIC_RELAXED);
	__atomic_store_n(&w->wait_since, now_ns(), __ATOMIC_RELAXED);
	__atomic_store_n(&w->wait, ++calls << 2 | kind, __ATOMIC_RELEASE);
}

/* The call ended: unpublish it, and keep the longest one. */
static void wait_end(struct wslot *w)
{
	uint64_t d = now_ns() - w->wait_since;
	uint64_t m = __atomic_load_n(&L->longest_wait_ns, __ATOMIC_RELAXED);

	__atomic_store_n(&w->wait, calls << 2, __ATOMIC_RELEASE);
	while (d > m && !__atomic_compare_exchange_n(&L->longest_wait_ns, &m, d, false,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Is @fd's channel still the one its name leads to? */
static bool chan_current(int fd)
{
	struct kipc_chan_stat st;

	return kipc_chan_stat(fd, &st) < 0 || (st.state & KIPC_CHAN_NAMED);
}

/*
 * The send of the in-flight message @seq failed with @r. The errnos that
 * leave it unqueued move the producer to the channel its name leads to
 * now, if it was unlinked; EAGAIN waits a little for room. Returns true
 * to send it again, false to stop (the message will never be sent).
 * Any errno no send may give is a problem and ends the worker.
 */
static bool send_retry(struct wslot *w, int *ch, long r, uint32_t seq, const char *what)
{
	if ((r == -EINTR || r == -ETIMEDOUT || r == -EAGAIN) && !chan_current(*ch)) {
		close(*ch);
		*ch = open_chan(w->chan, O_WRONLY);
		if (*ch < 0)
			goto stop;
	}
	if (r == -EINTR) {
		add(&L->eintr, 1);
	} else if (r == -EAGAIN) {
		struct pollfd pfd = { .fd = *ch, .events = POLLOUT };

		add(&L->eagain, 1);
		poll(&pfd, 1, 20);
	} else if (r == -ETIMEDOUT) {
		add(&L->etimedout, 1);
	} else {
		add(&L->bad_calls, 1);
		problem("producer %u: send of %u%s: %s", w->inc, seq, what, strerror((int)-r));
		_exit(4);
	}
	if (!should_stop())
		return true;
stop:
	__atomic_store_n(&w->inflight, -1, __ATOMIC_RELEASE);
	return false;
}

static void producer_h(struct wslot *w) __attribute__((noreturn));
static void consumer_h(struct wslot *w) __attribute__((noreturn));

static void producer(struct wslot *w)
{
	struct prod *p = &L->p[w->inc];
	struct kipc_shm_stat st;
	uint8_t *region = NULL, msg[MAX_MSG];
	int ch, shm, n = 0;

	if (w->chan == hchan)
		producer_h(w);
	ch = open_chan(w->chan, O_WRONLY);
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, REGION_LEN);
	if (shm >= 0 && kipc_shm_stat(shm, &st) >= 0)
		region = mmap(NULL, REGION_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	if (ch < 0 || !region || region == MAP_FAILED) {
		if (!should_stop())
			problem("producer setup: ch %d shm %d: %s", ch, shm, strerror(errno));
		_exit(3);
	}
	p->region_id = st.id;

	while (!should_stop() && p->next_seq < MAX_SEQ) {
		uint32_t seq = p->next_seq;
		bool ref = below(100) < 30;
		size_t len;
		long r;

		if (++n % 16 == 0 && !chan_current(ch)) {
			close(ch);	/* the channel was unlinked: follow the name */
			ch = open_chan(w->chan, O_WRONLY);
			if (ch < 0)
				break;
		}
		if (ref) {
			len = sizeof(struct hdr) + below(CELL - sizeof(struct hdr) + 1);
			build(region + (size_t)seq * CELL, len, w->inc, seq);
		} else {
			len = sizeof(struct hdr) + (below(10) ? below(2048) : below(MAX_MSG - 64));
			build(msg, len, w->inc, seq);
		}
		__atomic_store_n(&w->inflight, (int32_t)seq, __ATOMIC_RELEASE);
		for (;;) {
			unsigned int mode = opt.block ? 2 : (unsigned int)below(3);
			bool nonblock = mode == 0 || (ref && restart);

			if (!nonblock)
				wait_begin(w, WAIT_SEND);
			if (ref)
				r = kipc_send_ref(ch, shm, (uint64_t)seq * CELL, len,
						  KIPC_PRIO(below(4)) | (nonblock ? KIPC_NONBLOCK : 0));
			else if (mode == 1 || (mode == 2 && restart))
				r = kipc_send_timed(ch, msg, len, KIPC_PRIO(below(4)), 50000000);
			else
				r = kipc_send(ch, msg, len,
					      KIPC_PRIO(below(4)) | (mode == 0 ? KIPC_NONBLOCK : 0));
			if (!nonblock)
				wait_end(w);
			if (r >= 0)
				break;
			if (!send_retry(w, &ch, r, seq, ""))
				goto out;
		}
		if (!ref && r != (long)len) {
			add(&L->bad_calls, 1);
			problem("producer %u: send of %zu bytes returned %ld", w->inc, len, r);
		}
		__atomic_store_n(&p->sent[seq], 1, __ATOMIC_RELEASE);
		__atomic_store_n(&p->next_seq, seq + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&w->inflight, -1, __ATOMIC_RELEASE);
		add(ref ? &L->sends_ref : &L->sends, 1);
	}
out:
	_exit(0);
}

/* A small cache of read-only region mappings, by region id. */
struct rmap {
	uint64_t id;
	int fd;
	uint8_t *base;
	uint64_t len;
};

static struct rmap rcache[4];

static int32_t prod_of_region(uint64_t id)
{
	int i;

	for (i = 0; i < MAX_PROD_INC; i++)
		if (__atomic_load_n(&L->p[i].region_id, __ATOMIC_ACQUIRE) == id)
			return i;
	return -1;
}

/* Map a newly received region fd into the cache (evicting one entry). */
static struct rmap *rcache_add(int fd, uint64_t id)
{
	struct rmap *m = &rcache[below(4)];
	struct kipc_shm_stat st;
	void *base;

	if (kipc_shm_stat(fd, &st) < 0) {
		problem("consumer: SHM_STAT of a received region fd failed");
		close(fd);
		return NULL;
	}
	base = mmap(NULL, st.length, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		problem("consumer: mmap of a received region: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (m->base) {
		munmap(m->base, m->len);
		close(m->fd);
	}
	*m = (struct rmap){ .id = id, .fd = fd, .base = base, .len = st.length };
	return m;
}

/*
 * KIPC_IOC_RECV_REF with the argument in the shared slot (so a kill after
 * delivery is settled by the coordinator). Returns 1 delivered, or -errno.
 */
static int consume_ref(struct wslot *w, int ch)
{
	struct kipc_ref_xfer *x = &w->ref;
	struct rmap *m, *hint = &rcache[below(4)];
	uint32_t prod, seq;
	int32_t pi;

	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->flags = (opt.block ? 0 : KIPC_XFER_DEADLINE) | KIPC_REF_CLOEXEC;
	x->deadline_ns = opt.block ? 0 : now_ns() + 50000000;
	/* A cached region's fd: the kernel hands it back if the reference is to it. */
	x->shm_fd = hint->base ? hint->fd : -1;
	wait_begin(w, WAIT_RECV);
	if (ioctl(ch, KIPC_IOC_RECV_REF, x) < 0) {
		int e = errno;

		wait_end(w);
		return -e;
	}
	wait_end(w);
	add(&L->recv_refs, 1);
	if (hint->base && x->shm_fd == hint->fd) {
		m = hint;
		if (m->id != x->region_id) {
			add(&L->corrupt, 1);
			problem("consumer: RECV_REF handed back fd %d of region %" PRIu64
				" for a reference to region %" PRIu64, m->fd, m->id,
				(uint64_t)x->region_id);
			return 1;
		}
	} else {
		m = rcache_add(x->shm_fd, x->region_id);
		if (!m)
			return 1;
	}
	pi = prod_of_region(x->region_id);
	if (pi < 0 || x->offset % CELL || x->offset + x->len > m->len) {
		add(&L->corrupt, 1);
		problem("consumer: reference to region %" PRIu64 " (producer %d) offset %" PRIu64
			" len %" PRIu64 " is not one that was sent", (uint64_t)x->region_id, pi,
			(uint64_t)x->offset, (uint64_t)x->len);
		return 1;
	}
	if (verify(m->base + x->offset, x->len, true, &prod, &seq, "consumer (reference)")) {
		if (prod != (uint32_t)pi || seq != x->offset / CELL) {
			add(&L->corrupt, 1);
			problem("consumer: reference at offset %" PRIu64 " of producer %d's region holds message %u/%u",
				(uint64_t)x->offset, pi, prod, seq);
		} else {
			record(prod, seq, w->inc, "consumer", false);
		}
	}
	return 1;
}

static void consumer(struct wslot *w)
{
	struct kipc_msg_info info;
	uint32_t prod, seq;
	int ch, idle = 0;
	long r;

	if (w->chan == hchan)
		consumer_h(w);
	ch = open_chan(w->chan, O_RDONLY);
	if (ch < 0)
		_exit(3);
	while (!should_stop()) {
		/* Clear the slot: after a kill, what is here was delivered. */
		__atomic_store_n((uint32_t *)w->rx, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&w->ref.region_id, 0, __ATOMIC_RELEASE);

		if (below(100) < 30) {
			r = consume_ref(w, ch);
			if (r == 1) {
				idle = 0;
				continue;
			}
			if (r != -ENOMSG && r != -ETIMEDOUT && r != -EINTR && r != -EAGAIN) {
				add(&L->bad_calls, 1);
				problem("consumer: RECV_REF: %s", strerror((int)-r));
				_exit(4);
			}
			if (r != -ENOMSG)
				goto empty;
		}
		switch (opt.block ? 3 + below(2) : below(restart ? 2 : 3)) {
		case 0:
			wait_begin(w, WAIT_RECV);
			r = kipc_recv_timed(ch, w->rx, RX_LEN, &info, 0, 50000000);
			wait_end(w);
			break;
		case 1: {
			struct pollfd pfd = { .fd = ch, .events = POLLIN };

			poll(&pfd, 1, 50);
			r = kipc_recv(ch, w->rx, RX_LEN, &info, KIPC_NONBLOCK);
			break;
		}
		case 3:
			/* --block: unbounded; only the stop (or a nudge) interrupts it. */
			wait_begin(w, WAIT_RECV);
			r = kipc_recv(ch, w->rx, RX_LEN, &info, 0);
			wait_end(w);
			break;
		default:
			/* Unbounded, but this worker's signals interrupt it. */
			wait_begin(w, WAIT_RECV);
			r = read(ch, w->rx, RX_LEN);
			if (r < 0)
				r = -errno;
			wait_end(w);
			info.flags = 0;
			break;
		}
		if (r >= 0) {
			idle = 0;
			add(&L->receives, 1);
			if (verify(w->rx, (size_t)r, false, &prod, &seq, "consumer"))
				record(prod, seq, w->inc, "consumer", false);
			continue;
		}
		if (r == -EINTR) {
			add(&L->eintr, 1);
			/* Maybe the watchdog's nudge: the channel was unlinked. */
			goto empty;
		}
		if (r != -ETIMEDOUT && r != -EAGAIN) {
			add(&L->bad_calls, 1);
			problem("consumer: receive: %s", strerror((int)-r));
			_exit(4);
		}
empty:
		/* Empty: if the channel was unlinked, follow its name. */
		if (++idle % 4 == 0 && !chan_current(ch)) {
			close(ch);
			ch = open_chan(w->chan, O_RDONLY);
			if (ch < 0)
				break;
		}
	}
	_exit(0);
}


/* ------------------------------------------------------------------ */
/* the handles channel */

#define H_REGION_LEN	4096

/*
 * The handle of message (@prod, @seq): a new region holding the message
 * as a reference cell would, or (@chan) the receive end of a new channel
 * pair with it queued and the send end closed. Returns the fd or -errno.
 */
static int make_handle(uint32_t prod, uint32_t seq, bool chan)
{
	size_t len = sizeof(struct hdr) + below(CELL - sizeof(struct hdr) + 1);
	uint8_t cell[CELL];
	int fds[2], fd, e;
	ssize_t r;
	void *m;

	if (chan) {
		e = kipc_chan_pair(fds, NULL, O_CLOEXEC);
		if (e)
			return e;
		build(cell, len, prod, seq);
		r = kipc_send(fds[1], cell, len, KIPC_NONBLOCK);
		close(fds[1]);
		if (r < 0) {
			close(fds[0]);
			return (int)r;
		}
		return fds[0];
	}
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, H_REGION_LEN);
	if (fd < 0)
		return fd;
	m = mmap(NULL, H_REGION_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		e = -errno;
		close(fd);
		return e;
	}
	build(m, len, prod, seq);
	munmap(m, H_REGION_LEN);
	return fd;
}

/*
 * The @nfds fds that came with message (@prod, @seq): exactly one, a
 * region or a channel holding that message. All are closed. Returns 1
 * when the handle was a channel with its message queued (the module's
 * nr_msgs counted it), else 0.
 */
static int check_handles(const int *fds, unsigned int nfds, uint32_t prod, uint32_t seq,
			  const char *who)
{
	struct kipc_shm_stat sst;
	struct kipc_chan_stat cst;
	struct kipc_msg_info info;
	uint8_t cell[CELL];
	uint32_t p2 = 0, s2 = 0;
	unsigned int i;
	int nested = 0;
	struct hdr h;
	ssize_t r;
	bool ok = false;
	void *m;

	if (nfds != 1) {
		add(&L->corrupt, 1);
		problem("%s: message %u/%u came with %u fds, not 1", who, prod, seq, nfds);
		goto out;
	}
	if (kipc_shm_stat(fds[0], &sst) >= 0) {
		m = mmap(NULL, H_REGION_LEN, PROT_READ, MAP_SHARED, fds[0], 0);
		if (m == MAP_FAILED) {
			problem("%s: mmap of the region of message %u/%u: %s", who, prod, seq,
				strerror(errno));
			goto out;
		}
		memcpy(&h, m, sizeof(h));
		ok = h.len <= CELL && verify(m, h.len, true, &p2, &s2, who);
		munmap(m, H_REGION_LEN);
	} else if (kipc_chan_stat(fds[0], &cst) >= 0) {
		r = kipc_recv(fds[0], cell, sizeof(cell), &info, KIPC_NONBLOCK);
		nested = r >= 0;
		ok = r >= 0 && verify(cell, (size_t)r, false, &p2, &s2, who);
		/* Its only message taken, no sender left anywhere: EPIPE. */
		if (ok && (r = kipc_recv(fds[0], cell, sizeof(cell), &info, KIPC_NONBLOCK)) != -EPIPE) {
			add(&L->corrupt, 1);
			problem("%s: the channel of message %u/%u: a second receive gave %zd, not EPIPE",
				who, prod, seq, r);
			goto out;
		}
	}
	if (!ok || p2 != prod || s2 != seq) {
		add(&L->corrupt, 1);
		problem("%s: the handle of message %u/%u holds %s %u/%u", who, prod, seq,
			ok ? "message" : "no valid message, or", p2, s2);
		goto out;
	}
	add(&L->handles_checked, 1);
out:
	for (i = 0; i < nfds && i < 4; i++)
		if (close(fds[i]))
			problem("%s: close of a received fd: %s", who, strerror(errno));
	return nested;
}

static void producer_h(struct wslot *w)
{
	struct prod *p = &L->p[w->inc];
	uint8_t msg[256];
	int ch, hfd, n = 0;
	ssize_t r;

	ch = open_chan(w->chan, O_WRONLY);
	if (ch < 0)
		_exit(3);
	while (!should_stop() && p->next_seq < MAX_SEQ) {
		uint32_t seq = p->next_seq;
		size_t len = sizeof(struct hdr) + below(sizeof(msg) - sizeof(struct hdr) + 1);

		if (++n % 16 == 0 && !chan_current(ch)) {
			close(ch);	/* the channel was unlinked: follow the name */
			ch = open_chan(w->chan, O_WRONLY);
			if (ch < 0)
				break;
		}
		build(msg, len, w->inc, seq);
		hfd = make_handle(w->inc, seq, below(2));
		if (hfd < 0) {
			add(&L->bad_calls, 1);
			problem("producer %u: the handle of %u: %s", w->inc, seq, strerror(-hfd));
			_exit(4);
		}
		__atomic_store_n(&w->inflight, (int32_t)seq, __ATOMIC_RELEASE);
		for (;;) {
			if (opt.block)
				wait_begin(w, WAIT_SEND);
			r = kipc_send_handles(ch, msg, len, &hfd, 1, opt.block ? 0 : KIPC_NONBLOCK);
			if (opt.block)
				wait_end(w);
			if (r >= 0)
				break;
			if (!send_retry(w, &ch, r, seq, " with a handle")) {
				close(hfd);
				goto out;
			}
		}
		close(hfd);
		if (r != (ssize_t)len) {
			add(&L->bad_calls, 1);
			problem("producer %u: send of %zu bytes with a handle returned %zd", w->inc,
				len, r);
		}
		__atomic_store_n(&p->sent[seq], 1, __ATOMIC_RELEASE);
		__atomic_store_n(&p->next_seq, seq + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&w->inflight, -1, __ATOMIC_RELEASE);
		add(&L->sends_h, 1);
	}
out:
	_exit(0);
}

static void consumer_h(struct wslot *w)
{
	struct kipc_msg_info info;
	uint32_t prod, seq;
	unsigned int nfds;
	int ch, idle = 0, fds[4];
	ssize_t r;

	ch = open_chan(w->chan, O_RDONLY);
	if (ch < 0)
		_exit(3);
	while (!should_stop()) {
		/* Clear the slot: after a kill, what is here was delivered. */
		__atomic_store_n((uint32_t *)w->rx, 0, __ATOMIC_RELEASE);
		nfds = 4;
		if (opt.block) {
			wait_begin(w, WAIT_RECV);
			r = kipc_recv_handles(ch, w->rx, RX_LEN, fds, &nfds, &info, 0);
			wait_end(w);
		} else {
			struct pollfd pfd = { .fd = ch, .events = POLLIN };

			poll(&pfd, 1, 50);
			r = kipc_recv_handles(ch, w->rx, RX_LEN, fds, &nfds, &info, KIPC_NONBLOCK);
		}
		if (r >= 0) {
			idle = 0;
			add(&L->receives, 1);
			if (verify(w->rx, (size_t)r, false, &prod, &seq, "consumer (handles)")) {
				record(prod, seq, w->inc, "consumer (handles)", false);
				check_handles(fds, nfds, prod, seq, "consumer (handles)");
			} else {
				check_handles(fds, nfds, 0, 0, "consumer (handles, corrupt message)");
			}
			continue;
		}
		if (r == -EINTR) {
			add(&L->eintr, 1);
		} else if (r != -EAGAIN) {
			add(&L->bad_calls, 1);
			problem("consumer: receive with handles: %s", strerror((int)-r));
			_exit(4);
		}
		/* Empty: if the channel was unlinked, follow its name. */
		if (++idle % 4 == 0 && !chan_current(ch)) {
			close(ch);
			ch = open_chan(w->chan, O_RDONLY);
			if (ch < 0)
				break;
		}
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* the coordinator */

static int nworkers;
static uint32_t next_prod, next_token = 1;
static uint64_t kills, signals, unlinks, respawns, unconfirmed, killed_consumer_saves;
static int gen_fd[MAX_CHANS][MAX_GENS];	/* one RDWR fd per channel object */
static uint64_t gen_id[MAX_CHANS][MAX_GENS];	/* and its id */
static int ngen[MAX_CHANS];

/* The stall watchdog's view of one worker slot (see sample_worker()). */
struct watch {
	pid_t pid;
	uint32_t wait;		/* the call watched (struct wslot @wait) */
	uint64_t since;		/* first sample finding its channel able to serve it; 0: none */
	uint64_t last;		/* the latest such sample */
	uint64_t held_ns;	/* how long the suspicion has held (see sample_worker()) */
	uint64_t count;		/* the channel's received or sent count then */
	bool reported;
};

static struct watch watch[MAX_WORKERS];
static uint64_t stalls, longest_suspect_ns, sample_ns;

static int spawn(int i)
{
	struct wslot *w = &L->w[i];
	uint64_t seed = rnd();
	pid_t pid;

	if (w->role == PRODUCER) {
		if (next_prod >= MAX_PROD_INC)
			return -1;
		w->inc = next_prod++;
		L->p[w->inc].killed_inflight = -1;
	} else {
		w->inc = next_token++;
	}
	w->inflight = -1;
	w->wait = 0;
	memset(&w->ref, 0, sizeof(w->ref));
	*(uint32_t *)w->rx = 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		slot_me = i;
		rng_state = seed;
		/*
		 * Half the workers restart interrupted calls, half see EINTR;
		 * with --block none restarts, so the stop's signal ends a wait.
		 */
		restart = below(2) && !opt.block;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		if (w->role == PRODUCER)
			producer(w);
		consumer(w);
	}
	w->pid = pid;
	return 0;
}

/*
 * A worker is gone (killed or exited): settle what it was doing, so the
 * ledger stays exact.
 */
static void settle(struct wslot *w, int status, bool was_killed)
{
	uint32_t prod, seq;

	if (!was_killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		problem("worker (role %d, pid %d) ended with %s %d", w->role, w->pid,
			WIFEXITED(status) ? "status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	if (w->role == PRODUCER) {
		L->p[w->inc].killed_inflight = __atomic_load_n(&w->inflight, __ATOMIC_ACQUIRE);
		return;
	}
	/* A consumer killed after a delivery, before its bookkeeping. */
	if (*(uint32_t *)w->rx == MAGIC) {
		struct hdr h;

		memcpy(&h, w->rx, sizeof(h));
		if (h.len <= RX_LEN && verify(w->rx, h.len, false, &prod, &seq, "killed consumer") &&
		    record(prod, seq, w->inc, "killed consumer", true))
			killed_consumer_saves++;	/* delivered, not yet recorded */
	}
	if (w->ref.region_id) {
		int32_t pi = prod_of_region(w->ref.region_id);

		if (pi >= 0 && w->ref.offset % CELL == 0 && w->ref.offset / CELL < MAX_SEQ &&
		    record((uint32_t)pi, (uint32_t)(w->ref.offset / CELL), w->inc,
			   "killed consumer", true))
			killed_consumer_saves++;
	}
}

/* Is any producer running? */
static bool producers_alive(void)
{
	int i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (L->w[i].role == PRODUCER && L->w[i].pid > 0)
			return true;
	return false;
}

static int new_generation(int c)
{
	struct kipc_chan_stat st;
	int fd;

	if (ngen[c] >= MAX_GENS)
		return -1;
	fd = kipc_chan_open(chan_names[c], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
			    &(struct kipc_chan_attr){ .max_msgs = CHAN_DEPTH,
						       .max_msg_size = MAX_MSG });
	if (fd < 0) {
		problem("create %s: %s", chan_names[c], strerror(-fd));
		return fd;
	}
	gen_fd[c][ngen[c]] = fd;
	gen_id[c][ngen[c]] = kipc_chan_stat(fd, &st) < 0 ? 0 : st.id;
	ngen[c]++;
	L->gen[c]++;
	return 0;
}

/* The coordinator's fd on the channel object @id, or -1; its index in @c. */
static int fd_of_chan(uint64_t id, int *c)
{
	int g;

	for (*c = 0; *c < opt.chans; (*c)++)
		for (g = 0; g < ngen[*c]; g++)
			if (gen_id[*c][g] == id)
				return gen_fd[*c][g];
	return -1;
}

/* Copy the debugfs line of channel @id (kipc/objects) into @buf, or why not. */
static void debugfs_line(uint64_t id, char *buf, size_t len)
{
	FILE *f = fopen("/sys/kernel/debug/kipc/objects", "re");
	char line[512], head[512] = "", want[32];

	snprintf(buf, len, "no line for chan %" PRIu64, id);
	if (!f) {
		snprintf(buf, len, "/sys/kernel/debug/kipc/objects: %s", strerror(errno));
		return;
	}
	snprintf(want, sizeof(want), "chan %" PRIu64 " ", id);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!head[0]) {
			snprintf(head, sizeof(head), "%s", line);
		} else if (!strncmp(line, want, strlen(want))) {
			snprintf(buf, len, "%s | %s", head, line);
			break;
		}
	}
	fclose(f);
}

static void report_stall(int i, uint32_t wait, uint64_t blocked_ns, uint64_t cond_ns,
			 int c, const struct kipc_chan_stat *st)
{
	struct wslot *w = &L->w[i];
	bool recv = (wait & WAIT_KIND) == WAIT_RECV;
	char dbg[1024];

	debugfs_line(st->id, dbg, sizeof(dbg));
	stalls++;
	fprintf(stderr, PROG ": STALL: %s %u (slot %d, pid %d) blocked in a %s on %s (channel id %" PRIu64 ") for %.1f s, the channel %s at every sample for %.1f s and %s none\n"
		PROG ": STALL: kipc_chan_stat: nr_msgs=%u max_msgs=%u bytes_queued=%llu sent=%llu received=%llu discarded=%llu nr_senders=%u nr_receivers=%u state=%#x\n"
		PROG ": STALL: debugfs: %s\n",
		w->role == PRODUCER ? "producer" : "consumer", w->inc, i, w->pid,
		recv ? "receive" : "send", chan_names[c], (uint64_t)st->id, (double)blocked_ns / 1e9,
		recv ? "holding a message" : "having room", (double)cond_ns / 1e9,
		recv ? "receiving" : "taking", st->nr_msgs, st->max_msgs,
		(unsigned long long)st->bytes_queued, (unsigned long long)st->sent,
		(unsigned long long)st->received, (unsigned long long)st->discarded, st->nr_senders,
		st->nr_receivers, st->state, dbg);
	problem("stall: %s %u blocked in a %s on %s for %.1f s with the channel %s (nr_msgs %u/%u sent %llu received %llu); debugfs: %s",
		w->role == PRODUCER ? "producer" : "consumer", w->inc, recv ? "receive" : "send",
		chan_names[c], (double)blocked_ns / 1e9,
		recv ? "holding messages" : "having room", st->nr_msgs, st->max_msgs,
		(unsigned long long)st->sent, (unsigned long long)st->received, dbg);
}

/*
 * One watchdog sample of worker slot @i at @now. If it is in a blocking
 * call whose channel could serve it (a message queued for a receive, room
 * for a send) and has not moved a message that way since the last sample
 * (the received count for a receive, the sent count for a send), its
 * suspicion goes on; else it ends. A suspicion held for --stall-seconds
 * is a stall. A gap between samples counts for at most two sample
 * intervals: when the coordinator itself did not run (the whole VM
 * starved by its host, say), the workers may not have either. A worker blocked for more than NUDGE_NS on a channel that
 * was unlinked, and that cannot serve it, gets a SIGUSR1 so that it can
 * follow the name (nothing else would wake it with --block). Returns
 * whether the worker is under suspicion.
 */
static bool sample_worker(int i, uint64_t now)
{
	struct wslot *w = &L->w[i];
	struct watch *x = &watch[i];
	struct kipc_chan_stat st;
	uint64_t chan, since, count;
	uint32_t wait;
	bool recv, can;
	int fd, c;

	wait = __atomic_load_n(&w->wait, __ATOMIC_ACQUIRE);
	chan = __atomic_load_n(&w->wait_chan, __ATOMIC_RELAXED);
	since = __atomic_load_n(&w->wait_since, __ATOMIC_RELAXED);
	if (w->pid <= 0 || !(wait & WAIT_KIND) || x->pid != w->pid || x->wait != wait) {
		*x = (struct watch){ .pid = w->pid, .wait = wait };
		if (w->pid <= 0 || !(wait & WAIT_KIND))
			return false;
	}
	fd = fd_of_chan(chan, &c);
	if (fd < 0 || kipc_chan_stat(fd, &st) < 0)
		return false;
	/* Still the same call, so @chan and @since were its own. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&w->wait, __ATOMIC_RELAXED) != wait) {
		x->since = 0;
		return false;
	}
	recv = (wait & WAIT_KIND) == WAIT_RECV;
	can = recv ? st.nr_msgs > 0 : st.nr_msgs < st.max_msgs;
	count = recv ? st.received + st.discarded : st.sent;
	if (!can) {
		x->since = 0;
		if (!(st.state & KIPC_CHAN_NAMED) && now - since > NUDGE_NS)
			kill(w->pid, SIGUSR1);
		return false;
	}
	if (!x->since || x->count != count) {
		x->since = now;
		x->last = now;
		x->held_ns = 0;
		x->count = count;
		return true;
	}
	x->held_ns += now - x->last < 2 * sample_ns ? now - x->last : 2 * sample_ns;
	x->last = now;
	if (x->held_ns > longest_suspect_ns)
		longest_suspect_ns = x->held_ns;
	if (x->held_ns >= (uint64_t)(opt.stall_seconds * 1e9) && !x->reported) {
		x->reported = true;
		report_stall(i, wait, now - since, x->held_ns, c, &st);
	}
	return true;
}

/* A watchdog pass over every worker; returns how many are under suspicion. */
static int sample_all(void)
{
	uint64_t now = now_ns();
	int i, n = 0;

	for (i = 0; i < nworkers; i++)
		n += sample_worker(i, now);
	return n;
}

/* Whether worker @i may be signalled or killed at random now (not while suspected). */
static bool may_disturb(int i)
{
	return L->w[i].pid > 0 && !watch[i].since;
}

/* Messages queued in channels that travel as handles, found by the drain. */
static uint64_t nested_msgs;

/* Receive everything still queued in generation @g of the handles channel @c. */
static uint64_t drain_h(int fd, int c, int g)
{
	static uint8_t buf[RX_LEN];
	struct kipc_msg_info info;
	uint32_t prod, seq;
	unsigned int nfds = 4;
	uint64_t n = 0;
	int fds[4];
	ssize_t r;

	while ((r = kipc_recv_handles(fd, buf, sizeof(buf), fds, &nfds, &info,
				      KIPC_NONBLOCK)) >= 0) {
		n++;
		if (verify(buf, (size_t)r, false, &prod, &seq, "drain (handles)")) {
			record(prod, seq, TOKEN_DRAIN, "drain", false);
			nested_msgs += (uint64_t)check_handles(fds, nfds, prod, seq,
							       "drain (handles)");
		} else {
			nested_msgs += (uint64_t)check_handles(fds, nfds, 0, 0,
							       "drain (handles, corrupt message)");
		}
		nfds = 4;
	}
	if (r != -EAGAIN)
		problem("drain of %s generation %d: %s", chan_names[c], g, strerror((int)-r));
	return n;
}

/* Receive everything still queued in every channel object. */
static uint64_t drain(void)
{
	static uint8_t buf[RX_LEN];
	struct kipc_msg_info info;
	uint32_t prod, seq;
	uint64_t n = 0;
	int c, g;
	long r;

	for (c = 0; c < opt.chans; c++) {
		for (g = 0; g < ngen[c]; g++) {
			if (c == hchan) {
				n += drain_h(gen_fd[c][g], c, g);
				continue;
			}
			while ((r = kipc_recv(gen_fd[c][g], buf, sizeof(buf), &info,
					      KIPC_NONBLOCK)) >= 0) {
				n++;
				if (verify(buf, (size_t)r, (info.flags & KIPC_MSG_REF) != 0, &prod,
					   &seq, "drain"))
					record(prod, seq, TOKEN_DRAIN, "drain", false);
			}
			if (r != -EAGAIN)
				problem("drain of %s generation %d: %s", chan_names[c], g,
					strerror((int)-r));
		}
	}
	return n;
}

static int global_stat(struct kipc_global_stat *st)
{
	return kipc_stat(st);
}

static bool stat_same(const struct kipc_global_stat *a, const struct kipc_global_stat *b)
{
	return a->nr_chans == b->nr_chans && a->nr_regions == b->nr_regions &&
	       a->nr_msgs == b->nr_msgs && a->bytes_queued == b->bytes_queued &&
	       a->region_bytes == b->region_bytes;
}

static int parse_int(const char *s, int lo, int hi, int *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 0);
	if (errno || end == s || *end || x < lo || x > hi)
		return -1;
	*v = (int)x;
	return 0;
}

/* Options into opt. Returns 0, 1 after --help, or -1 for a usage error. */
static int parse_options(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "chans", required_argument, NULL, 'c' },
		{ "producers", required_argument, NULL, 'p' },
		{ "consumers", required_argument, NULL, 'C' },
		{ "kill-ms", required_argument, NULL, 'k' },
		{ "unlink-ms", required_argument, NULL, 'u' },
		{ "quick", no_argument, NULL, 'q' },
		{ "no-drain", no_argument, NULL, 'D' },
		{ "block", no_argument, NULL, 'B' },
		{ "stall-seconds", required_argument, NULL, 'S' },
		{ "no-handles", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_seed = false, seconds_set = false, chans_set = false;
	char *end_s;
	int c;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt.seconds = strtod(optarg, &end_s);
			if (*end_s || opt.seconds <= 0)
				return -1;
			seconds_set = true;
			break;
		case 's':
			opt.seed = strtoull(optarg, &end_s, 0);
			if (*end_s)
				return -1;
			have_seed = true;
			break;
		case 'c':
			if (parse_int(optarg, 1, MAX_CHANS, &opt.chans))
				return -1;
			chans_set = true;
			break;
		case 'p':
			if (parse_int(optarg, 1, MAX_PER_CHAN, &opt.producers))
				return -1;
			break;
		case 'C':
			if (parse_int(optarg, 1, MAX_PER_CHAN, &opt.consumers))
				return -1;
			break;
		case 'k':
			if (parse_int(optarg, 0, 1000000, &opt.kill_ms))
				return -1;
			break;
		case 'u':
			if (parse_int(optarg, 0, 1000000, &opt.unlink_ms))
				return -1;
			break;
		case 'q':
			if (!seconds_set)
				opt.seconds = 12;
			if (!chans_set)
				opt.chans = 2;
			break;
		case 'D':
			opt.no_drain = true;
			break;
		case 'B':
			opt.block = true;
			break;
		case 'S':
			opt.stall_seconds = strtod(optarg, &end_s);
			if (*end_s || !(opt.stall_seconds >= 0.5 && opt.stall_seconds <= 3600))
				return -1;
			break;
		case 'H':
			opt.handles = false;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	/* The handles channel: one more, or the last one at MAX_CHANS. */
	if (opt.handles) {
		if (opt.chans < MAX_CHANS)
			opt.chans++;
		hchan = opt.chans - 1;
	}
	/* Samples a few times a second, at least 4 in a --stall-seconds. */
	sample_ns = (uint64_t)(opt.stall_seconds * 1e9 / 4);
	if (sample_ns > 250000000)
		sample_ns = 250000000;
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) %
			   1000000000000ull;
	}
	return 0;
}

/*
 * The module's counters at the start (@base), the shared ledger, the
 * channels' first generation and every worker. Returns 0 or EXIT_ENV.
 */
static int set_up(struct kipc_global_stat *base)
{
	int c, j, r;

	r = global_stat(base);
	if (r < 0) {
		fprintf(stderr, PROG ": cannot use /dev/kipc: %s (is kipc.ko loaded?)\n",
			strerror(-r));
		return EXIT_ENV;
	}
	L = mmap(NULL, sizeof(*L), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (L == MAP_FAILED) {
		perror(PROG ": mmap");
		return EXIT_ENV;
	}
	signal(SIGUSR1, SIG_IGN);	/* the coordinator's own, never sent */
	for (c = 0; c < opt.chans; c++) {
		snprintf(chan_names[c], sizeof(chan_names[c]), "kstress%d-%d", getpid(), c);
		if (new_generation(c))
			return EXIT_ENV;
	}
	for (c = 0; c < opt.chans; c++) {
		for (j = 0; j < opt.producers + opt.consumers; j++) {
			struct wslot *w = &L->w[nworkers];

			w->role = j < opt.producers ? PRODUCER : CONSUMER;
			w->chan = c;
			if (spawn(nworkers)) {
				perror(PROG ": fork");
				return EXIT_ENV;
			}
			nworkers++;
		}
	}
	return 0;
}

/* Settle worker @i, which ended with @status, and start its next incarnation. */
static void replace_worker(int i, int status, bool killed)
{
	settle(&L->w[i], status, killed);
	L->w[i].pid = 0;
	if (!spawn(i))
		respawns++;
}

/* Workers that ended on their own (a producer at MAX_SEQ, or a failure). */
static void reap_ended(void)
{
	int status, i;
	pid_t w;

	while ((w = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < nworkers; i++)
			if (L->w[i].pid == w)
				replace_worker(i, status, false);
}

/* SIGKILL a random worker (only consumers once the producer incarnations are used up). */
static void kill_one(void)
{
	int i = (int)below((uint64_t)nworkers), status;

	if (L->w[i].role == PRODUCER && next_prod >= MAX_PROD_INC)
		return;
	if (!may_disturb(i))
		return;
	kill(L->w[i].pid, SIGKILL);
	waitpid(L->w[i].pid, &status, 0);
	kills++;
	replace_worker(i, status, true);
}

/* Unlink a random channel's name under load; its next generation takes the name. */
static void unlink_one(void)
{
	int c = (int)below((uint64_t)opt.chans);

	if (ngen[c] < MAX_GENS && !kipc_chan_unlink(chan_names[c])) {
		unlinks++;
		new_generation(c);
	}
}

/*
 * The load phase, for --seconds: signals, kills and unlinks at random
 * while the workers run, a progress line a second.
 */
static void run_load(void)
{
	uint64_t t0 = now_ns(), tend, next_kill, next_unlink, next_progress, next_sample, now;
	int i;

	tend = t0 + (uint64_t)(opt.seconds * 1e9);
	next_kill = opt.kill_ms ? t0 + below((uint64_t)opt.kill_ms * 2000000) : UINT64_MAX;
	next_unlink = opt.unlink_ms ? t0 + below((uint64_t)opt.unlink_ms * 2000000) : UINT64_MAX;
	next_progress = t0 + 1000000000ull;
	next_sample = t0 + sample_ns;
	while ((now = now_ns()) < tend) {
		usleep((useconds_t)(500 + below(2000)));
		now = now_ns();
		/* Interrupt a random worker (--block: none). */
		i = (int)below((uint64_t)nworkers);
		if (!opt.block && may_disturb(i) && !kill(L->w[i].pid, SIGUSR1))
			signals++;
		reap_ended();
		if (now >= next_sample) {
			sample_all();
			next_sample = now + sample_ns;
			if (stalls) {
				printf(PROG ": a stall (t=%.0fs): ending the load phase\n",
				       (double)(now - t0) / 1e9);
				break;
			}
		}
		if (now >= next_kill) {
			kill_one();
			next_kill = now + below((uint64_t)opt.kill_ms * 2000000);
		}
		if (now >= next_unlink) {
			unlink_one();
			next_unlink = now + below((uint64_t)opt.unlink_ms * 2000000);
		}
		/*
		 * The ledger has room for MAX_PROD_INC producer incarnations of
		 * MAX_SEQ messages each. Once every one has been started and
		 * the last ones have finished, nothing more is sent: say so and
		 * end the load phase rather than idle until --seconds.
		 */
		if (next_prod >= MAX_PROD_INC && !producers_alive()) {
			printf(PROG ": all %d producer incarnations have run (t=%.0fs): ending the load phase early\n",
			       MAX_PROD_INC, (double)(now - t0) / 1e9);
			break;
		}
		if (now >= next_progress) {
			printf(PROG ": progress t=%.0fs sends=%" PRIu64 " refs=%" PRIu64
			       " receives=%" PRIu64 " ref_receives=%" PRIu64 " kills=%" PRIu64
			       " signals=%" PRIu64 " unlinks=%" PRIu64 " eintr=%" PRIu64 "\n",
			       (double)(now - t0) / 1e9, L->sends, L->sends_ref, L->receives,
			       L->recv_refs, kills, signals, unlinks, L->eintr);
			next_progress += 1000000000ull;
		}
	}
}

/*
 * A suspicion still open when the load phase ends is followed until it
 * clears or becomes a stall (at most --stall-seconds and a sample more),
 * before the stop's signals would end the wait.
 */
static void settle_suspicions(void)
{
	uint64_t until = now_ns() + (uint64_t)(opt.stall_seconds * 1e9) + 2 * sample_ns;

	while (!stalls && sample_all() && now_ns() < until) {
		usleep((useconds_t)(sample_ns / 1000));
		reap_ended();
	}
}

/* Stop: every worker finishes its current call (all are bounded). */
static void stop_workers(void)
{
	uint64_t until = now_ns() + 60000000000ull;
	int alive, status, i;

	__atomic_store_n(&L->stop, 1, __ATOMIC_RELEASE);
	for (alive = 1; alive;) {
		pid_t w;

		alive = 0;
		for (i = 0; i < nworkers; i++) {
			if (L->w[i].pid <= 0)
				continue;
			kill(L->w[i].pid, SIGUSR1);	/* unblock a read(2) */
			w = waitpid(L->w[i].pid, &status, WNOHANG);
			if (w == L->w[i].pid) {
				settle(&L->w[i], status, false);
				L->w[i].pid = 0;
			} else {
				alive = 1;
			}
		}
		if (alive && now_ns() > until) {
			problem("workers did not stop within 60 s");
			for (i = 0; i < nworkers; i++)
				if (L->w[i].pid > 0)
					kill(L->w[i].pid, SIGKILL);
		}
		usleep(2000);
	}
}

/*
 * Whatever is still queued is drained (nothing is freed with a channel),
 * then every channel goes. Returns how many messages the module said were
 * queued before the drain.
 */
static uint64_t drain_and_close(const struct kipc_global_stat *base)
{
	struct kipc_global_stat mid;
	uint64_t queued_msgs = 0;
	int c, j;

	if (!global_stat(&mid))
		queued_msgs = mid.nr_msgs - base->nr_msgs;
	if (!opt.no_drain)
		drain();
	for (c = 0; c < opt.chans; c++) {
		kipc_chan_unlink(chan_names[c]);
		for (j = 0; j < ngen[c]; j++)
			close(gen_fd[c][j]);
	}
	return queued_msgs;
}

/* The books: what the ledger says of every message of every producer incarnation. */
struct books {
	uint64_t sent;
	uint64_t received;
	uint64_t drained;
	uint64_t lost;
	uint64_t phantom;
};

static void count_books(struct books *b)
{
	uint32_t pi, s;

	memset(b, 0, sizeof(*b));
	for (pi = 0; pi < next_prod; pi++) {
		struct prod *p = &L->p[pi];

		for (s = 0; s < MAX_SEQ; s++) {
			uint32_t r = p->receiver[s];

			if (p->sent[s]) {
				b->sent++;
			} else if (r) {
				if ((int32_t)s == p->killed_inflight) {
					unconfirmed++;
					b->sent++;
				} else {
					b->phantom++;
					problem("message %u/%u was received but never sent", pi, s);
				}
			}
			if (!r) {
				if (p->sent[s]) {
					b->lost++;
					if (b->lost <= 5)
						problem("message %u/%u was sent but neither received nor queued",
							pi, s);
				}
			} else if (r == TOKEN_DRAIN) {
				b->drained++;
			} else {
				b->received++;
			}
		}
	}
}

/* Whether the module's counters failed to return to @base (a problem is reported). */
static bool leaked(const struct kipc_global_stat *base)
{
	uint64_t until = now_ns() + 5000000000ull;
	struct kipc_global_stat end;

	do {
		if (global_stat(&end) || stat_same(base, &end))
			break;
		usleep(50000);
	} while (now_ns() < until);
	if (stat_same(base, &end))
		return false;
	problem("module counters not back: nr_chans %u->%u nr_regions %u->%u nr_msgs %llu->%llu bytes_queued %llu->%llu region_bytes %llu->%llu",
		base->nr_chans, end.nr_chans, base->nr_regions, end.nr_regions,
		(unsigned long long)base->nr_msgs, (unsigned long long)end.nr_msgs,
		(unsigned long long)base->bytes_queued, (unsigned long long)end.bytes_queued,
		(unsigned long long)base->region_bytes, (unsigned long long)end.region_bytes);
	return true;
}

/* The last line, and the exit status. */
static int report(const struct books *b, bool leak)
{
	printf(PROG ": seed=%" PRIu64 " seconds=%g sent=%" PRIu64 " received=%" PRIu64
	       " drained=%" PRIu64 " lost=%" PRIu64 " duplicated=%" PRIu64 " corrupt=%" PRIu64
	       " phantom=%" PRIu64 " unconfirmed=%" PRIu64 " refs_sent=%" PRIu64
	       " refs_received=%" PRIu64 " handle_msgs_sent=%" PRIu64 " handles_checked=%" PRIu64
	       " kills=%" PRIu64 " killed_consumer_saves=%" PRIu64
	       " signals=%" PRIu64 " eintr=%" PRIu64 " unlinks=%" PRIu64 " producers_run=%u"
	       " longest_wait=%.2fs longest_suspect=%.2fs stalls=%" PRIu64
	       " leak=%d problems=%d\n",
	       opt.seed, opt.seconds, b->sent, b->received, b->drained, b->lost, L->duplicated,
	       L->corrupt, b->phantom, unconfirmed, L->sends_ref, L->recv_refs, L->sends_h,
	       L->handles_checked, kills,
	       killed_consumer_saves, signals, L->eintr, unlinks, next_prod,
	       (double)L->longest_wait_ns / 1e9, (double)longest_suspect_ns / 1e9, stalls, leak,
	       L->nproblems);
	if (L->nproblems)
		printf(PROG ": first problem: %s\n", L->first_problem);
	return b->lost || L->duplicated || L->corrupt || b->phantom || leak || stalls ||
	       L->nproblems ?
	       EXIT_FOUND : 0;
}

int main(int argc, char **argv)
{
	struct kipc_global_stat base;
	uint64_t queued_msgs;
	struct books b;
	bool leak;
	int rc;

	rc = parse_options(argc, argv);
	if (rc) {
		if (rc < 0)
			usage(stderr);
		return rc < 0 ? EXIT_USAGE : 0;
	}
	rng_state = opt.seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(PROG ": seed=%" PRIu64 " seconds=%g chans=%d producers=%d consumers=%d kill_ms=%d unlink_ms=%d stall_seconds=%g%s%s\n",
	       opt.seed, opt.seconds, opt.chans, opt.producers, opt.consumers, opt.kill_ms,
	       opt.unlink_ms, opt.stall_seconds, opt.block ? " block" : "",
	       hchan >= 0 ? " handles" : "");
	rc = set_up(&base);
	if (rc)
		return rc;
	run_load();
	settle_suspicions();
	stop_workers();
	queued_msgs = drain_and_close(&base);
	count_books(&b);
	leak = leaked(&base);
	/* A channel end in a queued message brings its own queued message. */
	if (b.drained + nested_msgs != queued_msgs && !opt.no_drain)
		problem("the module said %" PRIu64 " messages were queued before the drain, the drain found %" PRIu64
			" (and %" PRIu64 " inside channels passed as handles)",
			queued_msgs, b.drained, nested_msgs);
	return report(&b, leak);
}
