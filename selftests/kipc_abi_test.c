// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ABI checks: every ioctl with a short size (EINVAL), a longer size
 * with a non-zero tail (E2BIG) and with a zero tail (accepted), a NULL and
 * an unmapped pointer (EFAULT), unknown flags and reserved bits (EINVAL),
 * and unknown commands (ENOTTY), on the control fd and on object fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

/*
 * The uapi structs have one layout for 64-bit and 32-bit (-m32) callers:
 * every pointer is a __u64 and every __u64 is 8-byte aligned, so the
 * kernel reads them the same for both. The numbers below are checked by
 * both builds of this test (make selftests, make m32); a struct that
 * grows updates its row here.
 */
#define ABI_SIZE(s, n)	_Static_assert(sizeof(struct s) == (n), "sizeof(struct " #s ")")
#define ABI_FIELD(s, f, n) \
	_Static_assert(offsetof(struct s, f) == (n), "offsetof(struct " #s ", " #f ")")
ABI_SIZE(kipc_version, 24);
ABI_FIELD(kipc_version, size, 0);
ABI_FIELD(kipc_version, flags, 4);
ABI_FIELD(kipc_version, abi_version, 8);
ABI_FIELD(kipc_version, __reserved, 12);
ABI_FIELD(kipc_version, features, 16);
ABI_SIZE(kipc_global_stat, 40);
ABI_FIELD(kipc_global_stat, size, 0);
ABI_FIELD(kipc_global_stat, flags, 4);
ABI_FIELD(kipc_global_stat, nr_chans, 8);
ABI_FIELD(kipc_global_stat, nr_regions, 12);
ABI_FIELD(kipc_global_stat, nr_msgs, 16);
ABI_FIELD(kipc_global_stat, bytes_queued, 24);
ABI_FIELD(kipc_global_stat, region_bytes, 32);
ABI_SIZE(kipc_chan_open, 32);
ABI_FIELD(kipc_chan_open, size, 0);
ABI_FIELD(kipc_chan_open, flags, 4);
ABI_FIELD(kipc_chan_open, name, 8);
ABI_FIELD(kipc_chan_open, mode, 16);
ABI_FIELD(kipc_chan_open, max_msgs, 20);
ABI_FIELD(kipc_chan_open, max_msg_size, 24);
ABI_FIELD(kipc_chan_open, __reserved, 28);
ABI_SIZE(kipc_unlink, 24);
ABI_FIELD(kipc_unlink, size, 0);
ABI_FIELD(kipc_unlink, flags, 4);
ABI_FIELD(kipc_unlink, name, 8);
ABI_FIELD(kipc_unlink, type, 16);
ABI_FIELD(kipc_unlink, __reserved, 20);
ABI_SIZE(kipc_msg_info, 56);
ABI_FIELD(kipc_msg_info, seq, 0);
ABI_FIELD(kipc_msg_info, time_ns, 8);
ABI_FIELD(kipc_msg_info, pid, 16);
ABI_FIELD(kipc_msg_info, uid, 20);
ABI_FIELD(kipc_msg_info, gid, 24);
ABI_FIELD(kipc_msg_info, len, 28);
ABI_FIELD(kipc_msg_info, prio, 32);
ABI_FIELD(kipc_msg_info, flags, 36);
ABI_FIELD(kipc_msg_info, pid_start_ns, 40);
ABI_FIELD(kipc_msg_info, nr_handles, 48);
ABI_FIELD(kipc_msg_info, __reserved, 52);
_Static_assert(offsetof(struct kipc_msg_info, pid_start_ns) == KIPC_MSG_INFO_SIZE_VER0,
	       "ABI 2's struct kipc_msg_info is a prefix");
ABI_SIZE(kipc_chan_pair, 32);
ABI_FIELD(kipc_chan_pair, size, 0);
ABI_FIELD(kipc_chan_pair, flags, 4);
ABI_FIELD(kipc_chan_pair, mode, 8);
ABI_FIELD(kipc_chan_pair, max_msgs, 12);
ABI_FIELD(kipc_chan_pair, max_msg_size, 16);
ABI_FIELD(kipc_chan_pair, __reserved, 20);
ABI_FIELD(kipc_chan_pair, fds, 24);
ABI_SIZE(kipc_reopen, 16);
ABI_FIELD(kipc_reopen, size, 0);
ABI_FIELD(kipc_reopen, flags, 4);
ABI_FIELD(kipc_reopen, __reserved, 8);
ABI_SIZE(kipc_xfer, 104);
ABI_FIELD(kipc_xfer, size, 0);
ABI_FIELD(kipc_xfer, flags, 4);
ABI_FIELD(kipc_xfer, iov, 8);
ABI_FIELD(kipc_xfer, iovcnt, 16);
ABI_FIELD(kipc_xfer, prio, 20);
ABI_FIELD(kipc_xfer, deadline_ns, 24);
ABI_FIELD(kipc_xfer, info, 32);
ABI_FIELD(kipc_xfer, fds, 88);
ABI_FIELD(kipc_xfer, nfds, 96);
ABI_FIELD(kipc_xfer, fd_flags, 100);
ABI_SIZE(kipc_batch, 32);
ABI_FIELD(kipc_batch, size, 0);
ABI_FIELD(kipc_batch, flags, 4);
ABI_FIELD(kipc_batch, nr, 8);
ABI_FIELD(kipc_batch, xfer_size, 12);
ABI_FIELD(kipc_batch, xfers, 16);
ABI_FIELD(kipc_batch, deadline_ns, 24);
ABI_SIZE(kipc_chan_stat, 88);
ABI_FIELD(kipc_chan_stat, size, 0);
ABI_FIELD(kipc_chan_stat, flags, 4);
ABI_FIELD(kipc_chan_stat, max_msgs, 8);
ABI_FIELD(kipc_chan_stat, max_msg_size, 12);
ABI_FIELD(kipc_chan_stat, nr_msgs, 16);
ABI_FIELD(kipc_chan_stat, nr_senders, 20);
ABI_FIELD(kipc_chan_stat, bytes_queued, 24);
ABI_FIELD(kipc_chan_stat, sent, 32);
ABI_FIELD(kipc_chan_stat, received, 40);
ABI_FIELD(kipc_chan_stat, nr_receivers, 48);
ABI_FIELD(kipc_chan_stat, uid, 52);
ABI_FIELD(kipc_chan_stat, gid, 56);
ABI_FIELD(kipc_chan_stat, mode, 60);
ABI_FIELD(kipc_chan_stat, state, 64);
ABI_FIELD(kipc_chan_stat, __reserved, 68);
ABI_FIELD(kipc_chan_stat, id, 72);
ABI_FIELD(kipc_chan_stat, discarded, 80);
ABI_SIZE(kipc_shm_open, 32);
ABI_FIELD(kipc_shm_open, size, 0);
ABI_FIELD(kipc_shm_open, flags, 4);
ABI_FIELD(kipc_shm_open, name, 8);
ABI_FIELD(kipc_shm_open, mode, 16);
ABI_FIELD(kipc_shm_open, __reserved, 20);
ABI_FIELD(kipc_shm_open, length, 24);
ABI_SIZE(kipc_shm_stat, 48);
ABI_FIELD(kipc_shm_stat, size, 0);
ABI_FIELD(kipc_shm_stat, flags, 4);
ABI_FIELD(kipc_shm_stat, length, 8);
ABI_FIELD(kipc_shm_stat, id, 16);
ABI_FIELD(kipc_shm_stat, uid, 24);
ABI_FIELD(kipc_shm_stat, gid, 28);
ABI_FIELD(kipc_shm_stat, mode, 32);
ABI_FIELD(kipc_shm_stat, nr_refs, 36);
ABI_FIELD(kipc_shm_stat, nr_maps, 40);
ABI_FIELD(kipc_shm_stat, __reserved, 44);
ABI_SIZE(kipc_ref_xfer, 104);
ABI_FIELD(kipc_ref_xfer, size, 0);
ABI_FIELD(kipc_ref_xfer, flags, 4);
ABI_FIELD(kipc_ref_xfer, shm_fd, 8);
ABI_FIELD(kipc_ref_xfer, prio, 12);
ABI_FIELD(kipc_ref_xfer, offset, 16);
ABI_FIELD(kipc_ref_xfer, len, 24);
ABI_FIELD(kipc_ref_xfer, region_id, 32);
ABI_FIELD(kipc_ref_xfer, deadline_ns, 40);
ABI_FIELD(kipc_ref_xfer, info, 48);
ABI_SIZE(kipc_list_entry, 336);
ABI_FIELD(kipc_list_entry, id, 0);
ABI_FIELD(kipc_list_entry, type, 8);
ABI_FIELD(kipc_list_entry, state, 12);
ABI_FIELD(kipc_list_entry, uid, 16);
ABI_FIELD(kipc_list_entry, gid, 20);
ABI_FIELD(kipc_list_entry, mode, 24);
ABI_FIELD(kipc_list_entry, nr_fds, 28);
ABI_FIELD(kipc_list_entry, nr_waiters, 32);
ABI_FIELD(kipc_list_entry, nr_msgs, 36);
ABI_FIELD(kipc_list_entry, max_msgs, 40);
ABI_FIELD(kipc_list_entry, __reserved, 44);
ABI_FIELD(kipc_list_entry, bytes, 48);
ABI_FIELD(kipc_list_entry, sent, 56);
ABI_FIELD(kipc_list_entry, received, 64);
ABI_FIELD(kipc_list_entry, nr_maps, 72);
ABI_FIELD(kipc_list_entry, __reserved2, 76);
ABI_FIELD(kipc_list_entry, name, 80);
ABI_SIZE(kipc_list, 40);
ABI_FIELD(kipc_list, size, 0);
ABI_FIELD(kipc_list, flags, 4);
ABI_FIELD(kipc_list, entries, 8);
ABI_FIELD(kipc_list, entry_size, 16);
ABI_FIELD(kipc_list, max_entries, 20);
ABI_FIELD(kipc_list, start_id, 24);
ABI_FIELD(kipc_list, next_id, 32);
ABI_SIZE(kipc_packed, 32);
ABI_FIELD(kipc_packed, size, 0);
ABI_FIELD(kipc_packed, flags, 4);
ABI_FIELD(kipc_packed, buf, 8);
ABI_FIELD(kipc_packed, len, 16);
ABI_FIELD(kipc_packed, nr, 20);
ABI_FIELD(kipc_packed, deadline_ns, 24);
ABI_SIZE(kipc_packed_send, 8);
ABI_FIELD(kipc_packed_send, len, 0);
ABI_FIELD(kipc_packed_send, prio, 4);
/* The packed records: an 8-byte header or a 56-byte info, payload, padding to 8. */
_Static_assert(KIPC_PACKED_ALIGN == 8 && KIPC_PACKED_MAX == 65536, "packed limits");
_Static_assert(KIPC_PACKED_SEND_SIZE(0) == 8 && KIPC_PACKED_SEND_SIZE(1) == 16 &&
	       KIPC_PACKED_SEND_SIZE(8) == 16 && KIPC_PACKED_SEND_SIZE(9) == 24,
	       "KIPC_PACKED_SEND_SIZE");
_Static_assert(KIPC_PACKED_RECV_SIZE(0) == 56 && KIPC_PACKED_RECV_SIZE(1) == 64 &&
	       KIPC_PACKED_RECV_SIZE(8) == 64 && KIPC_PACKED_RECV_SIZE(0xffffffffu) ==
	       56 + 0x100000000ull, "KIPC_PACKED_RECV_SIZE");

/*
 * Each extensible struct is as large as the newest size its header
 * publishes (KIPC_<STRUCT>_SIZE_VER<n>): a struct that grows gets a new
 * constant, and the row below moves to it.
 */
#define ABI_LATEST(s, ver) \
	_Static_assert(sizeof(struct s) == (ver), "sizeof(struct " #s ") == " #ver)
ABI_LATEST(kipc_version, KIPC_VERSION_SIZE_VER0);
ABI_LATEST(kipc_global_stat, KIPC_GLOBAL_STAT_SIZE_VER0);
ABI_LATEST(kipc_chan_open, KIPC_CHAN_OPEN_SIZE_VER0);
ABI_LATEST(kipc_unlink, KIPC_UNLINK_SIZE_VER0);
ABI_LATEST(kipc_xfer, KIPC_XFER_SIZE_VER1);
ABI_LATEST(kipc_batch, KIPC_BATCH_SIZE_VER0);
ABI_LATEST(kipc_chan_stat, KIPC_CHAN_STAT_SIZE_VER2);
ABI_LATEST(kipc_shm_open, KIPC_SHM_OPEN_SIZE_VER0);
ABI_LATEST(kipc_list_entry, KIPC_LIST_ENTRY_SIZE_VER0);
ABI_LATEST(kipc_list, KIPC_LIST_SIZE_VER0);
ABI_LATEST(kipc_shm_stat, KIPC_SHM_STAT_SIZE_VER0);
ABI_LATEST(kipc_ref_xfer, KIPC_REF_XFER_SIZE_VER1);
ABI_LATEST(kipc_msg_info, KIPC_MSG_INFO_SIZE_VER1);
ABI_LATEST(kipc_chan_pair, KIPC_CHAN_PAIR_SIZE_VER0);
ABI_LATEST(kipc_reopen, KIPC_REOPEN_SIZE_VER0);
ABI_LATEST(kipc_packed, KIPC_PACKED_SIZE_VER0);

/* The command numbers are ABI too. */
_Static_assert(KIPC_IOC_SEND_PACKED == _IO(0xBA, 0x28), "KIPC_IOC_SEND_PACKED");
_Static_assert(KIPC_IOC_RECV_PACKED == _IO(0xBA, 0x29), "KIPC_IOC_RECV_PACKED");
_Static_assert(KIPC_FEAT_PACKED == 0x100, "KIPC_FEAT_PACKED is bit 8");


FIXTURE(abi) {
	int ctl;
	int ch;
	char name[64];
};

FIXTURE_SETUP(abi)
{
	struct kipc_chan_open o = { .size = sizeof(o) };

	self->ctl = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (self->ctl < 0)
		SKIP(return, "/dev/kipc: %s (is kipc.ko loaded?)", strerror(errno));
	snprintf(self->name, sizeof(self->name), "abi-%d", getpid());
	o.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT;
	o.name = (uintptr_t)self->name;
	o.mode = 0600;
	self->ch = ioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o);
	ASSERT_LE(0, self->ch) TH_LOG("CHAN_OPEN: %s", strerror(errno));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->ctl >= 0) {
		kipc_chan_unlink(self->name);
		close(self->ch);
		close(self->ctl);
	}
}

