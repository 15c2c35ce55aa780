/* Online restripe: a new stripe width and/or stripe unit for a live
 * volume (source 003): lib/restripe.c. */
#ifndef VCTL_LIB_RESTRIPE_H
#define VCTL_LIB_RESTRIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt/rsd.h"
#include "pool.h"

struct vctl_restripe_req {
	uint32_t width;  /* 0 = keep */
	uint32_t stripe; /* bytes; 0 = keep */
	uint64_t rate;   /* bytes/s the background transfer may move; 0 = unpaced */
};

/* What a restripe would do; filled even when it would be refused (then
 * the call returns the refusal). Counts are in PSEGs. */
struct vctl_restripe_plan {
	struct vctl_rsd_layout from, to;
	uint64_t rsegs;       /* RSEGs whose data moves */
	uint64_t move_bytes;  /* ... in bytes */
	uint64_t psegs_new;   /* PSEGs of the RStores the new layout takes */
	uint64_t psegs_freed; /* PSEGs of old RStores given back by the end */
	uint64_t psegs_peak;  /* free PSEGs the transfer may need at once */
	uint64_t psegs_free;  /* free now (what snapshots reserve excluded) */
	bool intent_holds;    /* the new layout can be placed as the volume asks */
	char intent[160];     /* what the volume asks, or why it cannot hold */
};

/* Checks the request against the volume and the pool and fills *plan;
 * changes nothing. */
int vctl_restripe_plan(struct vctl_pool *p, const char *name, const struct vctl_restripe_req *req,
		       struct vctl_restripe_plan *plan, struct vctl_err *err);
/* The switch: the volume takes its new layout at once (the pool lock held
 * alone for one commit) and a job, *id, moves its data in the background.
 * *plan as vctl_restripe_plan fills it. */
int vctl_restripe_start(struct vctl_pool *p, const char *name, const struct vctl_restripe_req *req,
			struct vctl_restripe_plan *plan, uint64_t *id, struct vctl_err *err);
/* One step of job id: moves up to `max` RSEGs from its cursor, one
 * commit. 1 when the job is done (its record gone), 0 when there is more,
 * else a negative errno. *moved: bytes moved by this step. */
int vctl_restripe_step(struct vctl_pool *p, uint64_t id, uint32_t max, uint64_t *moved,
		       struct vctl_err *err);
/* Turns job id around: the volume takes back the layout it had and the
 * job moves what it moved so far (and every write since) back. */
int vctl_restripe_cancel(struct vctl_pool *p, uint64_t id, struct vctl_err *err);

/* Internal to lib/, with the pool lock held to write. */
struct vctl_mld_volume;
struct vctl_vmap;
/* The restripe job of v, or NULL. */
struct vctl_mld_job *vctl_restripe_job(const struct vctl_pool *p, const struct vctl_mld_volume *v);
/* Whether v's RSEG k holds data of its own still in an RStore of another
 * layout than v's (the source's IND: the new location's data still lives
 * in the copy). */
bool vctl_restripe_pending(const struct vctl_pool *p, const struct vctl_mld_volume *v,
			   const struct vctl_vmap *vm, uint64_t k);
/* The on-demand transfer of FIG. 7: moves RSEG k into v's layout before a
 * write to it. overwrite: the write covers all of k, so nothing is copied. */
int vctl_restripe_transfer(struct vctl_pool *p, struct vctl_mld_volume *v, struct vctl_vmap *vm,
			   uint64_t k, bool overwrite, struct vctl_err *err);

#endif
