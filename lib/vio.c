/* The data path of a volume: L2MAP -> LMAP -> RSD -> RAID -> member disks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "load.h"
#include "raid.h"
#include "restripe.h"
#include "share.h"
#include "state.h"
#include "volume.h"

static int lookup_any(const struct vctl_pool *p, uint64_t id, struct vctl_mld_volume **v,
		      struct vctl_vmap **vm)
{
	*v = vctl_mld_volume_by_id(&p->mld, id);
	*vm = *v && p->st ? vctl_vmap_of(p, id) : NULL;
	return *v && *vm ? 0 : -ENOENT;
}

static int lookup(const struct vctl_pool *p, uint64_t id, struct vctl_mld_volume **v,
		  struct vctl_vmap **vm, struct vctl_err *err)
{
	*v = vctl_mld_volume_by_id(&p->mld, id);
	*vm = *v && p->st ? vctl_vmap_of(p, id) : NULL;
	if (!*v || !*vm)
		return vctl_errf(err, -ENOENT, "no volume with id %llu", (unsigned long long)id);
	if ((*vm)->damaged)
		return vctl_errf(err, -VCTL_E_CORRUPT, "volume %s is unavailable: its map is damaged (%s)",
				 (*v)->name, (*vm)->damaged);
	if ((*v)->flags & VCTL_VOL_INVALID)
		return vctl_errf(err, -EIO,
				 "snapshot %s is invalid: a copy on first write found no space to keep its data; delete it",
				 (*v)->name);
	return 0;
}

static struct vctl_rwlock *lock_of(const struct vctl_pool *p)
{
	return (struct vctl_rwlock *)&p->lock;
}

int vctl_volume_find(const struct vctl_pool *p, const char *name, uint64_t *id,
		     struct vctl_err *err)
{
	vctl_rwlock_rd(lock_of(p));
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (v)
		*id = v->id;
	vctl_rwlock_unlock(lock_of(p));
	return v ? 0 : vctl_errf(err, -ENOENT, "no volume named %s", name);
}

static uint64_t rstore_bytes_of(const struct vctl_pool *p, const struct vctl_rsd *r)
{
	return (uint64_t)r->width * p->mld.pool.geom.pseg_size;
}

/* The run of RSEGs from `off` that share one entry, within the RStore and
 * the request. */
static size_t run_length(const struct vctl_pool *p, const struct vctl_vmap *vm, uint64_t off,
			 size_t len, uint32_t ent)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t R = g->rseg_size, end = off + len;
	if (ent & VCTL_LMAP_FLAGS_KNOWN)
		end = (off / R + 1) * R < end ? (off / R + 1) * R : end; /* shared: one RSEG */
	else if (ent) {
		uint64_t rs = rstore_bytes_of(p, vctl_rsd_get(p, (ent & VCTL_LMAP_RSD_MASK) - 1));
		uint64_t rs_end = (off / rs + 1) * rs;
		if (rs_end < end)
			end = rs_end;
	}
	uint64_t at = (off / R + 1) * R;
	while (at < end && vctl_vmap_get(vm, g, at / R) == ent)
		at += R;
	return (size_t)((at < end ? at : end) - off);
}

static int read_locked(struct vctl_pool *p, uint64_t id, void *buf, size_t len, uint64_t off,
		       struct vctl_err *err);

