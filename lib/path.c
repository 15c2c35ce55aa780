/* Virtual paths: one volume granted to one host, in one domain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "access_commit.h"
#include "gate.h"

static int path_add_locked(struct vctl_pool *p, const char *host, const char *volume,
			   const char *domain, bool ro, uint64_t *id, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	int r = vctl_access_writable(p, err);
	if (r < 0)
		return r;
	const struct vctl_mld_host *h = vctl_mld_host_by_name(m, host);
	if (!h)
		return vctl_errf(err, -ENOENT, "no host named %s", host);
	const struct vctl_mld_volume *v = vctl_mld_volume_by_name(m, volume);
	if (!v)
		return vctl_errf(err, -ENOENT, "no volume named %s", volume);
	const struct vctl_mld_domain *d = NULL;
	if (domain && strcmp(domain, VCTL_DEFAULT_DOMAIN) &&
	    !(d = vctl_mld_domain_by_name(m, domain)))
		return vctl_errf(err, -ENOENT, "no domain named %s", domain);
	for (uint32_t i = 0; i < m->npaths; i++)
		if (m->paths[i].host == h->id && m->paths[i].volume == v->id)
			return vctl_errf(err, -EEXIST, "host %s has a path to %s already (path %llu)",
					 host, volume, (unsigned long long)m->paths[i].id);
	if (m->npaths >= VCTL_MAX_ACCESS_RECORDS)
		return vctl_errf(err, -ENOSPC, "the pool holds the most paths it can (%u)",
				 VCTL_MAX_ACCESS_RECORDS);
	struct vctl_mld_path *a = vctl_access_copy(m->paths, m->npaths, sizeof(*a), 1);
	if (a) {
		struct vctl_mld_path *np = &a[m->npaths];
		np->id = m->pool.next_id;
		np->host = h->id;
		np->volume = v->id;
		np->domain = d ? d->id : 0;
		np->created = (uint64_t)time(NULL);
		np->flags = ro ? VCTL_ACCESS_RO : 0;
		*id = np->id;
	}
	return vctl_access_commit(p, (void **)&m->paths, &m->npaths, a, m->npaths + 1, true, err);
}

int vctl_path_add(struct vctl_pool *p, const char *host, const char *volume,
		  const char *domain, bool ro, uint64_t *id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = path_add_locked(p, host, volume, domain, ro, id, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int path_remove_locked(struct vctl_pool *p, uint64_t id, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	int r = vctl_access_writable(p, err);
	if (r < 0)
		return r;
	const struct vctl_mld_path *mp = vctl_mld_path_by_id(m, id);
	if (!mp)
		return vctl_errf(err, -ENOENT, "no path %llu", (unsigned long long)id);
	void *a = vctl_access_copy_without(m->paths, m->npaths, sizeof(*mp),
					   (uint32_t)(mp - m->paths));
	return vctl_access_commit(p, (void **)&m->paths, &m->npaths, a, m->npaths - 1, false, err);
}

int vctl_path_remove(struct vctl_pool *p, uint64_t id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = path_remove_locked(p, id, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

/* In place: the array only shrinks, and the delete's commit follows (its
 * failure leaves the pool broken, to be reopened, as any failed commit). */
void vctl_paths_drop_volume(struct vctl_pool *p, uint64_t vol_id)
{
	struct vctl_mld *m = &p->mld;
	uint32_t k = 0;
	for (uint32_t i = 0; i < m->npaths; i++)
		if (m->paths[i].volume != vol_id)
			m->paths[k++] = m->paths[i];
	m->npaths = k;
}
