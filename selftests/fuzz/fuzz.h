/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-fuzz: what its files share. kipc-fuzz.c is the driver (options,
 * workers, the report); optable.h the table of calls and their errno
 * contract; state.c the random numbers, the fds and mappings a worker
 * holds and the memory the kernel is pointed at; args.c the arguments
 * (ioctl structs with their defects, names, messages, iovec plans,
 * blocking modes); oracle.c the judging of results; ops-ctl.c,
 * ops-chan.c, ops-region.c and ops-batch.c the calls, by kind of fd;
 * ops-packed.c the packed batches; ops-handles.c channel pairs, reopen
 * and messages that carry fds.
 */
#ifndef KIPC_FUZZ_H
#define KIPC_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include <kipc.h>

#define PROG		"kipc-fuzz"

#define MAX_PROCS	16
#define MAX_SLOTS	40
#define MAX_MAPS	12
#define MAX_MAP_PAGES	32
#define MAX_NAMES	32
#define MAX_EVENTS	64
#define EVENT_LEN	400
#define NERRNO		140
#define MAX_SEGS	8
#define NIOV_MANY	1024		/* UIO_MAXIOV */
#define MAX_BATCH	64		/* entries in the batches the fuzzer builds */

/* The data arena: messages are built in the first half, received into the second. */
#define AREA_LEN	(256 * 1024)
#define DATA_LEN	(2 * AREA_LEN)
#define MAX_MSG		(AREA_LEN - MAX_SEGS * 64 - 4096)

#define MSG_MAGIC	0xc3a5f00du	/* has bytes >= 0x80: region stores never form it */
#define DESC_LEN	512
#define LIST_PAGES	16		/* the KIPC_IOC_LIST entry arena */

/*
 * A deadline this far out means no timeout (ABI 2): ETIMEDOUT never. The
 * kernel took it as a negative time left, so as already past, before.
 */
#define FOREVER_NS	(1ull << 63)

/* Exit codes. */
#define EXIT_FOUND	1	/* a contract violation, leak, crash or hang */
#define EXIT_USAGE	2
#define EXIT_ENV	3	/* could not run: no /dev/kipc, no memory ... */
#define EXIT_FAULT	86	/* worker: unexpected SIGSEGV/SIGBUS (already reported) */


struct rng {
	uint64_t s[4];
};

/* What a call was made on. */
enum kind { K_NONE, K_CTL, K_CHAN, K_REGION, K_BAD };

/*
 * What a particular call must do beyond the errno table: fail with @err
 * (or @err2), fail at all, or succeed; and never give @never.
 */
struct expect {
	int err;
	int err2;
	int never;	/* an errno this call must not give, whatever else it does */
	bool fail;
	bool ok;
	const char *why;
	const char *never_why;
};

#include "optable.h"

struct wstat {
	uint64_t calls;
	uint64_t errors;
	uint64_t unexpected;
	uint64_t violations;
	uint64_t crashes;
	uint64_t touches;
	uint64_t sigbus_expected;
	uint64_t forks;
	uint64_t kills;
	uint64_t msgs_checked;
	uint64_t op_calls[NOPS];
	uint64_t op_ok[NOPS];
	uint32_t op_err[NOPS][NERRNO];
	pid_t pid;
	int finished;
};

struct shared {
	uint32_t nev;
	char ev[MAX_EVENTS][EVENT_LEN];
	struct wstat w[MAX_PROCS];
};

/*
 * A scratch area: @len bytes of a memfd mapped read-write at @rw with a
 * PROT_NONE guard page right after it (@guard), and the same pages mapped
 * read-only at @ro. Writes go through @rw; @ro is valid to read and faults
 * on write; anything crossing into @guard faults.
 */
struct scratch {
	uint8_t *rw;
	uint8_t *ro;
	uint8_t *guard;
	size_t len;
};

struct slot {
	int fd;
	enum kind kind;
	bool rd;		/* channel: may receive; region: always */
	bool wr;		/* channel: may send; region: writable */
	bool priv;		/* anonymous channel only this process tree holds */
	uint32_t max_msg_size;	/* channel */
	uint64_t len;		/* region length */
	uint64_t id;		/* object id (0: unknown) */
};

#define PG_MAPPED	0x1
#define PG_R		0x2
#define PG_W		0x4
#define PG_UNKNOWN	0x8	/* protection unknown after a failed mprotect */

struct mapping {
	uint8_t *addr;
	size_t npages;
	uint64_t off;		/* region offset of @addr */
	uint64_t reglen;
	bool pristine;		/* one VMA, never split or changed */
	uint8_t pg[MAX_MAP_PAGES];
};

