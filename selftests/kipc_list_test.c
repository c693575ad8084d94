// SPDX-License-Identifier: GPL-2.0
/*
 * KIPC_IOC_LIST, the stable object listing: the entries carry the right
 * fields, a walk of one entry per call sees every object once in id
 * order and ends with next_id 0, the size contract (struct size, flags,
 * entry_size, the tail of a larger entry written as zero), and who sees
 * what: an unprivileged caller sees only the named objects it may open for
 * reading, never an anonymous one. The privilege test runs as root (to
 * switch users) and SKIPs otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <kipc.h>
#include "kipc_test_util.h"
#include "kselftest_harness.h"

#define MAX_ENTRIES	4096

/* One KIPC_IOC_LIST call from @start of up to @max entries: its return. */
static int list_once(int ctl, struct kipc_list_entry *e, uint32_t max, uint64_t start,
		     uint64_t *next)
{
	struct kipc_list l = {
		.size = sizeof(l),
		.entries = (uintptr_t)e,
		.entry_size = sizeof(*e),
		.max_entries = max,
		.start_id = start,
	};
	int ret = xioctl(ctl, KIPC_IOC_LIST, &l);

	*next = l.next_id;
	/* Inputs come back as they went in. */
	if (l.start_id != start || l.max_entries != max || l.entry_size != sizeof(*e))
		return -EPROTO;
	return ret;
}

/* Every object the caller may see, into @e (MAX_ENTRIES): the count or -errno. */
static int list_all(int ctl, struct kipc_list_entry *e)
{
	uint64_t start = 0, next;
	int n = 0, ret;

	do {
		ret = list_once(ctl, e + n, MAX_ENTRIES - n, start, &next);
		if (ret < 0)
			return ret;
		n += ret;
		start = next;
	} while (next && n < MAX_ENTRIES);
	return n;
}

static const struct kipc_list_entry *find_id(const struct kipc_list_entry *e, int n,
					     uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (e[i].id == id)
			return &e[i];
	return NULL;
}

static uint64_t chan_id(int fd)
{
	struct kipc_chan_stat st;

	return kipc_chan_stat(fd, &st) ? 0 : st.id;
}

static uint64_t region_id(int fd)
{
	struct kipc_shm_stat st = { .size = sizeof(st) };

	return ioctl(fd, KIPC_IOC_SHM_STAT, &st) ? 0 : st.id;
}

FIXTURE(list) {
	int ctl;
	struct kipc_list_entry *e;
};

FIXTURE_SETUP(list)
{
	uint64_t features = 0;

	self->ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	ASSERT_LT(0, kipc_version(&features));
	ASSERT_TRUE(features & KIPC_FEAT_LIST);
	self->e = calloc(MAX_ENTRIES, sizeof(*self->e));
	ASSERT_NE(NULL, self->e);
}

FIXTURE_TEARDOWN(list)
{
	free(self->e);
	close(self->ctl);
}

