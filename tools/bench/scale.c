// SPDX-License-Identifier: GPL-2.0
/*
 * Scale tests of kipc channels:
 *
 *   rate   64-byte messages streamed round robin over N channels (the
 *          kipc-chan-rr transport: same window of 64 messages in flight
 *          whatever N is), for each N of --scale-chans
 *   open   --open-chans named channels opened one after another, each
 *          open timed: the first vs the last (and, less noisy, the median
 *          of the first 100 vs the last 100)
 *   memory /proc/meminfo Slab and SUnreclaim before and after those opens,
 *          per idle channel (its object, name and open file), and the
 *          /proc/slabinfo caches that grew most (root only)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

#include "bench.h"

/* A /proc/meminfo field in bytes, or -1. */
static long long meminfo(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			v = strtoll(line + flen + 1, NULL, 10) * 1024;
			break;
		}
	}
	fclose(f);
	return v;
}

struct slab_snap {
	char name[32];
	long long active, objsize;
};

/* All caches of /proc/slabinfo; *n set; NULL if unreadable. */
static struct slab_snap *slabinfo(int *n)
{
	struct slab_snap *s = NULL, *p;
	char line[512], name[64];
	long long active, num, objsize;
	int cap = 0;
	FILE *f = fopen("/proc/slabinfo", "r");

	*n = 0;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num, &objsize) != 4)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			p = realloc(s, (size_t)cap * sizeof(*s));
			if (!p)
				break;
			s = p;
		}
		snprintf(s[*n].name, sizeof(s[*n].name), "%.31s", name);
		s[*n].active = active;
		s[*n].objsize = objsize;
		(*n)++;
	}
	fclose(f);
	return s;
}

static void slab_growth(struct scale *sc, struct slab_snap *a, int na,
			struct slab_snap *b, int nb, unsigned int chans)
{
	int i, j, k;

	sc->ntop = 0;
	for (j = 0; j < nb; j++) {
		long long before = 0, grew;
		struct slab_growth g;

		for (i = 0; i < na; i++)
			if (!strcmp(a[i].name, b[j].name))
				before = a[i].active;
		grew = (b[j].active - before) * b[j].objsize;
		if (grew <= 0)
			continue;
		snprintf(g.name, sizeof(g.name), "%s", b[j].name);
		g.bytes_per_chan = (double)grew / chans;
		/* insertion into the top list, largest first */
		for (k = sc->ntop; k > 0 && sc->top[k - 1].bytes_per_chan < g.bytes_per_chan; k--)
			if (k < (int)(sizeof(sc->top) / sizeof(sc->top[0])))
				sc->top[k] = sc->top[k - 1];
		if (k < (int)(sizeof(sc->top) / sizeof(sc->top[0]))) {
			sc->top[k] = g;
			if (sc->ntop < (int)(sizeof(sc->top) / sizeof(sc->top[0])))
				sc->ntop++;
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned int n)
{
	double *tmp = malloc(n * sizeof(*tmp));
	double m;

	if (!tmp || !n) {
		free(tmp);
		return 0;
	}
	memcpy(tmp, v, n * sizeof(*tmp));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	m = tmp[n / 2];
	free(tmp);
	return m;
}

static void open_test(struct scale *sc)
{
	unsigned int n = opt.open_chans, i, head;
	long long slab0, slab1, unrec0, unrec1;
	struct slab_snap *s0, *s1;
	double *t = calloc(n, sizeof(*t));
	int *fd = calloc(n, sizeof(*fd));
	int ns0, ns1, ret = 0;
	char name[64];
	uint64_t t0;

	if (!t || !fd) {
		snprintf(sc->why, sizeof(sc->why), "out of memory");
		goto out;
	}
	progress("scale: opening %u named channels, one at a time", n);
	s0 = slabinfo(&ns0);
	slab0 = meminfo("Slab");
	unrec0 = meminfo("SUnreclaim");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "kipc-bench.%d.%u", (int)getpid(), i);
		t0 = now_ns();
		ret = kipc_chan_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, NULL);
		t[i] = (double)(now_ns() - t0);
		if (ret < 0)
			break;
		fd[i] = ret;
	}
	sc->opened = i;
	slab1 = meminfo("Slab");
	unrec1 = meminfo("SUnreclaim");
	s1 = slabinfo(&ns1);
	if (ret < 0)
		snprintf(sc->why, sizeof(sc->why), "channel %u: kipc_chan_open: %s%s", i + 1,
			 strerror(-ret), ret == -EMFILE ? " (RLIMIT_NOFILE)" : "");
	if (sc->opened) {
		head = sc->opened < 100 ? sc->opened : 100;
		sc->open_first_ns = t[0];
		sc->open_last_ns = t[sc->opened - 1];
		sc->open_head_p50_ns = median(t, head);
		sc->open_tail_p50_ns = median(t + sc->opened - head, head);
		if (slab0 >= 0 && slab1 >= 0)
			sc->slab_bytes_per_chan = (double)(slab1 - slab0) / sc->opened;
		if (unrec0 >= 0 && unrec1 >= 0)
			sc->unreclaim_bytes_per_chan = (double)(unrec1 - unrec0) / sc->opened;
		if (s0 && s1)
			slab_growth(sc, s0, ns0, s1, ns1, sc->opened);
	}
	for (i = 0; i < sc->opened; i++) {
		snprintf(name, sizeof(name), "kipc-bench.%d.%u", (int)getpid(), i);
		kipc_chan_unlink(name);
		close(fd[i]);
	}
	free(s0);
	free(s1);
	progress("scale: open #1 %.1f us, #%u %.1f us; median of first/last 100: %.1f / %.1f us; %.0f bytes of slab per idle channel",
		 sc->open_first_ns / 1e3, sc->opened, sc->open_last_ns / 1e3,
		 sc->open_head_p50_ns / 1e3, sc->open_tail_p50_ns / 1e3, sc->slab_bytes_per_chan);
out:
	free(t);
	free(fd);
}

void run_scale(struct scale *sc)
{
	struct phase_result r;
	int i, pass;

	/* Interleaved passes, the best kept, as for the transports. */
	for (pass = 0; pass < opt.passes; pass++) {
		for (i = 0; i < opt.nscale; i++) {
			if (pass && !repeat_pass(&sc->rate[i]))
				continue;
			run_phase(&xp_kipc_chan_rr, 64, opt.scale_chans[i], PH_STREAM, &r, NULL);
			if (r.status == ST_OK)
				progress("scale: pass %d/%d: 64 B round robin over %u channel(s): %.3g msg/s, CPU %.2f us/msg",
					 pass + 1, opt.passes, opt.scale_chans[i], r.rate, r.cpu_ns / 1e3);
			else
				progress("scale: %u channel(s): %s: %s", opt.scale_chans[i],
					 status_name(r.status), r.why);
			merge_pass(&sc->rate[i], &r, PH_STREAM);
		}
	}
	if (opt.open_chans && !opt.check)
		open_test(sc);
	sc->done = true;
}
