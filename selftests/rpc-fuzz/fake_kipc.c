// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A userspace stand-in for the libkipc calls libkipc-rpc makes, so the
 * transport's receive and decode paths can be fuzzed on a host without
 * kipc.ko. Channels are in-memory queues with the kernel's semantics as far
 * as libkipc-rpc relies on them: names, owner, per-fd direction, counts of
 * senders and receivers, max_msg_size (references included), -EMSGSIZE
 * with info->len, KIPC_DISCARD, EPIPE
 * once a channel is unlinked and has no sender, references (a copy of the
 * referenced bytes), anonymous channels from kipc_chan_pair() with a
 * unique id, and handles: a message sent with kipc_send_handles() holds a
 * dup of each fd (a channel end in flight counts as an open end), plain
 * receives refuse it with -EMSGSIZE and leave it queued,
 * kipc_recv_handles() hands the dups out or says how many it needs,
 * freeing the message closes them; ELOOP as the kernel's cycle rule.
 * Every fd is a real fd (/dev/null opened with the end's access mode) so
 * TI-RPC's poll set accepts it and fcntl(F_GETFL) tells the direction.
 * A channel nobody names or holds an end of is freed with its messages.
 * Single-threaded; global state is fine in a fuzzer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_kipc.h"

#define MAX_FDS		4096

struct fmsg {
	struct fmsg *next;
	struct kipc_msg_info info;
	unsigned int nfds;
	int hfds[KIPC_HANDLES_MAX];	/* owned by the message */
	unsigned char data[];
};

struct fchan {
	char name[KIPC_NAME_MAX];
	bool linked;
	uint32_t uid, max_msg_size, nr_msgs, max_msgs;
	uint64_t id;
	int nr_senders, nr_receivers;
	struct fmsg *head, *tail;
	struct fchan *next_all;
};

static struct fchan *all_chans;
static struct {
	struct fchan *ch;
	bool recv, send;
} fds[MAX_FDS];
static fake_responder_fn responder;
static uint64_t seq, chan_ids;

static void pop(struct fchan *c);

void fake_set_responder(fake_responder_fn fn)
{
	responder = fn;
}

static struct fchan *by_name(const char *name)
{
	struct fchan *c;

	for (c = all_chans; c; c = c->next_all)
		if (c->linked && !strcmp(c->name, name))
			return c;
	return NULL;
}

static struct fchan *by_fd(int fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd].ch : NULL;
}

/* Let the "other side" run (once at a time: it uses this fake too). */
static void respond(int ch)
{
	static bool responding;

	if (!responder || responding)
		return;
	responding = true;
	responder(ch);
	responding = false;
}

static struct fchan *chan_new(const char *name, const struct kipc_chan_attr *attr)
{
	struct fchan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (name)
		snprintf(c->name, sizeof(c->name), "%s", name);
	c->linked = name != NULL;
	c->id = ++chan_ids;
	c->uid = (uint32_t)geteuid();
	c->max_msg_size = attr && attr->max_msg_size ? attr->max_msg_size : 65536;
	c->max_msgs = attr && attr->max_msgs ? attr->max_msgs : 256;
	c->next_all = all_chans;
	all_chans = c;
	return c;
}

/* Free @c once nothing names it and nobody holds an end of it. */
static void chan_maybe_free(struct fchan *c)
{
	struct fchan **pp;

	if (c->linked || c->nr_senders || c->nr_receivers)
		return;
	for (pp = &all_chans; *pp; pp = &(*pp)->next_all)
		if (*pp == c) {
			*pp = c->next_all;
			break;
		}
	/* Its messages' handles may end other channels (never this one). */
	while (c->head)
		pop(c);
	free(c);
}

/* Make the real fd @fd an end of @c with @acc (O_RDONLY, O_WRONLY, O_RDWR). */
static int fd_attach(int fd, struct fchan *c, int acc)
{
	if (fd < 0)
		return -errno;
	if (fd >= MAX_FDS) {
		close(fd);
		return -EMFILE;
	}
	fake_forget_fd(fd);	/* closed behind our back (should not happen) */
	fds[fd].ch = c;
	fds[fd].recv = acc == O_RDONLY || acc == O_RDWR;
	fds[fd].send = acc == O_WRONLY || acc == O_RDWR;
	c->nr_receivers += fds[fd].recv;
	c->nr_senders += fds[fd].send;
	return fd;
}