TEST_F(abi, version)
{
	struct kipc_version v = { .size = sizeof(v) };
	uint64_t feat = 0;

	ASSERT_EQ(0, xioctl(self->ctl, KIPC_IOC_VERSION, &v));
	ASSERT_EQ(KIPC_ABI_VERSION, v.abi_version);
	ASSERT_TRUE(v.features & KIPC_FEAT_CHANNELS);
	/* Packed batches: this module has them (kipc_packed_test needs them). */
	ASSERT_TRUE(v.features & KIPC_FEAT_PACKED);
	ASSERT_EQ(KIPC_ABI_VERSION, kipc_version(&feat));
	ASSERT_EQ(v.features, feat);
}

TEST_F(abi, version_errors)
{
	union big_arg a;
	struct kipc_version *v = (void *)a.bytes;

	memset(&a, 0, sizeof(a));
	a.size = offsetof(struct kipc_version, features);	/* short */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_VERSION, &a));
	a.size = 0;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_VERSION, &a));

	memset(&a, 0, sizeof(a));
	a.size = sizeof(*v) + 16;				/* zero tail: fine */
	ASSERT_EQ(0, xioctl(self->ctl, KIPC_IOC_VERSION, &a));
	ASSERT_EQ(KIPC_ABI_VERSION, v->abi_version);
	a.bytes[sizeof(*v) + 8] = 1;				/* non-zero tail */
	ASSERT_EQ(-E2BIG, xioctl(self->ctl, KIPC_IOC_VERSION, &a));

	memset(&a, 0, sizeof(a));
	a.size = sizeof(*v);
	v->flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_VERSION, &a));
	v->flags = 0x80000000u;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_VERSION, &a));
	v->flags = 0;
	v->__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_VERSION, &a));

	ASSERT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_VERSION, NULL));
	ASSERT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_VERSION, unmapped_page()));
}

