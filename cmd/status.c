#include <stdlib.h>

#include "cmd.h"
#include "lib/check.h"
#include "print.h"

const struct poptOption status_options[] = {POPT_TABLEEND};

int cmd_status(struct cmd_ctx *c)
{
	CMD_START(c, NULL, NULL, 0, 0);
	struct vctl_pool *p = c->pool;
	struct out *o = &c->out;
	struct vctl_err err = {0};
	struct vctl_check_report rep;
	int r = vctl_pool_check(p, 0, &rep, &err);
	if (r < 0)
		return cmd_fail(c, r, &err);
	struct vctl_mld_copy *copies = calloc(VCTL_MAX_DISKS, sizeof(*copies));
	if (!copies) {
		vctl_check_report_free(&rep);
		return cmd_failf(c, -12, "out of memory");
	}
	uint32_t ncopies = vctl_pool_mld_copies(p, copies), current = 0;
	for (uint32_t i = 0; i < ncopies; i++)
		current += copies[i].valid;
	uint32_t missing = vctl_pool_missing(p), failed = vctl_pool_failed(p);
	uint64_t capacity = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		capacity += p->mld.disks[i].pseg_count * p->mld.pool.geom.pseg_size;

	char uuid[37];
	vctl_uuid_fmt(p->mld.pool.uuid, uuid);
	const char *state = missing || failed ? "degraded" : rep.n ? "damaged" : "online";
	out_begin(o);
	out_str(o, "uuid", "pool       %s\n", uuid);
	out_str(o, "directory", "directory  %s\n", p->dir);
	out_str(o, "state", "state      %s", state);
	for (int failed_pass = 0; failed_pass < 2; failed_pass++) {
		uint32_t k = 0;
		for (uint32_t i = 0; i < p->mld.ndisks; i++) {
			const struct vctl_mld_disk *d = &p->mld.disks[i];
			bool hit = failed_pass ? d->state == VCTL_DISK_FAILED
					       : d->state == VCTL_DISK_ACTIVE &&
							 !vctl_pool_disk_present(p, d->index);
			if (hit)
				out_text(o, "%s disk %u (%s)", k++ ? "," : missing && failed_pass ? ";" : ":",
					 d->index, d->name);
		}
		if (k)
			out_text(o, failed_pass ? " failed" : " missing");
	}
	out_text(o, "\n");
	out_u64(o, "disk_count", "disks      %llu", p->mld.ndisks);
	out_u64(o, "enclosure_count", " in %llu enclosure", p->mld.nencl);
	out_text(o, p->mld.nencl == 1 ? "\n" : "s\n");
	out_size(o, "capacity", "capacity   %s", capacity);
	uint64_t reserved = vctl_pool_reserved_psegs(p) * p->mld.pool.geom.pseg_size;
	out_size(o, "free", ", %s free", vctl_pool_free_bytes(p));
	out_size(o, "reserved", reserved ? " (%s more reserved for snapshots)" : NULL, reserved);
	out_text(o, "\n");
	out_u64(o, "volumes", "volumes    %llu", p->mld.nvol);
	out_arr(o, "degraded_volumes");
	for (uint32_t i = 0, k = 0; i < p->mld.nvol; i++)
		if (vctl_volume_degraded(p, &p->mld.vols[i]))
			out_str(o, NULL, k++ ? ", %s" : " (degraded: %s", p->mld.vols[i].name);
	out_arr_end(o);
	bool any = false;
	for (uint32_t i = 0; i < p->mld.nvol && !any; i++)
		any = vctl_volume_degraded(p, &p->mld.vols[i]);
	out_text(o, any ? ")\n" : "\n");
	out_obj(o, "mld");
	out_u64(o, "generation", "mld        generation %llu", p->mld.generation);
	out_u64(o, "current", ", %llu", current);
	out_u64(o, "target", " of %llu copies current\n", p->mld.pool.quorum_target);
	out_arr(o, "copies");
	for (uint32_t i = 0; i < ncopies; i++) {
		out_obj(o, NULL);
		out_u64(o, "disk", NULL, copies[i].disk);
		out_u64(o, "generation", NULL, copies[i].generation);
		out_bool(o, "valid", NULL, copies[i].valid);
		out_bool(o, "present", NULL, copies[i].present);
		out_u64(o, "damaged_slots", NULL, copies[i].damaged);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_obj_end(o);
	out_arr(o, "enclosures");
	for (uint32_t i = 0; i < p->mld.nencl; i++) {
		out_obj(o, NULL);
		out_u64(o, "id", NULL, p->mld.encl[i].id);
		out_str(o, "name", NULL, p->mld.encl[i].name);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_text(o, "\n");
	print_disk_header(o);
	out_arr(o, "disks");
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		print_disk(o, p, &p->mld.disks[i]);
	out_arr_end(o);
	out_arr(o, "problems");
	if (rep.n)
		out_text(o, "\nproblems:\n");
	for (uint32_t i = 0; i < rep.n; i++)
		out_str(o, NULL, "  %s\n", rep.problems[i]);
	out_arr_end(o);
	out_arr(o, "notes");
	for (uint32_t i = 0; i < rep.nnotes; i++)
		out_str(o, NULL, "  note: %s\n", rep.notes[i]);
	out_arr_end(o);
	out_end(o);
	free(copies);
	vctl_check_report_free(&rep);
	return EXIT_OK;
}
