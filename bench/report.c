// SPDX-License-Identifier: GPL-2.0
/*
 * mpscreport: turn mpscbench's raw rows into the tables of make bench.
 *
 *   mpscreport -d DIR
 *
 * Reads DIR/raw.csv and DIR/meta.txt; writes DIR/results.md (the tables
 * and the targets checklist), DIR/results.csv and DIR/results.json (every
 * summary figure: median, min, max over rounds) and the data files that
 * plot.gp draws (DIR/tput_64.dat, DIR/tput_8p.dat, DIR/ratio_64_8p.dat).
 *
 * A ratio is taken per round, between figures of the same round (peers
 * ran back to back), then summarised by median, min and max. It is
 * mpsc/peer for figures where more is better and peer/mpsc where less is
 * better, so above 1 always means mpsc wins.
 *
 * Exit status: 0, or 1 when the raw data records a violation or an error.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXROUNDS	64

struct row {
	int round;
	char test[12];
	char peer[16];
	char cfg[4];
	int size;
	int prod;
	char metric[16];
	double v;
};

static struct row *rows;
static int nrows, maxround;
static long raw_errors;
static char meta[64][2][128];
static int nmeta;
static const char *dir;
static FILE *md, *csv, *json;
static int json_first = 1;

static const char *meta_get(const char *k)
{
	for (int i = 0; i < nmeta; i++)
		if (!strcmp(meta[i][0], k))
			return meta[i][1];
	return "?";
}

static FILE *open_out(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	return f;
}

static void load(void)
{
	char path[512], line[512];
	int cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/meta.txt", dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f) && nmeta < 64) {
			char *eq = strchr(line, '=');

			if (!eq)
				continue;
			*eq = 0;
			line[strcspn(line, "\n")] = 0;
			eq[1 + strcspn(eq + 1, "\n")] = 0;
			snprintf(meta[nmeta][0], 128, "%.127s", line);
			snprintf(meta[nmeta][1], 128, "%.127s", eq + 1);
			nmeta++;
		}
		fclose(f);
	}

	snprintf(path, sizeof(path), "%s/raw.csv", dir);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		struct row r;
		char *p;

		if (line[0] == '#') {
			p = strstr(line, "errors=");
			if (p)
				raw_errors += atol(p + 7);
			p = strstr(line, "seed=");
			if (p && nmeta < 64) {
				snprintf(meta[nmeta][0], 128, "bench_args");
				snprintf(meta[nmeta][1], 128, "%.*s",
					 (int)strcspn(line + 12, "\n"), line + 12);
				nmeta++;
			}
			continue;
		}
		if (sscanf(line, "%d,%11[^,],%15[^,],%3[^,],%d,%d,%15[^,],%lf",
			   &r.round, r.test, r.peer, r.cfg, &r.size, &r.prod,
			   r.metric, &r.v) != 8)
			continue;
		if (r.round < 1 || r.round >= MAXROUNDS)
			continue;
		if (nrows == cap) {
			cap = cap ? cap * 2 : 4096;
			rows = realloc(rows, cap * sizeof(*rows));
			if (!rows)
				exit(2);
		}
		rows[nrows++] = r;
		if (r.round > maxround)
			maxround = r.round;
	}
	fclose(f);
}

/* The figure of one round, NAN if it was not measured. */
static double get(int round, const char *test, const char *peer,
		  const char *cfg, int size, int prod, const char *metric)
{
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (r->round == round && r->size == size && r->prod == prod &&
		    !strcmp(r->metric, metric) && !strcmp(r->peer, peer) &&
		    !strcmp(r->test, test) && !strcmp(r->cfg, cfg))
			return r->v;
	}
	return NAN;
}

