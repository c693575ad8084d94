/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc: shared-page regions, reference handoff over channels, and a
 * process-shared robust mutex and counting semaphore that live inside a
 * region. Included by <kipc.h>; every function returns >= 0 on success or
 * a negative errno value.
 *
 * Regions
 *   kipc_shm_open() creates or opens a region and returns a region fd;
 *   kipc_shm_map() (or plain mmap(2) with MAP_SHARED) maps its pages, the
 *   same physical pages in every process that maps it. Pages start zeroed.
 *   The size is fixed at creation (rounded up to pages). A region lives
 *   while a name, an fd, a mapping or a queued reference holds it: unlink
 *   and close while mapped leave the mapping working; fork() shares it.
 *
 *   errno values besides those of channels (see kipc.h):
 *     -EINVAL   size 0 with O_CREAT, O_WRONLY (a region fd always reads),
 *               MAP_PRIVATE, prot other than PROT_READ/PROT_WRITE
 *     -ENOSPC   size above the module's max_region_bytes parameter
 *     -ENXIO    mmap(2) of a range past the region's end
 *     -EACCES   PROT_WRITE on a region opened O_RDONLY (also mprotect())
 *     SIGBUS    touching a page past the end (only reachable by growing a
 *               mapping with mremap())
 *
 * Reference handoff
 *   kipc_send_ref() queues (region, offset, len) on a channel; the kernel
 *   checks the range (-EINVAL; len < 4 GiB) and that @shm is readable and
 *   keeps the region alive while the reference is queued. Nothing of the
 *   payload is copied. kipc_recv_ref() gives the receiver ref->addr, a
 *   pointer to the payload in its own read-only mapping of the region,
 *   without knowing the region's name; the receiver needs read permission
 *   (mode bits) on the region, or -EACCES and the message stays queued.
 *   A non-reference message at the head of the queue gives -ENOMSG (it
 *   stays queued); a plain kipc_recv() of a reference message copies the
 *   referenced bytes instead.
 *
 *   kipc_recv_ref() only writes *ref (an uninitialised struct is fine;
 *   what it held before is neither read nor released): each call gets a
 *   new region fd (ref->shm, O_CLOEXEC) and maps the region from its
 *   start to the page after the payload; kipc_ref_release() unmaps and
 *   closes exactly those, and the struct becomes KIPC_REF_INIT (as it is
 *   after a failed call, so releasing it then is harmless). Release a
 *   reference before receiving another into the same struct, or its
 *   mapping and fd leak. The library owns ref->shm and the mapping until
 *   the release: do not close or unmap them yourself.
 *
 *   Mapping cache (opt-in): kipc_recv_ref_cached() takes a struct
 *   kipc_ref_cache the caller set up with KIPC_REF_CACHE_INIT or
 *   kipc_ref_cache_init(). The cache keeps one region's fd (cache->shm)
 *   and a read-only mapping of the whole region (cache->base, ->size); the
 *   call passes cache->shm to the kernel, which hands it back when the
 *   reference names the same region, so repeated references to one region
 *   cost no mmap(), no new fd and no extra system call. A reference to
 *   another region replaces the cached fd and mapping (use one cache per
 *   region a receiver alternates between). The ref it fills points into
 *   the cache's mapping and owns nothing (ref->shm is -1; the region fd is
 *   cache->shm): it stays valid until the cache moves to another region or
 *   kipc_ref_cache_fini(), and kipc_ref_release() on it only resets the
 *   struct. kipc_ref_cache_fini() unmaps and closes what the cache holds.
 *   The cache's fields are the library's: read them, do not change,
 *   close or unmap them. Neither struct is thread-safe: one cache per
 *   receiving thread.
 *   If mapping a newly received region fails (-ENOMEM), the message has
 *   been consumed and is lost; the error is returned (a cache keeps the
 *   region it had).
 *
 *   The payload stays where the sender wrote it: the sender must not reuse
 *   the range until the receiver says it is done with it (for example with
 *   a message back, or a kipc_sem_t in the region).
 *
 * Memory ordering (what region users may rely on)
 *   - Plain loads and stores to region memory are ordered by nothing but
 *     the CPU; two processes touching the same bytes concurrently without
 *     one of the primitives below have a data race. Use C11 atomics for
 *     lock-free protocols of your own.
 *   - kipc_mutex_lock() (and a successful trylock/timedlock, including one
 *     returning -EOWNERDEAD) is an acquire; kipc_mutex_unlock() is a
 *     release: everything written before an unlock is visible to whoever
 *     locks the mutex next, in any process.
 *   - kipc_sem_post() is a release and a kipc_sem_wait() (trywait,
 *     timedwait) that takes the count it posted is an acquire: writes made
 *     before a post are visible after the wait that consumes it. A
 *     semaphore orders nothing for a waiter that did not get a count
 *     (-EAGAIN, -ETIMEDOUT, -EINTR).
 *   - kipc_send_ref() and kipc_recv_ref() (or kipc_recv_ref_cached()) are
 *     system calls that pass through the channel's lock: writes made
 *     before kipc_send_ref() are visible to the receiver once the receive
 *     returns that reference.
 *   - After -EOWNERDEAD the protected data may be half-updated: repair it,
 *     then call kipc_mutex_consistent() before unlocking; unlocking without
 *     it makes the mutex unusable (-ENOTRECOVERABLE) until kipc_mutex_init().
 *
 * Robust mutex design
 *   kipc_mutex_t is a Linux PI futex (owner TID in the futex word, taken in
 *   userspace by compare-and-swap when free, through FUTEX_LOCK_PI2 /
 *   FUTEX_UNLOCK_PI when contended) plus a @held word the owner sets to its
 *   TID once it holds the lock and clears before releasing it. Owner death
 *   (SIGKILL, any process, or a thread exiting with the lock) is found by
 *   the kernel, not by polling: a waiter already blocked in the kernel is
 *   handed the lock when the owner exits, and a locker arriving later gets
 *   ESRCH for the dead owner's TID, checks that TID is really gone, marks
 *   the word owner-dead (TID 0 | FUTEX_OWNER_DIED, what the kernel's
 *   robust-list code writes) and lets FUTEX_LOCK_PI take it over. Either
 *   way the new owner finds @held still set and returns -EOWNERDEAD. The
 *   glibc robust list is not used (glibc owns set_robust_list()).
 *   Limits: all users of one mutex must share a PID namespace (the futex
 *   word holds TIDs); a dead owner's TID reused by a new thread before
 *   anyone locks the mutex makes lockers wait for that thread; an owner
 *   that calls execve() with the lock held is not detected as dead.
 *   Needs Linux 5.14 (FUTEX_LOCK_PI2). Mutexes are error-checking:
 *   relocking gives -EDEADLK, unlocking a mutex you do not own -EPERM.
 *
 * Both types are made of 32-bit words (same layout on every ABI), meant to
 * be placed in region memory. A zero-filled kipc_mutex_t is an unlocked,
 * consistent mutex and a zero-filled kipc_sem_t a semaphore of value 0, so
 * a fresh region needs no initialisation; kipc_*_init() (re)initialise
 * one that nobody is using. Timed variants take a relative timeout in
 * nanoseconds (>= 0, -EINVAL otherwise), measured on CLOCK_MONOTONIC, and
 * give -ETIMEDOUT.
 */
