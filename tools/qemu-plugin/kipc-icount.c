// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-icount: a QEMU TCG plugin that counts the guest instructions of
 * kipc-bench's cost mode by side (sender, receiver) and by mode (user,
 * kernel), and optionally by guest address, for an attribution profile.
 *
 * Built against the qemu-plugin.h of Debian's qemu source package by
 * scripts/vm/qemu-plugin; loaded by scripts/vm/kipc-vm --plugin. One vCPU
 * (the cost mode's -smp 1): the counters are plain, not atomic.
 *
 * How it knows who runs. Every translated block adds its instruction count
 * to a user or a kernel counter (by the address it starts at). At every
 * context switch the guest kernel executes, in __switch_to_asm,
 *	movq TASK_threadsp(%rsi), %rsp
 * whose load address is the next task's task_struct plus a constant: that
 * is the task's key. The instructions counted since the last switch are
 * the previous task's. The plugin finds that load by its encoding and the
 * store before it, which no other kernel code has:
 *	movq %rsp, TASK_threadsp(%rdi)		(48 89 a7 disp32)
 *	movq TASK_threadsp(%rsi), %rsp		(48 8b a6 disp32)
 * so it needs no symbol and works with KASLR.
 *
 * How it knows which task is which, and when to count. kipc-bench --marks
 * executes, at the start and the end of each side's measured part,
 *	movzbl 0x4b495043(%rdi), %eax		(0f b6 87 43 50 49 4b)
 * with %rdi chosen so that the load address is a 64 KiB-aligned buffer of
 * its own plus a 16-bit mark: (window << 2) | (side << 1) | end. The
 * plugin writes one line per mark to out=FILE:
 *	mark DATA task KEY user N kernel N all_user N all_kernel N
 * with that task's instructions so far, and every task's; the host
 * subtracts (scripts/bench-split). The marker
 * is a load from the bench's own memory, harmless without the plugin.
 *
 * profile=FILE: also counts, per guest instruction address, the
 * instructions executed while a receiver's window is open (between its
 * begin and end marks; window=N: only window N's), split by the side of
 * the running task (0 sender, 1 receiver, 2 anything else), and writes
 * them to FILE at exit:
 *	ADDR N0 N1 N2 KIND
 * KIND says what the instruction is, for what it may cost TCG beyond a
 * plain one (insn_kind()): l a locked read-modify-write (a lock prefix,
 * or xchg with memory), r a string instruction with a rep prefix (counted
 * once per iteration: TCG runs each iteration as one execution), s one
 * that serialises or leaves the translated code for a helper (cpuid,
 * rdtsc, rdtscp, rdmsr, wrmsr, swapgs, syscall, sysret, iret, a move to a
 * control register, invlpg, the fences, pause), b an indirect branch (a
 * return, or a call or jump through a register or memory, as in a
 * retpoline: TCG cannot chain its target, so each one looks the next
 * translated block up, in a per-vCPU cache of recent targets or, on a
 * miss, a hash table), . anything else.
 *
 * lines=FILE (with profile=): also models what two CPUs, one running the
 * sender and one the receiver, would move between their caches: every
 * load and store of the two sides inside the window goes through a
 * two-cache MESI-like state per 64-byte line of guest physical memory
 * (unbounded caches, so only coherence misses count; other tasks' accesses
 * are not modelled). A side's access to a line the other side has written
 * and still holds is a transfer (M, a dirty line moved); a store to a line
 * the other side holds clean is an upgrade (U, the other's copy
 * invalidated). Both are cross-CPU traffic that the instruction count
 * does not see and a multi-CPU run (and real hardware) pays for. Per guest
 * instruction that caused any:
 *	ADDR M0 M1 U0 U1
 * (0 the sender's, 1 the receiver's). One CPU interleaves the two sides
 * by context switches, so a line both touch every message (a lock, a
 * counter) moves once per switch here, not once per message: the stream
 * phase's figure is a floor for such lines, the round trip's (one switch
 * per message) their ceiling.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define KERNEL_START	0xffff800000000000ULL
#define MARK_DISP	0x4b495043U
#define NTASKS		4096	/* open addressing; a bench run has few */

struct task {
	uint64_t key;
	uint64_t user, kernel;
	int side;		/* 0, 1, or 2 before a mark names it */
};

/* One translated block, for the profile. */
struct block {
	uint64_t count[3];
	size_t n;
	uint64_t *vaddr;
	char *kind;
	uint64_t (*lines)[4];	/* lines=: per instruction M0 M1 U0 U1 */
};

static uint64_t n_user, n_kernel;	/* added to inline by every block */
static uint64_t last_user, last_kernel;
static struct task tasks[NTASKS];
static struct task *cur;
static uint64_t nr_switches, nr_marks, nr_lost;
static bool hooked;
static FILE *out;

static FILE *prof;
static unsigned int prof_window;	/* 0: every window */
static bool window_open;
static struct block **blocks;
static size_t nr_blocks, cap_blocks;

/*
 * lines=: one byte of state per 64-byte line of guest physical memory, in
 * chunks (16 KiB for each MiB of guest memory) allocated when first
 * touched: which side's cache holds it (bit 0 the sender's, bit 1 the
 * receiver's) and whether the one that holds it has written it
 * (LINE_DIRTY).
 */
#define LINE_DIRTY	4
#define CHUNK_SHIFT	20
#define NR_CHUNKS	(1U << 20)	/* 1 TiB of guest physical addresses */
static FILE *linesf;
static uint8_t **chunks;

static struct task *task_get(uint64_t key)
{
	size_t i = (size_t)((key >> 6) * 0x9e3779b97f4a7c15ULL >> 52) % NTASKS;
	size_t n;

	for (n = 0; n < NTASKS; n++, i = (i + 1) % NTASKS) {
		if (tasks[i].key == key)
			return &tasks[i];
		if (!tasks[i].key) {
			tasks[i].key = key;
			tasks[i].side = 2;
			return &tasks[i];
		}
	}
	/* Full: count everything else as one unknown task. */
	nr_lost++;
	return &tasks[0];
}

/* The instructions since the last switch or mark are the current task's. */
static void account(void)
{
	cur->user += n_user - last_user;
	cur->kernel += n_kernel - last_kernel;
	last_user = n_user;
	last_kernel = n_kernel;
}

/*
 * The memory callbacks are registered for reads and writes: QEMU 7.2 calls
 * a QEMU_PLUGIN_MEM_R one for some loads only (never for these two).
 */
static void on_switch(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	if (qemu_plugin_mem_is_store(info))
		return;
	account();
	cur = task_get(vaddr);
	nr_switches++;
}

static void on_mark(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	unsigned int data = (unsigned int)(vaddr & 0xffff);
	int side = (data >> 1) & 1;
	bool end = data & 1;

	if (qemu_plugin_mem_is_store(info))
		return;
	account();
	cur->side = side;
	nr_marks++;
	if (out)
		fprintf(out, "mark %u task %#" PRIx64 " user %" PRIu64 " kernel %" PRIu64
			" all_user %" PRIu64 " all_kernel %" PRIu64 "\n",
			data, cur->key, cur->user, cur->kernel, n_user, n_kernel);
	if (side == 1 && (!prof_window || data >> 2 == prof_window))
		window_open = !end;
}

static void on_block(unsigned int vcpu, void *udata)
{
	struct block *b = udata;

	if (window_open)
		b->count[cur->side]++;
}

static uint8_t *line_state(uint64_t pa)
{
	uint64_t c = pa >> CHUNK_SHIFT;

	if (c >= NR_CHUNKS)
		return NULL;
	if (!chunks[c])
		chunks[c] = calloc(1, 1U << (CHUNK_SHIFT - 6));
	if (!chunks[c])
		return NULL;
	return &chunks[c][(pa >> 6) & ((1U << (CHUNK_SHIFT - 6)) - 1)];
}

/*
 * One access of the current side to the line at @pa (see lines= above).
 * A read-modify-write (a locked instruction, or an add to memory) calls
 * back for its load and then its store; a CPU fetches the line for both
 * at once, so the store of the instruction whose load just fetched the
 * line from the other side (@ctr and the line the same) is not counted
 * again as an upgrade.
 */
static void line_access(uint64_t pa, bool store, uint64_t *ctr)
{
	static const uint64_t *last_ctr;
	static uint64_t last_line;
	uint8_t *st = line_state(pa);
	uint8_t me = (uint8_t)(1U << cur->side), other = (uint8_t)(3U & ~me);
	bool rmw = store && ctr == last_ctr && pa >> 6 == last_line;

	last_ctr = NULL;
	if (!st) {
		nr_lost++;
		return;
	}
	if (*st & other) {
		if (*st & LINE_DIRTY) {
			ctr[cur->side]++;		/* M: the other's dirty line */
			if (!store) {
				last_ctr = ctr;
				last_line = pa >> 6;
			}
		} else if (store && !rmw) {
			ctr[2 + cur->side]++;		/* U: the other's clean copy */
		}
	}
	if (store)
		*st = me | LINE_DIRTY;
	else if (*st & other && *st & LINE_DIRTY)
		*st = me | other;			/* both hold it clean now */
	else
		*st |= me;
}

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	struct qemu_plugin_hwaddr *hw;
	uint64_t pa, size;

	if (!window_open || cur->side > 1)
		return;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw || qemu_plugin_hwaddr_is_io(hw))
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	size = 1ULL << qemu_plugin_mem_size_shift(info);
	line_access(pa, qemu_plugin_mem_is_store(info), udata);
	if ((pa & 63) + size > 64)
		line_access(pa + size - 1, qemu_plugin_mem_is_store(info), udata);
}

