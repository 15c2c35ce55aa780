/* Arrays (enclosures with capability ratings), commitments, measured
 * load, and requirement-based placement. */
#include "array.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate.h"
#include "state.h"

int vctl_array_set(struct vctl_pool *p, const struct vctl_array_spec *s, struct vctl_err *err)
{
	if (s->set_mbps && s->mbps > VCTL_MAX_MBPS)
		return vctl_errf(err, -EINVAL, "--mbps %llu is more than %llu",
				 (unsigned long long)s->mbps, VCTL_MAX_MBPS);
	if (s->set_iops && s->iops > VCTL_MAX_IOPS)
		return vctl_errf(err, -EINVAL, "--iops %llu is more than %llu",
				 (unsigned long long)s->iops, VCTL_MAX_IOPS);
	vctl_rwlock_wr(&p->lock);
	struct vctl_mld_encl *e = NULL;
	for (uint32_t i = 0; i < p->mld.nencl && !e; i++)
		if (!strcmp(p->mld.encl[i].name, s->name))
			e = &p->mld.encl[i];
	int r;
	if (!e) {
		r = vctl_errf(err, -ENOENT, "no array (enclosure) named %s", s->name);
	} else {
		struct vctl_mld_encl old = *e;
		if (s->set_mbps)
			e->mbps = s->mbps;
		if (s->set_iops)
			e->iops = s->iops;
		r = vctl_pool_commit(p, err);
		if (r < 0)
			*e = old;
	}
	vctl_rwlock_unlock(&p->lock);
	return r;
}

static uint32_t encl_disks(const struct vctl_pool *p, uint32_t encl)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->mld.ndisks; i++)
		n += p->mld.disks[i].encl == encl && vctl_disk_allocatable(p, p->mld.disks[i].index);
	return n;
}

static void committed(const struct vctl_mld *m, uint32_t encl, uint64_t *mbps, uint64_t *iops)
{
	*mbps = *iops = 0;
	for (uint32_t i = 0; i < m->nreqs; i++) {
		const struct vctl_mld_req *q = &m->reqs[i];
		for (uint32_t k = 0; k < q->narrays; k++) {
			if (q->arrays[k] != encl)
				continue;
			*mbps += vctl_req_share(q->mbps, q->narrays, k);
			*iops += vctl_req_share(q->iops, q->narrays, k);
		}
	}
}

int vctl_array_list(const struct vctl_pool *p, struct vctl_array_info **out, uint32_t *n,
		    struct vctl_err *err)
{
	const struct vctl_mld *m = &p->mld;
	struct vctl_array_info *a = calloc(m->nencl ? m->nencl : 1, sizeof(*a));
	if (!a)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nencl; i++) {
		const struct vctl_mld_encl *e = &m->encl[i];
		a[i].id = e->id;
		snprintf(a[i].name, sizeof(a[i].name), "%s", e->name);
		a[i].mbps = e->mbps;
		a[i].iops = e->iops;
		committed(m, e->id, &a[i].committed_mbps, &a[i].committed_iops);
		for (uint32_t k = 0; k < m->ndisks; k++)
			a[i].disks += m->disks[k].encl == e->id;
	}
	*out = a;
	*n = m->nencl;
	return 0;
}

