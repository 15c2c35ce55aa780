/* vctl snapclone NAME CLONE [--wait] [--threshold M]: a snapshot that a
 * background copy (BGCOPY) then makes independent. */
#include <stdlib.h>

#include "cmd.h"
#include "lib/clone.h"

enum { O_WAIT = 1, O_THRESHOLD };

const struct poptOption snapclone_options[] = {
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once the clone shares nothing (always so offline)", NULL},
	{"threshold", 0, POPT_ARG_STRING, NULL, O_THRESHOLD,
	 "copies left for the predecessor below which the rest and the removal from the chain happen at once (RSEGs, default 64)",
	 "M"},
	POPT_TABLEEND};

struct clone_opts {
	bool wait;
	uint64_t threshold;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct clone_opts *o = st;
	if (val == O_WAIT) {
		o->wait = true;
		return 0;
	}
	return cmd_opt_uint("threshold", arg, UINT32_MAX, &o->threshold, err);
}

int cmd_snapclone(struct cmd_ctx *c)
{
	struct clone_opts o = {.threshold = VCTL_CLONE_THRESHOLD};
	CMD_START(c, on_opt, &o, 2, 2);
	struct vctl_err err = {0};
	uint64_t id;
	int r = vctl_snapclone_start(c->pool, c->args[0], c->args[1], &id, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	/* Offline nobody else would copy: the job runs here. Online the
	 * server's job thread runs it, and --wait runs it here too. */
	bool done = false;
	if ((!c->served || o.wait) && (r = cmd_job_run(c, id, o.threshold, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "created snapclone %s", c->args[1]);
		out_str(&c->out, "origin", " of %s", c->args[0]);
		out_u64(&c->out, "job", done ? NULL : " (job %llu)", id);
		out_bool(&c->out, "done", done ? ": it shares nothing\n" : "\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}
