// SPDX-License-Identifier: GPL-2.0
/*
 * The payload pattern: 64-bit words base, base + STEP, base + 2 * STEP,
 * ... where base is a hash of (sequence number, lane). Every message's
 * bytes differ from every other message's, so a stale slot, a message
 * delivered twice or out of order, a torn copy or a wrong length is seen
 * by pattern_check(), which reads every byte: that read is also the
 * "receiver touches every byte" part of every measurement. Both loops are
 * one load or store per word, as cheap as a memset / a sum.
 */
#include <string.h>

#include "bench.h"

#define PATTERN_STEP	0x9e3779b97f4a7c15ull	/* odd: every word differs */

static uint64_t pattern_base(uint64_t seq, int lane)
{
	uint64_t z = seq * 2 + (uint64_t)lane + 0x2545f4914f6cdd1dull;

	/* splitmix64 finaliser */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void pattern_fill(void *buf, size_t len, uint64_t seq, int lane)
{
	uint64_t v = pattern_base(seq, lane);
	unsigned char *p = buf;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++) {
		memcpy(p + i * 8, &v, 8);
		v += PATTERN_STEP;
	}
	memcpy(p + n * 8, &v, len % 8);
}

/* 0 if @buf holds message (@seq, @lane) of @len bytes, 1 if not. */
int pattern_check(const void *buf, size_t len, uint64_t seq, int lane)
{
	uint64_t v = pattern_base(seq, lane), w, acc = 0;
	const unsigned char *p = buf;
	size_t i, n = len / 8;

	for (i = 0; i < n; i++) {
		memcpy(&w, p + i * 8, 8);
		acc |= w ^ v;
		v += PATTERN_STEP;
	}
	if (len % 8) {
		w = v;
		memcpy(&w, p + n * 8, len % 8);
		acc |= w ^ v;
	}
	return acc != 0;
}
