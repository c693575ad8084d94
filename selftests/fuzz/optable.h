/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The op table: every call kipc-fuzz makes, one row each. Adding an ioctl
 * to the fuzzer is one row here and one function (in the ops-*.c file of
 * its kind of fd); the enum, the names, the errno contract, the size
 * table, the weighted menu and --errno-table all come from this row.
 *
 * Columns:
 *   op		OP_<op>, the index into fuzz_ops[] and the per-call counters
 *   name	as shown in reports, --trace and the per-call table
 *   cmd	the ioctl number (0: not an ioctl)
 *   min	the smallest @size the kernel accepts: the uapi header's
 *		KIPC_<STRUCT>_SIZE_VER0 (0: no struct)
 *   kind	the kind of fd the call is for (K_NONE: any)
 *   errs	the errnos it may give on that kind, besides the universal()
 *		ones. For an ioctl this is the "Errors:" line above its number
 *		in <linux/kipc.h> (scripts/test-errno-contract compares them);
 *		for the VFS and mm calls, their man pages and kipc's own rules
 *   elsewhere	the errnos it may give on another kind of fd (an ioctl:
 *		ENOTTY, "any command on a kind of fd it is not for")
 *   feat	the KIPC_FEAT_* bit a module without the ioctl lacks; without
 *		it, ENOTTY on the right kind too (0: every module has it)
 *   fn		the function that makes the call (op_fork also makes "kill")
 *   weight	how often run_ops() picks fn (0: never by itself; run_ops()
 *		forks on its own, never in a child)
 *
 * A bad fd gives EBADF whatever the row says.
 */
#ifndef KIPC_FUZZ_OPTABLE_H
#define KIPC_FUZZ_OPTABLE_H

#define ERRS(...)	((const int[]){ __VA_ARGS__, 0 })
#define NO_ERRS		((const int[]){ 0 })
#define ENOTTY_ONLY	ERRS(ENOTTY)

/* The errnos of an open and of a receive, each used by two rows. */
#define ERRS_OPEN	ERRS(EINVAL, E2BIG, EFAULT, ENAMETOOLONG, ENOENT, EEXIST, EACCES, \
			     ENOSPC, EDQUOT)
#define ERRS_SEND	ERRS(EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN, ETIMEDOUT, \
			     EPIPE, EDQUOT)
/* KIPC_IOC_SEND also carries handles (ABI 3). */
#define ERRS_SEND_H	ERRS(EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN, ETIMEDOUT, \
			     EPIPE, EDQUOT, ELOOP, ETOOMANYREFS, EOPNOTSUPP)
#define ERRS_RECV	ERRS(EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN, ETIMEDOUT, \
			     EPIPE, EDQUOT, EACCES)
#define ERRS_ARGS	ERRS(EINVAL, E2BIG, EFAULT)
/* read(2)/write(2) on a fd without read/write methods. */
#define ERRS_NO_RW	ERRS(EINVAL, EBADF, EFAULT, EOPNOTSUPP)

