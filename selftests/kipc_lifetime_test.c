// SPDX-License-Identifier: GPL-2.0
/*
 * kipc object lifetime across process death and name reuse.
 *
 * A child builds a bit of everything: a named channel with inline messages
 * and references queued in it, an anonymous channel with messages and a
 * reference, an anonymous region kept only by those references, a named
 * region it maps and holds a robust mutex in, and an anonymous region it
 * only maps. Then it exits, is SIGKILLed while idle, or is SIGKILLed while
 * blocked in a receive. Afterwards exactly what a name or a queued
 * reference holds is alive (module counters, per-object counters, the
 * bytes), the mutex gives -EOWNERDEAD to the next locker, and once the
 * names are unlinked and the parent's own fds closed, the module's
 * counters are back at their start values. A storm of children killed at
 * random moments leaves nothing behind either. A name reused after unlink
 * gets a fresh object (new id, empty queue, new size and mode), while the
 * old one lives on through the fds and mappings that still hold it.
 *
 * (rmmod refused while only a mapping exists: run_kipc_tests.sh, with
 * selftests/stress/kipc-hold.)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define PG		4096
#define R1_PAGES	4	/* anonymous, kept by queued references */
#define R2_PAGES	2	/* named, mapped, holds the mutex */
#define R3_PAGES	3	/* anonymous, only mapped */
#define INLINE_BYTES	(10 + 100 + 1000)

/* Poll until the counters equal @want (exit teardown is done by then). */
static bool gstat_becomes(const struct kipc_global_stat *want, struct kipc_global_stat *got)
{
	int i;

	for (i = 0; i < 200; i++) {
		*got = global_stat();
		if (got->nr_chans == want->nr_chans && got->nr_regions == want->nr_regions &&
		    got->nr_msgs == want->nr_msgs && got->bytes_queued == want->bytes_queued &&
		    got->region_bytes == want->region_bytes)
			return true;
		usleep(10000);
	}
	return false;
}

#define ASSERT_GSTAT(want) do {							\
		struct kipc_global_stat _got;					\
		bool _ok = gstat_becomes(&(want), &_got);			\
		EXPECT_TRUE(_ok) TH_LOG("counters: chans %u (want %u) regions %u (%u) msgs %llu (%llu) bytes %llu (%llu) region_bytes %llu (%llu)", \
			_got.nr_chans, (want).nr_chans, _got.nr_regions, (want).nr_regions, \
			(unsigned long long)_got.nr_msgs, (unsigned long long)(want).nr_msgs, \
			(unsigned long long)_got.bytes_queued, (unsigned long long)(want).bytes_queued, \
			(unsigned long long)_got.region_bytes, (unsigned long long)(want).region_bytes); \
	} while (0)

enum death { DIE_EXIT, DIE_KILL_IDLE, DIE_KILL_BLOCKED };

/*
 * The child's world. Returns only on a setup failure (the step number);
 * otherwise reports ready on @ready and then dies as @how says.
 */
