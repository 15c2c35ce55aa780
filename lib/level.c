/* Moving PSEGs between disks: leveling (`vctl level`), evacuation
 * (`vctl disk remove`) and migration onto new arrays (lib/migrate.c), all
 * jobs in the MLD that move one PSEG per move:
 *  - a free PSEG is claimed on the target disk, and the old one's bytes
 *    are copied to it and flushed, under the pool lock held alone, so no
 *    write lands between the copy and the switch;
 *  - the RSD member (or metadata extent copy) then names the new PSEG, the
 *    old one is released (not reused before the commit), and one commit
 *    makes it so with the job's cursor one higher.
 * A crash before the commit leaves the old placement whole, after it the
 * new one; a job needs no other state to resume, since each move looks at
 * the pool as it is. Every target keeps the volume's intent (--separate
 * enclosure: never a partner's enclosure), and without one never puts
 * partners together that were apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "disk.h"
#include "io.h"
#include "jobs.h"
#include "migrate.h"
#include "raid.h"
#include "state.h"

#define CHUNK (1u << 20)

/* A PSEG in use: member k of RSD id, or copy k of metadata extent id. */
struct use {
	uint32_t id;
	unsigned k;
	bool meta;
};

static uint32_t use_member(const struct vctl_pool *p, const struct use *u)
{
	if (u->meta)
		return vctl_member(p->mld.meta[u->id].disk[u->k], p->mld.meta[u->id].pseg[u->k]);
	return p->st->rsd[u->id]->m[u->k];
}

static uint32_t encl_of(const struct vctl_pool *p, uint32_t disk)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	return d ? d->encl : UINT32_MAX;
}

/* The other members of u's RStore (or copies of its extent), and which of
 * them its enclosure rules keep apart from it. */
static unsigned others(const struct vctl_pool *p, const struct use *u, uint32_t *other,
		       bool *partner)
{
	unsigned n = 0;
	if (u->meta) {
		const struct vctl_mld_meta *e = &p->mld.meta[u->id];
		for (unsigned c = 0; c < e->ncopies; c++)
			if (c != u->k) {
				other[n] = vctl_member(e->disk[c], e->pseg[c]);
				partner[n++] = true;
			}
		return n;
	}
	const struct vctl_rsd *r = p->st->rsd[u->id];
	for (unsigned m = 0; m < r->nmembers; m++)
		if (m != u->k) {
			other[n] = r->m[m];
			partner[n++] = r->raid == VCTL_RAID5 ||
				       (r->raid != VCTL_RAID0 && m == (u->k ^ 1u));
		}
	return n;
}

/* Asks the allocator for a PSEG on disk `to` for u: never a disk holding
 * another member of its RStore (copy of its extent), and outside its
 * partners' enclosures when the intent says so or when they are apart
 * now (a move never brings them together). */
static int claim_on(struct vctl_pool *p, const struct use *u, bool strict, uint32_t to,
		    uint32_t *member)
{
	uint32_t other[VCTL_RSD_MAX_MEMBERS], avoid[VCTL_RSD_MAX_MEMBERS] = {0};
	bool partner[VCTL_RSD_MAX_MEMBERS];
	unsigned n = others(p, u, other, partner), na = 0;
	uint32_t from_e = encl_of(p, vctl_member_disk(use_member(p, u)));
	bool apart_now = true;
	for (unsigned i = 0; i < n; i++) {
		if (!partner[i])
			continue;
		avoid[na] = encl_of(p, vctl_member_disk(other[i]));
		apart_now = apart_now && avoid[na] != from_e;
		na++;
	}
	struct vctl_err scratch;
	/* a volume placed on arrays keeps to them */
	const struct vctl_mld_req *req = u->meta ? NULL : vctl_rsd_req(p, u->id);
	return vctl_space_alloc_on(p, to, req, other, n, avoid, na, strict || apart_now, member,
				   &scratch);
}

