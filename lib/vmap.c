/* A volume's map: the L2MAP (one entry per LMAP span) and its LMAPs (one
 * 32-bit entry per RSEG: RSD id + 1 and the share bits). In memory the
 * LMAP entries sit in 256-entry chunks allocated on first use; on disk
 * each LMAP is one metadata block and the L2MAP is a few L2 blocks listed
 * in the volume's MLD record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/bytes.h"
#include "state.h"

struct vctl_vmap *vctl_vmap_new(uint64_t vol_id, uint32_t nlmaps)
{
	struct vctl_vmap *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->vol_id = vol_id;
	vm->nlmaps = nlmaps;
	vm->l2 = calloc(nlmaps ? nlmaps : 1, sizeof(*vm->l2));
	if (!vm->l2) {
		free(vm);
		return NULL;
	}
	return vm;
}

static void lmap_free(struct vctl_lmap *lm, const struct vctl_geom *g)
{
	if (!lm)
		return;
	for (uint32_t c = 0; c < vctl_lmap_chunks(g); c++)
		free(lm->chunk[c]);
	free(lm);
}

void vctl_vmap_free(struct vctl_vmap *vm, const struct vctl_geom *g)
{
	if (!vm)
		return;
	free(vm->damaged);
	for (uint32_t i = 0; i < vm->nlm; i++)
		lmap_free(vm->lmaps[i], g);
	free(vm->lmaps);
	free(vm->l2);
	free(vm);
}

static struct vctl_lmap *lmap_of(const struct vctl_vmap *vm, uint32_t li)
{
	return li < vm->nlmaps && vm->l2[li] ? vm->lmaps[vm->l2[li] - 1] : NULL;
}

uint32_t vctl_vmap_get(const struct vctl_vmap *vm, const struct vctl_geom *g, uint64_t rseg)
{
	const struct vctl_lmap *lm = lmap_of(vm, (uint32_t)(rseg / g->lmap_entries));
	if (!lm)
		return 0;
	uint32_t e = (uint32_t)(rseg % g->lmap_entries);
	const uint32_t *ch = lm->chunk[e / VCTL_CHUNK];
	return ch ? ch[e % VCTL_CHUNK] : 0;
}

/* Finds or makes the LMAP object of LMAP number li. */
static struct vctl_lmap *lmap_make(struct vctl_vmap *vm, const struct vctl_geom *g, uint32_t li)
{
	struct vctl_lmap *lm = lmap_of(vm, li);
	if (lm)
		return lm;
	/* reuse a hole left by an emptied LMAP */
	uint32_t slot = vm->nlm;
	for (uint32_t i = 0; i < vm->nlm; i++)
		if (!vm->lmaps[i]) {
			slot = i;
			break;
		}
	if (slot == vm->nlm) {
		struct vctl_lmap **np = realloc(vm->lmaps, (vm->nlm + 1) * sizeof(*np));
		if (!np)
			return NULL;
		vm->lmaps = np;
		vm->lmaps[vm->nlm++] = NULL;
	}
	lm = calloc(1, sizeof(*lm) + vctl_lmap_chunks(g) * sizeof(uint32_t *));
	if (!lm)
		return NULL;
	vm->lmaps[slot] = lm;
	vm->l2[li] = slot + 1;
	return lm;
}

int vctl_vmap_set(struct vctl_vmap *vm, const struct vctl_geom *g, uint64_t rseg,
		  uint32_t entry)
{
	uint32_t li = (uint32_t)(rseg / g->lmap_entries);
	if (li >= vm->nlmaps)
		return -ERANGE;
	if (!entry && !lmap_of(vm, li))
		return 0;
	struct vctl_lmap *lm = lmap_make(vm, g, li);
	if (!lm)
		return -ENOMEM;
	uint32_t e = (uint32_t)(rseg % g->lmap_entries);
	uint32_t **ch = &lm->chunk[e / VCTL_CHUNK];
	if (!*ch) {
		if (!entry)
			return 0;
		*ch = calloc(VCTL_CHUNK, sizeof(uint32_t));
		if (!*ch)
			return -ENOMEM;
	}
	uint32_t old = (*ch)[e % VCTL_CHUNK];
	if (old == entry)
		return 0;
	lm->used += (entry != 0) - (old != 0);
	(*ch)[e % VCTL_CHUNK] = entry;
	if (!lm->dirty) {
		lm->dirty = true;
		vm->ndirty++;
	}
	return 0;
}

