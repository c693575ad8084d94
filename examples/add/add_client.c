// SPDX-License-Identifier: GPL-2.0
/*
 * add-client: call the ADD program over kipc, TCP, UDP or AF_LOCAL with
 * the same rpcgen-generated stub, and print the round-trip time; or, with
 * --bench, compare null-procedure and 4 KiB-argument round trips over
 * every transport that answers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <kipc_rpc.h>
#include "add.h"

#define NTRANSPORTS	4
static const char *const transport_names[NTRANSPORTS] = { "kipc", "unix", "tcp", "udp" };

struct options {
	const char *name;	/* kipc service */
	const char *host;	/* TCP/UDP */
	unsigned short port;	/* 0: ask rpcbind */
	const char *unix_path;
	unsigned int count;
	bool csv;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: add-client [OPTIONS] A B\n"
		"       add-client [OPTIONS] --bench | --sizes\n"
		"Call ADD(A, B) from add.x and print the result and round-trip times.\n\n"
		"  -t, --transport T  kipc, unix, tcp, udp, or all (default kipc); a list\n"
		"                     like tcp,udp works too\n"
		"  -n, --name NAME    kipc service name (default: add)\n"
		"  -H, --host HOST    TCP/UDP server (default: 127.0.0.1)\n"
		"  -p, --port PORT    TCP/UDP port (default: ask rpcbind on HOST)\n"
		"  -u, --unix PATH    AF_LOCAL socket of the server (for -t unix)\n"
		"  -c, --count N      calls per transport (default 1000)\n"
		"      --bench        null procedure and SUM(4 KiB) round trips per\n"
		"                     transport, p50/p99, and ratios to kipc\n"
		"      --sizes        kipc only: SUM round trips for 1 KiB .. 1 MiB arguments,\n"
		"                     copied through the channel vs by reference through a\n"
		"                     region (how KIPC_RPC_INLINE_MAX was chosen)\n"
		"      --csv          machine-readable output\n"
		"  -h, --help         this help\n\n"
		"Exit: 0 every call right; 1 a call failed or gave a wrong result;\n"
		"2 usage; 3 no transport could be reached.\n");
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool inet_addr_of(const char *host, unsigned short port, struct sockaddr_in *sin)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res;

	if (getaddrinfo(host, NULL, &hints, &res))
		return false;
	*sin = *(struct sockaddr_in *)res->ai_addr;
	sin->sin_port = htons(port);
	freeaddrinfo(res);
	return true;
}

/* A client for transport @t, or NULL (with a reason printed). */
static CLIENT *connect_to(int t, const struct options *o)
{
	const char *tname = transport_names[t];
	CLIENT *cl = NULL;
	int sock = RPC_ANYSOCK;

	if (!strcmp(tname, "kipc")) {
		cl = kipc_rpc_clnt_create(o->name, ADD_PROG, ADD_VERS);
	} else if (!strcmp(tname, "unix")) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (!o->unix_path) {
			fprintf(stderr, "add-client: unix: no --unix PATH\n");
			return NULL;
		}
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", o->unix_path);
		cl = clntunix_create(&sun, ADD_PROG, ADD_VERS, &sock, 0, 0);
	} else if (!o->port) {
		/* Through rpcbind on the host, as any TI-RPC client. */
		cl = clnt_create(o->host, ADD_PROG, ADD_VERS, tname);
	} else {
		struct sockaddr_in sin;

		if (!inet_addr_of(o->host, o->port, &sin)) {
			fprintf(stderr, "add-client: %s: cannot resolve\n", o->host);
			return NULL;
		}
		if (!strcmp(tname, "tcp")) {
			cl = clnttcp_create(&sin, ADD_PROG, ADD_VERS, &sock, 0, 0);
		} else {
			struct timeval retry = { 1, 0 };

			cl = clntudp_create(&sin, ADD_PROG, ADD_VERS, retry, &sock);
		}
	}
	if (!cl)
		fprintf(stderr, "add-client: %s: %s", tname, clnt_spcreateerror("cannot connect"));
	return cl;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct rtt {
	double p50_us, p99_us;
};

static struct rtt percentiles(int64_t *ns, unsigned int n)
{
	struct rtt r;

	qsort(ns, n, sizeof(*ns), cmp_i64);
	r.p50_us = ns[n / 2] / 1000.0;
	r.p99_us = ns[(size_t)n * 99 / 100] / 1000.0;
	return r;
}

