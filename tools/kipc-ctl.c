// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl (kipc-ctl): list, inspect, create and remove kipc channels and
 * regions, and watch their message rates; ipcs/ipcrm for kipc. Installed
 * as both kipc-ctl and kipcctl; see usage() and kipcctl(1).
 *
 * Where the data comes from:
 *   list, watch  /sys/kernel/debug/kipc/objects, the module's debugfs
 *                listing of every live object (root-only, like debugfs);
 *                watch falls back to per-name stats without it
 *   stat         opens each object by name (read-only when permitted)
 *                and asks the kernel (kipc_chan_stat/kipc_shm_stat): no
 *                debugfs needed, only the mode bits' permission
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include <kipc.h>

#define OBJECTS_DIR	"/sys/kernel/debug/kipc"
#define OBJECTS_PATH	OBJECTS_DIR "/objects"

/* Exit codes (also in usage()). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* an operation failed (no such name, permission, ...) */
	EXIT_USAGE = 2,
	EXIT_UNAVAIL = 3,	/* no module, or no debugfs listing */
	EXIT_ABI = 4,		/* module and library ABI versions differ */
};

static const char *prog = "kipcctl";
static int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--json] COMMAND [ARGS]\n"
		"\n"
		"Inspect and manage kipc channels and regions (like ipcs/ipcrm).\n"
		"\n"
		"Commands:\n"
		"  list [-t chan|shm]          every live object, from the module's debugfs\n"
		"                              listing " OBJECTS_PATH "\n"
		"                              (needs debugfs mounted; root by default)\n"
		"  stat [-t chan|shm] NAME...  one object's state, asked of the kernel by\n"
		"                              opening it by name (needs read or write\n"
		"                              permission on it, not debugfs); the counts of\n"
		"                              open fds leave out kipcctl's own\n"
		"  create chan NAME [-m MODE] [--max-msgs N] [--max-msg-size SIZE]\n"
		"  create shm NAME -s SIZE [-m MODE]\n"
		"                              create a named object (fails if it exists);\n"
		"                              MODE octal (default 0600), SIZE in bytes with\n"
		"                              an optional K, M or G suffix\n"
		"  unlink chan|shm NAME...     remove names; open fds and mappings keep the\n"
		"                              objects alive until closed\n"
		"  watch [-i SECONDS] [-n COUNT] [-t chan|shm] [NAME...]\n"
		"                              message rates (sent/s, received/s) and queue\n"
		"                              depth every interval (default 1 s) until\n"
		"                              interrupted or COUNT reports; from the debugfs\n"
		"                              listing, or without it from the named\n"
		"                              channels' own stats\n"
		"\n"
		"Options:\n"
		"  -j, --json     machine-readable output: one JSON document (watch: one\n"
		"                 JSON object per line)\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit status: 0 success, 1 an operation failed, 2 usage error, 3 kipc not\n"
		"available (module not loaded, or the debugfs listing is missing),\n"
		"4 the module's ABI version differs from the library's.\n",
		prog);
}

static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- JSON output -------------------------------------------------------- */

static void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* "key": value pairs, comma-separated by the caller's *first flag. */
static void json_key(int *first, const char *key)
{
	if (!*first)
		putchar(',');
	*first = 0;
	json_str(key);
	putchar(':');
}

static void json_u64(int *first, const char *key, unsigned long long v)
{
	json_key(first, key);
	printf("%llu", v);
}

static void json_kstr(int *first, const char *key, const char *v)
{
	json_key(first, key);
	if (v)
		json_str(v);
	else
		fputs("null", stdout);
}

/* ---- helpers ------------------------------------------------------------ */

static const char *user_name(unsigned int uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		return pw->pw_name;
	snprintf(buf, len, "%u", uid);
	return buf;
}

static const char *group_name(unsigned int gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		return gr->gr_name;
	snprintf(buf, len, "%u", gid);
	return buf;
}

static int parse_u64(const char *s, unsigned long long *out, int suffixes)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (suffixes && *end) {
		switch (*end) {
		case 'k': case 'K': mul = 1ULL << 10; break;
		case 'm': case 'M': mul = 1ULL << 20; break;
		case 'g': case 'G': mul = 1ULL << 30; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'i' && end[1] == 'B')
			end += 2;
		else if (*end == 'B')
			end++;
	}
	if (*end || (v && mul > ULLONG_MAX / v))
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static int parse_mode(const char *s, mode_t *mode)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || v > 0777)
		return -EINVAL;
	*mode = (mode_t)v;
	return 0;
}

