// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: in-kernel copying (kipc channels), zero-copy mapped memory
 * (kipc regions, reference handoff) and the standard Linux IPC, side by
 * side in one run.
 *
 * For every transport and message size, a producer and a consumer process
 * (pinned to two CPUs) measure the round-trip latency (ping-pong, p50 and
 * p99) and the streaming rate with a window of messages in flight, plus
 * the CPU time both spend per message. Every sender writes every byte of
 * every message and every receiver checks every byte. The same run
 * measures the floors (memcpy and memory-read bandwidth, a cache-line
 * round trip between the CPUs, a trivial system call) and how kipc
 * channels scale (1..10,000 active channels, the cost of opening the Nth
 * channel, kernel memory per idle channel), and ONC RPC round trips over
 * kipc against AF_LOCAL, TCP and UDP. Output: a table (with the ratios to
 * pipe and to the floors as the headline), CSV and JSON.
 *
 * Source layout (tools/bench/): runner.c runs one cell in two processes,
 * xport_kipc.c, xport_uring.c, xport_batch.c, xport_packed.c, xport_std.c and
 * xport_handles.c (a message carrying an fd: kipc against SCM_RIGHTS) are
 * the transports, floors.c, scale.c and xport_rpc.c the other measurements,
 * report.c the output, pattern.c the payload.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#include "bench/bench.h"

const struct xport *const bench_xports[] = {
	&xp_kipc_chan, &xp_kipc_uring, &xp_kipc_batch, &xp_kipc_uring_batch,
	&xp_kipc_packed, &xp_kipc_uring_packed,
	&xp_kipc_ref, &xp_kipc_sem, &xp_kipc_spin,
	&xp_pipe, &xp_unix_stream, &xp_unix_seqpacket, &xp_posix_mq,
	&xp_sysv_msg, &xp_eventfd, &xp_tcp, &xp_pvm_readv,
	&xp_kipc_fd, &xp_unix_scm_fd,
};
const int bench_nxports = sizeof(bench_xports) / sizeof(bench_xports[0]);
bool xp_selected[sizeof(bench_xports) / sizeof(bench_xports[0])];

struct bench_opts opt = {
	.pin = true,
	.floors = true,
	.scale = true,
	.rpc = true,
	.open_chans = 10000,
	.pipe_size = MIB,
	.cpu_a = -1,
	.cpu_b = -1,
	.phase = -1,
};

/* Exit codes */
#define EXIT_FAILED	1	/* a cell failed or moved wrong data */
#define EXIT_USAGE	2
#define EXIT_NOKIPC	3	/* /dev/kipc missing: kipc transports not measured */

