/* Arrays (enclosures with capability ratings), commitments, measured
 * load, and requirement-based placement. */
#include "array.h"

#include <errno.h>
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

/* Each volume's PSEGs per array: members of the RStores its own entries
 * name (each RStore once). share[v * narr + a]; tot[v]. */
static int pseg_shares(const struct vctl_pool *p, const struct vctl_array_info *arr, uint32_t narr,
		       uint64_t *share, uint64_t *tot)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	if (!p->st)
		return 0;
	uint8_t *seen = calloc(p->st->nrsd / 8 + 1, 1);
	if (!seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < p->mld.nvol; i++) {
		const struct vctl_mld_volume *v = &p->mld.vols[i];
		const struct vctl_vmap *vm = vctl_vmap_of(p, v->id);
		if (!vm || vm->damaged)
			continue;
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
				const struct vctl_rsd *r = vctl_rsd_get(p, id);
				for (unsigned c = 0; c < r->nmembers; c++) {
					const struct vctl_mld_disk *d =
						vctl_mld_disk_by_index(&p->mld, vctl_member_disk(r->m[c]));
					for (uint32_t a = 0; d && a < narr; a++)
						if (arr[a].id == d->encl)
							share[(size_t)i * narr + a]++;
					tot[i]++;
				}
			}
		}
	}
	free(seen);
	return 0;
}

