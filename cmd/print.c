#include "print.h"

#include <stdio.h>

#include "lib/units.h"

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
