#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lib/init.h"
#include "print.h"

enum {
	O_DISKS = 1,
	O_DISK_SIZE,
	O_ENCL,
	O_PSEG,
	O_RSEG,
	O_LMAP,
	O_SLOT,
	O_QUORUM,
	O_FORCE,
	O_NOACT
};

const struct poptOption init_options[] = {
	{"disks", 0, POPT_ARG_STRING, NULL, O_DISKS, "create N sparse image files", "N"},
	{"disk-size", 0, POPT_ARG_STRING, NULL, O_DISK_SIZE, "size of each new image", "SIZE"},
	{"enclosures", 0, POPT_ARG_STRING, NULL, O_ENCL,
	 "spread new images round robin over E enclosures (default 1)", "E"},
	{"pseg-size", 0, POPT_ARG_STRING, NULL, O_PSEG,
	 "physical segment size, 64K to 1G (default 2M)", "SIZE"},
	{"rseg-size", 0, POPT_ARG_STRING, NULL, O_RSEG,
	 "volume address granule, 64K to the PSEG size (default: 1M or the PSEG size)", "SIZE"},
	{"lmap-entries", 0, POPT_ARG_STRING, NULL, O_LMAP, "RSEGs per LMAP (default 2048)", "N"},
	{"mld-slot-size", 0, POPT_ARG_STRING, NULL, O_SLOT,
	 "room for one MLD copy (default 768K)", "SIZE"},
	{"quorum", 0, POPT_ARG_STRING, NULL, O_QUORUM,
	 "number of MLD copies (default: up to 5)", "N"},
	{"force", 0, POPT_ARG_NONE, NULL, O_FORCE,
	 "overwrite disks that hold file systems, partitions or other pools", NULL},
	{"no-act", 0, POPT_ARG_NONE, NULL, O_NOACT, "show what would be done; write nothing",
	 NULL},
	POPT_TABLEEND};

