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
/* Fills the load of each array from the running server's path counters,
 * sampled over `ms` milliseconds: each path's bytes and requests per
 * second, spread over the arrays in proportion to the PSEGs of its
 * volume's own RStores on their disks. Takes the pool lock for reading
 * around each sample (the caller must not hold it). Offline (no gate):
 * leaves every load 0. */
int vctl_array_load(struct vctl_pool *p, struct vctl_array_info *a, uint32_t n, unsigned ms,
		    struct vctl_err *err);

/* Chooses the arrays for a requirement (mbps, iops; at least one nonzero):
 * the fewest arrays (at least min_arrays) each of whose free capability
 * (rating minus commitments) covers an even share of it and which hold
 * min_disks usable disks together; among those, fit VCTL_FIT_BEST takes
 * the arrays with the least free capability, VCTL_FIT_FIRST the first in
 * enclosure order. Unrated arrays are never chosen. Fills q (volume 0).
 * -VCTL_E_REFUSED naming the shortfall. */
int vctl_array_place(const struct vctl_pool *p, uint64_t mbps, uint64_t iops, uint32_t fit,
		     unsigned min_disks, unsigned min_arrays, struct vctl_mld_req *q,
		     struct vctl_err *err);
/* Whether a requirement (NULL: none) lets a PSEG of its volume go on disk. */
bool vctl_req_allows(const struct vctl_pool *p, const struct vctl_mld_req *q, uint32_t disk);
/* Disks of q's arrays that take new PSEGs. */
unsigned vctl_req_disks(const struct vctl_pool *p, const struct vctl_mld_req *q);
/* Adds a requirement record (q->volume set); drops a volume's. */
int vctl_req_add(struct vctl_pool *p, const struct vctl_mld_req *q, struct vctl_err *err);
void vctl_req_drop(struct vctl_pool *p, uint64_t volume);
/* The requirement of the volume that owns data in RSD id (NULL: none);
 * with the pool lock held. Costs a walk of the maps of the volumes that
 * have one (none in a pool without requirements). */
const struct vctl_mld_req *vctl_rsd_req(const struct vctl_pool *p, uint32_t id);
/* "600 MB/s", "5000 IOPS" or "600 MB/s and 5000 IOPS". */
const char *vctl_req_str(uint64_t mbps, uint64_t iops, char *buf, size_t len);

#endif
