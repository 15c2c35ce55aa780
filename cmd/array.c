/* vctl array set / list: the pool's enclosures as arrays with capability
 * ratings, for requirement-based placement (vctl create --mbps/--iops). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "print.h"
#include "lib/array.h"
#include "lib/rwlock.h"

enum { O_MBPS = 1, O_IOPS };

const struct poptOption array_set_options[] = {
	{"mbps", 0, POPT_ARG_STRING, NULL, O_MBPS,
	 "bandwidth the array can carry, in MB/s (10^6 bytes); 0: unrated", "N"},
	{"iops", 0, POPT_ARG_STRING, NULL, O_IOPS,
	 "transactions (reads and writes) per second it can carry; 0: unrated", "N"},
	POPT_TABLEEND};
const struct poptOption array_list_options[] = {POPT_TABLEEND};

/* How long `array list` samples a running server's counters for the load. */
#define LOAD_SAMPLE_MS 1000u

static int on_opt(struct cmd_ctx *c, int val, const char *arg, void *st, struct vctl_err *err)
{
	(void)c;
	struct vctl_array_spec *s = st;
	if (val == O_MBPS) {
		s->set_mbps = true;
		return cmd_opt_uint("mbps", arg, VCTL_MAX_MBPS, &s->mbps, err);
	}
	s->set_iops = true;
	return cmd_opt_uint("iops", arg, VCTL_MAX_IOPS, &s->iops, err);
}

static void print_arrays(struct cmd_ctx *c, const struct vctl_array_info *a, uint32_t n)
{
	out_begin(&c->out);
	print_array_header(&c->out);
	out_arr(&c->out, "arrays");
	for (uint32_t i = 0; i < n; i++)
		print_array(&c->out, &a[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
}

int cmd_array_set(struct cmd_ctx *c)
{
	struct vctl_array_spec s = {0};
	CMD_START(c, on_opt, &s, 1, 1);
	s.name = c->args[0];
	if (!s.set_mbps && !s.set_iops)
		return cmd_failf(c, -EINVAL, "nothing to set: give --mbps or --iops");
	struct vctl_err err = {0};
	int r = vctl_array_set(c->pool, &s, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	if (c->quiet && !c->json)
		return EXIT_OK;
	struct vctl_array_info *a;
	uint32_t n;
	vctl_rwlock_rd(&c->pool->lock);
	r = vctl_array_list(c->pool, &a, &n, &err);
	vctl_rwlock_unlock(&c->pool->lock);
	if (r < 0)
		return cmd_fail(c, r, &err);
	out_begin(&c->out);
	out_text(&c->out, "set array %s\n", s.name);
	print_array_header(&c->out);
	out_arr(&c->out, "arrays");
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(a[i].name, s.name))
			print_array(&c->out, &a[i]);
	out_arr_end(&c->out);
	out_end(&c->out);
	free(a);
	return EXIT_OK;
}

int cmd_array_list(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	struct vctl_err err = {0};
	struct vctl_array_info *a;
	uint32_t n;
	vctl_rwlock_rd(&c->pool->lock);
	int r = vctl_array_list(c->pool, &a, &n, &err);
	vctl_rwlock_unlock(&c->pool->lock);
	if (r < 0)
		return cmd_fail(c, r, &err);
	/* served: the load is measured; offline it is 0 */
	if (c->served && (r = vctl_array_load(c->pool, a, n, LOAD_SAMPLE_MS, NULL, &err)) < 0) {
		free(a);
		return cmd_fail(c, r, &err);
	}
	print_arrays(c, a, n);
	free(a);
	return EXIT_OK;
}
