/* PSEG usage and allocation. Usage is not stored anywhere: it is what the
 * RSDs and the metadata extents reference, rebuilt at every open, so a
 * PSEG can never leak across a crash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "io.h"
#include "state.h"

bool vctl_disk_usable(const struct vctl_pool *p, uint32_t disk)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	const struct vctl_member *m = disk < VCTL_MAX_DISKS ? p->by_index[disk] : NULL;
	return d && d->state == VCTL_DISK_ACTIVE && m && m->writable;
}

bool vctl_disk_leaving(const struct vctl_pool *p, uint32_t disk)
{
	for (uint32_t i = 0; i < p->mld.njobs; i++)
		if (p->mld.jobs[i].kind == VCTL_JOB_EVACUATE && p->mld.jobs[i].disk == disk)
			return true;
	return false;
}

bool vctl_disk_allocatable(const struct vctl_pool *p, uint32_t disk)
{
	return vctl_disk_usable(p, disk) && !vctl_disk_leaving(p, disk);
}

unsigned vctl_usable_enclosures(const struct vctl_pool *p)
{
	unsigned n = 0;
	for (uint32_t e = 0; e < p->mld.nencl; e++) {
		bool has = false;
		for (uint32_t i = 0; i < p->mld.ndisks && !has; i++)
			has = p->mld.disks[i].encl == p->mld.encl[e].id &&
			      vctl_disk_allocatable(p, p->mld.disks[i].index);
		n += has;
	}
	return n;
}

int vctl_intent_fits(const struct vctl_pool *p, const struct vctl_rsd_layout *l, bool separate,
		     struct vctl_err *err)
{
	unsigned need = vctl_layout_members(l), have = vctl_usable_disks(p);
	if (need > have)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "a %s of width %u needs %u disks; the pool has %u usable",
				 vctl_raid_name(l->raid), l->width, need, have);
	if (!separate)
		return 0;
	if (l->raid == VCTL_RAID0)
		return vctl_errf(err, -EINVAL,
				 "--separate enclosure is for mirrored and raid5 volumes: raid0 has nothing to keep apart");
	unsigned encl = l->raid == VCTL_RAID5 ? need : 2, got = vctl_usable_enclosures(p);
	if (encl > got)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "a %s of width %u with --separate enclosure needs disks in %u enclosures; the pool has %u",
				 vctl_raid_name(l->raid), l->width, encl, got);
	return 0;
}

unsigned vctl_usable_disks(const struct vctl_pool *p)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		n += vctl_disk_allocatable(p, p->mld.disks[i].index);
	return n;
}

int vctl_space_init(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		st->pused[d->index] = calloc((d->pseg_count + 7) / 8 + 1, 1);
		if (!st->pused[d->index])
			return vctl_errf(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int vctl_space_claim(struct vctl_pool *p, uint32_t disk, uint32_t pseg, const char *what,
		     struct vctl_err *err)
{
	struct vctl_state *st = p->st;
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	if (!d || pseg >= d->pseg_count)
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s uses PSEG %u of disk %u, which does not exist",
				 what, pseg, disk);
	if (bit_get(st->pused[disk], pseg))
		return vctl_errf(err, -VCTL_E_CORRUPT, "%s uses PSEG %u of disk %u, which is used twice",
				 what, pseg, disk);
	bit_set(st->pused[disk], pseg);
	st->npused[disk]++;
	return 0;
}

void vctl_space_release(struct vctl_pool *p, uint32_t member)
{
	struct vctl_state *st = p->st;
	if (st->npfree == st->pfree_cap) {
		uint32_t cap = st->pfree_cap ? 2 * st->pfree_cap : 64;
		uint32_t *np = realloc(st->pfree_pending, cap * sizeof(*np));
		if (!np)
			return; /* the PSEG stays in use until the next open: a leak of space, not data */
		st->pfree_pending = np;
		st->pfree_cap = cap;
	}
	st->pfree_pending[st->npfree++] = member;
}

/* A PSEG freed by a transaction becomes allocatable only once the commit
 * that stops referencing it is durable: reusing it sooner could overwrite
 * data the old state, which a crash returns to, still points at. */
void vctl_space_commit_done(struct vctl_pool *p)
{
	struct vctl_state *st = p->st;
	for (uint32_t i = 0; i < st->npfree; i++) {
		uint32_t disk = vctl_member_disk(st->pfree_pending[i]);
		uint32_t pseg = vctl_member_pseg(st->pfree_pending[i]);
		if (st->pused[disk] && bit_get(st->pused[disk], pseg)) {
			bit_clr(st->pused[disk], pseg);
			st->npused[disk]--;
		}
	}
	st->npfree = 0;
}

