/* Disk lifecycle: fail, and replace by rebuilding on other disks.
 *
 * A replacement is one allocator decision per member, made before
 * anything changes (so a refusal leaves the pool as it was), then one
 * commit that points every RStore at its new PSEGs with those members
 * marked stale, and records a rebuild job. The job (lib/resync.c) then
 * rebuilds the stale members (mirror copy, raid5 reconstruction) an
 * RStore at a time and clears the marks, in the server's job thread while
 * clients do I/O, or in the foreground offline. Stale members are never
 * read; a crash anywhere leaves them for the job, or for the full resync
 * at the next open after an unclean shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "array.h"
#include "disk.h"
#include "jobs.h"
#include "raid.h"
#include "state.h"

static int find_disk(const struct vctl_pool *p, uint32_t index, struct vctl_mld_disk **d,
		     struct vctl_err *err)
{
	*d = vctl_mld_disk_by_index(&p->mld, index);
	if (!*d)
		return vctl_errf(err, -ENOENT, "no disk %u in the pool", index);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	return 0;
}

const char *vctl_rsd_owner(const struct vctl_pool *p, uint32_t id)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint32_t i = 0; i < p->st->nvmaps; i++) {
		const struct vctl_vmap *vm = p->st->vmaps[i];
		uint64_t n = vm->nlmaps * (uint64_t)g->lmap_entries;
		for (uint64_t k = 0; k < n; k++) {
			uint32_t e = vctl_vmap_get(vm, g, k);
			if (!(e & VCTL_LMAP_SS) && (e & VCTL_LMAP_RSD_MASK) == id + 1)
				return p->mld.vols[i].name;
		}
	}
	return "?";
}

/* Whether member k of r can go without r losing data. */
static bool redundant_without(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned k)
{
	if (r->raid == VCTL_RAID0)
		return false;
	for (unsigned m = 0; m < r->nmembers; m++) {
		bool needed = r->raid == VCTL_RAID5 || m == (k ^ 1u);
		if (m != k && needed && ((r->stale & (1u << m)) || !vctl_raid_reachable(p, r, m)))
			return false;
	}
	return true;
}

int vctl_disk_fail(struct vctl_pool *p, uint32_t index, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_disk *d;
	int r = find_disk(p, index, &d, err);
	if (r == 0 && d->state == VCTL_DISK_FAILED)
		r = vctl_errf(err, -VCTL_E_REFUSED, "disk %u has failed already", index);
	for (uint32_t id = 0; r == 0 && id < p->st->nrsd; id++) {
		const struct vctl_rsd *rsd = p->st->rsd[id];
		for (unsigned k = 0; rsd && r == 0 && k < rsd->nmembers; k++)
			if (vctl_member_disk(rsd->m[k]) == index && !redundant_without(p, rsd, k))
				r = vctl_errf(err, -VCTL_E_REFUSED,
					      "disk %u holds data of volume %s (RStore %u, %s) that no other disk has: failing it would lose it",
					      index, vctl_rsd_owner(p, id), id, vctl_raid_name(rsd->raid));
	}
	for (uint32_t i = 0; r == 0 && i < p->mld.nmeta; i++) {
		const struct vctl_mld_meta *e = &p->mld.meta[i];
		bool on = false, other = false;
		for (unsigned c = 0; c < e->ncopies; c++) {
			if (e->disk[c] == index)
				on = true;
			else if (!(e->stale & (1u << c)) && vctl_disk_usable(p, e->disk[c]))
				other = true;
		}
		if (on && !other)
			r = vctl_errf(err, -VCTL_E_REFUSED,
				      "disk %u holds the only good copy of metadata extent %u: failing it would lose the volume maps",
				      index, e->index);
	}
	if (r == 0) {
		d->state = VCTL_DISK_FAILED;
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

uint8_t *vctl_strict_rsds(const struct vctl_pool *p)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint8_t *b = calloc(p->st->nrsd / 8 + 1, 1);
	for (uint32_t i = 0; b && i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		const struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
		if (!(v->flags & VCTL_VOL_SEPARATE) || !vm)
			continue;
		uint64_t n = (v->size + g->rseg_size - 1) / g->rseg_size;
		for (uint64_t k = 0; k < n; k++) {
			uint32_t e = vctl_vmap_get(vm, g, k);
			if (!(e & VCTL_LMAP_SS) && (e & VCTL_LMAP_RSD_MASK))
				bit_set(b, (e & VCTL_LMAP_RSD_MASK) - 1);
		}
	}
	return b;
}

static uint32_t encl_of(const struct vctl_pool *p, uint32_t member)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, vctl_member_disk(member));
	return d ? d->encl : UINT32_MAX;
}

