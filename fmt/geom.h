/* Pool geometry: chosen once at `vctl init`, recorded in every label and in
 * the MLD's pool record. All sizes are in bytes. */
#ifndef VCTL_FMT_GEOM_H
#define VCTL_FMT_GEOM_H

#include <stdint.h>

#include "err.h"

#define VCTL_SECTOR 512u

/* Fixed quorum-space layout (independent of geometry, so a reader can
 * find label B and the MLD slots without trusting label A). */
#define VCTL_LABEL_SIZE 4096u
#define VCTL_LABEL_A_OFFSET 0u
#define VCTL_LABEL_B_OFFSET (256u * 1024)
#define VCTL_MLD_SLOT0_OFFSET (512u * 1024)

/* The sources' numbers. */
#define VCTL_DEFAULT_PSEG (2u * 1024 * 1024)
#define VCTL_DEFAULT_RSEG (1u * 1024 * 1024)
#define VCTL_DEFAULT_LMAP_ENTRIES 2048u /* x 1 MiB RSEG = 2 GiB per LMAP */
#define VCTL_DEFAULT_RSTORE_WIDTH 4u    /* data columns: 4 x 2 MiB = 8 MiB */
#define VCTL_DEFAULT_MLD_SLOT (768u * 1024)
#define VCTL_DEFAULT_MBLOCK 16384u /* holds an LMAP of 2048 entries */

#define VCTL_MIN_PSEG (64u * 1024)
#define VCTL_MAX_PSEG (1024u * 1024 * 1024)
#define VCTL_MIN_RSEG (64u * 1024)
#define VCTL_MIN_MLD_SLOT (64u * 1024)
#define VCTL_MAX_MLD_SLOT (256u * 1024 * 1024)
#define VCTL_MAX_WIDTH 64u
#define VCTL_MAX_DISKS 1024u
/* A disk needs room for a few RStores beyond its quorum space. */
#define VCTL_MIN_DISK_PSEGS 8u

struct vctl_geom {
	uint32_t sector_size;   /* always 512 */
	uint32_t pseg_size;     /* physical segment, power of two */
	uint32_t rseg_size;     /* LDAAU: volume address granule, <= pseg_size */
	uint32_t lmap_entries;  /* RSEGs covered by one LMAP (one L2MAP entry) */
	uint32_t rstore_width;  /* default data columns of an RStore */
	uint32_t mblock_size;   /* metadata block size for maps */
	uint64_t mld_slot_size; /* bytes of one MLD slot */
	uint64_t quorum_size;   /* bytes reserved at the start of every disk */
};

/* Fills the defaults; callers override fields, then call vctl_geom_finish()
 * to derive quorum_size and validate. */
void vctl_geom_default(struct vctl_geom *g);
int vctl_geom_finish(struct vctl_geom *g, struct vctl_err *err);
int vctl_geom_check(const struct vctl_geom *g, struct vctl_err *err);

static inline uint64_t vctl_mld_slot_offset(const struct vctl_geom *g, int slot)
{
	return VCTL_MLD_SLOT0_OFFSET + (uint64_t)slot * g->mld_slot_size;
}

/* Number of whole PSEGs on a disk of `size` bytes. */
uint64_t vctl_geom_psegs(const struct vctl_geom *g, uint64_t size);

#endif