static void usage(FILE *f)
{
	fprintf(f,
"usage: kipc-bench [OPTIONS]\n"
"\n"
"Measures kipc channels (copy), kipc reference handoff (zero copy), rings in\n"
"kipc regions and the standard Linux IPC side by side: round-trip latency\n"
"p50/p99, streaming msg/s and GB/s, CPU time per message, for sizes from 8 B\n"
"to 64 MiB, plus floors (memcpy, memory read, cache-line round trip, syscall)\n"
"and channel scaling, and ONC RPC round trips (null procedure, 4 KiB argument)\n"
"over kipc, AF_LOCAL, TCP and UDP. Producer and consumer are two processes\n"
"pinned to two CPUs; every receiver checks every byte. Needs /dev/kipc (insmod\n"
"kipc.ko; max_msg_size=67108864 for 64 MiB channel messages). Progress goes to\n"
"stderr, the table to stdout. Under emulation (QEMU TCG) absolute times are\n"
"distorted: compare the ratios.\n"
"\n"
"Options:\n"
"  --quick             sizes 64 B, 4 KiB, 1 MiB and short cells (under a minute\n"
"                      in the test VM)\n"
"  --check             correctness only: fixed message counts on every transport\n"
"                      (each ring wrapped twice), no timing, TAP lines; exit 1 if\n"
"                      any transport moved wrong data or failed\n"
"  --sizes LIST        message sizes, e.g. 64,4k,1M (default: 8 B and every\n"
"                      power of 4 from 64 B to 64 MiB)\n"
"  --transports LIST   transports to run (default all; see --list); the kipc-\n"
"                      prefix may be left out (uring-packed: kipc-uring-packed)\n"
"  --list              list the transports and exit\n"
"  --time SEC          measuring time per cell, phase and pass (default 0.25,\n"
"                      quick 0.1)\n"
"  --phase P           rtt or stream: run only that phase of each cell (the\n"
"                      other is n/a), e.g. to profile one from the host\n"
"  --passes N          interleaved passes over all cells; the best pass of each\n"
"                      cell counts (default 4, quick 2; cells that take over\n"
"                      2x --time run once). Filters out a busy host's stalls\n"
"  --no-floors         skip the floors\n"
"  --no-scale          skip the channel scale tests\n"
"  --no-rpc            skip the RPC rows (rpc-kipc, rpc-unix, rpc-tcp, rpc-udp;\n"
"                      --transports may also name them)\n"
"  --rpc-two-cpus      RPC client and server on two CPUs like the other cells\n"
"                      (default: both on one, as a wake-up across vCPUs under\n"
"                      TCG costs milliseconds and swamps the transports)\n"
"  --scale-chans LIST  channel counts for the round-robin rate (default\n"
"                      1,100,1000,10000; --check: 1,100)\n"
"  --open-chans N      channels opened for the open-cost and memory test\n"
"                      (default 10000; 0 to skip)\n"
"  --pipe-size BYTES   F_SETPIPE_SZ for pipes (default 1M, the unprivileged\n"
"                      maximum; 0 keeps the 64 KiB default)\n"
"  --raise-limits      as root, raise fs.mqueue.msg_max/msgsize_max and\n"
"                      kernel.msgmax so POSIX and SysV queues can carry the\n"
"                      sizes (meant for the test VM; changes system settings)\n"
"  --clock MODE        auto (default: the TSC when reading CLOCK_MONOTONIC is\n"
"                      slow, as in a guest on an emulated HPET), tsc or mono\n"
"  --no-pin            do not pin the two processes to two CPUs\n"
"  --marks             mark each side's measured part for the cost mode's QEMU\n"
"                      plugin (x86-64; run-bench --mode cost sets it), and\n"
"                      write marks rows to the CSV\n"
"  --csv FILE          write the results as CSV ('-': stdout, between the lines\n"
"                      KIPC_BENCH_CSV_BEGIN and KIPC_BENCH_CSV_END)\n"
"  --json FILE         write the results as JSON ('-': stdout, between\n"
"                      KIPC_BENCH_JSON_BEGIN and KIPC_BENCH_JSON_END)\n"
"  --corrupt-test NAME the sender of transport NAME spoils one byte of message 2\n"
"                      (proves the checker: that transport must fail)\n"
"  -q, --quiet         no progress on stderr\n"
"  -h, --help          this help\n"
"\n"
"Exit status: 0 all measured cells ran and every byte arrived right;\n"
"1 a cell failed or moved wrong data; 2 usage error; 3 /dev/kipc missing\n"
"(kipc transports not measured). n/a cells (a size a transport cannot\n"
"carry) are not failures.\n");
}

static int parse_list(const char *s, size_t *out, int max, bool sizes)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int n = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t v;

		if (n == max || parse_size(tok, &v) || (sizes && (v < 8 || v % 8)) || !v) {
			free(copy);
			return -EINVAL;
		}
		out[n++] = v;
	}
	free(copy);
	return n ? n : -EINVAL;
}

static int select_transports(const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int i;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (rpc_select(tok))
			continue;
		/* "uring-packed" and the like: kipc-uring-packed */
		for (i = 0; i < bench_nxports; i++)
			if (!strcmp(tok, bench_xports[i]->name) ||
			    (!strncmp(bench_xports[i]->name, "kipc-", 5) &&
			     !strcmp(tok, bench_xports[i]->name + 5)))
				break;
		if (i == bench_nxports) {
			fprintf(stderr, "kipc-bench: unknown transport '%s' (see --list)\n", tok);
			free(copy);
			return -EINVAL;
		}
		xp_selected[i] = true;
	}
	free(copy);
	return 0;
}

enum {
	OPT_SIZES = 256, OPT_TRANSPORTS, OPT_TIME, OPT_NO_FLOORS, OPT_NO_SCALE,
	OPT_SCALE_CHANS, OPT_OPEN_CHANS, OPT_PIPE_SIZE, OPT_RAISE, OPT_CLOCK,
	OPT_NO_PIN, OPT_CSV, OPT_JSON, OPT_LIST, OPT_QUICK, OPT_CHECK, OPT_PASSES,
	OPT_CORRUPT, OPT_NO_RPC, OPT_RPC_TWO_CPUS, OPT_MARKS, OPT_PHASE,
};

