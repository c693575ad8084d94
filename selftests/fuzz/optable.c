// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: the op table (optable.h) made into data, and the errno
 * contract read from it.
 */
#include "fuzz.h"

#define FUZZ_OP_ROW(op, name_, cmd_, min_, kind_, errs_, elsewhere_, feat_, fn_, weight_) \
	[OP_##op] = { .name = name_, .cmd = cmd_, .cmd_name = #cmd_, .min = min_,	\
		      .kind = kind_, .errs = errs_, .elsewhere = elsewhere_,		\
		      .feat = feat_, .fn = fn_, .weight = weight_ },

const struct fuzz_op fuzz_ops[NOPS] = { FUZZ_OPS(FUZZ_OP_ROW) };

/*
 * What any call may give beyond its row (DOC: General ioctl format): any
 * call ENOMEM; one that can block, EINTR; one that makes an fd, EMFILE or
 * ENFILE. The fuzzer does not tell the calls apart for these.
 */
static const int universal_errs[] = { ENOMEM, EINTR, EMFILE, ENFILE, 0 };

static bool in_list(const int *l, int e)
{
	for (; *l; l++)
		if (*l == e)
			return true;
	return false;
}

bool universal(int e)
{
	return in_list(universal_errs, e);
}

/* Whether @op on a fd of kind @k may give @e (a module's features included). */
bool allowed(enum op op, enum kind k, int e)
{
	const struct fuzz_op *o = &fuzz_ops[op];
	bool home = o->kind == K_NONE || o->kind == k;

	if (universal(e))
		return true;
	if (k == K_BAD)
		return e == EBADF;
	if (home && e == ENOTTY && o->feat && !(features & o->feat))
		return true;	/* a module without the ioctl */
	return in_list(home ? o->errs : o->elsewhere, e);
}

/* An ioctl number some row makes. */
bool known_cmd(unsigned int cmd)
{
	int op;

	for (op = 0; op < NOPS; op++)
		if (fuzz_ops[op].cmd && fuzz_ops[op].cmd == cmd)
			return true;
	return false;
}

static void print_errs(FILE *f, const int *l, const int *seen)
{
	for (; *l; l++)
		if (!seen || !in_list(seen, *l))
			fprintf(f, " %s", strerrorname_np(*l));
}

/*
 * --errno-table: one line per ioctl, "KIPC_IOC_<NAME> ERRNO...", the
 * errnos the fuzzer accepts on the kind of fd the command is for (rows
 * that share a command, such as RECV and RECV(DISCARD), are merged), then
 * one line "* ERRNO..." with what it accepts from any ioctl besides: the
 * universal ones and, on another kind of fd, the rows' elsewhere errnos.
 */
void print_errno_table(FILE *f)
{
	int all[64] = { 0 }, nall = 0, op, o2;
	const int *l;

	for (op = 0; op < NOPS; op++) {
		const struct fuzz_op *o = &fuzz_ops[op];
		int merged[64] = { 0 }, n = 0;

		if (!o->cmd)
			continue;
		for (o2 = 0; o2 < op && fuzz_ops[o2].cmd != o->cmd; o2++)
			;
		if (o2 < op)
			continue;	/* printed with its first row */
		for (o2 = op; o2 < NOPS; o2++) {
			if (fuzz_ops[o2].cmd != o->cmd)
				continue;
			for (l = fuzz_ops[o2].errs; *l; l++)
				if (!in_list(merged, *l) && n < 63)
					merged[n++] = *l;
			for (l = fuzz_ops[o2].elsewhere; *l; l++)
				if (!in_list(all, *l) && nall < 63)
					all[nall++] = *l;
		}
		fprintf(f, "%s", o->cmd_name);
		print_errs(f, merged, NULL);
		fprintf(f, "\n");
	}
	fprintf(f, "*");
	print_errs(f, universal_errs, NULL);
	print_errs(f, all, universal_errs);
	fprintf(f, "\n");
}
