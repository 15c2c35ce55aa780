#include <errno.h>
#include <string.h>
#include <time.h>

#include "io.h"
#include "label_io.h"
#include "pool.h"

/* Keeps pool.quorum_target MLD copies on present, active, writable disks,
 * spread over enclosures: a copy whose disk is gone or failed is dropped
 * and another disk promoted, preferring enclosures holding fewest copies. */
static int keep_quorum(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	uint32_t have = 0;
	for (uint32_t i = 0; i < m->ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		if (!(d->flags & VCTL_DISK_F_QUORUM))
			continue;
		struct vctl_member *mb = p->by_index[d->index];
		if (d->state != VCTL_DISK_ACTIVE || !mb || !mb->writable)
			d->flags &= ~VCTL_DISK_F_QUORUM;
		else
			have++;
	}
	while (have < m->pool.quorum_target) {
		struct vctl_mld_disk *pick = NULL;
		uint32_t pick_load = UINT32_MAX;
		for (uint32_t i = 0; i < m->ndisks; i++) {
			struct vctl_mld_disk *d = &m->disks[i];
			struct vctl_member *mb = p->by_index[d->index];
			if ((d->flags & VCTL_DISK_F_QUORUM) || d->state != VCTL_DISK_ACTIVE ||
			    !mb || !mb->writable)
				continue;
			uint32_t load = 0;
			for (uint32_t j = 0; j < m->ndisks; j++)
				if ((m->disks[j].flags & VCTL_DISK_F_QUORUM) &&
				    m->disks[j].encl == d->encl)
					load++;
			if (load < pick_load) {
				pick = d;
				pick_load = load;
			}
		}
		if (!pick)
			break;
		pick->flags |= VCTL_DISK_F_QUORUM;
		have++;
	}
	if (have == 0)
		return vctl_errf(err, -EIO, "no present, writable disk can hold the MLD");
	return 0;
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

int vctl_pool_commit(struct vctl_pool *p, struct vctl_err *err)
{
	if (!(p->flags & VCTL_OPEN_WRITE) || !p->have_mld)
		return vctl_errf(err, -VCTL_E_INTERNAL, "pool is not open for writing");
	if (p->broken)
		return vctl_errf(err, -EIO,
				 "an earlier commit failed; reopen the pool before changing it");
	int r = keep_quorum(p, err);
	if (r < 0)
		return r;
	struct vctl_mld *m = &p->mld;
	m->generation++;
	m->timestamp = (uint64_t)time(NULL);
	r = vctl_mld_validate(m, err);
	size_t len = 0;
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

	/* Data before metadata holds here too: every copy is written and
	 * flushed before anyone is told the commit happened. */
	for (uint32_t i = 0; i < m->ndisks; i++) {
		struct vctl_mld_disk *d = &m->disks[i];
		if (!(d->flags & VCTL_DISK_F_QUORUM))
			continue;
		struct vctl_member *mb = p->by_index[d->index];
		for (int s = 0; s < 2; s++) {
			/* The other slot only when it is damaged: otherwise it
			 * holds the previous generation, our fallback. */
			if (s != slot && mb->slot[s].state != VCTL_SLOT_DAMAGED)
				continue;
			r = vctl_io_pwrite(mb->fd, p->slotbuf, wlen,
					   vctl_mld_slot_offset(&m->pool.geom, s));
			if (r < 0)
				goto fail;
		}
		r = vctl_io_flush(mb->fd);
		if (r < 0)
			goto fail;
		for (int s = 0; s < 2; s++) {
			if (s == slot || mb->slot[s].state == VCTL_SLOT_DAMAGED) {
				mb->slot[s].state = VCTL_SLOT_VALID;
				mb->slot[s].gen = m->generation;
				mb->slot[s].why[0] = '\0';
			}
		}
		continue;
	fail:
		p->broken = true;
		return vctl_errf(err, r, "%s: writing the MLD: %s", mb->name, strerror(-r));
	}
	r = repair_labels(p, err);
	if (r < 0)
		p->broken = true;
	return r;
}
