// SPDX-License-Identifier: GPL-2.0
/*
 * kipc process-shared sync: kipc_mutex_t and kipc_sem_t placed in a kipc
 * region and used by several processes. Exactness of mutex-protected
 * counting, a semaphore-guarded ring that loses nothing, robust-mutex
 * recovery after kill -9 of the owner (reaped, zombie, and with a waiter
 * already asleep), not-recoverable state, error checking, timeouts.
 *
 * Without /dev/kipc (the library's own host-side run) the same tests use
 * MAP_SHARED|MAP_ANONYMOUS memory, which exercises the same futex code;
 * in the test VM the memory is always a kipc region.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

#define NS_PER_MS	1000000ll
#define NS_PER_SEC	1000000000ll

/*
 * Increments per process in the two-process mutex test. The issue asks for
 * 1,000,000 and that is what KIPC_SYNC_INCREMENTS=1000000 runs, but the
 * default is 200,000: in the test VM (QEMU TCG, 2 vCPUs) 2 x 1,000,000
 * took 1.5 s on an idle host and 140 s while other VMs shared the host's
 * two cores. Under contention each lock handover is a PI-futex handoff
 * that waits for the waiter's vCPU thread to be scheduled on the host, so
 * the time follows host load, not kipc. 200,000 keeps the worst case near
 * 30 s and still hands the lock over many thousands of times.
 */
#define DEFAULT_INCREMENTS	200000

#define RING_SLOTS	64
#define RING_RECORDS	100000		/* in all, from two producers */

struct ring_rec {
	uint32_t producer;
	uint32_t seq;
	uint64_t check;
};

/* Everything the processes of one test share, at the start of a region. */
struct shared {
	kipc_mutex_t m;
	kipc_sem_t ready;
	kipc_sem_t go;
	kipc_sem_t done;
	uint64_t counter;
	int32_t child_ret;
	uint32_t in_critical;
	/* kill storm: a == b outside the critical section */
	uint64_t a, b;
	uint32_t violations;
	uint32_t owner_dead_seen;
	int32_t inside;		/* pid of the worker between a++ and b++ */
	int32_t storm_err;	/* first failing call's -errno, and its word */
	uint32_t storm_word;
	/* the ring */
	kipc_sem_t free_slots;
	kipc_sem_t used_slots;
	kipc_mutex_t prod_lock;
	uint32_t head;		/* under prod_lock */
	struct ring_rec slots[RING_SLOTS];
};

static uint64_t rec_check(uint32_t producer, uint32_t seq)
{
	uint64_t x = ((uint64_t)producer << 32 | seq) * 0x9e3779b97f4a7c15ull;

	return x ^ (x >> 29);
}

/* fork(), with the child killed if the test process dies (a failed ASSERT). */
static pid_t fork_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

FIXTURE(sync) {
	struct shared *sh;
	size_t len;
	int from_region;
};

FIXTURE_SETUP(sync)
{
	void *p;
	int fd;

	self->len = sizeof(struct shared);
	if (access("/dev/kipc", F_OK) == 0) {
		/* Anonymous region: fresh zero pages, no name to clean up. */
		fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, self->len);
		ASSERT_LE(0, fd) TH_LOG("kipc_shm_open: %s", strerror(-fd));
		ASSERT_EQ(0, kipc_shm_map(fd, PROT_READ | PROT_WRITE, &p, &self->len));
		close(fd);	/* the mapping keeps the region */
		self->from_region = 1;
	} else {
		TH_LOG("no /dev/kipc: using MAP_SHARED|MAP_ANONYMOUS memory");
		p = mmap(NULL, self->len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, p);
	}
	self->sh = p;
}

FIXTURE_TEARDOWN(sync)
{
	munmap(self->sh, self->len);
}

