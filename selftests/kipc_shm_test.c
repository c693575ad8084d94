// SPDX-License-Identifier: GPL-2.0
/*
 * kipc regions and reference handoff: zero-filled pages shared by fds,
 * names and fork; mmap rules (MAP_PRIVATE, range, read-only fds, SIGBUS
 * past the end); lifetime (unlink/close while mapped, queued references);
 * size limits and a 1 GiB sparse region; reference send/receive (output
 * only, or through an explicit mapping cache), permissions and plain-receive copies; and the ABI
 * contract of KIPC_IOC_SHM_OPEN, KIPC_IOC_SHM_STAT, KIPC_IOC_SEND_REF and
 * KIPC_IOC_RECV_REF.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define MAX_REGION_PARAM KIPC_PARAMS "max_region_bytes"

static long pg = 4096;	/* set from sysconf() before main() */

static void __attribute__((constructor)) init_page_size(void)
{
	pg = sysconf(_SC_PAGESIZE);
}

static int all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (c[i])
			return -1;
	return 0;
}

static int write_first_byte(void *p)
{
	*(volatile char *)p = 1;
	return 0;
}

/* ---- regions -------------------------------------------------------- */

#define REGION_PAGES	4

FIXTURE(shm) {
	char name[64];
	int fd;		/* O_RDWR, created with 3 pages + 100 bytes */
	size_t len;	/* REGION_PAGES pages */
};

FIXTURE_SETUP(shm)
{
	self->fd = -1;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(self->name, sizeof(self->name), "shm");
	self->len = REGION_PAGES * pg;
	self->fd = kipc_shm_open(self->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
				 (REGION_PAGES - 1) * pg + 100);
	ASSERT_LE(0, self->fd) TH_LOG("kipc_shm_open: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(shm)
{
	if (self->fd >= 0) {
		kipc_shm_unlink(self->name);
		close(self->fd);
	}
}

TEST_F(shm, create_rounds_up_and_stats)
{
	struct kipc_shm_stat st = region_stat(self->fd), st2;
	int fd2;

	ASSERT_EQ(self->len, st.length);
	ASSERT_EQ(0600, st.mode);
	ASSERT_EQ(geteuid(), st.uid);
	ASSERT_EQ(getegid(), st.gid);
	ASSERT_EQ(0, st.nr_maps);
	ASSERT_EQ(0, st.nr_refs);
	ASSERT_NE(0, st.id);
	ASSERT_TRUE(fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_RDWR, fcntl(self->fd, F_GETFL) & O_ACCMODE);

	/* The same region by name: same id; size ignored when opening. */
	fd2 = kipc_shm_open(self->name, O_RDONLY | O_CREAT, 0, 1);
	ASSERT_LE(0, fd2);
	st2 = region_stat(fd2);
	ASSERT_EQ(st.id, st2.id);
	ASSERT_EQ(self->len, st2.length);
	ASSERT_FALSE(fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(O_RDONLY, fcntl(fd2, F_GETFL) & O_ACCMODE);
	close(fd2);

	/* Another region: another id. */
	fd2 = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 1);
	ASSERT_LE(0, fd2);
	st2 = region_stat(fd2);
	ASSERT_NE(st.id, st2.id);
	ASSERT_EQ(pg, st2.length);
	close(fd2);
}

TEST_F(shm, pages_zero_filled)
{
	size_t len;
	void *p;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	ASSERT_EQ(self->len, len);
	ASSERT_EQ(0, all_zero(p, len));
	ASSERT_EQ(1, region_stat(self->fd).nr_maps);
	ASSERT_EQ(0, kipc_shm_unmap(p, len));
	ASSERT_EQ(0, region_stat(self->fd).nr_maps);
}

TEST_F(shm, same_pages_two_fds)
{
	void *a, *b;
	size_t len;
	int fd2;

	fd2 = kipc_shm_open(self->name, O_RDWR, 0, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &a, &len));
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);	/* plain mmap */
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_NE(a, b);
	fill(a, len, 1);
	ASSERT_EQ(0, check_fill(b, len, 1));
	fill((char *)b + pg, pg, 2);
	ASSERT_EQ(0, check_fill((char *)a + pg, pg, 2));
	ASSERT_EQ(2, region_stat(fd2).nr_maps);
	munmap(a, len);
	munmap(b, len);
	close(fd2);
}

static int child_open_by_name_and_write(void *arg)
{
	const char *name = arg;
	size_t len;
	void *p;
	int fd;

	/* A fresh open and mapping of its own, not the inherited one. */
	fd = kipc_shm_open(name, O_RDWR, 0, 0);
	if (fd < 0)
		return 1;
	if (kipc_shm_map(fd, PROT_READ | PROT_WRITE, &p, &len))
		return 2;
	close(fd);
	if (check_fill(p, len, 7))
		return 3;	/* did not see the parent's data */
	fill(p, len, 8);
	return 0;
}

TEST_F(shm, same_pages_other_process_by_name)
{
	size_t len;
	void *p;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	fill(p, len, 7);
	ASSERT_EQ(0, in_child(child_open_by_name_and_write, self->name));
	ASSERT_EQ(0, check_fill(p, len, 8));
	munmap(p, len);
}

TEST_F(shm, fork_shares_mapping)
{
	unsigned char *p;
	size_t len;
	pid_t pid;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, (void **)&p, &len));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fill(p, len, 9);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, check_fill(p, len, 9));
	munmap(p, len);
}

TEST_F(shm, map_private_refused)
{
	int ro;

	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_PRIVATE, self->fd, 0));
	ASSERT_EQ(EINVAL, errno);
	ro = kipc_shm_open(self->name, O_RDONLY, 0, 0);
	ASSERT_LE(0, ro);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_PRIVATE, ro, 0));
	ASSERT_EQ(EINVAL, errno);
	close(ro);
	ASSERT_EQ(0, region_stat(self->fd).nr_maps);
}

TEST_F(shm, map_beyond_size_refused)
{
	char *p, *last;

	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->len + pg, PROT_READ, MAP_SHARED, self->fd, 0));
	ASSERT_EQ(ENXIO, errno);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd, self->len));
	ASSERT_EQ(ENXIO, errno);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, self->fd,
				   self->len - pg));
	ASSERT_EQ(ENXIO, errno);
	errno = 0;
	/* Far past the end: 1 TiB, or 1 GiB where off_t is 32 bits (-m32). */
	ASSERT_EQ(MAP_FAILED, mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd,
				   (off_t)1 << (sizeof(off_t) > 4 ? 40 : 30)));
	ASSERT_EQ(ENXIO, errno);

	/* The last page alone, at its offset, is the same page. */
	p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	last = mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd, self->len - pg);
	ASSERT_NE(MAP_FAILED, last);
	fill(p + self->len - pg, pg, 3);
	ASSERT_EQ(0, check_fill(last, pg, 3));
	munmap(last, pg);
	munmap(p, self->len);
}

static int write_to(void *p)
{
	return write_first_byte(p);
}