static int build_and_die(const char *chan_name, const char *reg_name, int ready, enum death how)
{
	static const size_t sizes[] = { 10, 100, 1000 };
	uint8_t msg[1000], *r1, *r2, *r3;
	int cha, chb, chc, s1, s2, s3, i;
	kipc_mutex_t *m;

	cha = kipc_chan_open(chan_name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
	chb = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	if (cha < 0 || chb < 0)
		return 1;
	s1 = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, R1_PAGES * PG);
	s2 = kipc_shm_open(reg_name, O_RDWR | O_CREAT | O_EXCL, 0600, R2_PAGES * PG);
	s3 = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, R3_PAGES * PG);
	if (s1 < 0 || s2 < 0 || s3 < 0)
		return 2;
	r1 = mmap(NULL, R1_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, s1, 0);
	r2 = mmap(NULL, R2_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, s2, 0);
	r3 = mmap(NULL, R3_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, s3, 0);
	if (r1 == MAP_FAILED || r2 == MAP_FAILED || r3 == MAP_FAILED)
		return 3;
	close(s3);			/* R3: only the mapping holds it */
	fill(r1, R1_PAGES * PG, 0x31);
	fill(r2 + PG, PG, 0x32);
	fill(r3, R3_PAGES * PG, 0x33);
	m = (kipc_mutex_t *)r2;		/* a zero-filled mutex is ready to use */
	if (kipc_mutex_lock(m))
		return 4;

	/* Named channel: 3 inline messages, 2 references to R1, 1 to R2. */
	for (i = 0; i < 3; i++) {
		fill(msg, sizes[i], (uint8_t)i);
		if (kipc_send(cha, msg, sizes[i], 0) != (ssize_t)sizes[i])
			return 5;
	}
	if (kipc_send_ref(cha, s1, PG, 2 * PG, 0) || kipc_send_ref(cha, s1, 0, 16, 0) ||
	    kipc_send_ref(cha, s2, PG, PG, 0))
		return 6;
	/* Anonymous channel: gone with this process, and its reference to R1 with it. */
	if (kipc_send(chb, msg, 50, 0) != 50 || kipc_send(chb, msg, 60, 0) != 60 ||
	    kipc_send_ref(chb, s1, 0, PG, 0))
		return 7;
	close(s1);			/* R1: only the references hold it */

	if (write(ready, "r", 1) != 1)
		return 8;
	switch (how) {
	case DIE_EXIT:
		_exit(0);
	case DIE_KILL_IDLE:
		for (;;)
			pause();
	case DIE_KILL_BLOCKED:
		chc = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		kipc_recv(chc, msg, sizeof(msg), NULL, 0);	/* empty: sleeps until killed */
		return 9;
	}
	return 10;
}

FIXTURE(life) {
	char chan[64];
	char reg[64];
	struct kipc_global_stat base;
};

FIXTURE_VARIANT(life) {
	enum death how;
};

FIXTURE_VARIANT_ADD(life, exit) { .how = DIE_EXIT };
FIXTURE_VARIANT_ADD(life, sigkill_idle) { .how = DIE_KILL_IDLE };
FIXTURE_VARIANT_ADD(life, sigkill_blocked_in_recv) { .how = DIE_KILL_BLOCKED };

FIXTURE_SETUP(life)
{
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(self->chan, sizeof(self->chan), "chan");
	make_name(self->reg, sizeof(self->reg), "reg");
	self->base = global_stat();
}

FIXTURE_TEARDOWN(life)
{
	kipc_chan_unlink(self->chan);
	kipc_shm_unlink(self->reg);
}

