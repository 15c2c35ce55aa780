/* Sharing chains: snapshots, copy on first write, and taking a member out
 * (source 002, [0086]-[0099]).
 *
 * A snapshot P of V becomes V's predecessor: P's LMAP entries say "shared
 * with my successor" (Ss) and V's say "shared with my predecessor" (Sp).
 * Repeated snapshots form a chain, oldest first: S0 - S1 - ... - V. For
 * every RSEG, Sp of a volume equals Ss of its predecessor.
 *
 * Unlike the source, an entry with Ss set holds no RSD: reads follow
 * successors until Ss is clear anyway, and a copied pointer would go stale
 * after a copy on first write further up the chain. Data is owned: an
 * entry with Ss clear and an RSD is the one entry, pool-wide, that uses its
 * slot of that RStore (the slot of RSEG k is byte (k * rseg_size) mod the
 * RStore's span), so a member leaving the chain can hand its slots to its
 * predecessor instead of copying them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raid.h"
#include "share.h"
#include "state.h"
#include "units.h"

static uint64_t span_of(const struct vctl_pool *p, const struct vctl_rsd *r)
{
	return (uint64_t)r->width * p->mld.pool.geom.pseg_size;
}

struct vctl_mld_volume *vctl_share_pred(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	for (uint32_t i = 0; i < p->mld.nvol; i++)
		if (p->mld.vols[i].succ == v->id)
			return &p->mld.vols[i];
	return NULL;
}

uint32_t vctl_share_resolve(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			    const struct vctl_vmap *vm, uint64_t k)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t e = vctl_vmap_get(vm, g, k);
	/* bounded: the MLD has no loops, and each step is another volume */
	for (uint32_t n = 0; (e & VCTL_LMAP_SS) && n <= p->mld.nvol; n++) {
		v = vctl_mld_volume_by_id(&p->mld, v->succ);
		vm = v ? vctl_vmap_of(p, v->id) : NULL;
		if (!vm)
			return 0;
		e = vctl_vmap_get(vm, g, k);
	}
	return e & VCTL_LMAP_SS ? 0 : e;
}

/* Whether slot k of RSD `id` is used by any volume, or was let go by this
 * transaction (the last commit may still point at it). */
static bool slot_busy(const struct vctl_pool *p, uint32_t id, uint64_t k)
{
	const struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint32_t i = 0; i < st->nslot_freed; i++)
		if (st->slot_freed[i].rsd == id && st->slot_freed[i].rseg == k)
			return true;
	for (uint32_t i = 0; i < st->nvmaps; i++) {
		uint32_t e = vctl_vmap_get(st->vmaps[i], g, k);
		if ((e & VCTL_LMAP_RSD_MASK) == id + 1)
			return true;
	}
	return false;
}

void vctl_slot_release(struct vctl_pool *p, uint32_t id, uint64_t k)
{
	struct vctl_state *st = p->st;
	if (st->nslot_freed == st->slot_freed_cap) {
		uint32_t cap = st->slot_freed_cap ? 2 * st->slot_freed_cap : 64;
		void *n = realloc(st->slot_freed, cap * sizeof(*st->slot_freed));
		if (n) {
			st->slot_freed = n;
			st->slot_freed_cap = cap;
		}
	}
	/* Out of memory: the slot is only not reused before the commit if
	 * its RStore is freed too; so keep the RStore alive by not
	 * recording a reuse at all (place() then allocates afresh). */
	if (st->nslot_freed < st->slot_freed_cap)
		st->slot_freed[st->nslot_freed++] = (struct vctl_slot){id, k};
	else
		st->slot_reuse_off = true;
	vctl_rsd_unref(p, id);
}

/* Copies happen in the middle of operations, where a commit would persist
 * half of them: what a write to a redundant RStore needs durable first
 * (DIRTY) the operation made so before it began (vctl_dirty_first), and
 * RStores with a member the write cannot reach are not chosen. */
static bool reachable(const struct vctl_pool *p, const struct vctl_rsd *r)
{
	for (unsigned m = 0; m < r->nmembers; m++)
		if (!(r->stale & (1u << m)) && !vctl_raid_reachable(p, r, m))
			return false;
	return true;
}

