// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: the /dev/kipc control node, module parameters, init and exit.
 *
 * How userspace uses it: open /dev/kipc, check KIPC_IOC_VERSION, then
 * create or open channels (KIPC_IOC_CHAN_OPEN) and regions
 * (KIPC_IOC_SHM_OPEN). Each of those returns a new fd for the object; the
 * control fd can be closed afterwards. Names are removed with
 * KIPC_IOC_UNLINK. See include/uapi/linux/kipc.h for the ABI.
 *
 * This file is the top of the module: it calls into the others and
 * nothing calls back into it. Every ioctl, on any kind of fd and through
 * io_uring, goes through one table-driven dispatcher (kipc_dispatch())
 * that reads and size-checks the argument once and hands the handler the
 * fd's required access mode, which the handler checks once, after the
 * argument's own values (kipc_ucmd_access()). It holds no locks of its
 * own: the control fd has no state.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "kipc_compat.h"
#include "kipc_internal.h"

#define CREATE_TRACE_POINTS
#include "kipc_trace.h"

unsigned int kipc_max_chans;
module_param_named(max_chans, kipc_max_chans, uint, 0644);
MODULE_PARM_DESC(max_chans, "Most channels alive at once, module-wide (default 0: no cap; each user is bounded by user_max_objects)");

unsigned int kipc_default_msgs = 256;
module_param_named(default_msgs, kipc_default_msgs, uint, 0644);
MODULE_PARM_DESC(default_msgs, "Queue depth of a channel created with max_msgs 0 (default 256)");

unsigned int kipc_default_msg_size = 65536;
module_param_named(default_msg_size, kipc_default_msg_size, uint, 0644);
MODULE_PARM_DESC(default_msg_size, "Largest message of a channel created with max_msg_size 0 (default 64 KiB)");

unsigned int kipc_max_msgs = 65536;
module_param_named(max_msgs, kipc_max_msgs, uint, 0644);
MODULE_PARM_DESC(max_msgs, "Largest queue depth a channel may ask for (default 65536)");

unsigned int kipc_max_msg_size = 16 << 20;
module_param_named(max_msg_size, kipc_max_msg_size, uint, 0644);
MODULE_PARM_DESC(max_msg_size, "Largest message size a channel may ask for (default 16 MiB)");

/* The byte limits are 64-bit on every kernel: 4 GiB does not fit a 32-bit long. */
u64 kipc_max_region_bytes = 4ULL << 30;
module_param_named(max_region_bytes, kipc_max_region_bytes, ullong, 0644);
MODULE_PARM_DESC(max_region_bytes, "Largest region in bytes (default 4 GiB)");

unsigned int kipc_user_max_objects = 16384;
module_param_named(user_max_objects, kipc_user_max_objects, uint, 0644);
MODULE_PARM_DESC(user_max_objects, "Channels and regions one user may have alive (default 16384); -EDQUOT past it");

u64 kipc_user_max_queued_bytes = 256ULL << 20;
module_param_named(user_max_queued_bytes, kipc_user_max_queued_bytes, ullong, 0644);
MODULE_PARM_DESC(user_max_queued_bytes, "Kernel memory one user's queued messages hold in all channels: payload room plus 256 bytes per message (default 256 MiB); -EDQUOT past it");

u64 kipc_user_max_region_bytes = 8ULL << 30;
module_param_named(user_max_region_bytes, kipc_user_max_region_bytes, ullong, 0644);
MODULE_PARM_DESC(user_max_region_bytes, "Region bytes one user may have alive (default 8 GiB); -EDQUOT past it");

unsigned int kipc_spin_ns = 20000;
module_param_named(spin_ns, kipc_spin_ns, uint, 0644);
MODULE_PARM_DESC(spin_ns, "How long a blocked send or receive spins for a peer that is mid-call on another CPU before it sleeps, in ns (default 20000; 0: never spin)");

atomic_t kipc_nr_chans = ATOMIC_INIT(0);
atomic_t kipc_nr_regions = ATOMIC_INIT(0);
atomic64_t kipc_region_bytes = ATOMIC64_INIT(0);
DEFINE_PER_CPU(struct kipc_queued, kipc_queued);