/* "chan"/"channel" -> KIPC_OBJ_CHAN, "shm"/"region" -> KIPC_OBJ_REGION, else 0. */
static int parse_type(const char *s)
{
	if (!strcmp(s, "chan") || !strcmp(s, "channel"))
		return KIPC_OBJ_CHAN;
	if (!strcmp(s, "shm") || !strcmp(s, "region"))
		return KIPC_OBJ_REGION;
	return 0;
}

/*
 * Start of every command: the module must be there and speak our ABI.
 * Returns EXIT_OK or the exit code, having said why.
 */
static int check_module(void)
{
	int abi, ret = kipc_check_abi(&abi);

	if (!ret)
		return EXIT_OK;
	if (ret == -ENOENT) {
		err("/dev/kipc missing: the kipc module is not loaded (modprobe kipc)");
		return EXIT_UNAVAIL;
	}
	if (ret == -EPROTO) {
		err("module ABI %d, library ABI %d: rebuild kipcctl against the installed "
		    "libkipc, or load the kipc.ko that matches it", abi, KIPC_ABI_VERSION);
		return EXIT_ABI;
	}
	err("cannot query /dev/kipc: %s", strerror(-ret));
	return EXIT_FAIL;
}

/* ---- the debugfs listing ------------------------------------------------ */

#define MAX_COLS	32

/* The listing: column names from the header line, then one row per object. */
struct listing {
	char *text;		/* the file, split in place */
	char *cols[MAX_COLS];
	int ncols;
	char *(*rows)[MAX_COLS];
	int nrows;
};

