// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench output: the human table (matrices of transport x size),
 * the ratios that are the headline (each kipc path against pipe and
 * against its floor), the copy/zero-copy crossover, the RPC rows, the
 * goals of issues 5, 7 and 8, and the same data as CSV and JSON. In --check
 * mode, TAP lines instead.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct bench_env env;
struct cell_result results[32][BENCH_MAX_SIZES];
struct floors floors;
struct scale scale;

const char *status_name(enum bench_status st)
{
	switch (st) {
	case ST_OK: return "ok";
	case ST_NA: return "n/a";
	case ST_FAIL: return "fail";
	default: return "not-run";
	}
}

int size_index(size_t size)
{
	int i;

	for (i = 0; i < opt.nsizes; i++)
		if (opt.sizes[i] == size)
			return i;
	return -1;
}

static int xp_index(const char *name)
{
	int i;

	for (i = 0; i < bench_nxports; i++)
		if (!strcmp(bench_xports[i]->name, name))
			return i;
	return -1;
}

/* The phase result of transport @name at @size, or NULL if not run/ok. */
static const struct phase_result *ok_result(const char *name, size_t size, int phase)
{
	int x = xp_index(name), s = size_index(size);
	const struct phase_result *r;

	if (x < 0 || s < 0)
		return NULL;
	r = phase == PH_PINGPONG ? &results[x][s].pp : &results[x][s].st;
	return r->status == ST_OK ? r : NULL;
}

static double st_gbps(const char *name, size_t size)
{
	const struct phase_result *r = ok_result(name, size, PH_STREAM);

	return r && r->gbps > 0 ? r->gbps : NAN;
}

static double st_rate(const char *name, size_t size)
{
	const struct phase_result *r = ok_result(name, size, PH_STREAM);

	return r && r->rate > 0 ? r->rate : NAN;
}

static double pp_p50(const char *name, size_t size)
{
	const struct phase_result *r = ok_result(name, size, PH_PINGPONG);

	return r && r->p50_ns > 0 ? r->p50_ns : NAN;
}

static double floor_at(const double *v, size_t size)
{
	int s = size_index(size);

	return floors.done && s >= 0 && v[s] > 0 ? v[s] : NAN;
}

/* ---- ratios ---------------------------------------------------------- */

enum ratio_kind { R_GBPS_VS, R_P50_VS, R_GBPS_FLOOR_MEMCPY, R_GBPS_FLOOR_MEMREAD };

struct ratio_def {
	const char *label;	/* row label */
	const char *num, *den;	/* transports (den unused for memory floors) */
	enum ratio_kind kind;
	const char *section;
};

static const struct ratio_def ratio_defs[] = {
	{ "kipc-chan/pipe", "kipc-chan", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-uring/pipe", "kipc-uring", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-batch/pipe", "kipc-batch", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-uring-batch/pipe", "kipc-uring-batch", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-packed/pipe", "kipc-packed", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-uring-packed/pipe", "kipc-uring-packed", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-ref/pipe", "kipc-ref", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-sem/pipe", "kipc-sem", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-spin/pipe", "kipc-spin", "pipe", R_GBPS_VS, "bw" },
	{ "kipc-ref/kipc-chan", "kipc-ref", "kipc-chan", R_GBPS_VS, "bw" },
	{ "kipc-chan/pipe", "kipc-chan", "pipe", R_P50_VS, "rtt" },
	{ "kipc-ref/pipe", "kipc-ref", "pipe", R_P50_VS, "rtt" },
	{ "kipc-sem/pipe", "kipc-sem", "pipe", R_P50_VS, "rtt" },
	{ "kipc-spin/pipe", "kipc-spin", "pipe", R_P50_VS, "rtt" },
	{ "kipc-ref/kipc-chan", "kipc-ref", "kipc-chan", R_P50_VS, "rtt" },
	{ "kipc-chan/memcpy", "kipc-chan", NULL, R_GBPS_FLOOR_MEMCPY, "floor" },
	{ "kipc-ref/memread", "kipc-ref", NULL, R_GBPS_FLOOR_MEMREAD, "floor" },
	{ "kipc-ref/kipc-sem", "kipc-ref", "kipc-sem", R_GBPS_VS, "floor" },
	{ "kipc-sem/kipc-spin", "kipc-sem", "kipc-spin", R_GBPS_VS, "floor" },
	{ "kipc-spin/memread", "kipc-spin", NULL, R_GBPS_FLOOR_MEMREAD, "floor" },
	{ "kipc-chan/spin(rtt)", "kipc-chan", "kipc-spin", R_P50_VS, "floor" },
	{ "kipc-ref/spin(rtt)", "kipc-ref", "kipc-spin", R_P50_VS, "floor" },
	{ "kipc-sem/spin(rtt)", "kipc-sem", "kipc-spin", R_P50_VS, "floor" },
};

#define NRATIOS	(int)(sizeof(ratio_defs) / sizeof(ratio_defs[0]))

/* Are the transports a ratio needs selected? */
static bool ratio_selected(const struct ratio_def *d)
{
	int a = xp_index(d->num), b = d->den ? xp_index(d->den) : a;

	return a >= 0 && b >= 0 && xp_selected[a] && xp_selected[b];
}

static double ratio_value(const struct ratio_def *d, size_t size)
{
	switch (d->kind) {
	case R_GBPS_VS:
		return st_gbps(d->num, size) / st_gbps(d->den, size);
	case R_P50_VS:
		return pp_p50(d->num, size) / pp_p50(d->den, size);
	case R_GBPS_FLOOR_MEMCPY:
		return st_gbps(d->num, size) / floor_at(floors.memcpy_gbps, size);
	case R_GBPS_FLOOR_MEMREAD:
		return st_gbps(d->num, size) / floor_at(floors.memread_gbps, size);
	}
	return NAN;
}

static const char *ratio_metric(const struct ratio_def *d)
{
	switch (d->kind) {
	case R_P50_VS: return "round-trip p50 ratio (lower is better)";
	case R_GBPS_FLOOR_MEMCPY: return "stream GB/s / memcpy floor";
	case R_GBPS_FLOOR_MEMREAD: return "stream GB/s / memory-read floor";
	default: return "stream GB/s ratio (higher is better)";
	}
}

/*
 * Copy/zero-copy crossover: the smallest size from which reference
 * handoff beats the channel at that size and every larger one measured.
 * Returns the size index or -1.
 */
static int crossover(bool rtt)
{
	int i, from = -1;

	for (i = opt.nsizes - 1; i >= 0; i--) {
		size_t s = opt.sizes[i];
		double ref = rtt ? pp_p50("kipc-ref", s) : st_gbps("kipc-ref", s);
		double chan = rtt ? pp_p50("kipc-chan", s) : st_gbps("kipc-chan", s);

		if (isnan(ref) || isnan(chan))
			continue;
		if (rtt ? ref < chan : ref > chan)
			from = i;
		else
			break;
	}
	return from;
}

