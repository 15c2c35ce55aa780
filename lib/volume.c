/* Creating, deleting, resizing and renaming volumes. Each call checks
 * everything first, then changes the in-memory state and commits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "array.h"
#include "gate.h"
#include "jobs.h"
#include "restripe.h"
#include "share.h"
#include "state.h"
#include "units.h"
#include "volume.h"

/* The default width: the geometry's, reduced to what the pool can hold. */
static unsigned default_width(const struct vctl_pool *p, uint8_t raid, unsigned disks)
{
	unsigned w = vctl_layout_default_width(raid, &p->mld.pool.geom);
	unsigned fit = raid == VCTL_RAID5 ? disks - 1 : raid == VCTL_RAID10 ? disks / 2 : disks;
	if (raid == VCTL_RAID1)
		return 1;
	if (w > fit)
		w = fit;
	if (raid == VCTL_RAID5 && w < 2)
		w = 2;
	return w ? w : 1;
}

static int check_size(const struct vctl_pool *p, const char *name, uint64_t size,
		      struct vctl_err *err)
{
	char a[32], b[32];
	uint64_t max = vctl_max_volume_size(&p->mld.pool.geom);
	if (size == 0)
		return vctl_errf(err, -EINVAL, "a volume cannot have size 0");
	if (size % VCTL_SECTOR)
		return vctl_errf(err, -EINVAL, "size %llu is not a multiple of 512 bytes",
				 (unsigned long long)size);
	if (size > max)
		return vctl_errf(err, -EINVAL,
				 "%s: %s is larger than the %s a volume can have with this geometry",
				 name, vctl_fmt_size(size, a, sizeof(a)),
				 vctl_fmt_size(max, b, sizeof(b)));
	return 0;
}

/* RStores needed to map [from, to) of a volume. */
static uint64_t rstores_for(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			    uint64_t from, uint64_t to)
{
	struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width};
	uint64_t rs = vctl_layout_rstore_bytes(&l, &p->mld.pool.geom);
	return to <= from ? 0 : (to - 1) / rs - from / rs + 1;
}

/* Whether the pool has room for n RStores of v's layout right now: enough
 * disks with free PSEGs, counted as the allocator would take them. */
static int check_room(const struct vctl_pool *p, const struct vctl_mld_volume *v, uint64_t n,
		      const struct vctl_mld_req *only, struct vctl_err *err)
{
	struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width};
	unsigned members = vctl_layout_members(&l);
	uint64_t free_total = 0, psegs = n * members;
	/* Each RStore takes one PSEG from `members` distinct disks; with
	 * capacity c_i per disk, n RStores fit iff sum(min(c_i, n)) >= n*m. */
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		uint32_t d = p->mld.disks[i].index;
		if (!vctl_disk_allocatable(p, d) || !vctl_req_allows(p, only, d))
			continue;
		uint64_t f = vctl_space_free_psegs(p, d);
		free_total += f < n ? f : n;
	}
	/* what snapshots reserve is not ours to take */
	if (free_total < psegs + vctl_pool_reserved_psegs(p)) {
		char a[32], b[32];
		uint64_t pseg = p->mld.pool.geom.pseg_size;
		return vctl_errf(err, -ENOSPC,
				 "not enough space: needs %s on at least %u disks, %s is usable",
				 vctl_fmt_size(psegs * pseg, a, sizeof(a)), members,
				 vctl_fmt_size(free_total * pseg, b, sizeof(b)));
	}
	return 0;
}

