/* Background jobs of every kind, and the job thread of `vctl serve`. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clone.h"
#include "disk.h"
#include "jobs.h"
#include "migrate.h"
#include "restripe.h"
#include "resync.h"
#include "state.h"

/* RSEGs per restripe step: in the job thread, few, so that client I/O
 * waits little for the lock; in the foreground, more per commit. */
#define BG_RSEGS 2u
#define FG_RSEGS 8u
/* PSEGs per level or evacuate step (each move is a commit of its own). */
#define BG_PSEGS 1u
#define FG_PSEGS 4u
/* After client I/O, the job thread waits this long before its next step. */
#define YIELD_MS 2u

/* Kept by the process that runs the jobs (the server, or a foreground
 * command) and read by `vctl jobs` run there: the rate at which each job
 * advances, when it may move again (--rate), and the client I/O count it
 * last saw. */
#define SLOTS 64
static struct {
	uint64_t id, c0, c1;
	struct timespec t0, t1, next;
	uint64_t io_seen;
	bool yielded; /* gave way once: the next step goes ahead */
} slots[SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* The slot of job id, claimed for it if another job had it. */
static unsigned slot_of(uint64_t id, const struct timespec *now, uint64_t cursor)
{
	unsigned s = (unsigned)(id % SLOTS);
	if (slots[s].id != id) {
		memset(&slots[s], 0, sizeof(slots[s]));
		slots[s].id = id;
		slots[s].c0 = slots[s].c1 = cursor;
		slots[s].t0 = slots[s].t1 = slots[s].next = *now;
	}
	return s;
}

static void rate_note(uint64_t id, uint64_t cursor)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&slots_lock);
	unsigned s = slot_of(id, &now, cursor);
	slots[s].c1 = cursor;
	slots[s].t1 = now;
	pthread_mutex_unlock(&slots_lock);
}

/* RSEGs per second since this process first stepped job id, or 0. */
static double rate_of(uint64_t id)
{
	pthread_mutex_lock(&slots_lock);
	unsigned s = (unsigned)(id % SLOTS);
	double r = 0;
	if (slots[s].id == id) {
		double dt = secs(&slots[s].t0, &slots[s].t1);
		if (dt > 0.05 && slots[s].c1 > slots[s].c0)
			r = (double)(slots[s].c1 - slots[s].c0) / dt;
	}
	pthread_mutex_unlock(&slots_lock);
	return r;
}

/* Milliseconds job id must wait before its next step: its --rate, and in
 * the job thread, client I/O since its last step (clients go first). */
static unsigned wait_before(const struct vctl_pool *p, uint64_t id, uint64_t cursor,
			    bool background)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t io = atomic_load_explicit(&p->st->io_seq, memory_order_relaxed);
	pthread_mutex_lock(&slots_lock);
	unsigned s = slot_of(id, &now, cursor);
	double left = secs(&now, &slots[s].next);
	unsigned ms = left > 0 ? (unsigned)(left * 1000) + 1 : 0;
	/* Clients first, but once per step: under constant client I/O the
	 * job still moves, a step per YIELD_MS at the least. */
	if (!ms && background && io != slots[s].io_seen && !slots[s].yielded) {
		slots[s].io_seen = io;
		slots[s].yielded = true;
		ms = YIELD_MS;
	} else if (!ms) {
		slots[s].yielded = false;
	}
	pthread_mutex_unlock(&slots_lock);
	return ms;
}

/* After a step that moved `bytes` of a job paced at `rate` bytes/s. */
static void pace_note(uint64_t id, uint64_t bytes, uint64_t rate)
{
	if (!rate || !bytes)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&slots_lock);
	unsigned s = slot_of(id, &now, 0);
	if (secs(&now, &slots[s].next) < 0)
		slots[s].next = now;
	double d = (double)bytes / (double)rate;
	slots[s].next.tv_sec += (time_t)d;
	slots[s].next.tv_nsec += (long)((d - (double)(time_t)d) * 1e9);
	if (slots[s].next.tv_nsec >= 1000000000L) {
		slots[s].next.tv_sec++;
		slots[s].next.tv_nsec -= 1000000000L;
	}
	pthread_mutex_unlock(&slots_lock);
}