/* @p, after @prev, is the stack switch of __switch_to_asm (above). */
static bool is_switch_load(const uint8_t *prev, size_t prev_len, const uint8_t *p, size_t len)
{
	static const uint8_t st[] = { 0x48, 0x89, 0xa7 }, ld[] = { 0x48, 0x8b, 0xa6 };

	return prev && prev_len == 7 && len == 7 && !memcmp(prev, st, 3) && !memcmp(p, ld, 3) &&
	       !memcmp(prev + 3, p + 3, 4);
}

static bool is_mark(const uint8_t *p, size_t len)
{
	static const uint8_t m[] = { 0x0f, 0xb6, 0x87, 0x43, 0x50, 0x49, 0x4b };

	return len == sizeof(m) && !memcmp(p, m, sizeof(m));
}

/* The KIND of the x86-64 instruction @p (see the top of this file). */
static char insn_kind(const uint8_t *p, size_t len)
{
	bool lock = false, rep = false;
	size_t i = 0;
	uint8_t op, op2;

	for (; i < len; i++) {		/* legacy prefixes */
		uint8_t b = p[i];

		if (b == 0xf0)
			lock = true;
		else if (b == 0xf2 || b == 0xf3)
			rep = true;
		else if (b != 0x2e && b != 0x36 && b != 0x3e && b != 0x26 && b != 0x64 &&
			 b != 0x65 && b != 0x66 && b != 0x67)
			break;
	}
	if (i < len && (p[i] & 0xf0) == 0x40)	/* REX */
		i++;
	if (i >= len)
		return '.';
	op = p[i];
	if (lock)
		return 'l';
	if ((op == 0x86 || op == 0x87) && i + 1 < len && (p[i + 1] >> 6) != 3)
		return 'l';
	if (rep && ((op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
		    (op >= 0x6c && op <= 0x6f)))
		return 'r';
	if (op == 0x90 && rep)
		return 's';	/* pause */
	if (op == 0xcf)
		return 's';	/* iret */
	if (op == 0xc3 || op == 0xc2)
		return 'b';	/* ret */
	if (op == 0xff && i + 1 < len && ((p[i + 1] >> 3) & 7) >= 2 && ((p[i + 1] >> 3) & 7) <= 5)
		return 'b';	/* call, jmp: indirect, near or far */
	if (op != 0x0f || i + 1 >= len)
		return '.';
	op2 = p[i + 1];
	if (op2 == 0xa2 || op2 == 0x31 || op2 == 0x30 || op2 == 0x32 || op2 == 0x05 ||
	    op2 == 0x07 || op2 == 0x22)
		return 's';	/* cpuid rdtsc wrmsr rdmsr syscall sysret mov-to-cr */
	if (op2 == 0x01 && i + 2 < len &&
	    (p[i + 2] == 0xf8 || p[i + 2] == 0xf9 || ((p[i + 2] >> 3) & 7) == 7))
		return 's';	/* swapgs rdtscp invlpg */
	if (op2 == 0xae && i + 2 < len && (p[i + 2] == 0xe8 || p[i + 2] == 0xf0 ||
					   p[i + 2] == 0xf8))
		return 's';	/* lfence mfence sfence */
	return '.';
}

static void add_block(struct qemu_plugin_tb *tb, size_t n)
{
	struct block *b = calloc(1, sizeof(*b));
	size_t i;

	if (!b || !(b->vaddr = calloc(n, sizeof(*b->vaddr))) || !(b->kind = calloc(n, 1)) ||
	    (linesf && !(b->lines = calloc(n, sizeof(*b->lines))))) {
		if (b) {
			free(b->vaddr);
			free(b->kind);
		}
		free(b);
		nr_lost++;
		return;
	}
	b->n = n;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		b->vaddr[i] = qemu_plugin_insn_vaddr(insn);
		b->kind[i] = insn_kind(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));
		if (linesf)
			qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, b->lines[i]);
	}
	if (nr_blocks == cap_blocks) {
		size_t cap = cap_blocks ? 2 * cap_blocks : 65536;
		struct block **nb = realloc(blocks, cap * sizeof(*nb));

		if (!nb) {
			free(b->vaddr);
			free(b->kind);
			free(b->lines);
			free(b);
			nr_lost++;
			return;
		}
		blocks = nb;
		cap_blocks = cap;
	}
	blocks[nr_blocks++] = b;
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i, prev_len = 0;
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	const uint8_t *prev = NULL;

	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 pc >= KERNEL_START ? &n_kernel : &n_user, n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		const uint8_t *p = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);

		if (va < KERNEL_START) {
			if (is_mark(p, len))
				qemu_plugin_register_vcpu_mem_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
								 QEMU_PLUGIN_MEM_RW, NULL);
		} else if (is_switch_load(prev, prev_len, p, len)) {
			qemu_plugin_register_vcpu_mem_cb(insn, on_switch, QEMU_PLUGIN_CB_NO_REGS,
							 QEMU_PLUGIN_MEM_RW, NULL);
			hooked = true;
		}
		prev = p;
		prev_len = len;
	}
	if (prof)
		add_block(tb, n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sort @nr rows of ADDR and four columns by address and write one line per
 * address with the columns summed over its rows (an address is in every
 * translated block that holds it): with @kind, three counts and the KIND
 * character of column 4 (profile=), else four counts (lines=).
 */
static void write_rows(FILE *f, uint64_t (*rows)[5], size_t nr, bool kind)
{
	size_t i, j, m;

	qsort(rows, nr, sizeof(*rows), cmp_u64);
	for (i = 0; i < nr; i = j) {
		uint64_t s[4] = { 0 };

		for (j = i; j < nr && rows[j][0] == rows[i][0]; j++)
			for (m = 0; m < 4; m++)
				s[m] += rows[j][1 + m];
		fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64, rows[i][0], s[0], s[1], s[2]);
		if (kind)
			fprintf(f, " %c\n", (char)rows[i][4]);
		else
			fprintf(f, " %" PRIu64 "\n", s[3]);
	}
}

