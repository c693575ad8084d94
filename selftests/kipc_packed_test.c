// SPDX-License-Identifier: GPL-2.0
/*
 * kipc packed batches: KIPC_IOC_SEND_PACKED / KIPC_IOC_RECV_PACKED, through
 * ioctl (libkipc's kipc_send_packed/kipc_recv_packed and raw structs) and
 * through io_uring (IORING_OP_URING_CMD): records of every length with
 * their boundaries, order, stamps and zero padding; priorities; mixing
 * with read(2), write(2), KIPC_IOC_SEND/RECV and the batches; receives
 * that stop at a record that does not fit; faults on either side with
 * nothing lost; argument checks; a full or empty queue, deadlines, EBADF
 * and EPIPE; messages with handles (refused, left queued) and region
 * references (a copy of their bytes); a blocked receive woken by a
 * sender; and the library's record helpers (kipc_packed_add,
 * kipc_packed_next, kipc_packed_prep).
 *
 * KIPC_FEAT_PACKED is required: a module that does not report it fails
 * every test here (io_uring being unavailable still skips the io_uring
 * tests, as in kipc_batch_test and kipc_uring_test).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include <kipc_ring.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define INFO_SZ		sizeof(struct kipc_msg_info)
#define RECV_SZ(l)	((size_t)KIPC_PACKED_RECV_SIZE(l))
#define SEND_SZ(l)	((size_t)KIPC_PACKED_SEND_SIZE(l))

/* Room for the largest packed buffer, 8-byte aligned; plus a spare. */
static unsigned char rbuf[KIPC_PACKED_MAX] __attribute__((aligned(8)));
static unsigned char sbuf[KIPC_PACKED_MAX] __attribute__((aligned(8)));
#define RBUF	rbuf
#define SBUF	sbuf

/* A copy of the struct kipc_msg_info at @p. */
static struct kipc_msg_info info_of(const void *p)
{
	struct kipc_msg_info i;

	memcpy(&i, p, sizeof(i));
	return i;
}

/* The header of the send record at @p. */
static struct kipc_packed_send hdr_of(const void *p)
{
	struct kipc_packed_send h;

	memcpy(&h, p, sizeof(h));
	return h;
}

/* The feature is required: a module without it fails, it does not skip. */
#define REQUIRE_PACKED() do {							\
		uint64_t __f = 0;						\
		int __v = kipc_version(&__f);					\
		ASSERT_LT(0, __v) TH_LOG("kipc_version: %s (kipc.ko loaded?)",	\
					 strerror(-__v));			\
		ASSERT_TRUE(__f & KIPC_FEAT_PACKED)				\
			TH_LOG("KIPC_FEAT_PACKED not reported (features %#llx)",\
			       (unsigned long long)__f);			\
	} while (0)

static int chan(unsigned int depth, unsigned int msg_size)
{
	struct kipc_chan_attr a = { .max_msgs = depth, .max_msg_size = msg_size };

	return kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, &a);
}

/* The packed ioctl with every field given: its count or -errno. */
static long packed(int ch, unsigned long cmd, const void *buf, uint32_t len, uint32_t nr,
		   uint32_t flags, uint64_t deadline_ns)
{
	struct kipc_packed p = {
		.size = sizeof(p),
		.flags = flags,
		.buf = (uintptr_t)buf,
		.len = len,
		.nr = nr,
		.deadline_ns = deadline_ns,
	};

	return xioctl(ch, cmd, &p);
}

#define SENDP(ch, buf, len, nr, fl)	packed(ch, KIPC_IOC_SEND_PACKED, buf, len, nr, fl, 0)
#define RECVP(ch, buf, len, nr, fl)	packed(ch, KIPC_IOC_RECV_PACKED, buf, len, nr, fl, 0)

/* Write one send record by hand at @b + @off; returns the offset past it. */
static size_t put_rec(unsigned char *b, size_t off, uint32_t len, uint32_t prio,
		      unsigned int seed)
{
	struct kipc_packed_send h = { .len = len, .prio = prio };

	memcpy(b + off, &h, sizeof(h));
	fill(b + off + sizeof(h), len, seed);
	/* Padding: any bytes (the kernel must not care). */
	memset(b + off + sizeof(h) + len, 0xcc, SEND_SZ(len) - sizeof(h) - len);
	return off + SEND_SZ(len);
}

/* Records with payload lengths @lens[i], priorities @prios[i] (or 0), seeds @seed0 + i. */
static size_t put_recs(unsigned char *b, int n, const uint32_t *lens, const uint32_t *prios,
		       unsigned int seed0)
{
	size_t off = 0;
	int i;

	for (i = 0; i < n; i++)
		off = put_rec(b, off, lens[i], prios ? prios[i] : 0, seed0 + i);
	return off;
}

/* A test's channel (chan()): KIPC_FEAT_PACKED required, the open must succeed. */
static int packed_chan(struct __test_metadata *_metadata, unsigned int depth,
		       unsigned int msg_size)
{
	int ch;

	REQUIRE_PACKED();
	ch = chan(depth, msg_size);
	ASSERT_LE(0, ch);
	return ch;
}

/*
 * A packed_chan() of depth @depth and max_msg_size 4096 with @n records
 * queued by one packed send: payload lengths @lens[i], priorities
 * @prios[i] (or 0), seeds @seed0 + i.
 */
static int chan_with_recs(struct __test_metadata *_metadata, unsigned int depth, int n,
			  const uint32_t *lens, const uint32_t *prios, unsigned int seed0)
{
	int ch = packed_chan(_metadata, depth, 4096);
	size_t slen;

	slen = put_recs(SBUF, n, lens, prios, seed0);
	ASSERT_EQ(n, kipc_send_packed(ch, SBUF, slen, n, 0));
	return ch;
}

/*
 * The receive record at @b + *@off (of @len filled bytes): checks that it
 * lies within @len, that its payload has length @want_len and pattern
 * @seed (unless @seed is -1), that its padding is zero and its reserved
 * fields are zero; advances *@off. Returns the info.
 */
static const struct kipc_msg_info *rec_at(struct __test_metadata *_metadata,
					  const unsigned char *b, size_t len, size_t *off,
					  uint32_t want_len, int seed)
{
	const struct kipc_msg_info *info = (const void *)(b + *off);
	size_t k, rec;

	ASSERT_EQ(0, *off % KIPC_PACKED_ALIGN);
	ASSERT_LE(*off + INFO_SZ, len) TH_LOG("record at %zu past the filled %zu bytes", *off, len);
	EXPECT_EQ(want_len, info->len) TH_LOG("record at %zu", *off);
	ASSERT_LE(*off + INFO_SZ + info->len, len);
	if (seed >= 0)
		EXPECT_EQ(0, check_fill(b + *off + INFO_SZ, info->len, seed))
			TH_LOG("payload of the record at %zu (seed %d)", *off, seed);
	rec = RECV_SZ(info->len);
	for (k = INFO_SZ + info->len; k < rec && *off + k < len; k++)
		EXPECT_EQ(0, b[*off + k]) TH_LOG("padding byte %zu of the record at %zu", k, *off);
	EXPECT_EQ(0, info->nr_handles);
	EXPECT_EQ(0, info->__reserved);
	*off += rec;
	return info;
}

/* A fresh message of @len bytes of pattern @seed, with KIPC_IOC_SEND. */
static int send_one(int ch, size_t len, unsigned int seed, unsigned int prio)
{
	static unsigned char b[KIPC_PACKED_MAX];

	fill(b, len, seed);
	return (int)kipc_send(ch, b, len, KIPC_PRIO(prio));
}

/* ---- round trips --------------------------------------------------- */