/* X(op, name, cmd, min, kind, errs, elsewhere, feat, fn, weight) */
#define FUZZ_OPS(X)									\
	X(CTL_OPEN, "open", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_ctl_open, 2)		\
	X(CLOSE, "close", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_close, 5)		\
	X(DUP, "dup", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_dup, 2)			\
	X(FCNTL, "fcntl", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_fcntl, 1)		\
	X(RLIMIT, "setrlimit", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_rlimit, 1)		\
	X(VERSION, "VERSION", KIPC_IOC_VERSION, KIPC_VERSION_SIZE_VER0, K_CTL,		\
	  ERRS_ARGS, ENOTTY_ONLY, 0, op_version, 2)					\
	X(STAT, "STAT", KIPC_IOC_STAT, KIPC_GLOBAL_STAT_SIZE_VER0, K_CTL,		\
	  ERRS_ARGS, ENOTTY_ONLY, 0, op_stat, 2)					\
	X(LIST, "LIST", KIPC_IOC_LIST, KIPC_LIST_SIZE_VER0, K_CTL,			\
	  ERRS_ARGS, ENOTTY_ONLY, KIPC_FEAT_LIST, op_list, 3)				\
	X(CHAN_OPEN, "CHAN_OPEN", KIPC_IOC_CHAN_OPEN, KIPC_CHAN_OPEN_SIZE_VER0, K_CTL,	\
	  ERRS_OPEN, ENOTTY_ONLY, 0, op_chan_open, 9)					\
	X(SHM_OPEN, "SHM_OPEN", KIPC_IOC_SHM_OPEN, KIPC_SHM_OPEN_SIZE_VER0, K_CTL,	\
	  ERRS_OPEN, ENOTTY_ONLY, 0, op_shm_open, 6)					\
	X(UNLINK, "UNLINK", KIPC_IOC_UNLINK, KIPC_UNLINK_SIZE_VER0, K_CTL,		\
	  ERRS(EINVAL, E2BIG, EFAULT, ENAMETOOLONG, ENOENT, EACCES), ENOTTY_ONLY,	\
	  0, op_unlink, 4)								\
	X(SEND, "SEND", KIPC_IOC_SEND, KIPC_XFER_SIZE_VER0, K_CHAN,			\
	  ERRS_SEND_H, ENOTTY_ONLY, 0, op_send, 14)					\
	X(RECV, "RECV", KIPC_IOC_RECV, KIPC_XFER_SIZE_VER0, K_CHAN,			\
	  ERRS_RECV, ENOTTY_ONLY, 0, op_recv, 12)					\
	X(DISCARD, "RECV(DISCARD)", KIPC_IOC_RECV, KIPC_XFER_SIZE_VER0, K_CHAN,		\
	  ERRS_RECV, ENOTTY_ONLY, 0, op_discard, 3)					\
	X(CHAN_STAT, "CHAN_STAT", KIPC_IOC_CHAN_STAT, KIPC_CHAN_STAT_SIZE_VER0, K_CHAN,	\
	  ERRS_ARGS, ENOTTY_ONLY, 0, op_chan_stat, 3)					\
	X(SEND_REF, "SEND_REF", KIPC_IOC_SEND_REF, KIPC_REF_XFER_SIZE_VER0, K_CHAN,	\
	  ERRS_SEND, ENOTTY_ONLY, 0, op_send_ref, 8)					\
	X(RECV_REF, "RECV_REF", KIPC_IOC_RECV_REF, KIPC_REF_XFER_SIZE_VER0, K_CHAN,	\
	  ERRS(EINVAL, E2BIG, EFAULT, EBADF, EAGAIN, ETIMEDOUT, EPIPE, EACCES, ENOMSG),	\
	  ENOTTY_ONLY, 0, op_recv_ref, 7)						\
	X(SHM_STAT, "SHM_STAT", KIPC_IOC_SHM_STAT, KIPC_SHM_STAT_SIZE_VER0, K_REGION,	\
	  ERRS_ARGS, ENOTTY_ONLY, 0, op_shm_stat, 2)					\
	X(SEND_BATCH, "SEND_BATCH", KIPC_IOC_SEND_BATCH, KIPC_BATCH_SIZE_VER0, K_CHAN,	\
	  ERRS_SEND, ENOTTY_ONLY, KIPC_FEAT_BATCH, op_send_batch, 6)			\
	X(RECV_BATCH, "RECV_BATCH", KIPC_IOC_RECV_BATCH, KIPC_BATCH_SIZE_VER0, K_CHAN,	\
	  ERRS_RECV, ENOTTY_ONLY, KIPC_FEAT_BATCH, op_recv_batch, 5)			\
	/* Packed batches: ops-packed.c. */					\
	X(SEND_PACKED, "SEND_PACKED", KIPC_IOC_SEND_PACKED, KIPC_PACKED_SIZE_VER0,	\
	  K_CHAN, ERRS_SEND, ENOTTY_ONLY, KIPC_FEAT_PACKED, op_send_packed, 5)		\
	X(RECV_PACKED, "RECV_PACKED", KIPC_IOC_RECV_PACKED, KIPC_PACKED_SIZE_VER0,	\
	  K_CHAN, ERRS(EINVAL, E2BIG, EFAULT, EBADF, EMSGSIZE, EAGAIN, ETIMEDOUT, EPIPE,	\
	  EACCES), ENOTTY_ONLY, KIPC_FEAT_PACKED, op_recv_packed, 5)			\
	/* Handles (ABI 3): ops-handles.c. */					\
	X(CHAN_PAIR, "CHAN_PAIR", KIPC_IOC_CHAN_PAIR, KIPC_CHAN_PAIR_SIZE_VER0, K_CTL,	\
	  ERRS(EINVAL, E2BIG, EFAULT, ENOSPC, EDQUOT), ENOTTY_ONLY, KIPC_FEAT_HANDLES,	\
	  op_chan_pair, 3)								\
	X(REOPEN, "REOPEN", KIPC_IOC_REOPEN, KIPC_REOPEN_SIZE_VER0, K_CHAN,		\
	  ERRS(EINVAL, E2BIG, EFAULT, EACCES), ENOTTY_ONLY, KIPC_FEAT_HANDLES,		\
	  op_reopen, 3)									\
	X(REOPEN_R, "REOPEN(region)", KIPC_IOC_REOPEN, KIPC_REOPEN_SIZE_VER0, K_REGION,	\
	  ERRS(EINVAL, E2BIG, EFAULT, EACCES), ENOTTY_ONLY, KIPC_FEAT_HANDLES,		\
	  op_reopen, 0)									\
	X(SEND_H, "SEND(handles)", KIPC_IOC_SEND, KIPC_XFER_SIZE_VER0, K_CHAN,		\
	  ERRS_SEND_H, ENOTTY_ONLY, 0, op_send_handles, 6)				\
	X(RECV_H, "RECV(handles)", KIPC_IOC_RECV, KIPC_XFER_SIZE_VER0, K_CHAN,		\
	  ERRS_RECV, ENOTTY_ONLY, 0, op_send_handles, 0)				\
	X(UNREADABLE, "unreadable-ref", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0,		\
	  op_unreadable, 1)								\
	X(BADCMD, "unknown-ioctl", 0, 0, K_NONE, ENOTTY_ONLY, NO_ERRS, 0, op_badcmd, 3)	\
	X(READ, "read/readv", 0, 0, K_CHAN,						\
	  ERRS(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EPIPE, EDQUOT, EACCES),	\
	  ERRS_NO_RW, 0, op_read, 6)							\
	X(WRITE, "write/writev", 0, 0, K_CHAN,						\
	  ERRS(EINVAL, EFAULT, EBADF, EMSGSIZE, EAGAIN, EPIPE, EDQUOT),		\
	  ERRS_NO_RW, 0, op_write, 6)							\
	X(POLL, "poll", 0, 0, K_NONE, ERRS(EFAULT, EINVAL), NO_ERRS, 0, op_poll, 3)	\
	X(MMAP, "mmap", 0, 0, K_REGION,							\
	  ERRS(EINVAL, ENXIO, EACCES, EPERM, EOVERFLOW, EOPNOTSUPP),			\
	  ERRS(ENODEV, EACCES, EINVAL, EPERM, EOVERFLOW, EOPNOTSUPP), 0, op_mmap, 5)	\
	X(MUNMAP, "munmap", 0, 0, K_NONE, ERRS(EINVAL), NO_ERRS, 0, op_munmap, 3)	\
	X(MPROTECT, "mprotect", 0, 0, K_NONE, ERRS(EACCES, EINVAL), NO_ERRS, 0,	\
	  op_mprotect, 2)								\
	X(MREMAP, "mremap", 0, 0, K_NONE, ERRS(EFAULT, EINVAL, EAGAIN), NO_ERRS, 0,	\
	  op_mremap, 1)									\
	X(TOUCH, "load/store", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_touch, 6)		\
	X(FORK, "fork", 0, 0, K_NONE, ERRS(EAGAIN), NO_ERRS, 0, op_fork, 0)		\
	X(KILL, "kill", 0, 0, K_NONE, NO_ERRS, NO_ERRS, 0, op_fork, 0)

#define FUZZ_OP_ENUM(op, ...)	OP_##op,
enum op { FUZZ_OPS(FUZZ_OP_ENUM) NOPS };
#undef FUZZ_OP_ENUM

#define FUZZ_OP_PROTO(op, name, cmd, min, kind, errs, elsewhere, feat, fn, weight) \
	void fn(void);
FUZZ_OPS(FUZZ_OP_PROTO)
#undef FUZZ_OP_PROTO

struct fuzz_op {
	const char *name;
	unsigned long cmd;
	const char *cmd_name;
	uint32_t min;
	enum kind kind;
	const int *errs;
	const int *elsewhere;
	uint64_t feat;
	void (*fn)(void);
	unsigned int weight;
};

extern const struct fuzz_op fuzz_ops[NOPS];

bool universal(int e);
bool allowed(enum op op, enum kind k, int e);
bool known_cmd(unsigned int cmd);
void print_errno_table(FILE *f);

#endif /* KIPC_FUZZ_OPTABLE_H */
