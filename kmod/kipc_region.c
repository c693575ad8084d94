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
 * References to a region handed over channels are kipc_ref.c's; this
 * file gives it a narrow interface (kipc_region_from_file(),
 * kipc_region_ref_get(), kipc_region_read(), ...). Locking: none of its
 * own, see kipc_internal.h.
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

static inline struct kipc_region *to_region(struct kipc_obj *obj)
{
	return container_of(obj, struct kipc_region, obj);
}

/**
 * kipc_region_from_file() - the region behind a file
 * @file: any file
 *
 * Return: the region for a file made by KIPC_IOC_SHM_OPEN or
 * KIPC_IOC_RECV_REF, or NULL.
 */
struct kipc_region *kipc_region_from_file(struct file *file)
{
	return file->f_op == &kipc_region_fops ? file->private_data : NULL;
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
 * kipc_region_length() - the region's length in bytes
 * @region: the region
 *
 * Return: the length, a multiple of PAGE_SIZE.
 */
u64 kipc_region_length(const struct kipc_region *region)
{
	return region->length;
}

/**
 * kipc_region_may_read() - may the caller read @region by its mode bits?
 * @region: the region
 *
 * Return: 0 or -EACCES.
 */
int kipc_region_may_read(const struct kipc_region *region)
{
	return kipc_obj_permission(&region->obj, MAY_READ);
}

/**
 * kipc_region_ref_get() - take the region reference a queued message holds
 * @region: the region
 */
void kipc_region_ref_get(struct kipc_region *region)
{
	kipc_obj_get(&region->obj);
	atomic_inc(&region->nr_refs);
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

/**
 * kipc_region_file_open() - a new region file
 * @r: the region
 * @fd_flags: open(2) flags (O_CLOEXEC is the fd's, not the file's)
 *
 * Return: the file, which holds its own reference on @r, or ERR_PTR.
 */
struct file *kipc_region_file_open(struct kipc_region *r, int fd_flags)
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

/*
 * madvise(MADV_REMOVE) on a mapping: vfs_fallocate() on the vmfile, which
 * has checked @mode and the range against the shmem inode (the vmfile's
 * own) and holds the superblock's freeze protection (file_start_write()).
 * So call shmem's handler directly: vfs_fallocate() on r->shmem would take
 * that protection again, a recursive read lock that lockdep reports and a
 * pending freeze would deadlock.
 */
static long kipc_region_vmfile_fallocate(struct file *file, int mode, loff_t offset,
					 loff_t len)
{
	struct kipc_region *r = file->private_data;

	return r->shmem->f_op->fallocate(r->shmem, mode, offset, len);
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
int kipc_region_mmap_prepare(struct vm_area_desc *desc)
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
int kipc_region_mmap(struct file *file, struct vm_area_struct *vma)
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

/**
 * kipc_region_stat_ioctl() - KIPC_IOC_SHM_STAT
 * @ucmd: the call; @ucmd->cmd is a struct kipc_shm_stat
 *
 * Return: 0 or -errno.
 */
long kipc_region_stat_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_region *r = ucmd->file->private_data;
	struct user_namespace *ns = current_user_ns();
	struct kipc_shm_stat *st = ucmd->cmd;

	if (st->flags || st->__reserved)
		return -EINVAL;
	st->length = r->length;
	st->id = r->obj.id;
	st->uid = from_kuid_munged(ns, r->obj.uid);
	st->gid = from_kgid_munged(ns, r->obj.gid);
	st->mode = r->obj.mode;
	st->nr_refs = atomic_read(&r->nr_refs);
	st->nr_maps = atomic_read(&r->nr_maps);
	return kipc_ucmd_respond(ucmd);
}

int kipc_region_release(struct inode *inode, struct file *file)
{
	struct kipc_region *r = file->private_data;

	atomic_dec(&r->nr_fds);
	kipc_obj_put(&r->obj);
	return 0;
}

void kipc_region_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_region *r = file->private_data;

	seq_printf(m, "kipc-region-id:\t%llu\n", r->obj.id);
	seq_printf(m, "kipc-region-length:\t%llu\n", r->length);
	seq_printf(m, "kipc-region-maps:\t%d\n", atomic_read(&r->nr_maps));
	seq_printf(m, "kipc-region-refs:\t%d\n", atomic_read(&r->nr_refs));
}

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

/* What KIPC_IOC_LIST and the debugfs listing show of a region. */
static void kipc_region_fill(struct kipc_obj *obj, struct kipc_obj_stats *st)
{
	struct kipc_region *r = to_region(obj);
	struct kipc_list_entry *e = &st->entry;

	e->nr_fds = atomic_read(&r->nr_fds);
	e->nr_msgs = atomic_read(&r->nr_refs);
	e->bytes = r->length;
	e->nr_maps = atomic_read(&r->nr_maps);
	st->nr_peers = e->nr_fds;
}

static const struct kipc_obj_ops kipc_region_ops = {
	.release = kipc_region_free,
	.fill = kipc_region_fill,
};

struct kipc_region_attrs {
	u64 length;
	u32 mode;
};

/*
 * Make a region: charge its length to the creator's region quota
 * (-EDQUOT), then the shmem file. Called by kipc_obj_open_file() without
 * locks.
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
		/*
		 * shmem gives -ENOSPC when it cannot allocate the inode (its
		 * kernel mount has no inode limit): out of memory, not a
		 * module limit, as the errno contract has it.
		 */
		if (ret == -ENOSPC)
			ret = -ENOMEM;
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
 * kipc_region_open_ioctl() - KIPC_IOC_SHM_OPEN: create or open a region
 * @ucmd: the call; @ucmd->cmd is a struct kipc_shm_open
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
long kipc_region_open_ioctl(struct kipc_ucmd *ucmd)
{
	struct kipc_shm_open *o = ucmd->cmd;
	struct kipc_region_attrs attrs;
	int ret;

	ret = kipc_region_check_open(o, &attrs);
	if (ret)
		return ret;
	if (!IS_ENABLED(CONFIG_SHMEM))
		return -EOPNOTSUPP;
	return kipc_obj_open_fd(KIPC_OBJ_REGION, o->name, o->flags, kipc_region_create,
				&attrs, kipc_region_obj_file_open);
}

/**
 * kipc_region_read() - copy bytes of a region out
 * @r: the region
 * @offset: where to start, within the region
 * @to: where to, as many bytes as it holds (within the region)
 *
 * Reads through the shmem file: holes read as zeroes without allocating
 * pages.
 *
 * Context: process context; may sleep and fault on @to.
 * Return: the bytes read, or -errno.
 */
ssize_t kipc_region_read(struct kipc_region *r, u64 offset, struct iov_iter *to)
{
	struct kiocb kiocb;

	init_sync_kiocb(&kiocb, r->shmem);
	kiocb.ki_pos = offset;
	return r->shmem->f_op->read_iter(&kiocb, to);
}