static int end_open(struct fchan *c, int acc, int flags)
{
	return fd_attach(open("/dev/null", acc | O_CLOEXEC | (flags & O_NONBLOCK)), c, acc);
}

int kipc_chan_open(const char *name, int oflag, mode_t mode, const struct kipc_chan_attr *attr)
{
	struct fchan *c = name ? by_name(name) : NULL;
	int fd, acc = oflag & O_ACCMODE;
	bool created = false;

	(void)mode;
	if (!c && name && !(oflag & O_CREAT)) {
		/* A name the other side has yet to create. */
		respond(-1);
		c = by_name(name);
	}
	if (!c && !(oflag & O_CREAT))
		return -ENOENT;
	if (c && (oflag & O_CREAT) && (oflag & O_EXCL))
		return -EEXIST;
	if (!c) {
		c = chan_new(name, attr);
		if (!c)
			return -ENOMEM;
		created = true;
	}
	fd = end_open(c, acc, oflag);
	if (fd < 0 && created) {
		c->linked = false;
		chan_maybe_free(c);
	}
	return fd;
}

int kipc_chan_pair(int pfds[2], const struct kipc_chan_attr *attr, int flags)
{
	struct fchan *c = chan_new(NULL, attr);
	int r, s;

	if (!c)
		return -ENOMEM;
	r = end_open(c, O_RDONLY, flags);
	if (r < 0) {
		chan_maybe_free(c);
		return r;
	}
	s = end_open(c, O_WRONLY, flags);
	if (s < 0) {
		fake_close(r);
		return s;
	}
	pfds[0] = r;
	pfds[1] = s;
	return 0;
}

/* libkipc-rpc is built with -Dclose=fake_close for the fuzzer. */
void fake_forget_fd(int fd)
{
	struct fchan *c = by_fd(fd);

	if (!c)
		return;
	c->nr_receivers -= fds[fd].recv;
	c->nr_senders -= fds[fd].send;
	fds[fd].ch = NULL;
	chan_maybe_free(c);
}

int fake_close(int fd)
{
	fake_forget_fd(fd);
	return close(fd);
}

void fake_unlink_fd(int fd)
{
	struct fchan *c = by_fd(fd);

	if (c) {
		c->linked = false;
		chan_maybe_free(c);
	}
}

int kipc_chan_unlink(const char *name)
{
	struct fchan *c = by_name(name);

	if (!c)
		return -ENOENT;
	c->linked = false;
	chan_maybe_free(c);
	return 0;
}

int kipc_chan_stat(int ch, struct kipc_chan_stat *st)
{
	struct fchan *c = by_fd(ch);

	if (!c)
		return -EBADF;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->max_msgs = c->max_msgs;
	st->max_msg_size = c->max_msg_size;
	st->nr_msgs = c->nr_msgs;
	st->nr_senders = (uint32_t)c->nr_senders;
	st->nr_receivers = (uint32_t)c->nr_receivers;
	st->uid = c->uid;
	st->mode = 0622;
	st->state = c->linked ? KIPC_CHAN_NAMED : 0;
	st->id = c->id;
	return 0;
}

int fake_queue(int ch, const void *buf, size_t len, uint32_t msg_flags, uint32_t uid)
{
	struct fchan *c = by_fd(ch);
	struct fmsg *m;

	if (!c)
		return -EBADF;
	if (c->nr_msgs >= c->max_msgs)
		return -EAGAIN;
	m = malloc(sizeof(*m) + (len ? len : 1));
	if (!m)
		return -ENOMEM;
	memset(&m->info, 0, sizeof(m->info));
	m->next = NULL;
	m->nfds = 0;
	m->info.seq = ++seq;
	m->info.pid = getpid();	/* alive: the server may watch it */
	m->info.uid = uid;
	m->info.gid = uid;
	m->info.len = (uint32_t)len;
	m->info.flags = msg_flags;
	if (len)
		memcpy(m->data, buf, len);
	if (c->tail)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	c->nr_msgs++;
	return 0;
}

ssize_t kipc_send(int ch, const void *buf, size_t len, unsigned int flags)
{
	struct fchan *c = by_fd(ch);
	int ret;

	(void)flags;
	if (!c)
		return -EBADF;
	if (!fds[ch].send)
		return -EBADF;
	if (len > c->max_msg_size)
		return -EMSGSIZE;
	if (!c->nr_receivers && !c->linked)
		return -EPIPE;
	ret = fake_queue(ch, buf, len, 0, (uint32_t)geteuid());
	return ret ? ret : (ssize_t)len;
}