#ifndef KIPC_SHM_H
#define KIPC_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- regions --- */

/*
 * kipc_shm_open() - create or open a region; returns a region fd.
 * @name: the name (no '/'), or NULL with O_CREAT for an anonymous region
 * @oflag: O_RDONLY or O_RDWR, with O_CREAT, O_EXCL, O_CLOEXEC
 * @mode: permission bits when created (read = map, receive references;
 *	write = map writable)
 * @size: bytes when created (O_CREAT), rounded up to pages; ignored when
 *	opening an existing region
 */
int kipc_shm_open(const char *name, int oflag, mode_t mode, size_t size);
int kipc_shm_unlink(const char *name);
/* Map the whole region MAP_SHARED; @prot PROT_READ and/or PROT_WRITE. */
int kipc_shm_map(int shm, int prot, void **addr, size_t *size);
int kipc_shm_unmap(void *addr, size_t size);
/* The kernel's struct kipc_shm_stat (length, id, owner, mode, counters). */
int kipc_shm_stat(int shm, struct kipc_shm_stat *st);

/* --- reference handoff --- */

/*
 * A received reference: @addr points at the payload (@len bytes at
 * @offset in the region) inside a read-only mapping of the region. From
 * kipc_recv_ref(): @shm is the region fd; the ref owns it and the mapping
 * until kipc_ref_release(). From kipc_recv_ref_cached(): @shm is -1 and
 * the cache owns both.
 */
struct kipc_ref {
	void *addr;
	uint64_t offset;
	uint64_t len;
	int shm;
};

