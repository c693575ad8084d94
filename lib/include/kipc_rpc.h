/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkipc-rpc: ONC RPC (RFC 5531) over kipc channels, as a TI-RPC transport.
 *
 * The stubs and XDR routines rpcgen generates work unchanged: create a
 * client with kipc_rpc_clnt_create() instead of clnt_create(), a server
 * transport with kipc_rpc_svc_create() next to svc_tp_create() for TCP and
 * UDP, svc_reg() the generated dispatch function on each, and svc_run()
 * serves all of them in one poll loop. Build with
 * `pkg-config --cflags --libs libtirpc` plus -lkipc-rpc -lkipc.
 *
 * Binding is by name: the service's kipc channel name is the local
 * registry (no rpcbind). The caller of every request is the pid, uid and
 * gid the kernel stamped on the message (struct kipc_msg_info), which a
 * client cannot forge, unlike AUTH_SYS credentials: kipc_rpc_caller().
 * The uid and gid are those the client's connection was made with (the
 * kernel stamps the credentials a channel fd was opened with), so a
 * setuid program calling on a connection its user made is seen as that
 * user; the pid is the process that made the call.
 *
 * How a connection works (the wire format is private to the library;
 * both ends must come from the same major version)
 *   - The server receives on the named service channel @service (mode
 *     0622 by default: anyone may send, only the owner receives). It is
 *     the only name the library ever makes.
 *   - A client makes two anonymous channels with kipc_chan_pair(): the
 *     call channel (client -> server; the client keeps its send end) and
 *     the reply channel (server -> client; the client keeps its receive
 *     end). It sends HELLO on the service channel carrying two handles,
 *     the call channel's receive end and the reply channel's send end,
 *     and closes its own copies of those two.
 *   - The server takes the HELLO with its handles, checks that they are
 *     ends of anonymous kipc channels with exactly that access (receive,
 *     send), registers a per-connection SVCXPRT for the call end with
 *     xprt_register() and answers ACK on the reply end. The client waits
 *     for the ACK (RPC_TIMEDOUT after its connect timeout; EPIPE when the
 *     server dropped the ends; RPC_PROGNOTREGISTERED when nobody receives
 *     on the service channel any more).
 *   - No connection ever has a name, so a client or a server killed at
 *     any point of the handshake leaves nothing behind: the kernel closes
 *     the dead side's ends, and frees a HELLO still queued (with its
 *     handles) with the service channel. Each end has exactly one holder,
 *     which only the kernel could have given it.
 *   - The two channels are the client's: they count against the client's
 *     uid's kipc object quota (user_max_objects), not the server's, so a
 *     client cannot exhaust the server's quota by connecting.
 *   - From then on one kipc message is one RPC call or reply record (no
 *     record marking). The client is the only sender on its call channel
 *     and the server the only sender on the reply channel, and neither
 *     has a name, so a peer's death is seen at once: a client blocked
 *     waiting for a reply gets EPIPE (RPC_CANTRECV) when the server dies,
 *     and the server's per-connection transport reports XPRT_DIED when the
 *     client is gone, so svc_run() destroys it.
 *   - Records above the connection's inline limit (default
 *     KIPC_RPC_INLINE_MAX) are written into a kipc region the sender owns
 *     (one per connection and direction, reused) and sent by reference
 *     (up to the module's max_msg_size, see KIPC_RPC_RECORD_MAX);
 *     the receiver decodes them in place from its read-only mapping.
 *
 * Client semantics
 *   - The timeout of clnt_call() applies unless CLSET_TIMEOUT set one for
 *     the handle (as with TCP). A zero timeout sends and returns
 *     RPC_TIMEDOUT without waiting (one-way message).
 *   - After a timeout the client drops the connection and reconnects on
 *     the next call, so a late reply can never be mistaken for a later
 *     call's; after the server died (RPC_CANTRECV / RPC_CANTSEND) the next
 *     call reconnects too, reaching a server restarted under the same name.
 *   - Retrying a non-idempotent call: CLGET_XID after the failed call,
 *     CLSET_XID with that xid before the retry; the server's duplicate
 *     request cache answers the retry with the cached reply if the first
 *     attempt ran.
 *   - clnt_control(): CLSET_TIMEOUT, CLGET_TIMEOUT, CLGET_FD (the reply
 *     channel fd, -1 when disconnected), CLGET_XID, CLSET_XID, CLGET_VERS,
 *     CLSET_VERS, CLGET_PROG, CLSET_PROG, CLSET_FD_CLOSE, CLSET_FD_NCLOSE
 *     (accepted, ignored) and the KIPC_RPC_CL* requests below.
 *   - A CLIENT may be shared by threads (calls are serialised by a lock
 *     in the handle). cl_auth starts as AUTH_NONE; any AUTH_* flavour may
 *     be set, but the server's kipc_rpc_caller() is what to trust.
 *   - Failures of kipc_rpc_clnt_create() are reported in rpc_createerr
 *     (TI-RPC's per-thread state, as for every TI-RPC creation routine):
 *     RPC_PROGNOTREGISTERED when no channel of that name exists or nobody
 *     receives on it, RPC_TIMEDOUT when the server did not answer the
 *     handshake, RPC_SYSTEMERROR with cf_error.re_errno otherwise.
 *
 * Server semantics
 *   - Dispatch is single-threaded (svc_run(), svc_getreq_poll()); the
 *     transports of one service share receive and reply buffers.
 *   - Garbage on the service channel (anything but a well-formed HELLO
 *     with exactly two handles: the receive end and the send end of two
 *     anonymous kipc channels) is dropped and counted, and any handles it
 *     carried are closed. A message the server may not even take off the
 *     queue (a reference to a region it cannot read, too many handles)
 *     is discarded (KIPC_DISCARD), so nobody can wedge the handshake
 *     queue. A record
 *     on a call channel that is not an RPC call is dropped; arguments that
 *     fail to decode get GARBAGE_ARGS (svcerr_decode() in the generated
 *     dispatch) and the procedure never runs. Arguments must fill the
 *     record exactly: trailing bytes are a decode error (a type mismatch
 *     that XDR alone would not notice), unless KIPC_RPC_SVC_LAX_ARGS.
 *     When decoding fails, svc_getargs() frees whatever it had decoded
 *     (XDR_FREE), so garbage cannot leak memory: argument storage must
 *     start zeroed, as rpcgen's dispatch functions do.
 *   - Access policy (kipc_rpc_svc_allow()): a call from a uid or gid not
 *     allowed gets MSG_DENIED / AUTH_ERROR / AUTH_TOOWEAK and never reaches
 *     the dispatch function.
 *   - Duplicate request cache: each completed reply is remembered, keyed
 *     by the caller's kernel-stamped pid and uid, the xid, program,
 *     version, procedure and a checksum of the arguments' first 256
 *     bytes; a request matching an entry is answered from the cache
 *     without dispatch. Bounded (KIPC_RPC_DRC_ENTRIES entries,
 *     KIPC_RPC_DRC_BYTES bytes; oldest first out; a reply larger than a
 *     quarter of the bytes is not cached). KIPC_RPC_SVC_NODRC turns it
 *     off. The pid in the key is the kernel's, so one process cannot hit
 *     another's entries; callers in a pid namespace the server cannot see
 *     all have pid 0 and are told apart by uid and xid only.
 *   - A reply the client is not reading fast enough (its reply queue
 *     full) is dropped rather than blocking the whole server; that client
 *     times out.
 *   - kipc_rpc_svc_create() adopts an existing channel of that name whose
 *     server died (nobody receives on it) unless KIPC_RPC_SVC_EXCL, and
 *     refuses (-EADDRINUSE in rpc_createerr's re_errno) one that a live
 *     server receives on. svc_destroy() of the service transport unlinks
 *     the name; connections already made live on until their clients go.
 *   - The service channel's fd is xp_fd, pollable: svc_run() waits on it
 *     together with every TCP and UDP transport. Forked children inherit
 *     the server's reply fds: a child that outlives the server keeps
 *     EPIPE from reaching that server's clients.
 */
#ifndef KIPC_RPC_H
#define KIPC_RPC_H

#include <stdint.h>
#include <sys/types.h>
#include <rpc/rpc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The netid of kipc transports (CLIENT.cl_netid, SVCXPRT.xp_netid). */
#define KIPC_RPC_NETID		"kipc"

/*
 * Records up to this many bytes travel copied through the channel; larger
 * ones by reference through a region. Measured with `add-client --sizes`
 * (examples/add/README.md): by reference breaks even at about 4 KiB and
 * takes 0.6-0.85x the time of copying from 16 KiB up, 0.2-0.8x from
 * 128 KiB (test VM, TCG, one vCPU); 16 KiB leaves room for cheaper copies
 * on real hardware.
 */
#define KIPC_RPC_INLINE_MAX	(16u * 1024)
/* Upper bound for an inline limit a client may ask for. */
#define KIPC_RPC_INLINE_LIMIT	(1024u * 1024)
/*
 * Largest record by reference (the XDR length limit is far above it). The
 * kernel holds a reference to its channel's max_msg_size, and a channel
 * can ask for no more than the kipc module's max_msg_size parameter (16 MiB
 * unless raised): a call above that fails with RPC_CANTSEND.
 */
#define KIPC_RPC_RECORD_MAX	(256u * 1024 * 1024)

/* Duplicate request cache bounds, per service. */
#define KIPC_RPC_DRC_ENTRIES	256
#define KIPC_RPC_DRC_BYTES	(8u * 1024 * 1024)

/* Who sent a request, as the kernel stamped it. */
struct kipc_cred {
	pid_t pid;	/* the calling process, in the server's pid namespace; 0 if not visible */
	uid_t uid;	/* effective uid the connection was opened with, in the server's user namespace */
	gid_t gid;	/* effective gid the connection was opened with */
};

/* --- client --- */

/* Options for kipc_rpc_clnt_create_attr(); zero fields mean the default. */
struct kipc_rpc_clnt_attr {
	uint32_t inline_max;		/* bytes, 256 .. KIPC_RPC_INLINE_LIMIT */
	uint32_t connect_timeout_ms;	/* handshake timeout (10000) */
};

/*
 * kipc_rpc_clnt_create() - connect to the kipc RPC service @service
 * @service: the service's channel name
 * @prog, @vers: program and version for every call on the handle
 *
 * Return: a CLIENT handle (clnt_call(), rpcgen stubs, clnt_destroy()), or
 * NULL with rpc_createerr set.
 */
CLIENT *kipc_rpc_clnt_create(const char *service, rpcprog_t prog, rpcvers_t vers);
CLIENT *kipc_rpc_clnt_create_attr(const char *service, rpcprog_t prog, rpcvers_t vers,
				  const struct kipc_rpc_clnt_attr *attr);

/* kipc-specific clnt_control() requests. */
#define KIPC_RPC_CLGET_SERVER	0x4b01	/* struct kipc_cred: who answered the handshake */
#define KIPC_RPC_CLGET_CALL_FD	0x4b02	/* int: the call channel fd (send-only), -1 if none */
#define KIPC_RPC_CLGET_STATS	0x4b03	/* struct kipc_rpc_clnt_stats */

struct kipc_rpc_clnt_stats {
	uint64_t calls;		/* clnt_call()s */
	uint64_t connects;	/* handshakes done (1 + reconnects) */
	uint64_t refs_sent;	/* calls sent by reference */
	uint64_t refs_received;	/* replies received by reference */
};

/* --- server --- */

/* kipc_rpc_svc_create() flags */
#define KIPC_RPC_SVC_MODE(m)	((unsigned int)(m) & 0777u)	/* 0: 0622 */
#define KIPC_RPC_SVC_EXCL	0x1000u	/* fail if the name exists */
#define KIPC_RPC_SVC_NODRC	0x2000u	/* no duplicate request cache */
#define KIPC_RPC_SVC_LAX_ARGS	0x4000u	/* allow bytes after the arguments */

/*
 * kipc_rpc_svc_create() - serve RPC calls on the kipc channel @service
 * @service: channel name; created (O_CREAT) with the mode in @flags
 * @flags: KIPC_RPC_SVC_*
 *
 * The transport is registered with xprt_register(); svc_reg(xprt, prog,
 * vers, dispatch, NULL) the programs it serves (no rpcbind). Destroy with
 * svc_destroy(), which also unlinks the name.
 *
 * Return: the service transport, or NULL with rpc_createerr set
 * (RPC_SYSTEMERROR and the errno in cf_error.re_errno: EADDRINUSE when a
 * live server holds the name, others from kipc_chan_open()).
 */
SVCXPRT *kipc_rpc_svc_create(const char *service, unsigned int flags);

/*
 * kipc_rpc_caller() - the kernel-stamped sender of the request being served
 * @rq: the svc_req passed to the dispatch function
 * @cred: filled in
 *
 * Return: 0, -EINVAL for NULL arguments, -EOPNOTSUPP when @rq did not
 * come over a kipc transport (TCP, UDP: look at AUTH_SYS instead, which
 * the client chooses).
 */
int kipc_rpc_caller(const struct svc_req *rq, struct kipc_cred *cred);

/*
 * kipc_rpc_svc_allow() - only let listed users call the service
 * @xprt: the transport from kipc_rpc_svc_create()
 * @uids, @nuids: allowed effective uids
 * @gids, @ngids: allowed effective gids
 *
 * A call is allowed when its caller's uid is in @uids or its gid is in
 * @gids; others get AUTH_TOOWEAK and are not dispatched. With both lists
 * empty every caller is allowed (the default). Applies to the service's
 * existing and future connections; replaces an earlier list.
 *
 * Return: 0, -EINVAL (not a kipc service transport, NULL list with a
 * non-zero count), -ENOMEM.
 */
int kipc_rpc_svc_allow(SVCXPRT *xprt, const uid_t *uids, size_t nuids,
		       const gid_t *gids, size_t ngids);

struct kipc_rpc_svc_stats {
	uint64_t conns;		/* live connections */
	uint64_t accepted;	/* handshakes accepted */
	uint64_t calls;		/* records that decoded as calls */
	uint64_t dispatched;	/* calls handed to the dispatch function */
	uint64_t garbage;	/* messages dropped: not HELLO / not a call */
	uint64_t denied;	/* calls refused by the policy */
	uint64_t drc_hits;	/* calls answered from the cache */
	uint64_t refs_received;	/* calls received by reference */
	uint64_t refs_sent;	/* replies sent by reference */
	uint64_t replies_dropped;	/* client's reply queue full or gone */
};

/*
 * kipc_rpc_svc_stats() - counters of the service @xprt belongs to
 * @xprt: the service transport or one of its connections (rq->rq_xprt)
 *
 * Return: 0 or -EINVAL (not a kipc transport).
 */
int kipc_rpc_svc_stats(SVCXPRT *xprt, struct kipc_rpc_svc_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* KIPC_RPC_H */
