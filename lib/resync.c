/* Bringing redundant RStores back in step, at open for writing:
 *  - a member marked stale (it missed writes while its disk was gone) whose
 *    disk is back is rebuilt from its mirror partner, or by RAID5
 *    reconstruction, and the mark cleared;
 *  - after an unclean shutdown (VCTL_POOL_DIRTY) every mirror is copied
 *    from its first half and every parity recomputed: a write cut short by
 *    a crash may have reached one half, or the data and not the parity.
 * An RStore that cannot be resynced (a member still missing) keeps the
 * pool DIRTY, so the next open tries again; until then its parity is not
 * trusted to rebuild anything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "jobs.h"
#include "load.h"
#include "raid.h"
#include "resync.h"
#include "state.h"

#define CHUNK (1u << 20)

struct bufs {
	uint8_t *a, *b;
};

static bool usable(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned k)
{
	int fd;
	uint64_t base;
	return vctl_raid_member(p, r, k, &fd, &base);
}

/* Member k's PSEG location, reachable even when it is marked stale. */
static void where(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned k, int *fd,
		  uint64_t *base)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	*fd = p->by_index[vctl_member_disk(r->m[k])]->fd;
	*base = g->quorum_size + (uint64_t)vctl_member_pseg(r->m[k]) * g->pseg_size;
}

static int copy_member(struct vctl_pool *p, const struct vctl_rsd *r, unsigned from,
		       unsigned to, struct bufs *b, struct vctl_err *err)
{
	uint64_t pseg = p->mld.pool.geom.pseg_size, sbase, dbase;
	int sfd, dfd;
	where(p, r, from, &sfd, &sbase);
	where(p, r, to, &dfd, &dbase);
	for (uint64_t off = 0; off < pseg; off += CHUNK) {
		size_t n = pseg - off < CHUNK ? (size_t)(pseg - off) : CHUNK;
		if (vctl_io_pread(sfd, b->a, n, sbase + off) != (long long)n)
			return vctl_errf(err, -EIO, "resync: reading disk %u failed",
					 vctl_member_disk(r->m[from]));
		int e = vctl_io_pwrite(dfd, b->a, n, dbase + off);
		if (e < 0)
			return vctl_errf(err, e, "resync: writing disk %u: %s",
					 vctl_member_disk(r->m[to]), strerror(-e));
	}
	return 0;
}

/* RAID5: member `to` becomes the XOR of all the others, whole PSEG. With
 * `to` = each row's parity member this recomputes parity row by row. */
static int xor_into(struct vctl_pool *p, const struct vctl_rsd *r, int to, struct bufs *b,
		    struct vctl_err *err)
{
	uint64_t pseg = p->mld.pool.geom.pseg_size, U = r->stripe;
	for (uint64_t off = 0; off < pseg; off += U) {
		uint64_t row = off / U;
		unsigned target = to >= 0 ? (unsigned)to : vctl_raid5_parity(r, row);
		memset(b->a, 0, U);
		for (unsigned k = 0; k < r->nmembers; k++) {
			if (k == target)
				continue;
			int fd;
			uint64_t base;
			where(p, r, k, &fd, &base);
			if (vctl_io_pread(fd, b->b, U, base + off) != (long long)U)
				return vctl_errf(err, -EIO, "resync: reading disk %u failed",
						 vctl_member_disk(r->m[k]));
			vctl_xor(b->a, b->b, U);
		}
		int fd;
		uint64_t base;
		where(p, r, target, &fd, &base);
		int e = vctl_io_pwrite(fd, b->a, U, base + off);
		if (e < 0)
			return vctl_errf(err, e, "resync: writing disk %u: %s",
					 vctl_member_disk(r->m[target]), strerror(-e));
	}
	return 0;
}

