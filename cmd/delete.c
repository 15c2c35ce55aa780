#include "cmd.h"
#include "lib/volume.h"

enum { O_FORCE = 1 };

const struct poptOption delete_options[] = {
	{"force", 0, POPT_ARG_NONE, NULL, O_FORCE, "delete even a volume that is in use", NULL},
	POPT_TABLEEND};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	(void)val;
	(void)arg;
	(void)err;
	*(bool *)st = true;
	return 0;
}

int cmd_delete(struct cmd_ctx *c)
{
	bool force = false;
	CMD_START(c, on_opt, &force, 1, 1);
	struct vctl_err err = {0};
	int r = vctl_volume_delete(c->pool, c->args[0], &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "deleted %s\n", c->args[0]);
		out_end(&c->out);
	}
	return EXIT_OK;
}
