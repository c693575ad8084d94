// SPDX-License-Identifier: GPL-2.0
/*
 * The kipc transports:
 *
 *   kipc-chan   copy path: kipc_send() / kipc_recv() on an anonymous
 *               channel of depth = window, max_msg_size = the message size
 *   kipc-ref    reference handoff: the producer writes the payload into a
 *               slot of a region and sends (region, offset, len) with
 *               kipc_send_ref(); the consumer gets it with kipc_recv_ref_cached()
 *               and reads it in place through the library's read-only
 *               mapping, then posts a kipc_sem_t in the region's header to
 *               give the slot back (the producer waits on it before
 *               reusing a slot), so the reuse protocol is paid for
 *   kipc-sem    a ring of slots in a region, two kipc_sem_t (items,
 *               spaces): the kernel only sees futex waits and wakes
 *   kipc-spin   the same ring with atomic head/tail and busy polling:
 *               the shared-memory floor (no kernel at all)
 *   kipc-chan-rr  (scale test) 64-byte messages round robin over N
 *               channels, with a global window of credits in a kipc_sem_t
 *
 * Every object is created anonymous by side B before the fork, so both
 * sides inherit the fds and mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kipc.h>

#include "bench.h"

#define RING_HDR	4096	/* header page before a lane's slots */

/* An anonymous channel for @c: 0, XP_NA (a module or fd limit stops it) or -errno. */
int kchan_open(struct cell *c, uint32_t depth, uint32_t msg_size, int *fd)
{
	struct kipc_chan_attr attr = { .max_msgs = depth, .max_msg_size = msg_size };
	int ret = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, &attr);

	if (ret == -EINVAL && env.kipc_max_msg_size > 0 &&
	    msg_size > (unsigned long)env.kipc_max_msg_size)
		return xp_na(c, "above the module's max_msg_size (%ld): insmod kipc.ko max_msg_size=N",
			     env.kipc_max_msg_size);
	if (ret == -EMFILE)
		return xp_na(c, "out of file descriptors (RLIMIT_NOFILE)");
	if (ret < 0)
		return xp_fail(c, ret, "kipc_chan_open");
	*fd = ret;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ------------------------------------------------------------ kipc-chan */

struct kchan {
	int ch[2];
	void *txbuf, *rxbuf;
};

static int kchan_setup(struct cell *c)
{
	struct kchan *k = calloc(1, sizeof(*k));
	int l, ret;

	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	k->ch[0] = k->ch[1] = -1;
	c->priv = k;
	for (l = 0; l < nr_lanes(c); l++) {
		ret = kchan_open(c, c->window, (uint32_t)c->size, &k->ch[l]);
		if (ret)
			return ret;
	}
	return 0;
}

static int kchan_attach(struct cell *c)
{
	struct kchan *k = c->priv;

	k->txbuf = buf_alloc(c->size);
	k->rxbuf = buf_alloc(c->size);
	if (!k->txbuf || !k->rxbuf)
		return xp_fail(c, -ENOMEM, "buffers");
	return 0;
}

static int kchan_tx_buf(struct cell *c, void **buf)
{
	*buf = ((struct kchan *)c->priv)->txbuf;
	return 0;
}

static int kchan_send(struct cell *c, size_t len)
{
	struct kchan *k = c->priv;
	ssize_t ret;

	do
		ret = kipc_send(k->ch[tx_lane(c)], k->txbuf, len, 0);
	while (eintr_retry((int)ret));
	if (ret < 0)
		return xp_fail(c, (int)ret, "kipc_send");
	return 0;
}

static int kchan_recv(struct cell *c, size_t len, const void **data)
{
	struct kchan *k = c->priv;
	ssize_t ret;

	do
		ret = kipc_recv(k->ch[rx_lane(c)], k->rxbuf, c->size, NULL, 0);
	while (eintr_retry((int)ret));
	if (ret < 0)
		return xp_fail(c, (int)ret, "kipc_recv");
	if ((size_t)ret != len)
		return xp_fail(c, -EPROTO, "kipc_recv: %zd bytes, expected %zu", ret, len);
	*data = k->rxbuf;
	return 0;
}

