/* The load monitor (source 004): each round measures every array's load
 * against its rating; for an array above the threshold it picks the
 * volume that fits it worst - the one whose measured load there most
 * exceeds what its requirement commits there - and a new placement for
 * it without that array, and can start its migration. */
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "migrate.h"
#include "monitor.h"
#include "state.h"

/* The load of array a as a fraction of its rating: the higher of its
 * rated dimensions (*iops: transactions). 0 when unrated. */
static double use_of(const struct vctl_array_info *a, bool *iops)
{
	double m = a->mbps ? a->load_mbps / (double)a->mbps : 0;
	double i = a->iops ? a->load_iops / (double)a->iops : 0;
	*iops = i > m;
	return *iops ? i : m;
}

static int by_use(const void *x, const void *y)
{
	const struct vctl_monitor_hot *a = x, *b = y;
	if (a->use != b->use)
		return a->use > b->use ? -1 : 1;
	return a->array < b->array ? -1 : a->array > b->array;
}

/* Volume v's commitment on array id, in bandwidth or transactions. */
static uint64_t committed_on(const struct vctl_mld_req *q, uint32_t id, bool iops)
{
	for (uint32_t k = 0; q && k < q->narrays; k++)
		if (q->arrays[k] == id)
			return vctl_req_share(iops ? q->iops : q->mbps, q->narrays, k);
	return 0;
}

/* The worst-fit volume on hot array h: the largest excess of measured
 * load over commitment there, among volumes with a requirement and load
 * on it. With the pool lock held. */
static void worst_fit(const struct vctl_pool *p, const struct vctl_vol_load *vl,
		      const struct vctl_array_info *a, struct vctl_monitor_hot *h, uint64_t *vol)
{
	double best = -1;
	*vol = 0;
	for (uint32_t v = 0; v < vl->nvol; v++) {
		const struct vctl_mld_volume *mv = vctl_mld_volume_by_id(&p->mld, vl->volume[v]);
		const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, vl->volume[v]);
		double load = (h->iops ? vl->iops : vl->mbps)[(size_t)v * vl->narrays + h->array];
		if (!mv || !q || load <= 0)
			continue;
		uint64_t c = committed_on(q, a->id, h->iops);
		if (load - (double)c <= best)
			continue;
		best = load - (double)c;
		*vol = mv->id;
		snprintf(h->volume, sizeof(h->volume), "%s", mv->name);
		h->vol_load = load;
		h->vol_committed = c;
	}
}

/* The load each array may still take below the threshold, once volume
 * vol's own load leaves it; and that load of the volume. */
static int measure(const struct vctl_monitor_opts *o, const struct vctl_monitor_round *rd,
		   const struct vctl_vol_load *vl, uint64_t vol, struct vctl_measured *ms)
{
	double *room_m = calloc(rd->narrays + 1, sizeof(double));
	double *room_i = calloc(rd->narrays + 1, sizeof(double));
	if (!room_m || !room_i) {
		free(room_m);
		free(room_i);
		return -ENOMEM;
	}
	*ms = (struct vctl_measured){.room_m = room_m, .room_i = room_i};
	uint32_t v = 0;
	while (v < vl->nvol && vl->volume[v] != vol)
		v++;
	for (uint32_t a = 0; a < rd->narrays; a++) {
		const struct vctl_array_info *x = &rd->arrays[a];
		double mine_m = v < vl->nvol ? vl->mbps[(size_t)v * vl->narrays + a] : 0;
		double mine_i = v < vl->nvol ? vl->iops[(size_t)v * vl->narrays + a] : 0;
		ms->load_m += mine_m;
		ms->load_i += mine_i;
		room_m[a] = x->mbps ? o->threshold * (double)x->mbps - (x->load_mbps - mine_m) : DBL_MAX;
		room_i[a] = x->iops ? o->threshold * (double)x->iops - (x->load_iops - mine_i) : DBL_MAX;
	}
	return 0;
}

/* What to do about hot array h: its worst-fit volume, a new placement,
 * and (o->migrate) the migration onto it. */
