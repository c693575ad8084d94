/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the kipc kselftests share: time, children, files, tracefs,
 * module parameters.
 * Static inline, so a test that does not use one pays nothing for it.
 */
#ifndef KIPC_TEST_UTIL_H
#define KIPC_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Reap @pid: its exit status, 128 + the signal that killed it, or -1. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Read a whole file into a malloc'ed, NUL-terminated string, or NULL. */
static inline char *slurp(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/* Write @s to @dir/@file (truncating): 0 or -errno. */
static inline int write_file(const char *dir, const char *file, const char *s)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return ret;
}

/* The module's parameters, as root reads and sets them. */
#define KIPC_PARAMS "/sys/module/kipc/parameters/"

/* What each queued message costs besides its payload room (kipc(7)). */
#define MSG_OVERHEAD	256
/* The payload room any message of at most this many bytes gets (kipc(7)). */
#define SMALL_ROOM	128

/* Parameter @name's value, or -1. */
static inline long read_param(const char *name)
{
	char path[128], buf[64];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), KIPC_PARAMS "%s", name);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 0);
	if (f)
		fclose(f);
	return v;
}

/* Set parameter @name to @v: 0 or -errno. */
static inline int write_param(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), KIPC_PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%ld\n", v) > 0 ? 0 : -EIO;
	return fclose(f) ? -errno : ret;
}

/* The tracefs mount that has kipc's events, or NULL. */
static inline const char *tracefs(void)
{
	if (!access("/sys/kernel/tracing/events/kipc", F_OK))
		return "/sys/kernel/tracing";
	if (!access("/sys/kernel/debug/tracing/events/kipc", F_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

/* A number from a file (a module parameter, say); 0 if unreadable. */
static inline unsigned long read_ulong(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoul(buf, NULL, 0);
}

/* Write a number to a file: 0 or -errno. */
static inline int write_ulong(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%lu\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

#endif /* KIPC_TEST_UTIL_H */
