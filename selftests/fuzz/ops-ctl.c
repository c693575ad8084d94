// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: calls on the control fd and on any fd: open, close, dup, fcntl,
 * setrlimit, VERSION, STAT, LIST, UNLINK, unknown ioctls, poll, and the
 * processes (fork, SIGKILL mid-call).
 */
#include "fuzz.h"


void op_ctl_open(void)
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

struct slot *ctl_target(void)
{
	if (!pick_kind(K_CTL))
		op_ctl_open();
	return pick_target(K_CTL);
}

void op_close(void)
{
	if (nslots)
		do_close((int)below((uint64_t)nslots));
}

struct rlimit rl_orig;
static rlim_t rl_now = RLIM_INFINITY;

void op_dup(void)
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

void op_fcntl(void)
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
void op_rlimit(void)
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

void op_version(void)
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
	arg_place(&a, &v, sizeof(v), fuzz_ops[OP_VERSION].min, d, WB_ALWAYS, &ex);
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

void op_stat(void)
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
	arg_place(&a, &st, sizeof(st), fuzz_ops[OP_STAT].min, d, WB_ALWAYS, &ex);
	if (d == D_NONE)
		ex.ok = true;
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x ptr=%s", t->fd, a.usize, st.flags, ptr_name[a.mode]);
	judge(OP_STAT, t->kind, sys_ret(ioctl(t->fd, KIPC_IOC_STAT, a.uptr)), &ex);
}

void op_unlink(void)
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
	arg_place(&a, &u, sizeof(u), fuzz_ops[OP_UNLINK].min, d, WB_NEVER, &ex);
	kind_rule(t, K_CTL, &ex);
	D("fd %d size=%u flags=%#x type=%u name=%s rsv=%u ptr=%s", t->fd, a.usize, u.flags,
	  u.type, shown, u.__reserved, ptr_name[a.mode]);
	judge(OP_UNLINK, t->kind, sys_ret(ioctl(t->fd, KIPC_IOC_UNLINK, a.uptr)), &ex);
}


/*
 * The defects every STAT ioctl shares (@flags and @reserved are the
 * argument's): an unknown flag or a reserved field set is EINVAL; chaos
 * scrambles the flags (the caller scrambles outputs); the rest do not
 * apply and become D_NONE. Returns the defect to place the argument with.
 */
