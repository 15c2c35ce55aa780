#include "print.h"

#include <stdio.h>

#include "fmt/rsd.h"
#include "lib/array.h"
#include "lib/migrate.h"
#include "lib/units.h"
#include "lib/volume.h"

/* Dumps show exact values; the human size goes alongside in text. */
static void print_bytes(struct out *o, const char *key, uint64_t v)
{
	char fmt[64];
	snprintf(fmt, sizeof(fmt), "  %-14s %%llu", key);
	out_u64(o, key, fmt, v);
	char h[32];
	out_text(o, " (%s)\n", vctl_fmt_size(v, h, sizeof(h)));
}

void print_geometry(struct out *o, const struct vctl_geom *g)
{
	out_obj(o, "geometry");
	out_u64(o, "sector_size", "  sector_size    %llu\n", g->sector_size);
	print_bytes(o, "pseg_size", g->pseg_size);
	print_bytes(o, "rseg_size", g->rseg_size);
	out_u64(o, "lmap_entries", "  lmap_entries   %llu\n", g->lmap_entries);
	out_u64(o, "rstore_width", "  rstore_width   %llu\n", g->rstore_width);
	print_bytes(o, "mblock_size", g->mblock_size);
	print_bytes(o, "mld_slot_size", g->mld_slot_size);
	print_bytes(o, "quorum_size", g->quorum_size);
	out_obj_end(o);
}

#include <stdio.h>

void print_disk_header(struct out *o)
{
	out_text(o, "%-5s %-16s %-10s %-8s %10s %10s  %s\n", "INDEX", "NAME", "ENCLOSURE",
		 "STATE", "SIZE", "USED", "MLD");
}

void print_disk(struct out *o, const struct vctl_pool *p, const struct vctl_mld_disk *d)
{
	const struct vctl_member *m = p->by_index[d->index];
	const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, d->encl);
	char path[4096], uuid[37];
	snprintf(path, sizeof(path), "%s/%s", p->dir, m ? m->name : d->name);
	vctl_uuid_fmt(d->uuid, uuid);
	out_obj(o, NULL);
	out_u64(o, "index", "%-5llu ", d->index);
	out_str(o, "name", "%-16s ", m ? m->name : d->name);
	out_str(o, "path", NULL, path);
	out_str(o, "uuid", NULL, uuid);
	out_str(o, "enclosure", "%-10s ", e ? e->name : "?");
	out_str(o, "state", "%-8s ", vctl_pool_disk_state(p, d->index));
	out_size(o, "size", "%10s ", d->size);
	out_size(o, "used", "%10s  ", vctl_pool_disk_used(p, d->index));
	out_u64(o, "psegs", NULL, d->pseg_count);
	out_bool(o, "quorum", NULL, d->flags & VCTL_DISK_F_QUORUM);
	out_text(o, "%s\n", d->flags & VCTL_DISK_F_QUORUM ? "copy" : "-");
	out_obj_end(o);
}

void print_volume_header(struct out *o)
{
	out_text(o, "%-20s %10s %-6s %5s %9s %10s %10s %10s  %-7s %s\n", "NAME", "SIZE", "RAID",
		 "WIDTH", "STRIPE", "ALLOCATED", "SHARED", "EXCLUSIVE", "STATE", "ORIGIN");
}

