// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: KIPC_IOC_SEND_PACKED and KIPC_IOC_RECV_PACKED (DOC: packed
 * batches). A send gets records built from the fuzzer's message images,
 * with at most one defect in one record (the odd one, the first or a
 * later one): a bad first record is the call's errno, a bad later one
 * makes the count short. A receive gets a buffer that is good, read-only,
 * NULL, unmapped or runs into a guard page, of any room; what comes back
 * is walked record by record: every record whole within the room, zero
 * padding, no handles, the payload the fuzzer sent.
 */
#include "fuzz.h"

/* One defect in one send record. */
enum rdefect { R_NONE, R_PRIO, R_PASTLEN, R_BIG, R_FAULT, R_BUF };

static const char *const rdefect_name[] = {
	"none", "prio", "past-len", "above-max_msg_size", "unreadable", "buf",
};

/* Where the records (send) or the room (receive) are. */
enum bufmode { BM_GOOD, BM_RO, BM_NULL, BM_BAD, BM_STRADDLE };

static const char *const bufmode_name[] = {
	[BM_GOOD] = "good", [BM_RO] = "read-only", [BM_NULL] = "NULL", [BM_BAD] = "unmapped",
	[BM_STRADDLE] = "straddles-guard",
};

#define PACKED_HDR	sizeof(struct kipc_packed_send)
#define PACKED_INFO	sizeof(struct kipc_msg_info)

/* A payload length for a send record, at most @budget and (if @max) @max. */
static size_t record_len(size_t budget, uint32_t max)
{
	unsigned int r = (unsigned int)below(100);
	size_t len;

	if (r < 5)
		len = 0;
	else if (r < 60)
		len = 1 + below(64);
	else if (r < 90)
		len = 65 + below(2000);
	else
		len = 2049 + below(14000);
	if (max && len > max)
		len = below((uint64_t)max + 1);
	return len < budget ? len : budget;
}

/* The packed send's plan: where the records are and which must fail. */
static struct {
	uint32_t nb;		/* records built */
	uint32_t bi;		/* the odd one */
	enum rdefect rd;
	enum bufmode bm;
	uint32_t fe;		/* the first record that must fail (nb: none) ... */
	struct expect fex;	/* ... and how */
} sp;

/*
 * Build up to @want records (on @t) with defect @rd in record sp.bi into
 * s_data, and point @p at them (@p->nr is set to sp.nb, the caller may
 * change it). Records sp.fe on must fail.
 */
static void send_build(struct kipc_packed *p, const struct slot *t, uint32_t want,
		       enum rdefect rd)
{
	static uint8_t img[KIPC_PACKED_MAX];
	uint32_t max = t->kind == K_CHAN ? t->max_msg_size : 64, j;
	size_t used = 0, base, cut = 0, k = 0;
	uint8_t *dst;

