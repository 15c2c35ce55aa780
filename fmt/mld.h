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
	VCTL_REC_VOLUME = 4,
	VCTL_REC_META = 5,
	VCTL_REC_RSDTAB = 6,
	VCTL_REC_JOB = 7,
	VCTL_REC_HOST = 8,
	VCTL_REC_DOMAIN = 9,
	VCTL_REC_PATH = 10,
	VCTL_REC_REQ = 11,
};

/* Persistent disk states. "missing" is not stored: it is what the open
 * finds, not what the administrator decided. */
enum vctl_disk_state {
	VCTL_DISK_ACTIVE = 1,
	VCTL_DISK_FAILED = 2,
};

#define VCTL_DISK_F_QUORUM 0x1u /* holds an MLD copy */
#define VCTL_DISK_NAME_MAX 255

/* Pool flags. */
#define VCTL_POOL_DIRTY 0x1u /* redundant RStores may have been written without a
				clean close: mirrors and parity are resynced at the
				next open for writing */
#define VCTL_POOL_FLAGS_KNOWN VCTL_POOL_DIRTY

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

/* Volume flags. */
#define VCTL_VOL_THICK 0x1u /* every RStore allocated at create and grow */
#define VCTL_VOL_INVALID 0x2u /* a snapshot whose data could not be kept: a copy
				 on first write found no space */
#define VCTL_VOL_CLONE 0x4u /* a snapclone still being unshared (BGCOPY) */
#define VCTL_VOL_SEPARATE 0x8u /* intent: the halves of each mirror, or the members
				  of each RAID5 set, on disks of distinct enclosures */
#define VCTL_VOL_FLAGS_KNOWN (VCTL_VOL_THICK | VCTL_VOL_INVALID | VCTL_VOL_CLONE | VCTL_VOL_SEPARATE)

/* The largest volume: 65536 LMAPs (128 TiB with the default geometry),
 * which keeps the in-memory L2MAP within 256 KiB. */
#define VCTL_MAX_LMAPS_PER_VOLUME 65536u

struct vctl_mld_volume {
	uint64_t id;
	uint64_t size;    /* bytes, a multiple of 512 */
	uint64_t created; /* Unix seconds */
	uint64_t origin;  /* id of the volume it was taken from, 0 = none */
	uint64_t succ;    /* its successor in the sharing chain (whose data it
			     reads where an entry's Ss bit is set), 0 = none */
	uint64_t cursor;  /* a snapclone: RSEGs below it are copied (BGCOPY) */
	uint32_t raid, width, stripe, flags;
	uint32_t reserve; /* PSEGs set aside for its copies on first write */
	char name[VCTL_NAME_MAX + 1];
	uint32_t nl2;     /* L2MAP blocks: ceil(LMAPs / addresses per block) */
	uint64_t *l2;     /* their addresses (0 = none yet) */
};

/* A background job kept in the MLD, so that it survives a restart and
 * resumes where it was. (A snapclone's job is its volume's CLONE flag and
 * cursor instead.) */
enum vctl_job_kind {
	VCTL_JOB_RESTRIPE = 1,
	VCTL_JOB_LEVEL = 2,    /* PSEGs move until each disk holds its share */
	VCTL_JOB_EVACUATE = 3, /* PSEGs move off a disk, which then leaves */
	VCTL_JOB_REBUILD = 4,  /* stale members are rebuilt, one RStore a step */
	VCTL_JOB_MIGRATE = 5,  /* a placed volume's PSEGs move onto the arrays its
				  requirement names */
};
enum vctl_job_state {
	VCTL_JOB_RUNNING = 1,
	VCTL_JOB_CANCELLING = 2, /* moving back to the layout it started from */
};

struct vctl_mld_job {
	uint64_t id;      /* from the pool's next_id, like volume ids */
	uint64_t volume;  /* restripe, migrate: id of the volume it works on; else 0 */
	uint64_t created; /* Unix seconds */
	uint64_t cursor;  /* restripe: RSEGs below it were visited by the
			     background transfer; level, evacuate: PSEGs moved;
			     rebuild: members rebuilt; migrate: PSEGs moved */
	uint64_t rate;    /* bytes/s the background transfer may move; 0 = unpaced */
	uint32_t kind, state;
	union {
		/* restripe: the layout the volume's data moves away from (it
		 * moves to the volume's own raid, width and stripe) */
		struct {
			uint32_t raid, width, stripe;
		};
		uint32_t disk; /* evacuate: the disk it empties (in raid's place) */
	};
};

/* An extent of the metadata space: one PSEG, mirrored on `ncopies` disks.
 * Extent i holds metadata blocks i * (pseg_size / mblock_size) onwards. */
#define VCTL_META_MAX_COPIES 3u
struct vctl_mld_meta {
	uint32_t index;
	uint32_t ncopies;
	uint32_t disk[VCTL_META_MAX_COPIES];
	uint32_t pseg[VCTL_META_MAX_COPIES];
	uint32_t stale; /* copies that missed writes: bit k = copy k */
};

/* Hosts, storage domains and virtual paths (fmt/mld_access.c). */
#define VCTL_HOST_F_GID 0x1u /* gid is part of the binding; else any gid of the uid */
#define VCTL_HOST_FLAGS_KNOWN VCTL_HOST_F_GID
#define VCTL_ACCESS_RO 0x1u  /* domain and path flags: reads only */
#define VCTL_DOMAIN_FLAGS_KNOWN VCTL_ACCESS_RO
#define VCTL_PATH_FLAGS_KNOWN VCTL_ACCESS_RO
/* Limits beyond any device, so that a typo (an extra digit or three) is
 * refused rather than silently meaning "unlimited". */
