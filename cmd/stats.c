/* vctl stats: the I/O counters the serving process keeps per path. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "lib/gate.h"
#include "lib/units.h"

enum { O_PATH = 1, O_VOLUME, O_DOMAIN, O_WATCH, O_COUNT };

const struct poptOption stats_options[] = {
	{"path", 0, POPT_ARG_STRING, NULL, O_PATH, "only this path", "ID"},
	{"volume", 0, POPT_ARG_STRING, NULL, O_VOLUME, "only the paths to this volume", "NAME"},
	{"domain", 0, POPT_ARG_STRING, NULL, O_DOMAIN, "only the paths of this domain", "NAME"},
	{"watch", 0, POPT_ARG_NONE, NULL, O_WATCH,
	 "print again every second, with rates, until interrupted", NULL},
	{"count", 0, POPT_ARG_STRING, NULL, O_COUNT, "with --watch: stop after N prints", "N"},
	POPT_TABLEEND};

struct stats_opts {
	uint64_t path;
	char volume[VCTL_NAME_MAX + 2], domain[VCTL_NAME_MAX + 2];
	bool watch;
	uint64_t count; /* 0: until interrupted */
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct stats_opts *o = st;
	switch (val) {
	case O_PATH:
		if (vctl_parse_uint(arg, UINT64_MAX, &o->path, err) < 0 || !o->path)
			return vctl_errf(err, -EINVAL, "--path %s: give a path id", arg);
		return 0;
	case O_VOLUME:
	case O_DOMAIN:
		if (!vctl_name_valid(arg))
			return vctl_errf(err, -EINVAL, "--%s '%s' is not a valid name",
					 val == O_VOLUME ? "volume" : "domain", arg);
		snprintf(val == O_VOLUME ? o->volume : o->domain, sizeof(o->volume), "%s", arg);
		return 0;
	case O_WATCH:
		o->watch = true;
		return 0;
	default:
		o->watch = true;
		if (cmd_opt_uint("count", arg, 1000000, &o->count, err) < 0)
			return -EINVAL;
		return o->count ? 0 : vctl_errf(err, -EINVAL, "--count 0: give at least 1");
	}
}

/* Resolves the filter to ids, under the pool lock. */
struct filter {
	uint64_t path, volume, domain;
	bool by_domain;
};

static int resolve(struct cmd_ctx *c, const struct stats_opts *o, struct filter *f,
		   struct vctl_err *err)
{
	const struct vctl_mld *m = &c->pool->mld;
	memset(f, 0, sizeof(*f));
	f->path = o->path;
	if (o->path && !vctl_mld_path_by_id(m, o->path))
		return vctl_errf(err, -ENOENT, "no path %llu", (unsigned long long)o->path);
	if (o->volume[0]) {
		const struct vctl_mld_volume *v = vctl_mld_volume_by_name(m, o->volume);
		if (!v)
			return vctl_errf(err, -ENOENT, "no volume named %s", o->volume);
		f->volume = v->id;
	}
	if (o->domain[0]) {
		f->by_domain = true;
		if (strcmp(o->domain, VCTL_DEFAULT_DOMAIN)) {
			const struct vctl_mld_domain *d = vctl_mld_domain_by_name(m, o->domain);
			if (!d)
				return vctl_errf(err, -ENOENT, "no domain named %s", o->domain);
			f->domain = d->id;
		}
	}
	return 0;
}

static bool wanted(const struct filter *f, const struct vctl_path_stat *s)
{
	return (!f->path || s->id == f->path) && (!f->volume || s->volume == f->volume) &&
	       (!f->by_domain || s->domain == f->domain);
}

static const struct vctl_path_stat *previous(const struct vctl_path_stat *prev, uint32_t n,
					     uint64_t id)
{
	for (uint32_t i = 0; prev && i < n; i++)
		if (prev[i].id == id)
			return &prev[i];
	return NULL;
}

