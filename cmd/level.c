/* vctl level [--rate SIZE] [--wait]: move PSEGs until every disk holds its
 * capacity-proportional share of what the pool stores. */
#include <errno.h>

#include "cmd.h"
#include "lib/clone.h"
#include "lib/disk.h"
#include "lib/units.h"

enum { O_RATE = 1, O_WAIT };

const struct poptOption level_options[] = {
	{"rate", 0, POPT_ARG_STRING, NULL, O_RATE,
	 "move at most this many bytes per second (default: as fast as client I/O allows)", "SIZE"},
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once the pool is level (always so offline)", NULL},
	POPT_TABLEEND};

struct level_opts {
	uint64_t rate;
	bool wait;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct level_opts *o = st;
	int r = 0;
	if (val == O_WAIT)
		o->wait = true;
	else if ((r = cmd_opt_size("rate", arg, &o->rate, err)) == 0 && o->rate == 0)
		r = vctl_errf(err, -EINVAL, "--rate: must be more than 0");
	return r;
}

int cmd_level(struct cmd_ctx *c)
{
	struct level_opts o = {0};
	CMD_START(c, on_opt, &o, 0, 0);
	struct vctl_err err = {0};
	uint64_t job, moves;
	int r = vctl_level_start(c->pool, o.rate, &job, &moves, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	bool done = !job;
	/* Offline nobody else would move the data: the job runs here. */
	if (job && (!c->served || o.wait) &&
	    (r = cmd_job_run(c, job, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "job", job && !done ? "leveling (job %llu): " : NULL, job);
		out_u64(&c->out, "moves",
			!done ? "%llu PSEG moves to make" : moves ? "the pool is level (%llu PSEG moves planned)"
							  : "the pool is level%.0llu",
			moves);
		out_bool(&c->out, "done", "\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}