uint64_t vctl_space_free_psegs(const struct vctl_pool *p, uint32_t disk)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	if (!d || !p->st)
		return 0;
	return d->pseg_count - p->st->npused[disk];
}

static uint32_t find_free_pseg(const struct vctl_pool *p, uint32_t disk)
{
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	const uint8_t *b = p->st->pused[disk];
	for (uint32_t i = 0; i < d->pseg_count; i++) {
		if (b[i >> 3] == 0xff) {
			i |= 7;
			continue;
		}
		if (!bit_get(b, i))
			return i;
	}
	return UINT32_MAX;
}

struct cand {
	uint32_t disk, encl;
	uint64_t used, cap;
};

/* Least used fraction first; ties to the lower index. */
static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	unsigned __int128 l = (unsigned __int128)x->used * y->cap;
	unsigned __int128 r = (unsigned __int128)y->used * x->cap;
	if (l != r)
		return l < r ? -1 : 1;
	return x->disk < y->disk ? -1 : x->disk > y->disk;
}

/* Redundancy storage sets ([0046] of the sources): a pool of up to 11
 * usable disks is one RSS; a larger one is cut into RSSs of 6 to 11 disks
 * (in disk index order, as even as possible). An RStore takes all its
 * members from one RSS, so a failure stays local to it. */
static unsigned rss_count(unsigned usable)
{
	return usable <= 11 ? 1 : (usable + 7) / 8;
}

int vctl_space_alloc(struct vctl_pool *p, unsigned n, enum vctl_spread spread,
		     uint32_t *members, struct vctl_err *err)
{
	return vctl_space_alloc_rss(p, n, spread, false, false, NULL, members, NULL, err);
}

static const char *encl_name(const struct vctl_pool *p, uint32_t id)
{
	const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, id);
	return e ? e->name : "?";
}

/* The failed or missing disk (not one leaving, and on the volume's arrays
 * if it has a requirement) with the most free PSEGs, or UINT32_MAX. */
static uint32_t degraded_home(const struct vctl_pool *p, const struct vctl_mld_req *only)
{
	uint32_t best = UINT32_MAX;
	uint64_t most = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		uint32_t d = p->mld.disks[i].index;
		uint64_t f = vctl_space_free_psegs(p, d);
		if (!vctl_disk_usable(p, d) && !vctl_disk_leaving(p, d) && p->st->pused[d] &&
		    vctl_req_allows(p, only, d) && f > most) {
			best = d;
			most = f;
		}
	}
	return best;
}

/* Takes a free PSEG of `disk` as members[i]; if there is none after all,
 * gives members[0..i) back. */
static int claim(struct vctl_pool *p, uint32_t disk, uint32_t *members, unsigned i,
		 struct vctl_err *err)
{
	uint32_t pseg = find_free_pseg(p, disk);
	if (pseg == UINT32_MAX) {
		for (unsigned k = 0; k < i; k++) {
			uint32_t dk = vctl_member_disk(members[k]);
			bit_clr(p->st->pused[dk], vctl_member_pseg(members[k]));
			p->st->npused[dk]--;
		}
		return vctl_errf(err, -VCTL_E_INTERNAL, "disk %u has no free PSEG after all", disk);
	}
	bit_set(p->st->pused[disk], pseg);
	p->st->npused[disk]++;
	members[i] = vctl_member(disk, pseg);
	return 0;
}

