/* vctl monitor [--once] [--interval SECONDS] [--migrate] [--threshold PERCENT]
 * [--rate SIZE]: watch each array's measured load against its rating; for
 * an array above the threshold, name the volume that fits it worst and a
 * new placement for it, and with --migrate start its migration. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "print.h"
#include "lib/gate.h"
#include "lib/monitor.h"

enum { O_ONCE = 1, O_INTERVAL, O_MIGRATE, O_THRESHOLD, O_RATE };

const struct poptOption monitor_options[] = {
	{"once", 0, POPT_ARG_NONE, NULL, O_ONCE, "one round, then exit", NULL},
	{"interval", 0, POPT_ARG_STRING, NULL, O_INTERVAL,
	 "measure each round over this many seconds (default 5; 1 with --once)", "SECONDS"},
	{"migrate", 0, POPT_ARG_NONE, NULL, O_MIGRATE,
	 "start the migration of the worst-fit volume of a hot array", NULL},
	{"threshold", 0, POPT_ARG_STRING, NULL, O_THRESHOLD,
	 "an array is hot above this percentage of its rating (default 80)", "PERCENT"},
	{"rate", 0, POPT_ARG_STRING, NULL, O_RATE,
	 "a migration moves at most this many bytes per second (default: as client I/O allows)",
	 "SIZE"},
	POPT_TABLEEND};

#define MAX_INTERVAL 3600u
#define MAX_THRESHOLD 1000u

struct monitor_opts {
	bool once;
	uint64_t interval; /* 0: the default */
	uint64_t threshold;
	struct vctl_monitor_opts lib;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct monitor_opts *o = st;
	int r = 0;
	switch (val) {
	case O_ONCE:
		o->once = true;
		break;
	case O_MIGRATE:
		o->lib.migrate = true;
		break;
	case O_INTERVAL:
		if ((r = cmd_opt_uint("interval", arg, MAX_INTERVAL, &o->interval, err)) == 0 &&
		    !o->interval)
			r = vctl_errf(err, -EINVAL, "--interval: must be at least 1");
		break;
	case O_THRESHOLD:
		if ((r = cmd_opt_uint("threshold", arg, MAX_THRESHOLD, &o->threshold, err)) == 0 &&
		    !o->threshold)
			r = vctl_errf(err, -EINVAL, "--threshold: must be at least 1");
		break;
	case O_RATE:
		if ((r = cmd_opt_size("rate", arg, &o->lib.rate, err)) == 0 && !o->lib.rate)
			r = vctl_errf(err, -EINVAL, "--rate: must be more than 0");
		break;
	}
	return r;
}

static void print_hot(struct out *o, const struct vctl_monitor_round *rd,
		      const struct vctl_monitor_hot *h, unsigned threshold)
{
	const struct vctl_array_info *a = &rd->arrays[h->array];
	const char *unit = h->iops ? "IOPS" : "MB/s";
	out_obj(o, NULL);
	out_str(o, "array", "array %s: ", a->name);
	out_str(o, "dimension", NULL, h->iops ? "iops" : "mbps");
	out_double(o, "load", "%.1f ", h->iops ? a->load_iops : a->load_mbps);
	out_u64(o, "rating", NULL, h->iops ? a->iops : a->mbps);
	out_text(o, "%s, rated %llu %s ", unit, (unsigned long long)(h->iops ? a->iops : a->mbps),
		 unit);
	out_double(o, "use", "(%.0f%%)", h->use * 100);
	out_text(o, ", above %u%%\n", threshold);
	if (h->volume[0]) {
		out_str(o, "volume", "  worst fit: %s", h->volume);
		out_double(o, "volume_load", ", %.1f ", h->vol_load);
		out_text(o, "%s there, ", unit);
		out_u64(o, "volume_committed", "%llu committed\n", h->vol_committed);
	} else {
		out_str(o, "volume", NULL, NULL);
	}
	if (h->planned) {
		out_text(o, "  new placement: ");
		print_plan_arrays(o, "placement", &h->plan);
		out_u64(o, "moves", " (moves %llu", h->plan.moves);
		out_u64(o, "psegs", " of %llu PSEGs)\n", h->plan.psegs);
	} else {
		out_str(o, "placement", NULL, NULL);
	}
	if (h->job)
		out_u64(o, "job", h->started ? "  migrating: job %llu\n" : NULL, h->job);
	else
		out_str(o, "job", NULL, NULL);
	out_bool(o, "started", NULL, h->started);
	out_str(o, "problem", h->problem[0] ? "  %s\n" : NULL, h->problem[0] ? h->problem : NULL);
	out_obj_end(o);
}

static void print_round(struct cmd_ctx *c, const struct vctl_monitor_round *rd, unsigned threshold)
{
	struct out *o = &c->out;
	out_init(o, c->outf, c->json); /* each round is a document of its own */
	out_begin(o);
	out_u64(o, "threshold", NULL, threshold);
	if (!rd->nhot)
		out_text(o, "every array is at or below %u%% of its rating\n", threshold);
	out_arr(o, "hot");
	for (uint32_t i = 0; i < rd->nhot; i++)
		print_hot(o, rd, &rd->hot[i], threshold);
	out_arr_end(o);
	if (c->verbose || c->json) {
		print_array_header(o);
		out_arr(o, "arrays");
		for (uint32_t a = 0; a < rd->narrays; a++)
			print_array(o, &rd->arrays[a]);
		out_arr_end(o);
	}
	out_end(o);
	fflush(c->outf);
}

/* Whoever asked is still there to read: its vctl is alive (served), and
 * the server is not stopping. */
static bool keep_going(const struct cmd_ctx *c)
{
	if (ferror(c->outf) || (c->client && kill(c->client, 0) < 0 && errno == ESRCH))
		return false;
	return !c->pool->gate || !vctl_gate_stopping(c->pool->gate);
}

int cmd_monitor(struct cmd_ctx *c)
{
	struct monitor_opts o = {.threshold = 80};
	CMD_START(c, on_opt, &o, 0, 0);
	if (!c->served || !c->pool->gate)
		return cmd_failf(c, -ESRCH,
				 "no server is running for the pool in %s; the load is measured by vctl serve",
				 c->pool_dir);
	o.lib.threshold = (double)o.threshold / 100.0;
	o.lib.sample_ms = (unsigned)(o.interval ? o.interval : o.once ? 1 : 5) * 1000u;
	int status = EXIT_OK;
	do {
		struct vctl_err err = {0};
		struct vctl_monitor_round rd;
		int r = vctl_monitor_round(c->pool, &o.lib, &rd, &err);
		if (r < 0)
			return cmd_fail(c, r, &err);
		if (!c->quiet || c->json)
			print_round(c, &rd, (unsigned)o.threshold);
		/* an array nothing can relieve: the answer is more arrays */
		for (uint32_t i = 0; o.once && i < rd.nhot; i++)
			if (!rd.hot[i].planned && !rd.hot[i].job) {
				fprintf(c->errf, "vctl monitor: array %s is above %u%% of its rating, and nothing can move off it\n",
					rd.arrays[rd.hot[i].array].name, (unsigned)o.threshold);
				status = EXIT_REFUSED;
				break;
			}
		vctl_monitor_round_free(&rd);
	} while (!o.once && keep_going(c));
	return status;
}