TEST_F(shm, readonly_fd_never_writable)
{
	char *rw, *ro_map;
	size_t len;
	void *p;
	int ro;

	ro = kipc_shm_open(self->name, O_RDONLY, 0, 0);
	ASSERT_LE(0, ro);
	errno = 0;
	ASSERT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(-EACCES, kipc_shm_map(ro, PROT_READ | PROT_WRITE, &p, &len));

	ASSERT_EQ(0, kipc_shm_map(ro, PROT_READ, &p, &len));
	ro_map = p;
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	rw = p;
	fill(rw, len, 5);
	ASSERT_EQ(0, check_fill(ro_map, len, 5));

	/* mprotect() cannot add write: VM_MAYWRITE is gone. */
	errno = 0;
	ASSERT_EQ(-1, mprotect(ro_map, len, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(128 + SIGSEGV, in_child(write_to, ro_map));
	ASSERT_EQ(0, check_fill(ro_map, len, 5));
	munmap(ro_map, len);
	munmap(rw, len);
	close(ro);
}

/*
 * Regions hold data, never code: mmap(PROT_EXEC) is EPERM, on a writable
 * and a read-only fd, and mprotect() cannot add PROT_EXEC (EACCES).
 */
TEST_F(shm, never_executable)
{
	size_t len;
	void *p;
	int ro;

	ro = kipc_shm_open(self->name, O_RDONLY, 0, 0);
	ASSERT_LE(0, ro);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_READ | PROT_EXEC, MAP_SHARED,
				   self->fd, 0));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->len, PROT_EXEC, MAP_SHARED, ro, 0));
	EXPECT_EQ(EPERM, errno);

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(1, region_stat(self->fd).nr_maps);
	munmap(p, len);
	close(ro);
}

static size_t grow_len;

static int touch_past_end(void *p)
{
	char *q;

	/* Grow the mapping past the region's end: the VMA can, the file can't. */
	q = mremap(p, grow_len, 2 * grow_len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return 10;
	q[grow_len - 1] = 1;		/* last byte of the region: fine */
	*(volatile char *)(q + grow_len) = 1;	/* SIGBUS */
	return 0;
}

TEST_F(shm, sigbus_past_end)
{
	size_t len;
	void *p;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	grow_len = len;
	ASSERT_EQ(128 + SIGBUS, in_child(touch_past_end, p));
	ASSERT_EQ(1, ((char *)p)[len - 1]);
	munmap(p, len);
}

TEST_F(shm, unlink_and_close_while_mapped)
{
	struct kipc_global_stat g0 = global_stat(), g;
	unsigned char *p;
	size_t len;
	pid_t pid;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, (void **)&p, &len));
	fill(p, len, 11);
	ASSERT_EQ(0, kipc_shm_unlink(self->name));
	ASSERT_EQ(-ENOENT, kipc_shm_open(self->name, O_RDWR, 0, 0));
	ASSERT_EQ(-ENOENT, kipc_shm_unlink(self->name));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	/* Only the mapping holds the region now, and it still works... */
	ASSERT_EQ(0, check_fill(p, len, 11));
	g = global_stat();
	ASSERT_EQ(g0.nr_regions, g.nr_regions);
	ASSERT_EQ(g0.region_bytes, g.region_bytes);
	/* ...across fork too. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (check_fill(p, len, 11))
			_exit(1);
		fill(p, len, 12);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, check_fill(p, len, 12));

	/* The last holder frees it. */
	ASSERT_EQ(0, munmap(p, len));
	g = global_stat();
	ASSERT_EQ(g0.nr_regions - 1, g.nr_regions);
	ASSERT_EQ(g0.region_bytes - self->len, g.region_bytes);
}

/*
 * remap_file_pages() maps a VMA's file again, without the region's VMA
 * callbacks: that mapping would not hold the region, which would be freed
 * and uncharged while still mapped. It is refused (EINVAL); if it ever
 * works, the region must stay counted while the remapped page is mapped.
 */
TEST_F(shm, remap_file_pages_keeps_the_charge)
{
	struct kipc_global_stat g0 = global_stat(), g;
	unsigned char *p;
	size_t len;
	int r;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, (void **)&p, &len));
	fill(p, len, 21);
	errno = 0;
	r = remap_file_pages(p + pg, pg, 0, 2, 0);
	EXPECT_EQ(-1, r) TH_LOG("remap_file_pages() of a region mapping worked");
	EXPECT_EQ(EINVAL, errno);
	/* Everything but that page goes: fd, name and the region's own VMAs. */
	ASSERT_EQ(0, kipc_shm_unlink(self->name));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, munmap(p, pg));
	ASSERT_EQ(0, munmap(p + 2 * pg, len - 2 * pg));
	g = global_stat();
	if (r == 0) {
		/* The remapped page still maps region memory: still counted. */
		EXPECT_EQ(g0.nr_regions, g.nr_regions);
		EXPECT_EQ(g0.region_bytes, g.region_bytes);
		EXPECT_EQ(0, check_fill(p + pg, pg, 21));
	} else {
		EXPECT_EQ(g0.nr_regions - 1, g.nr_regions);
	}
	ASSERT_EQ(0, munmap(p + pg, pg));
	g = global_stat();
	EXPECT_EQ(g0.nr_regions - 1, g.nr_regions);
	EXPECT_EQ(g0.region_bytes - self->len, g.region_bytes);
}

/* Write @val to the knob at @path (debugfs, procfs); 0 or -errno. */
static int write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * An mmap() that fails after the region's mmap hook ran (an allocation in
 * the mm core fails; with ->mmap_prepare, one between it and ->mapped)
 * takes nothing: no nr_maps count and no region reference, so the region
 * is still freed with its fd and name. Sweeps every slab allocation of
 * mmap() with /proc/thread-self/fail-nth, which needs a kernel with
 * CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS (the debug kernel)
 * and root. The fail-nth fd is opened once: opening it allocates too.
 * Reading and writing it copy to and from user memory, which fault
 * injection counts too (FAULT_INJECTION_USERCOPY): when mmap() leaves the
 * count unspent, the read after it may fail (EFAULT) or show it.
 */
TEST_F(shm, mmap_failure_takes_nothing)
{
	struct kipc_global_stat g0 = global_stat(), g;
	const char *gfp_wait = "/sys/kernel/debug/failslab/ignore-gfp-wait";
	const char *verbose = "/sys/kernel/debug/failslab/verbose";
	const char *uc_verbose = "/sys/kernel/debug/fail_usercopy/verbose";
	int nth_fd, n, err, failed = 0;
	bool unspent;
	char buf[16];
	void *p;

	if (write_knob(gfp_wait, "N"))
		SKIP(return, "no slab fault injection (needs FAILSLAB, FAULT_INJECTION_DEBUG_FS, root)");
	write_knob(verbose, "0");	/* no stack dump per injected failure */
	write_knob(uc_verbose, "0");
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, nth_fd);
	for (n = 1; n < 1000; n++) {
		snprintf(buf, sizeof(buf), "%d", n);
		ASSERT_LT(0, pwrite(nth_fd, buf, strlen(buf), 0));
		p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		err = errno;
		memset(buf, 0, sizeof(buf));
		unspent = pread(nth_fd, buf, sizeof(buf) - 1, 0) < 0 || atoi(buf) != 0;
		/* May fail as the read did; then the count is spent (0) anyway. */
		pwrite(nth_fd, "0", 1, 0);
		memset(buf, 0, sizeof(buf));
		ASSERT_LT(0, pread(nth_fd, buf, sizeof(buf) - 1, 0));
		ASSERT_EQ(0, atoi(buf));
		if (p == MAP_FAILED) {
			EXPECT_EQ(ENOMEM, err) TH_LOG("fail-nth %d", n);
			EXPECT_EQ(0, region_stat(self->fd).nr_maps) TH_LOG("fail-nth %d", n);
			failed++;
			continue;
		}
		EXPECT_EQ(1, region_stat(self->fd).nr_maps) TH_LOG("fail-nth %d", n);
		ASSERT_EQ(0, munmap(p, self->len));
		ASSERT_EQ(0, region_stat(self->fd).nr_maps);
		if (unspent)
			break;		/* mmap() has fewer than n injection points: done */
	}
	close(nth_fd);
	write_knob(gfp_wait, "Y");	/* the defaults */
	write_knob(verbose, "2");
	write_knob(uc_verbose, "2");
	EXPECT_LT(0, failed);
	EXPECT_GT(1000, n);

	/* Nothing kept it: fd and name go, and so does the region. */
	ASSERT_EQ(0, kipc_shm_unlink(self->name));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	g = global_stat();
	EXPECT_EQ(g0.nr_regions - 1, g.nr_regions);
	EXPECT_EQ(g0.region_bytes - self->len, g.region_bytes);
}