static int relieve(struct vctl_pool *p, const struct vctl_monitor_opts *o,
		   const struct vctl_monitor_round *rd, const struct vctl_vol_load *vl,
		   struct vctl_monitor_hot *h, struct vctl_err *err)
{
	const struct vctl_array_info *a = &rd->arrays[h->array];
	struct vctl_measured ms = {0};
	uint64_t vol;
	vctl_rwlock_rd(&p->lock);
	worst_fit(p, vl, a, h, &vol);
	const struct vctl_mld_job *j = vol ? vctl_mld_job_of(&p->mld, vol, VCTL_JOB_MIGRATE) : NULL;
	int r = 0;
	if (!vol) {
		snprintf(h->problem, sizeof(h->problem),
			 "no volume with a requirement carries load on it (only placed volumes are migrated)");
	} else if (j) {
		h->job = j->id;
		snprintf(h->problem, sizeof(h->problem), "%s is being migrated (job %llu)", h->volume,
			 (unsigned long long)j->id);
	} else {
		struct vctl_err why = {0};
		r = measure(o, rd, vl, vol, &ms);
		if (r == 0)
			r = vctl_migrate_plan(p, vol, a->id, &ms, &h->plan, &why);
		else
			vctl_errf(&why, r, "out of memory");
		h->planned = r == 0;
		if (r == -VCTL_E_REFUSED || r == -ENOENT) {
			snprintf(h->problem, sizeof(h->problem),
				 "no placement of %s without array %s: %s; arrays must be added (vctl disk add --enclosure NAME, vctl array set NAME)",
				 h->volume, a->name, why.msg);
			r = 0;
		} else if (r < 0) {
			*err = why;
		}
	}
	vctl_rwlock_unlock(&p->lock);
	if (r == 0 && h->planned && o->migrate) {
		/* planned again under the lock that starts it */
		r = vctl_migrate_start(p, vol, a->id, &ms, o->rate, &h->plan, &h->job, err);
		h->started = r == 0;
		if (r == -VCTL_E_REFUSED) { /* things changed meanwhile */
			h->planned = false;
			snprintf(h->problem, sizeof(h->problem), "%s", err->msg);
			r = 0;
		}
	}
	free((void *)ms.room_m);
	free((void *)ms.room_i);
	return r;
}

int vctl_monitor_round(struct vctl_pool *p, const struct vctl_monitor_opts *o,
		       struct vctl_monitor_round *rd, struct vctl_err *err)
{
	memset(rd, 0, sizeof(*rd));
	if (!p->gate)
		return vctl_errf(err, -ESRCH, "no server is running: the load is measured by vctl serve");
	vctl_rwlock_rd(&p->lock);
	int r = vctl_array_list(p, &rd->arrays, &rd->narrays, err);
	vctl_rwlock_unlock(&p->lock);
	struct vctl_vol_load vl = {0};
	if (r == 0)
		r = vctl_array_load(p, rd->arrays, rd->narrays, o->sample_ms, &vl, err);
	if (r == 0 && !(rd->hot = calloc(rd->narrays ? rd->narrays : 1, sizeof(*rd->hot))))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t a = 0; r == 0 && a < rd->narrays; a++) {
		struct vctl_monitor_hot h = {.array = a};
		h.use = use_of(&rd->arrays[a], &h.iops);
		if (h.use > o->threshold)
			rd->hot[rd->nhot++] = h;
	}
	if (r == 0)
		qsort(rd->hot, rd->nhot, sizeof(*rd->hot), by_use);
	for (uint32_t i = 0; r == 0 && i < rd->nhot; i++)
		r = relieve(p, o, rd, &vl, &rd->hot[i], err);
	vctl_vol_load_free(&vl);
	if (r < 0)
		vctl_monitor_round_free(rd);
	return r;
}

void vctl_monitor_round_free(struct vctl_monitor_round *rd)
{
	free(rd->arrays);
	free(rd->hot);
	memset(rd, 0, sizeof(*rd));
}
