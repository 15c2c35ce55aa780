/* Snapclones (source 002 [0100]-[0109]): a snapshot whose data is then
 * copied in the background (BGCOPY) until it shares nothing, after which
 * it leaves its sharing chain and is a volume like any other.
 *
 * This is the scaling variant of [0106]-[0109]. A BGCOPY step gives the
 * clone C its own copy of what it reads through its successor V and clears
 * C's Ss, but leaves V's Sp set: there it means "V unchanged since the
 * copy". A write to V then copies nothing (C has the data) and only clears
 * V's Sp. Before C leaves, its predecessor P must not lose what it reads
 * through C: where V is unchanged P can read through V instead; where V
 * changed, P gets a copy of C's data. Those copies are made in steps while
 * clients go on; once fewer than the threshold M remain, the last ones and
 * the removal happen with the pool lock held alone. The cursor of BGCOPY
 * is in C's volume record, so a killed job resumes where it was. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clone.h"
#include "raid.h"
#include "share.h"
#include "state.h"

#define STEP_RSEGS 16u /* RSEGs per BGCOPY step: the lock is let go between */

/* Rates, kept by the process that runs the jobs (the server, or a
 * foreground command) and read by `vctl jobs` run there. */
#define RATE_SLOTS 64
static struct {
	uint64_t id, c0, c1;
	struct timespec t0, t1;
} rates[RATE_SLOTS];
static pthread_mutex_t rates_lock = PTHREAD_MUTEX_INITIALIZER;

static void rate_note(uint64_t id, uint64_t cursor)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&rates_lock);
	unsigned slot = (unsigned)(id % RATE_SLOTS);
	if (rates[slot].id != id) {
		rates[slot].id = id;
		rates[slot].c0 = cursor;
		rates[slot].t0 = now;
	}
	rates[slot].c1 = cursor;
	rates[slot].t1 = now;
	pthread_mutex_unlock(&rates_lock);
}

/* RSEGs per second since this process first stepped job id, or 0. */
static double rate_of(uint64_t id)
{
	pthread_mutex_lock(&rates_lock);
	unsigned slot = (unsigned)(id % RATE_SLOTS);
	double r = 0;
	if (rates[slot].id == id) {
		double dt = (double)(rates[slot].t1.tv_sec - rates[slot].t0.tv_sec) +
			    (double)(rates[slot].t1.tv_nsec - rates[slot].t0.tv_nsec) / 1e9;
		if (dt > 0.05 && rates[slot].c1 > rates[slot].c0)
			r = (double)(rates[slot].c1 - rates[slot].c0) / dt;
	}
	pthread_mutex_unlock(&rates_lock);
	return r;
}

static uint64_t nrseg_of(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	return (v->size + p->mld.pool.geom.rseg_size - 1) / p->mld.pool.geom.rseg_size;
}

