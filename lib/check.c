#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int append(char ***list, uint32_t *n, const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	char **np = realloc(*list, (*n + 1) * sizeof(*np));
	if (!np) {
		free(s);
		return -ENOMEM;
	}
	*list = np;
	(*list)[(*n)++] = s;
	return 0;
}

#define add vctl_check_add
#define note vctl_check_note

int vctl_check_add(struct vctl_check_report *rep, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = append(&rep->problems, &rep->n, fmt, ap);
	va_end(ap);
	return r;
}

int vctl_check_note(struct vctl_check_report *rep, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = append(&rep->notes, &rep->nnotes, fmt, ap);
	va_end(ap);
	return r;
}

void vctl_check_report_free(struct vctl_check_report *rep)
{
	for (uint32_t i = 0; i < rep->n; i++)
		free(rep->problems[i]);
	for (uint32_t i = 0; i < rep->nnotes; i++)
		free(rep->notes[i]);
	free(rep->problems);
	free(rep->notes);
	memset(rep, 0, sizeof(*rep));
}

uint32_t vctl_pool_mld_copies(const struct vctl_pool *p, struct vctl_mld_copy *out)
{
	uint32_t n = 0;
	if (!p->have_mld)
		return 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		if (!(d->flags & VCTL_DISK_F_QUORUM))
			continue;
		struct vctl_mld_copy *c = &out[n++];
		memset(c, 0, sizeof(*c));
		c->disk = d->index;
		const struct vctl_member *m = p->by_index[d->index];
		c->present = m != NULL;
		if (!m)
			continue;
		for (int s = 0; s < 2; s++) {
			if (m->slot[s].state == VCTL_SLOT_VALID && m->slot[s].gen > c->generation)
				c->generation = m->slot[s].gen;
			if (m->slot[s].state == VCTL_SLOT_DAMAGED)
				c->damaged++;
		}
		c->valid = c->generation == p->mld.generation;
	}
	return n;
}

static int check_geom(struct vctl_check_report *rep, const char *who,
		      const struct vctl_geom *a, const struct vctl_geom *b)
{
	if (a->sector_size == b->sector_size && a->pseg_size == b->pseg_size &&
	    a->rseg_size == b->rseg_size && a->lmap_entries == b->lmap_entries &&
	    a->rstore_width == b->rstore_width && a->mblock_size == b->mblock_size &&
	    a->mld_slot_size == b->mld_slot_size && a->quorum_size == b->quorum_size)
		return 0;
	return add(rep, "%s: label geometry differs from the MLD's", who);
}

static int check_member(const struct vctl_pool *p, const struct vctl_member *m,
			struct vctl_check_report *rep)
{
	int r = 0;
	/* What a disk add or remove cut short leaves (labels half written or
	 * half wiped): nothing reads it, and disk add takes it back. */
	if (p->have_mld && !m->in_mld)
		return note(rep, "%s: labelled as a disk of this pool but not in the MLD (a disk add or remove was cut short; vctl disk add takes it back)",
			    m->name);
	for (int c = 0; c < 2 && r == 0; c++)
		if (m->label_rc[c])
			r = add(rep, "%s: label copy %c: %s", m->name, c ? 'B' : 'A',
				m->label_why[c]);
	if (r || !p->have_mld)
		return r;
	const struct vctl_mld_disk *d = NULL;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		if (!memcmp(p->mld.disks[i].uuid, m->label.disk_uuid, 16))
			d = &p->mld.disks[i];
	if (p->by_index[d->index] != m)
		return add(rep, "%s: a second file with the UUID of disk %u (%s)", m->name,
			   d->index, p->by_index[d->index]->name);
	if (m->label.disk_index != d->index)
		r = add(rep, "%s: label says disk %u, the MLD says disk %u", m->name,
			m->label.disk_index, d->index);
	if (r == 0)
		r = check_geom(rep, m->name, &m->label.geom, &p->mld.pool.geom);
	if (r == 0 && m->size < d->size)
		r = add(rep, "%s: is %llu bytes, smaller than the %llu it joined with",
			m->name, (unsigned long long)m->size, (unsigned long long)d->size);
	return r;
}

