#ifndef VCTL_LIB_RESYNC_H
#define VCTL_LIB_RESYNC_H

#include <stdbool.h>

#include "pool.h"

/* Whether an open for writing has redundancy to repair first. */
bool vctl_pool_needs_resync(const struct vctl_pool *p);
/* Rebuilds stale members whose disks are back and, after an unclean
 * shutdown, every mirror and parity; commits. */
int vctl_pool_resync(struct vctl_pool *p, struct vctl_err *err);

#endif