int vctl_vmap_resize(struct vctl_pool *p, struct vctl_vmap *vm, uint32_t nlmaps)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	/* On a shrink the caller has unmapped every entry past the end: the
	 * LMAPs there are empty, and their blocks are freed with the commit. */
	for (uint32_t li = nlmaps; li < vm->nlmaps; li++) {
		struct vctl_lmap *lm = lmap_of(vm, li);
		if (!lm)
			continue;
		if (lm->used)
			return -EBUSY;
		vctl_meta_release(p, lm->addr);
		if (lm->dirty)
			vm->ndirty--;
		vm->lmaps[vm->l2[li] - 1] = NULL;
		lmap_free(lm, g);
		vm->l2_dirty = true;
	}
	if (nlmaps > vm->nlmaps) {
		uint32_t *nl = realloc(vm->l2, nlmaps * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		memset(nl + vm->nlmaps, 0, (nlmaps - vm->nlmaps) * sizeof(*nl));
		vm->l2 = nl;
	}
	if (nlmaps != vm->nlmaps)
		vm->l2_dirty = true;
	vm->nlmaps = nlmaps;
	return 0;
}

uint64_t vctl_vmap_bytes(const struct vctl_vmap *vm, const struct vctl_geom *g)
{
	uint64_t n = sizeof(*vm) + (uint64_t)vm->nlmaps * sizeof(*vm->l2) +
		     (uint64_t)vm->nlm * sizeof(*vm->lmaps);
	for (uint32_t i = 0; i < vm->nlm; i++) {
		const struct vctl_lmap *lm = vm->lmaps[i];
		if (!lm)
			continue;
		n += sizeof(*lm) + vctl_lmap_chunks(g) * sizeof(uint32_t *);
		for (uint32_t c = 0; c < vctl_lmap_chunks(g); c++)
			if (lm->chunk[c])
				n += VCTL_CHUNK * sizeof(uint32_t);
	}
	return n;
}

struct vctl_vmap *vctl_vmap_of(const struct vctl_pool *p, uint64_t vol_id)
{
	for (uint32_t i = 0; i < p->st->nvmaps; i++)
		if (p->st->vmaps[i]->vol_id == vol_id)
			return p->st->vmaps[i];
	return NULL;
}