/* A channel and a region as the listing shows them. */
TEST_F(list, fields)
{
	struct kipc_chan_attr attr = { .max_msgs = 8 };
	const struct kipc_list_entry *c, *r;
	char cname[64], rname[64], got[8];
	int ch, shm, n;
	void *map;

	make_name(cname, sizeof(cname), "c");
	make_name(rname, sizeof(rname), "r");
	ch = kipc_chan_open(cname, O_RDWR | O_CREAT | O_EXCL, 0640, &attr);
	ASSERT_LE(0, ch);
	shm = kipc_shm_open(rname, O_RDWR | O_CREAT | O_EXCL, 0604, 3 * 4096);
	ASSERT_LE(0, shm);
	ASSERT_EQ(5, kipc_send(ch, "hello", 5, 0));
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, shm, 0);
	ASSERT_NE(MAP_FAILED, map);

	n = list_all(self->ctl, self->e);
	ASSERT_LE(2, n);
	c = find_id(self->e, n, chan_id(ch));
	r = find_id(self->e, n, region_id(shm));
	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, r);

	EXPECT_EQ(KIPC_OBJ_CHAN, c->type);
	EXPECT_EQ(KIPC_LIST_NAMED, c->state);
	EXPECT_STREQ(cname, c->name);
	EXPECT_EQ(getuid(), c->uid);
	EXPECT_EQ(getgid(), c->gid);
	EXPECT_EQ(0640, c->mode);
	EXPECT_EQ(1, c->nr_fds);
	EXPECT_EQ(0, c->nr_waiters);
	EXPECT_EQ(1, c->nr_msgs);
	EXPECT_EQ(8, c->max_msgs);
	EXPECT_EQ(5, c->bytes);
	EXPECT_EQ(1, c->sent);
	EXPECT_EQ(0, c->received);
	EXPECT_EQ(0, c->nr_maps);
	EXPECT_EQ(0, c->__reserved);
	EXPECT_EQ(0, c->__reserved2);

	EXPECT_EQ(KIPC_OBJ_REGION, r->type);
	EXPECT_EQ(KIPC_LIST_NAMED, r->state);
	EXPECT_STREQ(rname, r->name);
	EXPECT_EQ(getuid(), r->uid);
	EXPECT_EQ(0604, r->mode);
	EXPECT_EQ(1, r->nr_fds);
	EXPECT_EQ(3 * 4096, r->bytes);
	EXPECT_EQ(1, r->nr_maps);
	EXPECT_EQ(0, r->nr_msgs);
	EXPECT_EQ(0, r->max_msgs);
	EXPECT_EQ(0, r->sent);

	/* Received: the counters move; unlinked: no name, not NAMED. */
	ASSERT_EQ(5, kipc_recv(ch, got, sizeof(got), NULL, 0));
	ASSERT_EQ(0, kipc_chan_unlink(cname));
	n = list_all(self->ctl, self->e);
	c = find_id(self->e, n, chan_id(ch));
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, c->nr_msgs);
	EXPECT_EQ(0, c->bytes);
	EXPECT_EQ(1, c->received);
	EXPECT_EQ(0, c->state);
	EXPECT_EQ(0, c->name[0]);

	munmap(map, 4096);
	close(ch);
	kipc_shm_unlink(rname);
	close(shm);
}

/* One entry a call: every object once, ids rising, next_id 0 at the end. */
TEST_F(list, walk_one_at_a_time)
{
	uint64_t ids[3], start = 0, next, last = 0;
	int fds[3], seen[3] = { 0 }, calls = 0, i, ret;
	struct kipc_list_entry e, two[2];

	for (i = 0; i < 3; i++) {
		fds[i] = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		ASSERT_LE(0, fds[i]);
		ids[i] = chan_id(fds[i]);
	}
	do {
		ret = list_once(self->ctl, &e, 1, start, &next);
		ASSERT_LE(0, ret);
		ASSERT_GE(1, ret);
		if (ret) {
			ASSERT_LT(last, e.id);
			ASSERT_LE(start, e.id);
			last = e.id;
			for (i = 0; i < 3; i++)
				seen[i] += e.id == ids[i];
		}
		if (next) {
			ASSERT_LT(last, next);
		}
		start = next;
		ASSERT_GT(100000, ++calls);
	} while (next);
	EXPECT_EQ(1, seen[0]);
	EXPECT_EQ(1, seen[1]);
	EXPECT_EQ(1, seen[2]);

	/* Past the last object: nothing, done. */
	EXPECT_EQ(0, list_once(self->ctl, &e, 1, last + 1, &next));
	EXPECT_EQ(0, next);
	/* max_entries 0: nothing written, next_id tells what is there. */
	memset(&e, 0xa5, sizeof(e));
	EXPECT_EQ(0, list_once(self->ctl, &e, 0, ids[1], &next));
	EXPECT_EQ(ids[1], next);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, e.id);
	EXPECT_EQ(0, list_once(self->ctl, &e, 0, last + 1, &next));
	EXPECT_EQ(0, next);
	/* Two at a time from the second: the second and third, in order. */
	EXPECT_EQ(2, list_once(self->ctl, two, 2, ids[1], &next));
	EXPECT_EQ(ids[1], two[0].id);
	EXPECT_EQ(ids[2], two[1].id);
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

