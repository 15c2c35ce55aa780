/* Metadata blocks: the copy-on-write blocks of the metadata space that
 * persist volume maps (L2 and LMAP blocks) and the RSD table (RSD
 * directory and RSD blocks). Every block is mblock_size bytes:
 *   a 72-byte header, a payload, and a crc32 in its last 4 bytes.
 * Each carries its own address and its pool's UUID, so a misdirected or
 * stale write is caught on read. Layout in fmt/FORMAT.md. */
#ifndef VCTL_FMT_MBLOCK_H
#define VCTL_FMT_MBLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "geom.h"
#include "rsd.h"

#define VCTL_MBLOCK_MAGIC "VCTLMBLK"
#define VCTL_MBLOCK_HDR 72u
#define VCTL_MBLOCK_TAIL 4u

enum vctl_mblock_type {
	VCTL_T_L2 = 3,     /* a volume's LMAP block addresses */
	VCTL_T_LMAP = 4,   /* one LMAP: an entry per RSEG */
	VCTL_T_RSDDIR = 5, /* RSD block addresses */
	VCTL_T_RSDS = 6,   /* RSD slots */
};

struct vctl_mblock_hdr {
	uint16_t type, version;
	uint32_t length;
	uint8_t pool_uuid[16];
	uint64_t addr;  /* this block's own address */
	uint64_t txg;   /* MLD generation of the commit that wrote it */
	uint64_t owner; /* volume id for L2 and LMAP blocks, else 0 */
	uint64_t index; /* its position: LMAP number, L2 number, directory or RSD block number */
	uint32_t count; /* payload entries in use */
	uint32_t crc_stored, crc_computed;
};

/* LMAP entry: bits 0-27 RSD id + 1 (0 = unallocated), 28 Sp, 29 Ss. */
#define VCTL_LMAP_RSD_MASK 0x0fffffffu
#define VCTL_LMAP_SP 0x10000000u
#define VCTL_LMAP_SS 0x20000000u
#define VCTL_LMAP_FLAGS_KNOWN (VCTL_LMAP_SP | VCTL_LMAP_SS)
#define VCTL_MAX_RSDS (VCTL_LMAP_RSD_MASK - 1u)

/* Payload capacity of each block type for a geometry. */
uint32_t vctl_mblock_addrs(const struct vctl_geom *g); /* L2, RSDDIR: u64 entries */
uint32_t vctl_mblock_rsds(const struct vctl_geom *g);  /* RSDS: slots */

/* Writes the header and the crc. The payload must already be in place. */
void vctl_mblock_seal(uint8_t *buf, const struct vctl_geom *g, const struct vctl_mblock_hdr *h);

/* Validates header, crc, type, pool, own address and count (against the
 * type's capacity). Fills *h. */
int vctl_mblock_check(const uint8_t *buf, const struct vctl_geom *g, uint16_t type,
		      const uint8_t pool_uuid[16], uint64_t addr, unsigned flags,
		      struct vctl_mblock_hdr *h, struct vctl_err *err);

static inline uint8_t *vctl_mblock_payload(uint8_t *buf)
{
	return buf + VCTL_MBLOCK_HDR;
}

/* One RSD slot as stored. raid 0 means a free slot. */
struct vctl_rsd_rec {
	struct vctl_rsd_layout layout;
	uint8_t nmembers;
	uint16_t stale; /* members whose PSEG missed writes: bit k = member k */
	uint32_t members[VCTL_RSD_MAX_MEMBERS]; /* vctl_member() packed */
};

void vctl_rsd_encode(const struct vctl_rsd_rec *r, uint8_t slot[VCTL_RSD_SLOT]);
/* Decodes and checks one slot: layout rules, member count, members on
 * distinct disks. A free slot decodes with layout.raid == 0. */
int vctl_rsd_decode(const uint8_t slot[VCTL_RSD_SLOT], const struct vctl_geom *g,
		    struct vctl_rsd_rec *r, struct vctl_err *err);

const char *vctl_mblock_type_name(uint16_t type);

#endif
