/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fuzzer's stand-in for libkipc (fake_kipc.c); see there. */
#ifndef FAKE_KIPC_H
#define FAKE_KIPC_H

#include <stdbool.h>
#include <stdio.h>
#include <kipc.h>

/*
 * Called when a receive finds @ch empty, or an open (@ch -1) finds no such
 * name, to let the "other side" answer.
 */
typedef void (*fake_responder_fn)(int ch);

void fake_set_responder(fake_responder_fn fn);
/* Queue a message as if @uid had sent it (a reference with KIPC_MSG_REF). */
int fake_queue(int ch, const void *buf, size_t len, uint32_t msg_flags, uint32_t uid);
void fake_forget_fd(int fd);
/* Unlink the channel behind @fd, whoever owns it. */
void fake_unlink_fd(int fd);
int fake_close(int fd);
void fake_drain(int ch);
const void *fake_peek(int ch, size_t *len);

#endif