#define VCTL_MAX_IOPS 10000000ull
#define VCTL_MAX_MBPS 1000000ull
#define VCTL_MAX_ACCESS_RECORDS 65536u /* of each kind */
/* The implicit domain of paths added without one: no limits, read-write.
 * It has no record; a path's domain 0 means it. */
#define VCTL_DEFAULT_DOMAIN "default"

struct vctl_mld_host {
	uint64_t id;
	uint32_t uid, gid;
	uint32_t flags; /* VCTL_HOST_F_* */
	char name[VCTL_NAME_MAX + 1];
};

struct vctl_mld_domain {
	uint64_t id;
	uint64_t max_iops; /* 0 = unlimited */
	uint64_t max_mbps; /* MB/s (10^6 bytes); 0 = unlimited */
	uint32_t flags;    /* VCTL_ACCESS_RO */
	char name[VCTL_NAME_MAX + 1];
};

struct vctl_mld_path {
	uint64_t id;
	uint64_t host;   /* host id */
	uint64_t volume; /* volume id: a rename keeps the path */
	uint64_t domain; /* domain id, 0 = the default domain */
	uint64_t created;
	uint32_t flags;  /* VCTL_ACCESS_RO */
};

/* A volume's performance requirement (vctl create --mbps/--iops), part of
 * its intent, and the arrays (enclosures) placement chose for it: every
 * RStore of the volume takes its PSEGs on disks of these arrays, and each
 * carries an even share of the requirement. At most 16 arrays: an RStore
 * has at most 16 members, so no volume spreads evenly over more. */
#define VCTL_REQ_MAX_ARRAYS 16u
enum vctl_fit {
	VCTL_FIT_BEST = 1,  /* the feasible arrays with the least free capability */
	VCTL_FIT_FIRST = 2, /* the first feasible arrays in enclosure order */
};
struct vctl_mld_req {
	uint64_t volume; /* volume id */
	uint64_t mbps;   /* MB/s (10^6 bytes); 0 = not stated */
	uint64_t iops;   /* I/O per second; 0 = not stated */
	uint32_t fit;    /* enum vctl_fit: how the arrays were chosen */
	uint32_t narrays;
	uint32_t arrays[VCTL_REQ_MAX_ARRAYS]; /* enclosure ids */
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
	uint32_t nvol;
	struct vctl_mld_volume *vols;
	uint32_t nmeta;
	struct vctl_mld_meta *meta;
	uint32_t njobs;
	struct vctl_mld_job *jobs;
	/* The RSD table: rsd_blocks RSD blocks, found through ndirs directory
	 * blocks. */
	uint32_t rsd_blocks;
	uint32_t ndirs;
	uint64_t *dirs;
	uint32_t nhosts, ndomains, npaths;
	struct vctl_mld_host *hosts;
	struct vctl_mld_domain *domains;
	struct vctl_mld_path *paths;
	uint32_t nreqs;
	struct vctl_mld_req *reqs;
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
struct vctl_mld_volume *vctl_mld_volume_by_name(const struct vctl_mld *m, const char *name);
struct vctl_mld_volume *vctl_mld_volume_by_id(const struct vctl_mld *m, uint64_t id);
struct vctl_mld_job *vctl_mld_job_by_id(const struct vctl_mld *m, uint64_t id);
/* The job of `kind` working on volume `vol`, or NULL. */
struct vctl_mld_job *vctl_mld_job_of(const struct vctl_mld *m, uint64_t vol, uint32_t kind);
const char *vctl_job_kind_name(uint32_t kind);
const char *vctl_job_state_name(uint32_t state);

/* Geometry-derived sizes of a volume's maps. */
uint64_t vctl_lmap_span(const struct vctl_geom *g); /* bytes one LMAP covers */
uint32_t vctl_volume_lmaps(const struct vctl_geom *g, uint64_t size);
uint32_t vctl_volume_l2_blocks(const struct vctl_geom *g, uint64_t size);
uint64_t vctl_max_volume_size(const struct vctl_geom *g);
/* Blocks per metadata extent. */
uint32_t vctl_meta_blocks_per_extent(const struct vctl_geom *g);

const char *vctl_disk_state_name(uint32_t state);

struct vctl_mld_host *vctl_mld_host_by_name(const struct vctl_mld *m, const char *name);
struct vctl_mld_host *vctl_mld_host_by_id(const struct vctl_mld *m, uint64_t id);
struct vctl_mld_domain *vctl_mld_domain_by_name(const struct vctl_mld *m, const char *name);
struct vctl_mld_domain *vctl_mld_domain_by_id(const struct vctl_mld *m, uint64_t id);
struct vctl_mld_path *vctl_mld_path_by_id(const struct vctl_mld *m, uint64_t id);
/* The host a client with these credentials is: the one bound to its uid
 * and gid, else the one bound to its uid alone; NULL if none. */
const struct vctl_mld_host *vctl_mld_host_for(const struct vctl_mld *m, uint32_t uid,
					      uint32_t gid);
/* The same over any array of host records (the server keeps a copy). */
const struct vctl_mld_host *vctl_mld_hosts_match(const struct vctl_mld_host *hosts,
						 uint32_t n, uint32_t uid, uint32_t gid);
/* A path's domain name ("default" for domain 0). */
const char *vctl_mld_domain_name(const struct vctl_mld *m, uint64_t id);
/* A volume's requirement record, or NULL (fmt/mld_req.c). */
struct vctl_mld_req *vctl_mld_req_of(const struct vctl_mld *m, uint64_t volume);
const char *vctl_fit_name(uint32_t fit);
/* An array's share of a requirement split over n arrays: total / n, the
 * first total % n arrays one more (so the shares add up to total). */
uint64_t vctl_req_share(uint64_t total, uint32_t n, uint32_t i);

#endif
