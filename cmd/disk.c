#include <errno.h>

#include "cmd.h"
#include "lib/disk.h"
#include "lib/units.h"
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

const struct poptOption disk_fail_options[] = {POPT_TABLEEND};
const struct poptOption disk_replace_options[] = {POPT_TABLEEND};

static int disk_index(struct cmd_ctx *c, uint32_t *index)
{
	uint64_t v;
	struct vctl_err err = {0};
	if (vctl_parse_uint(c->args[0], VCTL_MAX_DISKS - 1, &v, &err) < 0) {
		vctl_err_wrap(&err, "disk INDEX");
		return cmd_fail(c, -EINVAL, &err);
	}
	*index = (uint32_t)v;
	return 0;
}

int cmd_disk_fail(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	uint32_t index;
	int r = disk_index(c, &index);
	if (r)
		return r;
	struct vctl_err err = {0};
	if ((r = vctl_disk_fail(c->pool, index, &err)) < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "failed", "disk %llu is failed: its redundant RStores run degraded until "
					   "vctl disk replace\n", index);
		out_end(&c->out);
	}
	return EXIT_OK;
}

int cmd_disk_replace(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	uint32_t index;
	int r = disk_index(c, &index);
	if (r)
		return r;
	struct vctl_err err = {0};
	struct vctl_replace_report rep;
	if ((r = vctl_disk_replace(c->pool, index, &rep, &err)) < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "replaced", "disk %llu replaced: ", index);
		out_u64(&c->out, "rstores", "%llu RStore members", rep.rstores);
		out_u64(&c->out, "extents", " and %llu metadata extent copies", rep.extents);
		out_size(&c->out, "rebuilt_bytes", " (%s) rebuilt on other disks\n", rep.bytes);
		out_end(&c->out);
	}
	return EXIT_OK;
}
