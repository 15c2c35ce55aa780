/* Migration (source 004): a placed volume moves, region by region, onto a
 * new set of arrays that meets its requirement without the array it
 * leaves.
 *
 * The new placement is published first: one commit sets the volume's
 * requirement record to the new arrays (so their capability is committed
 * from then on, and everything the volume allocates goes there) and adds
 * a migrate job. The job is the PSEG-moving engine of lib/level.c: a
 * region is one PSEG of an RStore the volume owns (pseg_size bytes of a
 * member, a whole number of stripe units), and each move claims a PSEG
 * on the new arrays, copies and flushes it and switches the RSD member,
 * under the pool lock held alone, then commits with the job's cursor one
 * higher. Host I/O to the region (to the whole pool, in fact) waits for
 * the lock: it is held, never failed. A job needs nothing but the map to
 * resume: each move takes the first member still outside the arrays. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "disk.h"
#include "jobs.h"
#include "migrate.h"
#include "state.h"

static bool on_arrays(const struct vctl_pool *p, const struct vctl_mld_req *q, uint32_t member)
{
	return vctl_req_allows(p, q, vctl_member_disk(member));
}

struct outside_ctx {
	const struct vctl_mld_req *q;
	uint64_t n;      /* members outside */
	bool first;      /* stop at the first one */
	uint32_t id, k;  /* it */
};

static int outside(const struct vctl_pool *p, uint32_t id, void *arg)
{
	struct outside_ctx *c = arg;
	const struct vctl_rsd *r = vctl_rsd_get(p, id);
	for (unsigned k = 0; k < r->nmembers; k++) {
		if (on_arrays(p, c->q, r->m[k]))
			continue;
		c->n++;
		c->id = id;
		c->k = k;
		if (c->first)
			return 1;
	}
	return 0;
}

static int scan(const struct vctl_pool *p, uint64_t vol, struct outside_ctx *c)
{
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, vol);
	c->q = v ? vctl_mld_req_of(&p->mld, vol) : NULL;
	if (!c->q || !p->st)
		return 0;
	uint8_t *seen = malloc(p->st->nrsd / 8 + 1);
	if (!seen)
		return -ENOMEM;
	int r = vctl_volume_rsds(p, v, seen, outside, c);
	free(seen);
	return r < 0 ? r : 0;
}

uint64_t vctl_migrate_remaining(const struct vctl_pool *p, uint64_t vol)
{
	struct outside_ctx c = {0};
	scan(p, vol, &c);
	return c.n;
}

int vctl_migrate_next(const struct vctl_pool *p, uint64_t vol, uint32_t *id, unsigned *k)
{
	struct outside_ctx c = {.first = true};
	int r = scan(p, vol, &c);
	if (r < 0 || !c.n)
		return r;
	*id = c.id;
	*k = c.k;
	return 1;
}

/* The disks a layout needs for one RStore, and the arrays its intent
 * keeps members apart over (as create chooses them). */
static void layout_needs(const struct vctl_mld_volume *v, unsigned *disks, unsigned *apart)
{
	struct vctl_rsd_layout l = {.raid = (uint8_t)v->raid, .width = (uint8_t)v->width,
				    .stripe = v->stripe};
	*disks = vctl_layout_members(&l);
	*apart = !(v->flags & VCTL_VOL_SEPARATE) ? 1 : v->raid == VCTL_RAID5 ? *disks : 2;
}

int vctl_migrate_plan(const struct vctl_pool *p, uint64_t vol, uint32_t away,
		      const struct vctl_measured *ms, struct vctl_migrate_plan *plan,
		      struct vctl_err *err)
{
	memset(plan, 0, sizeof(*plan));
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, vol);
	const struct vctl_mld_req *own = v ? vctl_mld_req_of(&p->mld, vol) : NULL;
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume with id %llu", (unsigned long long)vol);
	if (!own)
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "volume %s has no requirement (--mbps/--iops) to place it by", v->name);
	struct vctl_array_info *arr;
	uint32_t n;
	int r = vctl_array_list(p, &arr, &n, err);
	if (r < 0)
		return r;
	uint64_t *kept = calloc(n ? n : 1, sizeof(*kept));
	if (!kept || vctl_volume_psegs(p, v, arr, n, kept, &plan->psegs) < 0) {
		free(kept);
		free(arr);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	unsigned disks, apart;
	layout_needs(v, &disks, &apart);
	struct vctl_replace re = {.away = away, .own = own, .kept = kept, .psegs = plan->psegs};
	if (ms && n == p->mld.nencl) {
		re.room_m = ms->room_m;
		re.room_i = ms->room_i;
		re.load_m = ms->load_m;
		re.load_i = ms->load_i;
	}
	r = vctl_array_place(p, own->mbps, own->iops, own->fit, disks, apart, &re, &plan->to,
			     &plan->moves, err);
	plan->to.volume = vol;
	for (uint32_t k = 0; r == 0 && k < plan->to.narrays; k++) {
		const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, plan->to.arrays[k]);
		snprintf(plan->names[k], sizeof(plan->names[k]), "%s", e ? e->name : "?");
	}
	/* capability is not space: the moves need free PSEGs there */
	uint64_t room = 0;
	for (uint32_t i = 0; r == 0 && i < p->mld.ndisks; i++) {
		const struct vctl_mld_disk *d = &p->mld.disks[i];
		if (vctl_disk_allocatable(p, d->index) && vctl_req_allows(p, &plan->to, d->index))
			room += vctl_space_free_psegs(p, d->index);
	}
	if (r == 0 && room < plan->moves)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "the new placement needs %llu free PSEGs on its arrays; they have %llu",
			      (unsigned long long)plan->moves, (unsigned long long)room);
	free(kept);
	free(arr);
	return r;
}

