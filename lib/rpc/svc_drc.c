// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: the server's duplicate request cache. Completed replies
 * keyed by the kernel-stamped caller (pid, uid), the xid, program,
 * version, procedure, record length and a checksum of the arguments'
 * first bytes (as Linux nfsd does), so a retried call is answered without
 * running its procedure again. The server is single-threaded: no
 * in-progress state is needed, a retry can only arrive after the first
 * attempt finished. Bounded in entries and bytes; oldest out first.
 */
#include <stdlib.h>
#include <string.h>

#include "svc_private.h"

#define KRPC_DRC_BUCKETS	512	/* power of two */

struct krpc_drc_entry {
	struct krpc_drc_key key;
	struct krpc_drc_entry *hnext;	/* hash chain */
	size_t len;
	unsigned char reply[];
};

struct krpc_drc {
	size_t max_entries, max_bytes;
	size_t bytes;
	size_t head, count;		/* FIFO ring of entries, oldest at head */
	struct krpc_drc_entry **fifo;
	struct krpc_drc_entry *bucket[KRPC_DRC_BUCKETS];
};

uint64_t krpc_drc_sum(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool krpc_drc_key_eq(const struct krpc_drc_key *a, const struct krpc_drc_key *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->xid == b->xid &&
	       a->prog == b->prog && a->vers == b->vers && a->proc == b->proc &&
	       a->len == b->len && a->sum == b->sum;
}

static size_t krpc_drc_hash(const struct krpc_drc_key *k)
{
	uint64_t h = ((uint64_t)k->xid << 32 | (uint32_t)k->pid) ^ k->sum;

	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 40) & (KRPC_DRC_BUCKETS - 1);
}

struct krpc_drc *krpc_drc_new(size_t max_entries, size_t max_bytes)
{
	struct krpc_drc *drc = calloc(1, sizeof(*drc));

	if (!drc)
		return NULL;
	drc->fifo = calloc(max_entries, sizeof(*drc->fifo));
	if (!drc->fifo) {
		free(drc);
		return NULL;
	}
	drc->max_entries = max_entries;
	drc->max_bytes = max_bytes;
	return drc;
}

void krpc_drc_free(struct krpc_drc *drc)
{
	size_t i;

	if (!drc)
		return;
	for (i = 0; i < drc->count; i++)
		free(drc->fifo[(drc->head + i) % drc->max_entries]);
	free(drc->fifo);
	free(drc);
}

const unsigned char *krpc_drc_lookup(struct krpc_drc *drc, const struct krpc_drc_key *key,
				     size_t *len)
{
	struct krpc_drc_entry *e;

	for (e = drc->bucket[krpc_drc_hash(key)]; e; e = e->hnext) {
		if (krpc_drc_key_eq(&e->key, key)) {
			*len = e->len;
			return e->reply;
		}
	}
	return NULL;
}

static void krpc_drc_evict_oldest(struct krpc_drc *drc)
{
	struct krpc_drc_entry *old = drc->fifo[drc->head], **pp;

	for (pp = &drc->bucket[krpc_drc_hash(&old->key)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == old) {
			*pp = old->hnext;
			break;
		}
	}
	drc->bytes -= old->len;
	free(old);
	drc->fifo[drc->head] = NULL;
	drc->head = (drc->head + 1) % drc->max_entries;
	drc->count--;
}

void krpc_drc_insert(struct krpc_drc *drc, const struct krpc_drc_key *key,
		     const void *reply, size_t len)
{
	struct krpc_drc_entry *e;
	size_t h;

	/* A reply that would take over a quarter of the cache is not kept. */
	if (len > drc->max_bytes / 4)
		return;
	while (drc->count && (drc->count == drc->max_entries ||
			      drc->bytes + len > drc->max_bytes))
		krpc_drc_evict_oldest(drc);
	e = malloc(sizeof(*e) + len);
	if (!e)
		return;
	e->key = *key;
	e->len = len;
	memcpy(e->reply, reply, len);
	h = krpc_drc_hash(key);
	e->hnext = drc->bucket[h];
	drc->bucket[h] = e;
	drc->fifo[(drc->head + drc->count) % drc->max_entries] = e;
	drc->count++;
	drc->bytes += len;
}