static void listing_free(struct listing *l)
{
	free(l->text);
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

/* Undo seq_escape(): \ooo octal escapes. In place. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = 0;
}

static int split_words(char *line, char **out, int max)
{
	int n = 0;
	char *save, *w;

	for (w = strtok_r(line, " \t", &save); w && n < max; w = strtok_r(NULL, " \t", &save))
		out[n++] = w;
	return n;
}

/*
 * Read the listing. Returns 0, or the exit code after saying why it is
 * not there (debugfs not mounted, no module, no permission).
 */
static int listing_read(struct listing *l)
{
	size_t cap = 1 << 16, len = 0;
	char *line, *save;
	FILE *f;
	size_t n;

	memset(l, 0, sizeof(*l));
	f = fopen(OBJECTS_PATH, "r");
	if (!f) {
		int e = errno;
		struct statfs sfs;

		if (e == EACCES || e == EPERM)
			err("%s: %s (debugfs is root-only: run as root)", OBJECTS_PATH, strerror(e));
		else if (statfs("/sys/kernel/debug", &sfs) || sfs.f_type != DEBUGFS_MAGIC)
			err("debugfs is not mounted at /sys/kernel/debug, so there is no object "
			    "listing (mount -t debugfs none /sys/kernel/debug)");
		else if (access(OBJECTS_DIR, F_OK))
			err("%s missing: the loaded kipc module has no debugfs listing", OBJECTS_DIR);
		else
			err("%s: %s", OBJECTS_PATH, strerror(e));
		return EXIT_UNAVAIL;
	}
	l->text = malloc(cap);
	while (l->text && (n = fread(l->text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *t = realloc(l->text, cap * 2);

			if (!t) {
				free(l->text);
				l->text = NULL;
				break;
			}
			l->text = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (!l->text) {
		err("out of memory");
		return EXIT_FAIL;
	}
	l->text[len] = 0;

	line = strtok_r(l->text, "\n", &save);
	if (!line) {
		err("%s: empty", OBJECTS_PATH);
		return EXIT_FAIL;
	}
	l->ncols = split_words(line, l->cols, MAX_COLS);
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *(*rows)[MAX_COLS] = realloc(l->rows, (l->nrows + 1) * sizeof(*rows));
		int i, nw;

		if (!rows) {
			err("out of memory");
			return EXIT_FAIL;
		}
		l->rows = rows;
		memset(rows[l->nrows], 0, sizeof(rows[0]));
		nw = split_words(line, rows[l->nrows], l->ncols);
		for (i = nw; i < l->ncols; i++)
			rows[l->nrows][i] = NULL;	/* a kind without that column */
		l->nrows++;
	}
	return EXIT_OK;
}

static int col_index(const struct listing *l, const char *name)
{
	int i;

	for (i = 0; i < l->ncols; i++)
		if (!strcmp(l->cols[i], name))
			return i;
	return -1;
}

/* A row's value in column @name, or NULL if the row or listing has none. */
static const char *cell(const struct listing *l, int row, const char *name)
{
	int i = col_index(l, name);

	return i < 0 ? NULL : l->rows[row][i];
}

static unsigned long long cell_u64(const struct listing *l, int row, const char *name)
{
	const char *v = cell(l, row, name);

	return v ? strtoull(v, NULL, 10) : 0;
}

static int row_type_matches(const struct listing *l, int row, int type)
{
	const char *t = cell(l, row, "type");

	return !type || (t && parse_type(t) == type);
}

/* ---- list --------------------------------------------------------------- */

static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void list_json(struct listing *l, int type)
{
	int r, c, first_obj = 1;

	printf("{\"source\":");
	json_str(OBJECTS_PATH);
	printf(",\"objects\":[");
	for (r = 0; r < l->nrows; r++) {
		int first = 1;

		if (!row_type_matches(l, r, type))
			continue;
		printf("%s{", first_obj ? "" : ",");
		first_obj = 0;
		for (c = 0; c < l->ncols; c++) {
			char *v = l->rows[r][c], *slash;

			if (!strcmp(l->cols[c], "name")) {
				if (v && strcmp(v, "-"))
					unescape(v);
				json_kstr(&first, "name", v && strcmp(v, "-") ? v : NULL);
			} else if (!v) {
				json_kstr(&first, l->cols[c], NULL);
			} else if (!strcmp(l->cols[c], "depth") && (slash = strchr(v, '/'))) {
				json_u64(&first, "depth", strtoull(v, NULL, 10));
				json_u64(&first, "max_depth", strtoull(slash + 1, NULL, 10));
			} else if (!strcmp(l->cols[c], "mode")) {
				char m[8];

				snprintf(m, sizeof(m), "0%s", v);
				json_kstr(&first, "mode", m);
			} else if (is_number(v)) {
				json_key(&first, l->cols[c]);
				fputs(v, stdout);
			} else {
				json_kstr(&first, l->cols[c], v);
			}
		}
		putchar('}');
	}
	printf("]}\n");
}

/* A plain text table: column widths from the data, numbers right-aligned. */
static void print_table(int ncols, const char **head, char ***cells, int nrows)
{
	int w[MAX_COLS] = { 0 }, r, c;

	for (c = 0; c < ncols; c++)
		w[c] = (int)strlen(head[c]);
	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++)
			if ((int)strlen(cells[r][c]) > w[c])
				w[c] = (int)strlen(cells[r][c]);
	for (c = 0; c < ncols; c++)
		printf("%-*s%s", w[c], head[c], c + 1 < ncols ? "  " : "\n");
	for (r = 0; r < nrows; r++)
		for (c = 0; c < ncols; c++) {
			const char *v = cells[r][c];
			int left = !is_number(v) && !strchr(v, '/');

			printf(left ? "%-*s%s" : "%*s%s", w[c], v, c + 1 < ncols ? "  " : "\n");
		}
}

static void list_human(struct listing *l, int type)
{
	const char *head[MAX_COLS];
	char ***cells;
	int r, c, n = 0;

	cells = calloc(l->nrows ? l->nrows : 1, sizeof(*cells));
	if (!cells)
		return;
	for (c = 0; c < l->ncols; c++) {
		static char upper[MAX_COLS][32];
		int i;

		for (i = 0; l->cols[c][i] && i < 31; i++)
			upper[c][i] = (char)(l->cols[c][i] >= 'a' && l->cols[c][i] <= 'z' ?
					     l->cols[c][i] - 32 : l->cols[c][i]);
		upper[c][i] = 0;
		head[c] = !strcmp(l->cols[c], "uid") ? "OWNER" :
			  !strcmp(l->cols[c], "gid") ? "GROUP" : upper[c];
	}
	for (r = 0; r < l->nrows; r++) {
		if (!row_type_matches(l, r, type))
			continue;
		cells[n] = calloc(l->ncols, sizeof(char *));
		if (!cells[n])
			break;
		for (c = 0; c < l->ncols; c++) {
			const char *v = l->rows[r][c];
			char buf[64];

			if (!v)
				v = "-";
			else if (!strcmp(l->cols[c], "uid"))
				v = user_name((unsigned int)strtoul(v, NULL, 10), buf, sizeof(buf));
			else if (!strcmp(l->cols[c], "gid"))
				v = group_name((unsigned int)strtoul(v, NULL, 10), buf, sizeof(buf));
			cells[n][c] = strdup(v);
			if (!cells[n][c])
				cells[n][c] = "?";
		}
		n++;
	}
	if (!n)
		printf("no kipc %s\n", type == KIPC_OBJ_CHAN ? "channels" :
		       type == KIPC_OBJ_REGION ? "regions" : "objects");
	else
		print_table(l->ncols, head, cells, n);
	for (r = 0; r < n; r++) {
		for (c = 0; c < l->ncols; c++)
			if (strcmp(cells[r][c], "?"))
				free(cells[r][c]);
		free(cells[r]);
	}
	free(cells);
}

static int type_option(const char *arg, int *type)
{
	*type = parse_type(arg);
	if (!*type) {
		err("-t: expected chan or shm, got '%s'", arg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const struct option sub_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "type", required_argument, NULL, 't' },
	{ "mode", required_argument, NULL, 'm' },
	{ "size", required_argument, NULL, 's' },
	{ "max-msgs", required_argument, NULL, 'M' },
	{ "max-msg-size", required_argument, NULL, 'S' },
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options of a subcommand: @allowed lists its short option letters.
 * Returns -1 at the end, or the option letter; EXIT_USAGE-worthy problems
 * come back as '?'.
 */
static int sub_getopt(int argc, char **argv, const char *allowed)
{
	int c = getopt_long(argc, argv, "+jht:m:s:M:S:i:n:", sub_opts, NULL);

	if (c == 'j') {
		json = 1;
		return sub_getopt(argc, argv, allowed);
	}
	if (c == -1 || c == 'h' || c == '?')
		return c;
	if (!strchr(allowed, c)) {
		err("option -%c does not apply to %s", c, argv[0]);
		return '?';
	}
	return c;
}

static int cmd_list(int argc, char **argv)
{
	struct listing l;
	int c, type = 0, ret;

	while ((c = sub_getopt(argc, argv, "t")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == '?' || type_option(optarg, &type))
			return EXIT_USAGE;
	}
	if (optind != argc) {
		err("list takes no arguments");
		return EXIT_USAGE;
	}
	ret = check_module();
	if (ret)
		return ret;
	ret = listing_read(&l);
	if (ret) {
		listing_free(&l);
		return ret;
	}
	if (json)
		list_json(&l, type);
	else
		list_human(&l, type);
	listing_free(&l);
	return EXIT_OK;
}

/* ---- stat --------------------------------------------------------------- */

/* Open a channel to look at it: read-only if allowed, else write-only. */
static int open_chan_for_stat(const char *name, int *own_recv)
{
	int fd = kipc_chan_open(name, O_RDONLY | O_CLOEXEC, 0, NULL);

	*own_recv = 1;
	if (fd == -EACCES) {
		fd = kipc_chan_open(name, O_WRONLY | O_CLOEXEC, 0, NULL);
		*own_recv = 0;
	}
	return fd;
}

static void print_chan_stat(const char *name, const struct kipc_chan_stat *st, int own_recv)
{
	unsigned int senders = st->nr_senders - (own_recv ? 0 : 1);
	unsigned int receivers = st->nr_receivers - (own_recv ? 1 : 0);
	char ub[32], gb[32];

	if (json) {
		int first = 1;
		char m[8];

		snprintf(m, sizeof(m), "0%03o", st->mode);
		printf("{");
		json_kstr(&first, "type", "chan");
		json_kstr(&first, "name", name);
		json_u64(&first, "id", st->id);
		json_u64(&first, "uid", st->uid);
		json_u64(&first, "gid", st->gid);
		json_kstr(&first, "mode", m);
		json_u64(&first, "depth", st->nr_msgs);
		json_u64(&first, "max_depth", st->max_msgs);
		json_u64(&first, "max_msg_size", st->max_msg_size);
		json_u64(&first, "bytes", st->bytes_queued);
		json_u64(&first, "sent", st->sent);
		json_u64(&first, "received", st->received);
		json_u64(&first, "discarded", st->discarded);
		json_u64(&first, "senders", senders);
		json_u64(&first, "receivers", receivers);
		json_key(&first, "named");
		fputs(st->state & KIPC_CHAN_NAMED ? "true" : "false", stdout);
		printf("}");
		return;
	}
	printf("channel %s\n", name);
	printf("  id            %llu\n", (unsigned long long)st->id);
	printf("  owner         %s (%u)\n", user_name(st->uid, ub, sizeof(ub)), st->uid);
	printf("  group         %s (%u)\n", group_name(st->gid, gb, sizeof(gb)), st->gid);
	printf("  mode          0%03o\n", st->mode);
	printf("  depth         %u of %u messages\n", st->nr_msgs, st->max_msgs);
	printf("  bytes queued  %llu\n", (unsigned long long)st->bytes_queued);
	printf("  max message   %u bytes\n", st->max_msg_size);
	printf("  sent          %llu\n", (unsigned long long)st->sent);
	printf("  received      %llu\n", (unsigned long long)st->received);
	printf("  discarded     %llu\n", (unsigned long long)st->discarded);
	printf("  senders       %u open fds\n", senders);
	printf("  receivers     %u open fds\n", receivers);
}

static void print_shm_stat(const char *name, const struct kipc_shm_stat *st)
{
	char ub[32], gb[32];

	if (json) {
		int first = 1;
		char m[8];

		snprintf(m, sizeof(m), "0%03o", st->mode);
		printf("{");
		json_kstr(&first, "type", "shm");
		json_kstr(&first, "name", name);
		json_u64(&first, "id", st->id);
		json_u64(&first, "uid", st->uid);
		json_u64(&first, "gid", st->gid);
		json_kstr(&first, "mode", m);
		json_u64(&first, "length", st->length);
		json_u64(&first, "refs", st->nr_refs);
		json_u64(&first, "maps", st->nr_maps);
		printf("}");
		return;
	}
	printf("region %s\n", name);
	printf("  id            %llu\n", (unsigned long long)st->id);
	printf("  owner         %s (%u)\n", user_name(st->uid, ub, sizeof(ub)), st->uid);
	printf("  group         %s (%u)\n", group_name(st->gid, gb, sizeof(gb)), st->gid);
	printf("  mode          0%03o\n", st->mode);
	printf("  length        %llu bytes\n", (unsigned long long)st->length);
	printf("  references    %u queued in channels\n", st->nr_refs);
	printf("  mappings      %u\n", st->nr_maps);
}

/*
 * Print the named object(s) of @type (0: both kinds). Returns 1 if found,
 * 0 if not, or -errno for another failure (said).
 */
static int stat_one(const char *name, int type, int *first_doc)
{
	int found = 0, fd, own_recv, ret = 0;

	if (!type || type == KIPC_OBJ_CHAN) {
		struct kipc_chan_stat st;

		fd = open_chan_for_stat(name, &own_recv);
		if (fd >= 0) {
			ret = kipc_chan_stat(fd, &st);
			close(fd);
			if (ret < 0) {
				err("channel %s: stat: %s", name, strerror(-ret));
				return ret;
			}
			if (json && !*first_doc)
				putchar(',');
			else if (!json && !*first_doc)
				putchar('\n');
			*first_doc = 0;
			print_chan_stat(name, &st, own_recv);
			found = 1;
		} else if (fd != -ENOENT) {
			err("channel %s: %s", name, strerror(-fd));
			return fd;
		}
	}
	if (!type || type == KIPC_OBJ_REGION) {
		struct kipc_shm_stat st;

		fd = kipc_shm_open(name, O_RDONLY | O_CLOEXEC, 0, 0);
		if (fd >= 0) {
			ret = kipc_shm_stat(fd, &st);
			close(fd);
			if (ret < 0) {
				err("region %s: stat: %s", name, strerror(-ret));
				return ret;
			}
			if (json && !*first_doc)
				putchar(',');
			else if (!json && !*first_doc)
				putchar('\n');
			*first_doc = 0;
			print_shm_stat(name, &st);
			found = 1;
		} else if (fd != -ENOENT) {
			err("region %s: %s", name, strerror(-fd));
			return fd;
		}
	}
	return found;
}

static int cmd_stat(int argc, char **argv)
{
	int c, type = 0, ret, i, first = 1, status = EXIT_OK;

	while ((c = sub_getopt(argc, argv, "t")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == '?' || type_option(optarg, &type))
			return EXIT_USAGE;
	}
	if (optind == argc) {
		err("stat: which NAME?");
		return EXIT_USAGE;
	}
	ret = check_module();
	if (ret)
		return ret;
	if (json)
		printf("{\"objects\":[");
	for (i = optind; i < argc; i++) {
		ret = stat_one(argv[i], type, &first);
		if (ret == 0)
			err("%s: no such %s", argv[i], type == KIPC_OBJ_CHAN ? "channel" :
			    type == KIPC_OBJ_REGION ? "region" : "channel or region");
		if (ret <= 0)
			status = EXIT_FAIL;
	}
	if (json)
		printf("]}\n");
	return status;
}

/* ---- create and unlink -------------------------------------------------- */

static int cmd_create(int argc, char **argv)
{
	unsigned long long size = 0, max_msgs = 0, max_msg_size = 0;
	int c, type, fd, ret, have_size = 0;
	const char *name;
	mode_t mode = 0600;

	if (argc < 3 || argv[1][0] == '-') {
		if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			usage(stdout);
			return EXIT_OK;
		}
		err("usage: create chan|shm NAME [options]");
		return EXIT_USAGE;
	}
	type = parse_type(argv[1]);
	if (!type) {
		err("create: expected chan or shm, got '%s'", argv[1]);
		return EXIT_USAGE;
	}
	name = argv[2];
	argv += 2;
	argc -= 2;
	optind = 1;
	while ((c = sub_getopt(argc, argv, type == KIPC_OBJ_CHAN ? "mMS" : "ms")) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'm':
			if (parse_mode(optarg, &mode)) {
				err("--mode: expected octal permission bits, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &size, 1) || !size) {
				err("--size: expected a size in bytes (K, M, G suffixes), got '%s'", optarg);
				return EXIT_USAGE;
			}
			have_size = 1;
			break;
		case 'M':
			if (parse_u64(optarg, &max_msgs, 0) || max_msgs > UINT32_MAX) {
				err("--max-msgs: expected a number, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			if (parse_u64(optarg, &max_msg_size, 1) || max_msg_size > UINT32_MAX) {
				err("--max-msg-size: expected a size in bytes, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		err("create: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (type == KIPC_OBJ_REGION && !have_size) {
		err("create shm: --size is required");
		return EXIT_USAGE;
	}
	ret = check_module();
	if (ret)
		return ret;

	if (type == KIPC_OBJ_CHAN) {
		struct kipc_chan_attr attr = {
			.max_msgs = (uint32_t)max_msgs,
			.max_msg_size = (uint32_t)max_msg_size,
		};
		struct kipc_chan_stat st;

		fd = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode, &attr);
		if (fd < 0) {
			err("create channel %s: %s", name, strerror(-fd));
			return EXIT_FAIL;
		}
		ret = kipc_chan_stat(fd, &st);
		close(fd);
		if (ret < 0) {
			err("channel %s: stat: %s", name, strerror(-ret));
			return EXIT_FAIL;
		}
		if (json) {
			printf("{\"created\":");
			print_chan_stat(name, &st, 1);
			printf("}\n");
		} else {
			printf("created channel %s: mode 0%03o, depth %u, max message %u bytes\n",
			       name, st.mode, st.max_msgs, st.max_msg_size);
		}
	} else {
		struct kipc_shm_stat st;

		if (size > SIZE_MAX) {
			err("create shm: --size too large");
			return EXIT_USAGE;
		}
		fd = kipc_shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode, (size_t)size);
		if (fd < 0) {
			err("create region %s: %s", name, strerror(-fd));
			return EXIT_FAIL;
		}
		ret = kipc_shm_stat(fd, &st);
		close(fd);
		if (ret < 0) {
			err("region %s: stat: %s", name, strerror(-ret));
			return EXIT_FAIL;
		}
		if (json) {
			printf("{\"created\":");
			print_shm_stat(name, &st);
			printf("}\n");
		} else {
			printf("created region %s: mode 0%03o, %llu bytes\n", name, st.mode,
			       (unsigned long long)st.length);
		}
	}
	return EXIT_OK;
}

static int cmd_unlink(int argc, char **argv)
{
	int type, i, ret, status = EXIT_OK, first = 1;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc < 3) {
		err("usage: unlink chan|shm NAME...");
		return EXIT_USAGE;
	}
	type = parse_type(argv[1]);
	if (!type) {
		err("unlink: expected chan or shm, got '%s'", argv[1]);
		return EXIT_USAGE;
	}
	ret = check_module();
	if (ret)
		return ret;
	if (json)
		printf("{\"unlinked\":[");
	for (i = 2; i < argc; i++) {
		ret = type == KIPC_OBJ_CHAN ? kipc_chan_unlink(argv[i]) : kipc_shm_unlink(argv[i]);
		if (json) {
			int f = 1;

			printf("%s{", first ? "" : ",");
			first = 0;
			json_kstr(&f, "name", argv[i]);
			json_kstr(&f, "error", ret < 0 ? strerror(-ret) : NULL);
			printf("}");
		} else if (!ret) {
			printf("unlinked %s %s\n", type == KIPC_OBJ_CHAN ? "channel" : "region",
			       argv[i]);
		}
		if (ret < 0) {
			err("unlink %s %s: %s", type == KIPC_OBJ_CHAN ? "channel" : "region",
			    argv[i], strerror(-ret));
			status = EXIT_FAIL;
		}
	}
	if (json)
		printf("]}\n");
	return status;
}

/* ---- watch -------------------------------------------------------------- */

/* One watched object's counters at the last sample. */
struct sample {
	int type;
	unsigned long long id;
	char name[KIPC_NAME_MAX * 4];	/* as listed (escaped) or as given */
	unsigned long long depth, max_depth, bytes, sent, received, waiters;
	int fd;				/* by-name mode: the open channel */
	int seen;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sample *find_sample(struct sample *s, int n, int type, unsigned long long id)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i].type == type && s[i].id == id)
			return &s[i];
	return NULL;
}

/* Fill @cur from the listing (all objects, filtered by type and names). */
static int sample_listing(struct sample **cur, int *n, int type, char **names, int nnames)
{
	struct listing l;
	int r, i, ret;

	ret = listing_read(&l);
	if (ret) {
		listing_free(&l);
		return ret;
	}
	*cur = calloc(l.nrows ? l.nrows : 1, sizeof(**cur));
	*n = 0;
	if (!*cur) {
		listing_free(&l);
		return EXIT_FAIL;
	}
	for (r = 0; r < l.nrows; r++) {
		struct sample *s = &(*cur)[*n];
		const char *v;

		if (!row_type_matches(&l, r, type))
			continue;
		v = cell(&l, r, "name");
		if (nnames) {
			char un[sizeof(s->name)];

			snprintf(un, sizeof(un), "%s", v ? v : "-");
			unescape(un);
			for (i = 0; i < nnames; i++)
				if (!strcmp(un, names[i]))
					break;
			if (i == nnames)
				continue;
		}
		s->type = parse_type(cell(&l, r, "type") ? cell(&l, r, "type") : "");
		s->id = cell_u64(&l, r, "id");
		snprintf(s->name, sizeof(s->name), "%s", v ? v : "-");
		v = cell(&l, r, "depth");
		if (v) {
			s->depth = strtoull(v, NULL, 10);
			s->max_depth = strchr(v, '/') ? strtoull(strchr(v, '/') + 1, NULL, 10) : 0;
		}
		s->bytes = cell_u64(&l, r, "bytes");
		s->sent = cell_u64(&l, r, "sent");
		s->received = cell_u64(&l, r, "received");
		s->waiters = cell_u64(&l, r, "waiters");
		s->fd = -1;
		(*n)++;
	}
	listing_free(&l);
	return EXIT_OK;
}

static void watch_report(const struct sample *cur, int n, const struct sample *prev, int nprev,
			 double dt, const struct kipc_global_stat *g, const char *source)
{
	char stamp[32];
	time_t now = time(NULL);
	int i;

	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&now));
	if (json) {
		int first = 1, fo = 1;

		printf("{");
		json_u64(&first, "time", (unsigned long long)now);
		json_key(&first, "interval_s");
		printf("%.3f", dt);
		json_kstr(&first, "source", source);
		json_key(&first, "module");
		printf("{\"channels\":%u,\"regions\":%u,\"queued_msgs\":%llu,"
		       "\"queued_bytes\":%llu,\"region_bytes\":%llu}",
		       g->nr_chans, g->nr_regions, (unsigned long long)g->nr_msgs,
		       (unsigned long long)g->bytes_queued, (unsigned long long)g->region_bytes);
		json_key(&first, "objects");
		putchar('[');
		for (i = 0; i < n; i++) {
			const struct sample *p = find_sample((struct sample *)prev, nprev,
							     cur[i].type, cur[i].id);
			char un[sizeof(cur[i].name)];
			int f = 1;

			snprintf(un, sizeof(un), "%s", cur[i].name);
			unescape(un);
			printf("%s{", fo ? "" : ",");
			fo = 0;
			json_kstr(&f, "type", cur[i].type == KIPC_OBJ_CHAN ? "chan" : "shm");
			json_u64(&f, "id", cur[i].id);
			json_kstr(&f, "name", strcmp(cur[i].name, "-") ? un : NULL);
			json_u64(&f, "depth", cur[i].depth);
			json_u64(&f, "max_depth", cur[i].max_depth);
			json_u64(&f, "bytes", cur[i].bytes);
			json_u64(&f, "waiters", cur[i].waiters);
			json_key(&f, "sent_per_s");
			printf("%.1f", p ? (cur[i].sent - p->sent) / dt : 0.0);
			json_key(&f, "received_per_s");
			printf("%.1f", p ? (cur[i].received - p->received) / dt : 0.0);
			printf("}");
		}
		printf("]}\n");
		fflush(stdout);
		return;
	}
	printf("%s  %u channels, %u regions, %llu messages (%llu bytes) queued\n", stamp,
	       g->nr_chans, g->nr_regions, (unsigned long long)g->nr_msgs,
	       (unsigned long long)g->bytes_queued);
	if (n) {
		printf("  %-4s %6s %-24s %13s %10s %10s %10s %7s\n", "TYPE", "ID", "NAME", "DEPTH",
		       "BYTES", "SENT/s", "RECV/s", "WAITERS");
		for (i = 0; i < n; i++) {
			const struct sample *p = find_sample((struct sample *)prev, nprev,
							     cur[i].type, cur[i].id);
			char depth[48];

			if (cur[i].type != KIPC_OBJ_CHAN) {
				/* regions carry no message counters */
				printf("  %-4s %6llu %-24s %13s %10s %10s %10s %7s\n", "shm",
				       cur[i].id, cur[i].name, "-", "-", "-", "-", "-");
				continue;
			}
			snprintf(depth, sizeof(depth), "%llu/%llu", cur[i].depth, cur[i].max_depth);
			printf("  %-4s %6llu %-24s %13s %10llu %10.1f %10.1f %7llu\n", "chan",
			       cur[i].id, cur[i].name, depth, cur[i].bytes,
			       p ? (cur[i].sent - p->sent) / dt : 0.0,
			       p ? (cur[i].received - p->received) / dt : 0.0, cur[i].waiters);
		}
	}
	fflush(stdout);
}

/* Without debugfs: the named channels' own stats, through fds kept open. */
static int sample_named(struct sample *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct kipc_chan_stat st;
		int ret = kipc_chan_stat(s[i].fd, &st);

		if (ret < 0) {
			err("channel %s: stat: %s", s[i].name, strerror(-ret));
			return EXIT_FAIL;
		}
		s[i].type = KIPC_OBJ_CHAN;
		s[i].id = st.id;
		s[i].depth = st.nr_msgs;
		s[i].max_depth = st.max_msgs;
		s[i].bytes = st.bytes_queued;
		s[i].sent = st.sent;
		s[i].received = st.received;
		s[i].waiters = 0;
	}
	return EXIT_OK;
}

