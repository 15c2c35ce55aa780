/* vctl jobs [ID] [--wait] | jobs --cancel ID: the background copy jobs. */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "lib/clone.h"

enum { O_WAIT = 1, O_CANCEL };

const struct poptOption jobs_options[] = {
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "run (offline) or wait for (online) every job, or job ID, until it is done", NULL},
	{"cancel", 0, POPT_ARG_STRING, NULL, O_CANCEL,
	 "stop job ID; its clone stays, as a plain snapshot", "ID"},
	POPT_TABLEEND};

struct jobs_opts {
	bool wait;
	uint64_t cancel;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct jobs_opts *o = st;
	if (val == O_WAIT) {
		o->wait = true;
		return 0;
	}
	return cmd_opt_uint("--cancel", arg, UINT64_MAX, &o->cancel, err);
}

int cmd_jobs(struct cmd_ctx *c)
{
	struct jobs_opts o = {0};
	CMD_START(c, on_opt, &o, 0, 1);
	struct vctl_err err = {0};
	uint64_t only = 0;
	if (c->nargs && cmd_opt_uint("ID", c->args[0], UINT64_MAX, &only, &err) < 0)
		return cmd_fail(c, -EINVAL, &err);
	if (o.cancel && (o.wait || c->nargs))
		return cmd_failf(c, -EINVAL, "--cancel takes no other argument or option");
	if (o.cancel) {
		int r = vctl_snapclone_cancel(c->pool, o.cancel, &err);
		if (r < 0)
			return cmd_fail(c, r, &err);
		if (!c->quiet || c->json) {
			out_begin(&c->out);
			out_u64(&c->out, "cancelled", "cancelled job %llu\n", o.cancel);
			out_end(&c->out);
		}
		return EXIT_OK;
	}
	struct vctl_job *jobs;
	uint32_t n;
	if (vctl_jobs_list(c->pool, &jobs, &n) < 0)
		return cmd_failf(c, -ENOMEM, "out of memory");
	bool found = !only;
	for (uint32_t i = 0; i < n; i++) {
		if (only && jobs[i].id != only)
			continue;
		found = true;
		if (o.wait) {
			int r = cmd_job_run(c, jobs[i].id, VCTL_CLONE_THRESHOLD, NULL);
			if (r) {
				free(jobs);
				return r;
			}
		}
	}
	if (!found) {
		free(jobs);
		return cmd_failf(c, -ENOENT, "no job %llu", (unsigned long long)only);
	}
	if (o.wait) {
		free(jobs);
		if (vctl_jobs_list(c->pool, &jobs, &n) < 0)
			return cmd_failf(c, -ENOMEM, "out of memory");
	}
	out_begin(&c->out);
	out_text(&c->out, "%-6s %-10s %-20s %-20s %s\n", "ID", "KIND", "VOLUME", "ORIGIN", "PROGRESS");
	out_arr(&c->out, "jobs");
	for (uint32_t i = 0; i < n; i++) {
		const struct vctl_job *j = &jobs[i];
		if (only && j->id != only)
			continue;
		double progress = j->total ? (double)j->cursor / (double)j->total : 1.0;
		out_obj(&c->out, NULL);
		out_u64(&c->out, "id", "%-6llu ", j->id);
		out_str(&c->out, "kind", "%-10s ", "snapclone");
		out_str(&c->out, "volume", "%-20s ", j->volume);
		out_str(&c->out, "origin", "%-20s ", j->origin[0] ? j->origin : NULL);
		out_str(&c->out, "state", NULL, j->cursor < j->total ? "copying" : "leaving");
		out_double(&c->out, "progress", NULL, progress); /* 0..1 */
		out_text(&c->out, "%.0f%%", progress * 100);
		out_u64(&c->out, "rsegs_copied", " (%llu", j->cursor);
		out_u64(&c->out, "rsegs", " of %llu RSEGs)", j->total);
		/* rate and ETA: known where the job runs (the server, online) */
		if (j->rate > 0) {
			double left = (double)(j->total - j->cursor) * (double)j->rseg_size / j->rate;
			out_double(&c->out, "rate", NULL, j->rate);
			out_text(&c->out, " %.1f MiB/s", j->rate / 1048576.0);
			out_double(&c->out, "eta", " ETA %.0f s\n", left);
		} else {
			out_str(&c->out, "rate", NULL, NULL);
			out_str(&c->out, "eta", "\n", NULL);
		}
		out_obj_end(&c->out);
	}
	out_arr_end(&c->out);
	out_end(&c->out);
	free(jobs);
	return EXIT_OK;
}
