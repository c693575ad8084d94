// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl (kipc-ctl): list, inspect, create and remove kipc channels and
 * regions, and watch their message rates; ipcs/ipcrm for kipc. Installed
 * as both kipc-ctl and kipcctl; see usage() and kipcctl(1).
 *
 * Where the data comes from:
 *   list, watch  kipc_list() (KIPC_IOC_LIST), the module's stable object
 *                listing: root sees every object, anyone else the named
 *                objects they may open for reading
 *   stat         opens each object by name (read-only when permitted)
 *                and asks the kernel (kipc_chan_stat/kipc_shm_stat): only
 *                the mode bits' permission is needed
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
#include <time.h>
#include <unistd.h>

#include <kipc.h>

/* Exit codes (also in usage()). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* an operation failed (no such name, permission, ...) */
	EXIT_USAGE = 2,
	EXIT_UNAVAIL = 3,	/* no module, or one without KIPC_IOC_LIST */
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
		"  list [-t chan|shm]          the live objects you may see, from the module's\n"
		"                              listing (KIPC_IOC_LIST): root sees every one,\n"
		"                              other users the named objects they may read\n"
		"  stat [-t chan|shm] NAME...  one object's state, asked of the kernel by\n"
		"                              opening it by name (needs read or write\n"
		"                              permission on it); the counts of\n"
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
		"                              interrupted or COUNT reports, of the objects\n"
		"                              list shows (or only those NAMEs)\n"
		"\n"
		"Options:\n"
		"  -j, --json     machine-readable output: one JSON document (watch: one\n"
		"                 JSON object per line)\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit status: 0 success, 1 an operation failed, 2 usage error, 3 kipc not\n"
		"available (module not loaded, or too old to list objects), 4 the\n"
		"module's ABI version differs from the library's.\n",
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

/* ---- the object listing (KIPC_IOC_LIST) --------------------------------- */

/*
 * Every object the caller may see (all of them for CAP_SYS_ADMIN, else the
 * named ones it may read), through kipc_list(). Returns 0 with *@out (to
 * free) and *@n set, or the exit code after saying why.
 */
static int list_read(struct kipc_list_entry **out, int *n)
{
	struct kipc_list_entry *all = NULL;
	uint64_t next = 0;
	int cap = 0, len = 0, ret;

	do {
		if (cap - len < 64) {
			struct kipc_list_entry *t = realloc(all, (cap + 64) * sizeof(*all));

			if (!t) {
				free(all);
				err("out of memory");
				return EXIT_FAIL;
			}
			all = t;
			cap += 64;
		}
		ret = kipc_list(next, all + len, (unsigned int)(cap - len), &next);
		if (ret < 0) {
			free(all);
			if (ret == -ENOTTY) {
				err("the loaded kipc module has no object listing (KIPC_IOC_LIST): "
				    "load a newer kipc.ko");
				return EXIT_UNAVAIL;
			}
			err("listing objects: %s", strerror(-ret));
			return EXIT_FAIL;
		}
		len += ret;
	} while (next);
	*out = all;
	*n = len;
	return EXIT_OK;
}

static const char *type_name(unsigned int type)
{
	return type == KIPC_OBJ_CHAN ? "chan" : type == KIPC_OBJ_REGION ? "shm" : "?";
}

/*
 * @name for a text column, into @buf: "-" when there is none; spaces,
 * backslashes and unprintable bytes as \ooo, so that a column never splits.
 */