static uint64_t nrseg_of(const struct vctl_pool *p, const struct vctl_mld_volume *v)
{
	return (v->size + p->mld.pool.geom.rseg_size - 1) / p->mld.pool.geom.rseg_size;
}

/* PSEGs a pool job has still to move or rebuild, with the lock held. */
static uint64_t remaining(const struct vctl_pool *p, const struct vctl_mld_job *j)
{
	return j->kind == VCTL_JOB_REBUILD ? vctl_rebuild_remaining(p) : vctl_move_remaining(p, j);
}

static struct vctl_rsd_layout layout(uint32_t raid, uint32_t width, uint32_t stripe)
{
	return (struct vctl_rsd_layout){.raid = (uint8_t)raid, .width = (uint8_t)width,
					.stripe = stripe};
}

/* A migration: its volume, and the arrays it moves onto. */
static void describe_migration(const struct vctl_pool *p, const struct vctl_mld_job *j,
			       struct vctl_job *jb)
{
	const struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, j->volume);
	const struct vctl_mld_req *q = vctl_mld_req_of(&p->mld, j->volume);
	snprintf(jb->volume, sizeof(jb->volume), "%s", v ? v->name : "");
	size_t len = 0;
	for (uint32_t k = 0; q && k < q->narrays && len < sizeof(jb->arrays); k++) {
		const struct vctl_mld_encl *e = vctl_mld_encl_by_id(&p->mld, q->arrays[k]);
		int w = snprintf(jb->arrays + len, sizeof(jb->arrays) - len, "%s%s", k ? "," : "",
				 e ? e->name : "?");
		len += w > 0 ? (size_t)w : 0;
	}
}

int vctl_jobs_list(const struct vctl_pool *p, struct vctl_job **out, uint32_t *n)
{
	struct vctl_rwlock *l = (struct vctl_rwlock *)&p->lock;
	const struct vctl_mld *m = &p->mld;
	vctl_rwlock_rd(l);
	*n = m->njobs;
	for (uint32_t i = 0; i < m->nvol; i++)
		*n += (m->vols[i].flags & VCTL_VOL_CLONE) != 0;
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out) {
		vctl_rwlock_unlock(l);
		return -ENOMEM;
	}
	/* by id: the order they were started in */
	uint32_t k = 0;
	for (uint32_t i = 0, ji = 0; i < m->nvol || ji < m->njobs;) {
		bool vol = ji == m->njobs || (i < m->nvol && m->vols[i].id < m->jobs[ji].id);
		if (vol && !(m->vols[i].flags & VCTL_VOL_CLONE)) {
			i++;
			continue;
		}
		struct vctl_job *jb = &(*out)[k++];
		jb->unit_size = m->pool.geom.rseg_size;
		if (vol) {
			const struct vctl_mld_volume *v = &m->vols[i++];
			const struct vctl_mld_volume *o = v->origin ? vctl_mld_volume_by_id(m, v->origin) : NULL;
			jb->id = v->id;
			jb->kind = "snapclone";
			snprintf(jb->volume, sizeof(jb->volume), "%s", v->name);
			snprintf(jb->origin, sizeof(jb->origin), "%s", o ? o->name : "");
			jb->cursor = v->cursor;
			jb->total = nrseg_of(p, v);
			jb->state = jb->cursor < jb->total ? "copying" : "leaving";
			jb->from = jb->to = layout(v->raid, v->width, v->stripe);
		} else {
			const struct vctl_mld_job *j = &m->jobs[ji++];
			jb->id = j->id;
			jb->kind = vctl_job_kind_name(j->kind);
			jb->state = vctl_job_state_name(j->state);
			jb->rate_limit = j->rate;
			if (j->kind != VCTL_JOB_RESTRIPE) {
				jb->in_psegs = true;
				jb->unit_size = m->pool.geom.pseg_size;
				jb->disk = j->kind == VCTL_JOB_EVACUATE ? j->disk : 0;
				if (j->kind == VCTL_JOB_MIGRATE)
					describe_migration(p, j, jb);
				jb->cursor = j->cursor;
				jb->total = j->cursor + remaining(p, j);
				jb->rate = rate_of(jb->id) * (double)jb->unit_size;
				continue;
			}
			const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, j->volume);
			snprintf(jb->volume, sizeof(jb->volume), "%s", v->name);
			jb->from = layout(j->raid, j->width, j->stripe);
			jb->to = layout(v->raid, v->width, v->stripe);
			jb->cursor = j->cursor;
			jb->total = nrseg_of(p, v);
		}
		jb->rate = rate_of(jb->id) * (double)jb->unit_size;
	}
	*n = k;
	vctl_rwlock_unlock(l);
	return 0;
}

