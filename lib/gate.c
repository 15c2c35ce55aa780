#include "gate.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "qos.h"

/* A domain at work: its buckets are shared by all its paths. */
struct dom_rt {
	uint64_t id;
	atomic_uint refs;
	atomic_bool ro;
	struct vctl_qos qos;
};

/* A path at work; the gate's table holds one reference, each open export
 * another, so an export outlives the path's removal and learns of it. An
 * administrator's exports of a volume share one grant of their own (no
 * path, never limited), kept only to count their I/O. */
struct vctl_grant {
	uint64_t id, host, volume, domain;
	atomic_uint refs, opens;
	atomic_bool removed, ro;
	bool admin;
	bool own_ro; /* the path's own access; ro is this or its domain's */
	struct dom_rt *dom;
	struct vctl_io_counters io;
};

struct vctl_gate {
	pthread_mutex_t m;
	struct vctl_mld_host *hosts; /* a copy of the MLD's */
	uint32_t nhosts;
	struct vctl_grant **paths;
	uint32_t npaths;
	struct dom_rt **doms;
	uint32_t ndoms;
	struct dom_rt *deflt; /* the default domain: no limits, read-write */
	struct vctl_grant **admins; /* per volume, administrators' I/O */
	uint32_t nadmins;
	atomic_bool stopping;
};

static struct dom_rt *dom_new(uint64_t id)
{
	struct dom_rt *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->id = id;
	atomic_init(&d->refs, 1);
	vctl_qos_init(&d->qos);
	return d;
}

static void dom_put(struct dom_rt *d)
{
	if (d && atomic_fetch_sub(&d->refs, 1) == 1) {
		vctl_qos_destroy(&d->qos);
		free(d);
	}
}

static void grant_put(struct vctl_grant *gr)
{
	if (!gr)
		return;
	if (atomic_fetch_sub(&gr->refs, 1) == 1) {
		dom_put(gr->dom);
		free(gr);
	}
}

bool vctl_gate_is_admin(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int vctl_gate_create(struct vctl_pool *p, struct vctl_err *err)
{
	struct vctl_gate *g = calloc(1, sizeof(*g));
	if (!g || !(g->deflt = dom_new(0))) {
		free(g);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&g->m, NULL);
	vctl_rwlock_wr(&p->lock);
	p->gate = g;
	vctl_gate_sync(p);
	vctl_rwlock_unlock(&p->lock);
	return 0;
}

void vctl_gate_stop(struct vctl_gate *g)
{
	if (g)
		atomic_store(&g->stopping, true);
}

bool vctl_gate_stopping(struct vctl_gate *g)
{
	return !g || atomic_load(&g->stopping);
}

void vctl_gate_free(struct vctl_pool *p)
{
	struct vctl_gate *g = p->gate;
	if (!g)
		return;
	p->gate = NULL;
	for (uint32_t i = 0; i < g->npaths; i++)
		grant_put(g->paths[i]);
	for (uint32_t i = 0; i < g->ndoms; i++)
		dom_put(g->doms[i]);
	for (uint32_t i = 0; i < g->nadmins; i++)
		grant_put(g->admins[i]);
	dom_put(g->deflt);
	free(g->admins);
	free(g->paths);
	free(g->doms);
	free(g->hosts);
	pthread_mutex_destroy(&g->m);
	free(g);
}

static struct dom_rt *find_dom(struct dom_rt **v, uint32_t n, uint64_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] && v[i]->id == id)
			return v[i];
	return NULL;
}

static struct vctl_grant *find_path(struct vctl_grant **v, uint32_t n, uint64_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] && v[i]->id == id)
			return v[i];
	return NULL;
}

/* New tables from the MLD, reusing the objects of ids that survive. On
 * out of memory the old tables stay: access is then what it was before
 * the change, and the next change retries. */