static void kchan_teardown(struct cell *c)
{
	struct kchan *k = c->priv;

	if (!k)
		return;
	close_fd(&k->ch[0]);
	close_fd(&k->ch[1]);
	buf_free(k->txbuf, c->size);
	buf_free(k->rxbuf, c->size);
	free(k);
	c->priv = NULL;
}

const struct xport xp_kipc_chan = {
	.name = "kipc-chan",
	.label = "kipc channel: kipc_send/kipc_recv (copy in, copy out)",
	.flags = XP_KIPC,
	.setup = kchan_setup,
	.attach = kchan_attach,
	.tx_buf = kchan_tx_buf,
	.send = kchan_send,
	.recv = kchan_recv,
	.teardown = kchan_teardown,
};

/* ------------------------------------------------------- region helper */

struct region {
	int fd;
	char *base;
	size_t len;
};

static int region_create(struct cell *c, size_t len, struct region *r)
{
	void *base;
	size_t maplen;
	int ret;

	r->fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, len);
	if (r->fd < 0) {
		ret = r->fd;
		r->fd = -1;
		if (ret == -ENOSPC)
			return xp_na(c, "region of %zu bytes above the module's max_region_bytes", len);
		return xp_fail(c, ret, "kipc_shm_open(%zu bytes)", len);
	}
	ret = kipc_shm_map(r->fd, PROT_READ | PROT_WRITE, &base, &maplen);
	if (ret)
		return xp_fail(c, ret, "kipc_shm_map");
	r->base = base;
	r->len = maplen;
	return 0;
}

static void region_destroy(struct region *r)
{
	if (r->base)
		kipc_shm_unmap(r->base, r->len);
	r->base = NULL;
	close_fd(&r->fd);
}

static size_t lane_bytes(const struct cell *c)
{
	return RING_HDR + (size_t)c->window * slot_stride(c->size);
}

/* ------------------------------------------------------------- kipc-ref */

struct kref_lane {
	int ch;
	struct region r;	/* mapped read-write by both sides (fork) */
};

struct kref {
	struct kref_lane lane[2];
	struct kipc_ref_cache cache;	/* the receive side's mapping (fast path) */
	struct kipc_ref ref;	/* the last reference received */
	uint64_t txcount;
	uint64_t tx_off;
};

static kipc_sem_t *kref_free_sem(struct kref_lane *l)
{
	return (kipc_sem_t *)l->r.base;
}

static int kref_setup(struct cell *c)
{
	struct kref *k = calloc(1, sizeof(*k));
	int l, ret;

	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	c->priv = k;
	k->cache = (struct kipc_ref_cache)KIPC_REF_CACHE_INIT;
	for (l = 0; l < 2; l++) {
		k->lane[l].ch = -1;
		k->lane[l].r.fd = -1;
	}
	for (l = 0; l < nr_lanes(c); l++) {
		ret = region_create(c, lane_bytes(c), &k->lane[l].r);
		if (ret)
			return ret;
		ret = kipc_sem_init(kref_free_sem(&k->lane[l]), c->window);
		if (ret)
			return xp_fail(c, ret, "kipc_sem_init");
		/*
		 * A reference is held to the channel's max_msg_size like a
		 * copy (the kernel refuses a longer one): as large as a message.
		 */
		ret = kchan_open(c, c->window, (uint32_t)c->size, &k->lane[l].ch);
		if (ret)
			return ret;
	}
	return 0;
}

static int kref_tx_buf(struct cell *c, void **buf)
{
	struct kref *k = c->priv;
	struct kref_lane *l = &k->lane[tx_lane(c)];
	int ret;

	/* Wait until the consumer has given a slot back. */
	do
		ret = kipc_sem_wait(kref_free_sem(l));
	while (eintr_retry(ret));
	if (ret)
		return xp_fail(c, ret, "kipc_sem_wait (free slots)");
	k->tx_off = RING_HDR + (k->txcount % c->window) * slot_stride(c->size);
	*buf = l->r.base + k->tx_off;
	return 0;
}