TEST_F(shm, nr_maps_counts_vmas)
{
	size_t len;
	char *a, *b;
	pid_t pid;

	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, (void **)&a, &len));
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ, (void **)&b, &len));
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(region_stat(self->fd).nr_maps);
	ASSERT_EQ(4, wait_child(pid));
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	/* mprotect() of a middle page splits one VMA into three. */
	ASSERT_EQ(0, mprotect(a + pg, pg, PROT_READ));
	ASSERT_EQ(4, region_stat(self->fd).nr_maps);
	munmap(a, len);
	munmap(b, len);
	ASSERT_EQ(0, region_stat(self->fd).nr_maps);
}

TEST_F(shm, process_vm_readv_sees_region_pages)
{
	struct iovec local, remote;
	char *buf;
	size_t len;
	void *p;

	/* GUP on region pages works (they are page-cache pages, not PFNMAP). */
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &p, &len));
	fill(p, len, 13);
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	local = (struct iovec){ .iov_base = buf, .iov_len = len };
	remote = (struct iovec){ .iov_base = p, .iov_len = len };
	ASSERT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	ASSERT_EQ(0, check_fill(buf, len, 13));
	free(buf);
	munmap(p, len);
}

TEST(open_errors)
{
	char name[KIPC_NAME_MAX + 8];
	char exists[64];
	int fd;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(exists, sizeof(exists), "err");
	fd = kipc_shm_open(exists, O_RDWR | O_CREAT | O_EXCL, 0600, 4096);
	ASSERT_LE(0, fd);

	ASSERT_EQ(-EEXIST, kipc_shm_open(exists, O_RDWR | O_CREAT | O_EXCL, 0600, 4096));
	ASSERT_EQ(-ENOENT, kipc_shm_open("t-no-such-region", O_RDWR, 0, 0));
	ASSERT_EQ(-EINVAL, kipc_shm_open("t-zero", O_RDWR | O_CREAT, 0600, 0));
	ASSERT_EQ(-EINVAL, kipc_shm_open(exists, O_WRONLY, 0, 0));
	ASSERT_EQ(-EINVAL, kipc_shm_open("a/b", O_RDWR | O_CREAT, 0600, 4096));
	ASSERT_EQ(-EINVAL, kipc_shm_open("", O_RDWR | O_CREAT, 0600, 4096));
	ASSERT_EQ(-EINVAL, kipc_shm_open(NULL, O_RDWR, 0600, 4096));
	ASSERT_EQ(-EINVAL, kipc_shm_open("t-trunc", O_RDWR | O_CREAT | O_TRUNC, 0600, 4096));
	ASSERT_EQ(-EINVAL, kipc_shm_open("t-mode", O_RDWR | O_CREAT, 01777, 4096));
	memset(name, 'n', sizeof(name));
	name[KIPC_NAME_MAX] = 0;		/* KIPC_NAME_MAX chars + NUL */
	ASSERT_EQ(-ENAMETOOLONG, kipc_shm_open(name, O_RDWR | O_CREAT, 0600, 4096));
	name[KIPC_NAME_MAX - 1] = 0;		/* the longest valid name */
	fd = kipc_shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, 4096);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kipc_shm_unlink(name));
	ASSERT_EQ(-EINVAL, kipc_shm_unlink(NULL));

	ASSERT_EQ(0, kipc_shm_unlink(exists));
	ASSERT_EQ(-ENOENT, kipc_shm_unlink(exists));
}

TEST(size_limit)
{
	unsigned long long max = read_ull(MAX_REGION_PARAM);
	struct kipc_shm_open o = { .size = sizeof(o), .mode = 0600 };
	char name[64];
	int fd, ctl;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	ASSERT_NE(0, max) TH_LOG("cannot read %s", MAX_REGION_PARAM);
	/* A byte past the limit, and the largest length, even past SIZE_MAX. */
	ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	o.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT;
	o.length = max + 1;
	ASSERT_EQ(-ENOSPC, xioctl(ctl, KIPC_IOC_SHM_OPEN, &o));
	o.length = UINT64_MAX;
	ASSERT_EQ(-ENOSPC, xioctl(ctl, KIPC_IOC_SHM_OPEN, &o));
	close(ctl);
	if (max < SIZE_MAX)
		ASSERT_EQ(-ENOSPC, kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, max + 1));

	if (write_ull(MAX_REGION_PARAM, 1 << 20))
		SKIP(return, "cannot set max_region_bytes (not root?)");
	/* Exactly the limit works; a byte more (a page, rounded) does not. */
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 1 << 20);
	EXPECT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-ENOSPC, kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, (1 << 20) + 1));
	/* Also when the name exists: the size is checked before the lookup. */
	make_name(name, sizeof(name), "lim");
	fd = kipc_shm_open(name, O_RDWR | O_CREAT, 0600, 4096);
	EXPECT_LE(0, fd);
	EXPECT_EQ(-ENOSPC, kipc_shm_open(name, O_RDWR | O_CREAT, 0600, 2 << 20));
	close(fd);
	kipc_shm_unlink(name);
	ASSERT_EQ(0, write_ull(MAX_REGION_PARAM, max));
}

TEST(large_region_1g_sparse)
{
	const size_t len = 1UL << 30, stride = 16UL << 20;
	struct kipc_global_stat g0, g;
	unsigned char *p;
	size_t off, got;
	int fd;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (read_ull(MAX_REGION_PARAM) < len)
		SKIP(return, "max_region_bytes below 1 GiB");
	g0 = global_stat();
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, len);
	ASSERT_LE(0, fd) TH_LOG("1 GiB region: %s", strerror(-fd));
	ASSERT_EQ(0, kipc_shm_map(fd, PROT_READ | PROT_WRITE, (void **)&p, &got));
	ASSERT_EQ(len, got);
	g = global_stat();
	ASSERT_EQ(g0.region_bytes + len, g.region_bytes);
	for (off = 0; off < len; off += stride)
		p[off + (off / stride) % 4096] = (unsigned char)(off / stride + 1);
	p[len - 1] = 0xee;
	for (off = 0; off < len; off += stride)
		ASSERT_EQ((unsigned char)(off / stride + 1), p[off + (off / stride) % 4096]);
	ASSERT_EQ(0xee, p[len - 1]);
	ASSERT_EQ(0, p[len / 2 + 12345]);	/* untouched: zero */
	ASSERT_EQ(0, kipc_shm_unmap(p, len));
	close(fd);
	g = global_stat();
	ASSERT_EQ(g0.region_bytes, g.region_bytes);
}

#define USER_REGION_PARAM KIPC_PARAMS "user_max_region_bytes"

/* As uid 1000 (no CAP_SYS_RESOURCE), with a 1 MiB region quota. */
static int quota_as_user(void *arg)
{
	size_t len;
	void *p;
	int fd, fd2;

	(void)arg;
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 99;
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 768 << 10);
	if (fd < 0)
		return 1;
	fd2 = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 512 << 10);
	if (fd2 != -EDQUOT)
		return 2;
	/* A region only a mapping keeps is still charged... */
	if (kipc_shm_map(fd, PROT_READ | PROT_WRITE, &p, &len))
		return 3;
	close(fd);
	if (kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 512 << 10) != -EDQUOT)
		return 4;
	/* ...until the last holder goes. */
	munmap(p, len);
	fd2 = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 512 << 10);
	if (fd2 < 0)
		return 5;
	close(fd2);
	return 0;
}

