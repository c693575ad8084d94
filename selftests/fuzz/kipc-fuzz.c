// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: a seeded, reproducible random driver of the whole /dev/kipc
 * syscall surface.
 *
 * Each worker process (--procs) runs a random sequence of calls drawn from
 * its own seed (derived from --seed): open/close/dup of /dev/kipc and
 * object fds, every ioctl with random sizes, flags, reserved fields and
 * pointers, read/write/readv/writev/preadv2/pwritev2, poll, mmap, munmap,
 * mprotect, mremap and plain loads and stores on region mappings,
 * reference sends with random ranges, RLIMIT_NOFILE squeezes (so fd
 * allocation fails inside the module), fork, and SIGKILL of the forked
 * children mid-call. Object names come from a small pool shared by all
 * workers, so opens, creates and unlinks race.
 *
 * What is checked:
 *  - every result is success or an errno the ABI header's errno contract
 *    documents for that call on that kind of fd (the op table,
 *    optable.h, whose ioctl rows are the header's "Errors:" lines; EINTR,
 *    ENOMEM, EMFILE and ENFILE are accepted everywhere; ENOTTY from an
 *    ioctl only on another kind of fd, or from a module whose
 *    KIPC_IOC_VERSION features lack the ioctl's KIPC_FEAT_* bit);
 *  - where one defect is injected into an otherwise valid call (short
 *    size, non-zero tail, unknown flag, non-zero reserved field, bad
 *    value, bad name, bad pointer) the exact errno the contract names;
 *  - "nothing consumed, nothing queued" on failure, and exactly one
 *    message sent or received on success, on anonymous channels that only
 *    this process holds (their sent/received/nr_msgs counters cannot be
 *    moved by anyone else);
 *  - the content of every received message the fuzzer sent (a header
 *    with a seed, and a body generated from it);
 *  - batches (SEND_BATCH, RECV_BATCH): a bad first entry is the call's
 *    errno (for a receive, before any wait), a bad later one only makes
 *    the count short; the count is exact on private channels, and a
 *    private batch never says EAGAIN with room or messages to move;
 *  - packed batches (SEND_PACKED, RECV_PACKED): the same for their
 *    records (a bad first record is the call's errno, a later one makes
 *    the count short); every received record lies whole within the room,
 *    its padding is zero, it carries no handles and holds what was sent;
 *    a first message that does not fit is EMSGSIZE with its info at the
 *    buffer (untouched when the room is less than an info);
 *  - reference receives: the fd fast path, range and region id;
 *  - listings (KIPC_IOC_LIST): at most @max_entries entries, in ascending
 *    id order from @start_id, nothing written past them, a @next_id past
 *    the last one, and a walk page by page lists every object the worker
 *    holds exactly once;
 *  - region mappings: loads and stores on pages known to be mapped never
 *    fault, a load past the region's end (after mremap) gets SIGBUS;
 *  - the ABI 2 edges: a @size above a page is E2BIG whatever follows
 *    the struct (a zero tail, an unmapped page); a deadline past 2^63 ns
 *    is no timeout (never ETIMEDOUT); a reference longer than the
 *    channel's max_msg_size is EMSGSIZE, nothing queued; a reference the
 *    receiver may not read (mode bits, with the DAC capabilities dropped)
 *    is EACCES on every receive and stays queued, and KIPC_XFER_DISCARD
 *    drops it; a discard never needs a buffer, and on private channels it
 *    always takes a queued message and counts in @discarded, not in
 *    @received (every other call leaves @discarded alone);
 *  - no SIGPIPE, no fd the fuzzer did not ask for, no worker stuck;
 *  - at the end, with every fd closed and every pool name unlinked, the
 *    module's counters (KIPC_IOC_STAT) are back at their start values.
 *
 * Memory safety of the fuzzer itself: the kernel only gets pointers from
 * a fixed menu (valid buffers with lengths that fit them, NULL, addresses
 * that can never be mapped, a PROT_NONE guard page, a read-only alias of
 * a scratch page, or a range that runs into the guard page), so a wrong
 * kernel write cannot corrupt the fuzzer's own state.
 *
 * Built with gcc -m32 (selftests/fuzz/kipc-fuzz-m32) it drives the compat ioctl
 * path: 32-bit iovecs and pointers in the same structs.
 *
 * Reproducing: the seed is always printed. The sequence of calls each
 * worker makes is a function of the seed alone; results that depend on
 * timing (other workers, the moment a child is killed) may differ between
 * runs, so reproduce with the same --procs (or --procs 1 to take the
 * races out) and use --trace to see every call.
 *
 * The calls, their sizes and their errno contract are one table,
 * optable.h; fuzz.h says which file holds what.
 */
#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* options */

struct options opt = {
	.procs = 2,
	.names = 6,
	.leak_check = true,
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [OPTIONS]\n"
"\n"
"Seeded random driver of the kipc syscall surface (/dev/kipc must exist;\n"
"run it in the test VM). Checks every result against the errno contract\n"
"of <linux/kipc.h>, message contents, nothing lost or queued by failed\n"
"calls, mapping faults, and that the module's counters return to their\n"
"start values once everything is closed and unlinked.\n"
"\n"
"Options:\n"
"  --seed S         main seed (default: from the clock; always printed)\n"
"  --iterations N   stop after N calls in all (default 100000 unless\n"
"                   --seconds is given)\n"
"  --seconds S      stop after S seconds (whichever of the two comes first)\n"
"  --procs P        worker processes, 1..%d (default 2); worker i's seed is\n"
"                   derived from the main seed and i\n"
"  --progress N     print a progress line every N calls (default 100000,\n"
"                   10000 with --quick)\n"
"  --names N        size of the shared name pool, 1..%d (default 6)\n"
"  --quick          a short run: --iterations 200000 --seconds 40 (whichever\n"
"                   ends first; under a minute in the TCG test VM)\n"
"  --trace          print every call to stderr (slow; for reproducing)\n"
"  --no-leak-check  skip the KIPC_IOC_STAT comparison at the end (when\n"
"                   something else uses kipc at the same time)\n"
"  --errno-table    print the errno contract the fuzzer holds each ioctl to\n"
"                   (\"KIPC_IOC_<NAME> ERRNO...\" a line, then \"* ERRNO...\":\n"
"                   what any ioctl may give besides) and exit; it needs no\n"
"                   /dev/kipc (scripts/test-errno-contract reads it)\n"
"  --avoid WHAT     stay clear of a known bug while its fix is pending, to\n"
"                   look for others; WHAT: recv-ro-arg (KIPC_IOC_RECV with\n"
"                   a read-only struct consumes the message, then EFAULT)\n"
"  -h, --help       this help\n"
"\n"
"Built with gcc -m32 (kipc-fuzz-m32) it drives the kernel's compat ioctl\n"
"path: the same structs, with 32-bit iovecs and pointers.\n"
"\n"
"Output: a progress line every N calls, a per-call table, and one last line\n"
"  " PROG ": seed=S calls=N errors=E unexpected=U violations=V leaks=L crashes=C ...\n"
"(errors: calls that returned an allowed errno; unexpected: an errno the\n"
"contract does not document for that call; violations: other broken\n"
"promises, details printed as they happen).\n"
"\n"
"Exit status: 0 clean, 1 something found, 2 usage, 3 could not run.\n",
		MAX_PROCS, MAX_NAMES);
}

