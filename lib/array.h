/* Arrays: the pool's enclosures with capability ratings, the commitments
 * that volumes' requirements make on them, their measured load, and
 * requirement-based placement (vctl create --mbps/--iops). */
#ifndef VCTL_LIB_ARRAY_H
#define VCTL_LIB_ARRAY_H

#include <stdbool.h>
#include <stdint.h>

#include "fmt/mld.h"
#include "pool.h"

struct vctl_array_spec {
	const char *name;
	bool set_mbps, set_iops;
	uint64_t mbps, iops; /* 0 = unrated */
};
/* Rates an array; one MLD commit. -ENOENT if no enclosure has the name. */
int vctl_array_set(struct vctl_pool *p, const struct vctl_array_spec *s, struct vctl_err *err);

struct vctl_array_info {
	uint32_t id;
	char name[VCTL_NAME_MAX + 1];
	uint64_t mbps, iops;                     /* ratings, 0 = unrated */
	uint64_t committed_mbps, committed_iops; /* shares of volumes' requirements */
	double load_mbps, load_iops;             /* measured (served only), else 0 */
	uint32_t disks;                          /* its disks (records, any state) */
};
/* Every array in enclosure order, with commitments; *out is the caller's
 * to free. The caller holds the pool lock (for reading at least). */
int vctl_array_list(const struct vctl_pool *p, struct vctl_array_info **out, uint32_t *n,
		    struct vctl_err *err);
/* The load of each volume on each array, from one sample. */
struct vctl_vol_load {
	uint32_t nvol, narrays;
	uint64_t *volume;    /* [nvol] volume ids */
	double *mbps, *iops; /* [v * narrays + a] */
};
/* Fills the load of each array from the running server's I/O counters,
 * sampled over `ms` milliseconds: each volume's bytes and requests per
 * second (every client's, administrators' too), spread over the arrays in proportion to the PSEGs of its
 * volume's own RStores on their disks; with vl, each volume's part too
 * (the caller frees it with vctl_vol_load_free). Takes the pool lock for
 * reading around each sample (the caller must not hold it). Offline (no
 * gate): leaves every load 0. */
int vctl_array_load(struct vctl_pool *p, struct vctl_array_info *a, uint32_t n, unsigned ms,
		    struct vctl_vol_load *vl, struct vctl_err *err);
void vctl_vol_load_free(struct vctl_vol_load *vl);

/* A new placement for a placed volume (a migration): the array it leaves
 * (`away`, an enclosure id), its requirement now (own, whose commitment
 * counts as free), and its PSEGs: per enclosure record (kept[i], those
 * that stay if that array is chosen) and in all. */
struct vctl_replace {
	uint32_t away;
	const struct vctl_mld_req *own;
	const uint64_t *kept; /* [p->mld.nencl] */
	uint64_t psegs;
	/* measured: the load each array may still take (per enclosure record,
	 * NULL: unchecked), and the volume's, spread evenly over the arrays
	 * chosen */
	const double *room_m, *room_i;
	double load_m, load_i;
};
/* Chooses the arrays for a requirement (mbps, iops; at least one nonzero):
 * the fewest arrays (at least min_arrays) each of whose free capability
 * (rating minus commitments) covers an even share of it and which hold
 * min_disks usable disks together; among those, fit VCTL_FIT_BEST takes
 * the arrays with the least free capability, VCTL_FIT_FIRST the first in
 * enclosure order. With re, a new placement: only arrays with room for
 * their share of the volume's measured load, and the one that moves the
 * fewest PSEGs (*moves), then the fewest arrays. Unrated arrays are never
 * chosen. Fills q (volume 0). -VCTL_E_REFUSED naming the shortfall. */
int vctl_array_place(const struct vctl_pool *p, uint64_t mbps, uint64_t iops, uint32_t fit,
		     unsigned min_disks, unsigned min_arrays, const struct vctl_replace *re,
		     struct vctl_mld_req *q, uint64_t *moves, struct vctl_err *err);
/* Whether a requirement (NULL: none) lets a PSEG of its volume go on disk. */
bool vctl_req_allows(const struct vctl_pool *p, const struct vctl_mld_req *q, uint32_t disk);
/* Disks of q's arrays that take new PSEGs. */
unsigned vctl_req_disks(const struct vctl_pool *p, const struct vctl_mld_req *q);
/* Adds a requirement record (q->volume set); drops a volume's. */
int vctl_req_add(struct vctl_pool *p, const struct vctl_mld_req *q, struct vctl_err *err);
void vctl_req_drop(struct vctl_pool *p, uint64_t volume);
/* Calls fn once for each RStore that volume v's own LMAP entries name
 * (not those it reads through), until fn returns nonzero, which it
 * returns. seen: a scratch bitmap of p->st->nrsd bits. */
int vctl_volume_rsds(const struct vctl_pool *p, const struct vctl_mld_volume *v, uint8_t *seen,
		     int (*fn)(const struct vctl_pool *p, uint32_t id, void *ctx), void *ctx);
/* The members of those RStores on each of the narr arrays (share[a]) and
 * in all (*tot). */
int vctl_volume_psegs(const struct vctl_pool *p, const struct vctl_mld_volume *v,
		      const struct vctl_array_info *arr, uint32_t narr, uint64_t *share, uint64_t *tot);

/* The requirement of the volume that owns data in RSD id (NULL: none);
 * with the pool lock held. Costs a walk of the maps of the volumes that
 * have one (none in a pool without requirements). */
const struct vctl_mld_req *vctl_rsd_req(const struct vctl_pool *p, uint32_t id);
/* "600 MB/s", "5000 IOPS" or "600 MB/s and 5000 IOPS". */
const char *vctl_req_str(uint64_t mbps, uint64_t iops, char *buf, size_t len);

#endif