int vctl_space_alloc_rss(struct vctl_pool *p, unsigned n, enum vctl_spread spread, bool strict,
			 bool may_miss, const struct vctl_mld_req *only, uint32_t *members,
			 uint8_t *rss_out, struct vctl_err *err)
{
	struct cand c[VCTL_MAX_DISKS];
	unsigned nc = 0, usable = 0, allowed = 0;
	uint32_t order[VCTL_MAX_DISKS];
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		if (vctl_disk_allocatable(p, p->mld.disks[i].index)) {
			order[usable++] = p->mld.disks[i].index;
			allowed += vctl_req_allows(p, only, p->mld.disks[i].index);
		}
	/* One disk short while one is failed or missing: a redundant RStore
	 * is born degraded, as the ones the failure degraded are. Its last
	 * member takes a free PSEG of that disk; the caller marks it stale,
	 * and it is rebuilt with the disk's other members. (An intent to keep
	 * enclosures apart is not bent for it.) */
	uint32_t home = UINT32_MAX;
	if (may_miss && !strict && usable + 1 >= n && allowed + 1 >= n && (usable < n || allowed < n))
		home = degraded_home(p, only);
	if (home != UINT32_MAX)
		n--;
	if (usable < n)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "this needs %u disks; the pool has %u usable", n, usable);
	if (allowed < n)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "this needs %u disks; the arrays its volume is placed on have %u usable",
				 n, allowed);
	/* the RSS with the most free PSEGs on disks that have some, among
	 * those with enough such disks */
	unsigned nrss = rss_count(usable), set = 0;
	uint64_t best_free = 0;
	bool found = false;
	for (unsigned s = 0; s < nrss; s++) {
		unsigned lo = s * usable / nrss, hi = (s + 1) * usable / nrss, with = 0;
		uint64_t f = 0;
		for (unsigned k = lo; k < hi; k++) {
			if (!vctl_req_allows(p, only, order[k]))
				continue;
			uint64_t fk = vctl_space_free_psegs(p, order[k]);
			with += fk > 0;
			f += fk;
		}
		if (with >= n && (!found || f > best_free)) {
			set = s;
			best_free = f;
			found = true;
		}
	}
	if (!found && nrss > 1)
		return vctl_errf(err, -ENOSPC,
				 "out of space: no redundancy storage set has a free PSEG on %u of its disks",
				 n);
	unsigned lo = set * usable / nrss, hi = (set + 1) * usable / nrss;
	for (unsigned k = lo; k < hi; k++) {
		const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, order[k]);
		if (vctl_space_free_psegs(p, d->index) == 0 || !vctl_req_allows(p, only, d->index))
			continue;
		c[nc++] = (struct cand){d->index, d->encl, p->st->npused[d->index], d->pseg_count};
	}
	if (nc < n)
		return vctl_errf(err, -ENOSPC,
				 "out of space: a free PSEG is needed on %u disks, %u have one", n, nc);
	if (rss_out)
		*rss_out = (uint8_t)set;
	qsort(c, nc, sizeof(*c), cmp_cand);
	/* The least used disks. For mirrors, each pair's second half comes
	 * from another enclosure than the first when one has room; with
	 * SPREAD_ALL every member avoids the enclosures already chosen. */
	struct cand pick[VCTL_RSD_MAX_MEMBERS];
	bool taken[VCTL_MAX_DISKS] = {false};
	for (unsigned i = 0; i < n; i++) {
		int best = -1;
		/* A volume placed on several arrays: each member goes to the
		 * array with the fewest of this RStore's members so far (that
		 * still has a candidate), so the RStore spreads evenly. */
		unsigned per[VCTL_REQ_MAX_ARRAYS] = {0}, least = UINT32_MAX;
		for (unsigned k = 0; only && only->narrays > 1 && k < only->narrays; k++) {
			bool has = false;
			for (unsigned j = 0; j < nc && !has; j++)
				has = !taken[j] && c[j].encl == only->arrays[k];
			for (unsigned t = 0; t < i; t++)
				per[k] += pick[t].encl == only->arrays[k];
			if (has && per[k] < least)
				least = per[k];
		}
		for (unsigned pass = least == UINT32_MAX; pass < 2 && best < 0; pass++)
		for (unsigned j = 0; j < nc; j++) {
			if (taken[j])
				continue;
			if (pass == 0) {
				bool even = false;
				for (unsigned k = 0; k < only->narrays; k++)
					even = even || (c[j].encl == only->arrays[k] && per[k] == least);
				if (!even)
					continue;
			}
			if (best < 0 && !strict)
				best = (int)j;
			bool clash = false;
			if (spread == VCTL_SPREAD_PAIRS && (i & 1))
				clash = c[j].encl == pick[i - 1].encl;
			for (unsigned k = 0; spread == VCTL_SPREAD_ALL && k < i; k++)
				clash = clash || c[j].encl == pick[k].encl;
			/* An intent: a pair's first half only where a second half
			 * can follow in another enclosure. */
			if (!clash && strict && spread == VCTL_SPREAD_PAIRS && !(i & 1)) {
				clash = true;
				for (unsigned q = 0; clash && q < nc; q++)
					clash = taken[q] || q == j || c[q].encl == c[j].encl;
			}
			if (!clash) {
				best = (int)j;
				break;
			}
		}
		if (best < 0) {
			int any = -1;
			for (unsigned j = 0; j < nc && any < 0; j++)
				any = taken[j] ? -1 : (int)j;
			if (spread == VCTL_SPREAD_PAIRS && !(i & 1) && any >= 0)
				return vctl_errf(err, -VCTL_E_REFUSED,
						 "no free PSEG outside enclosure %s for the second half of mirror %u",
						 encl_name(p, c[any].encl), i / 2);
			if (spread == VCTL_SPREAD_PAIRS && (i & 1))
				return vctl_errf(err, -VCTL_E_REFUSED,
						 "no free PSEG outside enclosure %s for the second half of mirror %u",
						 encl_name(p, pick[i - 1].encl), i / 2);
			return vctl_errf(err, -VCTL_E_REFUSED,
					 "no free PSEG in an enclosure of its own for member %u (of %u)", i, n);
		}
		taken[best] = true;
		pick[i] = c[best];
	}
	int r = 0;
	for (unsigned i = 0; r == 0 && i < n; i++)
		r = claim(p, pick[i].disk, members, i, err);
	if (r == 0 && home != UINT32_MAX)
		r = claim(p, home, members, n, err);
	return r;
}