TEST(region_quota_per_user)
{
	unsigned long long old = read_ull(USER_REGION_PARAM);
	int fd, ret;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0 || !old)
		SKIP(return, "needs root and %s", USER_REGION_PARAM);
	ASSERT_EQ(0, write_ull(USER_REGION_PARAM, 1 << 20));
	ret = in_child(quota_as_user, NULL);
	/* CAP_SYS_RESOURCE may exceed the quota. */
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 2 << 20);
	ASSERT_EQ(0, write_ull(USER_REGION_PARAM, old));
	EXPECT_EQ(0, ret);
	EXPECT_LE(0, fd);
	close(fd);
}


TEST_F(shm, debugfs_listing)
{
	char type[8], lname[300], mode[8], depth[32], *all, *line;
	unsigned long long id, bytes, sent, recvd;
	unsigned int uid, gid, refs, fds, maps;
	int waiters, found = 0, ch;
	size_t len;
	void *a, *b;

	if (access(KIPC_OBJECTS, R_OK))
		SKIP(return, "%s not readable (debugfs not mounted?)", KIPC_OBJECTS);
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, &a, &len));
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ, &b, &len));
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, kipc_send_ref(ch, self->fd, 0, 1, 0));

	all = slurp(KIPC_OBJECTS);
	ASSERT_NE(NULL, all);
	for (line = strtok(all, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%7s %llu %299s %u %u %7s %31s %llu %llu %llu %u %u %u %d",
			   type, &id, lname, &uid, &gid, mode, depth, &bytes, &sent, &recvd,
			   &refs, &fds, &maps, &waiters) != 14 || strcmp(lname, self->name))
			continue;
		found = 1;
		TH_LOG("%s", line);
		EXPECT_STREQ("shm", type);
		EXPECT_EQ(region_stat(self->fd).id, id);
		EXPECT_EQ(geteuid(), uid);
		EXPECT_STREQ("600", mode);
		EXPECT_STREQ("1", depth);	/* one queued reference */
		EXPECT_EQ(self->len, bytes);
		/* the name, the fd, the reference, each mmap()'s VMA file */
		EXPECT_EQ(5, refs);
		EXPECT_EQ(1, fds);
		EXPECT_EQ(2, maps);
		EXPECT_EQ(0, waiters);
	}
	free(all);
	ASSERT_TRUE(found);
	close(ch);
	munmap(a, len);
	munmap(b, len);
}

TEST(tracepoints_follow_a_region)
{
	static const char *const events[] = {
		"events/kipc/kipc_region_create/enable",
		"events/kipc/kipc_region_map/enable",
		"events/kipc/kipc_region_free/enable",
	};
	const char *tr = tracefs();
	char path[256], want[128], *trace;
	unsigned long long id;
	size_t len;
	unsigned int i;
	void *p;
	int fd;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (!tr || geteuid() != 0)
		SKIP(return, "tracefs with events/kipc not mounted, or not root");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, write_file(tr, events[i], "1"));
	ASSERT_EQ(0, write_file(tr, "trace", ""));

	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 3 * pg);
	ASSERT_LE(0, fd);
	id = region_stat(fd).id;
	ASSERT_EQ(0, kipc_shm_map(fd, PROT_READ, &p, &len));
	munmap(p, len);
	close(fd);

	for (i = 0; i < 3; i++)
		write_file(tr, events[i], "0");
	snprintf(path, sizeof(path), "%s/trace", tr);
	trace = slurp(path);
	ASSERT_NE(NULL, trace);
	snprintf(want, sizeof(want), "kipc_region_create: region=%llu length=%ld", id, 3 * pg);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing \"%s\" in:\n%s", want, trace);
	snprintf(want, sizeof(want), "kipc_region_map: region=%llu length=%ld", id, 3 * pg);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing \"%s\"", want);
	snprintf(want, sizeof(want), "kipc_region_free: region=%llu length=%ld", id, 3 * pg);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing \"%s\"", want);
	free(trace);
}

/* ---- reference handoff ---------------------------------------------- */

FIXTURE(ref) {
	char name[64];
	int ch;		/* anonymous channel, O_RDWR */
	int fd;		/* named region, O_RDWR, 4 pages */
	size_t len;
	unsigned char *p;
};

FIXTURE_SETUP(ref)
{
	self->fd = -1;
	self->ch = -1;
	self->p = NULL;
	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	make_name(self->name, sizeof(self->name), "ref");
	self->ch = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, NULL);
	ASSERT_LE(0, self->ch);
	self->fd = kipc_shm_open(self->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
				 REGION_PAGES * pg);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kipc_shm_map(self->fd, PROT_READ | PROT_WRITE, (void **)&self->p,
				  &self->len));
}

FIXTURE_TEARDOWN(ref)
{
	if (self->p)
		munmap(self->p, self->len);
	if (self->fd >= 0) {
		kipc_shm_unlink(self->name);
		close(self->fd);
	}
	if (self->ch >= 0)
		close(self->ch);
}

struct sender_args {
	int ch;
	char name[64];
	size_t off, len;
};

/* A whole sender process: create, write, send, then drop everything. */
static int sender_then_vanish(void *arg)
{
	struct sender_args *a = arg;
	size_t len;
	void *p;
	int fd;

	fd = kipc_shm_open(a->name, O_RDWR | O_CREAT | O_EXCL, 0600, 4 * pg);
	if (fd < 0)
		return 1;
	if (kipc_shm_map(fd, PROT_READ | PROT_WRITE, &p, &len))
		return 2;
	fill((char *)p + a->off, a->len, 21);
	if (kipc_send_ref(a->ch, fd, a->off, a->len, KIPC_PRIO(3)))
		return 3;
	if (region_stat(fd).nr_refs != 1)
		return 4;
	if (kipc_shm_unmap(p, len) || kipc_shm_unlink(a->name) || close(fd))
		return 5;
	return 0;
}

static int write_ref(void *p)
{
	return write_first_byte(p);
}

TEST_F(ref, delivered_after_sender_closed_unlinked_exited)
{
	struct sender_args a = { .ch = self->ch, .off = 2 * pg + 3, .len = 5000 };
	struct kipc_global_stat g0 = global_stat(), g;
	struct kipc_ref ref = KIPC_REF_INIT;
	struct kipc_msg_info info;
	struct kipc_shm_stat st;

	make_name(a.name, sizeof(a.name), "gone");
	ASSERT_EQ(0, in_child(sender_then_vanish, &a));
	/* The queued reference alone keeps the region. */
	g = global_stat();
	ASSERT_EQ(g0.nr_regions + 1, g.nr_regions);
	ASSERT_EQ(-ENOENT, kipc_shm_open(a.name, O_RDONLY, 0, 0));

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, &info, 0));
	ASSERT_NE(NULL, ref.addr);
	ASSERT_LE(0, ref.shm);
	ASSERT_EQ(a.off, ref.offset);
	ASSERT_EQ(a.len, ref.len);
	ASSERT_EQ(0, check_fill(ref.addr, ref.len, 21));
	ASSERT_EQ(KIPC_MSG_REF, info.flags & KIPC_MSG_REF);
	ASSERT_EQ(a.len, info.len);
	ASSERT_EQ(3, info.prio);
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(geteuid(), info.uid);
	/* A read-only, close-on-exec fd; the reference is no longer queued. */
	ASSERT_EQ(O_RDONLY, fcntl(ref.shm, F_GETFL) & O_ACCMODE);
	ASSERT_TRUE(fcntl(ref.shm, F_GETFD) & FD_CLOEXEC);
	st = region_stat(ref.shm);
	ASSERT_EQ(0, st.nr_refs);
	ASSERT_EQ(1, st.nr_maps);
	ASSERT_EQ(4 * pg, st.length);
	ASSERT_EQ(128 + SIGSEGV, in_child(write_ref, ref.addr));

	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(NULL, ref.addr);
	ASSERT_EQ(-1, ref.shm);
	ASSERT_EQ(0, kipc_ref_release(&ref));
	g = global_stat();
	ASSERT_EQ(g0.nr_regions, g.nr_regions);
	ASSERT_EQ(g0.region_bytes, g.region_bytes);
}

