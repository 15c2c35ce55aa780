/* MLD records of hosts (type 8), storage domains (type 9) and virtual
 * paths (type 10): who may reach which volume, how, and at what rate.
 * Layout in fmt/FORMAT.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mld.h"
#include "mld_rec.h"

void vctl_mld_encode_access(const struct vctl_mld *m, struct vctl_wcur *w, uint32_t *nrec)
{
	for (uint32_t i = 0; i < m->nhosts; i++) {
		const struct vctl_mld_host *h = &m->hosts[i];
		size_t at = vctl_mld_rec_begin(w, VCTL_REC_HOST);
		vctl_w64(w, h->id);
		vctl_w32(w, h->uid);
		vctl_w32(w, h->gid);
		vctl_w32(w, h->flags);
		vctl_w32(w, 0);
		vctl_wstr(w, h->name, VCTL_NAME_MAX);
		vctl_mld_rec_end(w, at);
		(*nrec)++;
	}
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct vctl_mld_domain *d = &m->domains[i];
		size_t at = vctl_mld_rec_begin(w, VCTL_REC_DOMAIN);
		vctl_w64(w, d->id);
		vctl_w64(w, d->max_iops);
		vctl_w64(w, d->max_mbps);
		vctl_w32(w, d->flags);
		vctl_w32(w, 0);
		vctl_wstr(w, d->name, VCTL_NAME_MAX);
		vctl_mld_rec_end(w, at);
		(*nrec)++;
	}
	for (uint32_t i = 0; i < m->npaths; i++) {
		const struct vctl_mld_path *p = &m->paths[i];
		size_t at = vctl_mld_rec_begin(w, VCTL_REC_PATH);
		vctl_w64(w, p->id);
		vctl_w64(w, p->host);
		vctl_w64(w, p->volume);
		vctl_w64(w, p->domain);
		vctl_w64(w, p->created);
		vctl_w32(w, p->flags);
		vctl_w32(w, 0);
		vctl_mld_rec_end(w, at);
		(*nrec)++;
	}
}

/* Appends one zeroed element; NULL if out of memory. Doubling at powers of
 * two keeps a hostile MLD's decode linear. */
static void *append(void **arr, uint32_t *n, size_t elem)
{
	if (!(*n & (*n - 1))) {
		void *p = realloc(*arr, (*n ? (size_t)*n * 2 : 4) * elem);
		if (!p)
			return NULL;
		*arr = p;
	}
	void *e = (char *)*arr + (size_t)(*n)++ * elem;
	memset(e, 0, elem);
	return e;
}

int vctl_mld_decode_access(struct vctl_mld *m, uint16_t type, struct vctl_rcur *r,
			   struct vctl_err *err)
{
	bool ok = true;
	uint32_t n = type == VCTL_REC_HOST ? m->nhosts : type == VCTL_REC_DOMAIN ? m->ndomains : m->npaths;
	if (n >= VCTL_MAX_ACCESS_RECORDS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: more than %u records of type %u",
				 VCTL_MAX_ACCESS_RECORDS, type);
	switch (type) {
	case VCTL_REC_HOST: {
		struct vctl_mld_host *h = append((void **)&m->hosts, &m->nhosts, sizeof(*h));
		if (!h)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		h->id = vctl_r64(r);
		h->uid = vctl_r32(r);
		h->gid = vctl_r32(r);
		h->flags = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		ok = vctl_rstr(r, h->name, VCTL_NAME_MAX) && ok;
		break;
	}
	case VCTL_REC_DOMAIN: {
		struct vctl_mld_domain *d = append((void **)&m->domains, &m->ndomains, sizeof(*d));
		if (!d)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		d->id = vctl_r64(r);
		d->max_iops = vctl_r64(r);
		d->max_mbps = vctl_r64(r);
		d->flags = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		ok = vctl_rstr(r, d->name, VCTL_NAME_MAX) && ok;
		break;
	}
	case VCTL_REC_PATH: {
		struct vctl_mld_path *p = append((void **)&m->paths, &m->npaths, sizeof(*p));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		p->id = vctl_r64(r);
		p->host = vctl_r64(r);
		p->volume = vctl_r64(r);
		p->domain = vctl_r64(r);
		p->created = vctl_r64(r);
		p->flags = vctl_r32(r);
		ok = vctl_r32(r) == 0;
		break;
	}
	default:
		return vctl_errf(err, -VCTL_E_INTERNAL, "MLD: record type %u is not an access record",
				 type);
	}
	if (r->bad)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record type %u is truncated", type);
	if (!ok)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: record type %u: reserved field or name padding set",
				 type);
	return 0;
}

