/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the kipc kselftests share: names, fill patterns, the ioctl size
 * contract, object statistics, time, children, credentials, process
 * states, io_uring, files, tracefs, module parameters. Every kipc_*_test.c includes
 * it, after kselftest_harness.h; a helper two tests need lives here, once.
 * Static inline, so a test that does not use one pays nothing for it.
 */
#ifndef KIPC_TEST_UTIL_H
#define KIPC_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include <kipc_ring.h>
#include "kselftest_harness.h"

/* ---- names and contents ------------------------------------------------ */

/*
 * A fresh object name: "t-@tag-<pid>-<n>", with n counting up in this
 * process, so concurrent tests and repeated runs never meet.
 */
static inline void make_name(char *buf, size_t len, const char *tag)
{
	static int n;

	snprintf(buf, len, "t-%s-%d-%d", tag, getpid(), n++);
}

/*
 * Byte @i of the test pattern @seed. Each seed gives other bytes at every
 * position, and the pattern changes from page to page, so a copy from the
 * wrong page or the wrong seed shows.
 */
static inline unsigned char pattern_byte(unsigned int seed, size_t i)
{
	return (unsigned char)(i * 131 + seed * 7 + (i >> 12));
}

/* Fill @len bytes at @p with the pattern @seed. */
static inline void fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = pattern_byte(seed, i);
}

/*
 * Do the @len bytes at @p hold bytes @off.. of the pattern @seed (as
 * fill() wrote them to a buffer @p - @off)? 0 if so, else -1.
 */
static inline int check_fill_at(const void *p, size_t len, unsigned int seed, size_t off)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i] != pattern_byte(seed, off + i))
			return -1;
	return 0;
}

/* Do the @len bytes at @p hold the pattern @seed? 0 if so, else -1. */
static inline int check_fill(const void *p, size_t len, unsigned int seed)
{
	return check_fill_at(p, len, seed, 0);
}

/* ---- ioctls and the size contract -------------------------------------- */

/* ioctl(2) as the library returns: its result (>= 0) or -errno. */
static inline long xioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* An address that is certainly not mapped (a page mapped, then unmapped). */
static inline void *unmapped_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, pg);
	return p;
}

/* A buffer big enough for any kipc struct plus a tail. */
union big_arg {
	unsigned char bytes[512];
	__u32 size;
};

/*
 * The size contract every extensible ioctl keeps (the uapi header's
 * "General ioctl format"): a @size below @min_size (the command's
 * KIPC_<STRUCT>_SIZE_VER0) or 0 is EINVAL, a longer one with a non-zero
 * tail E2BIG, a NULL or unmapped argument EFAULT.
 */
static inline void check_size_contract(struct __test_metadata *_metadata, int fd,
				       unsigned long cmd, size_t min_size)
{
	union big_arg a;

	memset(&a, 0, sizeof(a));
	a.size = min_size - 4;
	EXPECT_EQ(-EINVAL, xioctl(fd, cmd, &a)) TH_LOG("cmd %#lx short size", cmd);
	a.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(fd, cmd, &a)) TH_LOG("cmd %#lx size 0", cmd);
	a.size = sizeof(a);
	a.bytes[sizeof(a) - 1] = 0xff;
	EXPECT_EQ(-E2BIG, xioctl(fd, cmd, &a)) TH_LOG("cmd %#lx non-zero tail", cmd);
	EXPECT_EQ(-EFAULT, xioctl(fd, cmd, NULL)) TH_LOG("cmd %#lx NULL", cmd);
	EXPECT_EQ(-EFAULT, xioctl(fd, cmd, unmapped_page())) TH_LOG("cmd %#lx unmapped", cmd);
}

/* ---- statistics: all bytes 0xff when the call fails -------------------- */