/* Maps every RSEG of [from, to) (a thick volume, or its growth). */
static int allocate_range(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			  uint64_t from, uint64_t to, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint64_t k = from / g->rseg_size; k * g->rseg_size < to; k++) {
		if (vctl_vmap_get(vm, g, k))
			continue;
		int r = vctl_volume_alloc_rstore(p, v, vm, k, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Drops every mapping of RSEG k and beyond; the other members of its
 * sharing chain keep their contents. */
static int unmap_from(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		      uint64_t k, uint64_t nrseg, bool leaving, struct vctl_err *err)
{
	for (; k < nrseg; k++) {
		int r = vctl_share_drop(p, v, vm, k, leaving, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int remove_record(struct vctl_pool *p, uint64_t id)
{
	struct vctl_mld *m = &p->mld;
	struct vctl_state *st = p->st;
	for (uint32_t i = 0; i < m->nvol; i++) {
		if (m->vols[i].id != id)
			continue;
		free(m->vols[i].l2);
		memmove(&m->vols[i], &m->vols[i + 1], (m->nvol - i - 1) * sizeof(*m->vols));
		m->nvol--;
		break;
	}
	for (uint32_t i = 0; i < st->nvmaps; i++) {
		if (st->vmaps[i]->vol_id != id)
			continue;
		vctl_vmap_free(st->vmaps[i], &m->pool.geom);
		memmove(&st->vmaps[i], &st->vmaps[i + 1], (st->nvmaps - i - 1) * sizeof(*st->vmaps));
		st->nvmaps--;
		break;
	}
	vctl_jobs_drop_volume(p, id); /* a restripe of it ends with it */
	vctl_req_drop(p, id);         /* and its requirement */
	return 0;
}

int vctl_volume_add(struct vctl_pool *p, const struct vctl_mld_volume *nv,
		    struct vctl_mld_volume **v, struct vctl_vmap **vm, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (p->mld.nvol >= 65536)
		return vctl_errf(err, -ENOSPC, "the pool holds the most volumes it can (65536)");
	struct vctl_vmap *m = vctl_vmap_new(nv->id, vctl_volume_lmaps(g, nv->size));
	void *nvols = realloc(p->mld.vols, (p->mld.nvol + 1) * sizeof(*p->mld.vols));
	void *nmaps = realloc(p->st->vmaps, (p->st->nvmaps + 1) * sizeof(*p->st->vmaps));
	if (nvols)
		p->mld.vols = nvols;
	if (nmaps)
		p->st->vmaps = nmaps;
	if (!m || !nvols || !nmaps) {
		vctl_vmap_free(m, g);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	p->mld.vols[p->mld.nvol++] = *nv;
	p->st->vmaps[p->st->nvmaps++] = m;
	p->mld.pool.next_id++;
	*v = &p->mld.vols[p->mld.nvol - 1];
	*vm = m;
	return 0;
}

/* The arrays for a requirement: enough disks for one RStore of the
 * layout (the smallest of its RAID type when no width is given), and for
 * --separate enclosure as many arrays as members must be apart. */
static int place(const struct vctl_pool *p, const struct vctl_volume_spec *s,
		 struct vctl_mld_req *q, struct vctl_err *err)
{
	uint8_t raid = s->raid ? s->raid : VCTL_RAID0;
	if (s->mbps > VCTL_MAX_MBPS || s->iops > VCTL_MAX_IOPS)
		return vctl_errf(err, -EINVAL, "--mbps is at most %llu, --iops at most %llu",
				 VCTL_MAX_MBPS, VCTL_MAX_IOPS);
	if (s->fit && s->fit != VCTL_FIT_BEST && s->fit != VCTL_FIT_FIRST)
		return vctl_errf(err, -EINVAL, "unknown fit %u", s->fit);
	unsigned min_width = raid == VCTL_RAID5 ? 2 : 1;
	struct vctl_rsd_layout l = {.raid = raid,
				    .width = (uint8_t)(s->width ? s->width : min_width)};
	if (raid == VCTL_RAID1)
		l.width = 1;
	unsigned members = vctl_layout_members(&l);
	unsigned apart = !s->separate ? 1 : raid == VCTL_RAID5 ? members : 2;
	return vctl_array_place(p, s->mbps, s->iops, s->fit ? s->fit : VCTL_FIT_BEST, members,
				apart, NULL, q, NULL, err);
}

static int volume_create_locked(struct vctl_pool *p, const struct vctl_volume_spec *s,
		       struct vctl_err *err)
{
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	if (!vctl_name_valid(s->name))
		return vctl_errf(err, -EINVAL,
				 "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)", s->name);
	if (vctl_mld_volume_by_name(&p->mld, s->name))
		return vctl_errf(err, -EEXIST, "a volume named %s exists already", s->name);
	int r = check_size(p, s->name, s->size, err);
	if (r < 0)
		return r;
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_rsd_layout l = {.raid = s->raid ? s->raid : VCTL_RAID0};
	if (s->width > 255)
		return vctl_errf(err, -EINVAL, "width %u is out of range", s->width);
	struct vctl_mld_req q = {0};
	bool req = s->mbps || s->iops;
	if (req && (r = place(p, s, &q, err)) < 0)
		return r;
	unsigned disks = req ? vctl_req_disks(p, &q) : vctl_usable_disks(p);
	l.width = (uint8_t)(s->width ? s->width : default_width(p, l.raid, disks));
	/* raid0 over k arrays: a width that k divides spreads every RStore
	 * evenly */
	if (req && !s->width && l.raid == VCTL_RAID0 && l.width >= q.narrays)
		l.width = (uint8_t)(l.width / q.narrays * q.narrays);
	l.stripe = s->stripe ? s->stripe
			     : (VCTL_DEFAULT_STRIPE < g->pseg_size ? VCTL_DEFAULT_STRIPE : g->pseg_size);
	r = vctl_layout_check(&l, g, err);
	if (r < 0)
		return r;
	if ((r = vctl_intent_fits(p, &l, s->separate, err)) < 0)
		return r;
	if (req && vctl_layout_members(&l) > disks)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "a %s of width %u needs %u disks; the arrays chosen for its requirement have %u usable",
				 vctl_raid_name(l.raid), l.width, vctl_layout_members(&l), disks);
	struct vctl_mld_volume nv = {
		.id = p->mld.pool.next_id, .size = s->size, .created = (uint64_t)time(NULL),
		.raid = l.raid, .width = l.width, .stripe = l.stripe,
		.flags = (s->thick ? VCTL_VOL_THICK : 0) | (s->separate ? VCTL_VOL_SEPARATE : 0)};
	snprintf(nv.name, sizeof(nv.name), "%s", s->name);
	if (s->thick && (r = check_room(p, &nv, rstores_for(p, &nv, 0, s->size), req ? &q : NULL,
					err)) < 0)
		return r;

	struct vctl_mld_volume *v;
	struct vctl_vmap *vm;
	if ((r = vctl_volume_add(p, &nv, &v, &vm, err)) < 0)
		return r;
	q.volume = nv.id;
	if (req && (r = vctl_req_add(p, &q, err)) < 0) {
		remove_record(p, nv.id);
		p->mld.pool.next_id--;
		return r;
	}
	if (s->thick && (r = allocate_range(p, v, vm, 0, v->size, err)) < 0) {
		unmap_from(p, v, vm, 0, (v->size + g->rseg_size - 1) / g->rseg_size, true, NULL);
		remove_record(p, nv.id);
		p->mld.pool.next_id--;
		return r;
	}
	return vctl_pool_commit(p, err);
}

static int volume_delete_locked(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
	const struct vctl_geom *g = &p->mld.pool.geom;
	/* Its predecessor takes over what it reads of ours, and reads through
	 * our successor what we read there: no data moves. */
	int r = unmap_from(p, v, vm, 0, (v->size + g->rseg_size - 1) / g->rseg_size, true, err);
	if (r < 0)
		return r;
	vctl_share_unlink(p, v);
	vctl_vmap_release_blocks(p, v, vm);
	/* A path to nothing is no path: its host loses access with the data. */
	vctl_paths_drop_volume(p, v->id);
	remove_record(p, v->id);
	r = vctl_pool_commit(p, err);
	vctl_gate_sync(p);
	return r;
}

static int volume_resize_locked(struct vctl_pool *p, const char *name, uint64_t size, bool force,
		       struct vctl_err *err)
{
	struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	if (!p->st)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	int r = check_size(p, name, size, err);
	if (r < 0)
		return r;
	if (size == v->size)
		return 0;
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
	uint64_t R = g->rseg_size;
	if (size < v->size) {
		char a[32], b[32];
		if (!force)
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "shrinking %s from %s to %s discards its data past the new end; use --force",
					 name, vctl_fmt_size(v->size, a, sizeof(a)),
					 vctl_fmt_size(size, b, sizeof(b)));
		/* Nothing is written: the bytes past the new end are garbage
		 * nobody can read, and a grow cleans them before showing them. */
		if ((r = vctl_dirty_first(p, v, err)) < 0)
			return r;
		if ((r = unmap_from(p, v, vm, (size + R - 1) / R, (v->size + R - 1) / R, false,
				    err)) < 0)
			return r;
		if (vctl_vmap_resize(p, vm, vctl_volume_lmaps(g, size)) < 0)
			return vctl_errf(err, -VCTL_E_INTERNAL, "LMAP past the end still in use");
		v->size = size;
		/* a snapclone's copy cursor, or a restripe's, cannot point past
		 * its end */
		if (v->cursor > (size + R - 1) / R)
			v->cursor = (size + R - 1) / R;
		struct vctl_mld_job *j = vctl_restripe_job(p, v);
		if (j && j->cursor > (size + R - 1) / R)
			j->cursor = (size + R - 1) / R;
		return vctl_pool_commit(p, err);
	}
	if ((v->flags & VCTL_VOL_THICK) &&
	    (r = check_room(p, v, rstores_for(p, v, v->size, size), vctl_mld_req_of(&p->mld, v->id),
			    err)) < 0)
		return r;
	uint64_t old = v->size;
	/* The last RSEG may hold bytes past the old end (a shrink left them):
	 * they are zeroed, and durable, before the larger size is committed. */
	uint64_t tail_end = (old + R - 1) / R * R;
	if (tail_end > size)
		tail_end = size;
	if (tail_end > old && vctl_vmap_get(vm, g, old / R)) {
		size_t n = (size_t)(tail_end - old);
		char *z = calloc(1, n);
		if (!z)
			return vctl_errf(err, -ENOMEM, "out of memory");
		r = vctl_volume_write_at(p, v, vm, z, n, old, err);
		free(z);
		if (r < 0)
			return r;
	}
	if (vctl_vmap_resize(p, vm, vctl_volume_lmaps(g, size)) < 0)
		return vctl_errf(err, -ENOMEM, "out of memory");
	v->size = size;
	if ((v->flags & VCTL_VOL_THICK) && (r = allocate_range(p, v, vm, old, size, err)) < 0) {
		unmap_from(p, v, vm, (old + R - 1) / R, (size + R - 1) / R, false, NULL);
		v->size = old;
		vctl_vmap_resize(p, vm, vctl_volume_lmaps(g, old));
		return r;
	}
	return vctl_pool_commit(p, err);
}

static int volume_rename_locked(struct vctl_pool *p, const char *from, const char *to,
		       struct vctl_err *err)
{
	struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, from);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", from);
	if (!vctl_name_valid(to))
		return vctl_errf(err, -EINVAL,
				 "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)", to);
	if (!strcmp(from, to))
		return 0;
	if (vctl_mld_volume_by_name(&p->mld, to))
		return vctl_errf(err, -EEXIST, "a volume named %s exists already", to);
	snprintf(v->name, sizeof(v->name), "%s", to);
	return vctl_pool_commit(p, err);
}

static int volume_info_locked(const struct vctl_pool *p, const char *name, struct vctl_volume_info *o,
		     struct vctl_err *err)
{
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, name);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", name);
	const struct vctl_geom *g = &p->mld.pool.geom;
	memset(o, 0, sizeof(*o));
	o->id = v->id;
	snprintf(o->name, sizeof(o->name), "%s", v->name);
	o->size = v->size;
	o->created = v->created;
	o->raid = (uint8_t)v->raid;
	o->width = v->width;
	o->stripe = v->stripe;
	o->thick = v->flags & VCTL_VOL_THICK;
	o->separate = v->flags & VCTL_VOL_SEPARATE;
	const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, v->id);
	if (q) {
		o->req_mbps = q->mbps;
		o->req_iops = q->iops;
		o->req_fit = q->fit;
		o->nreq_arrays = q->narrays;
		for (uint32_t k = 0; k < q->narrays; k++) {
			const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, q->arrays[k]);
			o->req_arrays[k] = e ? e->name : "?";
		}
	}
	const struct vctl_mld_volume *orig = v->origin ? vctl_mld_volume_by_id(&p->mld, v->origin) : NULL;
	o->origin = orig ? orig->name : NULL;
	o->invalid = v->flags & VCTL_VOL_INVALID;
	o->reserved = (uint64_t)v->reserve * g->pseg_size;
	const struct vctl_mld_volume *pv = vctl_share_pred(p, v);
	const struct vctl_mld_volume *sv = v->succ ? vctl_mld_volume_by_id(&p->mld, v->succ) : NULL;
	o->pred = pv ? pv->name : NULL;
	o->succ = sv ? sv->name : NULL;
	struct vctl_rsd_layout l = {.raid = o->raid, .width = (uint8_t)o->width};
	o->rstore_bytes = vctl_layout_rstore_bytes(&l, g);
	const struct vctl_mld_job *j = vctl_restripe_job(p, v);
	if (j) {
		o->restripe_job = j->id;
		o->restripe_from = (struct vctl_rsd_layout){.raid = (uint8_t)j->raid,
							    .width = (uint8_t)j->width,
							    .stripe = j->stripe};
		o->restripe_cursor = j->cursor;
		o->restripe_total = (v->size + g->rseg_size - 1) / g->rseg_size;
	}
	const struct vctl_vmap *vm = p->st ? vctl_vmap_of(p, v->id) : NULL;
	if (!vm)
		return 0;
	o->damaged = vm->damaged;
	o->map_bytes = vctl_vmap_bytes(vm, g);
	/* RSDs counted once each, however many RSEGs point at them */
	uint8_t *seen = calloc(p->st->nrsd / 8 + 1, 1);
	if (!seen)
		return vctl_errf(err, -ENOMEM, "out of memory");
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	for (uint32_t li = 0; li < vm->nlmaps; li++) {
		if (!vm->l2[li])
			continue; /* skip whole LMAP spans with nothing mapped */
		for (uint64_t k = (uint64_t)li * g->lmap_entries;
		     k < (uint64_t)(li + 1) * g->lmap_entries && k < nrseg; k++) {
			uint32_t ent = vctl_vmap_get(vm, g, k);
			uint64_t end = (k + 1) * g->rseg_size;
			uint64_t bytes = (end > v->size ? v->size : end) - k * g->rseg_size;
			if (ent & VCTL_LMAP_SS) {
				if (vctl_share_resolve(p, v, vm, k) & VCTL_LMAP_RSD_MASK)
					o->shared += bytes;
				continue;
			}
			if (!(ent & VCTL_LMAP_RSD_MASK))
				continue;
			if (ent & VCTL_LMAP_SP)
				o->shared += bytes;
			else
				o->exclusive += bytes;
			uint32_t id = (ent & VCTL_LMAP_RSD_MASK) - 1;
			o->allocated += bytes;
			if (bit_get(seen, id))
				continue;
			bit_set(seen, id);
			o->rstores++;
			o->stale += vctl_rsd_get(p, id)->stale != 0;
			o->map_bytes += sizeof(struct vctl_rsd) + vctl_rsd_get(p, id)->nmembers * 4u;
		}
	}
	free(seen);
	return 0;
}