static int ready_to_write(const struct vctl_pool *p, const struct vctl_rsd *r,
			  struct vctl_err *err)
{
	if (r->raid != VCTL_RAID0 && !(p->mld.pool.flags & VCTL_POOL_DIRTY))
		return vctl_errf(err, -VCTL_E_INTERNAL,
				 "a copy on first write before the pool was marked DIRTY");
	if (!reachable(p, r))
		return vctl_errf(err, -EIO, "a copy on first write cannot reach every member of its RStore");
	return 0;
}

static int zero_slot(struct vctl_pool *p, uint32_t id, uint64_t k, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const struct vctl_rsd *r = vctl_rsd_get(p, id);
	int rc = ready_to_write(p, r, err);
	if (rc < 0)
		return rc;
	void *z = calloc(1, g->rseg_size);
	if (!z)
		return vctl_errf(err, -ENOMEM, "out of memory");
	rc = vctl_raid_write(p, r, k * g->rseg_size % span_of(p, r), z, g->rseg_size, err);
	free(z);
	return rc;
}

int vctl_share_place(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		     uint64_t k, enum vctl_slot_for why, uint32_t *out, struct vctl_err *err)
{
	bool zero = why == VCTL_SLOT_NEW;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t span = (uint64_t)v->width * g->pseg_size, per = span / g->rseg_size;
	uint64_t first = k / per * per, nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	/* A free slot in an RStore of the volume's layout (not one it is
	 * being restriped away from) that it already owns part of. */
	for (uint64_t j = first; !p->st->slot_reuse_off && j < first + per && j < nrseg; j++) {
		uint32_t e = vctl_vmap_get(vm, g, j);
		if (!(e & VCTL_LMAP_RSD_MASK) || j == k)
			continue;
		uint32_t id = (e & VCTL_LMAP_RSD_MASK) - 1;
		const struct vctl_rsd *r = vctl_rsd_get(p, id);
		if (r->raid != v->raid || r->width != v->width || r->stripe != v->stripe ||
		    !reachable(p, r) || slot_busy(p, id, k))
			continue;
		int rc = zero ? zero_slot(p, id, k, err) : 0;
		if (rc < 0)
			return rc;
		vctl_rsd_ref(p, id);
		*out = id;
		return 0;
	}
	/* A new RStore, which also maps the volume's plain holes around k
	 * (as a first write to a thin volume does). */
	uint32_t id;
	int rc = vctl_rstore_new(p, v, why == VCTL_SLOT_COPY, &id, err);
	if (rc < 0)
		return rc;
	for (uint64_t j = first; j < first + per && j < nrseg; j++) {
		if (j == k || vctl_vmap_get(vm, g, j))
			continue;
		if (vctl_vmap_set(vm, g, j, id + 1) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		vctl_rsd_ref(p, id);
	}
	vctl_rsd_ref(p, id);
	*out = id;
	return 0;
}

/* Copies the data of entry `src` (an RSD, or a hole) of RSEG k into a slot
 * of volume v placed for it; returns v's new entry (flags of `keep`). */
int vctl_share_copy(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		     uint64_t k, uint32_t src, uint32_t keep, enum vctl_slot_for why,
		     struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (!(src & VCTL_LMAP_RSD_MASK))
		return vctl_vmap_set(vm, g, k, keep) < 0 ? vctl_errf(err, -ENOMEM, "out of memory")
							  : 0; /* a hole is copied as a hole */
	uint32_t id;
	int rc = vctl_share_place(p, v, vm, k, why, &id, err);
	if (rc < 0)
		return rc;
	rc = ready_to_write(p, vctl_rsd_get(p, id), err);
	if (rc < 0) {
		vctl_slot_release(p, id, k);
		return rc;
	}
	void *buf = malloc(g->rseg_size);
	const struct vctl_rsd *from = vctl_rsd_get(p, (src & VCTL_LMAP_RSD_MASK) - 1);
	const struct vctl_rsd *to = vctl_rsd_get(p, id);
	if (!buf)
		rc = vctl_errf(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = vctl_raid_read(p, from, k * g->rseg_size % span_of(p, from), buf, g->rseg_size,
				    err);
	if (rc == 0)
		rc = vctl_raid_write(p, to, k * g->rseg_size % span_of(p, to), buf, g->rseg_size,
				     err);
	free(buf);
	if (rc == 0 && vctl_vmap_set(vm, g, k, (id + 1) | keep) < 0)
		rc = vctl_errf(err, -ENOMEM, "out of memory");
	if (rc < 0) {
		vctl_slot_release(p, id, k);
		return rc;
	}
	atomic_store(&p->st->data_dirty, true);
	return 0;
}

/* The successor's entry loses Sp: its predecessor no longer reads through
 * it. On disk the predecessor still does until the next commit, so the
 * successor must not overwrite that RSEG in place before one (see
 * vctl_volume_write_at). */
static void succ_unshared(struct vctl_pool *p, struct vctl_vmap *sm, uint64_t k)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t se = vctl_vmap_get(sm, g, k);
	if (!(se & VCTL_LMAP_SP))
		return;
	vctl_vmap_set(sm, g, k, se & ~VCTL_LMAP_SP);
	p->st->sp_cleared = true;
}

void vctl_share_diverge(struct vctl_pool *p, const struct vctl_mld_volume *v,
			const struct vctl_vmap *vm, uint64_t k)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (!(v->flags & VCTL_VOL_CLONE) || !v->succ || (vctl_vmap_get(vm, g, k) & VCTL_LMAP_SS))
		return;
	struct vctl_mld_volume *sv = vctl_mld_volume_by_id(&p->mld, v->succ);
	struct vctl_vmap *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	if (!sm || k >= (sv->size + g->rseg_size - 1) / g->rseg_size)
		return;
	succ_unshared(p, sm, k);
}