int vctl_space_zero(struct vctl_pool *p, const uint32_t *members, unsigned n,
		    struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (unsigned i = 0; i < n; i++) {
		uint32_t disk = vctl_member_disk(members[i]);
		struct vctl_member *m = p->by_index[disk];
		if (!m || !vctl_disk_usable(p, disk))
			continue; /* missing or failed: its PSEG is rebuilt, not read */
		uint64_t off = g->quorum_size + (uint64_t)vctl_member_pseg(members[i]) * g->pseg_size;
		int r = vctl_io_zero(m->fd, off, g->pseg_size);
		if (r < 0)
			return vctl_errf(err, r, "%s: zeroing a new PSEG: %s", m->name, strerror(-r));
	}
	p->st->data_dirty = true;
	return 0;
}

/* alloc_one and alloc_on: `only` a disk index, or UINT32_MAX for any. */
static int alloc_one_in(struct vctl_pool *p, uint32_t only, const struct vctl_mld_req *req,
			const uint32_t *exclude, unsigned nexclude, const uint32_t *avoid,
			unsigned navoid, bool strict, uint32_t *member, struct vctl_err *err)
{
	struct cand best = {0}, fallback = {0};
	bool have = false, have_fb = false;
	for (uint32_t i = 0; i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		bool skip = (only != UINT32_MAX && d->index != only) ||
			    !vctl_disk_allocatable(p, d->index) || !vctl_space_free_psegs(p, d->index) ||
			    !vctl_req_allows(p, req, d->index);
		for (unsigned k = 0; !skip && k < nexclude; k++)
			skip = vctl_member_disk(exclude[k]) == d->index;
		if (skip)
			continue;
		struct cand c = {d->index, d->encl, p->st->npused[d->index], d->pseg_count};
		bool clash = false;
		for (unsigned k = 0; k < navoid; k++)
			clash = clash || avoid[k] == d->encl;
		if (!clash && (!have || cmp_cand(&c, &best) < 0))
			best = c, have = true;
		if (clash && (!have_fb || cmp_cand(&c, &fallback) < 0))
			fallback = c, have_fb = true;
	}
	if (!have && (strict || !have_fb)) {
		if (!have_fb && req)
			return vctl_errf(err, -ENOSPC,
					 "no disk of the arrays its volume is placed on, outside those of its RStore, has a free PSEG");
		if (!have_fb)
			return vctl_errf(err, -ENOSPC, "no disk outside those of its RStore has a free PSEG");
		const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, fallback.encl);
		return vctl_errf(err, -VCTL_E_REFUSED, "no free PSEG outside enclosure%s %s",
				 navoid > 1 ? "s" : "", navoid > 1 ? "its other members use" : e ? e->name : "?");
	}
	if (!have)
		best = fallback;
	uint32_t pseg = find_free_pseg(p, best.disk);
	if (pseg == UINT32_MAX)
		return vctl_errf(err, -VCTL_E_INTERNAL, "disk %u has no free PSEG after all", best.disk);
	bit_set(p->st->pused[best.disk], pseg);
	p->st->npused[best.disk]++;
	*member = vctl_member(best.disk, pseg);
	return 0;
}

int vctl_space_alloc_one(struct vctl_pool *p, const struct vctl_mld_req *req,
			 const uint32_t *exclude, unsigned nexclude, const uint32_t *avoid,
			 unsigned navoid, bool strict, uint32_t *member, struct vctl_err *err)
{
	return alloc_one_in(p, UINT32_MAX, req, exclude, nexclude, avoid, navoid, strict, member,
			    err);
}

int vctl_space_alloc_on(struct vctl_pool *p, uint32_t disk, const struct vctl_mld_req *req,
			const uint32_t *exclude, unsigned nexclude, const uint32_t *avoid,
			unsigned navoid, bool strict, uint32_t *member, struct vctl_err *err)
{
	return alloc_one_in(p, disk, req, exclude, nexclude, avoid, navoid, strict, member, err);
}
