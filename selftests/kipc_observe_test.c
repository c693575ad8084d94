// SPDX-License-Identifier: GPL-2.0
/*
 * kipc observability: the debugfs listing (/sys/kernel/debug/kipc/objects)
 * and the tracepoints (events/kipc/ in tracefs), checked against a known
 * exchange.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"


/* The listing line of the object called @name, or NULL. */
static char *find_line(char *listing, const char *name, char *out, size_t outlen)
{
	char *line = strtok(listing, "\n");

	while (line) {
		char type[8], lname[300];
		unsigned long long id;

		if (sscanf(line, "%7s %llu %299s", type, &id, lname) == 3 && !strcmp(lname, name)) {
			snprintf(out, outlen, "%s", line);
			return out;
		}
		line = strtok(NULL, "\n");
	}
	return NULL;
}

TEST(debugfs_listing)
{
	struct kipc_chan_stat st;
	char name[64], line[512], type[8], lname[300], depth[32], mode[8];
	unsigned long long id, bytes, sent, recvd;
	unsigned int uid, gid, refs, fds, maps;
	int waiters, ch, anon;
	char *all;

	if (access("/dev/kipc", F_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (access(KIPC_OBJECTS, R_OK))
		SKIP(return, "%s not readable (debugfs not mounted?)", KIPC_OBJECTS);
	snprintf(name, sizeof(name), "obs-%d", getpid());
	ch = kipc_chan_open(name, O_RDWR | O_CREAT, 0640, NULL);
	ASSERT_LE(0, ch);
	anon = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, anon);
	ASSERT_EQ(5, kipc_send(ch, "hello", 5, 0));
	ASSERT_EQ(3, kipc_send(ch, "abc", 3, 0));
	ASSERT_EQ(5, kipc_recv(ch, line, sizeof(line), NULL, 0));
	ASSERT_EQ(0, kipc_chan_stat(ch, &st));

	all = slurp(KIPC_OBJECTS);
	ASSERT_NE(NULL, all);
	ASSERT_EQ(0, strncmp(all, "type id name uid gid mode depth bytes sent received refs fds maps waiters\n", 70));
	ASSERT_NE(NULL, find_line(all, name, line, sizeof(line)));
	TH_LOG("%s", line);
	ASSERT_EQ(14, sscanf(line, "%7s %llu %299s %u %u %7s %31s %llu %llu %llu %u %u %u %d",
			     type, &id, lname, &uid, &gid, mode, depth, &bytes, &sent, &recvd,
			     &refs, &fds, &maps, &waiters));
	ASSERT_STREQ("chan", type);
	ASSERT_EQ(st.id, id);
	ASSERT_EQ(geteuid(), uid);
	ASSERT_STREQ("640", mode);
	ASSERT_EQ(0, strncmp(depth, "1/", 2));
	ASSERT_EQ(3, bytes);
	ASSERT_EQ(2, sent);
	ASSERT_EQ(1, recvd);
	ASSERT_EQ(2, fds);		/* one O_RDWR fd: a sender and a receiver */
	ASSERT_EQ(0, waiters);
	free(all);

	/* after unlink and close the object leaves the listing */
	ASSERT_EQ(0, kipc_chan_unlink(name));
	close(ch);
	all = slurp(KIPC_OBJECTS);
	ASSERT_NE(NULL, all);
	ASSERT_EQ(NULL, find_line(all, name, line, sizeof(line)));
	free(all);
	close(anon);
}

TEST(tracepoints_follow_a_message)
{
	const char *tr = tracefs();
	struct kipc_chan_stat st;
	char want[128], buf[16], *trace;
	int ch;

	if (access("/dev/kipc", F_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (!tr)
		SKIP(return, "tracefs with events/kipc not mounted");
	ch = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, kipc_chan_stat(ch, &st));

	ASSERT_EQ(0, write_file(tr, "trace", ""));
	ASSERT_EQ(0, write_file(tr, "events/kipc/enable", "1"));
	ASSERT_EQ(0, write_file(tr, "tracing_on", "1"));
	ASSERT_EQ(5, kipc_send(ch, "trace", 5, KIPC_PRIO(7)));
	ASSERT_EQ(5, kipc_recv(ch, buf, sizeof(buf), NULL, 0));
	ASSERT_EQ(0, write_file(tr, "events/kipc/enable", "0"));

	snprintf(want, sizeof(want), "trace");
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/trace", tr);
		trace = slurp(path);
	}
	ASSERT_NE(NULL, trace);
	snprintf(want, sizeof(want), "kipc_send: chan=%llu seq=1 len=5 prio=7 flags=0",
		 (unsigned long long)st.id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing \"%s\" in:\n%s", want, trace);
	snprintf(want, sizeof(want), "kipc_recv: chan=%llu seq=1 len=5 prio=7 flags=0",
		 (unsigned long long)st.id);
	EXPECT_NE(NULL, strstr(trace, want)) TH_LOG("missing \"%s\"", want);
	/* the send is traced before the receive */
	EXPECT_LT(strstr(trace, "kipc_send:"), strstr(trace, "kipc_recv:"));
	free(trace);
	close(ch);
}

TEST_HARNESS_MAIN
