// SPDX-License-Identifier: GPL-2.0
/*
 * kipc permission matrix, as three unprivileged users in one boot:
 *   owner  uid 1000, gid 1000                 (creates every object)
 *   group  uid 1001, gid 1001, groups {1000}  (a member of the owning group)
 *   other  uid 1002, gid 1002
 * For each of them and each of the eight rwx values of their class's bits,
 * a channel and a region are created with that value in the class under
 * test and its complement in the two other classes (so a check against
 * the wrong class gives the wrong answer), and the user tries open for
 * read, write and both, send, receive, map read-only and read-write,
 * receive a reference (plain receive and read(2) of it too) and send one.
 * Every allowed case must work and every denied one give -EACCES with
 * nothing delivered: queue depths and counters are checked through a
 * root fd. A non-owner may not unlink (even mode 0777). Regions are
 * zero-filled: never another region's or a freed region's bytes.
 *
 * Runs as root (to switch users) and SKIPs otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define PATTERN		0xa7
#define CLASS_BITS	7

struct actor {
	const char *name;
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[1];
	int shift;		/* where the class's bits are in the mode: 6, 3 or 0 */
};

static const struct actor owner = { "owner", 1000, 1000, 0, { 0 }, 6 };

/* What a user's attempts gave: 0 or an fd-free success, else -errno. */
struct outcome {
	int open_ro, open_wo, open_rw;
	int send, recv;
	int map_ro, map_w_on_ro, map_rw, write_seen;
	int recv_ref, recv_plain_ref, read_ref, ref_data;
	int send_ref;
	int unlink;
	int unlink_region;
	int step;		/* the setup step that failed, 0 if none */
};

static struct outcome *out;	/* shared with the children */

/* @bits in the class at @shift, their complement in the two others. */
static mode_t mode_for(int shift, unsigned int bits)
{
	unsigned int inv = ~bits & CLASS_BITS;
	mode_t m = 0;
	int s;

	for (s = 0; s <= 6; s += 3)
		m |= (mode_t)((s == shift ? bits : inv) << s);
	return m;
}

/* Run @fn as @a in a child; its return value (>= 0) is the exit status. */
static int as_user(const struct actor *a, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (become_groups(a->uid, a->gid, (size_t)a->ngroups, a->groups))
			_exit(200);
		_exit(fn(arg));
	}
	return wait_child(pid);
}

struct create_arg {
	const char *name;
	mode_t mode;
	bool region;
};

static int create_fn(void *p)
{
	const struct create_arg *c = p;
	int fd;

	if (c->region)
		fd = kipc_shm_open(c->name, O_RDWR | O_CREAT | O_EXCL, c->mode, 2 * 4096);
	else
		fd = kipc_chan_open(c->name, O_RDWR | O_CREAT | O_EXCL, c->mode, NULL);
	if (fd < 0)
		return 100 + (-fd & 0x3f);
	close(fd);
	return 0;
}

/* The owner creates @name with @mode; the object lives on by its name. */
static int create_as_owner(const char *name, mode_t mode, bool region)
{
	struct create_arg c = { name, mode, region };

	return as_user(&owner, create_fn, &c);
}

FIXTURE(perm) {
	char name[64];
	char cname[64];
};

FIXTURE_VARIANT(perm) {
	struct actor who;
};

FIXTURE_VARIANT_ADD(perm, owner) {
	.who = { "owner", 1000, 1000, 0, { 0 }, 6 },
};

FIXTURE_VARIANT_ADD(perm, group) {
	.who = { "group", 1001, 1001, 1, { 1000 }, 3 },
};

FIXTURE_VARIANT_ADD(perm, other) {
	.who = { "other", 1002, 1002, 0, { 0 }, 0 },
};

FIXTURE_SETUP(perm)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uids 1000, 1001 and 1002");
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	out = mmap(NULL, sizeof(*out), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, out);
	make_name(self->name, sizeof(self->name), variant->who.name);
	make_name(self->cname, sizeof(self->cname), "refs");
}