TEST_F(abi, size_contract_every_ioctl)
{
	check_size_contract(_metadata, self->ctl, KIPC_IOC_VERSION, KIPC_VERSION_SIZE_VER0);
	check_size_contract(_metadata, self->ctl, KIPC_IOC_STAT, KIPC_GLOBAL_STAT_SIZE_VER0);
	check_size_contract(_metadata, self->ctl, KIPC_IOC_CHAN_OPEN, KIPC_CHAN_OPEN_SIZE_VER0);
	check_size_contract(_metadata, self->ctl, KIPC_IOC_UNLINK, KIPC_UNLINK_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_SEND, KIPC_XFER_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_RECV, KIPC_XFER_SIZE_VER0);
	/* kipc_chan_stat grew @id after its first release: the old size is the minimum */
	check_size_contract(_metadata, self->ch, KIPC_IOC_CHAN_STAT, KIPC_CHAN_STAT_SIZE_VER0);
	check_size_contract(_metadata, self->ctl, KIPC_IOC_CHAN_PAIR, KIPC_CHAN_PAIR_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_REOPEN, KIPC_REOPEN_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_SEND_PACKED, KIPC_PACKED_SIZE_VER0);
	check_size_contract(_metadata, self->ch, KIPC_IOC_RECV_PACKED, KIPC_PACKED_SIZE_VER0);
}

