#include <errno.h>

#include "cmd.h"
#include "lib/volume.h"

enum { O_SIZE = 1, O_FORCE };

const struct poptOption resize_options[] = {
	{"size", 0, POPT_ARG_STRING, NULL, O_SIZE,
	 "the new size; +SIZE grows by SIZE, -SIZE shrinks by SIZE", "SIZE"},
	{"force", 0, POPT_ARG_NONE, NULL, O_FORCE,
	 "allow shrinking, which discards the data past the new end", NULL},
	POPT_TABLEEND};

struct resize_state {
	const char *size; /* kept until the volume's size is known */
	char buf[64];
	bool force;
};

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	(void)err;
	struct resize_state *s = st;
	if (val == O_FORCE) {
		s->force = true;
		return 0;
	}
	snprintf(s->buf, sizeof(s->buf), "%s", arg);
	s->size = s->buf;
	return 0;
}

int cmd_resize(struct cmd_ctx *c)
{
	struct resize_state s = {0};
	CMD_START(c, on_opt, &s, 1, 1);
	if (!s.size)
		return cmd_failf(c, -EINVAL, "--size is required");
	struct vctl_err err = {0};
	struct vctl_volume_info info;
	int r = vctl_volume_info(c->pool, c->args[0], &info, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	int sign = s.size[0] == '+' ? 1 : s.size[0] == '-' ? -1 : 0;
	uint64_t v;
	if (cmd_opt_size("size", s.size + (sign != 0), &v, &err) < 0)
		return cmd_fail(c, -EINVAL, &err);
	uint64_t size = v;
	if (sign > 0 && (size = info.size + v) < v)
		return cmd_failf(c, -EINVAL, "--size %s: too large", s.size);
	if (sign < 0) {
		if (v >= info.size)
			return cmd_failf(c, -EINVAL, "--size %s would leave nothing of %s", s.size,
					 info.name);
		size = info.size - v;
	}
	r = vctl_volume_resize(c->pool, info.name, size, s.force, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	struct out *o = &c->out;
	if (c->quiet && !c->json)
		return EXIT_OK;
	out_begin(o);
	out_str(o, "name", "resized %s", info.name);
	out_size(o, "old_size", " from %s", info.size);
	out_size(o, "size", " to %s\n", size);
	out_end(o);
	return EXIT_OK;
}