static int chain_vol(const struct vctl_pool *p, uint64_t id, struct vctl_mld_volume **v,
		     struct vctl_vmap **vm, struct vctl_err *err)
{
	*v = id ? vctl_mld_volume_by_id(&p->mld, id) : NULL;
	*vm = *v ? vctl_vmap_of(p, id) : NULL;
	if (!*vm)
		return vctl_errf(err, -VCTL_E_CORRUPT, "sharing chain: volume id %llu is missing",
				 (unsigned long long)id);
	if ((*vm)->damaged)
		return vctl_errf(err, -VCTL_E_CORRUPT, "sharing chain: the map of %s is damaged",
				 (*v)->name);
	return 0;
}

/* No space for the copy a predecessor needs: the write goes ahead and the
 * predecessor loses this RSEG, so it is marked invalid, and so is every
 * older member that read the RSEG through it. Never the writer's write
 * fails for a snapshot's sake. */
static int invalidate(struct vctl_pool *p, struct vctl_mld_volume *o, struct vctl_vmap *om,
		      uint64_t k, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (vctl_vmap_set(om, g, k, vctl_vmap_get(om, g, k) & VCTL_LMAP_SP) < 0)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t n = 0; o && n <= p->mld.nvol; n++) {
		o->flags |= VCTL_VOL_INVALID;
		om = vctl_vmap_of(p, o->id);
		if (!om || !(vctl_vmap_get(om, g, k) & VCTL_LMAP_SP))
			break;
		o = vctl_share_pred(p, o);
	}
	return 0;
}

