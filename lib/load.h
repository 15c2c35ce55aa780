#ifndef VCTL_LIB_LOAD_H
#define VCTL_LIB_LOAD_H

#include <stdbool.h>

#include "pool.h"

int vctl_state_load(struct vctl_pool *p, struct vctl_err *err);
void vctl_state_free(struct vctl_pool *p);
/* Writes every changed map block and flushes every disk: the step of a
 * commit before its MLD generation. */
int vctl_state_sync(struct vctl_pool *p, struct vctl_err *err);
/* After the MLD generation is durable: frees what the commit released. */
void vctl_state_commit_done(struct vctl_pool *p);
/* Whether the maps hold changes no commit has written yet. */
bool vctl_state_pending(const struct vctl_pool *p);

#endif