	memset(&sp, 0, sizeof(sp));
	sp.rd = rd;
	sp.bi = chance(50) ? 0 : (uint32_t)below(want);
	sp.bm = rd == R_FAULT ? BM_STRADDLE : chance(10) ? BM_RO : BM_GOOD;
	if (rd == R_PASTLEN || rd == R_FAULT)
		want = sp.bi + 1;	/* the odd record is the last one */
	sp.fe = want;
	for (j = 0; j < want; j++) {
		struct kipc_packed_send h = { .prio = (uint32_t)below(KIPC_PRIO_MAX + 1) };
		/* Bytes left once this header and the later records' headers are counted. */
		size_t reserve = PACKED_HDR * (want - j), budget, len;

		if (KIPC_PACKED_MAX - used < reserve)
			break;
		budget = (KIPC_PACKED_MAX - used - reserve) & ~(size_t)(KIPC_PACKED_ALIGN - 1);
		len = record_len(budget, max);
		if (j == sp.bi && rd == R_BIG && budget < (size_t)max + 8 + 64)
			sp.rd = rd = R_PRIO;	/* no room for a message that long */
		if (j == sp.bi) {
			switch (rd) {
			case R_PRIO:
				h.prio = KIPC_PRIO_MAX + 1 + (uint32_t)below(chance(50) ? 10 : UINT32_MAX -
								       KIPC_PRIO_MAX);
				sp.fex = (struct expect){ .err = EINVAL,
							  .why = "record priority above KIPC_PRIO_MAX" };
				break;
			case R_PASTLEN:
				sp.fex = (struct expect){ .err = EINVAL, .why = "record runs past len" };
				break;
			case R_BIG:
				len = max + 1 + below(64);
				sp.fex = (struct expect){ .err = EMSGSIZE,
							  .why = "record above max_msg_size" };
				break;
			case R_FAULT:
				sp.fex = (struct expect){ .err = EFAULT,
							  .why = "record runs into an unmapped page" };
				break;
			default:
				break;
			}
			if (rd != R_NONE)
				sp.fe = j;
		}
		h.len = (uint32_t)len;
		memcpy(img + used, &h, sizeof(h));
		msg_image(img + used + PACKED_HDR, len);
		/* Padding: any bytes. */
		memset(img + used + PACKED_HDR + len, (int)below(256),
		       KIPC_PACKED_SEND_SIZE(len) - PACKED_HDR - len);
		if (j == sp.bi && rd == R_PASTLEN)
			cut = used + below(PACKED_HDR + len);	/* header or payload cut */
		if (j == sp.bi && rd == R_FAULT)
			k = below(PACKED_HDR + len);		/* readable bytes of it */
		used += KIPC_PACKED_SEND_SIZE(len);
		sp.nb = j + 1;
	}
	if (sp.nb <= sp.bi || sp.fe > sp.nb) {	/* the odd one was never built */
		sp.fe = sp.nb;
		sp.rd = R_NONE;
		memset(&sp.fex, 0, sizeof(sp.fex));
		cut = 0;
		if (sp.bm == BM_STRADDLE)
			sp.bm = BM_GOOD;
	}
	p->nr = sp.nb;
	p->len = (uint32_t)used;
	if (sp.rd == R_PASTLEN) {
		p->len = (uint32_t)cut;
	} else if (sp.nb && chance(20)) {
		/* The last record's padding may lie past @len. */
		uint32_t last = 0;
		size_t off = 0;

		for (j = 0; j < sp.nb; j++) {
			memcpy(&last, img + off, sizeof(last));
			if (j + 1 < sp.nb)
				off += KIPC_PACKED_SEND_SIZE(last);
		}
		p->len = (uint32_t)(off + PACKED_HDR + last);
	}
	switch (sp.bm) {
	case BM_STRADDLE:
		/* Record bi starts k bytes before the guard page. */
		base = 0;
		for (j = 0; j < sp.bi; j++) {
			uint32_t l;

			memcpy(&l, img + base, sizeof(l));
			base += KIPC_PACKED_SEND_SIZE(l);
		}
		base = s_data.len - k - base;
		dst = s_data.rw + base;
		memcpy(dst, img, s_data.len - base);
		p->buf = (uintptr_t)dst;
		break;
	case BM_RO:
		base = chance(50) ? 8 * below(64) : below(64);
		memcpy(s_data.rw + base, img, used);
		p->buf = (uintptr_t)(s_data.ro + base);
		break;
	default:
		base = chance(50) ? 8 * below(64) : below(64);
		memcpy(s_data.rw + base, img, used);
		p->buf = (uintptr_t)(s_data.rw + base);
		break;
	}
}

/* Flags that never block: NONBLOCK (maybe with a deadline past 2^63 ns) or at most 3 ms. */
static void packed_xmode(struct kipc_packed *p)
{
	xmode_apply(chance(70) ? X_NONBLOCK : chance(80) ? X_DEADLINE : X_FOREVER, &p->flags,
		    &p->deadline_ns);
	if (p->deadline_ns >= FOREVER_NS)
		p->flags |= KIPC_XFER_NONBLOCK;
}

/* D_FLAGS: a flag no packed batch takes. */
static void packed_bad_flag(struct kipc_packed *p, struct expect *ex)
{
	p->flags |= chance(30) ? KIPC_XFER_PEEK : chance(20) ? KIPC_XFER_DISCARD :
		    1u << (3 + below(29));
	expect_err(ex, EINVAL, "flag not valid for a packed batch");
}

/*
 * D_VALUE: @nr or @len out of range (for a receive, a @len above
 * KIPC_PACKED_MAX must leave the room unwritten), or a bad deadline.
 */
static void packed_bad_value(struct kipc_packed *p, struct expect *ex)
{
	switch (below(3)) {
	case 0:
		p->nr = chance(50) ? 0 : chance(50) ? KIPC_BATCH_MAX + 1 :
			(uint32_t)rnd() | 0x80000000u;
		break;
	case 1:
		p->len = chance(50) ? 0 : KIPC_PACKED_MAX + 1 + (uint32_t)below(UINT32_MAX -
										 KIPC_PACKED_MAX);
		break;
	default:
		deadline_defect(&p->flags, &p->deadline_ns);
		break;
	}
	expect_err(ex, EINVAL, "nr, len or deadline invalid");
}

