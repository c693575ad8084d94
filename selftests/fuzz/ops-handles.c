// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: handles (ABI 3): CHAN_PAIR, REOPEN, and messages that carry
 * fds. A handle message is only ever queued on a channel pair made for
 * the call and closed at its end, so the other ops never meet one (their
 * receives would rightly see EMSGSIZE); every fd the call makes or
 * receives is closed before it returns, which it checks.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fuzz.h"

#define H_MAX_LOCAL	(2 * KIPC_HANDLES_MAX + 16)

/* The fds one call opened, all closed by h_close_all(). */
struct hfds {
	int fd[H_MAX_LOCAL];
	int n;
};

static int h_keep(struct hfds *h, int fd)
{
	if (fd >= 0 && h->n < H_MAX_LOCAL)
		h->fd[h->n++] = fd;
	else if (fd >= 0)
		close(fd);	/* not reached: the scenarios make fewer */
	return fd;
}

static void h_close_all(struct hfds *h)
{
	while (h->n)
		if (close(h->fd[--h->n]))
			violation("close of fd %d the handle op opened: %s", h->fd[h->n],
				  ename(errno));
}

/* The lowest free fd: the same before and after a call that leaks nothing. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		fd = fcntl(other_fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * KIPC_IOC_CHAN_PAIR on @ctl with good arguments. Returns 0 with both
 * ends in @h (and @fds), or the errno (judged against the table).
 */
static int h_pair(struct hfds *h, int ctl, int fds[2], uint32_t max_msgs)
{
	struct kipc_chan_pair p = { .size = sizeof(p), .mode = 0600, .max_msgs = max_msgs };
	int e;

	p.flags = KIPC_OPEN_CLOEXEC | (chance(50) ? KIPC_OPEN_NONBLOCK : 0);
	D("(pair) fd %d flags=%#x max_msgs=%u", ctl, p.flags, max_msgs);
	e = judge(OP_CHAN_PAIR, K_CTL, sys_ret(ioctl(ctl, KIPC_IOC_CHAN_PAIR, &p)), NULL);
	if (e)
		return e;
	fds[0] = h_keep(h, p.fds[0]);
	fds[1] = h_keep(h, p.fds[1]);
	return 0;
}

/* fstat() and the access mode of a fd, to know it again after a trip. */
struct fdid {
	dev_t dev;
	ino_t ino;
	int acc;
};

static bool fd_id(int fd, struct fdid *id)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st))
		return false;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->acc = fl & O_ACCMODE;
	return true;
}

/* A handle that can be passed, of an assorted kind; -1 if none could be made. */
static int passable_fd(struct hfds *h, int ctl, const char **what)
{
	struct slot *s;
	int p[2], fd;

	switch (below(9)) {
	case 0:
		*what = "memfd";
		return h_keep(h, (int)syscall(SYS_memfd_create, "kipc-fuzz-h", MFD_CLOEXEC));
	case 1:
		*what = "eventfd";
		return h_keep(h, eventfd((unsigned int)below(10), EFD_CLOEXEC));
	case 2:
		*what = "pipe end";
		if (pipe2(p, O_CLOEXEC))
			return -1;
		h_keep(h, p[0]);
		h_keep(h, p[1]);
		return p[below(2)];
	case 3:
		*what = "/dev/null";
		return other_fd;
	case 4:
		*what = "region";
		s = pick_kind(K_REGION);
		if (s)
			return s->fd;
		*what = "memfd";
		return h_keep(h, (int)syscall(SYS_memfd_create, "kipc-fuzz-h", MFD_CLOEXEC));
	case 5:
		*what = "control fd";
		return ctl;
	case 6:
		*what = "channel";
		s = pick_kind(K_CHAN);
		if (s)
			return s->fd;
		/* fall through */
	default:
		*what = "channel pair end";
		if (h_pair(h, ctl, p, 0))
			return -1;
		fd = p[below(2)];
		return fd;
	}
}

/* 64-byte message bodies: the pattern of a seed, checked on receipt. */
#define H_MSG_LEN	64

static void h_body(uint8_t *b, uint64_t seed)
{
	struct fzhdr hd = { .magic = MSG_MAGIC, .len = H_MSG_LEN, .seed = seed };

	memcpy(b, &hd, sizeof(hd));
	body(b, H_MSG_LEN, seed);
}

