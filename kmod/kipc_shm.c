// SPDX-License-Identifier: GPL-2.0
/*
 * kipc regions: shared pages mapped by many processes, and references to
 * them handed over channels.
 *
 * How userspace uses a region: KIPC_IOC_SHM_OPEN on the control fd creates
 * or opens a named (or anonymous) region and returns a region fd; mmap()
 * of that fd with MAP_SHARED maps the region's pages, the same physical
 * pages in every process. After that the kernel is out of the data path:
 * it only sees page faults and futex waits. KIPC_IOC_SHM_STAT on the fd
 * reports the region's state. A region fd opened with KIPC_OPEN_SEND is
 * writable; one without is read-only for good (mmap with PROT_WRITE fails
 * with EACCES and VM_MAYWRITE is cleared, so mprotect() cannot add write).
 * No region is ever executable: PROT_EXEC fails with EPERM, and
 * VM_MAYEXEC is cleared, so mprotect(PROT_EXEC) fails with EACCES.
 *
 * Backing store: each region is a shmem file of fixed size, made with
 * VM_NORESERVE, so pages are zero-filled, allocated on first touch,
 * charged to the memcg of the task that touches them, swappable, and have
 * a page-cache mapping: process-shared futexes work on them (a futex key
 * needs folio->mapping) and GUP, io_uring and process_vm_readv see normal
 * pages. The region fd's ->mmap() swaps the VMA's file for a new file on
 * the shmem inode whose own ->mmap refuses (vma_set_file(); see
 * kipc_region_vmfile(): remap_file_pages() maps a VMA's file again, and
 * must not make a VMA that bypasses the region's accounting) and lets
 * shmem set the VMA up, then wraps shmem's
 * vm_operations so that each VMA holds a reference to the region file it
 * was made from: the region, its accounting and this module live as long
 * as a mapping does. A fault past the shmem file's end (a VMA grown with mremap())
 * gets SIGBUS from shmem.
 *
 * Reference handoff: KIPC_IOC_SEND_REF on a channel queues a message that
 * names (region, offset, len) and holds a region reference; nothing is
 * copied. KIPC_IOC_RECV_REF hands the receiver a read-only region fd
 * (or reuses one it names) plus offset and length; a plain receive of a
 * reference message copies the referenced bytes instead, under the same
 * read-permission check.
 *
 * Locking overview: a region has no lock of its own. Its length, id,
 * owner, mode and shmem file are immutable after creation, and its two
 * counters (@nr_refs, @nr_maps) are atomics, so regions need no lock
 * (see the lock order in kipc_internal.h). Code in this
 * file runs in three lock contexts:
 *   - kipc_deliver_ref() and kipc_ref_copy_out() under the channel's
 *     recv_lock (a mutex; its spinlock kipc_chan.lock is not held): they
 *     may sleep, fault on user memory (mmap_lock nests inside recv_lock),
 *     allocate a file and reserve an fd;
 *   - kipc_region_mmap() (on 7.3, kipc_region_mmap_prepare() and ->mapped)
 *     and the vm_operations under mmap_lock: they take no lock (the
 *     one-time setup of kipc_shmem_vm_ops is a cmpxchg);
 *   - everything else with no lock held.
 *
 * Accounting: a region counts in kipc_nr_regions and kipc_region_bytes and
 * is charged to its creator's region quota (KIPC_QUOTA_REGION) from
 * creation to free, so a region that only a mapping keeps still counts.
 * Tracepoints: kipc_region_create, kipc_region_map, kipc_region_free.
 *
 * References on a region's kipc_obj: the name, each open region file,
 * each queued reference message, and each mmap()'s VMA file. A VMA holds a region file (and through
 * it the region and the module); the region holds its shmem file; a VMA
 * also holds its vm_file, a file on the shmem inode made for that mmap(),
 * which holds the region and the module too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/user_namespace.h>

#include "kipc_compat.h"
#include "kipc_internal.h"
#include "kipc_trace.h"

/**
 * struct kipc_region - a shared-page region
 * @obj: name table part (owner, mode, name, references, id)
 * @shmem: the backing shmem file; immutable, holds a file reference
 * @length: size in bytes, a multiple of PAGE_SIZE; immutable
 * @user: the creator's quota account, charged @length; immutable
 * @nr_refs: reference messages queued in channels (atomic)
 * @nr_maps: VMAs mapping the region (atomic)
 * @nr_fds: open region files (atomic)
 */