/*
 * D_CHAOS: random flags (never blocking), @nr, @len and deadline. With
 * @shrink_len (a receive, whose room the fuzzer reads back) @len only
 * shrinks.
 */
static void packed_chaos(struct kipc_packed *p, bool shrink_len)
{
	p->flags = chance(50) ? chaos32() : p->flags;
	if (!(p->flags & KIPC_XFER_DEADLINE))
		p->flags |= KIPC_XFER_NONBLOCK;
	p->nr = chance(30) ? chaos32() : p->nr;
	if (shrink_len)
		p->len = chance(30) && p->len ? (uint32_t)below(p->len + 1) : p->len;
	else
		p->len = chance(30) ? chaos32() : p->len;
	p->deadline_ns = chance(20) ? rnd() : p->deadline_ns;
}

/* An errno only a bad record gives, never the queue. */
static bool record_errno(int e)
{
	return e == EINVAL || e == E2BIG || e == EFAULT || e == EMSGSIZE;
}

void op_send_packed(void)
{
	struct kipc_packed p = { .size = sizeof(p) };
	enum defect d = pick_defect();
	enum rdefect rd = R_NONE;
	struct expect ex = { 0 };
	int sub = (int)below(4);
	uint32_t want, fe;
	bool reached;
	struct slot *t;
	struct snap sn;
	struct argp a;
	int e;
	long r;

	t = pick_chan(true);
	packed_xmode(&p);
	want = chance(50) ? 1 + (uint32_t)below(8) : 1 + (uint32_t)below(MAX_BATCH);
	switch (d) {
	case D_RESERVED:	/* no reserved field: a bad record instead */
		rd = R_PRIO;
		break;
	case D_VALUE:
		rd = sub == 1 ? R_PRIO : sub == 2 ? R_PASTLEN : sub == 3 ? R_BIG : R_NONE;
		break;
	case D_PTR:
		rd = sub == 1 ? R_BUF : sub >= 2 ? R_FAULT : R_NONE;
		break;
	case D_NAME:
		d = D_NONE;
		break;
	case D_CHAOS:
		rd = (enum rdefect)below(R_FAULT + 1);
		break;
	default:
		break;
	}
	send_build(&p, t, want, rd == R_BUF ? R_NONE : rd);
	if (rd == R_BUF) {
		p.buf = chance(30) ? 0 : (uintptr_t)bad_ptr();
		sp.rd = R_BUF;
		sp.bm = p.buf ? BM_BAD : BM_NULL;
		sp.fe = 0;
		sp.fex = (struct expect){ .err = EFAULT, .why = "records not readable" };
	}
	if (chance(10) && sp.rd != R_PASTLEN && sp.fe == sp.nb) {
		/* More records claimed than there are: the one past @len is EINVAL. */
		p.nr = sp.nb + 1 + (uint32_t)below(4);
		sp.fex = (struct expect){ .err = EINVAL, .why = "record past len (nr too large)" };
	}
	switch (d) {
	case D_FLAGS:
		packed_bad_flag(&p, &ex);
		break;
	case D_VALUE:
		if (!sub)
			packed_bad_value(&p, &ex);
		break;
	case D_CHAOS:
		packed_chaos(&p, false);
		break;
	default:
		break;
	}
	/* len 0 in a plan that got no room is the struct's EINVAL. */
	if (!p.len)
		expect_err(&ex, EINVAL, "len 0");
	arg_place(&a, &p, sizeof(p), fuzz_ops[OP_SEND_PACKED].min,
		  d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
	if (!t->wr)
		expect_err(&ex, EBADF, "packed send on a receive-only fd");
	fe = p.nr < sp.fe ? p.nr : sp.fe;
	reached = !ex.err && !ex.fail && t->kind == K_CHAN && d != D_CHAOS;
	if (reached && sp.fe == 0)
		ex = sp.fex;
	/* A record past the channel's max_msg_size with a fault: either errno. */
	if (ex.err == EFAULT && sp.rd == R_FAULT)
		ex.err2 = EMSGSIZE;
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, p.flags, p.deadline_ns);
	D("fd %d size=%u flags=%#x nr=%u built=%u len=%u buf=%s odd=%u(%s) must-fail=%u deadline=%"
	  PRIu64 " ptr=%s", t->fd, a.usize, p.flags, p.nr, sp.nb, p.len, bufmode_name[sp.bm], sp.bi,
	  rdefect_name[sp.rd], fe, (uint64_t)p.deadline_ns, ptr_name[a.mode]);
	snap_take(&sn, t);
	r = xfer_ioctl(t->fd, KIPC_IOC_SEND_PACKED, a.uptr, p.flags);
	e = judge(OP_SEND_PACKED, t->kind, r, &ex);
	snap_check(&sn, "SEND_PACKED", r, r > 0 ? (int)r : 0, 0);
	if (!reached)
		return;
	if (r == 0 || (r > 0 && (uint64_t)r > p.nr))
		violation("SEND_PACKED returned %ld for %u records: %s", r, p.nr, desc);
	if (r > 0 && (uint64_t)r > fe)
		violation("SEND_PACKED sent %ld messages, past record %u, which must fail (%s): %s",
			  r, fe, sp.fex.why, desc);
	if (e && fe > 0 && record_errno(e))
		violation("SEND_PACKED failed with %s, but its first record is good (a later bad record makes the count short): %s",
			  ename(e), desc);
	if (sn.valid && fe > 0) {
		uint32_t room = sn.st.nr_msgs < sn.st.max_msgs ? sn.st.max_msgs - sn.st.nr_msgs : 0;
		uint32_t n = fe < room ? fe : room;

		if (r > 0 ? (uint32_t)r != n : n && (e == EAGAIN || e == ETIMEDOUT))
			violation("SEND_PACKED on a private channel with %u free slots and %u good records gave %ld (%s): %s",
				  room, fe, r, e ? ename(e) : "moved", desc);
	}
}