/* ADD(a, b) @count times through the generated stub. 0 or 1 (failure). */
static int run_add(CLIENT *cl, const char *tname, int a, int b, const struct options *o)
{
	add_args args = { a, b };
	int64_t *ns = calloc(o->count, sizeof(*ns));
	int expect = (int)((unsigned int)a + (unsigned int)b), got = 0;
	unsigned int i;
	struct rtt r;

	if (!ns)
		return 1;
	for (i = 0; i < o->count; i++) {
		int64_t t0 = now_ns();
		int *res = add_1(&args, cl);

		ns[i] = now_ns() - t0;
		if (!res) {
			fprintf(stderr, "add-client: %s: %s\n", tname, clnt_sperror(cl, "ADD"));
			free(ns);
			return 1;
		}
		got = *res;
		if (got != expect) {
			fprintf(stderr, "add-client: %s: %d + %d gave %d\n", tname, a, b, got);
			free(ns);
			return 1;
		}
	}
	r = percentiles(ns, o->count);
	if (o->csv)
		printf("%s,%d,%d,%d,%u,%.2f,%.2f\n", tname, a, b, got, o->count, r.p50_us, r.p99_us);
	else
		printf("%-5s %d + %d = %d   round trip p50 %8.2f us  p99 %8.2f us  (%u calls)\n",
		       tname, a, b, got, r.p50_us, r.p99_us, o->count);
	free(ns);
	return 0;
}

/* Round trips of proc 0 (null) or SUM(@len bytes): p50/p99, or p50 < 0 on failure. */
static struct rtt bench_one(CLIENT *cl, size_t len, unsigned int count)
{
	static const struct timeval tv = { 10, 0 };
	struct rtt fail = { -1, -1 };
	int64_t *ns = calloc(count, sizeof(*ns));
	add_data data = { .add_data_len = (u_int)len, .add_data_val = malloc(len ? len : 1) };
	u_int sum, expect = 0;
	unsigned int i, warm = count / 10 + 10;
	struct rtt r;

	if (!ns || !data.add_data_val) {
		free(ns);
		free(data.add_data_val);
		return fail;
	}
	for (i = 0; i < len; i++) {
		data.add_data_val[i] = (char)(i * 7);
		expect += (unsigned char)data.add_data_val[i];
	}
	for (i = 0; i < warm + count; i++) {
		int64_t t0 = now_ns();
		enum clnt_stat st;

		if (len)
			st = clnt_call(cl, SUM, (xdrproc_t)xdr_add_data, (caddr_t)&data,
				       (xdrproc_t)xdr_u_int, (caddr_t)&sum, tv);
		else
			st = clnt_call(cl, NULLPROC, (xdrproc_t)xdr_void, NULL,
				       (xdrproc_t)xdr_void, NULL, tv);
		if (i >= warm)
			ns[i - warm] = now_ns() - t0;
		if (st != RPC_SUCCESS || (len && sum != expect)) {
			fprintf(stderr, "add-client: bench: %s\n", clnt_sperrno(st));
			free(ns);
			free(data.add_data_val);
			return fail;
		}
	}
	r = percentiles(ns, count);
	free(ns);
	free(data.add_data_val);
	return r;
}

static int run_bench(const bool *want, const struct options *o)
{
	struct rtt null_rtt[NTRANSPORTS], k4_rtt[NTRANSPORTS];
	bool ok[NTRANSPORTS] = { false };
	int t, reached = 0, failed = 0;

	if (o->csv)
		printf("transport,null_p50_us,null_p99_us,arg4k_p50_us,arg4k_p99_us\n");
	else
		printf("%-5s %12s %12s %12s %12s   (%u calls each)\n", "", "null p50 us",
		       "null p99 us", "4KiB p50 us", "4KiB p99 us", o->count);
	for (t = 0; t < NTRANSPORTS; t++) {
		CLIENT *cl;

		if (!want[t])
			continue;
		cl = connect_to(t, o);
		if (!cl)
			continue;
		reached++;
		null_rtt[t] = bench_one(cl, 0, o->count);
		k4_rtt[t] = bench_one(cl, 4096, o->count);
		clnt_destroy(cl);
		if (null_rtt[t].p50_us < 0 || k4_rtt[t].p50_us < 0) {
			failed = 1;
			continue;
		}
		ok[t] = true;
		if (o->csv)
			printf("%s,%.2f,%.2f,%.2f,%.2f\n", transport_names[t], null_rtt[t].p50_us,
			       null_rtt[t].p99_us, k4_rtt[t].p50_us, k4_rtt[t].p99_us);
		else
			printf("%-5s %12.2f %12.2f %12.2f %12.2f\n", transport_names[t],
			       null_rtt[t].p50_us, null_rtt[t].p99_us, k4_rtt[t].p50_us,
			       k4_rtt[t].p99_us);
	}
	if (ok[0] && !o->csv) {
		for (t = 1; t < NTRANSPORTS; t++) {
			if (ok[t])
				printf("kipc/%-4s p50 ratio: null %.2f   4KiB %.2f\n", transport_names[t],
				       null_rtt[0].p50_us / null_rtt[t].p50_us,
				       k4_rtt[0].p50_us / k4_rtt[t].p50_us);
		}
	}
	if (!reached)
		return 3;
	return failed;
}

