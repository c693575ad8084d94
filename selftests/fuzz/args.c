// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: the arguments: ioctl structs with their defects, names, messages,
 * iovec plans and blocking modes.
 */
#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* ioctl arguments */



enum defect pick_defect(void)
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


const char *const ptr_name[] = {
	[P_GOOD] = "good", [P_NULL] = "NULL", [P_BAD] = "unmapped",
	[P_STRADDLE] = "straddles-guard", [P_RO] = "read-only",
	[P_TAIL_GUARD] = "guard-after-struct",
};


uint8_t argbuf[16384] __attribute__((aligned(64)));


/* A random value for a 32-bit field, biased towards edges. */
uint32_t chaos32(void)
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
void arg_place(struct argp *a, const void *s, size_t ksize, size_t min,
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
void arg_result(const struct argp *a, void *s, size_t ksize)
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
uint64_t pick_name(bool defect, bool anon_ok, struct expect *ex, char *shown,
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


static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

void body(uint8_t *b, size_t len, uint64_t seed)
{
	size_t i;

	for (i = sizeof(struct fzhdr); i < len; i += 8) {
		uint64_t w = mix(seed + i);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(b + i, &w, n);
	}
}

void msg_image(uint8_t *b, size_t len)
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



size_t pick_msg_len(void)
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


struct iovec iovbuf[NIOV_MANY + 2];
uint8_t txbuf[AREA_LEN];


/*
 * A plan whose iovec array is @iov and whose segments start @off bytes
 * into the transmit or receive half of the arena. Returns the offset just
 * past its last segment, where the next plan may start.
 */
size_t plan_iov_at(struct iovplan *p, struct iovec *iov, size_t off, size_t total,
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

void plan_iov(struct iovplan *p, size_t total, bool tx, bool allow_bad)
{
	plan_iov_at(p, iovbuf, 0, total, tx, (allow_bad ? PLAN_BAD : 0) | PLAN_RO | PLAN_MANY);
}

/* A receive plan of one good segment as large as the receive half of the arena. */
void plan_flat(struct iovplan *p)
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
const uint8_t *gather(const struct iovplan *p, size_t n)
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
void *place_iov(const struct iovplan *p, bool defect, struct expect *ex,
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

void arm_timer(void)
{
	suseconds_t us = (suseconds_t)(500 + below(2500));
	struct itimerval it = { .it_value = { 0, us }, .it_interval = { 0, us } };

	setitimer(ITIMER_REAL, &it, NULL);
}

void disarm_timer(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}


enum xmode pick_xmode(void)
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

void xmode_apply(enum xmode m, __u32 *flags, __u64 *deadline_ns)
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



/* Deadline field defects, shared by the transfer ioctls. */
void deadline_defect(__u32 *flags, __u64 *deadline_ns)
{
	if (*flags & KIPC_XFER_DEADLINE)
		*deadline_ns = 0;		/* flagged but zero */
	else
		*deadline_ns = 1 + below(1000);	/* set but not flagged */
}

/* A transfer ioctl, bounded by the timer unless @xflags says NONBLOCK. */
long xfer_ioctl(int fd, unsigned long cmd, void *arg, __u32 xflags)
{
	long r;

	if (!(xflags & KIPC_XFER_NONBLOCK))
		arm_timer();
	r = sys_ret(ioctl(fd, cmd, arg));
	disarm_timer();
	return r;
}

/*
 * The defects CHAN_OPEN and SHM_OPEN share: an unknown flag or a reserved
 * field set is EINVAL; chaos scrambles the flags, maybe the mode and the
 * reserved field. Returns @d for the caller's own part (D_VALUE, the rest
 * of chaos).
 */
enum defect open_defect(enum defect d, __u32 *flags, __u32 *mode, __u32 *reserved,
			struct expect *ex)
{
	switch (d) {
	case D_FLAGS:
		*flags |= 1u << (6 + below(26));
		expect_err(ex, EINVAL, "unknown flag");
		break;
	case D_RESERVED:
		*reserved = 1 + (uint32_t)below(1000);
		expect_err(ex, EINVAL, "reserved field set");
		break;
	case D_CHAOS:
		*flags = chaos32();
		*mode = chance(50) ? chaos32() : *mode;
		*reserved = chance(30) ? chaos32() : 0;
		break;
	default:
		break;
	}
	return d;
}

/* One byte of the input-only field at @p (@len bytes) made non-zero. */
void spoil(void *p, size_t len)
{
	((uint8_t *)p)[below(len)] = (uint8_t)(1 + below(255));
}

/*
 * A valid size for the entries of an array (a batch's @xfer_size, a
 * listing's @entry_size) whose first release's entry is @min bytes:
 * mostly @min, sometimes a newer caller's, up to a page.
 */
uint32_t pick_entry_size(uint32_t min)
{
	unsigned int r = (unsigned int)below(100);

	if (r < 80)
		return min;
	if (r < 92)
		return min + 8 * (1 + (uint32_t)below(16));
	if (r < 97)
		return min + (uint32_t)below((uint64_t)pg - min + 1);
	return (uint32_t)pg;
}

uint32_t pick_mode(void)
{
	static const uint32_t modes[] = { 0600, 0666, 0644, 0640, 0, 0777, 0200, 0400 };

	return modes[below(sizeof(modes) / sizeof(modes[0]))];
}

uint32_t pick_access(void)
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

uint32_t pick_open_extras(void)
{
	return (chance(70) ? KIPC_OPEN_CREAT : 0) | (chance(15) ? KIPC_OPEN_EXCL : 0) |
	       (chance(30) ? KIPC_OPEN_NONBLOCK : 0) | (chance(50) ? KIPC_OPEN_CLOEXEC : 0);
}