/*
 * The records a packed receive returned (@n of them) in the @avail
 * readable bytes at @b of a room of @room bytes, on @t.
 */
static void recv_walk(const struct slot *t, const uint8_t *b, size_t avail, size_t room, long n)
{
	struct kipc_msg_info info;
	size_t off = 0, k, rec;
	long i;

	for (i = 0; i < n; i++) {
		if (off + PACKED_INFO > avail) {
			violation("RECV_PACKED returned %ld, but record %ld (at %zu) is past the %zu bytes it could write (room %zu): %s",
				  n, i, off, avail, room, desc);
			return;
		}
		memcpy(&info, b + off, sizeof(info));
		rec = KIPC_PACKED_RECV_SIZE(info.len);
		if (off + rec > room || off + rec > avail) {
			violation("RECV_PACKED record %ld of %ld at %zu: info.len %u, record of %zu bytes past the room %zu (writable %zu): %s",
				  i, n, off, info.len, rec, room, avail, desc);
			return;
		}
		if (info.prio > KIPC_PRIO_MAX || info.nr_handles || info.__reserved ||
		    (info.flags & ~KIPC_MSG_REF) ||
		    (t->kind == K_CHAN && t->max_msg_size && info.len > t->max_msg_size)) {
			violation("RECV_PACKED record %ld: len %u prio %u flags %#x nr_handles %u reserved %u (max_msg_size %u): %s",
				  i, info.len, info.prio, info.flags, info.nr_handles,
				  info.__reserved, t->max_msg_size, desc);
			return;
		}
		for (k = PACKED_INFO + info.len; k < rec; k++)
			if (b[off + k]) {
				violation("RECV_PACKED record %ld (len %u): padding byte %zu is %#x, not zero: %s",
					  i, info.len, k - PACKED_INFO - info.len, b[off + k], desc);
				return;
			}
		msg_check(b + off + PACKED_INFO, info.len, (info.flags & KIPC_MSG_REF) ? 1 : 0,
			  "RECV_PACKED");
		off += rec;
	}
}