/* Every id of the four kinds that draw from next_id, with who holds it. */
struct owner {
	uint64_t id;
	const char *kind, *name;
};

static int cmp_owner(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

static int cmp_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1];
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Ids are unique across volumes, hosts, domains and paths (one counter
 * makes them), so a path's reference can never be mistaken for another
 * kind's object. Sorting keeps a hostile MLD at n log n. */
static int check_ids(const struct vctl_mld *m, struct vctl_err *err)
{
	size_t n = (size_t)m->nvol + m->nhosts + m->ndomains + m->npaths, k = 0;
	struct owner *o = malloc((n ? n : 1) * sizeof(*o));
	if (!o)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nvol; i++)
		o[k++] = (struct owner){m->vols[i].id, "volume", m->vols[i].name};
	for (uint32_t i = 0; i < m->nhosts; i++)
		o[k++] = (struct owner){m->hosts[i].id, "host", m->hosts[i].name};
	for (uint32_t i = 0; i < m->ndomains; i++)
		o[k++] = (struct owner){m->domains[i].id, "domain", m->domains[i].name};
	for (uint32_t i = 0; i < m->npaths; i++)
		o[k++] = (struct owner){m->paths[i].id, "path", NULL};
	qsort(o, n, sizeof(*o), cmp_owner);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (o[i].id == 0 || o[i].id >= m->pool.next_id)
			r = vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %s %s has id %llu, not in 1 .. next_id %llu",
				      o[i].kind, o[i].name ? o[i].name : "", (unsigned long long)o[i].id,
				      (unsigned long long)m->pool.next_id);
		else if (i && o[i].id == o[i - 1].id)
			r = vctl_errf(err, -VCTL_E_CORRUPT, "MLD: id %llu is both %s %s and %s %s",
				      (unsigned long long)o[i].id, o[i - 1].kind,
				      o[i - 1].name ? o[i - 1].name : "", o[i].kind,
				      o[i].name ? o[i].name : "");
	}
	free(o);
	return r;
}

/* Names unique within hosts and within domains. */
static int check_names(const char *kind, const void *arr, uint32_t n, size_t elem, size_t off,
		       struct vctl_err *err)
{
	const char **s = malloc((n ? n : 1) * sizeof(*s));
	if (!s)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		s[i] = (const char *)arr + i * elem + off;
	qsort(s, n, sizeof(*s), cmp_str);
	int r = 0;
	for (uint32_t i = 1; i < n && r == 0; i++)
		if (!strcmp(s[i], s[i - 1]))
			r = vctl_errf(err, -VCTL_E_CORRUPT, "MLD: two %ss are named %s", kind, s[i]);
	free(s);
	return r;
}

/* One host per binding: (uid, gid) for hosts with a gid, (uid, any)
 * otherwise; and one path per (host, volume), so a connection is never
 * ambiguous. */
