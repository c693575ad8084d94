// SPDX-License-Identifier: GPL-2.0
/*
 * kipc per-user quotas: an unprivileged user who tries to exhaust kernel
 * memory through channels gets -EDQUOT at the module parameter's limit,
 * other users keep working, and CAP_SYS_RESOURCE may exceed the limits.
 * A queued message costs its payload room plus MSG_OVERHEAD bytes, so
 * floods of empty messages and of references end in -EDQUOT too; and a
 * handful of users at their object quota do not lock out everyone else
 * (no module-wide channel cap by default).
 * Runs as root in the test VM (it sets the parameters and switches uid).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

FIXTURE(quota) {
	long long objects;
	long long queued;
};

FIXTURE_SETUP(quota)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to set module parameters and switch uids");
	self->objects = read_param("user_max_objects");
	self->queued = read_param("user_max_queued_bytes");
	if (self->objects < 0 || self->queued < 0)
		SKIP(return, "kipc module parameters not found under " KIPC_PARAMS);
}

FIXTURE_TEARDOWN(quota)
{
	if (self->objects >= 0)
		write_param("user_max_objects", self->objects);
	if (self->queued >= 0)
		write_param("user_max_queued_bytes", self->queued);
}

/* Counts how many anonymous channels uid can hold: the child's exit code. */
static pid_t fill_objects(uid_t uid, int pipefd)
{
	pid_t pid = fork();

	if (pid == 0) {
		long long max = read_param("user_max_objects");
		struct rlimit rl;
		int n = 0, fd, last;

		/* room for an fd per object, raised while still root */
		if (getrlimit(RLIMIT_NOFILE, &rl) || (rlim_t)max + 64 > rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max = max + 64;
			if (setrlimit(RLIMIT_NOFILE, &rl))
				_exit(97);
		} else if ((rlim_t)max + 64 > rl.rlim_cur) {
			rl.rlim_cur = max + 64;
			if (setrlimit(RLIMIT_NOFILE, &rl))
				_exit(97);
		}
		if (become(uid, uid))
			_exit(99);
		while ((fd = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL)) >= 0)
			n++;
		last = fd;
		if (write(pipefd, &n, sizeof(n)) != sizeof(n) ||
		    write(pipefd, &last, sizeof(last)) != sizeof(last))
			_exit(98);
		pause();	/* hold them until killed */
		_exit(0);
	}
	return pid;
}

TEST_F(quota, objects_per_user)
{
	int p[2], n, last, fd;
	pid_t a, b;

	ASSERT_EQ(0, write_param("user_max_objects", 20));
	ASSERT_EQ(0, pipe(p));
	a = fill_objects(1000, p[1]);
	ASSERT_LE(0, a);
	ASSERT_EQ(sizeof(n), read(p[0], &n, sizeof(n)));
	ASSERT_EQ(sizeof(last), read(p[0], &last, sizeof(last)));
	ASSERT_EQ(20, n);
	ASSERT_EQ(-EDQUOT, last);

	/* another user is not affected while uid 1000 sits at its limit */
	b = fill_objects(1001, p[1]);
	ASSERT_LE(0, b);
	ASSERT_EQ(sizeof(n), read(p[0], &n, sizeof(n)));
	ASSERT_EQ(sizeof(last), read(p[0], &last, sizeof(last)));
	ASSERT_EQ(20, n);
	ASSERT_EQ(-EDQUOT, last);

	/* root (CAP_SYS_RESOURCE) may exceed it */
	for (n = 0; n < 25; n++) {
		fd = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		ASSERT_LE(0, fd);
	}
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	wait_child(a);
	wait_child(b);

	/* the killed user's objects were released: it can create again */
	a = fill_objects(1000, p[1]);
	ASSERT_EQ(sizeof(n), read(p[0], &n, sizeof(n)));
	ASSERT_EQ(sizeof(last), read(p[0], &last, sizeof(last)));
	ASSERT_EQ(20, n);
	kill(a, SIGKILL);
	wait_child(a);
	close(p[0]);
	close(p[1]);
}

