/* Hosts: client identities by uid (and gid). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "access_commit.h"

#define BAD_NAME "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)"

/* Who already holds this binding: the same uid with the same gid, or the
 * same uid with no gid on both sides. */
static const struct vctl_mld_host *bound(const struct vctl_mld *m, uint32_t uid, bool has_gid,
					 uint32_t gid)
{
	for (uint32_t i = 0; i < m->nhosts; i++) {
		const struct vctl_mld_host *h = &m->hosts[i];
		if (h->uid == uid && !!(h->flags & VCTL_HOST_F_GID) == has_gid &&
		    (!has_gid || h->gid == gid))
			return h;
	}
	return NULL;
}

static int host_add_locked(struct vctl_pool *p, const char *name, uint32_t uid, bool has_gid,
			   uint32_t gid, uint64_t *id, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	int r = vctl_access_writable(p, err);
	if (r < 0)
		return r;
	if (!vctl_name_valid(name))
		return vctl_errf(err, -EINVAL, BAD_NAME, name);
	if (vctl_mld_host_by_name(m, name))
		return vctl_errf(err, -EEXIST, "a host named %s exists already", name);
	const struct vctl_mld_host *other = bound(m, uid, has_gid, gid);
	if (other) {
		if (has_gid)
			return vctl_errf(err, -EEXIST, "uid %u gid %u is bound to host %s already",
					 uid, gid, other->name);
		return vctl_errf(err, -EEXIST, "uid %u is bound to host %s already", uid,
				 other->name);
	}
	if (m->nhosts >= VCTL_MAX_ACCESS_RECORDS)
		return vctl_errf(err, -ENOSPC, "the pool holds the most hosts it can (%u)",
				 VCTL_MAX_ACCESS_RECORDS);
	struct vctl_mld_host *v = vctl_access_copy(m->hosts, m->nhosts, sizeof(*v), 1);
	if (v) {
		struct vctl_mld_host *h = &v[m->nhosts];
		h->id = m->pool.next_id;
		h->uid = uid;
		h->gid = has_gid ? gid : 0;
		h->flags = has_gid ? VCTL_HOST_F_GID : 0;
		snprintf(h->name, sizeof(h->name), "%s", name);
		*id = h->id;
	}
	return vctl_access_commit(p, (void **)&m->hosts, &m->nhosts, v, m->nhosts + 1, true, err);
}

int vctl_host_add(struct vctl_pool *p, const char *name, uint32_t uid, bool has_gid,
		  uint32_t gid, uint64_t *id, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = host_add_locked(p, name, uid, has_gid, gid, id, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static int host_remove_locked(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	int r = vctl_access_writable(p, err);
	if (r < 0)
		return r;
	const struct vctl_mld_host *h = vctl_mld_host_by_name(m, name);
	if (!h)
		return vctl_errf(err, -ENOENT, "no host named %s", name);
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->npaths; i++)
		n += m->paths[i].host == h->id;
	if (n)
		return vctl_errf(err, -ENOTEMPTY, "host %s has %u path%s; remove %s first", name, n,
				 n == 1 ? "" : "s", n == 1 ? "it" : "them");
	uint32_t at = (uint32_t)(h - m->hosts);
	void *v = vctl_access_copy_without(m->hosts, m->nhosts, sizeof(*m->hosts), at);
	return vctl_access_commit(p, (void **)&m->hosts, &m->nhosts, v, m->nhosts - 1, false, err);
}

int vctl_host_remove(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = host_remove_locked(p, name, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}