TEST(round_trip_varied_lengths_boundaries_and_stamps)
{
	static const uint32_t lens[] = { 0, 1, 7, 8, 64, 200, 0, 9, 15, 16, 17, 63 };
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	const struct kipc_msg_info *info, *first = NULL;
	struct kipc_chan_stat st;
	size_t off = 0, want = 0;
	uint64_t t0 = now_ns();
	int ch, i;

	ch = chan_with_recs(_metadata, 64, N, lens, NULL, 10);
	st = chan_stat(ch);
	EXPECT_EQ(N, st.nr_msgs);
	EXPECT_EQ(N, st.sent);
	for (i = 0; i < N; i++)
		want += lens[i];
	EXPECT_EQ(want, st.bytes_queued);

	memset(RBUF, 0xee, KIPC_PACKED_MAX);	/* padding must come back zero */
	ASSERT_EQ(N, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, KIPC_BATCH_MAX, 0));
	want = 0;
	for (i = 0; i < N; i++)
		want += RECV_SZ(lens[i]);
	for (i = 0; i < N; i++) {
		info = rec_at(_metadata, RBUF, want, &off, lens[i], 10 + i);
		if (!first)
			first = info;
		EXPECT_EQ((uint64_t)i + 1, info->seq);
		EXPECT_EQ(0, info->prio);
		EXPECT_EQ(0, info->flags);
		EXPECT_EQ(getpid(), info->pid);
		EXPECT_EQ(geteuid(), info->uid);
		EXPECT_EQ(getegid(), info->gid);
		EXPECT_LE(t0, info->time_ns);
		EXPECT_GE(now_ns(), info->time_ns);
		EXPECT_LE(first->time_ns, info->time_ns);
		EXPECT_NE(0, info->pid_start_ns);
		EXPECT_EQ(first->pid_start_ns, info->pid_start_ns);
	}
	EXPECT_EQ(want, off);
	st = chan_stat(ch);
	EXPECT_EQ(0, st.nr_msgs);
	EXPECT_EQ(0, st.bytes_queued);
	EXPECT_EQ(N, st.received);
	EXPECT_EQ(-EAGAIN, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, 16, KIPC_NONBLOCK));
	close(ch);
}

/* kipc_packed_add() builds what the kernel takes; kipc_packed_next() walks what it gives. */
TEST(library_helpers_round_trip)
{
	static const uint32_t lens[] = { 5, 0, 64, 200, 1 };
	enum { N = sizeof(lens) / sizeof(lens[0]) };
	unsigned char data[256];
	const struct kipc_msg_info *info;
	const void *payload;
	ssize_t used = 0, off;
	size_t total = 0;
	int ch, i;

	ch = packed_chan(_metadata, 16, 4096);
	for (i = 0; i < N; i++) {
		fill(data, lens[i], 40 + i);
		used = kipc_packed_add(SBUF, 4096, (size_t)used, data, lens[i], KIPC_PRIO(i));
		ASSERT_EQ(total + SEND_SZ(lens[i]), used);
		total = used;
	}
	ASSERT_EQ(N, kipc_send_packed(ch, SBUF, (size_t)used, N, 0));
	memset(RBUF, 0x77, 8192 * sizeof(RBUF[0]));
	ASSERT_EQ(N, kipc_recv_packed(ch, RBUF, 8192, N, 0));
	/* Highest priority first: i = 4, 3, 2, 1, 0. */
	total = 0;
	for (i = 0; i < N; i++)
		total += RECV_SZ(lens[i]);
	off = 0;
	for (i = N - 1; i >= 0; i--) {
		ssize_t next;

		info = NULL;
		payload = NULL;
		next = kipc_packed_next(RBUF, total, (size_t)off, &info, &payload);

		ASSERT_EQ(off + (ssize_t)RECV_SZ(lens[i]), next);
		ASSERT_EQ((const void *)(RBUF + off), (const void *)info);
		ASSERT_EQ((const void *)(RBUF + off + INFO_SZ), payload);
		EXPECT_EQ(lens[i], info->len);
		EXPECT_EQ((uint32_t)i, info->prio);
		EXPECT_EQ(0, check_fill(payload, lens[i], 40 + i));
		off = next;
	}
	EXPECT_EQ(-ENOENT, kipc_packed_next(RBUF, total, (size_t)off, &info, &payload));
	close(ch);
}

TEST(priorities_higher_first_fifo_within)
{
	static const uint32_t lens[] = { 10, 11, 12, 13, 14, 15 };
	static const uint32_t prios[] = { 0, 5, 2, KIPC_PRIO_MAX, 5, 0 };
	static const int order[] = { 3, 1, 4, 2, 0, 5 };
	const struct kipc_msg_info *info;
	size_t off = 0;
	int ch, i;

	ch = chan_with_recs(_metadata, 16, 6, lens, prios, 0);
	ASSERT_EQ(6, kipc_recv_packed(ch, RBUF, 4096, 6, 0));
	for (i = 0; i < 6; i++) {
		int k = order[i];

		info = rec_at(_metadata, RBUF, 4096, &off, lens[k], k);
		EXPECT_EQ(prios[k], info->prio) TH_LOG("record %d", i);
		EXPECT_EQ((uint64_t)k + 1, info->seq) TH_LOG("record %d", i);
	}
	close(ch);
}

/* Many small records, more than the kernel's first staging buffer holds. */
TEST(many_records_and_a_large_one)
{
	enum { M = 300, LEN = 64 };
	const struct kipc_msg_info *info;
	size_t off = 0, used = 0, got_total = 0;
	unsigned char data[LEN];
	int ch, i, got = 0;

	ch = packed_chan(_metadata, 512, 65536);
	for (i = 0; i < M; i++) {
		ssize_t r;

		fill(data, LEN, 1000 + i);
		r = kipc_packed_add(SBUF, KIPC_PACKED_MAX, used, data, LEN, 0);
		ASSERT_LT(0, r);
		used = (size_t)r;
	}
	ASSERT_EQ(M, kipc_send_packed(ch, SBUF, used, M, 0));
	/* 300 * 120 bytes = 36000: one receive of 64 KiB takes them all. */
	ASSERT_EQ(M, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, KIPC_BATCH_MAX, 0));
	for (i = 0; i < M; i++) {
		info = rec_at(_metadata, RBUF, KIPC_PACKED_MAX, &off, LEN, 1000 + i);
		ASSERT_EQ((uint64_t)i + 1, info->seq);
	}

	/* KIPC_BATCH_MAX empty records in one call, taken 1024 at a time. */
	used = 0;
	for (i = 0; i < KIPC_BATCH_MAX; i++)
		used = put_rec(SBUF, used, 0, 0, 0);
	ASSERT_EQ(512, kipc_send_packed(ch, SBUF, used, KIPC_BATCH_MAX, KIPC_NONBLOCK));
	while (got < 512) {
		int n = kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, KIPC_BATCH_MAX, KIPC_NONBLOCK);

		ASSERT_LT(0, n);
		off = 0;
		for (i = 0; i < n; i++) {
			info = rec_at(_metadata, RBUF, KIPC_PACKED_MAX, &off, 0, -1);
			ASSERT_EQ((uint64_t)M + got + i + 1, info->seq);
		}
		got += n;
		got_total += off;
	}
	EXPECT_EQ(512 * INFO_SZ, got_total);

	/* One message of almost 64 KiB: header and record both fit the limits. */
	used = put_rec(SBUF, 0, KIPC_PACKED_MAX - 8 - 64, 0, 77);
	ASSERT_EQ(1, kipc_send_packed(ch, SBUF, used, 1, 0));
	off = 0;
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, 4, 0));
	rec_at(_metadata, RBUF, KIPC_PACKED_MAX, &off, KIPC_PACKED_MAX - 8 - 64, 77);
	close(ch);
}

/* ---- mixing with the other calls ----------------------------------- */