struct kipc_region {
	struct kipc_obj obj;
	struct file *shmem;
	u64 length;
	struct kipc_user *user;
	atomic_t nr_refs;
	atomic_t nr_maps;
	atomic_t nr_fds;
};

static const struct file_operations kipc_region_fops;

static inline struct kipc_region *to_region(struct kipc_obj *obj)
{
	return container_of(obj, struct kipc_region, obj);
}

/**
 * kipc_is_region_file() - is @file a region fd?
 * @file: any file
 *
 * Return: true for a file made by KIPC_IOC_SHM_OPEN or KIPC_IOC_RECV_REF.
 */
bool kipc_is_region_file(const struct file *file)
{
	return file->f_op == &kipc_region_fops;
}

/**
 * kipc_region_id() - the region's object id (for tracepoints)
 * @region: the region
 *
 * Return: the id.
 */
u64 kipc_region_id(const struct kipc_region *region)
{
	return region->obj.id;
}

/**
 * kipc_region_put() - drop the region reference a queued message holds
 * @region: the region, or NULL
 *
 * Context: any process context; may free the region.
 */
void kipc_region_put(struct kipc_region *region)
{
	if (!region)
		return;
	atomic_dec(&region->nr_refs);
	kipc_obj_put(&region->obj);
}

/* Open a new file on @r; it takes its own reference on @r. */
static struct file *kipc_region_file_open(struct kipc_region *r, int fd_flags)
{
	struct file *file;

	kipc_obj_get(&r->obj);
	file = anon_inode_getfile("[kipc-region]", &kipc_region_fops, r,
				  fd_flags & ~O_CLOEXEC);
	if (IS_ERR(file)) {
		kipc_obj_put(&r->obj);
		return file;
	}
	atomic_inc(&r->nr_fds);
	return file;
}

static struct file *kipc_region_obj_file_open(struct kipc_obj *obj, int fd_flags)
{
	return kipc_region_file_open(to_region(obj), fd_flags);
}

/* ---- mapping --------------------------------------------------------- */

/*
 * Region VMAs use kipc_region_vm_ops: shmem's fault handlers, reached
 * through the vm_operations shmem's ->mmap() installed (the same for every
 * region, so kept once in kipc_shmem_vm_ops, the way ipc/shm.c keeps them
 * per segment), plus open/close, which make each VMA hold a reference to
 * the region file it was mapped from (in vm_private_data) and count it in
 * @nr_maps. NUMA policies (mbind()) are not forwarded: region pages follow
 * the faulting task's policy.
 */
static const struct vm_operations_struct *kipc_shmem_vm_ops;	/* set once */

static void kipc_region_vm_open(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_private_data;
	struct kipc_region *r = file->private_data;

	get_file(file);
	atomic_inc(&r->nr_maps);
}

static void kipc_region_vm_close(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_private_data;
	struct kipc_region *r = file->private_data;

	atomic_dec(&r->nr_maps);
	/* Deferred by the VFS: the file's release runs after we return. */
	fput(file);
}

static vm_fault_t kipc_region_vm_fault(struct vm_fault *vmf)
{
	return READ_ONCE(kipc_shmem_vm_ops)->fault(vmf);
}

static vm_fault_t kipc_region_vm_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
					   pgoff_t end_pgoff)
{
	return READ_ONCE(kipc_shmem_vm_ops)->map_pages(vmf, start_pgoff, end_pgoff);
}

#if KIPC_HAVE_MMAP_PREPARE
/*
 * ->mapped: the mm core made the VMA of a region mmap() that
 * kipc_region_mmap_prepare() set up, and it can no longer fail (its
 * vm_private_data is the region file, unreferenced so far: the caller of
 * mmap() holds that file until ->mapped has run). Take what
 * kipc_region_mmap() takes on the ->mmap path: a reference to the region
 * file and a count in @nr_maps, both dropped by kipc_region_vm_close().
 * Never fails, so the VMA is never unmapped here with nothing taken. It
 * always runs: the core skips it only for a mapping merged into a
 * neighbour, which needs the same vm_file, and each mmap() has its own.
 */
static int kipc_region_vm_mapped(unsigned long start, unsigned long end, pgoff_t pgoff,
				 const struct file *vmfile, void **vm_private_data)
{
	struct file *file = *vm_private_data;
	struct kipc_region *r = file->private_data;

	get_file(file);
	atomic_inc(&r->nr_maps);
	trace_kipc_region_map(r->obj.id, end - start);
	return 0;
}
#endif