/* ---- the driver ---- */

static uint64_t budget;		/* this worker's share of --iterations */
static uint64_t deadline;	/* CLOCK_MONOTONIC ns, 0 = none */
static unsigned int weight_total;	/* of fuzz_ops[] */

static bool out_of_budget(void)
{
	if (budget && __atomic_load_n(&sh->w[me].calls, __ATOMIC_RELAXED) >= budget)
		return true;
	return deadline && now_ns() >= deadline;
}

void run_ops(int n, bool may_fork)
{
	int i;

	for (i = 0; n < 0 || i < n; i++) {
		uint64_t x;
		int op;

		if (out_of_budget())
			return;
		if (may_fork && chance(1) && chance(50)) {
			op_fork();
			continue;
		}
		x = below(weight_total);
		for (op = 0; x >= fuzz_ops[op].weight; op++)
			x -= fuzz_ops[op].weight;
		chaos = false;
		defect_name = "none";
		fuzz_ops[op].fn();
	}
}

/* ------------------------------------------------------------------ */
/* workers */

static void on_alarm(int sig)
{
	(void)sig;
}

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipe_seen = 1;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (fault_expected) {
		fault_expected = 0;
		siglongjmp(fault_jmp, sig);
	}
	/* Not async-signal-safe, but this process is about to exit anyway. */
	add(&sh->w[me].crashes, 1);
	violation("unexpected signal %d (code %d) at %p during %s%s (a touch of %p)", sig,
		  si->si_code, si->si_addr, desc, fault_addr ? "" : " (no touch)",
		  (void *)fault_addr);
	_exit(EXIT_FAULT);
}