/* Per address, the sums over every block that holds it. */
static void write_profile(void)
{
	uint64_t (*rows)[5];
	size_t nr = 0, i, j, k;

	for (i = 0; i < nr_blocks; i++)
		if (blocks[i]->count[0] | blocks[i]->count[1] | blocks[i]->count[2])
			nr += blocks[i]->n;
	rows = calloc(nr ? nr : 1, sizeof(*rows));
	if (!rows) {
		fprintf(prof, "# out of memory\n");
		return;
	}
	for (i = 0, k = 0; i < nr_blocks; i++) {
		const struct block *b = blocks[i];

		if (!(b->count[0] | b->count[1] | b->count[2]))
			continue;
		for (j = 0; j < b->n; j++, k++) {
			rows[k][0] = b->vaddr[j];
			rows[k][1] = b->count[0];
			rows[k][2] = b->count[1];
			rows[k][3] = b->count[2];
			rows[k][4] = (uint64_t)(unsigned char)b->kind[j];
		}
	}
	write_rows(prof, rows, nr, true);
	free(rows);
}

/* lines=: per address, the sums over every block that holds it. */
static void write_lines(void)
{
	uint64_t (*rows)[5];
	size_t nr = 0, i, j, k;

	for (i = 0; i < nr_blocks; i++)
		nr += blocks[i]->n;
	rows = calloc(nr ? nr : 1, sizeof(*rows));
	if (!rows) {
		fprintf(linesf, "# out of memory\n");
		return;
	}
	for (i = 0, k = 0; i < nr_blocks; i++) {
		for (j = 0; j < blocks[i]->n; j++) {
			const uint64_t *l = blocks[i]->lines[j];

			if (!(l[0] | l[1] | l[2] | l[3]))
				continue;
			rows[k][0] = blocks[i]->vaddr[j];
			memcpy(&rows[k][1], l, 4 * sizeof(*l));
			k++;
		}
	}
	write_rows(linesf, rows, k, false);
	free(rows);
}

