/* Disk lifecycle: fail a disk, and replace it by rebuilding what it held
 * elsewhere, keeping every volume's intent: lib/disk.c. */
#ifndef VCTL_LIB_DISK_H
#define VCTL_LIB_DISK_H

#include <stdint.h>

#include "pool.h"

/* Marks disk `index` failed: never read or written again; redundant
 * RStores on it run degraded. Refused (-VCTL_E_REFUSED) when that would
 * lose data: a raid0 RStore on it, a redundant one already degraded
 * elsewhere, a metadata extent with no other good copy. */
int vctl_disk_fail(struct vctl_pool *p, uint32_t index, struct vctl_err *err);

struct vctl_replace_report {
	uint32_t rstores;  /* members rebuilt */
	uint32_t extents;  /* metadata extent copies rebuilt */
	uint64_t bytes;    /* rebuilt */
};
/* Rebuilds every member and metadata copy of a failed (or missing) disk
 * on PSEGs of other disks that keep each RStore's members on distinct
 * disks and its volume's intent (--separate enclosure: never the
 * enclosure of a mirror partner, or of another raid5 member); prefers
 * that even without the intent. Refused, with the pool unchanged, when
 * some member has no compliant place. */
int vctl_disk_replace(struct vctl_pool *p, uint32_t index, struct vctl_replace_report *rep,
		      struct vctl_err *err);

#endif