FIXTURE_TEARDOWN(perm)
{
	if (out && out != MAP_FAILED)
		munmap(out, sizeof(*out));
	out = NULL;
}

/* ---- channels ---- */

static int chan_try(void *p)
{
	const char *name = p;
	char buf[16];
	int ro, wo, rw;
	long r;

	ro = kipc_chan_open(name, O_RDONLY, 0, NULL);
	wo = kipc_chan_open(name, O_WRONLY, 0, NULL);
	rw = kipc_chan_open(name, O_RDWR, 0, NULL);
	out->open_ro = ro < 0 ? ro : 0;
	out->open_wo = wo < 0 ? wo : 0;
	out->open_rw = rw < 0 ? rw : 0;
	out->send = 1;
	out->recv = 1;
	if (wo >= 0) {
		r = kipc_send(wo, "sent", 4, KIPC_NONBLOCK);
		out->send = r == 4 ? 0 : r < 0 ? (int)r : -EPROTO;
	}
	if (ro >= 0) {
		r = kipc_recv(ro, buf, sizeof(buf), NULL, KIPC_NONBLOCK);
		out->recv = r == 6 && !memcmp(buf, "queued", 6) ? 0 : r < 0 ? (int)r : -EPROTO;
	}
	return 0;
}

/*
 * For each rwx value of the actor's class: opens need the r and w bits
 * they ask for; send and receive work on what opened; denied opens are
 * -EACCES and leave the queue alone.
 */
TEST_F(perm, channel_matrix)
{
	const struct actor *a = &variant->who;
	unsigned int bits;

	for (bits = 0; bits <= CLASS_BITS; bits++) {
		mode_t mode = mode_for(a->shift, bits);
		bool r = bits & 4, w = bits & 2;
		struct kipc_chan_stat st;
		int root;

		make_name(self->name, sizeof(self->name), a->name);
		ASSERT_EQ(0, create_as_owner(self->name, mode, false))
			TH_LOG("owner could not create a channel of mode %03o", mode);
		/* root (CAP_DAC_OVERRIDE) watches the queue and feeds it */
		root = kipc_chan_open(self->name, O_RDWR, 0, NULL);
		ASSERT_LE(0, root);
		ASSERT_EQ(6, kipc_send(root, "queued", 6, 0));
		memset(out, 0x55, sizeof(*out));
		ASSERT_EQ(0, as_user(a, chan_try, self->name));

		EXPECT_EQ(r ? 0 : -EACCES, out->open_ro)
			TH_LOG("%s, mode %03o: open O_RDONLY", a->name, mode);
		EXPECT_EQ(w ? 0 : -EACCES, out->open_wo)
			TH_LOG("%s, mode %03o: open O_WRONLY", a->name, mode);
		EXPECT_EQ(r && w ? 0 : -EACCES, out->open_rw)
			TH_LOG("%s, mode %03o: open O_RDWR", a->name, mode);
		EXPECT_EQ(w ? 0 : 1, out->send)
			TH_LOG("%s, mode %03o: send", a->name, mode);
		EXPECT_EQ(r ? 0 : 1, out->recv)
			TH_LOG("%s, mode %03o: receive", a->name, mode);

		/* Exactly what was allowed happened to the queue. */
		st = chan_stat(root);
		EXPECT_EQ(1 + w, st.sent) TH_LOG("%s, mode %03o", a->name, mode);
		EXPECT_EQ((unsigned int)r, st.received) TH_LOG("%s, mode %03o", a->name, mode);
		EXPECT_EQ(1 + w - r, st.nr_msgs) TH_LOG("%s, mode %03o", a->name, mode);
		EXPECT_EQ(1, st.nr_senders);	/* the user's fds are closed */
		EXPECT_EQ(1, st.nr_receivers);
		EXPECT_EQ(owner.uid, st.uid);
		EXPECT_EQ(owner.gid, st.gid);
		EXPECT_EQ(mode, st.mode);
		ASSERT_EQ(0, kipc_chan_unlink(self->name));
		close(root);
	}
}

