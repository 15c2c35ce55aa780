#include "cmd.h"
#include "lib/share.h"

enum { O_RESERVE = 1 };

const struct poptOption snapshot_options[] = {
	{"reserve", 0, POPT_ARG_NONE, NULL, O_RESERVE,
	 "set aside the space the snapshot needs to hold all it shares", NULL},
	POPT_TABLEEND};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	(void)arg;
	(void)err;
	*(bool *)st = val == O_RESERVE;
	return 0;
}

int cmd_snapshot(struct cmd_ctx *c)
{
	bool reserve = false;
	CMD_START(c, on_opt, &reserve, 2, 2);
	struct vctl_err err = {0};
	int r = vctl_snapshot(c->pool, c->args[0], c->args[1], reserve, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "created snapshot %s", c->args[1]);
		out_str(&c->out, "origin", " of %s\n", c->args[0]);
		out_end(&c->out);
	}
	return EXIT_OK;
}