static void name_cell(const char *name, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t o = 0;

	if (!*name) {
		snprintf(buf, len, "-");
		return;
	}
	for (; *p && o + 5 < len; p++) {
		if (*p <= ' ' || *p == '\\' || *p >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\%03o", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = 0;
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

static void list_json(const struct kipc_list_entry *e, int n, int type)
{
	int i, first_obj = 1;

	printf("{\"source\":\"KIPC_IOC_LIST\",\"objects\":[");
	for (i = 0; i < n; i++) {
		int first = 1;
		char m[8];

		if (type && e[i].type != (unsigned int)type)
			continue;
		printf("%s{", first_obj ? "" : ",");
		first_obj = 0;
		snprintf(m, sizeof(m), "0%03o", e[i].mode);
		json_kstr(&first, "type", type_name(e[i].type));
		json_u64(&first, "id", e[i].id);
		json_kstr(&first, "name", e[i].name[0] ? e[i].name : NULL);
		json_u64(&first, "uid", e[i].uid);
		json_u64(&first, "gid", e[i].gid);
		json_kstr(&first, "mode", m);
		if (e[i].type == KIPC_OBJ_CHAN) {
			json_u64(&first, "depth", e[i].nr_msgs);
			json_u64(&first, "max_depth", e[i].max_msgs);
			json_u64(&first, "bytes", e[i].bytes);
			json_u64(&first, "sent", e[i].sent);
			json_u64(&first, "received", e[i].received);
			json_u64(&first, "waiters", e[i].nr_waiters);
		} else {
			json_u64(&first, "length", e[i].bytes);
			json_u64(&first, "refs", e[i].nr_msgs);
			json_u64(&first, "maps", e[i].nr_maps);
		}
		json_u64(&first, "fds", e[i].nr_fds);
		putchar('}');
	}
	printf("]}\n");
}

#define LIST_COLS	13

/* One row of the text table: the name, and the other columns. */
struct row {
	char name[KIPC_NAME_MAX * 4];
	char col[LIST_COLS][32];
};

static const char *row_cell(const struct row *r, int c)
{
	return c == 2 ? r->name : r->col[c];
}

/* A plain text table: column widths from the data, numbers right-aligned. */
static void print_table(const char *const *head, const struct row *rows, int nrows)
{
	int w[LIST_COLS] = { 0 }, r, c;

	for (c = 0; c < LIST_COLS; c++)
		w[c] = (int)strlen(head[c]);
	for (r = 0; r < nrows; r++)
		for (c = 0; c < LIST_COLS; c++)
			if ((int)strlen(row_cell(&rows[r], c)) > w[c])
				w[c] = (int)strlen(row_cell(&rows[r], c));
	for (c = 0; c < LIST_COLS; c++)
		printf("%-*s%s", w[c], head[c], c + 1 < LIST_COLS ? "  " : "\n");
	for (r = 0; r < nrows; r++)
		for (c = 0; c < LIST_COLS; c++) {
			const char *v = row_cell(&rows[r], c);
			int left = !is_number(v) && !strchr(v, '/');

			printf(left ? "%-*s%s" : "%*s%s", w[c], v, c + 1 < LIST_COLS ? "  " : "\n");
		}
}

/* "-" for a counter an object's kind does not have. */
static void u64_cell(char *buf, int applies, unsigned long long v)
{
	if (applies)
		snprintf(buf, 32, "%llu", v);
	else
		snprintf(buf, 32, "-");
}

static void list_human(const struct kipc_list_entry *e, int n, int type)
{
	static const char *const head[LIST_COLS] = {
		"TYPE", "ID", "NAME", "OWNER", "GROUP", "MODE", "DEPTH", "BYTES",
		"SENT", "RECEIVED", "FDS", "MAPS", "WAITERS",
	};
	struct row *rows;
	int i, nrows = 0;

	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows) {
		err("out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		struct row *r = &rows[nrows];
		int chan = e[i].type == KIPC_OBJ_CHAN;
		char ub[32];

		if (type && e[i].type != (unsigned int)type)
			continue;
		snprintf(r->col[0], 32, "%s", type_name(e[i].type));
		u64_cell(r->col[1], 1, e[i].id);
		name_cell(e[i].name, r->name, sizeof(r->name));
		snprintf(r->col[3], 32, "%s", user_name(e[i].uid, ub, sizeof(ub)));
		snprintf(r->col[4], 32, "%s", group_name(e[i].gid, ub, sizeof(ub)));
		snprintf(r->col[5], 32, "%03o", e[i].mode);
		/* a region's depth: references to it queued in channels */
		if (chan)
			snprintf(r->col[6], 32, "%u/%u", e[i].nr_msgs, e[i].max_msgs);
		else
			u64_cell(r->col[6], 1, e[i].nr_msgs);
		u64_cell(r->col[7], 1, e[i].bytes);
		u64_cell(r->col[8], chan, e[i].sent);
		u64_cell(r->col[9], chan, e[i].received);
		u64_cell(r->col[10], 1, e[i].nr_fds);
		u64_cell(r->col[11], !chan, e[i].nr_maps);
		u64_cell(r->col[12], chan, e[i].nr_waiters);
		nrows++;
	}
	if (!nrows)
		printf("no kipc %s\n", type == KIPC_OBJ_CHAN ? "channels" :
		       type == KIPC_OBJ_REGION ? "regions" : "objects");
	else
		print_table(head, rows, nrows);
	free(rows);
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
	struct kipc_list_entry *e;
	int c, type = 0, ret, n;

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
	ret = list_read(&e, &n);
	if (ret)
		return ret;
	if (json)
		list_json(e, n, type);
	else
		list_human(e, n, type);
	free(e);
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
	char name[KIPC_NAME_MAX];	/* empty: not named */
	unsigned long long depth, max_depth, bytes, sent, received, waiters;
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

/* Fill @cur (to free) from the listing, filtered by type and names. */
static int sample_listing(struct sample **cur, int *n, int type, char **names, int nnames)
{
	struct kipc_list_entry *e;
	int nent, r, i, ret;

	ret = list_read(&e, &nent);
	if (ret)
		return ret;
	*cur = calloc(nent ? nent : 1, sizeof(**cur));
	*n = 0;
	if (!*cur) {
		free(e);
		err("out of memory");
		return EXIT_FAIL;
	}
	for (r = 0; r < nent; r++) {
		struct sample *s = &(*cur)[*n];

		if (type && e[r].type != (unsigned int)type)
			continue;
		for (i = 0; i < nnames; i++)
			if (!strcmp(e[r].name, names[i]))
				break;
		if (nnames && i == nnames)
			continue;
		s->type = (int)e[r].type;
		s->id = e[r].id;
		snprintf(s->name, sizeof(s->name), "%s", e[r].name);
		s->depth = e[r].nr_msgs;
		s->max_depth = e[r].max_msgs;
		s->bytes = e[r].bytes;
		s->sent = e[r].sent;
		s->received = e[r].received;
		s->waiters = e[r].nr_waiters;
		(*n)++;
	}
	free(e);
	return EXIT_OK;
}

static void watch_report(const struct sample *cur, int n, const struct sample *prev, int nprev,
			 double dt, const struct kipc_global_stat *g)
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
		json_kstr(&first, "source", "KIPC_IOC_LIST");
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
			int f = 1;

			printf("%s{", fo ? "" : ",");
			fo = 0;
			json_kstr(&f, "type", cur[i].type == KIPC_OBJ_CHAN ? "chan" : "shm");
			json_u64(&f, "id", cur[i].id);
			json_kstr(&f, "name", cur[i].name[0] ? cur[i].name : NULL);
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
			char depth[48], name[KIPC_NAME_MAX * 4];

			name_cell(cur[i].name, name, sizeof(name));
			if (cur[i].type != KIPC_OBJ_CHAN) {
				/* regions carry no message counters */
				printf("  %-4s %6llu %-24s %13s %10s %10s %10s %7s\n", "shm",
				       cur[i].id, name, "-", "-", "-", "-", "-");
				continue;
			}
			snprintf(depth, sizeof(depth), "%llu/%llu", cur[i].depth, cur[i].max_depth);
			printf("  %-4s %6llu %-24s %13s %10llu %10.1f %10.1f %7llu\n", "chan",
			       cur[i].id, name, depth, cur[i].bytes,
			       p ? (cur[i].sent - p->sent) / dt : 0.0,
			       p ? (cur[i].received - p->received) / dt : 0.0, cur[i].waiters);
		}
	}
	fflush(stdout);
}

static int cmd_watch(int argc, char **argv)
{
	unsigned long long count = 0, done = 0;
	struct sample *prev = NULL, *cur = NULL;
	int c, type = 0, ret, nprev = 0, ncur = 0, i;
	double interval = 1.0, t_prev, t_now;
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
	ret = sample_listing(&prev, &nprev, type, argv + optind, argc - optind);
	if (ret)
		return ret;
	for (c = optind; c < argc; c++) {
		for (i = 0; i < nprev && strcmp(prev[i].name, argv[c]); i++)
			;
		if (i == nprev) {
			err("watch: no %s named %s that you may read", type == KIPC_OBJ_CHAN ?
			    "channel" : type == KIPC_OBJ_REGION ? "region" : "channel or region",
			    argv[c]);
			free(prev);
			return EXIT_FAIL;
		}
	}
	t_prev = mono_s();

	for (;;) {
		struct kipc_global_stat g;
		struct timespec ts;

		ts.tv_sec = (time_t)interval;
		ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		free(cur);
		cur = NULL;
		ret = sample_listing(&cur, &ncur, type, argv + optind, argc - optind);
		if (ret)
			break;
		t_now = mono_s();
		ret = kipc_stat(&g);
		if (ret < 0) {
			err("module counters: %s", strerror(-ret));
			ret = EXIT_FAIL;
			break;
		}
		watch_report(cur, ncur, prev, nprev, t_now - t_prev, &g);
		t_prev = t_now;
		free(prev);
		prev = cur;
		nprev = ncur;
		cur = NULL;
		if (count && ++done == count)
			break;
		if (!json)
			putchar('\n');
	}
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
