// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl (tools/kipc-ctl) against the real module: create, stat, list
 * and watch (KIPC_IOC_LIST, also unprivileged), unlink, their --json forms
 * and exit codes. Runs the
 * kipc-ctl binary found next to this test (the VM's /opt/kipc) or in
 * $KIPC_CTL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>
#include "kselftest_harness.h"
#include "kipc_test_util.h"

static char ctl_path[PATH_MAX + 16];

/*
 * Run kipc-ctl with @args (a shell word list) after @wrap (a command
 * prefix, or ""); its stdout, and with @wrap its stderr, in @out.
 */
static int ctl_as(const char *wrap, char *out, size_t outlen, const char *args)
{
	char cmd[PATH_MAX + 700];
	size_t len = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s %s 2>%s", wrap, ctl_path, args,
		 *wrap ? "&1" : "/dev/null");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < outlen && fgets(out + len, (int)(outlen - len), p))
		len += strlen(out + len);
	out[len] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int ctl(char *out, size_t outlen, const char *args)
{
	return ctl_as("", out, outlen, args);
}

FIXTURE(ctl) {
	char chan[64];
	char shm[64];
	char out[16384];
};

FIXTURE_SETUP(ctl)
{
	const char *env = getenv("KIPC_CTL");
	char self_dir[PATH_MAX];
	ssize_t n;

	if (access("/dev/kipc", R_OK | W_OK))
		SKIP(return, "/dev/kipc missing: load kipc.ko first");
	if (env) {
		snprintf(ctl_path, sizeof(ctl_path), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
		ASSERT_LT(0, n);
		self_dir[n] = 0;
		*strrchr(self_dir, '/') = 0;
		snprintf(ctl_path, sizeof(ctl_path), "%s/kipc-ctl", self_dir);
	}
	if (access(ctl_path, X_OK))
		SKIP(return, "kipc-ctl not found next to the test: copy tools/kipc-ctl there "
		     "or set KIPC_CTL");
	snprintf(self->chan, sizeof(self->chan), "ctl-c-%d", getpid());
	snprintf(self->shm, sizeof(self->shm), "ctl-s-%d", getpid());
}

FIXTURE_TEARDOWN(ctl)
{
	kipc_chan_unlink(self->chan);
	kipc_shm_unlink(self->shm);
}

TEST_F(ctl, usage_and_help)
{
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), "--help"));
	ASSERT_NE(NULL, strstr(self->out, "usage:"));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), ""));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "bogus"));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "create chan"));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "create shm x"));	/* no --size */
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "create chan x -m 999"));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "stat"));
	ASSERT_EQ(2, ctl(self->out, sizeof(self->out), "list -t bogus"));
}

TEST_F(ctl, create_stat_unlink_channel)
{
	struct kipc_chan_stat st;
	char args[256];
	int ch;

	snprintf(args, sizeof(args), "create chan %s -m 640 --max-msgs 16 --max-msg-size 4K",
		 self->chan);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "created channel"));
	/* exists now, with what was asked for */
	ch = kipc_chan_open(self->chan, O_RDWR, 0, NULL);
	ASSERT_LE(0, ch);
	ASSERT_EQ(0, kipc_chan_stat(ch, &st));
	ASSERT_EQ(0640, st.mode);
	ASSERT_EQ(16, st.max_msgs);
	ASSERT_EQ(4096, st.max_msg_size);
	ASSERT_EQ(5, kipc_send(ch, "hello", 5, 0));
	/* creating it again fails: exit 1 */
	ASSERT_EQ(1, ctl(self->out, sizeof(self->out), args));

	snprintf(args, sizeof(args), "stat %s", self->chan);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "depth         1 of 16 messages"));
	ASSERT_NE(NULL, strstr(self->out, "mode          0640"));
	/* our one O_RDWR fd: one sender, one receiver (kipcctl's own not counted) */
	ASSERT_NE(NULL, strstr(self->out, "senders       1 open fds"));
	ASSERT_NE(NULL, strstr(self->out, "receivers     1 open fds"));
	snprintf(args, sizeof(args), "--json stat -t chan %s", self->chan);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "\"depth\":1,\"max_depth\":16"));
	ASSERT_NE(NULL, strstr(self->out, "\"bytes\":5,\"sent\":1,\"received\":0"));
	snprintf(args, sizeof(args), "stat -t shm %s", self->chan);
	ASSERT_EQ(1, ctl(self->out, sizeof(self->out), args));	/* not a region */

	snprintf(args, sizeof(args), "unlink chan %s", self->chan);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_EQ(-ENOENT, kipc_chan_open(self->chan, O_RDWR, 0, NULL));
	ASSERT_EQ(1, ctl(self->out, sizeof(self->out), args));	/* gone already */
	snprintf(args, sizeof(args), "stat %s", self->chan);
	ASSERT_EQ(1, ctl(self->out, sizeof(self->out), args));
	/* the open fd still works after unlink */
	ASSERT_EQ(5, kipc_recv(ch, args, sizeof(args), NULL, 0));
	close(ch);
}

