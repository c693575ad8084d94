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
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#define DEMO_MIB	64
#define CHUNK		(1u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The receiver's work on every path: read every byte. */
static uint64_t checksum(const unsigned char *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, sizeof(v));
		sum = sum * 31 + v;
	}
	return sum;
}

static void fill_chunk(unsigned char *p, unsigned int chunk)
{
	size_t i;

	for (i = 0; i < CHUNK; i++)
		p[i] = (unsigned char)(i * 7 + chunk);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kipc-demo [--help]\n"
		"Shows the kipc module's ABI version and features, then sends a few\n"
		"messages between two processes over a kipc channel and prints what the\n"
		"kernel stamped on each (sender pid, uid, gid, sequence, time).\n"
		"Then moves the same %d MiB twice, in 1 MiB messages: through a\n"
		"channel (the kernel copies every byte in and out) and as references\n"
		"to a region the producer filled (the receiver reads in place).\n"
		"Needs /dev/kipc (insmod kipc.ko).\n", DEMO_MIB);
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

/*
 * Copy path: the child fills a 1 MiB buffer and sends it DEMO_MIB times;
 * each send copies it into the kernel and each receive copies it out.
 */
static int copy_demo(uint64_t *sum, double *secs)
{
	struct kipc_chan_attr attr = { .max_msgs = 4, .max_msg_size = CHUNK };
	int ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &attr);
	unsigned char *buf = malloc(CHUNK);
	double t0;
	int i, status;
	pid_t pid;

	if (ch < 0 || !buf)
		return ch < 0 ? ch : -ENOMEM;
	t0 = now_s();
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < DEMO_MIB; i++) {
			fill_chunk(buf, i);
			if (kipc_send(ch, buf, CHUNK, 0) != CHUNK)
				_exit(1);
		}
		_exit(0);
	}
	*sum = 0;
	for (i = 0; i < DEMO_MIB; i++) {
		if (kipc_recv(ch, buf, CHUNK, NULL, 0) != CHUNK)
			break;
		*sum += checksum(buf, CHUNK);
	}
	waitpid(pid, &status, 0);
	*secs = now_s() - t0;
	free(buf);
	close(ch);
	return i == DEMO_MIB && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/*
 * Zero-copy path: the child fills 1 MiB slots of a region and sends a
 * reference to each; the parent reads the slot in place and sends the slot
 * number back so the child may reuse it (4 slots in flight).
 */
static int ref_demo(uint64_t *sum, double *secs, uint64_t *queued_bytes)
{
	/* A reference is held to its channel's max_msg_size: room for a slot. */
	struct kipc_chan_attr ref_attr = { .max_msg_size = CHUNK };
	int refs = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, &ref_attr);
	int acks = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	int shm = kipc_shm_open(NULL, O_RDWR | O_CREAT, 0600, 4 * CHUNK);
	struct kipc_ref_cache cache = KIPC_REF_CACHE_INIT;
	struct kipc_ref ref;
	struct kipc_chan_stat st;
	double t0;
	int i, status, slot;
	pid_t pid;

	if (refs < 0 || acks < 0 || shm < 0)
		return -EIO;
	t0 = now_s();
	pid = fork();
	if (pid == 0) {
		unsigned char *base;
		size_t size;

		if (kipc_shm_map(shm, PROT_READ | PROT_WRITE, (void **)&base, &size))
			_exit(1);
		for (i = 0; i < DEMO_MIB; i++) {
			slot = i % 4;
			if (i >= 4 && kipc_recv(acks, &slot, sizeof(slot), NULL, 0) != sizeof(slot))
				_exit(2);
			fill_chunk(base + (size_t)slot * CHUNK, i);
			if (kipc_send_ref(refs, shm, (uint64_t)slot * CHUNK, CHUNK, 0))
				_exit(3);
		}
		_exit(0);
	}
	*sum = 0;
	*queued_bytes = 0;
	for (i = 0; i < DEMO_MIB; i++) {
		if (kipc_recv_ref_cached(refs, &cache, &ref, NULL, 0))
			break;
		*sum += checksum(ref.addr, ref.len);
		if (!kipc_chan_stat(refs, &st) && st.bytes_queued > *queued_bytes)
			*queued_bytes = st.bytes_queued;
		slot = (int)(ref.offset / CHUNK);
		if (kipc_send(acks, &slot, sizeof(slot), 0) != sizeof(slot))
			break;
	}
	waitpid(pid, &status, 0);
	*secs = now_s() - t0;
	kipc_ref_cache_fini(&cache);
	close(shm);
	close(acks);
	close(refs);
	return i == DEMO_MIB && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static int contrast_demo(void)
{
	uint64_t csum, rsum, queued;
	double ct, rt;
	int ret;

	printf("\nthe same %d MiB, 1 MiB per message, receiver reads every byte:\n", DEMO_MIB);
	ret = copy_demo(&csum, &ct);
	if (ret) {
		fprintf(stderr, "kipc-demo: channel transfer failed: %s\n", strerror(-ret));
		return ret;
	}
	ret = ref_demo(&rsum, &rt, &queued);
	if (ret) {
		fprintf(stderr, "kipc-demo: reference transfer failed: %s\n", strerror(-ret));
		return ret;
	}
	printf("  %-22s %14s %10s %10s\n", "path", "kernel copies", "time (s)", "MiB/s");
	printf("  %-22s %11d MiB %10.3f %10.1f\n", "channel (copy)", 2 * DEMO_MIB, ct, DEMO_MIB / ct);
	printf("  %-22s %11llu B   %10.3f %10.1f\n", "reference (zero copy)",
	       (unsigned long long)queued, rt, DEMO_MIB / rt);
	printf("  checksums %s; reference path %.1fx the channel's throughput\n",
	       csum == rsum ? "match" : "DIFFER", ct / rt);
	printf("  (times are from a software-emulated VM: compare the ratio, not the numbers)\n");
	return csum == rsum ? 0 : -EIO;
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
	if (contrast_demo())
		return 1;
	return 0;
}
