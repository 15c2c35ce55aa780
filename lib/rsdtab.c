/* The RSD table: RStore descriptors by id, persisted in RSD blocks (a
 * fixed number of slots each) reached through RSD directory blocks. An RSD
 * lives as long as some LMAP entry points at it; its PSEGs are freed with
 * it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/bytes.h"
#include "state.h"

static int grow_blocks(struct vctl_state *st, uint32_t nblocks, uint32_t per)
{
	if (nblocks <= st->rsd_blocks_cap)
		return 0;
	uint32_t cap = st->rsd_blocks_cap ? st->rsd_blocks_cap : 4;
	while (cap < nblocks)
		cap *= 2;
	uint64_t *a = realloc(st->rsd_block_addr, cap * sizeof(*a));
	if (a)
		st->rsd_block_addr = a;
	uint8_t *d = realloc(st->rsd_block_dirty, cap);
	if (d)
		st->rsd_block_dirty = d;
	struct vctl_rsd **r = realloc(st->rsd, (size_t)cap * per * sizeof(*r));
	if (r)
		st->rsd = r;
	if (!a || !d || !r)
		return -ENOMEM;
	memset(a + st->rsd_blocks_cap, 0, (cap - st->rsd_blocks_cap) * sizeof(*a));
	memset(d + st->rsd_blocks_cap, 0, cap - st->rsd_blocks_cap);
	memset(r + (size_t)st->rsd_blocks_cap * per, 0,
	       (size_t)(cap - st->rsd_blocks_cap) * per * sizeof(*r));
	st->rsd_blocks_cap = cap;
	return 0;
}

static struct vctl_rsd *rsd_alloc(const struct vctl_rsd_layout *l, unsigned n,
				  const uint32_t *members)
{
	struct vctl_rsd *r = malloc(sizeof(*r) + n * sizeof(uint32_t));
	if (!r)
		return NULL;
	r->raid = l->raid;
	r->width = l->width;
	r->rss = l->rss;
	r->stripe = l->stripe;
	r->nmembers = (uint8_t)n;
	r->refs = 0;
	r->stale = 0;
	r->pad = 0;
	memcpy(r->m, members, n * sizeof(uint32_t));
	return r;
}

int vctl_rsd_load(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t per = vctl_mblock_rsds(g), per_dir = vctl_mblock_addrs(g);
	uint32_t nblocks = p->mld.rsd_blocks;
	if ((uint64_t)nblocks * per > VCTL_MAX_RSDS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "RSD table of %u blocks is too large", nblocks);
	/* Each RSD block and directory block is a block of its own in the
	 * metadata space (address 0 is none): checked before the table's
	 * arrays are sized by a count that could ask for gigabytes. */
	if (nblocks && (uint64_t)nblocks + p->mld.ndirs >= st->nmblocks)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "RSD table of %u blocks and %u directory blocks does not fit the "
				 "metadata space of %llu blocks",
				 nblocks, p->mld.ndirs, (unsigned long long)st->nmblocks);
	if (grow_blocks(st, nblocks, per) < 0)
		return vctl_errf(err, -ENOMEM, "out of memory");
	st->nrsd_blocks = nblocks;
	st->nrsd = nblocks * per;
	uint8_t *buf = st->mbuf;
	struct vctl_mblock_hdr h;
	for (uint32_t d = 0; d < p->mld.ndirs; d++) {
		uint64_t addr = p->mld.dirs[d];
		int r = vctl_meta_read(p, addr, VCTL_T_RSDDIR, buf, &h, err);
		if (r == 0)
			r = vctl_meta_mark_used(p, addr, "RSD directory", err);
		if (r < 0)
			return r;
		uint32_t want = nblocks - d * per_dir < per_dir ? nblocks - d * per_dir : per_dir;
		if (h.index != d || h.count != want)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "RSD directory block %llu: index %llu count %u, expected %u and %u",
					 (unsigned long long)addr, (unsigned long long)h.index,
					 h.count, d, want);
		for (uint32_t i = 0; i < want; i++) {
			uint64_t a = vctl_get64(vctl_mblock_payload(buf) + 8 * i);
			if (!a)
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "RSD directory block %llu: RSD block %u has no address",
						 (unsigned long long)addr, d * per_dir + i);
			st->rsd_block_addr[d * per_dir + i] = a;
		}
	}
	for (uint32_t b = 0; b < nblocks; b++) {
		uint64_t addr = st->rsd_block_addr[b];
		int r = vctl_meta_read(p, addr, VCTL_T_RSDS, buf, &h, err);
		if (r == 0)
			r = vctl_meta_mark_used(p, addr, "RSD block", err);
		if (r < 0)
			return r;
		if (h.index != b)
			return vctl_errf(err, -VCTL_E_CORRUPT, "RSD block %llu says it is number %llu, not %u",
					 (unsigned long long)addr, (unsigned long long)h.index, b);
		uint32_t used = 0;
		for (uint32_t s = 0; s < per; s++) {
			struct vctl_rsd_rec rec;
			struct vctl_err e;
			uint32_t id = b * per + s;
			if (vctl_rsd_decode(vctl_mblock_payload(buf) + s * VCTL_RSD_SLOT, g, &rec, &e) < 0)
				return vctl_errf(err, -VCTL_E_CORRUPT, "RSD %u (block %llu): %s", id,
						 (unsigned long long)addr, e.msg);
			if (!rec.layout.raid)
				continue;
			used++;
			st->rsd[id] = rsd_alloc(&rec.layout, rec.nmembers, rec.members);
			if (!st->rsd[id])
				return vctl_errf(err, -ENOMEM, "out of memory");
			st->rsd[id]->stale = rec.stale;
			for (unsigned k = 0; k < rec.nmembers; k++) {
				char what[32];
				snprintf(what, sizeof(what), "RSD %u", id);
				r = vctl_space_claim(p, vctl_member_disk(rec.members[k]),
						     vctl_member_pseg(rec.members[k]), what, err);
				if (r < 0)
					return r;
			}
		}
		if (used != h.count)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "RSD block %llu counts %u RSDs and holds %u",
					 (unsigned long long)addr, h.count, used);
	}
	return 0;
}

