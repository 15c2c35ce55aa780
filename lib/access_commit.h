/* How host.c, domain.c and path.c change one array of the MLD: build the
 * new array aside, swap it in, commit, and swap back if the commit fails,
 * so the in-memory MLD never differs from the last good one. Internal to
 * lib/. */
#ifndef VCTL_LIB_ACCESS_COMMIT_H
#define VCTL_LIB_ACCESS_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "pool.h"

/* The array (arr, n) becomes (fresh, nfresh) (fresh is consumed either way); new_id:
 * the change took an id from next_id. Called with the pool lock held for
 * writing; on success a served pool's gate is rebuilt. */
int vctl_access_commit(struct vctl_pool *p, void **arr, uint32_t *n, void *fresh,
		       uint32_t nfresh, bool new_id, struct vctl_err *err);

/* A copy of arr[n] with room for one more element (zeroed). */
void *vctl_access_copy(const void *arr, uint32_t n, size_t elem, uint32_t extra);
/* A copy of arr[n] without element `skip`. */
void *vctl_access_copy_without(const void *arr, uint32_t n, size_t elem, uint32_t skip);

/* The usual refusals, with their messages. */
int vctl_access_writable(struct vctl_pool *p, struct vctl_err *err);

#endif
