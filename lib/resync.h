#ifndef VCTL_LIB_RESYNC_H
#define VCTL_LIB_RESYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* Whether an open for writing has redundancy to repair first. */
bool vctl_pool_needs_resync(const struct vctl_pool *p);
/* Rebuilds stale members whose disks are back and, after an unclean
 * shutdown, every mirror and parity; commits. */
int vctl_pool_resync(struct vctl_pool *p, struct vctl_err *err);

/* The rebuild job (kind rebuild, id `id`) of disk replace: up to max
 * RStores with stale members whose disks are usable are rebuilt (mirror
 * copy, raid5 reconstruction), a commit each, stale metadata extent
 * copies first. 1 when nothing is left to rebuild (the job is gone), 0
 * when there is more. *rebuilt: members rebuilt by this step. */
int vctl_rebuild_step(struct vctl_pool *p, uint64_t id, unsigned max, uint64_t *rebuilt,
		      struct vctl_err *err);
/* Stale members (and metadata extents) that can be rebuilt now. */
uint64_t vctl_rebuild_remaining(const struct vctl_pool *p);

#endif