int vctl_rsd_new(struct vctl_pool *p, const struct vctl_rsd_layout *l, const uint32_t *members,
		 uint32_t *id, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	uint32_t per = vctl_mblock_rsds(&p->mld.pool.geom);
	uint32_t i = st->rsd_free_hint;
	while (i < st->nrsd && st->rsd[i])
		i++;
	if (i >= st->nrsd) {
		if ((uint64_t)(st->nrsd_blocks + 1) * per > VCTL_MAX_RSDS)
			return vctl_errf(err, -ENOSPC, "the RSD table is full");
		if (grow_blocks(st, st->nrsd_blocks + 1, per) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		i = st->nrsd;
		st->nrsd_blocks++;
		st->nrsd += per;
		st->dirs_dirty = true;
	}
	st->rsd[i] = rsd_alloc(l, vctl_layout_members(l), members);
	if (!st->rsd[i])
		return vctl_errf(err, -ENOMEM, "out of memory");
	vctl_rsd_dirty(p, i);
	st->rsd_free_hint = i + 1;
	*id = i;
	return 0;
}

void vctl_rsd_dirty(struct vctl_pool *p, uint32_t id)
{
	struct vctl_state *st = p->st;
	uint32_t b = id / vctl_mblock_rsds(&p->mld.pool.geom);
	if (!st->rsd_block_dirty[b]) {
		st->rsd_block_dirty[b] = 1;
		st->ndirty_rsd_blocks++;
	}
}

void vctl_rsd_ref(struct vctl_pool *p, uint32_t id)
{
	p->st->rsd[id]->refs++;
}

void vctl_rsd_unref(struct vctl_pool *p, uint32_t id)
{
	struct vctl_state *st = p->st;
	struct vctl_rsd *r = st->rsd[id];
	if (--r->refs)
		return;
	for (unsigned k = 0; k < r->nmembers; k++)
		vctl_space_release(p, r->m[k]);
	free(r);
	vctl_rsd_dirty(p, id);
	st->rsd[id] = NULL;
	if (id < st->rsd_free_hint)
		st->rsd_free_hint = id;
}

/* Writes every changed RSD block, then the directory if any block moved. */
int vctl_rsd_sync(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t per = vctl_mblock_rsds(g), per_dir = vctl_mblock_addrs(g);
	uint8_t *buf = st->mbuf;
	for (uint32_t b = 0; b < st->nrsd_blocks; b++) {
		if (!st->rsd_block_dirty[b])
			continue;
		memset(buf, 0, g->mblock_size);
		uint32_t used = 0;
		for (uint32_t s = 0; s < per; s++) {
			const struct vctl_rsd *r = st->rsd[b * per + s];
			if (!r)
				continue;
			struct vctl_rsd_rec rec = {
				.layout = {.raid = r->raid, .width = r->width, .rss = r->rss,
					   .stripe = r->stripe},
				.nmembers = r->nmembers, .stale = r->stale};
			memcpy(rec.members, r->m, r->nmembers * sizeof(uint32_t));
			vctl_rsd_encode(&rec, vctl_mblock_payload(buf) + s * VCTL_RSD_SLOT);
			used++;
		}
		struct vctl_mblock_hdr h = {.type = VCTL_T_RSDS, .index = b, .count = used};
		uint64_t addr;
		int r = vctl_meta_write_new(p, buf, &h, &addr, err);
		if (r < 0)
			return r;
		vctl_meta_release(p, st->rsd_block_addr[b]);
		st->rsd_block_addr[b] = addr;
		st->rsd_block_dirty[b] = 0;
		st->dirs_dirty = true;
	}
	st->ndirty_rsd_blocks = 0;
	if (!st->dirs_dirty)
		return 0;
	uint32_t ndirs = (st->nrsd_blocks + per_dir - 1) / per_dir;
	uint64_t *dirs = calloc(ndirs ? ndirs : 1, sizeof(*dirs));
	if (!dirs)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t d = 0; d < ndirs; d++) {
		memset(buf, 0, g->mblock_size);
		uint32_t n = st->nrsd_blocks - d * per_dir < per_dir ? st->nrsd_blocks - d * per_dir
								     : per_dir;
		for (uint32_t i = 0; i < n; i++)
			vctl_put64(vctl_mblock_payload(buf) + 8 * i, st->rsd_block_addr[d * per_dir + i]);
		struct vctl_mblock_hdr h = {.type = VCTL_T_RSDDIR, .index = d, .count = n};
		int r = vctl_meta_write_new(p, buf, &h, &dirs[d], err);
		if (r < 0) {
			free(dirs);
			return r;
		}
	}
	for (uint32_t d = 0; d < p->mld.ndirs; d++)
		vctl_meta_release(p, p->mld.dirs[d]);
	free(p->mld.dirs);
	p->mld.dirs = dirs;
	p->mld.ndirs = ndirs;
	p->mld.rsd_blocks = st->nrsd_blocks;
	st->dirs_dirty = false;
	return 0;
}