static const struct vm_operations_struct kipc_region_vm_ops = {
	.open = kipc_region_vm_open,
	.close = kipc_region_vm_close,
#if KIPC_HAVE_MMAP_PREPARE
	.mapped = kipc_region_vm_mapped,
#endif
	.fault = kipc_region_vm_fault,
	.map_pages = kipc_region_vm_map_pages,
};

/*
 * A region VMA's file (vm_file). The core mm maps a VMA's file again on
 * its own in remap_file_pages(); with shmem's file there, the new VMA got
 * none of kipc_region_vm_ops, so it did not hold the region, which after
 * close and unlink was freed and uncharged while still mapped. So each
 * mmap() gets a file of its own on the shmem inode (shmem's faults find
 * the inode through it) whose ->mmap refuses with -EINVAL, the way
 * ipc/shm.c gives each shmat() a file. alloc_file_pseudo() on shmem's
 * mount makes it: exported on 6.1 and 6.12, where alloc_file_clone(),
 * which ipc/shm.c uses, is not. It holds the region and, like any file
 * with an owner, this module (__fput() drops that reference);
 * fallocate() is forwarded to shmem, for madvise(MADV_REMOVE).
 */
#if KIPC_HAVE_MMAP_PREPARE
/*
 * The vmfile refuses through ->mmap_prepare here: after a region's
 * ->mmap_prepare, the mm core calls the ->mmap of the file it put in
 * vm_file (mm/vma.c, __mmap_new_file_vma()), which must not refuse.
 * remap_file_pages() still gets -EINVAL: it maps the vmfile with do_mmap().
 */
static int kipc_region_vmfile_mmap_prepare(struct vm_area_desc *desc)
{
	return -EINVAL;
}
#else
static int kipc_region_vmfile_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -EINVAL;
}
#endif

static long kipc_region_vmfile_fallocate(struct file *file, int mode, loff_t offset,
					 loff_t len)
{
	struct kipc_region *r = file->private_data;

	return vfs_fallocate(r->shmem, mode, offset, len);
}

static int kipc_region_vmfile_release(struct inode *inode, struct file *file)
{
	struct kipc_region *r = file->private_data;

	kipc_obj_put(&r->obj);
	return 0;
}

static const struct file_operations kipc_region_vmfile_fops = {
	.owner = THIS_MODULE,
#if KIPC_HAVE_MMAP_PREPARE
	.mmap_prepare = kipc_region_vmfile_mmap_prepare,
#else
	.mmap = kipc_region_vmfile_mmap,
#endif
	.fallocate = kipc_region_vmfile_fallocate,
	.release = kipc_region_vmfile_release,
	.llseek = noop_llseek,
};

static struct file *kipc_region_vmfile(struct kipc_region *r)
{
	struct inode *inode = file_inode(r->shmem);
	struct file *file;

	__module_get(THIS_MODULE);	/* as anon_inode_getfile() does */
	ihold(inode);
	file = alloc_file_pseudo(inode, r->shmem->f_path.mnt, "kipc-region", O_RDWR,
				 &kipc_region_vmfile_fops);
	if (IS_ERR(file)) {
		iput(inode);
		module_put(THIS_MODULE);
		return file;
	}
	kipc_obj_get(&r->obj);
	file->private_data = r;
	return file;
}

/*
 * Can a VMA that shmem set up with @base be switched to
 * kipc_region_vm_ops? Yes if @base has the handlers we forward to, none
 * we would hide, and is the one every region gets. If not (some future
 * shmem), the VMA keeps shmem's own vm_operations: it still maps the
 * right pages, but is not counted and does not hold the region.
 */
static bool kipc_region_vm_wrappable(const struct vm_operations_struct *base)
{
	const struct vm_operations_struct *old;

	if (!base || !base->fault || !base->map_pages || base->open || base->close)
		return false;
	old = cmpxchg(&kipc_shmem_vm_ops, NULL, base);
	return !old || old == base;
}