enum defect {
	D_NONE,
	D_SHORT,	/* size below the first release's struct: EINVAL */
	D_TAIL,		/* size above the struct, non-zero tail: E2BIG */
	D_FLAGS,	/* unknown flag bit: EINVAL */
	D_RESERVED,	/* reserved (or must-be-zero input) field set: EINVAL */
	D_VALUE,	/* an out-of-range value: op-specific errno */
	D_NAME,		/* a bad name: op-specific errno */
	D_PTR,		/* a bad pointer: EFAULT (op-specific for RO) */
	D_CHAOS,	/* several random mutations: only the errno table applies */
};

/* P_TAIL_GUARD: the struct is readable, an unmapped page follows it. */
enum ptrmode { P_GOOD, P_NULL, P_BAD, P_STRADDLE, P_RO, P_TAIL_GUARD };

/* How an ioctl writes its argument back. */
enum wb { WB_NEVER, WB_ALWAYS, WB_ON_SUCCESS };

struct argp {
	enum ptrmode mode;
	void *uptr;		/* what the kernel gets */
	uint32_t usize;		/* the size field as passed */
};

struct fzhdr {
	uint32_t magic;
	uint32_t len;
	uint64_t seed;
};

/*
 * An iovec array over the data arena. Transmit plans copy a message image
 * into their segments; receive plans remember where each segment's bytes
 * land so they can be gathered. @first_bad is how many leading bytes are
 * writable (receive) or readable (transmit) before the first bad segment.
 */
struct iovplan {
	struct iovec *iov;
	int cnt;
	size_t total;
	size_t first_bad;
	bool bad;		/* a non-empty segment at an unusable address */
	int nseg;
	uint8_t *seg[MAX_SEGS];
	size_t seglen[MAX_SEGS];
};

/* What plan_iov_at() may put in a plan besides plain segments. */
#define PLAN_BAD	0x1	/* a segment at an unusable address */
#define PLAN_RO		0x2	/* a segment on the read-only alias */
#define PLAN_MANY	0x4	/* UIO_MAXIOV entries */

/* X_FOREVER: a deadline past 2^63 ns, maybe with KIPC_XFER_NONBLOCK too. */
enum xmode { X_NONBLOCK, X_DEADLINE, X_BLOCK, X_FOREVER };

struct snap {
	bool valid;
	int fd;
	struct kipc_chan_stat st;
	uint64_t discarded;
	char what[DESC_LEN];
};

/* Options (kipc-fuzz.c). */
struct options {
	uint64_t seed;
	uint64_t iterations;	/* 0: bounded by --seconds only */
	double seconds;		/* 0: bounded by --iterations only */
	int procs;
	uint64_t progress;
	int names;
	bool trace;
	bool leak_check;
	bool avoid_recv_ro;	/* --avoid recv-ro-arg */
	bool errno_table;	/* --errno-table */
};

/* Module limits, from /sys/module/kipc/parameters (defaults if absent). */
struct limits {
	uint64_t max_msgs;
	uint64_t max_msg_size;
	uint64_t max_region_bytes;
	uint64_t default_msg_size;
};

extern struct options opt;

/* state.c */
extern struct limits lim;
extern uint64_t features;	/* KIPC_IOC_VERSION's, read before the workers start */
extern bool sees_all;		/* CAP_SYS_ADMIN: KIPC_IOC_LIST shows every object */
extern struct rng R;
extern struct shared *sh;
extern int me;			/* worker index */
extern bool in_child;		/* a forked child of a worker */
extern uint64_t callno;		/* calls made by this process */
extern long pg;
extern char desc[DESC_LEN];	/* the current call, for reports and --trace */
extern volatile sig_atomic_t sigpipe_seen;
extern bool chaos;		/* the current call is a D_CHAOS one */
extern const char *defect_name;	/* the current call's, for reports */
extern const char *const defect_names[];
extern const char *const kind_name[];
extern struct scratch s_arg, s_iov, s_name, s_data, s_ent, s_list;
extern struct slot slots[MAX_SLOTS];
extern int nslots;
extern struct slot bad_slot;
extern int other_fd;		/* /dev/null: an open fd that is not kipc's */
extern struct mapping maps[MAX_MAPS];
extern int nmaps;
extern char names[MAX_NAMES][32];
extern char long_name[KIPC_NAME_MAX];	/* 255 characters: the longest valid */

/* args.c */
extern const char *const ptr_name[];
extern uint8_t argbuf[16384];
extern struct iovec iovbuf[NIOV_MANY + 2];
extern uint8_t txbuf[AREA_LEN];