/*
 * A @size above a page is E2BIG without the kernel reading the tail (as
 * openat2 and clone3 answer), even when the tail is all zero, on every
 * command; so is a batch's @xfer_size above a page. 4 GiB - 1, with an
 * unmapped page right after the struct, is E2BIG too, not EFAULT.
 */
TEST_F(abi, size_above_page_e2big)
{
	static const unsigned long ctl_cmds[] = {
		KIPC_IOC_VERSION, KIPC_IOC_STAT, KIPC_IOC_CHAN_OPEN, KIPC_IOC_UNLINK,
		KIPC_IOC_SHM_OPEN,
	};
	static const unsigned long ch_cmds[] = {
		KIPC_IOC_SEND, KIPC_IOC_RECV, KIPC_IOC_CHAN_STAT, KIPC_IOC_SEND_REF,
		KIPC_IOC_RECV_REF, KIPC_IOC_SEND_BATCH, KIPC_IOC_RECV_BATCH,
		KIPC_IOC_SEND_PACKED, KIPC_IOC_RECV_PACKED,
	};
	struct kipc_shm_open so = { .size = sizeof(so), .mode = 0600, .length = 4096 };
	struct kipc_chan_stat st = { .size = sizeof(st) };
	struct kipc_batch b;
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *buf;
	size_t i, j;
	int shm;

	/* Two zeroed pages, then an inaccessible one. */
	buf = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + 2 * pg, pg, PROT_NONE));
	so.flags = KIPC_OPEN_RECV | KIPC_OPEN_SEND | KIPC_OPEN_CREAT;
	shm = ioctl(self->ctl, KIPC_IOC_SHM_OPEN, &so);
	ASSERT_LE(0, shm) TH_LOG("SHM_OPEN: %s", strerror(errno));

	for (j = 0; j < 3; j++) {
		/* page + 1 (zero tail), 2 pages (zero tail), 4 GiB - 1 */
		__u32 size = j == 0 ? pg + 1 : j == 1 ? 2 * pg : 0xffffffffu;
		unsigned char *arg = j == 2 ? buf + 2 * pg - 64 : buf;

		memset(buf, 0, 2 * pg);
		memcpy(arg, &size, sizeof(size));
		for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
			EXPECT_EQ(-E2BIG, xioctl(self->ctl, ctl_cmds[i], arg))
				TH_LOG("ctl cmd %#lx size %u", ctl_cmds[i], size);
		for (i = 0; i < sizeof(ch_cmds) / sizeof(ch_cmds[0]); i++)
			EXPECT_EQ(-E2BIG, xioctl(self->ch, ch_cmds[i], arg))
				TH_LOG("chan cmd %#lx size %u", ch_cmds[i], size);
		EXPECT_EQ(-E2BIG, xioctl(shm, KIPC_IOC_SHM_STAT, arg))
			TH_LOG("SHM_STAT size %u", size);
	}

	/* A batch whose entries claim more than a page. */
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.flags = KIPC_XFER_NONBLOCK;
	b.nr = 1;
	b.xfer_size = pg + 8;
	b.xfers = (uintptr_t)buf;
	memset(buf, 0, 2 * pg);
	memcpy(buf, &b.xfer_size, sizeof(b.xfer_size));
	EXPECT_EQ(-E2BIG, xioctl(self->ch, KIPC_IOC_SEND_BATCH, &b));
	EXPECT_EQ(-E2BIG, xioctl(self->ch, KIPC_IOC_RECV_BATCH, &b));
	/* Nothing was sent by any of the above. */
	ASSERT_EQ(0, xioctl(self->ch, KIPC_IOC_CHAN_STAT, &st));
	EXPECT_EQ(0, st.sent);
	close(shm);
	munmap(buf, 3 * pg);
}

