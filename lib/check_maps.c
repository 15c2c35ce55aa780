/* The map half of `vctl check`: RSDs, metadata copies, and the data
 * redundancy they promise (mirror halves equal, RAID5 parity right). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fmt/bytes.h"
#include "io.h"
#include "raid.h"
#include "state.h"

/* The first volume (by MLD order) referencing each RSD, for messages. */
static const char **rsd_owners(const struct vctl_pool *p)
{
	const struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	const char **own = calloc(st->nrsd ? st->nrsd : 1, sizeof(*own));
	if (!own)
		return NULL;
	for (uint32_t i = 0; i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		const struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
		uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
		for (uint32_t li = 0; vm && li < vm->nlmaps; li++) {
			if (!vm->l2[li])
				continue;
			for (uint64_t k = (uint64_t)li * g->lmap_entries;
			     k < (uint64_t)(li + 1) * g->lmap_entries && k < nrseg; k++) {
				uint32_t ent = vctl_vmap_get(vm, g, k);
				if ((ent & VCTL_LMAP_RSD_MASK) && !own[(ent & VCTL_LMAP_RSD_MASK) - 1])
					own[(ent & VCTL_LMAP_RSD_MASK) - 1] = v->name;
			}
		}
	}
	return own;
}

static int read_member(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned k,
		       uint8_t *buf, uint64_t off, size_t n)
{
	int fd;
	uint64_t base;
	if (!vctl_raid_member(p, r, k, &fd, &base))
		return -ENODEV;
	return vctl_io_pread(fd, buf, n, base + off) == (long long)n ? 0 : -EIO;
}

/* Compares the redundancy of one RStore; returns the first bad offset in
 * its PSEGs, or UINT64_MAX if it is consistent, or a negative errno. */
static int64_t scan_rstore(const struct vctl_pool *p, const struct vctl_rsd *r, uint8_t *a,
			   uint8_t *b, size_t chunk, unsigned *bad_pair)
{
	uint64_t pseg = p->mld.pool.geom.pseg_size;
	for (uint64_t off = 0; off < pseg; off += chunk) {
		size_t n = pseg - off < chunk ? (size_t)(pseg - off) : chunk;
		if (r->raid == VCTL_RAID1 || r->raid == VCTL_RAID10) {
			for (unsigned c = 0; c < r->width; c++) {
				if (read_member(p, r, 2 * c, a, off, n) < 0 ||
				    read_member(p, r, 2 * c + 1, b, off, n) < 0)
					return -EIO;
				if (memcmp(a, b, n)) {
					for (size_t i = 0; i < n; i++)
						if (a[i] != b[i]) {
							*bad_pair = c;
							return (int64_t)(off + i);
						}
				}
			}
		} else if (r->raid == VCTL_RAID5) {
			memset(a, 0, n);
			for (unsigned k = 0; k < r->nmembers; k++) {
				if (read_member(p, r, k, b, off, n) < 0)
					return -EIO;
				vctl_xor(a, b, n);
			}
			for (size_t i = 0; i < n; i++)
				if (a[i])
					return (int64_t)(off + i);
		}
	}
	return INT64_MAX;
}

/* A member whose disk is missing or failed (a stale one on a present disk
 * is counted apart). */
static bool degraded(const struct vctl_pool *p, const struct vctl_rsd *r, uint32_t *disk)
{
	for (unsigned k = 0; k < r->nmembers; k++) {
		if (!vctl_raid_reachable(p, r, k)) {
			*disk = vctl_member_disk(r->m[k]);
			return true;
		}
	}
	return false;
}

bool vctl_volume_degraded(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const struct vctl_vmap *vm = p->st ? vctl_vmap_of(p, v->id) : NULL;
	uint64_t n = (v->size + g->rseg_size - 1) / g->rseg_size;
	uint32_t disk;
	for (uint64_t k = 0; vm && k < n; k++) {
		uint32_t e = vctl_vmap_get(vm, g, k);
		const struct vctl_rsd *r = (e & VCTL_LMAP_SS) || !(e & VCTL_LMAP_RSD_MASK)
						   ? NULL
						   : p->st->rsd[(e & VCTL_LMAP_RSD_MASK) - 1];
		if (r && r->raid != VCTL_RAID0 && (r->stale || degraded(p, r, &disk)))
			return true;
	}
	return false;
}