static int kref_send(struct cell *c, size_t len)
{
	struct kref *k = c->priv;
	struct kref_lane *l = &k->lane[tx_lane(c)];
	int ret;

	do
		ret = kipc_send_ref(l->ch, l->r.fd, k->tx_off, len, 0);
	while (eintr_retry(ret));
	if (ret)
		return xp_fail(c, ret, "kipc_send_ref");
	k->txcount++;
	return 0;
}

static int kref_recv(struct cell *c, size_t len, const void **data)
{
	struct kref *k = c->priv;
	int ret;

	do
		ret = kipc_recv_ref_cached(k->lane[rx_lane(c)].ch, &k->cache, &k->ref, NULL, 0);
	while (eintr_retry(ret));
	if (ret)
		return xp_fail(c, ret, "kipc_recv_ref_cached");
	if (k->ref.len != len)
		return xp_fail(c, -EPROTO, "kipc_recv_ref_cached: %llu bytes, expected %zu",
			       (unsigned long long)k->ref.len, len);
	*data = k->ref.addr;
	return 0;
}

static int kref_release(struct cell *c)
{
	struct kref *k = c->priv;
	int ret = kipc_sem_post(kref_free_sem(&k->lane[rx_lane(c)]));

	return ret ? xp_fail(c, ret, "kipc_sem_post (free slots)") : 0;
}

static void kref_teardown(struct cell *c)
{
	struct kref *k = c->priv;
	int l;

	if (!k)
		return;
	kipc_ref_cache_fini(&k->cache);
	for (l = 0; l < 2; l++) {
		close_fd(&k->lane[l].ch);
		region_destroy(&k->lane[l].r);
	}
	free(k);
	c->priv = NULL;
}

const struct xport xp_kipc_ref = {
	.name = "kipc-ref",
	.label = "kipc reference handoff: payload written into a region, kipc_send_ref/kipc_recv_ref_cached, read in place, slot returned via kipc_sem_t",
	.flags = XP_KIPC | XP_ZEROCOPY,
	.setup = kref_setup,
	.tx_buf = kref_tx_buf,
	.send = kref_send,
	.recv = kref_recv,
	.release = kref_release,
	.teardown = kref_teardown,
};

/* ------------------------------------------------- kipc-sem / kipc-spin */

/*
 * One region, one ring per lane: a header page, then window slots. The
 * header holds two kipc_sem_t (kipc-sem) or two atomic counters
 * (kipc-spin), each in its own cache line.
 */
struct ring_hdr {
	union {
		kipc_sem_t sem;
		_Atomic uint64_t idx;
	} items __attribute__((aligned(64)));	/* published slots / head */
	union {
		kipc_sem_t sem;
		_Atomic uint64_t idx;
	} spaces __attribute__((aligned(64)));	/* free slots / tail */
};

struct ring {
	struct region r;
	uint64_t txcount, rxcount;	/* this process's own counters */
};

static struct ring_hdr *ring_lane(struct cell *c, int lane)
{
	struct ring *g = c->priv;

	return (struct ring_hdr *)(g->r.base + (size_t)lane * lane_bytes(c));
}

static char *ring_slot(struct cell *c, int lane, uint64_t n)
{
	return (char *)ring_lane(c, lane) + RING_HDR + (n % c->window) * slot_stride(c->size);
}

static int ring_setup(struct cell *c, bool sems)
{
	struct ring *g = calloc(1, sizeof(*g));
	int l, ret;

	if (!g)
		return xp_fail(c, -ENOMEM, "calloc");
	g->r.fd = -1;
	c->priv = g;
	ret = region_create(c, lane_bytes(c) * (size_t)nr_lanes(c), &g->r);
	if (ret)
		return ret;
	for (l = 0; l < nr_lanes(c) && sems; l++) {
		ret = kipc_sem_init(&ring_lane(c, l)->items.sem, 0);
		if (!ret)
			ret = kipc_sem_init(&ring_lane(c, l)->spaces.sem, c->window);
		if (ret)
			return xp_fail(c, ret, "kipc_sem_init");
	}
	return 0;
}

static void ring_teardown(struct cell *c)
{
	struct ring *g = c->priv;

	if (!g)
		return;
	region_destroy(&g->r);
	free(g);
	c->priv = NULL;
}