/* A caller built against the first header (no @id) still works, untouched past its size. */
TEST_F(abi, grown_struct_old_size)
{
	union big_arg a;
	struct kipc_chan_stat *st = (void *)a.bytes;

	memset(&a, 0x5a, sizeof(a));
	memset(st, 0, KIPC_CHAN_STAT_SIZE_VER0);
	st->size = KIPC_CHAN_STAT_SIZE_VER0;
	ASSERT_EQ(0, xioctl(self->ch, KIPC_IOC_CHAN_STAT, &a));
	ASSERT_LE(1, st->max_msgs);
	ASSERT_EQ(0x5a, a.bytes[KIPC_CHAN_STAT_SIZE_VER0]);
	memset(&a, 0, sizeof(a));
	st->size = sizeof(*st);
	ASSERT_EQ(0, xioctl(self->ch, KIPC_IOC_CHAN_STAT, &a));
	ASSERT_LT(0, st->id);
}

TEST_F(abi, unknown_ioctl_enotty)
{
	union big_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, _IO(KIPC_IOC_MAGIC, 0x1f), &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, _IOWR('x', 1, int), &a));
	/* channel commands are not control commands, and the reverse */
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, KIPC_IOC_SEND, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, KIPC_IOC_SEND_PACKED, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ctl, KIPC_IOC_RECV_PACKED, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ch, KIPC_IOC_VERSION, &a));
	ASSERT_EQ(-ENOTTY, xioctl(self->ch, _IO(KIPC_IOC_MAGIC, 0x3f), &a));
}

