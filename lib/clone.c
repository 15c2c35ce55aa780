/* Snapclones (source 002 [0100]-[0109]): a snapshot whose data is then
 * copied in the background (BGCOPY) until it shares nothing, after which
 * it leaves its sharing chain and is a volume like any other.
 *
 * This is the scaling variant of [0106]-[0109]. A BGCOPY step gives the
 * clone C its own copy of what it reads through its successor V and clears
 * C's Ss, but leaves V's Sp set: there it means "V unchanged since the
 * copy". A write to V then copies nothing (C has the data) and only clears
 * V's Sp. Before C leaves, its predecessor P must not lose what it reads
 * through C: where V is unchanged P can read through V instead; where V
 * changed, P gets a copy of C's data. Those copies are made in steps while
 * clients go on; once fewer than the threshold M remain, the last ones and
 * the removal happen with the pool lock held alone. The cursor of BGCOPY
 * is in C's volume record, so a killed job resumes where it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clone.h"
#include "raid.h"
#include "share.h"
#include "state.h"

#define STEP_RSEGS 16u /* RSEGs per BGCOPY step: the lock is let go between */

static uint64_t nrseg_of(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	return (v->size + p->mld.pool.geom.rseg_size - 1) / p->mld.pool.geom.rseg_size;
}

int vctl_snapclone_start(struct vctl_pool *p, const char *name, const char *clone,
			 uint64_t *id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = vctl_snapshot_locked(p, name, clone, false, err);
	struct vctl_mld_volume *c = r == 0 ? vctl_mld_volume_by_name(&p->mld, clone) : NULL;
	if (c) {
		c->flags |= VCTL_VOL_CLONE;
		c->cursor = 0;
		*id = c->id;
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

/* The copies P needs before C leaves: RSEGs P reads through C where C's
 * successor has changed since. Makes at most `max` of them (all if
 * UINT64_MAX, none if 0) and returns how many were needed before. */
static int64_t feed_pred(struct vctl_pool *p, struct vctl_mld_volume *c, uint64_t max,
			 struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_mld_volume *pv = vctl_share_pred(p, c);
	struct vctl_mld_volume *sv = c->succ ? vctl_mld_volume_by_id(&p->mld, c->succ) : NULL;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	struct vctl_vmap *pm = pv ? vctl_vmap_of(p, pv->id) : NULL;
	struct vctl_vmap *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	if (!pm)
		return 0;
	uint64_t n = nrseg_of(p, c), sn = sv ? nrseg_of(p, sv) : 0, done = 0;
	int64_t need = 0;
	for (uint64_t k = 0; k < n; k++) {
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (!(e & VCTL_LMAP_SP))
			continue;
		bool unchanged = sm && k < sn && (vctl_vmap_get(sm, g, k) & VCTL_LMAP_SP) &&
				 !(e & VCTL_LMAP_SS);
		if (unchanged)
			continue;
		need++;
		if (done >= max || (e & VCTL_LMAP_SS))
			continue; /* (Ss: BGCOPY has not been here yet) */
		uint32_t pe = vctl_vmap_get(pm, g, k);
		/* P, a snapclone itself, copied this RSEG already (its BGCOPY):
		 * it reads through C no more, and a copy over its own would
		 * lose that RStore's reference (found by tests/stress). */
		if (pe & VCTL_LMAP_SS) {
			int r = vctl_share_copy(p, pv, pm, k, e, pe & VCTL_LMAP_SP, VCTL_SLOT_COPY, err);
			if (r < 0)
				return r;
		}
		vctl_vmap_set(cm, g, k, e & ~VCTL_LMAP_SP);
		done++;
	}
	return need;
}

/* BGCOPY of up to `max` RSEGs from the cursor. */
static int bgcopy(struct vctl_pool *p, struct vctl_mld_volume *c, uint64_t max,
		  struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	uint64_t n = nrseg_of(p, c);
	for (uint64_t i = 0; i < max && c->cursor < n; i++, c->cursor++) {
		uint64_t k = c->cursor;
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (!(e & VCTL_LMAP_SS))
			continue;
		int r = vctl_share_copy(p, c, cm, k, vctl_share_resolve(p, c, cm, k), e & VCTL_LMAP_SP,
					VCTL_SLOT_COPY, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* C leaves the chain; P reads through C's successor where C did. */
static void leave(struct vctl_pool *p, struct vctl_mld_volume *c)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	uint64_t n = nrseg_of(p, c);
	vctl_share_unlink(p, c);
	for (uint64_t k = 0; k < n; k++) {
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (e & VCTL_LMAP_SP)
			vctl_vmap_set(cm, g, k, e & ~VCTL_LMAP_SP);
	}
	c->flags &= ~VCTL_VOL_CLONE;
	c->cursor = 0;
}

int vctl_snapclone_step(struct vctl_pool *p, uint64_t id, uint64_t threshold,
			struct vctl_clone_progress *pr, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *c = vctl_mld_volume_by_id(&p->mld, id);
	int r = 0;
	if (!c || !(c->flags & VCTL_VOL_CLONE)) {
		vctl_rwlock_unlock(&p->lock);
		return 1; /* done (or deleted meanwhile) */
	}
	uint64_t n = nrseg_of(p, c);
	if ((r = vctl_dirty_first(p, c, err)) < 0)
		goto out;
	if (c->cursor < n) {
		r = bgcopy(p, c, STEP_RSEGS, err);
	} else {
		/* Copies for the predecessor in steps; the last ones (fewer
		 * than M) with the removal, in one hold of the lock. */
		int64_t need = feed_pred(p, c, 0, err);
		if (need >= 0 && (uint64_t)need < (threshold ? threshold : 1)) {
			need = feed_pred(p, c, UINT64_MAX, err);
			if (need >= 0)
				leave(p, c);
		} else if (need >= 0) {
			need = feed_pred(p, c, STEP_RSEGS, err);
		}
		r = need < 0 ? (int)need : 0;
	}
	bool done = !(c->flags & VCTL_VOL_CLONE);
	if (pr) {
		pr->cursor = done ? n : c->cursor;
		pr->total = n;
		pr->done = done;
	}
	if (r == 0)
		r = vctl_pool_commit(p, err);
out:
	vctl_rwlock_unlock(&p->lock);
	return r < 0 ? r : done;
}

int vctl_snapclone_cancel(struct vctl_pool *p, uint64_t id, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *c = vctl_mld_volume_by_id(&p->mld, id);
	int r = 0;
	if (!c || !(c->flags & VCTL_VOL_CLONE)) {
		r = vctl_errf(err, -ENOENT, "no job %llu", (unsigned long long)id);
		goto out;
	}
	/* It stays, as a plain snapshot: its successor's "unchanged since the
	 * copy" marks go, as it owns those copies anyway. */
	struct vctl_mld_volume *sv = c->succ ? vctl_mld_volume_by_id(&p->mld, c->succ) : NULL;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id), *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	uint64_t n = nrseg_of(p, c), sn = sv ? nrseg_of(p, sv) : 0;
	for (uint64_t k = 0; sm && k < n && k < sn; k++) {
		uint32_t e = vctl_vmap_get(sm, g, k);
		if ((e & VCTL_LMAP_SP) && !(vctl_vmap_get(cm, g, k) & VCTL_LMAP_SS))
			vctl_vmap_set(sm, g, k, e & ~VCTL_LMAP_SP);
	}
	c->flags &= ~VCTL_VOL_CLONE;
	c->cursor = 0;
	r = vctl_pool_commit(p, err);
out:
	vctl_rwlock_unlock(&p->lock);
	return r;
}