void vctl_gate_sync(struct vctl_pool *p)
{
	struct vctl_gate *g = p->gate;
	if (!g)
		return;
	const struct vctl_mld *m = &p->mld;
	struct vctl_mld_host *hosts = calloc(m->nhosts + 1, sizeof(*hosts));
	struct dom_rt **doms = calloc(m->ndomains + 1, sizeof(*doms));
	struct vctl_grant **paths = calloc(m->npaths + 1, sizeof(*paths));
	bool fail = !hosts || !doms || !paths;
	if (!fail && m->nhosts)
		memcpy(hosts, m->hosts, m->nhosts * sizeof(*hosts));
	pthread_mutex_lock(&g->m);
	for (uint32_t i = 0; !fail && i < m->ndomains; i++) {
		const struct vctl_mld_domain *d = &m->domains[i];
		/* the new table's reference: a new one's first, or one more */
		struct dom_rt *old = find_dom(g->doms, g->ndoms, d->id);
		if (old)
			atomic_fetch_add(&old->refs, 1);
		doms[i] = old ? old : dom_new(d->id);
		if (!doms[i]) {
			fail = true;
			break;
		}
		vctl_qos_set(&doms[i]->qos, d->max_iops, d->max_mbps);
		atomic_store(&doms[i]->ro, d->flags & VCTL_ACCESS_RO);
	}
	for (uint32_t i = 0; !fail && i < m->npaths; i++) {
		const struct vctl_mld_path *mp = &m->paths[i];
		struct vctl_grant *gr = find_path(g->paths, g->npaths, mp->id);
		if (gr) {
			atomic_fetch_add(&gr->refs, 1);
		} else {
			gr = calloc(1, sizeof(*gr));
			if (!gr) {
				fail = true;
				break;
			}
			gr->id = mp->id;
			gr->host = mp->host;
			gr->volume = mp->volume;
			gr->domain = mp->domain;
			gr->own_ro = mp->flags & VCTL_ACCESS_RO;
			atomic_init(&gr->refs, 1);
			gr->dom = mp->domain ? find_dom(doms, m->ndomains, mp->domain) : g->deflt;
			atomic_fetch_add(&gr->dom->refs, 1);
		}
		atomic_store(&gr->ro, gr->own_ro || atomic_load(&gr->dom->ro));
		paths[i] = gr;
	}
	if (fail) {
		pthread_mutex_unlock(&g->m);
		for (uint32_t i = 0; paths && i < m->npaths; i++)
			grant_put(paths[i]);
		for (uint32_t i = 0; doms && i < m->ndomains; i++)
			dom_put(doms[i]);
		free(hosts);
		free(doms);
		free(paths);
		return;
	}
	/* Whatever the new tables do not hold is gone: its open exports see
	 * `removed` at their next request. */
	for (uint32_t i = 0; i < g->npaths; i++) {
		if (!find_path(paths, m->npaths, g->paths[i]->id))
			atomic_store(&g->paths[i]->removed, true);
		grant_put(g->paths[i]);
	}
	for (uint32_t i = 0; i < g->ndoms; i++)
		dom_put(g->doms[i]);
	free(g->hosts);
	free(g->doms);
	free(g->paths);
	g->hosts = hosts;
	g->nhosts = m->nhosts;
	g->doms = doms;
	g->ndoms = m->ndomains;
	g->paths = paths;
	g->npaths = m->npaths;
	pthread_mutex_unlock(&g->m);
}

static struct vctl_grant *path_for(const struct vctl_gate *g, uint64_t host, uint64_t vol)
{
	for (uint32_t i = 0; i < g->npaths; i++)
		if (g->paths[i]->host == host && g->paths[i]->volume == vol)
			return g->paths[i];
	return NULL;
}

bool vctl_gate_visible(struct vctl_gate *g, uid_t uid, gid_t gid, uint64_t vol_id)
{
	if (!g || vctl_gate_is_admin(uid))
		return true;
	pthread_mutex_lock(&g->m);
	const struct vctl_mld_host *h = vctl_mld_hosts_match(g->hosts, g->nhosts, uid, gid);
	bool ok = h && path_for(g, h->id, vol_id);
	pthread_mutex_unlock(&g->m);
	return ok;
}

/* The administrators' grant of volume vol, made on first use. */
static int admin_grant(struct vctl_gate *g, uint64_t vol, struct vctl_grant **grant,
		       struct vctl_err *err)
{
	pthread_mutex_lock(&g->m);
	struct vctl_grant *gr = NULL;
	for (uint32_t i = 0; i < g->nadmins && !gr; i++)
		if (g->admins[i]->volume == vol)
			gr = g->admins[i];
	if (!gr) {
		void *na = realloc(g->admins, (g->nadmins + 1) * sizeof(*g->admins));
		if (na)
			g->admins = na;
		if (na && (gr = calloc(1, sizeof(*gr)))) {
			gr->volume = vol;
			gr->admin = true;
			atomic_init(&gr->refs, 1);
			g->admins[g->nadmins++] = gr;
		}
	}
	if (gr) {
		atomic_fetch_add(&gr->refs, 1);
		atomic_fetch_add(&gr->opens, 1);
		*grant = gr;
	}
	pthread_mutex_unlock(&g->m);
	return gr ? 0 : vctl_errf(err, -ENOMEM, "out of memory");
}

int vctl_gate_open(struct vctl_gate *g, uid_t uid, gid_t gid, uint64_t vol_id,
		   const char *name, struct vctl_grant **grant, bool *ro, struct vctl_err *err)
{
	*grant = NULL;
	*ro = false;
	if (!g)
		return 0;
	if (vctl_gate_is_admin(uid))
		return vol_id ? admin_grant(g, vol_id, grant, err) : 0;
	pthread_mutex_lock(&g->m);
	int r = 0;
	const struct vctl_mld_host *h = vctl_mld_hosts_match(g->hosts, g->nhosts, uid, gid);
	struct vctl_grant *gr = h && vol_id ? path_for(g, h->id, vol_id) : NULL;
	if (!h)
		r = vctl_errf(err, -EACCES, "uid %u gid %u is not a host of this server",
			      (unsigned)uid, (unsigned)gid);
	else if (!gr)
		r = vctl_errf(err, -EACCES, "host %s has no path to '%s'", h->name, name);
	else {
		atomic_fetch_add(&gr->refs, 1);
		atomic_fetch_add(&gr->opens, 1);
		*ro = atomic_load(&gr->ro);
		*grant = gr;
	}
	pthread_mutex_unlock(&g->m);
	return r;
}

