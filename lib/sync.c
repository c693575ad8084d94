// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc: process-shared robust mutex and counting semaphore on futex(2).
 *
 * Both live in region memory shared by several processes, so every futex
 * call is a shared one (no FUTEX_PRIVATE_FLAG): the kernel keys the futex
 * on the region's shmem inode and page offset, the same in every process.
 *
 * The mutex (design and limits in kipc_shm.h): a PI futex word holding the
 * owner's TID, and a @held word the owner sets after taking the lock and
 * clears before releasing it. The kernel detects a dead owner for us: it
 * hands the lock to a blocked waiter when the owner exits (exit_pi_state_
 * list()), and answers FUTEX_LOCK_PI with ESRCH when the TID in the word
 * belongs to a task that has exited (even one not yet reaped); then we
 * mark the word owner-dead (TID 0 | FUTEX_OWNER_DIED, as the kernel's
 * robust-list code would) and the next FUTEX_LOCK_PI takes it over. In
 * both cases @held still holds the dead owner's TID, which is how the new
 * owner knows to return -EOWNERDEAD. An owner
 * that dies before setting @held, or after clearing it, was outside its
 * critical section: nothing to report.
 *
 * Contended lockers spin briefly before sleeping: with PI futexes an
 * unlock with a sleeping waiter hands the lock over directly, so
 * short critical sections under contention would otherwise pay a sleep
 * and a wakeup on every handover.
 *
 * The semaphore: a count that is also the futex word, and a count of
 * waiters so that kipc_sem_post() only calls FUTEX_WAKE when someone may
 * be asleep. The waiter increments @nwaiters before FUTEX_WAIT re-checks
 * the count in the kernel, and the poster increments the count before
 * reading @nwaiters, both sequentially consistent, so either the poster
 * sees the waiter or the waiter sees the count: no lost wakeup.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kipc_private.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2		13	/* Linux 5.14: CLOCK_MONOTONIC deadline */
#endif

/* kipc_mutex_t.__state */
#define KIPC_MUTEX_CONSISTENT		0u
#define KIPC_MUTEX_INCONSISTENT		1u	/* after -EOWNERDEAD, until consistent */
#define KIPC_MUTEX_NOTRECOVERABLE	2u	/* unlocked while inconsistent */

/* Busy-wait rounds before a contended lock sleeps in the kernel. */
#define KIPC_MUTEX_SPINS		200
/* -EINVAL retries while the kernel hands a dead owner's lock over. */
#define KIPC_MUTEX_HANDOFF_RETRIES	5000

static inline void kipc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static long kipc_futex(uint32_t *uaddr, int op, uint32_t val,
		       const struct timespec *ts, uint32_t val3)
{
	long ret = syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);

	return ret < 0 ? -errno : ret;
}

static uint32_t kipc_tid(void)
{
	return (uint32_t)gettid();
}

/* A relative timeout as an absolute CLOCK_MONOTONIC timespec. */
static int kipc_abs_timeout(int64_t timeout_ns, struct timespec *ts)
{
	uint64_t deadline;
	int ret;

	ret = kipc__deadline(timeout_ns, &deadline);
	if (ret)
		return ret;
	ts->tv_sec = (time_t)(deadline / 1000000000u);
	ts->tv_nsec = (long)(deadline % 1000000000u);
	return 0;
}

static bool kipc_deadline_passed(const struct timespec *abs)
{
	struct timespec now;

	if (!abs || clock_gettime(CLOCK_MONOTONIC, &now))
		return false;
	return now.tv_sec > abs->tv_sec ||
	       (now.tv_sec == abs->tv_sec && now.tv_nsec >= abs->tv_nsec);
}

/* --- mutex --- */

