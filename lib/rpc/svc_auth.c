// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkipc-rpc: who called, and may they. The caller is what the kernel
 * stamped on the request message (struct kipc_msg_info), not anything in
 * the RPC credentials, which the client writes itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "svc_private.h"

int kipc_rpc_caller(const struct svc_req *rq, struct kipc_cred *cred)
{
	struct krpc_xprt *x;

	if (!rq || !cred || !rq->rq_xprt)
		return -EINVAL;
	x = krpc_xprt_of(rq->rq_xprt);
	if (!x || !x->is_conn)
		return -EOPNOTSUPP;
	cred->pid = x->info.pid;
	cred->uid = x->info.uid;
	cred->gid = x->info.gid;
	return 0;
}

bool krpc_svc_allowed(const struct krpc_svc *svc, const struct kipc_msg_info *info)
{
	size_t i;

	if (!svc->nuids && !svc->ngids)
		return true;
	for (i = 0; i < svc->nuids; i++)
		if (svc->uids[i] == info->uid)
			return true;
	for (i = 0; i < svc->ngids; i++)
		if (svc->gids[i] == info->gid)
			return true;
	return false;
}

void krpc_svc_policy_free(struct krpc_svc *svc)
{
	free(svc->uids);
	free(svc->gids);
	svc->uids = NULL;
	svc->gids = NULL;
	svc->nuids = 0;
	svc->ngids = 0;
}

int kipc_rpc_svc_allow(SVCXPRT *xprt, const uid_t *uids, size_t nuids,
		       const gid_t *gids, size_t ngids)
{
	struct krpc_xprt *x = xprt ? krpc_xprt_of(xprt) : NULL;
	uid_t *u = NULL;
	gid_t *g = NULL;

	if (!x || (nuids && !uids) || (ngids && !gids))
		return -EINVAL;
	if (nuids) {
		u = malloc(nuids * sizeof(*u));
		if (!u)
			return -ENOMEM;
		memcpy(u, uids, nuids * sizeof(*u));
	}
	if (ngids) {
		g = malloc(ngids * sizeof(*g));
		if (!g) {
			free(u);
			return -ENOMEM;
		}
		memcpy(g, gids, ngids * sizeof(*g));
	}
	krpc_svc_policy_free(x->svc);
	x->svc->uids = u;
	x->svc->nuids = nuids;
	x->svc->gids = g;
	x->svc->ngids = ngids;
	return 0;
}

int kipc_rpc_svc_stats(SVCXPRT *xprt, struct kipc_rpc_svc_stats *st)
{
	struct krpc_xprt *x = xprt ? krpc_xprt_of(xprt) : NULL;

	if (!x || !st)
		return -EINVAL;
	*st = x->svc->stats;
	return 0;
}