/* Per volume: RStores that lost data, and RStores that run degraded. */
struct vol_tally {
	const char *name;
	uint32_t lost, degraded, stale, disk;
};

static struct vol_tally *tally_of(struct vol_tally *t, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (t[i].name == name)
			return &t[i];
	return NULL;
}

static int check_rsds(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep)
{
	bool dirty = p->mld.pool.flags & VCTL_POOL_DIRTY;
	const struct vctl_state *st = p->st;
	const char **own = rsd_owners(p);
	size_t chunk = 1u << 20;
	uint8_t *a = malloc(chunk), *b = malloc(chunk);
	struct vol_tally *t = calloc(p->mld.nvol + 1, sizeof(*t));
	int r = own && a && b && t ? 0 : -ENOMEM;
	for (uint32_t i = 0; t && i < p->mld.nvol; i++)
		t[i].name = p->mld.vols[i].name;
	for (uint32_t id = 0; id < st->nrsd && r == 0; id++) {
		const struct vctl_rsd *rsd = st->rsd[id];
		if (!rsd)
			continue;
		const char *vol = own[id] ? own[id] : "?";
		if (!rsd->refs) {
			/* a damaged map may be what references it */
			r = p->st->ndamaged
				    ? vctl_check_note(rep, "RSD %u is referenced by no loaded volume (a damaged map may hold it)",
						      id)
				    : vctl_check_add(rep, "RSD %u is referenced by no volume: its %u PSEGs are lost",
						     id, rsd->nmembers);
			continue;
		}
		uint32_t disk;
		if (degraded(p, rsd, &disk)) {
			struct vol_tally *vt = tally_of(t, p->mld.nvol, own[id]);
			if (vt) {
				vt->disk = disk;
				if (rsd->raid == VCTL_RAID0)
					vt->lost++;
				else
					vt->degraded++;
			}
			continue;
		}
		if (rsd->stale) {
			struct vol_tally *vt = tally_of(t, p->mld.nvol, own[id]);
			if (vt)
				vt->stale++;
			continue;
		}
		if (rsd->raid == VCTL_RAID0 || !(what & VCTL_CHECK_DATA))
			continue;
		unsigned pair = 0;
		int64_t bad = scan_rstore(p, rsd, a, b, chunk, &pair);
		/* after an unclean close, out of step is expected until resync */
		int (*say)(struct vctl_check_report *, const char *, ...) =
			dirty ? vctl_check_note : vctl_check_add;
		if (bad == -EIO)
			r = vctl_check_add(rep, "volume %s: RSD %u: a member could not be read", vol, id);
		else if (bad != INT64_MAX && rsd->raid == VCTL_RAID5)
			r = say(rep, "volume %s: RSD %u: RAID5 parity is wrong at byte %lld of its PSEGs (row %lld)",
				vol, id, (long long)bad, (long long)(bad / rsd->stripe));
		else if (bad != INT64_MAX)
			r = say(rep, "volume %s: RSD %u: mirror halves of column %u differ at byte %lld of their PSEGs",
				vol, id, pair, (long long)bad);
	}
	for (uint32_t i = 0; t && r == 0 && i < p->mld.nvol; i++) {
		const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, t[i].disk);
		const char *how = d && d->state == VCTL_DISK_FAILED ? "failed" : "missing";
		bool gone = d && d->state == VCTL_DISK_FAILED;
		if (t[i].lost)
			r = vctl_check_add(rep, "volume %s: %u RStore%s a member on %s disk %u (%s): %s",
					   t[i].name, t[i].lost, t[i].lost == 1 ? " has" : "s have", how,
					   t[i].disk, d ? d->name : "?",
					   gone ? "their data there is lost"
						: "their data there is unavailable until it returns");
		if (r == 0 && t[i].degraded)
			r = vctl_check_note(rep, "volume %s: %u RStore%s degraded (disk %u is %s); redundancy not verified",
					    t[i].name, t[i].degraded, t[i].degraded == 1 ? " runs" : "s run",
					    t[i].disk, how);
		if (r == 0 && t[i].stale)
			r = vctl_check_note(rep, "volume %s: %u RStore%s a stale member (it missed writes); rebuilt at the next open for writing once its disk is present",
					    t[i].name, t[i].stale, t[i].stale == 1 ? " has" : "s have");
	}
	free(t);
	free(own);
	free(a);
	free(b);
	return r;
}