static void print_latency(struct out *o, const struct vctl_io_stats *io)
{
	out_u64(o, "latency_p50_us", "%8llu ", vctl_io_latency_us(io, 0.5));
	out_u64(o, "latency_p99_us", "%8llu", vctl_io_latency_us(io, 0.99));
	out_arr(o, "latency");
	for (unsigned k = 0; k < VCTL_LAT_BUCKETS; k++) {
		if (!io->lat[k])
			continue;
		out_obj(o, NULL);
		/* the last bucket has no bound: JSON null */
		if (k + 1 < VCTL_LAT_BUCKETS)
			out_u64(o, "lt_us", NULL, vctl_io_bucket_us(k));
		else
			out_str(o, "lt_us", NULL, NULL);
		out_u64(o, "count", NULL, io->lat[k]);
		out_obj_end(o);
	}
	out_arr_end(o);
}

/* 0 is unlimited: JSON 0, text "-". */
static void limit(struct out *o, const char *key, uint64_t v)
{
	if (v || o->json)
		out_u64(o, key, "%10llu ", v);
	else
		out_text(o, "%10s ", "-");
}

/* The domains of the wanted paths, with their limits and their paths'
 * counters summed: what one token bucket let through. */
static void print_domains(struct out *o, const struct vctl_mld *m, const struct filter *f,
			  const struct vctl_path_stat *s, uint32_t n)
{
	out_text(o, "\n%-10s %10s %10s %10s %10s %12s %12s %6s\n", "DOMAIN", "MAX_IOPS", "MAX_MBPS",
		 "READS", "WRITES", "READ_BYTES", "WRITE_BYTES", "ERRORS");
	out_arr(o, "domains");
	/* domain 0 (default) first, then the records in MLD order */
	for (uint32_t d = 0; d <= m->ndomains; d++) {
		uint64_t id = d ? m->domains[d - 1].id : 0;
		struct vctl_io_stats sum = {0};
		uint32_t paths = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (!wanted(f, &s[i]) || s[i].domain != id)
				continue;
			paths++;
			sum.reads += s[i].io.reads;
			sum.writes += s[i].io.writes;
			sum.read_bytes += s[i].io.read_bytes;
			sum.write_bytes += s[i].io.write_bytes;
			sum.errors += s[i].io.errors;
		}
		if (!paths)
			continue;
		out_obj(o, NULL);
		out_str(o, "name", "%-10s ", vctl_mld_domain_name(m, id));
		limit(o, "max_iops", d ? m->domains[d - 1].max_iops : 0);
		limit(o, "max_mbps", d ? m->domains[d - 1].max_mbps : 0);
		out_u64(o, "paths", NULL, paths);
		out_u64(o, "reads", "%10llu ", sum.reads);
		out_u64(o, "writes", "%10llu ", sum.writes);
		out_u64(o, "read_bytes", "%12llu ", sum.read_bytes);
		out_u64(o, "write_bytes", "%12llu ", sum.write_bytes);
		out_u64(o, "errors", "%6llu\n", sum.errors);
		out_obj_end(o);
	}
	out_arr_end(o);
}

