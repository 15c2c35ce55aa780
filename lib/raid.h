/* Reads and writes inside one RStore, by RAID type: the stripe geometry,
 * mirroring, rotating parity, and degraded operation with one member
 * missing. `x` is the offset in the RStore's address space. */
#ifndef VCTL_LIB_RAID_H
#define VCTL_LIB_RAID_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

int vctl_raid_read(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x, void *buf,
		   size_t len, struct vctl_err *err);
int vctl_raid_write(struct vctl_pool *p, const struct vctl_rsd *r, uint64_t x,
		    const void *buf, size_t len, struct vctl_err *err);

/* RAID5: the member holding the parity of a row, and the member holding a
 * data column in that row (rotating parity, FORMAT.md "RAID layouts"). */
static inline unsigned vctl_raid5_parity(const struct vctl_rsd *r, uint64_t row)
{
	return (unsigned)(row % (r->width + 1u));
}
static inline unsigned vctl_raid5_data(const struct vctl_rsd *r, uint64_t row, unsigned col)
{
	unsigned pm = vctl_raid5_parity(r, row);
	return col < pm ? col : col + 1;
}

/* Where member `idx` of an RStore lives: its file and the byte offset of
 * its PSEG. Returns false if the disk is missing or failed. */
bool vctl_raid_member(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx,
		      int *fd, uint64_t *base);
/* Whether member idx's disk is present and active (stale or not). */
bool vctl_raid_reachable(const struct vctl_pool *p, const struct vctl_rsd *r, unsigned idx);

void vctl_xor(uint8_t *dst, const uint8_t *src, size_t n);

#endif
