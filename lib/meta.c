/* The metadata space: fixed-size blocks in extents of one PSEG, each
 * extent mirrored on up to three disks (one per enclosure when possible),
 * listed in the MLD. Blocks are written copy-on-write: a new version goes
 * to a free block, and the old one is freed only once the commit that
 * stops using it is durable. Which blocks are in use is rebuilt at open by
 * walking the maps, so nothing can leak. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "state.h"

static int cmp_meta(const void *a, const void *b)
{
	const struct vctl_mld_meta *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

int vctl_meta_init(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	/* Extents are found by index: keep them in index order. */
	if (p->mld.nmeta)
		qsort(p->mld.meta, p->mld.nmeta, sizeof(*p->mld.meta), cmp_meta);
	st->nmblocks = (uint64_t)p->mld.nmeta * vctl_meta_blocks_per_extent(g);
	st->mused = calloc(st->nmblocks / 8 + 1, 1);
	if (!st->mused)
		return vctl_errf(err, -ENOMEM, "out of memory");
	bit_set(st->mused, 0); /* address 0 means "none" */
	st->mhint = 1;
	st->mfree = st->nmblocks ? st->nmblocks - 1 : 0;
	for (uint32_t i = 0; i < p->mld.nmeta; i++) {
		const struct vctl_mld_meta *e = &p->mld.meta[i];
		for (uint32_t k = 0; k < e->ncopies; k++) {
			char what[64];
			snprintf(what, sizeof(what), "metadata extent %u", e->index);
			int r = vctl_space_claim(p, e->disk[k], e->pseg[k], what, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

uint64_t vctl_meta_disk_offset(const struct vctl_pool *p, uint64_t addr, unsigned copy,
			       uint32_t *disk)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t per = vctl_meta_blocks_per_extent(g);
	const struct vctl_mld_meta *e = &p->mld.meta[addr / per];
	*disk = e->disk[copy];
	return g->quorum_size + (uint64_t)e->pseg[copy] * g->pseg_size +
	       (addr % per) * g->mblock_size;
}

static unsigned copies_of(const struct vctl_pool *p, uint64_t addr)
{
	return p->mld.meta[addr / vctl_meta_blocks_per_extent(&p->mld.pool.geom)].ncopies;
}

int vctl_meta_read(struct vctl_pool *p, uint64_t addr, uint16_t type, uint8_t *buf,
		   struct vctl_mblock_hdr *h, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (addr == 0 || addr >= p->st->nmblocks)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s at block %llu: outside the metadata space",
				 vctl_mblock_type_name(type), (unsigned long long)addr);
	struct vctl_err first = {0};
	unsigned n = copies_of(p, addr);
	/* The first good copy wins; `vctl check` compares all of them. A
	 * stale copy missed writes and is never read. */
	uint32_t stale = p->mld.meta[addr / vctl_meta_blocks_per_extent(g)].stale;
	for (unsigned c = 0; c < n; c++) {
		uint32_t disk;
		uint64_t off = vctl_meta_disk_offset(p, addr, c, &disk);
		struct vctl_member *m = p->by_index[disk];
		struct vctl_err e = {0};
		int r;
		if (stale & (1u << c)) {
			r = vctl_errf(&e, -EIO, "copy %u is stale", c);
		} else if (!m) {
			r = vctl_errf(&e, -EIO, "disk %u is missing", disk);
		} else {
			long long got = vctl_io_pread(m->fd, buf, g->mblock_size, off);
			if (got != (long long)g->mblock_size)
				r = vctl_errf(&e, got < 0 ? (int)got : -EIO, "%s: short read", m->name);
			else
				r = vctl_mblock_check(buf, g, type, p->mld.pool.uuid, addr, 0, h, &e);
		}
		if (r == 0)
			return 0;
		if (!first.code)
			first = e;
	}
	return vctl_errf(err, first.code ? first.code : -EIO, "%s", first.msg);
}

int vctl_meta_mark_used(struct vctl_pool *p, uint64_t addr, const char *what,
			struct vctl_err *err)
{
	if (addr == 0 || addr >= p->st->nmblocks)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s at block %llu: outside the metadata space",
				 what, (unsigned long long)addr);
	if (bit_get(p->st->mused, addr))
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s at block %llu: the block is used twice",
				 what, (unsigned long long)addr);
	bit_set(p->st->mused, addr);
	p->st->mfree--;
	return 0;
}

/* One more extent: a PSEG on up to three disks, one per enclosure. */
static int grow(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	unsigned usable = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		usable += vctl_disk_allocatable(p, p->mld.disks[i].index);
	unsigned n = usable < VCTL_META_MAX_COPIES ? usable : VCTL_META_MAX_COPIES;
	if (n == 0)
		return vctl_errf(err, -EIO, "no usable disk for metadata");
	uint32_t members[VCTL_META_MAX_COPIES];
	int r = vctl_space_alloc(p, n, VCTL_SPREAD_ALL, members, err);
	if (r < 0)
		return vctl_err_wrap(err, "growing the metadata space");
	/* On failure the pool is left broken by the caller; the arrays may
	 * be larger than needed, never inconsistent. */
	void *nm = realloc(p->mld.meta, (p->mld.nmeta + 1) * sizeof(*p->mld.meta));
	if (!nm)
		return vctl_errf(err, -ENOMEM, "out of memory");
	p->mld.meta = nm;
	uint32_t per = vctl_meta_blocks_per_extent(&p->mld.pool.geom);
	uint64_t nblocks = st->nmblocks + per;
	uint8_t *nu = realloc(st->mused, nblocks / 8 + 1);
	if (!nu)
		return vctl_errf(err, -ENOMEM, "out of memory");
	memset(nu + st->nmblocks / 8 + 1, 0, nblocks / 8 - st->nmblocks / 8);
	st->mused = nu;
	struct vctl_mld_meta *e = &p->mld.meta[p->mld.nmeta];
	memset(e, 0, sizeof(*e));
	e->index = p->mld.nmeta++;
	e->ncopies = n;
	for (unsigned k = 0; k < n; k++) {
		e->disk[k] = vctl_member_disk(members[k]);
		e->pseg[k] = vctl_member_pseg(members[k]);
	}
	st->mhint = st->nmblocks;
	st->nmblocks = nblocks;
	st->mfree += per;
	/* the new extent's address 0 is only reserved in extent 0 */
	return 0;
}