TEST_F(quota, queued_bytes_per_user)
{
	struct kipc_chan_attr attr = { .max_msgs = 1000, .max_msg_size = 4096 };
	char name[64];
	int ch;
	pid_t pid;

	ASSERT_EQ(0, write_param("user_max_queued_bytes", 64 * 1024));
	snprintf(name, sizeof(name), "quota-%d", getpid());
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0666, &attr);
	ASSERT_LE(0, ch);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		static char kib[1024];
		int w, n = 0;
		ssize_t r;

		if (become(1000, 1000))
			_exit(99);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0)
			_exit(1);
		while ((r = kipc_send(w, kib, sizeof(kib), KIPC_NONBLOCK)) == sizeof(kib))
			n++;
		/* each one costs its payload plus the per-message overhead */
		if (r != -EDQUOT || n != 64 * 1024 / (sizeof(kib) + MSG_OVERHEAD))
			_exit(2);
		/* a zero-length message costs kernel memory too: charged */
		if (kipc_send(w, kib, 0, KIPC_NONBLOCK) != -EDQUOT)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(64 * 1024 / (1024 + MSG_OVERHEAD),
		  ({ struct kipc_chan_stat st; kipc_chan_stat(ch, &st); st.nr_msgs; }));

	/* a different user still sends; root exceeds the limit */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w;

		if (become(1001, 1001))
			_exit(99);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		_exit(w >= 0 && kipc_send(w, "x", 1, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	char big[4096] = { 0 };

	for (int i = 0; i < 20; i++)
		ASSERT_EQ(4096, kipc_send(ch, big, sizeof(big), 0));

	/* receiving gives the sender's quota back */
	char buf[4096];

	ASSERT_EQ(1024, kipc_recv(ch, buf, sizeof(buf), NULL, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w;

		if (become(1000, 1000))
			_exit(99);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0 || kipc_send(w, buf, 1024, KIPC_NONBLOCK) != 1024)
			_exit(1);
		_exit(kipc_send(w, buf, 1024, KIPC_NONBLOCK) == -EDQUOT ? 0 : 2);
	}
	ASSERT_EQ(0, wait_child(pid));
	kipc_chan_unlink(name);
	close(ch);
}

/*
 * As uid 1000: flood a fresh channel of 65536 slots with references to one
 * byte of a region, then (that channel closed) another with empty
 * messages, until a send fails. Reports both counts and errors on @pipefd,
 * then holds what it queued until killed.
 */
static pid_t flood(int pipefd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct kipc_chan_attr attr = { .max_msgs = 65536, .max_msg_size = 64 };
		int res[4] = { 0, 0, 0, 0 }, ch, shm;
		long r;

		if (become(1000, 1000))
			_exit(99);
		shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
		if (shm < 0 || ch < 0)
			_exit(1);
		while ((r = kipc_send_ref(ch, shm, 0, 1, KIPC_NONBLOCK)) == 0)
			res[0]++;
		res[1] = r;
		close(ch);	/* frees them: the quota comes back */
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
		if (ch < 0)
			_exit(2);
		while ((r = kipc_send(ch, "", 0, KIPC_NONBLOCK)) == 0)
			res[2]++;
		res[3] = r;
		if (write(pipefd, res, sizeof(res)) != sizeof(res))
			_exit(3);
		pause();
		_exit(0);
	}
	return pid;
}

TEST_F(quota, empty_messages_and_references_end_in_edquot)
{
	const long limit = 1 << 20;
	int p[2], res[4];
	pid_t a, b;

	ASSERT_EQ(0, write_param("user_max_queued_bytes", limit));
	ASSERT_EQ(0, pipe(p));
	a = flood(p[1]);
	ASSERT_LE(0, a);
	ASSERT_EQ(sizeof(res), read(p[0], res, sizeof(res)));
	/* a reference's payload is in the region: it costs the overhead */
	EXPECT_EQ(-EDQUOT, res[1]) TH_LOG("%d references queued", res[0]);
	EXPECT_EQ(limit / MSG_OVERHEAD, res[0]);
	/* an empty message costs a small message's room plus the overhead */
	EXPECT_EQ(-EDQUOT, res[3]) TH_LOG("%d empty messages queued", res[2]);
	EXPECT_EQ(limit / (SMALL_ROOM + MSG_OVERHEAD), res[2]);

	/* uid 1001 still creates channels and sends, while uid 1000 is full */
	b = fork();
	ASSERT_LE(0, b);
	if (b == 0) {
		int ch, shm, i;

		if (become(1001, 1001))
			_exit(99);
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);
		if (ch < 0 || shm < 0)
			_exit(1);
		for (i = 0; i < 100; i++)
			if (kipc_send(ch, "", 0, KIPC_NONBLOCK) != 0 ||
			    kipc_send_ref(ch, shm, 0, 1, KIPC_NONBLOCK) != 0)
				_exit(2);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(b));
	kill(a, SIGKILL);
	wait_child(a);
	close(p[0]);
	close(p[1]);
}

/* As uid, flood a fresh channel with empty messages: how many fit, or -1. */
static int flood_empty(uid_t uid)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct kipc_chan_attr attr = { .max_msgs = 65536, .max_msg_size = 64 };
		ssize_t r;
		int ch, n = 0;

		if (become(uid, uid))
			_exit(99);
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
		if (ch < 0)
			_exit(255);
		while ((r = kipc_send(ch, "", 0, KIPC_NONBLOCK)) == 0)
			n++;
		_exit(r == -EDQUOT && n < 255 ? n : 255);
	}
	return pid < 0 ? -1 : wait_child(pid);
}