enum defect stat_defect(enum defect d, uint32_t *flags, uint32_t *reserved,
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
 * Place a STAT argument @st (@size bytes) of @op, run it on @t and judge
 * it. Returns true when @st holds a result worth checking.
 */
bool stat_call(struct slot *t, enum op op, void *st, size_t size, enum defect d,
	       struct expect *ex)
{
	const struct fuzz_op *o = &fuzz_ops[op];
	const uint32_t *hdr = st;	/* size, flags; __reserved is the caller's */
	struct argp a;

	arg_place(&a, st, size, o->min, d, WB_ALWAYS, ex);
	if (d == D_NONE)
		ex->ok = true;
	kind_rule(t, o->kind, ex);
	D("fd %d size=%u flags=%#x ptr=%s", t->fd, a.usize, hdr[1], ptr_name[a.mode]);
	if (judge(op, t->kind, sys_ret(ioctl(t->fd, o->cmd, a.uptr)), ex) ||
	    a.mode != P_GOOD || d == D_CHAOS)
		return false;
	arg_result(&a, st, size);
	return true;
}

/*
 * A command no kipc fd knows. Types the VFS answers itself before the
 * driver sees the call (FIONBIO, FIOCLEX, FIFREEZE, FS_IOC_*, FICLONE,
 * FIGETBSZ, ...) are skipped: they are not kipc's surface and some change
 * the fd.
 */
static unsigned int bad_cmd(void)
{
	unsigned int cmd, type;
	int op;

	for (;;) {
		switch (below(3)) {
		case 0:
			cmd = _IO(KIPC_IOC_MAGIC, (unsigned int)below(256));
			break;
		case 1:	/* a real number with direction and size bits: not ours */
			do
				op = (int)below(NOPS);
			while (!fuzz_ops[op].cmd);
			cmd = _IOC((unsigned int)below(4), KIPC_IOC_MAGIC,
				   _IOC_NR(fuzz_ops[op].cmd), (unsigned int)below(1u << 14));
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

void op_badcmd(void)
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


void op_poll(void)
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

/* ---- processes ---- */

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
void report_stuck(pid_t pid, const char *what)
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

void op_fork(void)
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

/* ---- KIPC_IOC_LIST ---- */

#define LIST_FILL	0xa5	/* what entries the kernel must not write hold */

/* The smallest id >= @start of an object this worker holds (0: none). */
static uint64_t own_id_from(uint64_t start)
{
	uint64_t best = 0;
	int i;

	for (i = 0; i < nslots; i++)
		if (slots[i].id && slots[i].id >= start && (!best || slots[i].id < best))
			best = slots[i].id;
	return best;
}

/*
 * Room for @n entries of @es bytes that ends at s_list's guard page, so
 * that an entry the kernel writes past them faults instead of landing in
 * the fuzzer's memory; filled with LIST_FILL. Returns the entries.
 */
static uint8_t *list_arena(uint32_t n, uint32_t es)
{
	uint64_t span = (uint64_t)n * es;

	if (span > s_list.len)
		return s_list.rw;	/* faults at the guard: the caller expects that */
	memset(s_list.guard - span, LIST_FILL, (size_t)span);
	return s_list.guard - span;
}

/*
 * What DOC: listing objects promises of a call on @l that returned @r
 * entries at @ents: at most @max_entries, ids ascending from @start_id
 * (and above *@last, the walk's last id so far, which is updated), sane
 * fields, zero past the kernel's entry, nothing written past the count,
 * and a @next_id past the last entry listed. Returns false after a
 * violation.
 */
static bool list_check(const struct kipc_list *l, const uint8_t *ents, long r, uint64_t *last)
{
	struct kipc_list_entry e;
	const uint8_t *p;
	uint64_t prev = *last;
	size_t k;
	long j;

	if ((uint64_t)r > l->max_entries) {
		violation("LIST wrote %ld entries into room for %u: %s", r, l->max_entries, desc);
		return false;
	}
	for (j = 0; j < r; j++) {
		p = ents + (size_t)j * l->entry_size;
		memcpy(&e, p, sizeof(e));
		if (e.id <= prev || e.id < l->start_id) {
			violation("LIST entry %ld has id %" PRIu64 " after id %" PRIu64
				  " (start_id %" PRIu64 "): not ascending from start_id: %s", j,
				  (uint64_t)e.id, prev, (uint64_t)l->start_id, desc);
			return false;
		}
		prev = e.id;
		if ((e.type != KIPC_OBJ_CHAN && e.type != KIPC_OBJ_REGION) ||
		    (e.state & ~KIPC_LIST_NAMED) || e.mode > 0777 || e.__reserved ||
		    e.__reserved2 || !memchr(e.name, 0, sizeof(e.name)) ||
		    !(e.state & KIPC_LIST_NAMED) != !e.name[0]) {
			violation("LIST entry %ld inconsistent: id %" PRIu64 " type %u state %#x mode %o reserved %u/%u name \"%.40s\": %s",
				  j, (uint64_t)e.id, e.type, e.state, e.mode, e.__reserved,
				  e.__reserved2, e.name, desc);
			return false;
		}
		for (k = sizeof(e); k < l->entry_size; k++) {
			if (p[k]) {
				violation("LIST entry %ld byte %zu (past the kernel's %zu-byte entry) is %#x, not zero: %s",
					  j, k, sizeof(e), p[k], desc);
				return false;
			}
		}
	}
	for (k = (size_t)r * l->entry_size; k < (size_t)l->max_entries * l->entry_size; k++) {
		if (ents[k] != LIST_FILL) {
			violation("LIST returned %ld entries but wrote byte %zu of entry %zu: %s", r,
				  k % l->entry_size, k / l->entry_size, desc);
			return false;
		}
	}
	if (l->next_id && (l->next_id < l->start_id || (r > 0 && l->next_id <= prev))) {
		violation("LIST next_id %" PRIu64 " is not past start_id %" PRIu64
			  " and the last id listed %" PRIu64 ": %s", (uint64_t)l->next_id,
			  (uint64_t)l->start_id, prev, desc);
		return false;
	}
	*last = prev;
	return true;
}

/*
 * A whole walk, @max_entries at a time, from @start_id to a @next_id of
 * 0: every object this worker holds (its fds stay open throughout) is
 * listed exactly once, with its own kind, when the caller sees every
 * object (CAP_SYS_ADMIN; others see only named ones they may read).
 */
static void list_walk(struct slot *t)
{
	struct expect ex = { .ok = true };
	uint32_t per = 1 + (uint32_t)below(chance(50) ? 4 : 64), es = pick_entry_size(KIPC_LIST_ENTRY_SIZE_VER0);
	bool seen[MAX_SLOTS] = { false };
	uint64_t last = 0, from = below(2), start = from;
	struct kipc_list l;
	struct kipc_list_entry e;
	uint8_t *ents;
	int page, i;
	long r, j;

	if ((uint64_t)per * es > s_list.len)
		per = (uint32_t)(s_list.len / es);
	for (page = 0; page < 256; page++) {
		ents = list_arena(per, es);
		l = (struct kipc_list){ .size = sizeof(l), .entries = (uintptr_t)ents,
					.entry_size = es, .max_entries = per, .start_id = start };
		D("(walk, page %d) fd %d start_id=%" PRIu64 " max_entries=%u entry_size=%u", page,
		  t->fd, start, per, es);
		r = sys_ret(ioctl(t->fd, KIPC_IOC_LIST, &l));
		if (judge(OP_LIST, t->kind, r, &ex) || !list_check(&l, ents, r, &last))
			return;
		for (j = 0; j < r; j++) {
			memcpy(&e, ents + (size_t)j * es, sizeof(e));
			for (i = 0; i < nslots; i++) {
				if (slots[i].id != e.id)
					continue;
				seen[i] = true;
				if (e.type != (slots[i].kind == K_CHAN ? KIPC_OBJ_CHAN : KIPC_OBJ_REGION))
					violation("LIST says object %" PRIu64 " is of type %u, but fd %d is a %s: %s",
						  (uint64_t)e.id, e.type, slots[i].fd,
						  kind_name[slots[i].kind], desc);
			}
		}
		start = l.next_id;
		if (!start)
			break;
	}
	if (start || !sees_all)
		return;		/* a walk too long for a verdict, or a partial view */
	for (i = 0; i < nslots; i++)
		if (slots[i].id && !seen[i])
			violation("a walk of LIST from start_id %" PRIu64 " did not list object %"
				  PRIu64 " (fd %d, a %s) that this worker held throughout", from,
				  slots[i].id, slots[i].fd, kind_name[slots[i].kind]);
}

/*
 * KIPC_IOC_LIST (DOC: listing objects) on the control fd. A module
 * without it (no KIPC_FEAT_LIST in KIPC_IOC_VERSION's features) gives
 * ENOTTY, and only such a module. Otherwise: the size and pointer
 * defects, an unknown flag, entry sizes outside [KIPC_LIST_ENTRY_SIZE_VER0,
 * page size], an entry array the kernel cannot write, and on calls that
 * pass, what list_check() checks; a quarter of the valid calls is a whole
 * walk (list_walk()).
 */
void op_list(void)
{
	struct kipc_list l = { .size = sizeof(l) };
	enum defect d = pick_defect();
	struct expect ex = { 0 };
	bool has = features & KIPC_FEAT_LIST, ents_ok = true;
	uint64_t own, last = 0;
	struct slot *t;
	uint8_t *ents;
	struct argp a;
	long r;

	t = ctl_target();
	if (has && t->kind == K_CTL && d == D_NONE && chance(25)) {
		list_walk(t);
		return;
	}
	l.entry_size = pick_entry_size(KIPC_LIST_ENTRY_SIZE_VER0);
	l.max_entries = chance(10) ? 0 : chance(70) ? 1 + (uint32_t)below(16) :
			(uint32_t)(s_list.len / l.entry_size);
	l.start_id = chance(50) ? below(2) : chance(50) ? own_id_from(below(1000)) : rnd();
	switch (d) {
	case D_FLAGS:
		l.flags = 1u << below(32);
		expect_err(&ex, EINVAL, "unknown flag");
		break;
	case D_VALUE:
		if (chance(50)) {
			l.entry_size = (uint32_t)below(KIPC_LIST_ENTRY_SIZE_VER0);
			expect_err(&ex, EINVAL, "entry_size below KIPC_LIST_ENTRY_SIZE_VER0");
		} else {
			/* E2BIG as a batch's xfer_size above a page; the DOC names no errno */
			l.entry_size = (uint32_t)pg + 1 + (uint32_t)below(100000);
			expect_err(&ex, E2BIG, "entry_size above the page size");
			ex.err2 = EINVAL;
		}
		break;
	case D_PTR:
		if (chance(50))
			break;		/* the struct's pointer: arg_place() */
		ents_ok = false;
		d = D_NONE;
		break;
	case D_CHAOS:
		l.flags = chance(50) ? chaos32() : 0;
		l.entry_size = chance(50) ? chaos32() : l.entry_size;
		l.max_entries = chance(50) ? chaos32() : l.max_entries;
		l.start_id = chance(50) ? rnd() : l.start_id;
		l.next_id = chance(50) ? rnd() : 0;	/* an output: ignored on input */
		break;
	default:
		d = D_NONE;	/* no reserved field, no name */
		break;
	}
	ents = list_arena(l.max_entries, l.entry_size);
	l.entries = (uintptr_t)ents;
	if (!ents_ok && l.max_entries) {
		switch (below(4)) {
		case 0:
			l.entries = 0;
			break;
		case 1:
			l.entries = (uintptr_t)bad_ptr();
			break;
		case 2:
			l.entries = (uintptr_t)(s_list.ro + (ents - s_list.rw));
			break;
		default:	/* the first entry runs into the guard page */
			l.entries = (uintptr_t)(s_list.guard - below(l.entry_size));
			break;
		}
		own = own_id_from(l.start_id);
		if (own && sees_all)
			expect_err(&ex, EFAULT, "entries not writable, and an object to list");
	} else if (!l.max_entries && chance(50)) {
		l.entries = 0;	/* nothing is written */
	}
	arg_place(&a, &l, sizeof(l), fuzz_ops[OP_LIST].min, d, WB_ALWAYS, &ex);
	if (d == D_NONE && ents_ok && !ex.err)
		ex.ok = true;
	kind_rule(t, K_CTL, &ex);
	if (!has && t->kind == K_CTL)
		ex = (struct expect){ .err = ENOTTY, .why = "the module lacks KIPC_FEAT_LIST" };
	D("fd %d size=%u flags=%#x entries=%s max_entries=%u entry_size=%u start_id=%" PRIu64
	  " ptr=%s", t->fd, a.usize, l.flags, ents_ok ? "good" : "bad", l.max_entries,
	  l.entry_size, (uint64_t)l.start_id, ptr_name[a.mode]);
	r = sys_ret(ioctl(t->fd, KIPC_IOC_LIST, a.uptr));
	if (judge(OP_LIST, t->kind, r, &ex) || a.mode != P_GOOD || d != D_NONE || !ents_ok)
		return;
	arg_result(&a, &l, sizeof(l));
	if (!list_check(&l, ents, r, &last) || l.max_entries || !sees_all)
		return;
	own = own_id_from(l.start_id);
	if (own && (!l.next_id || l.next_id > own))
		violation("LIST with max_entries 0 from start_id %" PRIu64 " gave next_id %" PRIu64
			  ", but object %" PRIu64 " exists: %s", (uint64_t)l.start_id,
			  (uint64_t)l.next_id, own, desc);
}