static long kipc_version_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_version *v = ucmd->cmd;

	if (v->flags || v->__reserved)
		return -EINVAL;
	v->abi_version = KIPC_ABI_VERSION;
	v->features = KIPC_FEAT_CHANNELS | KIPC_FEAT_NOWAIT | KIPC_FEAT_BATCH | KIPC_FEAT_LIST |
		      KIPC_FEAT_HANDLES | KIPC_FEAT_PACKED;
	if (IS_ENABLED(CONFIG_IO_URING))
		v->features |= KIPC_FEAT_URING_CMD;
	if (IS_ENABLED(CONFIG_SHMEM))
		v->features |= KIPC_FEAT_REGIONS | KIPC_FEAT_REFS;
	return kipc_ucmd_respond(ucmd);
}

static long kipc_stat_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_global_stat *st = ucmd->cmd;
	s64 msgs = 0, bytes = 0;
	int cpu;

	if (st->flags)
		return -EINVAL;
	st->nr_chans = atomic_read(&kipc_nr_chans);
	st->nr_regions = atomic_read(&kipc_nr_regions);
	/* From counters: no walk over the objects, no lock any create takes. */
	for_each_possible_cpu(cpu) {
		const struct kipc_queued *q = per_cpu_ptr(&kipc_queued, cpu);

		msgs += READ_ONCE(q->msgs);
		bytes += READ_ONCE(q->bytes);
	}
	st->nr_msgs = max_t(s64, msgs, 0);
	st->bytes_queued = max_t(s64, bytes, 0);
	st->region_bytes = atomic64_read(&kipc_region_bytes);
	return kipc_ucmd_respond(ucmd);
}

/* ---- the ioctl tables and their dispatcher ---------------------------- */

/* Room for the argument of any command: the dispatcher's kernel copy. */
union kipc_ioctl_buf {
	struct kipc_version version;
	struct kipc_global_stat stat;
	struct kipc_chan_open chan_open;
	struct kipc_unlink unlink;
	struct kipc_shm_open shm_open;
	struct kipc_list list;
	struct kipc_xfer xfer;
	struct kipc_batch batch;
	struct kipc_packed packed;
	struct kipc_chan_stat chan_stat;
	struct kipc_ref_xfer ref_xfer;
	struct kipc_shm_stat shm_stat;
	struct kipc_chan_pair chan_pair;
	struct kipc_reopen reopen;
};

/**
 * struct kipc_ioctl_op - one row of an ioctl table
 * @cmd: the ioctl number
 * @size: sizeof() the argument's structure, as this module knows it
 * @min_size: the smallest @size accepted (KIPC_<STRUCT>_SIZE_VER0)
 * @fmode: FMODE_READ and/or FMODE_WRITE the fd must have (-EBADF, from
 *	the handler's kipc_ucmd_access())
 * @uring: may be issued as IORING_OP_URING_CMD
 * @execute: the handler; @ucmd->cmd holds the checked argument
 */
struct kipc_ioctl_op {
	unsigned int cmd;
	u32 size;
	u32 min_size;
	fmode_t fmode;
	bool uring;
	long (*execute)(struct kipc_ucmd *ucmd);
};

#define KIPC_IOCTL_OP(_cmd, _fn, _struct, _min, _fmode, _uring)			\
	{									\
		.cmd = _cmd,							\
		.size = sizeof(_struct) +					\
			BUILD_BUG_ON_ZERO(sizeof(_struct) > sizeof(union kipc_ioctl_buf)), \
		.min_size = _min,						\
		.fmode = _fmode,						\
		.uring = _uring,						\
		.execute = _fn,							\
	}

static const struct kipc_ioctl_op kipc_ctl_ops[] = {
	KIPC_IOCTL_OP(KIPC_IOC_VERSION, kipc_version_ioctl, struct kipc_version,
		      KIPC_VERSION_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_STAT, kipc_stat_ioctl, struct kipc_global_stat,
		      KIPC_GLOBAL_STAT_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_CHAN_OPEN, kipc_chan_open_ioctl, struct kipc_chan_open,
		      KIPC_CHAN_OPEN_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_UNLINK, kipc_unlink_ioctl, struct kipc_unlink,
		      KIPC_UNLINK_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_SHM_OPEN, kipc_region_open_ioctl, struct kipc_shm_open,
		      KIPC_SHM_OPEN_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_LIST, kipc_list_ioctl, struct kipc_list,
		      KIPC_LIST_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_CHAN_PAIR, kipc_chan_pair_ioctl, struct kipc_chan_pair,
		      KIPC_CHAN_PAIR_SIZE_VER0, 0, false),
};