static int check_locked(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep,
			struct vctl_err *err);

int vctl_pool_check(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep,
		    struct vctl_err *err)
{
	struct vctl_rwlock *l = (struct vctl_rwlock *)&p->lock;
	vctl_rwlock_rd(l);
	int r = check_locked(p, what, rep, err);
	vctl_rwlock_unlock(l);
	return r;
}

static int check_locked(const struct vctl_pool *p, unsigned what, struct vctl_check_report *rep,
			struct vctl_err *err)
{
	memset(rep, 0, sizeof(*rep));
	int r = 0;
	if (!p->have_mld)
		r = add(rep, "no valid MLD copy");
	for (uint32_t i = 0; i < p->nmembers && r == 0; i++)
		r = check_member(p, &p->members[i], rep);
	if (r == 0 && p->have_mld) {
		for (uint32_t i = 0; i < p->mld.ndisks && r == 0; i++) {
			const struct vctl_mld_disk *d = &p->mld.disks[i];
			if (d->state == VCTL_DISK_ACTIVE && !p->by_index[d->index])
				r = add(rep, "disk %u (%s) is missing", d->index, d->name);
		}
		struct vctl_mld_copy *copies = calloc(VCTL_MAX_DISKS, sizeof(*copies));
		if (!copies)
			r = -ENOMEM;
		uint32_t n = copies ? vctl_pool_mld_copies(p, copies) : 0;
		uint32_t usable = 0, unfinished = 0;
		for (uint32_t i = 0; i < n && r == 0; i++) {
			const struct vctl_mld_copy *c = &copies[i];
			const struct vctl_member *m = p->by_index[c->disk];
			if (!c->present)
				continue;
			if (c->generation)
				usable++;
			/* An init stopped after its commit point: the PENDING label
			 * says the copy was never written, not that it was lost. */
			if (!c->generation && (m->label.flags & VCTL_LABEL_F_PENDING) &&
			    !c->damaged) {
				unfinished++;
				r = note(rep, "disk %u (%s): vctl init stopped before writing its MLD copy; the next commit (vctl check --repair) writes it",
					 c->disk, m->name);
				continue;
			}
			/* A commit interrupted by a crash leaves older copies: the
			 * next commit brings them up to date. */
			if (c->generation && !c->valid)
				r = note(rep, "disk %u (%s): MLD copy is at generation %llu, the pool at %llu; the next commit updates it",
					 c->disk, m->name, (unsigned long long)c->generation,
					 (unsigned long long)p->mld.generation);
			else if (!c->generation)
				r = add(rep, "disk %u (%s): holds no valid MLD copy", c->disk,
					m->name);
			for (int s = 0; s < 2 && r == 0; s++)
				if (m->slot[s].state == VCTL_SLOT_DAMAGED)
					r = add(rep, "disk %u (%s): MLD slot %d: %s", c->disk,
						m->name, s, m->slot[s].why);
		}
		/* Fewer disks in service than copies wanted: the pool keeps one
		 * copy per disk it has, which is all it can do. */
		uint32_t can = 0;
		for (uint32_t i = 0; i < p->mld.ndisks; i++)
			can += p->mld.disks[i].state == VCTL_DISK_ACTIVE &&
			       vctl_pool_disk_present(p, p->mld.disks[i].index);
		if (r == 0 && usable + unfinished < p->mld.pool.quorum_target && usable >= can)
			r = vctl_check_note(rep, "%u of %u MLD copies: the pool has %u disks in service",
					    usable, p->mld.pool.quorum_target, can);
		else if (r == 0 && usable + unfinished < p->mld.pool.quorum_target)
			r = add(rep, "only %u of %u MLD copies are readable", usable,
				p->mld.pool.quorum_target);
		free(copies);
	}
	if (r == 0 && p->have_mld)
		r = vctl_check_maps(p, what, rep);
	if (r == 0 && p->have_mld && (what & VCTL_CHECK_INTENTS))
		r = vctl_check_intents(p, rep);
	if (r < 0) {
		vctl_check_report_free(rep);
		return vctl_errf(err, r, "out of memory");
	}
	return 0;
}