static int install_handlers(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_alarm;	/* no SA_RESTART: blocked calls end in EINTR */
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	sa.sa_handler = on_sigpipe;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -1;
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return -1;
	return 0;
}

/* The open fds of this process, as a bitmap over 0..1023. */
static void list_fds(uint8_t *set, int *dirfd_out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	memset(set, 0, 1024);
	if (!d)
		return;
	*dirfd_out = dirfd(d);
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd >= 0 && fd < 1024)
			set[fd] = 1;
	}
	closedir(d);
}

static void worker(int idx, uint64_t seed)
{
	uint8_t before[1024], after[1024];
	int i, dfd = -1, dfd2 = -1;

	me = idx;
	rng_seed(&R, seed);
	sh->w[me].pid = getpid();
	if (install_handlers() || scratch_init(&s_arg, (size_t)pg) ||
	    scratch_init(&s_iov, (size_t)pg) || scratch_init(&s_name, (size_t)pg) ||
	    scratch_init(&s_data, DATA_LEN) ||
	    scratch_init(&s_ent, MAX_BATCH * (size_t)pg) ||
	    scratch_init(&s_list, LIST_PAGES * (size_t)pg)) {
		event("SETUP", "worker setup failed: %s", strerror(errno));
		_exit(EXIT_ENV);
	}
	getrlimit(RLIMIT_NOFILE, &rl_orig);
	other_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	list_fds(before, &dfd);
	if (dfd >= 0)
		before[dfd] = 0;

	run_ops(-1, true);

	/* Everything this worker holds goes; then nothing may be left. */
	setrlimit(RLIMIT_NOFILE, &rl_orig);
	while (nslots)
		do_close(nslots - 1);
	while (nmaps)
		unmap_all(nmaps - 1);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	list_fds(after, &dfd2);
	if (dfd2 >= 0)
		after[dfd2] = 0;
	for (i = 0; i < 1024; i++) {
		char path[64], target[256] = "";
		ssize_t n;

		if (!after[i] || before[i])
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		violation("fd %d (%s) is open but the fuzzer never got it from a call", i, target);
	}
	sh->w[me].finished = 1;
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* main */

static uint64_t read_param(const char *name, uint64_t def)
{
	char path[128], buf[64];
	uint64_t v = def;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return def;
	if (fgets(buf, sizeof(buf), f))
		v = strtoull(buf, NULL, 0);
	fclose(f);
	return v ? v : def;
}

static int global_stat(struct kipc_global_stat *st)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	r = ioctl(fd, KIPC_IOC_STAT, st);
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

/* KIPC_IOC_VERSION's features (0 if it fails: the workers will say why). */
static uint64_t module_features(void)
{
	struct kipc_version v = { .size = sizeof(v) };
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, KIPC_IOC_VERSION, &v))
		v.features = 0;
	close(fd);
	return v.features;
}

/* Whether capability @cap is in this process's effective set. */
static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, c))
		return false;
	return c[cap / 32].effective & (1u << (cap % 32));
}

static bool stat_equal(const struct kipc_global_stat *a, const struct kipc_global_stat *b)
{
	return a->nr_chans == b->nr_chans && a->nr_regions == b->nr_regions &&
	       a->nr_msgs == b->nr_msgs && a->bytes_queued == b->bytes_queued &&
	       a->region_bytes == b->region_bytes;
}