/*
 * kipc's ioctl type is its own (ABI 2): nsfs's commands (type 0xB7, which
 * kipc used in ABI 1) mean nothing on a kipc fd.
 */
TEST_F(abi, nsfs_commands_enotty)
{
	static const unsigned long ns_cmds[] = {
		NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID,
	};
	union big_arg a;
	size_t i;

	ASSERT_NE(0xB7, _IOC_TYPE(KIPC_IOC_STAT));
	ASSERT_LE(2, KIPC_ABI_VERSION);
	for (i = 0; i < sizeof(ns_cmds) / sizeof(ns_cmds[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.size = 64;
		EXPECT_EQ(-ENOTTY, xioctl(self->ctl, ns_cmds[i], &a))
			TH_LOG("ctl cmd %#lx", ns_cmds[i]);
		EXPECT_EQ(-ENOTTY, xioctl(self->ch, ns_cmds[i], &a))
			TH_LOG("chan cmd %#lx", ns_cmds[i]);
	}
}

TEST_F(abi, chan_open_flags_and_reserved)
{
	struct kipc_chan_open o = { .size = sizeof(o), .mode = 0600 };

	o.name = (uintptr_t)self->name;
	o.flags = KIPC_OPEN_RECV | 0x40;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
	o.flags = KIPC_OPEN_RECV | 0x80000000u;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
	o.flags = KIPC_OPEN_CREAT;		/* neither send nor receive */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
	o.flags = KIPC_OPEN_RECV;
	o.__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
	o.__reserved = 0;
	o.mode = 01777;				/* only permission bits */
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
	o.mode = 0600;
	o.name = 1;				/* bad name pointer */
	ASSERT_EQ(-EFAULT, xioctl(self->ctl, KIPC_IOC_CHAN_OPEN, &o));
}

TEST_F(abi, xfer_flags_and_reserved)
{
	struct kipc_xfer x = { .size = sizeof(x) };
	char buf[8] = "abc";
	struct iovec iov = { .iov_base = buf, .iov_len = 3 };

	x.iov = (uintptr_t)&iov;
	x.iovcnt = 1;
	x.flags = 0x100;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.flags = KIPC_XFER_PEEK;		/* receive-only flag */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.flags = 0;
	x.prio = KIPC_PRIO_MAX + 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.prio = 0;
	x.deadline_ns = 5;			/* deadline without its flag */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.deadline_ns = 0;
	x.info.seq = 1;				/* output field must be zero */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.info.seq = 0;
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_SEND, &x));

	x.flags = 0x100;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV, &x));
	x.flags = 0;
	x.prio = 1;				/* prio is send-only */
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_RECV, &x));
	x.prio = 0;
	memset(buf, 0, sizeof(buf));
	iov.iov_len = sizeof(buf);
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(3, x.info.len);
	ASSERT_EQ(0, memcmp(buf, "abc", 3));
}