/* Copies u's PSEG to `to` and points u at it; the caller commits. */
static int move_use(struct vctl_pool *p, const struct use *u, uint32_t to, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	uint32_t from = use_member(p, u);
	const struct vctl_member *src = p->by_index[vctl_member_disk(from)];
	const struct vctl_member *dst = p->by_index[vctl_member_disk(to)];
	if (!src || !dst)
		return vctl_errf(err, -VCTL_E_INTERNAL, "a disk of the move is missing");
	uint64_t s = g->quorum_size + (uint64_t)vctl_member_pseg(from) * g->pseg_size;
	uint64_t d = g->quorum_size + (uint64_t)vctl_member_pseg(to) * g->pseg_size;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return vctl_errf(err, -ENOMEM, "out of memory");
	int r = 0;
	for (uint64_t off = 0; r == 0 && off < g->pseg_size; off += CHUNK) {
		size_t n = g->pseg_size - off < CHUNK ? (size_t)(g->pseg_size - off) : CHUNK;
		long long got = vctl_io_pread(src->fd, buf, n, s + off);
		if (got != (long long)n)
			r = vctl_errf(err, got < 0 ? (int)got : -EIO, "%s: reading PSEG %u: %s", src->name,
				      vctl_member_pseg(from), strerror(got < 0 ? (int)-got : EIO));
		else if ((r = vctl_io_pwrite(dst->fd, buf, n, d + off)) < 0)
			vctl_errf(err, r, "%s: writing PSEG %u: %s", dst->name, vctl_member_pseg(to),
				  strerror(-r));
	}
	free(buf);
	/* the copy is durable before any map names it */
	if (r == 0 && (r = vctl_io_flush(dst->fd)) < 0)
		vctl_errf(err, r, "%s: %s", dst->name, strerror(-r));
	if (r < 0)
		return r;
	if (u->meta) {
		struct vctl_mld_meta *e = &p->mld.meta[u->id];
		e->disk[u->k] = vctl_member_disk(to);
		e->pseg[u->k] = vctl_member_pseg(to);
	} else {
		p->st->rsd[u->id]->m[u->k] = to;
		vctl_rsd_dirty(p, u->id);
	}
	vctl_space_release(p, from);
	return 0;
}

/* Calls fn for every PSEG in use on `disk` until it returns nonzero. */
static int each_use(const struct vctl_pool *p, uint32_t disk,
		    int (*fn)(const struct vctl_pool *p, const struct use *u, void *ctx), void *ctx)
{
	for (uint32_t id = 0; id < p->st->nrsd; id++) {
		const struct vctl_rsd *r = p->st->rsd[id];
		for (unsigned k = 0; r && k < r->nmembers; k++)
			if (vctl_member_disk(r->m[k]) == disk) {
				int rc = fn(p, &(struct use){.id = id, .k = k}, ctx);
				if (rc)
					return rc;
			}
	}
	for (uint32_t i = 0; i < p->mld.nmeta; i++) {
		const struct vctl_mld_meta *e = &p->mld.meta[i];
		for (unsigned c = 0; c < e->ncopies; c++)
			if (e->disk[c] == disk) {
				int rc = fn(p, &(struct use){.id = i, .k = c, .meta = true}, ctx);
				if (rc)
					return rc;
			}
	}
	return 0;
}

/* ---- Leveling ---- */

struct share {
	uint32_t disk;
	double excess; /* PSEGs used beyond its share (negative: below) */
};

static int by_excess(const void *a, const void *b)
{
	const struct share *x = a, *y = b;
	if (x->excess != y->excess)
		return x->excess > y->excess ? -1 : 1;
	return x->disk < y->disk ? -1 : x->disk > y->disk;
}

/* Every allocatable disk's excess over its share of the PSEGs they hold
 * together, in proportion to capacity; most over first. */
static unsigned shares(const struct vctl_pool *p, struct share *s)
{
	uint64_t used = 0, cap = 0;
	unsigned n = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		if (!vctl_disk_allocatable(p, d->index))
			continue;
		used += p->st->npused[d->index];
		cap += d->pseg_count;
		s[n++].disk = d->index;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, s[i].disk);
		s[i].excess = (double)p->st->npused[d->index] -
			      (double)used * (double)d->pseg_count / (double)(cap ? cap : 1);
	}
	qsort(s, n, sizeof(*s), by_excess);
	return n;
}

struct find_ctx {
	struct vctl_pool *p;
	const uint8_t *strict;
	uint32_t to, member;
	struct use found;
};

static int movable_to(const struct vctl_pool *cp, const struct use *u, void *arg)
{
	(void)cp;
	struct find_ctx *f = arg;
	bool strict = !u->meta && f->strict && bit_get(f->strict, u->id);
	if (claim_on(f->p, u, strict, f->to, &f->member) < 0)
		return 0;
	f->found = *u;
	return 1;
}

/* The next leveling move: from the disk most over its share to the one
 * most under it for which some PSEG may move, as long as the two are
 * more than one PSEG apart (each move then brings the pool closer to
 * level, and at the end every disk is within one PSEG of its share).
 * 1 with *u and *to (a PSEG the allocator claimed for it), 0 when level
 * (or nothing may move). */
