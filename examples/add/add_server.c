// SPDX-License-Identifier: GPL-2.0
/*
 * add-server: the rpcgen-generated ADD program served over kipc, TCP, UDP
 * (and optionally AF_LOCAL) at once, from one poll loop. TCP and UDP are
 * registered with rpcbind when it runs, so `rpcinfo -p` lists them.
 *
 * The loop is svc_run()'s (poll TI-RPC's svc_pollfd, then
 * svc_getreq_poll()) plus a signalfd, so SIGTERM unregisters from rpcbind
 * and unlinks the kipc name before exiting; the kipc service channel is
 * one more pollable fd in svc_pollfd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rpc/rpc.h>
#include <kipc_rpc.h>
#include "add.h"

void add_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

int *add_1_svc(add_args *args, struct svc_req *rq)
{
	static int result;

	(void)rq;
	/* Wrap like the hardware would, without signed-overflow UB. */
	result = (int)((unsigned int)args->a + (unsigned int)args->b);
	return &result;
}

u_int *sum_1_svc(add_data *data, struct svc_req *rq)
{
	static u_int result;
	u_int i;

	(void)rq;
	result = 0;
	for (i = 0; i < data->add_data_len; i++)
		result += (unsigned char)data->add_data_val[i];
	return &result;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: add-server [OPTIONS]\n"
		"Serve the ADD program (add.x) over kipc, TCP and UDP at once.\n\n"
		"  -n, --name NAME   kipc service name (default: add)\n"
		"  -p, --port PORT   TCP and UDP port (default: any; rpcbind tells clients)\n"
		"  -u, --unix PATH   also serve on an AF_LOCAL socket at PATH\n"
		"      --no-kipc     no kipc transport (also skipped when /dev/kipc is missing)\n"
		"      --no-rpcbind  do not register with rpcbind\n"
		"  -h, --help        this help\n\n"
		"Prints one line per transport, then \"ready\". SIGTERM or SIGINT: unregister\n"
		"and exit 0. Exit 1: no transport could be set up; 2: usage.\n");
}

/* A socket bound to @port on every address, listening if it is a stream. */
static int bound_socket(int type, unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN))) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* TCP or UDP: returns true if serving. */
static bool serve_inet(const char *netid, unsigned short port, bool use_rpcbind, bool *registered)
{
	struct netconfig *nconf = getnetconfigent(netid);
	int type = strcmp(netid, "tcp") ? SOCK_DGRAM : SOCK_STREAM;
	SVCXPRT *x;
	int fd;

	if (!nconf) {
		fprintf(stderr, "add-server: %s: no such netid in /etc/netconfig\n", netid);
		return false;
	}
	fd = bound_socket(type, port);
	if (fd < 0) {
		fprintf(stderr, "add-server: %s port %u: %s\n", netid, port, strerror(errno));
		freenetconfigent(nconf);
		return false;
	}
	x = svc_tli_create(fd, nconf, NULL, 0, 0);
	if (!x) {
		fprintf(stderr, "add-server: %s: svc_tli_create failed\n", netid);
		close(fd);
		freenetconfigent(nconf);
		return false;
	}
	*registered = use_rpcbind && svc_reg(x, ADD_PROG, ADD_VERS, add_prog_1, nconf);
	/* svc_reg() keeps the callout even when rpcbind is not there. */
	if (!*registered && !svc_reg(x, ADD_PROG, ADD_VERS, add_prog_1, NULL)) {
		fprintf(stderr, "add-server: %s: svc_reg failed\n", netid);
		freenetconfigent(nconf);
		return false;
	}
	printf("%s port %u%s\n", netid, local_port(fd),
	       *registered ? " (registered with rpcbind)" : "");
	freenetconfigent(nconf);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "unix", required_argument, NULL, 'u' },
		{ "no-kipc", no_argument, NULL, 'K' },
		{ "no-rpcbind", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "add", *unix_path = NULL;
	bool use_kipc = true, use_rpcbind = true, reg_tcp = false, reg_udp = false;
	unsigned short port = 0;
	SVCXPRT *kx = NULL;
	struct pollfd *pfd = NULL;
	sigset_t sigs;
	int c, sfd, serving = 0;

	while ((c = getopt_long(argc, argv, "n:p:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > 65535) {
				usage(stderr);
				return 2;
			}
			port = (unsigned short)v;
			break;
		}
		case 'u':
			unix_path = optarg;
			break;
		case 'K':
			use_kipc = false;
			break;
		case 'R':
			use_rpcbind = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("add-server: signalfd");
		return 1;
	}

	if (use_rpcbind) {
		/* A stale registration from an earlier run would mislead clients. */
		use_rpcbind = rpcb_unset(ADD_PROG, ADD_VERS, NULL) || access("/run/rpcbind.sock", F_OK) == 0;
	}
	if (use_kipc) {
		kx = kipc_rpc_svc_create(name, 0);
		if (kx && svc_reg(kx, ADD_PROG, ADD_VERS, add_prog_1, NULL)) {
			printf("kipc name %s\n", name);
			serving++;
		} else {
			fprintf(stderr, "add-server: kipc: not serving: %s (is kipc.ko loaded?)\n",
				kx ? "svc_reg failed" : strerror(rpc_createerr.cf_error.re_errno));
		}
	}
	serving += serve_inet("tcp", port, use_rpcbind, &reg_tcp);
	serving += serve_inet("udp", port, use_rpcbind, &reg_udp);
	if (unix_path) {
		SVCXPRT *ux;

		unlink(unix_path);
		ux = svcunix_create(RPC_ANYSOCK, 0, 0, (char *)unix_path);
		if (ux && svc_reg(ux, ADD_PROG, ADD_VERS, add_prog_1, NULL)) {
			printf("unix path %s\n", unix_path);
			serving++;
		} else {
			fprintf(stderr, "add-server: unix %s: cannot serve\n", unix_path);
		}
	}
	if (!serving)
		return 1;
	printf("ready\n");

	for (;;) {
		int n = svc_max_pollfd, i, ret;
		struct pollfd *np = realloc(pfd, (size_t)(n + 1) * sizeof(*pfd));

		if (!np) {
			perror("add-server");
			return 1;
		}
		pfd = np;
		for (i = 0; i < n; i++) {
			pfd[i] = svc_pollfd[i];
			pfd[i].revents = 0;
		}
		pfd[n] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		ret = poll(pfd, (nfds_t)n + 1, -1);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			perror("add-server: poll");
			break;
		}
		if (pfd[n].revents)
			break;
		svc_getreq_poll(pfd, ret);
	}

	free(pfd);
	if (reg_tcp || reg_udp)
		svc_unreg(ADD_PROG, ADD_VERS);
	if (kx)
		svc_destroy(kx);
	if (unix_path)
		unlink(unix_path);
	printf("add-server: exiting\n");
	return 0;
}