int kipc_mutex_init(kipc_mutex_t *m)
{
	if (!m)
		return -EINVAL;
	__atomic_store_n(&m->__held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->__state, KIPC_MUTEX_CONSISTENT, __ATOMIC_RELAXED);
	m->__reserved = 0;
	__atomic_store_n(&m->__futex, 0, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Give the futex word back: here if nobody waits, else through the kernel,
 * which hands the lock to the first waiter. The word names us; it may also
 * carry FUTEX_OWNER_DIED (kept by the kernel since a dead owner's word was
 * taken over), and the only change others can make to it now is setting
 * FUTEX_WAITERS. So clear the whole word while FUTEX_WAITERS is unset, and
 * call FUTEX_UNLOCK_PI only once it is set: the kernel then reads the final
 * value. (Called earlier, a waiter setting the bit between the kernel's
 * read and its update makes FUTEX_UNLOCK_PI fail with EINVAL when
 * FUTEX_OWNER_DIED is set, instead of retrying; the kill storm test hit
 * that on a slow debug kernel.)
 */
static int kipc_mutex_release(kipc_mutex_t *m, uint32_t tid)
{
	uint32_t v = __atomic_load_n(&m->__futex, __ATOMIC_RELAXED);

	while (!(v & FUTEX_WAITERS)) {
		if ((v & FUTEX_TID_MASK) != tid)
			return -EPERM;
		if (__atomic_compare_exchange_n(&m->__futex, &v, 0, true,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return 0;
	}
	return (int)kipc_futex(&m->__futex, FUTEX_UNLOCK_PI, 0, NULL, 0);
}

/* We hold the futex word now: was the previous owner inside and died? */
static int kipc_mutex_acquired(kipc_mutex_t *m, uint32_t tid)
{
	uint32_t prev = __atomic_load_n(&m->__held, __ATOMIC_ACQUIRE);
	uint32_t state = __atomic_load_n(&m->__state, __ATOMIC_RELAXED);

	if (state == KIPC_MUTEX_NOTRECOVERABLE) {
		kipc_mutex_release(m, tid);
		return -ENOTRECOVERABLE;
	}
	__atomic_store_n(&m->__held, tid, __ATOMIC_RELAXED);
	if (prev || state == KIPC_MUTEX_INCONSISTENT) {
		__atomic_store_n(&m->__state, KIPC_MUTEX_INCONSISTENT, __ATOMIC_RELAXED);
		return -EOWNERDEAD;
	}
	return 0;
}

/*
 * Has task @tid exited? Ask the kernel the same question FUTEX_LOCK_PI
 * asks, on a private scratch word naming @tid: ESRCH means the task is
 * gone (exited, even if not yet reaped); a live task gives EWOULDBLOCK.
 */
static bool kipc_tid_exited(uint32_t tid)
{
	uint32_t scratch = tid;

	return kipc_futex(&scratch, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, 0) == -ESRCH;
}

/*
 * FUTEX_LOCK_PI said ESRCH: the owner named in the word has exited without
 * unlocking. Rewrite the word the way the kernel's robust-list code does
 * for a dead owner, TID 0 plus FUTEX_OWNER_DIED (keeping FUTEX_WAITERS);
 * the next FUTEX_LOCK_PI then takes it over atomically, and every kernel
 * path (including an exit handoff to a waiter in progress) knows that
 * state. Only a word whose TID is checked to be dead is rewritten: the
 * ESRCH may be stale by now and the word may name a live owner. The caller
 * retries the lock either way.
 */
static void kipc_mutex_mark_owner_dead(kipc_mutex_t *m)
{
	uint32_t v = __atomic_load_n(&m->__futex, __ATOMIC_RELAXED);
	uint32_t dead = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;

	if (!(v & FUTEX_TID_MASK) || !kipc_tid_exited(v & FUTEX_TID_MASK))
		return;
	__atomic_compare_exchange_n(&m->__futex, &v, dead, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* @abs: absolute CLOCK_MONOTONIC deadline or NULL; @trylock: never sleep. */
static int kipc_mutex_lock_common(kipc_mutex_t *m, const struct timespec *abs,
				  bool trylock)
{
	uint32_t tid = kipc_tid();
	int spins = trylock ? 0 : KIPC_MUTEX_SPINS;
	int handoff_retries = 0;
	uint32_t v;
	long ret;

	if (__atomic_load_n(&m->__state, __ATOMIC_RELAXED) == KIPC_MUTEX_NOTRECOVERABLE)
		return -ENOTRECOVERABLE;
	v = __atomic_load_n(&m->__futex, __ATOMIC_RELAXED);
	if ((v & FUTEX_TID_MASK) == tid)
		return -EDEADLK;
	for (;;) {
		if (!v && __atomic_compare_exchange_n(&m->__futex, &v, tid, true,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return kipc_mutex_acquired(m, tid);
		if (spins-- <= 0)
			break;
		kipc_cpu_relax();
		v = __atomic_load_n(&m->__futex, __ATOMIC_RELAXED);
	}

	for (;;) {
		if (trylock)
			ret = kipc_futex(&m->__futex, FUTEX_TRYLOCK_PI, 0, NULL, 0);
		else
			ret = kipc_futex(&m->__futex, FUTEX_LOCK_PI2, 0, abs, 0);
		switch (ret) {
		case 0:
			return kipc_mutex_acquired(m, tid);
		case -ESRCH:
			/* The owner has exited: hand its word to the kernel. */
			kipc_mutex_mark_owner_dead(m);
			break;
		case -EAGAIN:		/* == EWOULDBLOCK: trylock found it owned */
			if (trylock)
				return -EBUSY;
			break;
		case -EINTR:
			break;
		case -EINVAL:
			/*
			 * Between a dead owner's exit handing the lock to a
			 * waiter and that waiter writing its TID, the word and
			 * the kernel's state disagree for a moment. Retry;
			 * give up only on a word that stays inconsistent.
			 */
			if (trylock)
				return -EBUSY;
			if (++handoff_retries > KIPC_MUTEX_HANDOFF_RETRIES)
				return -EINVAL;
			if (kipc_deadline_passed(abs))
				return -ETIMEDOUT;
			if (handoff_retries > 100)
				usleep(1000);
			else
				sched_yield();
			break;
		default:		/* -ETIMEDOUT, -EDEADLK, -EFAULT, -ENOSYS... */
			return (int)ret;
		}
	}
}

int kipc_mutex_lock(kipc_mutex_t *m)
{
	if (!m)
		return -EINVAL;
	return kipc_mutex_lock_common(m, NULL, false);
}

int kipc_mutex_trylock(kipc_mutex_t *m)
{
	if (!m)
		return -EINVAL;
	return kipc_mutex_lock_common(m, NULL, true);
}

int kipc_mutex_timedlock(kipc_mutex_t *m, int64_t timeout_ns)
{
	struct timespec abs;
	int ret;

	if (!m)
		return -EINVAL;
	ret = kipc_abs_timeout(timeout_ns, &abs);
	if (ret)
		return ret;
	return kipc_mutex_lock_common(m, &abs, false);
}

int kipc_mutex_unlock(kipc_mutex_t *m)
{
	uint32_t tid = kipc_tid();

	if (!m)
		return -EINVAL;
	if ((__atomic_load_n(&m->__futex, __ATOMIC_RELAXED) & FUTEX_TID_MASK) != tid)
		return -EPERM;
	if (__atomic_load_n(&m->__state, __ATOMIC_RELAXED) == KIPC_MUTEX_INCONSISTENT)
		__atomic_store_n(&m->__state, KIPC_MUTEX_NOTRECOVERABLE, __ATOMIC_RELAXED);
	/* Leaving the critical section: from here a death is harmless. */
	__atomic_store_n(&m->__held, 0, __ATOMIC_RELEASE);
	return kipc_mutex_release(m, tid);
}

int kipc_mutex_consistent(kipc_mutex_t *m)
{
	if (!m)
		return -EINVAL;
	if ((__atomic_load_n(&m->__futex, __ATOMIC_RELAXED) & FUTEX_TID_MASK) != kipc_tid())
		return -EPERM;
	if (__atomic_load_n(&m->__state, __ATOMIC_RELAXED) != KIPC_MUTEX_INCONSISTENT)
		return -EINVAL;
	__atomic_store_n(&m->__state, KIPC_MUTEX_CONSISTENT, __ATOMIC_RELAXED);
	return 0;
}

/* --- semaphore --- */

int kipc_sem_init(kipc_sem_t *s, unsigned int value)
{
	if (!s || value > KIPC_SEM_VALUE_MAX)
		return -EINVAL;
	__atomic_store_n(&s->__nwaiters, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->__value, value, __ATOMIC_RELEASE);
	return 0;
}

/* Take one from the count if it is positive. */
static bool kipc_sem_take(kipc_sem_t *s)
{
	uint32_t v = __atomic_load_n(&s->__value, __ATOMIC_RELAXED);

	while (v > 0) {
		if (__atomic_compare_exchange_n(&s->__value, &v, v - 1, true,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static int kipc_sem_wait_common(kipc_sem_t *s, const struct timespec *abs)
{
	long ret;

	for (;;) {
		if (kipc_sem_take(s))
			return 0;
		__atomic_fetch_add(&s->__nwaiters, 1, __ATOMIC_SEQ_CST);
		/* Sleeps only if the count is still 0; absolute deadline. */
		ret = kipc_futex(&s->__value, FUTEX_WAIT_BITSET, 0, abs,
				 FUTEX_BITSET_MATCH_ANY);
		__atomic_fetch_sub(&s->__nwaiters, 1, __ATOMIC_SEQ_CST);
		switch (ret) {
		case 0:
		case -EAGAIN:
			break;
		case -ETIMEDOUT:
			return kipc_sem_take(s) ? 0 : -ETIMEDOUT;
		default:		/* -EINTR, -EFAULT */
			return (int)ret;
		}
	}
}

int kipc_sem_wait(kipc_sem_t *s)
{
	if (!s)
		return -EINVAL;
	return kipc_sem_wait_common(s, NULL);
}

int kipc_sem_trywait(kipc_sem_t *s)
{
	if (!s)
		return -EINVAL;
	return kipc_sem_take(s) ? 0 : -EAGAIN;
}

int kipc_sem_timedwait(kipc_sem_t *s, int64_t timeout_ns)
{
	struct timespec abs;
	int ret;

	if (!s)
		return -EINVAL;
	ret = kipc_abs_timeout(timeout_ns, &abs);
	if (ret)
		return ret;
	return kipc_sem_wait_common(s, &abs);
}

int kipc_sem_post(kipc_sem_t *s)
{
	uint32_t v;
	long ret;

	if (!s)
		return -EINVAL;
	v = __atomic_load_n(&s->__value, __ATOMIC_RELAXED);
	do {
		if (v >= KIPC_SEM_VALUE_MAX)
			return -EOVERFLOW;
	} while (!__atomic_compare_exchange_n(&s->__value, &v, v + 1, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (__atomic_load_n(&s->__nwaiters, __ATOMIC_SEQ_CST)) {
		ret = kipc_futex(&s->__value, FUTEX_WAKE, 1, NULL, 0);
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

int kipc_sem_getvalue(kipc_sem_t *s)
{
	if (!s)
		return -EINVAL;
	return (int)__atomic_load_n(&s->__value, __ATOMIC_RELAXED);
}