TEST_F(ctl, create_stat_unlink_region)
{
	struct kipc_shm_stat st;
	char args[256];
	int shm;

	snprintf(args, sizeof(args), "--json create shm %s --size 1M -m 0604", self->shm);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "\"created\":{\"type\":\"shm\""));
	ASSERT_NE(NULL, strstr(self->out, "\"length\":1048576"));
	shm = kipc_shm_open(self->shm, O_RDONLY, 0, 0);
	ASSERT_LE(0, shm);
	ASSERT_EQ(0, kipc_shm_stat(shm, &st));
	ASSERT_EQ(1 << 20, st.length);
	ASSERT_EQ(0604, st.mode);
	close(shm);
	snprintf(args, sizeof(args), "stat %s", self->shm);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "length        1048576 bytes"));
	snprintf(args, sizeof(args), "--json unlink shm %s", self->shm);
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "\"error\":null"));
	ASSERT_EQ(-ENOENT, kipc_shm_open(self->shm, O_RDONLY, 0, 0));
}

TEST_F(ctl, list_and_watch)
{
	char args[256], line[256], *p;
	int ch, anon, rate_seen = 0;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to see anonymous objects in the listing");
	ch = kipc_chan_open(self->chan, O_RDWR | O_CREAT | O_EXCL, 0620, NULL);
	ASSERT_LE(0, ch);
	anon = kipc_chan_open(NULL, O_RDWR | O_CREAT, 0600, NULL);
	ASSERT_LE(0, anon);
	ASSERT_EQ(3, kipc_send(ch, "abc", 3, 0));

	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), "list"));
	ASSERT_EQ(0, strncmp(self->out, "TYPE", 4));
	ASSERT_NE(NULL, strstr(self->out, self->chan));
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), "--json list -t chan"));
	ASSERT_NE(NULL, strstr(self->out, "\"source\":\"KIPC_IOC_LIST\""));
	snprintf(line, sizeof(line), "\"name\":\"%s\",", self->chan);
	ASSERT_NE(NULL, strstr(self->out, line));
	ASSERT_NE(NULL, strstr(self->out, "\"name\":null"));	/* the anonymous one */
	ASSERT_NE(NULL, strstr(self->out, "\"mode\":\"0620\",\"depth\":1,"));
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), "list -t shm"));
	ASSERT_EQ(NULL, strstr(self->out, self->chan));

	/* watch: messages sent while it runs show up as a rate */
	snprintf(args, sizeof(args), "--json watch -n 2 -i 0.5 %s", self->chan);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i;

		for (i = 0; i < 100; i++) {
			usleep(20000);
			kipc_send(ch, "x", 1, 0);
		}
		_exit(0);
	}
	ASSERT_EQ(0, ctl(self->out, sizeof(self->out), args));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	for (p = strstr(self->out, "\"sent_per_s\":"); p; p = strstr(p + 1, "\"sent_per_s\":"))
		if (strtod(p + strlen("\"sent_per_s\":"), NULL) > 0)
			rate_seen = 1;
	ASSERT_EQ(1, rate_seen) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, "\"source\":\"KIPC_IOC_LIST\""));
	/* a name that is not there: exit 1 */
	ASSERT_EQ(1, ctl(self->out, sizeof(self->out), "watch -n 1 -i 0.1 ctl-no-such-name"));
	close(anon);
	close(ch);
}

/*
 * Not root: list and watch show the named objects the user may read, and
 * nothing else (no debugfs, no privilege needed).
 */
TEST_F(ctl, list_unprivileged_sees_what_it_may_read)
{
	const char *wrap = "setpriv --reuid=1000 --regid=1000 --clear-groups";
	char args[160], line[160];
	int ch, shm, anon;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to uid 1000");
	if (system("setpriv --help >/dev/null 2>&1"))
		SKIP(return, "setpriv (util-linux) not available");
	/* root's: a world-readable channel, a private region, an anonymous one */
	ch = kipc_chan_open(self->chan, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644, NULL);
	ASSERT_LE(0, ch);
	shm = kipc_shm_open(self->shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, 4096);
	ASSERT_LE(0, shm);
	anon = kipc_chan_open(NULL, O_RDWR | O_CREAT | O_CLOEXEC, 0644, NULL);
	ASSERT_LE(0, anon);

	ASSERT_EQ(0, ctl_as(wrap, self->out, sizeof(self->out), "--json list"))
		TH_LOG("%s", self->out);
	snprintf(line, sizeof(line), "\"name\":\"%s\",", self->chan);
	ASSERT_NE(NULL, strstr(self->out, line)) TH_LOG("%s", self->out);
	ASSERT_EQ(NULL, strstr(self->out, self->shm)) TH_LOG("%s", self->out);
	ASSERT_EQ(NULL, strstr(self->out, "\"name\":null")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, ctl_as(wrap, self->out, sizeof(self->out), "list"));
	ASSERT_NE(NULL, strstr(self->out, self->chan)) TH_LOG("%s", self->out);

	snprintf(args, sizeof(args), "watch -n 1 -i 0.1 %s", self->chan);
	ASSERT_EQ(0, ctl_as(wrap, self->out, sizeof(self->out), args)) TH_LOG("%s", self->out);
	ASSERT_NE(NULL, strstr(self->out, self->chan));
	snprintf(args, sizeof(args), "watch -n 1 -i 0.1 %s", self->shm);
	ASSERT_EQ(1, ctl_as(wrap, self->out, sizeof(self->out), args)) TH_LOG("%s", self->out);

	/* stat works by name, with the mode bits' permission */
	snprintf(args, sizeof(args), "stat %s", self->chan);
	ASSERT_EQ(0, ctl_as(wrap, self->out, sizeof(self->out), args));
	ASSERT_NE(NULL, strstr(self->out, "mode          0644"));
	close(anon);
	close(shm);
	close(ch);
}

TEST_HARNESS_MAIN
