// SPDX-License-Identifier: GPL-2.0
/*
 * kipc paths the rest of the suite left unrun (make coverage lists them in
 * build/coverage/uncovered.txt): error exits reachable from userspace
 * without fault injection, and region file operations no other test
 * calls. Each test checks the errno and that nothing changed: no object,
 * no message, counters back where they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc_shm.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define UID_USER	1000

/*
 * Run @body in a child that has dropped root for UID_USER (no
 * CAP_SYS_RESOURCE, so module limits apply); the child's exit status is
 * 0 when @body's checks held.
 */
#define AS_USER(body)							\
	do {								\
		pid_t pid_ = fork();					\
		ASSERT_LE(0, pid_);					\
		if (pid_ == 0) {					\
			if (become(UID_USER, UID_USER))			\
				_exit(100);				\
			body;						\
			_exit(0);					\
		}							\
		ASSERT_EQ(0, wait_child(pid_));				\
	} while (0)

FIXTURE(limits) {
	long long max_chans;
	long long queued;
};

FIXTURE_SETUP(limits)
{
	self->max_chans = read_param("max_chans");
	self->queued = read_param("user_max_queued_bytes");
	ASSERT_LE(0, self->max_chans);
	ASSERT_LE(0, self->queued);
}

FIXTURE_TEARDOWN(limits)
{
	write_param("max_chans", self->max_chans);
	write_param("user_max_queued_bytes", self->queued);
}

/*
 * max_chans reached: an unprivileged create fails with ENOSPC and the
 * module's channel count is unchanged (kipc_chan_create() gives back the
 * slot it took); root (CAP_SYS_RESOURCE) may still create.
 */
TEST_F(limits, max_chans_enospc_for_unprivileged)
{
	struct kipc_global_stat before = global_stat();
	int ch, root_ch;

	ASSERT_EQ(0, write_param("max_chans", before.nr_chans ? before.nr_chans : 1));
	if (!before.nr_chans) {
		ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		ASSERT_LE(0, ch);
	} else {
		ch = -1;
	}
	AS_USER({
		int c = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);

		if (c != -ENOSPC)
			_exit(1);
	});
	EXPECT_EQ(global_stat().nr_chans, before.nr_chans + (ch >= 0));
	root_ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	EXPECT_LE(0, root_ch);
	if (root_ch >= 0)
		close(root_ch);
	if (ch >= 0)
		close(ch);
	EXPECT_EQ(before.nr_chans, global_stat().nr_chans);
}

/*
 * A reference past the sender's queued-bytes quota: EDQUOT, nothing
 * queued, and the region holds no reference afterwards.
 */
TEST_F(limits, send_ref_past_queued_quota)
{
	ASSERT_EQ(0, write_param("user_max_queued_bytes", 0));
	AS_USER({
		int ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
		int shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4096);

		if (ch < 0 || shm < 0)
			_exit(2);
		if (kipc_send_ref(ch, shm, 0, 16, KIPC_NONBLOCK) != -EDQUOT)
			_exit(3);
		if (chan_stat(ch).nr_msgs != 0 || region_stat(shm).nr_refs != 0)
			_exit(4);
		close(shm);
		close(ch);
	});
}

/* The value of @key in @fd's /proc fdinfo, or -1. */
static long long fdinfo_field(int fd, const char *key)
{
	char path[64], *text, *p;
	long long v = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	text = slurp(path);
	if (!text)
		return -1;
	p = strstr(text, key);
	if (p)
		sscanf(p + strlen(key), ":%lld", &v);
	free(text);
	return v;
}

/* A region fd's fdinfo names the region and counts its mappings. */
TEST(region_fdinfo)
{
	int shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 3 * 4096);
	struct kipc_shm_stat st;
	void *addr;
	size_t size;

	ASSERT_LE(0, shm);
	st = region_stat(shm);
	EXPECT_EQ((long long)st.id, fdinfo_field(shm, "kipc-region-id"));
	EXPECT_EQ(3 * 4096, fdinfo_field(shm, "kipc-region-length"));
	EXPECT_EQ(0, fdinfo_field(shm, "kipc-region-maps"));
	EXPECT_EQ(0, fdinfo_field(shm, "kipc-region-refs"));
	ASSERT_EQ(0, kipc_shm_map(shm, PROT_READ | PROT_WRITE, &addr, &size));
	EXPECT_EQ(1, fdinfo_field(shm, "kipc-region-maps"));
	kipc_shm_unmap(addr, size);
	EXPECT_EQ(0, fdinfo_field(shm, "kipc-region-maps"));
	close(shm);
}

/*
 * MADV_REMOVE on a writable region mapping punches a hole in the region
 * (fallocate through the mapping's file): that page reads zero, in this
 * mapping and in another one, and its neighbours keep their bytes.
 */
TEST(region_madv_remove_punches_a_hole)
{
	int shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 3 * 4096);
	unsigned char *a, *b;
	size_t size, i;

	ASSERT_LE(0, shm);
	ASSERT_EQ(0, kipc_shm_map(shm, PROT_READ | PROT_WRITE, (void **)&a, &size));
	ASSERT_EQ(0, kipc_shm_map(shm, PROT_READ, (void **)&b, &size));
	fill(a, size, 7);
	ASSERT_EQ(0, madvise(a + 4096, 4096, MADV_REMOVE));
	for (i = 0; i < 4096; i++) {
		if (a[4096 + i] || b[4096 + i])
			break;
	}
	EXPECT_EQ(4096, i);
	EXPECT_EQ(0, check_fill_at(a, 4096, 7, 0));
	EXPECT_EQ(0, check_fill_at(b + 2 * 4096, 4096, 7, 2 * 4096));
	kipc_shm_unmap(a, size);
	kipc_shm_unmap(b, size);
	close(shm);
}

TEST_HARNESS_MAIN
