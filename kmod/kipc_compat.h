/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc_compat.h - the differences between the kernels kipc builds against
 * (Debian's 6.1 and 6.12, Debian 13 backports' 7.3), in one place, keyed on
 * LINUX_VERSION_CODE: the newest API is the main path, older kernels the
 * fallbacks.
 *
 * Each block names the kernel change it papers over and the file that
 * needs it. Add new differences here, never as #if in the .c files
 * (the one exception, KIPC_HAVE_MMAP_PREPARE, says why).
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/version.h>

/* True when building against kernel @major.@minor or later. */
#define KIPC_KERNEL_AT_LEAST(major, minor) \
	(KERNEL_VERSION(major, minor, 0) <= LINUX_VERSION_CODE)

/* ---- regions (kipc_region.c) ---------------------------------------- */

/*
 * vm_flags_set() and vm_flags_clear() arrived in 6.3, when vma->vm_flags
 * became read-only for everyone else (per-VMA locking); 6.1 writes the
 * field directly. Only call these from ->mmap() or with mmap_lock held
 * for writing.
 */
static inline void kipc_vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
#if KIPC_KERNEL_AT_LEAST(6, 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void kipc_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#if KIPC_KERNEL_AT_LEAST(6, 3)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * struct fd became a tagged word read through fd_file() in 6.12; 6.1 has
 * a plain ->file member. An empty struct fd gives NULL either way.
 */
static inline struct file *kipc_fd_file(struct fd f)
{
#if KIPC_KERNEL_AT_LEAST(6, 12)
	return fd_file(f);
#else
	return f.file;
#endif
}

/*
 * call_mmap() became vfs_mmap() in 6.17, which also maps a file whose
 * owner implements ->mmap_prepare instead of ->mmap (shmem does by 7.x).
 * Maps @file (already set as @vma's vm_file) into @vma.
 */
static inline int kipc_vfs_mmap(struct file *file, struct vm_area_struct *vma)
{
#if KIPC_KERNEL_AT_LEAST(6, 17)
	return vfs_mmap(file, vma);
#else
	return call_mmap(file, vma);
#endif
}

/*
 * KIPC_HAVE_MMAP_PREPARE: regions implement f_op->mmap_prepare (with
 * vm_ops->mapped) instead of f_op->mmap. ->mmap_prepare came in 6.16,
 * vm_ops->mapped later in the 7.x series (the release could not be
 * pinned down here, and a struct member has no macro to test): 7.3 is the
 * first kernel kipc tests that has both. Older kernels keep ->mmap. This
 * is the only condition the .c files test (kipc_region.c, and the region
 * fops in kipc_main.c), as the two hooks' functions have different types.
 */
#define KIPC_HAVE_MMAP_PREPARE KIPC_KERNEL_AT_LEAST(7, 3)

#if KIPC_HAVE_MMAP_PREPARE
/*
 * The ->mmap_prepare of the file a mapping stacks on (shmem), called from
 * our own: @file's hook reads desc->file as the file it maps (shmem's does,
 * for its inode), while the mm core set that to our file, so @desc says
 * @file for the duration of the call. Only the VMA's fields it fills in
 * (vm_ops, flags, vm_file, ...) are kept.
 */
static inline int kipc_vfs_mmap_prepare(struct file *file, struct vm_area_desc *desc)
{
	struct file *mapped = desc->file;
	int ret;

	if (!file->f_op->mmap_prepare)
		return -ENODEV;
	desc->file = file;
	ret = vfs_mmap_prepare(file, desc);
	desc->file = mapped;
	return ret;
}
#endif

/*
 * shmem_file_setup()'s flags became a vma_flags_t bitmap instead of a
 * vm_flags_t mask (7.x), in the series that added the mk_vma_flags()
 * macro: its presence is the exact test, as the release it landed in
 * could not be pinned down here. kipc only asks for VM_NORESERVE or
 * nothing.
 */
static inline struct file *kipc_shmem_file_setup(const char *name, loff_t size,
						 bool noreserve)
{
#ifdef mk_vma_flags
	return shmem_file_setup(name, size,
				noreserve ? mk_vma_flags(VMA_NORESERVE_BIT) : EMPTY_VMA_FLAGS);
#else
	return shmem_file_setup(name, size, noreserve ? VM_NORESERVE : 0);
#endif
}

/* ---- end of regions ------------------------------------------------- */

/* ---- io_uring commands (kipc_main.c) -------------------------------- */

/*
 * struct io_uring_cmd moved to <linux/io_uring/cmd.h> in 6.7, and by then
 * carried the whole SQE (@sqe, read through io_uring_sqe_cmd()) instead
 * of 6.1's pointer to the command area (@cmd). Both give the SQE's
 * command area, which lives in memory the submitter can still write:
 * read it once.
 */
#if KIPC_KERNEL_AT_LEAST(6, 7)
#include <linux/io_uring/cmd.h>

static inline const void *kipc_uring_cmd_payload(struct io_uring_cmd *cmd)
{
#ifdef io_uring_sqe_cmd
	/*
	 * io_uring_sqe_cmd() became a macro taking the payload's type (7.x),
	 * which checks at build time that it fits the command area (kipc's
	 * is one u64); before, it was an inline function. Being a macro is
	 * the exact test.
	 */
	return io_uring_sqe_cmd(cmd->sqe, u64);
#else
	return io_uring_sqe_cmd(cmd->sqe);
#endif
}
#else
#include <linux/io_uring.h>
#include <linux/io_uring_types.h>

static inline const void *kipc_uring_cmd_payload(struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}
#endif

/*
 * Whether the ring was set up by a 32-bit (compat) task, so the user
 * memory a command points at is laid out for that ABI. 6.12 passes this
 * as the issue flag IO_URING_F_COMPAT, set from the ring's ctx->compat;
 * 6.1 has no such flag, so read ctx->compat itself (its io_kiocb, which
 * starts with the struct io_uring_cmd, is in <linux/io_uring_types.h>).
 * Never in_compat_syscall(): a command may run in an io-wq or SQPOLL
 * thread, or be submitted by a task of the other ABI.
 */
static inline bool kipc_uring_cmd_compat(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
#if KIPC_KERNEL_AT_LEAST(6, 7)
	return issue_flags & IO_URING_F_COMPAT;
#else
	return cmd_to_io_kiocb(cmd)->ctx->compat;
#endif
}

/* ---- end of io_uring commands --------------------------------------- */

#endif /* _KIPC_COMPAT_H */