TEST_F(list, size_contract)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct {
		struct kipc_list l;
		uint64_t tail;
	} big;
	struct kipc_list l;
	unsigned char *buf;
	size_t esz = sizeof(struct kipc_list_entry) + 16, i;
	int ch, ret;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, ch);
	buf = malloc(4 * esz);
	ASSERT_NE(NULL, buf);

	_Static_assert(sizeof(struct kipc_list) == KIPC_LIST_SIZE_VER0, "kipc_list");
	_Static_assert(sizeof(struct kipc_list_entry) == KIPC_LIST_ENTRY_SIZE_VER0,
		       "kipc_list_entry");
	memset(&l, 0, sizeof(l));
	l.size = KIPC_LIST_SIZE_VER0 - 8;
	l.entry_size = KIPC_LIST_ENTRY_SIZE_VER0;
	EXPECT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_LIST, &l));

	memset(&big, 0, sizeof(big));
	big.l.size = sizeof(big);
	big.l.entry_size = KIPC_LIST_ENTRY_SIZE_VER0;
	big.tail = 1;
	EXPECT_EQ(-E2BIG, xioctl(self->ctl, KIPC_IOC_LIST, &big));
	big.tail = 0;
	EXPECT_EQ(0, xioctl(self->ctl, KIPC_IOC_LIST, &big));
	EXPECT_NE(0, big.l.next_id);	/* at least our channel */

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l);
	l.entry_size = KIPC_LIST_ENTRY_SIZE_VER0;
	l.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_LIST, &l));
	l.flags = 0;
	l.entry_size = KIPC_LIST_ENTRY_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_LIST, &l));
	l.entry_size = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_LIST, &l));
	l.entry_size = pg + 8;
	EXPECT_EQ(-E2BIG, xioctl(self->ctl, KIPC_IOC_LIST, &l));
	EXPECT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_LIST, NULL));

	/* An unwritable array: EFAULT. */
	l.entry_size = KIPC_LIST_ENTRY_SIZE_VER0;
	l.max_entries = 1;
	l.entries = 8;
	EXPECT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_LIST, &l));

	/* A larger entry: the bytes past the kernel's are written as zero. */
	memset(buf, 0xff, 4 * esz);
	l.entries = (uintptr_t)buf;
	l.entry_size = esz;
	l.max_entries = 4;
	ret = xioctl(self->ctl, KIPC_IOC_LIST, &l);
	ASSERT_LE(1, ret);
	for (i = 0; i < (size_t)ret; i++) {
		const struct kipc_list_entry *e = (void *)(buf + i * esz);

		EXPECT_NE(0, e->id);
		EXPECT_EQ(NULL, memchr(buf + i * esz + KIPC_LIST_ENTRY_SIZE_VER0, 0xff, 16));
	}
	for (; i < 4; i++) {	/* entries not written stay as they were */
		EXPECT_EQ(0xff, buf[i * esz]);
	}
	free(buf);
	close(ch);
}

/*
 * Root makes a 0600 and a 0644 channel and an anonymous 0666 one; user
 * 1000 sees only the 0644 one (and its owner as root, uid 0).
 */
TEST_F(list, unprivileged_sees_what_it_may_read)
{
	char closed[64], open_[64];
	uint64_t id_closed, id_open, id_anon;
	int a, b, c, n, status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to switch users");
	make_name(closed, sizeof(closed), "closed");
	make_name(open_, sizeof(open_), "open");
	a = kipc_chan_open(closed, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	ASSERT_LE(0, a);
	b = kipc_chan_open(open_, O_RDWR | O_CREAT | O_EXCL, 0644, NULL);
	ASSERT_LE(0, b);
	c = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0666, NULL);
	ASSERT_LE(0, c);
	id_closed = chan_id(a);
	id_open = chan_id(b);
	id_anon = chan_id(c);

	/* Root (CAP_SYS_ADMIN) sees all three. */
	n = list_all(self->ctl, self->e);
	ASSERT_LE(3, n);
	EXPECT_NE(NULL, find_id(self->e, n, id_closed));
	EXPECT_NE(NULL, find_id(self->e, n, id_open));
	EXPECT_NE(NULL, find_id(self->e, n, id_anon));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		const struct kipc_list_entry *e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (become(1000, 1000))
			_exit(10);
		n = list_all(self->ctl, self->e);
		if (n < 1)
			_exit(11);
		if (find_id(self->e, n, id_closed))
			_exit(12);
		if (find_id(self->e, n, id_anon))
			_exit(13);
		e = find_id(self->e, n, id_open);
		if (!e)
			_exit(14);
		if (e->uid != 0 || strcmp(e->name, open_) || e->mode != 0644)
			_exit(15);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_EQ(0, status);

	kipc_chan_unlink(closed);
	kipc_chan_unlink(open_);
	close(a);
	close(b);
	close(c);
}

TEST_HARNESS_MAIN
