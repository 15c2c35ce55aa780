#include <errno.h>
#include <stdio.h>

#include "cmd.h"
#include "lib/clone.h"
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

enum { O_ENCL = 1, O_FORCE, O_WAIT };

const struct poptOption disk_add_options[] = {
	{"enclosure", 0, POPT_ARG_STRING, NULL, O_ENCL,
	 "the enclosure the disk is in (made if new; default: the pool's only one)", "NAME"},
	{"force", 0, POPT_ARG_NONE, NULL, O_FORCE,
	 "overwrite whatever FILE holds (a file system, another pool's disk)", NULL},
	POPT_TABLEEND};
const struct poptOption disk_replace_options[] = {
	{"enclosure", 0, POPT_ARG_STRING, NULL, O_ENCL,
	 "with FILE: the enclosure FILE is in (default: the failed disk's)", "NAME"},
	{"force", 0, POPT_ARG_NONE, NULL, O_FORCE, "with FILE: overwrite whatever it holds", NULL},
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once the rebuild is done (always so offline)", NULL},
	POPT_TABLEEND};
const struct poptOption disk_remove_options[] = {
	{"wait", 0, POPT_ARG_NONE, NULL, O_WAIT,
	 "return only once the disk is empty and gone (always so offline)", NULL},
	POPT_TABLEEND};

struct disk_opts {
	char enclosure_buf[256]; /* popt's argument does not outlive the callback */
	const char *enclosure;
	bool force, wait;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	(void)err;
	struct disk_opts *o = st;
	if (val == O_ENCL) {
		snprintf(o->enclosure_buf, sizeof(o->enclosure_buf), "%s", arg);
		o->enclosure = o->enclosure_buf;
	}
	else if (val == O_FORCE)
		o->force = true;
	else
		o->wait = true;
	return 0;
}

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

/* The enclosure of disk index, by name ("" if unknown). */
static const char *encl_of(const struct vctl_pool *p, uint32_t index)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, index);
	const struct vctl_mld_encl *e = d ? vctl_mld_encl_by_id(&p->mld, d->encl) : NULL;
	return e ? e->name : "";
}

static void print_added(struct cmd_ctx *c, const char *file, uint32_t index)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&c->pool->mld, index);
	out_str(&c->out, "path", "added %s", file);
	out_u64(&c->out, "index", " as disk %llu", index);
	out_str(&c->out, "enclosure", " in enclosure %s", encl_of(c->pool, index));
	out_size(&c->out, "size", ": %s", d ? d->pseg_count * c->pool->mld.pool.geom.pseg_size : 0);
	out_text(&c->out, " for data\n");
}

int cmd_disk_add(struct cmd_ctx *c)
{
	struct disk_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 1);
	struct vctl_err err = {0};
	uint32_t index;
	int r = vctl_disk_add(c->pool, c->cwd, c->args[0], o.enclosure, o.force, &index, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		print_added(c, c->args[0], index);
		out_end(&c->out);
	}
	return EXIT_OK;
}

int cmd_disk_replace(struct cmd_ctx *c)
{
	struct disk_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 2);
	uint32_t index, added = 0;
	int r = disk_index(c, &index);
	if (r)
		return r;
	struct vctl_err err = {0};
	if (c->nargs == 1 && (o.enclosure || o.force))
		return cmd_failf(c, -EINVAL, "--enclosure and --force go with FILE");
	if (c->nargs == 2 && !vctl_mld_disk_by_index(&c->pool->mld, index))
		return cmd_failf(c, -ENOENT, "no disk %u in the pool", index);
	/* With FILE: it joins (in the failed disk's enclosure), the rebuild
	 * prefers it, being the emptiest, and the failed disk leaves. */
	char encl[VCTL_NAME_MAX + 1];
	snprintf(encl, sizeof(encl), "%s", o.enclosure ? o.enclosure : encl_of(c->pool, index));
	if (c->nargs == 2 && (r = vctl_disk_add(c->pool, c->cwd, c->args[1], encl, o.force, &added,
						&err)) < 0)
		return cmd_fail(c, r, &err);
	struct vctl_replace_report rep;
	if ((r = vctl_disk_replace(c->pool, index, &rep, &err)) < 0)
		return cmd_fail(c, r, &err);
	uint64_t job;
	bool gone = false, done = !rep.job;
	if (c->nargs == 2 && (r = vctl_disk_remove(c->pool, index, &job, &gone, &err)) < 0)
		return cmd_fail(c, r, &err);
	/* Offline nobody else would rebuild: the job runs here. */
	if (rep.job && (!c->served || o.wait) &&
	    (r = cmd_job_run(c, rep.job, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		if (c->nargs == 2)
			print_added(c, c->args[1], added);
		out_u64(&c->out, "replaced", "disk %llu replaced: ", index);
		out_u64(&c->out, "rstores", "%llu RStore members", rep.rstores);
		out_u64(&c->out, "extents", " and %llu metadata extent copies", rep.extents);
		out_size(&c->out, "rebuilt_bytes", done ? " (%s) rebuilt" : " (%s) to rebuild", rep.bytes);
		out_u64(&c->out, "job", done ? NULL : " by job %llu", rep.job);
		out_bool(&c->out, "done", NULL, done);
		out_bool(&c->out, "removed", gone ? "; it left the pool\n" : "\n", gone);
		out_end(&c->out);
	}
	return EXIT_OK;
}

int cmd_disk_remove(struct cmd_ctx *c)
{
	struct disk_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 1);
	uint32_t index;
	int r = disk_index(c, &index);
	if (r)
		return r;
	struct vctl_err err = {0};
	uint64_t job = 0;
	bool done = false;
	if ((r = vctl_disk_remove(c->pool, index, &job, &done, &err)) < 0)
		return cmd_fail(c, r, &err);
	/* Offline nobody else would move the data: the job runs here. */
	if (!done && (!c->served || o.wait) &&
	    (r = cmd_job_run(c, job, VCTL_CLONE_THRESHOLD, &done)) != 0)
		return r;
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "removed", done ? "disk %llu removed" : "removing disk %llu", index);
		out_u64(&c->out, "job", done ? NULL : " (job %llu)", job);
		out_bool(&c->out, "done", done ? "\n" : ": its data moves to the other disks\n", done);
		out_end(&c->out);
	}
	return EXIT_OK;
}