static int cmd_watch(int argc, char **argv)
{
	unsigned long long count = 0, done = 0;
	struct sample *prev = NULL, *cur = NULL;
	int c, type = 0, ret, nprev = 0, ncur = 0, by_name = 0, i;
	double interval = 1.0, t_prev, t_now;
	const char *source = OBJECTS_PATH;
	char *end;

	while ((c = sub_getopt(argc, argv, "tin")) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 't':
			if (type_option(optarg, &type))
				return EXIT_USAGE;
			break;
		case 'i':
			interval = strtod(optarg, &end);
			if (*end || !(interval >= 0.01 && interval <= 86400)) {
				err("--interval: expected seconds (0.01 to 86400), got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_u64(optarg, &count, 0) || !count) {
				err("--count: expected a positive number, got '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return EXIT_USAGE;
		}
	}
	ret = check_module();
	if (ret)
		return ret;

	if (access(OBJECTS_PATH, R_OK)) {
		if (optind == argc || type == KIPC_OBJ_REGION) {
			/* Say why the listing is not there, and stop. */
			struct listing l;

			ret = listing_read(&l);
			listing_free(&l);
			if (ret) {
				err("watch: without the debugfs listing, name the channels to watch");
				return ret;
			}
		}
		by_name = 1;
		source = "channel stats";
		nprev = argc - optind;
		prev = calloc(nprev, sizeof(*prev));
		cur = calloc(nprev, sizeof(*cur));
		if (!prev || !cur)
			return EXIT_FAIL;
		for (i = 0; i < nprev; i++) {
			int own;

			snprintf(prev[i].name, sizeof(prev[i].name), "%s", argv[optind + i]);
			prev[i].fd = open_chan_for_stat(argv[optind + i], &own);
			if (prev[i].fd < 0) {
				err("channel %s: %s", argv[optind + i], strerror(-prev[i].fd));
				return EXIT_FAIL;
			}
			cur[i] = prev[i];
		}
		ncur = nprev;
		ret = sample_named(prev, nprev);
	} else {
		ret = sample_listing(&prev, &nprev, type, argv + optind, argc - optind);
	}
	if (ret)
		return ret;
	t_prev = mono_s();

	for (;;) {
		struct kipc_global_stat g;
		struct timespec ts;

		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (by_name) {
			ret = sample_named(cur, ncur);
		} else {
			free(cur);
			cur = NULL;
			ret = sample_listing(&cur, &ncur, type, argv + optind, argc - optind);
		}
		if (ret)
			break;
		t_now = mono_s();
		ret = kipc_stat(&g);
		if (ret < 0) {
			err("module counters: %s", strerror(-ret));
			ret = EXIT_FAIL;
			break;
		}
		watch_report(cur, ncur, prev, nprev, t_now - t_prev, &g, source);
		t_prev = t_now;
		if (by_name) {
			memcpy(prev, cur, ncur * sizeof(*cur));
		} else {
			free(prev);
			prev = cur;
			nprev = ncur;
			cur = NULL;
		}
		if (count && ++done == count)
			break;
		if (!json)
			putchar('\n');
	}
	if (by_name)
		for (i = 0; i < nprev; i++)
			close(prev[i].fd);
	free(prev);
	free(cur);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = strrchr(argv[0], '/');
	int c;

	prog = base ? base + 1 : argv[0];
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 1;
	if (!strcmp(argv[0], "list"))
		return cmd_list(argc, argv);
	if (!strcmp(argv[0], "stat"))
		return cmd_stat(argc, argv);
	if (!strcmp(argv[0], "create"))
		return cmd_create(argc, argv);
	if (!strcmp(argv[0], "unlink") || !strcmp(argv[0], "rm"))
		return cmd_unlink(argc, argv);
	if (!strcmp(argv[0], "watch"))
		return cmd_watch(argc, argv);
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	err("unknown command '%s' (try --help)", argv[0]);
	return EXIT_USAGE;
}
