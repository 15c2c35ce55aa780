#include "geom.h"

#include <errno.h>

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

void vctl_geom_default(struct vctl_geom *g)
{
	g->sector_size = VCTL_SECTOR;
	g->pseg_size = VCTL_DEFAULT_PSEG;
	g->rseg_size = 0; /* derived: min(1 MiB, pseg) */
	g->lmap_entries = VCTL_DEFAULT_LMAP_ENTRIES;
	g->rstore_width = VCTL_DEFAULT_RSTORE_WIDTH;
	g->mblock_size = VCTL_DEFAULT_MBLOCK;
	g->mld_slot_size = VCTL_DEFAULT_MLD_SLOT;
	g->quorum_size = 0; /* derived */
}

int vctl_geom_finish(struct vctl_geom *g, struct vctl_err *err)
{
	if (g->rseg_size == 0)
		g->rseg_size = g->pseg_size < VCTL_DEFAULT_RSEG ? g->pseg_size
								: VCTL_DEFAULT_RSEG;
	/* The data area starts on a 64 KiB boundary after both slots. */
	uint64_t end = VCTL_MLD_SLOT0_OFFSET + 2 * g->mld_slot_size;
	g->quorum_size = (end + 65535) & ~(uint64_t)65535;
	return vctl_geom_check(g, err);
}

int vctl_geom_check(const struct vctl_geom *g, struct vctl_err *err)
{
	if (g->sector_size != VCTL_SECTOR)
		return vctl_errf(err, -VCTL_E_CORRUPT, "sector size %u is not 512",
				 g->sector_size);
	if (!is_pow2(g->pseg_size) || g->pseg_size < VCTL_MIN_PSEG ||
	    g->pseg_size > VCTL_MAX_PSEG)
		return vctl_errf(err, -EINVAL,
				 "PSEG size %u is not a power of two between 64 KiB and 1 GiB",
				 g->pseg_size);
	if (!is_pow2(g->rseg_size) || g->rseg_size < VCTL_MIN_RSEG ||
	    g->rseg_size > g->pseg_size)
		return vctl_errf(err, -EINVAL,
				 "RSEG size %u is not a power of two between 64 KiB and the PSEG size",
				 g->rseg_size);
	if (g->lmap_entries == 0 || g->lmap_entries > (1u << 20))
		return vctl_errf(err, -EINVAL, "LMAP entry count %u is out of range",
				 g->lmap_entries);
	if (g->rstore_width == 0 || g->rstore_width > VCTL_MAX_WIDTH)
		return vctl_errf(err, -EINVAL, "RStore width %u is out of range",
				 g->rstore_width);
	if (!is_pow2(g->mblock_size) || g->mblock_size < 4096 ||
	    g->mblock_size > g->pseg_size)
		return vctl_errf(err, -EINVAL, "metadata block size %u is out of range",
				 g->mblock_size);
	/* An LMAP is one metadata block: 72-byte header, 4 bytes per entry,
	 * 4-byte crc (fmt/mblock.h). */
	if (72 + 4 * (uint64_t)g->lmap_entries + 4 > g->mblock_size)
		return vctl_errf(err, -EINVAL,
				 "an LMAP of %u entries does not fit a %u-byte metadata block",
				 g->lmap_entries, g->mblock_size);
	if (g->mld_slot_size < VCTL_MIN_MLD_SLOT || g->mld_slot_size > VCTL_MAX_MLD_SLOT ||
	    g->mld_slot_size % 4096)
		return vctl_errf(err, -EINVAL,
				 "MLD slot size %llu is not a multiple of 4 KiB between 64 KiB and 256 MiB",
				 (unsigned long long)g->mld_slot_size);
	if (g->quorum_size < VCTL_MLD_SLOT0_OFFSET + 2 * g->mld_slot_size ||
	    g->quorum_size % 65536 || g->quorum_size > (1ull << 40))
		return vctl_errf(err, -VCTL_E_CORRUPT, "quorum size %llu is inconsistent",
				 (unsigned long long)g->quorum_size);
	return 0;
}

uint64_t vctl_geom_psegs(const struct vctl_geom *g, uint64_t size)
{
	if (size <= g->quorum_size)
		return 0;
	return (size - g->quorum_size) / g->pseg_size;
}