int vctl_share_unshare(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		       uint64_t k, bool keep_data, bool *commit_first, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t e = vctl_vmap_get(vm, g, k);
	struct vctl_mld_volume *o;
	struct vctl_vmap *om;
	int rc;
	if (e & VCTL_LMAP_SP) {
		/* The predecessor reads this RSEG through us: it gets its own
		 * copy of what it reads now (FIG. 11, and the second copy of
		 * FIG. 12). */
		struct vctl_mld_volume *pv = vctl_share_pred(p, v);
		if ((rc = chain_vol(p, pv ? pv->id : 0, &o, &om, err)) < 0)
			return rc;
		uint32_t pe = vctl_vmap_get(om, g, k);
		if (!(pe & VCTL_LMAP_SS)) {
			/* A snapclone that copied this RSEG already (BGCOPY): our
			 * Sp only said "unchanged since". Nothing to copy. */
			vctl_vmap_set(vm, g, k, e & ~VCTL_LMAP_SP);
			e &= ~VCTL_LMAP_SP;
			goto own;
		}
		rc = vctl_share_copy(p, o, om, k, vctl_share_resolve(p, v, vm, k), pe & VCTL_LMAP_SP, VCTL_SLOT_COPY, err);
		if (rc == -ENOSPC && keep_data)
			rc = invalidate(p, o, om, k, err);
		if (rc < 0)
			return rc;
		vctl_vmap_set(vm, g, k, e & ~VCTL_LMAP_SP);
		/* Until this is committed, the predecessor on disk still reads
		 * our slot: it must not change before. */
		if (!(e & VCTL_LMAP_SS) && (e & VCTL_LMAP_RSD_MASK) && keep_data)
			*commit_first = true;
		e &= ~VCTL_LMAP_SP;
	}
own:
	if (e & VCTL_LMAP_SS) {
		/* We read through our successor: take our own copy (FIG. 12's
		 * first), or nothing when our data is about to go anyway. */
		if ((rc = chain_vol(p, v->succ, &o, &om, err)) < 0)
			return rc;
		uint32_t src = keep_data ? vctl_share_resolve(p, v, vm, k) : 0;
		rc = vctl_share_copy(p, v, vm, k, src, 0, VCTL_SLOT_COPY, err);
		if (rc < 0)
			return rc;
		succ_unshared(p, om, k);
	}
	return 0;
}

int vctl_share_drop(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		    uint64_t k, bool leaving, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t e = vctl_vmap_get(vm, g, k);
	struct vctl_mld_volume *o;
	struct vctl_vmap *om;
	int rc;
	if (!e)
		return 0;
	if ((e & VCTL_LMAP_SP) && !(e & VCTL_LMAP_SS)) {
		/* The predecessor reads our own data: it takes over the slot
		 * (unless it is a snapclone with a copy of its own already). */
		struct vctl_mld_volume *pv = vctl_share_pred(p, v);
		if ((rc = chain_vol(p, pv ? pv->id : 0, &o, &om, err)) < 0)
			return rc;
		uint32_t pe = vctl_vmap_get(om, g, k);
		if (!(pe & VCTL_LMAP_SS)) {
			vctl_slot_release(p, (e & VCTL_LMAP_RSD_MASK) - 1, k);
			return vctl_vmap_set(vm, g, k, 0) < 0 ? vctl_errf(err, -ENOMEM, "out of memory") : 0;
		}
		if (vctl_vmap_set(om, g, k, (e & VCTL_LMAP_RSD_MASK) | (pe & VCTL_LMAP_SP)) < 0 ||
		    vctl_vmap_set(vm, g, k, 0) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		return 0;
	}
	if ((e & VCTL_LMAP_SP) && !leaving) {
		/* Sp and Ss, and we stay in the chain (a shrink): the predecessor
		 * can no longer read through this RSEG of ours. */
		bool unused = false;
		if ((rc = vctl_share_unshare(p, v, vm, k, false, &unused, err)) < 0)
			return rc;
		e = vctl_vmap_get(vm, g, k);
	} else if (e & VCTL_LMAP_SP) {
		/* Sp and Ss, and we leave: the predecessor will read through our
		 * successor, whose Sp stays set. */
		return vctl_vmap_set(vm, g, k, 0) < 0 ? vctl_errf(err, -ENOMEM, "out of memory") : 0;
	}
	if (e & VCTL_LMAP_SS) {
		if ((rc = chain_vol(p, v->succ, &o, &om, err)) < 0)
			return rc;
		succ_unshared(p, om, k);
	}
	if (e & VCTL_LMAP_RSD_MASK)
		vctl_slot_release(p, (e & VCTL_LMAP_RSD_MASK) - 1, k);
	return vctl_vmap_set(vm, g, k, 0) < 0 ? vctl_errf(err, -ENOMEM, "out of memory") : 0;
}

void vctl_share_unlink(struct vctl_pool *p, struct vctl_mld_volume *v)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_mld_volume *pv = vctl_share_pred(p, v);
	struct vctl_mld_volume *sv = v->succ ? vctl_mld_volume_by_id(&p->mld, v->succ) : NULL;
	if (pv)
		pv->succ = v->succ;
	v->succ = 0;
	/* The successor's Sp now answers to its new predecessor's Ss (a
	 * snapclone's "unchanged since the copy" marks go with it). */
	struct vctl_vmap *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	struct vctl_vmap *pm = pv ? vctl_vmap_of(p, pv->id) : NULL;
	if (!sm)
		return;
	uint64_t n = (sv->size + g->rseg_size - 1) / g->rseg_size;
	uint64_t pn = pv ? (pv->size + g->rseg_size - 1) / g->rseg_size : 0;
	for (uint64_t k = 0; k < n; k++) {
		uint32_t e = vctl_vmap_get(sm, g, k);
		bool want = pm && k < pn && (vctl_vmap_get(pm, g, k) & VCTL_LMAP_SS);
		if (!(e & VCTL_LMAP_SP) != !want)
			vctl_vmap_set(sm, g, k, want ? e | VCTL_LMAP_SP : e & ~VCTL_LMAP_SP);
	}
}