/* As uid, send @n empty messages on channel @name: 0 or 1. */
static int send_empty(uid_t uid, const char *name, int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		int ch;

		if (become(uid, uid))
			_exit(99);
		ch = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (ch < 0)
			_exit(1);
		while (n--)
			if (kipc_send(ch, "", 0, KIPC_NONBLOCK) != 0)
				_exit(1);
		_exit(0);
	}
	return pid < 0 ? -1 : wait_child(pid);
}

/*
 * A channel keeps the small messages its receivers are done with for its
 * next sends, as many as its queue holds (at most 256). They stay charged
 * to their last sender, so they count in its quota, until another user's
 * send reuses them (the charge moves) or they are freed.
 */
TEST_F(quota, spare_messages_stay_charged_until_reused)
{
	const long limit = 64 * 1024, cost = SMALL_ROOM + MSG_OVERHEAD;
	struct kipc_chan_attr attr = { .max_msgs = 256, .max_msg_size = 64 };
	char name[64], buf[64];
	int ch, i;

	ASSERT_EQ(0, write_param("user_max_queued_bytes", limit));
	snprintf(name, sizeof(name), "quota-spares-%d", getpid());
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0666, &attr);
	ASSERT_LE(0, ch);

	EXPECT_EQ(limit / cost, flood_empty(1000));
	ASSERT_EQ(0, send_empty(1000, name, 40));
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	/* all 40 are kept (the queue holds 256), still charged to uid 1000 */
	EXPECT_EQ((limit - 40 * cost) / cost, flood_empty(1000));
	/* uid 1001 reuses them: the charge moves to uid 1001 */
	ASSERT_EQ(0, send_empty(1001, name, 40));
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	EXPECT_EQ(limit / cost, flood_empty(1000));
	EXPECT_EQ((limit - 40 * cost) / cost, flood_empty(1001));
	/* freeing the channel frees them and gives the charge back */
	kipc_chan_unlink(name);
	close(ch);
	EXPECT_EQ(limit / cost, flood_empty(1001));
}

/*
 * Spares are messages that were in the queue, so a channel never keeps
 * more than its depth: 8 deep, 8 sent and received twice leave 8 spares
 * (their charge), the second round reusing the first round's.
 */
TEST_F(quota, spares_bounded_by_queue_depth)
{
	const long limit = 64 * 1024, cost = SMALL_ROOM + MSG_OVERHEAD;
	struct kipc_chan_attr attr = { .max_msgs = 8, .max_msg_size = 64 };
	char name[64], buf[64];
	int ch, i, round;

	ASSERT_EQ(0, write_param("user_max_queued_bytes", limit));
	snprintf(name, sizeof(name), "quota-spares8-%d", getpid());
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0666, &attr);
	ASSERT_LE(0, ch);
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, send_empty(1000, name, 8));
		for (i = 0; i < 8; i++)
			ASSERT_EQ(0, kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	}
	EXPECT_EQ((limit - 8 * cost) / cost, flood_empty(1000));
	kipc_chan_unlink(name);
	close(ch);
	EXPECT_EQ(limit / cost, flood_empty(1000));
}

/*
 * With the default parameters, four users at their object quota (4 x
 * 16384 channels) used to reach the module-wide max_chans (65536): every
 * other user's create failed with ENOSPC. There is no module-wide cap by
 * default now: a fifth user still creates channels.
 */
TEST_F_TIMEOUT(quota, four_users_at_quota_leave_room_for_a_fifth, 900)
{
	pid_t users[4], fifth;
	int p[2], n, last, i;

	ASSERT_LT(0, self->objects);
	ASSERT_EQ(0, pipe(p));
	for (i = 0; i < 4; i++) {
		users[i] = fill_objects(1000 + i, p[1]);
		ASSERT_LE(0, users[i]);
		ASSERT_EQ(sizeof(n), read(p[0], &n, sizeof(n)));
		ASSERT_EQ(sizeof(last), read(p[0], &last, sizeof(last)));
		EXPECT_EQ(self->objects, n) TH_LOG("uid %d", 1000 + i);
		EXPECT_EQ(-EDQUOT, last) TH_LOG("uid %d", 1000 + i);
	}
	fifth = fork();
	ASSERT_LE(0, fifth);
	if (fifth == 0) {
		int fd;

		if (become(1004, 1004))
			_exit(99);
		fd = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		_exit(fd >= 0 ? 0 : -fd);
	}
	EXPECT_EQ(0, wait_child(fifth)) TH_LOG("the fifth user's create: that errno");
	for (i = 0; i < 4; i++) {
		kill(users[i], SIGKILL);
		wait_child(users[i]);
	}
	close(p[0]);
	close(p[1]);
}

TEST_HARNESS_MAIN
