#include "cmd.h"
#include "fmt/rsd.h"
#include "lib/volume.h"
#include "print.h"

const struct poptOption show_options[] = {POPT_TABLEEND};

int cmd_show(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	struct vctl_volume_info info;
	struct vctl_err err = {0};
	int r = vctl_volume_info(c->pool, c->args[0], &info, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	struct out *o = &c->out;
	out_begin(o);
	print_volume(o, &info, true);
	out_end(o);
	return EXIT_OK;
}