TEST(packed_send_plain_receives)
{
	static const uint32_t lens[] = { 0, 33, 100, 8 };
	static const uint32_t prios[] = { 0, 0, 0, 0 };
	struct kipc_msg_info info;
	unsigned char buf[256];
	struct iovec m[2] = { { buf, 128 }, { buf + 128, 128 } };
	int ch;

	ch = chan_with_recs(_metadata, 16, 4, lens, prios, 60);
	/* KIPC_IOC_RECV: the empty message, then 33 bytes. */
	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, kipc_recv(ch, buf, sizeof(buf), &info, 0));
	EXPECT_EQ(1, info.seq);
	EXPECT_EQ(0, info.len);
	EXPECT_EQ(getpid(), info.pid);
	ASSERT_EQ(33, kipc_recv(ch, buf, sizeof(buf), &info, 0));
	EXPECT_EQ(0, check_fill(buf, 33, 61));
	EXPECT_EQ(2, info.seq);
	/* read(2) */
	ASSERT_EQ(100, read(ch, buf, sizeof(buf)));
	EXPECT_EQ(0, check_fill(buf, 100, 62));
	/* a receive batch */
	ASSERT_EQ(1, kipc_recv_batch(ch, m, 2, NULL, KIPC_NONBLOCK));
	EXPECT_EQ(8, m[0].iov_len);
	EXPECT_EQ(0, check_fill(buf, 8, 63));
	EXPECT_EQ(-EAGAIN, kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	close(ch);
}

TEST(plain_sends_packed_receive)
{
	const struct kipc_msg_info *info;
	unsigned char a[64], b[64];
	struct iovec m[2] = { { a, 20 }, { b, 0 } };
	size_t off = 0;
	int ch;

	ch = packed_chan(_metadata, 16, 4096);
	fill(a, 64, 80);
	ASSERT_EQ(64, write(ch, a, 64));			/* seq 1 */
	ASSERT_EQ(0, write(ch, a, 0));				/* seq 2 */
	ASSERT_EQ(3, send_one(ch, 3, 81, 0));			/* seq 3 */
	fill(a, 20, 82);
	ASSERT_EQ(2, kipc_send_batch(ch, m, 2, 0));		/* seq 4, 5 */
	ASSERT_EQ(5, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	info = rec_at(_metadata, RBUF, 4096, &off, 64, 80);
	EXPECT_EQ(1, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 0, -1);
	EXPECT_EQ(2, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 3, 81);
	EXPECT_EQ(3, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 20, 82);
	EXPECT_EQ(4, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 0, -1);
	EXPECT_EQ(5, info->seq);
	EXPECT_EQ(getpid(), info->pid);
	close(ch);
}

/* ---- receive room -------------------------------------------------- */

TEST(short_receive_buffer_takes_what_fits)
{
	static const uint32_t lens[] = { 64, 64, 64, 64, 10 };
	const struct kipc_msg_info *info;
	size_t off;
	int ch;

	ch = chan_with_recs(_metadata, 16, 5, lens, NULL, 0);
	/* Room for two 120-byte records and most of a third. */
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(2, kipc_recv_packed(ch, RBUF, 2 * RECV_SZ(64) + 100, 16, 0));
	off = 0;
	rec_at(_metadata, RBUF, 2 * RECV_SZ(64), &off, 64, 0);
	rec_at(_metadata, RBUF, 2 * RECV_SZ(64), &off, 64, 1);
	/* Exactly one record's room. */
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, RECV_SZ(64), 16, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, RECV_SZ(64), &off, 64, 2);
	EXPECT_EQ(3, info->seq);
	/* @nr limits too. */
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 1, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, 4096, &off, 64, 3);
	EXPECT_EQ(4, info->seq);
	/* The last record's padding counts: 10 bytes take 56 + 16. */
	EXPECT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, INFO_SZ + 10, 16, 0));
	EXPECT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, RECV_SZ(10) - 1, 16, 0));
	EXPECT_EQ(1, chan_stat(ch).nr_msgs);
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, RECV_SZ(10), 16, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, RECV_SZ(10), &off, 10, 4);
	EXPECT_EQ(5, info->seq);
	close(ch);
}

TEST(first_record_too_big_is_emsgsize_and_stays)
{
	struct kipc_msg_info *info = (void *)RBUF;
	unsigned char buf[256];
	size_t i, off;
	int ch;

	ch = packed_chan(_metadata, 16, 4096);
	ASSERT_EQ(200, send_one(ch, 200, 5, 3));
	ASSERT_EQ(4, send_one(ch, 4, 6, 0));
	/* Room for the info but not the record: the info is written. */
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, INFO_SZ + 100, 16, 0));
	EXPECT_EQ(200, info->len);
	EXPECT_EQ(1, info->seq);
	EXPECT_EQ(3, info->prio);
	EXPECT_EQ(getpid(), info->pid);
	EXPECT_EQ(geteuid(), info->uid);
	EXPECT_EQ(0, info->nr_handles);
	/* Exactly the info's room: the same. */
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, INFO_SZ, 16, 0));
	EXPECT_EQ(200, info->len);
	EXPECT_EQ(1, info->seq);
	/* Less than an info: EMSGSIZE, and the buffer is not touched. */
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, INFO_SZ - 8, 16, 0));
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, 1, 16, 0));
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0xee, RBUF[i]) TH_LOG("byte %zu written", i);
	EXPECT_EQ(2, chan_stat(ch).nr_msgs);
	EXPECT_EQ(0, chan_stat(ch).received);
	/* The message was kept: KIPC_IOC_RECV takes it whole. */
	ASSERT_EQ(200, kipc_recv(ch, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(0, check_fill(buf, 200, 5));
	off = 0;
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	rec_at(_metadata, RBUF, 4096, &off, 4, 6);
	close(ch);
}

/* ---- faults ---------------------------------------------------------- */

TEST(efault_on_receive_leaves_every_message_queued)
{
	static const uint32_t lens[] = { 1500, 1500, 1500 };
	long pg = sysconf(_SC_PAGESIZE);
	const struct kipc_msg_info *info;
	struct kipc_chan_stat st;
	unsigned char *map;
	size_t off;
	int ch, i;

	ch = chan_with_recs(_metadata, 16, 3, lens, NULL, 90);
	map = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + 3 * pg, pg, PROT_NONE));
	ASSERT_EQ(0, munmap(map + pg, pg));		/* page 1 unmapped */
	ASSERT_EQ(0, mprotect(map + 2 * pg, pg, PROT_READ));	/* page 2 read-only */

	/* Into PROT_NONE memory. */
	EXPECT_EQ(-EFAULT, kipc_recv_packed(ch, map + 3 * pg, pg, 16, 0));
	/* Into read-only memory. */
	EXPECT_EQ(-EFAULT, kipc_recv_packed(ch, map + 2 * pg, pg, 16, 0));
	/* The first page is fine, the records run on into the unmapped one. */
	ASSERT_LT(pg, 3 * RECV_SZ(1500));
	EXPECT_EQ(-EFAULT, kipc_recv_packed(ch, map, 3 * RECV_SZ(1500), 16, 0));
	/* Only the last record's bytes would land on the unmapped page. */
	ASSERT_LT(2 * RECV_SZ(1500), pg);
	EXPECT_EQ(-EFAULT, kipc_recv_packed(ch, map + pg - 2 * RECV_SZ(1500),
					    3 * RECV_SZ(1500), 16, 0));
	/* An unmapped address. */
	EXPECT_EQ(-EFAULT, kipc_recv_packed(ch, unmapped_page(), pg, 16, 0));
	st = chan_stat(ch);
	EXPECT_EQ(3, st.nr_msgs);
	EXPECT_EQ(0, st.received);
	EXPECT_EQ(4500, st.bytes_queued);

	/* All three, in order, for a good buffer. */
	ASSERT_EQ(3, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, 16, 0));
	off = 0;
	for (i = 0; i < 3; i++) {
		info = rec_at(_metadata, RBUF, KIPC_PACKED_MAX, &off, 1500, 90 + i);
		EXPECT_EQ((uint64_t)i + 1, info->seq);
	}
	munmap(map, pg);
	munmap(map + 2 * pg, 2 * pg);
	close(ch);
}