struct stat {
	double med, min, max;
	int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stat summarise(double *v, int n)
{
	struct stat s = { NAN, NAN, NAN, n };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* A figure over the rounds. */
static struct stat figure(const char *test, const char *peer, const char *cfg,
			  int size, int prod, const char *metric)
{
	double v[MAXROUNDS];
	int n = 0;

	for (int r = 1; r <= maxround; r++) {
		double x = get(r, test, peer, cfg, size, prod, metric);

		if (!isnan(x))
			v[n++] = x;
	}
	return summarise(v, n);
}

/*
 * Per-round ratio a/b of two figures (b/a with invert), summarised.
 * Figures are addressed as (peer, cfg, size, prod).
 */
static struct stat ratio2(const char *test, const char *metric, int invert,
			  const char *pa, const char *ca, int sa, int na,
			  const char *pb, const char *cb, int sb, int nb)
{
	double v[MAXROUNDS];
	int n = 0;

	for (int r = 1; r <= maxround; r++) {
		double a = get(r, test, pa, ca, sa, na, metric);
		double b = get(r, test, pb, cb, sb, nb, metric);

		if (isnan(a) || isnan(b))
			continue;
		if (invert ? a > 0 : b > 0)
			v[n++] = invert ? b / a : a / b;
	}
	return summarise(v, n);
}

static struct stat ratio(const char *test, const char *metric, int invert,
			 const char *pa, const char *pb, const char *cfg,
			 int size, int prod)
{
	return ratio2(test, metric, invert, pa, cfg, size, prod,
		      pb, cfg, size, prod);
}

/* Summary outputs: one line in results.csv and one object in the JSON. */
static void record(const char *table, const char *rowname, const char *col,
		   struct stat s)
{
	if (!s.n)
		return;
	fprintf(csv, "%s,%s,%s,%.6g,%.6g,%.6g,%d\n", table, rowname, col,
		s.med, s.min, s.max, s.n);
	fprintf(json, "%s\n    {\"table\": \"%s\", \"row\": \"%s\", \"column\": \"%s\", "
		"\"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"n\": %d}",
		json_first ? "" : ",", table, rowname, col, s.med, s.min,
		s.max, s.n);
	json_first = 0;
}

static char *fmt_ratio(char *buf, size_t len, struct stat s)
{
	if (!s.n)
		snprintf(buf, len, "—");
	else if (s.n == 1)
		snprintf(buf, len, "%.2f", s.med);
	else
		snprintf(buf, len, "%.2f (%.2f–%.2f)", s.med, s.min, s.max);
	return buf;
}

static char *fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "—");
	else if (fabs(v) >= 100000)
		snprintf(buf, len, "%.3g", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

static char *fmt_fig(char *buf, size_t len, struct stat s)
{
	char a[32], b[32], c[32];

	if (!s.n)
		snprintf(buf, len, "—");
	else if (s.n == 1)
		fmt_num(buf, len, s.med);
	else
		snprintf(buf, len, "%s (%s–%s)", fmt_num(a, sizeof(a), s.med),
			 fmt_num(b, sizeof(b), s.min), fmt_num(c, sizeof(c), s.max));
	return buf;
}

static const char *size_name(int size, char *buf, size_t len)
{
	if (size >= 1024)
		snprintf(buf, len, "%d KiB", size / 1024);
	else
		snprintf(buf, len, "%d B", size);
	return buf;
}

static const int sizes[] = { 8, 64, 1024, 4096, 65536 };
static const int prods[] = { 1, 2, 8, 64 };
#define NSIZES	5
#define NPRODS	4

/* The kernel's own peers, the columns of the ratio tables. */
static const char *const base[] = {
	"fifo", "pipe", "pipe-pkt", "mqueue", "seqpacket", "dgram",
};
#define NBASE	6

static const char *const all_peers[] = {
	"mpsc", "mpsc-batch", "mpsc-uring", "fifo", "pipe", "pipe-uring",
	"pipe-pkt", "mqueue", "seqpacket", "dgram",
};
#define NALL	10

static const char *const pp_peers[] = {
	"mpsc", "pipe", "pipe-pkt", "mqueue", "seqpacket", "dgram",
};
#define NPP	6

static int measured(const char *test, const char *peer, const char *cfg,
		    int size, int prod, const char *metric)
{
	return figure(test, peer, cfg, size, prod, metric).n > 0;
}

static void table_header(const char *first, const char *const *cols, int n)
{
	fprintf(md, "| %s |", first);
	for (int i = 0; i < n; i++)
		fprintf(md, " %s |", cols[i]);
	fprintf(md, "\n|---|");
	for (int i = 0; i < n; i++)
		fprintf(md, "---|");
	fprintf(md, "\n");
}

/* --- the checklist --------------------------------------------------------- */

struct target {
	const char *what;
	struct stat s;
	double limit;
	int higher_ok;		/* pass when median >= limit, else <= */
	const char *unit;
};

static struct target targets[24];
static int ntargets;

static void target(const char *what, struct stat s, double limit,
		   int higher_ok, const char *unit)
{
	targets[ntargets++] = (struct target){ what, s, limit, higher_ok, unit };
	record("target", what, unit, s);
}

int main(int argc, char **argv)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], name[96];
	int opt, tcg;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt == 'd')
			dir = optarg;
	}
	if (!dir) {
		fprintf(stderr, "usage: mpscreport -d DIR\n");
		return 2;
	}
	load();
	if (!nrows) {
		fprintf(stderr, "mpscreport: no figures in %s/raw.csv\n", dir);
		return 1;
	}
	tcg = !strcmp(meta_get("accel"), "tcg");

	md = open_out("results.md");
	csv = open_out("results.csv");
	json = open_out("results.json");
	fprintf(csv, "table,row,column,median,min,max,rounds\n");
	fprintf(json, "{\n  \"meta\": {");
	for (int i = 0; i < nmeta; i++)
		fprintf(json, "%s\n    \"%s\": \"%s\"", i ? "," : "",
			meta[i][0], meta[i][1]);
	fprintf(json, "\n  },\n  \"figures\": [");

	/* --- header ---------------------------------------------------- */
	fprintf(md, "# mpsc benchmark: /dev/mpsc against the kernel's message paths\n\n");
	fprintf(md, "| | |\n|---|---|\n");
	fprintf(md, "| accelerator | **%s** |\n", meta_get("accel"));
	fprintf(md, "| vCPUs | %s (%s) |\n", meta_get("vcpus"), meta_get("cpu_model"));
	fprintf(md, "| guest kernel | %s |\n", meta_get("guest_kernel"));
	fprintf(md, "| host kernel | %s |\n", meta_get("host_kernel"));
	fprintf(md, "| mpsc parameters | capacity=%s max_msg_size=%s wake_room=%s |\n",
		meta_get("mpsc_capacity"), meta_get("mpsc_max_msg_size"),
		meta_get("mpsc_wake_room"));
	fprintf(md, "| driver measured | %s |\n", meta_get("driver"));
	fprintf(md, "| mqueue limits | msg_max %s→%s, msgsize_max %s→%s (defaults row: maxmsg %s, msgsize %s) |\n",
		meta_get("mq_msg_max_default"), meta_get("mq_msg_max_used"),
		meta_get("mq_msgsize_max_default"), meta_get("mq_msgsize_max_used"),
		meta_get("mq_msg_default"), meta_get("mq_msgsize_default"));
	fprintf(md, "| socket defaults | wmem_default %s, rmem_default %s |\n",
		meta_get("wmem_default"), meta_get("rmem_default"));
	fprintf(md, "| run | %s |\n", meta_get("bench_args"));
	fprintf(md, "| rounds | %d |\n", maxround);
	fprintf(md, "| time | %s s in the guest, %s s for make bench |\n",
		meta_get("guest_bench_seconds"), meta_get("total_seconds"));
	fprintf(md, "\n");
	if (tcg)
		fprintf(md, "> **TCG emulation: only the ratios mean anything.** The absolute figures are those of an emulated CPU (tens of times slower than hardware, with other work on the host) and are given for reference only.\n\n");
	fprintf(md, "Ratios are medians over the rounds of a per-round ratio, with (min–max). "
		"Throughput: mpsc/peer. CPU time, context switches, latency, memory and wake-ups "
		"(lower is better): peer/mpsc. **Above 1 means mpsc wins.** "
		"Capacities are 1 MiB where the peer can be sized (pipes: F_SETPIPE_SZ; sockets: SO_SNDBUF/SO_RCVBUF; "
		"mqueue: as many messages as mpsc holds, 1 MiB / (size + 64)); the defaults row leaves every peer as it comes.\n\n");

	/* --- 1. throughput ratios -------------------------------------- */
	fprintf(md, "## Throughput, messages/s: mpsc (one read per message) / peer\n\n");
	table_header("size × producers", base, NBASE);
	for (int i = 0; i < NSIZES; i++)
		for (int j = 0; j < NPRODS; j++) {
			if (!measured("tput", "mpsc", "eq", sizes[i], prods[j], "msgs_s"))
				continue;
			snprintf(name, sizeof(name), "%s × %d",
				 size_name(sizes[i], b1, sizeof(b1)), prods[j]);
			fprintf(md, "| %s |", name);
			for (int k = 0; k < NBASE; k++) {
				struct stat s = ratio("tput", "msgs_s", 0, "mpsc",
						      base[k], "eq", sizes[i], prods[j]);

				snprintf(b2, sizeof(b2), "%s", base[k]);
				record("tput_ratio", name, b2, s);
				fprintf(md, " %s |", fmt_ratio(b3, sizeof(b3), s));
			}
			fprintf(md, "\n");
		}
	if (measured("tput", "mpsc", "def", 64, 8, "msgs_s")) {
		fprintf(md, "| 64 B × 8, defaults |");
		for (int k = 0; k < NBASE; k++) {
			struct stat s = ratio("tput", "msgs_s", 0, "mpsc", base[k],
					      "def", 64, 8);

			record("tput_ratio", "64 B × 8 defaults", base[k], s);
			fprintf(md, " %s |", fmt_ratio(b3, sizeof(b3), s));
		}
		fprintf(md, "\n");
	}
	fprintf(md, "\n— : the peer cannot carry it (pipes and FIFOs interleave writes above PIPE_BUF between writers; a packet-mode pipe splits writes above a page).\n\n");

	/* --- 2. variants ------------------------------------------------- */
	{
		static const char *const cols[] = {
			"mpsc", "fifo", "pipe", "pipe-pkt", "mqueue", "seqpacket",
			"dgram", "pipe-uring",
		};
		static const char *const variants[] = { "mpsc-batch", "mpsc-uring", "pipe-uring" };

		fprintf(md, "## Batch receive (MPSC_IOC_RECV) and io_uring, messages/s: variant / peer\n\n");
		table_header("variant, size × producers", cols, 8);
		for (int v = 0; v < 3; v++)
			for (int i = 0; i < NSIZES; i++)
				for (int j = 0; j < NPRODS; j++) {
					if (!measured("tput", variants[v], "eq", sizes[i], prods[j], "msgs_s"))
						continue;
					snprintf(name, sizeof(name), "%s %s × %d", variants[v],
						 size_name(sizes[i], b1, sizeof(b1)), prods[j]);
					fprintf(md, "| %s |", name);
					for (int k = 0; k < 8; k++) {
						struct stat s = { NAN, NAN, NAN, 0 };

						if (strcmp(cols[k], variants[v]))
							s = ratio("tput", "msgs_s", 0, variants[v],
								  cols[k], "eq", sizes[i], prods[j]);
						record("variant_ratio", name, cols[k], s);
						fprintf(md, " %s |", fmt_ratio(b3, sizeof(b3), s));
					}
					fprintf(md, "\n");
				}
		fprintf(md, "\nmpsc-batch: the consumer takes up to 256 messages per ioctl. "
			"*-uring: the consumer submits 16 linked io_uring reads at a time (one message each). "
			"io_uring rows run at 64 B only.\n\n");
	}

	/* --- 3. CPU and context switches --------------------------------- */
	for (int m = 0; m < 2; m++) {
		const char *metric = m ? "csw_msg" : "cpu_us_msg";

		fprintf(md, "## %s per message at 64 B: peer / mpsc\n\n",
			m ? "Context switches (voluntary + involuntary)" :
			    "CPU time (user + system, producers and consumer)");
		table_header("producers", base, NBASE);
		for (int j = 0; j < NPRODS; j++) {
			if (!measured("tput", "mpsc", "eq", 64, prods[j], metric))
				continue;
			fprintf(md, "| %d |", prods[j]);
			snprintf(name, sizeof(name), "64 B × %d", prods[j]);
			for (int k = 0; k < NBASE; k++) {
				struct stat s = ratio("tput", metric, 1, "mpsc", base[k],
						      "eq", 64, prods[j]);

				record(m ? "csw_ratio" : "cpu_ratio", name, base[k], s);
				fprintf(md, " %s |", fmt_ratio(b3, sizeof(b3), s));
			}
			fprintf(md, "\n");
		}
		fprintf(md, "\n");
	}

	/* --- 4. absolute figures at 64 B ---------------------------------- */
	fprintf(md, "## Figures at 64 B (medians%s)\n\n", tcg ? "; emulated CPU, compare within the table only" : "");
	fprintf(md, "| peer | producers | msgs/s | MB/s | CPU µs/msg | csw/msg | Jain |\n");
	fprintf(md, "|---|---|---|---|---|---|---|\n");
	for (int p = 0; p < NALL; p++)
		for (int j = 0; j < NPRODS; j++) {
			static const char *const ms[] = {
				"msgs_s", "mb_s", "cpu_us_msg", "csw_msg", "jain",
			};
			char *cell[5] = { b1, b2, b3, b4, b5 };

			if (!measured("tput", all_peers[p], "eq", 64, prods[j], "msgs_s"))
				continue;
			snprintf(name, sizeof(name), "%s 64 B × %d", all_peers[p], prods[j]);
			for (int m = 0; m < 5; m++) {
				struct stat s = figure("tput", all_peers[p], "eq", 64,
						       prods[j], ms[m]);

				record("figure", name, ms[m], s);
				fmt_num(cell[m], 64, s.med);
			}
			fprintf(md, "| %s | %d | %s | %s | %s | %s | %s |\n",
				all_peers[p], prods[j], b1, b2, b3, b4, b5);
		}
	fprintf(md, "\n");
	/* Every cell's medians go to the CSV/JSON, for the plot and readers. */
	for (int p = 0; p < NALL; p++)
		for (int i = 0; i < NSIZES; i++)
			for (int j = 0; j < NPRODS; j++) {
				static const char *const ms[] = {
					"msgs_s", "mb_s", "cpu_us_msg", "csw_msg", "jain",
				};

				if (sizes[i] == 64)
					continue;
				snprintf(name, sizeof(name), "%s %s × %d", all_peers[p],
					 size_name(sizes[i], b1, sizeof(b1)), prods[j]);
				for (int m = 0; m < 5; m++)
					record("figure", name, ms[m],
					       figure("tput", all_peers[p], "eq", sizes[i],
						      prods[j], ms[m]));
			}

	/* --- 5. ping-pong ---------------------------------------------- */
	for (int x = 0; x < 2; x++) {
		const char *test = x ? "pp_cross" : "pp_same";

		fprintf(md, "## Ping-pong latency, 64 B, %s\n\n", x ?
			"the two sides pinned to different CPUs (every message wakes the other CPU)" :
			"both sides pinned to one CPU (two context switches per round trip)");
		fprintf(md, "| peer | round trip p50 µs | p99 µs | p50 peer/mpsc | p99 peer/mpsc |\n|---|---|---|---|---|\n");
		for (int p = 0; p < NPP; p++) {
			struct stat p50 = figure(test, pp_peers[p], "eq", 64, 1, "p50_us");
			struct stat p99 = figure(test, pp_peers[p], "eq", 64, 1, "p99_us");
			struct stat r50 = ratio(test, "p50_us", 1, "mpsc", pp_peers[p], "eq", 64, 1);
			struct stat r99 = ratio(test, "p99_us", 1, "mpsc", pp_peers[p], "eq", 64, 1);

			if (!p50.n)
				continue;
			record(test, pp_peers[p], "p50_us", p50);
			record(test, pp_peers[p], "p99_us", p99);
			if (strcmp(pp_peers[p], "mpsc")) {
				record(test, pp_peers[p], "p50_ratio", r50);
				record(test, pp_peers[p], "p99_ratio", r99);
			}
			fprintf(md, "| %s | %s | %s | %s | %s |\n", pp_peers[p],
				fmt_fig(b1, sizeof(b1), p50), fmt_num(b2, sizeof(b2), p99.med),
				strcmp(pp_peers[p], "mpsc") ? fmt_ratio(b3, sizeof(b3), r50) : "1",
				strcmp(pp_peers[p], "mpsc") ? fmt_ratio(b4, sizeof(b4), r99) : "1");
		}
		fprintf(md, "\n");
	}
	fprintf(md, "Request on one channel, reply on another (mpsc: /dev/mpsc0 and /dev/mpsc1; pipes: two pipes; "
		"mqueue: two queues; sockets: two socketpairs). At least 2000 round trips per round.%s\n\n",
		tcg ? " Under TCG the two-CPU figures measure how fast QEMU wakes an idle vCPU on a busy host "
		      "(milliseconds, varying tenfold between rounds): the one-CPU table is the one to read, "
		      "and the checklist uses it." : "");

	/* --- 6. memory --------------------------------------------------- */
	fprintf(md, "## Kernel memory per queued 64 B message\n\n");
	fprintf(md, "| peer | bytes (pages) | bytes (slab) | messages queued | peer/mpsc |\n|---|---|---|---|---|\n");
	for (int p = 0; p < NPP; p++) {
		struct stat pg = figure("mem", pp_peers[p], "eq", 64, 1, "bytes_msg");
		struct stat sl = figure("mem", pp_peers[p], "eq", 64, 1, "slab_msg");
		struct stat q = figure("mem", pp_peers[p], "eq", 64, 1, "queued");
		struct stat r = ratio("mem", "bytes_msg", 1, "mpsc", pp_peers[p], "eq", 64, 1);

		if (!pg.n)
			continue;
		record("mem", pp_peers[p], "bytes_msg", pg);
		record("mem", pp_peers[p], "slab_msg", sl);
		fprintf(md, "| %s | %s | %s | %s | %s |\n", pp_peers[p],
			fmt_fig(b1, sizeof(b1), pg), fmt_fig(b2, sizeof(b2), sl),
			fmt_num(b3, sizeof(b3), q.med),
			strcmp(pp_peers[p], "mpsc") ? fmt_ratio(b4, sizeof(b4), r) : "1");
	}
	fprintf(md, "\nPages: free pages (buddy plus per-cpu lists, /proc/zoneinfo) before and after queuing, "
		"after flushing every slab cache's per-cpu slabs; slab: active objects × object size from /proc/slabinfo. "
		"Each peer queues up to 4096 messages without a reader, or until full.\n\n");

	{
		static const char *const kinds[] = { "mpsc", "devnull", "fifo", "mqueue" };

		fprintf(md, "## Kernel memory per open sender (1000 opens)\n\n");
		fprintf(md, "| sender | bytes (slab) | bytes (pages) | beyond a /dev/null open (slab) |\n|---|---|---|---|\n");
		for (int k = 0; k < 4; k++) {
			struct stat sl = figure("sender", kinds[k], "eq", 64, 1, "slab_sender");
			struct stat pg = figure("sender", kinds[k], "eq", 64, 1, "bytes_sender");
			double dv[MAXROUNDS];
			int n = 0;

			if (!sl.n)
				continue;
			for (int r = 1; r <= maxround; r++) {
				double a = get(r, "sender", kinds[k], "eq", 64, 1, "slab_sender");
				double z = get(r, "sender", "devnull", "eq", 64, 1, "slab_sender");

				if (!isnan(a) && !isnan(z))
					dv[n++] = a - z;
			}
			struct stat extra = summarise(dv, n);

			record("sender", kinds[k], "slab_sender", sl);
			record("sender", kinds[k], "bytes_sender", pg);
			record("sender", kinds[k], "extra_vs_devnull", extra);
			fprintf(md, "| %s | %s | %s | %s |\n", kinds[k],
				fmt_fig(b1, sizeof(b1), sl), fmt_fig(b2, sizeof(b2), pg),
				strcmp(kinds[k], "devnull") ? fmt_fig(b3, sizeof(b3), extra) : "0");
		}
		fprintf(md, "\n/dev/null: a bare struct file, the floor every open pays. mqueue: an mq_open per sender.\n\n");
	}

	/* --- 7. fairness and wake-ups ------------------------------------ */
	fprintf(md, "## Fairness and writer wake-ups\n\n");
	fprintf(md, "| peer | Jain index, 64 producers, 64 B | Jain, 8 producers | wake-ups per freed slot, 64 writers blocked | peer/mpsc (wake-ups) |\n|---|---|---|---|---|\n");
	for (int p = 0; p < NALL; p++) {
		struct stat j64 = figure("tput", all_peers[p], "eq", 64, 64, "jain");
		struct stat j8 = figure("tput", all_peers[p], "eq", 64, 8, "jain");
		struct stat w = figure("wake", all_peers[p], "eq", 64, 64, "wakeups_slot");
		struct stat r = ratio("wake", "wakeups_slot", 1, "mpsc", all_peers[p], "eq", 64, 64);

		if (!j64.n && !w.n)
			continue;
		record("jain64", all_peers[p], "jain", j64);
		record("wake", all_peers[p], "wakeups_slot", w);
		fprintf(md, "| %s | %s | %s | %s | %s |\n", all_peers[p],
			fmt_fig(b1, sizeof(b1), j64), fmt_fig(b2, sizeof(b2), j8),
			fmt_fig(b3, sizeof(b3), w),
			!w.n ? "—" : strcmp(all_peers[p], "mpsc") ? fmt_ratio(b4, sizeof(b4), r) : "1");
	}
	fprintf(md, "\nJain index of the messages each producer got into the channel during the second half of the window "
		"(1 = perfectly even, 1/n = one producer took all; where the channel never fills, e.g. mpsc-batch, it shows the CPU scheduler). "
		"Wake-ups: the channel is filled, 64 writer processes block writing 64 B, the consumer reads "
		"max(1000, twice the channel's worth) messages; wake-ups are the writers' voluntary context "
		"switches in that time (each wake-up ends in another sleep), divided by the messages read.\n\n");

	/* --- 8. targets ------------------------------------------------ */
	target("64 B × 8: ≥ 1.5× SEQPACKET", ratio("tput", "msgs_s", 0, "mpsc", "seqpacket", "eq", 64, 8), 1.5, 1, "ratio");
	target("64 B × 8: ≥ 1.5× DGRAM", ratio("tput", "msgs_s", 0, "mpsc", "dgram", "eq", 64, 8), 1.5, 1, "ratio");
	target("64 B × 8: ≥ 1.0× packet-mode pipe", ratio("tput", "msgs_s", 0, "mpsc", "pipe-pkt", "eq", 64, 8), 1.0, 1, "ratio");
	target("64 B × 8: ≥ 3× mqueue", ratio("tput", "msgs_s", 0, "mpsc", "mqueue", "eq", 64, 8), 3.0, 1, "ratio");
	target("64 B × 8: ≥ 0.8× byte pipe (one read per message)", ratio("tput", "msgs_s", 0, "mpsc", "pipe", "eq", 64, 8), 0.8, 1, "ratio");
	target("64 B: throughput at 64 producers ≥ 0.8× that at 8",
	       ratio2("tput", "msgs_s", 0, "mpsc", "eq", 64, 64, "mpsc", "eq", 64, 8), 0.8, 1, "ratio");
	target("64 B × 64: fairness (Jain) ≥ 0.9", figure("tput", "mpsc", "eq", 64, 64, "jain"), 0.9, 1, "index");
	target("ping-pong p50 ≤ 1.1× pipe, one CPU (mpsc/pipe)",
	       ratio("pp_same", "p50_us", 0, "mpsc", "pipe", "eq", 64, 1), 1.1, 0, "ratio");
	target("kernel memory per queued 64 B message ≤ 192 B", figure("mem", "mpsc", "eq", 64, 1, "bytes_msg"), 192, 0, "bytes");
	{
		double dv[MAXROUNDS];
		int n = 0;

		for (int r = 1; r <= maxround; r++) {
			double a = get(r, "sender", "mpsc", "eq", 64, 1, "slab_sender");
			double z = get(r, "sender", "devnull", "eq", 64, 1, "slab_sender");

			if (!isnan(a) && !isnan(z))
				dv[n++] = a - z;
		}
		target("a sender costs nothing beyond its struct file (bytes beyond /dev/null, ≤ 16 B noise)",
		       summarise(dv, n), 16, 0, "bytes");
	}
	target("≤ 1.1 writer wake-ups per freed slot", figure("wake", "mpsc", "eq", 64, 64, "wakeups_slot"), 1.1, 0, "wake-ups");
	target("batch receive, 64 B × 8: ≥ 1.0× byte pipe", ratio("tput", "msgs_s", 0, "mpsc-batch", "pipe", "eq", 64, 8), 1.0, 1, "ratio");

	fprintf(md, "## Targets (issue 6; medians, 64 B, same boot)\n\n");
	fprintf(md, "| target | measured median (min–max) | | result |\n|---|---|---|---|\n");
	int pass = 0;

	for (int i = 0; i < ntargets; i++) {
		const struct target *t = &targets[i];
		int ok = t->s.n && (t->higher_ok ? t->s.med >= t->limit :
					       t->s.med <= t->limit);

		pass += ok;
		fprintf(md, "| %s | %s | %s | %s |\n", t->what,
			fmt_fig(b1, sizeof(b1), t->s), t->unit,
			!t->s.n ? "n/a" : ok ? "PASS" : "**MISS**");
	}
	fprintf(md, "\n%d of %d targets met.", pass, ntargets);
	if (tcg)
		fprintf(md, " Measured under TCG: ratios between peers only.");
	fprintf(md, "\n");
	if (raw_errors)
		fprintf(md, "\n**%ld message check violation(s) or failed cell(s) during the run: see the run's log.**\n", raw_errors);

	/* --- plot data ---------------------------------------------------- */
	{
		FILE *f = open_out("tput_64.dat");

		fprintf(f, "# producers");
		for (int p = 0; p < NALL; p++)
			fprintf(f, " %s", all_peers[p]);
		fprintf(f, "\n");
		for (int j = 0; j < NPRODS; j++) {
			fprintf(f, "%d", prods[j]);
			for (int p = 0; p < NALL; p++) {
				double v = figure("tput", all_peers[p], "eq", 64, prods[j], "msgs_s").med;

				fprintf(f, isnan(v) ? " ?" : " %.6g", v);
			}
			fprintf(f, "\n");
		}
		fclose(f);

		f = open_out("tput_8p.dat");
		fprintf(f, "# size");
		for (int p = 0; p < NALL; p++)
			fprintf(f, " %s", all_peers[p]);
		fprintf(f, "\n");
		for (int i = 0; i < NSIZES; i++) {
			fprintf(f, "%d", sizes[i]);
			for (int p = 0; p < NALL; p++) {
				double v = figure("tput", all_peers[p], "eq", sizes[i], 8, "mb_s").med;

				fprintf(f, isnan(v) ? " ?" : " %.6g", v);
			}
			fprintf(f, "\n");
		}
		fclose(f);

		f = open_out("ratio_64_8p.dat");
		fprintf(f, "# peer median min max (mpsc/peer, 64 B, 8 producers)\n");
		for (int k = 0; k < NBASE; k++) {
			struct stat s = ratio("tput", "msgs_s", 0, "mpsc", base[k], "eq", 64, 8);

			if (s.n)
				fprintf(f, "%s %.4g %.4g %.4g\n", base[k], s.med, s.min, s.max);
		}
		{
			struct stat s = ratio("tput", "msgs_s", 0, "mpsc-batch", "pipe", "eq", 64, 8);

			if (s.n)
				fprintf(f, "batch/pipe %.4g %.4g %.4g\n", s.med, s.min, s.max);
		}
		fclose(f);

		f = open_out("plot.title");
		fprintf(f, "mpsc bench: %s, %s vCPUs, guest %s%s\n", meta_get("accel"),
			meta_get("vcpus"), meta_get("guest_kernel"),
			tcg ? " (TCG: only ratios mean anything)" : "");
		fclose(f);
	}

	fprintf(json, "\n  ]\n}\n");
	fclose(json);
	fclose(csv);
	fclose(md);
	return raw_errors ? 1 : 0;
}
