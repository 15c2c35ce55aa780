/* Online restripe (source 003): a live volume gets a new stripe width
 * and/or stripe unit while clients keep using it.
 *
 * The source isolates a copy of the original configuration, switches the
 * device to its new configuration at once, and lets a background process
 * and the I/O handler move data from the copy, guided by three lists. On
 * a pool of PSEGs the same comes out simpler, because every RSEG's LMAP
 * entry names its own RStore and every RStore carries its own layout:
 *
 *  - The copy is the volume's RStores of the old layout themselves. The
 *    new layout always goes to other PSEGs (new RStores), so nothing
 *    needs replicating first; after the switch no write reaches them.
 *  - The switch sets the volume's layout to the new one and records a
 *    job in the MLD, in one commit under the pool lock held alone. Writes
 *    in flight finish before the lock is granted, and vctl has no
 *    write-back cache, so the source's pending-split list (PS) is empty
 *    by the time the switch commits.
 *  - IND, "the new location's data still lives in the copy", is an entry
 *    of the volume that holds data of its own in an RStore of another
 *    layout than the volume's. PB, "what the background transfer must
 *    still copy", is IND at or above the job's cursor. Both are the map
 *    itself, persisted with every commit; the cursor is in the job record.
 *  - The background transfer walks the cursor up, giving each IND RSEG a
 *    slot in the new layout, copying it and letting go of the old slot;
 *    an old RStore whose last slot goes is freed. A write to an IND RSEG
 *    transfers it first (the on-demand transfer of FIG. 7; a write over a
 *    whole RSEG copies nothing); a read is served from the copy, which is
 *    intact and nobody writes. New space (a hole, or a grow) is allocated
 *    in the new layout and needs no transfer.
 *
 * The four scenarios of FIG. 7 come down to: moved already (by either
 * process) - serve in the new layout; not moved - a read is served from
 * the copy, a write moves the RSEG first. Cancelling swaps the two
 * layouts and walks again: what moved (and every write since) moves back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs.h"
#include "array.h"
#include "restripe.h"
#include "share.h"
#include "state.h"
#include "units.h"

/* RSEGs the cursor may pass in one step without finding one to move. */
#define SCAN_MAX 65536u

static uint64_t nrseg_of(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	return (v->size + p->mld.pool.geom.rseg_size - 1) / p->mld.pool.geom.rseg_size;
}

static bool same_layout(const struct vctl_rsd *r, const struct vctl_rsd_layout *l)
{
	return r->raid == l->raid && r->width == l->width && r->stripe == l->stripe;
}

static struct vctl_rsd_layout layout_of(const struct vctl_mld_volume *v)
{
	return (struct vctl_rsd_layout){.raid = (uint8_t)v->raid, .width = (uint8_t)v->width,
					.stripe = v->stripe};
}

/* The RSD holding data of v's own for RSEG k in another layout than l;
 * NULL if none. */
static const struct vctl_rsd *moving(const struct vctl_pool *p, const struct vctl_vmap *vm,
				     uint64_t k, const struct vctl_rsd_layout *l, uint32_t *id)
{
	uint32_t e = vctl_vmap_get(vm, &p->mld.pool.geom, k);
	if ((e & VCTL_LMAP_SS) || !(e & VCTL_LMAP_RSD_MASK))
		return NULL;
	const struct vctl_rsd *r = vctl_rsd_get(p, (e & VCTL_LMAP_RSD_MASK) - 1);
	if (same_layout(r, l))
		return NULL;
	if (id)
		*id = (e & VCTL_LMAP_RSD_MASK) - 1;
	return r;
}

struct vctl_mld_job *vctl_restripe_job(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	return p->mld.njobs ? vctl_mld_job_of(&p->mld, v->id, VCTL_JOB_RESTRIPE) : NULL;
}

bool vctl_restripe_pending(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			   const struct vctl_vmap *vm, uint64_t k)
{
	struct vctl_rsd_layout l = layout_of(v);
	return vctl_restripe_job(p, v) && moving(p, vm, k, &l, NULL);
}

int vctl_restripe_transfer(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			   uint64_t k, bool overwrite, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_rsd_layout l = layout_of(v);
	uint32_t old;
	if (!moving(p, vm, k, &l, &old))
		return 0;
	uint32_t e = vctl_vmap_get(vm, g, k);
	int r;
	if (overwrite) {
		uint32_t id;
		r = vctl_share_place(p, v, vm, k, VCTL_SLOT_MOVE, &id, err);
		if (r == 0 && vctl_vmap_set(vm, g, k, (id + 1) | (e & VCTL_LMAP_SP)) < 0) {
			vctl_rsd_unref(p, id);
			r = vctl_errf(err, -ENOMEM, "out of memory");
		}
	} else {
		r = vctl_share_copy(p, v, vm, k, e & VCTL_LMAP_RSD_MASK, e & VCTL_LMAP_SP,
				    VCTL_SLOT_MOVE, err);
	}
	if (r < 0)
		return r;
	/* The last commit still points at the old slot: it is not reused
	 * before the next one, and its RStore goes once no slot is used. */
	vctl_slot_release(p, old, k);
	return 0;
}