ssize_t kipc_send_timed(int ch, const void *buf, size_t len, unsigned int flags,
			int64_t timeout_ns)
{
	(void)timeout_ns;
	return kipc_send(ch, buf, len, flags);
}

int kipc_send_ref(int ch, int shm, uint64_t offset, uint64_t len, unsigned int flags)
{
	struct fchan *c = by_fd(ch);
	void *tmp;
	int ret;

	(void)flags;
	if (!c || !fds[ch].send)
		return -EBADF;
	if (len > c->max_msg_size)
		return -EMSGSIZE;
	tmp = malloc(len ? len : 1);
	if (!tmp)
		return -ENOMEM;
	if (pread(shm, tmp, len, (off_t)offset) != (ssize_t)len) {
		free(tmp);
		return -EINVAL;
	}
	ret = fake_queue(ch, tmp, len, KIPC_MSG_REF, (uint32_t)geteuid());
	free(tmp);
	return ret;
}

/* Does a message queued in @c hold a channel end? */
static bool holds_end(const struct fchan *c)
{
	const struct fmsg *m;
	unsigned int i;

	for (m = c->head; m; m = m->next)
		for (i = 0; i < m->nfds; i++)
			if (by_fd(m->hfds[i]))
				return true;
	return false;
}

ssize_t kipc_send_handles(int ch, const void *buf, size_t len, const int *hfds,
			  unsigned int nfds, unsigned int flags)
{
	struct fchan *c = by_fd(ch), *hc;
	int dups[KIPC_HANDLES_MAX];
	unsigned int i, n = 0;
	int ret, fd;

	(void)flags;
	if (!c || !fds[ch].send)
		return -EBADF;
	if (nfds > KIPC_HANDLES_MAX)
		return -EINVAL;
	if (len > c->max_msg_size)
		return -EMSGSIZE;
	if (!c->nr_receivers && !c->linked)
		return -EPIPE;
	if (c->nr_msgs >= c->max_msgs)
		return -EAGAIN;
	/* The kernel's cycle rule: no end of @c, no end holding ends. */
	for (i = 0; i < nfds; i++) {
		hc = by_fd(hfds[i]);
		if (hc && (hc == c || holds_end(hc)))
			return -ELOOP;
	}
	/* The message holds the same files: dups, ends counted as open. */
	for (ret = 0; n < nfds; n++) {
		hc = by_fd(hfds[n]);
		fd = fcntl(hfds[n], F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		if (hc) {
			fd = fd_attach(fd, hc, fds[hfds[n]].recv ?
				       (fds[hfds[n]].send ? O_RDWR : O_RDONLY) : O_WRONLY);
			if (fd < 0) {
				ret = fd;
				break;
			}
		} else if (fd < MAX_FDS) {
			fake_forget_fd(fd);	/* not a channel end */
		}
		dups[n] = fd;
	}
	if (!ret)
		ret = fake_queue(ch, buf, len, 0, (uint32_t)geteuid());
	if (ret) {
		while (n)
			fake_close(dups[--n]);
		return ret;
	}
	memcpy(c->tail->hfds, dups, nfds * sizeof(dups[0]));
	c->tail->nfds = nfds;
	c->tail->info.nr_handles = nfds;
	if (nfds)
		c->tail->info.flags |= KIPC_MSG_HANDLES;
	return (ssize_t)len;
}

/* The head message of @ch, asking the responder for one if there is none. */
static struct fmsg *head_of(int ch)
{
	struct fchan *c = by_fd(ch);

	if (!c->head)
		respond(ch);
	return c->head;
}

static void pop(struct fchan *c)
{
	struct fmsg *m = c->head;

	c->head = m->next;
	if (!c->head)
		c->tail = NULL;
	c->nr_msgs--;
	while (m->nfds)
		fake_close(m->hfds[--m->nfds]);
	free(m);
}

static ssize_t recv_common(int ch, const struct iovec *iov, int iovcnt,
			   struct kipc_msg_info *info, unsigned int flags)
{
	struct fchan *c = by_fd(ch);
	struct fmsg *m;
	size_t cap = 0, off = 0;
	ssize_t len;
	int i;

	if (!c || !fds[ch].recv)
		return -EBADF;
	m = head_of(ch);
	if (!m)
		return (!c->nr_senders && !c->linked) ? -EPIPE : -EAGAIN;
	for (i = 0; i < iovcnt; i++)
		cap += iov[i].iov_len;
	if (info)
		*info = m->info;
	if (flags & KIPC_DISCARD) {
		len = m->info.len;
		pop(c);
		return len;
	}
	if (cap < m->info.len || m->nfds)	/* handles: only kipc_recv_handles() */
		return -EMSGSIZE;
	for (i = 0; i < iovcnt && off < m->info.len; i++) {
		size_t n = m->info.len - off < iov[i].iov_len ? m->info.len - off : iov[i].iov_len;

		memcpy(iov[i].iov_base, m->data + off, n);
		off += n;
	}
	len = m->info.len;
	pop(c);
	return len;
}

ssize_t kipc_recv(int ch, void *buf, size_t len, struct kipc_msg_info *info, unsigned int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n;

	n = recv_common(ch, &iov, 1, info, flags);
	/* A blocking receive that would wait forever: there is no other side. */
	if (n == -EAGAIN && !(flags & KIPC_NONBLOCK))
		return -ETIMEDOUT;
	return n;
}

ssize_t kipc_recv_timed(int ch, void *buf, size_t len, struct kipc_msg_info *info,
			unsigned int flags, int64_t timeout_ns)
{
	(void)timeout_ns;
	return kipc_recv(ch, buf, len, info, flags & ~KIPC_NONBLOCK);
}

ssize_t kipc_recvv(int ch, const struct iovec *iov, int iovcnt, struct kipc_msg_info *info,
		   unsigned int flags)
{
	return recv_common(ch, iov, iovcnt, info, flags);
}

ssize_t kipc_recv_handles(int ch, void *buf, size_t len, int *hfds, unsigned int *nfds,
			  struct kipc_msg_info *info, unsigned int flags)
{
	struct fchan *c = by_fd(ch);
	struct fmsg *m;
	ssize_t n;

	if (!c || !fds[ch].recv)
		return -EBADF;
	m = head_of(ch);
	if (!m) {
		if (!c->nr_senders && !c->linked)
			return -EPIPE;
		return (flags & KIPC_NONBLOCK) ? -EAGAIN : -ETIMEDOUT;
	}
	if (info)
		*info = m->info;
	if (flags & KIPC_DISCARD) {
		n = m->info.len;
		pop(c);
		return n;
	}
	if (*nfds < m->nfds) {
		*nfds = m->nfds;
		return -EMSGSIZE;
	}
	if (len < m->info.len)
		return -EMSGSIZE;
	if (m->info.len)
		memcpy(buf, m->data, m->info.len);
	n = m->info.len;
	/* The dups become the receiver's fds. */
	memcpy(hfds, m->hfds, m->nfds * sizeof(m->hfds[0]));
	*nfds = m->nfds;
	m->nfds = 0;
	pop(c);
	return n;
}

/* The cache holds a copy of the last referenced bytes; the ref points into it. */
int kipc_recv_ref_cached(int ch, struct kipc_ref_cache *cache, struct kipc_ref *ref,
			 struct kipc_msg_info *info, unsigned int flags)
{
	struct fchan *c = by_fd(ch);
	struct fmsg *m;
	void *copy;

	(void)flags;
	*ref = (struct kipc_ref)KIPC_REF_INIT;
	if (!c || !fds[ch].recv)
		return -EBADF;
	m = head_of(ch);
	if (!m)
		return -EAGAIN;
	if (!(m->info.flags & KIPC_MSG_REF))
		return -ENOMSG;
	if (m->nfds)
		return -EMSGSIZE;
	copy = malloc(m->info.len ? m->info.len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, m->data, m->info.len);
	free(cache->base);
	cache->base = copy;
	cache->size = m->info.len;
	ref->addr = copy;
	ref->len = m->info.len;
	if (info)
		*info = m->info;
	pop(c);
	return 0;
}

int kipc_ref_cache_fini(struct kipc_ref_cache *cache)
{
	free(cache->base);
	*cache = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	return 0;
}

int kipc_shm_open(const char *name, int oflag, mode_t mode, size_t size)
{
	int fd;

	(void)name;
	(void)oflag;
	(void)mode;
	fd = memfd_create("fake-kipc-region", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

void fake_drain(int ch)
{
	struct fchan *c = by_fd(ch);

	while (c && c->head)
		pop(c);
}

const void *fake_peek(int ch, size_t *len)
{
	struct fchan *c = by_fd(ch);

	if (!c || !c->head)
		return NULL;
	*len = c->head->info.len;
	return c->head->data;
}