int vctl_volume_create(struct vctl_pool *p, const struct vctl_volume_spec *s,
		       struct vctl_err *err)
{
	struct vctl_rwlock *l = &p->lock;
	vctl_rwlock_wr(l);
	int r = volume_create_locked(p, s, err);
	vctl_rwlock_unlock(l);
	return r;
}

int vctl_volume_delete(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	struct vctl_rwlock *l = &p->lock;
	vctl_rwlock_wr(l);
	int r = volume_delete_locked(p, name, err);
	vctl_rwlock_unlock(l);
	return r;
}

int vctl_volume_resize(struct vctl_pool *p, const char *name, uint64_t size, bool force,
		       struct vctl_err *err)
{
	struct vctl_rwlock *l = &p->lock;
	vctl_rwlock_wr(l);
	int r = volume_resize_locked(p, name, size, force, err);
	vctl_rwlock_unlock(l);
	return r;
}

int vctl_volume_rename(struct vctl_pool *p, const char *from, const char *to,
		       struct vctl_err *err)
{
	struct vctl_rwlock *l = &p->lock;
	vctl_rwlock_wr(l);
	int r = volume_rename_locked(p, from, to, err);
	vctl_rwlock_unlock(l);
	return r;
}

int vctl_volume_info(const struct vctl_pool *p, const char *name, struct vctl_volume_info *o,
		     struct vctl_err *err)
{
	struct vctl_rwlock *l = (struct vctl_rwlock *)&p->lock;
	vctl_rwlock_rd(l);
	int r = volume_info_locked(p, name, o, err);
	vctl_rwlock_unlock(l);
	return r;
}