int vctl_array_load(struct vctl_pool *p, struct vctl_array_info *a, uint32_t n, unsigned ms,
		    struct vctl_err *err)
{
	if (!p->gate)
		return 0;
	struct vctl_path_stat *s0 = NULL, *s1 = NULL;
	uint32_t n0 = 0, n1 = 0;
	struct timespec t0, t1;
	vctl_rwlock_rd(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = vctl_gate_stats(p, &s0, &n0, err);
	vctl_rwlock_unlock(&p->lock);
	if (r < 0)
		return r == -ESRCH ? 0 : r;
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	vctl_rwlock_rd(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r = vctl_gate_stats(p, &s1, &n1, err);
	uint32_t nv = p->mld.nvol;
	uint64_t *share = r < 0 ? NULL : calloc((size_t)(nv ? nv : 1) * (n ? n : 1), sizeof(*share));
	uint64_t *tot = r < 0 ? NULL : calloc(nv ? nv : 1, sizeof(*tot));
	if (r == 0 && (!share || !tot))
		r = vctl_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && pseg_shares(p, a, n, share, tot) < 0)
		r = vctl_errf(err, -ENOMEM, "out of memory");
	double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (uint32_t i = 0; r == 0 && dt > 0 && i < n1; i++) {
		const struct vctl_path_stat *b = &s1[i], *o = NULL;
		for (uint32_t k = 0; k < n0 && !o; k++)
			if (s0[k].id == b->id)
				o = &s0[k];
		uint64_t bytes = b->io.read_bytes + b->io.write_bytes;
		uint64_t ops = b->io.reads + b->io.writes;
		if (o) {
			bytes -= o->io.read_bytes + o->io.write_bytes;
			ops -= o->io.reads + o->io.writes;
		}
		uint32_t vi = UINT32_MAX;
		for (uint32_t k = 0; k < nv && vi == UINT32_MAX; k++)
			if (p->mld.vols[k].id == b->volume)
				vi = k;
		if (vi == UINT32_MAX || !tot[vi])
			continue;
		for (uint32_t k = 0; k < n; k++) {
			double f = (double)share[(size_t)vi * n + k] / (double)tot[vi];
			a[k].load_mbps += f * (double)bytes / 1e6 / dt;
			a[k].load_iops += f * (double)ops / dt;
		}
	}
	vctl_rwlock_unlock(&p->lock);
	free(share);
	free(tot);
	free(s0);
	free(s1);
	return r == -ESRCH ? 0 : r;
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
	uint64_t key[2]; /* best fit: the free capability of the stated rates */
};

/* Least free capability first (bandwidth, then transactions, of the rates
 * the requirement states), then enclosure order. */
static int cmp_best(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	for (int k = 0; k < 2; k++)
		if (x->key[k] != y->key[k])
			return x->key[k] < y->key[k] ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int cmp_at(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

int vctl_array_place(const struct vctl_pool *p, uint64_t mbps, uint64_t iops, uint32_t fit,
		     unsigned min_disks, unsigned min_arrays, struct vctl_mld_req *q,
		     struct vctl_err *err)
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
	/* Eligible: rated for every stated dimension, with a disk that takes
	 * new PSEGs. */
	uint32_t nc = 0;
	uint64_t all_m = 0, all_i = 0, rated_m = 0, rated_i = 0;
	for (uint32_t i = 0; i < m->nencl; i++) {
		const struct vctl_mld_encl *e = &m->encl[i];
		uint64_t cm, ci;
		committed(m, e->id, &cm, &ci);
		uint32_t disks = encl_disks(p, e->id);
		if ((mbps && !e->mbps) || (iops && !e->iops) || !disks)
			continue;
		struct cand k = {i, e->mbps > cm ? e->mbps - cm : 0, e->iops > ci ? e->iops - ci : 0,
				 disks, {0, 0}};
		k.key[0] = mbps ? k.free_m : k.free_i;
		k.key[1] = mbps && iops ? k.free_i : 0;
		rated_m += e->mbps != 0;
		rated_i += e->iops != 0;
		all_m += k.free_m;
		all_i += k.free_i;
		c[nc++] = k;
	}
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
	if (fit == VCTL_FIT_BEST)
		qsort(c, nc, sizeof(*c), cmp_best);
	bool disks_short = false;
	uint32_t kmax = nc < VCTL_REQ_MAX_ARRAYS ? nc : VCTL_REQ_MAX_ARRAYS;
	for (uint32_t k = min_arrays ? min_arrays : 1; k <= kmax; k++) {
		uint64_t sm = (mbps + k - 1) / k, si = (iops + k - 1) / k;
		uint32_t got = 0, disks = 0;
		for (uint32_t i = 0; i < nc && got < k; i++) {
			if (c[i].free_m < sm || c[i].free_i < si)
				continue;
			pick[got++] = c[i];
			disks += c[i].disks;
		}
		if (got < k)
			continue;
		if (disks < min_disks) {
			disks_short = true;
			continue;
		}
		qsort(pick, k, sizeof(*pick), cmp_at);
		memset(q, 0, sizeof(*q));
		q->mbps = mbps;
		q->iops = iops;
		q->fit = fit;
		q->narrays = k;
		for (uint32_t i = 0; i < k; i++)
			q->arrays[i] = m->encl[pick[i].at].id;
		goto out;
	}
	if (disks_short)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s; the arrays that could carry it hold fewer than the %u usable disks its layout needs",
			      need, min_disks);
	else if (min_arrays > kmax)
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s over at least %u arrays (its layout keeps members in distinct enclosures); %u arrays are rated and usable",
			      need, min_arrays, nc);
	else
		r = vctl_errf(err, -VCTL_E_REFUSED,
			      "needs %s; no set of arrays has an even share of it free on each (together %llu MB/s and %llu IOPS are free)",
			      need, (unsigned long long)all_m, (unsigned long long)all_i);
out:
	free(c);
	free(pick);
	return r;
}

const struct vctl_mld_req *vctl_rsd_req(const struct vctl_pool *p, uint32_t id)
{
	const struct vctl_geom *g = &p->mld.pool.geom;
	for (uint32_t i = 0; p->st && i < p->mld.nreqs; i++) {
		const struct vctl_mld_req *q = &p->mld.reqs[i];
		const struct vctl_mld_volume *v = vctl_mld_volume_by_id(&p->mld, q->volume);
		const struct vctl_vmap *vm = v ? vctl_vmap_of(p, v->id) : NULL;
		if (!vm)
			continue;
		uint64_t nrseg = (v->size + g->rseg_size - 1) / g->rseg_size;
		for (uint32_t li = 0; li < vm->nlmaps; li++) {
			if (!vm->l2[li])
				continue;
			for (uint64_t k = (uint64_t)li * g->lmap_entries;
			     k < (uint64_t)(li + 1) * g->lmap_entries && k < nrseg; k++) {
				uint32_t e = vctl_vmap_get(vm, g, k);
				if (!(e & VCTL_LMAP_SS) && (e & VCTL_LMAP_RSD_MASK) == id + 1)
					return q;
			}
		}
	}
	return NULL;
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