TEST_F(sync, zero_filled_is_unlocked_mutex_and_empty_sem)
{
	struct shared *sh = self->sh;

	ASSERT_EQ(0, kipc_sem_getvalue(&sh->ready));
	ASSERT_EQ(-EAGAIN, kipc_sem_trywait(&sh->ready));
	ASSERT_EQ(0, kipc_mutex_trylock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
}

TEST_F(sync, mutex_error_checking)
{
	struct shared *sh = self->sh;
	pid_t pid;

	ASSERT_EQ(0, kipc_mutex_init(&sh->m));
	ASSERT_EQ(-EPERM, kipc_mutex_unlock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(-EDEADLK, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(-EDEADLK, kipc_mutex_trylock(&sh->m));
	ASSERT_EQ(-EINVAL, kipc_mutex_consistent(&sh->m));

	/* Another process: busy for trylock, not the owner for unlock. */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kipc_mutex_trylock(&sh->m) != -EBUSY)
			_exit(1);
		if (kipc_mutex_unlock(&sh->m) != -EPERM)
			_exit(2);
		if (kipc_mutex_consistent(&sh->m) != -EPERM)
			_exit(3);
		if (kipc_mutex_timedlock(&sh->m, -1) != -EINVAL)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
	ASSERT_EQ(-EPERM, kipc_mutex_unlock(&sh->m));
}

static int increment_loop(struct shared *sh, long n)
{
	long i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kipc_mutex_lock(&sh->m);
		if (ret)
			return ret;
		/* A second process inside would see in_critical set. */
		if (__atomic_exchange_n(&sh->in_critical, 1, __ATOMIC_RELAXED))
			return -EBUSY;
		sh->counter++;
		__atomic_store_n(&sh->in_critical, 0, __ATOMIC_RELAXED);
		ret = kipc_mutex_unlock(&sh->m);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F_TIMEOUT(sync, mutex_two_processes_exact_count, 600)
{
	struct shared *sh = self->sh;
	const char *env = getenv("KIPC_SYNC_INCREMENTS");
	long n = env ? atol(env) : DEFAULT_INCREMENTS;
	uint64_t t0 = now_ns();
	pid_t pid[2];
	int i;

	/* The zero-filled mutex is used as is: no kipc_mutex_init(). */
	for (i = 0; i < 2; i++) {
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0) {
			kipc_sem_wait(&sh->go);
			_exit(-increment_loop(sh, n));
		}
	}
	kipc_sem_post(&sh->go);
	kipc_sem_post(&sh->go);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, wait_child(pid[i]));
	ASSERT_EQ((uint64_t)2 * n, sh->counter);
	TH_LOG("2 x %ld increments in %.2f s", n, (now_ns() - t0) / 1e9);
}

static int producer(struct shared *sh, uint32_t id, uint32_t n)
{
	uint32_t seq, slot;
	int ret;

	for (seq = 0; seq < n; seq++) {
		ret = kipc_sem_timedwait(&sh->free_slots, 60 * NS_PER_SEC);
		if (ret)
			return ret;
		ret = kipc_mutex_lock(&sh->prod_lock);
		if (ret)
			return ret;
		slot = sh->head++ % RING_SLOTS;
		sh->slots[slot].producer = id;
		sh->slots[slot].seq = seq;
		sh->slots[slot].check = rec_check(id, seq);
		ret = kipc_mutex_unlock(&sh->prod_lock);
		if (ret)
			return ret;
		ret = kipc_sem_post(&sh->used_slots);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F_TIMEOUT(sync, semaphore_ring_loses_nothing, 600)
{
	struct shared *sh = self->sh;
	uint32_t next[2] = { 0, 0 }, tail = 0, i;
	struct ring_rec r;
	uint64_t t0 = now_ns();
	pid_t pid[2];
	int p;

	ASSERT_EQ(0, kipc_sem_init(&sh->free_slots, RING_SLOTS));
	ASSERT_EQ(0, kipc_sem_init(&sh->used_slots, 0));
	ASSERT_EQ(0, kipc_mutex_init(&sh->prod_lock));
	for (p = 0; p < 2; p++) {
		pid[p] = fork_child();
		ASSERT_LE(0, pid[p]);
		if (pid[p] == 0)
			_exit(-producer(sh, p, RING_RECORDS / 2));
	}
	/* The consumer: each producer's records arrive whole and in order. */
	for (i = 0; i < RING_RECORDS; i++) {
		ASSERT_EQ(0, kipc_sem_timedwait(&sh->used_slots, 60 * NS_PER_SEC))
			TH_LOG("record %u never came", i);
		r = sh->slots[tail++ % RING_SLOTS];
		ASSERT_EQ(0, kipc_sem_post(&sh->free_slots));
		ASSERT_GT(2, r.producer);
		ASSERT_EQ(next[r.producer], r.seq);
		ASSERT_EQ(rec_check(r.producer, r.seq), r.check);
		next[r.producer]++;
	}
	for (p = 0; p < 2; p++)
		ASSERT_EQ(0, wait_child(pid[p]));
	ASSERT_EQ(RING_RECORDS / 2, next[0]);
	ASSERT_EQ(RING_RECORDS / 2, next[1]);
	ASSERT_EQ(0, kipc_sem_getvalue(&sh->used_slots));
	ASSERT_EQ(RING_SLOTS, kipc_sem_getvalue(&sh->free_slots));
	TH_LOG("%d records through %d slots in %.2f s", RING_RECORDS, RING_SLOTS,
	       (now_ns() - t0) / 1e9);
}

/* Child: take the mutex, say so, then sleep until killed. */
static pid_t fork_owner(struct shared *sh)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		sh->child_ret = kipc_mutex_lock(&sh->m);
		kipc_sem_post(&sh->ready);
		for (;;)
			pause();
	}
	return pid;
}

/* After -EOWNERDEAD: recover, and the mutex works normally again. */
static int recover(kipc_mutex_t *m)
{
	if (kipc_mutex_consistent(m))
		return 1;
	if (kipc_mutex_unlock(m))
		return 2;
	if (kipc_mutex_lock(m))
		return 3;
	if (kipc_mutex_unlock(m))
		return 4;
	return 0;
}

TEST_F(sync, robust_owner_killed_then_reaped)
{
	struct shared *sh = self->sh;
	pid_t pid;

	pid = fork_owner(sh);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));
	ASSERT_EQ(0, sh->child_ret);
	ASSERT_EQ(-EBUSY, kipc_mutex_trylock(&sh->m));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));

	ASSERT_EQ(-EOWNERDEAD, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, recover(&sh->m));
}

