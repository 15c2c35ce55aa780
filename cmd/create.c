#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "print.h"
#include "fmt/rsd.h"
#include "lib/volume.h"

enum { O_SIZE = 1, O_RAID, O_WIDTH, O_STRIPE, O_THICK, O_SEPARATE, O_MBPS, O_IOPS, O_FIT };

const struct poptOption create_options[] = {
	{"size", 0, POPT_ARG_STRING, NULL, O_SIZE, "size of the volume (a multiple of 512)", "SIZE"},
	{"raid", 0, POPT_ARG_STRING, NULL, O_RAID, "RAID type of its RStores (default 0)", "0|1|5|10"},
	{"width", 0, POPT_ARG_STRING, NULL, O_WIDTH,
	 "data columns of each RStore (default: 4, or what the pool holds)", "N"},
	{"stripe-size", 0, POPT_ARG_STRING, NULL, O_STRIPE, "stripe unit (default 64K)", "SIZE"},
	{"thick", 0, POPT_ARG_NONE, NULL, O_THICK, "allocate all of it now, not on first write",
	 NULL},
	{"separate", 0, POPT_ARG_STRING, NULL, O_SEPARATE,
	 "intent: the halves of each mirror (the members of each raid5 set) in distinct enclosures, always",
	 "enclosure"},
	{"mbps", 0, POPT_ARG_STRING, NULL, O_MBPS,
	 "intent: bandwidth (MB/s) it must sustain; places it on rated arrays with that much free", "N"},
	{"iops", 0, POPT_ARG_STRING, NULL, O_IOPS,
	 "intent: transactions per second it must sustain; places it as --mbps does", "N"},
	{"fit", 0, POPT_ARG_STRING, NULL, O_FIT,
	 "with --mbps/--iops: the arrays with the least free capability (best, default) or the first in order",
	 "best|first"},
	POPT_TABLEEND};

struct create_state {
	struct vctl_volume_spec s;
	bool have_size;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct create_state *cs = st;
	uint64_t v;
	int r = 0;
	switch (val) {
	case O_SIZE:
		r = cmd_opt_size("size", arg, &cs->s.size, err);
		cs->have_size = true;
		break;
	case O_RAID:
		cs->s.raid = vctl_raid_parse(arg);
		if (!cs->s.raid)
			r = vctl_errf(err, -EINVAL, "--raid %s: use 0, 1, 5 or 10", arg);
		break;
	case O_WIDTH:
		r = cmd_opt_uint("width", arg, 255, &v, err);
		if (r == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--width must be at least 1");
		cs->s.width = (uint32_t)v;
		break;
	case O_STRIPE:
		r = cmd_opt_size("stripe-size", arg, &v, err);
		if (r == 0 && (v == 0 || v > UINT32_MAX))
			r = vctl_errf(err, -EINVAL, "--stripe-size %s is out of range", arg);
		cs->s.stripe = (uint32_t)v;
		break;
	case O_THICK:
		cs->s.thick = true;
		break;
	case O_MBPS:
		r = cmd_opt_uint("mbps", arg, VCTL_MAX_MBPS, &cs->s.mbps, err);
		if (r == 0 && !cs->s.mbps)
			r = vctl_errf(err, -EINVAL, "--mbps 0: give at least 1 (or leave it out)");
		break;
	case O_IOPS:
		r = cmd_opt_uint("iops", arg, VCTL_MAX_IOPS, &cs->s.iops, err);
		if (r == 0 && !cs->s.iops)
			r = vctl_errf(err, -EINVAL, "--iops 0: give at least 1 (or leave it out)");
		break;
	case O_FIT:
		if (!strcmp(arg, "best"))
			cs->s.fit = VCTL_FIT_BEST;
		else if (!strcmp(arg, "first"))
			cs->s.fit = VCTL_FIT_FIRST;
		else
			r = vctl_errf(err, -EINVAL, "--fit %s: use best or first", arg);
		break;
	case O_SEPARATE:
		if (strcmp(arg, "enclosure"))
			r = vctl_errf(err, -EINVAL, "--separate %s: the one rule is 'enclosure'", arg);
		cs->s.separate = true;
		break;
	}
	return r;
}

int cmd_create(struct cmd_ctx *c)
{
	struct create_state cs = {0};
	CMD_START(c, on_opt, &cs, 1, 1);
	if (!cs.have_size)
		return cmd_failf(c, -EINVAL, "--size is required");
	if (cs.s.fit && !cs.s.mbps && !cs.s.iops)
		return cmd_failf(c, -EINVAL, "--fit goes with --mbps or --iops");
	cs.s.name = c->args[0];
	struct vctl_err err = {0};
	int r = vctl_volume_create(c->pool, &cs.s, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	struct vctl_volume_info info;
	if (vctl_volume_info(c->pool, cs.s.name, &info, &err) < 0)
		return cmd_fail(c, -VCTL_E_INTERNAL, &err);
	struct out *o = &c->out;
	if (c->quiet && !c->json)
		return EXIT_OK;
	out_begin(o);
	out_str(o, "name", "created volume %s", info.name);
	out_size(o, "size", ": %s", info.size);
	out_u64(o, "raid", ", raid%llu", vctl_raid_level(info.raid));
	out_u64(o, "width", ", width %llu", info.width);
	out_size(o, "stripe_size", ", stripe %s", info.stripe);
	out_bool(o, "thick", NULL, info.thick);
	out_text(o, "%s", info.thick ? ", thick" : ", thin");
	out_str(o, "separate", info.separate ? ", separate %s" : NULL,
		info.separate ? "enclosure" : NULL);
	if (info.nreq_arrays) {
		out_text(o, "; %llu MB/s, %llu IOPS on arrays", (unsigned long long)info.req_mbps,
			 (unsigned long long)info.req_iops);
		for (uint32_t k = 0; k < info.nreq_arrays; k++)
			out_text(o, "%s%s", k ? ", " : " ", info.req_arrays[k]);
	}
	out_text(o, "\n");
	out_size(o, "allocated", NULL, info.allocated);
	print_requirement(o, &info, false);
	out_end(o);
	return EXIT_OK;
}