TEST_F(life, process_death_releases_everything)
{
	struct kipc_global_stat want = self->base;
	struct kipc_ref ref1 = KIPC_REF_INIT, ref2 = KIPC_REF_INIT;
	struct kipc_shm_stat sst;
	struct kipc_chan_stat cst;
	struct kipc_msg_info info;
	uint8_t buf[1024], *r2;
	int pipefd[2], status, ch, s2, i;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pipefd[0]);
		_exit(100 + build_and_die(self->chan, self->reg, pipefd[1], variant->how));
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1)) TH_LOG("the child failed to set up");
	close(pipefd[0]);
	if (variant->how == DIE_KILL_BLOCKED)
		wait_state(pid, 'S', 2000);
	if (variant->how != DIE_EXIT) {
		ASSERT_EQ(0, kill(pid, SIGKILL));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (variant->how == DIE_EXIT) {
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}

	/*
	 * Alive: the named channel (6 messages), R1 (its references), R2 (its
	 * name). Gone: the anonymous channel, its messages and reference, R3.
	 */
	want.nr_chans += 1;
	want.nr_regions += 2;
	want.nr_msgs += 6;
	want.bytes_queued += INLINE_BYTES;
	want.region_bytes += (R1_PAGES + R2_PAGES) * PG;
	ASSERT_GSTAT(want);

	ch = kipc_chan_open(self->chan, O_RDONLY, 0, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, kipc_chan_stat(ch, &cst));
	EXPECT_EQ(6, cst.nr_msgs);
	EXPECT_EQ(0, cst.nr_senders);		/* the child's fd went with it */
	EXPECT_EQ(1, cst.nr_receivers);		/* ours */
	EXPECT_EQ(INLINE_BYTES, cst.bytes_queued);

	s2 = kipc_shm_open(self->reg, O_RDWR, 0, 0);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, kipc_shm_stat(s2, &sst));
	EXPECT_EQ(0, sst.nr_maps);		/* the child's mapping went with it */
	EXPECT_EQ(1, sst.nr_refs);

	/* The inline messages, intact, from the dead sender. */
	for (i = 0; i < 3; i++) {
		static const size_t sizes[] = { 10, 100, 1000 };
		uint8_t want_buf[1000];

		ASSERT_EQ((ssize_t)sizes[i], kipc_recv(ch, buf, sizeof(buf), &info, KIPC_NONBLOCK));
		fill(want_buf, sizes[i], (uint8_t)i);
		EXPECT_EQ(0, memcmp(buf, want_buf, sizes[i]));
		EXPECT_EQ(pid, info.pid);
	}
	/* R1 lives only through the references: its bytes are all there. */
	ASSERT_EQ(0, kipc_recv_ref(ch, &ref1, &info, KIPC_NONBLOCK));
	EXPECT_EQ(PG, ref1.offset);
	EXPECT_EQ(2 * PG, ref1.len);
	EXPECT_EQ(0, check_fill_at(ref1.addr, 2 * PG, 0x31, PG));
	ASSERT_EQ(0, kipc_shm_stat(ref1.shm, &sst));
	EXPECT_EQ(R1_PAGES * PG, sst.length);
	EXPECT_EQ(1, sst.nr_refs);		/* one more queued; chb's went with chb */
	EXPECT_EQ(1, sst.nr_maps);		/* ours; the child's went with it */
	ASSERT_EQ(0, kipc_ref_release(&ref1));
	ASSERT_EQ(0, kipc_recv_ref(ch, &ref1, NULL, KIPC_NONBLOCK));
	EXPECT_EQ(0, ref1.offset);
	EXPECT_EQ(16, ref1.len);
	ASSERT_EQ(0, kipc_recv_ref(ch, &ref2, NULL, KIPC_NONBLOCK));
	EXPECT_EQ(PG, ref2.len);
	EXPECT_EQ(0, check_fill(ref2.addr, PG, 0x32));
	EXPECT_EQ(-EAGAIN, kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));

	/* The mutex its owner died holding: the next locker is told. */
	r2 = mmap(NULL, R2_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, s2, 0);
	ASSERT_NE(MAP_FAILED, r2);
	EXPECT_EQ(-EOWNERDEAD, kipc_mutex_trylock((kipc_mutex_t *)r2));
	EXPECT_EQ(0, kipc_mutex_consistent((kipc_mutex_t *)r2));
	EXPECT_EQ(0, kipc_mutex_unlock((kipc_mutex_t *)r2));
	EXPECT_EQ(0, kipc_mutex_trylock((kipc_mutex_t *)r2));
	EXPECT_EQ(0, kipc_mutex_unlock((kipc_mutex_t *)r2));

	/* Names gone, our fds and mappings gone: nothing is left. */
	ASSERT_EQ(0, kipc_chan_unlink(self->chan));
	ASSERT_EQ(0, kipc_shm_unlink(self->reg));
	munmap(r2, R2_PAGES * PG);
	close(s2);
	close(ch);
	kipc_ref_release(&ref1);
	kipc_ref_release(&ref2);
	ASSERT_GSTAT(self->base);
}

/*
 * Children that create, map, queue and lock, killed at random moments,
 * including in the middle of those calls: once the parent removes the
 * names they made, nothing is left.
 */
FIXTURE(storm) {
	struct kipc_global_stat base;
};

FIXTURE_SETUP(storm)
{
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	self->base = global_stat();
}

FIXTURE_TEARDOWN(storm)
{
}