static const struct kipc_ioctl_op kipc_chan_ops[] = {
	KIPC_IOCTL_OP(KIPC_IOC_SEND, kipc_send_ioctl, struct kipc_xfer,
		      KIPC_XFER_SIZE_VER0, FMODE_WRITE, false),
	KIPC_IOCTL_OP(KIPC_IOC_RECV, kipc_recv_ioctl, struct kipc_xfer,
		      KIPC_XFER_SIZE_VER0, FMODE_READ, false),
	KIPC_IOCTL_OP(KIPC_IOC_CHAN_STAT, kipc_chan_stat_ioctl, struct kipc_chan_stat,
		      KIPC_CHAN_STAT_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_SEND_REF, kipc_send_ref_ioctl, struct kipc_ref_xfer,
		      KIPC_REF_XFER_SIZE_VER0, FMODE_WRITE, false),
	KIPC_IOCTL_OP(KIPC_IOC_RECV_REF, kipc_recv_ref_ioctl, struct kipc_ref_xfer,
		      KIPC_REF_XFER_SIZE_VER0, FMODE_READ, false),
	KIPC_IOCTL_OP(KIPC_IOC_SEND_BATCH, kipc_send_batch_ioctl, struct kipc_batch,
		      KIPC_BATCH_SIZE_VER0, FMODE_WRITE, true),
	KIPC_IOCTL_OP(KIPC_IOC_RECV_BATCH, kipc_recv_batch_ioctl, struct kipc_batch,
		      KIPC_BATCH_SIZE_VER0, FMODE_READ, true),
	KIPC_IOCTL_OP(KIPC_IOC_REOPEN, kipc_reopen_ioctl, struct kipc_reopen,
		      KIPC_REOPEN_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_SEND_PACKED, kipc_send_packed_ioctl, struct kipc_packed,
		      KIPC_PACKED_SIZE_VER0, FMODE_WRITE, true),
	KIPC_IOCTL_OP(KIPC_IOC_RECV_PACKED, kipc_recv_packed_ioctl, struct kipc_packed,
		      KIPC_PACKED_SIZE_VER0, FMODE_READ, true),
};

static const struct kipc_ioctl_op kipc_region_ops[] = {
	KIPC_IOCTL_OP(KIPC_IOC_SHM_STAT, kipc_region_stat_ioctl, struct kipc_shm_stat,
		      KIPC_SHM_STAT_SIZE_VER0, 0, false),
	KIPC_IOCTL_OP(KIPC_IOC_REOPEN, kipc_reopen_ioctl, struct kipc_reopen,
		      KIPC_REOPEN_SIZE_VER0, 0, false),
};

/*
 * Read an extensible argument into @buf: its __u32 size first, -EINVAL
 * below the first release's size, -E2BIG above a page without reading
 * the tail (as openat2() and clone3() answer: no struct will grow that
 * large, and one ioctl must not make the kernel scan gigabytes for
 * non-zero bytes), then copy_struct_from_user(): the missing tail of an
 * older caller's struct reads as zero, a newer caller's unknown tail must
 * be zero (-E2BIG).
 */