static void unlink_all(void)
{
	int fd = open("/dev/kipc", O_RDWR | O_CLOEXEC), i, t;

	if (fd < 0)
		return;
	for (t = KIPC_OBJ_CHAN; t <= KIPC_OBJ_REGION; t++) {
		for (i = 0; i <= opt.names; i++) {
			struct kipc_unlink u = {
				.size = sizeof(u), .type = (uint32_t)t,
				.name = (uintptr_t)(i < opt.names ? names[i] : long_name),
			};

			ioctl(fd, KIPC_IOC_UNLINK, &u);
		}
	}
	close(fd);
}

static uint64_t sum(size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < opt.procs; i++)
		s += *(uint64_t *)((char *)&sh->w[i] + off);
	return s;
}

#define SUM(field) sum(offsetof(struct wstat, field))

static void print_table(void)
{
	int op, i, e;

	printf("%-14s %10s %10s  errors (most frequent first)\n", "call", "calls", "ok");
	for (op = 0; op < NOPS; op++) {
		uint64_t calls = 0, ok = 0, errs[NERRNO] = { 0 };
		char line[256];
		int n = 0, shown;

		for (i = 0; i < opt.procs; i++) {
			calls += sh->w[i].op_calls[op];
			ok += sh->w[i].op_ok[op];
			for (e = 0; e < NERRNO; e++)
				errs[e] += sh->w[i].op_err[op][e];
		}
		if (!calls)
			continue;
		line[0] = 0;
		for (shown = 0; shown < 6; shown++) {
			int best = -1;

			for (e = 0; e < NERRNO; e++)
				if (errs[e] && (best < 0 || errs[e] > errs[best]))
					best = e;
			if (best < 0)
				break;
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s=%" PRIu64,
				      shown ? " " : "", best ? ename(best) : "other", errs[best]);
			errs[best] = 0;
		}
		printf("%-14s %10" PRIu64 " %10" PRIu64 "  %s\n", fuzz_ops[op].name, calls, ok, line);
	}
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -1 : 0;
}

/*
 * Options into opt. Returns 0 to run, 1 when done (--help,
 * --errno-table), or -1 for a usage error.
 */
static int parse_options(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "procs", required_argument, NULL, 'p' },
		{ "progress", required_argument, NULL, 'P' },
		{ "names", required_argument, NULL, 'N' },
		{ "quick", no_argument, NULL, 'q' },
		{ "trace", no_argument, NULL, 'T' },
		{ "no-leak-check", no_argument, NULL, 'L' },
		{ "avoid", required_argument, NULL, 'A' },
		{ "errno-table", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_seed = false, quick = false, have_iter = false;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_u64(optarg, &opt.seed))
				return -1;
			have_seed = true;
			break;
		case 'n':
			if (parse_u64(optarg, &opt.iterations))
				return -1;
			have_iter = true;
			break;
		case 't':
			opt.seconds = strtod(optarg, NULL);
			if (opt.seconds <= 0)
				return -1;
			break;
		case 'p':
			if (parse_u64(optarg, &v) || !v || v > MAX_PROCS)
				return -1;
			opt.procs = (int)v;
			break;
		case 'P':
			if (parse_u64(optarg, &opt.progress) || !opt.progress)
				return -1;
			break;
		case 'N':
			if (parse_u64(optarg, &v) || !v || v > MAX_NAMES)
				return -1;
			opt.names = (int)v;
			break;
		case 'q':
			quick = true;
			break;
		case 'T':
			opt.trace = true;
			break;
		case 'L':
			opt.leak_check = false;
			break;
		case 'A':
			if (strcmp(optarg, "recv-ro-arg"))
				return -1;
			opt.avoid_recv_ro = true;
			break;
		case 'E':
			print_errno_table(stdout);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	if (optind != argc)
		return -1;
	if (quick) {
		if (!have_iter)
			opt.iterations = 200000;
		if (!opt.seconds)
			opt.seconds = 40;
		if (!opt.progress)
			opt.progress = 10000;
	}
	if (!have_iter && !opt.seconds)
		opt.iterations = 100000;
	if (!opt.progress)
		opt.progress = 100000;
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^
			   ((uint64_t)getpid() << 32);
		opt.seed %= 1000000000000ull;	/* short enough to retype */
	}
	return 0;
}