#define KIPC_REF_INIT	{ .addr = NULL, .offset = 0, .len = 0, .shm = -1 }

/* The last region kipc_recv_ref_cached() mapped; read-only for the caller. */
struct kipc_ref_cache {
	void *base;	/* mapping of the whole region, or NULL */
	size_t size;	/* its length */
	int shm;	/* the region fd, or -1 */
};

#define KIPC_REF_CACHE_INIT	{ .base = NULL, .size = 0, .shm = -1 }

/* flags: KIPC_NONBLOCK, KIPC_PRIO(p). Returns 0 once queued. */
int kipc_send_ref(int ch, int shm, uint64_t offset, uint64_t len, unsigned int flags);
/* flags: KIPC_NONBLOCK, KIPC_PEEK; @info may be NULL. @ref is output only. Returns 0. */
#ifndef KIPC__V3
#define KIPC__V3(name)	__asm__(#name "_v3")	/* see kipc.h */
#endif
int kipc_recv_ref(int ch, struct kipc_ref *ref, struct kipc_msg_info *info,
		  unsigned int flags)
	KIPC__V3(kipc_recv_ref);
/* As kipc_recv_ref(), mapping through @cache (see above). */
int kipc_recv_ref_cached(int ch, struct kipc_ref_cache *cache, struct kipc_ref *ref,
			 struct kipc_msg_info *info, unsigned int flags)
	KIPC__V3(kipc_recv_ref_cached);
/* Unmap and close what @ref owns (nothing if cached); it becomes KIPC_REF_INIT. */
int kipc_ref_release(struct kipc_ref *ref);
/* Set @cache to KIPC_REF_CACHE_INIT. */
int kipc_ref_cache_init(struct kipc_ref_cache *cache);
/* Unmap and close what @cache holds; it becomes KIPC_REF_CACHE_INIT. */
int kipc_ref_cache_fini(struct kipc_ref_cache *cache);

/* --- process-shared synchronisation --- */

/* Layout is ABI: 16 bytes, 4-byte aligned. Fields are private. */
typedef struct kipc_mutex {
	uint32_t __futex;	/* owner TID | FUTEX_WAITERS | FUTEX_OWNER_DIED */
	uint32_t __held;	/* owner TID inside the critical section, else 0 */
	uint32_t __state;	/* consistent, inconsistent or not recoverable */
	uint32_t __reserved;
} kipc_mutex_t;

/* Layout is ABI: 8 bytes, 4-byte aligned. Fields are private. */
typedef struct kipc_sem {
	uint32_t __value;	/* the count; the futex word */
	uint32_t __nwaiters;	/* tasks about to sleep or asleep in FUTEX_WAIT */
} kipc_sem_t;

#define KIPC_SEM_VALUE_MAX	0x7fffffffu

/*
 * Mutex: lock returns 0, -EOWNERDEAD (locked; the previous owner died
 * holding it), -ENOTRECOVERABLE, -EDEADLK (you hold it); trylock also
 * -EBUSY; timedlock also -ETIMEDOUT. Unlock: -EPERM if not the owner.
 * Consistent: -EPERM if not the owner, -EINVAL if not after -EOWNERDEAD.
 */
int kipc_mutex_init(kipc_mutex_t *m);
int kipc_mutex_lock(kipc_mutex_t *m);
int kipc_mutex_trylock(kipc_mutex_t *m);
int kipc_mutex_timedlock(kipc_mutex_t *m, int64_t timeout_ns);
int kipc_mutex_unlock(kipc_mutex_t *m);
int kipc_mutex_consistent(kipc_mutex_t *m);

/*
 * Semaphore: init -EINVAL above KIPC_SEM_VALUE_MAX; wait 0 or -EINTR (a
 * signal handler ran; nothing taken); trywait -EAGAIN; timedwait
 * -ETIMEDOUT; post -EOVERFLOW at KIPC_SEM_VALUE_MAX; getvalue returns the
 * current count (a snapshot).
 */
int kipc_sem_init(kipc_sem_t *s, unsigned int value);
int kipc_sem_wait(kipc_sem_t *s);
int kipc_sem_trywait(kipc_sem_t *s);
int kipc_sem_timedwait(kipc_sem_t *s, int64_t timeout_ns);
int kipc_sem_post(kipc_sem_t *s);
int kipc_sem_getvalue(kipc_sem_t *s);

#ifdef __cplusplus
}
#endif

#endif /* KIPC_SHM_H */
