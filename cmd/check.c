#include <stdlib.h>

#include <string.h>

#include "cmd.h"
#include "lib/check.h"

enum { O_REPAIR = 1, O_INTENTS };

const struct poptOption check_options[] = {
	{"intents", 0, POPT_ARG_NONE, NULL, O_INTENTS,
	 "also verify every RStore against its volume's intent (--separate enclosure)", NULL},
	{"repair", 0, POPT_ARG_NONE, NULL, O_REPAIR,
	 "commit a new MLD generation: rewrites stale or damaged copies", NULL},
	POPT_TABLEEND};

struct check_opts {
	bool repair;
	unsigned what;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st,
		  struct vctl_err *err)
{
	(void)arg;
	(void)err;
	struct check_opts *o = st;
	if (val == O_INTENTS) {
		o->what |= VCTL_CHECK_INTENTS;
		return 0;
	}
	o->repair = true;
	/* Repair commits: take the pool exclusively, and refuse without an MLD. */
	c->open_flags |= VCTL_OPEN_WRITE;
	return 0;
}

static bool in_report(const struct vctl_check_report *rep, const char *s)
{
	for (uint32_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->problems[i], s))
			return true;
	return false;
}

/* Prints rep's problems, leaving out those also in `except`. */
static void print_report(struct out *o, const char *key, const struct vctl_check_report *rep,
			 const struct vctl_check_report *except)
{
	out_arr(o, key);
	for (uint32_t i = 0; i < rep->n; i++)
		if (!except || !in_report(except, rep->problems[i]))
			out_str(o, NULL, "%s\n", rep->problems[i]);
	out_arr_end(o);
}

int cmd_check(struct cmd_ctx *c)
{
	struct check_opts opts = {.what = VCTL_CHECK_DATA};
	CMD_START(c, on_opt, &opts, 0, 0);
	bool repair = opts.repair;
	struct vctl_pool *p = c->pool;
	struct out *o = &c->out;
	struct vctl_err err = {0};
	struct vctl_check_report rep, before = {0};
	int r = vctl_pool_check(p, opts.what, &rep, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (repair) {
		if (!p->have_mld) {
			vctl_check_report_free(&rep);
			return cmd_failf(c, -VCTL_E_CORRUPT,
					 "no valid MLD copy to repair from");
		}
		r = vctl_pool_commit(p, &err);
		if (r < 0) {
			vctl_check_report_free(&rep);
			return cmd_fail(c, r, &err);
		}
		before = rep;
		/* Only what was wrong counts as repaired; notes heal silently. */
		for (uint32_t i = 0; i < before.nnotes; i++)
			free(before.notes[i]);
		free(before.notes);
		before.notes = NULL;
		before.nnotes = 0;
		r = vctl_pool_check(p, opts.what, &rep, &err);
		if (r < 0) {
			vctl_check_report_free(&before);
			return cmd_fail(c, r, &err);
		}
	}
	out_begin(o);
	out_bool(o, "ok", NULL, rep.n == 0);
	uint32_t fixed = 0;
	for (uint32_t i = 0; i < before.n; i++)
		fixed += !in_report(&rep, before.problems[i]);
	if (repair)
		out_text(o, "wrote MLD generation %llu%s\n", (unsigned long long)p->mld.generation,
			 fixed ? "; repaired:" : "");
	print_report(o, "repaired", &before, &rep);
	if (repair && rep.n)
		out_text(o, "still wrong:\n");
	print_report(o, "problems", &rep, NULL);
	out_arr(o, "notes");
	for (uint32_t i = 0; i < rep.nnotes; i++)
		out_str(o, NULL, "note: %s\n", rep.notes[i]);
	out_arr_end(o);
	if (rep.n == 0 && !c->quiet)
		out_text(o, "ok: %u disks, MLD generation %llu, no problems\n", p->mld.ndisks,
			 (unsigned long long)p->mld.generation);
	out_end(o);
	uint32_t n = rep.n;
	vctl_check_report_free(&rep);
	vctl_check_report_free(&before);
	if (n) {
		fprintf(c->errf, "vctl check: %u problem%s found\n", n, n == 1 ? "" : "s");
		return EXIT_IO;
	}
	return EXIT_OK;
}