/* Every metadata block in use: each present copy valid and equal. */
static int check_meta(const struct vctl_pool *p, struct vctl_check_report *rep)
{
	const struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint8_t *a = malloc(g->mblock_size), *b = malloc(g->mblock_size);
	uint32_t *away = calloc(VCTL_MAX_DISKS, sizeof(*away));
	int r = a && b && away ? 0 : -ENOMEM;
	for (uint64_t addr = 1; addr < st->nmblocks && r == 0; addr++) {
		if (!bit_get(st->mused, addr))
			continue;
		const struct vctl_mld_meta *e = &p->mld.meta[addr / vctl_meta_blocks_per_extent(g)];
		bool have = false;
		for (unsigned c = 0; c < e->ncopies && r == 0; c++) {
			uint32_t disk;
			uint64_t off = vctl_meta_disk_offset(p, addr, c, &disk);
			const struct vctl_member *m = p->by_index[disk];
			/* a copy on a missing or failed disk, or one that missed
			 * writes, is rebuilt with it */
			const struct vctl_mld_disk *dk = vctl_mld_disk_by_index(&p->mld, disk);
			if (!m || !dk || dk->state != VCTL_DISK_ACTIVE || (e->stale & (1u << c))) {
				away[disk]++;
				continue;
			}
			uint8_t *buf = have ? b : a;
			struct vctl_mblock_hdr h;
			struct vctl_err why = {0};
			if (vctl_io_pread(m->fd, buf, g->mblock_size, off) != (long long)g->mblock_size) {
				r = vctl_check_add(rep, "metadata block %llu: copy %u (%s) cannot be read",
						   (unsigned long long)addr, c, m->name);
				continue;
			}
			/* each copy on its own merits, under the type it claims */
			if (vctl_mblock_check(buf, g, vctl_get16(buf + 8), p->mld.pool.uuid, addr, 0,
					      &h, &why) < 0) {
				r = vctl_check_add(rep, "metadata block %llu: copy %u (%s): %s",
						   (unsigned long long)addr, c, m->name, why.msg);
				continue;
			}
			if (have && memcmp(a, b, g->mblock_size))
				r = vctl_check_add(rep, "metadata block %llu: copy %u (%s) differs from copy 0",
						   (unsigned long long)addr, c, m->name);
			have = true;
		}
	}
	for (uint32_t d = 0; away && r == 0 && d < VCTL_MAX_DISKS; d++)
		if (away[d])
			r = vctl_check_note(rep, "%u metadata blocks have a copy on disk %u that is missing, failed or stale",
					    away[d], d);
	free(away);
	free(a);
	free(b);
	return r;
}

int vctl_check_maps(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep)
{
	if (p->load_error[0])
		return vctl_check_add(rep, "maps: %s", p->load_error);
	if (!p->st)
		return 0;
	int r = 0;
	for (uint32_t i = 0; r == 0 && i < p->st->nvmaps; i++)
		if (p->st->vmaps[i] && p->st->vmaps[i]->damaged)
			r = vctl_check_add(rep, "volume %s is unavailable: its map is damaged (%s)",
					   p->mld.vols[i].name, p->st->vmaps[i]->damaged);
	if (r == 0 && (p->mld.pool.flags & VCTL_POOL_DIRTY))
		r = vctl_check_note(rep, "redundant RStores were written since the pool was last closed cleanly (or it is being served): mirrors and parity are resynced at the next open for writing after an unclean stop");
	if (r == 0)
		r = check_meta(p, rep);
	if (r == 0)
		r = vctl_check_sharing(p, rep);
	return r < 0 ? r : check_rsds(p, what, rep);
}
