#include "mblock.h"

#include <errno.h>
#include <string.h>

#include "block.h"
#include "bytes.h"
#include "crc.h"

uint32_t vctl_mblock_addrs(const struct vctl_geom *g)
{
	return (g->mblock_size - VCTL_MBLOCK_HDR - VCTL_MBLOCK_TAIL) / 8;
}

uint32_t vctl_mblock_rsds(const struct vctl_geom *g)
{
	return (g->mblock_size - VCTL_MBLOCK_HDR - VCTL_MBLOCK_TAIL) / VCTL_RSD_SLOT;
}

static uint32_t capacity(uint16_t type, const struct vctl_geom *g)
{
	switch (type) {
	case VCTL_T_L2:
	case VCTL_T_RSDDIR:
		return vctl_mblock_addrs(g);
	case VCTL_T_LMAP:
		return g->lmap_entries;
	case VCTL_T_RSDS:
		return vctl_mblock_rsds(g);
	}
	return 0;
}

const char *vctl_mblock_type_name(uint16_t type)
{
	switch (type) {
	case VCTL_T_L2: return "L2MAP";
	case VCTL_T_LMAP: return "LMAP";
	case VCTL_T_RSDDIR: return "RSD directory";
	case VCTL_T_RSDS: return "RSD block";
	}
	return "metadata block";
}

void vctl_mblock_seal(uint8_t *buf, const struct vctl_geom *g, const struct vctl_mblock_hdr *h)
{
	vctl_block_put_header(buf, VCTL_MBLOCK_MAGIC, h->type, VCTL_FORMAT_VERSION,
			      g->mblock_size);
	memcpy(buf + 16, h->pool_uuid, 16);
	vctl_put64(buf + 32, h->addr);
	vctl_put64(buf + 40, h->txg);
	vctl_put64(buf + 48, h->owner);
	vctl_put64(buf + 56, h->index);
	vctl_put32(buf + 64, h->count);
	vctl_put32(buf + 68, 0);
	size_t crc_off = g->mblock_size - VCTL_MBLOCK_TAIL;
	vctl_put32(buf + crc_off, vctl_crc32(buf, crc_off));
}

int vctl_mblock_check(const uint8_t *buf, const struct vctl_geom *g, uint16_t type,
		      const uint8_t pool_uuid[16], uint64_t addr, unsigned flags,
		      struct vctl_mblock_hdr *h, struct vctl_err *err)
{
	memset(h, 0, sizeof(*h));
	const char *what = vctl_mblock_type_name(type);
	int r = vctl_block_check_header(buf, g->mblock_size, VCTL_MBLOCK_MAGIC, type,
					g->mblock_size, g->mblock_size, what, &h->length, err);
	if (r < 0)
		return vctl_err_wrap(err, "block %llu", (unsigned long long)addr);
	size_t crc_off = g->mblock_size - VCTL_MBLOCK_TAIL;
	h->type = type;
	h->version = vctl_get16(buf + 10);
	memcpy(h->pool_uuid, buf + 16, 16);
	h->addr = vctl_get64(buf + 32);
	h->txg = vctl_get64(buf + 40);
	h->owner = vctl_get64(buf + 48);
	h->index = vctl_get64(buf + 56);
	h->count = vctl_get32(buf + 64);
	h->crc_stored = vctl_get32(buf + crc_off);
	h->crc_computed = vctl_crc32(buf, crc_off);
	if (h->crc_stored != h->crc_computed && !(flags & VCTL_DECODE_IGNORE_CRC))
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "block %llu: %s: bad crc (stored %08x, computed %08x)",
				 (unsigned long long)addr, what, h->crc_stored, h->crc_computed);
	if (memcmp(h->pool_uuid, pool_uuid, 16))
		return vctl_errf(err, -VCTL_E_CORRUPT, "block %llu: %s of another pool",
				 (unsigned long long)addr, what);
	if (h->addr != addr)
		return vctl_errf(err, -VCTL_E_CORRUPT,
				 "block %llu: %s says it is block %llu (a misdirected write)",
				 (unsigned long long)addr, what, (unsigned long long)h->addr);
	if (h->count > capacity(type, g))
		return vctl_errf(err, -VCTL_E_CORRUPT, "block %llu: %s holds %u entries, room for %u",
				 (unsigned long long)addr, what, h->count, capacity(type, g));
	if (vctl_get32(buf + 68))
		return vctl_errf(err, -VCTL_E_CORRUPT, "block %llu: %s: reserved field set",
				 (unsigned long long)addr, what);
	return 0;
}

