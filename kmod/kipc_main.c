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
 * Locking: this file holds no locks of its own. The control fd has no
 * state; everything lives in the objects (see kipc_internal.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

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
MODULE_PARM_DESC(spin_ns, "How long a blocked send or receive spins for a peer that is mid-call before it sleeps, in ns (default 20000; 0: never spin)");

atomic_t kipc_nr_chans = ATOMIC_INIT(0);
atomic_t kipc_nr_regions = ATOMIC_INIT(0);
atomic64_t kipc_region_bytes = ATOMIC64_INIT(0);
struct percpu_counter kipc_queued_msgs;
struct percpu_counter kipc_queued_bytes;

/**
 * kipc_copy_arg() - read an extensible ioctl argument
 * @karg: kernel copy, @ksize bytes
 * @ksize: size of the structure this module knows
 * @min_size: smallest @size accepted (the first release's structure)
 * @uarg: user pointer; the structure starts with __u32 size
 *
 * A @size above a page is -E2BIG without reading the tail, as openat2()
 * and clone3() answer: no struct will grow that large, and one ioctl must
 * not make the kernel scan gigabytes for non-zero bytes.
 *
 * Return: 0, -EFAULT, -EINVAL (size too small) or -E2BIG (size above
 * KIPC_ARG_SIZE_MAX, or unknown non-zero tail).
 */
int kipc_copy_arg(void *karg, size_t ksize, size_t min_size,
		  const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < min_size)
		return -EINVAL;
	if (usize > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/**
 * kipc_copy_arg_out() - write an ioctl argument back, up to the caller's size
 * @uarg: user pointer given to the ioctl
 * @karg: kernel copy; its first __u32 is the caller's size (already
 *	checked to be at least the minimum)
 * @ksize: size of the kernel copy
 *
 * Return: 0 or -EFAULT.
 */
int kipc_copy_arg_out(void __user *uarg, const void *karg, size_t ksize)
{
	u32 usize = *(const u32 *)karg;

	if (copy_to_user(uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

/**
 * kipc_fd_flags() - open(2) flags for a new object fd
 * @open_flags: KIPC_OPEN_* bits
 *
 * Return: O_RDONLY, O_WRONLY or O_RDWR plus O_NONBLOCK and O_CLOEXEC.
 */
int kipc_fd_flags(u32 open_flags)
{
	int f;

	if ((open_flags & KIPC_OPEN_RECV) && (open_flags & KIPC_OPEN_SEND))
		f = O_RDWR;
	else if (open_flags & KIPC_OPEN_SEND)
		f = O_WRONLY;
	else
		f = O_RDONLY;
	if (open_flags & KIPC_OPEN_NONBLOCK)
		f |= O_NONBLOCK;
	if (open_flags & KIPC_OPEN_CLOEXEC)
		f |= O_CLOEXEC;
	return f;
}

static long kipc_ioctl_version(void __user *uarg)
{
	struct kipc_version v;
	int ret;

	ret = kipc_copy_arg(&v, sizeof(v), offsetofend(struct kipc_version, features), uarg);
	if (ret)
		return ret;
	if (v.flags || v.__reserved)
		return -EINVAL;
	v.abi_version = KIPC_ABI_VERSION;
	v.features = KIPC_FEAT_CHANNELS | KIPC_FEAT_NOWAIT | KIPC_FEAT_BATCH | KIPC_FEAT_LIST;
	if (IS_ENABLED(CONFIG_IO_URING))
		v.features |= KIPC_FEAT_URING_CMD;
	if (IS_ENABLED(CONFIG_SHMEM))
		v.features |= KIPC_FEAT_REGIONS | KIPC_FEAT_REFS;
	return kipc_copy_arg_out(uarg, &v, sizeof(v));
}

static long kipc_ioctl_stat(void __user *uarg)
{
	struct kipc_global_stat st;
	int ret;

	ret = kipc_copy_arg(&st, sizeof(st),
			    offsetofend(struct kipc_global_stat, region_bytes), uarg);
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;
	st.nr_chans = atomic_read(&kipc_nr_chans);
	st.nr_regions = atomic_read(&kipc_nr_regions);
	/* From counters: no walk over the objects, no lock any create takes. */
	st.nr_msgs = percpu_counter_sum_positive(&kipc_queued_msgs);
	st.bytes_queued = percpu_counter_sum_positive(&kipc_queued_bytes);
	st.region_bytes = atomic64_read(&kipc_region_bytes);
	return kipc_copy_arg_out(uarg, &st, sizeof(st));
}

static long kipc_ioctl_unlink(void __user *uarg)
{
	struct kipc_unlink u;
	char *name;
	int ret;

	ret = kipc_copy_arg(&u, sizeof(u), offsetofend(struct kipc_unlink, __reserved), uarg);
	if (ret)
		return ret;
	if (u.flags || u.__reserved)
		return -EINVAL;
	if (u.type != KIPC_OBJ_CHAN && u.type != KIPC_OBJ_REGION)
		return -EINVAL;
	if (!u.name)
		return -EINVAL;
	name = kipc_name_from_user(u.name);
	if (IS_ERR(name))
		return PTR_ERR(name);
	ret = kipc_obj_unlink(u.type, name);
	kfree(name);
	return ret;
}

static long kipc_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_IOC_VERSION:
		return kipc_ioctl_version(uarg);
	case KIPC_IOC_STAT:
		return kipc_ioctl_stat(uarg);
	case KIPC_IOC_CHAN_OPEN:
		return kipc_chan_open_ioctl(uarg);
	case KIPC_IOC_UNLINK:
		return kipc_ioctl_unlink(uarg);
	case KIPC_IOC_SHM_OPEN:
		return kipc_shm_open_ioctl(uarg);
	case KIPC_IOC_LIST:
		return kipc_list_ioctl(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kipc_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kipc_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
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

	ret = percpu_counter_init(&kipc_queued_msgs, 0, GFP_KERNEL);
	if (ret)
		return ret;
	ret = percpu_counter_init(&kipc_queued_bytes, 0, GFP_KERNEL);
	if (ret)
		goto out_destroy_msgs;

	/* debugfs is optional: a failure here only loses the listing. */
	kipc_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("objects", 0444, kipc_debugfs_dir, NULL, &kipc_objects_fops);

	ret = misc_register(&kipc_miscdev);
	if (ret)
		goto out_remove_debugfs;
	pr_info("ABI %d loaded, /dev/%s\n", KIPC_ABI_VERSION, kipc_miscdev.name);
	return 0;

out_remove_debugfs:
	debugfs_remove_recursive(kipc_debugfs_dir);
	percpu_counter_destroy(&kipc_queued_bytes);
out_destroy_msgs:
	percpu_counter_destroy(&kipc_queued_msgs);
	return ret;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_miscdev);
	debugfs_remove_recursive(kipc_debugfs_dir);
	kipc_names_exit();
	/* Every channel is gone (open files pin the module): both are zero. */
	percpu_counter_destroy(&kipc_queued_bytes);
	percpu_counter_destroy(&kipc_queued_msgs);
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("kipc: kernel message channels and zero-copy shared regions");
MODULE_AUTHOR("The kipc developers");
MODULE_LICENSE("GPL");
