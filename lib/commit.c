#include <errno.h>
#include <string.h>
#include <time.h>

#include "io.h"
#include "label_io.h"
#include "load.h"
#include "pool.h"

static bool can_hold_copy(const struct vctl_pool *p, const struct vctl_mld_disk *d)
{
	const struct vctl_member *mb = p->by_index[d->index];
	return d->state == VCTL_DISK_ACTIVE && mb && mb->writable;
}

/* Drops the MLD copies of disks that are gone or failed, and returns the
 * number of copies still held. */
static uint32_t drop_lost_copies(struct vctl_pool *p)
{
	uint32_t have = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		struct vctl_mld_disk *d = &p->mld.disks[i];
		if (!(d->flags & VCTL_DISK_F_QUORUM))
			continue;
		if (can_hold_copy(p, d))
			have++;
		else
			d->flags &= ~VCTL_DISK_F_QUORUM;
	}
	return have;
}

/* The disk to give a new MLD copy: present, writable, and in the enclosure
 * holding the fewest copies. */
static struct vctl_mld_disk *pick_new_copy(struct vctl_pool *p)
{
	struct vctl_mld *m = &p->mld;
	struct vctl_mld_disk *pick = NULL;
	uint32_t pick_load = UINT32_MAX;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		if ((d->flags & VCTL_DISK_F_QUORUM) || !can_hold_copy(p, d))
			continue;
		uint32_t load = 0;
		for (uint32_t j = 0; j < m->ndisks; j++)
			if ((m->disks[j].flags & VCTL_DISK_F_QUORUM) && m->disks[j].encl == d->encl)
				load++;
		if (load < pick_load) {
			pick = d;
			pick_load = load;
		}
	}
	return pick;
}

static bool label_needs_repair(const struct vctl_member *mb, const struct vctl_label *want)
{
	if (mb->label_rc[0] || mb->label_rc[1])
		return true;
	const struct vctl_label *l = &mb->label;
	return l->flags != want->flags || strcmp(l->enclosure, want->enclosure) ||
	       l->disk_index != want->disk_index || l->pseg_count != want->pseg_count ||
	       l->disk_size != want->disk_size;
}

/* Rewrites damaged, pending or outdated labels, the damaged copy first so
 * that a valid copy exists at every moment. */
static int repair_labels(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		struct vctl_member *mb = p->by_index[d->index];
		if (!mb || !mb->writable)
			continue;
		struct vctl_label want;
		vctl_label_for_disk(m, d, mb->label.label_gen + 1, 0, &want);
		if (!label_needs_repair(mb, &want))
			continue;
		uint32_t first = mb->label_rc[1] && !mb->label_rc[0] ? 1 : 0;
		for (uint32_t k = 0; k < 2; k++) {
			uint32_t c = k ? 1 - first : first;
			int r = vctl_label_write(mb->fd, &want, c, err);
			if (r < 0)
				return vctl_err_wrap(err, "%s", mb->name);
			mb->label_rc[c] = 0;
			mb->label_why[c][0] = '\0';
		}
		mb->label = want;
	}
	return 0;
}

static int write_copy(struct vctl_pool *p, struct vctl_member *mb, size_t wlen, int slot,
		      struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	int r = 0;
	for (int s = 0; s < 2 && r == 0; s++) {
		/* The other slot only when it is damaged: otherwise it holds the
		 * previous generation, our fallback. */
		if (s != slot && mb->slot[s].state != VCTL_SLOT_DAMAGED)
			continue;
		r = vctl_io_pwrite(mb->fd, p->slotbuf, wlen, vctl_mld_slot_offset(g, s));
	}
	if (r == 0)
		r = vctl_io_flush(mb->fd);
	if (r < 0)
		return vctl_errf(err, r, "%s: writing the MLD: %s", mb->name, strerror(-r));
	for (int s = 0; s < 2; s++) {
		if (s == slot || mb->slot[s].state == VCTL_SLOT_DAMAGED) {
			mb->slot[s].state = VCTL_SLOT_VALID;
			mb->slot[s].gen = p->mld.generation;
			mb->slot[s].why[0] = '\0';
		}
	}
	return 0;
}

/* Writes one generation. `fresh` is a disk newly given a copy in this
 * generation, or NULL: it is written before every other disk, so that at
 * any moment the newest generation either exists nowhere or already sits on
 * every disk it names that has no older copy to fall back on. */
static int commit_generation(struct vctl_pool *p, struct vctl_mld_disk *fresh,
			     struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	m->generation++;
	m->timestamp = (uint64_t)time(NULL);
	size_t len = 0;
	int r = vctl_mld_validate(m, err);
	if (r == 0)
		r = vctl_mld_encode(m, p->slotbuf, m->pool.geom.mld_slot_size, &len, err);
	if (r < 0) {
		m->generation--;
		return r;
	}
	/* Whole 4 KiB blocks: the tail of a shorter copy must not linger. */
	size_t wlen = (len + 4095) & ~(size_t)4095;
	if (wlen > m->pool.geom.mld_slot_size)
		wlen = m->pool.geom.mld_slot_size;
	int slot = (int)(m->generation % 2);

	/* Every copy is written and flushed before the commit returns. */
	if (fresh && (r = write_copy(p, p->by_index[fresh->index], wlen, slot, err)) < 0)
		goto fail;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		if (!(d->flags & VCTL_DISK_F_QUORUM) || d == fresh)
			continue;
		if ((r = write_copy(p, p->by_index[d->index], wlen, slot, err)) < 0)
			goto fail;
	}
	return 0;
fail:
	p->broken = true;
	return r;
}

static int commit_locked(struct vctl_pool *p, struct vctl_err *err);

int vctl_pool_commit(struct vctl_pool *p, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = commit_locked(p, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int commit_locked(struct vctl_pool *p, struct vctl_err *err)
{
	if (!(p->flags & VCTL_OPEN_WRITE) || !p->have_mld)
		return vctl_errf(err, -VCTL_E_INTERNAL, "pool is not open for writing");
	if (p->broken)
		return vctl_errf(err, -EIO,
				 "an earlier commit failed; reopen the pool before changing it");
	/* Maps first: their blocks are new, so writing them changes nothing
	 * until the MLD generation below makes them current. */
	int r = vctl_state_sync(p, err);
	if (r < 0) {
		p->broken = true;
		return r;
	}
	uint32_t have = drop_lost_copies(p);
	struct vctl_mld_disk *fresh = have < p->mld.pool.quorum_target ? pick_new_copy(p) : NULL;
	if (have == 0 && !fresh)
		return vctl_errf(err, -EIO, "no present, writable disk can hold the MLD");
	if (fresh)
		fresh->flags |= VCTL_DISK_F_QUORUM;
	r = commit_generation(p, fresh, err);
	if (r < 0)
		return r;
	vctl_state_commit_done(p);
	/* One new copy per generation (see commit_generation); the caller's
	 * change is already durable, so these only restore redundancy. */
	while (fresh && ++have < p->mld.pool.quorum_target && (fresh = pick_new_copy(p))) {
		fresh->flags |= VCTL_DISK_F_QUORUM;
		if ((r = commit_generation(p, fresh, err)) < 0)
			return r;
	}
	r = repair_labels(p, err);
	if (r < 0)
		p->broken = true;
	return r;
}