static int kipc_ioctl_copy_in(void *buf, const struct kipc_ioctl_op *op,
			      const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	if (usize > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	return copy_struct_from_user(buf, op->size, uarg, usize);
}

/*
 * The one ioctl dispatcher: find @cmd in @ops (-ENOTTY), read and
 * size-check its argument once and run the handler, which checks the
 * fd's access mode with kipc_ucmd_access() after the argument's values
 * (-EINVAL before -EBADF, the module's order since its first release) and
 * writes results back with kipc_ucmd_respond().
 */
static long kipc_dispatch(const struct kipc_ioctl_op *ops, size_t nr_ops, struct file *file,
			  unsigned int cmd, void __user *uarg, bool uring, bool compat)
{
	union kipc_ioctl_buf buf;
	struct kipc_ucmd ucmd = {
		.file = file,
		.ubuffer = uarg,
		.cmd = &buf,
		.uring = uring,
		.compat = compat,
	};
	const struct kipc_ioctl_op *op;
	size_t i;
	int ret;

	for (i = 0; i < nr_ops && ops[i].cmd != cmd; i++)
		;
	if (i == nr_ops || (uring && !ops[i].uring))
		return -ENOTTY;
	op = &ops[i];
	ret = kipc_ioctl_copy_in(&buf, op, uarg);
	if (ret)
		return ret;
	ucmd.ksize = op->size;
	ucmd.fmode = op->fmode;	/* checked by the handler: kipc_ucmd_access() */
	return op->execute(&ucmd);
}

static long kipc_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kipc_dispatch(kipc_ctl_ops, ARRAY_SIZE(kipc_ctl_ops), file, cmd,
			     (void __user *)arg, false, in_compat_syscall());
}

static long kipc_chan_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kipc_dispatch(kipc_chan_ops, ARRAY_SIZE(kipc_chan_ops), file, cmd,
			     (void __user *)arg, false, in_compat_syscall());
}

/*
 * IORING_OP_URING_CMD on a channel fd: the batch ioctls, plain and packed,
 * with the address of their struct kipc_batch or struct kipc_packed in the
 * first 8 bytes of the SQE's command area.
 * Completed inline, so nothing is ever handed to an io_uring worker
 * thread. The iovec arrays are read in the ring's ABI (its creator's),
 * whichever task issues the command.
 */
static int kipc_chan_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	const u64 *arg = kipc_uring_cmd_payload(cmd);

	return kipc_dispatch(kipc_chan_ops, ARRAY_SIZE(kipc_chan_ops), cmd->file, cmd->cmd_op,
			     u64_to_user_ptr(READ_ONCE(*arg)), true,
			     kipc_uring_cmd_compat(cmd, issue_flags));
}

static long kipc_region_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kipc_dispatch(kipc_region_ops, ARRAY_SIZE(kipc_region_ops), file, cmd,
			     (void __user *)arg, false, in_compat_syscall());
}

/* ---- the three kinds of fd ------------------------------------------- */

static const struct file_operations kipc_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kipc_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

const struct file_operations kipc_chan_fops = {
	.owner = THIS_MODULE,
	.read_iter = kipc_chan_read_iter,
	.write_iter = kipc_chan_write_iter,
	.poll = kipc_chan_poll,
	.unlocked_ioctl = kipc_chan_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.uring_cmd = kipc_chan_uring_cmd,
	.release = kipc_chan_release,
};

const struct file_operations kipc_region_fops = {
	.owner = THIS_MODULE,
#if KIPC_HAVE_MMAP_PREPARE
	.mmap_prepare = kipc_region_mmap_prepare,
#else
	.mmap = kipc_region_mmap,
#endif
	.unlocked_ioctl = kipc_region_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = kipc_region_release,
	.show_fdinfo = kipc_region_show_fdinfo,
	.llseek = noop_llseek,
};

static struct miscdevice kipc_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kipc",
	.fops = &kipc_ctl_fops,
	.mode = 0666,
};

DEFINE_SHOW_ATTRIBUTE(kipc_objects);

/* /sys/kernel/debug/kipc/objects: every live object; see kipc_objects_show(). */
static struct dentry *kipc_debugfs_dir;

static int __init kipc_init(void)
{
	int ret;

	/* debugfs is optional: a failure here only loses the listing. */
	kipc_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("objects", 0444, kipc_debugfs_dir, NULL, &kipc_objects_fops);

	ret = misc_register(&kipc_miscdev);
	if (ret) {
		debugfs_remove_recursive(kipc_debugfs_dir);
		return ret;
	}
	pr_info("ABI %d loaded, /dev/%s\n", KIPC_ABI_VERSION, kipc_miscdev.name);
	return 0;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_miscdev);
	debugfs_remove_recursive(kipc_debugfs_dir);
	kipc_names_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("kipc: kernel message channels and zero-copy shared regions");
MODULE_AUTHOR("The kipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KIPC_VERSION);
