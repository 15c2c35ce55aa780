/* RStore descriptors (RSD): the RAID type, width, stripe unit and member
 * PSEGs of one redundant store. Layout rules live here so every layer
 * agrees on them; the byte format is in fmt/FORMAT.md ("RSD block"). */
#ifndef VCTL_FMT_RSD_H
#define VCTL_FMT_RSD_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "geom.h"

enum vctl_raid {
	VCTL_RAID0 = 1,
	VCTL_RAID1 = 2,
	VCTL_RAID5 = 3,
	VCTL_RAID10 = 4,
};

#define VCTL_RSD_MAX_MEMBERS 16u
#define VCTL_RSD_SLOT 112u /* bytes of one RSD on disk */
#define VCTL_MEMBER_DISK_BITS 10u
#define VCTL_MEMBER_PSEG_BITS 22u
#define VCTL_MAX_PSEGS_PER_DISK (1u << VCTL_MEMBER_PSEG_BITS)
#define VCTL_MIN_STRIPE 4096u

/* A member: disk index and PSEG number packed in 32 bits. */
static inline uint32_t vctl_member(uint32_t disk, uint32_t pseg)
{
	return disk << VCTL_MEMBER_PSEG_BITS | pseg;
}
static inline uint32_t vctl_member_disk(uint32_t m)
{
	return m >> VCTL_MEMBER_PSEG_BITS;
}
static inline uint32_t vctl_member_pseg(uint32_t m)
{
	return m & (VCTL_MAX_PSEGS_PER_DISK - 1);
}

struct vctl_rsd_layout {
	uint8_t raid;     /* enum vctl_raid */
	uint8_t width;    /* data columns */
	uint8_t rss;      /* redundancy storage set the members come from */
	uint32_t stripe;  /* stripe unit, bytes */
};

const char *vctl_raid_name(uint8_t raid);
/* "0", "1", "5", "10" -> enum; 0 if unknown. */
uint8_t vctl_raid_parse(const char *s);
/* The number the user types: 0, 1, 5, 10. */
unsigned vctl_raid_level(uint8_t raid);

/* Members an RStore of this layout has: raid0 W, raid1 2, raid5 W+1,
 * raid10 2W. */
unsigned vctl_layout_members(const struct vctl_rsd_layout *l);
/* Bytes of volume address space one RStore presents: W x PSEG. */
uint64_t vctl_layout_rstore_bytes(const struct vctl_rsd_layout *l, const struct vctl_geom *g);
/* Checks a layout against the rules and the geometry. */
int vctl_layout_check(const struct vctl_rsd_layout *l, const struct vctl_geom *g,
		      struct vctl_err *err);
/* Default width for a RAID type (the sources' RStore shapes). */
unsigned vctl_layout_default_width(uint8_t raid, const struct vctl_geom *g);

#endif