void vctl_grant_close(struct vctl_grant *gr)
{
	if (!gr)
		return;
	atomic_fetch_sub(&gr->opens, 1);
	grant_put(gr);
}

/* Sleeps until `when`, in slices, so that a removed path or a stopping
 * server does not wait out a long throttle. */
static int wait_until(struct vctl_grant *gr, uint64_t when)
{
	for (;;) {
		if (atomic_load(&gr->removed))
			return -EPERM;
		uint64_t now = vctl_now_ns();
		if (now >= when)
			return 0;
		uint64_t d = when - now;
		if (d > 100000000ull)
			d = 100000000ull;
		struct timespec ts = {(time_t)(d / 1000000000ull), (long)(d % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
}

int vctl_grant_begin(struct vctl_grant *gr, enum vctl_io_kind kind, bool writes,
		     uint64_t bytes, uint64_t *t0, struct vctl_err *err)
{
	*t0 = vctl_now_ns();
	if (!gr || gr->admin)
		return 0;
	int r = 0;
	if (atomic_load(&gr->removed))
		r = vctl_errf(err, -EPERM, "path %llu was removed", (unsigned long long)gr->id);
	else if (writes && atomic_load(&gr->ro))
		r = vctl_errf(err, -EPERM, "path %llu is read-only", (unsigned long long)gr->id);
	else if (kind != VCTL_IO_OTHER &&
		 wait_until(gr, vctl_qos_admit(&gr->dom->qos, bytes, *t0)) < 0)
		r = vctl_errf(err, -EPERM, "path %llu was removed", (unsigned long long)gr->id);
	if (r < 0)
		vctl_io_count(&gr->io, kind, 0, true, 0);
	return r;
}

void vctl_grant_end(struct vctl_grant *gr, enum vctl_io_kind kind, uint64_t bytes,
		    int result, uint64_t t0)
{
	if (gr)
		vctl_io_count(&gr->io, kind, bytes, result < 0, vctl_now_ns() - t0);
}

int vctl_gate_stats(struct vctl_pool *p, struct vctl_path_stat **out, uint32_t *n,
		    struct vctl_err *err)
{
	struct vctl_gate *g = p->gate;
	*out = NULL;
	*n = 0;
	if (!g)
		return vctl_errf(err, -ESRCH, "no server is running for this pool");
	pthread_mutex_lock(&g->m);
	struct vctl_path_stat *s = calloc(g->npaths + 1, sizeof(*s));
	for (uint32_t i = 0; s && i < g->npaths; i++) {
		struct vctl_grant *gr = g->paths[i];
		s[i].id = gr->id;
		s[i].host = gr->host;
		s[i].volume = gr->volume;
		s[i].domain = gr->domain;
		s[i].opens = atomic_load(&gr->opens);
		vctl_io_snapshot(&gr->io, &s[i].io);
	}
	uint32_t count = g->npaths;
	pthread_mutex_unlock(&g->m);
	if (!s)
		return vctl_errf(err, -ENOMEM, "out of memory");
	*out = s;
	*n = count;
	return 0;
}

int vctl_gate_volume_io(struct vctl_pool *p, struct vctl_volume_io **out, uint32_t *n,
			struct vctl_err *err)
{
	struct vctl_gate *g = p->gate;
	*out = NULL;
	*n = 0;
	if (!g)
		return vctl_errf(err, -ESRCH, "no server is running for this pool");
	pthread_mutex_lock(&g->m);
	struct vctl_volume_io *v = calloc(g->npaths + g->nadmins + 1, sizeof(*v));
	uint32_t count = 0;
	for (uint32_t i = 0; v && i < g->npaths + g->nadmins; i++) {
		struct vctl_grant *gr = i < g->npaths ? g->paths[i] : g->admins[i - g->npaths];
		struct vctl_io_stats st;
		vctl_io_snapshot(&gr->io, &st);
		uint32_t k = 0;
		while (k < count && v[k].volume != gr->volume)
			k++;
		count += k == count;
		v[k].volume = gr->volume;
		v[k].ops += st.reads + st.writes;
		v[k].bytes += st.read_bytes + st.write_bytes;
	}
	pthread_mutex_unlock(&g->m);
	if (!v)
		return vctl_errf(err, -ENOMEM, "out of memory");
	*out = v;
	*n = count;
	return 0;
}