/* ---- goals (issue 5) ------------------------------------------------- */

struct goal {
	const char *id;
	char text[120];
	double value, target;
	bool le;		/* value <= target is met */
	char note[160];
};

static double scale_rate(unsigned int n)
{
	int i;

	for (i = 0; i < opt.nscale; i++)
		if (opt.scale_chans[i] == n && scale.rate[i].status == ST_OK)
			return scale.rate[i].rate;
	return NAN;
}

/* RPC row @name's round-trip p50 at rpc_sizes[@s] (0: the null call), or NaN. */
static double rpc_p50(const char *name, int s)
{
	int t;

	for (t = 0; rpc_results.done && t < RPC_NXPORTS; t++) {
		const struct phase_result *r = &rpc_results.rtt[t][s];

		if (!strcmp(rpc_xports[t].name, name))
			return r->status == ST_OK && r->p50_ns > 0 ? r->p50_ns : NAN;
	}
	return NAN;
}

static void goal(struct goal *g, int *n, const char *id, double value, double target,
		 bool le, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void goal(struct goal *g, int *n, const char *id, double value, double target,
		 bool le, const char *fmt, ...)
{
	va_list ap;

	g[*n].id = id;
	g[*n].value = value;
	g[*n].target = target;
	g[*n].le = le;
	g[*n].note[0] = 0;
	va_start(ap, fmt);
	vsnprintf(g[*n].text, sizeof(g[*n].text), fmt, ap);
	va_end(ap);
	(*n)++;
}

static int compute_goals(struct goal *g)
{
	static const struct { const char *id, *xp, *how; } g8[] = {
		{ "8a", "kipc-uring", "IORING_OP_READ/WRITE x32" },
		{ "8b", "kipc-uring-batch", "URING_CMD batch of 32" },
	};
	int n = 0, i;
	double r1k = scale_rate(1000), r1 = scale_rate(1);

	goal(g, &n, "1a", st_rate("kipc-chan", 64) / st_rate("pipe", 64), 1.0, false,
	     "64 B stream rate: kipc-chan / pipe");
	goal(g, &n, "1b", st_rate("kipc-chan", 64) / st_rate("unix-seqpacket", 64), 1.0, false,
	     "64 B stream rate: kipc-chan / unix-seqpacket");
	goal(g, &n, "1c", st_rate("kipc-chan", 64) / st_rate("posix-mq", 64), 1.0, false,
	     "64 B stream rate: kipc-chan / posix-mq");
	goal(g, &n, "2", pp_p50("kipc-chan", 64) / pp_p50("pipe", 64), 1.0, true,
	     "64 B round trip p50: kipc-chan / pipe");
	goal(g, &n, "3a", st_gbps("kipc-ref", MIB) / st_gbps("pipe", MIB), 3.0, false,
	     "1 MiB stream GB/s: kipc-ref / pipe");
	goal(g, &n, "3b", st_gbps("kipc-ref", 16 * MIB) / st_gbps("pipe", 16 * MIB), 3.0, false,
	     "16 MiB stream GB/s: kipc-ref / pipe");
	goal(g, &n, "3c", st_gbps("kipc-chan", MIB) / st_gbps("pipe", MIB), 1.0, false,
	     "1 MiB stream GB/s: kipc-chan / pipe");
	goal(g, &n, "3d", st_gbps("kipc-chan", 16 * MIB) / st_gbps("pipe", 16 * MIB), 1.0, false,
	     "16 MiB stream GB/s: kipc-chan / pipe");
	goal(g, &n, "4", st_gbps("kipc-ref", 16 * MIB) / floor_at(floors.memread_gbps, 16 * MIB),
	     0.7, false, "16 MiB kipc-ref GB/s / memory-read floor");
	goal(g, &n, "5a", r1k / r1, 0.8, false, "rate with 1000 channels / with 1 channel");
	goal(g, &n, "5b", scale.open_head_p50_ns > 0 ?
	     scale.open_tail_p50_ns / scale.open_head_p50_ns : NAN, 1.5, true,
	     "open cost, channel #%u vs #1 (medians of 100)",
	     scale.opened ? scale.opened : opt.open_chans);
	if (scale.opened && scale.open_first_ns > 0)
		snprintf(g[n - 1].note, sizeof(g[n - 1].note),
			 "single samples: #1 %.1f us, #%u %.1f us (x%.2f)",
			 scale.open_first_ns / 1e3, scale.opened, scale.open_last_ns / 1e3,
			 scale.open_last_ns / scale.open_first_ns);
	goal(g, &n, "7a", rpc_p50("rpc-kipc", 0) / rpc_p50("rpc-tcp", 0), 0.7, true,
	     "issue 7: RPC null call p50: rpc-kipc / rpc-tcp");
	goal(g, &n, "7b", rpc_p50("rpc-kipc", 0) / rpc_p50("rpc-unix", 0), 1.0, true,
	     "issue 7: RPC null call p50: rpc-kipc / rpc-unix");
	goal(g, &n, "17", st_rate("kipc-fd", 64) / st_rate("unix-scm-fd", 64), 1.0, false,
	     "issue 17: 64 B + 1 fd stream rate: kipc-fd / unix-scm-fd");
	/*
	 * Issue 8 is met by the better of its two io_uring paths. Both rows
	 * fail a cell in which an io-wq worker thread appeared.
	 */
	for (i = 0; i < 2; i++) {
		goal(g, &n, g8[i].id, st_rate(g8[i].xp, 64) / st_rate("pipe", 64), 3.0, false,
		     "issue 8 (%s): %s / pipe", g8[i].how, g8[i].xp);
		snprintf(g[n - 1].note, sizeof(g[n - 1].note), "64 B stream rate%s",
			 ok_result(g8[i].xp, 64, PH_STREAM) ?
			 "; no io-wq worker thread in either process" : "");
	}
	return n;
}

static const char *goal_verdict(const struct goal *g)
{
	if (isnan(g->value))
		return "not measured";
	return (g->le ? g->value <= g->target : g->value >= g->target) ? "met" : "MISSED";
}

/* ---- formatting ------------------------------------------------------ */

static char *fmt_num(double v, char *b, size_t n)
{
	if (isnan(v) || isinf(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.3g", v);
	return b;
}

static char *fmt_short_size(size_t s, char *b, size_t n)
{
	if (s >= MIB && s % MIB == 0)
		snprintf(b, n, "%zuM", s / MIB);
	else if (s >= KIB && s % KIB == 0)
		snprintf(b, n, "%zuK", s / KIB);
	else
		snprintf(b, n, "%zuB", s);
	return b;
}

#define COLW	8
#define ROWW	23

static void matrix_head(FILE *f, const char *title)
{
	char b[32];
	int i;

	fprintf(f, "\n%s\n%-*s", title, ROWW, "");
	for (i = 0; i < opt.nsizes; i++)
		fprintf(f, "%*s", COLW, fmt_short_size(opt.sizes[i], b, sizeof(b)));
	fputc('\n', f);
}

enum cell_metric { CM_P50, CM_P99, CM_RATE, CM_GBPS, CM_CPU };

static void matrix_transports(FILE *f, const char *title, enum cell_metric m)
{
	char b[32];
	int x, i;

	matrix_head(f, title);
	for (x = 0; x < bench_nxports; x++) {
		if (!xp_selected[x])
			continue;
		fprintf(f, "%-*s", ROWW, bench_xports[x]->name);
		for (i = 0; i < opt.nsizes; i++) {
			const struct phase_result *r = m == CM_P50 || m == CM_P99 ?
				&results[x][i].pp : &results[x][i].st;

			if (r->status != ST_OK) {
				fprintf(f, "%*s", COLW, r->status == ST_NA ? "n/a" :
					r->status == ST_FAIL ? "FAIL" : "-");
				continue;
			}
			switch (m) {
			case CM_P50: fmt_time(r->p50_ns, b, sizeof(b)); break;
			case CM_P99: fmt_time(r->p99_ns, b, sizeof(b)); break;
			case CM_RATE: fmt_rate(r->rate, b, sizeof(b)); break;
			case CM_GBPS: fmt_num(r->gbps, b, sizeof(b)); break;
			case CM_CPU: fmt_time(r->cpu_ns, b, sizeof(b)); break;
			}
			fprintf(f, "%*s", COLW, b);
		}
		fputc('\n', f);
	}
}

static void matrix_floor_row(FILE *f, const char *label, const double *v)
{
	char b[32];
	int i;

	if (!floors.done)
		return;
	fprintf(f, "%-*s", ROWW, label);
	for (i = 0; i < opt.nsizes; i++)
		fprintf(f, "%*s", COLW, fmt_num(v[i] > 0 ? v[i] : NAN, b, sizeof(b)));
	fputc('\n', f);
}

static void matrix_ratios(FILE *f, const char *title, const char *section)
{
	char b[32];
	int d, i;

	matrix_head(f, title);
	for (d = 0; d < NRATIOS; d++) {
		if (strcmp(ratio_defs[d].section, section) || !ratio_selected(&ratio_defs[d]))
			continue;
		fprintf(f, "%-*s", ROWW, ratio_defs[d].label);
		for (i = 0; i < opt.nsizes; i++)
			fprintf(f, "%*s", COLW,
				fmt_num(ratio_value(&ratio_defs[d], opt.sizes[i]), b, sizeof(b)));
		fputc('\n', f);
	}
}

/* n/a and failure reasons, one line per transport, phase and reason. */
static void print_notes(FILE *f)
{
	char sz[32], line[512];
	int x, i, j, ph;
	bool any = false;

	for (x = 0; x < bench_nxports; x++) {
		for (ph = 0; ph < 2; ph++) {
			for (i = 0; i < opt.nsizes; i++) {
				const struct phase_result *r = ph ? &results[x][i].st : &results[x][i].pp;
				bool seen = false;

				if (r->status != ST_NA && r->status != ST_FAIL)
					continue;
				for (j = 0; j < i; j++) {
					const struct phase_result *q = ph ? &results[x][j].st :
									    &results[x][j].pp;
					if (q->status == r->status && !strcmp(q->why, r->why))
						seen = true;
				}
				if (seen)
					continue;
				snprintf(line, sizeof(line), "  %s %s %s", status_name(r->status),
					 bench_xports[x]->name, ph ? "stream" : "pingpong");
				for (j = i; j < opt.nsizes; j++) {
					const struct phase_result *q = ph ? &results[x][j].st :
									    &results[x][j].pp;
					if (q->status == r->status && !strcmp(q->why, r->why)) {
						size_t l = strlen(line);

						snprintf(line + l, sizeof(line) - l, " %s",
							 fmt_short_size(opt.sizes[j], sz, sizeof(sz)));
					}
				}
				if (!any)
					fprintf(f, "\nNot measured (n/a = the transport cannot carry it; fail = an error):\n");
				any = true;
				fprintf(f, "%s: %s\n", line, r->why);
			}
		}
	}
}

/* A round-trip time @ns of @r for the RPC table, or why there is none. */
static const char *rpc_time(const struct phase_result *r, double ns, char *b, size_t n)
{
	if (r->status == ST_OK)
		return fmt_time(ns, b, n);
	return r->status == ST_NA ? "n/a" : r->status == ST_FAIL ? "FAIL" : "-";
}

/* The RPC rows: p50 and p99 per size, and rpc-kipc's p50 over each row's. */
static void report_rpc(FILE *f)
{
	const struct rpc_section *rs = &rpc_results;
	const struct phase_result *r;
	char b1[32], b2[32];
	int t, s, any = 0;

	for (t = 0; rs->done && t < RPC_NXPORTS; t++)
		any += rpc_selected[t];
	if (!any)
		return;
	fprintf(f, "\nRPC round trips (ONC RPC through TI-RPC, client and server processes; the\n"
		   "null procedure, and a 4 KiB opaque argument answered with 4 KiB; every byte\n"
		   "checked; ");
	if (rs->cpu_client < 0)
		fprintf(f, "not pinned):\n");
	else if (rs->cpu_client == rs->cpu_server)
		fprintf(f, "client and server on CPU %d, see --rpc-two-cpus):\n", rs->cpu_server);
	else
		fprintf(f, "client on CPU %d, server on CPU %d):\n", rs->cpu_client,
			rs->cpu_server);
	fprintf(f, "  %-10s %9s %9s %9s %9s %12s %12s\n", "", "null p50", "null p99", "4K p50",
		"4K p99", "kipc/x null", "kipc/x 4K");
	for (t = 0; t < RPC_NXPORTS; t++) {
		const char *name = rpc_xports[t].name;

		if (!rpc_selected[t])
			continue;
		fprintf(f, "  %-10s", name);
		for (s = 0; s < RPC_NSIZES; s++) {
			r = &rs->rtt[t][s];
			fprintf(f, " %9s %9s", rpc_time(r, r->p50_ns, b1, sizeof(b1)),
				rpc_time(r, r->p99_ns, b2, sizeof(b2)));
		}
		for (s = 0; s < RPC_NSIZES; s++)
			fprintf(f, " %12s", fmt_num(rpc_p50("rpc-kipc", s) / rpc_p50(name, s),
						    b1, sizeof(b1)));
		fputc('\n', f);
		for (s = 0; s < RPC_NSIZES; s++) {
			r = &rs->rtt[t][s];
			if (r->why[0])
				fprintf(f, "    %s: %s: %s\n", rpc_size_names[s],
					status_name(r->status), r->why);
		}
	}
}

void report_table(FILE *f)
{
	struct goal g[20];
	char b1[32], b2[32], sz[32];
	int i, n, x;

	fprintf(f, "kipc-bench results: kernel %s, %d CPU(s): %s\n", env.kernel, env.ncpus, env.cpu_model);
	if (env.emulated)
		fprintf(f, "NOTE: running under software CPU emulation (QEMU TCG): absolute times are distorted;\n"
			   "      compare the ratios, which come from this one run.\n");
	if (opt.cpu_a >= 0)
		fprintf(f, "producer on CPU %d, consumer on CPU %d", opt.cpu_a, opt.cpu_b);
	else
		fprintf(f, "producer and consumer not pinned");
	fprintf(f, "; every receiver checks every byte; clock: %s\n", clock_name());
	fprintf(f, "stream window: 32 MiB worth of messages, 2..64; %d interleaved pass(es) of %.2f s per cell\n"
		   "and phase, the best pass kept (cells longer than 2x that run once); %s\n",
		opt.passes, opt.budget, env.when);
	if (env.limits_note[0])
		fprintf(f, "limits: %s\n", env.limits_note);

	matrix_transports(f, "Round trip, p50 (ping-pong, the message size each way)", CM_P50);
	matrix_transports(f, "Round trip, p99", CM_P99);
	matrix_transports(f, "Streaming, messages per second", CM_RATE);
	matrix_transports(f, "Streaming, GB/s (payload; floors below)", CM_GBPS);
	matrix_floor_row(f, "floor memread", floors.memread_gbps);
	matrix_floor_row(f, "floor memcpy", floors.memcpy_gbps);
	matrix_floor_row(f, "floor memwrite", floors.memwrite_gbps);
	matrix_transports(f, "CPU time per message, streaming (user+sys, both sides)", CM_CPU);

	fprintf(f, "\n== Ratios (the headline) ==");
	matrix_ratios(f, "Streaming GB/s vs pipe (x, higher is better)", "bw");
	matrix_ratios(f, "Round trip p50 vs pipe (x, lower is better)", "rtt");
	matrix_ratios(f, "Against the floors (GB/s: fraction of the floor; rtt: x the busy-poll ring)", "floor");

	n = crossover(false);
	fprintf(f, "\nCopy/zero-copy crossover (kipc-ref vs kipc-chan): streaming: ");
	if (n < 0)
		fprintf(f, "reference handoff never ahead at the largest sizes measured\n");
	else if (n == 0)
		fprintf(f, "ahead from the smallest size measured (%s)\n",
			fmt_size(opt.sizes[0], sz, sizeof(sz)));
	else
		fprintf(f, "ahead from %s (between %s and %s)\n",
			fmt_size(opt.sizes[n], sz, sizeof(sz)),
			fmt_size(opt.sizes[n - 1], b1, sizeof(b1)),
			fmt_size(opt.sizes[n], b2, sizeof(b2)));
	n = crossover(true);
	fprintf(f, "                                                   round trip: ");
	if (n < 0)
		fprintf(f, "reference handoff never ahead at the largest sizes measured\n");
	else
		fprintf(f, "ahead from %s\n", fmt_size(opt.sizes[n], sz, sizeof(sz)));

	if (floors.done) {
		fprintf(f, "\nFloors: syscall (getppid) %s, cache-line round trip between the CPUs %s\n",
			fmt_time(floors.syscall_ns, b1, sizeof(b1)),
			fmt_time(floors.cacheline_rtt_ns, b2, sizeof(b2)));
		fprintf(f, "        clock_gettime(CLOCK_MONOTONIC) %s (what a ktime_get_ns() costs here),"
			   " the bench's own clock read %s\n",
			fmt_time(floors.mono_clock_ns, b1, sizeof(b1)),
			fmt_time(floors.clock_ns, b2, sizeof(b2)));
	}

	if (scale.done) {
		fprintf(f, "\nScale (kipc channels, 64 B, round robin, 64 messages in flight in all):\n");
		for (i = 0; i < opt.nscale; i++) {
			const struct phase_result *r = &scale.rate[i];

			if (r->status == ST_OK)
				fprintf(f, "  %6u channel(s): %10s msg/s  CPU %s/msg  (x%.2f of 1 channel)\n",
					opt.scale_chans[i], fmt_rate(r->rate, b1, sizeof(b1)),
					fmt_time(r->cpu_ns, b2, sizeof(b2)), r->rate / scale_rate(1));
			else
				fprintf(f, "  %6u channel(s): %s: %s\n", opt.scale_chans[i],
					status_name(r->status), r->why);
		}
		if (scale.opened) {
			char b3[32];

			fprintf(f, "  open: #1 %s, #%u %s; median of the first 100 %s, of the last 100 %s\n",
				fmt_time(scale.open_first_ns, b1, sizeof(b1)), scale.opened,
				fmt_time(scale.open_last_ns, b2, sizeof(b2)),
				fmt_time(scale.open_head_p50_ns, sz, sizeof(sz)),
				fmt_time(scale.open_tail_p50_ns, b3, sizeof(b3)));
			fprintf(f, "  kernel memory per idle channel (object, name, open file): Slab %.0f B, SUnreclaim %.0f B\n",
				scale.slab_bytes_per_chan, scale.unreclaim_bytes_per_chan);
			for (i = 0; i < scale.ntop; i++)
				fprintf(f, "    %-24s %8.0f B/channel\n", scale.top[i].name,
					scale.top[i].bytes_per_chan);
		}
		if (scale.why[0])
			fprintf(f, "  note: %s\n", scale.why);
	}

	report_rpc(f);

	n = compute_goals(g);
	fprintf(f, "\nGoals (issue 5: 1a..5b, issue 7: 7a, 7b, issue 8: 8a or 8b; "
		"one run, not pass/fail tests):\n");
	for (i = 0; i < n; i++)
		fprintf(f, "  %-3s %-58s %8s  target %s%-4g %s%s%s\n", g[i].id, g[i].text,
			fmt_num(g[i].value, b1, sizeof(b1)), g[i].le ? "<= " : ">= ",
			g[i].target, goal_verdict(&g[i]), g[i].note[0] ? "; " : "", g[i].note);

	print_notes(f);
	fprintf(f, "\nTransports:\n");
	for (x = 0; x < bench_nxports; x++)
		if (xp_selected[x])
			fprintf(f, "  %-17s %s\n", bench_xports[x]->name, bench_xports[x]->label);
	for (x = 0; rpc_results.done && x < RPC_NXPORTS; x++)
		if (rpc_selected[x])
			fprintf(f, "  %-17s %s\n", rpc_xports[x].name, rpc_xports[x].label);
}

/* ---- CSV --------------------------------------------------------------- */

static void csv_num(FILE *f, double v, double scale_by)
{
	if (isnan(v) || isinf(v) || v == 0)
		fputc(',', f);
	else
		fprintf(f, ",%.6g", v * scale_by);
}

static void csv_text(FILE *f, const char *s)
{
	fputc(',', f);
	for (; *s; s++)
		fputc(*s == ',' || *s == '\n' || *s == '"' ? ';' : *s, f);
}

/* section,name,size: the fixed start of every row */
static void csv_row(FILE *f, const char *section, const char *name, size_t size)
{
	fprintf(f, "%s,%s,", section, name);
	if (size)
		fprintf(f, "%zu", size);
}

static void csv_value(FILE *f, const char *status, double value, const char *unit,
		      const char *note)
{
	fprintf(f, ",%s", status);
	/* window..messages: empty */
	fputs(",,,,,,,,,,", f);
	csv_num(f, value, 1);
	fprintf(f, ",%s", unit);
	csv_text(f, note);
	fputc('\n', f);
}

/* A cpu-split row's numbers for phase @r (see report_csv()). */
static void csv_cpu_split(FILE *f, const struct phase_result *r)
{
	/* user = total - sys: clamp the rounding residue */
	csv_num(f, fmax(r->a_cpu_ns - r->a_sys_ns, 0), 1e-3);
	csv_num(f, r->a_sys_ns, 1e-3);
	csv_num(f, fmax(r->b_cpu_ns - r->b_sys_ns, 0), 1e-3);
	csv_num(f, r->b_sys_ns, 1e-3);
}

/* A marks row's numbers for phase @r (see report_csv()). */
static void csv_marks(FILE *f, const struct phase_result *r)
{
	fprintf(f, ",%u,%llu", r->mark, (unsigned long long)r->count);
}

/* A switches row's numbers for phase @r (see report_csv()). */
static void csv_switches(FILE *f, const struct phase_result *r)
{
	fprintf(f, ",%.4f,%.4f,%.4f,%.4f", r->a_vcsw, r->a_icsw, r->b_vcsw, r->b_icsw);
}

/*
 * One CSV row of @kind per selected transport, size and measured phase:
 * KIND,NAME,SIZE,PHASE (stream or rtt), then what @cols writes.
 */
static void csv_phase_rows(FILE *f, const char *kind,
			   void (*cols)(FILE *f, const struct phase_result *r))
{
	int x, i, k;

	for (x = 0; x < bench_nxports; x++) {
		if (!xp_selected[x])
			continue;
		for (i = 0; i < opt.nsizes; i++) {
			const struct phase_result *ph[2] = { &results[x][i].st, &results[x][i].pp };

			for (k = 0; k < 2; k++) {
				if (ph[k]->status != ST_OK || !ph[k]->count)
					continue;
				csv_row(f, kind, bench_xports[x]->name, opt.sizes[i]);
				fprintf(f, ",%s", k ? "rtt" : "stream");
				cols(f, ph[k]);
				fputc('\n', f);
			}
		}
	}
}

int report_csv(FILE *f)
{
	struct goal g[20];
	char name[64];
	int x, i, n;

	fprintf(f, "section,name,size,status,window,rtt_p50_us,rtt_p99_us,rtt_mean_us,rounds,"
		   "msg_per_s,gb_per_s,cpu_us_per_msg,cpu_us_per_rtt,messages,value,unit,note\n");
	for (x = 0; x < bench_nxports; x++) {
		if (!xp_selected[x])
			continue;
		for (i = 0; i < opt.nsizes; i++) {
			const struct cell_result *c = &results[x][i];
			const struct phase_result *pp = &c->pp, *st = &c->st;
			bool ok = pp->status == ST_OK || st->status == ST_OK;
			char note[2 * BENCH_WHY + 8] = "";

			if (pp->status != ST_OK && pp->why[0])
				snprintf(note, sizeof(note), "pingpong: %s", pp->why);
			if (st->status != ST_OK && st->why[0] && strcmp(st->why, pp->why))
				snprintf(note + strlen(note), sizeof(note) - strlen(note),
					 "%sstream: %s", note[0] ? "; " : "", st->why);
			csv_row(f, "transport", bench_xports[x]->name, opt.sizes[i]);
			fprintf(f, ",%s,%u", ok ? "ok" :
				status_name(pp->status == ST_FAIL || st->status == ST_FAIL ?
					    ST_FAIL : pp->status), c->window);
			csv_num(f, pp->status == ST_OK ? pp->p50_ns : NAN, 1e-3);
			csv_num(f, pp->status == ST_OK ? pp->p99_ns : NAN, 1e-3);
			csv_num(f, pp->status == ST_OK ? pp->mean_ns : NAN, 1e-3);
			csv_num(f, pp->status == ST_OK ? (double)pp->count : NAN, 1);
			csv_num(f, st->status == ST_OK ? st->rate : NAN, 1);
			csv_num(f, st->status == ST_OK ? st->gbps : NAN, 1);
			csv_num(f, st->status == ST_OK ? st->cpu_ns : NAN, 1e-3);
			csv_num(f, pp->status == ST_OK ? pp->cpu_ns : NAN, 1e-3);
			csv_num(f, st->status == ST_OK ? (double)st->count : NAN, 1);
			fputs(",,", f);
			csv_text(f, note);
			fputc('\n', f);
		}
	}
	/* CPU time split by side and by user/kernel (getrusage: the user/kernel
	 * split is sampled at the scheduler tick, so short cells resolve it
	 * coarsely; the per-side total is exact), in us per message
	 * (stream: A sends, B receives) or per round trip (rtt: A is the
	 * client): cpu-split,NAME,SIZE,PHASE,A_USER,A_SYS,B_USER,B_SYS */
	csv_phase_rows(f, "cpu-split", csv_cpu_split);
	/* Context switches per message (stream) or round trip (rtt), by side:
	 * voluntary ones (the side slept, so a wake-up was paid for) and
	 * involuntary ones (preempted):
	 * switches,NAME,SIZE,PHASE,A_VOLUNTARY,A_INVOLUNTARY,B_VOLUNTARY,B_INVOLUNTARY */
	csv_phase_rows(f, "switches", csv_switches);
	/* --marks: the window each phase's measured part was marked with, for
	 * the cost mode's instruction split (scripts/bench-split), and the
	 * messages / round trips in it: marks,NAME,SIZE,PHASE,WINDOW,COUNT */
	if (opt.marks)
		csv_phase_rows(f, "marks", csv_marks);
	if (floors.done) {
		for (i = 0; i < opt.nsizes; i++) {
			static const char *const names[] = { "memcpy", "memread", "memwrite" };
			const double *v[] = { floors.memcpy_gbps, floors.memread_gbps,
					      floors.memwrite_gbps };
			int k;

			for (k = 0; k < 3; k++) {
				csv_row(f, "floor", names[k], opt.sizes[i]);
				fputs(",ok,,,,,,", f);
				csv_num(f, v[k][i], 1);
				fputs(",,,,,GB/s,\n", f);
			}
		}
		csv_row(f, "floor", "syscall-getppid", 0);
		csv_value(f, "ok", floors.syscall_ns, "ns", "");
		csv_row(f, "floor", "clock-monotonic", 0);
		csv_value(f, "ok", floors.mono_clock_ns, "ns", "clock_gettime(CLOCK_MONOTONIC)");
		csv_row(f, "floor", "clock-read", 0);
		csv_value(f, "ok", floors.clock_ns, "ns", clock_name());
		csv_row(f, "floor", "cacheline-rtt", 0);
		csv_value(f, floors.cacheline_rtt_ns > 0 ? "ok" : "n/a", floors.cacheline_rtt_ns,
			  "ns", "");
	}
	if (scale.done) {
		for (i = 0; i < opt.nscale; i++) {
			const struct phase_result *r = &scale.rate[i];

			snprintf(name, sizeof(name), "rate-%u-channels", opt.scale_chans[i]);
			csv_row(f, "scale", name, 64);
			fprintf(f, ",%s,64,,,,", status_name(r->status));
			csv_num(f, r->status == ST_OK ? r->rate : NAN, 1);
			csv_num(f, r->status == ST_OK ? r->gbps : NAN, 1);
			csv_num(f, r->status == ST_OK ? r->cpu_ns : NAN, 1e-3);
			fputc(',', f);
			csv_num(f, r->status == ST_OK ? (double)r->count : NAN, 1);
			fputs(",,", f);
			csv_text(f, r->why);
			fputc('\n', f);
		}
		if (scale.opened) {
			csv_row(f, "scale", "open-first", 0);
			csv_value(f, "ok", scale.open_first_ns, "ns", "");
			snprintf(name, sizeof(name), "open-%u", scale.opened);
			csv_row(f, "scale", name, 0);
			csv_value(f, "ok", scale.open_last_ns, "ns", "");
			csv_row(f, "scale", "open-first100-median", 0);
			csv_value(f, "ok", scale.open_head_p50_ns, "ns", "");
			csv_row(f, "scale", "open-last100-median", 0);
			csv_value(f, "ok", scale.open_tail_p50_ns, "ns", "");
			csv_row(f, "scale", "slab-per-idle-channel", 0);
			csv_value(f, "ok", scale.slab_bytes_per_chan, "bytes", "/proc/meminfo Slab delta");
			csv_row(f, "scale", "sunreclaim-per-idle-channel", 0);
			csv_value(f, "ok", scale.unreclaim_bytes_per_chan, "bytes",
				  "/proc/meminfo SUnreclaim delta");
			for (i = 0; i < scale.ntop; i++) {
				snprintf(name, sizeof(name), "slab-%s", scale.top[i].name);
				csv_row(f, "scale", name, 0);
				csv_value(f, "ok", scale.top[i].bytes_per_chan, "bytes",
					  "/proc/slabinfo growth per channel");
			}
		}
	}
	for (x = 0; rpc_results.done && x < RPC_NXPORTS; x++) {
		for (i = 0; rpc_selected[x] && i < RPC_NSIZES; i++) {
			const struct phase_result *r = &rpc_results.rtt[x][i];
			bool ok = r->status == ST_OK;
			double v = rpc_p50("rpc-kipc", i) / rpc_p50(rpc_xports[x].name, i);

			/* size empty: the null procedure */
			csv_row(f, "rpc", rpc_xports[x].name, rpc_sizes[i]);
			fprintf(f, ",%s,", status_name(r->status));
			csv_num(f, ok ? r->p50_ns : NAN, 1e-3);
			csv_num(f, ok ? r->p99_ns : NAN, 1e-3);
			csv_num(f, ok ? r->mean_ns : NAN, 1e-3);
			csv_num(f, ok ? (double)r->count : NAN, 1);
			fputs(",,,", f);
			csv_num(f, ok ? r->cpu_ns : NAN, 1e-3);
			fputs(",,,", f);
			csv_text(f, r->why);
			fputc('\n', f);
			if (x == 0 || isnan(v))
				continue;
			snprintf(name, sizeof(name), "rpc-kipc/%s rtt", rpc_xports[x].name);
			csv_row(f, "ratio", name, rpc_sizes[i]);
			csv_value(f, "ok", v, "x", "RPC round-trip p50 ratio (lower is better)");
		}
	}
	for (x = 0; x < NRATIOS; x++) {
		for (i = 0; i < opt.nsizes; i++) {
			double v = ratio_value(&ratio_defs[x], opt.sizes[i]);

			if (isnan(v))
				continue;
			snprintf(name, sizeof(name), "%s%s", ratio_defs[x].label,
				 ratio_defs[x].kind == R_P50_VS ? " rtt" : " GB/s");
			csv_row(f, "ratio", name, opt.sizes[i]);
			csv_value(f, "ok", v, "x", ratio_metric(&ratio_defs[x]));
		}
	}
	for (x = 0; x < 2; x++) {
		int k = crossover(x);

		csv_row(f, "crossover", x ? "kipc-ref-vs-kipc-chan-rtt" : "kipc-ref-vs-kipc-chan-stream",
			k >= 0 ? opt.sizes[k] : 0);
		csv_value(f, k >= 0 ? "ok" : "none", k >= 0 ? (double)opt.sizes[k] : NAN, "bytes",
			  "smallest size from which kipc-ref beats kipc-chan");
	}
	n = compute_goals(g);
	for (i = 0; i < n; i++) {
		char note[300];

		snprintf(name, sizeof(name), "goal-%s", g[i].id);
		snprintf(note, sizeof(note), "%s; target %s %g%s%s", g[i].text, g[i].le ? "<=" : ">=",
			 g[i].target, g[i].note[0] ? "; " : "", g[i].note);
		csv_row(f, "goal", name, 0);
		csv_value(f, goal_verdict(&g[i]), g[i].value, "x", note);
	}
	return ferror(f) ? -1 : 0;
}

/* ---- JSON -------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

static void json_phase(FILE *f, const struct phase_result *r, bool pp)
{
	fprintf(f, "{\"status\":\"%s\"", status_name(r->status));
	if (r->why[0]) {
		fputs(",\"why\":", f);
		json_str(f, r->why);
	}
	if (r->status == ST_OK) {
		if (pp) {
			fprintf(f, ",\"rounds\":%llu,\"p50_ns\":", (unsigned long long)r->count);
			json_num(f, r->p50_ns);
			fputs(",\"p99_ns\":", f);
			json_num(f, r->p99_ns);
			fputs(",\"mean_ns\":", f);
			json_num(f, r->mean_ns);
			fputs(",\"cpu_ns_per_round_trip\":", f);
			json_num(f, r->cpu_ns);
		} else {
			fprintf(f, ",\"messages\":%llu,\"seconds\":", (unsigned long long)r->count);
			json_num(f, r->secs);
			fputs(",\"msg_per_s\":", f);
			json_num(f, r->rate);
			fputs(",\"gb_per_s\":", f);
			json_num(f, r->gbps);
			fputs(",\"cpu_ns_per_msg\":", f);
			json_num(f, r->cpu_ns);
		}
		fprintf(f, ",\"bad_messages\":%llu,\"passes\":%d", (unsigned long long)r->bad,
			r->passes);
	}
	fputc('}', f);
}

int report_json(FILE *f)
{
	struct goal g[20];
	bool first = true;
	int x, i, n;

	fputs("{\"tool\":\"kipc-bench\",\"format\":1,\"env\":{\"kernel\":", f);
	json_str(f, env.kernel);
	fputs(",\"cpu_model\":", f);
	json_str(f, env.cpu_model);
	fprintf(f, ",\"cpus\":%d,\"emulated\":%s,\"clock\":", env.ncpus,
		env.emulated ? "true" : "false");
	json_str(f, clock_name());
	fprintf(f, ",\"producer_cpu\":%d,\"consumer_cpu\":%d,\"seconds_per_phase\":", opt.cpu_a,
		opt.cpu_b);
	json_num(f, opt.budget);
	fprintf(f, ",\"passes\":%d", opt.passes);
	fprintf(f, ",\"quick\":%s,\"check\":%s,\"date\":", opt.quick ? "true" : "false",
		opt.check ? "true" : "false");
	json_str(f, env.when);
	fputs(",\"limits\":", f);
	json_str(f, env.limits_note);
	fprintf(f, ",\"kipc_max_msg_size\":%ld,\"pipe_size\":%zu},\n\"sizes\":[",
		env.kipc_max_msg_size, opt.pipe_size);
	for (i = 0; i < opt.nsizes; i++)
		fprintf(f, "%s%zu", i ? "," : "", opt.sizes[i]);
	fputs("],\n\"transports\":[", f);
	for (x = 0; x < bench_nxports; x++) {
		if (!xp_selected[x])
			continue;
		fprintf(f, "%s{\"name\":", first ? "" : ",");
		json_str(f, bench_xports[x]->name);
		fputs(",\"label\":", f);
		json_str(f, bench_xports[x]->label);
		fprintf(f, ",\"kipc\":%s,\"zero_copy\":%s,\"busy_poll\":%s}",
			bench_xports[x]->flags & XP_KIPC ? "true" : "false",
			bench_xports[x]->flags & XP_ZEROCOPY ? "true" : "false",
			bench_xports[x]->flags & XP_SPIN ? "true" : "false");
		first = false;
	}
	fputs("],\n\"cells\":[\n", f);
	first = true;
	for (x = 0; x < bench_nxports; x++) {
		if (!xp_selected[x])
			continue;
		for (i = 0; i < opt.nsizes; i++) {
			fprintf(f, "%s{\"transport\":", first ? "" : ",\n");
			json_str(f, bench_xports[x]->name);
			fprintf(f, ",\"size\":%zu,\"window\":%u,\"pingpong\":", opt.sizes[i],
				results[x][i].window);
			json_phase(f, &results[x][i].pp, true);
			fputs(",\"stream\":", f);
			json_phase(f, &results[x][i].st, false);
			fputc('}', f);
			first = false;
		}
	}
	fputs("],\n\"floors\":", f);
	if (floors.done) {
		fputs("{\"syscall_getppid_ns\":", f);
		json_num(f, floors.syscall_ns);
		fputs(",\"clock_read_ns\":", f);
		json_num(f, floors.clock_ns);
		fputs(",\"clock_monotonic_ns\":", f);
		json_num(f, floors.mono_clock_ns);
		fputs(",\"cacheline_rtt_ns\":", f);
		json_num(f, floors.cacheline_rtt_ns > 0 ? floors.cacheline_rtt_ns : NAN);
		fputs(",\"memory\":[", f);
		for (i = 0; i < opt.nsizes; i++) {
			fprintf(f, "%s{\"size\":%zu,\"memcpy_gb_per_s\":", i ? "," : "", opt.sizes[i]);
			json_num(f, floors.memcpy_gbps[i]);
			fputs(",\"memread_gb_per_s\":", f);
			json_num(f, floors.memread_gbps[i]);
			fputs(",\"memwrite_gb_per_s\":", f);
			json_num(f, floors.memwrite_gbps[i]);
			fputc('}', f);
		}
		fputs("]}", f);
	} else {
		fputs("null", f);
	}
	fputs(",\n\"scale\":", f);
	if (scale.done) {
		fputs("{\"rates\":[", f);
		for (i = 0; i < opt.nscale; i++) {
			fprintf(f, "%s{\"channels\":%u,\"result\":", i ? "," : "", opt.scale_chans[i]);
			json_phase(f, &scale.rate[i], false);
			fputc('}', f);
		}
		fprintf(f, "],\"opened\":%u,\"open_first_ns\":", scale.opened);
		json_num(f, scale.open_first_ns);
		fputs(",\"open_last_ns\":", f);
		json_num(f, scale.open_last_ns);
		fputs(",\"open_first100_median_ns\":", f);
		json_num(f, scale.open_head_p50_ns);
		fputs(",\"open_last100_median_ns\":", f);
		json_num(f, scale.open_tail_p50_ns);
		fputs(",\"slab_bytes_per_idle_channel\":", f);
		json_num(f, scale.slab_bytes_per_chan);
		fputs(",\"sunreclaim_bytes_per_idle_channel\":", f);
		json_num(f, scale.unreclaim_bytes_per_chan);
		fputs(",\"slab_growth\":[", f);
		for (i = 0; i < scale.ntop; i++) {
			fprintf(f, "%s{\"cache\":", i ? "," : "");
			json_str(f, scale.top[i].name);
			fputs(",\"bytes_per_channel\":", f);
			json_num(f, scale.top[i].bytes_per_chan);
			fputc('}', f);
		}
		fputs("],\"note\":", f);
		json_str(f, scale.why);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputs(",\n\"rpc\":", f);
	if (rpc_results.done) {
		fputs("{\"sizes\":[", f);
		for (i = 0; i < RPC_NSIZES; i++)
			fprintf(f, "%s%zu", i ? "," : "", rpc_sizes[i]);
		fputs("],\"rows\":[", f);
		first = true;
		for (x = 0; x < RPC_NXPORTS; x++) {
			if (!rpc_selected[x])
				continue;
			fprintf(f, "%s{\"transport\":", first ? "" : ",");
			json_str(f, rpc_xports[x].name);
			fputs(",\"label\":", f);
			json_str(f, rpc_xports[x].label);
			fputs(",\"null\":", f);
			json_phase(f, &rpc_results.rtt[x][0], true);
			fputs(",\"arg_4k\":", f);
			json_phase(f, &rpc_results.rtt[x][1], true);
			fputc('}', f);
			first = false;
		}
		fputs("]}", f);
	} else {
		fputs("null", f);
	}
	fputs(",\n\"ratios\":[", f);
	first = true;
	for (x = 0; x < NRATIOS; x++) {
		for (i = 0; i < opt.nsizes; i++) {
			double v = ratio_value(&ratio_defs[x], opt.sizes[i]);

			if (isnan(v))
				continue;
			fprintf(f, "%s{\"name\":", first ? "" : ",");
			json_str(f, ratio_defs[x].label);
			fputs(",\"metric\":", f);
			json_str(f, ratio_metric(&ratio_defs[x]));
			fprintf(f, ",\"size\":%zu,\"value\":", opt.sizes[i]);
			json_num(f, v);
			fputc('}', f);
			first = false;
		}
	}
	fputs("],\n\"crossover\":{\"stream_size\":", f);
	n = crossover(false);
	json_num(f, n >= 0 ? (double)opt.sizes[n] : NAN);
	fputs(",\"round_trip_size\":", f);
	n = crossover(true);
	json_num(f, n >= 0 ? (double)opt.sizes[n] : NAN);
	fputs("},\n\"goals\":[", f);
	n = compute_goals(g);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s{\"id\":", i ? "," : "");
		json_str(f, g[i].id);
		fputs(",\"text\":", f);
		json_str(f, g[i].text);
		fputs(",\"value\":", f);
		json_num(f, g[i].value);
		fprintf(f, ",\"target\":%g,\"cmp\":\"%s\",\"verdict\":", g[i].target,
			g[i].le ? "<=" : ">=");
		json_str(f, goal_verdict(&g[i]));
		fputs(",\"note\":", f);
		json_str(f, g[i].note);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -1 : 0;
}

/* ---- --check: TAP lines ------------------------------------------------- */

static void check_phase(FILE *f, const struct phase_result *r, const char *xname, size_t size,
			const char *phase, int *ok, int *na, char *why, size_t wlen)
{
	char sz[32];

	if (r->status == ST_OK) {
		(*ok)++;
	} else if (r->status == ST_NA) {
		(*na)++;
		if (!why[0])
			snprintf(why, wlen, "%s %s: %s", fmt_size(size, sz, sizeof(sz)), phase, r->why);
	} else if (r->status == ST_FAIL) {
		fprintf(f, "# %s %s %s: %s\n", xname, fmt_size(size, sz, sizeof(sz)), phase, r->why);
	}
}

/* One TAP line for a transport or RPC row whose @cells cells were checked. */
static void check_verdict(FILE *f, const char *name, int ok, int na, int bad, int cells,
			  const char *why, int *failed, int *skipped, int *passed)
{
	if (bad) {
		fprintf(f, "not ok - kipc-bench.%s (%d of %d cells wrong or failed)\n", name, bad,
			cells);
		(*failed)++;
	} else if (!ok) {
		fprintf(f, "ok - kipc-bench.%s # SKIP %s\n", name, why);
		(*skipped)++;
	} else {
		fprintf(f, "ok - kipc-bench.%s (%d cells, every byte checked%s%s)\n", name, ok,
			na ? "; n/a: " : "", na ? why : "");
		(*passed)++;
	}
}

void report_check(FILE *f, int *failed, int *skipped, int *passed)
{
	char why[BENCH_WHY + 64];
	int x, i;

	for (x = 0; x < bench_nxports; x++) {
		int ok = 0, na = 0, bad = 0;

		if (!xp_selected[x])
			continue;
		why[0] = 0;
		for (i = 0; i < opt.nsizes; i++) {
			const struct cell_result *c = &results[x][i];

			check_phase(f, &c->pp, bench_xports[x]->name, opt.sizes[i], "pingpong",
				    &ok, &na, why, sizeof(why));
			check_phase(f, &c->st, bench_xports[x]->name, opt.sizes[i], "stream",
				    &ok, &na, why, sizeof(why));
			bad += (c->pp.status == ST_FAIL) + (c->st.status == ST_FAIL);
		}
		check_verdict(f, bench_xports[x]->name, ok, na, bad, 2 * opt.nsizes, why, failed,
			      skipped, passed);
	}
	for (x = 0; rpc_results.done && x < RPC_NXPORTS; x++) {
		int ok = 0, na = 0, bad = 0;

		if (!rpc_selected[x])
			continue;
		why[0] = 0;
		for (i = 0; i < RPC_NSIZES; i++) {
			check_phase(f, &rpc_results.rtt[x][i], rpc_xports[x].name, rpc_sizes[i],
				    "round trip", &ok, &na, why, sizeof(why));
			bad += rpc_results.rtt[x][i].status == ST_FAIL;
		}
		check_verdict(f, rpc_xports[x].name, ok, na, bad, RPC_NSIZES, why, failed, skipped,
			      passed);
	}
	for (i = 0; scale.done && i < opt.nscale; i++) {
		const struct phase_result *r = &scale.rate[i];

		if (r->status == ST_OK) {
			fprintf(f, "ok - kipc-bench.round-robin-%u-channels\n", opt.scale_chans[i]);
			(*passed)++;
		} else if (r->status == ST_NA) {
			fprintf(f, "ok - kipc-bench.round-robin-%u-channels # SKIP %s\n",
				opt.scale_chans[i], r->why);
			(*skipped)++;
		} else {
			fprintf(f, "not ok - kipc-bench.round-robin-%u-channels: %s\n",
				opt.scale_chans[i], r->why);
			(*failed)++;
		}
	}
}