TEST_F_TIMEOUT(storm, kill_storm_leaves_nothing, 300)
{
	int i, status;

	srand(1);
	for (i = 0; i < 40; i++) {
		char chan[64], reg[64];
		pid_t pid;

		make_name(chan, sizeof(chan), "storm-chan");
		make_name(reg, sizeof(reg), "storm-reg");
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int ready[2];

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (pipe(ready))
				_exit(1);
			/* Runs until killed; the "ready" byte goes nowhere. */
			build_and_die(chan, reg, ready[1], DIE_KILL_BLOCKED);
			_exit(0);
		}
		/* Half of them early, likely in the middle of the setup calls. */
		usleep((useconds_t)(rand() % 2 ? rand() % 3000 : rand() % 20000));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		kipc_chan_unlink(chan);
		kipc_shm_unlink(reg);
	}
	ASSERT_GSTAT(self->base);
}

/* ---- name reuse ---- */

TEST(name_reused_after_unlink_gets_a_fresh_channel)
{
	struct kipc_chan_attr small = { .max_msgs = 4, .max_msg_size = 64 };
	struct kipc_chan_stat a, b;
	char name[64], buf[64];
	int old, new, again;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "reuse-chan");
	old = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &small);
	ASSERT_LE(0, old);
	ASSERT_EQ(3, kipc_send(old, "old", 3, 0));
	ASSERT_EQ(0, kipc_chan_unlink(name));

	/* The name is free: EXCL creation succeeds, with its own attributes. */
	new = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
	ASSERT_LE(0, new);
	ASSERT_EQ(0, kipc_chan_stat(old, &a));
	ASSERT_EQ(0, kipc_chan_stat(new, &b));
	EXPECT_NE(a.id, b.id);
	EXPECT_EQ(1, a.nr_msgs);
	EXPECT_EQ(0, b.nr_msgs);
	EXPECT_EQ(0, b.sent);
	EXPECT_EQ(4, a.max_msgs);
	EXPECT_NE(4, b.max_msgs);
	EXPECT_EQ(0600, a.mode);
	EXPECT_EQ(0640, b.mode);
	EXPECT_FALSE(a.state & KIPC_CHAN_NAMED);
	EXPECT_TRUE(b.state & KIPC_CHAN_NAMED);

	/* The name leads to the new one; the two queues never mix. */
	again = kipc_chan_open(name, O_RDWR, 0, NULL);
	ASSERT_LE(0, again);
	ASSERT_EQ(0, kipc_chan_stat(again, &a));
	EXPECT_EQ(b.id, a.id);
	ASSERT_EQ(3, kipc_send(again, "new", 3, 0));
	ASSERT_EQ(3, kipc_recv(old, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(0, memcmp(buf, "old", 3));
	EXPECT_EQ(-EAGAIN, kipc_recv(old, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	ASSERT_EQ(3, kipc_recv(new, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(0, memcmp(buf, "new", 3));
	/* The old channel can never get a sender by name again. */
	close(again);
	EXPECT_EQ(0, kipc_chan_unlink(name));
	close(new);
	close(old);
}

/* In a child: @ctl open, then CHAN_OPEN (and SHM_OPEN) creating @name; the errnos to @res. */
static void create_when_told(int ctl, const char *name, int go, int res)
{
	struct kipc_chan_open o = {
		.size = sizeof(o), .name = (uintptr_t)name, .mode = 0666,
		.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT | KIPC_OPEN_EXCL,
	};
	struct kipc_shm_open so = {
		.size = sizeof(so), .name = (uintptr_t)name, .mode = 0666, .length = PG,
		.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT | KIPC_OPEN_EXCL,
	};
	int err[2];
	char c;

	if (read(go, &c, 1) != 1)
		_exit(2);
	err[0] = ioctl(ctl, KIPC_IOC_CHAN_OPEN, &o) < 0 ? errno : 0;
	err[1] = ioctl(ctl, KIPC_IOC_SHM_OPEN, &so) < 0 ? errno : 0;
	_exit(write(res, err, sizeof(err)) == sizeof(err) ? 0 : 3);
}

/*
 * A named create whose file cannot be made leaves no name behind (and
 * nothing charged). The creator's file is made after the object and
 * before its name is linked; an unprivileged task past fs.file-max gets
 * ENFILE right there (alloc_empty_file()), so the test lowers fs.file-max
 * to 0 (the fast check reads an approximate count, which may be 0 on a
 * quiet system) while a uid-1000 child creates. (A region's shmem file is
 * made with the region, so for regions this fails earlier; it is checked
 * anyway.)
 */
TEST(failed_file_creation_leaves_no_name)
{
	struct kipc_global_stat g0;
	char name[64], saved[64] = "";
	int go[2], res[2], err[2] = { -1, -1 }, ctl, fd, maxfd;
	ssize_t n;
	char c;
	pid_t pid;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid())
		SKIP(return, "needs root: lowers fs.file-max for a uid-1000 child");
	maxfd = open("/proc/sys/fs/file-max", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, maxfd);
	n = read(maxfd, saved, sizeof(saved) - 1);
	ASSERT_LT(0, n);
	make_name(name, sizeof(name), "enfile");
	g0 = global_stat();
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(1000, 1000))
			_exit(4);
		ctl = open("/dev/kipc", O_RDWR);
		if (ctl < 0 || write(res[1], "r", 1) != 1)
			_exit(5);
		create_when_told(ctl, name, go[0], res[1]);
	}
	close(go[0]);
	close(res[1]);
	ASSERT_EQ(1, read(res[0], &c, 1));	/* the child is ready */
	ASSERT_EQ(2, pwrite(maxfd, "0\n", 2, 0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	n = read(res[0], err, sizeof(err));
	ASSERT_EQ((ssize_t)strlen(saved), pwrite(maxfd, saved, strlen(saved), 0));
	close(maxfd);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ((ssize_t)sizeof(err), n);
	EXPECT_EQ(ENFILE, err[0]) TH_LOG("channel create: %s", strerror(err[0]));
	EXPECT_EQ(ENFILE, err[1]) TH_LOG("region create: %s", strerror(err[1]));

	fd = kipc_chan_open(name, O_RDWR, 0, NULL);
	EXPECT_EQ(-ENOENT, fd) TH_LOG("the channel's name survived its failed create");
	if (fd >= 0)
		close(fd);
	fd = kipc_shm_open(name, O_RDWR, 0, 0);
	EXPECT_EQ(-ENOENT, fd) TH_LOG("the region's name survived its failed create");
	if (fd >= 0)
		close(fd);
	kipc_chan_unlink(name);
	kipc_shm_unlink(name);
	ASSERT_GSTAT(g0);
}

TEST(name_reused_after_unlink_gets_a_fresh_region)
{
	struct kipc_shm_stat a, b;
	uint8_t *mo, *mn;
	char name[64];
	int old, new, again;
	size_t i;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(name, sizeof(name), "reuse-region");
	old = kipc_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, PG);
	ASSERT_LE(0, old);
	mo = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, old, 0);
	ASSERT_NE(MAP_FAILED, mo);
	memset(mo, 0xee, PG);
	ASSERT_EQ(0, kipc_shm_unlink(name));
	close(old);			/* only the mapping holds it now */

	new = kipc_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0640, 3 * PG);
	ASSERT_LE(0, new);
	ASSERT_EQ(0, kipc_shm_stat(new, &b));
	EXPECT_EQ(3 * PG, b.length);
	EXPECT_EQ(0640, b.mode);
	mn = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, new, 0);
	ASSERT_NE(MAP_FAILED, mn);
	for (i = 0; i < 3 * PG; i++)
		ASSERT_EQ(0, mn[i]) TH_LOG("byte %zu of the new region is not zero", i);
	memset(mn, 0x11, PG);
	EXPECT_EQ(0xee, mo[0]);		/* the old pages are their own */
	EXPECT_EQ(0xee, mo[PG - 1]);

	/* The name leads to the new region. */
	again = kipc_shm_open(name, O_RDONLY, 0, 0);
	ASSERT_LE(0, again);
	ASSERT_EQ(0, kipc_shm_stat(again, &a));
	EXPECT_EQ(b.id, a.id);
	close(again);
	EXPECT_EQ(0, kipc_shm_unlink(name));
	munmap(mn, 3 * PG);
	munmap(mo, PG);
	close(new);
}

TEST_HARNESS_MAIN