/*
 * The argument path over kipc: the same SUM calls with the record copied
 * through the channel (inline limit 1 MiB) and by reference (limit 256 B).
 */
static int run_sizes(const struct options *o)
{
	static const size_t sizes[] = { 1024, 4096, 16384, 32768, 65536, 131072, 262144,
					524288, 1000000 };
	struct kipc_rpc_clnt_attr copy = { .inline_max = KIPC_RPC_INLINE_LIMIT };
	struct kipc_rpc_clnt_attr ref = { .inline_max = 256 };
	CLIENT *cc = kipc_rpc_clnt_create_attr(o->name, ADD_PROG, ADD_VERS, &copy);
	CLIENT *rc = kipc_rpc_clnt_create_attr(o->name, ADD_PROG, ADD_VERS, &ref);
	size_t i;
	int ret = 0;

	if (!cc || !rc) {
		fprintf(stderr, "add-client: kipc: %s", clnt_spcreateerror("cannot connect"));
		ret = 3;
		goto out;
	}
	if (o->csv)
		printf("bytes,copy_p50_us,ref_p50_us,ref_over_copy\n");
	else
		printf("%10s %14s %14s %8s   (%u calls each)\n", "argument", "copied p50 us",
		       "by ref p50 us", "ref/copy", o->count);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct rtt c = bench_one(cc, sizes[i], o->count);
		struct rtt r = bench_one(rc, sizes[i], o->count);

		if (c.p50_us < 0 || r.p50_us < 0) {
			ret = 1;
			break;
		}
		if (o->csv)
			printf("%zu,%.2f,%.2f,%.3f\n", sizes[i], c.p50_us, r.p50_us,
			       r.p50_us / c.p50_us);
		else
			printf("%10zu %14.2f %14.2f %8.2f\n", sizes[i], c.p50_us, r.p50_us,
			       r.p50_us / c.p50_us);
	}
out:
	if (cc)
		clnt_destroy(cc);
	if (rc)
		clnt_destroy(rc);
	return ret;
}

/* "kipc,tcp" or "all" into @want; false on an unknown name. */
static bool parse_transports(const char *arg, bool *want)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	bool good = copy != NULL;
	int t;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (t = 0; t < NTRANSPORTS; t++) {
			if (!strcmp(tok, "all") || !strcmp(tok, transport_names[t])) {
				want[t] = true;
				found = true;
			}
		}
		good &= found;
	}
	free(copy);
	return good;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "transport", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "unix", required_argument, NULL, 'u' },
		{ "count", required_argument, NULL, 'c' },
		{ "bench", no_argument, NULL, 'B' },
		{ "csv", no_argument, NULL, 'C' },
		{ "sizes", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .name = "add", .host = "127.0.0.1", .count = 1000 };
	bool want[NTRANSPORTS] = { false }, any = false, bench = false, sizes = false;
	int c, t, reached = 0, failed = 0;
	long a, b;
	char *end;

	while ((c = getopt_long(argc, argv, "t:n:H:p:u:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!parse_transports(optarg, want)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'p': {
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 65535) {
				usage(stderr);
				return 2;
			}
			o.port = (unsigned short)v;
			break;
		}
		case 'u':
			o.unix_path = optarg;
			break;
		case 'c': {
			long v = strtol(optarg, &end, 10);

			if (*end || v <= 0 || v > 10000000) {
				usage(stderr);
				return 2;
			}
			o.count = (unsigned int)v;
			break;
		}
		case 'B':
			bench = true;
			break;
		case 'C':
			o.csv = true;
			break;
		case 'S':
			sizes = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (t = 0; t < NTRANSPORTS; t++)
		any |= want[t];
	if (!any)
		want[0] = true;
	if (sizes) {
		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		return run_sizes(&o);
	}
	if (bench) {
		if (optind != argc) {
			usage(stderr);
			return 2;
		}
		return run_bench(want, &o);
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	a = strtol(argv[optind], &end, 0);
	if (*end || a < INT32_MIN || a > INT32_MAX) {
		usage(stderr);
		return 2;
	}
	b = strtol(argv[optind + 1], &end, 0);
	if (*end || b < INT32_MIN || b > INT32_MAX) {
		usage(stderr);
		return 2;
	}
	if (o.csv)
		printf("transport,a,b,sum,calls,p50_us,p99_us\n");
	for (t = 0; t < NTRANSPORTS; t++) {
		CLIENT *cl;

		if (!want[t])
			continue;
		cl = connect_to(t, &o);
		if (!cl)
			continue;
		reached++;
		failed |= run_add(cl, transport_names[t], (int)a, (int)b, &o);
		clnt_destroy(cl);
	}
	if (!reached)
		return 3;
	return failed;
}