static int ksem_setup(struct cell *c)
{
	return ring_setup(c, true);
}

static int sem_wait_retry(struct cell *c, kipc_sem_t *s, const char *what)
{
	int ret;

	do
		ret = kipc_sem_wait(s);
	while (eintr_retry(ret));
	return ret ? xp_fail(c, ret, "kipc_sem_wait (%s)", what) : 0;
}

static int ksem_tx_buf(struct cell *c, void **buf)
{
	struct ring *g = c->priv;
	int ret = sem_wait_retry(c, &ring_lane(c, tx_lane(c))->spaces.sem, "spaces");

	if (ret)
		return ret;
	*buf = ring_slot(c, tx_lane(c), g->txcount);
	return 0;
}

static int ksem_send(struct cell *c, size_t len)
{
	struct ring *g = c->priv;
	int ret = kipc_sem_post(&ring_lane(c, tx_lane(c))->items.sem);

	(void)len;
	if (ret)
		return xp_fail(c, ret, "kipc_sem_post (items)");
	g->txcount++;
	return 0;
}

static int ksem_recv(struct cell *c, size_t len, const void **data)
{
	struct ring *g = c->priv;
	int ret = sem_wait_retry(c, &ring_lane(c, rx_lane(c))->items.sem, "items");

	(void)len;
	if (ret)
		return ret;
	*data = ring_slot(c, rx_lane(c), g->rxcount);
	return 0;
}

static int ksem_release(struct cell *c)
{
	struct ring *g = c->priv;
	int ret = kipc_sem_post(&ring_lane(c, rx_lane(c))->spaces.sem);

	if (ret)
		return xp_fail(c, ret, "kipc_sem_post (spaces)");
	g->rxcount++;
	return 0;
}

const struct xport xp_kipc_sem = {
	.name = "kipc-sem",
	.label = "ring of slots in a kipc region, kipc_sem_t items/spaces (futex)",
	.flags = XP_KIPC | XP_ZEROCOPY,
	.setup = ksem_setup,
	.tx_buf = ksem_tx_buf,
	.send = ksem_send,
	.recv = ksem_recv,
	.release = ksem_release,
	.teardown = ring_teardown,
};

static int kspin_setup(struct cell *c)
{
	return ring_setup(c, false);
}

/* Spin until @cond; every few thousand rounds look at the watchdog. */
#define SPIN_UNTIL(cond)						\
	({								\
		unsigned int __n = 0;					\
		int __ret = 0;						\
		while (!(cond)) {					\
			cpu_relax();					\
			if (!(++__n & 0xfff) && g_abort) {		\
				__ret = -EINTR;				\
				break;					\
			}						\
		}							\
		__ret;							\
	})

static int kspin_tx_buf(struct cell *c, void **buf)
{
	struct ring *g = c->priv;
	struct ring_hdr *h = ring_lane(c, tx_lane(c));
	int ret;

	ret = SPIN_UNTIL(g->txcount - atomic_load_explicit(&h->spaces.idx, memory_order_acquire) <
			 c->window);
	if (ret)
		return xp_fail(c, ret, "waiting for a free slot");
	*buf = ring_slot(c, tx_lane(c), g->txcount);
	return 0;
}

static int kspin_send(struct cell *c, size_t len)
{
	struct ring *g = c->priv;

	(void)len;
	atomic_store_explicit(&ring_lane(c, tx_lane(c))->items.idx, ++g->txcount,
			      memory_order_release);
	return 0;
}

static int kspin_recv(struct cell *c, size_t len, const void **data)
{
	struct ring *g = c->priv;
	struct ring_hdr *h = ring_lane(c, rx_lane(c));
	int ret;

	(void)len;
	ret = SPIN_UNTIL(atomic_load_explicit(&h->items.idx, memory_order_acquire) != g->rxcount);
	if (ret)
		return xp_fail(c, ret, "waiting for a message");
	*data = ring_slot(c, rx_lane(c), g->rxcount);
	return 0;
}

static int kspin_release(struct cell *c)
{
	struct ring *g = c->priv;

	atomic_store_explicit(&ring_lane(c, rx_lane(c))->spaces.idx, ++g->rxcount,
			      memory_order_release);
	return 0;
}

