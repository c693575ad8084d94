// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-demo: what `make run` shows. Prints the loaded module's ABI and
 * features, then moves messages through a channel between two processes
 * (the child sends as an unprivileged uid when run as root) and prints the
 * credentials the kernel stamped on each.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kipc-demo [--help]\n"
		"Shows the kipc module's ABI version and features, then sends a few\n"
		"messages between two processes over a kipc channel and prints what the\n"
		"kernel stamped on each (sender pid, uid, gid, sequence, time).\n"
		"Needs /dev/kipc (insmod kipc.ko).\n");
}

static const char *feature_names[] = { "channels", "regions", "refs", "nowait" };

static int show_version(void)
{
	uint64_t feat;
	int v = kipc_version(&feat);
	unsigned int i;

	if (v < 0) {
		fprintf(stderr, "kipc-demo: cannot query /dev/kipc: %s%s\n", strerror(-v),
			v == -ENOENT ? " (load the module: insmod kipc.ko)" : "");
		return v;
	}
	printf("kipc module: ABI version %d, library ABI %d, features:", v, KIPC_ABI_VERSION);
	for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (feat & (1ULL << i))
			printf(" %s", feature_names[i]);
	printf("\n");
	if (v != KIPC_ABI_VERSION)
		fprintf(stderr, "kipc-demo: warning: module ABI %d differs from the library's %d\n",
			v, KIPC_ABI_VERSION);
	return 0;
}

static int channel_demo(void)
{
	const char *words[] = { "hello", "from", "a kipc channel" };
	struct kipc_msg_info info;
	char name[64], buf[128];
	int ch, status, i;
	ssize_t n;
	pid_t pid;

	snprintf(name, sizeof(name), "kipc-demo-%d", getpid());
	ch = kipc_chan_open(name, O_RDONLY | O_CREAT | O_EXCL, 0622, NULL);
	if (ch < 0) {
		fprintf(stderr, "kipc-demo: kipc_chan_open: %s\n", strerror(-ch));
		return ch;
	}
	printf("\nchannel \"%s\": the child sends 3 messages, the parent receives them\n", name);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int w;

		close(ch);
		/* As root, drop to uid/gid 1000 so the stamped ids are visibly the sender's. */
		if (geteuid() == 0 && (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)))
			_exit(2);
		w = kipc_chan_open(name, O_WRONLY, 0, NULL);
		if (w < 0)
			_exit(3);
		for (i = 0; i < 3; i++)
			if (kipc_send(w, words[i], strlen(words[i]), KIPC_PRIO(0)) < 0)
				_exit(4);
		_exit(0);
	}
	printf("  %-4s %-16s %-7s %-6s %-6s %s\n", "seq", "payload", "pid", "uid", "gid", "sent at (ns)");
	for (i = 0; i < 3; i++) {
		n = kipc_recv_timed(ch, buf, sizeof(buf) - 1, &info, 0, 10000000000LL);
		if (n < 0) {
			fprintf(stderr, "kipc-demo: kipc_recv: %s\n", strerror(-n));
			break;
		}
		buf[n] = 0;
		printf("  %-4llu %-16s %-7d %-6u %-6u %llu\n", (unsigned long long)info.seq, buf,
		       info.pid, info.uid, info.gid, (unsigned long long)info.time_ns);
	}
	waitpid(pid, &status, 0);
	printf("  (child pid was %d; the ids above were stamped by the kernel, not sent)\n", pid);
	kipc_chan_unlink(name);
	close(ch);
	return (i == 3 && WIFEXITED(status) && WEXITSTATUS(status) == 0) ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		usage(c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : 2;
	}
	if (show_version())
		return 1;
	if (channel_demo())
		return 1;
	return 0;
}
