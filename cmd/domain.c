/* vctl domain create / set / list / remove */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "lib/access.h"
#include "print_access.h"

enum { O_IOPS = 1, O_MBPS, O_ACCESS };

#define DOMAIN_OPTIONS                                                                   \
	{"max-iops", 0, POPT_ARG_STRING, NULL, O_IOPS,                                   \
	 "reads and writes per second, all its paths together (0: unlimited)", "N"},    \
	{"max-mbps", 0, POPT_ARG_STRING, NULL, O_MBPS,                                   \
	 "MB/s (10^6 bytes) read and written, all its paths together (0: unlimited)", "N"}, \
	{"access", 0, POPT_ARG_STRING, NULL, O_ACCESS,                                   \
	 "what its paths allow: rw (default) or ro", "rw|ro"},

const struct poptOption domain_create_options[] = {DOMAIN_OPTIONS POPT_TABLEEND};
const struct poptOption domain_set_options[] = {DOMAIN_OPTIONS POPT_TABLEEND};
const struct poptOption domain_list_options[] = {POPT_TABLEEND};
const struct poptOption domain_remove_options[] = {POPT_TABLEEND};

/* "rw" or "ro", shared with path add. */
int cmd_opt_access(const char *arg, bool *ro, struct vctl_err *err)
{
	if (!strcmp(arg, "rw") || !strcmp(arg, "ro")) {
		*ro = arg[1] == 'o';
		return 0;
	}
	return vctl_errf(err, -EINVAL, "--access %s: give rw or ro", arg);
}

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct vctl_domain_spec *s = st;
	switch (val) {
	case O_IOPS:
		s->set_iops = true;
		return cmd_opt_uint("max-iops", arg, VCTL_MAX_IOPS, &s->max_iops, err);
	case O_MBPS:
		s->set_mbps = true;
		return cmd_opt_uint("max-mbps", arg, VCTL_MAX_MBPS, &s->max_mbps, err);
	default:
		s->set_access = true;
		return cmd_opt_access(arg, &s->ro, err);
	}
}

static void print_one(struct cmd_ctx *c, const char *verb, const char *name)
{
	if (c->quiet && !c->json)
		return;
	const struct vctl_mld *m = &c->pool->mld;
	vctl_rwlock_rd(&c->pool->lock);
	const struct vctl_mld_domain *d = vctl_mld_domain_by_name(m, name);
	out_begin(&c->out);
	out_text(&c->out, "%s domain %s\n", verb, name);
	if (d) {
		print_domain_header(&c->out);
		out_arr(&c->out, "domains");
		print_domain(&c->out, m, d);
		out_arr_end(&c->out);
	}
	out_end(&c->out);
	vctl_rwlock_unlock(&c->pool->lock);
}

int cmd_domain_create(struct cmd_ctx *c)
{
	struct vctl_domain_spec s = {0};
	CMD_START(c, on_opt, &s, 1, 1);
	s.name = c->args[0];
	struct vctl_err err = {0};
	uint64_t id;
	int r = vctl_domain_create(c->pool, &s, &id, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	print_one(c, "created", s.name);
	return EXIT_OK;
}

int cmd_domain_set(struct cmd_ctx *c)
{
	struct vctl_domain_spec s = {0};
	CMD_START(c, on_opt, &s, 1, 1);
	s.name = c->args[0];
	if (!s.set_iops && !s.set_mbps && !s.set_access)
		return cmd_failf(c, -EINVAL, "nothing to set: give --max-iops, --max-mbps or --access");
	struct vctl_err err = {0};
	int r = vctl_domain_set(c->pool, &s, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	print_one(c, "set", s.name);
	return EXIT_OK;
}

int cmd_domain_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	const struct vctl_mld *m = &c->pool->mld;
	out_begin(&c->out);
	print_domain_header(&c->out);
	out_arr(&c->out, "domains");
	for (uint32_t i = 0; i < m->ndomains; i++)
		print_domain(&c->out, m, &m->domains[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
	return EXIT_OK;
}

int cmd_domain_remove(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 1, 1);
	struct vctl_err err = {0};
	int r = vctl_domain_remove(c->pool, c->args[0], &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (!c->quiet || c->json) {
		out_begin(&c->out);
		out_str(&c->out, "name", "removed domain %s\n", c->args[0]);
		out_end(&c->out);
	}
	return EXIT_OK;
}