static int load_lmap(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		     uint32_t li, uint64_t addr, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint8_t *buf = p->st->mbuf;
	struct vctl_mblock_hdr h;
	char what[128];
	snprintf(what, sizeof(what), "volume %s LMAP %u", v->name, li);
	/* Claimed before it is read: a damaged LMAP's block must not be
	 * handed out again while its volume waits for repair. */
	int r = vctl_meta_mark_used(p, addr, what, err);
	if (r == 0)
		r = vctl_meta_read(p, addr, VCTL_T_LMAP, buf, &h, err);
	if (r < 0)
		return vctl_err_wrap(err, "%s", what);
	if (h.owner != v->id || h.index != li)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "%s: block %llu belongs to volume id %llu LMAP %llu",
				 what, (unsigned long long)addr, (unsigned long long)h.owner,
				 (unsigned long long)h.index);
	struct vctl_lmap *lm = lmap_make(vm, g, li);
	if (!lm)
		return vctl_errf(err, -ENOMEM, "out of memory");
	lm->addr = addr;
	uint64_t first = (uint64_t)li * g->lmap_entries;
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	for (uint32_t e = 0; e < g->lmap_entries; e++) {
		uint32_t ent = vctl_get32(vctl_mblock_payload(buf) + 4 * e);
		if (!ent)
			continue;
		if (first + e >= nrseg)
			return vctl_errf(err, -VCTL_E_CORRUPT, "%s: entry %u lies past the volume's end",
					 what, e);
		if (ent & ~(VCTL_LMAP_RSD_MASK | VCTL_LMAP_FLAGS_KNOWN))
			return vctl_errf(err, -VCTL_E_CORRUPT, "%s: entry %u has unknown flags %#x",
					 what, e, ent);
		/* Ss: the data is the successor's, so no RSD of our own */
		if ((ent & VCTL_LMAP_SS) && (ent & VCTL_LMAP_RSD_MASK))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "%s: entry %u is shared with the successor and names an RSD",
					 what, e);
		if ((ent & VCTL_LMAP_SS) && !v->succ)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "%s: entry %u is shared with a successor the volume does not have",
					 what, e);
		uint32_t id = (ent & VCTL_LMAP_RSD_MASK) - 1;
		if ((ent & VCTL_LMAP_RSD_MASK) && !vctl_rsd_get(p, id))
			return vctl_errf(err, -VCTL_E_CORRUPT, "%s: entry %u points at RSD %u, which does not exist",
					 what, e, id);
		if (vctl_vmap_set(vm, g, first + e, ent) < 0)
			return vctl_errf(err, -ENOMEM, "out of memory");
		if (ent & VCTL_LMAP_RSD_MASK)
			vctl_rsd_ref(p, id);
	}
	if (lm->used != h.count)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s: counts %u entries and holds %u", what,
				 h.count, lm->used);
	lm->dirty = false;
	vm->ndirty = 0;
	return 0;
}

int vctl_vmap_load(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap **out,
		   struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t per = vctl_mblock_addrs(g);
	struct vctl_vmap *vm = vctl_vmap_new(v->id, vctl_volume_lmaps(g, v->size));
	if (!vm)
		return vctl_errf(err, -ENOMEM, "out of memory");
	*out = vm;
	/* The L2 blocks are read into a separate buffer: loading an LMAP
	 * reuses the scratch block. */
	uint8_t *l2buf = malloc(g->mblock_size);
	if (!l2buf)
		return vctl_errf(err, -ENOMEM, "out of memory");
	/* On damage, loading goes on: every block the map reaches is still
	 * claimed, so nothing of it is overwritten before it can be repaired;
	 * the first error is what the volume reports. */
	int r = 0;
	for (uint32_t k = 0; k < v->nl2; k++) {
		if (!v->l2[k])
			continue;
		struct vctl_mblock_hdr h;
		struct vctl_err e = {0};
		char what[128];
		snprintf(what, sizeof(what), "volume %s L2MAP block %u", v->name, k);
		int rk = vctl_meta_mark_used(p, v->l2[k], what, &e);
		if (rk == 0)
			rk = vctl_meta_read(p, v->l2[k], VCTL_T_L2, l2buf, &h, &e);
		if (rk < 0) {
			vctl_err_wrap(&e, "%s", what);
		} else {
			uint32_t want = vm->nlmaps - k * per < per ? vm->nlmaps - k * per : per;
			if (h.owner != v->id || h.index != k || h.count != want)
				rk = vctl_errf(&e, -VCTL_E_CORRUPT,
					       "%s: block %llu is owned by %llu as number %llu with %u entries",
					       what, (unsigned long long)v->l2[k],
					       (unsigned long long)h.owner,
					       (unsigned long long)h.index, h.count);
			for (uint32_t i = 0; rk == 0 && i < want; i++) {
				uint64_t a = vctl_get64(vctl_mblock_payload(l2buf) + 8 * i);
				struct vctl_err le = {0};
				if (a && load_lmap(p, v, vm, k * per + i, a, &le) < 0 && r == 0) {
					r = le.code ? le.code : -VCTL_E_CORRUPT;
					if (err)
						*err = le;
				}
			}
		}
		if (rk < 0 && r == 0) {
			r = rk;
			if (err)
				*err = e;
		}
		if (rk == -ENOMEM)
			break;
	}
	free(l2buf);
	return r;
}

