/* The sharing half of `vctl check`: the share-bit invariants of source
 * 002 [0095] and the ownership of RStore slots (lib/share.c). */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "share.h"
#include "state.h"

/* Sp of every RSEG equals Ss of the predecessor's, and neither points past
 * the other volume's end. */
static int check_bits(const struct vctl_pool *p, const struct vctl_mld_volume *v,
		      struct vctl_check_report *rep)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
	const struct vctl_mld_volume *pv = vctl_share_pred(p, v);
	const struct vctl_vmap *pm = pv ? vctl_vmap_of(p, pv->id) : NULL;
	if (!vm || vm->damaged || (pm && pm->damaged))
		return 0; /* reported as damaged already */
	uint64_t n = (v->size + g->rseg_size - 1) / g->rseg_size;
	uint64_t pn = pv ? (pv->size + g->rseg_size - 1) / g->rseg_size : 0;
	uint64_t bad = 0, first = 0;
	for (uint64_t k = 0; k < (n > pn ? n : pn); k++) {
		bool sp = k < n && (vctl_vmap_get(vm, g, k) & VCTL_LMAP_SP);
		bool ss = pm && k < pn && (vctl_vmap_get(pm, g, k) & VCTL_LMAP_SS);
		/* a snapclone's copy: Sp stays set to say "unchanged since" */
		bool copied = pv && (pv->flags & VCTL_VOL_CLONE) && sp && !ss;
		if (sp != ss && !copied && !bad++)
			first = k;
	}
	if (!bad)
		return 0;
	if (!pv)
		return vctl_check_add(rep, "volume %s: %llu RSEGs (the first %llu) are marked shared with a predecessor it does not have",
				      v->name, (unsigned long long)bad, (unsigned long long)first);
	return vctl_check_add(rep, "volumes %s and %s: share bits disagree on %llu RSEGs (the first %llu): Sp of %s must equal Ss of %s",
			      pv->name, v->name, (unsigned long long)bad, (unsigned long long)first,
			      v->name, pv->name);
}

/* Every slot of an RStore has at most one owner, and all of an RStore's
 * owners map it at the same place (one aligned region of RSEGs). */
static int check_slots(const struct vctl_pool *p, struct vctl_check_report *rep)
{
	const struct vctl_state *st = p->st;
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint64_t *region = malloc((st->nrsd ? st->nrsd : 1) * sizeof(*region));
	uint8_t **used = calloc(st->nrsd ? st->nrsd : 1, sizeof(*used));
	int r = region && used ? 0 : -ENOMEM;
	for (uint32_t id = 0; region && id < st->nrsd; id++)
		region[id] = UINT64_MAX;
	for (uint32_t i = 0; r == 0 && i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		const struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
		if (!vm || vm->damaged)
			continue;
		uint64_t n = (v->size + g->rseg_size - 1) / g->rseg_size;
		for (uint64_t k = 0; r == 0 && k < n; k++) {
			uint32_t e = vctl_vmap_get(vm, g, k);
			if (!(e & VCTL_LMAP_RSD_MASK))
				continue;
			uint32_t id = (e & VCTL_LMAP_RSD_MASK) - 1;
			const struct vctl_rsd *rsd = vctl_rsd_get(p, id);
			uint64_t per = (uint64_t)rsd->width * g->pseg_size / g->rseg_size;
			if (region[id] == UINT64_MAX) {
				region[id] = k / per;
				used[id] = calloc(per / 8 + 1, 1);
				if (!used[id]) {
					r = -ENOMEM;
					break;
				}
			}
			if (region[id] != k / per) {
				r = vctl_check_add(rep, "volume %s: RSEG %llu maps RSD %u, which other RSEGs map at another place",
						   v->name, (unsigned long long)k, id);
				continue;
			}
			if (bit_get(used[id], k % per)) {
				r = vctl_check_add(rep, "volume %s: RSEG %llu uses slot %llu of RSD %u, which another entry uses too",
						   v->name, (unsigned long long)k,
						   (unsigned long long)(k % per), id);
				continue;
			}
			bit_set(used[id], k % per);
		}
	}
	for (uint32_t id = 0; used && id < st->nrsd; id++)
		free(used[id]);
	free(used);
	free(region);
	return r;
}

int vctl_check_sharing(const struct vctl_pool *p, struct vctl_check_report *rep)
{
	int r = 0;
	for (uint32_t i = 0; r == 0 && i < p->mld.nvol; i++) {
		r = check_bits(p, &p->mld.vols[i], rep);
		if (r == 0 && (p->mld.vols[i].flags & VCTL_VOL_INVALID))
			r = vctl_check_note(rep, "snapshot %s is invalid (a copy on first write found no space); delete it",
					    p->mld.vols[i].name);
	}
	return r < 0 ? r : check_slots(p, rep);
}