int vctl_job_step(struct vctl_pool *p, uint64_t id, uint64_t threshold, bool background,
		  struct vctl_job_progress *pr, struct vctl_err *err)
{
	memset(pr, 0, sizeof(*pr));
	vctl_rwlock_rd(&p->lock);
	const struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
	const struct vctl_mld_volume *v =
		j && j->kind == VCTL_JOB_RESTRIPE ? vctl_mld_volume_by_id(&p->mld, j->volume) : NULL;
	uint64_t rate = j ? j->rate : 0, cursor = j ? j->cursor : 0, pseg = p->mld.pool.geom.pseg_size;
	uint32_t kind = j ? j->kind : 0;
	pr->total = v ? nrseg_of(p, v) : j ? cursor + remaining(p, j) : 0;
	pr->in_psegs = j && kind != VCTL_JOB_RESTRIPE;
	vctl_rwlock_unlock(&p->lock);
	int r;
	if (!j) {
		struct vctl_clone_progress cp = {0};
		r = vctl_snapclone_step(p, id, threshold, &cp, err);
		pr->cursor = cp.cursor;
		pr->total = cp.total;
		if (r == 0)
			rate_note(id, cp.cursor);
		return r;
	}
	pr->cursor = cursor;
	if ((pr->wait_ms = wait_before(p, id, cursor, background)) > 0)
		return 0;
	uint64_t moved, unit;
	if (kind == VCTL_JOB_RESTRIPE) {
		r = vctl_restripe_step(p, id, background ? BG_RSEGS : FG_RSEGS, &moved, err);
		unit = 1; /* restripe steps count bytes */
	} else if (kind == VCTL_JOB_REBUILD) {
		r = vctl_rebuild_step(p, id, background ? BG_PSEGS : FG_PSEGS, &moved, err);
		unit = pseg;
	} else {
		r = vctl_move_step(p, id, background ? BG_PSEGS : FG_PSEGS, &moved, err);
		unit = pseg;
	}
	pace_note(id, moved * unit, rate);
	vctl_rwlock_rd(&p->lock);
	j = vctl_mld_job_by_id(&p->mld, id);
	pr->cursor = j ? j->cursor : pr->total;
	if (j && kind != VCTL_JOB_RESTRIPE)
		pr->total = j->cursor + remaining(p, j);
	vctl_rwlock_unlock(&p->lock);
	if (r == 0)
		rate_note(id, pr->cursor);
	return r;
}

int vctl_job_cancel(struct vctl_pool *p, uint64_t id, bool *more, struct vctl_err *err)
{
	vctl_rwlock_rd(&p->lock);
	bool recorded = vctl_mld_job_by_id(&p->mld, id) != NULL;
	vctl_rwlock_unlock(&p->lock);
	*more = recorded;
	if (!recorded)
		return vctl_snapclone_cancel(p, id, err);
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_job *j = vctl_mld_job_by_id(&p->mld, id);
	int r = 1;
	if (j && j->kind == VCTL_JOB_MIGRATE) {
		*more = false;
		r = vctl_migrate_cancel(p, j, err);
	} else if (j && j->kind != VCTL_JOB_RESTRIPE) {
		/* nothing to undo: every move so far is whole */
		*more = false;
		vctl_job_remove(p, id);
		r = vctl_pool_commit(p, err);
	}
	vctl_rwlock_unlock(&p->lock);
	return r == 1 ? vctl_restripe_cancel(p, id, err) : r;
}