/* Counts what moves from v's map to layout `to`. */
static int count_moves(const struct vctl_pool *p, const struct vctl_mld_volume *v,
		       const struct vctl_vmap *vm, struct vctl_restripe_plan *pl,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t per = (uint64_t)pl->to.width * g->pseg_size / g->rseg_size;
	uint64_t n = nrseg_of(p, v), spans = 0, last = UINT64_MAX;
	/* per old RSD, the slots v lets go of: all of them frees it */
	uint32_t *mine = calloc(p->st->nrsd ? p->st->nrsd : 1, sizeof(*mine));
	if (!mine)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint64_t k = 0; k < n; k++) {
		uint32_t id;
		if (!moving(p, vm, k, &pl->to, &id))
			continue;
		pl->rsegs++;
		mine[id]++;
		if (k / per != last)
			spans++;
		last = k / per;
	}
	for (uint32_t id = 0; id < p->st->nrsd; id++) {
		const struct vctl_rsd *r = vctl_rsd_get(p, id);
		if (mine[id] && r && mine[id] == r->refs)
			pl->psegs_freed += r->nmembers;
	}
	free(mine);
	uint64_t end = n * g->rseg_size < v->size ? n * g->rseg_size : v->size;
	pl->move_bytes = pl->rsegs * g->rseg_size;
	if (pl->move_bytes > end)
		pl->move_bytes = end;
	unsigned mn = vctl_layout_members(&pl->to), mo = vctl_layout_members(&pl->from);
	pl->psegs_new = spans * mn;
	/* In cursor order an old RStore is freed (at the next commit) once the
	 * cursor passes it, so beyond the net change the transfer holds at
	 * most one RStore of each layout at once. */
	uint64_t net = pl->psegs_new > pl->psegs_freed ? pl->psegs_new - pl->psegs_freed : 0;
	pl->psegs_peak = net + mn + mo < pl->psegs_new ? net + mn + mo : pl->psegs_new;
	pl->psegs_free = vctl_pool_free_bytes(p) / g->pseg_size;
	return 0;
}

static int plan_locked(struct vctl_pool *p, const char *name, const struct vctl_restripe_req *req,
		       struct vctl_restripe_plan *pl, struct vctl_mld_volume **out,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	memset(pl, 0, sizeof(*pl));
	struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
	if (vm->damaged)
		return vctl_errf(err, -VCTL_E_CORRUPT, "volume %s is unavailable: its map is damaged (%s)",
				 v->name, vm->damaged);
	pl->from = pl->to = layout_of(v);
	if (req->width > 255)
		return vctl_errf(err, -EINVAL, "width %u is out of range", req->width);
	if (req->width)
		pl->to.width = (uint8_t)req->width;
	if (req->stripe)
		pl->to.stripe = req->stripe;
	int r = vctl_layout_check(&pl->to, g, err);
	if (r < 0)
		return r;
	char a[32], b[32];
	if (pl->to.width == pl->from.width && pl->to.stripe == pl->from.stripe)
		return vctl_errf(err, -EINVAL, "%s has width %u and stripe size %s already", name,
				 v->width, vctl_fmt_size(v->stripe, a, sizeof(a)));
	const struct vctl_mld_job *j = vctl_restripe_job(p, v);
	if (j)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "%s is being restriped already (job %llu); wait for it or cancel it",
				 name, (unsigned long long)j->id);
	if (v->flags & VCTL_VOL_CLONE)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "snapclone %s is still being copied (job %llu); wait for it or cancel it",
				 name, (unsigned long long)v->id);
	if (v->flags & VCTL_VOL_INVALID)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "snapshot %s is invalid (it lost data for want of space); delete it", name);
	bool separate = v->flags & VCTL_VOL_SEPARATE;
	unsigned need = vctl_layout_members(&pl->to);
	snprintf(pl->intent, sizeof(pl->intent), "%s of width %u on %u distinct disks%s",
		 vctl_raid_name(pl->to.raid), pl->to.width, need,
		 separate ? pl->to.raid == VCTL_RAID5 ? ", each in an enclosure of its own"
						       : ", mirror halves in distinct enclosures"
			  : "");
	struct vctl_err ie;
	pl->intent_holds = vctl_intent_fits(p, &pl->to, separate, &ie) == 0;
	/* a volume placed on arrays stays there: its disks must be enough */
	const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, v->id);
	if (pl->intent_holds && q && need > vctl_req_disks(p, q)) {
		pl->intent_holds = false;
		vctl_errf(&ie, -VCTL_E_REFUSED,
			  "a %s of width %u needs %u disks; the arrays %s is placed on for its requirement have %u usable",
			  vctl_raid_name(pl->to.raid), pl->to.width, need, name, vctl_req_disks(p, q));
	}
	if ((r = count_moves(p, v, vm, pl, err)) < 0)
		return r;
	if (!pl->intent_holds)
		return vctl_errf(err, ie.code, "%s", ie.msg);
	if (pl->psegs_peak > pl->psegs_free)
		return vctl_errf(err, -ENOSPC, "restriping %s needs up to %s free at once; %s is free",
				 name, vctl_fmt_size(pl->psegs_peak * g->pseg_size, a, sizeof(a)),
				 vctl_fmt_size(pl->psegs_free * g->pseg_size, b, sizeof(b)));
	*out = v;
	return 0;
}