int vctl_snapclone_start(struct vctl_pool *p, const char *name, const char *clone,
			 uint64_t *id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = vctl_snapshot_locked(p, name, clone, false, err);
	struct vctl_mld_volume *c = r == 0 ? vctl_mld_volume_by_name(&p->mld, clone) : NULL;
	if (c) {
		c->flags |= VCTL_VOL_CLONE;
		c->cursor = 0;
		*id = c->id;
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

/* The copies P needs before C leaves: RSEGs P reads through C where C's
 * successor has changed since. Makes at most `max` of them (all if
 * UINT64_MAX, none if 0) and returns how many were needed before. */
static int64_t feed_pred(struct vctl_pool *p, struct vctl_mld_volume *c, uint64_t max,
			 struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_mld_volume *pv = vctl_share_pred(p, c);
	struct vctl_mld_volume *sv = c->succ ? vctl_mld_volume_by_id(&p->mld, c->succ) : NULL;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	struct vctl_vmap *pm = pv ? vctl_vmap_of(p, pv->id) : NULL;
	struct vctl_vmap *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	if (!pm)
		return 0;
	uint64_t n = nrseg_of(p, c), sn = sv ? nrseg_of(p, sv) : 0, done = 0;
	int64_t need = 0;
	for (uint64_t k = 0; k < n; k++) {
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (!(e & VCTL_LMAP_SP))
			continue;
		bool unchanged = sm && k < sn && (vctl_vmap_get(sm, g, k) & VCTL_LMAP_SP) &&
				 !(e & VCTL_LMAP_SS);
		if (unchanged)
			continue;
		need++;
		if (done >= max || (e & VCTL_LMAP_SS))
			continue; /* (Ss: BGCOPY has not been here yet) */
		uint32_t pe = vctl_vmap_get(pm, g, k);
		int r = vctl_share_copy(p, pv, pm, k, e, pe & VCTL_LMAP_SP, err);
		if (r < 0)
			return r;
		vctl_vmap_set(cm, g, k, e & ~VCTL_LMAP_SP);
		done++;
	}
	return need;
}

/* BGCOPY of up to `max` RSEGs from the cursor. */
static int bgcopy(struct vctl_pool *p, struct vctl_mld_volume *c, uint64_t max,
		  struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	uint64_t n = nrseg_of(p, c);
	for (uint64_t i = 0; i < max && c->cursor < n; i++, c->cursor++) {
		uint64_t k = c->cursor;
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (!(e & VCTL_LMAP_SS))
			continue;
		int r = vctl_share_copy(p, c, cm, k, vctl_share_resolve(p, c, cm, k), e & VCTL_LMAP_SP, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* C leaves the chain; P reads through C's successor where C did. */
static void leave(struct vctl_pool *p, struct vctl_mld_volume *c)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id);
	uint64_t n = nrseg_of(p, c);
	vctl_share_unlink(p, c);
	for (uint64_t k = 0; k < n; k++) {
		uint32_t e = vctl_vmap_get(cm, g, k);
		if (e & VCTL_LMAP_SP)
			vctl_vmap_set(cm, g, k, e & ~VCTL_LMAP_SP);
	}
	c->flags &= ~VCTL_VOL_CLONE;
	c->cursor = 0;
}

int vctl_snapclone_step(struct vctl_pool *p, uint64_t id, uint64_t threshold,
			struct vctl_clone_progress *pr, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *c = vctl_mld_volume_by_id(&p->mld, id);
	int r = 0;
	if (!c || !(c->flags & VCTL_VOL_CLONE)) {
		vctl_rwlock_unlock(&p->lock);
		return 1; /* done (or deleted meanwhile) */
	}
	uint64_t n = nrseg_of(p, c);
	if ((r = vctl_dirty_first(p, c, err)) < 0)
		goto out;
	if (c->cursor < n) {
		r = bgcopy(p, c, STEP_RSEGS, err);
	} else {
		/* Copies for the predecessor in steps; the last ones (fewer
		 * than M) with the removal, in one hold of the lock. */
		int64_t need = feed_pred(p, c, 0, err);
		if (need >= 0 && (uint64_t)need < (threshold ? threshold : 1)) {
			need = feed_pred(p, c, UINT64_MAX, err);
			if (need >= 0)
				leave(p, c);
		} else if (need >= 0) {
			need = feed_pred(p, c, STEP_RSEGS, err);
		}
		r = need < 0 ? (int)need : 0;
	}
	bool done = !(c->flags & VCTL_VOL_CLONE);
	if (!done)
		rate_note(id, c->cursor);
	if (pr) {
		pr->cursor = done ? n : c->cursor;
		pr->total = n;
		pr->done = done;
	}
	if (r == 0)
		r = vctl_pool_commit(p, err);
out:
	vctl_rwlock_unlock(&p->lock);
	return r < 0 ? r : done;
}

int vctl_snapclone_cancel(struct vctl_pool *p, uint64_t id, struct vctl_err *err)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_volume *c = vctl_mld_volume_by_id(&p->mld, id);
	int r = 0;
	if (!c || !(c->flags & VCTL_VOL_CLONE)) {
		r = vctl_errf(err, -ENOENT, "no job %llu", (unsigned long long)id);
		goto out;
	}
	/* It stays, as a plain snapshot: its successor's "unchanged since the
	 * copy" marks go, as it owns those copies anyway. */
	struct vctl_mld_volume *sv = c->succ ? vctl_mld_volume_by_id(&p->mld, c->succ) : NULL;
	struct vctl_vmap *cm = vctl_vmap_of(p, c->id), *sm = sv ? vctl_vmap_of(p, sv->id) : NULL;
	uint64_t n = nrseg_of(p, c), sn = sv ? nrseg_of(p, sv) : 0;
	for (uint64_t k = 0; sm && k < n && k < sn; k++) {
		uint32_t e = vctl_vmap_get(sm, g, k);
		if ((e & VCTL_LMAP_SP) && !(vctl_vmap_get(cm, g, k) & VCTL_LMAP_SS))
			vctl_vmap_set(sm, g, k, e & ~VCTL_LMAP_SP);
	}
	c->flags &= ~VCTL_VOL_CLONE;
	c->cursor = 0;
	r = vctl_pool_commit(p, err);
out:
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_jobs_list(const struct vctl_pool *p, struct vctl_job **out, uint32_t *n)
{
	struct vctl_rwlock *l = (struct vctl_rwlock *)&p->lock;
	vctl_rwlock_rd(l);
	*out = NULL;
	*n = 0;
	for (uint32_t i = 0; i < p->mld.nvol; i++)
		*n += (p->mld.vols[i].flags & VCTL_VOL_CLONE) != 0;
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out) {
		vctl_rwlock_unlock(l);
		return -ENOMEM;
	}
	uint32_t j = 0;
	for (uint32_t i = 0; i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		if (!(v->flags & VCTL_VOL_CLONE))
			continue;
		struct vctl_job *jb = &(*out)[j++];
		const struct vctl_mld_volume *o = v->origin ? vctl_mld_volume_by_id(&p->mld, v->origin) : NULL;
		jb->id = v->id;
		snprintf(jb->volume, sizeof(jb->volume), "%s", v->name);
		snprintf(jb->origin, sizeof(jb->origin), "%s", o ? o->name : "");
		jb->cursor = v->cursor;
		jb->total = nrseg_of(p, v);
		jb->rseg_size = p->mld.pool.geom.rseg_size;
		jb->rate = rate_of(v->id) * (double)p->mld.pool.geom.rseg_size;
	}
	vctl_rwlock_unlock(l);
	return 0;
}

/* ---- The job thread of `vctl serve` ---- */

struct vctl_job_runner {
	struct vctl_pool *p;
	pthread_t thread;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool stop;
	void (*log)(void *ctx, const char *msg);
	void *ctx;
};

/* Sleeps up to ms, or until stopped; true when stopped. */
static bool nap(struct vctl_job_runner *jr, unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&jr->m);
	while (!jr->stop && pthread_cond_timedwait(&jr->c, &jr->m, &ts) == 0)
		;
	bool stop = jr->stop;
	pthread_mutex_unlock(&jr->m);
	return stop;
}

static void *runner_main(void *arg)
{
	struct vctl_job_runner *jr = arg;
	/* Test hook: a pause between rounds, so that a test can catch a job
	 * in the middle. */
	const char *pace = getenv("VCTL_JOB_PACE_MS");
	unsigned pace_ms = pace ? (unsigned)atoi(pace) : 0;
	for (;;) {
		struct vctl_job *jobs = NULL;
		uint32_t n = 0;
		unsigned idle_ms = 100;
		if (vctl_jobs_list(jr->p, &jobs, &n) == 0) {
			/* one step of each job per round: they share the disks */
			for (uint32_t i = 0; i < n; i++) {
				struct vctl_err err = {0};
				struct vctl_clone_progress pr;
				int r = vctl_snapclone_step(jr->p, jobs[i].id, VCTL_CLONE_THRESHOLD, &pr, &err);
				if (r < 0) {
					char msg[600];
					snprintf(msg, sizeof(msg), "job %llu (snapclone %s): %s; retrying in 1 s",
						 (unsigned long long)jobs[i].id, jobs[i].volume, err.msg);
					jr->log(jr->ctx, msg);
					idle_ms = 1000;
				} else if (r == 1) {
					char msg[200];
					snprintf(msg, sizeof(msg), "job %llu: snapclone %s shares nothing now",
						 (unsigned long long)jobs[i].id, jobs[i].volume);
					jr->log(jr->ctx, msg);
				}
			}
		}
		free(jobs);
		if (nap(jr, n && idle_ms < 1000 ? pace_ms : idle_ms))
			break;
	}
	return NULL;
}

int vctl_job_runner_start(struct vctl_pool *p, void (*log)(void *ctx, const char *msg), void *ctx,
			  struct vctl_job_runner **out, struct vctl_err *err)
{
	struct vctl_job_runner *jr = calloc(1, sizeof(*jr));
	if (!jr)
		return vctl_errf(err, -ENOMEM, "out of memory");
	jr->p = p;
	jr->log = log;
	jr->ctx = ctx;
	pthread_mutex_init(&jr->m, NULL);
	pthread_cond_init(&jr->c, NULL);
	int e = pthread_create(&jr->thread, NULL, runner_main, jr);
	if (e) {
		pthread_mutex_destroy(&jr->m);
		pthread_cond_destroy(&jr->c);
		free(jr);
		return vctl_errf(err, -e, "starting the job thread: %s", strerror(e));
	}
	*out = jr;
	return 0;
}

void vctl_job_runner_stop(struct vctl_job_runner *jr)
{
	if (!jr)
		return;
	pthread_mutex_lock(&jr->m);
	jr->stop = true;
	pthread_cond_signal(&jr->c);
	pthread_mutex_unlock(&jr->m);
	pthread_join(jr->thread, NULL);
	pthread_mutex_destroy(&jr->m);
	pthread_cond_destroy(&jr->c);
	free(jr);
}
