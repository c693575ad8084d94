/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc-rpc server internals: the service (shared by its listening
 * transport and its connections), the transports, the duplicate request
 * cache and the access policy. Not installed.
 *
 * Lifetimes: the listening SVCXPRT and every connection SVCXPRT hold a reference on the struct krpc_svc; svc_destroy() of the
 * listener unlinks the name, connections die
 * when their client goes (XPRT_DIED, destroyed by TI-RPC) and the last
 * one frees the service. Everything is used from the single thread that
 * runs svc_run() / svc_getreq_poll().
 */
#ifndef KRPC_SVC_PRIVATE_H
#define KRPC_SVC_PRIVATE_H

#include <rpc/rpc.h>
#include <rpc/svc_mt.h>

#include "krpc_private.h"

/* Duplicate request cache (svc_drc.c). */
struct krpc_drc_key {
	int32_t pid;		/* kernel-stamped caller */
	uint32_t uid;
	uint32_t xid;
	uint32_t prog, vers, proc;
	uint32_t len;		/* record length */
	uint64_t sum;		/* FNV-1a of the first KRPC_DRC_SUM_BYTES of the arguments */
};

#define KRPC_DRC_SUM_BYTES	256

struct krpc_drc;

struct krpc_drc *krpc_drc_new(size_t max_entries, size_t max_bytes);
void krpc_drc_free(struct krpc_drc *drc);
/* The cached reply for @key, or NULL. */
const unsigned char *krpc_drc_lookup(struct krpc_drc *drc, const struct krpc_drc_key *key,
				     size_t *len);
/* Remember a reply (copied); evicts the oldest entries to make room. */
void krpc_drc_insert(struct krpc_drc *drc, const struct krpc_drc_key *key,
		     const void *reply, size_t len);
uint64_t krpc_drc_sum(const void *p, size_t len);

struct krpc_svc {
	unsigned int refs;
	unsigned int flags;		/* KIPC_RPC_SVC_* */
	mode_t mode;			/* of the service channel */
	char *name;

	uid_t *uids;			/* policy: allowed callers (svc_auth.c) */
	size_t nuids;
	gid_t *gids;
	size_t ngids;

	struct krpc_drc *drc;		/* NULL with KIPC_RPC_SVC_NODRC */
	struct kipc_rpc_svc_stats stats;

	/* Buffers for inline records, shared by all connections. */
	unsigned char *rbuf;		/* received calls */
	size_t rcap;
	unsigned char *sbuf;		/* encoded replies */
	size_t scap;
};

struct krpc_xprt {
	SVCXPRT xprt;
	SVCXPRT_EXT ext;		/* TI-RPC's per-transport auth state (xp_p3) */
	struct krpc_svc *svc;
	bool is_conn;
	bool registered;
	bool dead;

	/* Connections only. */
	int reply_fd;
	size_t reply_inline;		/* inline limit of replies */
	struct kipc_ref_cache in;	/* mapping of the client's call region */
	struct krpc_out out;		/* our region for large replies */


	/* The request being served. */
	struct kipc_msg_info info;
	uint32_t xid;
	XDR req;			/* positioned at the arguments */
	bool req_open;
	size_t req_len;
	bool cacheable;
	struct krpc_drc_key key;
};

/* The kipc transport behind @xprt, or NULL if it is not one of ours. */
struct krpc_xprt *krpc_xprt_of(const SVCXPRT *xprt);

/* Policy (svc_auth.c): may this caller call? */
bool krpc_svc_allowed(const struct krpc_svc *svc, const struct kipc_msg_info *info);
void krpc_svc_policy_free(struct krpc_svc *svc);

#endif /* KRPC_SVC_PRIVATE_H */
