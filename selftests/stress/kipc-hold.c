// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-hold: hold a kipc object in the least visible way, until told to
 * stop. By default a mapping of an anonymous region whose fd (and the
 * control fd) are already closed: nothing in /proc/PID/fd points at kipc,
 * yet the module must stay (rmmod refused) until the mapping goes.
 * run_kipc_tests.sh uses it for "rmmod is refused while a mapping exists".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kipc.h>

#define PROG "kipc-hold"

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [--fd] [--ready FILE]\n"
"\n"
"Holds a kipc object until SIGTERM or SIGINT, then exits 0.\n"
"  (default)     map one page of an anonymous region, close every fd: only\n"
"                the mapping holds the region (and the module)\n"
"  --fd          hold an open region fd instead, no mapping\n"
"  --ready FILE  create FILE once the object is held (for scripts)\n"
"  -h, --help    this help\n"
"Prints \"" PROG ": holding ...\" when ready. Exit status: 0 after a signal,\n"
"1 if the object could not be made, 2 usage.\n");
}

static volatile sig_atomic_t done;

static void on_signal(int sig)
{
	(void)sig;
	done = 1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "fd", no_argument, NULL, 'f' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct sigaction sa = { .sa_handler = on_signal };
	const char *ready = NULL;
	int c, fd, keep_fd = 0;
	volatile char *p;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			keep_fd = 1;
			break;
		case 'r':
			ready = optarg;
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
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = kipc_shm_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0600, 4096);
	if (fd < 0) {
		fprintf(stderr, PROG ": kipc_shm_open: %s\n", strerror(-fd));
		return 1;
	}
	if (!keep_fd) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, PROG ": mmap: %s\n", strerror(errno));
			return 1;
		}
		close(fd);	/* libkipc closed the control fd already */
		p[0] = 1;	/* a real page behind it, too */
	}
	if (ready) {
		int r = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (r < 0) {
			fprintf(stderr, PROG ": %s: %s\n", ready, strerror(errno));
			return 1;
		}
		close(r);
	}
	printf(PROG ": holding %s\n", keep_fd ? "a region fd" : "a region mapping, no fd");
	fflush(stdout);
	while (!done)
		pause();
	return 0;
}
