/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libkipc internals shared by its source files; not installed. */
#ifndef KIPC_PRIVATE_H
#define KIPC_PRIVATE_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "kipc.h"

#define KIPC_DEV_PATH	"/dev/kipc"

/* open /dev/kipc (O_RDWR | O_CLOEXEC): the fd or -errno */
int kipc__ctl_open(void);
/* ioctl on the control node, opened and closed around the call */
int kipc__ctl_ioctl(unsigned long cmd, void *arg);
/* open(2)-style oflag to KIPC_OPEN_* bits; -EINVAL for unknown bits */
int kipc__oflag_to_open(int oflag, uint32_t *out);
/* ioctl returning >= 0 or -errno */
static inline long kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}
/* absolute CLOCK_MONOTONIC deadline timeout_ns from now, or -EINVAL */
int kipc__deadline(int64_t timeout_ns, uint64_t *deadline_ns);

#endif