TEST(efault_on_send)
{
	long pg = sysconf(_SC_PAGESIZE);
	const struct kipc_msg_info *info;
	size_t off, r2;
	unsigned char *map, *start;
	int ch;

	ch = packed_chan(_metadata, 16, 4096);
	/* Nothing readable. */
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, unmapped_page(), 64, 1, 0));
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, NULL, 64, 4, 0));
	EXPECT_EQ(0, chan_stat(ch).nr_msgs);

	/* Two records at the end of a page, the third on the unmapped next one. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	r2 = 2 * SEND_SZ(24);
	start = map + pg - r2;
	ASSERT_EQ(r2, put_rec(start, put_rec(start, 0, 24, 0, 110), 24, 1, 111));
	EXPECT_EQ(2, kipc_send_packed(ch, start, r2 + 2 * SEND_SZ(24), 4, 0));
	/* The rest, from the third record: its header is unreadable. */
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, map + pg, 2 * SEND_SZ(24), 2, 0));
	EXPECT_EQ(2, chan_stat(ch).nr_msgs);

	/* A header readable, its payload running into the unmapped page. */
	start = map + pg - SEND_SZ(24) - 8;
	put_rec(start, 0, 24, 0, 112);
	memcpy(start + SEND_SZ(24), &(struct kipc_packed_send){ .len = 100 }, 8);
	EXPECT_EQ(1, kipc_send_packed(ch, start, SEND_SZ(24) + SEND_SZ(100), 2, 0));
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, start + SEND_SZ(24), SEND_SZ(100), 1, 0));
	EXPECT_EQ(3, chan_stat(ch).nr_msgs);

	ASSERT_EQ(3, kipc_recv_packed(ch, RBUF, 4096, 16, KIPC_NONBLOCK));
	off = 0;
	info = rec_at(_metadata, RBUF, 4096, &off, 24, 111);	/* prio 1 first */
	EXPECT_EQ(2, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 24, 110);
	EXPECT_EQ(1, info->seq);
	info = rec_at(_metadata, RBUF, 4096, &off, 24, 112);
	EXPECT_EQ(3, info->seq);
	munmap(map, pg);
	close(ch);
}

/* ---- argument checks ------------------------------------------------- */

TEST(invalid_arguments_are_einval)
{
	static const unsigned long cmds[] = { KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED };
	unsigned char *big;
	size_t slen, i, off;
	int ch;

	ch = packed_chan(_metadata, 16, 4096);
	slen = put_rec(SBUF, 0, 16, 0, 0);
	for (i = 0; i < 2; i++) {
		unsigned long c = cmds[i];
		unsigned char *b = i ? RBUF : SBUF;
		uint32_t l = i ? 4096 : slen;

		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 0, 0, 0)) TH_LOG("cmd %#lx nr 0", c);
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, KIPC_BATCH_MAX + 1, 0, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, UINT32_MAX, 0, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, 0, 1, 0, 0)) TH_LOG("cmd %#lx len 0", c);
		EXPECT_EQ(-EINVAL, packed(ch, c, b, KIPC_PACKED_MAX + 1, 1, 0, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, UINT32_MAX, 1, 0, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, 0x80, 0)) TH_LOG("cmd %#lx flag", c);
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, 1u << 31, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, KIPC_XFER_PEEK, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, KIPC_XFER_DISCARD, 0));
		/* A deadline without the flag, the flag without a deadline. */
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, 0, 1));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, KIPC_XFER_DEADLINE, 0));
		EXPECT_EQ(-EINVAL, packed(ch, c, b, l, 1, KIPC_XFER_NONBLOCK, now_ns() + 1000));
		/* The size contract. */
		check_size_contract(_metadata, ch, c, KIPC_PACKED_SIZE_VER0);
	}
	EXPECT_EQ(0, chan_stat(ch).nr_msgs);
	EXPECT_EQ(0, chan_stat(ch).sent);
	/* The library refuses the same without a system call. */
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, KIPC_BATCH_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 0, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, KIPC_PACKED_MAX + 1, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 1, KIPC_PEEK));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 1, KIPC_PRIO(1)));
	EXPECT_EQ(-EINVAL, kipc_recv_packed(ch, RBUF, 4096, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_recv_packed(ch, RBUF, 0, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_recv_packed(ch, RBUF, 4096, 1, KIPC_PEEK));
	EXPECT_EQ(-EINVAL, kipc_recv_packed(ch, RBUF, 4096, 1, KIPC_DISCARD));
	EXPECT_EQ(0, chan_stat(ch).sent);
	/* A receive's room above KIPC_PACKED_MAX is clamped by the library. */
	ASSERT_EQ(1, kipc_send_packed(ch, SBUF, slen, 1, 0));
	big = malloc(2 * KIPC_PACKED_MAX);
	ASSERT_NE(NULL, big);
	ASSERT_EQ(1, kipc_recv_packed(ch, big, 2 * KIPC_PACKED_MAX, 4, 0));
	off = 0;
	rec_at(_metadata, big, KIPC_PACKED_MAX, &off, 16, 0);
	free(big);
	close(ch);
}

TEST(bad_records)
{
	const struct kipc_msg_info *info;
	size_t slen, off;
	int ch;

	ch = packed_chan(_metadata, 16, 100);
	/* A record running past @len: its payload, or its header. */
	slen = put_rec(SBUF, 0, 16, 0, 0);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 8 + 15, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 4, 1, 0));
	EXPECT_EQ(0, chan_stat(ch).nr_msgs);
	/* ... the same on the second record: a short count. */
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, slen, 2, 0));
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, slen + 4, 2, 0));
	put_rec(SBUF, slen, 16, 0, 1);
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, slen + 8 + 10, 2, 0));
	EXPECT_EQ(3, chan_stat(ch).nr_msgs);
	/* The last record's padding may lie past @len. */
	slen = put_rec(SBUF, 0, 5, 0, 2);
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, 8 + 5, 1, 0));
	slen = put_rec(SBUF, slen, 3, 0, 3);
	EXPECT_EQ(2, kipc_send_packed(ch, SBUF, SEND_SZ(5) + 8 + 3, 2, 0));
	EXPECT_EQ(6, chan_stat(ch).nr_msgs);
	/* A priority above KIPC_PRIO_MAX: EINVAL first, short count later. */
	slen = put_rec(SBUF, 0, 8, KIPC_PRIO_MAX + 1, 4);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 1, 0));
	slen = put_rec(SBUF, 0, 8, UINT32_MAX, 4);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 1, 0));
	slen = put_rec(SBUF, put_rec(SBUF, 0, 8, KIPC_PRIO_MAX, 5), 8, KIPC_PRIO_MAX + 1, 6);
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, slen, 2, 0));
	EXPECT_EQ(7, chan_stat(ch).nr_msgs);
	/* A payload above the channel's max_msg_size (100): EMSGSIZE, short count later. */
	slen = put_rec(SBUF, 0, 101, 0, 7);
	EXPECT_EQ(-EMSGSIZE, kipc_send_packed(ch, SBUF, slen, 1, 0));
	slen = put_rec(SBUF, 0, 100, 0, 8);
	slen = put_rec(SBUF, slen, 101, 0, 9);
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF, slen, 2, 0));
	/* A huge @len in a header: EINVAL (past @len), nothing else. */
	memcpy(SBUF, &(struct kipc_packed_send){ .len = UINT32_MAX }, 8);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 4096, 1, 0));
	EXPECT_EQ(8, chan_stat(ch).nr_msgs);

	/* What went through, in order (the KIPC_PRIO_MAX one first). */
	ASSERT_EQ(8, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, 4096, &off, 8, 5);
	EXPECT_EQ(KIPC_PRIO_MAX, info->prio);
	rec_at(_metadata, RBUF, 4096, &off, 16, 0);
	rec_at(_metadata, RBUF, 4096, &off, 16, 0);
	rec_at(_metadata, RBUF, 4096, &off, 16, 0);
	rec_at(_metadata, RBUF, 4096, &off, 5, 2);
	rec_at(_metadata, RBUF, 4096, &off, 5, 2);
	rec_at(_metadata, RBUF, 4096, &off, 3, 3);
	info = rec_at(_metadata, RBUF, 4096, &off, 100, 8);
	EXPECT_EQ(0, info->prio);
	EXPECT_EQ(-EAGAIN, kipc_recv_packed(ch, RBUF, 4096, 16, KIPC_NONBLOCK));
	close(ch);
}

