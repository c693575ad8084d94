/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc tracepoints: enough to follow one message from send to receive
 * (channel id + sequence number) and one region from creation to free.
 * Enable through tracefs: events/kipc/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kipc

#if !defined(_KIPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KIPC_TRACE_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(kipc_msg_class,
		    TP_PROTO(u64 chan, u64 seq, u32 len, u32 prio, u32 flags),
		    TP_ARGS(chan, seq, len, prio, flags),
		    TP_STRUCT__entry(__field(u64, chan)
				     __field(u64, seq)
				     __field(u32, len)
				     __field(u32, prio)
				     __field(u32, flags)),
		    TP_fast_assign(__entry->chan = chan;
				   __entry->seq = seq;
				   __entry->len = len;
				   __entry->prio = prio;
				   __entry->flags = flags;),
		    TP_printk("chan=%llu seq=%llu len=%u prio=%u flags=%#x",
			      __entry->chan, __entry->seq, __entry->len,
			      __entry->prio, __entry->flags)
);

/* A message was queued (after the sender's copy into the kernel). */
DEFINE_EVENT(kipc_msg_class, kipc_send,
	     TP_PROTO(u64 chan, u64 seq, u32 len, u32 prio, u32 flags),
	     TP_ARGS(chan, seq, len, prio, flags));

/* A message was dequeued by a receiver (after the copy out). */
DEFINE_EVENT(kipc_msg_class, kipc_recv,
	     TP_PROTO(u64 chan, u64 seq, u32 len, u32 prio, u32 flags),
	     TP_ARGS(chan, seq, len, prio, flags));

/* A reference message names (region, offset, len). */
TRACE_EVENT(kipc_ref,
	    TP_PROTO(u64 chan, u64 region, u64 offset, u64 len, bool send),
	    TP_ARGS(chan, region, offset, len, send),
	    TP_STRUCT__entry(__field(u64, chan)
			     __field(u64, region)
			     __field(u64, offset)
			     __field(u64, len)
			     __field(bool, send)),
	    TP_fast_assign(__entry->chan = chan;
			   __entry->region = region;
			   __entry->offset = offset;
			   __entry->len = len;
			   __entry->send = send;),
	    TP_printk("%s chan=%llu region=%llu offset=%llu len=%llu",
		      __entry->send ? "send" : "recv", __entry->chan,
		      __entry->region, __entry->offset, __entry->len)
);

DECLARE_EVENT_CLASS(kipc_region_class,
		    TP_PROTO(u64 region, u64 length),
		    TP_ARGS(region, length),
		    TP_STRUCT__entry(__field(u64, region)
				     __field(u64, length)),
		    TP_fast_assign(__entry->region = region;
				   __entry->length = length;),
		    TP_printk("region=%llu length=%llu", __entry->region,
			      __entry->length)
);

DEFINE_EVENT(kipc_region_class, kipc_region_create,
	     TP_PROTO(u64 region, u64 length), TP_ARGS(region, length));

/* @length here is the length of the new mapping. */
DEFINE_EVENT(kipc_region_class, kipc_region_map,
	     TP_PROTO(u64 region, u64 length), TP_ARGS(region, length));

DEFINE_EVENT(kipc_region_class, kipc_region_free,
	     TP_PROTO(u64 region, u64 length), TP_ARGS(region, length));

#endif /* _KIPC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kipc_trace
#include <trace/define_trace.h>
