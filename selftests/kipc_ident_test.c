// SPDX-License-Identifier: GPL-2.0
/*
 * kipc stamped identity: a message's uid and gid are those its channel fd
 * was opened with (file->f_cred, as SO_PEERCRED and binder do), on every
 * send path; its pid is the process that sent it. So a setuid-root
 * program writing to an fd that uid 1000 opened (its stdout, say) cannot
 * be made to vouch for uid 0: this test execs a copy of itself, installed
 * setuid root, with such an fd as stdout, and that helper sends through
 * write(2), writev(2), KIPC_IOC_SEND (kipc_send() with flags), a batch,
 * io_uring IORING_OP_WRITE and the batch IORING_OP_URING_CMD, and a
 * reference. The receiver must see uid 1000 on every message, and the
 * helper's pid. The converse holds too: an fd root opened and handed to
 * uid 1000 sends as root (a privileged opener lends its identity on
 * purpose). The same helper flooding the fd is held to uid 1000's queued
 * bytes quota: its own CAP_SYS_RESOURCE does not count, the opener's does.
 *
 * Runs as root (to install the helper and switch uids) and SKIPs
 * otherwise, or when no writable filesystem honours setuid.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <liburing.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define HELPER_ARG	"--setuid-helper"
#define FLOOD_ARG	"--setuid-flood"
#define USER		1000

/* What the helper sends, in order; each message's payload is its path. */
static const char *const paths[] = {
	"write", "writev", "send-ioctl", "batch-0", "batch-1",
	"uring-write", "uring-batch-0", "uring-batch-1", "ref",
};
#define NR_PATHS	(sizeof(paths) / sizeof(paths[0]))

static struct iovec iov_of(const char *s)
{
	return (struct iovec){ .iov_base = (void *)s, .iov_len = strlen(s) };
}

/*
 * The setuid helper: fd 1 is a channel fd opened by someone else. Sends
 * paths[] through every send path. Exit 0, 77 if it does not run as
 * euid 0 (setuid not honoured), else the step that failed.
 */
static int setuid_helper(void)
{
	struct iovec two[2] = { iov_of(paths[3]), iov_of(paths[4]) };
	struct iovec utwo[2] = { iov_of(paths[6]), iov_of(paths[7]) };
	struct iovec wv[2] = { { "wri", 3 }, { "tev", 3 } };
	struct kipc_ring_cqe cqe[2];
	struct kipc_xfer x[2];
	struct kipc_batch b;
	struct io_uring ring;
	void *addr;
	size_t size;
	int shm;

	if (geteuid() != 0)
		return 77;
	if (write(1, paths[0], strlen(paths[0])) != (ssize_t)strlen(paths[0]))
		return 1;
	if (writev(1, wv, 2) != 6)
		return 2;
	if (kipc_send(1, paths[2], strlen(paths[2]), KIPC_NONBLOCK | KIPC_PRIO(0)) !=
	    (ssize_t)strlen(paths[2]))
		return 3;
	if (kipc_send_batch(1, two, 2, KIPC_NONBLOCK) != 2)
		return 4;
	if (kipc_ring_init(&ring, 8, 0))
		return 5;
	if (kipc_ring_prep_send(&ring, 1, paths[5], strlen(paths[5]), 0, 1))
		return 6;
	if (kipc_ring_reap(&ring, cqe, 1, 1, 5000000000LL) != 1 ||
	    cqe[0].res != (int)strlen(paths[5]))
		return 7;
	if (kipc_batch_prep(&b, x, utwo, 2, 0, 1) || kipc_ring_prep_batch(&ring, 1, &b, 1, 2))
		return 8;
	if (kipc_ring_reap(&ring, cqe, 1, 1, 5000000000LL) != 1 || cqe[0].res != 2)
		return 9;
	kipc_ring_exit(&ring);
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0644, 4096);
	if (shm < 0 || kipc_shm_map(shm, PROT_READ | PROT_WRITE, &addr, &size))
		return 10;
	memcpy(addr, paths[8], strlen(paths[8]));
	if (kipc_send_ref(1, shm, 0, strlen(paths[8]), KIPC_NONBLOCK))
		return 11;
	return 0;
}

/* Flood fd 1 with empty messages: exit 0 on EDQUOT, 1 on another error. */
static int setuid_flood(void)
{
	ssize_t r;

	if (geteuid() != 0)
		return 77;
	while ((r = kipc_send(1, "", 0, KIPC_NONBLOCK)) == 0)
		;
	return r == -EDQUOT ? 0 : 1;
}

/*
 * Install a copy of this program, setuid root, in a directory whose
 * filesystem honours setuid (the guest's /tmp and /dev/shm are tmpfs,
 * maybe nosuid): its path into @path, or -errno.
 */
static int install_helper(char *path, size_t len)
{
	char self[PATH_MAX], dir[PATH_MAX];
	const char *dirs[3] = { NULL, "/tmp", "/dev/shm" };
	ssize_t n;
	int i, fd;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = 0;
	strcpy(dir, self);
	dirs[0] = dirname(dir);
	for (i = 0; i < 3; i++) {
		struct statvfs sv;
		struct stat st;
		char cmd[PATH_MAX * 2 + 16];

		if (statvfs(dirs[i], &sv) || (sv.f_flag & ST_NOSUID))
			continue;
		snprintf(path, len, "%s/kipc_ident_helper.%d", dirs[i], getpid());
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", self, path);
		if (system(cmd) != 0)
			continue;
		if (stat(path, &st) || chown(path, 0, 0) || chmod(path, 04755)) {
			unlink(path);
			continue;
		}
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			unlink(path);
			continue;
		}
		close(fd);
		return 0;
	}
	return -ENOENT;
}