static long h_send(int fd, const void *buf, size_t len, const int *fds, uint32_t nfds,
		   uint32_t fd_flags)
{
	struct iovec iov = { (void *)buf, len };
	struct kipc_xfer x = {
		.size = sizeof(x), .flags = KIPC_XFER_NONBLOCK, .iov = (uintptr_t)&iov,
		.iovcnt = 1, .fds = (uintptr_t)fds, .nfds = nfds, .fd_flags = fd_flags,
	};

	return sys_ret(ioctl(fd, KIPC_IOC_SEND, &x));
}

/*
 * Receive the message at the head of @rx that carries @n handles whose
 * identities are @ids: too small a capacity, the ABI 2 size, read(2) and
 * a peek first when drawn (each EMSGSIZE or a peek, the message staying),
 * then a receive with room. Every fd received is checked and closed.
 */
static void h_receive(int rx, uint32_t n, const struct fdid *ids, uint64_t seed)
{
	uint8_t buf[H_MSG_LEN + 16], want[H_MSG_LEN];
	int got[KIPC_HANDLES_MAX];
	struct iovec iov = { buf, sizeof(buf) };
	struct kipc_xfer x;
	struct expect ex;
	struct fdid id;
	uint32_t i;
	long r;
	int e;

	if (n && chance(40)) {
		x = (struct kipc_xfer){ .size = sizeof(x), .flags = KIPC_XFER_NONBLOCK,
					.iov = (uintptr_t)&iov, .iovcnt = 1,
					.fds = (uintptr_t)got, .nfds = (uint32_t)below(n) };
		ex = (struct expect){ .err = EMSGSIZE, .why = "room for fewer fds than it carries" };
		D("(handles) fd %d recv cap %u of %u fds", rx, x.nfds, n);
		r = sys_ret(ioctl(rx, KIPC_IOC_RECV, &x));
		judge(OP_RECV_H, K_CHAN, r, &ex);
		if (r == -EMSGSIZE && x.info.nr_handles != n)
			violation("RECV with room for %u of %u fds: EMSGSIZE but info.nr_handles %u",
				  x.nfds, n, x.info.nr_handles);
	}
	if (n && chance(30)) {
		x = (struct kipc_xfer){ .size = KIPC_XFER_SIZE_VER0, .flags = KIPC_XFER_NONBLOCK,
					.iov = (uintptr_t)&iov, .iovcnt = 1 };
		ex = (struct expect){ .err = EMSGSIZE, .why = "an ABI 2 receive of a handle message" };
		D("(handles) fd %d recv of ABI 2 size, %u fds queued", rx, n);
		judge(OP_RECV_H, K_CHAN, sys_ret(ioctl(rx, KIPC_IOC_RECV, &x)), &ex);
	}
	if (n && chance(30)) {
		ex = (struct expect){ .err = EMSGSIZE, .why = "read(2) of a handle message" };
		D("(handles) read(%d), %u fds queued", rx, n);
		judge(OP_READ, K_CHAN, sys_ret(read(rx, buf, sizeof(buf))), &ex);
	}
	if (chance(30)) {
		x = (struct kipc_xfer){ .size = sizeof(x),
					.flags = KIPC_XFER_NONBLOCK | KIPC_XFER_PEEK,
					.iov = (uintptr_t)&iov, .iovcnt = 1,
					.fds = (uintptr_t)got, .nfds = KIPC_HANDLES_MAX };
		ex = (struct expect){ .ok = true };
		D("(handles) fd %d peek, %u fds queued", rx, n);
		r = sys_ret(ioctl(rx, KIPC_IOC_RECV, &x));
		if (!judge(OP_RECV_H, K_CHAN, r, &ex) && x.info.nr_handles != n)
			violation("PEEK of a message with %u fds: info.nr_handles %u", n,
				  x.info.nr_handles);
	}
	x = (struct kipc_xfer){ .size = sizeof(x), .flags = KIPC_XFER_NONBLOCK,
				.iov = (uintptr_t)&iov, .iovcnt = 1, .fds = (uintptr_t)got,
				.nfds = n + (uint32_t)below(KIPC_HANDLES_MAX - n + 1),
				.fd_flags = chance(30) ? KIPC_FD_NOCLOEXEC : 0 };
	ex = (struct expect){ .ok = true };
	D("(handles) fd %d recv cap %u, %u fds queued, fd_flags %#x", rx, x.nfds, n, x.fd_flags);
	r = sys_ret(ioctl(rx, KIPC_IOC_RECV, &x));
	e = judge(OP_RECV_H, K_CHAN, r, &ex);
	if (e)
		return;		/* EMFILE under a lowered RLIMIT_NOFILE: the pair's close frees it */
	if (x.nfds != n || x.info.nr_handles != n || r != H_MSG_LEN ||
	    (n && !(x.info.flags & KIPC_MSG_HANDLES))) {
		violation("RECV of a %d-byte message with %u fds: %ld bytes, nfds %u, nr_handles %u, flags %#x",
			  H_MSG_LEN, n, r, x.nfds, x.info.nr_handles, x.info.flags);
		if (x.nfds > n)
			x.nfds = 0;	/* do not close what is not ours */
	} else {
		memcpy(want, buf, sizeof(struct fzhdr));
		h_body(want, seed);
		if (memcmp(want, buf, H_MSG_LEN))
			violation("RECV of a handle message: corrupt body: %s", desc);
		else
			add(&sh->w[me].msgs_checked, 1);
	}
	for (i = 0; i < x.nfds; i++) {
		int fdfl = fcntl(got[i], F_GETFD);

		if (!fd_id(got[i], &id) || fdfl < 0) {
			violation("received handle %u (fd %d) is not open: %s", i, got[i],
				  ename(errno));
			continue;
		}
		if (id.dev != ids[i].dev || id.ino != ids[i].ino || id.acc != ids[i].acc)
			violation("received handle %u is not the file sent (dev/ino/access %lu/%lu/%d, sent %lu/%lu/%d)",
				  i, (unsigned long)id.dev, (unsigned long)id.ino, id.acc,
				  (unsigned long)ids[i].dev, (unsigned long)ids[i].ino, ids[i].acc);
		if (!(fdfl & FD_CLOEXEC) != !!(x.fd_flags & KIPC_FD_NOCLOEXEC))
			violation("received handle %u: FD_CLOEXEC %s with fd_flags %#x", i,
				  (fdfl & FD_CLOEXEC) ? "set" : "clear", x.fd_flags);
		if (close(got[i]))
			violation("close of received handle fd %d: %s", got[i], ename(errno));
	}
}