TEST_F(ref, repeated_refs_reuse_one_mapping)
{
	struct kipc_ref_cache cache = KIPC_REF_CACHE_INIT;
	struct kipc_ref ref;
	unsigned char *base;
	int fd_a, fd_b, fds0, fds, other;
	size_t len;
	void *q;
	int i;

	fds0 = count_fds();
	other = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, pg);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, kipc_shm_map(other, PROT_READ | PROT_WRITE, &q, &len));
	memset(q, 0x5a, pg);
	fill(self->p, self->len, 31);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, i * 1000, 100 + i, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, other, 10, 20, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, other, 30, 40, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 7, 8, 0));
	ASSERT_EQ(4, region_stat(self->fd).nr_refs);

	memset(&ref, 0xa5, sizeof(ref));	/* the ref is output only */
	ASSERT_EQ(0, kipc_recv_ref_cached(self->ch, &cache, &ref, NULL, 0));
	fd_a = cache.shm;
	ASSERT_LE(0, fd_a);
	ASSERT_EQ(-1, ref.shm);			/* the cache owns fd and mapping */
	base = cache.base;
	ASSERT_EQ(self->len, cache.size);
	ASSERT_EQ(base, ref.addr);
	ASSERT_EQ(0, check_fill(base, self->len, 31));
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);	/* ours + the cache's */
	fds = count_fds();
	ASSERT_EQ(fds0 + 2, fds);		/* other, fd_a */
	for (i = 1; i < 3; i++) {
		memset(&ref, 0xa5, sizeof(ref));
		ASSERT_EQ(0, kipc_recv_ref_cached(self->ch, &cache, &ref, NULL, 0));
		/* Same fd, same mapping, no new fd or mapping. */
		ASSERT_EQ(fd_a, cache.shm);
		ASSERT_EQ(base, cache.base);
		ASSERT_EQ(base + i * 1000, ref.addr);
		ASSERT_EQ(100 + i, ref.len);
		ASSERT_EQ(fds, count_fds());
		ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	}
	/* Releasing a cached ref leaves the mapping to the cache. */
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(NULL, ref.addr);
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	ASSERT_LE(0, fcntl(fd_a, F_GETFD));
	ASSERT_EQ(0, check_fill(base, self->len, 31));

	/* Another region replaces the cached one. */
	ASSERT_EQ(0, kipc_recv_ref_cached(self->ch, &cache, &ref, NULL, 0));
	fd_b = cache.shm;
	ASSERT_LE(0, fd_b);
	ASSERT_EQ(20, ref.len);
	ASSERT_EQ(0x5a, ((unsigned char *)ref.addr)[0]);
	ASSERT_EQ(-1, fcntl(fd_a, F_GETFD));		/* the old fd is closed */
	ASSERT_EQ(1, region_stat(self->fd).nr_maps);	/* and unmapped */
	ASSERT_EQ(2, region_stat(other).nr_maps);
	ASSERT_EQ(fds, count_fds());
	ASSERT_EQ(0, kipc_recv_ref_cached(self->ch, &cache, &ref, NULL, 0));
	ASSERT_EQ(fd_b, cache.shm);
	ASSERT_EQ(40, ref.len);
	ASSERT_EQ((unsigned char *)cache.base + 30, ref.addr);
	ASSERT_EQ(2, region_stat(other).nr_maps);

	/* ... and back. */
	ASSERT_EQ(0, kipc_recv_ref_cached(self->ch, &cache, &ref, NULL, 0));
	ASSERT_EQ(8, ref.len);
	ASSERT_EQ(0, check_fill((unsigned char *)ref.addr - 7, self->len, 31));
	ASSERT_EQ(0, region_stat(self->fd).nr_refs);
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	ASSERT_EQ(1, region_stat(other).nr_maps);
	ASSERT_EQ(fds, count_fds());

	/* fini leaves no mapping and no fd behind, and may be repeated. */
	ASSERT_EQ(0, kipc_ref_cache_fini(&cache));
	ASSERT_EQ(NULL, cache.base);
	ASSERT_EQ(-1, cache.shm);
	ASSERT_EQ(1, region_stat(self->fd).nr_maps);
	ASSERT_EQ(fds0 + 1, count_fds());
	ASSERT_EQ(0, kipc_ref_cache_fini(&cache));
	ASSERT_EQ(0, kipc_ref_cache_init(&cache));
	ASSERT_EQ(-EINVAL, kipc_ref_cache_init(NULL));
	ASSERT_EQ(-EINVAL, kipc_recv_ref_cached(self->ch, NULL, &ref, NULL, 0));
	ASSERT_EQ(-EINVAL, kipc_recv_ref_cached(self->ch, &cache, NULL, NULL, 0));
	munmap(q, len);
	close(other);
}

TEST_F(ref, recv_ref_into_garbage)
{
	struct kipc_ref ref, ref2;
	int fds0;

	fill(self->p, self->len, 71);
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 100, 50, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 3 * pg + 5, 10, 0));
	fds0 = count_fds();

	/* An uninitialised struct is an ordinary output parameter. */
	memset(&ref, 0xa5, sizeof(ref));
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, NULL, 0));
	ASSERT_LE(0, ref.shm);
	ASSERT_EQ(100, ref.offset);
	ASSERT_EQ(50, ref.len);
	ASSERT_EQ(0, check_fill((unsigned char *)ref.addr - 100, 150, 71));
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);

	/* Without a cache each call maps for itself: two refs, two of each. */
	memset(&ref2, 0xa5, sizeof(ref2));
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref2, NULL, 0));
	ASSERT_NE(ref.shm, ref2.shm);
	ASSERT_EQ(10, ref2.len);
	ASSERT_EQ(0, check_fill((unsigned char *)ref2.addr - (3 * pg + 5), 3 * pg + 15, 71));
	ASSERT_EQ(3, region_stat(self->fd).nr_maps);
	ASSERT_EQ(fds0 + 2, count_fds());

	/* A release undoes exactly what its call made. */
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(2, region_stat(self->fd).nr_maps);
	ASSERT_EQ(0, check_fill((unsigned char *)ref2.addr - (3 * pg + 5), 3 * pg + 15, 71));
	ASSERT_EQ(0, kipc_ref_release(&ref2));
	ASSERT_EQ(1, region_stat(self->fd).nr_maps);
	ASSERT_EQ(fds0, count_fds());

	/* A failed call leaves KIPC_REF_INIT, which releases to nothing. */
	memset(&ref, 0xa5, sizeof(ref));
	ASSERT_EQ(-EAGAIN, kipc_recv_ref(self->ch, &ref, NULL, KIPC_NONBLOCK));
	ASSERT_EQ(NULL, ref.addr);
	ASSERT_EQ(-1, ref.shm);
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(fds0, count_fds());
}

