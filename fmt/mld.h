/* The MLD (management logical disk): the pool's configuration database.
 * One encoded MLD is a 128-byte header followed by a sequence of typed
 * records; it is written whole into an MLD slot of every quorum disk.
 * Layout in fmt/FORMAT.md. */
#ifndef VCTL_FMT_MLD_H
#define VCTL_FMT_MLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "geom.h"
#include "names.h"

#define VCTL_MLD_MAGIC "VCTL_MLD"
#define VCTL_MLD_HEADER_SIZE 128u
#define VCTL_MLD_INCOMPAT_KNOWN 0u

/* Record types. */
enum vctl_rec_type {
	VCTL_REC_POOL = 1,
	VCTL_REC_ENCLOSURE = 2,
	VCTL_REC_DISK = 3,
};

/* Persistent disk states. "missing" is not stored: it is what the open
 * finds, not what the administrator decided. */
enum vctl_disk_state {
	VCTL_DISK_ACTIVE = 1,
	VCTL_DISK_FAILED = 2,
};

#define VCTL_DISK_F_QUORUM 0x1u /* holds an MLD copy */
#define VCTL_DISK_NAME_MAX 255

struct vctl_mld_pool {
	uint8_t uuid[16];
	uint64_t created;
	struct vctl_geom geom;
	uint32_t quorum_target; /* MLD copies the pool keeps */
	uint32_t flags;
	uint64_t next_id;       /* ids of volumes, hosts, jobs ... never reused */
};

struct vctl_mld_encl {
	uint32_t id;
	char name[VCTL_NAME_MAX + 1];
	uint64_t mbps, iops; /* capability ratings, 0 = unrated */
};

struct vctl_mld_disk {
	uint32_t index;
	uint32_t encl;  /* enclosure id */
	uint32_t state; /* enum vctl_disk_state */
	uint32_t flags; /* VCTL_DISK_F_* */
	uint8_t uuid[16];
	uint64_t size;
	uint64_t pseg_count;
	uint64_t added;
	char name[VCTL_DISK_NAME_MAX + 1]; /* file name in the pool directory (a hint) */
};

struct vctl_mld {
	/* header */
	uint16_t version;
	uint32_t incompat, compat, ro_compat;
	uint64_t generation;
	uint64_t timestamp;
	/* records */
	struct vctl_mld_pool pool;
	uint32_t nencl;
	struct vctl_mld_encl *encl;
	uint32_t ndisks;
	struct vctl_mld_disk *disks;
	/* filled by decode */
	uint64_t payload_len;
	uint32_t nrecords;
	uint32_t hdr_crc_stored, hdr_crc_computed;
	uint32_t payload_crc_stored, payload_crc_computed;
};

/* Encodes into buf[cap]; -ENOSPC (with a message) if it does not fit. */
int vctl_mld_encode(const struct vctl_mld *m, uint8_t *buf, size_t cap, size_t *len,
		    struct vctl_err *err);

/* Decodes and validates every record and cross-reference. On failure the
 * struct holds whatever was decoded (for dumping) and must still be freed. */
int vctl_mld_decode(const uint8_t *buf, size_t len, unsigned flags, struct vctl_mld *m,
		    struct vctl_err *err);

/* Reads only the header: enough to rank copies by generation. */
int vctl_mld_peek(const uint8_t *buf, size_t len, uint8_t pool_uuid[16],
		  uint64_t *generation, struct vctl_err *err);

/* Structural checks of a decoded (or edited) MLD; decode calls it too. */
int vctl_mld_validate(const struct vctl_mld *m, struct vctl_err *err);

void vctl_mld_free(struct vctl_mld *m);
int vctl_mld_dup(const struct vctl_mld *src, struct vctl_mld *dst);

const struct vctl_mld_encl *vctl_mld_encl_by_id(const struct vctl_mld *m, uint32_t id);
const struct vctl_mld_encl *vctl_mld_encl_by_name(const struct vctl_mld *m,
						  const char *name);
struct vctl_mld_disk *vctl_mld_disk_by_index(const struct vctl_mld *m, uint32_t index);

const char *vctl_disk_state_name(uint32_t state);

#endif