TEST_F(sync, robust_owner_killed_zombie_trylock)
{
	struct shared *sh = self->sh;
	pid_t pid;

	pid = fork_owner(sh);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	/* Not reaped yet: its TID still exists, as a zombie. */
	ASSERT_EQ(0, wait_state(pid, 'Z', 20000));
	ASSERT_EQ(-EOWNERDEAD, kipc_mutex_trylock(&sh->m));
	ASSERT_EQ(0, recover(&sh->m));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));
}

TEST_F(sync, robust_owner_killed_with_waiter_asleep)
{
	struct shared *sh = self->sh;
	pid_t owner, waiter;

	owner = fork_owner(sh);
	ASSERT_LE(0, owner);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));

	waiter = fork_child();
	ASSERT_LE(0, waiter);
	if (waiter == 0) {
		int ret = kipc_mutex_lock(&sh->m);

		if (ret != -EOWNERDEAD)
			_exit(100 + (ret < 0 ? -ret : ret) % 100);
		_exit(recover(&sh->m));
	}
	/* The waiter sleeps in FUTEX_LOCK_PI2 on the owner... */
	ASSERT_EQ(0, wait_state(waiter, 'S', 20000));
	usleep(100000);
	/* ...and the owner's exit hands it the lock. */
	ASSERT_EQ(0, kill(owner, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(owner));
	ASSERT_EQ(0, wait_child(waiter));
	ASSERT_EQ(0, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
}

static void *lock_and_exit(void *arg)
{
	return (void *)(intptr_t)kipc_mutex_lock(arg);
}

static void *lock_unlock_exit(void *arg)
{
	int ret = kipc_mutex_lock(arg);

	if (!ret)
		ret = kipc_mutex_unlock(arg);
	return (void *)(intptr_t)ret;
}

TEST_F(sync, robust_thread_exit)
{
	struct shared *sh = self->sh;
	pthread_t t;
	void *ret;

	/* A thread that exits holding the lock is a dead owner too. */
	ASSERT_EQ(0, pthread_create(&t, NULL, lock_and_exit, &sh->m));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(0, (intptr_t)ret);
	ASSERT_EQ(-EOWNERDEAD, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, recover(&sh->m));

	/* One that released it before exiting is not. */
	ASSERT_EQ(0, pthread_create(&t, NULL, lock_unlock_exit, &sh->m));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(0, (intptr_t)ret);
	ASSERT_EQ(0, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
}

TEST_F(sync, robust_not_recoverable)
{
	struct shared *sh = self->sh;
	pid_t pid;

	pid = fork_owner(sh);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));

	ASSERT_EQ(-EOWNERDEAD, kipc_mutex_timedlock(&sh->m, NS_PER_SEC));
	/* Unlocked without kipc_mutex_consistent(): unusable from now on. */
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
	ASSERT_EQ(-ENOTRECOVERABLE, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(-ENOTRECOVERABLE, kipc_mutex_trylock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_init(&sh->m));
	ASSERT_EQ(0, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
}

TEST_F(sync, robust_second_owner_dies_too)
{
	struct shared *sh = self->sh;
	pid_t pid;

	pid = fork_owner(sh);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));

	/* The next owner gets -EOWNERDEAD and dies before repairing. */
	pid = fork_owner(sh);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));
	ASSERT_EQ(-EOWNERDEAD, sh->child_ret);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));

	ASSERT_EQ(-EOWNERDEAD, kipc_mutex_lock(&sh->m));
	ASSERT_EQ(0, recover(&sh->m));
}

