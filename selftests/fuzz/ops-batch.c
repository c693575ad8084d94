// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: KIPC_IOC_SEND_BATCH and KIPC_IOC_RECV_BATCH.
 */
#include "fuzz.h"

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
		/* Only the part of @info an entry of this size holds. */
		spoil(&x->info, bp.stride - offsetof(struct kipc_xfer, info) < sizeof(x->info) ?
			  bp.stride - offsetof(struct kipc_xfer, info) : sizeof(x->info));
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
	size_t xs = sizeof(struct kipc_xfer), used = 0, base = 0, k = 0, cp;
	struct iovec *iov = iovbuf;
	bool fit = chance(85);
	uint32_t j;

	memset(s_ent.rw, 0, ent_dirty);
	memset(&bp.fex, 0, sizeof(bp.fex));
	bp.send = send;
	/*
	 * Entries of an older, shorter struct kipc_xfer (ABI 2's 72 bytes)
	 * are the first xfer_size bytes of this one: the rest reads as zero.
	 */
	bp.stride = b->xfer_size >= KIPC_XFER_SIZE_VER0 && b->xfer_size <= (uint64_t)pg ?
		    b->xfer_size : (uint32_t)xs;
	cp = bp.stride < xs ? bp.stride : xs;
	bp.nr = b->nr < 1 ? 1 : b->nr < MAX_BATCH ? b->nr : MAX_BATCH;
	bp.bi = chance(50) ? 0 : (uint32_t)below(bp.nr);
	bp.ed = ed;
	bp.late = false;
	if (ed == E_TAIL && bp.stride <= xs)
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
		/*
		 * ... but all of them must lie in s_ent: 64 entries of a
		 * page each fill it, and one past its end reads the guard
		 * page (EFAULT), which no good entry may.
		 */
		if (base > s_ent.len - (size_t)bp.nr * bp.stride)
			base = s_ent.len - (size_t)bp.nr * bp.stride;
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
			memcpy(dst, &x, k < cp ? k : cp);	/* the rest is zero */
			expect_err(&e, EFAULT, "entry runs into an unmapped page");
		} else {
			memcpy(dst, &x, cp);
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

/* Entry @j as the kernel left it: its first bp.stride bytes, the rest zero. */
static void ent_read(struct kipc_xfer *x, uint32_t j)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, bp.ents + (size_t)j * bp.stride,
	       bp.stride < sizeof(*x) ? bp.stride : sizeof(*x));
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
		ent_read(&x, 0);
		recv_check(how, r, &x.info, &bp.p[0]);
	}
	for (j = 0; r > 0 && j < (uint32_t)r && j < bp.readable; j++) {
		ent_read(&x, j);
		recv_check(how, x.info.len, &x.info, &bp.p[j]);
	}
	/* A private batch stops short only at an entry that could not take its message. */
	if (r > 0 && (uint32_t)r < n && (uint32_t)r < fe && (uint32_t)r < bp.readable &&
	    bp.p[r].first_bad == SIZE_MAX) {
		ent_read(&x, (uint32_t)r);
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
	b.xfer_size = pick_entry_size(KIPC_XFER_SIZE_VER0);
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
				b.xfer_size = (uint32_t)below(KIPC_XFER_SIZE_VER0);
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
	arg_place(&a, &b, sizeof(b), fuzz_ops[op].min, d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
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
	snap_check(&sn, fuzz_ops[op].name, r, send && r > 0 ? (int)r : 0, !send && r > 0 ? (int)r : 0);
	if (reached)
		batch_check(&b, &sn, r);
}

void op_send_batch(void)
{
	batch_op(true);
}

void op_recv_batch(void)
{
	batch_op(false);
}
