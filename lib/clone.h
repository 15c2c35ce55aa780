/* Snapclones and their background copy jobs: lib/clone.c. */
#ifndef VCTL_LIB_CLONE_H
#define VCTL_LIB_CLONE_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* M of [0108], in RSEGs: below it the last copies for the predecessor and
 * the removal from the chain happen with the pool lock held alone. */
#define VCTL_CLONE_THRESHOLD 64u

struct vctl_clone_progress {
	uint64_t cursor, total; /* RSEGs copied by BGCOPY, of all */
	bool done;              /* the clone has left its chain */
};

/* A snapshot of NAME called CLONE, marked to be unshared; *id: its volume
 * id, which is also the job's. */
int vctl_snapclone_start(struct vctl_pool *p, const char *name, const char *clone,
			 uint64_t *id, struct vctl_err *err);
/* One step of the job (a few RSEGs, each step one commit, the pool lock
 * held only for the step). 1 when the clone is done (or gone), 0 when
 * there is more, or a negative errno. */
int vctl_snapclone_step(struct vctl_pool *p, uint64_t id, uint64_t threshold,
			struct vctl_clone_progress *pr, struct vctl_err *err);
/* Stops the job: the clone stays, as a plain snapshot. */
int vctl_snapclone_cancel(struct vctl_pool *p, uint64_t id, struct vctl_err *err);

#endif