static int level_pick(struct vctl_pool *p, const uint8_t *strict, struct use *u, uint32_t *to)
{
	struct share s[VCTL_MAX_DISKS];
	unsigned n = shares(p, s);
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = n; b-- > a + 1;) {
			if (s[a].excess - s[b].excess <= 1.0 + 1e-9)
				break;
			if (!vctl_space_free_psegs(p, s[b].disk))
				continue;
			struct find_ctx f = {.p = p, .strict = strict, .to = s[b].disk};
			if (each_use(p, s[a].disk, movable_to, &f)) {
				*u = f.found;
				*to = f.member;
				return 1;
			}
		}
	return 0;
}

static uint64_t level_remaining(const struct vctl_pool *p)
{
	struct share s[VCTL_MAX_DISKS];
	unsigned n = shares(p, s);
	double sum = 0;
	for (unsigned i = 0; i < n; i++)
		if (s[i].excess > 1.0)
			sum += s[i].excess - 1.0;
	return (uint64_t)(sum + 0.999);
}

int vctl_level_start(struct vctl_pool *p, uint64_t rate, uint64_t *job, uint64_t *moves,
		     struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = p->st ? 0 : vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	*job = 0;
	*moves = 0;
	for (uint32_t i = 0; r == 0 && i < p->mld.njobs; i++)
		if (p->mld.jobs[i].kind == VCTL_JOB_LEVEL) {
			*job = p->mld.jobs[i].id;
			if (rate && p->mld.jobs[i].rate != rate) {
				p->mld.jobs[i].rate = rate;
				r = vctl_pool_commit(p, err);
			}
		}
	if (r == 0)
		*moves = level_remaining(p);
	if (r == 0 && !*job && *moves) {
		struct vctl_mld_job j = {.kind = VCTL_JOB_LEVEL, .state = VCTL_JOB_RUNNING,
					 .created = (uint64_t)time(NULL), .rate = rate};
		r = vctl_job_add(p, &j, err);
		if (r == 0) {
			*job = p->mld.jobs[p->mld.njobs - 1].id;
			r = vctl_pool_commit(p, err);
		}
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

/* ---- Evacuation and removal ---- */

static int first_use(const struct vctl_pool *p, const struct use *u, void *arg)
{
	(void)p;
	*(struct use *)arg = *u;
	return 1;
}

static int count_use(const struct vctl_pool *p, const struct use *u, void *arg)
{
	(void)p;
	(void)u;
	++*(uint64_t *)arg;
	return 0;
}

/* Where u goes when its disk leaves: *to, or UINT32_MAX for a metadata
 * copy that has nowhere to go (the extent keeps one copy fewer, as disk
 * replace does). */
static int evacuation_target(struct vctl_pool *p, const uint8_t *strict, const struct use *u,
			     uint32_t *to, struct vctl_err *err)
{
	if (!u->meta)
		return vctl_place_member(p, u->id, p->st->rsd[u->id], u->k, bit_get(strict, u->id), to,
					 err);
	uint32_t other[VCTL_RSD_MAX_MEMBERS], avoid[VCTL_RSD_MAX_MEMBERS] = {0};
	bool partner[VCTL_RSD_MAX_MEMBERS];
	unsigned n = others(p, u, other, partner);
	for (unsigned i = 0; i < n; i++)
		avoid[i] = encl_of(p, vctl_member_disk(other[i]));
	int r = vctl_space_alloc_one(p, NULL, other, n, avoid, n, false, to, err);
	if (r == -ENOSPC && n > 0) {
		*to = UINT32_MAX;
		return 0;
	}
	return r < 0 ? vctl_err_wrap(err, "for metadata extent %u", u->id) : r;
}

static void unclaim(struct vctl_pool *p, uint32_t member)
{
	uint32_t d = vctl_member_disk(member);
	bit_clr(p->st->pused[d], vctl_member_pseg(member));
	p->st->npused[d]--;
}

struct plan_ctx {
	struct vctl_pool *p;
	const uint8_t *strict;
	uint32_t *claimed;
	uint32_t n;
	struct vctl_err *err;
};

static int plan_one(const struct vctl_pool *cp, const struct use *u, void *arg)
{
	(void)cp;
	struct plan_ctx *c = arg;
	uint32_t to;
	int r = evacuation_target(c->p, c->strict, u, &to, c->err);
	if (r < 0)
		return r;
	if (to != UINT32_MAX)
		c->claimed[c->n++] = to;
	return 0;
}

/* Whether everything on `disk` has a place elsewhere: every decision made
 * and then given back, so that a refusal comes before anything starts. */
static int evacuation_fits(struct vctl_pool *p, uint32_t disk, const uint8_t *strict,
			   struct vctl_err *err)
{
	uint64_t n = 0;
	each_use(p, disk, count_use, &n);
	struct plan_ctx c = {.p = p, .strict = strict, .claimed = calloc(n + 1, sizeof(uint32_t)),
			     .err = err};
	if (!c.claimed)
		return vctl_errf(err, -ENOMEM, "out of memory");
	int r = each_use(p, disk, plan_one, &c);
	for (uint32_t i = 0; i < c.n; i++)
		unclaim(p, c.claimed[i]);
	free(c.claimed);
	return r < 0 ? r : 0;
}

static void forget_member(struct vctl_pool *p, struct vctl_member *mb)
{
	uint32_t i = (uint32_t)(mb - p->members);
	vctl_member_free(mb);
	memmove(&p->members[i], &p->members[i + 1], (p->nmembers - i - 1) * sizeof(*mb));
	p->nmembers--;
	vctl_pool_bind(p);
}

/* Drops an empty disk from the MLD (with any job evacuating it), then,
 * once that is durable, wipes its labels and MLD copies so that nothing
 * takes it for a disk of this pool, and removes its pool directory entry
 * if that is a symlink. A crash in between leaves a labelled disk no MLD
 * names: ignored by open, noted by check, taken back by disk add. */
static int drop_disk(struct vctl_pool *p, uint32_t index, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	struct vctl_member *mb = p->by_index[index];
	for (uint32_t i = m->njobs; i-- > 0;)
		if (m->jobs[i].kind == VCTL_JOB_EVACUATE && m->jobs[i].disk == index)
			vctl_job_remove(p, m->jobs[i].id);
	for (uint32_t i = 0; i < m->ndisks; i++)
		if (m->disks[i].index == index) {
			memmove(&m->disks[i], &m->disks[i + 1], (m->ndisks - i - 1) * sizeof(*m->disks));
			m->ndisks--;
			break;
		}
	if (m->pool.quorum_target > m->ndisks)
		m->pool.quorum_target = m->ndisks;
	int r = vctl_pool_commit(p, err);
	if (r < 0)
		return r;
	free(p->st->pused[index]);
	p->st->pused[index] = NULL;
	p->st->npused[index] = 0;
	if (!mb)
		return 0; /* nothing to wipe */
	const struct vctl_geom *g = &m->pool.geom;
	static const uint64_t label_at[2] = {VCTL_LABEL_A_OFFSET, VCTL_LABEL_B_OFFSET};
	for (int c = 0; r == 0 && c < 2; c++)
		if ((r = vctl_io_zero(mb->fd, vctl_mld_slot_offset(g, c), 4096)) == 0)
			r = vctl_io_zero(mb->fd, label_at[c], VCTL_LABEL_SIZE);
	if (r == 0)
		r = vctl_io_flush(mb->fd);
	if (r < 0) {
		vctl_errf(err, r, "%s: wiping its labels: %s", mb->name, strerror(-r));
	} else {
		struct stat st;
		if (lstat(mb->path, &st) == 0 && S_ISLNK(st.st_mode))
			unlink(mb->path);
	}
	forget_member(p, mb);
	return r;
}

int vctl_disk_remove(struct vctl_pool *p, uint32_t index, uint64_t *job, bool *done,
		     struct vctl_err *err)
{
	*job = 0;
	*done = false;
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld *m = &p->mld;
	uint8_t *strict = NULL;
	uint64_t held = 0;
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(m, index);
	int r = 0;
	if (!d)
		r = vctl_errf(err, -ENOENT, "no disk %u in the pool", index);
	else if (!p->st)
		r = vctl_errf(err, -VCTL_E_CORRUPT, "the pool's maps could not be loaded");
	if (r == 0)
		each_use(p, index, count_use, &held);
	if (r == 0 && m->ndisks == 1)
		r = vctl_errf(err, -VCTL_E_REFUSED, "disk %u is the pool's only disk", index);
	for (uint32_t i = 0; r == 0 && i < m->njobs; i++)
		if (m->jobs[i].kind == VCTL_JOB_EVACUATE && m->jobs[i].disk == index)
			*job = m->jobs[i].id;
	if (r == 0 && held && d->state == VCTL_DISK_FAILED)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "disk %u has failed and still holds data: rebuild it elsewhere first (vctl disk replace %u)",
			      index, index);
	else if (r == 0 && held && !vctl_disk_usable(p, index))
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "disk %u is missing and holds data: bring it back, or fail and replace it", index);
	if (r == 0 && held && !*job && !(strict = vctl_strict_rsds(p)))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && held && !*job) {
		/* a plan that finds a place for everything, with the disk
		 * already out of the allocator's reach */
		struct vctl_mld_job j = {.kind = VCTL_JOB_EVACUATE, .state = VCTL_JOB_RUNNING,
					 .created = (uint64_t)time(NULL), .disk = index};
		r = vctl_job_add(p, &j, err);
		if (r == 0) {
			*job = m->jobs[m->njobs - 1].id;
			r = evacuation_fits(p, index, strict, err);
			if (r < 0) {
				vctl_job_remove(p, *job);
				m->pool.next_id--;
				*job = 0;
			}
		}
		if (r == 0)
			r = vctl_pool_commit(p, err);
	}
	if (r == 0 && !held) {
		r = drop_disk(p, index, err);
		*done = r == 0;
	}
	free(strict);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static uint64_t evacuate_remaining(const struct vctl_pool *p, uint32_t disk)
{
	uint64_t n = 0;
	each_use(p, disk, count_use, &n);
	return n;
}