FIXTURE(ident) {
	char name[64];
	char helper[PATH_MAX];
	int rx;
	long long queued;
};

FIXTURE_SETUP(ident)
{
	struct kipc_chan_attr attr = { .max_msgs = 64, .max_msg_size = 256 };

	self->rx = -1;
	self->helper[0] = 0;
	self->queued = -1;
	if (geteuid() != 0)
		SKIP(return, "needs root to install a setuid helper and switch uids");
	if (kipc_version(NULL) <= 0)
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	snprintf(self->name, sizeof(self->name), "ident-%d", getpid());
	self->rx = kipc_chan_open(self->name, O_RDWR | O_CREAT, 0666, &attr);
	ASSERT_LE(0, self->rx);
}

FIXTURE_TEARDOWN(ident)
{
	if (self->helper[0])
		unlink(self->helper);
	if (self->queued >= 0)
		write_param("user_max_queued_bytes", self->queued);
	if (self->rx >= 0) {
		kipc_chan_unlink(self->name);
		close(self->rx);
	}
}

/* Receive what is queued on @rx: the count, each message checked. */
static int expect_stamps(struct __test_metadata *_metadata, int rx, uid_t uid, pid_t pid,
			 const char *const *want, int nwant)
{
	struct kipc_msg_info info;
	char buf[256];
	ssize_t n;
	int got = 0;

	while ((n = kipc_recv(rx, buf, sizeof(buf) - 1, &info, KIPC_NONBLOCK)) >= 0) {
		buf[n] = 0;
		if (got < nwant)
			EXPECT_STREQ(want[got], buf);
		EXPECT_EQ(uid, info.uid) TH_LOG("message \"%s\" stamped uid %u", buf, info.uid);
		EXPECT_EQ(uid, info.gid) TH_LOG("message \"%s\" stamped gid %u", buf, info.gid);
		EXPECT_EQ(pid, info.pid) TH_LOG("message \"%s\" stamped pid %d", buf, info.pid);
		got++;
	}
	EXPECT_EQ(-EAGAIN, n);
	return got;
}

/* Run the installed helper in @mode as uid USER, with a USER fd as stdout. */
static pid_t run_helper(const char *helper, const char *name, const char *mode)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (become(USER, USER))
			_exit(99);
		fd = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (fd < 0 || dup2(fd, 1) != 1)
			_exit(98);
		execl(helper, helper, mode, (char *)NULL);
		_exit(97);
	}
	return pid;
}

TEST_F(ident, setuid_helper_sends_as_the_fd_opener)
{
	int ret, status;
	pid_t pid;

	ret = install_helper(self->helper, sizeof(self->helper));
	if (ret)
		SKIP(return, "no writable filesystem honours setuid here");
	pid = run_helper(self->helper, self->name, HELPER_ARG);
	ASSERT_LE(0, pid);
	status = wait_child(pid);
	if (status == 77)
		SKIP(return, "the helper did not run as euid 0 (setuid ignored)");
	ASSERT_EQ(0, status) TH_LOG("helper failed at step %d", status);
	ASSERT_EQ(NR_PATHS, expect_stamps(_metadata, self->rx, USER, pid, paths, NR_PATHS));
}

/*
 * The helper's own CAP_SYS_RESOURCE does not lift uid 1000's quota: with
 * 16 KiB, 42 empty messages (384 bytes each) fit in the 64 slots, then
 * EDQUOT. (The old module let root fill the queue: EAGAIN at 64.)
 */
TEST_F(ident, setuid_helper_is_held_to_the_openers_quota)
{
	const long limit = 16 * 1024;
	struct kipc_chan_stat st;
	int status;
	pid_t pid;

	self->queued = read_param("user_max_queued_bytes");
	if (self->queued < 0)
		SKIP(return, "kipc module parameters not found under " KIPC_PARAMS);
	if (install_helper(self->helper, sizeof(self->helper)))
		SKIP(return, "no writable filesystem honours setuid here");
	ASSERT_EQ(0, write_param("user_max_queued_bytes", limit));
	pid = run_helper(self->helper, self->name, FLOOD_ARG);
	ASSERT_LE(0, pid);
	status = wait_child(pid);
	if (status == 77)
		SKIP(return, "the helper did not run as euid 0 (setuid ignored)");
	ASSERT_EQ(0, kipc_chan_stat(self->rx, &st));
	EXPECT_EQ(0, status) TH_LOG("the helper's flood did not end in EDQUOT (%u queued)",
				    st.nr_msgs);
	EXPECT_EQ(limit / (SMALL_ROOM + MSG_OVERHEAD), st.nr_msgs);
}

/* The rule's other side: a root-opened fd lent to uid 1000 sends as root. */
TEST_F(ident, fd_opened_by_root_sends_as_root_after_setuid)
{
	static const char *const want[] = { "lent", "lent-ioctl" };
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = kipc_chan_open(self->name, O_WRONLY, 0, NULL);

		if (fd < 0)
			_exit(98);
		if (become(USER, USER))
			_exit(99);
		if (write(fd, want[0], strlen(want[0])) != (ssize_t)strlen(want[0]))
			_exit(1);
		if (kipc_send(fd, want[1], strlen(want[1]), KIPC_NONBLOCK) !=
		    (ssize_t)strlen(want[1]))
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(2, expect_stamps(_metadata, self->rx, 0, pid, want, 2));
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], HELPER_ARG))
		return setuid_helper();
	if (argc == 2 && !strcmp(argv[1], FLOOD_ARG))
		return setuid_flood();
	return test_harness_run(argc, argv);
}