TEST_F(ref, recv_ref_leaves_stale_fds_alone)
{
	struct kipc_ref ref;
	int pfd[2], other, fds0;
	unsigned char c;
	size_t len;
	void *q;

	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	other = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, pg);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, kipc_shm_map(other, PROT_READ | PROT_WRITE, &q, &len));
	memset(q, 0x5a, pg);
	fill(self->p, self->len, 81);
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 0, 16, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 16, 16, 0));
	fds0 = count_fds();

	/* A stale struct that looks like a ref into another live region of ours. */
	memset(&ref, 0xa5, sizeof(ref));
	ref.addr = q;
	ref.offset = 0;
	ref.len = pg;
	ref.shm = other;
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, NULL, 0));
	ASSERT_NE(other, ref.shm);
	ASSERT_EQ(0, ref.offset);
	ASSERT_EQ(0, check_fill(ref.addr, 16, 81));
	ASSERT_EQ(0, kipc_ref_release(&ref));
	/* Its fd is still open and its mapping intact. */
	ASSERT_LE(0, fcntl(other, F_GETFD));
	ASSERT_EQ(1, region_stat(other).nr_maps);
	ASSERT_EQ(0x5a, ((unsigned char *)q)[pg - 1]);

	/* One naming a pipe of ours. */
	memset(&ref, 0xa5, sizeof(ref));
	ref.shm = pfd[0];
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, NULL, 0));
	ASSERT_NE(pfd[0], ref.shm);
	ASSERT_EQ(16, ref.offset);
	ASSERT_EQ(0, check_fill((unsigned char *)ref.addr - 16, 32, 81));
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(1, write(pfd[1], "p", 1));
	ASSERT_EQ(1, read(pfd[0], &c, 1));
	ASSERT_EQ('p', c);
	ASSERT_EQ(1, region_stat(self->fd).nr_maps);
	ASSERT_EQ(fds0, count_fds());
	munmap(q, len);
	close(other);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(ref, bounds_and_bad_fds)
{
	int ro;

	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, self->len - 10, 11, 0));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, self->len + 1, 0, 0));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, UINT64_MAX, 2, 0));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, 1, UINT64_MAX, 0));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->ch, 0, 1, 0));	/* not a region */
	ASSERT_EQ(-EBADF, kipc_send_ref(self->ch, -1, 0, 1, 0));
	ASSERT_EQ(-EBADF, kipc_send_ref(self->ch, 987654, 0, 1, 0));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, 0, 1, KIPC_PEEK));
	ASSERT_EQ(-EINVAL, kipc_send_ref(self->ch, self->fd, 0, 1, KIPC_PRIO(32)));
	ASSERT_EQ(-ENOTTY, kipc_send_ref(self->fd, self->fd, 0, 1, 0));	/* not a channel */
	ASSERT_EQ(0, region_stat(self->fd).nr_refs);

	/* Edges that are fine: the whole region, empty at the end. */
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 0, self->len, 0));
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, self->len, 0, KIPC_NONBLOCK));
	/* A read-only region fd may send: reading is what a reference needs. */
	ro = kipc_shm_open(self->name, O_RDONLY, 0, 0);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, kipc_send_ref(self->ch, ro, 1, 1, 0));
	close(ro);
	ASSERT_EQ(3, region_stat(self->fd).nr_refs);
}

TEST_F(ref, plain_receive_copies_bytes)
{
	struct kipc_msg_info info;
	char small[100];
	char *buf;

	buf = malloc(3 * pg);
	ASSERT_NE(NULL, buf);
	fill(self->p + 100, 10000, 41);
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 100, 10000, 0));
	/* A hole (never touched page) reads as zeroes. */
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 3 * pg, pg, 0));

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(-EMSGSIZE, kipc_recv(self->ch, small, sizeof(small), &info, 0));
	ASSERT_EQ(10000, info.len);
	ASSERT_EQ(2, region_stat(self->fd).nr_refs);	/* still queued */
	memset(buf, 0xff, 3 * pg);
	ASSERT_EQ(10000, kipc_recv(self->ch, buf, 3 * pg, &info, 0));
	ASSERT_EQ(0, check_fill(buf, 10000, 41));
	ASSERT_EQ((unsigned char)0xff, (unsigned char)buf[10000]);
	ASSERT_EQ(KIPC_MSG_REF, info.flags);
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);

	memset(buf, 0xff, 3 * pg);
	ASSERT_EQ(pg, read(self->ch, buf, 3 * pg));	/* read(2) too */
	ASSERT_EQ(0, all_zero(buf, pg));
	ASSERT_EQ(0, region_stat(self->fd).nr_refs);
	free(buf);
}

TEST_F(ref, non_reference_head_gives_enomsg)
{
	struct kipc_ref ref = KIPC_REF_INIT;
	char buf[8];

	ASSERT_EQ(-EAGAIN, kipc_recv_ref(self->ch, &ref, NULL, KIPC_NONBLOCK));
	ASSERT_EQ(1, kipc_send(self->ch, "x", 1, 0));
	ASSERT_EQ(-ENOMSG, kipc_recv_ref(self->ch, &ref, NULL, 0));
	ASSERT_EQ(NULL, ref.addr);
	ASSERT_EQ(1, kipc_recv(self->ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK));
	ASSERT_EQ('x', buf[0]);
	ASSERT_EQ(-EINVAL, kipc_recv_ref(self->ch, &ref, NULL, KIPC_PRIO(1)));
	ASSERT_EQ(-EINVAL, kipc_recv_ref(self->ch, NULL, NULL, 0));
}

TEST_F(ref, peek_leaves_it_queued)
{
	struct kipc_ref ref = KIPC_REF_INIT;
	struct kipc_msg_info info;
	struct kipc_chan_stat cs;

	fill(self->p, 64, 51);
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 0, 64, 0));
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, &info, KIPC_PEEK));
	ASSERT_EQ(0, check_fill(ref.addr, 64, 51));
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &cs));
	ASSERT_EQ(1, cs.nr_msgs);
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, &info, 0));
	ASSERT_EQ(1, info.seq);
	ASSERT_EQ(0, region_stat(self->fd).nr_refs);
	ASSERT_EQ(0, kipc_ref_release(&ref));
}

static int recv_ref_as_user(int ch, size_t expect_len)
{
	struct kipc_ref ref = KIPC_REF_INIT;
	int ret;

	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 99;
	ret = kipc_recv_ref(ch, &ref, NULL, KIPC_NONBLOCK);
	if (ret)
		return -ret;
	if (ref.len != expect_len || check_fill(ref.addr, ref.len, 61))
		return 98;
	kipc_ref_release(&ref);
	return 0;
}

TEST_F(ref, receiver_needs_read_permission)
{
	struct kipc_chan_stat cs;
	struct kipc_ref ref = KIPC_REF_INIT;
	int open_fd, pub;
	size_t len;
	void *p;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to run the receiver as uid 1000");
	fill(self->p, 128, 61);
	/* The region is 0600, owned by root: uid 1000 may not read it. */
	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 0, 128, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(recv_ref_as_user(self->ch, 128));
	ASSERT_EQ(EACCES, wait_child(pid));
	/* The message stayed queued, and an allowed receiver gets it whole. */
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &cs));
	ASSERT_EQ(1, cs.nr_msgs);
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);
	open_fd = count_fds();
	ASSERT_EQ(0, kipc_recv_ref(self->ch, &ref, NULL, 0));
	ASSERT_EQ(0, check_fill(ref.addr, 128, 61));
	ASSERT_EQ(0, kipc_ref_release(&ref));
	ASSERT_EQ(open_fd, count_fds());

	/* Mode 0644: uid 1000 may read, and receives without knowing the name. */
	pub = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0644, pg);
	ASSERT_LE(0, pub);
	ASSERT_EQ(0, kipc_shm_map(pub, PROT_READ | PROT_WRITE, &p, &len));
	fill(p, 300, 61);
	ASSERT_EQ(0, kipc_send_ref(self->ch, pub, 0, 300, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(recv_ref_as_user(self->ch, 300));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, region_stat(pub).nr_refs);
	munmap(p, len);
	close(pub);
}

/* uid 1000 sends a priority-31 reference to its own 0600 region. */
static int send_private_ref_as_1000(void *arg)
{
	int ch = *(int *)arg, shm;
	size_t len;
	void *p;

	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 99;
	shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, pg);
	if (shm < 0 || kipc_shm_map(shm, PROT_READ | PROT_WRITE, &p, &len))
		return 1;
	fill(p, 128, 71);
	if (kipc_send_ref(ch, shm, 0, 128, KIPC_PRIO(KIPC_PRIO_MAX)))
		return 2;
	return 0;
}