static const struct option longopts[] = {
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "sizes", required_argument, NULL, OPT_SIZES },
	{ "transports", required_argument, NULL, OPT_TRANSPORTS },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "passes", required_argument, NULL, OPT_PASSES },
	{ "no-floors", no_argument, NULL, OPT_NO_FLOORS },
	{ "no-scale", no_argument, NULL, OPT_NO_SCALE },
	{ "no-rpc", no_argument, NULL, OPT_NO_RPC },
	{ "rpc-two-cpus", no_argument, NULL, OPT_RPC_TWO_CPUS },
	{ "scale-chans", required_argument, NULL, OPT_SCALE_CHANS },
	{ "open-chans", required_argument, NULL, OPT_OPEN_CHANS },
	{ "pipe-size", required_argument, NULL, OPT_PIPE_SIZE },
	{ "raise-limits", no_argument, NULL, OPT_RAISE },
	{ "clock", required_argument, NULL, OPT_CLOCK },
	{ "no-pin", no_argument, NULL, OPT_NO_PIN },
	{ "marks", no_argument, NULL, OPT_MARKS },
	{ "phase", required_argument, NULL, OPT_PHASE },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "corrupt-test", required_argument, NULL, OPT_CORRUPT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *clock_mode = "auto";

static int parse_args(int argc, char **argv)
{
	size_t tmp[BENCH_MAX_SCALE];
	bool sizes_given = false, scale_given = false, time_given = false, any_xp = false;
	char *end;
	int c, n, i;

	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_QUICK: opt.quick = true; break;
		case OPT_CHECK: opt.check = true; break;
		case OPT_SIZES:
			n = parse_list(optarg, opt.sizes, BENCH_MAX_SIZES, true);
			if (n < 0) {
				fprintf(stderr, "kipc-bench: --sizes: want multiples of 8, e.g. 64,4k,1M\n");
				return -1;
			}
			opt.nsizes = n;
			sizes_given = true;
			break;
		case OPT_TRANSPORTS:
			if (select_transports(optarg))
				return -1;
			any_xp = true;
			break;
		case OPT_LIST:
			for (i = 0; i < bench_nxports; i++)
				printf("%-17s %s\n", bench_xports[i]->name, bench_xports[i]->label);
			for (i = 0; i < RPC_NXPORTS; i++)
				printf("%-17s %s\n", rpc_xports[i].name, rpc_xports[i].label);
			exit(0);
		case OPT_TIME:
			opt.budget = strtod(optarg, &end);
			if (*end || opt.budget <= 0 || opt.budget > 600) {
				fprintf(stderr, "kipc-bench: --time wants seconds (0..600]\n");
				return -1;
			}
			time_given = true;
			break;
		case OPT_PASSES:
			opt.passes = (int)strtol(optarg, &end, 10);
			if (*end || opt.passes < 1 || opt.passes > 20) {
				fprintf(stderr, "kipc-bench: --passes wants 1..20\n");
				return -1;
			}
			break;
		case OPT_NO_FLOORS: opt.floors = false; break;
		case OPT_NO_SCALE: opt.scale = false; break;
		case OPT_NO_RPC: opt.rpc = false; break;
		case OPT_RPC_TWO_CPUS: opt.rpc_two_cpus = true; break;
		case OPT_SCALE_CHANS:
			n = parse_list(optarg, tmp, BENCH_MAX_SCALE, false);
			if (n < 0) {
				fprintf(stderr, "kipc-bench: --scale-chans: e.g. 1,100,1000\n");
				return -1;
			}
			for (i = 0; i < n; i++)
				opt.scale_chans[i] = (unsigned int)tmp[i];
			opt.nscale = n;
			scale_given = true;
			break;
		case OPT_OPEN_CHANS:
			opt.open_chans = (unsigned int)strtoul(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "kipc-bench: --open-chans wants a number\n");
				return -1;
			}
			break;
		case OPT_PIPE_SIZE:
			if (parse_size(optarg, &opt.pipe_size)) {
				fprintf(stderr, "kipc-bench: --pipe-size wants bytes (e.g. 1M)\n");
				return -1;
			}
			break;
		case OPT_RAISE: opt.raise_limits = true; break;
		case OPT_MARKS: opt.marks = true; break;
		case OPT_PHASE:
			if (!strcmp(optarg, "rtt")) {
				opt.phase = PH_PINGPONG;
			} else if (!strcmp(optarg, "stream")) {
				opt.phase = PH_STREAM;
			} else {
				fprintf(stderr, "kipc-bench: --phase wants rtt or stream\n");
				return -1;
			}
			break;
		case OPT_CLOCK:
			if (strcmp(optarg, "auto") && strcmp(optarg, "tsc") && strcmp(optarg, "mono")) {
				fprintf(stderr, "kipc-bench: --clock: auto, tsc or mono\n");
				return -1;
			}
			clock_mode = optarg;
			break;
		case OPT_NO_PIN: opt.pin = false; break;
		case OPT_CSV: opt.csv_path = optarg; break;
		case OPT_JSON: opt.json_path = optarg; break;
		case OPT_CORRUPT: opt.corrupt = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kipc-bench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!any_xp) {
		for (i = 0; i < bench_nxports; i++)
			xp_selected[i] = true;
		for (i = 0; i < RPC_NXPORTS; i++)
			rpc_selected[i] = true;
	}
	if (!sizes_given) {
		static const size_t quick[] = { 64, 4 * KIB, MIB };

		if (opt.quick) {
			memcpy(opt.sizes, quick, sizeof(quick));
			opt.nsizes = 3;
		} else {
			opt.sizes[opt.nsizes++] = 8;
			for (size_t s = 64; s <= 64 * MIB; s *= 4)
				opt.sizes[opt.nsizes++] = s;
		}
	}
	if (!time_given)
		opt.budget = opt.quick ? 0.1 : 0.25;
	if (!opt.passes)
		opt.passes = opt.check ? 1 : opt.quick ? 2 : 4;
	if (!scale_given) {
		static const unsigned int full[] = { 1, 100, 1000, 10000 };

		opt.nscale = opt.check ? 2 : 4;
		memcpy(opt.scale_chans, full, sizeof(unsigned int) * (size_t)opt.nscale);
	}
	return 0;
}