/*
 * mmap() of a region fd. Errors: -EINVAL for a private mapping, -ENXIO
 * for one reaching past the region's end (as mmap(2) documents for
 * "addresses ... invalid for the object"), -EACCES for PROT_WRITE on a
 * read-only fd (the core mm refuses that first; this is a second line),
 * -EPERM for PROT_EXEC. Regions are data, never code: as on a noexec
 * mount (mmap(2)'s EPERM) and in the spirit of vm.memfd_noexec, a region
 * cannot be mapped executable, and VM_MAYEXEC is cleared so mprotect()
 * cannot make it so later (-EACCES).
 */
#if KIPC_HAVE_MMAP_PREPARE
/*
 * The same on kernels with ->mmap_prepare, before the VMA exists: the
 * checks and flags on @desc, then shmem's own ->mmap_prepare picks its
 * vm_operations, then the VMA's file becomes a new vmfile (the mm core
 * owns that reference from here, and puts it if the mapping fails) and its
 * vm_operations kipc_region_vm_ops. The region file reference and the
 * @nr_maps count are taken by kipc_region_vm_mapped(), once the mapping
 * can no longer fail: a VMA is not made yet, and may never be.
 */
static int kipc_region_mmap_prepare(struct vm_area_desc *desc)
{
	struct file *file = desc->file;
	struct kipc_region *r = file->private_data;
	unsigned long npages = r->length >> PAGE_SHIFT;
	struct file *vmfile;
	int ret;

	/* VM_MAYSHARE, not VM_SHARED: see kipc_region_mmap(). */
	if (!vma_desc_test(desc, VMA_MAYSHARE_BIT))
		return -EINVAL;
	if (desc->pgoff > npages || vma_desc_pages(desc) > npages - desc->pgoff)
		return -ENXIO;
	if (!(file->f_mode & FMODE_WRITE)) {
		if (vma_desc_test(desc, VMA_WRITE_BIT))
			return -EACCES;
		vma_desc_clear_flags(desc, VMA_MAYWRITE_BIT);
	}
	if (vma_desc_test(desc, VMA_EXEC_BIT))
		return -EPERM;
	vma_desc_clear_flags(desc, VMA_MAYEXEC_BIT);

	ret = kipc_vfs_mmap_prepare(r->shmem, desc);
	if (ret)
		return ret;
	/* Last, so that no error path has to put it. */
	vmfile = kipc_region_vmfile(r);
	if (IS_ERR(vmfile))
		return PTR_ERR(vmfile);
	desc->vm_file = vmfile;

	if (!kipc_region_vm_wrappable(desc->vm_ops)) {
		pr_warn_once("unexpected shmem vm_operations: mappings not counted\n");
		return 0;
	}
	desc->vm_ops = &kipc_region_vm_ops;
	desc->private_data = file;	/* referenced by kipc_region_vm_mapped() */
	return 0;
}
#else
static int kipc_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_region *r = file->private_data;
	unsigned long npages = r->length >> PAGE_SHIFT;
	struct file *vmfile;
	int ret;

	/*
	 * VM_MAYSHARE, not VM_SHARED: for MAP_SHARED on a read-only fd the
	 * core mm clears VM_SHARED (nothing can be written back) and keeps
	 * VM_MAYSHARE.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_pgoff > npages || vma_pages(vma) > npages - vma->vm_pgoff)
		return -ENXIO;
	if (!(file->f_mode & FMODE_WRITE)) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		kipc_vm_flags_clear(vma, VM_MAYWRITE);
	}
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	kipc_vm_flags_clear(vma, VM_MAYEXEC);

	vmfile = kipc_region_vmfile(r);
	if (IS_ERR(vmfile))
		return PTR_ERR(vmfile);
	vma_set_file(vma, vmfile);
	fput(vmfile);		/* the VMA holds it now */
	ret = kipc_vfs_mmap(r->shmem, vma);
	if (ret)
		return ret;

	if (!kipc_region_vm_wrappable(vma->vm_ops)) {
		pr_warn_once("unexpected shmem vm_operations: mappings not counted\n");
		return 0;
	}
	vma->vm_ops = &kipc_region_vm_ops;
	vma->vm_private_data = get_file(file);
	atomic_inc(&r->nr_maps);
	trace_kipc_region_map(r->obj.id, vma->vm_end - vma->vm_start);
	return 0;
}
#endif

/* ---- the region fd --------------------------------------------------- */