static int check_pairs(const struct vctl_mld *m, struct vctl_err *err)
{
	uint32_t n = m->nhosts > m->npaths ? m->nhosts : m->npaths;
	uint64_t *k = malloc((n ? n : 1) * 2 * sizeof(*k));
	if (!k)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nhosts; i++) {
		const struct vctl_mld_host *h = &m->hosts[i];
		k[2 * i] = (uint64_t)h->uid << 33 | (uint64_t)(h->flags & VCTL_HOST_F_GID) << 32 | h->gid;
		k[2 * i + 1] = i;
	}
	qsort(k, m->nhosts, 2 * sizeof(*k), cmp_u64);
	int r = 0;
	for (uint32_t i = 1; i < m->nhosts && r == 0; i++)
		if (k[2 * i] == k[2 * i - 2])
			r = vctl_errf(err, -VCTL_E_CORRUPT, "MLD: hosts %s and %s are bound to the same uid %u",
				      m->hosts[k[2 * i - 1]].name, m->hosts[k[2 * i + 1]].name,
				      m->hosts[k[2 * i + 1]].uid);
	/* (host, volume): host ids are below 2^32 in any pool that is not
	 * corrupt, but compare both words to be exact */
	for (uint32_t i = 0; i < m->npaths && r == 0; i++) {
		k[2 * i] = m->paths[i].host;
		k[2 * i + 1] = m->paths[i].volume;
	}
	if (r == 0)
		qsort(k, m->npaths, 2 * sizeof(*k), cmp_pair);
	for (uint32_t i = 1; i < m->npaths && r == 0; i++)
		if (k[2 * i] == k[2 * i - 2] && k[2 * i + 1] == k[2 * i - 1])
			r = vctl_errf(err, -VCTL_E_CORRUPT,
				      "MLD: two paths join host id %llu to volume id %llu",
				      (unsigned long long)k[2 * i], (unsigned long long)k[2 * i + 1]);
	free(k);
	return r;
}

int vctl_mld_validate_access(const struct vctl_mld *m, struct vctl_err *err)
{
	if (m->nhosts > VCTL_MAX_ACCESS_RECORDS || m->ndomains > VCTL_MAX_ACCESS_RECORDS ||
	    m->npaths > VCTL_MAX_ACCESS_RECORDS)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %u hosts, %u domains, %u paths",
				 m->nhosts, m->ndomains, m->npaths);
	for (uint32_t i = 0; i < m->nhosts; i++) {
		const struct vctl_mld_host *h = &m->hosts[i];
		if (!vctl_name_valid(h->name))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: host %llu has a bad name",
					 (unsigned long long)h->id);
		if (h->flags & ~VCTL_HOST_FLAGS_KNOWN)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: host %s has unknown flags %#x",
					 h->name, h->flags);
		if (!(h->flags & VCTL_HOST_F_GID) && h->gid)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: host %s has gid %u but no GID flag", h->name, h->gid);
	}
	for (uint32_t i = 0; i < m->ndomains; i++) {
		const struct vctl_mld_domain *d = &m->domains[i];
		if (!vctl_name_valid(d->name) || !strcmp(d->name, VCTL_DEFAULT_DOMAIN))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: domain %llu has a bad name",
					 (unsigned long long)d->id);
		if (d->flags & ~VCTL_DOMAIN_FLAGS_KNOWN)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: domain %s has unknown flags %#x",
					 d->name, d->flags);
		if (d->max_iops > VCTL_MAX_IOPS || d->max_mbps > VCTL_MAX_MBPS)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: domain %s has limits %llu IOPS, %llu MB/s", d->name,
					 (unsigned long long)d->max_iops,
					 (unsigned long long)d->max_mbps);
	}
	int r = check_ids(m, err);
	if (r == 0)
		r = check_names("host", m->hosts, m->nhosts, sizeof(*m->hosts),
				offsetof(struct vctl_mld_host, name), err);
	if (r == 0)
		r = check_names("domain", m->domains, m->ndomains, sizeof(*m->domains),
				offsetof(struct vctl_mld_domain, name), err);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < m->npaths; i++) {
		const struct vctl_mld_path *p = &m->paths[i];
		if (p->flags & ~VCTL_PATH_FLAGS_KNOWN)
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: path %llu has unknown flags %#x",
					 (unsigned long long)p->id, p->flags);
		if (!vctl_mld_host_by_id(m, p->host))
			return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: path %llu names host id %llu, which is no host",
					 (unsigned long long)p->id, (unsigned long long)p->host);
		if (!vctl_mld_volume_by_id(m, p->volume))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: path %llu names volume id %llu, which is no volume",
					 (unsigned long long)p->id, (unsigned long long)p->volume);
		if (p->domain && !vctl_mld_domain_by_id(m, p->domain))
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: path %llu names domain id %llu, which is no domain",
					 (unsigned long long)p->id, (unsigned long long)p->domain);
	}
	return check_pairs(m, err);
}

