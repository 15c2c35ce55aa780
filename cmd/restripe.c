/* vctl restripe NAME [--width N] [--stripe-size SIZE] [--rate RATE] [--plan]
 * [--wait]: a new stripe width and/or stripe unit for a live volume. */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "lib/clone.h"
#include "lib/restripe.h"
#include "print.h"

enum { O_WIDTH = 1, O_STRIPE, O_RATE, O_PLAN, O_WAIT };

const struct poptOption restripe_options[] = {
	{"width", 0, POPT_ARG_STRING, NULL, O_WIDTH, "data columns of the new layout", "N"},
	{"stripe-size", 0, POPT_ARG_STRING, NULL, O_STRIPE,
	 "stripe unit of the new layout (a power of two, 4K up to the PSEG size)", "SIZE"},
	{"rate", 0, POPT_ARG_STRING, NULL, O_RATE,
	 "move at most this many bytes per second (default: as fast as client I/O allows)", "SIZE"},
	{"plan", 0, POPT_ARG_NONE, NULL, O_PLAN,
	 "print what would move and the space it needs; change nothing", NULL},
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once every RSEG has moved (always so offline)", NULL},
	POPT_TABLEEND};

struct restripe_opts {
	struct vctl_restripe_req req;
	bool plan, wait;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct restripe_opts *o = st;
	uint64_t v;
	int r = 0;
	switch (val) {
	case O_WIDTH:
		if ((r = cmd_opt_uint("width", arg, 255, &v, err)) == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--width: must be at least 1");
		o->req.width = (uint32_t)v;
		break;
	case O_STRIPE:
		if ((r = cmd_opt_size("stripe-size", arg, &v, err)) == 0 && (v == 0 || v > UINT32_MAX))
			r = vctl_errf(err, -EINVAL, "--stripe-size: %s is out of range", arg);
		o->req.stripe = (uint32_t)v;
		break;
	case O_RATE:
		if ((r = cmd_opt_size("rate", arg, &o->req.rate, err)) == 0 && o->req.rate == 0)
			r = vctl_errf(err, -EINVAL, "--rate: must be more than 0");
		break;
	case O_PLAN:
		o->plan = true;
		break;
	case O_WAIT:
		o->wait = true;
		break;
	}
	return r;
}

static void print_plan(struct out *o, const struct vctl_restripe_plan *pl, uint64_t pseg)
{
	print_layout(o, "from", "%s -> ", &pl->from);
	print_layout(o, "to", "%s\n", &pl->to);
	out_size(o, "move_bytes", "  data to move:    %s", pl->move_bytes);
	out_u64(o, "move_rsegs", " (%llu RSEGs)\n", pl->rsegs);
	out_size(o, "new_bytes", "  new space:       %s", pl->psegs_new * pseg);
	out_size(o, "freed_bytes", ", freed by the end: %s\n", pl->psegs_freed * pseg);
	out_size(o, "peak_bytes", "  needed at once:  %s", pl->psegs_peak * pseg);
	out_size(o, "free_bytes", " of %s free\n", pl->psegs_free * pseg);
	out_str(o, "intent", "  intent:          %s", pl->intent);
	out_bool(o, "intent_holds", pl->intent_holds ? ": holds\n" : ": cannot hold\n",
		 pl->intent_holds);
}

int cmd_restripe(struct cmd_ctx *c)
{
	struct restripe_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 1);
	struct vctl_err err = {0};
	const char *name = c->args[0];
	if (!o.req.width && !o.req.stripe)
		return cmd_failf(c, -EINVAL, "nothing to change: give --width, --stripe-size or both");
	if (o.plan && o.wait)
		return cmd_failf(c, -EINVAL, "--plan changes nothing: it takes no --wait");
	struct vctl_restripe_plan pl;
	uint64_t pseg = c->pool->mld.pool.geom.pseg_size, id = 0;
	int r = o.plan ? vctl_restripe_plan(c->pool, name, &o.req, &pl, &err)
		       : vctl_restripe_start(c->pool, name, &o.req, &pl, &id, &err);
	/* A plan is printed even when the restripe would be refused: it
	 * shows why. The exit status is the one the restripe would have. */
	if (o.plan && pl.to.raid && (!c->quiet || c->json)) {
		out_begin(&c->out);
		out_str(&c->out, "name", "restripe %s: ", name);
		print_plan(&c->out, &pl, pseg);
		out_bool(&c->out, "refused", NULL, r < 0);
		out_end(&c->out);
	}
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (o.plan)
		return EXIT_OK;
	/* Offline nobody else would move the data: the job runs here. Online
	 * the server's job thread runs it, and --wait runs it here too. */
	bool done = false;
	if ((!c->served || o.wait) && (r = cmd_job_run(c, id, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "restriped %s: ", name);
		print_layout(&c->out, "from", "%s -> ", &pl.from);
		print_layout(&c->out, "to", "%s", &pl.to);
		out_u64(&c->out, "job", done ? NULL : " (job %llu)", id);
		out_size(&c->out, "move_bytes", done ? ", %s moved" : ", %s to move", pl.move_bytes);
		out_bool(&c->out, "done", "\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}