const struct xport xp_kipc_spin = {
	.name = "kipc-spin",
	.label = "ring of slots in a kipc region, busy-polled atomic head/tail (shared-memory floor)",
	.flags = XP_KIPC | XP_ZEROCOPY | XP_SPIN,
	.setup = kspin_setup,
	.tx_buf = kspin_tx_buf,
	.send = kspin_send,
	.recv = kspin_recv,
	.release = kspin_release,
	.teardown = ring_teardown,
};

/* -------------------------------------------------------- kipc-chan-rr */

struct krr {
	int *ch;
	unsigned int n;
	kipc_sem_t *credits;	/* shared page: messages the producer may still send */
	void *txbuf, *rxbuf;
	uint64_t txcount, rxcount;
};

static int krr_setup(struct cell *c)
{
	struct krr *k = calloc(1, sizeof(*k));
	unsigned int i;
	int ret;

	if (!k)
		return xp_fail(c, -ENOMEM, "calloc");
	c->priv = k;
	k->ch = calloc(c->nchans, sizeof(*k->ch));
	k->credits = shared_alloc(4096);
	if (!k->ch || !k->credits)
		return xp_fail(c, -ENOMEM, "allocating %u channel slots", c->nchans);
	kipc_sem_init(k->credits, c->window);
	for (i = 0; i < c->nchans; i++) {
		ret = kchan_open(c, c->window, (uint32_t)c->size, &k->ch[i]);
		if (ret)
			return ret;
		k->n++;
	}
	return 0;
}

static int krr_tx_buf(struct cell *c, void **buf)
{
	struct krr *k = c->priv;
	int ret = sem_wait_retry(c, k->credits, "credits");

	if (ret)
		return ret;
	*buf = k->txbuf;
	return 0;
}

static int krr_attach(struct cell *c)
{
	struct krr *k = c->priv;

	k->txbuf = buf_alloc(c->size);
	k->rxbuf = buf_alloc(c->size);
	if (!k->txbuf || !k->rxbuf)
		return xp_fail(c, -ENOMEM, "buffers");
	return 0;
}

static int krr_send(struct cell *c, size_t len)
{
	struct krr *k = c->priv;
	ssize_t ret;

	do
		ret = kipc_send(k->ch[k->txcount % k->n], k->txbuf, len, 0);
	while (eintr_retry((int)ret));
	if (ret < 0)
		return xp_fail(c, (int)ret, "kipc_send");
	k->txcount++;
	return 0;
}

static int krr_recv(struct cell *c, size_t len, const void **data)
{
	struct krr *k = c->priv;
	ssize_t ret;

	do
		ret = kipc_recv(k->ch[k->rxcount % k->n], k->rxbuf, c->size, NULL, 0);
	while (eintr_retry((int)ret));
	if (ret < 0)
		return xp_fail(c, (int)ret, "kipc_recv");
	if ((size_t)ret != len)
		return xp_fail(c, -EPROTO, "kipc_recv: %zd bytes, expected %zu", ret, len);
	*data = k->rxbuf;
	return 0;
}

static int krr_release(struct cell *c)
{
	struct krr *k = c->priv;
	int ret = kipc_sem_post(k->credits);

	if (ret)
		return xp_fail(c, ret, "kipc_sem_post (credits)");
	k->rxcount++;
	return 0;
}

static void krr_teardown(struct cell *c)
{
	struct krr *k = c->priv;
	unsigned int i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		close(k->ch[i]);
	free(k->ch);
	if (k->credits)
		munmap(k->credits, 4096);
	buf_free(k->txbuf, c->size);
	buf_free(k->rxbuf, c->size);
	free(k);
	c->priv = NULL;
}

const struct xport xp_kipc_chan_rr = {
	.name = "kipc-chan-rr",
	.label = "N kipc channels, messages round robin, global window of credits",
	.flags = XP_KIPC,
	.setup = krr_setup,
	.attach = krr_attach,
	.tx_buf = krr_tx_buf,
	.send = krr_send,
	.recv = krr_recv,
	.release = krr_release,
	.teardown = krr_teardown,
};