void print_volume(struct out *o, const struct vctl_volume_info *v, bool d)
{
	out_str(o, "name", d ? "name          %s\n" : "%-20s ", v->name);
	out_u64(o, "id", d ? "id            %llu\n" : NULL, v->id);
	out_size(o, "size", d ? "size          %s\n" : "%10s ", v->size);
	out_u64(o, "raid", d ? "raid          raid%llu\n" : "raid%-2llu ", vctl_raid_level(v->raid));
	out_u64(o, "width", d ? "width         %llu\n" : "%5llu ", v->width);
	out_size(o, "stripe_size", d ? "stripe_size   %s\n" : "%9s ", v->stripe);
	out_size(o, "allocated", d ? "allocated     %s\n" : "%10s ", v->allocated);
	/* what sharing chains make of it: read by others too, or by it alone */
	out_size(o, "shared", d ? "shared        %s\n" : "%10s ", v->shared);
	out_size(o, "exclusive", d ? "exclusive     %s\n" : "%10s  ", v->exclusive);
	/* ok; stale: RStores wait for a rebuild; damaged: its map is unreadable;
	 * invalid: a snapshot that lost data for want of space */
	out_str(o, "state", d ? "state         %s\n" : "%-7s ",
		v->damaged ? "damaged" : v->invalid ? "invalid" : v->stale ? "stale" : "ok");
	out_str(o, "origin", d ? "origin        %s\n" : "%s\n", v->origin);
	out_str(o, "damaged", d && v->damaged ? "damaged       %s\n" : NULL, v->damaged);
	if (!d) {
		print_requirement(o, v, false);
		return;
	}
	out_str(o, "predecessor", "predecessor   %s\n", v->pred);
	out_str(o, "successor", "successor     %s\n", v->succ);
	out_size(o, "reserved", "reserved      %s\n", v->reserved);
	out_bool(o, "thick", "thick         %s\n", v->thick);
	out_u64(o, "created", "created       %llu\n", v->created);
	out_size(o, "rstore_size", "rstore_size   %s\n", v->rstore_bytes);
	out_u64(o, "rstores", "rstores       %llu\n", v->rstores);
	out_u64(o, "map_bytes", "map_bytes     %llu\n", v->map_bytes);
	if (v->restripe_job) {
		out_obj(o, "restripe");
		out_u64(o, "job", "restripe      job %llu", v->restripe_job);
		print_layout(o, "from", ", from %s", &v->restripe_from);
		out_u64(o, "rsegs_done", ", %llu", v->restripe_cursor);
		out_u64(o, "rsegs", " of %llu RSEGs visited\n", v->restripe_total);
		out_obj_end(o);
	} else {
		out_str(o, "restripe", NULL, NULL);
	}
	out_obj(o, "intent");
	out_u64(o, "raid", "intent        raid%llu", vctl_raid_level(v->raid));
	out_u64(o, "width", ", width %llu", v->width);
	out_size(o, "stripe_size", ", stripe %s", v->stripe);
	out_str(o, "separate", v->separate ? ", separate %s" : NULL, v->separate ? "enclosure" : NULL);
	out_text(o, "\n");
	out_obj_end(o);
	print_requirement(o, v, true);
}

void print_requirement(struct out *o, const struct vctl_volume_info *v, bool detailed)
{
	if (!v->nreq_arrays) {
		out_str(o, "requirement", NULL, NULL);
		return;
	}
	/* list: JSON only; show: one line */
	bool d = detailed;
	out_obj(o, "requirement");
	out_u64(o, "mbps", d ? "requirement   %llu MB/s" : NULL, v->req_mbps);
	out_u64(o, "iops", d ? ", %llu IOPS" : NULL, v->req_iops);
	out_str(o, "fit", d ? ", %s fit" : NULL, vctl_fit_name(v->req_fit));
	out_arr(o, "arrays");
	for (uint32_t k = 0; k < v->nreq_arrays; k++)
		out_str(o, NULL, !d ? NULL : k ? ", %s" : ", on arrays %s", v->req_arrays[k]);
	out_arr_end(o);
	if (d)
		out_text(o, "\n");
	out_obj_end(o);
}

void print_layout(struct out *o, const char *key, const char *fmt,
		  const struct vctl_rsd_layout *l)
{
	char text[80], size[32];
	snprintf(text, sizeof(text), "%s %u x %s", vctl_raid_name(l->raid), l->width,
		 vctl_fmt_size(l->stripe, size, sizeof(size)));
	out_obj(o, key);
	out_u64(o, "raid", NULL, vctl_raid_level(l->raid));
	out_u64(o, "width", NULL, l->width);
	out_u64(o, "stripe_size", NULL, l->stripe);
	out_obj_end(o);
	if (fmt)
		out_text(o, fmt, text);
}

void print_array_header(struct out *o)
{
	out_text(o, "%-20s %8s %9s %9s %9s %10s %10s %5s\n", "NAME", "MBPS", "IOPS", "C_MBPS",
		 "C_IOPS", "LOAD_MBPS", "LOAD_IOPS", "DISKS");
}

void print_array(struct out *o, const struct vctl_array_info *a)
{
	out_obj(o, NULL);
	out_str(o, "name", "%-20s ", a->name);
	out_u64(o, "mbps", "%8llu ", a->mbps);
	out_u64(o, "iops", "%9llu ", a->iops);
	out_u64(o, "committed_mbps", "%9llu ", a->committed_mbps);
	out_u64(o, "committed_iops", "%9llu ", a->committed_iops);
	out_double(o, "load_mbps", "%10.1f ", a->load_mbps);
	out_double(o, "load_iops", "%10.1f ", a->load_iops);
	out_u64(o, "disks", "%5llu\n", a->disks);
	out_obj_end(o);
}

void print_plan_arrays(struct out *o, const char *key, const struct vctl_migrate_plan *pl)
{
	out_arr(o, key);
	for (uint32_t k = 0; k < pl->to.narrays; k++)
		out_str(o, NULL, k ? ", %s" : "%s", pl->names[k]);
	out_arr_end(o);
}