/* ops-ctl.c */
extern struct rlimit rl_orig;

/* ops-region.c */
extern volatile sig_atomic_t fault_expected;
extern sigjmp_buf fault_jmp;
extern volatile void *fault_addr;

#define violation(...) do {						\
		add(&sh->w[me].violations, 1);				\
		event("VIOLATION", __VA_ARGS__);			\
	} while (0)

#define D(...) snprintf(desc, sizeof(desc), __VA_ARGS__)

/* state.c */
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rnd(void);
uint64_t below(uint64_t n);
bool chance(unsigned int pct);
uint64_t derive_seed(uint64_t seed, uint64_t idx);
uint64_t now_ns(void);
void add(uint64_t *p, uint64_t n);
const char *ename(int e);
void event(const char *what, const char *fmt, ...);
long sys_ret(long r);
int scratch_init(struct scratch *s, size_t len);
void *bad_ptr(void);
struct slot *pick_kind(enum kind k);
int pick_bad_fd(void);
struct slot *pick_target(enum kind want);
struct slot *pick_chan(bool wr);
void add_slot(const struct slot *s);
void do_close(int i);
void make_room(void);
void drop_map(int i);
void unmap_all(int i);

/* args.c */
enum defect pick_defect(void);
uint32_t chaos32(void);
void arg_place(struct argp *a, const void *s, size_t ksize, size_t min,
		      enum defect d, enum wb wb, struct expect *ex);
void arg_result(const struct argp *a, void *s, size_t ksize);
uint64_t pick_name(bool defect, bool anon_ok, struct expect *ex, char *shown,
			  size_t shown_len);
void body(uint8_t *b, size_t len, uint64_t seed);
void msg_image(uint8_t *b, size_t len);
size_t pick_msg_len(void);
size_t plan_iov_at(struct iovplan *p, struct iovec *iov, size_t off, size_t total,
			  bool tx, unsigned int what);
void plan_iov(struct iovplan *p, size_t total, bool tx, bool allow_bad);
void plan_flat(struct iovplan *p);
const uint8_t *gather(const struct iovplan *p, size_t n);
void *place_iov(const struct iovplan *p, bool defect, struct expect *ex,
		       const char **how);
void arm_timer(void);
void disarm_timer(void);
enum xmode pick_xmode(void);
void xmode_apply(enum xmode m, __u32 *flags, __u64 *deadline_ns);
void deadline_defect(__u32 *flags, __u64 *deadline_ns);
long xfer_ioctl(int fd, unsigned long cmd, void *arg, __u32 xflags);
enum defect open_defect(enum defect d, __u32 *flags, __u32 *mode, __u32 *reserved,
			struct expect *ex);
void spoil(void *p, size_t len);
uint32_t pick_entry_size(uint32_t min);
uint32_t pick_mode(void);
uint32_t pick_access(void);
uint32_t pick_open_extras(void);

/* oracle.c */
void expect_err(struct expect *ex, int err, const char *why);
int judge(enum op op, enum kind k, long ret, const struct expect *ex);
void msg_check(const uint8_t *b, size_t len, int ref, const char *how);
void forever_rule(struct expect *ex, __u32 flags, __u64 deadline_ns);
void send_data_expect(struct expect *ex, const struct slot *t, const struct iovplan *p);
void recv_check(const char *how, long r, const struct kipc_msg_info *info,
		       const struct iovplan *p);
int chan_stat_fd(int fd, struct kipc_chan_stat *st, uint64_t *discarded);
void snap_take(struct snap *s, const struct slot *t);
void snap_check3(const struct snap *s, const char *call, long ret, int dsent, int drecv,
			int ddisc);
void snap_check(const struct snap *s, const char *call, long ret, int dsent, int drecv);
bool empty_rule(struct expect *ex, const struct snap *sn, const struct slot *t,
		       __u32 flags);
void kind_rule(const struct slot *t, enum kind want, struct expect *ex);

/* ops-ctl.c */
struct slot *ctl_target(void);
enum defect stat_defect(enum defect d, uint32_t *flags, uint32_t *reserved,
			       struct expect *ex);
bool stat_call(struct slot *t, enum op op, void *st, size_t size, enum defect d,
	       struct expect *ex);
void report_stuck(pid_t pid, const char *what);

/* ops-chan.c */

/* ops-region.c */

/* ops-batch.c */

/* ops-packed.c */

/* kipc-fuzz.c */
void run_ops(int n, bool may_fork);

#endif /* KIPC_FUZZ_H */