/* The PSEGs the new snapshot of v would need to hold all it shares: one
 * RStore of v's layout per span with data in it. */
static uint64_t unshare_psegs(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			      const struct vctl_vmap *vm)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width};
	uint64_t per = (uint64_t)v->width * g->pseg_size / g->rseg_size;
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size, n = 0;
	for (uint64_t first = 0; first < nrseg; first += per)
		for (uint64_t k = first; k < first + per && k < nrseg; k++)
			if (vctl_share_resolve(p, v, vm, k) & VCTL_LMAP_RSD_MASK) {
				n++;
				break;
			}
	return n * vctl_layout_members(&l);
}

int vctl_snapshot_locked(struct vctl_pool *p, const char *name, const char *snap,
			   bool reserve, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	if (!vctl_name_valid(snap))
		return vctl_errf(err, -EINVAL,
				 "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)", snap);
	if (vctl_mld_volume_by_name(&p->mld, snap))
		return vctl_errf(err, -EEXIST, "a volume named %s exists already", snap);
	struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
	if (vm->damaged)
		return vctl_errf(err, -VCTL_E_CORRUPT, "volume %s is unavailable: its map is damaged (%s)",
				 v->name, vm->damaged);
	uint64_t need = reserve ? unshare_psegs(p, v, vm) : 0;
	if (need) {
		uint64_t pseg = g->pseg_size, avail = vctl_pool_free_bytes(p) / pseg;
		char a[32], b[32];
		if (need > avail || need > UINT32_MAX)
			return vctl_errf(err, -ENOSPC,
					 "a snapshot of %s with --reserve needs %s set aside; %s is free",
					 v->name, vctl_fmt_size(need * pseg, a, sizeof(a)),
					 vctl_fmt_size(avail * pseg, b, sizeof(b)));
	}
	uint64_t vid = v->id;
	const struct vctl_mld_volume *op = vctl_share_pred(p, v);
	uint64_t opid = op ? op->id : 0;
	struct vctl_mld_volume nv = {.id = p->mld.pool.next_id, .size = v->size,
				     .created = (uint64_t)time(NULL), .origin = v->id,
				     .succ = v->id, .raid = v->raid, .width = v->width,
				     .stripe = v->stripe, .reserve = (uint32_t)need,
				     .flags = v->flags & VCTL_VOL_SEPARATE};
	snprintf(nv.name, sizeof(nv.name), "%s", snap);
	struct vctl_mld_volume *s;
	struct vctl_vmap *sm;
	int r = vctl_volume_add(p, &nv, &s, &sm, err);
	if (r < 0)
		return r;
	v = vctl_mld_volume_by_id(&p->mld, vid); /* the array may have moved */
	/* Metadata only (FIG. 9): the new predecessor shares every RSEG that
	 * is not a plain hole, and takes over the old predecessor's sharing. */
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	for (uint64_t k = 0; k < nrseg; k++) {
		uint32_t e = vctl_vmap_get(vm, g, k);
		if (!e)
			continue;
		if (vctl_vmap_set(sm, g, k, VCTL_LMAP_SS | (e & VCTL_LMAP_SP)) < 0 ||
		    vctl_vmap_set(vm, g, k, e | VCTL_LMAP_SP) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
	}
	if (opid)
		vctl_mld_volume_by_id(&p->mld, opid)->succ = s->id;
	return vctl_pool_commit(p, err);
}

int vctl_snapshot(struct vctl_pool *p, const char *name, const char *snap, bool reserve,
		  struct vctl_err *err)
{
	/* The lock held alone is the quiesce of FIG. 9: no write is in flight,
	 * and the commit makes what they wrote durable first. */
	vctl_rwlock_wr(&p->lock);
	int r = vctl_snapshot_locked(p, name, snap, reserve, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int tree_locked(const struct vctl_pool *p, const char *name, struct vctl_share_tree *t,
		       int (*fn)(void *ctx, const struct vctl_tree_run *run), void *ctx,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	/* oldest first: back to the head, then along successors */
	const struct vctl_mld_volume *h = v, *pv;
	for (uint32_t n = 0; (pv = vctl_share_pred(p, h)) && n <= p->mld.nvol; n++)
		h = pv;
	t->n = 0;
	const struct vctl_vmap *vm[VCTL_TREE_MAX];
	uint64_t nrseg[VCTL_TREE_MAX], most = 0;
	for (const struct vctl_mld_volume *s = h; s; s = vctl_mld_volume_by_id(&p->mld, s->succ)) {
		if (t->n == VCTL_TREE_MAX)
			return vctl_errf(err, -E2BIG, "the sharing chain of %s has more than %u members",
					 name, VCTL_TREE_MAX);
		vm[t->n] = vctl_vmap_of(p, s->id);
		if (!vm[t->n] || vm[t->n]->damaged)
			return vctl_errf(err, -VCTL_E_CORRUPT, "volume %s is unavailable: its map is damaged",
					 s->name);
		t->vols[t->n] = s;
		nrseg[t->n] = (s->size + g->rseg_size - 1) / g->rseg_size;
		most = nrseg[t->n] > most ? nrseg[t->n] : most;
		t->n++;
		if (!s->succ)
			break;
	}
	/* Runs of RSEGs over which every member's entry stays the same kind
	 * (same bits, same RSD or none). */
	struct vctl_tree_run run = {.n = t->n};
	uint32_t cur[VCTL_TREE_MAX];
	for (uint64_t k = 0; k <= most; k++) {
		bool differ = k == most;
		for (uint32_t i = 0; i < t->n && !differ; i++) {
			uint32_t e = k < nrseg[i] ? vctl_vmap_get(vm[i], g, k) : VCTL_TREE_ABSENT;
			differ = run.nrsegs && e != cur[i];
		}
		if (differ && run.nrsegs) {
			run.entries = cur;
			int r = fn(ctx, &run);
			if (r)
				return r;
			run.nrsegs = 0;
		}
		if (k == most)
			break;
		if (!run.nrsegs) {
			run.first_rseg = k;
			for (uint32_t i = 0; i < t->n; i++)
				cur[i] = k < nrseg[i] ? vctl_vmap_get(vm[i], g, k) : VCTL_TREE_ABSENT;
		}
		run.nrsegs++;
	}
	return 0;
}

int vctl_share_tree(const struct vctl_pool *p, const char *name, struct vctl_share_tree *t,
		    int (*fn)(void *ctx, const struct vctl_tree_run *run), void *ctx,
		    struct vctl_err *err)
{
	struct vctl_rwlock *l = (struct vctl_rwlock *)&p->lock;
	vctl_rwlock_rd(l);
	int r = tree_locked(p, name, t, fn, ctx, err);
	vctl_rwlock_unlock(l);
	return r;
}