int vctl_job_add(struct vctl_pool *p, const struct vctl_mld_job *j, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	void *n = realloc(m->jobs, (m->njobs + 1) * sizeof(*m->jobs));
	if (!n)
		return vctl_errf(err, -ENOMEM, "out of memory");
	m->jobs = n;
	m->jobs[m->njobs] = *j;
	m->jobs[m->njobs++].id = m->pool.next_id++;
	return 0;
}

void vctl_job_remove(struct vctl_pool *p, uint64_t id)
{
	struct vctl_mld *m = &p->mld;
	for (uint32_t i = 0; i < m->njobs; i++) {
		if (m->jobs[i].id != id)
			continue;
		memmove(&m->jobs[i], &m->jobs[i + 1], (m->njobs - i - 1) * sizeof(*m->jobs));
		m->njobs--;
		return;
	}
}

void vctl_jobs_drop_volume(struct vctl_pool *p, uint64_t vol)
{
	struct vctl_mld *m = &p->mld;
	for (uint32_t i = m->njobs; i-- > 0;)
		if (m->jobs[i].volume == vol)
			vctl_job_remove(p, m->jobs[i].id);
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
		unsigned idle_ms = 100, wait_ms = 100;
		if (vctl_jobs_list(jr->p, &jobs, &n) == 0) {
			/* one step of each job per round: they share the disks */
			for (uint32_t i = 0; i < n; i++) {
				struct vctl_err err = {0};
				struct vctl_job_progress pr;
				int r = vctl_job_step(jr->p, jobs[i].id, VCTL_CLONE_THRESHOLD, true, &pr, &err);
				if (r < 0) {
					char msg[600];
					snprintf(msg, sizeof(msg), "job %llu (%s %s): %s; retrying in 1 s",
						 (unsigned long long)jobs[i].id, jobs[i].kind, jobs[i].volume,
						 err.msg);
					jr->log(jr->ctx, msg);
					idle_ms = 1000;
				} else if (r == 1) {
					char msg[200];
					if (!strcmp(jobs[i].kind, "snapclone"))
						snprintf(msg, sizeof(msg), "job %llu: snapclone %s shares nothing now",
							 (unsigned long long)jobs[i].id, jobs[i].volume);
					else if (!strcmp(jobs[i].kind, "restripe"))
						snprintf(msg, sizeof(msg), "job %llu: restripe of %s is done",
							 (unsigned long long)jobs[i].id, jobs[i].volume);
					else if (!strcmp(jobs[i].kind, "rebuild"))
						snprintf(msg, sizeof(msg), "job %llu: the rebuild is done",
							 (unsigned long long)jobs[i].id);
					else if (!strcmp(jobs[i].kind, "migrate"))
						snprintf(msg, sizeof(msg), "job %llu: %s lies on arrays %s now",
							 (unsigned long long)jobs[i].id, jobs[i].volume,
							 jobs[i].arrays);
					else if (!strcmp(jobs[i].kind, "evacuate"))
						snprintf(msg, sizeof(msg), "job %llu: disk %u is empty and left the pool",
							 (unsigned long long)jobs[i].id, jobs[i].disk);
					else
						snprintf(msg, sizeof(msg), "job %llu: the pool is level",
							 (unsigned long long)jobs[i].id);
					jr->log(jr->ctx, msg);
				} else if (pr.wait_ms < wait_ms) {
					wait_ms = pr.wait_ms;
				}
			}
		}
		free(jobs);
		unsigned ms = !n || idle_ms >= 1000 ? idle_ms : wait_ms > pace_ms ? wait_ms : pace_ms;
		if (nap(jr, ms))
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
