#include "cmd.h"
#include "print.h"

const struct poptOption disk_list_options[] = {POPT_TABLEEND};

int cmd_disk_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	struct out *o = &c->out;
	out_begin(o);
	print_disk_header(o);
	out_arr(o, "disks");
	for (uint32_t i = 0; i < c->pool->mld.ndisks; i++)
		print_disk(o, c->pool, &c->pool->mld.disks[i]);
	out_arr_end(o);
	out_end(o);
	return EXIT_OK;
}