/* ---- queue states, deadlines, fds ------------------------------------ */

TEST(full_queue_short_count_then_eagain)
{
	const struct kipc_msg_info *info;
	size_t slen = 0, off;
	int ch, i;

	ch = packed_chan(_metadata, 4, 4096);
	for (i = 0; i < 6; i++)
		slen = put_rec(SBUF, slen, 12, 0, 120 + i);
	EXPECT_EQ(4, kipc_send_packed(ch, SBUF, slen, 6, KIPC_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kipc_send_packed(ch, SBUF, slen, 6, KIPC_NONBLOCK));
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 1, 0));
	/* Blocking: it waits only for the first, then takes what room there is. */
	EXPECT_EQ(1, kipc_send_packed(ch, SBUF + 4 * SEND_SZ(12), 2 * SEND_SZ(12), 2, 0));
	EXPECT_EQ(4, chan_stat(ch).nr_msgs);
	ASSERT_EQ(4, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	off = 0;
	for (i = 1; i < 5; i++) {
		info = rec_at(_metadata, RBUF, 4096, &off, 12, 120 + i);
		EXPECT_EQ((uint64_t)i + 1, info->seq);
	}
	/* Empty: EAGAIN when non-blocking, however large the room. */
	EXPECT_EQ(-EAGAIN, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, KIPC_BATCH_MAX,
					    KIPC_NONBLOCK));
	EXPECT_EQ(-EAGAIN, RECVP(ch, RBUF, 4096, 1, KIPC_XFER_NONBLOCK));
	close(ch);
}

/*
 * A bad first record is the call's error whatever the queue holds: a full
 * queue's EAGAIN never hides it (issue 18: a module that refused a
 * non-blocking send into a full queue before it read anything did).
 */
TEST(full_queue_bad_first_record_is_its_error)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *map;
	size_t slen;
	int ch;

	ch = packed_chan(_metadata, 2, 100);
	slen = put_rec(SBUF, put_rec(SBUF, 0, 12, 0, 1), 12, 0, 2);
	EXPECT_EQ(2, kipc_send_packed(ch, SBUF, slen, 2, KIPC_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kipc_send_packed(ch, SBUF, slen, 2, KIPC_NONBLOCK));
	/* Later records bad: the first is good, the queue full. */
	slen = put_rec(SBUF, put_rec(SBUF, 0, 12, 0, 3), 101, KIPC_PRIO_MAX + 1, 4);
	EXPECT_EQ(-EAGAIN, kipc_send_packed(ch, SBUF, slen, 2, KIPC_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kipc_send_packed(ch, SBUF, slen - 8, 2, KIPC_NONBLOCK));
	/* The first record bad: its own error, never EAGAIN. */
	slen = put_rec(SBUF, 0, 12, KIPC_PRIO_MAX + 1, 5);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, slen, 1, KIPC_NONBLOCK));
	slen = put_rec(SBUF, 0, 101, 0, 6);
	EXPECT_EQ(-EMSGSIZE, kipc_send_packed(ch, SBUF, slen, 1, KIPC_NONBLOCK));
	slen = put_rec(SBUF, 0, 12, 0, 7);
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 8 + 11, 1, KIPC_NONBLOCK));
	EXPECT_EQ(-EINVAL, kipc_send_packed(ch, SBUF, 4, 1, KIPC_NONBLOCK));
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, unmapped_page(), 64, 1, KIPC_NONBLOCK));
	/* A first record whose payload runs onto an unmapped page. */
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + pg, pg));
	put_rec(map + pg - 16, 0, 8, 0, 8);
	EXPECT_EQ(-EAGAIN, kipc_send_packed(ch, map + pg - 16, 16, 1, KIPC_NONBLOCK));
	memcpy(map + pg - 8, &(struct kipc_packed_send){ .len = 8 }, 8);
	EXPECT_EQ(-EFAULT, kipc_send_packed(ch, map + pg - 8, 16, 1, KIPC_NONBLOCK));
	munmap(map, pg);
	EXPECT_EQ(2, chan_stat(ch).nr_msgs);
	close(ch);
}

TEST(deadlines)
{
	size_t slen;
	uint64_t t;
	int ch, i;

	ch = packed_chan(_metadata, 2, 4096);
	/* An empty queue: ETIMEDOUT once the deadline passes, not before. */
	t = now_ns();
	EXPECT_EQ(-ETIMEDOUT, packed(ch, KIPC_IOC_RECV_PACKED, RBUF, 4096, 4,
				     KIPC_XFER_DEADLINE, t + 50000000));
	EXPECT_LE(t + 50000000, now_ns());
	/* One in the past. */
	EXPECT_EQ(-ETIMEDOUT, packed(ch, KIPC_IOC_RECV_PACKED, RBUF, 4096, 4,
				     KIPC_XFER_DEADLINE, 1));
	/* A full queue. */
	slen = 0;
	for (i = 0; i < 3; i++)
		slen = put_rec(SBUF, slen, 4, 0, i);
	EXPECT_EQ(2, kipc_send_packed(ch, SBUF, slen, 3, 0));
	t = now_ns();
	EXPECT_EQ(-ETIMEDOUT, packed(ch, KIPC_IOC_SEND_PACKED, SBUF, slen, 3,
				     KIPC_XFER_DEADLINE, t + 50000000));
	EXPECT_LE(t + 50000000, now_ns());
	/* A deadline past 2^63 ns is none: with NONBLOCK, EAGAIN. */
	EXPECT_EQ(-EAGAIN, packed(ch, KIPC_IOC_SEND_PACKED, SBUF, slen, 3,
				  KIPC_XFER_DEADLINE | KIPC_XFER_NONBLOCK, UINT64_MAX));
	/* A deadline ahead with room: it moves at once. */
	EXPECT_EQ(2, packed(ch, KIPC_IOC_RECV_PACKED, RBUF, 4096, 4, KIPC_XFER_DEADLINE,
			    now_ns() + 1000000000));
	EXPECT_EQ(2, chan_stat(ch).sent);
	close(ch);
}

TEST(ebadf_on_the_wrong_end)
{
	char name[64];
	size_t slen;
	int rx, tx;

	REQUIRE_PACKED();
	make_name(name, sizeof(name), "packed-ebadf");
	rx = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
	ASSERT_LE(0, rx);
	tx = kipc_chan_open(name, O_WRONLY | O_CLOEXEC, 0, NULL);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, kipc_chan_unlink(name));
	slen = put_rec(SBUF, 0, 9, 0, 0);
	EXPECT_EQ(-EBADF, kipc_send_packed(rx, SBUF, slen, 1, 0));
	EXPECT_EQ(-EBADF, kipc_recv_packed(tx, RBUF, 4096, 1, KIPC_NONBLOCK));
	EXPECT_EQ(0, chan_stat(rx).sent);
	ASSERT_EQ(1, kipc_send_packed(tx, SBUF, slen, 1, 0));
	EXPECT_EQ(-EBADF, kipc_recv_packed(tx, RBUF, 4096, 1, KIPC_NONBLOCK));
	EXPECT_EQ(1, chan_stat(rx).nr_msgs);
	ASSERT_EQ(1, kipc_recv_packed(rx, RBUF, 4096, 1, KIPC_NONBLOCK));
	close(rx);
	close(tx);
}