/* ---- regions and references ---- */

struct region_try_arg {
	const char *name;
	const char *cname;
};

static int region_try(void *p)
{
	const struct region_try_arg *t = p;
	struct kipc_ref ref = KIPC_REF_INIT;
	char buf[128];
	void *m;
	int ro, rw, ch;
	long r;

	ro = kipc_shm_open(t->name, O_RDONLY, 0, 0);
	rw = kipc_shm_open(t->name, O_RDWR, 0, 0);
	out->open_ro = ro < 0 ? ro : 0;
	out->open_rw = rw < 0 ? rw : 0;
	out->map_ro = out->map_w_on_ro = out->map_rw = out->send_ref = 1;
	if (ro >= 0) {
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
		out->map_ro = m == MAP_FAILED ? -errno :
			      *(volatile uint8_t *)m == PATTERN ? 0 : -EPROTO;
		if (m != MAP_FAILED)
			munmap(m, 4096);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
		out->map_w_on_ro = m == MAP_FAILED ? -errno : 0;
		if (m != MAP_FAILED)
			munmap(m, 4096);
	}
	if (rw >= 0) {
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
		out->map_rw = m == MAP_FAILED ? -errno : 0;
		if (m != MAP_FAILED) {
			((volatile uint8_t *)m)[100] = 0x5a;
			munmap(m, 4096);
		}
	}

	/* The reference root queued: receive it as a reference, then plainly. */
	ch = kipc_chan_open(t->cname, O_RDWR, 0, NULL);
	if (ch < 0) {
		out->step = 1;
		return 0;
	}
	r = kipc_recv_ref(ch, &ref, NULL, KIPC_NONBLOCK);
	out->recv_ref = (int)r;
	out->ref_data = 1;
	out->recv_plain_ref = out->read_ref = 1;
	if (!r) {
		out->ref_data = ref.len == 64 && ((uint8_t *)ref.addr)[0] == PATTERN &&
				((uint8_t *)ref.addr)[63] == PATTERN ? 0 : -EPROTO;
		kipc_ref_release(&ref);
	} else {
		r = kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK);
		out->recv_plain_ref = r < 0 ? (int)r : 0;
		if (r == -EACCES) {
			r = read(ch, buf, sizeof(buf));
			out->read_ref = r < 0 ? -errno : 0;
		}
	}
	/* A reference of its own, through the fd it could open. */
	if (ro >= 0) {
		r = kipc_send_ref(ch, ro, 128, 32, KIPC_NONBLOCK);
		out->send_ref = (int)r;
	}
	return 0;
}

