#include "cmd.h"
#include "lib/volume.h"

const struct poptOption rename_options[] = {POPT_TABLEEND};

int cmd_rename(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 2, 2);
	struct vctl_err err = {0};
	int r = vctl_volume_rename(c->pool, c->args[0], c->args[1], &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "old_name", "renamed %s", c->args[0]);
		out_str(&c->out, "name", " to %s\n", c->args[1]);
		out_end(&c->out);
	}
	return EXIT_OK;
}