static long kipc_region_ioctl_stat(struct kipc_region *r, void __user *uarg)
{
	struct user_namespace *ns = current_user_ns();
	struct kipc_shm_stat st;
	long ret;

	ret = kipc_copy_arg(&st, sizeof(st), offsetofend(struct kipc_shm_stat, __reserved), uarg);
	if (ret)
		return ret;
	if (st.flags || st.__reserved)
		return -EINVAL;

	st.length = r->length;
	st.id = r->obj.id;
	st.uid = from_kuid_munged(ns, r->obj.uid);
	st.gid = from_kgid_munged(ns, r->obj.gid);
	st.mode = r->obj.mode;
	st.nr_refs = atomic_read(&r->nr_refs);
	st.nr_maps = atomic_read(&r->nr_maps);
	return kipc_copy_arg_out(uarg, &st, sizeof(st));
}

static long kipc_region_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_region *r = file->private_data;

	switch (cmd) {
	case KIPC_IOC_SHM_STAT:
		return kipc_region_ioctl_stat(r, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int kipc_region_release(struct inode *inode, struct file *file)
{
	struct kipc_region *r = file->private_data;

	atomic_dec(&r->nr_fds);
	kipc_obj_put(&r->obj);
	return 0;
}

static void kipc_region_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_region *r = file->private_data;

	seq_printf(m, "kipc-region-id:\t%llu\n", r->obj.id);
	seq_printf(m, "kipc-region-length:\t%llu\n", r->length);
	seq_printf(m, "kipc-region-maps:\t%d\n", atomic_read(&r->nr_maps));
	seq_printf(m, "kipc-region-refs:\t%d\n", atomic_read(&r->nr_refs));
}

static const struct file_operations kipc_region_fops = {
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

/* ---- creating and opening -------------------------------------------- */

static void kipc_region_free(struct kipc_obj *obj)
{
	struct kipc_region *r = to_region(obj);

	trace_kipc_region_free(r->obj.id, r->length);
	atomic64_sub(r->length, &kipc_region_bytes);
	atomic_dec(&kipc_nr_regions);
	kipc_user_uncharge(r->user, KIPC_QUOTA_REGION, r->length);
	kipc_user_put(r->user);
	fput(r->shmem);
	kfree(r);
}

/*
 * The debugfs listing's columns (see kipc_objects_show()): for a region,
 * depth is the number of references queued in channels, bytes its length;
 * it has no sent/received counts or waiters.
 */
static void kipc_region_show(struct kipc_obj *obj, struct seq_file *m)
{
	struct kipc_region *r = to_region(obj);

	seq_printf(m, "%d %llu 0 0 %u %d %d 0", atomic_read(&r->nr_refs), r->length,
		   kref_read(&obj->ref), atomic_read(&r->nr_fds), atomic_read(&r->nr_maps));
}

static const struct kipc_obj_ops kipc_region_ops = {
	.release = kipc_region_free,
	.show = kipc_region_show,
};

struct kipc_region_attrs {
	u64 length;
	u32 mode;
};

/*
 * Make a region: charge its length to the creator's region quota
 * (-EDQUOT), then the shmem file. Called by kipc_obj_open() without locks.
 */
static struct kipc_obj *kipc_region_create(void *arg)
{
	const struct kipc_region_attrs *a = arg;
	struct kipc_region *r;
	struct file *shmem;
	int ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->user = kipc_user_get_current();
	if (!r->user) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = kipc_user_charge(r->user, KIPC_QUOTA_REGION, a->length);
	if (ret)
		goto out_put_user;
	/* VM_NORESERVE: no commit charge up front, so big sparse regions work. */
	shmem = kipc_shmem_file_setup("kipc-region", a->length, true);
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		goto out_uncharge;
	}
	kipc_obj_init(&r->obj, KIPC_OBJ_REGION, &kipc_region_ops, a->mode);
	r->shmem = shmem;
	r->length = a->length;
	atomic_set(&r->nr_refs, 0);
	atomic_set(&r->nr_maps, 0);
	atomic_set(&r->nr_fds, 0);
	atomic_inc(&kipc_nr_regions);
	atomic64_add(r->length, &kipc_region_bytes);
	trace_kipc_region_create(r->obj.id, r->length);
	return &r->obj;

out_uncharge:
	kipc_user_uncharge(r->user, KIPC_QUOTA_REGION, a->length);
out_put_user:
	kipc_user_put(r->user);
out_free:
	kfree(r);
	return ERR_PTR(ret);
}

static int kipc_region_check_open(const struct kipc_shm_open *o, struct kipc_region_attrs *a)
{
	u64 max = READ_ONCE(kipc_max_region_bytes);
	u64 length;

	if (o->flags & ~KIPC_OPEN_ALL)
		return -EINVAL;
	if (!(o->flags & KIPC_OPEN_RECV))
		return -EINVAL;
	if (o->__reserved || (o->mode & ~0777U))
		return -EINVAL;
	a->mode = o->mode;
	a->length = 0;
	if (!(o->flags & KIPC_OPEN_CREAT))
		return 0;		/* an existing region keeps its length */
	if (!o->length)
		return -EINVAL;
	if (o->length > max || o->length > MAX_LFS_FILESIZE - PAGE_SIZE)
		return -ENOSPC;
	length = PAGE_ALIGN(o->length);
	if (length > max)
		return -ENOSPC;
	a->length = length;
	return 0;
}

/**
 * kipc_shm_open_ioctl() - KIPC_IOC_SHM_OPEN: create or open a region
 * @uarg: user pointer to struct kipc_shm_open
 *
 * KIPC_OPEN_RECV (required) opens for reading, KIPC_OPEN_SEND adds
 * writing. With KIPC_OPEN_CREAT, @length (rounded up to pages) must be
 * non-zero (-EINVAL) and at most the max_region_bytes module parameter
 * (-ENOSPC), also when the region already exists. A new region is charged
 * to its creator: one object and @length bytes of the per-user quotas
 * (-EDQUOT), until the region is freed.
 *
 * Context: process context, may sleep; takes kipc_names_lock.
 * Return: the new region fd or -errno.
 */
int kipc_shm_open_ioctl(void __user *uarg)
{
	struct kipc_region_attrs attrs;
	struct kipc_shm_open o;
	int ret;

	ret = kipc_copy_arg(&o, sizeof(o), offsetofend(struct kipc_shm_open, length), uarg);
	if (ret)
		return ret;
	ret = kipc_region_check_open(&o, &attrs);
	if (ret)
		return ret;
	if (!IS_ENABLED(CONFIG_SHMEM))
		return -EOPNOTSUPP;
	return kipc_obj_open_fd(KIPC_OBJ_REGION, o.name, o.flags, kipc_region_create,
				&attrs, kipc_region_obj_file_open);
}

/* ---- reference handoff ----------------------------------------------- */

/*
 * Checks common to both directions, like kipc_xfer_check() in
 * kipc_chan.c: known flags, priority in range, deadline given exactly
 * when flagged, and the output fields zero on input.
 */
static int kipc_ref_xfer_check(const struct kipc_ref_xfer *x, u32 allowed)
{
	if (x->flags & ~allowed)
		return -EINVAL;
	if (x->prio > KIPC_PRIO_MAX)
		return -EINVAL;
	if ((x->flags & KIPC_XFER_DEADLINE) ? !x->deadline_ns : x->deadline_ns)
		return -EINVAL;
	if (x->region_id || memchr_inv(&x->info, 0, sizeof(x->info)))
		return -EINVAL;
	return 0;
}

/**
 * kipc_send_ref_ioctl() - KIPC_IOC_SEND_REF: queue a region reference
 * @file: the channel file (must be open for sending)
 * @uarg: user pointer to struct kipc_ref_xfer
 *
 * @shm_fd must be a region fd open for reading (-EBADF if it is not an
 * open fd or not readable, -EINVAL if it is not a region fd), and
 * [@offset, @offset + @len) must lie within the region (-EINVAL), and
 * @len is held to the channel's max_msg_size like an inline message
 * (-EMSGSIZE): a receiver can always take it with a plain read. The queued
 * message holds a region reference, so the region outlives the sender's
 * fds, mappings and name until it is received.
 *
 * Context: process context, may sleep; takes the channel's spinlock
 * (kipc_chan.lock) to queue.
 * Return: 0 once queued, or -errno as for KIPC_IOC_SEND.
 */
long kipc_send_ref_ioctl(struct file *file, void __user *uarg)
{
	struct kipc_chan *ch = kipc_chan_from_file(file);
	struct kipc_ref_xfer x;
	struct kipc_region *r;
	struct kipc_msg *msg;
	struct file *shm;
	struct fd f;
	u64 end;
	long ret;

	ret = kipc_copy_arg(&x, sizeof(x), offsetofend(struct kipc_ref_xfer, info), uarg);
	if (ret)
		return ret;
	ret = kipc_ref_xfer_check(&x, KIPC_XFER_NONBLOCK | KIPC_XFER_DEADLINE);
	if (ret)
		return ret;
	if (!ch)
		return -EBADF;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (x.shm_fd < 0)
		return -EBADF;

	f = fdget(x.shm_fd);
	shm = kipc_fd_file(f);
	if (!shm)
		return -EBADF;
	if (!kipc_is_region_file(shm)) {
		ret = -EINVAL;
		goto out_fdput;
	}
	if (!(shm->f_mode & FMODE_READ)) {
		ret = -EBADF;
		goto out_fdput;
	}
	r = shm->private_data;
	if (check_add_overflow(x.offset, x.len, &end) || end > r->length ||
	    x.len > U32_MAX) {
		ret = -EINVAL;
		goto out_fdput;
	}

	msg = kipc_msg_alloc(0);
	if (!msg) {
		ret = -ENOMEM;
		goto out_fdput;
	}
	/* A reference's payload is in the region: it costs the overhead only. */
	ret = kipc_msg_charge(msg, file);
	if (ret) {
		kipc_msg_free(msg);
		goto out_fdput;
	}
	msg->flags = KIPC_MSG_REF;
	msg->prio = x.prio;
	msg->offset = x.offset;
	msg->len = x.len;
	kipc_obj_get(&r->obj);
	atomic_inc(&r->nr_refs);
	msg->region = r;
	fdput(f);

	ret = kipc_chan_send_msg(ch, file, msg, x.flags, x.deadline_ns);
	if (ret < 0) {
		kipc_msg_free(msg);	/* drops the region reference */
		return ret;
	}
	return 0;

out_fdput:
	fdput(f);
	return ret;
}

/**
 * struct kipc_ref_recv - state of one KIPC_IOC_RECV_REF call
 * @x: the argument, filled in for the caller by kipc_deliver_ref()
 * @uarg: where @x goes back to
 * @hint: the region of the caller's @shm_fd, or NULL
 * @file: a new region file, made under the channel's recv_lock, installed
 *	after it is dropped
 * @fd: the fd reserved for @file, or -1
 * @fd_flags: O_CLOEXEC or 0
 */
struct kipc_ref_recv {
	struct kipc_ref_xfer x;
	void __user *uarg;
	struct kipc_region *hint;
	struct file *file;
	int fd;
	unsigned int fd_flags;
};

/*
 * Deliver the head message as a reference. Called under kipc_chan.recv_lock;
 * any error leaves the message queued. The argument is copied out here,
 * before the message is consumed, so that -EFAULT loses nothing; the new
 * fd's number goes out before fd_install(), which is harmless: the number
 * is reserved and nothing else can use it meanwhile.
 */
static long kipc_deliver_ref(struct kipc_msg *msg, void *arg)
{
	struct kipc_ref_recv *rr = arg;
	struct kipc_region *r = msg->region;
	struct file *file;
	long ret;

	if (!(msg->flags & KIPC_MSG_REF))
		return -ENOMSG;

	/*
	 * A readable fd the caller already holds for this region is its
	 * permission, and comes back unchanged in @shm_fd.
	 */
	if (r != rr->hint) {
		ret = kipc_obj_permission(&r->obj, MAY_READ);
		if (ret)
			return ret;
		if (rr->file && rr->file->private_data != r) {
			/* Not reached with kipc_chan_recv_msg(); be safe anyway. */
			fput(rr->file);
			rr->file = NULL;
		}
		if (rr->fd < 0) {
			ret = get_unused_fd_flags(rr->fd_flags);
			if (ret < 0)
				return ret;
			rr->fd = ret;
		}
		if (!rr->file) {
			file = kipc_region_file_open(r, O_RDONLY);
			if (IS_ERR(file))
				return PTR_ERR(file);
			rr->file = file;
		}
		rr->x.shm_fd = rr->fd;
	}

	rr->x.offset = msg->offset;
	rr->x.len = msg->len;
	rr->x.region_id = r->obj.id;
	kipc_msg_fill_info(msg, &rr->x.info);
	if (kipc_copy_arg_out(rr->uarg, &rr->x, sizeof(rr->x)))
		return -EFAULT;
	return 0;
}

/**
 * kipc_recv_ref_ioctl() - KIPC_IOC_RECV_REF: receive a region reference
 * @file: the channel file (must be open for receiving)
 * @uarg: user pointer to struct kipc_ref_xfer
 *
 * If the head message is not a reference: -ENOMSG, and it stays queued.
 * If the caller's @shm_fd (or -1) is a region fd of the referenced region,
 * it is reused; otherwise the caller needs read permission on the region
 * (-EACCES, the message stays queued until a KIPC_IOC_RECV with
 * KIPC_XFER_DISCARD drops it) and gets a new read-only region fd
 * (O_CLOEXEC with KIPC_REF_CLOEXEC). A @shm_fd that is neither -1 nor an
 * open region fd gives -EBADF.
 *
 * Context: process context, may sleep; takes the channel's recv_lock,
 * and its spinlock inside it.
 * Return: 0, or -errno as for KIPC_IOC_RECV.
 */
long kipc_recv_ref_ioctl(struct file *file, void __user *uarg)
{
	struct kipc_chan *ch = kipc_chan_from_file(file);
	struct kipc_ref_recv rr = { .uarg = uarg, .fd = -1 };
	struct fd f = {};
	struct file *hint;
	long ret;

	ret = kipc_copy_arg(&rr.x, sizeof(rr.x), offsetofend(struct kipc_ref_xfer, info), uarg);
	if (ret)
		return ret;
	/* KIPC_XFER_DISCARD is KIPC_IOC_RECV's (it drops either kind). */
	ret = kipc_ref_xfer_check(&rr.x, (KIPC_XFER_ALL & ~KIPC_XFER_DISCARD) |
				  KIPC_REF_CLOEXEC);
	if (ret)
		return ret;
	if (rr.x.prio || rr.x.offset || rr.x.len)
		return -EINVAL;
	if (!ch)
		return -EBADF;
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (rr.x.shm_fd != -1) {
		if (rr.x.shm_fd < 0)
			return -EBADF;
		f = fdget(rr.x.shm_fd);
		hint = kipc_fd_file(f);
		if (!hint)
			return -EBADF;
		if (!kipc_is_region_file(hint)) {
			fdput(f);
			return -EBADF;
		}
		if (hint->f_mode & FMODE_READ)
			rr.hint = hint->private_data;
	}
	if (rr.x.flags & KIPC_REF_CLOEXEC)
		rr.fd_flags = O_CLOEXEC;

	ret = kipc_chan_recv_msg(ch, file, rr.x.flags & KIPC_XFER_ALL, rr.x.deadline_ns,
				 kipc_deliver_ref, &rr);
	if (ret >= 0 && rr.file) {
		fd_install(rr.fd, rr.file);
		rr.file = NULL;
		rr.fd = -1;
	}
	if (rr.file)
		fput(rr.file);
	if (rr.fd >= 0)
		put_unused_fd(rr.fd);
	fdput(f);
	return ret < 0 ? ret : 0;
}

/**
 * kipc_ref_copy_out() - deliver a reference message by copying its bytes
 * @msg: a message with KIPC_MSG_REF set
 * @to: the receiver's buffer, at least @msg->len bytes
 *
 * Reads the referenced range through the shmem file (holes read as
 * zeroes without allocating pages). @to is advanced by @msg->len.
 *
 * Context: process context under the channel's recv_lock (not its
 * spinlock); may sleep and fault on @to.
 * Return: @msg->len, -EMSGSIZE if @to is too small, or -EFAULT (the
 * caller leaves the message queued).
 */
long kipc_ref_copy_out(struct kipc_msg *msg, struct iov_iter *to)
{
	struct file *shmem = msg->region->shmem;
	size_t count = iov_iter_count(to);
	struct kiocb kiocb;
	ssize_t ret;

	/* The same rule as KIPC_IOC_RECV_REF: the receiver must be allowed to read it. */
	ret = kipc_obj_permission(&msg->region->obj, MAY_READ);
	if (ret)
		return ret;
	if (count < msg->len)
		return -EMSGSIZE;
	if (!msg->len)
		return 0;

	init_sync_kiocb(&kiocb, shmem);
	kiocb.ki_pos = msg->offset;
	iov_iter_truncate(to, msg->len);
	ret = shmem->f_op->read_iter(&kiocb, to);
	iov_iter_reexpand(to, iov_iter_count(to) + count - msg->len);
	if (ret < 0)
		return ret;
	if (ret != msg->len)
		return -EFAULT;
	return ret;
}