TEST_F(perm, region_matrix)
{
	const struct actor *a = &variant->who;
	struct region_try_arg t = { self->name, self->cname };
	unsigned int bits;

	for (bits = 0; bits <= CLASS_BITS; bits++) {
		mode_t mode = mode_for(a->shift, bits);
		bool r = bits & 4, w = bits & 2;
		struct kipc_shm_stat sst;
		struct kipc_chan_stat st;
		struct kipc_ref ref = KIPC_REF_INIT;
		uint8_t *m;
		int root, ch;

		make_name(self->name, sizeof(self->name), a->name);
		make_name(self->cname, sizeof(self->cname), "refs");
		ASSERT_EQ(0, create_as_owner(self->name, mode, true))
			TH_LOG("owner could not create a region of mode %03o", mode);
		root = kipc_shm_open(self->name, O_RDWR, 0, 0);
		ASSERT_LE(0, root);
		m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, root, 0);
		ASSERT_NE(MAP_FAILED, m);
		memset(m, PATTERN, 4096);
		/* A channel everyone may use, holding one reference to the region. */
		ch = kipc_chan_open(self->cname, O_RDWR | O_CREAT | O_EXCL, 0666, NULL);
		ASSERT_LE(0, ch);
		ASSERT_EQ(0, kipc_send_ref(ch, root, 0, 64, 0));
		memset(out, 0x55, sizeof(*out));
		out->step = 0;
		ASSERT_EQ(0, as_user(a, region_try, &t));
		ASSERT_EQ(0, out->step);

		EXPECT_EQ(r ? 0 : -EACCES, out->open_ro)
			TH_LOG("%s, mode %03o: open O_RDONLY", a->name, mode);
		EXPECT_EQ(r && w ? 0 : -EACCES, out->open_rw)
			TH_LOG("%s, mode %03o: open O_RDWR", a->name, mode);
		EXPECT_EQ(r ? 0 : 1, out->map_ro) TH_LOG("%s, mode %03o: map", a->name, mode);
		/* A read-only fd never maps writable, whatever the mode says. */
		EXPECT_EQ(r ? -EACCES : 1, out->map_w_on_ro)
			TH_LOG("%s, mode %03o: PROT_WRITE on O_RDONLY", a->name, mode);
		EXPECT_EQ(r && w ? 0 : 1, out->map_rw)
			TH_LOG("%s, mode %03o: map read-write", a->name, mode);
		EXPECT_EQ(r && w ? 0x5a : PATTERN, m[100])
			TH_LOG("%s, mode %03o: the user's write", a->name, mode);

		/* Receiving a reference needs read permission on the region. */
		EXPECT_EQ(r ? 0 : -EACCES, out->recv_ref)
			TH_LOG("%s, mode %03o: receive a reference", a->name, mode);
		EXPECT_EQ(r ? 0 : 1, out->ref_data)
			TH_LOG("%s, mode %03o: the referenced bytes", a->name, mode);
		/* ... and so does reading its bytes through a plain receive. */
		EXPECT_EQ(r ? 1 : -EACCES, out->recv_plain_ref)
			TH_LOG("%s, mode %03o: plain receive of a reference to a region it may not read",
			       a->name, mode);
		EXPECT_EQ(r ? 1 : -EACCES, out->read_ref)
			TH_LOG("%s, mode %03o: read(2) of a reference to a region it may not read",
			       a->name, mode);
		EXPECT_EQ(r ? 0 : 1, out->send_ref)
			TH_LOG("%s, mode %03o: send a reference", a->name, mode);

		/* Denied: still queued. Allowed: consumed, and the user's own queued. */
		st = chan_stat(ch);
		EXPECT_EQ((unsigned int)r, st.received) TH_LOG("%s, mode %03o", a->name, mode);
		/* root's reference if denied; else the user's own */
		EXPECT_EQ(1, st.nr_msgs) TH_LOG("%s, mode %03o", a->name, mode);
		sst.size = 0;
		ASSERT_EQ(0, kipc_shm_stat(root, &sst));
		EXPECT_EQ(1, sst.nr_refs) TH_LOG("%s, mode %03o", a->name, mode);
		EXPECT_EQ(1, sst.nr_maps);	/* root's; the user's are gone */
		EXPECT_EQ(owner.uid, sst.uid);
		EXPECT_EQ(mode, sst.mode);
		if (r) {
			/* The user's reference: to this region, at its offset. */
			ASSERT_EQ(0, kipc_recv_ref(ch, &ref, NULL, KIPC_NONBLOCK));
			EXPECT_EQ(128, ref.offset);
			EXPECT_EQ(32, ref.len);
			EXPECT_EQ(PATTERN, ((uint8_t *)ref.addr)[0]);
			kipc_ref_release(&ref);
		}
		ASSERT_EQ(0, kipc_chan_unlink(self->cname));
		close(ch);
		munmap(m, 8192);
		ASSERT_EQ(0, kipc_shm_unlink(self->name));
		close(root);
	}
}