/* ---- environment and limits --------------------------------------------- */

static void detect_env(void)
{
	struct utsname u;
	char line[256];
	time_t now = time(NULL);
	cpu_set_t set;
	FILE *f;

	if (!uname(&u))
		snprintf(env.kernel, sizeof(env.kernel), "%.60s %.30s", u.release, u.machine);
	snprintf(env.cpu_model, sizeof(env.cpu_model), "unknown CPU");
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && p) {
			p += 2;
			p[strcspn(p, "\n")] = 0;
			snprintf(env.cpu_model, sizeof(env.cpu_model), "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
	env.emulated = strstr(env.cpu_model, "TCG") != NULL;
	if (!sched_getaffinity(0, sizeof(set), &set))
		env.ncpus = CPU_COUNT(&set);
	strftime(env.when, sizeof(env.when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	env.kipc_loaded = kipc_version(NULL) > 0;
	env.kipc_max_msg_size = read_sysctl("/sys/module/kipc/parameters/max_msg_size");

	/* The first two CPUs we may run on: producer, consumer. */
	if (opt.pin && !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) >= 2) {
		int cpu;

		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &set))
				continue;
			if (opt.cpu_a < 0)
				opt.cpu_a = cpu;
			else if (opt.cpu_b < 0)
				opt.cpu_b = cpu;
		}
	}
}

static void note_limit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note_limit(const char *fmt, ...)
{
	size_t l = strlen(env.limits_note);
	va_list ap;

	if (l && l < sizeof(env.limits_note) - 2) {
		strcat(env.limits_note, "; ");
		l += 2;
	}
	va_start(ap, fmt);
	vsnprintf(env.limits_note + l, sizeof(env.limits_note) - l, fmt, ap);
	va_end(ap);
}

static void raise_one(const char *path, const char *name, long want)
{
	long before = read_sysctl(path);
	int ret;

	if (before < 0 || before >= want)
		return;
	ret = raise_sysctl(path, want);
	if (ret)
		note_limit("%s %ld (could not raise: %s)", name, before, strerror(-ret));
	else
		note_limit("%s %ld -> %ld", name, before, want);
}