int vctl_migrate_start(struct vctl_pool *p, uint64_t vol, uint32_t away,
		       const struct vctl_measured *ms, uint64_t rate, struct vctl_migrate_plan *plan,
		       uint64_t *job, struct vctl_err *err)
{
	*job = 0;
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld *m = &p->mld;
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, vol);
	const struct vctl_mld_job *busy = v ? vctl_mld_job_of(m, vol, VCTL_JOB_MIGRATE) : NULL;
	int r = 0;
	if (busy)
		r = vctl_errf(err, -VCTL_E_REFUSED, "volume %s is being migrated already (job %llu)",
			      v->name, (unsigned long long)busy->id);
	else
		r = vctl_migrate_plan(p, vol, away, ms, plan, err);
	struct vctl_mld_req *q = r == 0 ? vctl_mld_req_of(m, vol) : NULL;
	if (q) {
		struct vctl_mld_req old = *q;
		struct vctl_mld_job j = {.kind = VCTL_JOB_MIGRATE, .state = VCTL_JOB_RUNNING,
					 .created = (uint64_t)time(NULL), .volume = vol, .rate = rate};
		*q = plan->to;
		r = vctl_job_add(p, &j, err);
		if (r == 0) {
			*job = m->jobs[m->njobs - 1].id;
			r = vctl_pool_commit(p, err);
			if (r < 0) {
				vctl_job_remove(p, *job);
				*job = 0;
			}
		}
		if (r < 0)
			*q = old;
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_migrate_by_name(struct vctl_pool *p, const char *volume, const char *from, uint64_t rate,
			 struct vctl_migrate_plan *plan, uint64_t *job, struct vctl_err *err)
{
	vctl_rwlock_rd(&p->lock);
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(&p->mld, volume);
	const struct vctl_mld_encl *e = vctl_mld_encl_by_name(&p->mld, from);
	uint64_t vol = v ? v->id : 0;
	uint32_t away = e ? e->id : 0;
	int r = 0;
	if (!v) {
		r = vctl_errf(err, -ENOENT, "no volume named %s", volume);
	} else if (!e) {
		r = vctl_errf(err, -ENOENT, "no array (enclosure) named %s", from);
	} else if (!vctl_mld_req_of(&p->mld, vol)) {
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "volume %s has no requirement (--mbps/--iops) to place it by", volume);
	} else {
		const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, vol);
		bool on = false;
		for (uint32_t k = 0; k < q->narrays; k++)
			on = on || q->arrays[k] == away;
		if (!on)
			r = vctl_errf(err, -VCTL_E_REFUSED, "volume %s is not placed on array %s", volume,
				      from);
	}
	vctl_rwlock_unlock(&p->lock);
	return r < 0 ? r : vctl_migrate_start(p, vol, away, NULL, rate, plan, job, err);
}

/* Cancelling: the volume stays where its PSEGs are now, and its
 * requirement names every array that holds them (besides the new ones),
 * so that its intent holds again. */
int vctl_migrate_cancel(struct vctl_pool *p, struct vctl_mld_job *j, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, j->volume);
	struct vctl_mld_req *q = vctl_mld_req_of(m, j->volume);
	struct vctl_array_info *arr;
	uint32_t n;
	int r = vctl_array_list(p, &arr, &n, err);
	if (r < 0)
		return r;
	uint64_t *held = calloc(n ? n : 1, sizeof(*held)), tot;
	if (!held || vctl_volume_psegs(p, v, arr, n, held, &tot) < 0) {
		free(held);
		free(arr);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	struct vctl_mld_req nq = *q;
	for (uint32_t a = 0; r == 0 && a < n; a++) {
		bool in = false;
		for (uint32_t k = 0; k < nq.narrays; k++)
			in = in || nq.arrays[k] == arr[a].id;
		if (in || !held[a])
			continue;
		if (nq.narrays == VCTL_REQ_MAX_ARRAYS)
			r = vctl_errf(err, -VCTL_E_REFUSED,
				      "volume %s would lie on more than %u arrays: let the migration finish",
				      v->name, VCTL_REQ_MAX_ARRAYS);
		else
			nq.arrays[nq.narrays++] = arr[a].id;
	}
	free(held);
	free(arr);
	if (r < 0)
		return r;
	struct vctl_mld_req old = *q;
	*q = nq;
	struct vctl_mld_job saved = *j;
	vctl_job_remove(p, j->id);
	r = vctl_pool_commit(p, err);
	if (r < 0) {
		*q = old;
		vctl_job_add(p, &saved, err);
		m->jobs[m->njobs - 1].id = saved.id;
		m->pool.next_id--;
	}
	return r;
}