/* Resyncs one RStore; *done says whether it is now fully in step. */
static int resync_rsd(struct vctl_pool *p, uint32_t id, struct vctl_rsd *r, bool full,
		      struct bufs *b, bool *done, struct vctl_err *err)
{
	*done = true;
	uint16_t fixable = 0, fixed = 0;
	for (unsigned k = 0; k < r->nmembers; k++)
		if ((r->stale & (1u << k)) && vctl_raid_reachable(p, r, k))
			fixable |= (uint16_t)(1u << k);
	int rc = 0;
	if (r->raid == VCTL_RAID1 || r->raid == VCTL_RAID10) {
		for (unsigned c = 0; c < r->width && rc == 0; c++) {
			unsigned x = 2 * c, y = x + 1;
			bool ux = usable(p, r, x), uy = usable(p, r, y);
			if ((fixable & (1u << x)) && uy)
				rc = copy_member(p, r, y, x, b, err), fixed |= (uint16_t)(1u << x);
			else if ((fixable & (1u << y)) && ux)
				rc = copy_member(p, r, x, y, b, err), fixed |= (uint16_t)(1u << y);
			else if (full && ux && uy)
				rc = copy_member(p, r, x, y, b, err);
			else if (full || (r->stale & (3u << x)))
				*done = false; /* half of the pair is still away */
		}
	} else if (r->raid == VCTL_RAID5) {
		unsigned away = 0, fix = 0;
		for (unsigned k = 0; k < r->nmembers; k++)
			if (!usable(p, r, k))
				away++, fix = k;
		if (away == 1 && (fixable & (1u << fix)))
			rc = xor_into(p, r, (int)fix, b, err), fixed |= (uint16_t)(1u << fix);
		else if (full && away == 0)
			rc = xor_into(p, r, -1, b, err);
		else if (away)
			*done = false;
	}
	if (rc == 0 && fixed) {
		r->stale &= (uint16_t)~fixed;
		vctl_rsd_dirty(p, id);
	}
	return rc;
}

/* A metadata extent copy that missed writes, now reachable again, gets the
 * whole extent from a copy in step. */
static int resync_meta(struct vctl_pool *p, struct vctl_mld_meta *e, struct bufs *b,
		       struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	unsigned from = 0;
	while (from < e->ncopies && ((e->stale & (1u << from)) || !vctl_disk_usable(p, e->disk[from])))
		from++;
	if (from == e->ncopies)
		return 0;
	for (unsigned c = 0; c < e->ncopies; c++) {
		if (!(e->stale & (1u << c)) || !vctl_disk_usable(p, e->disk[c]))
			continue;
		int sfd = p->by_index[e->disk[from]]->fd, dfd = p->by_index[e->disk[c]]->fd;
		uint64_t s = g->quorum_size + (uint64_t)e->pseg[from] * g->pseg_size;
		uint64_t d = g->quorum_size + (uint64_t)e->pseg[c] * g->pseg_size;
		for (uint64_t off = 0; off < g->pseg_size; off += CHUNK) {
			size_t n = g->pseg_size - off < CHUNK ? (size_t)(g->pseg_size - off) : CHUNK;
			if (vctl_io_pread(sfd, b->a, n, s + off) != (long long)n)
				return vctl_errf(err, -EIO, "resync: reading metadata extent %u", e->index);
			int r = vctl_io_pwrite(dfd, b->a, n, d + off);
			if (r < 0)
				return vctl_errf(err, r, "resync: writing metadata extent %u: %s",
						 e->index, strerror(-r));
		}
		e->stale &= ~(1u << c);
	}
	return 0;
}

static bool meta_needs_resync(const struct vctl_pool *p)
{
	for (uint32_t i = 0; i < p->mld.nmeta; i++)
		for (unsigned c = 0; c < p->mld.meta[i].ncopies; c++)
			if ((p->mld.meta[i].stale & (1u << c)) && vctl_disk_usable(p, p->mld.meta[i].disk[c]))
				return true;
	return false;
}

/* Whether RStore r has a stale member that can be rebuilt now. */
static bool rsd_fixable(const struct vctl_pool *p, const struct vctl_rsd *r)
{
	for (unsigned k = 0; r && r->stale && k < r->nmembers; k++)
		if ((r->stale & (1u << k)) && vctl_raid_reachable(p, r, k))
			return true;
	return false;
}

static bool rebuild_job(const struct vctl_pool *p)
{
	return vctl_mld_job_of(&p->mld, 0, VCTL_JOB_REBUILD) != NULL;
}