/*
 * Worker of the kill storm: the critical section moves a and b apart and
 * back together, slowly, so that kills land inside it. A lock that
 * returns 0 must never see a != b: that would be an owner death the
 * mutex failed to report.
 */
static void storm_fail(struct shared *sh, int code, int ret)
{
	int32_t none = 0;

	__atomic_compare_exchange_n(&sh->storm_err, &none, ret, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	sh->storm_word = __atomic_load_n(&sh->m.__futex, __ATOMIC_SEQ_CST);
	_exit(code);
}

static void storm_worker(struct shared *sh)
{
	volatile int spin;
	int ret;

	for (;;) {
		ret = kipc_mutex_lock(&sh->m);
		if (ret == -EOWNERDEAD) {
			__atomic_fetch_add(&sh->owner_dead_seen, 1, __ATOMIC_RELAXED);
			sh->b = sh->a;		/* repair */
			ret = kipc_mutex_consistent(&sh->m);
			if (ret)
				storm_fail(sh, 2, ret);
		} else if (ret) {
			storm_fail(sh, 1, ret);
		} else if (sh->a != sh->b) {
			__atomic_fetch_add(&sh->violations, 1, __ATOMIC_RELAXED);
		}
		sh->a++;
		__atomic_store_n(&sh->inside, getpid(), __ATOMIC_RELAXED);
		for (spin = 0; spin < 2000; spin++)
			;
		__atomic_store_n(&sh->inside, 0, __ATOMIC_RELAXED);
		sh->b++;
		ret = kipc_mutex_unlock(&sh->m);
		if (ret)
			storm_fail(sh, 3, ret);
	}
}

TEST_F_TIMEOUT(sync, robust_kill_storm, 300)
{
	struct shared *sh = self->sh;
	pid_t pid[3], inside;
	int i, k, ret;

	for (i = 0; i < 3; i++) {
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			storm_worker(sh);
	}
	srand(getpid());
	for (k = 0; k < 150; k++) {
		usleep(1000 + rand() % 4000);
		/* Every other kill aims at the worker inside the section. */
		inside = __atomic_load_n(&sh->inside, __ATOMIC_RELAXED);
		for (i = 0; k % 2 && i < 3 && pid[i] != inside; i++)
			;
		if (i == 3 || !(k % 2))
			i = rand() % 3;
		ASSERT_EQ(0, kill(pid[i], SIGKILL));
		ret = wait_child(pid[i]);
		if (ret != 128 + SIGKILL)
			TH_LOG("worker failed at step %d: %s, futex word 0x%x", ret,
			       strerror(-sh->storm_err), sh->storm_word);
		ASSERT_EQ(128 + SIGKILL, ret);
		pid[i] = fork_child();
		ASSERT_LE(0, pid[i]);
		if (pid[i] == 0)
			storm_worker(sh);
	}
	for (i = 0; i < 3; i++) {
		kill(pid[i], SIGKILL);
		ASSERT_EQ(128 + SIGKILL, wait_child(pid[i]));
	}
	ret = kipc_mutex_lock(&sh->m);
	ASSERT_TRUE(ret == 0 || ret == -EOWNERDEAD);
	if (ret == -EOWNERDEAD) {
		sh->b = sh->a;
		ASSERT_EQ(0, kipc_mutex_consistent(&sh->m));
	}
	ASSERT_EQ(sh->a, sh->b);
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
	ASSERT_EQ(0, sh->violations);
	/* The aimed kills make owner deaths inside the section certain. */
	ASSERT_LT(0, sh->owner_dead_seen);
	TH_LOG("150 kills, %u reported owner deaths, %llu sections", sh->owner_dead_seen,
	       (unsigned long long)sh->a);
}

TEST_F(sync, mutex_timedlock_times_out)
{
	struct shared *sh = self->sh;
	uint64_t t0, dt;
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kipc_mutex_lock(&sh->m))
			_exit(1);
		kipc_sem_post(&sh->ready);
		if (kipc_sem_timedwait(&sh->go, 60 * NS_PER_SEC))
			_exit(2);
		_exit(kipc_mutex_unlock(&sh->m) ? 3 : 0);
	}
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->ready, 20 * NS_PER_SEC));

	t0 = now_ns();
	ASSERT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(&sh->m, 200 * NS_PER_MS));
	dt = now_ns() - t0;
	EXPECT_LE(200 * NS_PER_MS, dt);
	EXPECT_GT(10 * NS_PER_SEC, dt);
	ASSERT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(&sh->m, 0));
	ASSERT_EQ(-EBUSY, kipc_mutex_trylock(&sh->m));

	/* Released while we wait: the timed lock gets it. */
	ASSERT_EQ(0, kipc_sem_post(&sh->go));
	ASSERT_EQ(0, kipc_mutex_timedlock(&sh->m, 20 * NS_PER_SEC));
	ASSERT_EQ(0, kipc_mutex_unlock(&sh->m));
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(sync, sem_basics)
{
	struct shared *sh = self->sh;

	ASSERT_EQ(-EINVAL, kipc_sem_init(&sh->done, KIPC_SEM_VALUE_MAX + 1u));
	ASSERT_EQ(0, kipc_sem_init(&sh->done, 2));
	ASSERT_EQ(2, kipc_sem_getvalue(&sh->done));
	ASSERT_EQ(0, kipc_sem_wait(&sh->done));
	ASSERT_EQ(0, kipc_sem_trywait(&sh->done));
	ASSERT_EQ(-EAGAIN, kipc_sem_trywait(&sh->done));
	ASSERT_EQ(0, kipc_sem_post(&sh->done));
	ASSERT_EQ(0, kipc_sem_timedwait(&sh->done, 0));
	ASSERT_EQ(-EINVAL, kipc_sem_timedwait(&sh->done, -1));
	ASSERT_EQ(0, kipc_sem_init(&sh->done, KIPC_SEM_VALUE_MAX));
	ASSERT_EQ(-EOVERFLOW, kipc_sem_post(&sh->done));
	ASSERT_EQ((int)KIPC_SEM_VALUE_MAX, kipc_sem_getvalue(&sh->done));
}

