/* Background jobs, whatever their kind: snapclones (a volume's CLONE flag
 * and cursor) and the jobs kept as MLD records (restripe). Listing,
 * stepping, cancelling, and the job thread of `vctl serve`: lib/jobs.c. */
#ifndef VCTL_LIB_JOBS_H
#define VCTL_LIB_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt/mld.h"
#include "fmt/rsd.h"
#include "pool.h"

struct vctl_job {
	uint64_t id;
	const char *kind;  /* "snapclone", "restripe", "level", "evacuate", "rebuild",
			      "migrate" */
	const char *state; /* snapclone: copying, leaving; else running, cancelling */
	char volume[VCTL_NAME_MAX + 1];
	char origin[VCTL_NAME_MAX + 1];      /* snapclone: what it was taken of */
	struct vctl_rsd_layout from, to;     /* restripe: the layouts it moves between */
	uint32_t disk;                       /* evacuate: the disk it empties */
	char arrays[128];                    /* migrate: the arrays it moves onto,
						comma-separated */
	bool in_psegs;                       /* level, evacuate: cursor and total
						count PSEGs moved; else RSEGs visited */
	uint64_t cursor, total;              /* RSEGs (PSEGs) done, of all */
	uint64_t unit_size;                  /* bytes of an RSEG (PSEG) */
	uint64_t rate_limit;                 /* bytes/s, 0 = unpaced */
	double rate; /* bytes/s visited, when this process runs it; else 0 */
};
/* The jobs in progress (caller frees *jobs). */
int vctl_jobs_list(const struct vctl_pool *p, struct vctl_job **jobs, uint32_t *n);

struct vctl_job_progress {
	uint64_t cursor, total; /* RSEGs visited (PSEGs moved), of all */
	bool in_psegs;          /* level, evacuate: counted in PSEGs */
	unsigned wait_ms;       /* paced: nothing done; step again after this */
};
/* One step of job id, the pool lock held only for the step. background:
 * the job thread of a server, whose steps are short and give way to
 * client I/O; else a foreground run, in larger steps. threshold: M for a
 * snapclone. 1 when the job is done (or gone), 0 when there is more, or a
 * negative errno. */
int vctl_job_step(struct vctl_pool *p, uint64_t id, uint64_t threshold, bool background,
		  struct vctl_job_progress *pr, struct vctl_err *err);
/* Cancels job id: a snapclone stays a plain snapshot (done at once); a
 * restripe turns around and moves its data back (*more: a job is left to
 * run); leveling stops where it is; an evacuation stops and its disk
 * takes new data again; a migration stops, and the volume's requirement
 * names every array that holds it. */
int vctl_job_cancel(struct vctl_pool *p, uint64_t id, bool *more, struct vctl_err *err);

/* The thread of `vctl serve` that runs every job a step at a time while
 * clients do I/O; a job left by a killed server resumes at its cursor.
 * log is called with one line per event. */
struct vctl_job_runner;
int vctl_job_runner_start(struct vctl_pool *p, void (*log)(void *ctx, const char *msg), void *ctx,
			  struct vctl_job_runner **out, struct vctl_err *err);
void vctl_job_runner_stop(struct vctl_job_runner *jr);

/* Internal to lib/, with the pool lock held to write: a new job record
 * (its id taken from the pool's next_id), and removal of one, or of every
 * job working on a volume. */
int vctl_job_add(struct vctl_pool *p, const struct vctl_mld_job *j, struct vctl_err *err);
void vctl_job_remove(struct vctl_pool *p, uint64_t id);
void vctl_jobs_drop_volume(struct vctl_pool *p, uint64_t vol);

#endif