/*
 * The iovec arrays that struct kipc_xfer points at are read in the
 * caller's ABI: struct iovec here, whatever width size_t and pointers
 * have. A 32-bit caller's 8-byte iovec read as a 16-byte one gives
 * -EFAULT or wrong lengths.
 */
TEST_F(abi, xfer_iovec_in_callers_abi)
{
	char a[] = "ab", c[] = "cdef", r1[3], r2[10], big[4];
	struct iovec s3[3] = { { a, 2 }, { big, 0 }, { c, 4 } };
	struct iovec r[2] = { { r1, sizeof(r1) }, { r2, sizeof(r2) } };
	struct kipc_xfer x = { .size = sizeof(x), .iov = (uintptr_t)s3, .iovcnt = 3 };
	static struct iovec many[1025];
	unsigned int i;

	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.iov = (uintptr_t)r;
	x.iovcnt = 2;
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(6, x.info.len);
	ASSERT_EQ(0, memcmp(r1, "abc", 3));
	ASSERT_EQ(0, memcmp(r2, "def", 3));

	/* One entry: its exact length, both ways. */
	memset(&x, 0, sizeof(x));
	x.size = sizeof(x);
	x.iov = (uintptr_t)&s3[2];
	x.iovcnt = 1;
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.iov = (uintptr_t)r;
	r[0].iov_len = 2;			/* too short: the message stays */
	ASSERT_EQ(-EMSGSIZE, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(4, x.info.len);
	memset(&x.info, 0, sizeof(x.info));	/* an input must be zero */
	r[0].iov_len = sizeof(r1);
	x.iov = (uintptr_t)&r[1];
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(4, x.info.len);
	ASSERT_EQ(0, memcmp(r2, "cdef", 4));
	memset(&x.info, 0, sizeof(x.info));

	/* A length that is negative as the caller's ssize_t: -EINVAL. */
	s3[0].iov_len = (size_t)-1;
	x.iov = (uintptr_t)s3;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.iovcnt = 3;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	s3[0].iov_len = 2;
	/* An unmapped buffer in a later entry: -EFAULT, nothing sent. */
	s3[2].iov_base = unmapped_page();
	ASSERT_EQ(-EFAULT, xioctl(self->ch, KIPC_IOC_SEND, &x));
	/* More entries than UIO_MAXIOV (1024): -EINVAL. */
	for (i = 0; i < 1025; i++)
		many[i] = (struct iovec){ a, 0 };
	x.iov = (uintptr_t)many;
	x.iovcnt = 1025;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_SEND, &x));
	/* 1024 entries (a heap copy in the kernel): one byte each. */
	for (i = 0; i < 1024; i++)
		many[i].iov_len = 1;
	x.iovcnt = 1024;
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_SEND, &x));
	x.iov = (uintptr_t)&r[1];
	x.iovcnt = 1;
	ASSERT_EQ(-EMSGSIZE, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(1024, x.info.len);
	memset(&x.info, 0, sizeof(x.info));
	x.flags = KIPC_XFER_NONBLOCK;
	r[1] = (struct iovec){ many, sizeof(many) };
	ASSERT_LE(0, xioctl(self->ch, KIPC_IOC_RECV, &x));
	ASSERT_EQ(1024, x.info.len);
	memset(&x.info, 0, sizeof(x.info));
	ASSERT_EQ(-EAGAIN, xioctl(self->ch, KIPC_IOC_RECV, &x));
}