void vctl_rsd_encode(const struct vctl_rsd_rec *r, uint8_t slot[VCTL_RSD_SLOT])
{
	memset(slot, 0, VCTL_RSD_SLOT);
	if (!r->layout.raid)
		return;
	slot[0] = r->layout.raid;
	slot[1] = r->layout.width;
	slot[2] = r->nmembers;
	slot[3] = r->layout.rss;
	vctl_put32(slot + 4, r->layout.stripe);
	for (unsigned i = 0; i < r->nmembers && i < VCTL_RSD_MAX_MEMBERS; i++) {
		vctl_put16(slot + 8 + 6 * i, (uint16_t)vctl_member_disk(r->members[i]));
		vctl_put32(slot + 10 + 6 * i, vctl_member_pseg(r->members[i]));
	}
	vctl_put16(slot + 104, r->stale);
}

int vctl_rsd_decode(const uint8_t slot[VCTL_RSD_SLOT], const struct vctl_geom *g,
		    struct vctl_rsd_rec *r, struct vctl_err *err)
{
	memset(r, 0, sizeof(*r));
	r->layout.raid = slot[0];
	r->layout.width = slot[1];
	r->nmembers = slot[2];
	r->layout.rss = slot[3];
	r->layout.stripe = vctl_get32(slot + 4);
	if (!r->layout.raid) {
		for (unsigned i = 0; i < VCTL_RSD_SLOT; i++)
			if (slot[i])
				return vctl_errf(err, -VCTL_E_CORRUPT, "free RSD slot is not zero");
		return 0;
	}
	/* Wrapped, not formatted: "RSD: %s" with err->msg as its argument
	 * would have vsnprintf read the buffer it writes. */
	if (vctl_layout_check(&r->layout, g, err) < 0) {
		if (err)
			err->code = -VCTL_E_CORRUPT;
		vctl_err_wrap(err, "RSD");
		return -VCTL_E_CORRUPT;
	}
	if (r->nmembers != vctl_layout_members(&r->layout))
		return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: %u members for a %s of width %u",
				 r->nmembers, vctl_raid_name(r->layout.raid), r->layout.width);
	for (unsigned i = 0; i < r->nmembers; i++) {
		uint32_t disk = vctl_get16(slot + 8 + 6 * i);
		uint32_t pseg = vctl_get32(slot + 10 + 6 * i);
		if (disk >= VCTL_MAX_DISKS || pseg >= VCTL_MAX_PSEGS_PER_DISK)
			return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: member %u out of range", i);
		r->members[i] = vctl_member(disk, pseg);
		for (unsigned j = 0; j < i; j++)
			if (vctl_member_disk(r->members[j]) == disk)
				return vctl_errf(err, -VCTL_E_CORRUPT,
						 "RSD: members %u and %u on the same disk %u", j, i,
						 disk);
	}
	for (unsigned i = r->nmembers; i < VCTL_RSD_MAX_MEMBERS; i++)
		if (vctl_get16(slot + 8 + 6 * i) || vctl_get32(slot + 10 + 6 * i))
			return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: unused member slot %u is set", i);
	r->stale = vctl_get16(slot + 104);
	if (r->stale >> r->nmembers)
		return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: stale mask %#x names absent members",
				 r->stale);
	if (r->stale && r->layout.raid == VCTL_RAID0)
		return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: a raid0 RStore cannot have stale members");
	for (unsigned i = 106; i < VCTL_RSD_SLOT; i++)
		if (slot[i])
			return vctl_errf(err, -VCTL_E_CORRUPT, "RSD: reserved byte %u is set", i);
	return 0;
}