void op_recv_packed(void)
{
	struct kipc_packed p = { .size = sizeof(p) };
	enum defect d = pick_defect();
	enum bufmode bm = BM_GOOD;
	struct expect ex = { 0 };
	int sub = (int)below(4), e;
	uint8_t *rw = NULL;	/* the room, where the fuzzer can read it */
	size_t room, avail = 0, k = 0;
	unsigned int rr = (unsigned int)below(100);
	bool reached;
	struct slot *t;
	struct snap sn;
	struct argp a;
	long r;

	t = pick_chan(false);
	packed_xmode(&p);
	room = rr < 5 ? 1 + below(PACKED_INFO - 1) : rr < 35 ? PACKED_INFO + below(1024) :
	       1 + below(KIPC_PACKED_MAX);
	p.nr = chance(50) ? 1 + (uint32_t)below(8) : chance(90) ? 1 + (uint32_t)below(MAX_BATCH) :
	       1 + (uint32_t)below(KIPC_BATCH_MAX);
	if (d == D_PTR && sub)
		bm = sub == 1 ? (chance(50) ? BM_NULL : BM_BAD) : sub == 2 ? BM_RO : BM_STRADDLE;
	switch (bm) {
	case BM_GOOD:
		rw = s_data.rw + AREA_LEN + (chance(50) ? 8 * below(64) : below(64));
		avail = room;
		p.buf = (uintptr_t)rw;
		break;
	case BM_RO:
		k = chance(50) ? 8 * below(64) : below(64);
		p.buf = (uintptr_t)(s_data.ro + AREA_LEN + k);
		break;
	case BM_NULL:
		p.buf = 0;
		break;
	case BM_BAD:
		p.buf = (uintptr_t)bad_ptr();
		break;
	case BM_STRADDLE:
		k = below(room);	/* writable bytes before the guard */
		rw = s_data.guard - k;
		avail = k;
		p.buf = (uintptr_t)rw;
		break;
	}
	p.len = (uint32_t)room;
	if (rw)
		memset(rw, 0xa5, avail < 256 ? avail : 256);
	switch (d) {
	case D_FLAGS:
		packed_bad_flag(&p, &ex);
		break;
	case D_RESERVED:
	case D_VALUE:
		packed_bad_value(&p, &ex);
		break;
	case D_NAME:
		d = D_NONE;
		break;
	case D_CHAOS:
		packed_chaos(&p, true);
		break;
	default:
		break;
	}
	arg_place(&a, &p, sizeof(p), fuzz_ops[OP_RECV_PACKED].min,
		  d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
	if (!t->rd)
		expect_err(&ex, EBADF, "packed receive on a send-only fd");
	reached = !ex.err && !ex.fail && t->kind == K_CHAN && d != D_CHAOS;
	/* Every record is written: no success into memory that cannot take one. */
	if (reached && (bm == BM_RO || bm == BM_NULL || bm == BM_BAD))
		ex = (struct expect){ .fail = true, .why = "room not writable" };
	kind_rule(t, K_CHAN, &ex);
	forever_rule(&ex, p.flags, p.deadline_ns);
	D("fd %d size=%u flags=%#x nr=%u len=%u buf=%s writable=%zu deadline=%" PRIu64 " ptr=%s",
	  t->fd, a.usize, p.flags, p.nr, p.len, bufmode_name[bm], bm == BM_GOOD ? room : avail,
	  (uint64_t)p.deadline_ns, ptr_name[a.mode]);
	snap_take(&sn, t);
	if (reached && bm == BM_GOOD)
		empty_rule(&ex, &sn, t, p.flags);
	r = xfer_ioctl(t->fd, KIPC_IOC_RECV_PACKED, a.uptr, p.flags);
	e = judge(OP_RECV_PACKED, t->kind, r, &ex);
	snap_check(&sn, "RECV_PACKED", r, 0, r > 0 ? (int)r : 0);
	if (!reached)
		return;
	if (r == 0 || (r > 0 && (uint64_t)r > p.nr))
		violation("RECV_PACKED returned %ld for nr %u: %s", r, p.nr, desc);
	if (r > 0 && rw)
		recv_walk(t, rw, avail, room, r);
	if (sn.valid && sn.st.nr_msgs && bm == BM_GOOD &&
	    (e == EAGAIN || e == ETIMEDOUT || e == EPIPE))
		violation("RECV_PACKED returned %s with %u message(s) queued on a private channel: %s",
			  ename(e), sn.st.nr_msgs, desc);
	if (e == EMSGSIZE && bm == BM_GOOD) {
		if (room >= PACKED_INFO) {
			struct kipc_msg_info info;

			memcpy(&info, rw, sizeof(info));
			if (!info.nr_handles && KIPC_PACKED_RECV_SIZE(info.len) <= room)
				violation("RECV_PACKED gave EMSGSIZE, but the info at buf says %u bytes (a %llu-byte record) and no handles, which fit the room %zu: %s",
					  info.len,
					  (unsigned long long)KIPC_PACKED_RECV_SIZE(info.len), room,
					  desc);
		} else {
			for (k = 0; k < room; k++)
				if (rw[k] != 0xa5) {
					violation("RECV_PACKED with a %zu-byte room (less than an info) wrote byte %zu: %s",
						  room, k, desc);
					break;
				}
		}
	}
}