bool vctl_pool_needs_resync(const struct vctl_pool *p)
{
	if (!p->st)
		return false;
	if (p->mld.pool.flags & VCTL_POOL_DIRTY)
		return true;
	/* stale members are a rebuild job's, when there is one */
	if (rebuild_job(p))
		return false;
	if (meta_needs_resync(p))
		return true;
	for (uint32_t id = 0; id < p->st->nrsd; id++)
		if (rsd_fixable(p, p->st->rsd[id]))
			return true;
	return false;
}

uint64_t vctl_rebuild_remaining(const struct vctl_pool *p)
{
	uint64_t n = 0;
	for (uint32_t id = 0; p->st && id < p->st->nrsd; id++) {
		const struct vctl_rsd *r = p->st->rsd[id];
		for (unsigned k = 0; r && r->stale && k < r->nmembers; k++)
			n += (r->stale & (1u << k)) && vctl_raid_reachable(p, r, k);
	}
	return n + meta_needs_resync(p);
}

int vctl_rebuild_step(struct vctl_pool *p, uint64_t id, unsigned max, uint64_t *rebuilt,
		      struct vctl_err *err)
{
	*rebuilt = 0;
	vctl_rwlock_wr(&p->lock);
	uint64_t sz = p->mld.pool.geom.pseg_size < CHUNK ? CHUNK : p->mld.pool.geom.pseg_size;
	struct bufs b = {malloc(CHUNK), malloc(sz)};
	int r = b.a && b.b ? 0 : vctl_errf(err, -ENOMEM, "out of memory");
	struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
	if (r == 0 && !j)
		r = 1;
	/* the metadata extents first, all in one step: they are few */
	if (r == 0 && meta_needs_resync(p)) {
		for (uint32_t i = 0; r == 0 && i < p->mld.nmeta; i++)
			r = resync_meta(p, &p->mld.meta[i], &b, err);
		if (r == 0) {
			j->cursor++;
			(*rebuilt)++;
			/* the copies reach the disks before the commit that says
			 * they are in step */
			p->st->data_dirty = true;
			r = vctl_pool_commit(p, err);
		}
	}
	unsigned steps = 0;
	for (uint32_t rid = 0; r == 0 && steps < max && rid < p->st->nrsd; rid++) {
		struct vctl_rsd *rsd = p->st->rsd[rid];
		if (!rsd_fixable(p, rsd))
			continue;
		uint16_t before = rsd->stale;
		bool done;
		r = resync_rsd(p, rid, rsd, false, &b, &done, err);
		if (r == 0 && rsd->stale != before) {
			j->cursor += (uint64_t)__builtin_popcount(before & ~rsd->stale);
			*rebuilt += (uint64_t)__builtin_popcount(before & ~rsd->stale);
			p->st->data_dirty = true;
			r = vctl_pool_commit(p, err);
			steps++;
		}
	}
	/* nothing left that can be rebuilt now: the job is done (a member
	 * whose disk is away waits for the resync when it is back) */
	if (r == 0 && steps < max && !vctl_rebuild_remaining(p)) {
		vctl_job_remove(p, id);
		r = vctl_pool_commit(p, err);
		r = r < 0 ? r : 1;
	}
	free(b.a);
	free(b.b);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_pool_resync(struct vctl_pool *p, struct vctl_err *err)
{
	if (!vctl_pool_needs_resync(p))
		return 0;
	bool full = p->mld.pool.flags & VCTL_POOL_DIRTY, all_done = true;
	uint64_t sz = p->mld.pool.geom.pseg_size < CHUNK ? CHUNK : p->mld.pool.geom.pseg_size;
	struct bufs b = {malloc(CHUNK), malloc(sz)};
	int r = b.a && b.b ? 0 : vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; r == 0 && i < p->mld.nmeta; i++)
		r = resync_meta(p, &p->mld.meta[i], &b, err);
	for (uint32_t id = 0; r == 0 && id < p->st->nrsd; id++) {
		struct vctl_rsd *rsd = p->st->rsd[id];
		if (!rsd || rsd->raid == VCTL_RAID0)
			continue;
		bool done;
		r = resync_rsd(p, id, rsd, full, &b, &done, err);
		all_done = all_done && done;
	}
	free(b.a);
	free(b.b);
	if (r < 0)
		return r;
	p->st->data_dirty = true;
	if (full && all_done)
		p->mld.pool.flags &= ~VCTL_POOL_DIRTY;
	return vctl_pool_commit(p, err);
}