/* The module's totals (kipc_stat()). */
static inline struct kipc_global_stat global_stat(void)
{
	struct kipc_global_stat st;

	if (kipc_stat(&st) < 0)
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* Channel @ch's statistics (kipc_chan_stat()). */
static inline struct kipc_chan_stat chan_stat(int ch)
{
	struct kipc_chan_stat st;

	if (kipc_chan_stat(ch, &st) < 0)
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* Region @fd's statistics (kipc_shm_stat()). */
static inline struct kipc_shm_stat region_stat(int fd)
{
	struct kipc_shm_stat st;

	if (kipc_shm_stat(fd, &st) < 0)
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* io_uring worker threads (io-wq) of @pid: 0 once it has exited. */
static inline int iou_workers(pid_t pid)
{
	int n = kipc_ring_workers(pid);

	return n == -ESRCH ? 0 : n;
}

/* ---- time, children, credentials, process states ----------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Reap @pid: its exit status, 128 + the signal that killed it, or -1. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run @fn(@arg) in a child; its exit status, 128 + the signal, or -1. */
static inline int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	return wait_child(pid);
}

/* A signal handler that only interrupts (a blocked call gives EINTR). */
static inline void noop_handler(int sig)
{
	(void)sig;
}

/*
 * Drop root for @uid and @gid, with the @ngroups supplementary @groups
 * (none: 0, NULL), real, effective and saved ids alike: 0 or -errno.
 */
static inline int become_groups(uid_t uid, gid_t gid, size_t ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/* Drop root for @uid and @gid, no supplementary groups: 0 or -errno. */
static inline int become(uid_t uid, gid_t gid)
{
	return become_groups(uid, gid, 0, NULL);
}

/* The state letter of /proc/@pid/stat ('R', 'S', 'Z', ...), or 0. */
static inline char proc_state(pid_t pid)
{
	char path[64], buf[512], *p = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		p = strrchr(buf, ')');
	fclose(f);
	return p && p[1] && p[2] ? p[2] : 0;
}

/* Wait up to @ms milliseconds for @pid to be in @state: 0, or -1 if never. */
static inline int wait_state(pid_t pid, char state, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (proc_state(pid) == state)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* ---- io_uring ------------------------------------------------------------ */

/*
 * A ring for kipc's io_uring commands in @ring: 1 if it is set up, 0 if the
 * test should skip (the module does not report KIPC_FEAT_URING_CMD, or
 * io_uring is unavailable here: ENOSYS, or EPERM from
 * kernel.io_uring_disabled, as kipc_uring_test skips). Any other error
 * fails the test.
 */
static inline int uring_ok(struct __test_metadata *_metadata, struct io_uring *ring)
{
	uint64_t features = 0;
	int ret;

	ASSERT_LT(0, kipc_version(&features));
	if (!(features & KIPC_FEAT_URING_CMD))
		return 0;
	ret = kipc_ring_init(ring, 64, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		return 0;
	ASSERT_EQ(0, ret) TH_LOG("kipc_ring_init: %s", strerror(-ret));
	return 1;
}

/*
 * Submit what is queued on @ring and reap one CQE: its res, -EPROTO if its
 * user_data is not @user_data, or -errno.
 */
static inline int ring_complete(struct io_uring *ring, uint64_t user_data)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->user_data == user_data ? cqe->res : -EPROTO;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/*
 * Wait on @ring, with a poll SQE, for @events on @fd: 0 once it completes
 * (whatever its res), or -errno.
 */
static inline int ring_poll(struct io_uring *ring, int fd, unsigned int events)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, fd, events);
	io_uring_submit_and_wait(ring, 1);
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret)
		return ret;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/* ---- files, tracefs, module parameters --------------------------------- */

/* Read a whole file into a malloc'ed, NUL-terminated string, or NULL. */
static inline char *slurp(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* How many fds this process has open, or -1. */
static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

/* Write @s to @dir/@file (truncating): 0 or -errno. */
static inline int write_file(const char *dir, const char *file, const char *s)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return ret;
}

/* The debugfs listing of live objects (for tests; not an ABI). */
#define KIPC_OBJECTS "/sys/kernel/debug/kipc/objects"

/* The module's parameters, as root reads and sets them. */
#define KIPC_PARAMS "/sys/module/kipc/parameters/"

/* What each queued message costs besides its payload room (kipc(7)). */
#define MSG_OVERHEAD	256
/* The payload room any message of at most this many bytes gets (kipc(7)). */
#define SMALL_ROOM	128

/*
 * A number from a file (a module parameter, say); 0 if unreadable. 64 bits
 * even in a 32-bit program: the byte limits go past 4 GiB.
 */
static inline unsigned long long read_ull(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoull(buf, NULL, 0);
}

/* Write a number to a file: 0 or -errno. */
static inline int write_ull(const char *path, unsigned long long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%llu\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* Parameter @name's value, or -1 if it cannot be read. */
static inline long long read_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), KIPC_PARAMS "%s", name);
	return access(path, R_OK) ? -1 : (long long)read_ull(path);
}

/* Set parameter @name to @v: 0 or -errno. */
static inline int write_param(const char *name, long long v)
{
	char path[128];

	snprintf(path, sizeof(path), KIPC_PARAMS "%s", name);
	return write_ull(path, v);
}

/*
 * The tracefs mount that has kipc's events, or NULL; with comm recording
 * turned off (options/record-cmd, root only; the tests need no comms).
 * With it on (the default), the first event enabled also hooks
 * sched_switch, which live-patches a static branch in __schedule() while
 * the other CPU runs it: under QEMU TCG that cross-modifying code now and
 * then leaves the patching's int3 visible to that CPU, and the guest dies
 * in __schedule() ("Oops: int3"; seen on 6.12 and 7.3). Enabling kipc's
 * events then patches only kipc's own tracepoint sites.
 */
static inline const char *tracefs(void)
{
	const char *dir = NULL;

	if (!access("/sys/kernel/tracing/events/kipc", F_OK))
		dir = "/sys/kernel/tracing";
	else if (!access("/sys/kernel/debug/tracing/events/kipc", F_OK))
		dir = "/sys/kernel/debug/tracing";
	if (dir && geteuid() == 0)
		write_file(dir, "options/record-cmd", "0");
	return dir;
}

#endif /* KIPC_TEST_UTIL_H */