int vctl_volume_rsds(const struct vctl_pool *p, const struct vctl_mld_volume *v, uint8_t *seen,
		     int (*fn)(const struct vctl_pool *p, uint32_t id, void *ctx), void *ctx)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	const struct vctl_vmap *vm = p->st ? vctl_vmap_of(p, v->id) : NULL;
	if (!vm || vm->damaged)
		return 0;
	memset(seen, 0, p->st->nrsd / 8 + 1);
	uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
	for (uint32_t li = 0; li < vm->nlmaps; li++) {
		if (!vm->l2[li])
			continue;
		for (uint64_t k = (uint64_t)li * g->lmap_entries;
		     k < (uint64_t)(li + 1) * g->lmap_entries && k < nrseg; k++) {
			uint32_t e = vctl_vmap_get(vm, g, k);
			if ((e & VCTL_LMAP_SS) || !(e & VCTL_LMAP_RSD_MASK))
				continue;
			uint32_t id = (e & VCTL_LMAP_RSD_MASK) - 1;
			if (id >= p->st->nrsd || !vctl_rsd_get(p, id) || bit_get(seen, id))
				continue;
			bit_set(seen, id);
			int r = fn(p, id, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

struct shares_ctx {
	const struct vctl_array_info *arr;
	uint32_t narr;
	uint64_t *share, *tot;
};

static int count_members(const struct vctl_pool *p, uint32_t id, void *arg)
{
	struct shares_ctx *c = arg;
	const struct vctl_rsd *r = vctl_rsd_get(p, id);
	for (unsigned k = 0; k < r->nmembers; k++) {
		const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, vctl_member_disk(r->m[k]));
		for (uint32_t a = 0; d && a < c->narr; a++)
			c->share[a] += c->arr[a].id == d->encl;
		(*c->tot)++;
	}
	return 0;
}

int vctl_volume_psegs(const struct vctl_pool *p, const struct vctl_mld_volume *v,
		      const struct vctl_array_info *arr, uint32_t narr, uint64_t *share, uint64_t *tot)
{
	*tot = 0;
	memset(share, 0, narr * sizeof(*share));
	if (!p->st)
		return 0;
	uint8_t *seen = malloc(p->st->nrsd / 8 + 1);
	if (!seen)
		return -ENOMEM;
	struct shares_ctx c = {arr, narr, share, tot};
	vctl_volume_rsds(p, v, seen, count_members, &c);
	free(seen);
	return 0;
}

/* Each volume's PSEGs per array: share[v * narr + a]; tot[v]. */
static int pseg_shares(const struct vctl_pool *p, const struct vctl_array_info *arr, uint32_t narr,
		       uint64_t *share, uint64_t *tot)
{
	for (uint32_t i = 0; i < p->mld.nvol; i++)
		if (vctl_volume_psegs(p, &p->mld.vols[i], arr, narr, share + (size_t)i * narr, &tot[i]) < 0)
			return -ENOMEM;
	return 0;
}

int vctl_array_load(struct vctl_pool *p, struct vctl_array_info *a, uint32_t n, unsigned ms,
		    struct vctl_vol_load *vl, struct vctl_err *err)
{
	if (vl)
		memset(vl, 0, sizeof(*vl));
	if (!p->gate)
		return 0;
	struct vctl_volume_io *s0 = NULL, *s1 = NULL;
	uint32_t n0 = 0, n1 = 0;
	struct timespec t0, t1;
	vctl_rwlock_rd(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = vctl_gate_volume_io(p, &s0, &n0, err);
	vctl_rwlock_unlock(&p->lock);
	if (r < 0)
		return r == -ESRCH ? 0 : r;
	/* in slices: a stopping server does not wait out a long sample */
	for (unsigned left = ms; left && !vctl_gate_stopping(p->gate);) {
		unsigned slice = left < 100 ? left : 100;
		struct timespec ts = {0, (long)slice * 1000000};
		nanosleep(&ts, NULL);
		left -= slice;
	}
	vctl_rwlock_rd(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r = vctl_gate_volume_io(p, &s1, &n1, err);
	uint32_t nv = p->mld.nvol;
	size_t cells = (size_t)(nv ? nv : 1) * (n ? n : 1);
	uint64_t *share = r < 0 ? NULL : calloc(cells, sizeof(*share));
	uint64_t *tot = r < 0 ? NULL : calloc(nv ? nv : 1, sizeof(*tot));
	double *vm = r < 0 ? NULL : calloc(cells, sizeof(*vm));
	double *vi = r < 0 ? NULL : calloc(cells, sizeof(*vi));
	uint64_t *ids = r < 0 ? NULL : calloc(nv ? nv : 1, sizeof(*ids));
	if (r == 0 && (!share || !tot || !vm || !vi || !ids))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && pseg_shares(p, a, n, share, tot) < 0)
		r = vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t k = 0; r == 0 && k < nv; k++)
		ids[k] = p->mld.vols[k].id;
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (uint32_t i = 0; r == 0 && dt > 0 && i < n1; i++) {
		const struct vctl_volume_io *b = &s1[i], *o = NULL;
		for (uint32_t k = 0; k < n0 && !o; k++)
			if (s0[k].volume == b->volume)
				o = &s0[k];
		/* a path removed meanwhile takes its counts along: no load */
		uint64_t bytes = o && o->bytes > b->bytes ? 0 : b->bytes - (o ? o->bytes : 0);
		uint64_t ops = o && o->ops > b->ops ? 0 : b->ops - (o ? o->ops : 0);
		uint32_t v = UINT32_MAX;
		for (uint32_t k = 0; k < nv && v == UINT32_MAX; k++)
			if (ids[k] == b->volume)
				v = k;
		if (v == UINT32_MAX || !tot[v])
			continue;
		for (uint32_t k = 0; k < n; k++) {
			double f = (double)share[(size_t)v * n + k] / (double)tot[v];
			vm[(size_t)v * n + k] += f * (double)bytes / 1e6 / dt;
			vi[(size_t)v * n + k] += f * (double)ops / dt;
		}
	}
	vctl_rwlock_unlock(&p->lock);
	for (uint32_t v = 0; r == 0 && v < nv; v++)
		for (uint32_t k = 0; k < n; k++) {
			a[k].load_mbps += vm[(size_t)v * n + k];
			a[k].load_iops += vi[(size_t)v * n + k];
		}
	if (r == 0 && vl) {
		*vl = (struct vctl_vol_load){.nvol = nv, .narrays = n, .volume = ids, .mbps = vm,
					     .iops = vi};
		ids = NULL;
		vm = vi = NULL;
	}
	free(ids);
	free(vm);
	free(vi);
	free(share);
	free(tot);
	free(s0);
	free(s1);
	return r == -ESRCH ? 0 : r;
}

void vctl_vol_load_free(struct vctl_vol_load *vl)
{
	free(vl->volume);
	free(vl->mbps);
	free(vl->iops);
	memset(vl, 0, sizeof(*vl));
}

const char *vctl_req_str(uint64_t mbps, uint64_t iops, char *buf, size_t len)
{
	if (mbps && iops)
		snprintf(buf, len, "%llu MB/s and %llu IOPS", (unsigned long long)mbps,
			 (unsigned long long)iops);
	else if (mbps)
		snprintf(buf, len, "%llu MB/s", (unsigned long long)mbps);
	else
		snprintf(buf, len, "%llu IOPS", (unsigned long long)iops);
	return buf;
}

struct cand {
	uint32_t at; /* enclosure record index */
	uint64_t free_m, free_i;
	uint32_t disks;
	uint64_t kept;   /* a new placement: the volume's PSEGs there now */
	double room_m, room_i; /* and the measured load it may still take */
	uint64_t key[2]; /* best fit: the free capability of the stated rates */
};

/* Most PSEGs kept first (a new placement moves the fewest), then least
 * free capability (bandwidth, then transactions, of the rates the
 * requirement states), then enclosure order. */
static int cmp_best(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->kept != y->kept)
		return x->kept > y->kept ? -1 : 1;
	for (int k = 0; k < 2; k++)
		if (x->key[k] != y->key[k])
			return x->key[k] < y->key[k] ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Most PSEGs kept first, then enclosure order. */
static int cmp_first(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->kept != y->kept)
		return x->kept > y->kept ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int cmp_at(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* The eligible arrays for a requirement: rated for every stated dimension,
 * with a disk that takes new PSEGs; for a new placement (re), not the
 * array it leaves, with the volume's own commitment counted as free and
 * its PSEGs there as kept. Sums the free capability into all_m, all_i. */
static uint32_t candidates(const struct vctl_pool *p, uint64_t mbps, uint64_t iops,
			   const struct vctl_replace *re, struct cand *c, uint64_t *all_m,
			   uint64_t *all_i, bool *rated_m, bool *rated_i)
{
	const struct vctl_mld *m = &p->mld;
	uint32_t nc = 0;
	*all_m = *all_i = 0;
	*rated_m = *rated_i = false;
	for (uint32_t i = 0; i < m->nencl; i++) {
		const struct vctl_mld_encl *e = &m->encl[i];
		uint64_t cm, ci;
		committed(m, e->id, &cm, &ci);
		for (uint32_t k = 0; re && re->own && k < re->own->narrays; k++)
			if (re->own->arrays[k] == e->id) {
				cm -= vctl_req_share(re->own->mbps, re->own->narrays, k);
				ci -= vctl_req_share(re->own->iops, re->own->narrays, k);
			}
		uint32_t disks = encl_disks(p, e->id);
		if ((mbps && !e->mbps) || (iops && !e->iops) || !disks || (re && e->id == re->away))
			continue;
		struct cand k = {i, e->mbps > cm ? e->mbps - cm : 0, e->iops > ci ? e->iops - ci : 0,
				 disks, re ? re->kept[i] : 0, DBL_MAX, DBL_MAX, {0, 0}};
		if (re && re->room_m)
			k.room_m = re->room_m[i];
		if (re && re->room_i)
			k.room_i = re->room_i[i];
		k.key[0] = mbps ? k.free_m : k.free_i;
		k.key[1] = mbps && iops ? k.free_i : 0;
		*rated_m = *rated_m || e->mbps != 0;
		*rated_i = *rated_i || e->iops != 0;
		*all_m += k.free_m;
		*all_i += k.free_i;
		c[nc++] = k;
	}
	return nc;
}

int vctl_array_place(const struct vctl_pool *p, uint64_t mbps, uint64_t iops, uint32_t fit,
		     unsigned min_disks, unsigned min_arrays, const struct vctl_replace *re,
		     struct vctl_mld_req *q, uint64_t *moves, struct vctl_err *err)
{
	const struct vctl_mld *m = &p->mld;
	char need[64];
	vctl_req_str(mbps, iops, need, sizeof(need));
	struct cand *c = calloc(m->nencl ? m->nencl : 1, sizeof(*c));
	struct cand *pick = calloc(m->nencl ? m->nencl : 1, sizeof(*pick));
	if (!c || !pick) {
		free(c);
		free(pick);
		return vctl_errf(err, -ENOMEM, "out of memory");
	}
	uint64_t all_m, all_i;
	bool rated_m, rated_i;
	uint32_t nc = candidates(p, mbps, iops, re, c, &all_m, &all_i, &rated_m, &rated_i);
	int r = 0;
	if (mbps > all_m)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %llu MB/s; the free capability of all arrays together is %llu MB/s%s",
			      (unsigned long long)mbps, (unsigned long long)all_m,
			      rated_m ? "" : " (no array with usable disks is rated: vctl array set NAME --mbps N)");
	else if (iops > all_i)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %llu IOPS; the free capability of all arrays together is %llu IOPS%s",
			      (unsigned long long)iops, (unsigned long long)all_i,
			      rated_i ? "" : " (no array with usable disks is rated: vctl array set NAME --iops N)");
	if (r < 0)
		goto out;
	qsort(c, nc, sizeof(*c), fit == VCTL_FIT_BEST ? cmp_best : cmp_first);
	bool disks_short = false, found = false, loaded = false;
	uint64_t best_moves = UINT64_MAX;
	uint32_t kmax = nc < VCTL_REQ_MAX_ARRAYS ? nc : VCTL_REQ_MAX_ARRAYS;
	/* The fewest arrays that carry it; for a new placement, the fewest
	 * moves, then the fewest arrays. */
	for (uint32_t k = min_arrays ? min_arrays : 1; k <= kmax && best_moves; k++) {
		uint64_t sm = (mbps + k - 1) / k, si = (iops + k - 1) / k, kept = 0;
		double lm = re ? re->load_m / k : 0, li = re ? re->load_i / k : 0;
		uint32_t got = 0, disks = 0;
		for (uint32_t i = 0; i < nc && got < k; i++) {
			if (c[i].free_m < sm || c[i].free_i < si) {
				continue;
			} else if (c[i].room_m < lm || c[i].room_i < li) {
				loaded = true;
				continue;
			}
			pick[got++] = c[i];
			disks += c[i].disks;
			kept += c[i].kept;
		}
		if (got < k)
			continue;
		if (disks < min_disks) {
			disks_short = true;
			continue;
		}
		uint64_t mv = re ? re->psegs - kept : 0;
		if (found && mv >= best_moves)
			continue;
		found = true;
		best_moves = mv;
		qsort(pick, k, sizeof(*pick), cmp_at);
		memset(q, 0, sizeof(*q));
		q->mbps = mbps;
		q->iops = iops;
		q->fit = fit;
		q->narrays = k;
		for (uint32_t i = 0; i < k; i++)
			q->arrays[i] = m->encl[pick[i].at].id;
		if (!re)
			break;
	}
	if (found) {
		if (moves)
			*moves = best_moves;
	} else if (loaded) {
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s, and the arrays with that free have no room for its measured load (%.1f MB/s, %.0f IOPS)",
			      need, re->load_m, re->load_i);
	} else if (disks_short) {
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s; the arrays that could carry it hold fewer than the %u usable disks its layout needs",
			      need, min_disks);
	} else if (min_arrays > kmax) {
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s over at least %u arrays (its layout keeps members in distinct enclosures); %u arrays are rated and usable",
			      need, min_arrays, nc);
	} else {
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s; no set of arrays has an even share of it free on each (together %llu MB/s and %llu IOPS are free)",
			      need, (unsigned long long)all_m, (unsigned long long)all_i);
	}
