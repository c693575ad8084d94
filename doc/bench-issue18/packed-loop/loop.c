// SPDX-License-Identifier: GPL-2.0
/*
 * One process, no scheduler in the way: rounds of (send B messages of
 * 64 B, receive them) as packed records, as a batch, as write/read on a
 * channel and on a pipe, and getppid(). In cost mode (kipc-vm --icount)
 * a nanosecond is a guest instruction. README, Performance, "Batches
 * (goal 3)". Build: cc -O2 -I lib/include -I kmod/include/uapi -o loop
 * loop.c lib/libkipc.a -luring; run in the VM: ./loop B.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <fcntl.h>
#include <kipc.h>

static long long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }
static int B = 32;
#define R 2000
int main(int argc, char **argv)
{
	int fds[2], p[2], i, r, n;
	_Alignas(8) static char out[8192], in[8192];
	char msg[64] = "x";
	ssize_t used = 0;
	long long t0, t;

	if (argc > 1) B = atoi(argv[1]);
	if (kipc_chan_pair(fds, NULL, 0) < 0 || pipe(p) < 0) return 1;
	for (i = 0; i < B; i++) used = kipc_packed_add(out, sizeof(out), used, msg, 64, 0);
	for (int pass = 0; pass < 1; pass++) {
	t0 = now();
	for (r = 0; r < R; r++) {
		n = kipc_send_packed(fds[1], out, used, B, 0);
		if (n != B) { printf("send %d\n", n); return 1; }
		n = kipc_recv_packed(fds[0], in, sizeof(in), B, 0);
		if (n != B) { printf("recv %d\n", n); return 1; }
	}
	t = now() - t0; printf("packed      %6lld per msg\n", t / (R * B));
	t0 = now();
	for (r = 0; r < R; r++) {
		struct iovec v[64];
		for (i = 0; i < B; i++) { v[i].iov_base = msg; v[i].iov_len = 64; }
		n = kipc_send_batch(fds[1], v, B, 0);
		for (i = 0; i < B; i++) { v[i].iov_base = in + 64 * i; v[i].iov_len = 64; }
		n = kipc_recv_batch(fds[0], v, B, NULL, 0);
		if (n != B) { printf("recvb %d\n", n); return 1; }
	}
	t = now() - t0; printf("batch       %6lld per msg\n", t / (R * B));
	t0 = now();
	for (r = 0; r < R; r++) {
		for (i = 0; i < B; i++) if (write(fds[1], msg, 64) != 64) return 2;
		for (i = 0; i < B; i++) if (read(fds[0], in, 64) != 64) return 3;
	}
	t = now() - t0; printf("chan rw     %6lld per msg\n", t / (R * B));
	t0 = now();
	for (r = 0; r < R; r++) {
		for (i = 0; i < B; i++) if (write(p[1], msg, 64) != 64) return 2;
		for (i = 0; i < B; i++) if (read(p[0], in, 64) != 64) return 3;
	}
	t = now() - t0; printf("pipe rw     %6lld per msg\n", t / (R * B));
	t0 = now();
	for (r = 0; r < R; r++) {
		for (i = 0; i < B; i++) getppid();
	}
	t = now() - t0; printf("getppid     %6lld per call\n", t / (R * B));
	}
	return 0;
}