/* Writes the changed LMAPs of a volume, then its L2 blocks if any LMAP
 * moved. */
int vctl_vmap_sync(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
		   struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint8_t *buf = p->st->mbuf;
	for (uint32_t li = 0; li < vm->nlmaps; li++) {
		struct vctl_lmap *lm = lmap_of(vm, li);
		if (!lm || !lm->dirty)
			continue;
		vctl_meta_release(p, lm->addr);
		lm->addr = 0;
		lm->dirty = false;
		vm->ndirty--;
		vm->l2_dirty = true;
		if (!lm->used) {
			/* emptied: the LMAP goes away */
			vm->lmaps[vm->l2[li] - 1] = NULL;
			vm->l2[li] = 0;
			lmap_free(lm, g);
			continue;
		}
		memset(buf, 0, g->mblock_size);
		for (uint32_t c = 0; c < vctl_lmap_chunks(g); c++) {
			if (!lm->chunk[c])
				continue;
			for (uint32_t i = 0; i < VCTL_CHUNK && c * VCTL_CHUNK + i < g->lmap_entries; i++)
				vctl_put32(vctl_mblock_payload(buf) + 4 * (c * VCTL_CHUNK + i),
					   lm->chunk[c][i]);
		}
		struct vctl_mblock_hdr h = {.type = VCTL_T_LMAP, .owner = v->id, .index = li,
					    .count = lm->used};
		int r = vctl_meta_write_new(p, buf, &h, &lm->addr, err);
		if (r < 0)
			return r;
	}
	if (!vm->l2_dirty && v->nl2 == vctl_volume_l2_blocks(g, v->size))
		return 0;
	uint32_t per = vctl_mblock_addrs(g), nl2 = vctl_volume_l2_blocks(g, v->size);
	uint64_t *l2 = calloc(nl2 ? nl2 : 1, sizeof(*l2));
	if (!l2)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t k = 0; k < nl2; k++) {
		uint32_t n = vm->nlmaps - k * per < per ? vm->nlmaps - k * per : per;
		bool any = false;
		memset(buf, 0, g->mblock_size);
		for (uint32_t i = 0; i < n; i++) {
			struct vctl_lmap *lm = lmap_of(vm, k * per + i);
			if (lm && lm->addr) {
				vctl_put64(vctl_mblock_payload(buf) + 8 * i, lm->addr);
				any = true;
			}
		}
		if (!any)
			continue; /* an L2 block with no LMAP is not written at all */
		struct vctl_mblock_hdr h = {.type = VCTL_T_L2, .owner = v->id, .index = k, .count = n};
		int r = vctl_meta_write_new(p, buf, &h, &l2[k], err);
		if (r < 0) {
			free(l2);
			return r;
		}
	}
	for (uint32_t k = 0; k < v->nl2; k++)
		vctl_meta_release(p, v->l2[k]);
	free(v->l2);
	v->l2 = l2;
	v->nl2 = nl2;
	vm->l2_dirty = false;
	return 0;
}

void vctl_vmap_release_blocks(struct vctl_pool *p, const struct vctl_mld_volume *v,
			      struct vctl_vmap *vm)
{
	for (uint32_t li = 0; li < vm->nlmaps; li++) {
		struct vctl_lmap *lm = lmap_of(vm, li);
		if (lm)
			vctl_meta_release(p, lm->addr);
	}
	for (uint32_t k = 0; k < v->nl2; k++)
		vctl_meta_release(p, v->l2[k]);
}