int vctl_restripe_plan(struct vctl_pool *p, const char *name, const struct vctl_restripe_req *req,
		       struct vctl_restripe_plan *pl, struct vctl_err *err)
{
	struct vctl_mld_volume *v;
	vctl_rwlock_rd(&p->lock);
	int r = plan_locked(p, name, req, pl, &v, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_restripe_start(struct vctl_pool *p, const char *name, const struct vctl_restripe_req *req,
			struct vctl_restripe_plan *pl, uint64_t *id, struct vctl_err *err)
{
	/* The lock held alone is the switch: no I/O is in flight, and none
	 * starts until the new layout is committed. */
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *v;
	int r = plan_locked(p, name, req, pl, &v, err);
	if (r == 0) {
		struct vctl_mld_job j = {.id = p->mld.pool.next_id, .volume = v->id,
					 .created = (uint64_t)time(NULL), .rate = req->rate,
					 .kind = VCTL_JOB_RESTRIPE, .state = VCTL_JOB_RUNNING,
					 .raid = v->raid, .width = v->width, .stripe = v->stripe};
		r = vctl_job_add(p, &j, err);
	}
	if (r == 0) {
		*id = p->mld.pool.next_id - 1;
		v->width = pl->to.width;
		v->stripe = pl->to.stripe;
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_restripe_step(struct vctl_pool *p, uint64_t id, uint32_t max, uint64_t *moved,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	*moved = 0;
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
	if (!j || j->kind != VCTL_JOB_RESTRIPE) {
		vctl_rwlock_unlock(&p->lock);
		return 1; /* done, or cancelled and done */
	}
	struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, j->volume);
	struct vctl_vmap *vm = p->st ? vctl_vmap_of(p, v->id) : NULL;
	int r = 0;
	if (!vm || vm->damaged)
		r = vctl_errf(err, -VCTL_E_CORRUPT, "volume %s is unavailable: its map is damaged",
			      v->name);
	if (r == 0)
		r = vctl_dirty_first(p, v, err);
	struct vctl_rsd_layout l = layout_of(v);
	uint64_t n = nrseg_of(p, v);
	for (uint32_t scanned = 0, done = 0; r == 0 && done < max && j->cursor < n &&
					     scanned < SCAN_MAX; scanned++, j->cursor++) {
		if (!moving(p, vm, j->cursor, &l, NULL))
			continue;
		r = vctl_restripe_transfer(p, v, vm, j->cursor, false, err);
		if (r == 0) {
			done++;
			*moved += g->rseg_size;
		}
	}
	bool finished = false;
	if (r == 0 && j->cursor >= n) {
		/* Slots a deleted successor handed down may still be in another
		 * layout below the cursor: the job ends when none is left. */
		uint64_t k = 0;
		while (k < n && !moving(p, vm, k, &l, NULL))
			k++;
		if (k < n)
			j->cursor = k;
		else
			finished = true;
	}
	if (finished)
		vctl_job_remove(p, id);
	if (r == 0)
		r = vctl_pool_commit(p, err);
	vctl_rwlock_unlock(&p->lock);
	return r < 0 ? r : finished;
}

int vctl_restripe_cancel(struct vctl_pool *p, uint64_t id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
	int r = 0;
	if (!j || j->kind != VCTL_JOB_RESTRIPE)
		r = vctl_errf(err, -ENOENT, "no job %llu", (unsigned long long)id);
	else if (j->state == VCTL_JOB_CANCELLING)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "job %llu is being cancelled already: it is moving the data back",
			      (unsigned long long)id);
	if (r == 0) {
		struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, j->volume);
		struct vctl_rsd_layout back = {.raid = (uint8_t)j->raid, .width = (uint8_t)j->width,
					       .stripe = j->stripe};
		j->raid = v->raid;
		j->width = v->width;
		j->stripe = v->stripe;
		v->raid = back.raid;
		v->width = back.width;
		v->stripe = back.stripe;
		j->state = VCTL_JOB_CANCELLING;
		j->cursor = 0;
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}
