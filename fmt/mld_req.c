/* MLD records of volume requirements (type 11): the bandwidth and
 * transaction rate a volume was created to sustain, and the arrays
 * (enclosures) placement chose for it. Layout in fmt/FORMAT.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mld.h"
#include "mld_rec.h"

void vctl_mld_encode_reqs(const struct vctl_mld *m, struct vctl_wcur *w, uint32_t *nrec)
{
	for (uint32_t i = 0; i < m->nreqs; i++) {
		const struct vctl_mld_req *q = &m->reqs[i];
		size_t at = vctl_mld_rec_begin(w, VCTL_REC_REQ);
		vctl_w64(w, q->volume);
		vctl_w64(w, q->mbps);
		vctl_w64(w, q->iops);
		vctl_w32(w, q->fit);
		vctl_w32(w, q->narrays);
		for (uint32_t k = 0; k < VCTL_REQ_MAX_ARRAYS; k++)
			vctl_w32(w, k < q->narrays ? q->arrays[k] : 0);
		vctl_mld_rec_end(w, at);
		(*nrec)++;
	}
}

int vctl_mld_decode_req(struct vctl_mld *m, struct vctl_rcur *r, struct vctl_err *err)
{
	if (m->nreqs >= 65536)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: more than 65536 requirement records");
	/* doubling at powers of two keeps a hostile MLD's decode linear */
	if (!(m->nreqs & (m->nreqs - 1))) {
		void *p = realloc(m->reqs, (m->nreqs ? (size_t)m->nreqs * 2 : 4) * sizeof(*m->reqs));
		if (!p)
			return vctl_errf(err, -ENOMEM, "MLD: out of memory");
		m->reqs = p;
	}
	struct vctl_mld_req *q = &m->reqs[m->nreqs++];
	memset(q, 0, sizeof(*q));
	q->volume = vctl_r64(r);
	q->mbps = vctl_r64(r);
	q->iops = vctl_r64(r);
	q->fit = vctl_r32(r);
	q->narrays = vctl_r32(r);
	bool unused_set = false;
	for (uint32_t k = 0; k < VCTL_REQ_MAX_ARRAYS; k++) {
		uint32_t a = vctl_r32(r);
		if (k < q->narrays)
			q->arrays[k] = a;
		else
			unused_set = unused_set || a;
	}
	if (r->bad)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: requirement record is truncated");
	if (unused_set)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "MLD: requirement of volume id %llu: unused array slot set",
				 (unsigned long long)q->volume);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

/* Each record: an existing volume, one record per volume, a stated rate
 * within the limits, a known fit, 1 .. 16 distinct existing arrays. */
int vctl_mld_validate_reqs(const struct vctl_mld *m, struct vctl_err *err)
{
	if (m->nreqs > m->nvol)
		return vctl_errf(err, -VCTL_E_CORRUPT, "MLD: %u requirements for %u volumes",
				 m->nreqs, m->nvol);
	for (uint32_t i = 0; i < m->nreqs; i++) {
		const struct vctl_mld_req *q = &m->reqs[i];
		unsigned long long id = q->volume;
		const struct vctl_mld_volume *v = vctl_mld_volume_by_id(m, q->volume);
		if (!v)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: a requirement names volume id %llu, which is no volume", id);
		if (!q->mbps && !q->iops)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: requirement of volume %s states neither MB/s nor IOPS",
					 v->name);
		if (q->mbps > VCTL_MAX_MBPS || q->iops > VCTL_MAX_IOPS)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: requirement of volume %s: %llu MB/s, %llu IOPS beyond the limits",
					 v->name, (unsigned long long)q->mbps,
					 (unsigned long long)q->iops);
		if (q->fit != VCTL_FIT_BEST && q->fit != VCTL_FIT_FIRST)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: requirement of volume %s has unknown fit %u", v->name,
					 q->fit);
		if (q->narrays == 0 || q->narrays > VCTL_REQ_MAX_ARRAYS)
			return vctl_errf(err, -VCTL_E_CORRUPT,
					 "MLD: requirement of volume %s names %u arrays", v->name,
					 q->narrays);
		for (uint32_t k = 0; k < q->narrays; k++) {
			if (!vctl_mld_encl_by_id(m, q->arrays[k]))
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "MLD: requirement of volume %s names array id %u, which is no enclosure",
						 v->name, q->arrays[k]);
			for (uint32_t j = 0; j < k; j++)
				if (q->arrays[j] == q->arrays[k])
					return vctl_errf(err, -VCTL_E_CORRUPT,
							 "MLD: requirement of volume %s names array id %u twice",
							 v->name, q->arrays[k]);
		}
	}
	/* one per volume: sorted, n log n */
	uint64_t *ids = malloc((m->nreqs ? m->nreqs : 1) * sizeof(*ids));
	if (!ids)
		return vctl_errf(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nreqs; i++)
		ids[i] = m->reqs[i].volume;
	qsort(ids, m->nreqs, sizeof(*ids), cmp_u64);
	int r = 0;
	for (uint32_t i = 1; i < m->nreqs && r == 0; i++)
		if (ids[i] == ids[i - 1])
			r = vctl_errf(err, -VCTL_E_CORRUPT,
				      "MLD: volume %s has two requirement records",
				      vctl_mld_volume_by_id(m, ids[i])->name);
	free(ids);
	return r;
}

struct vctl_mld_req *vctl_mld_req_of(const struct vctl_mld *m, uint64_t volume)
{
	for (uint32_t i = 0; i < m->nreqs; i++)
		if (m->reqs[i].volume == volume)
			return &m->reqs[i];
	return NULL;
}

const char *vctl_fit_name(uint32_t fit)
{
	switch (fit) {
	case VCTL_FIT_BEST:
		return "best";
	case VCTL_FIT_FIRST:
		return "first";
	}
	return "unknown";
}

uint64_t vctl_req_share(uint64_t total, uint32_t n, uint32_t i)
{
	if (!n)
		return 0;
	return total / n + (i < total % n);
}