static void plugin_exit(qemu_plugin_id_t id, void *p)
{
	account();
	if (out) {
		fprintf(out, "end switches %" PRIu64 " marks %" PRIu64 " hooked %d lost %" PRIu64
			" user %" PRIu64 " kernel %" PRIu64 "\n",
			nr_switches, nr_marks, hooked, nr_lost, n_user, n_kernel);
		fclose(out);
	}
	if (prof) {
		write_profile();
		fclose(prof);
	}
	if (linesf) {
		write_lines();
		fclose(linesf);
	}
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	if (!info->system_emulation || info->system.smp_vcpus != 1) {
		fprintf(stderr, "kipc-icount: wants system emulation with one vCPU (-smp 1)\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "out=", 4)) {
			out = fopen(a + 4, "w");
			if (!out) {
				perror(a + 4);
				return -1;
			}
			setvbuf(out, NULL, _IOLBF, 0);
		} else if (!strncmp(a, "window=", 7)) {
			prof_window = (unsigned int)strtoul(a + 7, NULL, 10) & 0x3fff;
		} else if (!strncmp(a, "profile=", 8)) {
			prof = fopen(a + 8, "w");
			if (!prof) {
				perror(a + 8);
				return -1;
			}
		} else if (!strncmp(a, "lines=", 6)) {
			linesf = fopen(a + 6, "w");
			chunks = calloc(NR_CHUNKS, sizeof(*chunks));
			if (!linesf || !chunks) {
				perror(a + 6);
				return -1;
			}
		} else {
			fprintf(stderr, "kipc-icount: unknown argument '%s' (out=FILE profile=FILE window=N lines=FILE)\n", a);
			return -1;
		}
	}
	if (linesf && !prof) {
		fprintf(stderr, "kipc-icount: lines= needs profile=\n");
		return -1;
	}
	cur = task_get(1);	/* whatever runs before the first switch */
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, plugin_exit, NULL);
	return 0;
}
