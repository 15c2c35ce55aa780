/* vctl jobs [ID] [--wait] | jobs --cancel ID [--wait]: the background jobs
 * (snapclone copies, restripes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "print.h"
#include "lib/clone.h"
#include "lib/jobs.h"
#include "lib/units.h"

enum { O_WAIT = 1, O_CANCEL };

const struct poptOption jobs_options[] = {
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "run (offline) or wait for (online) every job, or job ID, until it is done", NULL},
	{"cancel", 0, POPT_ARG_STRING, NULL, O_CANCEL,
	 "stop job ID: a snapclone stays a plain snapshot; a restripe moves the volume back to its old layout",
	 "ID"},
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
	return cmd_opt_uint("cancel", arg, UINT64_MAX, &o->cancel, err);
}

int cmd_job_run(struct cmd_ctx *c, uint64_t id, uint64_t threshold, bool *done)
{
	bool tty = !c->quiet && !c->json && isatty(fileno(c->errf));
	struct vctl_job_progress pr = {0};
	struct vctl_err err = {0};
	/* Test hook: stop after this many steps, as a kill would. */
	const char *hook = getenv("VCTL_JOB_STEPS");
	long steps = hook ? atol(hook) : -1;
	int r = 0;
	/* Online, clients of the server go first here too. */
	while (steps != 0 && (r = vctl_job_step(c->pool, id, threshold, c->served, &pr, &err)) == 0) {
		if (pr.wait_ms) { /* paced */
			usleep(pr.wait_ms * 1000u);
			continue;
		}
		steps--;
		if (tty)
			fprintf(c->errf, "\rvctl %s: job %llu: %llu of %llu %s", c->cmd->name,
				(unsigned long long)id, (unsigned long long)pr.cursor,
				(unsigned long long)pr.total, pr.in_psegs ? "PSEGs" : "RSEGs");
	}
	if (tty)
		fprintf(c->errf, "\r\033[K");
	if (done)
		*done = r == 1;
	return r < 0 ? cmd_fail(c, r, &err) : 0;
}

static void print_job(struct out *o, const struct vctl_job *j)
{
	double progress = j->total ? (double)j->cursor / (double)j->total : 1.0;
	bool restripe = !strcmp(j->kind, "restripe");
	char detail[200];
	if (restripe) {
		char a[32], b[32];
		snprintf(detail, sizeof(detail), "%ux%s -> %ux%s", j->from.width,
			 vctl_fmt_size(j->from.stripe, a, sizeof(a)), j->to.width,
			 vctl_fmt_size(j->to.stripe, b, sizeof(b)));
	} else if (!strcmp(j->kind, "evacuate")) {
		snprintf(detail, sizeof(detail), "disk %u", j->disk);
	} else if (!strcmp(j->kind, "migrate")) {
		snprintf(detail, sizeof(detail), "onto %s", j->arrays);
	} else if (!strcmp(j->kind, "rebuild")) {
		snprintf(detail, sizeof(detail), "stale members");
	} else if (j->in_psegs) {
		snprintf(detail, sizeof(detail), "all disks");
	} else {
		snprintf(detail, sizeof(detail), "of %s", j->origin);
	}
	out_obj(o, NULL);
	out_u64(o, "id", "%-6llu ", j->id);
	out_str(o, "kind", "%-10s ", j->kind);
	bool migrate = !strcmp(j->kind, "migrate");
	out_str(o, "volume", "%-20s ", j->in_psegs && !migrate ? NULL : j->volume);
	out_text(o, "%-26s ", detail);
	out_str(o, "origin", NULL, restripe || j->in_psegs ? NULL : j->origin);
	if (!strcmp(j->kind, "evacuate"))
		out_u64(o, "disk", NULL, j->disk);
	if (migrate) {
		char names[sizeof(j->arrays)], *save = NULL;
		snprintf(names, sizeof(names), "%s", j->arrays);
		out_arr(o, "arrays");
		for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save))
			out_str(o, NULL, NULL, t);
		out_arr_end(o);
	}
	if (restripe) {
		print_layout(o, "from", NULL, &j->from);
		print_layout(o, "to", NULL, &j->to);
	}
	out_str(o, "state", "%s ", j->state);
	out_double(o, "progress", NULL, progress); /* 0..1 */
	out_text(o, "%.0f%%", progress * 100);
	if (j->in_psegs) {
		out_u64(o, "psegs_moved", " (%llu", j->cursor);
		out_u64(o, "psegs", " of %llu PSEGs)", j->total);
	} else {
		out_u64(o, "rsegs_copied", " (%llu", j->cursor);
		out_u64(o, "rsegs", " of %llu RSEGs)", j->total);
	}
	if (j->rate_limit)
		out_size(o, "rate_limit", " limit %s/s", j->rate_limit);
	/* rate and ETA: known where the job runs (the server, online) */
	if (j->rate > 0) {
		double left = (double)(j->total - j->cursor) * (double)j->unit_size / j->rate;
		out_double(o, "rate", NULL, j->rate);
		out_text(o, " %.1f MiB/s", j->rate / 1048576.0);
		out_double(o, "eta", " ETA %.0f s\n", left);
	} else {
		out_str(o, "rate", NULL, NULL);
		out_str(o, "eta", "\n", NULL);
	}
	out_obj_end(o);
}

static int cancel(struct cmd_ctx *c, const struct jobs_opts *o)
{
	struct vctl_err err = {0};
	bool more = false;
	int r = vctl_job_cancel(c->pool, o->cancel, &more, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	bool done = !more;
	/* A restripe moves its data back: offline nobody else would, online
	 * the server does, and --wait waits here. */
	if (more && (!c->served || o->wait) &&
	    (r = cmd_job_run(c, o->cancel, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "cancelled", "cancelled job %llu", o->cancel);
		out_bool(&c->out, "done", done ? "\n" : ": moving the data back\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}

int cmd_jobs(struct cmd_ctx *c)
{
	struct jobs_opts o = {0};
	CMD_START(c, on_opt, &o, 0, 1);
	struct vctl_err err = {0};
	uint64_t only = 0;
	if (c->nargs && vctl_parse_uint(c->args[0], UINT64_MAX, &only, &err) < 0) {
		vctl_err_wrap(&err, "job ID");
		return cmd_fail(c, -EINVAL, &err);
	}
	if (o.cancel && c->nargs)
		return cmd_failf(c, -EINVAL, "--cancel takes no other argument");
	if (o.cancel)
		return cancel(c, &o);
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
	if (o.wait && c->quiet && !c->json) {
		free(jobs);
		return EXIT_OK;
	}
	if (o.wait) {
		free(jobs);
		if (vctl_jobs_list(c->pool, &jobs, &n) < 0)
			return cmd_failf(c, -ENOMEM, "out of memory");
	}
	out_begin(&c->out);
	out_text(&c->out, "%-6s %-10s %-20s %-26s %s\n", "ID", "KIND", "VOLUME", "DETAIL", "PROGRESS");
	out_arr(&c->out, "jobs");
	for (uint32_t i = 0; i < n; i++)
		if (!only || jobs[i].id == only)
			print_job(&c->out, &jobs[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
	free(jobs);
	return EXIT_OK;
}