out:
	free(c);
	free(pick);
	return r;
}

static int is_id(const struct vctl_pool *p, uint32_t id, void *want)
{
	(void)p;
	return id == *(uint32_t *)want;
}

const struct vctl_mld_req *vctl_rsd_req(const struct vctl_pool *p, uint32_t id)
{
	if (!p->st || !p->mld.nreqs)
		return NULL;
	uint8_t *seen = malloc(p->st->nrsd / 8 + 1);
	const struct vctl_mld_req *found = NULL;
	for (uint32_t i = 0; seen && !found && i < p->mld.nreqs; i++) {
		const struct vctl_mld_req *q = &p->mld.reqs[i];
		const struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, q->volume);
		if (v && vctl_volume_rsds(p, v, seen, is_id, &id))
			found = q;
	}
	free(seen);
	return found;
}

bool vctl_req_allows(const struct vctl_pool *p, const struct vctl_mld_req *q, uint32_t disk)
{
	if (!q)
		return true;
	const struct vctl_mld_disk *d = vctl_mld_disk_by_index(&p->mld, disk);
	for (uint32_t k = 0; d && k < q->narrays; k++)
		if (q->arrays[k] == d->encl)
			return true;
	return false;
}

unsigned vctl_req_disks(const struct vctl_pool *p, const struct vctl_mld_req *q)
{
	unsigned n = 0;
	for (uint32_t k = 0; k < q->narrays; k++)
		n += encl_disks(p, q->arrays[k]);
	return n;
}

int vctl_req_add(struct vctl_pool *p, const struct vctl_mld_req *q, struct vctl_err *err)
{
	void *nr = realloc(p->mld.reqs, (p->mld.nreqs + 1) * sizeof(*p->mld.reqs));
	if (!nr)
		return vctl_errf(err, -ENOMEM, "out of memory");
	p->mld.reqs = nr;
	p->mld.reqs[p->mld.nreqs++] = *q;
	return 0;
}

void vctl_req_drop(struct vctl_pool *p, uint64_t volume)
{
	struct vctl_mld *m = &p->mld;
	for (uint32_t i = 0; i < m->nreqs; i++) {
		if (m->reqs[i].volume != volume)
			continue;
		memmove(&m->reqs[i], &m->reqs[i + 1], (m->nreqs - i - 1) * sizeof(*m->reqs));
		m->nreqs--;
		return;
	}
}