static void raise_limits(void)
{
	unsigned int need = opt.open_chans;
	size_t max = 0;
	struct rlimit rl;
	int i;

	for (i = 0; i < opt.nscale; i++)
		if (opt.scale_chans[i] > need)
			need = opt.scale_chans[i];
	need += 256;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < need) {
		if (rl.rlim_max < need && !geteuid())
			rl.rlim_max = need;
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		note_limit("RLIMIT_NOFILE %llu", (unsigned long long)rl.rlim_cur);
	}
	/* POSIX mq memory is charged to RLIMIT_MSGQUEUE (800 KiB by default). */
	if (!getrlimit(RLIMIT_MSGQUEUE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		if (setrlimit(RLIMIT_MSGQUEUE, &rl)) {
			getrlimit(RLIMIT_MSGQUEUE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_MSGQUEUE, &rl);
		} else {
			note_limit("RLIMIT_MSGQUEUE unlimited");
		}
	}
	if (!opt.raise_limits)
		return;
	for (i = 0; i < opt.nsizes; i++)
		if (opt.sizes[i] > max)
			max = opt.sizes[i];
	raise_one("/proc/sys/fs/mqueue/msg_max", "fs.mqueue.msg_max", 64);
	raise_one("/proc/sys/fs/mqueue/msgsize_max", "fs.mqueue.msgsize_max",
		  (long)(max < 16 * MIB ? max : 16 * MIB));
	raise_one("/proc/sys/kernel/msgmax", "kernel.msgmax", (long)max);
}

/* ---- the run ------------------------------------------------------------ */

static void phase_progress(int n, int total, int pass, const struct xport *xp, size_t size,
			   enum bench_phase ph, const struct phase_result *r)
{
	char sz[32], line[512], t1[32], t2[32];
	size_t l;

	if (opt.quiet)
		return;
	snprintf(line, sizeof(line), "[%3d/%d] ", n, total);
	l = strlen(line);
	if (opt.passes > 1)
		snprintf(line + l, sizeof(line) - l, "pass %d/%d ", pass + 1, opt.passes);
	l = strlen(line);
	snprintf(line + l, sizeof(line) - l, "%-17s %-7s %-6s ", xp->name,
		 fmt_size(size, sz, sizeof(sz)), ph == PH_PINGPONG ? "rtt" : "stream");
	l = strlen(line);
	if (r->status != ST_OK)
		snprintf(line + l, sizeof(line) - l, "%s: %s", status_name(r->status), r->why);
	else if (ph == PH_PINGPONG)
		snprintf(line + l, sizeof(line) - l, "p50 %s p99 %s (%llu rounds)",
			 fmt_time(r->p50_ns, t1, sizeof(t1)), fmt_time(r->p99_ns, t2, sizeof(t2)),
			 (unsigned long long)r->count);
	else
		snprintf(line + l, sizeof(line) - l, "%s msg/s %.3g GB/s cpu %s/msg",
			 fmt_rate(r->rate, t1, sizeof(t1)), r->gbps,
			 fmt_time(r->cpu_ns, t2, sizeof(t2)));
	progress("%s", line);
}

static void run_transports(void)
{
	bool floors_on = opt.floors && !opt.check;
	int x, i, ph, pass, n = 0, total = 0;

	if (floors_on)
		progress("floors are measured in every pass, interleaved with the cells (%s)",
			 clock_name());

	for (x = 0; x < bench_nxports; x++)
		total += xp_selected[x] ? 2 * opt.nsizes * opt.passes : 0;
	/*
	 * Interleaved: every transport at one size, then the next size, and
	 * the whole sweep again per pass, so transports compared at a size
	 * share the machine's conditions.
	 */
	for (pass = 0; pass < opt.passes; pass++) {
		if (floors_on)
			floors_scalar(&floors);
		for (i = 0; i < opt.nsizes; i++) {
			if (floors_on)
				floors_mem(&floors, i);
			for (x = 0; x < bench_nxports; x++) {
				const struct xport *xp = bench_xports[x];
				struct cell_result *c = &results[x][i];

				if (!xp_selected[x])
					continue;
				if ((xp->flags & XP_KIPC) && !env.kipc_loaded) {
					c->pp.status = c->st.status = ST_NA;
					snprintf(c->pp.why, sizeof(c->pp.why),
						 "/dev/kipc missing (module not loaded)");
					snprintf(c->st.why, sizeof(c->st.why), "%s", c->pp.why);
					n += 2;
					continue;
				}
				for (ph = PH_PINGPONG; ph <= PH_STREAM; ph++) {
					struct phase_result *best = ph == PH_PINGPONG ? &c->pp : &c->st;
					struct phase_result r;
					unsigned int window;

					n++;
					if (opt.phase >= 0 && ph != opt.phase) {
						best->status = ST_NA;
						snprintf(best->why, sizeof(best->why),
							 "not measured (--phase)");
						continue;
					}
					if (pass && !repeat_pass(best))
						continue;
					run_phase(xp, opt.sizes[i], 1, ph, &r, &window);
					if (ph == PH_STREAM)
						c->window = window;
					phase_progress(n, total, pass, xp, opt.sizes[i], ph, &r);
					merge_pass(best, &r, ph);
				}
			}
		}
	}
}