/* One print of every wanted path; with prev (a watch), rates since then. */
static void print_sample(struct cmd_ctx *c, const struct filter *f,
			 const struct vctl_path_stat *s, uint32_t n,
			 const struct vctl_path_stat *prev, uint32_t nprev, double secs)
{
	struct out *o = &c->out;
	const struct vctl_mld *m = &c->pool->mld;
	out_init(o, c->outf, c->json); /* each print is a document of its own */
	out_begin(o);
	out_text(o, "%-6s %-12s %-14s %-10s %10s %10s %12s %12s %6s %8s %8s%s\n", "ID",
			 "HOST", "VOLUME", "DOMAIN", "READS", "WRITES", "READ_BYTES", "WRITE_BYTES",
			 "ERRORS", "P50_US", "P99_US", secs > 0 ? "   RD/S   WR/S   MB/S" : "");
	if (secs > 0)
		out_double(o, "interval", NULL, secs);
	out_arr(o, "paths");
	for (uint32_t i = 0; i < n; i++) {
		if (!wanted(f, &s[i]))
			continue;
		const struct vctl_mld_host *h = vctl_mld_host_by_id(m, s[i].host);
		const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, s[i].volume);
		const struct vctl_io_stats *io = &s[i].io;
		out_obj(o, NULL);
		out_u64(o, "id", "%-6llu ", s[i].id);
		out_str(o, "host", "%-12s ", h ? h->name : "?");
		out_str(o, "volume", "%-14s ", v ? v->name : "?");
		out_str(o, "domain", "%-10s ", vctl_mld_domain_name(m, s[i].domain));
		out_u64(o, "reads", "%10llu ", io->reads);
		out_u64(o, "writes", "%10llu ", io->writes);
		out_u64(o, "read_bytes", "%12llu ", io->read_bytes);
		out_u64(o, "write_bytes", "%12llu ", io->write_bytes);
		out_u64(o, "errors", "%6llu ", io->errors);
		out_u64(o, "opens", NULL, s[i].opens);
		print_latency(o, io);
		const struct vctl_path_stat *p = previous(prev, nprev, s[i].id);
		if (secs > 0) {
			const struct vctl_io_stats *q = p ? &p->io : NULL;
			double rd = (double)(io->reads - (q ? q->reads : 0)) / secs;
			double wr = (double)(io->writes - (q ? q->writes : 0)) / secs;
			double mb = (double)(io->read_bytes + io->write_bytes -
					     (q ? q->read_bytes + q->write_bytes : 0)) / secs / 1e6;
			out_double(o, "reads_per_second", " %6.0f", rd);
			out_double(o, "writes_per_second", " %6.0f", wr);
			out_double(o, "mb_per_second", " %6.1f", mb);
		}
		out_text(o, "\n");
		out_obj_end(o);
	}
	out_arr_end(o);
	print_domains(o, m, f, s, n);
	out_end(o);
}

/* A watch ends when the server stops, the client is gone, or its output
 * is: a `vctl stats --watch` killed on a terminal must not leave a
 * command running inside the server. */
static bool go_on(struct cmd_ctx *c)
{
	if (vctl_gate_stopping(c->pool->gate))
		return false;
	if (c->client > 0 && kill(c->client, 0) < 0 && errno == ESRCH)
		return false;
	return fflush(c->outf) == 0 && !ferror(c->outf);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_stats(struct cmd_ctx *c)
{
	struct stats_opts o = {0};
	CMD_START(c, on_opt, &o, 0, 0);
	if (!c->served || !c->pool->gate)
		return cmd_failf(c, -ESRCH,
				 "no server is running for the pool in %s; the statistics are kept by vctl serve",
				 c->pool_dir);
	struct vctl_path_stat *prev = NULL;
	uint32_t nprev = 0;
	double tprev = 0;
	int status = EXIT_OK;
	for (uint64_t round = 1;; round++) {
		struct vctl_err err = {0};
		struct vctl_path_stat *s;
		uint32_t n;
		struct filter f;
		/* Printed into memory under the pool lock, written out after: a
		 * reader that stops reading (a paused pager) must not hold the
		 * lock that the clients' writes need. */
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len), *real = c->outf;
		if (!mem)
			return cmd_failf(c, -ENOMEM, "out of memory");
		vctl_rwlock_rd(&c->pool->lock);
		int r = resolve(c, &o, &f, &err);
		if (r == 0)
			r = vctl_gate_stats(c->pool, &s, &n, &err);
		if (r == 0) {
			double t = now_s();
			c->outf = mem;
			print_sample(c, &f, s, n, prev, nprev, prev || round > 1 ? t - tprev : 0);
			c->outf = real;
			free(prev);
			prev = s;
			nprev = n;
			tprev = t;
		}
		vctl_rwlock_unlock(&c->pool->lock);
		fclose(mem);
		if (r == 0)
			fwrite(text, 1, len, c->outf);
		free(text);
		if (r < 0) {
			status = cmd_fail(c, r, &err);
			break;
		}
		if (!o.watch || (o.count && round >= o.count))
			break;
		/* a second, in slices, watching for the end */
		bool more = true;
		for (int k = 0; k < 10 && (more = go_on(c)); k++) {
			struct timespec ts = {0, 100 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (!more)
			break;
	}
	free(prev);
	return status;
}
