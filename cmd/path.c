/* vctl path add / list / remove */
#include <errno.h>

#include "cmd.h"
#include "lib/access.h"
#include "lib/units.h"
#include "print_access.h"

enum { O_DOMAIN = 1, O_ACCESS };

const struct poptOption path_add_options[] = {
	{"domain", 0, POPT_ARG_STRING, NULL, O_DOMAIN,
	 "the storage domain of the path (default: the default domain, unlimited)", "NAME"},
	{"access", 0, POPT_ARG_STRING, NULL, O_ACCESS,
	 "rw (default) or ro; a ro domain makes every path of it ro", "rw|ro"},
	POPT_TABLEEND};
const struct poptOption path_list_options[] = {POPT_TABLEEND};
const struct poptOption path_remove_options[] = {POPT_TABLEEND};

struct path_opts {
	char domain[VCTL_NAME_MAX + 2];
	bool has_domain, ro;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct path_opts *o = st;
	if (val == O_ACCESS)
		return cmd_opt_access(arg, &o->ro, err);
	if (!vctl_name_valid(arg))
		return vctl_errf(err, -EINVAL, "--domain '%s' is not a valid name", arg);
	snprintf(o->domain, sizeof(o->domain), "%s", arg);
	o->has_domain = true;
	return 0;
}

int cmd_path_add(struct cmd_ctx *c)
{
	struct path_opts o = {0};
	CMD_START(c, on_opt, &o, 2, 2);
	struct vctl_err err = {0};
	uint64_t id = 0;
	int r = vctl_path_add(c->pool, c->args[0], c->args[1], o.has_domain ? o.domain : NULL, o.ro,
			      &id, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	/* The id alone on stdout, for `id=$(vctl path add ...)`. */
	out_begin(&c->out);
	out_u64(&c->out, "id", "%llu\n", id);
	out_end(&c->out);
	return EXIT_OK;
}

int cmd_path_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	const struct vctl_mld *m = &c->pool->mld;
	out_begin(&c->out);
	print_path_header(&c->out);
	out_arr(&c->out, "paths");
	for (uint32_t i = 0; i < m->npaths; i++)
		print_path(&c->out, m, &m->paths[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
	return EXIT_OK;
}

int cmd_path_remove(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	uint64_t id;
	struct vctl_err err = {0};
	if (vctl_parse_uint(c->args[0], UINT64_MAX, &id, &err) < 0)
		return cmd_failf(c, -EINVAL, "'%s' is not a path id", c->args[0]);
	int r = vctl_path_remove(c->pool, id, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_u64(&c->out, "id", "removed path %llu\n", id);
		out_end(&c->out);
	}
	return EXIT_OK;
}