int vctl_volume_read(struct vctl_pool *p, uint64_t id, void *buf, size_t len, uint64_t off,
		     struct vctl_err *err)
{
	vctl_rwlock_rd(&p->lock);
	if (p->st)
		atomic_fetch_add_explicit(&p->st->io_seq, 1, memory_order_relaxed);
	int r = read_locked(p, id, buf, len, off, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int read_locked(struct vctl_pool *p, uint64_t id, void *buf, size_t len, uint64_t off,
		       struct vctl_err *err)
{
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	int r = lookup(p, id, &v, &vm, err);
	if (r < 0)
		return r;
	if (off > v->size || len > v->size - off)
		return vctl_errf(err, -EINVAL, "read past the end of volume %s (%llu bytes)",
				 v->name, (unsigned long long)v->size);
	const struct vctl_geom *g = &p->mld.pool.geom;
	char *b = buf;
	while (len > 0) {
		uint32_t ent = vctl_vmap_get(vm, g, off / g->rseg_size);
		size_t n = run_length(p, vm, off, len, ent);
		if (ent & VCTL_LMAP_SS)
			ent = vctl_share_resolve(p, v, vm, off / g->rseg_size);
		if (!(ent & VCTL_LMAP_RSD_MASK)) {
			memset(b, 0, n);
		} else {
			const struct vctl_rsd *rsd = vctl_rsd_get(p, (ent & VCTL_LMAP_RSD_MASK) - 1);
			r = vctl_raid_read(p, rsd, off % rstore_bytes_of(p, rsd), b, n, err);
			if (r < 0)
				return vctl_err_wrap(err, "volume %s at %llu", v->name,
						     (unsigned long long)off);
		}
		off += n;
		b += n;
		len -= n;
	}
	return 0;
}


enum vctl_spread vctl_volume_spread(const struct vctl_mld_volume *v, bool *strict)
{
	*strict = v->flags & VCTL_VOL_SEPARATE;
	if (v->raid == VCTL_RAID1 || v->raid == VCTL_RAID10)
		return VCTL_SPREAD_PAIRS;
	return *strict && v->raid == VCTL_RAID5 ? VCTL_SPREAD_ALL : VCTL_SPREAD_NONE;
}

/* A new RStore in the volume's layout, its PSEGs zeroed (nothing a deleted
 * volume left there can be read), with no reference yet. */
int vctl_rstore_new(struct vctl_pool *p, struct vctl_mld_volume *v, bool copy, uint32_t *id,
		    struct vctl_err *err)
{
	struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width,
				    .stripe = v->stripe};
	unsigned n = vctl_layout_members(&l);
	uint32_t members[VCTL_RSD_MAX_MEMBERS];
	/* Reserves stay free, but for a copy on first write into the volume
	 * that holds one: what --reserve set aside is for its copies only. */
	uint64_t mine = copy ? v->reserve : 0;
	uint64_t others = vctl_pool_reserved_psegs(p) - mine, avail = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		if (vctl_disk_allocatable(p, p->mld.disks[i].index))
			avail += vctl_space_free_psegs(p, p->mld.disks[i].index);
	if (others && avail < others + n) /* else the allocator names the shortfall */
		return vctl_errf(err, -ENOSPC,
				 "no space: %llu PSEGs are free and %llu of them are reserved for snapshots",
				 (unsigned long long)avail, (unsigned long long)others);
	/* Metadata first: the commit that records this RStore must find room
	 * even if the data fills the pool. */
	int r = vctl_meta_reserve(p, vctl_meta_need(p) + VCTL_META_SLOP, err);
	if (r < 0)
		return r;
	bool strict;
	enum vctl_spread spread = vctl_volume_spread(v, &strict);
	/* a volume with a requirement stays on the arrays chosen for it */
	const struct vctl_mld_req *only = vctl_mld_req_of(&p->mld, v->id);
	r = vctl_space_alloc_rss(p, n, spread, strict, l.raid != VCTL_RAID0, only, members,
				 &l.rss, err);
	if (r == -VCTL_E_REFUSED)
		vctl_err_wrap(err, strict ? "volume %s, --separate enclosure" : "volume %s", v->name);
	if (r < 0)
		return r;
	/* Zeroed before an RSD exists: a failure here leaves nothing that a
	 * later commit could persist without a reference. */
	r = vctl_space_zero(p, members, n, err);
	if (r == 0)
		r = vctl_rsd_new(p, &l, members, id, err);
	if (r < 0) {
		for (unsigned k = 0; k < n; k++)
			vctl_space_release(p, members[k]);
		return r;
	}
	/* born degraded (see vctl_space_alloc_rss): never read, rebuilt */
	struct vctl_rsd *rsd = p->st->rsd[*id];
	for (unsigned k = 0; k < n; k++)
		if (!vctl_disk_usable(p, vctl_member_disk(members[k])))
			rsd->stale |= (uint16_t)(1u << k);
	v->reserve -= (uint32_t)(mine < n ? mine : n);
	return 0;
}

/* Allocates the RStore covering `rseg` and maps every plain hole of the
 * volume in it (entries that share nothing). */
int vctl_volume_alloc_rstore(struct vctl_pool *p, struct vctl_mld_volume *v,
			     struct vctl_vmap *vm, uint64_t rseg, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t id;
	int r = vctl_rstore_new(p, v, false, &id, err);
	if (r < 0)
		return r;
	uint64_t per = (uint64_t)v->width * g->pseg_size / g->rseg_size;
	uint64_t first = rseg / per * per;
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	for (uint64_t k = first; k < first + per && k < nrseg; k++) {
		if (vctl_vmap_get(vm, g, k))
			continue;
		if (vctl_vmap_set(vm, g, k, id + 1) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		vctl_rsd_ref(p, id);
	}
	return 0;
}

/* Before a write reaches redundant RStores, two things may need to be
 * durable first, in one commit made before this write allocates anything
 * (so that no RStore it allocates is published before its data is
 * written):
 *  - the pool's DIRTY mark: a crash in the middle of a mirrored or parity
 *    write leaves the RStore out of step, and the next open for writing
 *    resyncs every such RStore; a clean close clears the mark;
 *  - a stale mark on each member the write cannot reach (its disk is
 *    missing or failed): reads never trust that member again until it is
 *    rebuilt, even when its disk comes back. Other RStores on the disk are
 *    not affected. */
/* Sets what must be durable before a write reaches RStore `id` (DIRTY, and
 * the stale mark of members it cannot reach); true if anything changed. */
/* Sets the pool's DIRTY mark; true if it was not set. */
static bool set_dirty(struct vctl_pool *p)
{
	if (p->mld.pool.flags & VCTL_POOL_DIRTY)
		return false;
	p->mld.pool.flags |= VCTL_POOL_DIRTY;
	p->st->marked_dirty = true;
	return true;
}

static bool mark_for_write(struct vctl_pool *p, uint32_t id)
{
	struct vctl_rsd *r = vctl_rsd_get(p, id);
	if (r->raid == VCTL_RAID0)
		return false;
	bool changed = set_dirty(p);
	uint16_t add = 0;
	for (unsigned m = 0; m < r->nmembers; m++)
		if (!(r->stale & (1u << m)) && !vctl_raid_reachable(p, r, m))
			add |= (uint16_t)(1u << m);
	if (add) {
		r->stale |= add;
		vctl_rsd_dirty(p, id);
		changed = true;
	}
	return changed;
}

int vctl_dirty_first(struct vctl_pool *p, const struct vctl_mld_volume *v, struct vctl_err *err)
{
	return v->raid != VCTL_RAID0 && set_dirty(p) ? vctl_pool_commit(p, err) : 0;
}

static int prepare_write(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			 uint64_t off, size_t len, struct vctl_err *err)
{
	if (v->raid == VCTL_RAID0)
		return 0;
	const struct vctl_geom *g = &p->mld.pool.geom;
	bool changed = set_dirty(p);
	for (uint64_t k = off / g->rseg_size; len && k * g->rseg_size < off + len; k++) {
		uint32_t ent = vctl_vmap_get(vm, g, k);
		if (ent & VCTL_LMAP_RSD_MASK)
			changed |= mark_for_write(p, (ent & VCTL_LMAP_RSD_MASK) - 1);
	}
	return changed ? vctl_pool_commit(p, err) : 0;
}

/* Writes without the bounds check: resize uses it to clean the part of the
 * last RSEG past the end before exposing it. */
int vctl_volume_write_at(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			 const void *buf, size_t len, uint64_t off, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const char *b = buf;
	int r = prepare_write(p, v, vm, off, len, err);
	if (r < 0)
		return r;
	/* A predecessor took its own copy of an RSEG of ours since the last
	 * commit (sp_cleared): on disk it still reads through our slot, which
	 * this write may overwrite in place, so a commit goes first (found by
	 * tests/stress). Not when this very write set the flag: then ours is
	 * the predecessor's side, and its data goes to the new copy. */
	bool unshared_before = p->st->sp_cleared;
	/* Copy on first write, for every RSEG first: one commit then covers
	 * the copies whose originals this write is about to change. */
	bool commit_first = false;
	for (uint64_t k = off / g->rseg_size; len && k * g->rseg_size < off + len; k++) {
		vctl_share_diverge(p, v, vm, k);
		if (!(vctl_vmap_get(vm, g, k) & VCTL_LMAP_FLAGS_KNOWN))
			continue;
		r = vctl_share_unshare(p, v, vm, k, true, &commit_first, err);
		if (r < 0)
			return vctl_err_wrap(err, "volume %s: copy on first write", v->name);
	}
	if ((commit_first || unshared_before) && (r = vctl_pool_commit(p, err)) < 0)
		return r;
	/* Restriped meanwhile: RSEGs still in the old layout move first, so
	 * that the copy they are in stays as it was (FIG. 7). With no space
	 * for the move, the write goes to the copy; the background transfer
	 * moves it later. */
	if (vctl_restripe_job(p, v)) {
		uint64_t R = g->rseg_size, end = off + len;
		for (uint64_t k = off / R; len && k * R < end; k++) {
			if (!vctl_restripe_pending(p, v, vm, k))
				continue;
			bool whole = off <= k * R && (end >= (k + 1) * R || end >= v->size);
			r = vctl_restripe_transfer(p, v, vm, k, whole, err);
			if (r < 0 && r != -ENOSPC)
				return vctl_err_wrap(err, "volume %s: moving RSEG %llu to its new layout",
						     v->name, (unsigned long long)k);
		}
	}
	while (len > 0) {
		uint64_t rseg = off / g->rseg_size;
		uint32_t ent = vctl_vmap_get(vm, g, rseg);
		if (!ent) {
			uint32_t id;
			r = vctl_share_place(p, v, vm, rseg, VCTL_SLOT_NEW, &id, err);
			if (r == 0 && vctl_vmap_set(vm, g, rseg, id + 1) < 0) {
				vctl_rsd_unref(p, id);
				r = vctl_errf(err, -ENOMEM, "out of memory");
			}
			if (r < 0)
				return vctl_err_wrap(err, "volume %s", v->name);
			ent = id + 1;
		}
		size_t n = run_length(p, vm, off, len, ent);
		const struct vctl_rsd *rsd = vctl_rsd_get(p, (ent & VCTL_LMAP_RSD_MASK) - 1);
		r = vctl_raid_write(p, rsd, off % rstore_bytes_of(p, rsd), b, n, err);
		if (r < 0)
			return vctl_err_wrap(err, "volume %s at %llu", v->name,
					     (unsigned long long)off);
		off += n;
		b += n;
		len -= n;
	}
	return 0;
}

/* Whether a write can go ahead under the pool lock held for reading:
 * everything it touches is mapped, and nothing must be committed first. */
static bool write_ready(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			const struct vctl_vmap *vm, uint64_t off, size_t len)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	bool redundant = v->raid != VCTL_RAID0;
	if (redundant && !(p->mld.pool.flags & VCTL_POOL_DIRTY))
		return false;
	/* a snapclone being copied: its successor's marks may change */
	if (v->flags & VCTL_VOL_CLONE)
		return false;
	if (p->st->sp_cleared)
		return false;
	bool moving = vctl_restripe_job(p, v) != NULL;
	for (uint64_t k = off / g->rseg_size; len && k * g->rseg_size < off + len; k++) {
		uint32_t ent = vctl_vmap_get(vm, g, k);
		if (!(ent & VCTL_LMAP_RSD_MASK) || (ent & VCTL_LMAP_FLAGS_KNOWN))
			return false;
		const struct vctl_rsd *r = vctl_rsd_get(p, (ent & VCTL_LMAP_RSD_MASK) - 1);
		if (moving && (r->width != v->width || r->stripe != v->stripe || r->raid != v->raid))
			return false; /* moves to the new layout first */
		for (unsigned m = 0; redundant && m < r->nmembers; m++)
			if (!(r->stale & (1u << m)) && !vctl_raid_reachable(p, r, m))
				return false;
	}
	return true;
}

static int write_locked(struct vctl_pool *p, uint64_t id, const void *buf, size_t len,
			uint64_t off, bool need_ready, struct vctl_err *err)
{
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	int r = lookup(p, id, &v, &vm, err);
	if (r < 0)
		return r;
	if (off > v->size || len > v->size - off)
		return vctl_errf(err, -ENOSPC, "write past the end of volume %s (%llu bytes)",
				 v->name, (unsigned long long)v->size);
	if (need_ready && !write_ready(p, v, vm, off, len))
		return 1; /* take the lock to write, then try again */
	return vctl_volume_write_at(p, v, vm, buf, len, off, err);
}

int vctl_volume_write(struct vctl_pool *p, uint64_t id, const void *buf, size_t len,
		      uint64_t off, struct vctl_err *err)
{
	/* Most writes land in mapped space: they share the lock with reads
	 * and other writes (RAID5 rows have their own locks). Allocation and
	 * the commits before a write take it alone. */
	vctl_rwlock_rd(&p->lock);
	if (p->st)
		atomic_fetch_add_explicit(&p->st->io_seq, 1, memory_order_relaxed);
	int r = write_locked(p, id, buf, len, off, true, err);
	vctl_rwlock_unlock(&p->lock);
	if (r != 1)
		return r;
	vctl_rwlock_wr(&p->lock);
	r = write_locked(p, id, buf, len, off, false, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int map_walk_locked(const struct vctl_pool *p, uint64_t id,
			   int (*fn)(void *ctx, const struct vctl_map_run *run), void *ctx);

int vctl_volume_map_walk(const struct vctl_pool *p, uint64_t id,
			 int (*fn)(void *ctx, const struct vctl_map_run *run), void *ctx)
{
	vctl_rwlock_rd(lock_of(p));
	int r = map_walk_locked(p, id, fn, ctx);
	vctl_rwlock_unlock(lock_of(p));
	return r;
}

static int map_walk_locked(const struct vctl_pool *p, uint64_t id,
			   int (*fn)(void *ctx, const struct vctl_map_run *run), void *ctx)
{
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	int r = lookup_any(p, id, &v, &vm);
	if (r < 0)
		return r;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	struct vctl_map_run run = {0};
	for (uint64_t k = 0; k < nrseg; k++) {
		uint32_t ent = vctl_vmap_get(vm, g, k);
		/* a new run at a change of entry, and at each RStore boundary */
		bool boundary = false;
		if ((ent & VCTL_LMAP_RSD_MASK) && run.nrsegs) {
			uint64_t per = rstore_bytes_of(p, vctl_rsd_get(p, (ent & VCTL_LMAP_RSD_MASK) - 1)) /
				       g->rseg_size;
			boundary = k % per == 0;
		}
		if (run.nrsegs && (ent != run.entry || boundary)) {
			if ((r = fn(ctx, &run)) != 0)
				return r;
			run.nrsegs = 0;
		}
		if (!run.nrsegs) {
			run.first_rseg = k;
			run.entry = ent;
		}
		run.nrsegs++;
	}
	return run.nrsegs ? fn(ctx, &run) : 0;
}

int vctl_rsd_describe(const struct vctl_pool *p, uint32_t id, struct vctl_rsd_info *o)
{
	vctl_rwlock_rd(lock_of(p));
	const struct vctl_rsd *r = p->st ? vctl_rsd_get(p, id) : NULL;
	if (!r) {
		vctl_rwlock_unlock(lock_of(p));
		return -ENOENT;
	}
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->raid = r->raid;
	o->width = r->width;
	o->nmembers = r->nmembers;
	o->rss = r->rss;
	o->stripe = r->stripe;
	o->refs = r->refs;
	for (unsigned k = 0; k < r->nmembers; k++) {
		o->disk[k] = vctl_member_disk(r->m[k]);
		o->pseg[k] = vctl_member_pseg(r->m[k]);
	}
	vctl_rwlock_unlock(lock_of(p));
	return 0;
}

int vctl_volume_lmap_walk(const struct vctl_pool *p, uint64_t id,
			  int (*fn)(void *ctx, uint32_t index, uint64_t block, uint32_t used),
			  void *ctx)
{
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	vctl_rwlock_rd(lock_of(p));
	int r = lookup_any(p, id, &v, &vm);
	for (uint32_t li = 0; r == 0 && li < vm->nlmaps; li++) {
		if (!vm->l2[li])
			continue;
		const struct vctl_lmap *lm = vm->lmaps[vm->l2[li] - 1];
		r = fn(ctx, li, lm->addr, lm->used);
	}
	vctl_rwlock_unlock(lock_of(p));
	return r;
}

/* Unmaps every RSEG wholly inside [off, off+len) of a thin volume: its
 * RStore goes back to the pool when nothing else points at it. */
static int unmap_whole(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		       uint64_t off, uint64_t len, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t R = g->rseg_size, end = off + len;
	/* a last RSEG cut short by the volume's end counts as whole */
	uint64_t vend = (v->size + R - 1) / R * R;
	if (end == v->size)
		end = vend;
	for (uint64_t k = (off + R - 1) / R; (k + 1) * R <= end; k++) {
		uint32_t ent = vctl_vmap_get(vm, g, k);
		if (!ent)
			continue;
		bool unused = false;
		vctl_share_diverge(p, v, vm, k);
		/* the others keep what they read; ours becomes a hole */
		int r = vctl_share_unshare(p, v, vm, k, false, &unused, err);
		if (r < 0)
			return r;
		ent = vctl_vmap_get(vm, g, k);
		if (vctl_vmap_set(vm, g, k, 0) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		if (ent & VCTL_LMAP_RSD_MASK)
			vctl_slot_release(p, (ent & VCTL_LMAP_RSD_MASK) - 1, k);
	}
	return 0;
}

int vctl_volume_trim(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
		     struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	int r = lookup(p, id, &v, &vm, err);
	if (r == 0 && (off > v->size || len > v->size - off))
		r = vctl_errf(err, -EINVAL, "trim past the end of volume %s", v->name);
	/* a thick volume keeps its space: trimming it is a hint we ignore */
	if (r == 0 && !(v->flags & VCTL_VOL_THICK) && (r = vctl_dirty_first(p, v, err)) == 0)
		r = unmap_whole(p, v, vm, off, len, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_volume_zero(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
		     bool may_trim, bool fast, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t R = g->rseg_size;
	int r = lookup(p, id, &v, &vm, err);
	if (r == 0 && (off > v->size || len > v->size - off))
		r = vctl_errf(err, -ENOSPC, "zeroing past the end of volume %s", v->name);
	bool unmap = r == 0 && may_trim && !(v->flags & VCTL_VOL_THICK);
	if (unmap)
		r = vctl_dirty_first(p, v, err);
	/* Whole RSEGs of a thin volume become holes; the rest is written,
	 * skipping what is unmapped already (it reads as zeros). */
	uint64_t end = off + len;
	for (uint64_t at = off; r == 0 && at < end;) {
		uint64_t k = at / R, next = (k + 1) * R < end ? (k + 1) * R : end;
		bool whole = at == k * R && (next == (k + 1) * R || next == v->size);
		if (!(vctl_share_resolve(p, v, vm, k) & VCTL_LMAP_RSD_MASK)) {
			at = next; /* reads as zeros already */
			continue;
		}
		if (whole && unmap) {
			r = unmap_whole(p, v, vm, at, next - at, err);
		} else if (fast) {
			r = vctl_errf(err, -ENOTSUP, "zeroing part of an RSEG is not fast");
		} else {
			static const char zeros[65536];
			for (uint64_t w = at; r == 0 && w < next;) {
				size_t n = next - w < sizeof(zeros) ? (size_t)(next - w) : sizeof(zeros);
				r = vctl_volume_write_at(p, v, vm, zeros, n, w, err);
				w += n;
			}
		}
		at = next;
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_volume_extents(struct vctl_pool *p, uint64_t id, uint64_t len, uint64_t off,
			int (*emit)(void *ctx, uint64_t length, bool hole), void *ctx,
			struct vctl_err *err)
{
	vctl_rwlock_rd(&p->lock);
	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t R = g->rseg_size;
	int r = lookup(p, id, &v, &vm, err);
	uint64_t end = r == 0 ? (off + len > v->size ? v->size : off + len) : 0;
	for (uint64_t at = off; r == 0 && at < end;) {
		bool hole = !(vctl_share_resolve(p, v, vm, at / R) & VCTL_LMAP_RSD_MASK);
		uint64_t next = (at / R + 1) * R;
		/* extend over RSEGs of the same kind */
		while (next < end && !(vctl_share_resolve(p, v, vm, next / R) & VCTL_LMAP_RSD_MASK) == hole)
			next += R;
		if (next > end)
			next = end;
		if (emit(ctx, next - at, hole))
			break;
		at = next;
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_pool_sync(struct vctl_pool *p, struct vctl_err *err)
{
	/* Commit only when maps changed; else data is all there is to flush,
	 * which needs no lock. */
	vctl_rwlock_rd(&p->lock);
	bool pending = vctl_state_pending(p);
	vctl_rwlock_unlock(&p->lock);
	if (pending)
		return vctl_pool_commit(p, err);
	return vctl_pool_flush(p, err);
}