/* uid 1001 cannot read that region: it discards the reference and goes on. */
static int discard_as_1001(void *arg)
{
	struct kipc_ref ref = KIPC_REF_INIT;
	int ch = *(int *)arg;
	struct kipc_msg_info info;
	char buf[256];
	ssize_t n;

	if (setresgid(1001, 1001, 1001) || setresuid(1001, 1001, 1001))
		return 99;
	n = kipc_recv(ch, buf, sizeof(buf), &info, KIPC_NONBLOCK);
	if (n != -EACCES) {
		fprintf(stderr, "# plain receive of the head: %zd\n", n);
		return 1;
	}
	n = kipc_recv_ref(ch, &ref, NULL, KIPC_NONBLOCK);
	if (n != -EACCES) {
		fprintf(stderr, "# KIPC_IOC_RECV_REF of the head: %zd\n", n);
		return 2;
	}
	memset(&info, 0, sizeof(info));
	n = kipc_recv(ch, NULL, 0, &info, KIPC_DISCARD | KIPC_NONBLOCK);
	if (n != 128) {
		n = kipc_recv(ch, buf, sizeof(buf), &info, KIPC_NONBLOCK);
		fprintf(stderr, "# discard failed; the next receive still gives %zd\n", n);
		return 3;
	}
	/* Stamped as the channel fd's opener (root), not uid 1000 who sent it. */
	if (info.uid != 0 || info.prio != KIPC_PRIO_MAX || info.flags != KIPC_MSG_REF ||
	    info.len != 128)
		return 4;
	/* The messages behind it. */
	if (kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK) != 3 || memcmp(buf, "one", 3))
		return 5;
	if (kipc_recv(ch, buf, sizeof(buf), NULL, KIPC_NONBLOCK) != 3 || memcmp(buf, "two", 3))
		return 6;
	return 0;
}

/*
 * Nothing a sender queues wedges a receiver: a reference the receiver may
 * not read gives EACCES and stays queued (nothing lost), and KIPC_DISCARD
 * takes it off, so the messages behind it are received.
 */
TEST(discard_gets_past_an_unreadable_reference)
{
	struct kipc_global_stat g0;
	struct kipc_chan_stat cs;
	int ch;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root to run the sender and the receiver as uids 1000, 1001");
	g0 = global_stat();
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0666, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(3, kipc_send(ch, "one", 3, 0));
	ASSERT_EQ(3, kipc_send(ch, "two", 3, 0));
	ASSERT_EQ(0, in_child(send_private_ref_as_1000, &ch));
	/* Only the queued reference keeps the sender's region now. */
	ASSERT_EQ(g0.nr_regions + 1, global_stat().nr_regions);

	ASSERT_EQ(0, in_child(discard_as_1001, &ch));
	ASSERT_EQ(0, kipc_chan_stat(ch, &cs));
	ASSERT_EQ(0, cs.nr_msgs);
	ASSERT_EQ(3, cs.sent);
	ASSERT_EQ(2, cs.received);
	ASSERT_EQ(1, cs.discarded);
	/* The discard dropped the region reference: the region is gone. */
	ASSERT_EQ(g0.nr_regions, global_stat().nr_regions);
	close(ch);
}

/*
 * KIPC_IOC_SEND_REF is held to the channel's max_msg_size, as an inline
 * send is: nothing is queued that a plain receive could never take.
 */
TEST_F(ref, send_ref_held_to_max_msg_size)
{
	struct kipc_chan_attr attr = { .max_msgs = 4, .max_msg_size = 100 };
	unsigned long max_rw = INT32_MAX & ~((unsigned long)pg - 1);
	struct kipc_ref_xfer x;
	char buf[128];
	int ch, big, ret;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	ret = kipc_send_ref(ch, self->fd, 0, 101, 0);
	if (ret == 0)
		TH_LOG("a 101-byte reference was queued; receive with a 100-byte buffer: %zd",
		       kipc_recv(ch, buf, 100, NULL, KIPC_NONBLOCK));
	ASSERT_EQ(-EMSGSIZE, ret);
	ASSERT_EQ(0, kipc_send_ref(ch, self->fd, 0, 100, 0));
	ASSERT_EQ(1, chan_stat(ch).nr_msgs);
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);
	ASSERT_EQ(100, kipc_recv(ch, buf, 100, NULL, KIPC_NONBLOCK));
	close(ch);

	/* KIPC_IOC_RECV_REF does not take KIPC_XFER_DISCARD: KIPC_IOC_RECV does. */
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.shm_fd = -1;
	x.flags = KIPC_XFER_DISCARD;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));

	/* Above MAX_RW_COUNT: no read(2) could ever take it. */
	if (read_ull(MAX_REGION_PARAM) < max_rw + pg)
		SKIP(return, "max_region_bytes below 2 GiB");
	big = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, max_rw + pg);
	ASSERT_LE(0, big);
	ret = kipc_send_ref(self->ch, big, 0, max_rw + 1, 0);
	if (ret == 0)
		TH_LOG("a reference above MAX_RW_COUNT was queued; read(2): %d",
		       read(self->ch, buf, sizeof(buf)) < 0 ? -errno : 0);
	ASSERT_EQ(-EMSGSIZE, ret);
	ASSERT_EQ(0, region_stat(big).nr_refs);
	close(big);
}

static int open_by_name_as_user(void *arg)
{
	int fd;

	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 99;
	fd = kipc_shm_open(arg, O_RDONLY, 0, 0);
	return fd < 0 ? -fd : 0;
}

TEST_F(ref, open_by_name_needs_permission)
{
	if (geteuid() != 0)
		SKIP(return, "needs root to run as uid 1000");
	ASSERT_EQ(EACCES, in_child(open_by_name_as_user, self->name));
}

TEST_F(ref, full_channel_drops_the_reference)
{
	struct kipc_chan_attr attr = { .max_msgs = 1 };
	int ch;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, kipc_send_ref(ch, self->fd, 0, 1, 0));
	ASSERT_EQ(-EAGAIN, kipc_send_ref(ch, self->fd, 0, 1, KIPC_NONBLOCK));
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);
	close(ch);
}

TEST_F(ref, queued_refs_die_with_their_channel)
{
	struct kipc_global_stat g0 = global_stat(), g;
	int ch, fd, i;

	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, ch);
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, pg);
	ASSERT_LE(0, fd);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, kipc_send_ref(ch, fd, 0, pg, 0));
	ASSERT_EQ(10, region_stat(fd).nr_refs);
	close(fd);
	g = global_stat();
	ASSERT_EQ(g0.nr_regions + 1, g.nr_regions);	/* held by the queue */
	close(ch);					/* frees the queue */
	g = global_stat();
	ASSERT_EQ(g0.nr_regions, g.nr_regions);
	ASSERT_EQ(g0.region_bytes, g.region_bytes);
}

#define STREAM_REFS	20000
#define STREAM_REGIONS	3

/* Receiver: every reference, whichever region, reads back what was sent. */
static int stream_receiver(int ch)
{
	struct kipc_ref_cache cache = KIPC_REF_CACHE_INIT;
	struct kipc_ref ref;
	struct kipc_msg_info info;
	uint32_t i, v;
	int ret;

	for (i = 0; i < STREAM_REFS; i++) {
		ret = kipc_recv_ref_cached(ch, &cache, &ref, &info, 0);
		if (ret)
			return 10;
		if (ref.len != sizeof(v) || info.seq != i + 1)
			return 11;
		memcpy(&v, ref.addr, sizeof(v));
		if (v != i)
			return 12;
	}
	return kipc_ref_cache_fini(&cache) ? 13 : 0;
}

