#include "access_commit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"

void *vctl_access_copy(const void *arr, uint32_t n, size_t elem, uint32_t extra)
{
	void *p = calloc((size_t)n + extra + 1, elem);
	if (p && n)
		memcpy(p, arr, (size_t)n * elem);
	return p;
}

void *vctl_access_copy_without(const void *arr, uint32_t n, size_t elem, uint32_t skip)
{
	char *p = calloc((size_t)n + 1, elem);
	if (!p)
		return NULL;
	memcpy(p, arr, (size_t)skip * elem);
	memcpy(p + (size_t)skip * elem, (const char *)arr + ((size_t)skip + 1) * elem,
	       (size_t)(n - skip - 1) * elem);
	return p;
}

int vctl_access_writable(struct vctl_pool *p, struct vctl_err *err)
{
	if (!p->have_mld)
		return vctl_errf(err, -VCTL_E_CORRUPT, "the pool has no valid MLD");
	return 0;
}

int vctl_access_commit(struct vctl_pool *p, void **arr, uint32_t *n, void *fresh,
		       uint32_t nfresh, bool new_id, struct vctl_err *err)
{
	if (!fresh)
		return vctl_errf(err, -ENOMEM, "out of memory");
	void *old = *arr;
	uint32_t nold = *n;
	*arr = fresh;
	*n = nfresh;
	if (new_id)
		p->mld.pool.next_id++;
	int r = vctl_pool_commit(p, err);
	if (r < 0) {
		*arr = old;
		*n = nold;
		if (new_id)
			p->mld.pool.next_id--;
		free(fresh);
		return r;
	}
	free(old);
	vctl_gate_sync(p);
	return 0;
}