static int write_output(const char *path, const char *marker, int (*fn)(FILE *))
{
	FILE *f;
	int ret;

	if (!path)
		return 0;
	if (!strcmp(path, "-")) {
		printf("KIPC_BENCH_%s_BEGIN\n", marker);
		ret = fn(stdout);
		printf("KIPC_BENCH_%s_END\n", marker);
		fflush(stdout);
		return ret;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kipc-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = fn(f);
	if (fclose(f))
		ret = -1;
	if (ret)
		fprintf(stderr, "kipc-bench: writing %s failed\n", path);
	return ret;
}

static bool any_failed(void)
{
	int x, i;

	for (x = 0; x < bench_nxports; x++)
		for (i = 0; i < opt.nsizes; i++)
			if (results[x][i].pp.status == ST_FAIL || results[x][i].st.status == ST_FAIL)
				return true;
	for (i = 0; scale.done && i < opt.nscale; i++)
		if (scale.rate[i].status == ST_FAIL)
			return true;
	for (x = 0; rpc_results.done && x < RPC_NXPORTS; x++)
		for (i = 0; i < RPC_NSIZES; i++)
			if (rpc_results.rtt[x][i].status == ST_FAIL)
				return true;
	return false;
}

static bool kipc_selected(void)
{
	int x;

	for (x = 0; x < bench_nxports; x++)
		if (xp_selected[x] && (bench_xports[x]->flags & XP_KIPC))
			return true;
	for (x = 0; opt.rpc && x < RPC_NXPORTS; x++)
		if (rpc_selected[x] && (rpc_xports[x].flags & XP_KIPC))
			return true;
	return opt.scale;
}

int main(int argc, char **argv)
{
	int failed = 0, skipped = 0, passed = 0, rc = 0;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "try 'kipc-bench --help'\n");
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	detect_env();
	raise_limits();
	runner_signals();
	clock_init(clock_mode);
	if (opt.cpu_b >= 0)
		pin_to_cpu(opt.cpu_b);
	if (!env.kipc_loaded && kipc_selected())
		fprintf(stderr, "kipc-bench: warning: /dev/kipc is missing (insmod kipc.ko); kipc transports are n/a\n");

	progress("%s, %d CPU(s), %s%s; %s", env.kernel, env.ncpus, env.cpu_model,
		 env.emulated ? " (emulated: compare ratios, not absolute times)" : "",
		 opt.check ? "check mode (fixed counts, no timing)" : "measuring");
	if (opt.floors && !opt.check && floors_init())
		opt.floors = false;
	run_transports();
	if (opt.floors && !opt.check)
		floors_fini();
	if (opt.scale && env.kipc_loaded)
		run_scale(&scale);
	if (opt.rpc)
		run_rpc(&rpc_results);

	if (opt.check) {
		report_check(stdout, &failed, &skipped, &passed);
		printf("kipc-bench --check: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	} else {
		report_table(stdout);
	}
	if (write_output(opt.csv_path, "CSV", report_csv) ||
	    write_output(opt.json_path, "JSON", report_json))
		rc = EXIT_FAILED;
	if (failed || any_failed())
		rc = EXIT_FAILED;
	else if (!env.kipc_loaded && kipc_selected())
		rc = EXIT_NOKIPC;
	return rc;
}