/* The same for batch entries: each entry's iovec array, in the caller's ABI. */
TEST_F(abi, batch_iovec_in_callers_abi)
{
	char a[] = "xy", b[] = "zw", out[3][8];
	struct iovec one = { a, 2 }, two[2] = { { a, 2 }, { b, 2 } };
	struct iovec in[3] = { { out[0], 8 }, { out[1], 8 }, { out[2], 8 } };
	struct kipc_xfer x[3];
	struct kipc_batch bt = { .size = sizeof(bt), .nr = 2, .xfer_size = sizeof(x[0]) };
	long n;

	memset(x, 0, sizeof(x));
	memset(out, 0, sizeof(out));
	x[0] = (struct kipc_xfer){ .size = sizeof(x[0]), .iov = (uintptr_t)&one, .iovcnt = 1 };
	x[1] = (struct kipc_xfer){ .size = sizeof(x[0]), .iov = (uintptr_t)two, .iovcnt = 2 };
	bt.xfers = (uintptr_t)x;
	n = ioctl(self->ch, KIPC_IOC_SEND_BATCH, &bt);
	ASSERT_EQ(2, n) TH_LOG("SEND_BATCH: %s", n < 0 ? strerror(errno) : "short");
	for (n = 0; n < 3; n++)
		x[n] = (struct kipc_xfer){ .size = sizeof(x[0]), .iov = (uintptr_t)&in[n],
					   .iovcnt = 1 };
	bt.nr = 3;
	bt.flags = KIPC_XFER_NONBLOCK;
	n = ioctl(self->ch, KIPC_IOC_RECV_BATCH, &bt);
	ASSERT_EQ(2, n) TH_LOG("RECV_BATCH: %s", n < 0 ? strerror(errno) : "short");
	ASSERT_EQ(2, x[0].info.len);
	ASSERT_EQ(4, x[1].info.len);
	ASSERT_EQ(0, memcmp(out[0], "xy", 2));
	ASSERT_EQ(0, memcmp(out[1], "xyzw", 4));
}

TEST_F(abi, stat_and_unlink_reserved)
{
	struct kipc_chan_stat st = { .size = sizeof(st) };
	struct kipc_unlink u = { .size = sizeof(u), .type = KIPC_OBJ_CHAN };
	struct kipc_global_stat gs = { .size = sizeof(gs) };

	st.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_CHAN_STAT, &st));
	st.flags = 0;
	st.__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ch, KIPC_IOC_CHAN_STAT, &st));
	gs.flags = 2;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_STAT, &gs));
	gs.flags = 0;
	ASSERT_EQ(0, xioctl(self->ctl, KIPC_IOC_STAT, &gs));
	ASSERT_LE(1, gs.nr_chans);

	u.name = (uintptr_t)self->name;
	u.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
	u.flags = 0;
	u.type = 7;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
	u.type = KIPC_OBJ_CHAN;
	u.__reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
	u.__reserved = 0;
	u.name = 0;
	ASSERT_EQ(-EINVAL, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
	u.name = (uintptr_t)self->name;
	ASSERT_EQ(0, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
	ASSERT_EQ(-ENOENT, xioctl(self->ctl, KIPC_IOC_UNLINK, &u));
}

TEST_HARNESS_MAIN