static void print_start(void)
{
	printf(PROG ": seed=%" PRIu64 " procs=%d iterations=%" PRIu64 " seconds=%g abi=%zu-bit\n",
	       opt.seed, opt.procs, opt.iterations, opt.seconds, sizeof(void *) * 8);
	printf(PROG ": reproduce with: " PROG " --seed %" PRIu64 " --procs %d", opt.seed,
	       opt.procs);
	if (opt.iterations)
		printf(" --iterations %" PRIu64, opt.iterations);
	if (opt.seconds)
		printf(" --seconds %g", opt.seconds);
	if (opt.avoid_recv_ro)
		printf(" --avoid recv-ro-arg");
	printf("\n");
}

/*
 * The module's counters at the start (@base), its features and limits,
 * the state shared with the workers, the name pool, the menu's weight.
 * Returns 0 or EXIT_ENV.
 */
static int set_up(struct kipc_global_stat *base)
{
	int rc = global_stat(base), i;
	size_t j;

	if (rc) {
		fprintf(stderr, PROG ": cannot use /dev/kipc: %s (is kipc.ko loaded?)\n",
			strerror(-rc));
		return EXIT_ENV;
	}
	features = module_features();
	sees_all = has_cap(CAP_SYS_ADMIN);
	lim.max_msgs = read_param("max_msgs", lim.max_msgs);
	lim.max_msg_size = read_param("max_msg_size", lim.max_msg_size);
	lim.max_region_bytes = read_param("max_region_bytes", lim.max_region_bytes);
	lim.default_msg_size = read_param("default_msg_size", lim.default_msg_size);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror(PROG ": mmap");
		return EXIT_ENV;
	}
	for (i = 0; i < opt.names; i++)
		snprintf(names[i], sizeof(names[i]), "kf%d-%d", getpid(), i);
	j = (size_t)snprintf(long_name, sizeof(long_name), "kf%d-", getpid());
	memset(long_name + j, 'L', KIPC_NAME_MAX - 1 - j);
	long_name[KIPC_NAME_MAX - 1] = 0;
	for (i = 0; i < NOPS; i++)
		weight_total += fuzz_ops[i].weight;
	return 0;
}

/* Fork the workers, each with its share of --iterations. Returns 0 or EXIT_ENV. */
static int start_workers(pid_t *pids, uint64_t t0)
{
	int i;

	if (opt.seconds)
		deadline = t0 + (uint64_t)(opt.seconds * 1e9);
	for (i = 0; i < opt.procs; i++) {
		budget = opt.iterations ? opt.iterations / (uint64_t)opt.procs +
				      ((uint64_t)i < opt.iterations % (uint64_t)opt.procs) : 0;
		pids[i] = fork();
		if (pids[i] < 0) {
			perror(PROG ": fork");
			return EXIT_ENV;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			worker(i, derive_seed(opt.seed, (uint64_t)i));
		}
	}
	return 0;
}

