#include "cmd.h"
#include "fmt/rsd.h"
#include "lib/volume.h"
#include "print.h"

const struct poptOption list_options[] = {POPT_TABLEEND};

int cmd_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	struct out *o = &c->out;
	struct vctl_pool *p = c->pool;
	out_begin(o);
	print_volume_header(o);
	out_arr(o, "volumes");
	for (uint32_t i = 0; i < p->mld.nvol; i++) {
		struct vctl_volume_info info;
		struct vctl_err err = {0};
		if (vctl_volume_info(p, p->mld.vols[i].name, &info, &err) < 0)
			return cmd_fail(c, -VCTL_E_INTERNAL, &err);
		out_obj(o, NULL);
		print_volume(o, &info, false);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_end(o);
	return EXIT_OK;
}
