/* Loading an open pool's maps: the metadata space, the RSD table, every
 * volume's map; PSEG usage and RSD reference counts follow from them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "load.h"
#include "state.h"

void vctl_state_free(struct vctl_pool *p)
{
	struct vctl_state *st = p->st;
	if (!st)
		return;
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint32_t i = 0; i < st->nrsd; i++)
		free(st->rsd[i]);
	free(st->rsd);
	free(st->slot_freed);
	free(st->rsd_block_addr);
	free(st->rsd_block_dirty);
	for (uint32_t i = 0; i < st->nvmaps; i++)
		vctl_vmap_free(st->vmaps[i], g);
	free(st->vmaps);
	free(st->mused);
	free(st->mfree_pending);
	for (uint32_t i = 0; i < VCTL_MAX_DISKS; i++)
		free(st->pused[i]);
	free(st->pfree_pending);
	free(st->mbuf);
	for (int i = 0; i < VCTL_STRIPE_LOCKS; i++)
		pthread_mutex_destroy(&st->stripe_lock[i]);
	free(st);
	p->st = NULL;
}

int vctl_state_load(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = calloc(1, sizeof(*st));
	if (!st)
		return vctl_errf(err, -ENOMEM, "out of memory");
	p->st = st;
	for (int i = 0; i < VCTL_STRIPE_LOCKS; i++)
		pthread_mutex_init(&st->stripe_lock[i], NULL);
	st->mbuf = malloc(p->mld.pool.geom.mblock_size);
	st->vmaps = calloc(p->mld.nvol ? p->mld.nvol : 1, sizeof(*st->vmaps));
	if (!st->mbuf || !st->vmaps)
		return vctl_errf(err, -ENOMEM, "out of memory");
	int r = vctl_space_init(p, err);
	if (r == 0)
		r = vctl_meta_init(p, err);
	if (r == 0)
		r = vctl_rsd_load(p, err);
	/* A damaged map takes down its volume, not the pool. */
	for (uint32_t i = 0; i < p->mld.nvol && r == 0; i++) {
		struct vctl_err verr = {0};
		int rv = vctl_vmap_load(p, &p->mld.vols[i], &st->vmaps[i], &verr);
		if (st->vmaps[i])
			st->nvmaps = i + 1;
		if (rv == -ENOMEM || !st->vmaps[i])
			r = vctl_errf(err, -ENOMEM, "out of memory");
		else if (rv < 0) {
			st->vmaps[i]->damaged = strdup(verr.msg);
			st->ndamaged++;
		}
	}
	return r;
}

int vctl_pool_flush(struct vctl_pool *p, struct vctl_err *err)
{
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		struct vctl_member *m = p->by_index[p->mld.disks[i].index];
		if (!m || !m->writable)
			continue;
		int r = vctl_io_flush(m->fd);
		if (r < 0)
			return vctl_errf(err, r, "%s: flush: %s", m->name, strerror(-r));
	}
	if (p->st)
		p->st->data_dirty = p->st->meta_dirty = false;
	return 0;
}

int vctl_state_sync(struct vctl_pool *p, struct vctl_err *err)
{
	if (!p->st)
		return 0;
	int r = vctl_meta_reserve(p, vctl_meta_need(p), err);
	if (r == 0)
		r = vctl_rsd_sync(p, err);
	for (uint32_t i = 0; i < p->mld.nvol && r == 0; i++) {
		struct vctl_mld_volume *v = &p->mld.vols[i];
		struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
		if (vm)
			r = vctl_vmap_sync(p, v, vm, err);
	}
	/* Data and the new metadata blocks reach stable storage before the
	 * MLD generation that points at them. */
	if (r == 0 && (p->st->data_dirty || p->st->meta_dirty))
		r = vctl_pool_flush(p, err);
	return r;
}

void vctl_state_commit_done(struct vctl_pool *p)
{
	if (!p->st)
		return;
	vctl_space_commit_done(p);
	vctl_meta_commit_done(p);
	p->st->nslot_freed = 0;
	p->st->slot_reuse_off = false;
	p->st->sp_cleared = false;
}

bool vctl_state_pending(const struct vctl_pool *p)
{
	const struct vctl_state *st = p->st;
	if (!st)
		return false;
	if (st->ndirty_rsd_blocks || st->dirs_dirty || st->npfree || st->nmfree)
		return true;
	for (uint32_t i = 0; i < st->nvmaps; i++)
		if (st->vmaps[i] && (st->vmaps[i]->ndirty || st->vmaps[i]->l2_dirty))
			return true;
	return false;
}