/* Worker @i ended with @status: a crash unless it exited 0. */
static void worker_ended(int i, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	me = i;
	add(&sh->w[i].crashes, 1);
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAULT))
		violation("worker %d ended with %s %d", i, WIFEXITED(status) ? "status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * Wait for the workers: a progress line every --progress calls, and a
 * worker that makes no call for 90 s is reported with its kernel stack
 * and killed.
 */
static void supervise(pid_t *pids, uint64_t t0)
{
	uint64_t next_progress = opt.progress, total, last_total = 0, last_change = now_ns();
	int i, alive, status;
	double secs;

	for (alive = opt.procs; alive > 0;) {
		pid_t w = waitpid(-1, &status, WNOHANG);

		if (w > 0) {
			for (i = 0; i < opt.procs; i++) {
				if (pids[i] != w)
					continue;
				pids[i] = 0;
				alive--;
				worker_ended(i, status);
				break;
			}
			continue;
		}
		usleep(100000);
		total = SUM(calls);
		if (total != last_total) {
			last_total = total;
			last_change = now_ns();
		} else if (now_ns() - last_change > 90000000000ull) {
			for (i = 0; i < opt.procs; i++) {
				if (pids[i] > 0) {
					me = i;
					report_stuck(pids[i], "worker");
				}
			}
			last_change = now_ns();
		}
		while (total >= next_progress) {
			secs = (double)(now_ns() - t0) / 1e9;
			printf(PROG ": progress calls=%" PRIu64 " errors=%" PRIu64 " unexpected=%" PRIu64
			       " violations=%" PRIu64 " elapsed=%.1fs rate=%.0f/s\n", total,
			       SUM(errors), SUM(unexpected), SUM(violations), secs,
			       secs > 0 ? (double)total / secs : 0.0);
			next_progress += opt.progress;
		}
	}
}

/*
 * Every fd is closed (the workers exited); with the names dropped, the
 * module's counters must be back at @base. Returns 1 for a leak.
 */
static int leak_check(const struct kipc_global_stat *base)
{
	uint64_t until = now_ns() + 5000000000ull;
	struct kipc_global_stat end;

	unlink_all();
	if (!opt.leak_check)
		return 0;
	do {
		if (global_stat(&end))
			break;
		if (stat_equal(base, &end))
			break;
		usleep(50000);
	} while (now_ns() < until);
	if (!stat_equal(base, &end)) {
		fprintf(stderr, PROG ": LEAK: module counters did not return to their start values:"
			" nr_chans %u->%u nr_regions %u->%u nr_msgs %llu->%llu"
			" bytes_queued %llu->%llu region_bytes %llu->%llu\n",
			base->nr_chans, end.nr_chans, base->nr_regions, end.nr_regions,
			(unsigned long long)base->nr_msgs, (unsigned long long)end.nr_msgs,
			(unsigned long long)base->bytes_queued,
			(unsigned long long)end.bytes_queued,
			(unsigned long long)base->region_bytes,
			(unsigned long long)end.region_bytes);
		return 1;
	}
	printf(PROG ": leak check: module counters back to nr_chans=%u nr_regions=%u"
	       " nr_msgs=%llu bytes_queued=%llu region_bytes=%llu\n",
	       end.nr_chans, end.nr_regions, (unsigned long long)end.nr_msgs,
	       (unsigned long long)end.bytes_queued, (unsigned long long)end.region_bytes);
	return 0;
}

/* The per-call table, the problem reports and the last line; the exit status. */
static int report(double secs, int leaks)
{
	uint64_t total = SUM(calls);
	size_t j;

	print_table();
	if (sh->nev) {
		printf(PROG ": %u problem report(s)%s:\n", sh->nev,
		       sh->nev > MAX_EVENTS ? " (first ones)" : "");
		for (j = 0; j < sh->nev && j < MAX_EVENTS; j++)
			printf("  %s\n", sh->ev[j]);
	}
	printf(PROG ": seed=%" PRIu64 " calls=%" PRIu64 " errors=%" PRIu64 " unexpected=%" PRIu64
	       " violations=%" PRIu64 " leaks=%d crashes=%" PRIu64 " procs=%d seconds=%.1f"
	       " calls_per_sec=%.0f msgs_checked=%" PRIu64 " touches=%" PRIu64
	       " sigbus_expected=%" PRIu64 " forks=%" PRIu64 " kills=%" PRIu64 "\n",
	       opt.seed, total, SUM(errors), SUM(unexpected), SUM(violations), leaks,
	       SUM(crashes), opt.procs, secs, secs > 0 ? (double)total / secs : 0.0,
	       SUM(msgs_checked), SUM(touches), SUM(sigbus_expected), SUM(forks), SUM(kills));
	return SUM(unexpected) || SUM(violations) || SUM(crashes) || leaks ? EXIT_FOUND : 0;
}

int main(int argc, char **argv)
{
	struct kipc_global_stat base;
	pid_t pids[MAX_PROCS];
	uint64_t t0;
	double secs;
	int rc;

	rc = parse_options(argc, argv);
	if (rc) {
		if (rc < 0)
			usage(stderr);
		return rc < 0 ? EXIT_USAGE : 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	print_start();
	rc = set_up(&base);
	if (rc)
		return rc;
	t0 = now_ns();
	rc = start_workers(pids, t0);
	if (rc)
		return rc;
	supervise(pids, t0);
	secs = (double)(now_ns() - t0) / 1e9;
	return report(secs, leak_check(&base));
}
