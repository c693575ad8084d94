// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: regions and references: SHM_OPEN, SHM_STAT, SEND_REF, RECV_REF,
 * references the receiver may not read, and the mappings (mmap, munmap,
 * mprotect, mremap, loads and stores).
 */
#include "fuzz.h"

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

void op_shm_open(void)
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
	switch (open_defect(d, &o.flags, &o.mode, &o.__reserved, &ex)) {
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
		o.length = chance(50) ? rnd() : o.length;
		break;
	default:
		break;
	}
	arg_place(&a, &o, sizeof(o), fuzz_ops[OP_SHM_OPEN].min, d, WB_NEVER, &ex);
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


/* @region_id and @info are outputs: an input with either set is EINVAL. */
static void ref_reserved_defect(struct kipc_ref_xfer *x, struct expect *ex)
{
	if (chance(50))
		x->region_id = 1 + below(1000);
	else
		spoil(&x->info, sizeof(x->info));
	expect_err(ex, EINVAL, "region_id/info must be zero on input");
}

void op_send_ref(void)
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
		ref_reserved_defect(&x, &ex);
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
	arg_place(&a, &x, sizeof(x), fuzz_ops[OP_SEND_REF].min, d, WB_NEVER, &ex);
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

void op_recv_ref(void)
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
		ref_reserved_defect(&x, &ex);
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
	arg_place(&a, &x, sizeof(x), fuzz_ops[OP_RECV_REF].min, d, WB_ON_SUCCESS, &ex);
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
void op_unreadable(void)
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
	if (!chan_stat_fd(fd, &st, NULL)) {
		ch.max_msg_size = st.max_msg_size;
		ch.id = st.id;
	}
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
		switch (below(7)) {
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
		case 5: {
			struct kipc_packed pk = {
				.size = sizeof(pk),
				.flags = KIPC_XFER_NONBLOCK,
				.buf = (uintptr_t)(s_data.rw + AREA_LEN),
				.len = KIPC_PACKED_MAX,
				.nr = 1 + (uint32_t)below(3),
			};

			if (!(features & KIPC_FEAT_PACKED))
				continue;
			D("(unreadable) RECV_PACKED fd %d nr %u", ch.fd, pk.nr);
			r = sys_ret(ioctl(ch.fd, KIPC_IOC_RECV_PACKED, &pk));
			judge(OP_RECV_PACKED, K_CHAN, r, &ex);
			break;
		}
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

void op_shm_stat(void)
{
	struct kipc_shm_stat st = { .size = sizeof(st) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	struct slot *t;

	t = pick_target(K_REGION);
	d = stat_defect(d, &st.flags, &st.__reserved, &ex);
	if (d == D_CHAOS)
		st.length = rnd();
	if (!stat_call(t, OP_SHM_STAT, &st, sizeof(st), d, &ex))
		return;
	if (st.length != t->len || st.id != t->id || st.mode > 0777 || st.length % (uint64_t)pg)
		violation("SHM_STAT inconsistent: length %" PRIu64 " (expected %" PRIu64 ") id %" PRIu64
			  " (expected %" PRIu64 ") mode %o", (uint64_t)st.length, t->len,
			  (uint64_t)st.id, t->id, st.mode);
}

/* ---- region mappings ---- */

void op_mmap(void)
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

void op_munmap(void)
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

void op_mprotect(void)
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

volatile sig_atomic_t fault_expected;
sigjmp_buf fault_jmp;
volatile void *fault_addr;

/* Loads and stores on pages known to be mapped: they must not fault. */
void op_touch(void)
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
void op_mremap(void)
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
