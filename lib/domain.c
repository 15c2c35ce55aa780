/* Storage domains: the capabilities shared by a group of paths. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "access_commit.h"

static int check_spec(const struct vctl_domain_spec *s, struct vctl_err *err)
{
	if (s->set_iops && s->max_iops > VCTL_MAX_IOPS)
		return vctl_errf(err, -EINVAL, "--max-iops %llu is more than %llu",
				 (unsigned long long)s->max_iops, VCTL_MAX_IOPS);
	if (s->set_mbps && s->max_mbps > VCTL_MAX_MBPS)
		return vctl_errf(err, -EINVAL, "--max-mbps %llu is more than %llu",
				 (unsigned long long)s->max_mbps, VCTL_MAX_MBPS);
	return 0;
}

static void apply(struct vctl_mld_domain *d, const struct vctl_domain_spec *s)
{
	if (s->set_iops)
		d->max_iops = s->max_iops;
	if (s->set_mbps)
		d->max_mbps = s->max_mbps;
	if (s->set_access)
		d->flags = s->ro ? d->flags | VCTL_ACCESS_RO : d->flags & ~VCTL_ACCESS_RO;
}

static int domain_create_locked(struct vctl_pool *p, const struct vctl_domain_spec *s,
				uint64_t *id, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	int r = vctl_access_writable(p, err);
	if (r < 0 || (r = check_spec(s, err)) < 0)
		return r;
	if (!vctl_name_valid(s->name))
		return vctl_errf(err, -EINVAL,
				 "'%s' is not a valid name (1 to 64 of A-Z a-z 0-9 . _ -)", s->name);
	if (!strcmp(s->name, VCTL_DEFAULT_DOMAIN))
		return vctl_errf(err, -EEXIST,
				 "the default domain exists always (no limits, read-write); "
				 "create a domain of another name");
	if (vctl_mld_domain_by_name(m, s->name))
		return vctl_errf(err, -EEXIST, "a domain named %s exists already", s->name);
	if (m->ndomains >= VCTL_MAX_ACCESS_RECORDS)
		return vctl_errf(err, -ENOSPC, "the pool holds the most domains it can (%u)",
				 VCTL_MAX_ACCESS_RECORDS);
	struct vctl_mld_domain *v = vctl_access_copy(m->domains, m->ndomains, sizeof(*v), 1);
	if (v) {
		struct vctl_mld_domain *d = &v[m->ndomains];
		d->id = m->pool.next_id;
		snprintf(d->name, sizeof(d->name), "%s", s->name);
		apply(d, s);
		*id = d->id;
	}
	return vctl_access_commit(p, (void **)&m->domains, &m->ndomains, v, m->ndomains + 1, true,
				  err);
}

/* The default domain has no record to change. */
static int find(struct vctl_mld *m, const char *name, struct vctl_mld_domain **d,
		struct vctl_err *err)
{
	if (!strcmp(name, VCTL_DEFAULT_DOMAIN))
		return vctl_errf(err, -VCTL_E_REFUSED,
				 "the default domain cannot be changed or removed; "
				 "add paths to a domain of your own");
	*d = vctl_mld_domain_by_name(m, name);
	if (!*d)
		return vctl_errf(err, -ENOENT, "no domain named %s", name);
	return 0;
}

static int domain_set_locked(struct vctl_pool *p, const struct vctl_domain_spec *s,
			     struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	struct vctl_mld_domain *d;
	int r = vctl_access_writable(p, err);
	if (r < 0 || (r = find(m, s->name, &d, err)) < 0 || (r = check_spec(s, err)) < 0)
		return r;
	struct vctl_mld_domain *v = vctl_access_copy(m->domains, m->ndomains, sizeof(*v), 0);
	if (v)
		apply(&v[d - m->domains], s);
	return vctl_access_commit(p, (void **)&m->domains, &m->ndomains, v, m->ndomains, false, err);
}

static int domain_remove_locked(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	struct vctl_mld *m = &p->mld;
	struct vctl_mld_domain *d;
	int r = vctl_access_writable(p, err);
	if (r < 0 || (r = find(m, name, &d, err)) < 0)
		return r;
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->npaths; i++)
		n += m->paths[i].domain == d->id;
	if (n)
		return vctl_errf(err, -ENOTEMPTY, "domain %s has %u path%s; remove %s first", name,
				 n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	void *v = vctl_access_copy_without(m->domains, m->ndomains, sizeof(*d),
					   (uint32_t)(d - m->domains));
	return vctl_access_commit(p, (void **)&m->domains, &m->ndomains, v, m->ndomains - 1, false,
				  err);
}

int vctl_domain_create(struct vctl_pool *p, const struct vctl_domain_spec *s, uint64_t *id,
		       struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = domain_create_locked(p, s, id, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_domain_set(struct vctl_pool *p, const struct vctl_domain_spec *s,
		    struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = domain_set_locked(p, s, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}

int vctl_domain_remove(struct vctl_pool *p, const char *name, struct vctl_err *err)
{
	vctl_rwlock_wr(&p->lock);
	int r = domain_remove_locked(p, name, err);
	vctl_rwlock_unlock(&p->lock);
	return r;
}