struct init_state {
	struct vctl_init_opts o;
	bool have_disks, have_size, have_encl;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st,
		  struct vctl_err *err)
{
	(void)c;
	struct init_state *s = st;
	uint64_t v;
	int r = 0;
	switch (val) {
	case O_DISKS:
		r = cmd_opt_uint("disks", arg, VCTL_MAX_DISKS, &v, err);
		s->o.ndisks = (uint32_t)v;
		s->have_disks = true;
		if (r == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--disks must be at least 1");
		break;
	case O_DISK_SIZE:
		r = cmd_opt_size("disk-size", arg, &s->o.disk_size, err);
		s->have_size = true;
		break;
	case O_ENCL:
		r = cmd_opt_uint("enclosures", arg, VCTL_MAX_DISKS, &v, err);
		s->o.nencl = (uint32_t)v;
		s->have_encl = true;
		if (r == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--enclosures must be at least 1");
		break;
	case O_PSEG:
		r = cmd_opt_size("pseg-size", arg, &v, err);
		if (r == 0 && (v == 0 || v > UINT32_MAX))
			r = vctl_errf(err, -EINVAL, "--pseg-size %s is out of range", arg);
		s->o.pseg_size = (uint32_t)v;
		break;
	case O_RSEG:
		r = cmd_opt_size("rseg-size", arg, &v, err);
		if (r == 0 && (v == 0 || v > UINT32_MAX))
			r = vctl_errf(err, -EINVAL, "--rseg-size %s is out of range", arg);
		s->o.rseg_size = (uint32_t)v;
		break;
	case O_LMAP:
		r = cmd_opt_uint("lmap-entries", arg, 1u << 20, &v, err);
		if (r == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--lmap-entries must be at least 1");
		s->o.lmap_entries = (uint32_t)v;
		break;
	case O_SLOT:
		r = cmd_opt_size("mld-slot-size", arg, &s->o.mld_slot_size, err);
		if (r == 0 && s->o.mld_slot_size == 0)
			r = vctl_errf(err, -EINVAL, "--mld-slot-size must not be 0");
		break;
	case O_QUORUM:
		r = cmd_opt_uint("quorum", arg, VCTL_MAX_DISKS, &v, err);
		s->o.quorum = (uint32_t)v;
		if (r == 0 && v == 0)
			r = vctl_errf(err, -EINVAL, "--quorum must be at least 1");
		break;
	case O_FORCE:
		s->o.force = true;
		break;
	case O_NOACT:
		s->o.no_act = true;
		break;
	}
	return r;
}

/* FILE[:enclosure=NAME] */
static int parse_targets(struct cmd_ctx *c, struct init_state *s, struct vctl_err *err)
{
	s->o.ntargets = (uint32_t)c->nargs;
	s->o.targets = calloc((size_t)c->nargs, sizeof(*s->o.targets));
	if (!s->o.targets)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (int i = 0; i < c->nargs; i++) {
		struct vctl_init_target *t = &s->o.targets[i];
		char *spec = c->args[i];
		char *opt = strstr(spec, ":enclosure=");
		if (opt) {
			const char *name = opt + strlen(":enclosure=");
			if (!vctl_name_valid(name))
				return vctl_errf(err, -EINVAL,
						 "%s: enclosure name must be 1 to 64 of "
						 "A-Z a-z 0-9 . _ -",
						 spec);
			snprintf(t->enclosure, sizeof(t->enclosure), "%s", name);
			*opt = '\0';
		} else if (strchr(spec, ':') && strstr(spec, ":enclosure")) {
			return vctl_errf(err, -EINVAL, "%s: expected FILE:enclosure=NAME", spec);
		}
		if (!*spec)
			return vctl_errf(err, -EINVAL, "empty file name");
		t->given = spec;
	}
	return 0;
}

static void print_result(struct cmd_ctx *c, const struct vctl_init_result *res, bool no_act)
{
	struct out *o = &c->out;
	const struct vctl_mld *m = &res->mld;
	char uuid[37];
	vctl_uuid_fmt(m->pool.uuid, uuid);
	out_begin(o);
	out_bool(o, "no_act", NULL, no_act);
	out_str(o, "directory", NULL, c->pool_dir);
	if (no_act) {
		out_text(o, "Would create a pool in %s:\n", c->pool_dir);
		out_str(o, "uuid", NULL, NULL);
	} else {
		out_text(o, "Created pool %s in %s\n", uuid, c->pool_dir);
		out_str(o, "uuid", NULL, uuid);
	}
	uint64_t raw = 0, usable = 0;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		raw += m->disks[i].size;
		usable += m->disks[i].pseg_count * m->pool.geom.pseg_size;
	}
	out_u64(o, "disk_count", "  %llu disk", m->ndisks);
	out_text(o, m->ndisks == 1 ? "" : "s");
	out_u64(o, "enclosure_count", " in %llu enclosure", m->nencl);
	out_text(o, m->nencl == 1 ? "" : "s");
	out_size(o, "raw_bytes", ", %s raw", raw);
	out_size(o, "usable_bytes", ", %s for volumes\n", usable);
	out_u64(o, "mld_copies", "  %llu MLD copies\n", m->pool.quorum_target);
	if (c->verbose || no_act || c->json)
		print_geometry(o, &m->pool.geom);
	if (c->verbose || no_act || c->json) {
		out_arr(o, "disks");
		for (uint32_t i = 0; i < res->ntargets; i++) {
			const struct vctl_init_target *t = &res->targets[i];
			out_obj(o, NULL);
			out_u64(o, "index", "  disk %-3llu", t->index);
			out_str(o, "path", " %-16s", t->name);
			out_str(o, "target", NULL, t->real);
			out_str(o, "enclosure", " %-8s", t->enclosure);
			out_size(o, "size", " %10s", t->size);
			out_bool(o, "create", NULL, t->create);
			out_bool(o, "link", NULL, t->link);
			out_bool(o, "quorum", NULL, t->quorum);
			out_str(o, "found", NULL, t->found[0] ? t->found : NULL);
			out_text(o, "%s%s%s%s%s", t->create ? "  new image" : "",
				 t->link ? "  linked to " : "", t->link ? t->real : "",
				 t->quorum ? "  MLD copy" : "",
				 t->found[0] ? "  overwrites it: it " : "");
			out_text(o, "%s\n", t->found);
			out_obj_end(o);
		}
		out_arr_end(o);
	}
	out_end(o);
}

int cmd_init(struct cmd_ctx *c)
{
	struct init_state s = {.o = {.nencl = 1}};
	CMD_START(c, on_opt, &s, 0, -1);
	struct vctl_err err = {0};
	int r = 0;
	if (s.have_disks && c->nargs)
		r = vctl_errf(&err, -EINVAL, "give either --disks N or disk files, not both");
	else if (!s.have_disks && !c->nargs)
		r = vctl_errf(&err, -EINVAL,
			      "give --disks N --disk-size SIZE, or the disk files to use");
	else if (s.have_disks && !s.have_size)
		r = vctl_errf(&err, -EINVAL, "--disks needs --disk-size");
	else if (!s.have_disks && (s.have_size || s.have_encl))
		r = vctl_errf(&err, -EINVAL, "--disk-size and --enclosures go with --disks");
	else if (c->nargs)
		r = parse_targets(c, &s, &err);
	if (r < 0) {
		free(s.o.targets);
		return cmd_fail(c, r, &err);
	}
	struct vctl_init_result res;
	r = vctl_pool_init(c->pool_dir, &s.o, &res, &err);
	free(s.o.targets);
	if (r == 0 && !c->quiet)
		print_result(c, &res, s.o.no_act);
	vctl_init_result_free(&res);
	return r < 0 ? cmd_fail(c, r, &err) : EXIT_OK;
}
