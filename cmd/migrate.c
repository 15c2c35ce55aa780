/* vctl migrate NAME --from ARRAY [--rate SIZE] [--wait]: move a placed
 * volume off an array, onto a new placement that meets its requirement
 * (what `vctl monitor --migrate` starts for a hot array). */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "print.h"
#include "lib/clone.h"
#include "lib/migrate.h"

enum { O_FROM = 1, O_RATE, O_WAIT };

const struct poptOption migrate_options[] = {
	{"from", 0, POPT_ARG_STRING, NULL, O_FROM, "the array it leaves (required)", "ARRAY"},
	{"rate", 0, POPT_ARG_STRING, NULL, O_RATE,
	 "move at most this many bytes per second (default: as fast as client I/O allows)", "SIZE"},
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once the volume has moved (always so offline)", NULL},
	POPT_TABLEEND};

struct migrate_opts {
	char from_buf[256]; /* popt's argument does not outlive the callback */
	const char *from;
	uint64_t rate;
	bool wait;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct migrate_opts *o = st;
	int r = 0;
	if (val == O_WAIT)
		o->wait = true;
	else if (val == O_FROM)
		o->from = strncpy(o->from_buf, arg, sizeof(o->from_buf) - 1);
	else if ((r = cmd_opt_size("rate", arg, &o->rate, err)) == 0 && o->rate == 0)
		r = vctl_errf(err, -EINVAL, "--rate: must be more than 0");
	return r;
}

int cmd_migrate(struct cmd_ctx *c)
{
	struct migrate_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 1);
	if (!o.from)
		return cmd_failf(c, -EINVAL, "which array does it leave? give --from ARRAY");
	struct vctl_err err = {0};
	struct vctl_migrate_plan plan;
	uint64_t job;
	int r = vctl_migrate_by_name(c->pool, c->args[0], o.from, o.rate, &plan, &job, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	bool done = false;
	/* Offline nobody else would move the data: the job runs here. */
	if ((!c->served || o.wait) && (r = cmd_job_run(c, job, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "volume", "%s", c->args[0]);
		out_u64(&c->out, "job", done ? NULL : " (job %llu)", job);
		out_text(&c->out, done ? " lies on arrays " : ": moving onto arrays ");
		print_plan_arrays(&c->out, "arrays", &plan);
		out_u64(&c->out, "moves", done ? " (%llu PSEGs moved" : " (%llu PSEGs to move",
			plan.moves);
		out_u64(&c->out, "psegs", " of %llu)", plan.psegs);
		out_bool(&c->out, "done", "\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}