TEST_F_TIMEOUT(ref, stream_of_refs_between_processes, 300)
{
	struct kipc_global_stat g0 = global_stat(), g;
	uint32_t *map[STREAM_REGIONS];
	int fd[STREAM_REGIONS];
	size_t len;
	uint32_t i, r, slot;
	pid_t pid;

	for (r = 0; r < STREAM_REGIONS; r++) {
		fd[r] = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 64 * pg);
		ASSERT_LE(0, fd[r]);
		ASSERT_EQ(0, kipc_shm_map(fd[r], PROT_READ | PROT_WRITE, (void **)&map[r], &len));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(stream_receiver(self->ch));
	/*
	 * Runs of references to one region, then another: the receiver's
	 * cache hits within a run and switches between runs. Each value gets
	 * its own slot, so nothing is overwritten before it is read.
	 */
	for (i = 0; i < STREAM_REFS; i++) {
		r = (i / 7) % STREAM_REGIONS;
		slot = i % (64 * pg / sizeof(uint32_t));
		map[r][slot] = i;
		ASSERT_EQ(0, kipc_send_ref(self->ch, fd[r], slot * sizeof(uint32_t),
					   sizeof(uint32_t), 0));
	}
	ASSERT_EQ(0, wait_child(pid));
	for (r = 0; r < STREAM_REGIONS; r++) {
		ASSERT_EQ(0, region_stat(fd[r]).nr_refs);
		ASSERT_EQ(1, region_stat(fd[r]).nr_maps);
		munmap(map[r], len);
		close(fd[r]);
	}
	g = global_stat();
	ASSERT_EQ(g0.nr_regions, g.nr_regions);
}

TEST(module_pinned_while_mapped)
{
	size_t len;
	void *p;
	int fd;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (geteuid() != 0)
		SKIP(return, "needs root (CAP_SYS_MODULE) to try rmmod");
	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, pg);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_shm_map(fd, PROT_READ | PROT_WRITE, &p, &len));
	close(fd);
	/* No kipc fd is open now, only the mapping: it must pin the module. */
	errno = 0;
	ASSERT_EQ(-1, syscall(__NR_delete_module, "kipc", O_NONBLOCK));
	ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);
	memset(p, 1, len);
	munmap(p, len);
}

/* ---- ABI -------------------------------------------------------------- */

FIXTURE(abi) {
	int ctl;
	int ch;
	int fd;		/* anonymous region, 1 page, O_RDWR */
};

FIXTURE_SETUP(abi)
{
	self->ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (self->ctl < 0)
		SKIP(return, "/dev/kipc: %s (is kipc.ko loaded?)", strerror(errno));
	self->ch = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, NULL);
	ASSERT_LE(0, self->ch);
	self->fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, pg);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(abi)
{
	if (self->ctl >= 0) {
		close(self->fd);
		close(self->ch);
		close(self->ctl);
	}
}

TEST_F(abi, size_contract)
{
	check_size_contract(_metadata, self->ctl, KIPC_IOC_SHM_OPEN, KIPC_SHM_OPEN_SIZE_VER0);
	check_size_contract(_metadata, self->fd, KIPC_IOC_SHM_STAT, KIPC_SHM_STAT_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_SEND_REF, KIPC_REF_XFER_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_RECV_REF, KIPC_REF_XFER_SIZE_VER0);
}

TEST_F(abi, shm_open_fields)
{
	union big_arg a;
	struct kipc_shm_open *o = (void *)a.bytes;
	int fd;

	memset(&a, 0, sizeof(a));
	o->size = sizeof(*o) + 32;			/* zero tail: accepted */
	o->flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT | KIPC_OPEN_CLOEXEC;
	o->mode = 0600;
	o->length = 1;
	fd = xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a);
	ASSERT_LE(0, fd);
	ASSERT_EQ(pg, region_stat(fd).length);
	close(fd);

	o->size = sizeof(*o);
	o->flags |= 1u << 6;				/* unknown flag */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->flags = 0x80000000u | KIPC_OPEN_RECV | KIPC_OPEN_CREAT;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->flags = KIPC_OPEN_SEND | KIPC_OPEN_CREAT;	/* write without read */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->flags = KIPC_OPEN_RECV | KIPC_OPEN_CREAT;
	o->__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->__reserved = 0;
	o->mode = 010000;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->mode = 0600;
	o->length = 0;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->length = 1;
	o->name = (uintptr_t)unmapped_page();
	ASSERT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
	o->name = 0;
	o->flags = KIPC_OPEN_RECV;			/* anonymous needs CREAT */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_SHM_OPEN, &a));
}

TEST_F(abi, shm_stat_fields)
{
	struct kipc_shm_stat st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	ASSERT_EQ(0, xioctl(self->fd, KIPC_IOC_SHM_STAT, &st));
	ASSERT_EQ(pg, st.length);
	st.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, KIPC_IOC_SHM_STAT, &st));
	st.flags = 0;
	st.__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, KIPC_IOC_SHM_STAT, &st));
}

TEST_F(abi, ref_xfer_fields)
{
	struct kipc_ref_xfer x;

	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.shm_fd = self->fd;
	x.len = 1;
	x.flags = KIPC_REF_CLOEXEC;		/* receive only */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.flags = KIPC_XFER_PEEK;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.flags = KIPC_XFER_DEADLINE;		/* without a deadline */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.flags = 0;
	x.deadline_ns = 1;			/* deadline without the flag */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.deadline_ns = 0;
	x.prio = KIPC_PRIO_MAX + 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.prio = 0;
	x.region_id = 1;			/* an output */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.region_id = 0;
	x.info.seq = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));
	x.info.seq = 0;
	ASSERT_EQ(0, xioctl(self->ch, KIPC_IOC_SEND_REF, &x));

	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.shm_fd = -1;
	x.prio = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	x.prio = 0;
	x.flags = 1u << 9;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	x.flags = 0;
	x.len = 5;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	x.len = 0;
	x.shm_fd = -2;
	ASSERT_EQ(-EBADF, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	x.shm_fd = 987654;
	ASSERT_EQ(-EBADF, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	x.shm_fd = self->ch;			/* open, but not a region */
	ASSERT_EQ(-EBADF, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));

	/* A valid hint for the same region comes back unchanged. */
	x.shm_fd = self->fd;
	ASSERT_EQ(0, xioctl(self->ch, KIPC_IOC_RECV_REF, &x));
	ASSERT_EQ(self->fd, x.shm_fd);
	ASSERT_EQ(1, x.len);
	ASSERT_EQ(region_stat(self->fd).id, x.region_id);
	ASSERT_EQ(KIPC_MSG_REF, x.info.flags);
}

TEST_F(abi, recv_ref_efault_consumes_nothing)
{
	struct kipc_chan_stat cs;
	struct kipc_ref_xfer *x;
	int fds;

	ASSERT_EQ(0, kipc_send_ref(self->ch, self->fd, 0, 1, 0));
	/* A valid argument in a page the kernel can read but not write back. */
	x = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, x);
	memset(x, 0, sizeof(*x));
	x->size = sizeof(*x);
	x->shm_fd = -1;
	ASSERT_EQ(0, mprotect(x, pg, PROT_READ));
	fds = count_fds();
	ASSERT_EQ(-EFAULT, xioctl(self->ch, KIPC_IOC_RECV_REF, x));
	ASSERT_EQ(fds, count_fds());			/* no fd leaked */
	ASSERT_EQ(0, kipc_chan_stat(self->ch, &cs));
	ASSERT_EQ(1, cs.nr_msgs);			/* nothing consumed */
	ASSERT_EQ(1, region_stat(self->fd).nr_refs);
	munmap(x, pg);
}

TEST_F(abi, unknown_ioctls_enotty)
{
	struct kipc_shm_stat st = { .size = sizeof(st) };
	union big_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, _IO(KIPC_IOC_MAGIC, 0x41), &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, KIPC_IOC_SEND, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, KIPC_IOC_SHM_OPEN, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, KIPC_IOC_RECV_REF, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->fd, FIONREAD, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ch, KIPC_IOC_SHM_STAT, &st));
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, KIPC_IOC_SHM_STAT, &st));
}

TEST_HARNESS_MAIN