/* What a send in the handle op tries. */
enum hcase { H_GOOD, H_BADFD, H_UNIX, H_SELF, H_REACH, H_TOO_MANY, H_FD_FLAGS, H_BADPTR, H_NCASES };

static const char *const hcase_name[] = {
	"good", "bad fd", "AF_UNIX socket", "own end", "reachable channel", "too many",
	"fd_flags on send", "bad fds pointer",
};

/*
 * One message with handles on a new channel pair: good ones of assorted
 * kinds, or one defect the contract names; then the receives.
 */
void op_send_handles(void)
{
	int fds[KIPC_HANDLES_MAX + 128], a[2], b[2], c[2], sp[2], low0, low1;
	struct fdid ids[KIPC_HANDLES_MAX];
	enum hcase hc = (enum hcase)below(H_NCASES);
	const char *what = "";
	struct hfds h = { .n = 0 };
	struct expect ex = { 0 };
	uint8_t msg[H_MSG_LEN];
	uint64_t seed = rnd();
	struct slot *ctl;
	uint32_t n = 0, i;
	long r;
	int e;

	ctl = pick_kind(K_CTL);
	if (!ctl || !(features & KIPC_FEAT_HANDLES))
		return;
	low0 = lowest_free_fd();
	if (h_pair(&h, ctl->fd, a, 8))
		goto out;
	h_body(msg, seed);
	if (hc != H_TOO_MANY && hc != H_BADPTR) {
		uint32_t want = (uint32_t)below(hc == H_GOOD ? 9 : 4);

		for (n = 0; n < want; n++) {
			fds[n] = passable_fd(&h, ctl->fd, &what);
			if (fds[n] < 0 || !fd_id(fds[n], &ids[n]))
				goto out;	/* EMFILE under a lowered limit: nothing to judge */
		}
	}
	switch (hc) {
	case H_BADFD:
		fds[n++] = pick_bad_fd();
		expect_err(&ex, EBADF, "a handle that is not an open fd");
		break;
	case H_UNIX:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
			goto out;
		h_keep(&h, sp[0]);
		h_keep(&h, sp[1]);
		fds[n++] = sp[below(2)];
		expect_err(&ex, EOPNOTSUPP, "an AF_UNIX socket cannot be passed");
		break;
	case H_SELF:
		fds[n++] = a[below(2)];
		expect_err(&ex, ELOOP, "an end of the channel it is sent on");
		break;
	case H_REACH:
		/* c's send end queued in b: b holds a channel end, so b's ends may not move. */
		if (h_pair(&h, ctl->fd, b, 4) || h_pair(&h, ctl->fd, c, 4))
			goto out;
		D("(handles) fd %d send c's end %d into b", b[1], c[1]);
		r = h_send(b[1], msg, sizeof(msg), &c[1], 1, 0);
		if (judge(OP_SEND_H, K_CHAN, r, NULL))
			goto out;
		fds[n++] = b[below(2)];
		expect_err(&ex, ELOOP, "a channel end whose channel holds a channel end");
		break;
	case H_TOO_MANY:
		n = KIPC_HANDLES_MAX + 1 + (uint32_t)below(100);
		for (i = 0; i < n; i++)
			fds[i] = other_fd;
		expect_err(&ex, EINVAL, "more than KIPC_HANDLES_MAX fds");
		break;
	case H_FD_FLAGS:
		expect_err(&ex, EINVAL, "fd_flags set on a send");
		break;
	case H_BADPTR:
		n = 1 + (uint32_t)below(KIPC_HANDLES_MAX);
		expect_err(&ex, EFAULT, "fds is not readable");
		break;
	default:
		break;
	}
	/* The in-flight limit is charged before the fds are looked at. */
	if (n && hc != H_TOO_MANY && hc != H_FD_FLAGS && hc != H_BADPTR)
		ex.err2 = ETOOMANYREFS;
	D("(handles) fd %d send %u fds (%s%s%s)", a[1], n, hcase_name[hc], n ? ", last " : "",
	  n ? what : "");
	r = h_send(a[1], msg, sizeof(msg), hc == H_BADPTR ? bad_ptr() : fds, n,
		   hc == H_FD_FLAGS ? KIPC_FD_NOCLOEXEC << below(3) : 0);
	e = judge(OP_SEND_H, K_CHAN, r, hc == H_GOOD ? NULL : &ex);
	if (hc == H_GOOD && e && e != ETOOMANYREFS && !universal(e))
		violation("SEND of %u good handles failed with %s: %s", n, ename(e), desc);
	if (e)
		goto out;
	if (r != H_MSG_LEN)
		violation("SEND with %u handles returned %ld for %d bytes: %s", n, r, H_MSG_LEN,
			  desc);
	h_receive(a[0], n, ids, seed);
out:
	h_close_all(&h);
	low1 = lowest_free_fd();
	if (low0 >= 0 && low1 >= 0 && low0 != low1)
		violation("fd leak: lowest free fd %d before the handle op, %d after: %s", low0,
			  low1, desc);
}