void vctl_mld_free_access(struct vctl_mld *m)
{
	free(m->hosts);
	free(m->domains);
	free(m->paths);
	m->hosts = NULL;
	m->domains = NULL;
	m->paths = NULL;
	m->nhosts = m->ndomains = m->npaths = 0;
}

static void *copy(const void *src, size_t n, size_t elem, bool *fail)
{
	if (!n)
		return NULL;
	void *p = malloc(n * elem);
	if (!p)
		*fail = true;
	else
		memcpy(p, src, n * elem);
	return p;
}

int vctl_mld_dup_access(const struct vctl_mld *src, struct vctl_mld *dst)
{
	bool fail = false;
	dst->hosts = copy(src->hosts, src->nhosts, sizeof(*src->hosts), &fail);
	dst->domains = copy(src->domains, src->ndomains, sizeof(*src->domains), &fail);
	dst->paths = copy(src->paths, src->npaths, sizeof(*src->paths), &fail);
	if (fail) {
		vctl_mld_free_access(dst);
		return -ENOMEM;
	}
	return 0;
}

struct vctl_mld_host *vctl_mld_host_by_name(const struct vctl_mld *m, const char *name)
{
	for (uint32_t i = 0; i < m->nhosts; i++)
		if (!strcmp(m->hosts[i].name, name))
			return &m->hosts[i];
	return NULL;
}

struct vctl_mld_host *vctl_mld_host_by_id(const struct vctl_mld *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->nhosts; i++)
		if (m->hosts[i].id == id)
			return &m->hosts[i];
	return NULL;
}

struct vctl_mld_domain *vctl_mld_domain_by_name(const struct vctl_mld *m, const char *name)
{
	for (uint32_t i = 0; i < m->ndomains; i++)
		if (!strcmp(m->domains[i].name, name))
			return &m->domains[i];
	return NULL;
}

struct vctl_mld_domain *vctl_mld_domain_by_id(const struct vctl_mld *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->ndomains; i++)
		if (m->domains[i].id == id)
			return &m->domains[i];
	return NULL;
}

struct vctl_mld_path *vctl_mld_path_by_id(const struct vctl_mld *m, uint64_t id)
{
	for (uint32_t i = 0; i < m->npaths; i++)
		if (m->paths[i].id == id)
			return &m->paths[i];
	return NULL;
}

const struct vctl_mld_host *vctl_mld_hosts_match(const struct vctl_mld_host *hosts,
						 uint32_t n, uint32_t uid, uint32_t gid)
{
	const struct vctl_mld_host *any = NULL;
	for (uint32_t i = 0; i < n; i++) {
		const struct vctl_mld_host *h = &hosts[i];
		if (h->uid != uid)
			continue;
		if (!(h->flags & VCTL_HOST_F_GID))
			any = h;
		else if (h->gid == gid)
			return h;
	}
	return any;
}

const struct vctl_mld_host *vctl_mld_host_for(const struct vctl_mld *m, uint32_t uid,
					      uint32_t gid)
{
	return vctl_mld_hosts_match(m->hosts, m->nhosts, uid, gid);
}

const char *vctl_mld_domain_name(const struct vctl_mld *m, uint64_t id)
{
	const struct vctl_mld_domain *d = id ? vctl_mld_domain_by_id(m, id) : NULL;
	return d ? d->name : VCTL_DEFAULT_DOMAIN;
}
