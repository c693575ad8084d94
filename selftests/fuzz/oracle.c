// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: judging results: the errno contract, what one call must do, message
 * contents and the exact accounting of private channels.
 */
#include "fuzz.h"

void expect_err(struct expect *ex, int err, const char *why)
{
	if (ex->err || ex->fail)
		return;		/* an earlier check in the kernel's order wins */
	ex->err = err;
	ex->why = why;
}
/*
 * Account for one call and judge its result (>= 0 or -errno). Returns the
 * errno (0 on success).
 */
int judge(enum op op, enum kind k, long ret, const struct expect *ex)
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
			in_child ? "c" : "", callno, fuzz_ops[op].name, kind_name[k], desc,
			e ? -1L : ret, e ? " " : "", e ? ename(e) : "");

	if (sigpipe_seen) {
		sigpipe_seen = 0;
		violation("%s on %s raised SIGPIPE (the contract says no SIGPIPE): %s",
			  fuzz_ops[op].name, kind_name[k], desc);
	}
	if (e && !allowed(op, k, e)) {
		add(&w->unexpected, 1);
		event("UNEXPECTED", "%s on %s returned %s, not in its errno contract: %s [defect %s]",
		      fuzz_ops[op].name, kind_name[k], ename(e), desc, defect_name);
		return e;
	}
	if (!ex)
		return e;
	if (ex->never && e == ex->never) {
		violation("%s on %s returned %s, which it must never give (%s): %s [defect %s]",
			  fuzz_ops[op].name, kind_name[k], ename(e), ex->never_why, desc,
			  defect_name);
		return e;
	}
	if (ex->err && e != ex->err && (!ex->err2 || e != ex->err2) && !universal(e)) {
		violation("%s on %s returned %s, expected %s%s%s (%s): %s [defect %s]", fuzz_ops[op].name,
			  kind_name[k], ename(e), ename(ex->err), ex->err2 ? " or " : "",
			  ex->err2 ? ename(ex->err2) : "", ex->why ? ex->why : "", desc,
			  defect_name);
	} else if ((ex->fail || ex->err) && !e) {
		violation("%s on %s succeeded (%ld) but must fail (%s): %s [defect %s]", fuzz_ops[op].name,
			  kind_name[k], ret, ex->why ? ex->why : "", desc, defect_name);
	} else if (ex->ok && e && !universal(e)) {
		violation("%s on %s failed with %s but must succeed: %s", fuzz_ops[op].name,
			  kind_name[k], ename(e), desc);
	}
	return e;
}

/*
 * Check a received message. @ref: 1 a region reference (its bytes are
 * the region's, unchecked), 0 a plain message, -1 unknown (read(2) does
 * not say; then only messages carrying the header are checked).
 */
void msg_check(const uint8_t *b, size_t len, int ref, const char *how)
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

/*
 * A call with a deadline past 2^63 ns has no timeout (ABI 2): whatever it
 * gives (success, EAGAIN with KIPC_XFER_NONBLOCK, EPIPE, EINTR from the
 * timer when it blocks, an argument's errno), never ETIMEDOUT. This holds
 * for chaos calls too, so it is applied after kind_rule().
 */
void forever_rule(struct expect *ex, __u32 flags, __u64 deadline_ns)
{
	if ((flags & KIPC_XFER_DEADLINE) && deadline_ns >= FOREVER_NS) {
		ex->never = ETIMEDOUT;
		ex->never_why = "a deadline past 2^63 ns is no timeout";
	}
}


/*
 * What sending the message of plan @p on @t must give, past the argument
 * checks: EMSGSIZE above the channel's max_msg_size, EFAULT for a segment
 * the kernel cannot read (or EMSGSIZE, whichever it checks first).
 */
void send_data_expect(struct expect *ex, const struct slot *t, const struct iovplan *p)
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
void recv_check(const char *how, long r, const struct kipc_msg_info *info,
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
int chan_stat_fd(int fd, struct kipc_chan_stat *st, uint64_t *discarded)
{
	struct expect ex = { .ok = true };
	long r;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	snprintf(desc, sizeof(desc), "(accounting) fd %d", fd);
	r = sys_ret(ioctl(fd, KIPC_IOC_CHAN_STAT, st));
	if (discarded)
		*discarded = st->discarded;
	return judge(OP_CHAN_STAT, K_CHAN, r, &ex);
}


void snap_take(struct snap *s, const struct slot *t)
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
void snap_check3(const struct snap *s, const char *call, long ret, int dsent, int drecv,
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

void snap_check(const struct snap *s, const char *call, long ret, int dsent, int drecv)
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
bool empty_rule(struct expect *ex, const struct snap *sn, const struct slot *t,
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

/*
 * The kind a call on @t sees, and the rule for a wrong kind. Chaos calls
 * (several mutations at once) keep only this rule: which of their defects
 * the kernel notices first is not part of the contract.
 */
void kind_rule(const struct slot *t, enum kind want, struct expect *ex)
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