/*
 * KIPC_IOC_CHAN_PAIR with its defects; the ends it makes join the slots
 * as private channels (no handles are ever queued on them).
 */
void op_chan_pair(void)
{
	struct kipc_chan_pair p = { .size = sizeof(p) };
	enum defect d = pick_defect();
	struct kipc_chan_stat st;
	struct expect ex = { 0 };
	struct slot *t, s;
	struct argp a;
	long r;
	int i;

	make_room();
	t = ctl_target();
	p.flags = (chance(50) ? KIPC_OPEN_CLOEXEC : 0) | (chance(30) ? KIPC_OPEN_NONBLOCK : 0);
	p.mode = pick_mode();
	p.max_msgs = chance(50) ? 0 : 1 + (uint32_t)below(16);
	p.max_msg_size = chance(50) ? 0 : 1 + (uint32_t)below(4096);
	switch (d) {
	case D_FLAGS:
		p.flags |= chance(50) ? (uint32_t)(KIPC_OPEN_RECV << below(4)) :
			   1u << (6 + below(26));
		expect_err(&ex, EINVAL, "only CLOEXEC and NONBLOCK");
		break;
	case D_RESERVED:
		p.__reserved = chaos32() | 1;
		expect_err(&ex, EINVAL, "reserved field set");
		break;
	case D_VALUE:
		if (chance(50))
			p.max_msgs = (uint32_t)lim.max_msgs + 1 + (uint32_t)below(1000);
		else
			p.max_msg_size = (uint32_t)lim.max_msg_size + 1;
		expect_err(&ex, EINVAL, "limit out of range");
		break;
	case D_CHAOS:
		p.flags = chance(50) ? chaos32() : p.flags;
		p.max_msgs = chance(50) ? chaos32() : p.max_msgs;
		break;
	case D_NAME:
		d = D_NONE;
		break;
	default:
		break;
	}
	arg_place(&a, &p, sizeof(p), fuzz_ops[OP_CHAN_PAIR].min, d, WB_ON_SUCCESS, &ex);
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x mode=%#o max_msgs=%u max_msg_size=%u rsv=%u ptr=%s", t->fd,
	  a.usize, p.flags, p.mode, p.max_msgs, p.max_msg_size, p.__reserved, ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_CHAN_PAIR, a.uptr));
	if (judge(OP_CHAN_PAIR, t->kind, r, &ex))
		return;
	if (a.mode == P_TAIL_GUARD) {
		memcpy(&p, a.uptr, sizeof(p));	/* readable and writable up to the guard */
	} else if (a.mode != P_GOOD) {
		violation("CHAN_PAIR succeeded with argument pointer %s: %s", ptr_name[a.mode],
			  desc);
		return;
	} else {
		arg_result(&a, &p, sizeof(p));
	}
	for (i = 0; i < 2; i++) {
		s = (struct slot){ .fd = p.fds[i], .kind = K_CHAN, .rd = i == 0, .wr = i == 1,
				   .priv = true };
		if (!chan_stat_fd(s.fd, &st, NULL)) {
			s.max_msg_size = st.max_msg_size;
			s.id = st.id;
			if (!(st.state & KIPC_CHAN_ANON) || !st.nr_receivers || !st.nr_senders)
				violation("CHAN_STAT of a new pair end: state %#x receivers %u senders %u",
					  st.state, st.nr_receivers, st.nr_senders);
		}
		add_slot(&s);
	}
}