TEST(epipe_when_the_other_side_is_gone)
{
	size_t slen, off;
	int fds[2];

	REQUIRE_PACKED();
	ASSERT_EQ(0, kipc_chan_pair(fds, NULL, O_CLOEXEC));
	slen = put_rec(SBUF, 0, 3, 0, 1);
	slen = put_rec(SBUF, slen, 4, 0, 2);
	ASSERT_EQ(2, kipc_send_packed(fds[1], SBUF, slen, 2, 0));
	close(fds[1]);
	/* The queued ones first, then EPIPE (blocking or not). */
	ASSERT_EQ(2, kipc_recv_packed(fds[0], RBUF, 4096, 16, 0));
	off = 0;
	rec_at(_metadata, RBUF, 4096, &off, 3, 1);
	rec_at(_metadata, RBUF, 4096, &off, 4, 2);
	EXPECT_EQ(-EPIPE, kipc_recv_packed(fds[0], RBUF, 4096, 16, 0));
	EXPECT_EQ(-EPIPE, kipc_recv_packed(fds[0], RBUF, 4096, 16, KIPC_NONBLOCK));
	close(fds[0]);

	ASSERT_EQ(0, kipc_chan_pair(fds, NULL, O_CLOEXEC));
	close(fds[0]);
	EXPECT_EQ(-EPIPE, kipc_send_packed(fds[1], SBUF, slen, 2, 0));
	EXPECT_EQ(-EPIPE, kipc_send_packed(fds[1], SBUF, slen, 2, KIPC_NONBLOCK));
	close(fds[1]);
}

/* ---- handles and references ----------------------------------------- */

TEST(message_with_handles_is_emsgsize_and_stays)
{
	struct kipc_msg_info *hinfo = (void *)RBUF, info;
	const struct kipc_msg_info *ri;
	unsigned int nfds = 4;
	int ch, p[2], got[4];
	char buf[16];
	size_t off;

	ch = packed_chan(_metadata, 16, 4096);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(2, kipc_send(ch, "ab", 2, 0));
	ASSERT_EQ(3, kipc_send_handles(ch, "hdl", 3, &p[0], 1, 0));
	ASSERT_EQ(2, kipc_send(ch, "cd", 2, 0));
	/* The batch ends before it. */
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	off = 0;
	ri = rec_at(_metadata, RBUF, 4096, &off, 2, -1);
	EXPECT_EQ(0, memcmp(ri + 1, "ab", 2));
	/* First: EMSGSIZE, its info says why, and it stays. */
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	EXPECT_EQ(3, hinfo->len);
	EXPECT_EQ(2, hinfo->seq);
	EXPECT_EQ(1, hinfo->nr_handles);
	EXPECT_EQ(2, chan_stat(ch).nr_msgs);
	/* KIPC_IOC_RECV with room for handles takes it. */
	ASSERT_EQ(3, kipc_recv_handles(ch, buf, sizeof(buf), got, &nfds, &info, 0));
	ASSERT_EQ(1, nfds);
	EXPECT_EQ(0, memcmp(buf, "hdl", 3));
	close(got[0]);
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	off = 0;
	ri = rec_at(_metadata, RBUF, 4096, &off, 2, -1);
	EXPECT_EQ(0, memcmp(ri + 1, "cd", 2));
	EXPECT_EQ(3, ri->seq);
	close(p[0]);
	close(p[1]);
	close(ch);
}

TEST(region_reference_arrives_as_a_copy)
{
	long pg = sysconf(_SC_PAGESIZE);
	const struct kipc_msg_info *info;
	unsigned char *map;
	size_t len, off, slen;
	int ch, shm;
	void *p;

	ch = packed_chan(_metadata, 16, 65536);
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, 2 * pg);
	ASSERT_LE(0, shm);
	ASSERT_EQ(0, kipc_shm_map(shm, PROT_READ | PROT_WRITE, &p, &len));
	map = p;
	fill(map, 2 * pg, 130);
	ASSERT_EQ(5, send_one(ch, 5, 131, 0));
	/* 300 bytes across the page boundary. */
	ASSERT_EQ(0, kipc_send_ref(ch, shm, pg - 100, 300, KIPC_PRIO(0)));
	slen = put_rec(SBUF, 0, 7, 0, 132);
	ASSERT_EQ(1, kipc_send_packed(ch, SBUF, slen, 1, 0));
	EXPECT_EQ(1, region_stat(shm).nr_refs);
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(3, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, 4096, &off, 5, 131);
	EXPECT_EQ(0, info->flags & KIPC_MSG_REF);
	info = rec_at(_metadata, RBUF, 4096, &off, 300, -1);
	EXPECT_EQ(KIPC_MSG_REF, info->flags & KIPC_MSG_REF);
	EXPECT_EQ(2, info->seq);
	EXPECT_EQ(0, memcmp(info + 1, map + pg - 100, 300));
	info = rec_at(_metadata, RBUF, 4096, &off, 7, 132);
	EXPECT_EQ(3, info->seq);
	/* Received: the region is no longer referenced. */
	EXPECT_EQ(0, region_stat(shm).nr_refs);

	/* A reference too large for the room: EMSGSIZE, info, stays queued. */
	ASSERT_EQ(0, kipc_send_ref(ch, shm, 0, 2 * pg, 0));
	ASSERT_EQ(-EMSGSIZE, kipc_recv_packed(ch, RBUF, 4096, 16, 0));
	EXPECT_EQ(2 * pg, info_of(RBUF).len);
	EXPECT_EQ(1, region_stat(shm).nr_refs);
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, KIPC_PACKED_MAX, 16, 0));
	off = 0;
	info = rec_at(_metadata, RBUF, KIPC_PACKED_MAX, &off, 2 * pg, 130);
	EXPECT_EQ(KIPC_MSG_REF, info->flags & KIPC_MSG_REF);
	kipc_shm_unmap(p, len);
	close(shm);
	close(ch);
}

static int send_private_ref_as_1000(void *arg)
{
	int ch = *(int *)arg, shm;
	size_t len;
	void *p;

	if (become(1000, 1000))
		return 99;
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
	if (shm < 0 || kipc_shm_map(shm, PROT_READ | PROT_WRITE, &p, &len))
		return 1;
	fill(p, 64, 140);
	return kipc_send_ref(ch, shm, 0, 64, 0) ? 2 : 0;
}

static int packed_recv_as_1001(void *arg)
{
	int ch = *(int *)arg, n;

	if (become(1001, 1001))
		return 99;
	n = kipc_recv_packed(ch, RBUF, 4096, 16, KIPC_NONBLOCK);
	if (n != 1)
		return 10 + (n < 0 ? -n : 0);	/* "ok" only */
	n = kipc_recv_packed(ch, RBUF, 4096, 16, KIPC_NONBLOCK);
	return n == -EACCES ? 0 : 100 + (n < 0 ? -n : n);
}

/* A reference to a region the receiver may not read: EACCES, and it stays. */
TEST(unreadable_reference_is_eacces)
{
	int ch;

	REQUIRE_PACKED();
	if (geteuid() != 0)
		SKIP(return, "needs root to send and receive as uids 1000 and 1001");
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0666, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(2, kipc_send(ch, "ok", 2, 0));
	ASSERT_EQ(0, in_child(send_private_ref_as_1000, &ch));
	/* "ok" alone (the batch ends at the reference), then EACCES. */
	ASSERT_EQ(0, in_child(packed_recv_as_1001, &ch));
	EXPECT_EQ(1, chan_stat(ch).nr_msgs);
	EXPECT_EQ(1, chan_stat(ch).received);
	/* Its owner's peer (root) may read it. */
	ASSERT_EQ(1, kipc_recv_packed(ch, RBUF, 4096, 16, KIPC_NONBLOCK));
	EXPECT_EQ(64, info_of(RBUF).len);
	EXPECT_EQ(0, check_fill(RBUF + INFO_SZ, 64, 140));
	close(ch);
}

/* ---- blocking -------------------------------------------------------- */

struct late_sender {
	int ch;
	int ret;
};

static void *late_sender_fn(void *arg)
{
	static unsigned char b[1024] __attribute__((aligned(8)));
	struct late_sender *s = arg;
	size_t len = 0;
	int i;

	usleep(150000);
	for (i = 0; i < 3; i++)
		len = put_rec(b, len, 30 + i, 0, 150 + i);
	s->ret = kipc_send_packed(s->ch, b, len, 3, 0);
	return NULL;
}

