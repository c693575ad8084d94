// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: random numbers, the state a worker holds (fds, mappings, names), the
 * memory the kernel is pointed at, and the reports workers share.
 */
#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* random numbers: xoshiro256** seeded through splitmix64 */

struct rng R;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rnd(void)
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

uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

bool chance(unsigned int pct)
{
	return below(100) < pct;
}

/* A worker's seed: a different stream for each worker index. */
uint64_t derive_seed(uint64_t seed, uint64_t idx)
{
	uint64_t x = seed ^ (0xd1b54a32d192ed03ull * (idx + 1));

	return splitmix64(&x);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* state shared between the main process and the workers */


const char *const kind_name[] = {
	[K_NONE] = "-", [K_CTL] = "ctl", [K_CHAN] = "chan",
	[K_REGION] = "region", [K_BAD] = "badfd",
};

struct shared *sh;
int me;			/* worker index */
bool in_child;		/* a forked child of a worker */
uint64_t callno;		/* calls made by this process */
long pg;
char desc[DESC_LEN];
uint64_t features;
bool sees_all;

struct limits lim = { 65536, 16 << 20, 4ull << 30, 65536 };

void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "E?";
}

void event(const char *what, const char *fmt, ...)
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


volatile sig_atomic_t sigpipe_seen;
bool chaos;	/* the current call is a D_CHAOS one */
const char *defect_name = "none";	/* the current call's, for reports */
const char *const defect_names[] = {
	"none", "short-size", "nonzero-tail", "unknown-flag", "reserved-set", "bad-value",
	"bad-name", "bad-pointer", "chaos",
};

long sys_ret(long r)
{
	return r < 0 ? -errno : r;
}

/* ------------------------------------------------------------------ */
/* memory the kernel is pointed at */


struct scratch s_arg, s_iov, s_name, s_data, s_ent, s_list;

int scratch_init(struct scratch *s, size_t len)
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
void *bad_ptr(void)
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


struct slot slots[MAX_SLOTS];
int nslots;
struct slot bad_slot = { .fd = -1, .kind = K_BAD };
int other_fd = -1;	/* /dev/null: an open fd that is not kipc's */


struct mapping maps[MAX_MAPS];
int nmaps;

char names[MAX_NAMES][32];
char long_name[KIPC_NAME_MAX];	/* 255 characters: the longest valid */

struct slot *pick_kind(enum kind k)
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
int pick_bad_fd(void)
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
struct slot *pick_target(enum kind want)
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
struct slot *pick_chan(bool wr)
{
	int idx[MAX_SLOTS], n = 0, i;

	if (chance(25))
		return pick_target(K_CHAN);
	for (i = 0; i < nslots; i++)
		if (slots[i].kind == K_CHAN && (wr ? slots[i].wr : slots[i].rd))
			idx[n++] = i;
	return n ? &slots[idx[below((uint64_t)n)]] : pick_target(K_CHAN);
}

void add_slot(const struct slot *s)
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

void do_close(int i)
{
	struct expect ex = { .ok = true };
	int fd = slots[i].fd;
	enum kind k = slots[i].kind;

	D("close(%d)", fd);
	judge(OP_CLOSE, k, sys_ret(close(fd)), &ex);
	drop_slot(i);
}

/* Keep room for the fds a call may create. Call before picking slots. */
void make_room(void)
{
	while (nslots >= MAX_SLOTS - 2)
		do_close((int)below((uint64_t)nslots));
}

void drop_map(int i)
{
	maps[i] = maps[--nmaps];
}

/*
 * Unmap what is left of a mapping, run by run: a hole may hold someone
 * else's mapping by now (the kernel reuses free address space), and
 * munmap() over it would take that away.
 */
void unmap_all(int i)
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
