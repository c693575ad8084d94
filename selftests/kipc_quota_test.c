// SPDX-License-Identifier: GPL-2.0
/*
 * kipc per-user quotas: an unprivileged user who tries to exhaust kernel
 * memory through channels gets -EDQUOT at the module parameter's limit,
 * other users keep working, and CAP_SYS_RESOURCE may exceed the limits.
 * Runs as root in the test VM (it sets the parameters and switches uid).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define PARAMS "/sys/module/kipc/parameters/"

static long read_param(const char *name)
{
	char path[128], buf[64];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	if (f)
		fclose(f);
	return v;
}

static int write_param(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	return fclose(f) ? -errno : ret;
}

static void become(uid_t uid)
{
	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		_exit(99);
}

FIXTURE(quota) {
	long objects;
	long queued;
};

FIXTURE_SETUP(quota)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to set module parameters and switch uids");
	self->objects = read_param("user_max_objects");
	self->queued = read_param("user_max_queued_bytes");
	if (self->objects < 0 || self->queued < 0)
		SKIP(return, "kipc module parameters not found under " PARAMS);
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
		int n = 0, fd, last;

		become(uid);
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

		become(1000);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0)
			_exit(1);
		while ((r = kipc_send(w, kib, sizeof(kib), KIPC_NONBLOCK)) == sizeof(kib))
			n++;
		if (r != -EDQUOT || n != 64)
			_exit(2);
		/* zero-length messages carry no payload and are not charged */
		if (kipc_send(w, kib, 0, 0) != 0)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(65, ({ struct kipc_chan_stat st; kipc_chan_stat(ch, &st); st.nr_msgs; }));

	/* a different user still sends; root exceeds the limit */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int w;

		become(1001);
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

		become(1000);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0 || kipc_send(w, buf, 1024, KIPC_NONBLOCK) != 1024)
			_exit(1);
		_exit(kipc_send(w, buf, 1024, KIPC_NONBLOCK) == -EDQUOT ? 0 : 2);
	}
	ASSERT_EQ(0, wait_child(pid));
	kipc_chan_unlink(name);
	close(ch);
}

TEST_HARNESS_MAIN
