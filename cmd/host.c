/* vctl host add / list / remove */
#include <errno.h>

#include "cmd.h"
#include "lib/access.h"
#include "print_access.h"

enum { O_UID = 1, O_GID };

const struct poptOption host_add_options[] = {
	{"uid", 0, POPT_ARG_STRING, NULL, O_UID, "the client uid that is this host (required)",
	 "UID"},
	{"gid", 0, POPT_ARG_STRING, NULL, O_GID,
	 "and only with this gid (default: any gid of the uid)", "GID"},
	POPT_TABLEEND};
const struct poptOption host_list_options[] = {POPT_TABLEEND};
const struct poptOption host_remove_options[] = {POPT_TABLEEND};

struct host_opts {
	bool has_uid, has_gid;
	uint64_t uid, gid;
};

/* (uid_t)-1 means "no change" to the kernel's set*id calls: no client has it. */
#define MAX_ID 4294967294ull

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct host_opts *o = st;
	if (val == O_UID) {
		o->has_uid = true;
		return cmd_opt_uint("uid", arg, MAX_ID, &o->uid, err);
	}
	o->has_gid = true;
	return cmd_opt_uint("gid", arg, MAX_ID, &o->gid, err);
}

int cmd_host_add(struct cmd_ctx *c)
{
	struct host_opts o = {0};
	CMD_START(c, on_opt, &o, 1, 1);
	if (!o.has_uid)
		return cmd_failf(c, -EINVAL, "--uid UID is required");
	struct vctl_err err = {0};
	uint64_t id = 0;
	int r = vctl_host_add(c->pool, c->args[0], (uint32_t)o.uid, o.has_gid, (uint32_t)o.gid, &id,
			      &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "added host %s", c->args[0]);
		out_u64(&c->out, "id", " (id %llu)\n", id);
		out_end(&c->out);
	}
	return EXIT_OK;
}

int cmd_host_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	const struct vctl_mld *m = &c->pool->mld;
	out_begin(&c->out);
	print_host_header(&c->out);
	out_arr(&c->out, "hosts");
	for (uint32_t i = 0; i < m->nhosts; i++)
		print_host(&c->out, m, &m->hosts[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
	return EXIT_OK;
}

int cmd_host_remove(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	struct vctl_err err = {0};
	int r = vctl_host_remove(c->pool, c->args[0], &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "removed host %s\n", c->args[0]);
		out_end(&c->out);
	}
	return EXIT_OK;
}
