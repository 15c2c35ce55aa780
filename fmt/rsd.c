#include "rsd.h"

#include <errno.h>
#include <string.h>

const char *vctl_raid_name(uint8_t raid)
{
	switch (raid) {
	case VCTL_RAID0: return "raid0";
	case VCTL_RAID1: return "raid1";
	case VCTL_RAID5: return "raid5";
	case VCTL_RAID10: return "raid10";
	}
	return "unknown";
}

uint8_t vctl_raid_parse(const char *s)
{
	if (!strcmp(s, "0") || !strcmp(s, "raid0"))
		return VCTL_RAID0;
	if (!strcmp(s, "1") || !strcmp(s, "raid1"))
		return VCTL_RAID1;
	if (!strcmp(s, "5") || !strcmp(s, "raid5"))
		return VCTL_RAID5;
	if (!strcmp(s, "10") || !strcmp(s, "raid10"))
		return VCTL_RAID10;
	return 0;
}

unsigned vctl_raid_level(uint8_t raid)
{
	switch (raid) {
	case VCTL_RAID0: return 0;
	case VCTL_RAID1: return 1;
	case VCTL_RAID5: return 5;
	case VCTL_RAID10: return 10;
	}
	return 99;
}

unsigned vctl_layout_members(const struct vctl_rsd_layout *l)
{
	switch (l->raid) {
	case VCTL_RAID0: return l->width;
	case VCTL_RAID1: return 2;
	case VCTL_RAID5: return l->width + 1u;
	case VCTL_RAID10: return 2u * l->width;
	}
	return 0;
}

uint64_t vctl_layout_rstore_bytes(const struct vctl_rsd_layout *l, const struct vctl_geom *g)
{
	return (uint64_t)l->width * g->pseg_size;
}

unsigned vctl_layout_default_width(uint8_t raid, const struct vctl_geom *g)
{
	/* raid1 is one mirrored pair; the others present rstore_width columns
	 * (the sources' 8 MiB RStore: 4 x 2 MiB). */
	if (raid == VCTL_RAID1)
		return 1;
	return g->rstore_width;
}

int vctl_layout_check(const struct vctl_rsd_layout *l, const struct vctl_geom *g,
		      struct vctl_err *err)
{
	switch (l->raid) {
	case VCTL_RAID0:
		if (l->width < 1 || l->width > VCTL_RSD_MAX_MEMBERS)
			return vctl_errf(err, -EINVAL, "raid0 takes a width of 1 to %u",
					 VCTL_RSD_MAX_MEMBERS);
		break;
	case VCTL_RAID1:
		if (l->width != 1)
			return vctl_errf(err, -EINVAL,
					 "raid1 is one mirrored pair (width 1); use raid10 to stripe mirrors");
		break;
	case VCTL_RAID5:
		if (l->width < 2 || l->width + 1u > VCTL_RSD_MAX_MEMBERS)
			return vctl_errf(err, -EINVAL,
					 "raid5 takes a width of 2 to %u data columns (plus parity)",
					 VCTL_RSD_MAX_MEMBERS - 1);
		break;
	case VCTL_RAID10:
		if (l->width < 1 || 2u * l->width > VCTL_RSD_MAX_MEMBERS)
			return vctl_errf(err, -EINVAL, "raid10 takes a width of 1 to %u mirrored pairs",
					 VCTL_RSD_MAX_MEMBERS / 2);
		break;
	default:
		return vctl_errf(err, -EINVAL, "unknown RAID type %u", l->raid);
	}
	if (l->stripe < VCTL_MIN_STRIPE || (l->stripe & (l->stripe - 1)) ||
	    l->stripe > g->pseg_size)
		return vctl_errf(err, -EINVAL,
				 "stripe size %u is not a power of two between 4 KiB and the PSEG size",
				 l->stripe);
	return 0;
}