TEST_F(sync, sem_timedwait_times_out)
{
	struct shared *sh = self->sh;
	uint64_t t0, dt;

	ASSERT_EQ(0, kipc_sem_init(&sh->done, 0));
	t0 = now_ns();
	ASSERT_EQ(-ETIMEDOUT, kipc_sem_timedwait(&sh->done, 200 * NS_PER_MS));
	dt = now_ns() - t0;
	EXPECT_LE(200 * NS_PER_MS, dt);
	EXPECT_GT(10 * NS_PER_SEC, dt);
	ASSERT_EQ(-ETIMEDOUT, kipc_sem_timedwait(&sh->done, 0));
}

TEST_F(sync, sem_wakes_sleeper_in_other_process)
{
	struct shared *sh = self->sh;
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(-kipc_sem_timedwait(&sh->done, 60 * NS_PER_SEC));
	/* The child sleeps in FUTEX_WAIT_BITSET on the region page. */
	ASSERT_EQ(0, wait_state(pid, 'S', 20000));
	usleep(50000);
	ASSERT_EQ(0, kipc_sem_post(&sh->done));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, kipc_sem_getvalue(&sh->done));
}

TEST_F(sync, sem_wait_interrupted)
{
	struct shared *sh = self->sh;
	struct sigaction sa = { .sa_handler = noop_handler };	/* no SA_RESTART */
	pid_t pid;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		sigaction(SIGUSR1, &sa, NULL);
		_exit(-kipc_sem_wait(&sh->done));
	}
	ASSERT_EQ(0, wait_state(pid, 'S', 20000));
	usleep(50000);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(EINTR, wait_child(pid));
	ASSERT_EQ(0, kipc_sem_getvalue(&sh->done));
}

TEST_HARNESS_MAIN