/*
 * KIPC_IOC_REOPEN on a channel or region slot: the same or less access
 * (EACCES for more), and its defects. A new fd joins the slots.
 */
void op_reopen(void)
{
	struct kipc_reopen o = { .size = sizeof(o) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	enum op op = OP_REOPEN;
	bool rd, wr;
	struct slot *t, s;
	struct argp a;
	long r;

	make_room();
	t = chance(30) ? pick_target(K_REGION) : pick_target(K_CHAN);
	if (t->kind == K_REGION)
		op = OP_REOPEN_R;
	o.flags = (uint32_t)below(4) | (chance(50) ? KIPC_OPEN_CLOEXEC : 0) |
		  (chance(20) ? KIPC_OPEN_NONBLOCK : 0);
	rd = o.flags & KIPC_OPEN_RECV;
	wr = o.flags & KIPC_OPEN_SEND;
	switch (d) {
	case D_FLAGS:
		o.flags |= chance(50) ? KIPC_OPEN_CREAT << below(2) : 1u << (6 + below(26));
		expect_err(&ex, EINVAL, "unknown or open-only flag");
		break;
	case D_RESERVED:
		o.__reserved = rnd() | 1;
		expect_err(&ex, EINVAL, "reserved field set");
		break;
	case D_CHAOS:
		o.flags = chaos32();
		break;
	case D_NAME:
	case D_VALUE:
		d = D_NONE;
		break;
	default:
		break;
	}
	arg_place(&a, &o, sizeof(o), fuzz_ops[op].min, d, WB_NEVER, &ex);
	if (!ex.err && !ex.fail && rd + wr && t->kind == K_CHAN &&
	    ((rd && !t->rd) || (wr && !t->wr)))
		expect_err(&ex, EACCES, "more access than the fd has");
	if (!ex.err && !ex.fail && t->kind == K_REGION && rd && wr && !t->wr)
		expect_err(&ex, EACCES, "write access to a read-only region fd");
	kind_rule(t, t->kind == K_REGION ? K_REGION : K_CHAN, &ex);
	D("fd %d (%s) size=%u flags=%#x rsv=%" PRIu64 " ptr=%s", t->fd, kind_name[t->kind],
	  a.usize, o.flags, (uint64_t)o.__reserved, ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_REOPEN, a.uptr));
	if (judge(op, t->kind, r, &ex))
		return;
	s = *t;
	s.fd = (int)r;
	if (t->kind == K_CHAN) {
		s.rd = (o.flags & KIPC_OPEN_RECV) != 0;
		s.wr = (o.flags & KIPC_OPEN_SEND) != 0;
		if (d != D_CHAOS && !s.rd && !s.wr)
			violation("REOPEN of a channel without access succeeded: %s", desc);
	} else {
		s.wr = t->wr && (o.flags & KIPC_OPEN_SEND);
	}
	add_slot(&s);
}