struct move {
	uint32_t id;     /* RSD, or metadata extent index */
	unsigned k;      /* member, or copy */
	uint32_t member; /* its new PSEG */
	bool meta;
};

/* Room for one more move in *mv (n used of *cap). */
static int room_for_one(struct move **mv, uint32_t n, uint32_t *cap, struct vctl_err *err)
{
	if (n < *cap)
		return 0;
	uint32_t c = *cap ? 2 * *cap : 64;
	void *nm = realloc(*mv, c * sizeof(**mv));
	if (!nm)
		return vctl_errf(err, -ENOMEM, "out of memory");
	*mv = nm;
	*cap = c;
	return 0;
}

int vctl_place_member(struct vctl_pool *p, uint32_t id, const struct vctl_rsd *r, unsigned k,
			bool strict, uint32_t *member, struct vctl_err *err)
{
	uint32_t exclude[VCTL_RSD_MAX_MEMBERS], avoid[VCTL_RSD_MAX_MEMBERS];
	unsigned ne = 0, na = 0;
	for (unsigned m = 0; m < r->nmembers; m++) {
		if (m == k)
			continue;
		exclude[ne++] = r->m[m];
		if (r->raid == VCTL_RAID5 || m == (k ^ 1u))
			avoid[na++] = encl_of(p, r->m[m]);
	}
	/* a volume placed on arrays keeps to them */
	int rc = vctl_space_alloc_one(p, vctl_rsd_req(p, id), exclude, ne, avoid, na, strict, member,
				      err);
	if (rc < 0) {
		char what[64], msg[sizeof(err->msg)];
		if (r->raid == VCTL_RAID5 || r->raid == VCTL_RAID0)
			snprintf(what, sizeof(what), "for member %u", k);
		else
			snprintf(what, sizeof(what), "for the %s half of mirror %u", k & 1 ? "second" : "first",
				 k / 2);
		snprintf(msg, sizeof(msg), "%s", err->msg);
		rc = vctl_errf(err, rc, "%s %s of RStore %u of volume %s", msg, what, id, vctl_rsd_owner(p, id));
	}
	return rc;
}