static int alloc_block(struct vctl_pool *p, uint64_t *addr, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	for (int round = 0; round < 2; round++) {
		for (uint64_t i = 0; i < st->nmblocks; i++) {
			uint64_t b = (st->mhint + i) % st->nmblocks;
			if (!bit_get(st->mused, b)) {
				bit_set(st->mused, b);
				st->mhint = b + 1;
				st->mfree--;
				*addr = b;
				return 0;
			}
		}
		int r = grow(p, err);
		if (r < 0)
			return r;
	}
	return vctl_errf(err, -VCTL_E_INTERNAL, "metadata space grew but has no free block");
}

int vctl_meta_write_new(struct vctl_pool *p, uint8_t *buf, struct vctl_mblock_hdr *h,
			uint64_t *addr, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	int r = alloc_block(p, addr, err);
	if (r < 0)
		return r;
	h->addr = *addr;
	h->txg = p->mld.generation + 1;
	memcpy(h->pool_uuid, p->mld.pool.uuid, 16);
	vctl_mblock_seal(buf, g, h);
	unsigned n = copies_of(p, *addr), written = 0;
	struct vctl_mld_meta *e = &p->mld.meta[*addr / vctl_meta_blocks_per_extent(g)];
	for (unsigned c = 0; c < n; c++) {
		uint32_t disk;
		uint64_t off = vctl_meta_disk_offset(p, *addr, c, &disk);
		/* A copy that cannot take the write is marked stale in the MLD
		 * committed with this block: reads skip it until a resync. */
		if ((e->stale & (1u << c)) || !vctl_disk_usable(p, disk)) {
			e->stale |= 1u << c;
			continue;
		}
		struct vctl_member *m = p->by_index[disk];
		r = vctl_io_pwrite(m->fd, buf, g->mblock_size, off);
		if (r < 0)
			return vctl_errf(err, r, "%s: writing metadata block %llu: %s", m->name,
					 (unsigned long long)*addr, strerror(-r));
		written++;
	}
	if (!written)
		return vctl_errf(err, -EIO, "metadata block %llu: every copy's disk is missing",
				 (unsigned long long)*addr);
	p->st->meta_dirty = true;
	return 0;
}

void vctl_meta_release(struct vctl_pool *p, uint64_t addr)
{
	struct vctl_state *st = p->st;
	if (!addr)
		return;
	if (st->nmfree == st->mfree_cap) {
		uint32_t cap = st->mfree_cap ? 2 * st->mfree_cap : 64;
		uint64_t *np = realloc(st->mfree_pending, cap * sizeof(*np));
		if (!np)
			return; /* stays in use until the next open */
		st->mfree_pending = np;
		st->mfree_cap = cap;
	}
	st->mfree_pending[st->nmfree++] = addr;
}

void vctl_meta_commit_done(struct vctl_pool *p)
{
	struct vctl_state *st = p->st;
	for (uint32_t i = 0; i < st->nmfree; i++) {
		if (bit_get(st->mused, st->mfree_pending[i])) {
			bit_clr(st->mused, st->mfree_pending[i]);
			st->mfree++;
		}
	}
	st->nmfree = 0;
}

uint64_t vctl_meta_need(const struct vctl_pool *p)
{
	const struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t n = st->ndirty_rsd_blocks;
	/* any moved RSD block rewrites the directory, as big as the table needs */
	if (st->ndirty_rsd_blocks || st->dirs_dirty)
		n += (st->nrsd_blocks + vctl_mblock_addrs(g)) / vctl_mblock_addrs(g);
	/* each volume with a changed LMAP rewrites it and its L2MAP blocks */
	for (uint32_t i = 0; i < st->nvmaps; i++) {
		const struct vctl_vmap *vm = st->vmaps[i];
		if (vm && (vm->ndirty || vm->l2_dirty))
			n += vm->ndirty + vctl_volume_l2_blocks(g, p->mld.vols[i].size);
	}
	return n;
}

int vctl_meta_reserve(struct vctl_pool *p, uint64_t need, struct vctl_err *err)
{
	while (p->st->mfree < need) {
		int r = grow(p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void vctl_meta_drop_copy(struct vctl_pool *p, uint32_t index, unsigned c)
{
	struct vctl_mld_meta *e = &p->mld.meta[index];
	vctl_space_release(p, vctl_member(e->disk[c], e->pseg[c]));
	for (unsigned o = c; o + 1 < e->ncopies; o++) {
		e->disk[o] = e->disk[o + 1];
		e->pseg[o] = e->pseg[o + 1];
	}
	e->ncopies--;
	e->disk[e->ncopies] = e->pseg[e->ncopies] = 0;
	e->stale = (e->stale & ((1u << c) - 1)) | ((e->stale >> (c + 1)) << c);
}
