/* vctl dump tree NAME: the sharing chain a volume belongs to and, per run
 * of RSEGs, each member's share bits and where its data is. */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "fmt/mblock.h"
#include "lib/share.h"

const struct poptOption dump_tree_options[] = {POPT_TABLEEND};

struct tree_ctx {
	struct cmd_ctx *c;
	struct vctl_share_tree t;
	bool started;
};

static void print_chain(struct tree_ctx *tc)
{
	struct out *o = &tc->c->out;
	const struct vctl_pool *p = tc->c->pool;
	out_text(o, "sharing chain, oldest first (Ss: reads the next one's data; Sp: the one before reads ours):\n");
	out_arr(o, "chain");
	for (uint32_t i = 0; i < tc->t.n; i++) {
		const struct vctl_mld_volume *v = tc->t.vols[i];
		const struct vctl_mld_volume *orig =
			v->origin ? vctl_mld_volume_by_id(&p->mld, v->origin) : NULL;
		out_obj(o, NULL);
		out_str(o, "name", "  %-20s", v->name);
		out_u64(o, "id", " id %llu", v->id);
		out_str(o, "origin", orig ? " origin %s" : NULL, orig ? orig->name : NULL);
		out_text(o, "\n");
		out_obj_end(o);
	}
	out_arr_end(o);
	out_arr(o, "runs");
}

static int print_run(void *ctx, const struct vctl_tree_run *run)
{
	struct tree_ctx *tc = ctx;
	struct out *o = &tc->c->out;
	uint64_t R = tc->c->pool->mld.pool.geom.rseg_size;
	if (!tc->started) {
		print_chain(tc);
		tc->started = true;
	}
	out_obj(o, NULL);
	out_u64(o, "first_rseg", "RSEG %llu", run->first_rseg);
	out_u64(o, "rsegs", " +%llu", run->nrsegs);
	out_u64(o, "offset", " (bytes %llu", run->first_rseg * R);
	out_u64(o, "length", " +%llu):", run->nrsegs * R);
	out_arr(o, "members");
	for (uint32_t i = 0; i < run->n; i++) {
		uint32_t e = run->entries[i];
		bool absent = e == VCTL_TREE_ABSENT;
		out_obj(o, NULL);
		out_str(o, "name", "  %s", tc->t.vols[i]->name);
		out_bool(o, "present", absent ? " (past its end)" : NULL, !absent);
		if (!absent) {
			bool sp = e & VCTL_LMAP_SP, ss = e & VCTL_LMAP_SS;
			out_bool(o, "sp", sp ? " Sp" : NULL, sp);
			out_bool(o, "ss", ss ? " Ss" : NULL, ss);
			if (e & VCTL_LMAP_RSD_MASK)
				out_u64(o, "rsd", " RSD %llu", (e & VCTL_LMAP_RSD_MASK) - 1);
			else
				out_str(o, "rsd", ss ? NULL : " hole", NULL);
		}
		out_obj_end(o);
	}
	out_arr_end(o);
	out_text(o, "\n");
	out_obj_end(o);
	return 0;
}

int cmd_dump_tree(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	struct tree_ctx *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return cmd_failf(c, -ENOMEM, "out of memory");
	tc->c = c;
	struct vctl_err err = {0};
	out_begin(&c->out);
	out_str(&c->out, "volume", NULL, c->args[0]);
	int r = vctl_share_tree(c->pool, c->args[0], &tc->t, print_run, tc, &err);
	if (r == 0 && tc->started) {
		out_arr_end(&c->out);
		out_end(&c->out);
	}
	free(tc);
	return r < 0 ? cmd_fail(c, r, &err) : EXIT_OK;
}