int vctl_disk_replace(struct vctl_pool *p, uint32_t index, struct vctl_replace_report *rep,
		      struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	*rep = (struct vctl_replace_report){0};
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_disk *d;
	struct move *mv = NULL;
	uint32_t n = 0, cap = 0;
	uint8_t *strict = NULL;
	int r = find_disk(p, index, &d, err);
	if (r == 0 && d->state != VCTL_DISK_FAILED && vctl_pool_disk_present(p, index))
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "disk %u is active and present: fail it first (vctl disk fail %u)", index,
			      index);
	if (r == 0 && !(strict = vctl_strict_rsds(p)))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	/* Every decision first: a refusal changes nothing. */
	for (uint32_t id = 0; r == 0 && id < p->st->nrsd; id++) {
		const struct vctl_rsd *rsd = p->st->rsd[id];
		for (unsigned k = 0; rsd && r == 0 && k < rsd->nmembers; k++) {
			if (vctl_member_disk(rsd->m[k]) != index)
				continue;
			if (rsd->raid == VCTL_RAID0) {
				r = vctl_errf(err, -VCTL_E_REFUSED,
					      "RStore %u of volume %s is raid0: its data on disk %u is lost, nothing can rebuild it",
					      id, vctl_rsd_owner(p, id), index);
				break;
			}
			if ((r = room_for_one(&mv, n, &cap, err)) < 0)
				break;
			mv[n] = (struct move){.id = id, .k = k};
			r = vctl_place_member(p, id, rsd, k, bit_get(strict, id), &mv[n].member, err);
			n += r == 0;
		}
	}
	for (uint32_t i = 0; r == 0 && i < p->mld.nmeta; i++) {
		const struct vctl_mld_meta *e = &p->mld.meta[i];
		for (unsigned c = 0; r == 0 && c < e->ncopies; c++) {
			if (e->disk[c] != index)
				continue;
			uint32_t exclude[VCTL_META_MAX_COPIES], avoid[VCTL_META_MAX_COPIES];
			unsigned ne = 0;
			for (unsigned o = 0; o < e->ncopies; o++)
				if (o != c) {
					exclude[ne] = vctl_member(e->disk[o], e->pseg[o]);
					avoid[ne] = encl_of(p, exclude[ne]);
					ne++;
				}
			if ((r = room_for_one(&mv, n, &cap, err)) < 0)
				break;
			mv[n] = (struct move){.id = i, .k = c, .meta = true};
			r = vctl_space_alloc_one(p, NULL, exclude, ne, avoid, ne, false, &mv[n].member,
						 err);
			/* no disk left without a copy: the extent keeps one fewer */
			if (r == -ENOSPC && ne > 0) {
				mv[n].member = UINT32_MAX;
				r = 0;
			}
			if (r < 0)
				vctl_err_wrap(err, "for metadata extent %u", e->index);
			n += r == 0;
		}
	}
	if (r < 0) {
		/* give back what was chosen: nothing points at it */
		for (uint32_t i = 0; i < n; i++) {
			if (mv[i].member == UINT32_MAX)
				continue;
			uint32_t dk = vctl_member_disk(mv[i].member);
			bit_clr(p->st->pused[dk], vctl_member_pseg(mv[i].member));
			p->st->npused[dk]--;
		}
	}
	for (uint32_t i = 0; r == 0 && i < n; i++) {
		if (mv[i].meta && mv[i].member == UINT32_MAX) {
			vctl_meta_drop_copy(p, mv[i].id, mv[i].k);
			continue;
		} else if (mv[i].meta) {
			struct vctl_mld_meta *e = &p->mld.meta[mv[i].id];
			vctl_space_release(p, vctl_member(e->disk[mv[i].k], e->pseg[mv[i].k]));
			e->disk[mv[i].k] = vctl_member_disk(mv[i].member);
			e->pseg[mv[i].k] = vctl_member_pseg(mv[i].member);
			e->stale |= 1u << mv[i].k;
			rep->extents++;
		} else {
			struct vctl_rsd *rsd = p->st->rsd[mv[i].id];
			vctl_space_release(p, rsd->m[mv[i].k]);
			rsd->m[mv[i].k] = mv[i].member;
			rsd->stale |= (uint16_t)(1u << mv[i].k);
			vctl_rsd_dirty(p, mv[i].id);
			rep->rstores++;
		}
		rep->bytes += g->pseg_size;
	}
	/* The new places, marked stale (never read), and the job that
	 * rebuilds them, in one commit. */
	const struct vctl_mld_job *rj = vctl_mld_job_of(&p->mld, 0, VCTL_JOB_REBUILD);
	if (r == 0 && rj) {
		rep->job = rj->id;
	} else if (r == 0 && n) {
		struct vctl_mld_job j = {.kind = VCTL_JOB_REBUILD, .state = VCTL_JOB_RUNNING,
					 .created = (uint64_t)time(NULL)};
		if ((r = vctl_job_add(p, &j, err)) == 0)
			rep->job = p->mld.jobs[p->mld.njobs - 1].id;
	}
	if (r == 0)
		r = vctl_pool_commit(p, err);
	free(mv);
	free(strict);
	vctl_rwlock_unlock(&p->lock);
	return r;
}
