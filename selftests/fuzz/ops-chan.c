// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: calls on channel fds: CHAN_OPEN, SEND, RECV (and DISCARD), CHAN_STAT,
 * read(2) and write(2) in all their forms.
 */
#include "fuzz.h"

void op_chan_open(void)
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
	switch (open_defect(d, &o.flags, &o.mode, &o.__reserved, &ex)) {
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
		o.max_msgs = chance(50) ? chaos32() : o.max_msgs;
		o.max_msg_size = chance(50) ? chaos32() : o.max_msg_size;
		break;
	default:
		break;
	}
	arg_place(&a, &o, sizeof(o), fuzz_ops[OP_CHAN_OPEN].min, d, WB_NEVER, &ex);
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
		s.id = st.id;
		if (st.nr_msgs > st.max_msgs || st.mode > 0777 ||
		    (s.rd && !st.nr_receivers) || (s.wr && !st.nr_senders) ||
		    (s.priv && !(st.state & KIPC_CHAN_ANON)))
			violation("CHAN_STAT of a new channel fd is inconsistent: nr_msgs %u/%u mode %o receivers %u senders %u state %#x",
				  st.nr_msgs, st.max_msgs, st.mode, st.nr_receivers,
				  st.nr_senders, st.state);
	}
	add_slot(&s);
}


void op_send(void)
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
		spoil(&x.info, sizeof(x.info));
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
	arg_place(&a, &x, sizeof(x), fuzz_ops[OP_SEND].min, d == D_PTR && sub ? D_NONE : d, WB_NEVER, &ex);
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
		spoil(&x->info, sizeof(x->info));
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

void op_recv(void)
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
		arg_place(&a, &x, sizeof(x), fuzz_ops[OP_RECV].min, d == D_PTR && sub ? D_NONE : d,
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
void op_discard(void)
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
	arg_place(&a, &x, sizeof(x), fuzz_ops[OP_DISCARD].min, d, WB_ON_SUCCESS, &ex);
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

void op_chan_stat(void)
{
	struct kipc_chan_stat st = { .size = sizeof(st) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;

	t = pick_target(K_CHAN);
	d = stat_defect(d, &st.flags, &st.__reserved, &ex);
	if (d == D_CHAOS)
		st.nr_msgs = chaos32();	/* output: ignored on input */
	if (!stat_call(t, OP_CHAN_STAT, &st, sizeof(st), d, &ex))
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
void op_read(void)
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
void op_write(void)
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