uint64_t vctl_move_remaining(const struct vctl_pool *p, const struct vctl_mld_job *j)
{
	if (!p->st)
		return 0;
	if (j->kind == VCTL_JOB_MIGRATE)
		return vctl_migrate_remaining(p, j->volume);
	return j->kind == VCTL_JOB_EVACUATE ? evacuate_remaining(p, j->disk) : level_remaining(p);
}

/* One move of job j: 1 when there is nothing left to move. */
static int move_once(struct vctl_pool *p, struct vctl_mld_job *j, const uint8_t *strict,
		     struct vctl_err *err)
{
	struct use u;
	uint32_t to;
	if (j->kind == VCTL_JOB_LEVEL) {
		if (!level_pick(p, strict, &u, &to))
			return 1;
	} else if (j->kind == VCTL_JOB_MIGRATE) {
		int r = vctl_migrate_next(p, j->volume, &u.id, &u.k);
		if (r <= 0)
			return r < 0 ? vctl_errf(err, r, "out of memory") : 1;
		u.meta = false;
		uint32_t disk = vctl_member_disk(p->st->rsd[u.id]->m[u.k]);
		if (!vctl_disk_usable(p, disk))
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "disk %u is %s: its PSEGs cannot move by copying; replace it (vctl disk replace %u)",
					 disk, vctl_pool_disk_state(p, disk), disk);
		/* the requirement names the new arrays: the allocator keeps to them */
		if ((r = vctl_place_member(p, u.id, p->st->rsd[u.id], u.k, bit_get(strict, u.id), &to,
					   err)) < 0)
			return r;
	} else {
		if (!each_use(p, j->disk, first_use, &u))
			return 1;
		if (!vctl_disk_usable(p, j->disk))
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "disk %u is %s: it cannot be emptied by copying; replace it (vctl disk replace %u)",
					 j->disk, vctl_pool_disk_state(p, j->disk), j->disk);
		int r = evacuation_target(p, strict, &u, &to, err);
		if (r < 0)
			return r;
		if (to == UINT32_MAX) {
			vctl_meta_drop_copy(p, u.id, u.k);
			return 0;
		}
	}
	int r = move_use(p, &u, to, err);
	if (r < 0)
		unclaim(p, to);
	return r;
}

int vctl_move_step(struct vctl_pool *p, uint64_t id, unsigned max_moves, uint64_t *moved,
		   struct vctl_err *err)
{
	*moved = 0;
	vctl_rwlock_wr(&p->lock);
	int r = 0;
	uint8_t *strict = vctl_strict_rsds(p);
	if (!strict)
		r = vctl_errf(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; r == 0 && i < max_moves; i++) {
		struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
		if (!j) {
			r = 1;
			break;
		}
		r = move_once(p, j, strict, err);
		if (r == 1) {
			/* done: a level job ends, an emptied disk leaves */
			int rr;
			if (j->kind == VCTL_JOB_EVACUATE) {
				rr = drop_disk(p, j->disk, err);
			} else {
				vctl_job_remove(p, id);
				rr = vctl_pool_commit(p, err);
			}
			r = rr < 0 ? rr : 1;
			break;
		}
		if (r == 0) {
			j->cursor++;
			(*moved)++;
			r = vctl_pool_commit(p, err);
		}
	}
	free(strict);
	vctl_rwlock_unlock(&p->lock);
	return r;
}