TEST(blocked_receive_woken_by_a_sender_thread)
{
	struct late_sender s = { .ret = -1 };
	const struct kipc_msg_info *info;
	int got = 0, n, i;
	pthread_t th;
	uint64_t t;
	size_t off;

	s.ch = packed_chan(_metadata, 16, 4096);
	t = now_ns();
	ASSERT_EQ(0, pthread_create(&th, NULL, late_sender_fn, &s));
	while (got < 3) {
		n = kipc_recv_packed(s.ch, RBUF, 4096, 16, 0);
		ASSERT_LT(0, n);
		off = 0;
		for (i = 0; i < n; i++) {
			info = rec_at(_metadata, RBUF, 4096, &off, 30 + got + i, 150 + got + i);
			EXPECT_EQ((uint64_t)got + i + 1, info->seq);
		}
		got += n;
	}
	/* It did wait for the sender. */
	EXPECT_LE(t + 100000000, now_ns());
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(3, s.ret);
	close(s.ch);
}

/* A blocked packed sender, woken by a packed receive. */
static void *late_receiver_fn(void *arg)
{
	static uint64_t b[512];
	struct late_sender *s = arg;

	usleep(150000);
	s->ret = kipc_recv_packed(s->ch, b, sizeof(b), 1, 0);
	return NULL;
}

TEST(blocked_send_woken_by_a_receiver_thread)
{
	struct late_sender s = { .ret = -1 };
	pthread_t th;
	size_t slen;
	uint64_t t;

	s.ch = packed_chan(_metadata, 1, 4096);
	slen = put_rec(SBUF, 0, 10, 0, 1);
	slen = put_rec(SBUF, slen, 11, 0, 2);
	ASSERT_EQ(1, kipc_send_packed(s.ch, SBUF, slen, 2, 0));
	t = now_ns();
	ASSERT_EQ(0, pthread_create(&th, NULL, late_receiver_fn, &s));
	ASSERT_EQ(1, kipc_send_packed(s.ch, SBUF + SEND_SZ(10), SEND_SZ(11), 1, 0));
	EXPECT_LE(t + 100000000, now_ns());
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(1, s.ret);
	ASSERT_EQ(1, kipc_recv_packed(s.ch, RBUF, 4096, 4, KIPC_NONBLOCK));
	EXPECT_EQ(0, check_fill(RBUF + INFO_SZ, 11, 2));
	close(s.ch);
}

/* ---- library helpers ------------------------------------------------- */

TEST(packed_add_limits)
{
	unsigned char data[64], *big;
	ssize_t r;
	size_t i;

	fill(data, sizeof(data), 160);
	memset(SBUF, 0xff, 256);
	/* A record: header, payload, zero padding. */
	ASSERT_EQ(SEND_SZ(9), kipc_packed_add(SBUF, 256, 0, data, 9, KIPC_PRIO(7)));
	EXPECT_EQ(9, hdr_of(SBUF).len);
	EXPECT_EQ(7, hdr_of(SBUF).prio);
	EXPECT_EQ(0, check_fill(SBUF + 8, 9, 160));
	for (i = 8 + 9; i < SEND_SZ(9); i++)
		EXPECT_EQ(0, SBUF[i]) TH_LOG("padding byte %zu", i);
	EXPECT_EQ(0xff, SBUF[SEND_SZ(9)]);	/* nothing past it */
	/* An empty payload: a header alone, data may be NULL. */
	ASSERT_EQ(SEND_SZ(9) + 8, kipc_packed_add(SBUF, 256, SEND_SZ(9), NULL, 0, 0));
	EXPECT_EQ(0, hdr_of(SBUF + SEND_SZ(9)).len);
	/* The record with its padding must fit @size. */
	EXPECT_EQ(-ENOSPC, kipc_packed_add(SBUF, 16, 0, data, 9, 0));
	EXPECT_EQ(-ENOSPC, kipc_packed_add(SBUF, 23, 0, data, 9, 0));
	EXPECT_EQ(24, kipc_packed_add(SBUF, 24, 0, data, 9, 0));
	EXPECT_EQ(-ENOSPC, kipc_packed_add(SBUF, 24, 24, data, 0, 0));	/* used == size */
	EXPECT_EQ(-ENOSPC, kipc_packed_add(SBUF, 30, 24, data, 0, 0));
	EXPECT_EQ(32, kipc_packed_add(SBUF, 32, 24, data, 0, 0));
	/* Nor may the total pass KIPC_PACKED_MAX, however large the buffer. */
	big = calloc(1, 2 * KIPC_PACKED_MAX);
	ASSERT_NE(NULL, big);
	EXPECT_EQ(-ENOSPC, kipc_packed_add(big, 2 * KIPC_PACKED_MAX, 0, SBUF, KIPC_PACKED_MAX, 0));
	EXPECT_EQ(-ENOSPC, kipc_packed_add(big, 2 * KIPC_PACKED_MAX, 0, SBUF,
					   KIPC_PACKED_MAX - 7, 0));
	EXPECT_EQ(KIPC_PACKED_MAX,
		  kipc_packed_add(big, 2 * KIPC_PACKED_MAX, 0, SBUF, KIPC_PACKED_MAX - 8, 0));
	EXPECT_EQ(-ENOSPC, kipc_packed_add(big, 2 * KIPC_PACKED_MAX, KIPC_PACKED_MAX, SBUF, 0, 0));
	EXPECT_EQ(-ENOSPC, kipc_packed_add(big, 2 * KIPC_PACKED_MAX, KIPC_PACKED_MAX - 8, SBUF,
					   1, 0));
	EXPECT_EQ(KIPC_PACKED_MAX,
		  kipc_packed_add(big, 2 * KIPC_PACKED_MAX, KIPC_PACKED_MAX - 8, SBUF, 0, 0));
	free(big);
	/* -EINVAL: flags, alignment, used past size. */
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 0, data, 1, KIPC_NONBLOCK));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 0, data, 1, KIPC_PEEK));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 0, data, 1, KIPC_PRIO(KIPC_PRIO_MAX + 1)));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 0, data, 1, 1u << 20));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 4, data, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 1, data, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_add(SBUF, 256, 264, data, 1, 0));
	r = kipc_packed_add(SBUF, 256, 0, data, 1, KIPC_PRIO(KIPC_PRIO_MAX));
	EXPECT_EQ(16, r);
	EXPECT_EQ(KIPC_PRIO_MAX, hdr_of(SBUF).prio);
}

/* A receive buffer laid out by hand: walked, cut, malformed. */
TEST(packed_next_walks_and_refuses_malformed_records)
{
	struct kipc_msg_info *a = (void *)RBUF, *b;
	const struct kipc_msg_info *info;
	const void *data;
	size_t total;
	ssize_t r;

	memset(RBUF, 0, 1024);
	a->len = 13;
	a->seq = 1;
	b = (void *)(RBUF + RECV_SZ(13));
	b->len = 0;
	b->seq = 2;
	total = RECV_SZ(13) + RECV_SZ(0);
	/* Walk. */
	r = kipc_packed_next(RBUF, total, 0, &info, &data);
	ASSERT_EQ(RECV_SZ(13), r);
	EXPECT_EQ((const void *)a, (const void *)info);
	EXPECT_EQ((const void *)(RBUF + INFO_SZ), data);
	r = kipc_packed_next(RBUF, total, (size_t)r, &info, &data);
	ASSERT_EQ(total, r);
	EXPECT_EQ(2, info->seq);
	EXPECT_EQ(-ENOENT, kipc_packed_next(RBUF, total, total, &info, &data));
	EXPECT_EQ(-ENOENT, kipc_packed_next(RBUF, total, total + 8, &info, &data));
	EXPECT_EQ(-ENOENT, kipc_packed_next(RBUF, 0, 0, &info, &data));
	/* NULL outputs are fine. */
	EXPECT_EQ(RECV_SZ(13), kipc_packed_next(RBUF, total, 0, NULL, NULL));
	/* The last record's padding cut off by @len: clamped to @len. */
	EXPECT_EQ(INFO_SZ + 13, kipc_packed_next(RBUF, INFO_SZ + 13, 0, &info, &data));
	EXPECT_EQ(INFO_SZ + 14, kipc_packed_next(RBUF, INFO_SZ + 14, 0, &info, &data));
	/* -EINVAL: unaligned, an info cut short, a payload past @len. */
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, total, 4, &info, &data));
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, INFO_SZ - 8, 0, &info, &data));
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, INFO_SZ + 12, 0, &info, &data));
	a->len = 1000;
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, total, 0, &info, &data));
	a->len = UINT32_MAX;
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, total, 0, &info, &data));
	a->len = UINT32_MAX - 60;
	EXPECT_EQ(-EINVAL, kipc_packed_next(RBUF, total, 0, &info, &data));
	a->len = 13;
	EXPECT_EQ(RECV_SZ(13), kipc_packed_next(RBUF, total, 0, &info, &data));
}