/* ---- unlink ---- */

struct unlink_arg {
	const char *chan;
	const char *region;
};

static int unlink_try(void *p)
{
	const struct unlink_arg *u = p;

	out->unlink = kipc_chan_unlink(u->chan);
	out->unlink_region = kipc_shm_unlink(u->region);
	return 0;
}

TEST_F(perm, unlink_only_by_owner)
{
	const struct actor *a = &variant->who;
	bool is_owner = a->uid == owner.uid;
	char region[64];
	struct unlink_arg u = { self->name, region };
	int fd;

	make_name(region, sizeof(region), "unlink-region");
	/* Mode 0777: everyone may use them, only the owner may remove the names. */
	ASSERT_EQ(0, create_as_owner(self->name, 0777, false));
	ASSERT_EQ(0, create_as_owner(region, 0777, true));
	ASSERT_EQ(0, as_user(a, unlink_try, &u));
	EXPECT_EQ(is_owner ? 0 : -EACCES, out->unlink) TH_LOG("%s unlinks a channel", a->name);
	EXPECT_EQ(is_owner ? 0 : -EACCES, out->unlink_region) TH_LOG("%s unlinks a region", a->name);

	/* A refused unlink leaves the names in place. */
	fd = kipc_chan_open(self->name, O_RDWR, 0, NULL);
	EXPECT_EQ(is_owner ? -ENOENT : 0, fd < 0 ? fd : 0);
	if (fd >= 0) {
		close(fd);
		EXPECT_EQ(0, kipc_chan_unlink(self->name));
	}
	fd = kipc_shm_open(region, O_RDWR, 0, 0);
	EXPECT_EQ(is_owner ? -ENOENT : 0, fd < 0 ? fd : 0);
	if (fd >= 0) {
		close(fd);
		EXPECT_EQ(0, kipc_shm_unlink(region));
	}
}

/* ---- zero-filled regions ---- */

#define ZPAGES 16

struct zero_arg {
	int rounds;
	uint8_t fill;
};

/*
 * Make a region, check it is all zero, fill it, and free it (unmap and
 * close an anonymous region); again and again, so the pages just freed are
 * the likeliest to come back. Also with another region alive and full.
 */
static int zero_fn(void *p)
{
	const struct zero_arg *z = p;
	size_t len = ZPAGES * 4096, i;
	uint8_t *keep, *m;
	int k, fd, round;

	k = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, len);
	if (k < 0)
		return 10;
	keep = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, k, 0);
	if (keep == MAP_FAILED)
		return 11;
	memset(keep, z->fill, len);	/* another region's bytes, alive throughout */
	for (round = 0; round < z->rounds; round++) {
		fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, len);
		if (fd < 0)
			return 12;
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return 13;
		for (i = 0; i < len; i++)
			if (m[i])
				return 20;	/* not zero: someone else's bytes */
		memset(m, z->fill, len);
		munmap(m, len);
		close(fd);		/* the region is freed here */
	}
	munmap(keep, len);
	close(k);
	return 0;
}

TEST(regions_zero_filled_across_users)
{
	struct zero_arg z = { 32, 0xc3 };
	static const struct actor users[] = {
		{ "owner", 1000, 1000, 0, { 0 }, 6 },
		{ "group", 1001, 1001, 1, { 1000 }, 3 },
		{ "other", 1002, 1002, 0, { 0 }, 0 },
	};
	int i;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uids 1000, 1001 and 1002");
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	/* Each user fills and frees regions the next one might be given. */
	for (i = 0; i < 6; i++) {
		z.fill = (uint8_t)(0x11 * (i + 1));
		ASSERT_EQ(0, as_user(&users[i % 3], zero_fn, &z))
			TH_LOG("as %s: a new region was not all zero (or setup failed)",
			       users[i % 3].name);
	}
}

TEST_HARNESS_MAIN