TEST(packed_prep_fills_the_struct)
{
	struct kipc_packed p;

	memset(&p, 0x5a, sizeof(p));
	ASSERT_EQ(0, kipc_packed_prep(&p, SBUF, 100, 3, 0));
	EXPECT_EQ(sizeof(p), p.size);
	EXPECT_EQ(0, p.flags);
	EXPECT_EQ((uintptr_t)SBUF, p.buf);
	EXPECT_EQ(100, p.len);
	EXPECT_EQ(3, p.nr);
	EXPECT_EQ(0, p.deadline_ns);
	ASSERT_EQ(0, kipc_packed_prep(&p, SBUF, KIPC_PACKED_MAX, KIPC_BATCH_MAX, KIPC_NONBLOCK));
	EXPECT_EQ(KIPC_XFER_NONBLOCK, p.flags);
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, 100, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, 100, KIPC_BATCH_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, 0, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, KIPC_PACKED_MAX + 1, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, 100, 1, KIPC_PEEK));
	EXPECT_EQ(-EINVAL, kipc_packed_prep(&p, SBUF, 100, 1, KIPC_PRIO(2)));
}

/* ---- io_uring -------------------------------------------------------- */

/* Submit one packed batch and wait for its CQE; returns its res. */
static int ring_packed(struct io_uring *ring, int ch, struct kipc_packed *p, int send)
{
	int ret = kipc_ring_prep_packed(ring, ch, p, send, 9);

	return ret ? ret : ring_complete(ring, 9);
}

TEST(uring_packed_send_and_receive)
{
	const struct kipc_msg_info *info;
	struct kipc_packed ps, pr;
	struct io_uring ring;
	size_t slen = 0, off;
	uint64_t t;
	int ch, i;

	ch = packed_chan(_metadata, 6, 4096);
	if (!uring_ok(_metadata, &ring))
		SKIP(return, "no io_uring here (or KIPC_FEAT_URING_CMD clear)");
	/* Empty: completes at once with 0, blocking flags or not. */
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, 4096, 16, 0));
	t = now_ns();
	EXPECT_EQ(0, ring_packed(&ring, ch, &pr, 0));
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, 4096, 16, KIPC_NONBLOCK));
	EXPECT_EQ(0, ring_packed(&ring, ch, &pr, 0));
	EXPECT_GT(t + 2000000000ull, now_ns());
	for (i = 0; i < 8; i++)
		slen = put_rec(SBUF, slen, 5 * i, i % 3, 170 + i);
	ASSERT_EQ(0, kipc_packed_prep(&ps, SBUF, slen, 8, 0));
	EXPECT_EQ(6, ring_packed(&ring, ch, &ps, 1));	/* depth 6 */
	/* Full: 0, not -EAGAIN; a bad first record still says what is wrong. */
	EXPECT_EQ(0, ring_packed(&ring, ch, &ps, 1));
	memcpy(SBUF, &(struct kipc_packed_send){ .prio = KIPC_PRIO_MAX + 1 }, 8);
	EXPECT_EQ(-EINVAL, ring_packed(&ring, ch, &ps, 1));
	put_rec(SBUF, 0, 0, 0, 170);
	EXPECT_EQ(6, chan_stat(ch).nr_msgs);
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, 4096, 16, 0));
	memset(RBUF, 0xee, 4096);
	ASSERT_EQ(6, ring_packed(&ring, ch, &pr, 0));
	/* prio 2: i = 2, 5; prio 1: 1, 4; prio 0: 0, 3. */
	off = 0;
	{
		static const int order[] = { 2, 5, 1, 4, 0, 3 };

		for (i = 0; i < 6; i++) {
			int k = order[i];

			info = rec_at(_metadata, RBUF, 4096, &off, 5 * k, 170 + k);
			EXPECT_EQ((uint32_t)k % 3, info->prio);
			EXPECT_EQ((uint64_t)k + 1, info->seq);
			EXPECT_EQ(getpid(), info->pid);
		}
	}
	/* Too small for the first record: -EMSGSIZE in the CQE, the message stays. */
	slen = put_rec(SBUF, 0, 100, 0, 180);
	ASSERT_EQ(1, kipc_send_packed(ch, SBUF, slen, 1, 0));
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, INFO_SZ + 8, 16, 0));
	EXPECT_EQ(-EMSGSIZE, ring_packed(&ring, ch, &pr, 0));
	EXPECT_EQ(100, info_of(RBUF).len);
	EXPECT_EQ(1, chan_stat(ch).nr_msgs);
	/* Errors come back in the CQE. */
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, 4096, 16, 0));
	pr.nr = 0;
	EXPECT_EQ(-EINVAL, ring_packed(&ring, ch, &pr, 0));
	pr.nr = 16;
	pr.buf = (uintptr_t)unmapped_page();
	EXPECT_EQ(-EFAULT, ring_packed(&ring, ch, &pr, 0));
	EXPECT_EQ(1, chan_stat(ch).nr_msgs);
	ASSERT_EQ(0, kipc_packed_prep(&pr, RBUF, 4096, 16, 0));
	ASSERT_EQ(1, ring_packed(&ring, ch, &pr, 0));
	off = 0;
	rec_at(_metadata, RBUF, 4096, &off, 100, 180);
	kipc_ring_exit(&ring);
	close(ch);
}

/* A two-thread stream over io_uring both ways, waiting with poll SQEs. */
TEST(uring_packed_stream)
{
	enum { TOTAL = 3000, PER = 40, LEN = 24 };
	struct io_uring ring;
	struct kipc_packed p;
	int ch, got = 0, status;
	pid_t pid;

	ch = packed_chan(_metadata, 64, 4096);
	if (!uring_ok(_metadata, &ring))
		SKIP(return, "no io_uring here (or KIPC_FEAT_URING_CMD clear)");
	kipc_ring_exit(&ring);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int sent = 0;

		if (kipc_ring_init(&ring, 16, 0))
			_exit(2);
		while (sent < TOTAL) {
			int k = TOTAL - sent < PER ? TOTAL - sent : PER, i, n;
			size_t len = 0;

			for (i = 0; i < k; i++)
				len = put_rec(SBUF, len, LEN, 0, sent + i);
			kipc_packed_prep(&p, SBUF, len, k, 0);
			n = ring_packed(&ring, ch, &p, 1);
			if (n < 0)
				_exit(3);
			if (!n && ring_poll(&ring, ch, POLLOUT))
				_exit(4);
			sent += n;
		}
		_exit(0);
	}
	ASSERT_EQ(0, kipc_ring_init(&ring, 16, 0));
	while (got < TOTAL) {
		const struct kipc_msg_info *info;
		size_t off = 0;
		int n, i;

		kipc_packed_prep(&p, RBUF, 4096, KIPC_BATCH_MAX, 0);
		n = ring_packed(&ring, ch, &p, 0);
		ASSERT_LE(0, n);
		if (!n) {
			ASSERT_EQ(0, ring_poll(&ring, ch, POLLIN));
			continue;
		}
		ASSERT_GE(4096 / RECV_SZ(LEN), (size_t)n);
		for (i = 0; i < n; i++) {
			info = rec_at(_metadata, RBUF, 4096, &off, LEN, got + i);
			ASSERT_EQ((uint64_t)got + i + 1, info->seq);
		}
		got += n;
	}
	kipc_ring_exit(&ring);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ch);
}

TEST_HARNESS_MAIN
